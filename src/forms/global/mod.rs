//! The Global/Local lab (GlobalAlloc and friends, the chapter's §2): the
//! handle table (handle, HGLOBAL, kind, address, size, lock count, flags,
//! the pointer the program kept), a button for every call, the system's
//! compaction and low-memory discarding, the heap drawn to scale, and the
//! blocks that moved highlighted.
//!
//! The heap is `memlab_engine::global`'s: memlab's model on Linux, the
//! real GlobalAlloc family on Windows (where the blocks are scattered over
//! the process heap, so there is no strip: the table shows each block's
//! address and what moved). Every call is a few microseconds (a compaction
//! moves at most the 16 MiB heap once), so it runs on the UI thread.

mod colors;
// The help names the calls as made: Linux's say what each became there.
#[cfg(not(windows))]
pub(crate) mod help;
#[cfg(windows)]
#[path = "help_windows.rs"]
pub(crate) mod help;
pub mod messages;

use eframe::egui::{self, Color32, Rect, RichText, Sense, Stroke, StrokeKind, pos2, vec2};
use serde::{Deserialize, Serialize};

use crate::forms::Lab;
use crate::forms::widgets::{
    InputNote, NumberInput, Status, code, header_row, show_note, show_status, wide,
};
use crate::lab_id::LabId;
use memlab_engine::format::format_bytes;
use memlab_engine::global::{
    self, ARENA_BYTES, GlobalError, GlobalLab, Handle, Kind, Move, Operation, Outcome, Row,
};
use memlab_engine::i18n::{Lang, Localized};
use messages::{GlobalNote, SizeRule};

/// The inputs' notes (a value clamped or refused).
#[derive(Default)]
struct Notes {
    bytes: Option<InputNote>,
    new_size: Option<InputNote>,
}

/// The Global/Local lab.
#[derive(Serialize, Deserialize)]
#[serde(default)]
pub struct GlobalLabForm {
    /// GlobalAlloc's kind.
    pub kind: Kind,
    /// GlobalAlloc's size, in bytes.
    pub bytes: u32,
    /// GlobalReAlloc's new size, in bytes.
    pub new_size: u32,
    /// GlobalReAlloc's GMEM_MOVEABLE.
    pub realloc_moveable: bool,
    /// GlobalAlloc's GMEM_ZEROINIT.
    pub zeroinit: bool,
    /// GMEM_MOVEABLE with GMEM_MODIFY (a fixed block made movable).
    pub modify_moveable: bool,
    /// GMEM_DISCARDABLE with GMEM_MODIFY (its absence: not discardable).
    pub modify_discardable: bool,
    #[serde(skip)]
    lab: GlobalLab,
    #[serde(skip)]
    selected: Option<Handle>,
    /// The blocks the last step that moved any moved (kept until another
    /// step moves blocks, so the highlight stays after a compaction).
    #[serde(skip)]
    moved: Vec<Move>,
    #[serde(skip)]
    status: Option<Status>,
    #[serde(skip)]
    note: Option<GlobalNote>,
    #[serde(skip)]
    notes: Notes,
}

impl Default for GlobalLabForm {
    fn default() -> Self {
        Self {
            kind: Kind::Moveable,
            bytes: 200,
            new_size: 1000,
            realloc_moveable: false,
            zeroinit: false,
            modify_moveable: false,
            modify_discardable: true,
            lab: GlobalLab::new(),
            selected: None,
            moved: Vec::new(),
            status: None,
            note: None,
            notes: Notes::default(),
        }
    }
}

/// The largest size the fields take: the whole heap.
const MAX_FIELD_BYTES: u32 = ARENA_BYTES as u32;

impl GlobalLabForm {
    /// The handle table now.
    pub fn rows(&self) -> Vec<Row> {
        self.lab.rows()
    }

    /// The handle the buttons act on.
    pub fn selected(&self) -> Option<Handle> {
        self.selected
    }

    /// Chooses the handle the buttons act on.
    pub fn choose(&mut self, handle: Handle) {
        self.selected = Some(handle);
    }

    /// The blocks highlighted as moved.
    pub fn moved(&self) -> &[Move] {
        &self.moved
    }

