//! The private heap: one reserved address range, committed page by page as it
//! grows, with blocks handed out by the `talc` allocator (the role of Win32
//! `HeapCreate(0, 0, max)` + `HeapAlloc`).

use std::alloc::Layout;
use std::fmt;
use std::ptr::{self, NonNull};
use std::sync::atomic::{AtomicUsize, Ordering};

use region::Protection;
use serde::Serialize;
use talc::TalcLock;
use talc::base::Talc;
use talc::base::binning::Binning;
use talc::source::Source;

/// Default maximum size of the private heap (address space reserved once).
pub const DEFAULT_HEAP_MAX: usize = 1 << 30;

/// Pages are committed in steps of at least this much, so growing the heap
/// costs one `mprotect` per MiB rather than per block.
const MIN_COMMIT_STEP: usize = 1 << 20;

/// talc's memory source: commits more of the reserved range when talc runs out.
///
/// All fields are only touched under the talc spin lock (they live inside the
/// `Talc` it protects), which is what makes lazy reservation race-free.
struct HeapSource {
    /// Start of the reservation; null until the first allocation.
    base: *mut u8,
    /// Length of the reservation (page-rounded `max`), 0 until reserved.
    reserved: usize,
    /// Bytes from `base` that are read-write.
    committed: usize,
    /// Current end of talc's single heap, once claimed.
    heap_end: Option<NonNull<u8>>,
    /// Keeps the mapping alive; dropping it unmaps the range.
    mapping: Option<region::Allocation>,
    /// Reserving failed once; don't retry on every allocation.
    failed: bool,
}

// SAFETY: the raw pointers describe a private mapping owned by this value; it
// is only used under the heap's lock, so moving it between threads is fine.
unsafe impl Send for HeapSource {}

impl fmt::Debug for HeapSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HeapSource")
            .field("base", &self.base)
            .field("reserved", &self.reserved)
            .field("committed", &self.committed)
            .finish()
    }
}

#[inline]
fn round_up(n: usize, to: usize) -> usize {
    n.div_ceil(to) * to
}

// SAFETY: `acquire` only uses the `talc` it is given (never the global
// allocator: committing is a bare mprotect / VirtualAlloc(MEM_COMMIT) call).
unsafe impl Source for HeapSource {
    fn acquire<B: Binning>(talc: &mut Talc<Self, B>, layout: Layout) -> Result<(), ()> {
        let first = !talc.is_metadata_established();
        let s = &mut talc.source;
        if s.base.is_null() || s.committed >= s.reserved {
            return Err(()); // not reserved, or full: the dispatcher falls back
        }
        // Room for the block, its alignment slack and talc's tags (and, the
        // first time, talc's bin table which lives at the heap start).
        let metadata = if first {
            talc::min_first_heap_size::<B>()
        } else {
            0
        };
        let need = layout
            .size()
            .saturating_add(layout.align())
            .saturating_add(metadata + 64);
        let page = region::page::size();
        let step = round_up(need.max(MIN_COMMIT_STEP), page).min(s.reserved - s.committed);
        let (base, old) = (s.base, s.committed);
        // SAFETY: [base+old, base+old+step) lies inside our own reservation
        // (step <= reserved - committed), which nothing else uses.
        unsafe { crate::os::commit::commit_read_write(base.add(old), step) }.map_err(|_| ())?;
        s.committed = old + step;
        let new_end = base.wrapping_add(old + step);
        let heap_end = s.heap_end;
        let end = match heap_end {
            // SAFETY: the memory is committed, exclusively ours, and stays
            // mapped as long as this talc lives (the mapping is in the source).
            None => unsafe { talc.claim(base, old + step) }.ok_or(())?,
            // SAFETY: `end` is talc's current heap end (we track every change)
            // and the memory up to `new_end` was just committed for talc only.
            Some(end) => unsafe { talc.extend(end, new_end) },
        };
        talc.source.heap_end = Some(end);
        Ok(())
    }
}

/// A private heap with a fixed maximum (reserved once, committed on demand).
///
/// Blocks come from talc; the heap never grows past `max_bytes`, allocation
/// then returns null and the caller decides what to do (the dispatcher falls
/// back to the default manager).
pub struct PrivateHeap {
    talc: TalcLock<spinning_top::RawSpinlock, HeapSource>,
    /// Reservation start, published once (0 = not reserved) so that
    /// [`owns`](Self::owns) can test addresses without taking the lock.
    start: AtomicUsize,
    max: usize,
}

