//! What changed in the map: the regions that appeared, vanished or changed
//! shape (size, type, protection, path, owner) between two refreshes. The
//! last such change stays shown while later refreshes find nothing new, so a
//! refresh every second does not wipe out the reservation a student just
//! made; regions whose only change is their use of RAM are counted.

use eframe::egui::{self, RichText};

use super::region_name;
use crate::forms::vm::colors::{region_color, swatch};
use crate::forms::widgets::Level;
use memlab_engine::format::format_bytes;
use memlab_engine::i18n::{Lang, Localized};
use memlab_engine::os::clock::{format_unix_ms, now_unix_ms};
use memlab_engine::vm::maps::{Field, MapDiff, Region};

/// Changes of these fields are a region changing shape (others are RAM use).
const SHAPE: [Field; 5] = [
    Field::Size,
    Field::Type,
    Field::Protection,
    Field::Path,
    Field::Owner,
];

/// A change of shape between two numbered refreshes.
pub struct ShapeChange {
    /// Appeared, vanished, and changed in shape only.
    pub diff: MapDiff,
    /// The refreshes compared (numbered from 1).
    pub between: (u64, u64),
    /// When the second refresh was taken (Unix ms).
    pub at_unix_ms: u64,
}

/// Splits a diff into its change of shape (None if nothing changed shape)
/// and the count of regions that changed only in RAM use.
pub fn split(mut diff: MapDiff, between: (u64, u64)) -> (Option<ShapeChange>, usize) {
    let before = diff.changed.len();
    diff.changed
        .retain(|c| c.fields.iter().any(|f| SHAPE.contains(f)));
    let ram_only = before - diff.changed.len();
    // memlab's own objects first: they are what a student is looking for.
    diff.appeared.sort_by_key(|r| (r.owner.is_none(), r.start));
    diff.vanished.sort_by_key(|r| (r.owner.is_none(), r.start));
    diff.changed
        .sort_by_key(|c| (c.after.owner.is_none(), c.after.start));
    let change = (!diff.is_empty()).then(|| ShapeChange {
        diff,
        between,
        at_unix_ms: now_unix_ms(),
    });
    (change, ram_only)
}

fn line(ui: &mut egui::Ui, mark: &str, level: Level, r: &Region, lang: Lang) -> bool {
    let mut clicked = false;
    ui.horizontal_wrapped(|ui| {
        ui.label(
            RichText::new(mark)
                .monospace()
                .strong()
                .color(level.color(ui)),
        );
        swatch(ui, region_color(r.kind, ui));
        let address = format!("{:#x} {}", r.start, format_bytes(r.size));
        let name = format!("{} {}", r.kind.localized(lang), region_name(r, lang));
        let link = |ui: &mut egui::Ui, text: RichText| {
            ui.add(egui::Label::new(text).sense(egui::Sense::click()))
                .on_hover_text(lang.pick("Show it in the table", "표에서 보기"))
                .clicked()
        };
        clicked |= link(ui, RichText::new(address).monospace());
        clicked |= link(ui, RichText::new(name));
    });
    clicked
}

/// The last change of shape and the RAM-only count of the last refresh;
/// returns the start of a region clicked.
pub fn changes_ui(
    ui: &mut egui::Ui,
    change: Option<&ShapeChange>,
    ram_only: usize,
    refreshes: u64,
    lang: Lang,
) -> Option<u64> {
    let mut clicked = None;
    match change {
        None if refreshes < 2 => {
            ui.weak(lang.pick(
                "Refresh again to see what appeared, vanished or changed since this refresh.",
                "다시 새로 고치면 이번 새로 고침 이후 나타나거나 사라지거나 바뀐 영역을 보여 줍니다.",
            ));
        }
        None => {
            ui.weak(lang.pick(
                "No region appeared, vanished or changed shape since the first refresh.",
                "첫 새로 고침 이후 나타나거나 사라지거나 모양이 바뀐 영역이 없습니다.",
            ));
        }
        Some(c) => {
            let at = format_unix_ms(c.at_unix_ms);
            ui.label(match lang {
                Lang::En => format!(
                    "Between refresh {} and {} (at {at}): {} appeared, {} vanished, {} changed",
                    c.between.0,
                    c.between.1,
                    c.diff.appeared.len(),
                    c.diff.vanished.len(),
                    c.diff.changed.len()
                ),
                Lang::Ko => format!(
                    "새로 고침 {}번과 {}번 사이 ({at}): 나타남 {}, 사라짐 {}, 바뀜 {}",
                    c.between.0,
                    c.between.1,
                    c.diff.appeared.len(),
                    c.diff.vanished.len(),
                    c.diff.changed.len()
                ),
            });
            egui::ScrollArea::vertical()
                .id_salt("address-map-changes")
                .max_height(160.0)
                .auto_shrink([false, true])
                .show(ui, |ui| {
                    for r in &c.diff.appeared {
                        if line(ui, "+", Level::Info, r, lang) {
                            clicked = Some(r.start);
                        }
                    }
                    for r in &c.diff.vanished {
                        if line(ui, "-", Level::Warn, r, lang) {
                            clicked = Some(r.start);
                        }
                    }
                    for change in &c.diff.changed {
                        if line(ui, "~", Level::Info, &change.after, lang) {
                            clicked = Some(change.after.start);
                        }
                    }
                });
        }
    }
    if ram_only > 0 {
        ui.weak(match lang {
            Lang::En => format!("Last refresh: {ram_only} regions changed only in RAM use."),
            Lang::Ko => format!("마지막 새로 고침: {ram_only}개 영역은 RAM 사용량만 바뀌었습니다."),
        });
    }
    clicked
}
