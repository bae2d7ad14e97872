//! The page grid: one cell per page of a reservation, coloured by state
//! (free / reserved / committed), marked for protection (read-only: a
//! slash, no access: a cross), locked (a red outline), resident in RAM (a
//! dot) and reserved-but-still-charged (an amber band). Rows hold a power of
//! two of pages, as many as the width allows (half as many, in cells twice
//! as wide, when the cells would be small and a short grid has the room),
//! so a row starts on a round page number.
//!
//! Only the rows in view are drawn: a reservation of 65536 pages is a tall
//! scroll area whose visible part is a few thousand cells (see
//! `benches/vm_form.rs` for the time per frame).

use std::ops::Range;

use eframe::egui::{self, Color32, Pos2, Rect, Stroke, Vec2, pos2, vec2};

use super::worker::ReservationView;
use crate::forms::vm::colors::{LOCKED, STILL_CHARGED, mark_color, page_color};
use memlab_engine::i18n::{Lang, Localized};
use memlab_engine::vm::pages::{Page, PageState, Protection};

/// Cells are at least this wide while there are 8 per row or more...
const MIN_CELL: f32 = 9.0;
/// ...and at most this wide, however wide the window.
const MAX_CELL: f32 = 22.0;
/// Pages per row, at most.
const MAX_COLS: usize = 128;
/// Row numbers are drawn from this width up.
const GUTTER_FROM_WIDTH: f32 = 300.0;

/// Where the cells go in a grid of a given width.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Geometry {
    /// Pages per row: a power of two from 8 to 128.
    pub cols: usize,
    /// A cell's side, in points.
    pub cell: f32,
    /// Width left of the cells for the row numbers.
    pub gutter: f32,
    pub rows: usize,
}

impl Geometry {
    /// The layout of `pages` cells in `width` points, after `gutter`: as
    /// many pages a row as the width allows, but cells that would be less
    /// than half of [`MAX_CELL`] take half as many a row, twice as wide,
    /// while the grid stays within `max_height` (a reservation of a few thin
    /// rows in a wide window, read from the back of a room; beside the grid,
    /// the costs and the page's facts are about as tall).
    pub fn new(width: f32, pages: usize, gutter: f32, max_height: f32) -> Self {
        let usable = (width - gutter).max(1.0);
        let mut cols = 8;
        while cols < MAX_COLS && (cols * 2) as f32 * MIN_CELL <= usable {
            cols *= 2;
        }
        let cell_for = |cols: usize| (usable / cols as f32).min(MAX_CELL).floor().max(2.0);
        while cols > 8
            && usable / (cols / 2) as f32 <= MAX_CELL
            && pages.div_ceil(cols / 2) as f32 * cell_for(cols / 2) <= max_height
        {
            cols /= 2;
        }
        let cell = cell_for(cols);
        Self {
            cols,
            cell,
            gutter,
            rows: pages.div_ceil(cols),
        }
    }

    pub fn height(&self) -> f32 {
        self.rows as f32 * self.cell
    }

    /// The cell of `page`, relative to the grid's top-left corner.
    pub fn cell_rect(&self, page: usize) -> Rect {
        let (row, col) = (page / self.cols, page % self.cols);
        Rect::from_min_size(
            pos2(self.gutter + col as f32 * self.cell, row as f32 * self.cell),
            Vec2::splat(self.cell),
        )
    }

    /// The page under a point relative to the grid's top-left corner.
    pub fn page_at(&self, at: Vec2, pages: usize) -> Option<usize> {
        if at.x < self.gutter || at.y < 0.0 {
            return None;
        }
        let col = ((at.x - self.gutter) / self.cell) as usize;
        let row = (at.y / self.cell) as usize;
        let page = row * self.cols + col;
        (col < self.cols && page < pages).then_some(page)
    }
}

/// Colours of one frame (from the theme).
pub struct Palette {
    free: Color32,
    reserved: Color32,
    committed: Color32,
    mark: Color32,
    /// The edge of a free page, whose fill is the background's.
    edge: Stroke,
}

