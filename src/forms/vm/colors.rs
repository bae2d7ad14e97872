//! The virtual-memory labs' colours: one per region type of the map, and
//! the page lab's page states in the same colours (a reserved page is the
//! map's "reserved", a committed one its "private data"), so a student sees
//! the same thing in both labs. Mid-tones that read on light and dark
//! backgrounds alike.

use eframe::egui::{self, Color32};

use memlab_engine::vm::maps::RegionType;
use memlab_engine::vm::pages::PageState;

/// The colour of a region type in the map's strip, totals and table.
pub fn region_color(kind: RegionType, ui: &egui::Ui) -> Color32 {
    match kind {
        RegionType::Image => Color32::from_rgb(0x94, 0x67, 0xbd),
        RegionType::MappedFile => Color32::from_rgb(0x1f, 0x77, 0xb4),
        RegionType::Shareable => Color32::from_rgb(0x17, 0xa8, 0xb8),
        RegionType::Heap => Color32::from_rgb(0xe6, 0x6b, 0x00),
        RegionType::Stack => Color32::from_rgb(0x9a, 0x9b, 0x1a),
        RegionType::PrivateData => Color32::from_rgb(0x2c, 0xa0, 0x2c),
        RegionType::Reserved => Color32::from_rgb(0x8c, 0x8c, 0x8c),
        RegionType::Free => free_color(ui),
    }
}

/// Address space nothing uses: the theme's faint background, so it reads as
/// "nothing here" in either theme.
fn free_color(ui: &egui::Ui) -> Color32 {
    ui.visuals().widgets.noninteractive.bg_fill
}

/// The colour of a page state in the page lab's grid and legend.
pub fn page_color(state: PageState, ui: &egui::Ui) -> Color32 {
    match state {
        PageState::Free => free_color(ui),
        PageState::Reserved => region_color(RegionType::Reserved, ui),
        PageState::Committed => region_color(RegionType::PrivateData, ui),
    }
}

/// Marks drawn over a page (protection, resident): the theme's strongest text.
pub fn mark_color(ui: &egui::Ui) -> Color32 {
    ui.visuals().strong_text_color()
}

/// The outline of a locked page.
pub const LOCKED: Color32 = Color32::from_rgb(0xd6, 0x27, 0x28);

/// A reserved page the kernel still counts in the commit charge.
pub const STILL_CHARGED: Color32 = Color32::from_rgb(0xe6, 0xa1, 0x00);

/// A small swatch of `color` before a label, as in a legend.
pub fn swatch(ui: &mut egui::Ui, color: Color32) {
    let size = egui::vec2(12.0, 12.0);
    let (rect, _) = ui.allocate_exact_size(size, egui::Sense::hover());
    ui.painter().rect_filled(rect, 2.0, color);
    ui.painter().rect_stroke(
        rect,
        2.0,
        ui.visuals().widgets.noninteractive.fg_stroke,
        egui::StrokeKind::Inside,
    );
}
