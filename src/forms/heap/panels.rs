//! The heap lab's panels: HeapCreate's fields, the heaps with their
//! strips, the operations' buttons, the costs (RSS, commit charge, the
//! process heap) and HeapWalk's table, and the lines they write.

use eframe::egui::{self, RichText};

use super::messages::SizeRule;
use super::{HeapButton, HeapLabForm, MAX_FIELD_BYTES, MAX_FIELD_KIB, WALK_ROWS, strip};
use crate::forms::widgets::{NumberInput, show_note, wide};
use memlab_engine::format::format_bytes;
use memlab_engine::heap::{self, BlockId, HeapError, HeapId, HeapState, KernelView, WalkKind};
use memlab_engine::i18n::{Lang, Localized};

/// The process heap's row: where its counters come from.
const PROCESS_HEAP_LABEL: &str = if cfg!(windows) {
    "GetProcessHeap (HeapWalk)"
} else {
    "GetProcessHeap (mallinfo2)"
};

impl HeapLabForm {
    /// HeapCreate's fields and button.
    pub(super) fn create_ui(&mut self, ui: &mut egui::Ui, lang: Lang) {
        ui.horizontal_wrapped(|ui| {
            ui.add(NumberInput::new(
                lang.pick("Initial KiB", "초기 KiB"),
                &mut self.initial_kib,
                0..=MAX_FIELD_KIB,
                &mut self.notes.initial,
            ));
            ui.add(NumberInput::new(
                lang.pick("Maximum KiB (0 = growable)", "최대 KiB (0 = 커지는 힙)"),
                &mut self.maximum_kib,
                0..=MAX_FIELD_KIB,
                &mut self.notes.maximum,
            ));
            if ui
                .button("HeapCreate")
                .on_hover_text(heap::Operation::Create.os_call())
                .clicked()
            {
                self.create();
            }
        });
        let rule = SizeRule("0 to 4194304 KiB (4 GiB)", "0에서 4194304 KiB (4 GiB)까지");
        show_note(ui, lang, self.notes.initial.as_ref(), &rule);
        show_note(ui, lang, self.notes.maximum.as_ref(), &rule);
    }

    /// The heaps as tabs, and HeapDestroy.
    pub(super) fn heaps_ui(&mut self, ui: &mut egui::Ui, lang: Lang) {
        let heaps: Vec<(HeapId, u64)> = self
            .view
            .as_ref()
            .map(|v| v.heaps.iter().map(|(s, _)| (s.id, s.maximum)).collect())
            .unwrap_or_default();
        ui.horizontal_wrapped(|ui| {
            ui.label(lang.pick("Heaps", "힙 목록"));
            if heaps.is_empty() {
                ui.weak(lang.pick("none yet", "아직 없음"));
            }
            for (id, maximum) in heaps {
                let kind = if maximum == 0 {
                    lang.pick("growable", "커지는 힙").to_string()
                } else {
                    format!("{} {}", lang.pick("max", "최대"), format_bytes(maximum))
                };
                let text = format!("{} · {kind}", id.localized(lang));
                if ui
                    .selectable_label(self.selected == Some(id), text)
                    .clicked()
                {
                    self.selected = Some(id);
                    self.block = None;
                }
            }
            let destroy = egui::Button::new("HeapDestroy");
            if ui
                .add_enabled(self.selected.is_some(), destroy)
                .on_hover_text(heap::Operation::Destroy.os_call())
                .clicked()
            {
                self.destroy();
            }
        });
    }