impl Palette {
    pub fn new(ui: &egui::Ui) -> Self {
        Self {
            free: page_color(PageState::Free, ui),
            reserved: page_color(PageState::Reserved, ui),
            committed: page_color(PageState::Committed, ui),
            mark: mark_color(ui),
            edge: ui.visuals().widgets.noninteractive.bg_stroke,
        }
    }
}

/// Draws one page in `rect` (the grid and its legend alike).
pub fn paint_cell(
    painter: &egui::Painter,
    rect: Rect,
    page: Page,
    resident: bool,
    charged: bool,
    palette: &Palette,
) {
    let side = rect.width();
    let r = if side >= 7.0 { rect.shrink(0.5) } else { rect };
    let fill = match page.state {
        PageState::Free => palette.free,
        PageState::Reserved => palette.reserved,
        PageState::Committed => palette.committed,
    };
    painter.rect_filled(r, 0.0, fill);
    if page.state == PageState::Free {
        painter.rect_stroke(r, 0.0, palette.edge, egui::StrokeKind::Inside);
    }
    if page.state == PageState::Reserved && charged {
        let band = Rect::from_min_size(r.min, vec2(r.width(), (r.height() * 0.35).max(1.0)));
        painter.rect_filled(band, 0.0, STILL_CHARGED);
    }
    let inner = r.shrink(side * 0.18);
    let mark = Stroke::new((side * 0.12).clamp(1.0, 2.0), palette.mark);
    if page.state == PageState::Committed {
        match page.protection {
            Protection::ReadWrite => {}
            Protection::ReadOnly => {
                painter.line_segment([inner.left_bottom(), inner.right_top()], mark);
            }
            Protection::NoAccess => {
                painter.line_segment([inner.left_bottom(), inner.right_top()], mark);
                painter.line_segment([inner.left_top(), inner.right_bottom()], mark);
            }
        }
    }
    if page.locked {
        let width = (side * 0.16).clamp(1.0, 2.5);
        painter.rect_stroke(r, 0.0, Stroke::new(width, LOCKED), egui::StrokeKind::Inside);
    }
    if resident {
        let c = r.right_bottom() - Vec2::splat(side * 0.24);
        painter.circle_filled(c, (side * 0.13).max(1.0), palette.mark);
    }
}

/// A page in words, for the tooltip: "page 12: committed, read-only, locked, in RAM".
pub fn page_words(number: usize, page: Page, resident: bool, charged: bool, lang: Lang) -> String {
    let mut parts = vec![page.state.localized(lang)];
    if page.state == PageState::Committed {
        parts.push(page.protection.localized(lang));
    }
    if page.locked {
        parts.push(lang.pick("locked", "잠김").into());
    }
    if page.state == PageState::Reserved && charged {
        parts.push(
            lang.pick("still in the commit charge", "아직 커밋 양에 포함")
                .into(),
        );
    }
    parts.push(
        if resident {
            lang.pick("in RAM", "RAM에 있음")
        } else {
            lang.pick("not in RAM", "RAM에 없음")
        }
        .into(),
    );
    match lang {
        Lang::En => format!("page {number}: {}", parts.join(", ")),
        Lang::Ko => format!("{number}번 페이지: {}", parts.join(", ")),
    }
}

