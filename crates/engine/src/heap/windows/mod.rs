//! The private heaps of §4 on Windows: the real calls, as the book makes
//! them. `HeapCreate(0, initial, maximum)` (0 = growable), `HeapAlloc` (+
//! `HEAP_ZERO_MEMORY`), `HeapFree`, `HeapSize`, `HeapReAlloc` (+
//! `HEAP_REALLOC_IN_PLACE_ONLY`), `HeapValidate`, `HeapCompact`,
//! `HeapWalk` (busy, free and uncommitted ranges, and the regions that give
//! each heap's reserved and committed sizes), `HeapDestroy`, and
//! `GetProcessHeap` walked for its counters. The kernel's view of each
//! range is `VirtualQuery` (and `QueryWorkingSetEx` for what is in RAM);
//! the commit charge is `GetPerformanceInfo`'s `CommitTotal`.
//!
//! Two rules keep the lab from ending the process, where a program's bug
//! would: no heap is created with `HEAP_GENERATE_EXCEPTIONS`, so a full
//! heap's `HeapAlloc` returns NULL (the book's "memory is short"), never an
//! exception; and once memlab has written past a block's end in a heap (the
//! overrun button), it makes no more calls that change that heap (Windows
//! ends a process whose heap it finds corrupt, `STATUS_HEAP_CORRUPTION`):
//! `HeapValidate` still reads it, its walk is the one taken just before the
//! write (nothing in it can change after), and `HeapDestroy` gives it back.

mod system;
mod walk;

use std::cell::Cell;
use std::collections::BTreeSet;
use std::ffi::c_void;

use windows_sys::Win32::Foundation::{GetLastError, HANDLE};
use windows_sys::Win32::System::Memory::{
    HEAP_REALLOC_IN_PLACE_ONLY, HEAP_ZERO_MEMORY, HeapAlloc, HeapCompact, HeapCreate, HeapDestroy,
    HeapFree, HeapReAlloc, HeapSize, HeapValidate, MEM_COMMIT, PAGE_READWRITE,
};
use windows_sys::Win32::System::SystemInformation::{GetSystemInfo, SYSTEM_INFO};

use super::{DamageKind, HeapError, HeapId, MAX_RESERVE, Operation, ReallocFlags, Segment};
use super::{WalkEntry, WalkKind};
pub use system::{Costs, KernelView, ProcessHeap, costs, kernel_view, process_heap};
use walk::{PROCESS_HEAP_ENTRY_BUSY, PROCESS_HEAP_REGION, PROCESS_HEAP_UNCOMMITTED_RANGE};
use walk::{query, reservation, walk_raw};

/// The heap's granule on x64: a block's data and header are rounded up to
/// it (what the commit limit's estimate counts per block).
const GRANULE: usize = 16;
/// What the "overrun" button writes past a block's end.
const OVERRUN: &[u8; 8] = b"overrun!";

/// Where the kernel's view of a heap comes from, for the form's label.
pub const KERNEL_SOURCE: &str = "VirtualQuery";
/// Where the process heap's counters come from, for the form's label.
pub const PROCESS_HEAP_SOURCE: &str = "HeapWalk";

pub fn page_size() -> usize {
    let mut info = SYSTEM_INFO::default();
    // SAFETY: GetSystemInfo fills the struct it is given and cannot fail.
    unsafe { GetSystemInfo(&mut info) };
    info.dwPageSize as usize
}

pub(super) fn last_error(call: &'static str) -> HeapError {
    let e = std::io::Error::last_os_error();
    HeapError::Os {
        call,
        errno: e.raw_os_error().unwrap_or(0),
        errno_text: e.to_string(),
    }
}

/// What memlab calls on Windows for each heap operation.
pub fn os_call(op: Operation) -> &'static str {
    match op {
        Operation::Create => "HeapCreate(0, initial, maximum) (maximum 0 = HEAP_GROWABLE)",
        Operation::Alloc => "HeapAlloc(heap, 0 or HEAP_ZERO_MEMORY, size)",
        Operation::Free => "HeapFree(heap, 0, block)",
        Operation::Size => "HeapSize(heap, 0, block)",
        Operation::Realloc => "HeapReAlloc(heap, 0 or HEAP_REALLOC_IN_PLACE_ONLY, block, size)",
        Operation::Overrun => {
            "8 bytes written past the block's end, just before the next entry's data (its \
             header), checked committed with VirtualQuery first"
        }
        Operation::Validate => "HeapValidate(heap, 0, NULL), then HeapValidate(heap, 0, block)",
        Operation::Compact => "HeapCompact(heap, 0)",
        Operation::Walk => "HeapWalk (regions, busy and free blocks, uncommitted ranges)",
        Operation::Fragment => "HeapAlloc xN, then HeapFree of every other block",
        Operation::Destroy => "HeapDestroy(heap): every range back to the system at once",
        Operation::ProcessHeap => "HeapWalk(GetProcessHeap()) under HeapLock",
    }
}

