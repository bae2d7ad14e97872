//! The heap lab (HeapCreate and friends, the chapter's §4): several
//! private heaps side by side, each drawn to scale (reserved, committed,
//! every block and every free gap), the buttons of the heap functions, the
//! commit charge and RSS each step moved, the kernel's view of each heap
//! (smaps) and the process heap's counters.
//!
//! The heaps are `memlab_engine::heap`'s. Every operation is a few
//! microseconds of memlab's own bookkeeping, so it runs on the UI thread;
//! the kernel's view (one read of /proc/self/smaps) is taken once after
//! each button, not every frame.

mod colors;
pub(crate) mod help;
pub mod messages;
mod strip;

use eframe::egui::{self, RichText};
use serde::{Deserialize, Serialize};

use crate::forms::Lab;
use crate::forms::widgets::{InputNote, NumberInput, Status, show_note, show_status, wide};
use crate::lab_id::LabId;
use memlab_engine::format::format_bytes;
use memlab_engine::heap::{
    self, BlockId, Costs, HeapError, HeapId, HeapLab, HeapState, KernelView, ProcessHeap,
    ReallocFlags, WalkKind,
};
use memlab_engine::i18n::{Lang, Localized};
use messages::{Growth, HeapNote, SizeRule};

/// The largest block size the form's fields take (64 MiB).
const MAX_FIELD_BYTES: u32 = 64 << 20;
/// The largest heap size the form's fields take, in KiB (4 GiB).
const MAX_FIELD_KIB: u32 = 4 << 20;
/// Rows of the HeapWalk table shown before "and N more".
const WALK_ROWS: usize = 200;

/// What the form shows, measured after the last button.
struct View {
    heaps: Vec<(HeapState, Result<KernelView, HeapError>)>,
    costs: Option<Costs>,
    process: Option<ProcessHeap>,
}

/// The last step's cost: RSS and commit charge before and after it.
struct StepCost {
    step: &'static str,
    before: Costs,
    after: Costs,
}

/// The inputs' notes (a value clamped or refused).
#[derive(Default)]
struct Notes {
    initial: Option<InputNote>,
    maximum: Option<InputNote>,
    size: Option<InputNote>,
    count: Option<InputNote>,
    new_size: Option<InputNote>,
}

/// The heap lab.
#[derive(Serialize, Deserialize)]
#[serde(default)]
pub struct HeapLabForm {
    /// HeapCreate's initial size, in KiB.
    pub initial_kib: u32,
    /// HeapCreate's maximum, in KiB (0 = growable).
    pub maximum_kib: u32,
    /// HeapAlloc's size, in bytes.
    pub size: u32,
    /// How many blocks one HeapAlloc click makes.
    pub count: u32,
    /// HEAP_ZERO_MEMORY.
    pub zero: bool,
    /// HeapReAlloc's new size, in bytes.
    pub new_size: u32,
    /// HEAP_REALLOC_IN_PLACE_ONLY.
    pub in_place_only: bool,
    #[serde(skip)]
    lab: HeapLab,
    #[serde(skip)]
    selected: Option<HeapId>,
    #[serde(skip)]
    block: Option<BlockId>,
    /// Blocks the last HeapValidate found damaged, per heap.
    #[serde(skip)]
    damaged: Vec<(HeapId, BlockId)>,
    #[serde(skip)]
    view: Option<View>,
    #[serde(skip)]
    cost: Option<StepCost>,
    #[serde(skip)]
    status: Option<Status>,
    #[serde(skip)]
    note: Option<HeapNote>,
    #[serde(skip)]
    notes: Notes,
}

impl Default for HeapLabForm {
    fn default() -> Self {
        Self {
            initial_kib: 64,
            maximum_kib: 256,
            size: 1000,
            count: 1,
            zero: true,
            new_size: 4000,
            in_place_only: false,
            lab: HeapLab::new(),
            selected: None,
            block: None,
            damaged: Vec::new(),
            view: None,
            cost: None,
            status: None,
            note: None,
            notes: Notes::default(),
        }
    }
}

/// A button's work: what it did, or the rule it broke.
type Step = Result<HeapNote, HeapError>;

/// A button of the form: its label, the call it stands for, what it does.
type HeapButton<'a> = (&'a str, heap::Operation, fn(&mut HeapLabForm));

impl HeapLabForm {
    /// Every heap, as the strips show them.
    pub fn heaps(&self) -> Vec<HeapState> {
        self.lab.states()
    }

    /// The heap the buttons act on.
    pub fn selected(&self) -> Option<HeapId> {
        self.selected
    }

