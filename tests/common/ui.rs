//! Helpers for egui_kittest tests: one set-up of a lab in a harness, and
//! the forms answer from worker threads, so tests step the harness until
//! what they wait for shows, with a deadline.

use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use memlab::forms::Lab;
use memlab_engine::i18n::Lang;

/// A lab alone in a vertical scroll area of `size` points, in `lang`, with
/// memlab's fonts (the bundled Korean one too), as the window shows it.
pub fn lab_harness<L: Lab + 'static>(lab: L, lang: Lang, size: [f32; 2]) -> Harness<'static, L> {
    lab_harness_zoomed(lab, lang, size, 1.0)
}

/// [`lab_harness`] at `zoom` (pixels per point; 1.0 is egui_kittest's default).
pub fn lab_harness_zoomed<L: Lab + 'static>(
    lab: L,
    lang: Lang,
    size: [f32; 2],
    zoom: f32,
) -> Harness<'static, L> {
    Harness::builder()
        .with_size(size)
        .with_pixels_per_point(zoom)
        .with_context_setup(memlab::fonts::install)
        .build_ui_state(
            move |ui, lab: &mut L| {
                egui::ScrollArea::vertical().show(ui, |ui| lab.ui(ui, lang));
            },
            lab,
        )
}

/// Clicks the widget labelled `label` and steps twice: once for the click,
/// once for what the form drew from it.
pub fn click<S>(h: &mut Harness<'_, S>, label: &str) {
    h.get_by_label(label).click();
    h.step();
    h.step();
}

/// Replaces a number field's content by typing, then leaves it with Enter.
pub fn type_number<S>(h: &mut Harness<'_, S>, label: &str, text: &str) {
    type_into(h, label, text);
    h.key_press(egui::Key::Enter);
    h.step();
    h.step();
}

/// Steps until `done` holds, failing after `secs` seconds.
pub fn wait_until_for<S>(
    harness: &mut Harness<'_, S>,
    what: &str,
    secs: u64,
    done: impl Fn(&Harness<'_, S>) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        harness.step();
        if done(harness) {
            return;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Steps until `done` holds, failing after a minute: a deadline for a
/// hang, far beyond what a loaded machine takes (a form's worker answers in
/// milliseconds when the machine is idle).
pub fn wait_until<S>(
    harness: &mut Harness<'_, S>,
    what: &str,
    done: impl Fn(&Harness<'_, S>) -> bool,
) {
    wait_until_for(harness, what, 60, done);
}

/// Every text shown (values, else labels), for the message of a wait that
/// timed out.
pub fn shown_texts<S>(harness: &Harness<'_, S>) -> Vec<String> {
    harness
        .root()
        .children_recursive()
        .filter_map(|n| n.accesskit_node().value().or(n.accesskit_node().label()))
        .collect()
}

/// The value (the text) of the field labelled `label`; empty if it has none.
pub fn text_of<S>(harness: &Harness<'_, S>, label: &str) -> String {
    harness.get_by_label(label).value().unwrap_or_default()
}

/// The first text shown (a value, else a label) that contains `part`.
pub fn text_containing<S>(harness: &Harness<'_, S>, part: &str) -> String {
    harness
        .query_all_by_label_contains(part)
        .next()
        .and_then(|n| n.accesskit_node().value().or(n.accesskit_node().label()))
        .unwrap_or_default()
}

/// True if some node's label contains `part`.
pub fn shows<S>(harness: &Harness<'_, S>, part: &str) -> bool {
    harness.query_all_by_label_contains(part).next().is_some()
}

/// Replaces the labelled field's content by typing, as a user would.
pub fn type_into<S>(harness: &mut Harness<'_, S>, label: &str, text: &str) {
    harness.get_by_label(label).focus();
    harness.step();
    harness.key_combination_modifiers(egui::Modifiers::COMMAND, &[egui::Key::A]);
    harness.get_by_label(label).type_text(text);
    harness.step();
}

/// Every text drawn in the harness's last frame, as laid out.
pub fn drawn_galleys<S>(harness: &Harness<'_, S>) -> Vec<std::sync::Arc<egui::Galley>> {
    fn texts(shape: &egui::Shape, out: &mut Vec<std::sync::Arc<egui::Galley>>) {
        match shape {
            egui::Shape::Vec(shapes) => shapes.iter().for_each(|s| texts(s, out)),
            egui::Shape::Text(t) => out.push(t.galley.clone()),
            _ => {}
        }
    }
    let mut galleys = Vec::new();
    for clipped in &harness.output().shapes {
        texts(&clipped.shape, &mut galleys);
    }
    galleys
}

/// Hangul syllables and jamo: the bundled Korean font's own characters.
pub fn is_hangul(c: char) -> bool {
    matches!(c, '\u{AC00}'..='\u{D7A3}' | '\u{1100}'..='\u{11FF}' | '\u{3130}'..='\u{318F}')
}

/// The whole shell in a window of `size` pixels at `zoom` (a zoomed window
/// is fewer points wide), with memlab's fonts, drawn until its layout
/// settles. The harness's clock does not run, so animations are off (no
/// scroll bar would ever take its room).
pub fn shell_harness(
    app: memlab::app::MemlabApp,
    size: [f32; 2],
    zoom: f32,
) -> Harness<'static, memlab::app::MemlabApp> {
    let mut h = Harness::builder()
        .with_size([size[0] / zoom, size[1] / zoom])
        .with_pixels_per_point(zoom)
        .with_context_setup(|ctx| {
            memlab::fonts::install(ctx);
            ctx.all_styles_mut(|style| style.animation_time = 0.0);
        })
        .build_ui_state(|ui, app: &mut memlab::app::MemlabApp| app.shell_ui(ui), app);
    for _ in 0..6 {
        h.step();
    }
    h
}