/// A private heap: the handle `HeapCreate` returned, destroyed when dropped.
#[derive(Debug)]
pub(super) struct PrivateHeap {
    id: HeapId,
    maximum: u64,
    handle: HANDLE,
    /// The live blocks' pointers (a pointer not here is not given to the heap).
    live: BTreeSet<usize>,
    /// Set by the overrun button: where memlab wrote, the entry it hit,
    /// and the walk and ranges as they were just before.
    overrun: Option<Overrun>,
    /// Reserved and committed bytes at the last walk, and an upper bound of
    /// what was committed since (each block's size and header): the commit
    /// limit's check without a walk per block.
    reserved_at_walk: Cell<u64>,
    committed_at_walk: Cell<u64>,
    grown_since_walk: Cell<u64>,
}

#[derive(Debug)]
struct Overrun {
    at: usize,
    /// The data address of the entry whose header the write hit.
    victim: usize,
    walk: Vec<WalkEntry>,
    segments: Vec<Segment>,
}

// SAFETY: a heap handle may be used from any thread (the heap serializes
// its calls: it is created without HEAP_NO_SERIALIZE); the lab moves a
// heap between threads only as a whole.
unsafe impl Send for PrivateHeap {}

impl Drop for PrivateHeap {
    fn drop(&mut self) {
        // SAFETY: our own heap, destroyed once; nothing points into it
        // after (blocks are numbers outside).
        unsafe { HeapDestroy(self.handle) };
    }
}

impl PrivateHeap {
    pub(super) fn create(id: HeapId, initial: u64, maximum: u64) -> Result<Self, HeapError> {
        // SAFETY: plain values; without HEAP_GENERATE_EXCEPTIONS a failure
        // is a NULL handle.
        let handle = unsafe { HeapCreate(0, initial as usize, maximum as usize) };
        if handle.is_null() {
            let e = std::io::Error::last_os_error();
            return Err(HeapError::ReserveRefused {
                bytes: initial.max(maximum),
                errno: e.raw_os_error().unwrap_or(0),
                errno_text: e.to_string(),
            });
        }
        let heap = Self {
            id,
            maximum,
            handle,
            live: BTreeSet::new(),
            overrun: None,
            reserved_at_walk: Cell::new(0),
            committed_at_walk: Cell::new(0),
            grown_since_walk: Cell::new(0),
        };
        // The sizes the commit limit starts from.
        heap.walk_all();
        Ok(heap)
    }

    /// What the heap has committed, at most (exact after a walk).
    pub(super) fn committed(&self) -> u64 {
        self.committed_at_walk.get() + self.grown_since_walk.get()
    }

    /// Notes a block of `size` more (its header and rounding too).
    fn grew(&self, size: u64) {
        let n = size.div_ceil(GRANULE as u64) * GRANULE as u64 + GRANULE as u64;
        self.grown_since_walk
            .set(self.grown_since_walk.get().saturating_add(n));
    }

    fn not_a_block(&self, call: &'static str, address: usize) -> HeapError {
        HeapError::Os {
            call,
            // ERROR_INVALID_PARAMETER
            errno: 87,
            errno_text: format!("{address:#x} is not a block of {}", self.id),
        }
    }

    /// Refuses a call that would change a heap memlab has overrun.
    fn untouched(&self, call: &'static str) -> Result<(), HeapError> {
        match &self.overrun {
            None => Ok(()),
            Some(o) => Err(HeapError::Overrun {
                call,
                heap: self.id,
                at: o.at,
            }),
        }
    }

    /// What the heap has reserved, at most (exact after a walk).
    fn reserved(&self) -> u64 {
        self.reserved_at_walk.get() + self.grown_since_walk.get()
    }

    fn no_memory(&self, bytes: u64) -> HeapError {
        HeapError::NoMemory {
            heap: self.id,
            bytes,
            maximum: self.maximum,
            largest_free: self.largest_free(),
        }
    }

    /// The largest free block's size, from the walk (HeapCompact would
    /// also coalesce, which changes the heap).
    fn largest_free(&self) -> u64 {
        self.walk()
            .iter()
            .filter(|e| e.kind == WalkKind::Free)
            .map(|e| e.size)
            .max()
            .unwrap_or(0)
    }

