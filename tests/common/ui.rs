//! Helpers for egui_kittest tests: the forms answer from worker threads, so
//! tests step the harness until what they wait for shows, with a deadline.

use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};

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
