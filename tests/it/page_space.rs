//! The page lab reads well before its first reservation (egui_kittest, the
//! real shell): with no grid to show, the live costs stand at the lab's left
//! edge, where the grid would be, not beside an empty column as wide as the
//! window; and nothing asks for a click on a grid that is not there. And, in
//! Korean, no lab draws Hangul in monospace (`widgets::layout`'s rule 8).

use crate::common;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use memlab::app::MemlabApp;
use memlab::lab_id::LabId;
use memlab_engine::i18n::Lang;

use common::ui::{shell_harness, wait_until};

/// The classroom's windows in pixels, with their zoom: a quarter of
/// 1920×1080 (the four-up projector), a quarter of 1024×768, the whole
/// 1920×1080 screen at zoom 1, 1.5 and 2.
const WINDOWS: [([f32; 2], f32); 7] = [
    ([958.0, 516.0], 1.0),
    ([958.0, 516.0], 1.5),
    ([500.0, 380.0], 1.0),
    ([500.0, 380.0], 1.5),
    ([1920.0, 1080.0], 1.0),
    ([1920.0, 1080.0], 1.5),
    ([1920.0, 1080.0], 2.0),
];

#[test]
fn with_no_reservation_the_costs_stand_at_the_labs_left_edge() {
    let mut report = Vec::new();
    for lang in [Lang::En, Lang::Ko] {
        let (costs, query) = match lang {
            Lang::En => ("Costs, live", "VirtualQuery of the selected page"),
            Lang::Ko => ("비용 (실시간)", "선택한 페이지의 VirtualQuery"),
        };
        let mapping = common::unique("page-space");
        let mut app = MemlabApp::with_mapping(&mapping);
        app.select(LabId::PageLab);
        app.set_lang(lang);
        let mut h = shell_harness(app, WINDOWS[0].0, WINDOWS[0].1);
        // The worker's first view (the costs) has come.
        wait_until(&mut h, "the page lab's first view", |h| {
            h.query_by_label(costs).is_some()
        });
        for (size, zoom) in WINDOWS {
            h = shell_harness(h.into_state(), size, zoom);
            let lab = h.state().content_extent().expect("drawn").visible;
            let heading = h.get_by_label(costs).rect();
            // The lab's other lines (its heading, the Reserve row) start at
            // its left edge too, after the frame's margin: a few points.
            let strip = heading.left() - lab.left();
            if strip > 12.0 {
                report.push(format!(
                    "{lang:?} {size:?} at zoom {zoom}: an empty strip of {strip:.0} points \
                     left of the costs (at {heading:?} in the lab's {lab:?})"
                ));
            }
            if h.query_by_label(query).is_some() {
                report.push(format!(
                    "{lang:?} {size:?} at zoom {zoom}: {query:?} shows with no page to query"
                ));
            }
        }
        h.state_mut().shutdown();
        common::cleanup(&mapping);
    }
    assert!(report.is_empty(), "{}", report.join("\n"));
}

/// The texts drawn in the last frame in monospace that hold Hangul.
fn hangul_in_monospace(h: &Harness<'_, MemlabApp>) -> Vec<String> {
    let galleys = common::ui::drawn_galleys(h);
    let hangul = common::ui::is_hangul;
    let mut found = Vec::new();
    for galley in galleys {
        let job = &galley.job;
        for section in &job.sections {
            let text = &job.text[section.byte_range.start.0..section.byte_range.end.0];
            if section.format.font_id.family == egui::FontFamily::Monospace
                && text.chars().any(hangul)
            {
                found.push(text.to_owned());
            }
        }
    }
    found
}

/// The costs' and the page's facts' names in Korean are words, drawn in
/// body text: in monospace, Hangul stands between wide monospace spaces
/// ("커밋  양  (시스템)") and the names take the room the values need in a
/// four-up window.
#[test]
fn the_page_labs_korean_names_are_not_in_monospace() {
    let mapping = common::unique("page-space-ko");
    let mut app = MemlabApp::with_mapping(&mapping);
    app.select(LabId::PageLab);
    app.set_lang(Lang::Ko);
    app.demo();
    let mut h = shell_harness(app, [958.0, 1080.0], 1.0);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while !h.state_mut().settled() {
        assert!(
            std::time::Instant::now() < deadline,
            "the page lab did not settle"
        );
        h.step();
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let mut report = Vec::new();
    // Side by side with the grid, and above it (the four-up window).
    for (size, zoom) in [([958.0, 1080.0], 1.0), ([500.0, 1080.0], 1.5)] {
        h = shell_harness(h.into_state(), size, zoom);
        wait_until(&mut h, "the costs and the page's facts", |h| {
            h.query_by_label("잠긴 페이지").is_some() && h.query_by_label("VirtualLock").is_some()
        });
        for text in hangul_in_monospace(&h) {
            report.push(format!("{size:?} at zoom {zoom}: {text:?} in monospace"));
        }
    }
    h.state_mut().shutdown();
    common::cleanup(&mapping);
    assert!(report.is_empty(), "{}", report.join("\n"));
}

/// No lab draws Hangul in monospace in Korean (the teacher's four-up
/// projector: a 500-pixel window at zoom 1.5, tall enough to hold each
/// lab's whole demo): Hangul has no monospace face here, and the wide
/// monospace spaces between its words read as gaps. The file mapping's hex
/// editor is left out: it draws each byte's character under the byte, in
/// cells of one width, and its header over those columns.
#[test]
fn no_lab_draws_hangul_in_monospace() {
    let mut report = Vec::new();
    let labs = memlab::app::lab_ids().into_iter();
    for lab in labs.filter(|&lab| lab != LabId::Filemap) {
        let mapping = common::unique(&format!("page-space-{lab}"));
        let mut app = MemlabApp::with_mapping(&mapping);
        app.select(lab);
        app.set_lang(Lang::Ko);
        app.demo();
        let mut h = shell_harness(app, [500.0, 4000.0], 1.5);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(180);
        while !h.state_mut().settled() {
            assert!(std::time::Instant::now() < deadline, "{lab} did not settle");
            h.step();
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        h = shell_harness(h.into_state(), [500.0, 4000.0], 1.5);
        let mut found = hangul_in_monospace(&h);
        found.sort();
        found.dedup();
        report.extend(found.into_iter().map(|text| format!("{lab}: {text:?}")));
        h.state_mut().shutdown();
        common::cleanup(&mapping);
    }
    assert!(report.is_empty(), "{}", report.join("\n"));
}
