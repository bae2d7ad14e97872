//! The page lab's controls: how many pages to reserve, the range of pages
//! the operations act on, and one button per operation, each saying on
//! hover which Win32 call it is and what it became here.

use eframe::egui;
use serde::{Deserialize, Serialize};

use super::worker::{Command, RangeOp};
use crate::forms::widgets::{InputNote, NumberInput, show_note};
use memlab_engine::i18n::{Lang, Localized};
use memlab_engine::vm::Operation;
use memlab_engine::vm::pages::{Decommit, MAX_PAGES, Protection, ReservationId};

/// Why a typed number was clamped: the field's rule.
#[derive(Clone, Copy)]
enum Rule {
    ReservePages,
    From,
    Count,
    Byte,
}

impl Localized for Rule {
    fn localized(&self, lang: Lang) -> String {
        match (self, lang) {
            (Self::ReservePages, Lang::En) => format!("a reservation has 1 to {MAX_PAGES} pages"),
            (Self::ReservePages, Lang::Ko) => {
                format!("예약 하나는 1~{MAX_PAGES}페이지입니다")
            }
            (Self::From, Lang::En) => format!("pages are numbered 0 to {}", MAX_PAGES - 1),
            (Self::From, Lang::Ko) => format!("페이지 번호는 0~{}입니다", MAX_PAGES - 1),
            (Self::Count, Lang::En) => format!("a range has 1 to {MAX_PAGES} pages"),
            (Self::Count, Lang::Ko) => format!("범위는 1~{MAX_PAGES}페이지입니다"),
            (Self::Byte, Lang::En) => "a byte is 0 to 255".into(),
            (Self::Byte, Lang::Ko) => "바이트 값은 0~255입니다".into(),
        }
    }
}

/// The inputs of the page lab (remembered between runs).
#[derive(Serialize, Deserialize)]
#[serde(default)]
pub struct Controls {
    /// Pages to reserve.
    pub reserve_pages: u32,
    /// The range the operations act on: `from .. from + count`.
    pub from: u32,
    pub count: u32,
    pub protection: Protection,
    /// The byte "Write" stores.
    pub byte: u32,
    /// The child process writes rather than reads.
    pub child_write: bool,
    #[serde(skip)]
    notes: [Option<InputNote>; 4],
}

impl Default for Controls {
    fn default() -> Self {
        Self {
            reserve_pages: 64,
            from: 0,
            count: 4,
            protection: Protection::ReadOnly,
            byte: 42,
            child_write: false,
            notes: Default::default(),
        }
    }
}

/// "VirtualAlloc(MEM_COMMIT, PAGE_READWRITE) -> mprotect(PROT_READ|PROT_WRITE)"
pub fn calls(op: Operation) -> String {
    format!("{} -> {}", op.win32(), op.os_call())
}

/// A button whose hover text names its Win32 call and what it became,
/// then `note`.
fn op_button(ui: &mut egui::Ui, enabled: bool, text: &str, op: Operation, note: &str) -> bool {
    let hover = if note.is_empty() {
        calls(op)
    } else {
        format!("{}\n{note}", calls(op))
    };
    ui.add_enabled(enabled, egui::Button::new(text))
        .on_hover_text(&hover)
        .on_disabled_hover_text(&hover)
        .clicked()
}

impl Controls {
    /// The selected range of pages.
    pub fn range(&self) -> std::ops::Range<usize> {
        let from = self.from as usize;
        from..from + self.count as usize
    }

    /// Selects `range` (from the grid).
    pub fn select(&mut self, range: std::ops::Range<usize>) {
        self.from = range.start as u32;
        self.count = range.len().max(1) as u32;
        self.notes[1] = None;
        self.notes[2] = None;
    }

    /// Pages to reserve and the Reserve button, in the caller's row.
    pub fn reserve_ui(&mut self, ui: &mut egui::Ui, lang: Lang) -> Option<Command> {
        ui.add(NumberInput::new(
            lang.pick("Pages to reserve", "예약할 페이지 수"),
            &mut self.reserve_pages,
            1..=MAX_PAGES as u32,
            &mut self.notes[0],
        ));
        let reserve = lang.pick("Reserve", "예약");
        op_button(ui, true, reserve, Operation::Reserve, "").then_some(Command::Reserve {
            pages: self.reserve_pages as usize,
        })
    }

    /// Why the typed number of pages to reserve was not taken, if it was not.
    pub fn reserve_note(&self, ui: &mut egui::Ui, lang: Lang) {
        show_note(ui, lang, self.notes[0].as_ref(), &Rule::ReservePages);
    }

