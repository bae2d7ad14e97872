//! A heap drawn to scale: one strip per reserved range, the committed part
//! tiled by its busy and free blocks, the rest reserved; a click picks the
//! block under the pointer. Tiny blocks still get a sliver, so a student
//! sees each one.

use eframe::egui::{self, Color32, Rect, Sense, Stroke, StrokeKind, pos2, vec2};

use super::colors;
use memlab_engine::heap::{BlockId, HeapState, WalkKind};
use memlab_engine::i18n::Lang;

/// Height of a strip, in units of body text height.
const HEIGHT: f32 = 1.6;

/// Draws `heap`'s ranges; returns the block clicked, if any.
pub(super) fn heap_strip(
    ui: &mut egui::Ui,
    heap: &HeapState,
    selected: Option<BlockId>,
    damaged: &[BlockId],
    lang: Lang,
) -> Option<BlockId> {
    let mut clicked = None;
    let height = ui.text_style_height(&egui::TextStyle::Body) * HEIGHT;
    for (i, segment) in heap.segments.iter().enumerate() {
        let width = ui.available_width().max(40.0);
        let (rect, response) = ui.allocate_exact_size(vec2(width, height), Sense::click());
        let name = match lang {
            Lang::En => format!("{} strip, range {}", heap.id, i + 1),
            Lang::Ko => format!("힙 {} 띠, 범위 {}", heap.id.0, i + 1),
        };
        response
            .widget_info(|| egui::WidgetInfo::labeled(egui::accesskit::Role::Canvas, true, &name));
        let painter = ui.painter_at(rect);
        painter.rect_filled(rect, 0.0, colors::RESERVED);
        let scale = rect.width() as f64 / segment.reserved.max(1) as f64;
        let x = |offset: u64| rect.left() + (offset as f64 * scale) as f32;
        let entries: Vec<_> = heap
            .walk
            .iter()
            .filter(|e| e.segment == i && e.kind != WalkKind::Uncommitted)
            .collect();
        for e in &entries {
            let start = (e.start() - segment.base) as u64;
            let (l, r) = (x(start), x(start + e.span()));
            let r = r.max(l + 1.0);
            let color = match (e.kind, e.block) {
                (WalkKind::Busy, Some(b)) if damaged.contains(&b) => colors::DAMAGED,
                (WalkKind::Busy, Some(b)) if Some(b) == selected => colors::SELECTED,
                (WalkKind::Busy, _) => colors::BUSY,
                _ => colors::FREE,
            };
            let block = Rect::from_min_max(pos2(l, rect.top()), pos2(r, rect.bottom()));
            painter.rect_filled(block, 0.0, color);
            // A thin line where a block begins, when there is room for it.
            if r - l >= 3.0 {
                painter.vline(l, rect.y_range(), Stroke::new(1.0, colors::gap(ui)));
            }
        }
        // The committed part's end, and the frame.
        let committed = x(segment.committed);
        painter.vline(
            committed,
            rect.y_range(),
            Stroke::new(2.0, ui.visuals().strong_text_color()),
        );
        painter.rect_stroke(
            rect,
            0.0,
            Stroke::new(1.0, ui.visuals().widgets.noninteractive.bg_stroke.color),
            StrokeKind::Inside,
        );
        let hover = format!(
            "{} {:#x}: {} {}, {} {}",
            lang.pick("range at", "범위 주소"),
            segment.base,
            lang.pick("reserved", "예약"),
            memlab_engine::format::format_bytes(segment.reserved),
            lang.pick("committed", "커밋"),
            memlab_engine::format::format_bytes(segment.committed),
        );
        let response = response.on_hover_text(hover);
        if response.clicked()
            && let Some(pos) = response.interact_pointer_pos()
        {
            let offset = ((pos.x - rect.left()) as f64 / scale) as u64;
            clicked = entries
                .iter()
                .filter(|e| e.kind == WalkKind::Busy)
                .find(|e| {
                    let start = (e.start() - segment.base) as u64;
                    // A sliver is at least a point wide: pick it from there too.
                    let end = (start + e.span()).max(start + (1.0 / scale) as u64);
                    (start..end).contains(&offset)
                })
                .and_then(|e| e.block);
        }
    }
    clicked
}

/// The strip's colours and what they mean.
pub(super) fn legend(ui: &mut egui::Ui, lang: Lang) {
    ui.horizontal_wrapped(|ui| {
        for (color, en, ko) in [
            (colors::BUSY, "busy block", "사용 중 블록"),
            (colors::SELECTED, "chosen block", "고른 블록"),
            (colors::DAMAGED, "damaged block", "손상된 블록"),
            (colors::FREE, "free block (committed)", "빈 블록 (커밋됨)"),
            (colors::RESERVED, "reserved, not committed", "예약만 됨"),
        ] {
            swatch(ui, color);
            ui.label(lang.pick(en, ko));
        }
    });
}

fn swatch(ui: &mut egui::Ui, color: Color32) {
    let size = ui.text_style_height(&egui::TextStyle::Body) * 0.8;
    let (rect, _) = ui.allocate_exact_size(vec2(size, size), Sense::hover());
    ui.painter().rect_filled(rect, 2.0, color);
}
