//! `Dispatcher`: a `GlobalAlloc` that sends each allocation to the active
//! memory manager and each free/realloc back to the manager that owns the
//! block (Delphi's `SetMemoryManager`, but safe to switch at any moment).

use std::alloc::{GlobalAlloc, Layout, System};
use std::ptr;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering::Relaxed};

use super::arena::{DEFAULT_ARENA_SIZE, MimallocArena};
use super::counters::{Counters, Snapshot};
use super::heap::{DEFAULT_HEAP_MAX, HeapStatus, PrivateHeap};
use super::kind::ManagerKind;

/// Routes allocations to the active [`ManagerKind`]; never allocates itself.
///
/// # Who frees a block
/// A block is always freed/resized by the manager that allocated it, found
/// from the address alone (no header, no allocation, no call into a manager):
/// 1. inside the private heap's reserved range → the heap ([`PrivateHeap::owns`]);
/// 2. inside the mimalloc arena's reserved range → mimalloc ([`MimallocArena::owns`]);
/// 3. else → the system allocator.
///
/// This is sound because the heap and the arena are address ranges memlab
/// reserved itself and only their own manager places blocks there, while the
/// system allocator gets its memory from other mappings: the OS never maps
/// one address twice, so a *live* block's address lies in exactly one
/// manager's memory.
///
/// # When a manager is full
/// The private heap and the mimalloc arena have a fixed size. An allocation
/// that does not fit is served by the default manager instead, counted in
/// [`Snapshot::heap_fallbacks`] / [`Snapshot::mimalloc_fallbacks`]: memlab
/// never aborts because a manager ran out.
pub struct Dispatcher {
    active: AtomicU8,
    heap_fallbacks: AtomicU64,
    mimalloc_fallbacks: AtomicU64,
    heap: PrivateHeap,
    arena: MimallocArena,
    counters: Counters,
}

impl Default for Dispatcher {
    fn default() -> Self {
        Self::new()
    }
}

impl Dispatcher {
    /// Default manager active, private heap of [`DEFAULT_HEAP_MAX`] bytes,
    /// mimalloc arena of [`DEFAULT_ARENA_SIZE`] bytes.
    pub const fn new() -> Self {
        Self::with_sizes(DEFAULT_HEAP_MAX, DEFAULT_ARENA_SIZE)
    }

    /// Like [`new`](Self::new) with a different private-heap maximum (tests).
    pub const fn with_heap_max(max_bytes: usize) -> Self {
        Self::with_sizes(max_bytes, DEFAULT_ARENA_SIZE)
    }

    /// Like [`new`](Self::new) with a different private-heap maximum and
    /// mimalloc arena size (see [`MimallocArena::new`] for its rounding).
    pub const fn with_sizes(heap_max: usize, arena_size: usize) -> Self {
        Self {
            active: AtomicU8::new(ManagerKind::Default as u8),
            heap_fallbacks: AtomicU64::new(0),
            mimalloc_fallbacks: AtomicU64::new(0),
            heap: PrivateHeap::new(heap_max),
            arena: MimallocArena::new(arena_size),
            counters: Counters::new(),
        }
    }

    /// Make `kind` the manager for all *new* allocations; returns the previous one.
    /// Existing blocks keep going back to their own manager.
    pub fn set_active(&self, kind: ManagerKind) -> ManagerKind {
        // region 4.0.1 on Windows boxes its SYSTEM_INFO the first time it
        // is asked the page size, through the global allocator. Asked first
        // inside the private heap or the arena (which reserve their range
        // with region, under their lock) while that manager is the active
        // one, the box comes back to it and the process hangs on its own
        // lock. Asked here, before the switch, the box goes to the manager
        // still active (tests/crate_defects_region_windows.rs).
        let _ = region::page::size();
        ManagerKind::from_u8(self.active.swap(kind as u8, Relaxed))
    }

    /// The manager new allocations go to.
    #[inline]
    pub fn active(&self) -> ManagerKind {
        ManagerKind::from_u8(self.active.load(Relaxed))
    }

