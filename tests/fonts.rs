//! Every symbol memlab draws has a glyph of its own in the fonts memlab
//! ships, drawn by the face that draws the text around it.
//!
//! egui draws a character its family's first font lacks with the next one
//! that has it, laid out with the first one's metrics: a "→" that only the
//! Korean font has came out as a gap and a tiny "›" in the allocation
//! benchmark's crossover list. So a symbol (anything not ASCII and not
//! Hangul) must be in the first face of the proportional family (egui's
//! Ubuntu-Light), since any text may be drawn in it; Hangul is the bundled
//! NanumGothic's.
//!
//! Two checks: every string and char literal in memlab's sources (what it
//! can ever say), and, in `layout.rs`, every text drawn in every lab.

// Linux only, for now: the Windows suite is tests/windows.rs (docs/windows.md).
#![cfg(target_os = "linux")]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Hangul syllables, jamo and compatibility jamo: the Korean font's.
fn is_hangul(c: char) -> bool {
    matches!(c, '\u{AC00}'..='\u{D7A3}' | '\u{1100}'..='\u{11FF}' | '\u{3130}'..='\u{318F}')
}

/// The text of every string and char literal of a Rust source (comments
/// are skipped: they are never drawn; escapes such as `\u{2192}` stay
/// escapes, so a character written that way is not "in the text").
fn literals(src: &str) -> Vec<String> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let at = |i: usize, s: &str| chars[i..].iter().take(s.len()).copied().eq(s.chars());
    while i < chars.len() {
        let c = chars[i];
        if at(i, "//") {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if at(i, "/*") {
            while i + 1 < chars.len() && !at(i, "*/") {
                i += 1;
            }
            i += 2;
        } else if (c == 'r' || at(i, "br"))
            && (i == 0 || !(chars[i - 1].is_alphanumeric() || chars[i - 1] == '_'))
            && {
                let start = if c == 'r' { i + 1 } else { i + 2 };
                let mut j = start;
                while j < chars.len() && chars[j] == '#' {
                    j += 1;
                }
                j < chars.len() && chars[j] == '"'
            }
        {
            let start = if c == 'r' { i + 1 } else { i + 2 };
            let mut j = start;
            while chars[j] == '#' {
                j += 1;
            }
            let hashes = j - start;
            let close: String = std::iter::once('"')
                .chain("#".repeat(hashes).chars())
                .collect();
            let body = j + 1;
            let mut k = body;
            while k < chars.len() && !at(k, &close) {
                k += 1;
            }
            out.push(chars[body..k.min(chars.len())].iter().collect());
            i = k + close.len();
        } else if c == '"' {
            let mut j = i + 1;
            let mut text = String::new();
            while j < chars.len() && chars[j] != '"' {
                if chars[j] == '\\' {
                    j += 2;
                    continue;
                }
                text.push(chars[j]);
                j += 1;
            }
            out.push(text);
            i = j + 1;
        } else if c == '\'' {
            // A char literal ('x', '\n', '한'), not a lifetime ('a).
            if i + 2 < chars.len() && chars[i + 1] != '\\' && chars[i + 2] == '\'' {
                out.push(chars[i + 1].to_string());
                i += 3;
            } else {
                i += 1;
            }
        } else {
            i += 1;
        }
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Which of the fonts memlab installs have each character, per family.
fn faces(family: egui::FontFamily) -> BTreeMap<char, Vec<String>> {
    let ctx = egui::Context::default();
    memlab::fonts::install(&ctx);
    let mut out = ctx.run_ui(Default::default(), |_| {});
    out.textures_delta.clear();
    ctx.fonts_mut(|f| f.characters(&family).clone())
}

#[test]
fn every_symbol_in_memlabs_texts_has_a_glyph_in_the_text_font() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let proportional = faces(egui::FontFamily::Proportional);
    let primary =
        egui::FontDefinitions::default().families[&egui::FontFamily::Proportional][0].clone();
    let mut missing: BTreeMap<char, Vec<String>> = BTreeMap::new();
    let mut seen = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for literal in literals(&text) {
            for c in literal.chars().filter(|c| !c.is_ascii() && !is_hangul(*c)) {
                seen += 1;
                let fonts = proportional.get(&c);
                if !fonts.is_some_and(|f| f.contains(&primary)) {
                    let place = format!(
                        "{} (only in {:?})",
                        file.strip_prefix(&src).unwrap().display(),
                        fonts
                    );
                    let places = missing.entry(c).or_default();
                    if !places.contains(&place) {
                        places.push(place);
                    }
                }
            }
        }
    }
    assert!(seen > 10, "the scan found the texts' symbols ({seen})");
    assert!(
        missing.is_empty(),
        "symbols without a glyph in {primary}, drawn by a fallback font or not at all:\n{}",
        missing
            .iter()
            .map(|(c, places)| format!("  {c:?} U+{:04X}: {}", *c as u32, places.join(", ")))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn the_check_reads_literals_and_skips_comments() {
    let src = r##"
        // a comment → not drawn
        let a = "one → two"; /* block → */ let b = '·';
        let c = r#"raw "→" text"#; let d = "\u{2192}"; fn f<'a>(x: &'a str) {}
    "##;
    assert_eq!(
        literals(src),
        vec!["one → two", "·", "raw \"→\" text", "{2192}"]
    );
    let p = faces(egui::FontFamily::Proportional);
    assert!(p[&'·'].contains(&"Ubuntu-Light".to_owned()));
    assert_eq!(
        p[&'→'],
        vec!["NanumGothic".to_owned()],
        "the arrow the list lacked"
    );
    assert!(p[&'한'].contains(&"NanumGothic".to_owned()));
}
