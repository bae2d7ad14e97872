//! Every lab of the shell fits every window a classroom uses (egui_kittest).
//!
//! The labs are taken from the shell's own list, so a lab added to the shell
//! is checked too. Each is filled first (`demo`: the benchmark's history
//! table and sweep, the memory managers' samples) and drawn in the real
//! shell at the smallest window (480×340 pixels) and the sizes,
//! 480×360, 640×480, 958×516 (a quarter of 1920×1080) and 1920×1080, at
//! zoom 1, 1.5 and 2, and at the presenter's larger text sizes, in English
//! and Korean. A zoomed window is fewer points wide: 480 pixels at zoom 2
//! leave 240 points.
//!
//! **Cut off**, as this test defines it (the rule labs follow is in
//! `memlab::forms::widgets::layout`):
//! 1. the lab's content reaches past the right edge of its area (the shell
//!    scrolls it vertically only; anything wider must scroll sideways on its
//!    own, inside `widgets::wide`, which takes no more than the lab's width);
//! 2. a widget of the top bar lies outside the window;
//! 3. the visible parts of two widgets (labels included) overlap without one
//!    holding the other (a plot holds its legend, a collapsing header its
//!    button). A widget's visible part is what its scroll areas do not clip;
//!    the test scrolls the lab from top to bottom to see every part. Scroll
//!    bars are left out: egui draws a nested area's bar over the content
//!    when the area is scrolled out of view, on purpose (content never lies
//!    under the lab's own bar: rule 1 measures against the width it leaves).
//! 4. text is drawn smaller than monospace text (the smaller text style) at
//!    the presenter's text size, which the back row cannot read; or a
//!    symbol is drawn by a fallback font (`tests/it/fonts.rs` says why).
//!
//! Widgets are the accessibility nodes egui makes for everything it lays
//! out, with their rectangles and, from egui's own list of the frame's
//! widgets, their visible parts.

use crate::common;
use crate::common::ui::shell_harness;

use std::collections::HashMap;

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::NodeT;
use memlab::app::MemlabApp;
use memlab::lab_id::LabId;
use memlab_engine::desktop::settings::TextSize;
use memlab_engine::i18n::Lang;

/// Window sizes in pixels: the smallest window, then the issues' (960×540
/// is issue 13's run through every lab in Korean at zoom 1.5).
const SIZES: [[f32; 2]; 6] = [
    memlab_engine::desktop::placement::MIN_INNER,
    [480.0, 360.0],
    [640.0, 480.0],
    [958.0, 516.0],
    [960.0, 540.0],
    [1920.0, 1080.0],
];
const ZOOMS: [f32; 3] = [1.0, 1.5, 2.0];
/// Presenter text sizes, checked at these window sizes (zoom 1).
const TEXT_SIZES: [(TextSize, [f32; 2]); 3] = [
    (TextSize::Large, [480.0, 360.0]),
    (TextSize::Larger, [480.0, 360.0]),
    (TextSize::Larger, [958.0, 516.0]),
];
/// Slack for rounding, in points.
const EPS: f32 = 0.5;

/// Roles of containers, which hold widgets rather than being one, of the
/// text runs inside labels and fields (their widget stands for them), and
/// scroll bars (see rule 3).
fn is_container(role: Role) -> bool {
    matches!(
        role,
        Role::TextRun
            | Role::ScrollBar
            | Role::Window
            | Role::GenericContainer
            | Role::Group
            | Role::ScrollView
            | Role::Pane
            | Role::Unknown
            | Role::Grid
            | Role::Table
            | Role::List
            | Role::Menu
            | Role::MenuBar
            | Role::Toolbar
    )
}

struct Widget {
    role: Role,
    label: String,
    rect: egui::Rect,
    /// The part not clipped away (empty if none is on the screen).
    visible: egui::Rect,
}

fn widgets(h: &Harness<'_, MemlabApp>) -> Vec<Widget> {
    let visible: HashMap<u64, egui::Rect> = h.ctx.viewport(|v| {
        v.prev_pass
            .widgets
            .layers()
            .flat_map(|(_, rects)| rects.iter().map(|w| (w.id.value(), w.interact_rect)))
            .collect()
    });
    h.root()
        .children_recursive()
        .filter(|n| !is_container(n.accesskit_node().role()))
        .map(|n| {
            let node = n.accesskit_node();
            let rect = n.rect();
            Widget {
                role: node.role(),
                label: node.label().or_else(|| node.value()).unwrap_or_default(),
                rect,
                visible: visible
                    .get(&node.locate().0.0)
                    .map_or(rect, |v| v.intersect(rect)),
            }
        })
        .filter(|w| w.rect.width() > 0.0 && w.rect.height() > 0.0)
        .collect()
}

