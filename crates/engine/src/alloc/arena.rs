//! mimalloc in an arena that memlab reserves: one address range handed to
//! mimalloc as an *exclusive* arena, and a mimalloc heap that allocates only
//! there. Every mimalloc block of the dispatcher therefore lies inside a range
//! memlab knows, so telling "is this block mimalloc's?" is a range check like
//! the private heap's, not a page-map lookup (`mi_is_in_heap_region`).
//!
//! What mimalloc does with it (read in `libmimalloc-sys`'s `c_src/mimalloc/v3`):
//! - `mi_manage_os_memory_ex(.., exclusive = true, ..)` registers the range;
//!   an exclusive arena is never used by heaps that did not ask for it
//!   (`mi_arena_is_suitable`), so the process's other mimalloc memory (its
//!   own bookkeeping) stays outside.
//! - `mi_heap_new_in_arena(id)` makes a heap whose pages come only from that
//!   arena: when the arena is full, `mi_arenas_try_alloc` returns NULL for a
//!   requested arena and `mi_arena_os_alloc_aligned` refuses OS memory for
//!   it, so the allocation returns NULL (no OS fallback). The dispatcher then
//!   serves it with the default manager and counts it, as for the heap.
//! - mimalloc v3 heaps may be used from any thread (each thread gets its own
//!   `theap` for the heap); `mi_free` frees any block from any thread.
//! - mimalloc keeps the arena's own bookkeeping at the start of the range and
//!   has no call to forget an arena, so the range is never unmapped.

use std::alloc::Layout;
use std::ffi::c_void;
use std::fmt;
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering};

use libmimalloc_sys as mi;
use region::Protection;

/// Default size of the mimalloc arena (address space reserved on first use).
pub const DEFAULT_ARENA_SIZE: usize = 1 << 30;

/// mimalloc manages arenas in chunks of 512 slices of 64 KiB (`MI_ARENA_MIN_SIZE`
/// on 64-bit): the arena size is rounded up to a multiple of this.
const ARENA_CHUNK: usize = 32 << 20;

/// Arena start alignment mimalloc wants (`MI_ARENA_SLICE_ALIGN`, 64 KiB on
/// 64-bit). The reservation is this much longer so that an aligned start fits.
const ARENA_ALIGN: usize = 64 << 10;

/// A mimalloc heap confined to an address range reserved by memlab.
pub struct MimallocArena {
    /// Start of the reservation, published once (0 = not reserved yet).
    start: AtomicUsize,
    /// The heap, published after `start` (null = not set up yet).
    heap: AtomicPtr<mi::mi_heap_t>,
    /// Setting up failed once; never retried (allocations fall back).
    failed: AtomicBool,
    /// Serialises the one-time set-up.
    setup: spinning_top::Spinlock<()>,
    /// Size handed to mimalloc (a multiple of [`ARENA_CHUNK`]).
    size: usize,
}

impl MimallocArena {
    /// An arena of `size` bytes (rounded up to a multiple of 32 MiB, at least
    /// 32 MiB), reserved on the first allocation.
    pub const fn new(size: usize) -> Self {
        let size = if size <= ARENA_CHUNK {
            ARENA_CHUNK
        } else {
            size.div_ceil(ARENA_CHUNK) * ARENA_CHUNK
        };
        Self {
            start: AtomicUsize::new(0),
            heap: AtomicPtr::new(ptr::null_mut()),
            failed: AtomicBool::new(false),
            setup: spinning_top::Spinlock::new(()),
            size,
        }
    }

    /// Bytes reserved (the arena plus its alignment slack).
    #[inline]
    const fn reserved_len(&self) -> usize {
        self.size + ARENA_ALIGN
    }

    /// The arena's size as handed to mimalloc.
    pub fn size(&self) -> usize {
        self.size
    }

    /// The reserved address range (start, length), once the arena was first used.
    pub fn reservation(&self) -> Option<(usize, usize)> {
        let s = self.start.load(Ordering::Acquire);
        (s != 0).then_some((s, self.reserved_len()))
    }

    /// Setting up the arena failed (no address space, or mimalloc refused
    /// it); every allocation then falls back.
    pub fn failed(&self) -> bool {
        self.failed.load(Ordering::Relaxed)
    }