/// The private heap's numbers, in bytes (what Win32's HeapWalk counts of a
/// HeapCreate heap; GetHeapStatus is Delphi's manager's, not a heap's).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct HeapStatus {
    /// Address space reserved (the heap's maximum), 0 before first use.
    pub reserved_bytes: usize,
    /// Reserved bytes made read-write so far (never decommitted).
    pub committed_bytes: usize,
    /// Reserved but not committed.
    pub uncommitted_bytes: usize,
    /// Sum of requested sizes of live blocks (talc's count).
    pub allocated_bytes: usize,
    /// Bytes in free chunks, i.e. allocatable without committing more (talc's count).
    pub free_bytes: usize,
    /// Committed bytes neither allocated nor free: talc's bin table, chunk tags
    /// and alignment padding (committed - allocated - free).
    pub overhead_bytes: usize,
    /// Number of free chunks (gaps) talc tracks, i.e. real fragments, not an estimate.
    pub fragments: usize,
    /// Live blocks according to talc.
    pub live_blocks: usize,
}

impl PrivateHeap {
    /// A heap that may grow to `max_bytes` (rounded up to whole pages on first use).
    pub const fn new(max_bytes: usize) -> Self {
        Self {
            talc: TalcLock::new(HeapSource {
                base: ptr::null_mut(),
                reserved: 0,
                committed: 0,
                heap_end: None,
                mapping: None,
                failed: false,
            }),
            start: AtomicUsize::new(0),
            max: max_bytes,
        }
    }

    /// The configured maximum.
    pub fn max_bytes(&self) -> usize {
        self.max
    }

    /// The reserved address range (start, length), once the heap was first used.
    pub fn reservation(&self) -> Option<(usize, usize)> {
        let s = self.start.load(Ordering::Acquire);
        (s != 0).then(|| (s, self.status().reserved_bytes))
    }

    /// Does `p` point into this heap's reserved range? Lock-free, no allocation.
    ///
    /// Sound without the lock: the range is published once and never changes
    /// while the heap lives. A pointer from this heap was returned after the
    /// publication (same lock), and whoever frees it got it through some
    /// synchronisation, so they see the range; any other live pointer lies
    /// outside our mapping whatever value is read.
    #[inline]
    pub fn owns(&self, p: *const u8) -> bool {
        let s = self.start.load(Ordering::Acquire);
        s != 0 && (p as usize).wrapping_sub(s) < self.max
    }

    /// talc needs a non-zero size; a zero-size request uses one byte (the same
    /// mapping is applied in every entry point so frees match).
    #[inline]
    fn fix(layout: Layout) -> Layout {
        if layout.size() == 0 {
            // SAFETY: align is already valid, size 1 <= isize::MAX - align.
            unsafe { Layout::from_size_align_unchecked(1, layout.align()) }
        } else {
            layout
        }
    }

    /// Allocate a block, or return null when the heap is full (or could not
    /// reserve its range).
    ///
    /// # Safety
    /// Same contract as [`GlobalAlloc::alloc`](std::alloc::GlobalAlloc::alloc).
    pub unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let layout = Self::fix(layout);
        let mut t = self.talc.lock();
        if t.source.base.is_null() && !self.reserve(&mut t.source) {
            return ptr::null_mut();
        }
        // SAFETY: non-zero size (fix); talc calls our source when it needs pages.
        unsafe { t.allocate(layout) }.map_or(ptr::null_mut(), NonNull::as_ptr)
    }

    /// Reserve the address range (under the lock, so exactly once).
    #[cold]
    fn reserve(&self, s: &mut HeapSource) -> bool {
        if s.failed {
            return false;
        }
        match region::alloc(self.max.max(1), Protection::NONE) {
            Ok(mut a) => {
                s.base = a.as_mut_ptr::<u8>();
                s.reserved = a.len().min(self.max.max(1));
                s.mapping = Some(a);
                self.start.store(s.base as usize, Ordering::Release);
                true
            }
            Err(_) => {
                s.failed = true;
                false
            }
        }
    }

    /// Free a block of this heap.
    ///
    /// # Safety
    /// `p` was returned by [`alloc`](Self::alloc) of this heap with `layout`
    /// (or resized to it) and not freed since.
    pub unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        // SAFETY: caller contract.
        unsafe { self.talc.lock().deallocate(p, Self::fix(layout)) }
    }

    /// Resize in place; `false` if the block cannot grow where it is.
    ///
    /// # Safety
    /// As [`dealloc`](Self::dealloc); `new_size` must be non-zero and valid for
    /// a `Layout` with `layout.align()`.
    pub unsafe fn try_realloc_in_place(&self, p: *mut u8, layout: Layout, new_size: usize) -> bool {
        // SAFETY: caller contract.
        unsafe {
            self.talc
                .lock()
                .try_realloc_in_place(p, Self::fix(layout), new_size.max(1))
        }
    }

    /// The heap's numbers: copied out under the lock (no allocation there).
    pub fn status(&self) -> HeapStatus {
        let t = self.talc.lock();
        let c = *t.counters();
        let (reserved, committed) = (t.source.reserved, t.source.committed);
        drop(t);
        HeapStatus {
            reserved_bytes: reserved,
            committed_bytes: committed,
            uncommitted_bytes: reserved - committed,
            allocated_bytes: c.allocated_bytes,
            free_bytes: c.available_bytes,
            overhead_bytes: committed.saturating_sub(c.allocated_bytes + c.available_bytes),
            fragments: c.fragment_count,
            live_blocks: c.allocation_count,
        }
    }
}