/// What is cut off or drawn over something else, as lines for the report;
/// `top`: the lab is scrolled to its top (the whole window is checked).
fn problems(h: &Harness<'_, MemlabApp>, top: bool) -> Vec<String> {
    let mut found = Vec::new();
    let extent = h.state().content_extent().expect("the shell drew the lab");
    let screen = h.ctx.content_rect();
    let all = widgets(h);
    if top && extent.used.right() > extent.visible.right() + EPS {
        // Name what ends where the content ends, to know what to fix (what
        // scrolls sideways on its own takes only its visible width).
        let mut names: Vec<String> = all
            .iter()
            .filter(|w| (w.rect.right() - extent.used.right()).abs() < 1.0)
            .take(3)
            .map(|w| format!("{:?} {:?}", w.role, w.label))
            .collect();
        if names.is_empty() {
            // Nothing ends exactly there (a painted shape or a frame's
            // margin does): name the widgets that reach furthest right.
            let mut widest: Vec<&Widget> = all.iter().collect();
            widest.sort_by(|a, b| b.rect.right().total_cmp(&a.rect.right()));
            names = widest
                .iter()
                .take(3)
                .map(|w| format!("{:?} {:?} to {:.1}", w.role, w.label, w.rect.right()))
                .collect();
        }
        found.push(format!(
            "the lab's content is {:.0} points wide in {:.0}: it reaches past the right edge ({})",
            extent.used.width(),
            extent.visible.width(),
            names.join(", ")
        ));
    }
    for w in all.iter().filter(|_| top) {
        let in_bar = w.rect.center().y < extent.bar.bottom();
        if in_bar && !screen.expand(EPS).contains_rect(w.rect) {
            found.push(format!(
                "top bar: {:?} {:?} at {:?} is outside the window {:?}",
                w.role, w.label, w.rect, screen
            ));
        }
    }
    found.extend(text_problems(h));
    let shown: Vec<&Widget> = all.iter().filter(|w| w.visible.is_positive()).collect();
    for (i, a) in shown.iter().enumerate() {
        for b in &shown[i + 1..] {
            let overlap = a.visible.intersect(b.visible);
            let nested = a.rect.expand(EPS).contains_rect(b.rect)
                || b.rect.expand(EPS).contains_rect(a.rect);
            if overlap.width() > 1.0 && overlap.height() > 1.0 && !nested {
                found.push(format!(
                    "{:?} {:?} at {:?} overlaps {:?} {:?} at {:?}",
                    a.role, a.label, a.visible, b.role, b.label, b.visible
                ));
            }
        }
    }
    found
}

/// Each font family's first (its own) face, and which fonts have each
/// character.
type Faces = HashMap<egui::FontFamily, (String, HashMap<char, Vec<String>>)>;

/// The fonts that have each character, for the two families, and each
/// family's first (its own) face.
fn faces() -> &'static Faces {
    static FACES: std::sync::OnceLock<Faces> = std::sync::OnceLock::new();
    FACES.get_or_init(|| {
        let ctx = egui::Context::default();
        memlab::fonts::install(&ctx);
        let mut out = ctx.run_ui(Default::default(), |_| {});
        out.textures_delta.clear();
        let definitions = egui::FontDefinitions::default();
        [egui::FontFamily::Proportional, egui::FontFamily::Monospace]
            .into_iter()
            .map(|family| {
                let primary = definitions.families[&family][0].clone();
                let chars = ctx.fonts_mut(|f| {
                    f.characters(&family)
                        .iter()
                        .map(|(c, fonts)| (*c, fonts.clone()))
                        .collect()
                });
                (family, (primary, chars))
            })
            .collect()
    })
}