    /// The last button's note as data.
    pub fn note(&self) -> Option<&GlobalNote> {
        self.note.as_ref()
    }

    /// The last button's note, in `lang`.
    pub fn status_text(&self, lang: Lang) -> Option<String> {
        self.status.as_ref().map(|s| s.text(lang))
    }

    /// Runs one call and shows what it did.
    fn run(
        &mut self,
        op: Operation,
        handle: Option<Handle>,
        work: impl FnOnce(&mut GlobalLab) -> Result<Outcome, GlobalError>,
    ) {
        let result = work(&mut self.lab);
        let moved = self.lab.moved();
        if !moved.is_empty() || op == Operation::Compact {
            self.moved = moved.to_vec();
        }
        let rows = self.lab.rows();
        self.moved.retain(|m| {
            rows.iter()
                .any(|r| r.handle == m.handle && r.address == Some(m.to))
        });
        let note = match result {
            Ok(outcome) => {
                if let Outcome::Allocated { handle, .. } = outcome {
                    self.selected = Some(handle);
                }
                GlobalNote::Done {
                    op,
                    handle,
                    outcome,
                }
            }
            Err(error) => GlobalNote::Failed { op, handle, error },
        };
        if self
            .selected
            .is_some_and(|h| !rows.iter().any(|r| r.handle == h))
        {
            self.selected = None;
        }
        self.status = Some(match &note {
            GlobalNote::Failed { .. } => Status::error(note.clone()),
            GlobalNote::Done {
                outcome: Outcome::ReadKept { stale: true, .. },
                ..
            } => Status::warn(note.clone()),
            _ => Status::info(note.clone()),
        });
        self.note = Some(note);
    }

    /// A call on the chosen handle.
    fn on_handle(
        &mut self,
        op: Operation,
        work: impl FnOnce(&mut GlobalLab, Handle) -> Result<Outcome, GlobalError>,
    ) {
        match self.selected {
            Some(h) => self.run(op, Some(h), |lab| work(lab, h)),
            None => {
                self.status = Some(Status::warn(GlobalNote::ChooseHandle));
                self.note = Some(GlobalNote::ChooseHandle);
            }
        }
    }

    /// GlobalAlloc of the fields' kind and size (and GMEM_ZEROINIT if ticked).
    pub fn alloc(&mut self) {
        let (kind, bytes, zeroinit) = (self.kind, u64::from(self.bytes), self.zeroinit);
        self.run(Operation::Alloc, None, |lab| {
            lab.alloc_with(kind, bytes, zeroinit)
        });
    }

    /// GlobalReAlloc(h, 0, GMEM_MODIFY | the ticked flags).
    pub fn modify(&mut self) {
        let (moveable, discardable) = (self.modify_moveable, self.modify_discardable);
        self.on_handle(Operation::Modify, |lab, h| {
            lab.modify(h, moveable, discardable)
        });
    }

    pub fn lock(&mut self) {
        self.on_handle(Operation::Lock, GlobalLab::lock);
    }

    pub fn unlock(&mut self) {
        self.on_handle(Operation::Unlock, GlobalLab::unlock);
    }

    pub fn size(&mut self) {
        self.on_handle(Operation::Size, GlobalLab::size);
    }

    pub fn flags(&mut self) {
        self.on_handle(Operation::Flags, GlobalLab::flags);
    }

    /// GlobalHandle of the pointer kept from the chosen handle.
    pub fn handle_of_kept(&mut self) {
        self.on_handle(Operation::Handle, GlobalLab::handle_of_kept);
    }

    pub fn realloc(&mut self) {
        let (bytes, moveable) = (u64::from(self.new_size), self.realloc_moveable);
        self.on_handle(Operation::ReAlloc, |lab, h| lab.realloc(h, bytes, moveable));
    }

    pub fn discard(&mut self) {
        self.on_handle(Operation::Discard, GlobalLab::discard);
    }

    pub fn free(&mut self) {
        self.on_handle(Operation::Free, GlobalLab::free);
    }

    /// A read through the pointer kept from the chosen handle's last lock.
    pub fn read_kept(&mut self) {
        self.on_handle(Operation::ReadKept, GlobalLab::read_kept);
    }

