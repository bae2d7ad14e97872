//! One view's bytes as a small hex editor that draws only the rows in
//! sight, whatever the view's size (64 MiB is 4 Mi rows): its own top row
//! and a slider instead of a scroll area, so no row is ever laid out that
//! is not shown. Each row shows the view's bytes in hex and as text and,
//! beside them, the same bytes read with an ordinary file read (`pread`),
//! highlighted where they differ or where the file has none.
//!
//! Click a byte (in hex or text), then type: hex digits overwrite it a
//! nibble at a time, text overwrites with the characters' UTF-8 bytes.
//! Arrows, Page Up/Down, Home and End move the cursor.

use eframe::egui::{
    self, Color32, Event, FontId, ImeEvent, Key, Sense, TextFormat, TextStyle, text::LayoutJob,
};

use memlab_engine::filemap::{FileMapError, FileMapSession, ViewInfo};
use memlab_engine::i18n::Lang;

/// Bytes per row.
pub(super) const ROW_BYTES: u64 = 16;
/// Rows in sight.
pub(super) const ROWS: u64 = 8;

/// Which column the cursor types into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) enum Side {
    #[default]
    Hex,
    Text,
}

/// The editor's state for one view.
#[derive(Debug, Default)]
pub(super) struct HexState {
    /// The first row in sight.
    pub top_row: u64,
    /// The byte (offset in the view) that typing overwrites.
    pub cursor: Option<u64>,
    pub side: Side,
    /// The high nibble of the cursor's byte was typed; the low one is next.
    half: bool,
    /// Wheel movement not yet worth a whole row.
    wheel: f32,
}

impl HexState {
    /// Puts the cursor on `at` (clamped to the view) and scrolls to it.
    pub(super) fn go_to(&mut self, at: u64, len: u64) {
        let at = at.min(len.saturating_sub(1));
        self.cursor = Some(at);
        self.half = false;
        self.reveal(at, len);
    }

    /// Puts the cursor on `at` (clamped to the view) and its row at the
    /// top of the rows in sight (as far as the view goes): Go to offset.
    pub(super) fn go_to_top(&mut self, at: u64, len: u64) {
        self.go_to(at, len);
        if let Some(at) = self.cursor {
            self.top_row = (at / ROW_BYTES).min(max_top(len));
        }
    }

    /// Scrolls so that byte `at` is in sight.
    fn reveal(&mut self, at: u64, len: u64) {
        let row = at / ROW_BYTES;
        if row < self.top_row {
            self.top_row = row;
        } else if row >= self.top_row + ROWS {
            self.top_row = row + 1 - ROWS;
        }
        self.top_row = self.top_row.min(max_top(len));
    }
}

/// The grid's id (the go-to field gives it the keyboard).
pub(super) fn grid_id(view: u32) -> egui::Id {
    egui::Id::unique(("filemap-grid", view))
}

/// Rows a view of `len` bytes shows at once (at most [`ROWS`]).
pub(super) fn rows_in_sight(len: u64) -> u64 {
    len.div_ceil(ROW_BYTES).clamp(1, ROWS)
}

/// The last top row of a view of `len` bytes.
pub(super) fn max_top(len: u64) -> u64 {
    len.div_ceil(ROW_BYTES).saturating_sub(ROWS)
}

/// The rows in sight, as read this frame.
#[derive(Debug, Default)]
pub(super) struct Rows {
    /// View offset of the first byte.
    pub at: u64,
    /// Bytes of the view in sight (fewer than `want` when the file no
    /// longer backs them all).
    pub view: Vec<u8>,
    /// The same bytes by `pread` (fewer at the end of the file).
    pub file: Vec<u8>,
    /// How many bytes of the view are in sight.
    pub want: usize,
    /// Why the view's bytes could not be read, if they could not.
    pub view_error: Option<FileMapError>,
    pub file_error: Option<FileMapError>,
}