    /// The private heap (for status or direct use).
    pub fn heap(&self) -> &PrivateHeap {
        &self.heap
    }

    /// The mimalloc arena (for its range or direct use).
    pub fn mimalloc_arena(&self) -> &MimallocArena {
        &self.arena
    }

    /// The private heap's numbers (what HeapWalk counts of a HeapCreate heap).
    pub fn heap_status(&self) -> HeapStatus {
        self.heap.status()
    }

    /// Heap allocations that were served by the default manager instead.
    pub fn heap_fallbacks(&self) -> u64 {
        self.heap_fallbacks.load(Relaxed)
    }

    /// mimalloc allocations that were served by the default manager instead
    /// (the arena was full or could not be set up).
    pub fn mimalloc_fallbacks(&self) -> u64 {
        self.mimalloc_fallbacks.load(Relaxed)
    }

    /// Per-manager counters (see [`Snapshot`] on exactness).
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            active: self.active(),
            default: self.counters.read(ManagerKind::Default),
            heap: self.counters.read(ManagerKind::Heap),
            mimalloc: self.counters.read(ManagerKind::Mimalloc),
            heap_fallbacks: self.heap_fallbacks(),
            mimalloc_fallbacks: self.mimalloc_fallbacks(),
        }
    }

    /// Which manager owns the live block at `p` (see the type docs).
    #[inline]
    pub fn owner_of(&self, p: *const u8) -> ManagerKind {
        self.with_owner(p, |owner| owner)
    }

    /// `then(owner of p)`, with the owner a constant in each branch, so that
    /// what `then` does with it (the free path, its counters) is specialised
    /// per manager instead of matching on the kind again.
    #[inline(always)]
    fn with_owner<R>(&self, p: *const u8, then: impl FnOnce(ManagerKind) -> R) -> R {
        if self.heap.owns(p) {
            then(ManagerKind::Heap)
        } else if self.arena.owns(p) {
            then(ManagerKind::Mimalloc)
        } else {
            then(ManagerKind::Default)
        }
    }

    /// [`alloc_impl`](Self::alloc_impl) with the kind a constant in each arm,
    /// so the hot path branches once on the kind.
    ///
    /// # Safety
    /// As [`alloc_impl`](Self::alloc_impl).
    #[inline(always)]
    unsafe fn alloc_as(&self, kind: ManagerKind, layout: Layout, zeroed: bool) -> *mut u8 {
        // SAFETY: forwarded caller contract.
        unsafe {
            match kind {
                ManagerKind::Default => self.alloc_impl(ManagerKind::Default, layout, zeroed),
                ManagerKind::Heap => self.alloc_impl(ManagerKind::Heap, layout, zeroed),
                ManagerKind::Mimalloc => self.alloc_impl(ManagerKind::Mimalloc, layout, zeroed),
            }
        }
    }

    /// Allocate with an explicit manager, ignoring the active one (benchmarks).
    /// A full private heap or mimalloc arena falls back to the default manager
    /// as usual.
    ///
    /// # Safety
    /// Same contract as [`GlobalAlloc::alloc`]; free the block with this
    /// dispatcher (`dealloc`/`realloc`), whatever is active by then.
    #[inline(always)]
    pub unsafe fn alloc_with(&self, kind: ManagerKind, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded caller contract.
        unsafe { self.alloc_as(kind, layout, false) }
    }

    /// The benchmark's loop: `n` pairs of an allocation of `layout` through
    /// `kind` (falling back to default when the heap or arena is full, as
    /// [`alloc_with`](Self::alloc_with) does), `use_block` on the block, and
    /// its free by the manager that served it. Returns the pairs done: fewer
    /// than `n` only when an allocation failed (the failed one not counted).
    ///
    /// Why not `alloc_with` + `dealloc` per pair: the benchmark measures the
    /// manager, and those add what every allocation of the app pays (the
    /// owner looked up from the address, four counters written per pair:
    /// 1-2 ns, `benches/dispatch_overhead.rs`), which at 4 MB is a tenth of
    /// glibc's pair. Here the owner is known and the counters are added once
    /// for all `n` pairs, so they stay exact at the end; a snapshot taken
    /// while the loop runs sees its pairs not yet counted.
    ///
    /// # Safety
    /// `layout` has a non-zero size; `use_block` does not free the block or
    /// keep it past its call.
    #[inline(always)]
    pub(crate) unsafe fn alloc_free_pairs(
        &self,
        kind: ManagerKind,
        layout: Layout,
        n: u32,
        use_block: impl FnMut(*mut u8),
    ) -> u32 {
        // SAFETY: forwarded caller contract; each arm fixes the kind so the
        // loop is compiled once per manager with no branch on it.
        unsafe {
            match kind {
                ManagerKind::Default => self.pairs_as(ManagerKind::Default, layout, n, use_block),
                ManagerKind::Heap => self.pairs_as(ManagerKind::Heap, layout, n, use_block),
                ManagerKind::Mimalloc => self.pairs_as(ManagerKind::Mimalloc, layout, n, use_block),
            }
        }
    }

    /// [`alloc_free_pairs`](Self::alloc_free_pairs) with `kind` a constant.
    ///
    /// # Safety
    /// As [`alloc_free_pairs`](Self::alloc_free_pairs).
    #[inline(always)]
    unsafe fn pairs_as(
        &self,
        kind: ManagerKind,
        layout: Layout,
        n: u32,
        mut use_block: impl FnMut(*mut u8),
    ) -> u32 {
        let (mut done, mut fell_back) = (0u32, 0u32);
        while done < n {
            // SAFETY: non-zero layout (caller).
            let mut p = unsafe {
                match kind {
                    ManagerKind::Default => System.alloc(layout),
                    ManagerKind::Heap => self.heap.alloc(layout),
                    ManagerKind::Mimalloc => self.arena.alloc(layout, false),
                }
            };
            let mut owner = kind;
            if p.is_null() && kind != ManagerKind::Default {
                // Full: served by the default manager, as alloc_with does.
                // SAFETY: non-zero layout (caller).
                p = unsafe { System.alloc(layout) };
                owner = ManagerKind::Default;
            }
            if p.is_null() {
                break;
            }
            use_block(p);
            // SAFETY: `p` is a live block `owner` allocated with `layout`;
            // `use_block` neither freed nor kept it (caller).
            unsafe {
                match owner {
                    ManagerKind::Default => System.dealloc(p, layout),
                    ManagerKind::Heap => self.heap.dealloc(p, layout),
                    ManagerKind::Mimalloc => self.arena.dealloc(p),
                }
            }
            fell_back += u32::from(owner != kind);
            done += 1;
        }
        let fell_back = u64::from(fell_back);
        self.counters
            .on_pairs(kind, u64::from(done) - fell_back, layout.size());
        if fell_back > 0 {
            self.counters
                .on_pairs(ManagerKind::Default, fell_back, layout.size());
            match kind {
                ManagerKind::Heap => &self.heap_fallbacks,
                _ => &self.mimalloc_fallbacks,
            }
            .fetch_add(fell_back, Relaxed);
        }
        done
    }

    /// Allocates through `kind` (the heap and mimalloc fall back to default
    /// when full) and counts the block under the manager that really served it.
    ///
    /// # Safety
    /// `layout` has a non-zero size (the contract of [`GlobalAlloc::alloc`]).
    #[inline(always)]
    unsafe fn alloc_impl(&self, kind: ManagerKind, layout: Layout, zeroed: bool) -> *mut u8 {
        let (p, fallbacks) = match kind {
            // SAFETY: non-zero layout (caller), all the system allocator needs.
            ManagerKind::Default => (unsafe { system_alloc(layout, zeroed) }, None),
            // SAFETY: non-zero layout (caller).
            ManagerKind::Mimalloc => (
                unsafe { self.arena.alloc(layout, zeroed) },
                Some(&self.mimalloc_fallbacks),
            ),
            ManagerKind::Heap => {
                // SAFETY: non-zero layout (caller).
                let p = unsafe { self.heap.alloc(layout) };
                if zeroed && !p.is_null() {
                    // Reused heap memory is not zero.
                    // SAFETY: `p` is a fresh block of `layout.size()` bytes.
                    unsafe { p.write_bytes(0, layout.size()) };
                }
                (p, Some(&self.heap_fallbacks))
            }
        };
        let (p, served) = match fallbacks {
            Some(count) if p.is_null() => {
                // Full: memlab never aborts because a manager ran out.
                count.fetch_add(1, Relaxed);
                // SAFETY: non-zero layout (caller).
                (
                    unsafe { system_alloc(layout, zeroed) },
                    ManagerKind::Default,
                )
            }
            _ => (p, kind),
        };
        if !p.is_null() {
            self.counters.on_alloc(served, layout.size());
        }
        p
    }

    /// Frees `p` with `owner` and counts it.
    ///
    /// # Safety
    /// `p` is a live block allocated by `owner` (that is, `owner_of(p)`) with `layout`.
    #[inline(always)]
    unsafe fn free_owned(&self, owner: ManagerKind, p: *mut u8, layout: Layout) {
        // SAFETY: `p` is a live block of `owner` with `layout` (caller).
        unsafe {
            match owner {
                ManagerKind::Default => System.dealloc(p, layout),
                ManagerKind::Heap => self.heap.dealloc(p, layout),
                ManagerKind::Mimalloc => self.arena.dealloc(p),
            }
        }
        self.counters.on_free(owner, layout.size());
    }

    /// Move a block to `target`: allocate there, copy, free at `owner`.
    /// On failure the old block is left untouched (GlobalAlloc::realloc rule).
    ///
    /// # Safety
    /// `p` is a live block of `owner` with `layout`; `new_size` is non-zero and
    /// valid with `layout.align()` (the contract of [`GlobalAlloc::realloc`]).
    #[cold]
    unsafe fn move_block(
        &self,
        target: ManagerKind,
        owner: ManagerKind,
        p: *mut u8,
        layout: Layout,
        new_size: usize,
    ) -> *mut u8 {
        // SAFETY: caller guarantees new_size is valid with layout.align().
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        // SAFETY: non-zero size (realloc contract).
        let q = unsafe { self.alloc_impl(target, new_layout, false) };
        if !q.is_null() {
            // SAFETY: both blocks are live, distinct, and at least this long.
            unsafe {
                ptr::copy_nonoverlapping(p, q, layout.size().min(new_size));
                self.free_owned(owner, p, layout);
            }
        }
        q
    }
}

