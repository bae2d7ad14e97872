//! memlab's model of a Win32 private heap on Linux, on real memory. Linux
//! has no HeapCreate; glibc's malloc arenas cannot be given a maximum or
//! destroyed at once. So memlab keeps the rules of §4 itself:
//! - the maximum is reserved as one range with `mmap(PROT_NONE)` (no commit
//!   charge), the initial size committed with `mprotect(RW)` (charged);
//! - a block that does not fit commits more pages inside the range; a
//!   fixed heap (maximum > 0) that is full is "memory is short"; a growable
//!   heap (maximum 0) reserves another range;
//! - committed pages stay committed until HeapDestroy (`munmap` of every
//!   range: the charge and the RAM go back at once);
//! - each block has a 16-byte header (its size and a tag) and at least 8
//!   tail check bytes after its data, in the heap's memory, which
//!   HeapValidate checks: a write past a block's end is found there.
//!
//! Where the blocks are is memlab's own table (offset -> slot) beside the
//! memory; the headers are what a validation reads back.

mod range;
mod system;

use super::{DamageKind, HeapError, HeapId, MAX_RESERVE, Operation, ReallocFlags, Segment};
use super::{WalkEntry, WalkKind};
use range::{HEADER, Range, Slot, footprint, reserve};
pub use system::{Costs, KernelView, ProcessHeap, costs, kernel_view, process_heap};

/// What the "overrun" button writes past a block's end.
const OVERRUN: &[u8; 8] = b"overrun!";
/// A growable heap's ranges: the first reserves at least this much, each
/// next one twice the last (at most [`GROW_MAX`]), or what a block needs.
const GROW_FIRST: usize = 1 << 20;
const GROW_MAX: usize = 64 << 20;
/// Big blocks' ranges are reserved at this granularity (Windows' 64 KiB).
const GRANULARITY: usize = 64 << 10;

pub fn page_size() -> usize {
    rustix::param::page_size()
}

fn round_up(n: usize, to: usize) -> usize {
    n.div_ceil(to) * to
}

fn errno_text(e: rustix::io::Errno) -> String {
    std::io::Error::from(e).to_string()
}

/// Where the kernel's view of a heap comes from, for the form's label.
pub const KERNEL_SOURCE: &str = "smaps";
/// Where the process heap's counters come from, for the form's label.
pub const PROCESS_HEAP_SOURCE: &str = "mallinfo2";

/// What memlab does on Linux for each heap call.
pub fn os_call(op: Operation) -> &'static str {
    match op {
        Operation::Create => {
            "mmap(PROT_NONE) of the maximum (reserve) + mprotect(PROT_READ|PROT_WRITE) of the \
             initial size (commit)"
        }
        Operation::Alloc => {
            "memlab's block table; mprotect(RW) of more pages when the block does not fit \
             (a growable heap: a new mmap(PROT_NONE) range)"
        }
        Operation::Free => "memlab's block table (the pages stay committed)",
        Operation::Size => "the block's header",
        Operation::Realloc => {
            "grow into the free bytes after the block, else HeapAlloc + memcpy + HeapFree"
        }
        Operation::Overrun => "8 bytes written past the block's end, into its tail check",
        Operation::Validate => "every block's header and tail check bytes read back",
        Operation::Compact => {
            "free neighbours are joined at each HeapFree; the largest is returned"
        }
        Operation::Walk => "memlab's block table, in address order",
        Operation::Fragment => "memlab's block table",
        Operation::Destroy => "munmap of every range: the commit charge and the RAM go back",
        Operation::ProcessHeap => "glibc's mallinfo2()",
    }
}

/// A private heap: one range (fixed) or several (growable).
#[derive(Debug)]
pub(super) struct PrivateHeap {
    id: HeapId,
    maximum: u64,
    ranges: Vec<Range>,
    page: usize,
}

impl PrivateHeap {
    pub(super) fn create(id: HeapId, initial: u64, maximum: u64) -> Result<Self, HeapError> {
        let page = page_size();
        let initial = round_up((initial as usize).max(1), page);
        let reserved = if maximum == 0 {
            round_up(initial, GRANULARITY).max(GROW_FIRST)
        } else {
            round_up(maximum as usize, page)
        };
        let range = reserve(reserved, initial, page)?;
        Ok(Self {
            id,
            maximum,
            ranges: vec![range],
            page,
        })
    }