    pub(super) fn alloc(&mut self, size: u64, zero: bool) -> Result<usize, HeapError> {
        self.untouched("HeapAlloc")?;
        // A growable heap may reserve more: memlab's limit, as on Linux.
        if size > MAX_RESERVE
            || (self.maximum == 0 && self.reserved().saturating_add(size) > MAX_RESERVE)
        {
            return Err(self.no_memory(size));
        }
        let flags = if zero { HEAP_ZERO_MEMORY } else { 0 };
        // SAFETY: our heap; without HEAP_GENERATE_EXCEPTIONS a heap that
        // has no room returns NULL.
        let p = unsafe { HeapAlloc(self.handle, flags, size as usize) };
        if p.is_null() {
            return Err(self.no_memory(size));
        }
        self.live.insert(p as usize);
        self.grew(size);
        Ok(p as usize)
    }

    pub(super) fn free(&mut self, address: usize) -> Result<(), HeapError> {
        if !self.live.contains(&address) {
            return Err(self.not_a_block("HeapFree", address));
        }
        self.untouched("HeapFree")?;
        // SAFETY: a live block of this heap (in `live`), freed once.
        if unsafe { HeapFree(self.handle, 0, address as *const c_void) } == 0 {
            return Err(last_error("HeapFree"));
        }
        self.live.remove(&address);
        Ok(())
    }

    pub(super) fn size(&self, address: usize) -> Result<u64, HeapError> {
        if !self.live.contains(&address) {
            return Err(self.not_a_block("HeapSize", address));
        }
        if let Some(o) = &self.overrun {
            // The walk before the write has every block's size; a header
            // the write hit is not read.
            return Ok(o
                .walk
                .iter()
                .find(|e| e.kind == WalkKind::Busy && e.address == address)
                .map_or(0, |e| e.size));
        }
        // SAFETY: a live block of this heap.
        let n = unsafe { HeapSize(self.handle, 0, address as *const c_void) };
        if n == usize::MAX {
            return Err(last_error("HeapSize"));
        }
        Ok(n as u64)
    }

    pub(super) fn realloc(
        &mut self,
        address: usize,
        size: u64,
        flags: ReallocFlags,
    ) -> Result<usize, HeapError> {
        if !self.live.contains(&address) {
            return Err(self.not_a_block("HeapReAlloc", address));
        }
        self.untouched("HeapReAlloc")?;
        let old = self.size(address)?;
        if size > MAX_RESERVE
            || (self.maximum == 0
                && size > old
                && self.reserved().saturating_add(size - old) > MAX_RESERVE)
        {
            return Err(self.no_memory(size));
        }
        let mut f = 0;
        if flags.zero_memory {
            f |= HEAP_ZERO_MEMORY;
        }
        if flags.in_place_only {
            f |= HEAP_REALLOC_IN_PLACE_ONLY;
        }
        // SAFETY: a live block of this heap; on failure it is unchanged.
        let p = unsafe { HeapReAlloc(self.handle, f, address as *const c_void, size as usize) };
        if p.is_null() {
            return Err(if flags.in_place_only {
                HeapError::NotInPlace {
                    heap: self.id,
                    block: super::BlockId(0),
                    bytes: size,
                }
            } else {
                self.no_memory(size)
            });
        }
        self.live.remove(&address);
        self.live.insert(p as usize);
        self.grew(size.saturating_sub(old));
        Ok(p as usize)
    }

    pub(super) fn overrun(&mut self, address: usize) -> Result<usize, HeapError> {
        if !self.live.contains(&address) {
            return Err(self.not_a_block("overrun", address));
        }
        self.untouched("overrun")?;
        let walk = self.walk();
        let segments = self.segments();
        let size = self.size(address)? as usize;
        // The entry after the block in the walk: the 8 bytes just before
        // its data are its header (wine's whole 8-byte header; the second
        // half of Windows' 16-byte HEAP_ENTRY, with the size and flags).
        // The write must lie past the block's data and in committed memory,
        // never in another block's data.
        let i = walk
            .iter()
            .position(|e| e.kind == WalkKind::Busy && e.address == address)
            .ok_or_else(|| self.not_a_block("overrun", address))?;
        let next = walk.get(i + 1).filter(|e| {
            e.kind != WalkKind::Uncommitted && e.address >= address + size + OVERRUN.len()
        });
        let at = next.map_or(address + size, |e| e.address - OVERRUN.len());
        let committed = [at, at + OVERRUN.len() - 1].iter().all(|&a| {
            query(a).is_some_and(|m| m.State == MEM_COMMIT && m.Protect == PAGE_READWRITE)
        });
        let Some(next) = next.filter(|_| committed) else {
            return Err(HeapError::Os {
                call: "overrun",
                // ERROR_INVALID_ADDRESS
                errno: 487,
                errno_text: format!(
                    "no heap entry follows the block at {address:#x} in committed memory: \
                     nothing of the heap's to overwrite"
                ),
            });
        };
        let victim = next.address;
        // SAFETY: [at, at + 8) is committed read-write memory of this heap
        // (VirtualQuery above), after the block's data and just before the
        // next entry's data: the heap's own header bytes, as the lesson wants.
        unsafe { std::ptr::copy_nonoverlapping(OVERRUN.as_ptr(), at as *mut u8, OVERRUN.len()) };
        self.overrun = Some(Overrun {
            at,
            victim,
            walk,
            segments,
        });
        Ok(at)
    }