    /// The block the block buttons act on.
    pub fn block(&self) -> Option<BlockId> {
        self.block
    }

    /// Chooses the heap and block the buttons act on.
    pub fn choose(&mut self, heap: HeapId, block: Option<BlockId>) {
        self.selected = Some(heap);
        self.block = block;
    }

    /// The last button's note, in `lang`.
    pub fn status_text(&self, lang: Lang) -> Option<String> {
        self.status.as_ref().map(|s| s.text(lang))
    }

    /// The last button's note as data.
    pub fn note(&self) -> Option<&HeapNote> {
        self.note.as_ref()
    }

    /// The kernel's view of `heap` as last measured.
    pub fn kernel_view(&self, heap: HeapId) -> Option<KernelView> {
        let view = self.view.as_ref()?;
        view.heaps
            .iter()
            .find(|(s, _)| s.id == heap)
            .and_then(|(_, k)| k.as_ref().ok().copied())
    }

    /// Runs `work` on the heaps, measuring RSS and the commit charge
    /// around it, and shows what it did.
    fn run(&mut self, step: &'static str, work: impl FnOnce(&mut Self) -> Step) {
        let before = heap::costs().ok();
        let result = work(self);
        let after = heap::costs().ok();
        if let (Some(before), Some(after)) = (before, after) {
            self.cost = Some(StepCost {
                step,
                before,
                after,
            });
        }
        let note = match result {
            Ok(note) => note,
            Err(e) => HeapNote::Failed(e),
        };
        self.status = Some(match &note {
            HeapNote::Failed(_) | HeapNote::Invalid { .. } => Status::error(note.clone()),
            HeapNote::ChooseHeap | HeapNote::ChooseBlock | HeapNote::Overrun { .. } => {
                Status::warn(note.clone())
            }
            _ => Status::info(note.clone()),
        });
        self.note = Some(note);
        self.measure();
    }

    /// Reads the heaps, the kernel's view of them, the costs and the
    /// process heap's counters.
    fn measure(&mut self) {
        let heaps = self
            .lab
            .states()
            .into_iter()
            .map(|s| {
                let k = self.lab.kernel_view(s.id);
                (s, k)
            })
            .collect();
        self.view = Some(View {
            heaps,
            costs: heap::costs().ok(),
            process: heap::process_heap(),
        });
        let ids = self.lab.ids();
        if self.selected.is_none_or(|h| !ids.contains(&h)) {
            self.selected = ids.last().copied();
            self.block = None;
        }
        if let (Some(h), Some(b)) = (self.selected, self.block)
            && self.lab.size(h, b).is_err()
        {
            self.block = None;
        }
        self.damaged.retain(|(h, _)| ids.contains(h));
    }

    fn heap(&self) -> Result<HeapId, HeapNote> {
        self.selected.ok_or(HeapNote::ChooseHeap)
    }

    fn heap_block(&self) -> Result<(HeapId, BlockId), HeapNote> {
        let heap = self.heap()?;
        Ok((heap, self.block.ok_or(HeapNote::ChooseBlock)?))
    }

    /// HeapCreate with the fields' sizes.
    pub fn create(&mut self) {
        let (initial, maximum) = (
            u64::from(self.initial_kib) << 10,
            u64::from(self.maximum_kib) << 10,
        );
        self.run("HeapCreate", |f| {
            let heap = f.lab.create(initial, maximum)?;
            f.selected = Some(heap);
            f.block = None;
            let s = f.lab.state(heap)?;
            Ok(HeapNote::Created {
                heap,
                reserved: s.reserved,
                committed: s.committed,
            })
        });
    }

    /// HeapAlloc of the fields' size, `count` times.
    pub fn alloc(&mut self) {
        let (size, count, zero) = (u64::from(self.size), self.count.max(1), self.zero);
        self.run("HeapAlloc", |f| {
            let heap = match f.heap() {
                Ok(h) => h,
                Err(note) => return Ok(note),
            };
            let mut blocks = Vec::new();
            for _ in 0..count {
                match f.lab.alloc(heap, size, zero) {
                    Ok(b) => blocks.push(b),
                    Err(e) => {
                        f.block = blocks.last().copied().or(f.block);
                        return Err(e);
                    }
                }
            }
            f.block = blocks.last().copied();
            Ok(HeapNote::Allocated {
                heap,
                blocks,
                size,
                zero,
            })
        });
    }