    /// The range and offset of the header of the block whose data is at `address`.
    fn find(&self, address: usize) -> Option<(usize, usize)> {
        self.ranges.iter().enumerate().find_map(|(i, r)| {
            let offset = address.checked_sub(r.base + HEADER)?;
            r.slots
                .get(&offset)
                .filter(|s| s.busy.is_some())
                .map(|_| (i, offset))
        })
    }

    fn busy(&self, address: usize, call: &'static str) -> Result<(usize, usize), HeapError> {
        let (i, offset) = self.find(address).ok_or(HeapError::Os {
            call,
            errno: libc::EINVAL,
            errno_text: format!("{address:#x} is not a block of {}", self.id),
        })?;
        let r = &self.ranges[i];
        match r.check(offset, r.slots[&offset]) {
            None => Ok((i, offset)),
            Some(what) => Err(HeapError::Damaged {
                call,
                heap: self.id,
                block: super::BlockId(0),
                address,
                what,
            }),
        }
    }

    fn reserved(&self) -> usize {
        self.ranges.iter().map(|r| r.reserved).sum()
    }

    /// What the heap has committed.
    pub(super) fn committed(&self) -> u64 {
        self.ranges.iter().map(|r| r.committed as u64).sum()
    }

    pub(super) fn alloc(&mut self, size: u64, zero: bool) -> Result<usize, HeapError> {
        let no_memory = |h: &Self| HeapError::NoMemory {
            heap: h.id,
            bytes: size,
            maximum: h.maximum,
            largest_free: h.largest_free(),
        };
        if size > MAX_RESERVE {
            return Err(no_memory(self));
        }
        let size = size as usize;
        let need = footprint(size);
        // A free block that fits, first fit in address order.
        for r in &mut self.ranges {
            if let Some(offset) = r.first_fit(need) {
                return Ok(r.place(offset, size, zero));
            }
        }
        // Commit more inside a range: the free tail (or the end) grows.
        for i in 0..self.ranges.len() {
            let r = &self.ranges[i];
            let start = r.free_tail().map_or(r.committed, |(o, _)| o);
            if start + need <= r.reserved {
                let r = &mut self.ranges[i];
                r.commit_to(start + need, self.page)?;
                return Ok(r.place(start, size, zero));
            }
        }
        // A fixed heap is full: the book's "memory is short".
        if self.maximum != 0 {
            return Err(no_memory(self));
        }
        let last = self.ranges.last().map_or(GROW_FIRST, |r| r.reserved);
        let len = (last * 2).min(GROW_MAX).max(round_up(need, GRANULARITY));
        if (self.reserved() + len) as u64 > MAX_RESERVE {
            return Err(no_memory(self));
        }
        let mut r = reserve(len, need, self.page)?;
        let address = r.place(0, size, zero);
        self.ranges.push(r);
        Ok(address)
    }

    pub(super) fn free(&mut self, address: usize) -> Result<(), HeapError> {
        let (i, offset) = self.busy(address, "HeapFree")?;
        self.ranges[i].release(offset);
        Ok(())
    }

    pub(super) fn size(&self, address: usize) -> Result<u64, HeapError> {
        let (i, offset) = self.find(address).ok_or(HeapError::Os {
            call: "HeapSize",
            errno: libc::EINVAL,
            errno_text: format!("{address:#x} is not a block of {}", self.id),
        })?;
        Ok(self.ranges[i].slots[&offset].busy.unwrap_or(0) as u64)
    }