    pub fn compact(&mut self) {
        self.run(Operation::Compact, None, GlobalLab::compact);
    }

    pub fn low_memory(&mut self) {
        self.run(Operation::LowMemory, None, GlobalLab::low_memory);
    }

    /// GlobalAlloc's kind and size, and the button.
    fn alloc_ui(&mut self, ui: &mut egui::Ui, lang: Lang) {
        ui.horizontal_wrapped(|ui| {
            for kind in Kind::ALL {
                ui.radio_value(&mut self.kind, kind, kind.win32_flags())
                    .on_hover_text(kind.localized(lang));
            }
        });
        ui.horizontal_wrapped(|ui| {
            ui.add(NumberInput::new(
                lang.pick("Bytes", "바이트"),
                &mut self.bytes,
                0..=MAX_FIELD_BYTES,
                &mut self.notes.bytes,
            ));
            ui.checkbox(&mut self.zeroinit, "GMEM_ZEROINIT")
                .on_hover_text(lang.pick(
                    "The block's bytes start as zeros (else memlab fills them with the handle's letter)",
                    "블록의 바이트가 0으로 시작합니다 (아니면 memlab이 핸들의 글자로 채웁니다)",
                ));
            if ui.button("GlobalAlloc").clicked() {
                self.alloc();
            }
        });
        show_note(ui, lang, self.notes.bytes.as_ref(), &SizeRule);
    }

