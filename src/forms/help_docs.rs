//! The docs pages' help sections (`docs/labs/<id>.md`), generated from the
//! labs' help ([`super::help`]) so that what each Win32 call became here is
//! written once. The test fails when a page's section differs from the help;
//! `MEMLAB_BLESS_DOCS=1 cargo test --lib help_docs` rewrites the sections.
//! Linux only: the pages describe the Linux build's help.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::{LabHelp, help};
use crate::lab_id::LabId;
use memlab_engine::i18n::Lang;

const BEGIN: &str = "<!-- help:begin";
const END: &str = "<!-- help:end -->";

/// The source file of each lab's help, named in the generated section.
fn source(id: LabId) -> &'static str {
    match id {
        LabId::Shared => "src/forms/shared_text/help.rs",
        LabId::AllocBench => "src/forms/alloc/bench/help.rs",
        LabId::MemoryManagers => "src/forms/alloc/memory_managers.rs",
        LabId::Sysinfo => "src/forms/vm/system_info/help.rs",
        LabId::Global => "src/forms/global/help.rs",
        LabId::PageLab => "src/forms/vm/page_lab/help.rs",
        LabId::AddressMap => "src/forms/vm/address_map/help.rs",
        LabId::Heap => "src/forms/heap/help.rs",
        LabId::Filemap => "src/forms/filemap/help.rs",
        LabId::Mutex => "src/forms/mutex/help.rs",
        LabId::Sharemem => "src/forms/sharemem/help.rs",
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn page(id: LabId) -> PathBuf {
    root().join("docs/labs").join(format!("{id}.md"))
}

/// Markdown text: backslash-escapes what Markdown would read as markup
/// (emphasis, links, HTML such as `<uid>`, table pipes), outside the
/// `code spans`, which are kept as they are.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, part) in text.split('`').enumerate() {
        if i > 0 {
            out.push('`');
        }
        if i % 2 == 1 {
            out.push_str(part);
            continue;
        }
        let chars: Vec<char> = part.chars().collect();
        for (j, &c) in chars.iter().enumerate() {
            let word = |k: Option<&char>| k.is_some_and(|c| c.is_alphanumeric());
            let markup = match c {
                '\\' | '*' | '[' | ']' | '<' | '>' | '|' => true,
                // Inside a word (MEM_RESERVE) an underscore is no emphasis.
                '_' => !(j > 0 && word(chars.get(j - 1)) && word(chars.get(j + 1))),
                _ => false,
            };
            if markup {
                out.push('\\');
            }
            out.push(c);
        }
    }
    out
}

/// One language's help as Markdown.
fn help_markdown(help: &LabHelp, lang: Lang) -> String {
    let mut md = String::new();
    let (book, calls, try_these) = match lang {
        Lang::En => (
            "From the book",
            "Win32 calls and what they became here",
            "Try this",
        ),
        Lang::Ko => ("책에서", "Win32 호출과 여기서 바뀐 모습", "해 볼 것"),
    };
    let _ = writeln!(md, "**{book}:** {}\n", escape(help.section.get(lang)));
    let _ = writeln!(md, "**{calls}:**\n");
    for call in help.calls {
        let _ = writeln!(md, "- `{}`: {}", call.win32, escape(call.here.get(lang)));
    }
    let _ = writeln!(md, "\n**{try_these}:**\n");
    for (i, step) in help.try_these.iter().enumerate() {
        let _ = writeln!(md, "{}. {}", i + 1, escape(step.get(lang)));
    }
    md
}

/// The whole generated section of a lab's page, markers included.
fn section(id: LabId) -> String {
    let help = help(id);
    format!(
        "{BEGIN}: generated from {} by `MEMLAB_BLESS_DOCS=1 cargo test --lib help_docs`; edit the help, not this -->\n\
         {}\n\
         <details><summary>한국어 (the same help as the Korean window shows it)</summary>\n\n\
         {}\n\
         </details>\n\
         {END}",
        source(id),
        help_markdown(help, Lang::En),
        help_markdown(help, Lang::Ko),
    )
}

/// The page's text with its section replaced by `new`, or why it has none.
fn replace_section(page: &str, new: &str) -> Result<String, String> {
    let start = page
        .find(BEGIN)
        .ok_or_else(|| format!("no line starting {BEGIN:?}"))?;
    let end = page[start..]
        .find(END)
        .map(|e| start + e + END.len())
        .ok_or_else(|| format!("no {END:?} after {BEGIN:?}"))?;
    if page[end..].contains(BEGIN) {
        return Err("more than one help section".into());
    }
    Ok(format!("{}{new}{}", &page[..start], &page[end..]))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Brings every page's section up to date when `MEMLAB_BLESS_DOCS` is set
/// (once, whichever test comes first), and returns the pages whose section
/// differs from the help.
fn stale_pages() -> Vec<String> {
    static BLESSED: Mutex<bool> = Mutex::new(false);
    let mut blessed = BLESSED.lock().unwrap_or_else(|e| e.into_inner());
    let bless = std::env::var_os("MEMLAB_BLESS_DOCS").is_some() && !*blessed;
    let mut stale = Vec::new();
    for &id in LabId::all() {
        assert!(root().join(source(id)).is_file(), "{id}: no {}", source(id));
        let path = page(id);
        let text = read(&path);
        let new = replace_section(&text, &section(id))
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if new != text {
            if bless {
                std::fs::write(&path, new).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            } else {
                stale.push(path.display().to_string());
            }
        }
    }
    *blessed |= bless;
    stale
}

/// Every lab of the shell has a docs page whose help section is exactly the
/// lab's help, in English and Korean.
#[test]
fn each_labs_docs_page_quotes_its_help() {
    let stale = stale_pages();
    assert!(
        stale.is_empty(),
        "these pages' help sections differ from the labs' help: {stale:?}; \
         run `MEMLAB_BLESS_DOCS=1 cargo test --lib help_docs` and commit the pages"
    );
}

/// Every call line of every help is on its lab's page word for word, in
/// both languages, so a page whose section was edited by hand (or lost)
/// fails, whatever the generator does.
#[test]
fn each_call_line_is_on_the_page_as_the_help_says_it() {
    stale_pages();
    for &id in LabId::all() {
        let text = read(&page(id));
        for call in help(id).calls {
            for lang in [Lang::En, Lang::Ko] {
                let line = format!("- `{}`: {}\n", call.win32, escape(call.here.get(lang)));
                assert!(
                    text.contains(&line),
                    "docs/labs/{id}.md lacks the help's line {line:?}"
                );
            }
        }
    }
}

#[test]
fn markup_is_escaped_outside_code_spans_only() {
    assert_eq!(
        escape("in /run/user/<uid>, *p and a|b, `a|*b*` MEM_RESERVE _x_"),
        r"in /run/user/\<uid\>, \*p and a\|b, `a|*b*` MEM_RESERVE \_x\_"
    );
}

#[test]
fn a_page_without_its_section_is_refused() {
    assert!(replace_section("# page\n", "x").is_err());
    assert!(replace_section("<!-- help:begin: a -->\nno end", "x").is_err());
    assert_eq!(
        replace_section(
            "a\n<!-- help:begin: s -->\nold\n<!-- help:end -->\nb",
            "new"
        )
        .as_deref(),
        Ok("a\nnew\nb")
    );
}
