//! The strip: the address space from its lowest to its highest address,
//! each region in its type's colour. On a linear scale memlab is a few
//! slivers in 128 TiB of free space; on the logarithmic scale (the default)
//! each region's width grows with the logarithm of its size, so a 4 KiB
//! guard page and a 1 GiB reservation can both be seen, and the strip wraps
//! onto as many rows as it needs. Hover a region for what it is, click it to
//! find it in the table.

use eframe::egui::{self, Rect, Sense, Stroke, pos2, vec2};
use serde::{Deserialize, Serialize};

use super::region_name;
use crate::forms::vm::colors::region_color;
use memlab_engine::format::format_bytes;
use memlab_engine::i18n::{Lang, Localized};
use memlab_engine::vm::maps::{Region, RegionType, Snapshot};

/// How widths are given to regions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Scale {
    /// Width grows with log2 of the size in pages.
    #[default]
    Log,
    /// Width proportional to the size (at least one pixel per region in use).
    Linear,
}

const ROW_HEIGHT: f32 = 18.0;
const ROW_GAP: f32 = 3.0;
const MAX_ROWS: usize = 6;
/// Points per unit of logarithmic weight the strip aims for.
const POINTS_PER_WEIGHT: f32 = 0.9;

/// A region's weight on the logarithmic scale: 1 for a page, +1 per doubling.
fn log_weight(size: u64, page: u64) -> f32 {
    1.0 + ((size / page).max(1) as f32).log2()
}

/// The rectangles of the regions, relative to the strip's top-left corner,
/// for a strip `width` wide: (rect, index of the region).
pub fn layout(snapshot: &Snapshot, scale: Scale, width: f32, page: u64) -> Vec<(Rect, usize)> {
    let regions = &snapshot.regions;
    match scale {
        Scale::Linear => {
            let low = snapshot.lowest_address as f64;
            let span = (snapshot.highest_address as f64 + 1.0 - low).max(1.0);
            let x = |addr: u64| ((addr as f64 - low) / span * f64::from(width)) as f32;
            regions
                .iter()
                .enumerate()
                .filter(|(_, r)| r.start <= snapshot.highest_address)
                .map(|(i, r)| {
                    let (mut left, mut right) = (x(r.start).clamp(0.0, width), x(r.end()));
                    if r.kind != RegionType::Free {
                        // At least a point wide, and inside the strip.
                        left = left.min(width - 1.0);
                        right = right.max(left + 1.0);
                    }
                    let right = right.clamp(left, width);
                    let rect = Rect::from_min_max(pos2(left, 0.0), pos2(right, ROW_HEIGHT));
                    (rect, i)
                })
                .collect()
        }
        Scale::Log => {
            let weights: Vec<f32> = regions.iter().map(|r| log_weight(r.size, page)).collect();
            let total: f32 = weights.iter().sum();
            let rows = ((total * POINTS_PER_WEIGHT / width).ceil() as usize).clamp(1, MAX_ROWS);
            let per_weight = width * rows as f32 / total.max(1.0);
            let mut out = Vec::with_capacity(regions.len() + rows);
            let (mut row, mut x) = (0usize, 0.0f32);
            for (i, w) in weights.iter().enumerate() {
                let mut left = w * per_weight;
                // A region that does not fit continues on the next row.
                while left > 0.0 && row < rows {
                    let take = left.min(width - x);
                    let top = row as f32 * (ROW_HEIGHT + ROW_GAP);
                    out.push((Rect::from_min_size(pos2(x, top), vec2(take, ROW_HEIGHT)), i));
                    x += take;
                    left -= take;
                    if x >= width - 0.01 {
                        row += 1;
                        x = 0.0;
                    }
                }
            }
            out
        }
    }
}