    pub(super) fn validate(&self) -> Vec<(usize, DamageKind)> {
        // SAFETY: our heap; HeapValidate reads it and reports, it does not
        // end the process.
        if unsafe { HeapValidate(self.handle, 0, std::ptr::null()) } != 0 {
            return Vec::new();
        }
        // Which blocks: the entry memlab's write hit, else each live block.
        if let Some(o) = &self.overrun {
            return vec![(o.victim, DamageKind::Header)];
        }
        self.live
            .iter()
            // SAFETY: live blocks of our heap, each validated alone.
            .filter(|&&p| unsafe { HeapValidate(self.handle, 0, p as *const c_void) } == 0)
            .map(|&p| (p, DamageKind::Header))
            .collect()
    }

    pub(super) fn compact(&mut self) -> Result<u64, HeapError> {
        self.untouched("HeapCompact")?;
        // SAFETY: our heap.
        let n = unsafe { HeapCompact(self.handle, 0) };
        // SAFETY: no precondition.
        if n == 0 && unsafe { GetLastError() } != 0 {
            return Err(last_error("HeapCompact"));
        }
        Ok(n as u64)
    }

    /// `HeapWalk`: the regions become segments, the blocks entries; a busy
    /// block outside every region (a big one the heap gave its own
    /// `VirtualAlloc`) is a segment of its own.
    fn walk_all(&self) -> (Vec<WalkEntry>, Vec<Segment>) {
        let mut raw = Vec::new();
        // A walk that fails part way shows what it saw.
        let _ = walk_raw(self.handle, |e| raw.push(e));
        let mut segments: Vec<Segment> = Vec::new();
        for e in raw.iter().filter(|e| e.flags & PROCESS_HEAP_REGION != 0) {
            // The region's reservation as the system has it: its base is
            // where the region's entries start.
            let base = reservation(e.data).map_or(e.data, |r| r.0);
            segments.push(Segment {
                base,
                reserved: (e.data - base) as u64 + e.committed + e.uncommitted,
                committed: (e.data - base) as u64 + e.committed,
            });
        }
        let mut entries = Vec::new();
        for e in raw.iter().filter(|e| e.flags & PROCESS_HEAP_REGION == 0) {
            let kind = if e.flags & PROCESS_HEAP_UNCOMMITTED_RANGE != 0 {
                WalkKind::Uncommitted
            } else if e.flags & PROCESS_HEAP_ENTRY_BUSY != 0 {
                WalkKind::Busy
            } else {
                WalkKind::Free
            };
            // Wine ends a full region with an uncommitted range of 0 bytes
            // at its end: nothing to draw, and its address is the next
            // reservation's (another heap's).
            if kind == WalkKind::Uncommitted && e.size == 0 {
                continue;
            }
            let inside = |s: &Segment| e.data >= s.base && e.data < s.base + s.reserved as usize;
            let segment = match segments.iter().position(inside) {
                Some(i) => i,
                // Only a busy block lives outside the regions: a big one
                // with a VirtualAlloc of its own.
                None if kind != WalkKind::Busy => continue,
                None => match reservation(e.data) {
                    Some((base, len, committed, _)) => {
                        segments.push(Segment {
                            base,
                            reserved: len,
                            committed,
                        });
                        segments.len() - 1
                    }
                    None => continue,
                },
            };
            entries.push(WalkEntry {
                kind,
                address: e.data,
                size: e.size,
                overhead: if kind == WalkKind::Uncommitted {
                    0
                } else {
                    e.overhead
                },
                header: 0,
                block: None,
                segment,
            });
        }
        self.reserved_at_walk
            .set(segments.iter().map(|s| s.reserved).sum());
        self.committed_at_walk
            .set(segments.iter().map(|s| s.committed).sum());
        self.grown_since_walk.set(0);
        (entries, segments)
    }

    pub(super) fn walk(&self) -> Vec<WalkEntry> {
        match &self.overrun {
            Some(o) => o.walk.clone(),
            None => self.walk_all().0,
        }
    }

    pub(super) fn segments(&self) -> Vec<Segment> {
        match &self.overrun {
            Some(o) => o.segments.clone(),
            None => self.walk_all().1,
        }
    }
}