    /// The chosen handle's calls, GlobalReAlloc, and the system's two buttons.
    fn calls_ui(&mut self, ui: &mut egui::Ui, lang: Lang) {
        let chosen = self.selected.is_some();
        type Button<'a> = (&'a str, fn(&mut GlobalLabForm));
        // The chosen handle on a line of its own, so that the buttons stay
        // put when it changes.
        let label = match self.selected {
            Some(h) => format!("{} {}", lang.pick("Chosen:", "선택:"), h.localized(lang)),
            None => lang
                .pick(
                    "no handle chosen (click a row)",
                    "고른 핸들 없음 (줄을 누르세요)",
                )
                .into(),
        };
        ui.label(RichText::new(label).strong());
        ui.horizontal_wrapped(|ui| {
            let buttons: [Button; 8] = [
                ("GlobalLock", Self::lock),
                ("GlobalUnlock", Self::unlock),
                ("GlobalSize", Self::size),
                ("GlobalFlags", Self::flags),
                ("GlobalHandle(p)", Self::handle_of_kept),
                ("GlobalDiscard", Self::discard),
                ("GlobalFree", Self::free),
                (lang.pick("Read through p", "p로 읽기"), Self::read_kept),
            ];
            for (label, action) in buttons {
                if ui.add_enabled(chosen, egui::Button::new(label)).clicked() {
                    action(self);
                }
            }
        });
        ui.horizontal_wrapped(|ui| {
            ui.add(NumberInput::new(
                lang.pick("New bytes", "새 바이트"),
                &mut self.new_size,
                0..=MAX_FIELD_BYTES,
                &mut self.notes.new_size,
            ));
            ui.checkbox(
                &mut self.realloc_moveable,
                lang.pick("GMEM_MOVEABLE (may move)", "GMEM_MOVEABLE (옮겨도 됨)"),
            );
            if ui
                .add_enabled(chosen, egui::Button::new("GlobalReAlloc"))
                .clicked()
            {
                self.realloc();
            }
        });
        show_note(ui, lang, self.notes.new_size.as_ref(), &SizeRule);
        ui.horizontal_wrapped(|ui| {
            ui.checkbox(&mut self.modify_moveable, "+ GMEM_MOVEABLE")
                .on_hover_text(lang.pick(
                    "With GMEM_MODIFY: a fixed block becomes movable (it gets a handle)",
                    "GMEM_MODIFY와 함께: 고정 블록이 이동 가능해집니다 (핸들을 받습니다)",
                ));
            ui.checkbox(&mut self.modify_discardable, "+ GMEM_DISCARDABLE")
                .on_hover_text(lang.pick(
                    "With GMEM_MODIFY: the block becomes discardable; unticked, not discardable",
                    "GMEM_MODIFY와 함께: 블록을 버릴 수 있게 됩니다. 끄면 버릴 수 없게 됩니다",
                ));
            if ui
                .add_enabled(chosen, egui::Button::new("GlobalReAlloc(GMEM_MODIFY)"))
                .clicked()
            {
                self.modify();
            }
        });
        ui.horizontal_wrapped(|ui| {
            ui.label(lang.pick("The system:", "시스템:"));
            if ui
                .button(lang.pick("Compact", "압축"))
                .on_hover_text(help::COMPACT.get(lang))
                .clicked()
            {
                self.compact();
            }
            if ui
                .button(lang.pick("Low memory", "메모리 부족"))
                .on_hover_text(help::LOW_MEMORY.get(lang))
                .clicked()
            {
                self.low_memory();
            }
        });
    }

    /// The heap's used part to scale: each block in its kind's colour, a
    /// locked one framed, a moved one framed in the highlight; a click
    /// chooses the block's handle.
    fn strip_ui(&mut self, ui: &mut egui::Ui, rows: &[Row], lang: Lang) {
        let (Some((base, _)), Some(high)) = (self.lab.extent(), self.lab.high_water()) else {
            // Windows: the blocks come from the process heap, not a range of
            // memlab's own (the Linux heap has one as soon as it has a block).
            if !rows.is_empty() {
                ui.weak(lang.pick(
                    "The blocks are scattered over the process heap, among everything else the process allocates: no drawing to scale; the table shows each block's address, and a moved block's old one.",
                    "블록은 프로세스가 할당하는 다른 모든 것과 함께 프로세스 힙에 흩어져 있습니다. 비례 그림 대신 표가 블록마다 주소를, 옮겨진 블록은 예전 주소도 보여 줍니다.",
                ));
            }
            return;
        };
        let used = (high - base).max(1) as f64;
        let height = ui.text_style_height(&egui::TextStyle::Body) * 1.6;
        let width = ui.available_width().max(40.0);
        let (rect, response) = ui.allocate_exact_size(vec2(width, height), Sense::click());
        let name = lang.pick("the global heap to scale", "글로벌 힙 (비례)");
        response
            .widget_info(|| egui::WidgetInfo::labeled(egui::accesskit::Role::Canvas, true, name));
        let painter = ui.painter_at(rect);
        painter.rect_filled(rect, 0.0, colors::FREE);
        let x = |address: usize| {
            rect.left() + ((address - base) as f64 / used * rect.width() as f64) as f32
        };
        let mut spans = Vec::new();
        for r in rows {
            let Some(address) = r.address else {
                continue;
            };
            let start = address - global::HEADER as usize;
            let (l, right) = (x(start), x(address + r.size as usize));
            let block =
                Rect::from_min_max(pos2(l, rect.top()), pos2(right.max(l + 2.0), rect.bottom()));
            let fill = match r.kind {
                Kind::Fixed => colors::FIXED,
                Kind::Moveable => colors::MOVEABLE,
                Kind::Discardable => colors::DISCARDABLE,
            };
            painter.rect_filled(block, 0.0, fill);
            painter.vline(
                l,
                rect.y_range(),
                Stroke::new(1.0, ui.visuals().extreme_bg_color),
            );
            let frame = if self.moved.iter().any(|m| m.handle == r.handle) {
                Some(colors::MOVED)
            } else if r.lock_count > 0 {
                Some(colors::LOCKED)
            } else {
                None
            };
            if let Some(c) = frame {
                painter.rect_stroke(
                    block.shrink(1.0),
                    0.0,
                    Stroke::new(2.5, c),
                    StrokeKind::Inside,
                );
            }
            if Some(r.handle) == self.selected {
                painter.rect_stroke(
                    block,
                    0.0,
                    Stroke::new(1.5, ui.visuals().strong_text_color()),
                    StrokeKind::Outside,
                );
            }
            spans.push((block, r.handle));
        }
        if response.clicked()
            && let Some(pos) = response.interact_pointer_pos()
            && let Some((_, h)) = spans.iter().find(|(b, _)| b.contains(pos))
        {
            self.selected = Some(*h);
        }
        ui.horizontal_wrapped(|ui| {
            let key = |ui: &mut egui::Ui, color: Color32, text: &str| {
                let (r, _) = ui.allocate_exact_size(vec2(10.0, 10.0), Sense::hover());
                ui.painter().rect_filled(r, 0.0, color);
                ui.label(text);
            };
            key(ui, colors::FIXED, lang.pick("fixed", "고정"));
            key(ui, colors::MOVEABLE, lang.pick("moveable", "이동 가능"));
            key(
                ui,
                colors::DISCARDABLE,
                lang.pick("discardable", "버릴 수 있음"),
            );
            key(ui, colors::FREE, lang.pick("free", "빈 공간"));
            key(
                ui,
                colors::LOCKED,
                lang.pick("locked (frame)", "잠김 (테두리)"),
            );
            key(
                ui,
                colors::MOVED,
                lang.pick("moved (frame)", "옮겨짐 (테두리)"),
            );
        });
        let (largest, total) = self.lab.free_space();
        ui.weak(match lang {
            Lang::En => format!(
                "Drawn: the first {} of memlab's {} heap; free space in it {} (largest {})",
                format_bytes(used as u64),
                format_bytes(ARENA_BYTES as u64),
                format_bytes(total),
                format_bytes(largest)
            ),
            Lang::Ko => format!(
                "그림: memlab의 {} 힙 중 앞의 {}, 그 안의 빈 공간 {} (가장 큰 곳 {})",
                format_bytes(ARENA_BYTES as u64),
                format_bytes(used as u64),
                format_bytes(total),
                format_bytes(largest)
            ),
        });
    }

    /// The handle table; a click on a handle chooses it.
    fn table_ui(&mut self, ui: &mut egui::Ui, rows: &[Row], lang: Lang) {
        if rows.is_empty() {
            ui.weak(lang.pick(
                "No handles yet: GlobalAlloc makes one.",
                "아직 핸들이 없습니다. GlobalAlloc으로 만드세요.",
            ));
            return;
        }
        let mut picked = None;
        let moved_color = colors::MOVED;
        let error = ui.visuals().error_fg_color;
        wide(ui, "global-table", |ui| {
            egui::Grid::new("global-handles")
                .striped(true)
                .spacing([10.0, 4.0])
                .show(ui, |ui| {
                    header_row(
                        ui,
                        &[
                            lang.pick("Handle", "핸들"),
                            lang.pick("Kind", "종류"),
                            "HGLOBAL",
                            lang.pick("Address", "주소"),
                            lang.pick("Kept p", "받아 둔 p"),
                            lang.pick("Size (asked)", "크기 (요청)"),
                            lang.pick("Locks", "잠금"),
                            lang.pick("Flags", "플래그"),
                        ],
                    );
                    for r in rows {
                        let chosen = self.selected == Some(r.handle);
                        if ui
                            .selectable_label(chosen, format!("#{}", r.handle.0))
                            .clicked()
                        {
                            picked = Some(r.handle);
                        }
                        ui.label(r.kind.localized(lang));
                        ui.monospace(format!("{:#x}", r.hglobal));
                        match (r.address, self.moved.iter().find(|m| m.handle == r.handle)) {
                            (None, _) => {
                                ui.weak(lang.pick("(discarded)", "(버려짐)"));
                            }
                            (Some(a), Some(m)) => {
                                ui.vertical(|ui| {
                                    let moved = |t: String| code(t).color(moved_color);
                                    ui.label(moved(format!("{a:#x}")).strong());
                                    ui.label(moved(format!(
                                        "{} {:#x}",
                                        lang.pick("was", "이전"),
                                        m.from
                                    )));
                                });
                            }
                            (Some(a), None) => {
                                ui.monospace(format!("{a:#x}"));
                            }
                        }
                        match r.kept {
                            None => {
                                ui.weak("-");
                            }
                            Some(p) if r.kept_is_stale() => {
                                ui.vertical(|ui| {
                                    ui.label(
                                        RichText::new(format!("{p:#x}")).monospace().color(error),
                                    );
                                    ui.label(
                                        RichText::new(lang.pick("stale pointer", "낡은 포인터"))
                                            .color(error),
                                    );
                                });
                            }
                            Some(p) => {
                                ui.monospace(format!("{p:#x}"));
                            }
                        }
                        ui.label(format!("{} ({})", r.size, r.requested));
                        ui.label(r.lock_count.to_string());
                        let names = r.flag_names().join(" | ");
                        let flags = ui.monospace(format!("{:#06x}", r.flags));
                        if !names.is_empty() {
                            flags.on_hover_text(names);
                        }
                        ui.end_row();
                    }
                });
        });
        if let Some(h) = picked {
            self.selected = Some(h);
        }
        ui.weak(lang.pick(
            "HGLOBAL: a fixed block's pointer, or a movable block's entry in the handle table. Flags (GlobalFlags): the lock count in the low byte, 0x0100 GMEM_DISCARDABLE, 0x4000 GMEM_DISCARDED. Kept p: the pointer the last GlobalLock returned, as a program keeps it.",
            "HGLOBAL: 고정 블록은 포인터, 이동 가능한 블록은 핸들 표의 항목. 플래그(GlobalFlags): 아래 바이트는 잠금 계수, 0x0100 GMEM_DISCARDABLE, 0x4000 GMEM_DISCARDED. 받아 둔 p: 프로그램이 간직하듯 마지막 GlobalLock이 돌려준 포인터.",
        ));
    }
}