    /// The range, and the operations on it for reservation `id` (None:
    /// nothing to act on yet, the buttons are disabled).
    pub fn operations_ui(
        &mut self,
        ui: &mut egui::Ui,
        lang: Lang,
        id: Option<ReservationId>,
        pages: usize,
    ) -> Vec<Command> {
        ui.horizontal_wrapped(|ui| {
            ui.add(NumberInput::new(
                lang.pick("From page", "시작 페이지"),
                &mut self.from,
                0..=MAX_PAGES as u32 - 1,
                &mut self.notes[1],
            ));
            ui.add(NumberInput::new(
                lang.pick("Page count", "페이지 수"),
                &mut self.count,
                1..=MAX_PAGES as u32,
                &mut self.notes[2],
            ));
            if ui
                .add_enabled(
                    pages > 0,
                    egui::Button::new(lang.pick("All pages", "모든 페이지")),
                )
                .clicked()
            {
                self.select(0..pages);
            }
            let r = self.range();
            // One piece: a wrapping row moves it whole to the next line.
            let range = egui::RichText::new(format!("= {}..{}", r.start, r.end)).weak();
            ui.add(egui::Label::new(range).extend());
        });
        show_note(ui, lang, self.notes[1].as_ref(), &Rule::From);
        show_note(ui, lang, self.notes[2].as_ref(), &Rule::Count);
        let enabled = id.is_some();
        let mut ops = Vec::new();
        ui.horizontal_wrapped(|ui| {
            let buttons = [
                (lang.pick("Commit", "커밋"), RangeOp::Commit),
                (
                    lang.pick("Decommit", "커밋 해제"),
                    RangeOp::Decommit(Decommit::Remap),
                ),
                (
                    lang.pick("Decommit, keep charge", "커밋 해제, 커밋 양 유지"),
                    RangeOp::Decommit(Decommit::DontNeed),
                ),
                (lang.pick("Lock", "잠금"), RangeOp::Lock),
                (lang.pick("Unlock", "잠금 해제"), RangeOp::Unlock),
            ];
            for (text, op) in buttons {
                if op_button(ui, enabled, text, op.operation(), "") {
                    ops.push(op);
                }
            }
        });
        ui.horizontal_wrapped(|ui| {
            let protect = lang.pick("Protect as", "보호 변경:");
            if op_button(ui, enabled, protect, Operation::Protect, "") {
                ops.push(RangeOp::Protect(self.protection));
            }
            for p in Protection::ALL {
                ui.radio_value(&mut self.protection, p, p.localized(lang))
                    .on_hover_text(format!(
                        "{} -> {}",
                        p.win32(),
                        super::os_text::protection_here(p)
                    ));
            }
        });
        let probe = lang.pick(
            "Through a probe that cannot fault: an access violation is a message, not a crash.",
            "폴트가 나지 않는 탐침으로 접근합니다. 접근 위반은 죽음이 아니라 메시지가 됩니다.",
        );
        let child = super::os_text::CHILD.get(lang);
        ui.horizontal_wrapped(|ui| {
            let read = lang.pick("Read a byte", "바이트 읽기");
            if op_button(ui, enabled, read, Operation::ReadByte, probe) {
                ops.push(RangeOp::Read);
            }
            let write = lang.pick("Write a byte", "바이트 쓰기");
            if op_button(ui, enabled, write, Operation::WriteByte, probe) {
                ops.push(RangeOp::Write(self.byte as u8));
            }
            ui.add(NumberInput::new(
                lang.pick("Byte", "값"),
                &mut self.byte,
                0..=255,
                &mut self.notes[3],
            ));
        });
        // The child's button and its read / write choice on a row of their own.
        ui.horizontal_wrapped(|ui| {
            let touch = lang.pick("Touch in a child process", "자식 프로세스에서 접근");
            if op_button(ui, enabled, touch, Operation::TouchInChild, child) {
                ops.push(RangeOp::Child {
                    write: self.child_write,
                });
            }
            ui.radio_value(&mut self.child_write, false, lang.pick("read", "읽기"));
            ui.radio_value(&mut self.child_write, true, lang.pick("write", "쓰기"));
        });
        show_note(ui, lang, self.notes[3].as_ref(), &Rule::Byte);
        let pages = self.range();
        id.map_or_else(Vec::new, |id| {
            ops.into_iter()
                .map(|op| Command::Range {
                    id,
                    pages: pages.clone(),
                    op,
                })
                .collect()
        })
    }
}
