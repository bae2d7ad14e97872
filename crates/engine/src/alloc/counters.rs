//! Exact per-manager allocation counters (Delphi's AllocMemCount/AllocMemSize)
//! that cost no atomic read-modify-write on the allocation hot path.
//!
//! Why not one `fetch_add` per counter: an uncontended `lock xadd` costs about
//! as much as a whole small glibc malloc/free pair, and a pair needs four of
//! them, which would blow the dispatcher's 5 % overhead budget (see
//! `benches/dispatch_overhead.rs`, row "System + 4 shared fetch_add").
//! Instead every thread gets its own cache-line-sized slot, written only by
//! that thread with a plain relaxed load + store; a reader sums all slots.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};

use serde::Serialize;

use super::kind::ManagerKind;

/// Threads that get a private slot; later threads share one RMW slot.
const SLOTS: usize = 256;
/// Index of the shared overflow slot (updated with `fetch_add`).
const SHARED: usize = SLOTS;
const UNASSIGNED: usize = usize::MAX;

/// Hands out slot indices process-wide, so one thread has the same index in
/// every `Counters` instance (and so is the only writer of that slot in each).
static NEXT_SLOT: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    // `const` initialiser and a type without `Drop`: on every tier-1 target this
    // is a plain `#[thread_local]` static, so touching it never allocates, never
    // registers a destructor and is valid until the thread is gone. That is what
    // makes it usable inside a global allocator. (Clippy 1.96 for
    // x86_64-pc-windows-gnu, built with -Zbuild-std, still says it could be
    // made `const`: a false positive on the macro's expansion there.)
    #[allow(clippy::missing_const_for_thread_local)]
    static MY_SLOT: Cell<usize> = const { Cell::new(UNASSIGNED) };
}

#[inline]
fn my_slot() -> usize {
    MY_SLOT
        .try_with(|s| {
            let v = s.get();
            if v != UNASSIGNED {
                return v;
            }
            // Slots are never returned (that would need a TLS destructor, which
            // may allocate); the counts of a dead thread simply stay in its slot.
            let n = NEXT_SLOT.fetch_add(1, Relaxed);
            let idx = if n < SLOTS { n } else { SHARED };
            s.set(idx);
            idx
        })
        .unwrap_or(SHARED)
}

#[derive(Default)]
struct Cells {
    allocs: AtomicU64,
    frees: AtomicU64,
    bytes_in: AtomicU64,
    bytes_out: AtomicU64,
}

impl Cells {
    const fn new() -> Self {
        Self {
            allocs: AtomicU64::new(0),
            frees: AtomicU64::new(0),
            bytes_in: AtomicU64::new(0),
            bytes_out: AtomicU64::new(0),
        }
    }
}

#[repr(align(128))] // own cache line(s): no false sharing between threads
struct Slot {
    m: [Cells; 3],
}

/// Monotonic per-thread counters; live values are differences of sums.
pub(crate) struct Counters {
    slots: [Slot; SLOTS + 1],
}

#[inline]
fn bump(cell: &AtomicU64, n: u64, shared: bool) {
    if shared {
        cell.fetch_add(n, Relaxed);
    } else {
        // Single writer (this thread owns the slot), so load + store loses
        // nothing; it is still an atomic so concurrent readers are race-free.
        cell.store(cell.load(Relaxed).wrapping_add(n), Relaxed);
    }
}

impl Counters {
    pub(crate) const fn new() -> Self {
        Self {
            slots: [const {
                Slot {
                    m: [const { Cells::new() }; 3],
                }
            }; SLOTS + 1],
        }
    }

    /// Adds `a` and `b` to two cells of this thread's slot for `kind`. The
    /// fast path (a thread with its own slot) is one thread-local read, one
    /// compare and two plain load + store pairs.
    #[inline(always)]
    fn add2(
        &self,
        kind: ManagerKind,
        a: fn(&Cells) -> &AtomicU64,
        na: u64,
        b: fn(&Cells) -> &AtomicU64,
        nb: u64,
    ) {
        let i = MY_SLOT.try_with(Cell::get).unwrap_or(UNASSIGNED);
        if i < SLOTS {
            let c = &self.slots[i].m[kind.index()];
            bump(a(c), na, false);
            bump(b(c), nb, false);
        } else {
            self.add2_slow(kind, a, na, b, nb);
        }
    }

    /// A thread's first count (takes a slot), or a thread beyond [`SLOTS`].
    #[cold]
    #[inline(never)]
    fn add2_slow(
        &self,
        kind: ManagerKind,
        a: fn(&Cells) -> &AtomicU64,
        na: u64,
        b: fn(&Cells) -> &AtomicU64,
        nb: u64,
    ) {
        let i = my_slot();
        let c = &self.slots[i].m[kind.index()];
        bump(a(c), na, i == SHARED);
        bump(b(c), nb, i == SHARED);
    }