impl Rows {
    /// Reads the rows in sight of view `info` from `top_row`: one fstat, one
    /// `process_vm_readv` and one `pread`, whatever the view's size.
    pub(super) fn read(session: &FileMapSession, info: &ViewInfo, top_row: u64) -> Self {
        let at = top_row * ROW_BYTES;
        let want = (ROWS * ROW_BYTES).min(info.len.saturating_sub(at)) as usize;
        let mut rows = Self {
            at,
            want,
            ..Self::default()
        };
        match session.backed_len(info.view) {
            Ok(backed) => {
                let n = (backed.saturating_sub(at) as usize).min(want);
                rows.view = vec![0; n];
                if let Err(e) = session.read_view(info.view, at, &mut rows.view) {
                    rows.view.clear();
                    rows.view_error = Some(e);
                }
            }
            Err(e) => rows.view_error = Some(e),
        }
        rows.file = vec![0; want];
        match session.read_file(info.offset + at, &mut rows.file) {
            Ok(n) => rows.file.truncate(n),
            Err(e) => {
                rows.file.clear();
                rows.file_error = Some(e);
            }
        }
        rows
    }

    /// Bytes in sight where the ordinary read differs from the view, and
    /// bytes the view shows that the file read did not return.
    pub(super) fn differences(&self) -> (usize, usize) {
        let differ = self
            .view
            .iter()
            .zip(&self.file)
            .filter(|(a, b)| a != b)
            .count();
        let missing = self.view.len().saturating_sub(self.file.len());
        (differ, missing)
    }
}

/// What the user did to the bytes this frame: writes into the view.
pub(super) type Edits = Vec<(u64, Vec<u8>)>;

/// Columns of a row: `offset  hex  text  | file`.
struct Columns {
    offset: usize,
}

impl Columns {
    fn for_view(info: &ViewInfo) -> Self {
        let last = info.offset + info.len.max(1) - 1;
        let digits = (64 - last.leading_zeros()).div_ceil(4) as usize;
        Self {
            offset: digits.max(8),
        }
    }

    fn hex(&self) -> usize {
        self.offset + 1
    }

    fn text(&self) -> usize {
        self.hex() + 3 * ROW_BYTES as usize + 1
    }

    fn file(&self) -> usize {
        self.text() + ROW_BYTES as usize + 2
    }

    fn total(&self) -> usize {
        self.file() + ROW_BYTES as usize
    }

    /// The byte of the row and the side under column `col`.
    fn hit(&self, col: usize) -> Option<(u64, Side)> {
        let row = ROW_BYTES as usize;
        if (self.hex()..self.hex() + 3 * row).contains(&col) {
            Some((((col - self.hex()) / 3) as u64, Side::Hex))
        } else if (self.text()..self.text() + row).contains(&col) {
            Some(((col - self.text()) as u64, Side::Text))
        } else if (self.file()..self.file() + row).contains(&col) {
            Some(((col - self.file()) as u64, Side::Text))
        } else {
            None
        }
    }
}

/// What one byte's cell of a text column shows.
#[derive(Debug, Clone, PartialEq, Eq)]
enum TextCell {
    /// A character: ASCII, or a UTF-8 sequence starting here (Hangul is
    /// three bytes: the syllable stands in the first cell, over the next).
    Char(char),
    /// A later byte of the character shown in an earlier cell.
    Continued,
    /// A byte that is no printable character (or part of none).
    Dot,
    /// No byte (past the end of the view or of the file).
    Empty,
}

/// The text column of `bytes` (`None`: no byte there), rows of [`ROW_BYTES`]
/// from the first: ASCII as itself, whole UTF-8 sequences as their
/// character, anything else as a dot.
fn text_cells(bytes: &[Option<u8>]) -> Vec<TextCell> {
    const ROW: u64 = ROW_BYTES;
    let mut cells = vec![TextCell::Empty; bytes.len()];
    let mut i = 0;
    while i < bytes.len() {
        let Some(b) = bytes[i] else {
            i += 1;
            continue;
        };
        let width = match b {
            0x20..=0x7e => 1,
            0xc2..=0xdf => 2,
            0xe0..=0xef => 3,
            0xf0..=0xf4 => 4,
            _ => 0,
        };
        let sequence: Option<Vec<u8>> = (width > 0 && i + width <= bytes.len())
            .then(|| bytes[i..i + width].iter().copied().collect())
            .flatten();
        let decoded = sequence
            .as_deref()
            .and_then(|seq| std::str::from_utf8(seq).ok())
            .and_then(|text| text.chars().next())
            .filter(|c| !c.is_control());
        match decoded {
            Some(c) => {
                for cell in &mut cells[i..i + width] {
                    *cell = TextCell::Continued;
                }
                // A character that runs on into the next row is drawn there,
                // at its first cell, rather than over the column's edge.
                let row_end = (i / ROW as usize + 1) * ROW as usize;
                let at = if i + width > row_end { row_end } else { i };
                cells[at] = TextCell::Char(c);
                i += width;
            }
            None => {
                cells[i] = TextCell::Dot;
                i += 1;
            }
        }
    }
    cells
}