    pub(super) fn realloc(
        &mut self,
        address: usize,
        size: u64,
        flags: ReallocFlags,
    ) -> Result<usize, HeapError> {
        let (i, offset) = self.busy(address, "HeapReAlloc")?;
        let new = size as usize;
        let need = footprint(new);
        let page = self.page;
        let r = &mut self.ranges[i];
        let slot = r.slots[&offset];
        let old = slot.busy.expect("a busy slot");
        // Room in place: the slot, a free slot after it, and if that one
        // ends the committed part, the uncommitted rest of the range.
        let next_at = offset + slot.len;
        let next = r.slots.get(&next_at).copied().filter(|s| s.busy.is_none());
        let mut room = slot.len + next.map_or(0, |s| s.len);
        let at_end = offset + room == r.committed;
        if at_end {
            room += r.reserved - r.committed;
        }
        if size <= MAX_RESERVE && need <= room {
            if need > slot.len + next.map_or(0, |s| s.len) {
                r.commit_to(offset + need, page)?;
            }
            // Take the slot and its free neighbour as one, then cut.
            let joined = match r.slots.get(&next_at).copied() {
                Some(s) if s.busy.is_none() => {
                    r.take(next_at);
                    slot.len + s.len
                }
                _ => slot.len,
            };
            // As one free slot for `place` to cut (its header is rewritten there).
            r.put(
                offset,
                Slot {
                    len: joined,
                    busy: None,
                },
            );
            r.place(offset, new, false);
            if flags.zero_memory && new > old {
                // SAFETY: the grown part of the block's data, inside its slot.
                unsafe { std::ptr::write_bytes(r.ptr(offset + HEADER + old), 0, new - old) };
            }
            return Ok(address);
        }
        if flags.in_place_only {
            return Err(HeapError::NotInPlace {
                heap: self.id,
                block: super::BlockId(0),
                bytes: size,
            });
        }
        let to = self.alloc(size, flags.zero_memory)?;
        // SAFETY: both are live blocks of this heap (different slots), each
        // at least min(old, new) bytes long.
        unsafe { std::ptr::copy_nonoverlapping(address as *const u8, to as *mut u8, old.min(new)) };
        self.free(address)?;
        Ok(to)
    }

    pub(super) fn overrun(&mut self, address: usize) -> Result<usize, HeapError> {
        let (i, offset) = self.find(address).ok_or(HeapError::Os {
            call: "overrun",
            errno: libc::EINVAL,
            errno_text: format!("{address:#x} is not a block of {}", self.id),
        })?;
        let r = &self.ranges[i];
        let size = r.slots[&offset].busy.expect("a busy slot");
        let at = address + size;
        // SAFETY: a busy slot has at least MIN_TAIL (8) tail check bytes
        // after its data, inside its slot in the committed part: the write
        // stays inside the heap's memory, as the lesson wants.
        unsafe { std::ptr::copy_nonoverlapping(OVERRUN.as_ptr(), at as *mut u8, OVERRUN.len()) };
        Ok(at)
    }

    pub(super) fn validate(&self) -> Vec<(usize, DamageKind)> {
        self.ranges
            .iter()
            .flat_map(|r| {
                r.slots
                    .iter()
                    .filter_map(|(&o, &s)| r.check(o, s).map(|d| (r.base + o + HEADER, d)))
            })
            .collect()
    }

    /// `HeapCompact`: free neighbours are already joined; the largest.
    pub(super) fn compact(&mut self) -> Result<u64, HeapError> {
        Ok(self.largest_free())
    }

    fn largest_free(&self) -> u64 {
        self.ranges
            .iter()
            .flat_map(|r| r.slots.values())
            .filter(|s| s.busy.is_none())
            .map(|s| (s.len - HEADER) as u64)
            .max()
            .unwrap_or(0)
    }

    pub(super) fn walk(&self) -> Vec<WalkEntry> {
        let mut entries = Vec::new();
        for (segment, r) in self.ranges.iter().enumerate() {
            for (&o, s) in &r.slots {
                let (kind, size) = match s.busy {
                    Some(size) => (WalkKind::Busy, size),
                    None => (WalkKind::Free, s.len - HEADER),
                };
                entries.push(WalkEntry {
                    kind,
                    address: r.base + o + HEADER,
                    size: size as u64,
                    overhead: (s.len - size) as u64,
                    header: HEADER as u64,
                    block: None,
                    segment,
                });
            }
            if r.committed < r.reserved {
                entries.push(WalkEntry {
                    kind: WalkKind::Uncommitted,
                    address: r.base + r.committed,
                    size: (r.reserved - r.committed) as u64,
                    overhead: 0,
                    header: 0,
                    block: None,
                    segment,
                });
            }
        }
        entries
    }

    pub(super) fn segments(&self) -> Vec<Segment> {
        self.ranges
            .iter()
            .map(|r| Segment {
                base: r.base,
                reserved: r.reserved as u64,
                committed: r.committed as u64,
            })
            .collect()
    }
}