    /// Does `p` point into the arena's reserved range? Lock-free, no allocation.
    ///
    /// Sound without a lock for the same reason as
    /// [`PrivateHeap::owns`](super::PrivateHeap::owns): the range is published
    /// once, before the first block, and never changes; a block of the arena
    /// reaches whoever frees it through synchronisation that happens-after the
    /// publication, and any other live block lies outside the range whatever
    /// value is read.
    #[inline]
    pub fn owns(&self, p: *const u8) -> bool {
        let s = self.start.load(Ordering::Acquire);
        s != 0 && (p as usize).wrapping_sub(s) < self.reserved_len()
    }

    /// Allocate from the arena, or null when it is full (or could not be set up).
    ///
    /// # Safety
    /// `layout` has a non-zero size (the contract of `GlobalAlloc::alloc`).
    #[inline]
    pub unsafe fn alloc(&self, layout: Layout, zeroed: bool) -> *mut u8 {
        let mut heap = self.heap.load(Ordering::Acquire);
        if heap.is_null() {
            heap = self.set_up();
            if heap.is_null() {
                return ptr::null_mut();
            }
        }
        // SAFETY: `heap` is a live mimalloc heap (set up once, never deleted);
        // size and alignment come from a valid `Layout`.
        unsafe {
            if zeroed {
                mi::mi_heap_zalloc_aligned(heap, layout.size(), layout.align()).cast()
            } else {
                mi::mi_heap_malloc_aligned(heap, layout.size(), layout.align()).cast()
            }
        }
    }

    /// Free a block of this arena.
    ///
    /// # Safety
    /// `p` was returned by [`alloc`](Self::alloc) or [`realloc`](Self::realloc)
    /// of this arena and not freed since.
    #[inline]
    pub unsafe fn dealloc(&self, p: *mut u8) {
        // SAFETY: a live mimalloc block (caller); mi_free takes any thread's block.
        unsafe { mi::mi_free(p.cast::<c_void>()) }
    }

    /// Resize within the arena (in place when it fits); null when the arena
    /// is full, and then the old block is untouched.
    ///
    /// # Safety
    /// As [`dealloc`](Self::dealloc); `new_size` is non-zero and valid for a
    /// `Layout` with `layout.align()`.
    pub unsafe fn realloc(&self, p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let heap = self.heap.load(Ordering::Acquire);
        if heap.is_null() {
            return ptr::null_mut(); // cannot happen for a live block of ours
        }
        // SAFETY: live block of this heap (caller), valid size and alignment;
        // like realloc(3), failure returns NULL and leaves `p` as it was.
        unsafe { mi::mi_heap_realloc_aligned(heap, p.cast(), new_size, layout.align()).cast() }
    }

    /// Reserve the range, register it with mimalloc and create the heap
    /// (once; under the set-up lock). Returns the heap or null.
    #[cold]
    fn set_up(&self) -> *mut mi::mi_heap_t {
        if self.failed() {
            return ptr::null_mut();
        }
        let _guard = self.setup.lock();
        let heap = self.heap.load(Ordering::Acquire);
        if !heap.is_null() || self.failed() {
            return heap;
        }
        match self.reserve_and_register() {
            Some((start, heap)) => {
                self.start.store(start, Ordering::Release);
                self.heap.store(heap, Ordering::Release);
                heap
            }
            None => {
                self.failed.store(true, Ordering::Relaxed);
                ptr::null_mut()
            }
        }
    }

    /// No allocation through the global allocator happens here: `region::alloc`
    /// is a bare mmap/VirtualAlloc, and mimalloc allocates its own bookkeeping
    /// with its own functions.
    fn reserve_and_register(&self) -> Option<(usize, *mut mi::mi_heap_t)> {
        let mut mapping = region::alloc(self.reserved_len(), Protection::NONE).ok()?;
        let base = mapping.as_mut_ptr::<u8>();
        let aligned = base.wrapping_add(base.align_offset(ARENA_ALIGN));
        let mut id: mi::mi_arena_id_t = ptr::null_mut();
        // SAFETY: [aligned, aligned + size) lies inside our fresh reservation
        // (it is ARENA_ALIGN longer than `size`), which nothing else uses. Not
        // committed: mimalloc commits what it uses (mprotect read-write), like
        // the private heap. Fresh anonymous memory reads as zero.
        let registered = unsafe {
            mi::mi_manage_os_memory_ex(
                aligned.cast::<c_void>(),
                self.size,
                false, // is_committed
                false, // is_pinned (may be decommitted)
                true,  // is_zero
                -1,    // any NUMA node
                true,  // exclusive: only heaps made for this arena use it
                &mut id,
            )
        };
        if !registered {
            return None; // `mapping` is dropped: unmapped, mimalloc never saw it
        }
        // mimalloc now keeps bookkeeping inside the range for good.
        std::mem::forget(mapping);
        // SAFETY: `id` names the arena registered just above.
        let heap = unsafe { mi::mi_heap_new_in_arena(id) };
        (!heap.is_null()).then_some((base as usize, heap))
    }
}