/// The grid of one view: handles clicks and typing (returned as edits to
/// make), then draws the rows read by `read` after those edits.
pub(super) fn grid(
    ui: &mut egui::Ui,
    state: &mut HexState,
    info: &ViewInfo,
    lang: Lang,
    read: &dyn Fn(u64) -> Rows,
) -> (Rows, Edits) {
    let font = TextStyle::Monospace.resolve(ui.style());
    let columns = Columns::for_view(info);
    let probe = ui.painter().layout_job(LayoutJob::single_section(
        "0".repeat(columns.total()),
        TextFormat::simple(font.clone(), Color32::PLACEHOLDER),
    ));
    let char_w = probe.size().x / columns.total() as f32;
    let row_h = probe.size().y;
    let size = egui::vec2(probe.size().x, row_h * (rows_in_sight(info.len) + 1) as f32);
    let (rect, _) = ui.allocate_exact_size(size, Sense::hover());
    let response = ui.interact(rect, grid_id(info.view), Sense::click());
    let len = info.len;

    if response.clicked()
        && let Some(pos) = response.interact_pointer_pos()
    {
        let row = ((pos.y - rect.top()) / row_h).floor() as i64 - 1;
        let col = ((pos.x - rect.left()) / char_w).floor() as usize;
        if row >= 0
            && let Some((byte, side)) = columns.hit(col)
        {
            let at = (state.top_row + row as u64) * ROW_BYTES + byte;
            if at < len {
                state.side = side;
                state.go_to(at, len);
            }
        }
        response.request_focus();
    }
    // The wheel scrolls the page, unless the grid has the keyboard (it was
    // clicked or gone to) and its rows can still move that way: a view of
    // 64 MiB would otherwise hold the page's wheel for 4 Mi rows.
    let dy = ui.input(|i| i.smooth_scroll_delta.y);
    let can_move = (dy > 0.0 && state.top_row > 0) || (dy < 0.0 && state.top_row < max_top(len));
    if response.hovered() && response.has_focus() && can_move {
        state.wheel += dy;
        ui.input_mut(|i| i.smooth_scroll_delta.y = 0.0);
        let rows = (state.wheel / row_h).trunc();
        state.wheel -= rows * row_h;
        state.top_row = if rows > 0.0 {
            state.top_row.saturating_sub(rows as u64)
        } else {
            (state.top_row + (-rows) as u64).min(max_top(len))
        };
    } else {
        state.wheel = 0.0;
    }
    let mut edits = Edits::new();
    if response.has_focus() {
        ui.memory_mut(|m| {
            m.set_focus_lock_filter(
                response.id,
                egui::EventFilter {
                    horizontal_arrows: true,
                    vertical_arrows: true,
                    ..Default::default()
                },
            );
        });
        let events = ui.input(|i| i.events.clone());
        let current = read(state.top_row);
        for event in events {
            match event {
                Event::Text(text) | Event::Ime(ImeEvent::Commit(text)) => {
                    type_text(state, &text, len, &current, &mut edits);
                }
                Event::Key {
                    key, pressed: true, ..
                } => move_cursor(state, key, len),
                _ => {}
            }
        }
    }
    let rows = read(state.top_row);
    let text = paint(
        ui,
        rect,
        &font,
        state,
        &columns,
        info.offset,
        &rows,
        row_h,
        lang,
    );
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Grid, ui.is_enabled(), &text));
    (rows, edits)
}