/// The system allocator, zeroed or not.
///
/// # Safety
/// `layout` has a non-zero size.
#[inline(always)]
unsafe fn system_alloc(layout: Layout, zeroed: bool) -> *mut u8 {
    // SAFETY: forwarded GlobalAlloc contract.
    unsafe {
        if zeroed {
            System.alloc_zeroed(layout)
        } else {
            System.alloc(layout)
        }
    }
}

// SAFETY: every block is allocated by exactly one of System / the mimalloc
// arena / PrivateHeap (all correct allocators) and freed or resized by the same one,
// identified soundly by `owner_of`; no path allocates through the global
// allocator (the heap and arena locks are spin locks, counters are atomics,
// mimalloc allocates its bookkeeping itself).
unsafe impl GlobalAlloc for Dispatcher {
    #[inline(always)]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded caller contract.
        unsafe { self.alloc_as(self.active(), layout, false) }
    }

    #[inline(always)]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded caller contract.
        unsafe { self.alloc_as(self.active(), layout, true) }
    }

    #[inline(always)]
    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        // SAFETY: `p` is live and came from this dispatcher (caller), and
        // `with_owner` names the manager that owns it.
        self.with_owner(p, |owner| unsafe { self.free_owned(owner, p, layout) })
    }

    /// Same manager as active: that manager's own realloc (the heap tries in
    /// place first, else allocates a new block; the heap and mimalloc fall
    /// back to default when full). Different manager: the block moves to the
    /// active one.
    unsafe fn realloc(&self, p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let owner = self.owner_of(p);
        let target = self.active();
        if owner != target {
            // SAFETY: forwarded caller contract.
            return unsafe { self.move_block(target, owner, p, layout, new_size) };
        }
        // In every arm `p` is a live block of `owner` with `layout`, and
        // `new_size` is valid (the caller's contract of GlobalAlloc::realloc).
        let q = match owner {
            // SAFETY: see above; the system allocator owns `p`.
            ManagerKind::Default => unsafe { System.realloc(p, layout, new_size) },
            ManagerKind::Mimalloc => {
                // SAFETY: see above; the mimalloc arena owns `p`.
                let q = unsafe { self.arena.realloc(p, layout, new_size) };
                if q.is_null() {
                    // Arena full: the block moves to the default manager.
                    // SAFETY: see above; `p` is untouched after a failed realloc.
                    return unsafe { self.move_block(target, owner, p, layout, new_size) };
                }
                q
            }
            ManagerKind::Heap => {
                // SAFETY: see above; the private heap owns `p`.
                if unsafe { self.heap.try_realloc_in_place(p, layout, new_size) } {
                    p
                } else {
                    // SAFETY: see above.
                    return unsafe { self.move_block(target, owner, p, layout, new_size) };
                }
            }
        };
        if !q.is_null() {
            self.counters.on_resize(owner, layout.size(), new_size);
        }
        q
    }
}

