//! The mapped views, one panel each: what the view is, Flush and Unmap,
//! how to edit it, the hex editor, and how an ordinary file read of the
//! same bytes compares. An unmapped view keeps its panel and its buttons,
//! so that using it shows the refusal.

use eframe::egui;

use super::hex::{self, HexState, ROW_BYTES, Rows, Side};
use super::messages::ViewNote;
use crate::forms::widgets::{Level, show_line, text_field};
use memlab_engine::filemap::{FileMapError, FileMapSession, Flushed, ViewInfo, parse_byte_count};
use memlab_engine::i18n::{Lang, Localized};

/// What a view's panel asks the lab to do.
pub(super) enum ViewAction {
    Flush(u32),
    Unmap(u32),
    /// Bytes typed into the view.
    Write {
        view: u32,
        at: u64,
        bytes: Vec<u8>,
    },
    /// The go-to field did not hold a byte count.
    BadOffset(memlab_engine::filemap::ByteCountError),
}

/// One view's panel.
pub(super) struct ViewPanel {
    pub info: ViewInfo,
    hex: HexState,
    goto: String,
    pub flushed: Option<Flushed>,
    pub unmapped: bool,
}

impl ViewPanel {
    pub(super) fn new(info: ViewInfo) -> Self {
        Self {
            info,
            hex: HexState::default(),
            goto: String::new(),
            flushed: None,
            unmapped: false,
        }
    }