/// Overwrites at the cursor: hex digits a nibble at a time, text as UTF-8.
fn type_text(state: &mut HexState, text: &str, len: u64, rows: &Rows, edits: &mut Edits) {
    let Some(mut at) = state.cursor else { return };
    match state.side {
        Side::Text => {
            let bytes = text.as_bytes();
            let n = (bytes.len() as u64).min(len - at) as usize;
            if n > 0 {
                edits.push((at, bytes[..n].to_vec()));
                at += n as u64;
            }
        }
        Side::Hex => {
            for digit in text.chars().filter_map(|c| c.to_digit(16)) {
                // The byte as shown, with this frame's earlier nibbles applied.
                let shown = edits
                    .iter()
                    .rev()
                    .find(|(e, _)| *e == at)
                    .map(|(_, b)| b[0])
                    .or_else(|| {
                        at.checked_sub(rows.at)
                            .and_then(|i| rows.view.get(i as usize).copied())
                    })
                    .unwrap_or(0);
                let digit = digit as u8;
                let byte = if state.half {
                    (shown & 0xf0) | digit
                } else {
                    (shown & 0x0f) | (digit << 4)
                };
                edits.push((at, vec![byte]));
                if state.half {
                    at += 1;
                }
                state.half = !state.half;
                if at >= len {
                    break;
                }
            }
        }
    }
    state.go_to_keep_half(at, len);
}

impl HexState {
    /// Like `go_to`, but keeps a half-typed byte (typing moved it, not a key).
    fn go_to_keep_half(&mut self, at: u64, len: u64) {
        let half = self.half;
        self.go_to(at, len);
        self.half = half && at < len;
    }
}

fn move_cursor(state: &mut HexState, key: Key, len: u64) {
    let Some(at) = state.cursor else { return };
    let row = ROW_BYTES;
    let page = ROWS * ROW_BYTES;
    let to = match key {
        Key::ArrowLeft => at.saturating_sub(1),
        Key::ArrowRight => at + 1,
        Key::ArrowUp => at.saturating_sub(row),
        Key::ArrowDown => at + row,
        Key::PageUp => at.saturating_sub(page),
        Key::PageDown => at + page,
        Key::Home => at - at % row,
        Key::End => at - at % row + row - 1,
        _ => return,
    };
    state.go_to(to, len);
}