    fn block_step(
        &mut self,
        step: &'static str,
        work: impl FnOnce(&mut Self, HeapId, BlockId) -> Step,
    ) {
        self.run(step, |f| match f.heap_block() {
            Ok((h, b)) => work(f, h, b),
            Err(note) => Ok(note),
        });
    }

    fn heap_step(&mut self, step: &'static str, work: impl FnOnce(&mut Self, HeapId) -> Step) {
        self.run(step, |f| match f.heap() {
            Ok(h) => work(f, h),
            Err(note) => Ok(note),
        });
    }

    pub fn free(&mut self) {
        self.block_step("HeapFree", |f, heap, block| {
            f.lab.free(heap, block)?;
            f.block = None;
            f.damaged.retain(|d| *d != (heap, block));
            Ok(HeapNote::Freed { heap, block })
        });
    }

    pub fn size_of(&mut self) {
        self.block_step("HeapSize", |f, heap, block| {
            Ok(HeapNote::Size {
                block,
                bytes: f.lab.size(heap, block)?,
            })
        });
    }

    pub fn realloc(&mut self) {
        let bytes = u64::from(self.new_size);
        let flags = ReallocFlags {
            zero_memory: self.zero,
            in_place_only: self.in_place_only,
        };
        self.block_step("HeapReAlloc", |f, heap, block| {
            let how = f.lab.realloc(heap, block, bytes, flags)?;
            Ok(HeapNote::Reallocated { block, bytes, how })
        });
    }

    pub fn overrun(&mut self) {
        self.block_step("overrun", |f, heap, block| {
            Ok(HeapNote::Overrun {
                block,
                at: f.lab.overrun(heap, block)?,
            })
        });
    }

    pub fn validate(&mut self) {
        self.heap_step("HeapValidate", |f, heap| {
            let damage = f.lab.validate(heap)?;
            f.damaged.retain(|(h, _)| *h != heap);
            f.damaged
                .extend(damage.iter().filter_map(|d| d.block.map(|b| (heap, b))));
            Ok(if damage.is_empty() {
                HeapNote::Valid { heap }
            } else {
                HeapNote::Invalid { heap, damage }
            })
        });
    }

    pub fn compact(&mut self) {
        self.heap_step("HeapCompact", |f, heap| {
            Ok(HeapNote::Compacted {
                heap,
                largest: f.lab.compact(heap)?,
            })
        });
    }

    pub fn fragment(&mut self) {
        self.heap_step("fragment", |f, heap| {
            Ok(HeapNote::Fragmented {
                heap,
                done: f.lab.fragment(heap)?,
            })
        });
    }

    /// HeapAlloc of a block 1 KiB larger than the largest free block: the
    /// heap must commit more, reserve more, or say memory is short.
    pub fn big_block(&mut self) {
        self.heap_step("HeapAlloc", |f, heap| {
            let before = f.lab.state(heap)?;
            let bytes = before.largest_free + 1024;
            let block = f.lab.alloc(heap, bytes, false)?;
            f.block = Some(block);
            let after = f.lab.state(heap)?;
            let grew = if after.reserved > before.reserved {
                Growth::Reserved(after.reserved - before.reserved)
            } else {
                Growth::Committed(after.committed - before.committed)
            };
            Ok(HeapNote::BigBlock {
                heap,
                bytes,
                largest_free: before.largest_free,
                total_free: before.total_free,
                grew,
            })
        });
    }

    pub fn destroy(&mut self) {
        self.heap_step("HeapDestroy", |f, heap| {
            let committed = f.lab.state(heap)?.committed;
            let before = heap::costs()?;
            f.lab.destroy(heap)?;
            let after = heap::costs()?;
            let kb = |b: u64| (b / 1024) as i64;
            Ok(HeapNote::Destroyed {
                heap,
                committed,
                rss_drop_kb: kb(before.rss) - kb(after.rss),
                charge_drop_kb: kb(before.commit_charge) - kb(after.commit_charge),
            })
        });
    }

    /// Brings fields read from saved settings (which anyone can edit) into
    /// the ranges the fields take.
    fn keep_in_range(&mut self) {
        self.initial_kib = self.initial_kib.min(MAX_FIELD_KIB);
        self.maximum_kib = self.maximum_kib.min(MAX_FIELD_KIB);
        self.size = self.size.min(MAX_FIELD_BYTES);
        self.new_size = self.new_size.min(MAX_FIELD_BYTES);
        self.count = self.count.clamp(1, heap::MAX_COUNT as u32);
    }