/// Draws the strip; returns the start of a region clicked.
pub fn strip(
    ui: &mut egui::Ui,
    snapshot: &Snapshot,
    scale: Scale,
    selected: Option<u64>,
    lang: Lang,
) -> Option<u64> {
    let width = ui.available_width().max(40.0);
    let page = region::page::size() as u64;
    let rects = layout(snapshot, scale, width, page);
    let height = rects
        .iter()
        .map(|(r, _)| r.max.y)
        .fold(ROW_HEIGHT, f32::max);
    let (rect, response) = ui.allocate_exact_size(vec2(width, height), Sense::click());
    response.widget_info(|| {
        egui::WidgetInfo::labeled(
            egui::accesskit::Role::Image,
            true,
            lang.pick("Address-space strip", "주소 공간 띠"),
        )
    });
    let painter = ui.painter_at(rect);
    let origin = rect.min.to_vec2();
    if scale == Scale::Linear {
        painter.rect_filled(rect, 0.0, region_color(RegionType::Free, ui));
    }
    for (r, i) in &rects {
        let region = &snapshot.regions[*i];
        if scale == Scale::Linear && region.kind == RegionType::Free {
            continue;
        }
        painter.rect_filled(r.translate(origin), 0.0, region_color(region.kind, ui));
    }
    // The selected region: outlined, and marked below so a sliver shows.
    let outline = Stroke::new(2.0, ui.visuals().selection.stroke.color);
    for (r, i) in &rects {
        if Some(snapshot.regions[*i].start) == selected {
            let r = r.translate(origin);
            painter.rect_stroke(r, 0.0, outline, egui::StrokeKind::Inside);
            let tip = pos2(r.center().x, r.max.y - 5.0);
            painter.add(egui::Shape::convex_polygon(
                vec![tip, tip + vec2(-4.0, 6.0), tip + vec2(4.0, 6.0)],
                outline.color,
                Stroke::NONE,
            ));
        }
    }
    let at = |pos: egui::Pos2| -> Option<&Region> {
        let p = pos - origin;
        // The nearest rectangle within a few points: slivers are thin.
        rects
            .iter()
            .filter(|(r, _)| r.y_range().contains(p.y))
            .map(|(r, i)| ((r.center().x - p.x).abs() - r.width() / 2.0, *i))
            .filter(|(d, _)| *d <= 3.0)
            .min_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, i)| &snapshot.regions[i])
    };
    if let Some(region) = response.hover_pos().and_then(at) {
        let text = format!(
            "{:#x} – {:#x}\n{} · {}\n{}",
            region.start,
            region.end(),
            format_bytes(region.size),
            region.kind.localized(lang),
            region_name(region, lang)
        );
        response.clone().on_hover_ui_at_pointer(|ui| {
            ui.label(text);
        });
    }
    response
        .clicked()
        .then(|| {
            response
                .interact_pointer_pos()
                .and_then(at)
                .map(|r| r.start)
        })
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(sizes: &[(u64, RegionType)]) -> Snapshot {
        let mut start = 0x1000;
        let regions = sizes
            .iter()
            .map(|&(size, kind)| {
                let r = Region::bare(start, size, kind);
                start += size;
                r
            })
            .collect();
        Snapshot {
            pid: 1,
            regions,
            totals: Vec::new(),
            largest_free: 0,
            lowest_address: 0x1000,
            highest_address: start - 1,
            took_us: 0,
        }
    }

    #[test]
    fn the_log_scale_shows_every_region_and_fills_the_rows() {
        let s = snapshot(&[
            (4096, RegionType::Image),
            (1 << 40, RegionType::Free),
            (1 << 30, RegionType::Heap),
            (4096, RegionType::Stack),
        ]);
        let rects = layout(&s, Scale::Log, 200.0, 4096);
        let width_of = |i: usize| -> f32 {
            rects
                .iter()
                .filter(|(_, j)| *j == i)
                .map(|(r, _)| r.width())
                .sum()
        };
        // Weights 1, 29, 19, 1 of 50: the page is visible, the free gap the widest.
        assert!(width_of(0) >= 3.0, "{}", width_of(0));
        assert!(width_of(1) > width_of(2) && width_of(2) > width_of(0));
        let total: f32 = (0..4).map(width_of).sum();
        assert!((total - 200.0).abs() < 0.1, "{total}");
    }

    #[test]
    fn many_regions_wrap_onto_rows() {
        let many: Vec<_> = (0..600)
            .map(|_| (1 << 20, RegionType::PrivateData))
            .collect();
        let rects = layout(&snapshot(&many), Scale::Log, 400.0, 4096);
        let rows = rects
            .iter()
            .map(|(r, _)| (r.min.y / (ROW_HEIGHT + ROW_GAP)) as usize)
            .max()
            .unwrap()
            + 1;
        assert_eq!(rows, MAX_ROWS);
        assert!(rects.iter().all(|(r, _)| r.max.x <= 400.01));
    }

    #[test]
    fn the_linear_scale_keeps_small_regions_a_pixel_wide() {
        let s = snapshot(&[
            (4096, RegionType::Image),
            (1 << 46, RegionType::Free),
            (4096, RegionType::Stack),
        ]);
        let rects = layout(&s, Scale::Linear, 500.0, 4096);
        assert_eq!(rects.len(), 3);
        assert!(rects[0].0.width() >= 1.0 && rects[2].0.width() >= 1.0);
        assert!(rects[1].0.width() > 490.0);
    }
}
