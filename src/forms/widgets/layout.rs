//! The layout rule every lab follows, so that it reads on a projector and in
//! a quarter of a small screen alike: from the smallest window (480×340
//! pixels, which is 240×170 points at zoom 2) up, at zoom 1 to 2, in
//! English and Korean. `tests/it/layout.rs` checks every lab of the shell
//! against it, so a lab added to the shell's list is checked too.
//!
//! 1. **Nothing reaches past the right edge of the lab's area.** The shell
//!    scrolls the lab vertically, never horizontally. Rows of controls are
//!    `ui.horizontal_wrapped` (they wrap; `add_space` in such a row does
//!    not, so leave it out), text wraps, a text field is [`field_width`]
//!    wide, a heading or a collapsing header is short (it does not wrap).
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
//! 7. **A label stays with its field**: in a wrapping row the label goes
//!    through [`label_for`], which starts a new row rather than leave the
//!    label at the end of one and its field at the start of the next.
//! 8. **No Hangul in monospace**: a value that is code (an address, a name,
//!    a count) goes through [`code`], which keeps text with Korean words in
//!    body text (`tests/it/page_space.rs` checks every lab).

use eframe::egui::{self, RichText};

/// Text that is code (an address, an object's name, a count) in monospace,
/// unless it holds words that are not ASCII: Hangul has no monospace face
/// here, and the wide monospace spaces between its words read as gaps.
pub fn code(text: impl Into<String>) -> RichText {
    let text = text.into();
    if text.is_ascii() {
        RichText::new(text).monospace()
    } else {
        RichText::new(text)
    }
}

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

/// Enough of a field's width to show a few words.
const FEW_WORDS: f32 = 120.0;

/// The width for a field that would like `wanted` points: what is left of
/// the row if that is enough for a few words, else as much of a row as it
/// wants (a wrapping row then starts a new line for it).
pub fn field_width(ui: &egui::Ui, wanted: f32) -> f32 {
    // The field's frame adds its margins to the width asked for.
    let margins = 2.0 * ui.spacing().button_padding.x;
    let rest = ui.available_size_before_wrap().x - margins;
    let row = ui.available_width() - margins;
    if rest >= wanted.min(FEW_WORDS) {
        wanted.min(rest)
    } else {
        wanted.min(row)
    }
    .max(24.0)
}

/// How wide `text` is on one line in `style`.
pub fn text_width(ui: &egui::Ui, text: &str, style: egui::TextStyle) -> f32 {
    egui::WidgetText::from(text)
        .into_galley(ui, Some(egui::TextWrapMode::Extend), f32::INFINITY, style)
        .size()
        .x
}

/// In a wrapping row, the label of a field `field` points wide (its frame
/// included): the two start a new row together when they do not fit in
/// what is left of this one.
pub fn label_for(ui: &mut egui::Ui, text: &str, field: f32) -> egui::Response {
    let label = text_width(ui, text, egui::TextStyle::Body);
    let needed = label + ui.spacing().item_spacing.x + field;
    let row_started = ui.cursor().min.x > ui.max_rect().min.x + 0.5;
    if row_started && ui.available_size_before_wrap().x < needed {
        ui.end_row();
    }
    ui.label(text)
}

/// A labelled one-line text field in a wrapping row: the label kept with
/// the field ([`label_for`]), the field [`field_width`] wide.
pub fn text_field(
    ui: &mut egui::Ui,
    label: &str,
    text: &mut String,
    wanted: f32,
) -> egui::Response {
    let margins = 2.0 * ui.spacing().button_padding.x;
    let label = label_for(ui, label, wanted.min(FEW_WORDS) + margins);
    let width = field_width(ui, wanted);
    ui.add(egui::TextEdit::singleline(text).desired_width(width))
        .labelled_by(label.id)
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
    // Each side is a column of its own, where text wraps.
    let column = egui::Layout::top_down(egui::Align::Min);
    ui.horizontal_top(|ui| {
        ui.allocate_ui_with_layout(egui::vec2(left_width, 0.0), column, |ui| {
            ui.set_max_width(left_width);
            left(ui);
        });
        ui.add_space(gap - ui.spacing().item_spacing.x);
        ui.allocate_ui_with_layout(egui::vec2(right_width, 0.0), column, |ui| {
            ui.set_max_width(right_width);
            right(ui);
        });
    });
}

/// Shows `variants[shown]` in weak text, in as much height as the tallest
/// variant needs at this width, so that what follows stays put when the
/// choice changes.
pub fn steady_text(
    ui: &mut egui::Ui,
    variants: &[impl AsRef<str>],
    shown: usize,
) -> egui::Response {
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
    let tallest = variants
        .iter()
        .map(|v| height_of(v.as_ref()))
        .fold(0.0, f32::max);
    let text = variants.get(shown).map(AsRef::as_ref).unwrap_or_default();
    let response = ui.add(egui::Label::new(RichText::new(text).weak()).wrap());
    let missing = tallest - response.rect.height();
    if missing > 0.0 {
        ui.add_space(missing);
    }
    response
}

/// A table of facts, one `(key, value)` a row: two columns when there is
/// room, each key above its value when the width is short. Values wrap
/// (long paths too).
pub fn facts(ui: &mut egui::Ui, id_salt: &str, rows: Vec<(&str, RichText)>) {
    const TWO_COLUMNS: f32 = 420.0;
    if ui.available_width() < TWO_COLUMNS {
        for (key, value) in rows {
            ui.label(RichText::new(key).strong());
            ui.add(egui::Label::new(value).wrap());
            ui.add_space(2.0);
        }
        return;
    }
    egui::Grid::new(id_salt)
        .num_columns(2)
        .striped(true)
        .show(ui, |ui| {
            for (key, value) in rows {
                ui.label(key);
                ui.add(egui::Label::new(value).wrap());
                ui.end_row();
            }
        });
}