impl fmt::Debug for PrivateHeap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateHeap")
            .field("max", &self.max)
            .field("start", &self.start.load(Ordering::Relaxed))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_then_reports_full() {
        let heap = PrivateHeap::new(4 << 20);
        assert_eq!(heap.status(), HeapStatus::default());
        let l = Layout::from_size_align(256 << 10, 16).unwrap();
        let mut blocks = Vec::new();
        loop {
            // SAFETY: non-zero layout; blocks are freed below with it.
            let p = unsafe { heap.alloc(l) };
            if p.is_null() {
                break;
            }
            assert!(heap.owns(p));
            // SAFETY: p is a fresh block of l.size() bytes.
            unsafe { p.write_bytes(0xAB, l.size()) };
            blocks.push(p);
            assert!(blocks.len() <= 16, "heap grew past its maximum");
        }
        assert!(
            blocks.len() >= 14,
            "only {} blocks of 256 KiB in 4 MiB",
            blocks.len()
        );
        let st = heap.status();
        assert_eq!(st.reserved_bytes, 4 << 20);
        assert_eq!(st.committed_bytes, 4 << 20);
        assert_eq!(st.uncommitted_bytes, 0);
        assert_eq!(st.live_blocks, blocks.len());
        assert_eq!(st.allocated_bytes, blocks.len() * l.size());
        assert!(st.free_bytes < l.size());
        // Free every other block: holes appear as fragments.
        for p in blocks.iter().step_by(2) {
            // SAFETY: allocated above with l, freed once.
            unsafe { heap.dealloc(*p, l) };
        }
        let st = heap.status();
        assert!(st.fragments >= blocks.len() / 2, "{st:?}");
        assert_eq!(
            st.allocated_bytes + st.free_bytes + st.overhead_bytes,
            st.committed_bytes
        );
        for p in blocks.iter().skip(1).step_by(2) {
            // SAFETY: as above.
            unsafe { heap.dealloc(*p, l) };
        }
        let st = heap.status();
        assert_eq!((st.live_blocks, st.allocated_bytes), (0, 0));
        assert_eq!(st.fragments, 1, "everything coalesces back into one gap");
        assert!(!heap.owns(ptr::null()));
        let local = 0u8;
        assert!(!heap.owns(&local));
    }

    #[test]
    fn commits_lazily() {
        let heap = PrivateHeap::new(64 << 20);
        let l = Layout::from_size_align(100, 8).unwrap();
        // SAFETY: non-zero layout, freed below.
        let p = unsafe { heap.alloc(l) };
        assert!(!p.is_null());
        let st = heap.status();
        assert_eq!(st.reserved_bytes, 64 << 20);
        assert_eq!(st.committed_bytes, MIN_COMMIT_STEP);
        assert_eq!(st.allocated_bytes, 100);
        // SAFETY: allocated above.
        unsafe { heap.dealloc(p, l) };
    }

    #[test]
    fn zero_size_and_big_alignment() {
        let heap = PrivateHeap::new(8 << 20);
        let z = Layout::from_size_align(0, 1).unwrap();
        let a = Layout::from_size_align(4096, 4096).unwrap();
        // SAFETY: the heap maps size 0 to 1 consistently; freed below.
        unsafe {
            let p = heap.alloc(z);
            let q = heap.alloc(a);
            assert!(!p.is_null() && !q.is_null());
            assert_eq!(q as usize % 4096, 0);
            heap.dealloc(p, z);
            heap.dealloc(q, a);
        }
        assert_eq!(heap.status().live_blocks, 0);
    }
}
