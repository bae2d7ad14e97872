//! The map's totals per type, as VMMap's summary: size, committed,
//! resident (VMMap's working set), private, shared, locked, blocks and the
//! largest block, and a total of everything in use.

use eframe::egui::{self, RichText};

use crate::forms::vm::colors::{region_color, swatch};
use memlab_engine::format::format_bytes;
use memlab_engine::i18n::{Lang, Localized};
use memlab_engine::vm::maps::{RegionType, Snapshot, TypeTotal};

/// A number, right-aligned in a cell as wide as `1023.9 MiB`.
fn number_cell(ui: &mut egui::Ui, text: String) {
    let font = egui::TextStyle::Monospace.resolve(ui.style());
    let width = ui.ctx().fonts_mut(|f| f.glyph_width(&font, '0')) * 10.0;
    let size = egui::vec2(width, ui.spacing().interact_size.y);
    let layout = egui::Layout::right_to_left(egui::Align::Center);
    ui.allocate_ui_with_layout(size, layout, |ui| {
        // The whole width, or the grid would see only the text's.
        ui.set_min_width(width);
        ui.monospace(text);
    });
}

fn row(ui: &mut egui::Ui, t: &TypeTotal) {
    for bytes in [
        t.size,
        t.committed,
        t.resident,
        t.private,
        t.shared,
        t.locked,
    ] {
        number_cell(ui, format_bytes(bytes));
    }
    number_cell(ui, t.blocks.to_string());
    number_cell(ui, format_bytes(t.largest));
    ui.end_row();
}

/// The totals table (scrolls sideways in a narrow window).
pub fn totals(ui: &mut egui::Ui, snapshot: &Snapshot, lang: Lang) {
    egui::ScrollArea::horizontal()
        .id_salt("address-map-totals")
        .show(ui, |ui| {
            egui::Grid::new("address-map-totals-grid")
                .striped(true)
                .num_columns(9)
                .spacing([14.0, 4.0])
                .show(ui, |ui| {
                    for head in [
                        lang.pick("Type", "유형"),
                        lang.pick("Size", "크기"),
                        lang.pick("Committed", "커밋됨"),
                        lang.pick("Resident (WS)", "RAM (작업 집합)"),
                        lang.pick("Private", "전용"),
                        lang.pick("Shared", "공유"),
                        lang.pick("Locked", "잠김"),
                        lang.pick("Blocks", "블록 수"),
                        lang.pick("Largest", "가장 큰 블록"),
                    ] {
                        ui.strong(head);
                    }
                    ui.end_row();
                    let mut used = TypeTotal::empty(RegionType::Free);
                    for t in &snapshot.totals {
                        ui.horizontal(|ui| {
                            swatch(ui, region_color(t.kind, ui));
                            ui.label(t.kind.localized(lang));
                        });
                        row(ui, t);
                        if t.kind != RegionType::Free {
                            used.size += t.size;
                            used.committed += t.committed;
                            used.resident += t.resident;
                            used.private += t.private;
                            used.shared += t.shared;
                            used.locked += t.locked;
                            used.blocks += t.blocks;
                            used.largest = used.largest.max(t.largest);
                        }
                    }
                    ui.label(RichText::new(lang.pick("Total in use", "사용 중 합계")).strong());
                    row(ui, &used);
                });
        });
    ui.label(format!(
        "{} {} · {} {:#x} – {:#x}",
        lang.pick("Largest free block:", "가장 큰 빈 블록:"),
        format_bytes(snapshot.largest_free),
        lang.pick("user space", "사용자 공간"),
        snapshot.lowest_address,
        snapshot.highest_address
    ));
}
