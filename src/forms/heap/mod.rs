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
// The help names the calls as made: Linux's say what each became there.
#[cfg(not(windows))]
pub(crate) mod help;
#[cfg(windows)]
#[path = "help_windows.rs"]
pub(crate) mod help;
pub mod messages;
mod panels;
mod strip;

use eframe::egui;
use serde::{Deserialize, Serialize};

use crate::forms::Lab;
use crate::forms::widgets::{InputNote, Status, show_status};
use crate::lab_id::LabId;
use memlab_engine::heap::{
    self, BlockId, Costs, HeapError, HeapId, HeapLab, HeapState, KernelView, ProcessHeap,
    ReallocFlags,
};
use memlab_engine::i18n::Lang;
use messages::{Growth, HeapNote};

/// The largest block size the form's fields take (64 MiB).
const MAX_FIELD_BYTES: u32 = 64 << 20;
/// The largest heap size the form's fields take, in KiB (4 GiB).
const MAX_FIELD_KIB: u32 = 4 << 20;
/// Rows of the HeapWalk table shown before "and N more".
const WALK_ROWS: usize = 200;

/// What the lab is on this OS.
#[cfg(not(windows))]
const INTRO_EN: &str = "Linux has no HeapCreate: this is memlab's model of a Win32 private heap, on real memory of this process. The maximum is reserved, the initial size committed; the heap commits more as it grows, and HeapDestroy gives everything back at once. Click a block in a strip to choose it.";
#[cfg(not(windows))]
const INTRO_KO: &str = "리눅스에는 HeapCreate가 없습니다. 이것은 이 프로세스의 실제 메모리 위에 만든 memlab의 Win32 private 힙 모형입니다. 최대 크기는 예약되고 초기 크기는 커밋됩니다. 힙은 커지면서 더 커밋하고, HeapDestroy가 모두를 한꺼번에 돌려줍니다. 띠에서 블록을 누르면 그 블록을 고릅니다.";
#[cfg(windows)]
const INTRO_EN: &str = "The real Win32 private heaps: HeapCreate reserves the maximum and commits the initial size, HeapAlloc commits more as the heap grows, HeapWalk draws the strips, and HeapDestroy gives everything back at once. After an overrun memlab calls nothing that changes that heap (Windows would end the process): validate it, then destroy it. Click a block in a strip to choose it.";
#[cfg(windows)]
const INTRO_KO: &str = "진짜 Win32 private 힙입니다. HeapCreate가 최대 크기를 예약하고 초기 크기를 커밋하며, HeapAlloc은 힙이 커지면서 더 커밋하고, 띠는 HeapWalk로 그리며, HeapDestroy가 모두를 한꺼번에 돌려줍니다. 블록 끝을 넘어 쓴 힙에는 memlab이 더는 그 힙을 바꾸는 함수를 부르지 않습니다(윈도우라면 프로세스를 끝냅니다): 검사한 뒤 없애십시오. 띠에서 블록을 누르면 그 블록을 고릅니다.";
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
        ui.add(egui::Label::new(lang.pick(INTRO_EN, INTRO_KO)).wrap());
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
