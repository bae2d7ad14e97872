//! The layout rule every lab follows, so that it reads on a projector and in
//! a quarter of a small screen alike: from the smallest window (480×340
//! pixels, which is 240×170 points at zoom 2) up, at zoom 1 to 2, in
//! English and Korean. `tests/layout.rs` checks every lab of the shell
//! against it, so a lab added to the shell's list is checked too.
//!
//! 1. **Nothing reaches past the right edge of the lab's area.** The shell
//!    scrolls the lab vertically, never horizontally. Rows of controls are
//!    `ui.horizontal_wrapped` (they wrap), text wraps, a text field is
//!    [`field_width`] wide.
//! 2. **What cannot wrap scrolls sideways on its own**: tables and dumps go
//!    in [`wide`], which takes the lab's width and scrolls its content.
//! 3. **Side by side only when there is room**: [`side_by_side`] stacks
//!    the two parts when the width is short.
//! 4. **Plots take the width they are given** (`ui.available_width()`,
//!    egui_plot's default), never a fixed width.
//! 5. **No two widgets overlap.**
//! 6. **No control moves when an option changes**: a text that depends on
//!    a choice goes through [`steady_text`], which keeps the room of its
//!    tallest variant.

use eframe::egui::{self, RichText};

/// Content that may be wider than the lab (a table, a hex dump): it
/// scrolls horizontally inside the lab's width.
pub fn wide<R>(
    ui: &mut egui::Ui,
    id_salt: impl std::hash::Hash + std::fmt::Debug,
    add_contents: impl FnOnce(&mut egui::Ui) -> R,
) -> R {
    egui::ScrollArea::horizontal()
        .id_salt(id_salt)
        .auto_shrink([true, true])
        .show(ui, add_contents)
        .inner
}

/// The width for a field that would like `wanted` points: no more than the
/// row has left (and at least a few characters).
pub fn field_width(ui: &egui::Ui, wanted: f32) -> f32 {
    wanted.min(ui.available_width()).max(48.0)
}

/// `left` and `right` side by side when each gets at least `min_width`
/// points (`left_share` of the width goes left), one above the other
/// otherwise.
pub fn side_by_side(
    ui: &mut egui::Ui,
    min_width: f32,
    left_share: f32,
    left: impl FnOnce(&mut egui::Ui),
    right: impl FnOnce(&mut egui::Ui),
) {
    let width = ui.available_width();
    let gap = ui.spacing().item_spacing.x * 2.0;
    let left_width = ((width - gap) * left_share).floor();
    let right_width = (width - gap - left_width).floor();
    if left_width.min(right_width) < min_width {
        ui.vertical(|ui| {
            left(ui);
            right(ui);
        });
        return;
    }
    ui.horizontal_top(|ui| {
        ui.allocate_ui(egui::vec2(left_width, 0.0), |ui| {
            ui.set_max_width(left_width);
            left(ui);
        });
        ui.add_space(gap - ui.spacing().item_spacing.x);
        ui.allocate_ui(egui::vec2(right_width, 0.0), |ui| {
            ui.set_max_width(right_width);
            right(ui);
        });
    });
}

/// Shows `variants[shown]` in weak text, in as much height as the tallest
/// variant needs at this width, so that what follows stays put when the
/// choice changes.
pub fn steady_text(ui: &mut egui::Ui, variants: &[&str], shown: usize) -> egui::Response {
    let width = ui.available_width();
    let height_of = |text: &str| {
        egui::WidgetText::from(RichText::new(text).weak())
            .into_galley(
                ui,
                Some(egui::TextWrapMode::Wrap),
                width,
                egui::TextStyle::Body,
            )
            .size()
            .y
    };
    let tallest = variants.iter().map(|v| height_of(v)).fold(0.0, f32::max);
    let text = variants.get(shown).copied().unwrap_or_default();
    let response = ui.add(egui::Label::new(RichText::new(text).weak()).wrap());
    let missing = tallest - response.rect.height();
    if missing > 0.0 {
        ui.add_space(missing);
    }
    response
}