    /// HeapAlloc and the heap's buttons, then the chosen block's.
    pub(super) fn operations_ui(&mut self, ui: &mut egui::Ui, lang: Lang) {
        let has_heap = self.selected.is_some();
        ui.horizontal_wrapped(|ui| {
            ui.add(NumberInput::new(
                lang.pick("Bytes", "바이트"),
                &mut self.size,
                0..=MAX_FIELD_BYTES,
                &mut self.notes.size,
            ));
            ui.add(NumberInput::new(
                lang.pick("Count", "개수"),
                &mut self.count,
                1..=heap::MAX_COUNT as u32,
                &mut self.notes.count,
            ));
            ui.checkbox(&mut self.zero, "HEAP_ZERO_MEMORY");
            let buttons: [HeapButton; 5] = [
                ("HeapAlloc", heap::Operation::Alloc, Self::alloc),
                (
                    lang.pick("Fragment it", "조각내기"),
                    heap::Operation::Fragment,
                    Self::fragment,
                ),
                (
                    lang.pick("Allocate past the largest gap", "가장 큰 틈보다 크게 할당"),
                    heap::Operation::Alloc,
                    Self::big_block,
                ),
                ("HeapValidate", heap::Operation::Validate, Self::validate),
                ("HeapCompact", heap::Operation::Compact, Self::compact),
            ];
            for (label, op, action) in buttons {
                if ui
                    .add_enabled(has_heap, egui::Button::new(label))
                    .on_hover_text(op.os_call())
                    .clicked()
                {
                    action(self);
                }
            }
        });
        show_note(
            ui,
            lang,
            self.notes.size.as_ref(),
            &SizeRule(
                "0 to 67108864 bytes (64 MiB)",
                "0에서 67108864바이트 (64 MiB)까지",
            ),
        );
        show_note(
            ui,
            lang,
            self.notes.count.as_ref(),
            &SizeRule("1 to 10000 blocks", "1에서 10000개까지"),
        );
        let has_block = self.block.is_some();
        ui.horizontal_wrapped(|ui| {
            let chosen = match self.block {
                Some(b) => b.localized(lang),
                None => lang
                    .pick(
                        "no block chosen (click one in a strip)",
                        "고른 블록 없음 (띠에서 누르세요)",
                    )
                    .into(),
            };
            ui.label(RichText::new(chosen).strong());
            let buttons: [HeapButton; 3] = [
                ("HeapFree", heap::Operation::Free, Self::free),
                ("HeapSize", heap::Operation::Size, Self::size_of),
                (
                    lang.pick("Overrun it", "넘쳐 쓰기"),
                    heap::Operation::Overrun,
                    Self::overrun,
                ),
            ];
            for (label, op, action) in buttons {
                if ui
                    .add_enabled(has_block, egui::Button::new(label))
                    .on_hover_text(op.os_call())
                    .clicked()
                {
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
            ui.checkbox(&mut self.in_place_only, "HEAP_REALLOC_IN_PLACE_ONLY");
            if ui
                .add_enabled(has_block, egui::Button::new("HeapReAlloc"))
                .on_hover_text(heap::Operation::Realloc.os_call())
                .clicked()
            {
                self.realloc();
            }
        });
        show_note(
            ui,
            lang,
            self.notes.new_size.as_ref(),
            &SizeRule(
                "0 to 67108864 bytes (64 MiB)",
                "0에서 67108864바이트 (64 MiB)까지",
            ),
        );
    }

    /// Each heap: its figures, its strip, the kernel's view.
    pub(super) fn strips_ui(&mut self, ui: &mut egui::Ui, lang: Lang) {
        let Some(view) = &self.view else {
            return;
        };
        if view.heaps.is_empty() {
            ui.weak(lang.pick(
                "Create a heap to begin: its maximum is reserved, its initial size committed.",
                "먼저 힙을 만드세요. 최대 크기는 예약되고 초기 크기는 커밋됩니다.",
            ));
            return;
        }
        strip::legend(ui, lang);
        let mut picked = None;
        for (s, kernel) in &view.heaps {
            let chosen = self.selected == Some(s.id);
            let title = heap_line(s, lang);
            let text = RichText::new(title);
            if ui
                .selectable_label(chosen, if chosen { text.strong() } else { text })
                .clicked()
            {
                picked = Some((s.id, None));
            }
            ui.label(free_line(s, lang));
            let damaged: Vec<BlockId> = self
                .damaged
                .iter()
                .filter(|(h, _)| *h == s.id)
                .map(|(_, b)| *b)
                .collect();
            let block = if chosen { self.block } else { None };
            if let Some(b) = strip::heap_strip(ui, s, block, &damaged, lang) {
                picked = Some((s.id, Some(b)));
            }
            ui.add(egui::Label::new(RichText::new(kernel_line(kernel, lang)).weak()).wrap());
            ui.add_space(4.0);
        }
        if let Some((heap, block)) = picked {
            self.selected = Some(heap);
            self.block = block;
        }
    }

    /// RSS and commit charge, the last step's change, and the process heap.
    pub(super) fn costs_ui(&self, ui: &mut egui::Ui, lang: Lang) {
        let Some(view) = &self.view else {
            return;
        };
        let kb = |b: u64| (b / 1024) as i64;
        let mut rows: Vec<(&str, RichText)> = Vec::new();
        if let Some(c) = view.costs {
            rows.push((
                lang.pick("RSS (memlab)", "RSS (memlab)"),
                RichText::new(format!("{} kB", kb(c.rss))),
            ));
            rows.push((
                lang.pick("Commit charge (system)", "커밋 양 (시스템)"),
                RichText::new(format!("{} kB", kb(c.commit_charge))),
            ));
        }
        if let Some(cost) = &self.cost {
            let (rss, charge) = (
                kb(cost.after.rss) - kb(cost.before.rss),
                kb(cost.after.commit_charge) - kb(cost.before.commit_charge),
            );
            rows.push((
                lang.pick("Last step", "마지막 단계"),
                RichText::new(format!(
                    "{}: RSS {rss:+} kB, {} {charge:+} kB",
                    cost.step,
                    lang.pick("commit charge", "커밋 양")
                ))
                .strong(),
            ));
        }
        if let Some(p) = view.process {
            rows.push((
                PROCESS_HEAP_LABEL,
                RichText::new(match lang {
                    Lang::En => format!(
                        "{} in use, {} free in {} free blocks, {} in {} mapped blocks, arena {}",
                        format_bytes(p.in_use),
                        format_bytes(p.free),
                        p.free_blocks,
                        format_bytes(p.mapped),
                        p.mapped_blocks,
                        format_bytes(p.arena)
                    ),
                    Lang::Ko => format!(
                        "사용 중 {}, 빈 블록 {}개에 {}, 따로 매핑한 블록 {}개에 {}, 아레나 {}",
                        format_bytes(p.in_use),
                        p.free_blocks,
                        format_bytes(p.free),
                        p.mapped_blocks,
                        format_bytes(p.mapped),
                        format_bytes(p.arena)
                    ),
                }),
            ));
        }
        crate::forms::widgets::facts(ui, "heap-costs", rows);
    }

    /// HeapWalk of the chosen heap.
    pub(super) fn walk_ui(&self, ui: &mut egui::Ui, lang: Lang) {
        let Some(s) = self
            .view
            .as_ref()
            .and_then(|v| v.heaps.iter().find(|(s, _)| Some(s.id) == self.selected))
            .map(|(s, _)| s)
        else {
            return;
        };
        let title = format!(
            "HeapWalk: {} ({} {})",
            s.id.localized(lang),
            s.walk.len(),
            lang.pick("entries", "항목")
        );
        egui::CollapsingHeader::new(title)
            .id_salt("heap-walk")
            .default_open(true)
            .show(ui, |ui| {
                let max_height = (ui.ctx().content_rect().height() * 0.4).max(120.0);
                egui::ScrollArea::vertical()
                    .id_salt("heap-walk-rows")
                    .max_height(max_height)
                    .show(ui, |ui| {
                        wide(ui, "heap-walk-wide", |ui| {
                            egui::Grid::new("heap-walk-grid")
                                .striped(true)
                                .show(ui, |ui| {
                                    for h in [
                                        lang.pick("kind", "종류"),
                                        lang.pick("address", "주소"),
                                        lang.pick("size", "크기"),
                                        lang.pick("overhead", "부가 바이트"),
                                        lang.pick("block", "블록"),
                                    ] {
                                        ui.strong(h);
                                    }
                                    ui.end_row();
                                    for e in s.walk.iter().take(WALK_ROWS) {
                                        ui.label(e.kind.localized(lang));
                                        ui.monospace(format!("{:#x}", e.address));
                                        ui.label(format_bytes(e.size));
                                        ui.label(if e.kind == WalkKind::Uncommitted {
                                            String::new()
                                        } else {
                                            format!("{} B", e.overhead)
                                        });
                                        ui.label(
                                            e.block.map(|b| b.0.to_string()).unwrap_or_default(),
                                        );
                                        ui.end_row();
                                    }
                                });
                            if s.walk.len() > WALK_ROWS {
                                ui.weak(format!(
                                    "{} {}",
                                    s.walk.len() - WALK_ROWS,
                                    lang.pick("more entries", "개 항목 더 있음")
                                ));
                            }
                        });
                    });
            });
    }
}

/// "heap 1 (max 256 KiB): reserved …, committed …, N blocks".
fn heap_line(s: &HeapState, lang: Lang) -> String {
    let kind = if s.growable() {
        lang.pick("growable", "커지는 힙").to_string()
    } else {
        format!("{} {}", lang.pick("max", "최대"), format_bytes(s.maximum))
    };
    match lang {
        Lang::En => format!(
            "{} ({kind}): reserved {}, committed {}, {} blocks",
            s.id,
            format_bytes(s.reserved),
            format_bytes(s.committed),
            s.blocks.len()
        ),
        Lang::Ko => format!(
            "{} ({kind}): 예약 {}, 커밋 {}, 블록 {}개",
            s.id.localized(lang),
            format_bytes(s.reserved),
            format_bytes(s.committed),
            s.blocks.len()
        ),
    }
}

/// "largest free block … of … free".
fn free_line(s: &HeapState, lang: Lang) -> String {
    let gaps = s.walk.iter().filter(|e| e.kind == WalkKind::Free).count();
    let plural = if gaps == 1 { "" } else { "s" };
    match lang {
        Lang::En => format!(
            "largest free block {} of {} free in {gaps} gap{plural}",
            format_bytes(s.largest_free),
            format_bytes(s.total_free)
        ),
        Lang::Ko => format!(
            "가장 큰 빈 블록 {} / 빈 틈 {gaps}개에 모두 {}",
            format_bytes(s.largest_free),
            format_bytes(s.total_free)
        ),
    }
}

/// The kernel's view of a heap (smaps, mincore), or why it is missing.
fn kernel_line(kernel: &Result<KernelView, HeapError>, lang: Lang) -> String {
    match (kernel, lang) {
        (Ok(k), Lang::En) => format!(
            "kernel ({}): mapped {}, read-write {}, charged {}, in RAM {}",
            heap::KERNEL_SOURCE,
            format_bytes(k.reserved),
            format_bytes(k.committed),
            format_bytes(k.charged),
            format_bytes(k.resident)
        ),
        (Ok(k), Lang::Ko) => format!(
            "커널 ({}): 매핑 {}, 읽기-쓰기 {}, 커밋 양에 든 것 {}, RAM에 있는 것 {}",
            heap::KERNEL_SOURCE,
            format_bytes(k.reserved),
            format_bytes(k.committed),
            format_bytes(k.charged),
            format_bytes(k.resident)
        ),
        (Err(e), lang) => e.localized(lang),
    }
}