/// The grid of one reservation, in a scroll area at most `max_height` tall.
/// A click picks a page (shift-click extends from the last one picked), a
/// drag picks a range; the new selection is returned.
pub fn page_grid(
    ui: &mut egui::Ui,
    view: &ReservationView,
    selection: &Range<usize>,
    anchor: &mut Option<usize>,
    max_height: f32,
    lang: Lang,
) -> Option<Range<usize>> {
    let n = view.pages.len();
    let width = ui.available_width();
    // Row numbers in monospace text, which grows with the presenter's text size.
    let label_font = egui::TextStyle::Monospace.resolve(ui.style());
    let gutter = if width >= GUTTER_FROM_WIDTH {
        let digit = ui.ctx().fonts_mut(|f| f.glyph_width(&label_font, '0'));
        digit * 5.0 + 6.0
    } else {
        0.0
    };
    let mut geo = Geometry::new(width, n, gutter, max_height);
    if geo.height() > max_height {
        // The scroll bar takes its room from the cells' width.
        let bar = ui.spacing().scroll.allocated_width();
        geo = Geometry::new(width - bar, n, gutter, max_height);
    }
    let palette = Palette::new(ui);
    let weak = ui.visuals().weak_text_color();
    let select_stroke = Stroke::new(2.0, ui.visuals().selection.stroke.color);
    let mut picked = None;
    egui::ScrollArea::vertical()
        .id_salt(("page-grid", view.id.0))
        .max_height(max_height)
        // The grid's own height, whatever the layout around it offers.
        .min_scrolled_height(geo.height().min(max_height))
        .auto_shrink([false, true])
        .show_viewport(ui, |ui, viewport| {
            let size = vec2(geo.gutter + geo.cols as f32 * geo.cell, geo.height());
            let (rect, response) = ui.allocate_exact_size(size, egui::Sense::click_and_drag());
            response.widget_info(|| {
                egui::WidgetInfo::labeled(
                    egui::accesskit::Role::Grid,
                    true,
                    lang.pick("Page grid", "페이지 격자"),
                )
            });
            let painter = ui.painter_at(rect);
            let first_row = (viewport.min.y / geo.cell).floor().max(0.0) as usize;
            let last_row = ((viewport.max.y / geo.cell).ceil() as usize).min(geo.rows);
            let label_every = ((label_font.size * 1.4 / geo.cell).ceil() as usize).max(1);
            for row in first_row..last_row {
                let first = row * geo.cols;
                if geo.gutter > 0.0 && row % label_every == 0 {
                    painter.text(
                        rect.min + vec2(geo.gutter - 4.0, (row as f32 + 0.5) * geo.cell),
                        egui::Align2::RIGHT_CENTER,
                        first.to_string(),
                        label_font.clone(),
                        weak,
                    );
                }
                for page in first..(first + geo.cols).min(n) {
                    let cell = geo.cell_rect(page).translate(rect.min.to_vec2());
                    paint_cell(
                        &painter,
                        cell,
                        view.pages[page],
                        view.resident[page],
                        view.charged[page],
                        &palette,
                    );
                }
                // The selection, one outline per row it crosses.
                let row_pages = first..(first + geo.cols).min(n);
                let start = selection.start.max(row_pages.start);
                let end = selection.end.min(row_pages.end);
                if start < end {
                    let outline = geo
                        .cell_rect(start)
                        .union(geo.cell_rect(end - 1))
                        .translate(rect.min.to_vec2());
                    painter.rect_stroke(outline, 1.0, select_stroke, egui::StrokeKind::Inside);
                }
            }
            let page_at = |pos: Pos2| geo.page_at(pos - rect.min, n);
            if let Some(page) = response.hover_pos().and_then(page_at) {
                let words = page_words(
                    page,
                    view.pages[page],
                    view.resident[page],
                    view.charged[page],
                    lang,
                );
                response.clone().on_hover_ui_at_pointer(|ui| {
                    ui.label(words);
                });
            }
            let pointer = response.interact_pointer_pos().and_then(page_at);
            if response.drag_started() {
                // Where the button went down, not where the drag was noticed.
                *anchor = ui.input(|i| i.pointer.press_origin()).and_then(page_at);
            }
            if response.clicked()
                && let Some(page) = pointer
            {
                let shift = ui.input(|i| i.modifiers.shift);
                let from = match *anchor {
                    Some(a) if shift => a,
                    _ => page,
                };
                *anchor = Some(from);
                picked = Some(from.min(page)..from.max(page) + 1);
            } else if response.dragged()
                && let (Some(from), Some(page)) = (*anchor, pointer)
            {
                picked = Some(from.min(page)..from.max(page) + 1);
            }
        });
    picked
}

