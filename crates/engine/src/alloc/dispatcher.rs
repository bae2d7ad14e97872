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
        let (mut done, mut fell_back) = (0u64, 0u64);
        while done < u64::from(n) {
            // SAFETY: non-zero layout (caller).
            let (p, owner) = unsafe { self.alloc_served(kind, layout, false) };
            if p.is_null() {
                break;
            }
            use_block(p);
            // SAFETY: `p` is a live block `owner` allocated with `layout`;
            // `use_block` neither freed nor kept it (caller).
            unsafe { self.release(owner, p, layout) };
            fell_back += u64::from(owner != kind);
            done += 1;
        }
        self.counters
            .on_pairs(kind, done - fell_back, layout.size());
        self.counters
            .on_pairs(ManagerKind::Default, fell_back, layout.size());
        done as u32
    }

    /// Allocates through `kind` (the heap and mimalloc fall back to default
    /// when full) and counts the block under the manager that really served it.
    ///
    /// # Safety
    /// `layout` has a non-zero size (the contract of [`GlobalAlloc::alloc`]).
    #[inline(always)]
    unsafe fn alloc_impl(&self, kind: ManagerKind, layout: Layout, zeroed: bool) -> *mut u8 {
        // SAFETY: forwarded caller contract.
        let (p, served) = unsafe { self.alloc_served(kind, layout, zeroed) };
        if !p.is_null() {
            self.counters.on_alloc(served, layout.size());
        }
        p
    }

    /// Allocates through `kind`; a full heap or arena falls back to the
    /// default manager (counted in its fallbacks). The block (null if even
    /// the default manager refused) and the manager that served it; the
    /// block is not counted yet.
    ///
    /// # Safety
    /// `layout` has a non-zero size (the contract of [`GlobalAlloc::alloc`]).
    #[inline(always)]
    unsafe fn alloc_served(
        &self,
        kind: ManagerKind,
        layout: Layout,
        zeroed: bool,
    ) -> (*mut u8, ManagerKind) {
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
        match fallbacks {
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
        }
    }

    /// Frees `p` with `owner` and counts it.
    ///
    /// # Safety
    /// `p` is a live block allocated by `owner` (that is, `owner_of(p)`) with `layout`.
    #[inline(always)]
    unsafe fn free_owned(&self, owner: ManagerKind, p: *mut u8, layout: Layout) {
        // SAFETY: `p` is a live block of `owner` with `layout` (caller).
        unsafe { self.release(owner, p, layout) };
        self.counters.on_free(owner, layout.size());
    }

    /// Frees `p` with `owner`, not counted.
    ///
    /// # Safety
    /// `p` is a live block allocated by `owner` with `layout`.
    #[inline(always)]
    unsafe fn release(&self, owner: ManagerKind, p: *mut u8, layout: Layout) {
        // SAFETY: `p` is a live block of `owner` with `layout` (caller).
        unsafe {
            match owner {
                ManagerKind::Default => System.dealloc(p, layout),
                ManagerKind::Heap => self.heap.dealloc(p, layout),
                ManagerKind::Mimalloc => self.arena.dealloc(p),
            }
        }
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
#[path = "dispatcher_tests.rs"]
mod tests;