/// Text too small to read from the back of a room, and symbols drawn by a
/// font other than their family's own face (see `tests/it/fonts.rs`: such a
/// glyph is laid out with the wrong metrics, or is missing): anything not
/// ASCII and not Hangul, which is the Korean font's.
fn text_problems(h: &Harness<'_, MemlabApp>) -> Vec<String> {
    let galleys = common::ui::drawn_galleys(h);
    let hangul = common::ui::is_hangul;
    // Readable from the back row: no text smaller than monospace text, the
    // smaller of the two text styles, at the presenter's text size.
    let smallest = h
        .ctx
        .global_style()
        .text_styles
        .get(&egui::TextStyle::Monospace)
        .map_or(12.0, |f| f.size);
    let mut found = Vec::new();
    for galley in galleys {
        let job = &galley.job;
        for section in &job.sections {
            let size = section.format.font_id.size;
            let text = &job.text[section.byte_range.start.0..section.byte_range.end.0];
            if size < smallest - 0.01 && !text.trim().is_empty() {
                found.push(format!(
                    "{text:?} is drawn at {size} points, under the {smallest} of body text"
                ));
            }
            let Some((primary, chars)) = faces().get(&section.format.font_id.family) else {
                continue;
            };
            let text = &job.text[section.byte_range.start.0..section.byte_range.end.0];
            for c in text.chars().filter(|c| !c.is_ascii() && !hangul(*c)) {
                if !chars.get(&c).is_some_and(|f| f.contains(primary)) {
                    found.push(format!(
                        "{c:?} (U+{:04X}) in {text:?} is not in {primary}",
                        c as u32
                    ));
                }
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

/// Problems at every scroll position of the lab, from top to bottom.
fn problems_scrolling(h: &mut Harness<'_, MemlabApp>) -> Vec<String> {
    let mut found = problems(h, true);
    let extent = h.state().content_extent().expect("drawn");
    let page = (extent.visible.height() * 0.8).max(20.0);
    let end = extent.used.height() - extent.visible.height();
    let mut offset = page;
    while offset < end + page {
        h.state_mut().scroll_lab_to(offset.min(end));
        h.step();
        h.step();
        found.extend(
            problems(h, false)
                .into_iter()
                .map(|p| format!("scrolled to {:.0}: {p}", offset.min(end))),
        );
        offset += page;
    }
    h.state_mut().scroll_lab_to(0.0);
    h.step();
    found
}

/// Everything cut off in `lab` in `lang`, over every window.
fn check_lab(lab: LabId, lang: Lang) -> Vec<String> {
    let mapping = common::unique(&format!("layout-{lab}"));
    let mut app = MemlabApp::with_mapping(&mapping);
    app.select(lab);
    app.set_lang(lang);
    app.demo();
    let mut h = shell_harness(app, [960.0, 600.0], 1.0);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(180);
    while !h.state_mut().settled() {
        assert!(std::time::Instant::now() < deadline, "{lab} did not settle");
        h.step();
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let mut report = Vec::new();
    for size in SIZES {
        for zoom in ZOOMS {
            h = shell_harness(h.into_state(), size, zoom);
            for problem in problems_scrolling(&mut h) {
                report.push(format!("{size:?} at zoom {zoom}: {problem}"));
            }
        }
    }
    for (text_size, size) in TEXT_SIZES {
        let mut app = h.into_state();
        let mut settings = app.settings().clone();
        settings.text_size = text_size;
        app.set_settings(settings);
        h = shell_harness(app, size, 1.0);
        for problem in problems_scrolling(&mut h) {
            report.push(format!("{size:?} with text {text_size:?}: {problem}"));
        }
    }
    h.state_mut().shutdown();
    common::cleanup(&mapping);
    report
        .into_iter()
        .map(|problem| format!("{lab} in {lang:?}, {problem}"))
        .collect()
}

fn check_every_lab(lang: Lang) {
    let report: Vec<String> = memlab::app::lab_ids()
        .into_iter()
        .flat_map(|lab| check_lab(lab, lang))
        .collect();
    assert!(
        report.is_empty(),
        "{} problems:\n{}",
        report.len(),
        report.join("\n")
    );
}

#[test]
fn every_lab_fits_every_window_in_english() {
    check_every_lab(Lang::En);
}

#[test]
fn every_lab_fits_every_window_in_korean() {
    check_every_lab(Lang::Ko);
}

/// The address-space map's table shows rows, not only its header, when the
/// lab is scrolled to its end, in the classroom's windows: the table sits
/// at the end of a lab that scrolls, where no height is left below it.
#[test]
fn the_maps_table_shows_its_rows_in_every_window() {
    let mut report = Vec::new();
    for lang in [Lang::En, Lang::Ko] {
        let mut app = MemlabApp::with_mapping(&common::unique("layout-map-table"));
        app.select(LabId::AddressMap);
        app.set_lang(lang);
        let mut h = shell_harness(app, [960.0, 540.0], 1.0);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while !h.state_mut().settled() {
            assert!(
                std::time::Instant::now() < deadline,
                "the map did not settle"
            );
            h.step();
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        for (size, zoom) in [
            ([960.0, 540.0], 1.0),
            ([960.0, 540.0], 1.5),
            ([960.0, 540.0], 2.0),
            ([958.0, 516.0], 1.0),
            (memlab_engine::desktop::placement::MIN_INNER, 1.0),
            ([1024.0, 768.0], 1.5),
        ] {
            h = shell_harness(h.into_state(), size, zoom);
            let extent = h.state().content_extent().expect("drawn");
            h.state_mut().scroll_lab_to(extent.used.height());
            for _ in 0..3 {
                h.step();
            }
            let area = h.state().content_extent().expect("drawn").visible;
            // The address column: one label per row, "0x" and 12 hex digits.
            let rows = widgets(&h)
                .into_iter()
                .filter(|w| w.label.starts_with("0x") && w.label.len() == 14)
                .filter(|w| area.contains_rect(w.visible) && w.visible.height() > 1.0)
                .count();
            if rows < 5 {
                report.push(format!(
                    "{lang:?} {size:?} at zoom {zoom}: {rows} rows of the table in sight at the lab's end"
                ));
            }
        }
        h.state_mut().shutdown();
    }
    assert!(report.is_empty(), "{}", report.join("\n"));
}