impl std::fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dispatcher")
            .field("active", &self.active())
            .field("heap", &self.heap)
            .field("arena", &self.arena)
            .field("heap_fallbacks", &self.heap_fallbacks())
            .field("mimalloc_fallbacks", &self.mimalloc_fallbacks())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(n: usize) -> Layout {
        Layout::from_size_align(n, 16).unwrap()
    }

    fn boxed(max: usize) -> Box<Dispatcher> {
        Box::new(Dispatcher::with_heap_max(max))
    }

    fn boxed_sizes(heap: usize, arena: usize) -> Box<Dispatcher> {
        Box::new(Dispatcher::with_sizes(heap, arena))
    }

    #[test]
    fn routing_survives_a_switch() {
        let d = boxed(64 << 20);
        let before = d.snapshot();
        assert_eq!(d.set_active(ManagerKind::Heap), ManagerKind::Default);
        // SAFETY: all blocks below are freed through `d` with their layouts.
        unsafe {
            let a = d.alloc(layout(1000));
            a.write_bytes(7, 1000);
            assert_eq!(d.owner_of(a), ManagerKind::Heap);
            let mid = d.snapshot();
            assert_eq!(mid.heap.live_blocks, before.heap.live_blocks + 1);
            assert_eq!(mid.heap.live_bytes, before.heap.live_bytes + 1000);
            d.set_active(ManagerKind::Default);
            let b = d.alloc(layout(24));
            assert_eq!(d.owner_of(b), ManagerKind::Default);
            d.dealloc(a, layout(1000)); // heap takes it back although default is active
            d.dealloc(b, layout(24));
        }
        let after = d.snapshot();
        assert_eq!(after.heap.live_blocks, before.heap.live_blocks);
        assert_eq!(after.heap.live_bytes, before.heap.live_bytes);
        assert_eq!(after.default.live_blocks, before.default.live_blocks);
        assert_eq!(after.heap.total_allocations, 1);
        assert_eq!(d.heap_status().allocated_bytes, 0);
    }

    #[test]
    fn exact_counters_per_manager() {
        let d = boxed(64 << 20);
        for kind in ManagerKind::ALL {
            d.set_active(kind);
            let sizes: Vec<usize> = (1..=50).map(|i| i * 37).collect();
            let base = d.snapshot().get(kind);
            // SAFETY: freed below with the same layouts.
            let ptrs: Vec<*mut u8> = sizes
                .iter()
                .map(|&n| unsafe { d.alloc(layout(n)) })
                .collect();
            let mid = d.snapshot().get(kind);
            assert_eq!(mid.live_blocks - base.live_blocks, 50, "{kind}");
            assert_eq!(
                mid.live_bytes - base.live_bytes,
                sizes.iter().sum::<usize>() as u64,
                "{kind}"
            );
            assert_eq!(mid.total_allocations - base.total_allocations, 50);
            for (p, n) in ptrs.into_iter().zip(&sizes) {
                assert_eq!(d.owner_of(p), kind);
                // SAFETY: allocated above with this layout.
                unsafe { d.dealloc(p, layout(*n)) };
            }
            let end = d.snapshot().get(kind);
            assert_eq!(
                (end.live_blocks, end.live_bytes),
                (base.live_blocks, base.live_bytes)
            );
        }
    }

    #[test]
    fn full_heap_falls_back_to_default() {
        let d = boxed(2 << 20);
        d.set_active(ManagerKind::Heap);
        let l = layout(512 << 10);
        // SAFETY: freed below with `l`.
        let ptrs: Vec<*mut u8> = (0..8).map(|_| unsafe { d.alloc(l) }).collect();
        assert!(ptrs.iter().all(|p| !p.is_null()));
        let s = d.snapshot();
        assert!(s.heap.live_blocks >= 2 && s.heap.live_blocks < 4, "{s:?}");
        assert_eq!(s.default.live_blocks, 8 - s.heap.live_blocks);
        assert_eq!(s.heap_fallbacks, s.default.live_blocks);
        for p in &ptrs {
            let expect = if d.heap().owns(*p) {
                ManagerKind::Heap
            } else {
                ManagerKind::Default
            };
            assert_eq!(d.owner_of(*p), expect);
        }
        // A heap block that cannot grow (heap full) still grows: moved to default.
        let heap_block = *ptrs.iter().find(|p| d.heap().owns(**p)).unwrap();
        // SAFETY: live block of layout `l`; the result replaces it.
        let grown = unsafe {
            heap_block.write_bytes(0x5A, l.size());
            d.realloc(heap_block, l, 1 << 20)
        };
        assert!(!grown.is_null());
        assert_eq!(d.owner_of(grown), ManagerKind::Default);
        // SAFETY: the first l.size() bytes were copied.
        let copied = unsafe { std::slice::from_raw_parts(grown, l.size()) };
        assert!(copied.iter().all(|&b| b == 0x5A));
        // SAFETY: each block freed once with its layout.
        unsafe {
            d.dealloc(grown, layout(1 << 20));
            for p in ptrs.into_iter().filter(|p| *p != heap_block) {
                d.dealloc(p, l);
            }
        }
        let s = d.snapshot();
        assert_eq!(s.total_live_blocks(), 0);
        assert_eq!(s.total_live_bytes(), 0);
        assert_eq!(d.heap_status().live_blocks, 0);
    }

    #[test]
    fn realloc_across_managers_keeps_data() {
        let d = boxed(64 << 20);
        let order = [
            ManagerKind::Heap,
            ManagerKind::Default,
            ManagerKind::Mimalloc,
            ManagerKind::Heap,
            ManagerKind::Mimalloc,
            ManagerKind::Default,
        ];
        d.set_active(order[0]);
        let mut size = 100;
        // SAFETY: one live block, always replaced by realloc's result.
        unsafe {
            let mut p = d.alloc(layout(size));
            for i in 0..size {
                *p.add(i) = i as u8;
            }
            for &kind in &order[1..] {
                d.set_active(kind);
                let new_size = size * 3;
                p = d.realloc(p, layout(size), new_size);
                assert!(!p.is_null());
                assert_eq!(d.owner_of(p), kind, "block moves to the active manager");
                for i in 0..100 {
                    assert_eq!(*p.add(i), i as u8);
                }
                size = new_size;
                let s = d.snapshot();
                assert_eq!(s.total_live_blocks(), 1);
                assert_eq!(s.get(kind).live_bytes, size as u64);
            }
            // Same manager: shrink in place is a resize, not a new block.
            let before = d.snapshot().get(ManagerKind::Default);
            p = d.realloc(p, layout(size), 50);
            let after = d.snapshot().get(ManagerKind::Default);
            assert_eq!(after.total_allocations, before.total_allocations);
            assert_eq!(after.live_bytes, 50);
            d.dealloc(p, layout(50));
        }
        assert_eq!(d.snapshot().total_live_bytes(), 0);
    }

    #[test]
    fn heap_realloc_grows_by_moving_when_blocked() {
        let d = boxed(64 << 20);
        d.set_active(ManagerKind::Heap);
        // SAFETY: blocks freed below with their current layouts.
        unsafe {
            let a = d.alloc(layout(64));
            let b = d.alloc(layout(64)); // sits right after `a`, blocking growth
            a.write_bytes(9, 64);
            let a2 = d.realloc(a, layout(64), 10_000);
            assert_ne!(a2, a, "could not grow in place, so it moved");
            assert_eq!(d.owner_of(a2), ManagerKind::Heap);
            assert!(std::slice::from_raw_parts(a2, 64).iter().all(|&x| x == 9));
            let a3 = d.realloc(a2, layout(10_000), 20_000); // top of heap: in place
            assert_eq!(d.owner_of(a3), ManagerKind::Heap);
            let s = d.snapshot().heap;
            assert_eq!((s.live_blocks, s.live_bytes), (2, 20_064));
            d.dealloc(a3, layout(20_000));
            d.dealloc(b, layout(64));
        }
        assert_eq!(d.heap_status().allocated_bytes, 0);
    }

    #[test]
    fn mimalloc_and_default_are_told_apart() {
        let d = boxed(16 << 20);
        // SAFETY: each block freed once through `d`.
        unsafe {
            let sys_before = d.alloc(layout(48)); // before mimalloc was ever used
            d.set_active(ManagerKind::Mimalloc);
            let mi: Vec<*mut u8> = [8, 100, 5000, 300_000, 5 << 20]
                .iter()
                .map(|&n| d.alloc(layout(n)))
                .collect();
            d.set_active(ManagerKind::Default);
            let sys: Vec<*mut u8> = [8, 100, 5000, 300_000, 5 << 20]
                .iter()
                .map(|&n| d.alloc(layout(n)))
                .collect();
            for &p in &mi {
                assert_eq!(d.owner_of(p), ManagerKind::Mimalloc);
            }
            for &p in sys.iter().chain([&sys_before]) {
                assert_eq!(d.owner_of(p), ManagerKind::Default);
            }
            let z = d.alloc_zeroed(layout(4096));
            assert!(std::slice::from_raw_parts(z, 4096).iter().all(|&b| b == 0));
            d.dealloc(z, layout(4096));
            for (p, n) in mi.into_iter().zip([8, 100, 5000, 300_000, 5 << 20]) {
                d.dealloc(p, layout(n));
            }
            for (p, n) in sys.into_iter().zip([8, 100, 5000, 300_000, 5 << 20]) {
                d.dealloc(p, layout(n));
            }
            d.dealloc(sys_before, layout(48));
        }
        assert_eq!(d.snapshot().total_live_blocks(), 0);
    }

    #[test]
    fn full_mimalloc_arena_falls_back_to_default() {
        let d = boxed_sizes(8 << 20, 32 << 20);
        d.set_active(ManagerKind::Mimalloc);
        let l = layout(4 << 20);
        // SAFETY: freed below with `l` (or the layout they were grown to).
        let mut ptrs: Vec<*mut u8> = (0..12).map(|_| unsafe { d.alloc(l) }).collect();
        assert!(ptrs.iter().all(|p| !p.is_null()));
        let s = d.snapshot();
        assert!((5..8).contains(&s.mimalloc.live_blocks), "{s:?}");
        assert_eq!(s.default.live_blocks, 12 - s.mimalloc.live_blocks);
        assert_eq!(s.mimalloc_fallbacks, s.default.live_blocks);
        assert_eq!(s.heap_fallbacks, 0);
        let (start, len) = d.mimalloc_arena().reservation().unwrap();
        for &p in &ptrs {
            let inside = (p as usize).wrapping_sub(start) < len;
            let expect = if inside {
                ManagerKind::Mimalloc
            } else {
                ManagerKind::Default
            };
            assert_eq!(d.owner_of(p), expect);
        }
        // A mimalloc block that cannot grow in a full arena moves to default.
        let i = ptrs
            .iter()
            .position(|&p| d.owner_of(p) == ManagerKind::Mimalloc)
            .unwrap();
        // SAFETY: live block of layout `l`; the result replaces it.
        unsafe {
            ptrs[i].write_bytes(0x3C, l.size());
            ptrs[i] = d.realloc(ptrs[i], l, 24 << 20);
        }
        assert!(!ptrs[i].is_null());
        assert_eq!(d.owner_of(ptrs[i]), ManagerKind::Default);
        // SAFETY: the first l.size() bytes were copied.
        let copied = unsafe { std::slice::from_raw_parts(ptrs[i], l.size()) };
        assert!(copied.iter().all(|&b| b == 0x3C));
        for (j, p) in ptrs.into_iter().enumerate() {
            let size = if j == i { 24 << 20 } else { l.size() };
            // SAFETY: each block freed once with its current layout.
            unsafe { d.dealloc(p, layout(size)) };
        }
        let s = d.snapshot();
        assert_eq!((s.total_live_blocks(), s.total_live_bytes()), (0, 0));
        // Room again: served by the arena.
        // SAFETY: freed right away.
        unsafe {
            let p = d.alloc(l);
            assert_eq!(d.owner_of(p), ManagerKind::Mimalloc);
            d.dealloc(p, l);
        }
    }

    #[test]
    fn the_benchmarks_pairs_count_as_single_pairs_do() {
        // Heap of 2 MiB: 64 KiB blocks fit, 4 MiB blocks fall back.
        let one_by_one = boxed_sizes(2 << 20, 32 << 20);
        let looped = boxed_sizes(2 << 20, 32 << 20);
        for kind in ManagerKind::ALL {
            for size in [64 << 10, 4 << 20] {
                let l = layout(size);
                for _ in 0..7 {
                    // SAFETY: freed right away with the same layout.
                    unsafe {
                        let p = one_by_one.alloc_with(kind, l);
                        one_by_one.dealloc(p, l);
                    }
                }
                let mut owners = Vec::new();
                // SAFETY: non-zero layout; the closure only looks at the block.
                let done = unsafe {
                    looped.alloc_free_pairs(kind, l, 7, |p| {
                        p.write_bytes(0xA5, size);
                        owners.push(looped.owner_of(p));
                    })
                };
                assert_eq!(done, 7);
                let fits = kind == ManagerKind::Default || size < 2 << 20;
                let expect = if fits || kind == ManagerKind::Mimalloc {
                    kind
                } else {
                    ManagerKind::Default
                };
                assert_eq!(owners, [expect; 7], "{kind} {size}");
            }
        }
        let (a, b) = (one_by_one.snapshot(), looped.snapshot());
        assert_eq!(a, b);
        assert_eq!(b.heap_fallbacks, 7);
        assert_eq!(b.heap.total_allocations, 7);
        assert_eq!(b.default.total_allocations, 3 * 7);
        assert_eq!(b.total_live_blocks(), 0);
    }

    #[test]
    fn heap_alloc_zeroed_really_zeroes_reused_memory() {
        let d = boxed(8 << 20);
        d.set_active(ManagerKind::Heap);
        // SAFETY: blocks freed once with their layout.
        unsafe {
            let p = d.alloc(layout(256));
            p.write_bytes(0xFF, 256);
            d.dealloc(p, layout(256));
            let q = d.alloc_zeroed(layout(256));
            assert!(std::slice::from_raw_parts(q, 256).iter().all(|&b| b == 0));
            d.dealloc(q, layout(256));
        }
    }
}