impl Lab for GlobalLabForm {
    fn id(&self) -> LabId {
        LabId::Global
    }

    fn title(&self, lang: Lang) -> &'static str {
        lang.pick("Global/Local (GlobalAlloc)", "글로벌/로컬 (GlobalAlloc)")
    }

    fn ui(&mut self, ui: &mut egui::Ui, lang: Lang) {
        ui.heading(lang.pick(
            "Global and local memory (GlobalAlloc and friends)",
            "글로벌 메모리와 로컬 메모리 (GlobalAlloc과 관련 함수)",
        ));
        ui.add(egui::Label::new(help::INTRO.get(lang)).wrap());
        ui.add_space(4.0);
        self.alloc_ui(ui, lang);
        self.calls_ui(ui, lang);
        show_status(ui, lang, self.status.as_ref());
        ui.separator();
        let rows = self.lab.rows();
        self.strip_ui(ui, &rows, lang);
        ui.add_space(4.0);
        self.table_ui(ui, &rows, lang);
    }

    /// The book's experiment: a compaction moved a block whose pointer
    /// was kept, a locked block stayed, a discardable one was emptied, and
    /// the stale pointer now reads another block's bytes. Where the heap
    /// moved nothing (Win32), the block moves by a GlobalReAlloc with
    /// GMEM_MOVEABLE instead.
    fn demo(&mut self) {
        let alloc = |f: &mut Self, kind, bytes| {
            f.kind = kind;
            f.bytes = bytes;
            f.alloc();
        };
        alloc(self, Kind::Moveable, 300);
        alloc(self, Kind::Fixed, 64);
        alloc(self, Kind::Moveable, 200);
        alloc(self, Kind::Moveable, 100);
        alloc(self, Kind::Discardable, 500);
        self.choose(Handle(3));
        self.lock();
        self.unlock();
        self.choose(Handle(4));
        self.lock();
        self.choose(Handle(1));
        self.free();
        self.compact();
        let compacted = !self.moved.is_empty();
        alloc(self, Kind::Fixed, 150);
        self.low_memory();
        self.choose(Handle(3));
        if !compacted {
            // Win32 moved nothing by itself (its heap does not compact):
            // the block moves the way it does there, by growing it with
            // GMEM_MOVEABLE while the program keeps its pointer.
            self.lock();
            let (size, moveable) = (self.new_size, self.realloc_moveable);
            (self.new_size, self.realloc_moveable) = (100_000, true);
            self.realloc();
            (self.new_size, self.realloc_moveable) = (size, moveable);
            self.unlock();
        }
        self.read_kept();
        self.kind = Kind::Moveable;
        self.bytes = 200;
    }
}