impl fmt::Debug for MimallocArena {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MimallocArena")
            .field("size", &self.size)
            .field("start", &self.start.load(Ordering::Relaxed))
            .field("failed", &self.failed())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(n: usize) -> Layout {
        Layout::from_size_align(n, 16).unwrap()
    }

    #[test]
    fn blocks_lie_in_the_reserved_range_until_it_is_full() {
        let arena = MimallocArena::new(0);
        assert_eq!(arena.size(), 32 << 20, "rounded up to mimalloc's minimum");
        assert_eq!(
            arena.reservation(),
            None,
            "nothing reserved before first use"
        );
        let l = layout(1 << 20);
        let mut blocks = Vec::new();
        loop {
            // SAFETY: non-zero layout; every block is freed below.
            let p = unsafe { arena.alloc(l, false) };
            if p.is_null() {
                break;
            }
            assert!(arena.owns(p), "{p:p} outside {:?}", arena.reservation());
            // SAFETY: a fresh block of 1 MiB.
            unsafe { p.write_bytes(0x5A, l.size()) };
            blocks.push(p);
            assert!(blocks.len() <= 32, "grew past its 32 MiB arena");
        }
        assert!(
            blocks.len() >= 24,
            "only {} MiB in a 32 MiB arena",
            blocks.len()
        );
        let (start, len) = arena.reservation().unwrap();
        assert_eq!(len, (32 << 20) + ARENA_ALIGN);
        assert!(!arena.owns((start + len) as *const u8));
        assert!(!arena.owns(ptr::null()));
        let local = 0u8;
        assert!(!arena.owns(&local));
        // Full: freeing one block makes room again, in the same range.
        let last = blocks.pop().unwrap();
        // SAFETY: a live block of this arena.
        unsafe { arena.dealloc(last) };
        // SAFETY: non-zero layout; freed below.
        let again = unsafe { arena.alloc(l, true) };
        assert!(arena.owns(again));
        // SAFETY: a fresh zeroed block of 1 MiB.
        let bytes = unsafe { std::slice::from_raw_parts(again, l.size()) };
        assert!(bytes.iter().all(|&b| b == 0));
        blocks.push(again);
        for p in blocks {
            // SAFETY: each block freed once.
            unsafe { arena.dealloc(p) };
        }
    }

    #[test]
    fn realloc_stays_in_the_arena_and_keeps_data() {
        let arena = MimallocArena::new(64 << 20);
        // SAFETY: one live block, always replaced by realloc's result.
        unsafe {
            let mut p = arena.alloc(layout(100), false);
            for i in 0..100 {
                *p.add(i) = i as u8;
            }
            let mut size = 100;
            for new_size in [5000, 300_000, 3 << 20, 40] {
                p = arena.realloc(p, layout(size), new_size);
                assert!(arena.owns(p));
                for i in 0..size.min(new_size).min(100) {
                    assert_eq!(*p.add(i), i as u8);
                }
                size = new_size;
            }
            // Too big for the arena: null, and the old block is still ours.
            assert!(arena.realloc(p, layout(size), 1 << 30).is_null());
            assert_eq!(*p.add(39), 39);
            arena.dealloc(p);
        }
    }

    #[test]
    fn blocks_freed_on_another_thread() {
        let arena = MimallocArena::new(32 << 20);
        let blocks: Vec<usize> = std::thread::scope(|s| {
            s.spawn(|| {
                (0..1000)
                    // SAFETY: non-zero layout; freed on the main thread below.
                    .map(|i| unsafe { arena.alloc(layout(16 + i), false) } as usize)
                    .collect()
            })
            .join()
            .unwrap()
        });
        for p in blocks {
            assert!(arena.owns(p as *const u8));
            // SAFETY: live blocks of this arena, each freed once.
            unsafe { arena.dealloc(p as *mut u8) };
        }
    }
}