/// Paints the header and the rows; returns them as text (for screen
/// readers and tests).
#[allow(clippy::too_many_arguments)]
fn paint(
    ui: &egui::Ui,
    rect: egui::Rect,
    font: &FontId,
    state: &HexState,
    columns: &Columns,
    view_offset: u64,
    rows: &Rows,
    row_h: f32,
    lang: Lang,
) -> String {
    let visuals = ui.visuals();
    let text_color = visuals.text_color();
    let weak = visuals.weak_text_color();
    let cursor_bg = visuals.selection.bg_fill;
    let diff_bg = visuals.error_fg_color.gamma_multiply(0.35);
    let missing_bg = visuals.warn_fg_color.gamma_multiply(0.35);
    let format = |color, background| TextFormat {
        font_id: font.clone(),
        color,
        background,
        ..Default::default()
    };
    let painter = ui.painter_at(rect);
    let char_w = rect.width() / columns.total() as f32;
    // The header in pieces, each at its column: Hangul is wider than a
    // monospace cell, so one padded string would not line up.
    let mut hex_head = String::new();
    for i in 0..ROW_BYTES {
        hex_head += &format!("{i:02x} ");
    }
    let heads = [
        (0, lang.pick("offset", "오프셋").to_owned()),
        (columns.hex(), hex_head),
        (columns.text(), lang.pick("view", "뷰").to_owned()),
        (
            columns.file(),
            lang.pick("file read", "파일 읽기").to_owned(),
        ),
    ];
    let mut all = String::new();
    for (col, head) in heads {
        let galley = painter.layout_job(LayoutJob::single_section(
            head.clone(),
            format(weak, Color32::TRANSPARENT),
        ));
        painter.galley(
            rect.min + egui::vec2(col as f32 * char_w, 0.0),
            galley,
            weak,
        );
        all += &head;
        all.push(' ');
    }
    // Decoded over every row in sight, so a character may run on into the
    // next row.
    let block = |bytes: &[u8]| -> Vec<TextCell> {
        let present: Vec<Option<u8>> = (0..rows.want).map(|k| bytes.get(k).copied()).collect();
        text_cells(&present)
    };
    let (view_cells, file_cells) = (block(&rows.view), block(&rows.file));
    for r in 0..ROWS {
        let start = r * ROW_BYTES;
        if start as usize >= rows.want {
            break;
        }
        let mut job = LayoutJob::default();
        let mut line = String::new();
        let mut push = |job: &mut LayoutJob, text: &str, color, bg| {
            job.append(text, 0.0, format(color, bg));
            line += text;
        };
        let file_offset = view_offset + rows.at + start;
        push(
            &mut job,
            &format!("{:0w$x} ", file_offset, w = columns.offset),
            weak,
            Color32::TRANSPARENT,
        );
        let cells: Vec<(Option<u8>, Option<u8>, bool)> = (0..ROW_BYTES as usize)
            .map(|i| {
                let k = start as usize + i;
                let in_view = k < rows.want;
                let cursor = state.cursor == Some(rows.at + k as u64) && in_view;
                let view = rows.view.get(k).copied().filter(|_| in_view);
                let file = rows.file.get(k).copied().filter(|_| in_view);
                (view, file, cursor)
            })
            .collect();
        let in_row = (rows.want - start as usize).min(ROW_BYTES as usize);
        for (i, (view, _, cursor)) in cells.iter().enumerate() {
            let bg = if *cursor && state.side == Side::Hex {
                cursor_bg
            } else {
                Color32::TRANSPARENT
            };
            let text = match view {
                Some(b) => format!("{b:02x}"),
                None if i < in_row => "--".into(),
                None => "  ".into(),
            };
            let color = if view.is_some() { text_color } else { weak };
            push(&mut job, &text, color, bg);
            push(&mut job, " ", text_color, Color32::TRANSPARENT);
        }
        let pos = rect.min + egui::vec2(0.0, row_h * (r + 1) as f32);
        // The two text columns cell by cell, each at its column: a Hangul
        // syllable is wider than a monospace cell and must not push the
        // cells after it out of their columns.
        let view_text = &view_cells[start as usize..start as usize + in_row];
        let file_text = &file_cells[start as usize..start as usize + in_row];
        let cell_rect = |col: usize| {
            egui::Rect::from_min_size(
                pos + egui::vec2(col as f32 * char_w, 0.0),
                egui::vec2(char_w, row_h),
            )
        };
        for (i, (view, file, cursor)) in cells.iter().enumerate().take(in_row) {
            let view_bg = match (*cursor, state.side) {
                (true, Side::Text) => cursor_bg,
                (true, Side::Hex) => cursor_bg.gamma_multiply(0.4),
                _ if view.is_none() => missing_bg,
                _ => Color32::TRANSPARENT,
            };
            let file_bg = match (view, file) {
                (Some(v), Some(f)) if v != f => diff_bg,
                (_, None) => missing_bg,
                _ => Color32::TRANSPARENT,
            };
            for (col, bg) in [(columns.text() + i, view_bg), (columns.file() + i, file_bg)] {
                if bg != Color32::TRANSPARENT {
                    painter.rect_filled(cell_rect(col), 0.0, bg);
                }
            }
        }
        let mut text_line = String::new();
        for (column, text) in [(columns.text(), view_text), (columns.file(), file_text)] {
            if column == columns.file() {
                painter.text(
                    cell_rect(column - 2).left_top(),
                    egui::Align2::LEFT_TOP,
                    "|",
                    font.clone(),
                    weak,
                );
                text_line += "| ";
            }
            for (i, cell) in text.iter().enumerate() {
                let shown = match cell {
                    TextCell::Char(c) => c.to_string(),
                    TextCell::Dot => ".".into(),
                    TextCell::Continued => continue,
                    TextCell::Empty => " ".into(),
                };
                text_line += &shown;
                painter.text(
                    cell_rect(column + i).left_top(),
                    egui::Align2::LEFT_TOP,
                    shown,
                    font.clone(),
                    text_color,
                );
            }
        }
        let galley = painter.layout_job(job);
        painter.galley(pos, galley, text_color);
        all.push('\n');
        all += &line;
        all.push(' ');
        all += &text_line;
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(at: u64, view: &[u8]) -> Rows {
        Rows {
            at,
            view: view.to_vec(),
            file: view.to_vec(),
            want: view.len(),
            ..Rows::default()
        }
    }

    #[test]
    fn hex_digits_overwrite_a_nibble_at_a_time_and_text_writes_utf8() {
        let mut state = HexState::default();
        state.go_to(2, 64);
        let mut edits = Edits::new();
        type_text(&mut state, "4", 64, &rows(0, &[0xff; 64]), &mut edits);
        assert_eq!(edits, vec![(2, vec![0x4f])]);
        assert_eq!(state.cursor, Some(2), "half a byte typed: stays");
        type_text(&mut state, "8zz65", 64, &rows(0, &[0xff; 64]), &mut edits);
        assert_eq!(
            edits,
            vec![
                (2, vec![0x4f]),
                (2, vec![0x48]),
                (3, vec![0x6f]),
                (3, vec![0x65])
            ]
        );
        assert_eq!(state.cursor, Some(4));
        state.side = Side::Text;
        let mut edits = Edits::new();
        type_text(&mut state, "한", 64, &rows(0, &[0; 64]), &mut edits);
        assert_eq!(edits, vec![(4, "한".as_bytes().to_vec())]);
        assert_eq!(state.cursor, Some(7));
        // Text stops at the end of the view.
        state.go_to(62, 64);
        let mut edits = Edits::new();
        type_text(&mut state, "abc", 64, &rows(0, &[0; 64]), &mut edits);
        assert_eq!(edits, vec![(62, b"ab".to_vec())]);
    }

    #[test]
    fn the_cursor_stays_in_sight_and_in_the_view() {
        let len = 64 << 20;
        let mut state = HexState::default();
        state.go_to(0, len);
        move_cursor(&mut state, Key::PageDown, len);
        move_cursor(&mut state, Key::PageDown, len);
        assert_eq!(state.cursor, Some(2 * ROWS * ROW_BYTES));
        assert_eq!(state.top_row, ROWS + 1);
        state.go_to(u64::MAX, len);
        assert_eq!(state.cursor, Some(len - 1));
        assert_eq!(state.top_row, max_top(len));
        move_cursor(&mut state, Key::Home, len);
        assert_eq!(state.cursor, Some(len - ROW_BYTES));
    }

    #[test]
    fn the_text_column_decodes_utf8_and_dots_the_rest() {
        let bytes: Vec<Option<u8>> = "a한b".bytes().map(Some).collect();
        assert_eq!(
            text_cells(&bytes),
            vec![
                TextCell::Char('a'),
                TextCell::Char('한'),
                TextCell::Continued,
                TextCell::Continued,
                TextCell::Char('b'),
            ]
        );
        // A lone lead byte, a stray continuation, a control byte, a sequence
        // cut short by the end of the file: dots; a missing byte: empty.
        let odd = [
            Some(0xed),
            Some(b'x'),
            Some(0x80),
            Some(0x07),
            Some(0xea),
            Some(0xb0),
            None,
        ];
        assert_eq!(
            text_cells(&odd),
            vec![
                TextCell::Dot,
                TextCell::Char('x'),
                TextCell::Dot,
                TextCell::Dot,
                TextCell::Dot,
                TextCell::Dot,
                TextCell::Empty,
            ]
        );
    }

    #[test]
    fn a_character_running_on_into_the_next_row_is_drawn_there() {
        let mut bytes: Vec<Option<u8>> = vec![Some(b'a'); 15];
        bytes.extend("다!".bytes().map(Some));
        let cells = text_cells(&bytes);
        assert_eq!(
            cells[15],
            TextCell::Continued,
            "its lead byte, at the row's end"
        );
        assert_eq!(cells[16], TextCell::Char('다'));
        assert_eq!(cells[17], TextCell::Continued);
        assert_eq!(cells[18], TextCell::Char('!'));
    }

    #[test]
    fn go_to_puts_the_row_on_top_as_far_as_the_view_goes() {
        let len = 64 << 10;
        let mut state = HexState::default();
        state.go_to_top(0x1005, len);
        assert_eq!((state.cursor, state.top_row), (Some(0x1005), 0x100));
        state.go_to_top(len - 1, len);
        assert_eq!(state.top_row, max_top(len), "the last rows fill the view");
    }

    #[test]
    fn columns_map_clicks_to_bytes() {
        let info = ViewInfo {
            view: 1,
            offset: 0,
            len: 4096,
            address: 0,
            unaligned: None,
        };
        let c = Columns::for_view(&info);
        assert_eq!(c.offset, 8);
        assert_eq!(c.hit(9), Some((0, Side::Hex)));
        assert_eq!(c.hit(9 + 3 * 15 + 1), Some((15, Side::Hex)));
        assert_eq!(c.hit(c.text() + 3), Some((3, Side::Text)));
        assert_eq!(c.hit(c.file() + 5), Some((5, Side::Text)));
        assert_eq!(c.hit(0), None);
        let big = ViewInfo {
            offset: 1 << 40,
            ..info
        };
        assert_eq!(Columns::for_view(&big).offset, 11);
    }
}
