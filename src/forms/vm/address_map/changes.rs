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
    ui.horizontal(|ui| {
        ui.label(
            RichText::new(mark)
                .monospace()
                .strong()
                .color(level.color(ui)),
        );
        swatch(ui, region_color(r.kind, ui));
        // One label that wraps in what is left of the row: a path has no
        // spaces, and separate labels in a wrapping row were laid out past
        // the lab's right edge (egui placed a wrapped one left of its row).
        let mut job = egui::text::LayoutJob::default();
        let style = ui.style();
        RichText::new(format!("{:#x} {}", r.start, format_bytes(r.size)))
            .monospace()
            .append_to(
                &mut job,
                style,
                egui::FontSelection::Default,
                egui::Align::Center,
            );
        RichText::new(format!(
            "  {} {}",
            r.kind.localized(lang),
            region_name(r, lang)
        ))
        .append_to(
            &mut job,
            style,
            egui::FontSelection::Default,
            egui::Align::Center,
        );
        ui.add(egui::Label::new(job).wrap().sense(egui::Sense::click()))
            .on_hover_text(lang.pick("Show it in the table", "표에서 보기"))
            .clicked()
    })
    .inner
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

#[cfg(test)]
mod tests {
    use super::*;
    use memlab_engine::vm::maps::RegionType;

    /// The widgets of the last pass that lie (partly) outside `x` points,
    /// but for those that hold the whole of `lab` (the root's).
    fn outside(
        ctx: &egui::Context,
        x: std::ops::RangeInclusive<f32>,
        lab: egui::Rect,
    ) -> Vec<egui::Rect> {
        ctx.viewport(|v| {
            v.prev_pass
                .widgets
                .layers()
                .flat_map(|(_, ws)| ws.iter().map(|w| w.rect))
                .filter(|r| !r.contains_rect(lab))
                .filter(|r| r.left() < x.start() - 0.5 || r.right() > x.end() + 0.5)
                .collect()
        })
    }

    /// A long list of changes, paths with no spaces among them, stays
    /// inside a narrow lab: each line wraps in its own width. (Separate
    /// labels in a wrapping row were laid out past the right edge, and a
    /// wrapped one left of its row: the layout test caught it in CI, where
    /// other regions appeared between the demo's refreshes.)
    #[test]
    fn many_changes_with_long_paths_stay_inside_a_narrow_lab() {
        let appeared: Vec<Region> = (0..14u64)
            .map(|i| {
                let kind = [RegionType::MappedFile, RegionType::Image, RegionType::Stack];
                let mut r = Region::bare(0x7f00_0000_0000 + i * 0x1_0000, (i + 1) << 12, kind[i as usize % 3]);
                if i % 2 == 0 {
                    r.path = format!(
                        "/home/runner/work/memlab/memlab/target/debug/deps/it-{i:016x}-a-name-without-spaces.so"
                    );
                }
                r
            })
            .collect();
        let change = ShapeChange {
            diff: MapDiff {
                appeared: appeared.clone(),
                vanished: appeared[..3].to_vec(),
                changed: Vec::new(),
            },
            between: (1, 2),
            at_unix_ms: 0,
        };
        for lang in [Lang::En, Lang::Ko] {
            for width in [198.0, 278.0, 438.0, 731.0] {
                let ctx = egui::Context::default();
                crate::fonts::install(&ctx);
                let input = egui::RawInput {
                    screen_rect: Some(egui::Rect::from_min_size(
                        egui::Pos2::ZERO,
                        egui::vec2(width + 200.0, 2000.0),
                    )),
                    ..Default::default()
                };
                let mut lab = egui::Rect::NOTHING;
                // A few passes: the scroll area learns its content's size.
                for _ in 0..4 {
                    let mut out = ctx.run_ui(input.clone(), |ui| {
                        let rect = egui::Rect::from_min_size(
                            egui::pos2(100.0, 0.0),
                            egui::vec2(width, 2000.0),
                        );
                        ui.scope_builder(egui::UiBuilder::new().max_rect(rect), |ui| {
                            changes_ui(ui, Some(&change), 3, 2, lang);
                            lab = ui.min_rect();
                        });
                    });
                    out.textures_delta.clear();
                }
                let x = 100.0..=100.0 + width;
                let cut = outside(&ctx, x.clone(), lab);
                assert!(
                    cut.is_empty()
                        && lab.left() >= *x.start() - 0.5
                        && lab.right() <= *x.end() + 0.5,
                    "{lang:?} at {width} points: the changes take {lab:?}; widgets outside: {cut:?}"
                );
            }
        }
    }
}