    /// HeapCreate's fields and button.
    fn create_ui(&mut self, ui: &mut egui::Ui, lang: Lang) {
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
    fn heaps_ui(&mut self, ui: &mut egui::Ui, lang: Lang) {
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
    fn operations_ui(&mut self, ui: &mut egui::Ui, lang: Lang) {
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
    fn strips_ui(&mut self, ui: &mut egui::Ui, lang: Lang) {
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
    fn costs_ui(&self, ui: &mut egui::Ui, lang: Lang) {
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
                lang.pick("GetProcessHeap (mallinfo2)", "GetProcessHeap (mallinfo2)"),
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
    fn walk_ui(&self, ui: &mut egui::Ui, lang: Lang) {
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
            "kernel (smaps): mapped {}, read-write {}, charged {}, in RAM {}",
            format_bytes(k.reserved),
            format_bytes(k.committed),
            format_bytes(k.charged),
            format_bytes(k.resident)
        ),
        (Ok(k), Lang::Ko) => format!(
            "커널 (smaps): 매핑 {}, 읽기-쓰기 {}, 커밋 양에 든 것 {}, RAM에 있는 것 {}",
            format_bytes(k.reserved),
            format_bytes(k.committed),
            format_bytes(k.charged),
            format_bytes(k.resident)
        ),
        (Err(e), lang) => e.localized(lang),
    }
}

impl Lab for HeapLabForm {
    fn id(&self) -> LabId {
        LabId::Heap
    }

    fn title(&self, lang: Lang) -> &'static str {
        lang.pick("Heap lab (HeapCreate)", "힙 실험실 (HeapCreate)")
    }

    fn ui(&mut self, ui: &mut egui::Ui, lang: Lang) {
        if self.view.is_none() {
            self.measure();
            self.keep_in_range();
        }
        ui.heading(lang.pick(
            "Heap lab (HeapCreate and friends)",
            "힙 실험실 (HeapCreate와 관련 함수)",
        ));
        ui.add(
            egui::Label::new(lang.pick(
                "Linux has no HeapCreate: this is memlab's model of a Win32 private heap, on real memory of this process. The maximum is reserved, the initial size committed; the heap commits more as it grows, and HeapDestroy gives everything back at once. Click a block in a strip to choose it.",
                "리눅스에는 HeapCreate가 없습니다. 이것은 이 프로세스의 실제 메모리 위에 만든 memlab의 Win32 private 힙 모형입니다. 최대 크기는 예약되고 초기 크기는 커밋됩니다. 힙은 커지면서 더 커밋하고, HeapDestroy가 모두를 한꺼번에 돌려줍니다. 띠에서 블록을 누르면 그 블록을 고릅니다.",
            ))
            .wrap(),
        );
        ui.add_space(4.0);
        self.create_ui(ui, lang);
        self.heaps_ui(ui, lang);
        self.operations_ui(ui, lang);
        show_status(ui, lang, self.status.as_ref());
        ui.separator();
        self.strips_ui(ui, lang);
        self.costs_ui(ui, lang);
        ui.add_space(6.0);
        self.walk_ui(ui, lang);
    }

    /// Three heaps: a fixed one fragmented, with an overrun found by
    /// HeapValidate; a fixed one that said "memory is short"; a growable
    /// one that grew.
    fn demo(&mut self) {
        self.initial_kib = 16;
        self.maximum_kib = 128;
        self.create();
        self.fragment();
        self.big_block();
        if let Some(h) = self.selected
            && let Some(b) = self
                .lab
                .state(h)
                .ok()
                .and_then(|s| s.blocks.get(3).map(|b| b.id))
        {
            self.block = Some(b);
            self.overrun();
            self.validate();
        }
        self.initial_kib = 64;
        self.maximum_kib = 64;
        self.create();
        self.size = 20_000;
        self.count = 3;
        self.alloc();
        self.count = 1;
        self.alloc();
        self.initial_kib = 0;
        self.maximum_kib = 0;
        self.create();
        self.size = 200_000;
        self.count = 6;
        self.alloc();
        self.count = 1;
        self.size = 1000;
        // Back to the first heap, whose damage the validation found.
        if let Some(&first) = self.lab.ids().first() {
            self.selected = Some(first);
            self.block = self
                .damaged
                .iter()
                .find(|(h, _)| *h == first)
                .map(|(_, b)| *b);
            self.validate();
        }
        self.initial_kib = 64;
        self.maximum_kib = 256;
    }

    /// Destroys every heap.
    fn shutdown(&mut self) {
        self.lab.destroy_all();
        self.view = None;
    }
}
