//! Every region of the map, one row each (VMMap's details view): address,
//! size, type, protection, resident, private and locked bytes, and the path
//! or memlab's object. Only the rows in view are laid out (egui_extras'
//! table), so a map of a thousand regions costs no more than a screenful.

use eframe::egui::{self, RichText};
use egui_extras::{Column, TableBuilder};

use super::region_name;
use crate::forms::vm::colors::{region_color, swatch};
use memlab_engine::format::format_bytes;
use memlab_engine::i18n::{Lang, Localized};
use memlab_engine::vm::maps::Region;

/// The table of `rows` (indices into `regions`); `selected` is highlighted
/// and, with `scroll_to`, brought into view. Returns the start of a region
/// clicked.
pub fn regions_table(
    ui: &mut egui::Ui,
    regions: &[Region],
    rows: &[usize],
    selected: Option<u64>,
    scroll_to: bool,
    max_height: f32,
    lang: Lang,
) -> Option<u64> {
    let mut clicked = None;
    let row_height = ui.text_style_height(&egui::TextStyle::Monospace).max(16.0) + 2.0;
    egui::ScrollArea::horizontal()
        .id_salt("address-map-table-h")
        .show(ui, |ui| {
            let mut table = TableBuilder::new(ui)
                .id_salt("address-map-table")
                .striped(true)
                .resizable(true)
                .sense(egui::Sense::click())
                .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
                .column(Column::auto().at_least(120.0))
                .columns(Column::auto().at_least(64.0), 2)
                .column(Column::auto().at_least(40.0))
                .columns(Column::auto().at_least(64.0), 3)
                .column(Column::auto().at_least(160.0))
                // Its rows always get this height: inside the lab's own
                // vertical scroll area the space left below would be none.
                .min_scrolled_height(max_height)
                .max_scroll_height(max_height);
            if scroll_to
                && let Some(row) =
                    selected.and_then(|s| rows.iter().position(|&i| regions[i].start == s))
            {
                table = table.scroll_to_row(row, Some(egui::Align::Center));
            }
            table
                .header(row_height, |mut header| {
                    for head in [
                        lang.pick("Address", "주소"),
                        lang.pick("Size", "크기"),
                        lang.pick("Type", "유형"),
                        lang.pick("Prot.", "보호"),
                        lang.pick("Resident", "RAM"),
                        lang.pick("Private", "전용"),
                        lang.pick("Locked", "잠김"),
                        lang.pick("Path / memlab's object", "경로 / memlab의 객체"),
                    ] {
                        header.col(|ui| {
                            ui.strong(head);
                        });
                    }
                })
                .body(|body| {
                    body.rows(row_height, rows.len(), |mut row| {
                        let r = &regions[rows[row.index()]];
                        row.set_selected(selected == Some(r.start));
                        row.col(|ui| {
                            ui.monospace(format!("{:#014x}", r.start));
                        });
                        row.col(|ui| {
                            ui.monospace(format_bytes(r.size));
                        });
                        row.col(|ui| {
                            swatch(ui, region_color(r.kind, ui));
                            ui.label(r.kind.localized(lang));
                        });
                        row.col(|ui| {
                            ui.monospace(&r.protection);
                        });
                        for bytes in [r.resident, r.private, r.locked] {
                            row.col(|ui| {
                                ui.monospace(format_bytes(bytes));
                            });
                        }
                        row.col(|ui| {
                            let name = region_name(r, lang);
                            let text = if r.owner.is_some() {
                                RichText::new(name).strong()
                            } else {
                                RichText::new(name)
                            };
                            ui.add(egui::Label::new(text).extend());
                        });
                        if row.response().clicked() {
                            clicked = Some(r.start);
                        }
                    });
                });
        });
    clicked
}