    #[inline]
    pub(crate) fn on_alloc(&self, kind: ManagerKind, size: usize) {
        self.add2(kind, |c| &c.allocs, 1, |c| &c.bytes_in, size as u64);
    }

    #[inline]
    pub(crate) fn on_free(&self, kind: ManagerKind, size: usize) {
        self.add2(kind, |c| &c.frees, 1, |c| &c.bytes_out, size as u64);
    }

    /// `n` blocks of `size` bytes allocated and freed again (the benchmark's
    /// pairs, counted once per batch instead of twice per pair).
    #[inline]
    pub(crate) fn on_pairs(&self, kind: ManagerKind, n: u64, size: usize) {
        if n > 0 {
            let bytes = n.wrapping_mul(size as u64);
            self.add2(kind, |c| &c.allocs, n, |c| &c.bytes_in, bytes);
            self.add2(kind, |c| &c.frees, n, |c| &c.bytes_out, bytes);
        }
    }

    /// A block resized in place (same manager): bytes change, block count doesn't.
    #[inline]
    pub(crate) fn on_resize(&self, kind: ManagerKind, old: usize, new: usize) {
        self.add2(
            kind,
            |c| &c.bytes_out,
            old as u64,
            |c| &c.bytes_in,
            new as u64,
        );
    }

    pub(crate) fn read(&self, kind: ManagerKind) -> ManagerCounters {
        let (mut a, mut f, mut bi, mut bo) = (0u64, 0u64, 0u64, 0u64);
        for s in &self.slots {
            let c = &s.m[kind.index()];
            a = a.wrapping_add(c.allocs.load(Relaxed));
            f = f.wrapping_add(c.frees.load(Relaxed));
            bi = bi.wrapping_add(c.bytes_in.load(Relaxed));
            bo = bo.wrapping_add(c.bytes_out.load(Relaxed));
        }
        // Slots are read one after another, so while other threads run a free
        // can be seen before its alloc; clamp such a transient negative to 0.
        ManagerCounters {
            live_blocks: a.saturating_sub(f),
            live_bytes: bi.saturating_sub(bo),
            total_allocations: a,
            total_frees: f,
        }
    }
}

/// Counters of one manager (requested sizes, like Delphi's AllocMemSize).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ManagerCounters {
    /// Blocks allocated by this manager and not yet freed (AllocMemCount).
    pub live_blocks: u64,
    /// Sum of the requested sizes of those blocks (AllocMemSize).
    pub live_bytes: u64,
    /// Allocations ever served by this manager (in-place reallocs not counted).
    pub total_allocations: u64,
    /// Frees ever done by this manager.
    pub total_frees: u64,
}

/// Everything the UI shows about the dispatcher at one moment.
///
/// Exact when no other thread allocates while it is taken; otherwise each
/// number is a recent value (slots are summed one after another).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Snapshot {
    /// The manager new allocations go to.
    pub active: ManagerKind,
    /// Counters of `std::alloc::System`.
    pub default: ManagerCounters,
    /// Counters of the private heap.
    pub heap: ManagerCounters,
    /// Counters of mimalloc.
    pub mimalloc: ManagerCounters,
    /// Heap allocations that were served by the default manager because the
    /// private heap was full.
    pub heap_fallbacks: u64,
    /// mimalloc allocations that were served by the default manager because
    /// the mimalloc arena was full (or could not be set up).
    pub mimalloc_fallbacks: u64,
}

impl Snapshot {
    /// The counters of one manager.
    pub fn get(&self, kind: ManagerKind) -> ManagerCounters {
        match kind {
            ManagerKind::Default => self.default,
            ManagerKind::Heap => self.heap,
            ManagerKind::Mimalloc => self.mimalloc,
        }
    }

    /// Live blocks over all managers.
    pub fn total_live_blocks(&self) -> u64 {
        self.default.live_blocks + self.heap.live_blocks + self.mimalloc.live_blocks
    }

    /// Live bytes over all managers.
    pub fn total_live_bytes(&self) -> u64 {
        self.default.live_bytes + self.heap.live_bytes + self.mimalloc.live_bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_from_many_threads_add_up() {
        let c = Box::new(Counters::new());
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for i in 0..1000 {
                        c.on_alloc(ManagerKind::Heap, i);
                    }
                    for i in 0..500 {
                        c.on_free(ManagerKind::Heap, i);
                    }
                });
            }
        });
        let r = c.read(ManagerKind::Heap);
        assert_eq!(r.total_allocations, 4000);
        assert_eq!(r.live_blocks, 2000);
        let all: u64 = (0..1000u64).sum::<u64>() * 4;
        let freed: u64 = (0..500u64).sum::<u64>() * 4;
        assert_eq!(r.live_bytes, all - freed);
        assert_eq!(c.read(ManagerKind::Default), ManagerCounters::default());
    }
}