    /// Draws the panel; `session` is None while a step holds it (the grid
    /// then waits a frame). Returns what the user asked for, and the bytes
    /// in sight (view offset, length) for the monitor.
    pub(super) fn ui(
        &mut self,
        ui: &mut egui::Ui,
        lang: Lang,
        session: Option<&FileMapSession>,
        file_len: Option<u64>,
    ) -> (Vec<ViewAction>, Option<(u64, usize)>) {
        let mut actions = Vec::new();
        let mut visible = None;
        let info = self.info;
        ui.group(|ui| {
            ui.horizontal_wrapped(|ui| {
                ui.strong(format!("{} #{}", lang.pick("View", "뷰"), info.view));
                let facts = if self.unmapped {
                    lang.pick(
                        "unmapped (UnmapViewOfFile)",
                        "매핑 해제됨 (UnmapViewOfFile)",
                    )
                    .to_owned()
                } else {
                    format!(
                        "{} {} ({:#x}) · {} {} · {} {:#x}",
                        lang.pick("file offset", "파일 오프셋"),
                        info.offset,
                        info.offset,
                        info.len,
                        lang.pick("bytes", "바이트"),
                        lang.pick("address", "주소"),
                        info.address
                    )
                };
                ui.label(facts);
            });
            if let Some(unaligned) = &info.unaligned {
                show_line(ui, Level::Warn, unaligned.localized(lang));
            }
            ui.horizontal_wrapped(|ui| {
                if ui.button(lang.pick("Flush", "플러시")).clicked() {
                    actions.push(ViewAction::Flush(info.view));
                }
                if ui.button(lang.pick("Unmap", "매핑 해제")).clicked() {
                    actions.push(ViewAction::Unmap(info.view));
                }
            });
            // The editing choice on a row of its own, so that a narrow
            // panel does not part the label from its choices.
            ui.horizontal_wrapped(|ui| {
                ui.label(lang.pick("Edit as", "편집"));
                ui.radio_value(&mut self.hex.side, Side::Hex, lang.pick("Hex", "16진수"));
                ui.radio_value(&mut self.hex.side, Side::Text, lang.pick("Text", "텍스트"));
            });
            ui.horizontal_wrapped(|ui| {
                let label = lang.pick("Go to offset", "이동할 오프셋");
                let field = text_field(ui, label, &mut self.goto, 90.0);
                if field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                    match parse_byte_count(&self.goto) {
                        Ok(at) => {
                            self.hex.go_to_top(at, info.len);
                            // Typing goes to the grid next.
                            ui.memory_mut(|m| m.request_focus(hex::grid_id(info.view)));
                        }
                        Err(e) => actions.push(ViewAction::BadOffset(e)),
                    }
                }
            });
            let flush_note = self.flushed.map_or(ViewNote::NotFlushed, ViewNote::Flushed);
            ui.weak(flush_note.localized(lang));
            if self.unmapped {
                return;
            }
            let Some(session) = session else {
                ui.spinner();
                return;
            };
            let read = |top| Rows::read(session, &info, top);
            let (rows, edits) = self.grid(ui, lang, &read);
            actions.extend(edits.into_iter().map(|(at, bytes)| ViewAction::Write {
                view: info.view,
                at,
                bytes,
            }));
            let cursor = match self.hex.cursor {
                Some(at) => ViewNote::Cursor {
                    view_offset: at,
                    file_offset: info.offset + at,
                    hex: self.hex.side == Side::Hex,
                },
                None => ViewNote::NoCursor,
            };
            ui.weak(cursor.localized(lang));
            let (differ, missing) = rows.differences();
            let compared = ViewNote::Compared {
                bytes: rows.view.len(),
                differ,
                missing,
            };
            let level = if differ + missing > 0 {
                Level::Warn
            } else {
                Level::Info
            };
            show_line(ui, level, compared.localized(lang));
            if let Some(file_len) = file_len
                && file_len < info.offset + info.len
            {
                let shortened = FileMapError::FileShortened {
                    file_len,
                    start: file_len.max(info.offset),
                    end: info.offset + info.len,
                };
                show_line(ui, Level::Warn, shortened.localized(lang));
            }
            for e in rows.view_error.iter().chain(&rows.file_error) {
                show_line(ui, Level::Error, e.localized(lang));
            }
            visible = Some((rows.at, rows.view.len()));
        });
        (actions, visible)
    }

    /// The hex grid, scrolled sideways when the panel is narrow, and the
    /// slider that picks the rows in sight.
    fn grid(
        &mut self,
        ui: &mut egui::Ui,
        lang: Lang,
        read: &dyn Fn(u64) -> Rows,
    ) -> (Rows, hex::Edits) {
        let info = self.info;
        let max_top = hex::max_top(info.len);
        // A vertical slider is as thick as a line of body text, at least
        // the interact size (egui's `Slider`): larger text, a wider slider.
        let slider_thickness = ui
            .text_style_height(&egui::TextStyle::Body)
            .max(ui.spacing().interact_size.y);
        // Two points of slack: at zoom 1.5 sizes are rounded to whole pixels
        // (2/3 of a point), and the layout test once saw the row end one
        // point past the lab's edge at 1920x1080.
        let slider_w = slider_thickness + ui.spacing().item_spacing.x + 2.0;
        let height = ui.text_style_height(&egui::TextStyle::Monospace)
            * (hex::rows_in_sight(info.len) + 1) as f32;
        ui.horizontal(|ui| {
            let out = egui::ScrollArea::horizontal()
                .id_salt(("filemap-hex", info.view))
                .max_width((ui.available_width() - slider_w).max(0.0))
                .show(ui, |ui| hex::grid(ui, &mut self.hex, &info, lang, read))
                .inner;
            if max_top == 0 {
                // Every row is in sight: nothing to scroll.
                return out;
            }
            let mut from_end = max_top - self.hex.top_row.min(max_top);
            ui.spacing_mut().slider_width = height;
            let slider = ui
                .add(
                    egui::Slider::new(&mut from_end, 0..=max_top)
                        .vertical()
                        .show_value(false),
                )
                .on_hover_text(format!(
                    "{} {:#x}",
                    lang.pick("rows from", "시작 행"),
                    self.hex.top_row * ROW_BYTES
                ));
            if slider.changed() {
                self.hex.top_row = max_top - from_end;
            }
            out
        })
        .inner
    }
}