/// The grid's legend: a sample cell of each kind and what it means.
pub fn legend(ui: &mut egui::Ui, lang: Lang) {
    let palette = Palette::new(ui);
    let page = |state, protection, locked| Page {
        state,
        protection,
        locked,
    };
    use PageState::*;
    use Protection::*;
    let samples: [(Page, bool, bool, &str); 8] = [
        (
            page(Free, NoAccess, false),
            false,
            false,
            lang.pick("free", "빈 주소"),
        ),
        (
            page(Reserved, NoAccess, false),
            false,
            false,
            lang.pick("reserved", "예약됨"),
        ),
        (
            page(Reserved, NoAccess, false),
            false,
            true,
            lang.pick("reserved, still charged", "예약됨, 커밋 양에 남음"),
        ),
        (
            page(Committed, ReadWrite, false),
            false,
            false,
            lang.pick("committed, read-write", "커밋됨, 읽기/쓰기"),
        ),
        (
            page(Committed, ReadOnly, false),
            false,
            false,
            lang.pick("read-only", "읽기 전용"),
        ),
        (
            page(Committed, NoAccess, false),
            false,
            false,
            lang.pick("no access", "접근 불가"),
        ),
        (
            page(Committed, ReadWrite, true),
            false,
            false,
            lang.pick("locked", "잠김"),
        ),
        (
            page(Committed, ReadWrite, false),
            true,
            false,
            lang.pick("in RAM", "RAM에 있음"),
        ),
    ];
    ui.horizontal_wrapped(|ui| {
        // Room between the samples as item spacing, which a wrapping row
        // leaves out at its ends (a trailing space would reach past them).
        ui.spacing_mut().item_spacing.x += 6.0;
        // Body text, as the rest of the lab: readable from the back row.
        let font = egui::TextStyle::Body.resolve(ui.style());
        let color = ui.visuals().text_color();
        for (sample, resident, charged, text) in samples {
            // A sample and its text are one item, so they wrap together.
            let galley = ui
                .painter()
                .layout_no_wrap(text.to_owned(), font.clone(), color);
            let size = vec2(14.0 + 4.0 + galley.size().x, galley.size().y.max(14.0));
            let (rect, _) = ui.allocate_exact_size(size, egui::Sense::hover());
            let cell =
                Rect::from_min_size(pos2(rect.min.x, rect.center().y - 7.0), Vec2::splat(14.0));
            paint_cell(ui.painter(), cell, sample, resident, charged, &palette);
            let text_at = pos2(cell.max.x + 4.0, rect.center().y - galley.size().y / 2.0);
            ui.painter().galley(text_at, galley, color);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_hold_a_power_of_two_that_fits() {
        let g = Geometry::new(1000.0, 65536, 40.0, 500.0);
        assert_eq!(g.cols, 64);
        assert_eq!(g.cell, 15.0);
        assert_eq!(g.rows, 1024);
        // A narrow window: 8 pages per row, smaller cells.
        let g = Geometry::new(60.0, 100, 0.0, 500.0);
        assert_eq!((g.cols, g.cell, g.rows), (8, 7.0, 13));
        // Few pages: one row, cells no larger than the cap.
        let g = Geometry::new(2000.0, 4, 0.0, 500.0);
        assert_eq!((g.cols, g.cell, g.rows), (128, 15.0, 1));
        let g = Geometry::new(400.0, 4, 0.0, 500.0);
        assert_eq!((g.cols, g.cell), (32, 12.0));
    }

    #[test]
    fn small_cells_grow_while_the_grid_fits_its_height() {
        // 512 pages in a full-screen grid: 64 a row of 18 points, not 128
        // of 9 (four thin rows above a wide empty area).
        let g = Geometry::new(1250.0, 512, 40.0, 540.0);
        assert_eq!((g.cols, g.cell, g.rows), (64, 18.0, 8));
        // No room for taller rows: as many a row as the width allows.
        let g = Geometry::new(1250.0, 512, 40.0, 100.0);
        assert_eq!((g.cols, g.cell, g.rows), (128, 9.0, 4));
        // A grid that scrolls anyway keeps its many small cells.
        let g = Geometry::new(1250.0, 65536, 40.0, 540.0);
        assert_eq!(g.cols, 128);
    }

    #[test]
    fn a_point_finds_its_page_and_back() {
        let g = Geometry::new(500.0, 300, 30.0, 500.0);
        for page in [0, 1, g.cols - 1, g.cols, 299] {
            let c = g.cell_rect(page).center();
            assert_eq!(g.page_at(c.to_vec2(), 300), Some(page));
        }
        assert_eq!(g.page_at(vec2(10.0, 5.0), 300), None, "the gutter");
        let past = g.cell_rect(299).center() + vec2(g.cell, 0.0);
        assert_eq!(g.page_at(past.to_vec2(), 300), None, "after the last page");
    }
}
