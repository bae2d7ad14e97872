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

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::c_void;

use rustix::mm::{self, MapFlags, MprotectFlags, ProtFlags};
use serde::Serialize;

use super::{DamageKind, HeapError, HeapId, MAX_RESERVE, Operation, ReallocFlags, Segment};
use super::{WalkEntry, WalkKind};

/// A block's header before its data: the size asked for and a tag.
const HEADER: usize = 16;
/// Blocks are rounded to 16 bytes, as Windows' heap on x64.
const GRANULE: usize = 16;
/// At least this many tail check bytes follow a block's data.
const MIN_TAIL: usize = 8;
/// A free remainder smaller than this stays with the block it was cut from.
const MIN_FREE: usize = HEADER + GRANULE;
/// The byte the tail check bytes hold (Windows' tail checking uses 0xAB too).
const TAIL: u8 = 0xAB;
/// The tags of a busy and of a free block's header (xor its size).
const BUSY: u64 = 0x4d45_4d4c_4142_4255; // "MEMLABBU"
const FREE: u64 = 0x4d45_4d4c_4142_4652; // "MEMLABFR"
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

/// The bytes a block of `size` takes: header, data, tail check, rounding.
fn footprint(size: usize) -> usize {
    HEADER + round_up(size + MIN_TAIL, GRANULE)
}

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

/// What one range of the heap holds at an offset.
#[derive(Debug, Clone, Copy)]
struct Slot {
    /// Bytes from the header's start to the next slot.
    len: usize,
    /// The size asked for, if the block is live.
    busy: Option<usize>,
}

/// One reserved range: a `PROT_NONE` mapping whose first `committed` bytes
/// are read-write and tiled by slots.
#[derive(Debug)]
struct Range {
    base: usize,
    reserved: usize,
    committed: usize,
    /// Offset -> slot; covers `0..committed` without gaps; free slots never
    /// touch each other (they are joined at each free).
    slots: BTreeMap<usize, Slot>,
    /// The offsets of the free slots (first fit looks only at these).
    free: BTreeSet<usize>,
}

impl Range {
    fn ptr(&self, offset: usize) -> *mut u8 {
        (self.base + offset) as *mut u8
    }

    /// Writes a slot's header (and a busy block's tail check bytes).
    fn write_header(&mut self, offset: usize, slot: Slot) {
        let (size, tag) = match slot.busy {
            Some(size) => (size as u64, BUSY ^ size as u64),
            None => (slot.len as u64, FREE ^ slot.len as u64),
        };
        let mut header = [0u8; HEADER];
        header[..8].copy_from_slice(&size.to_le_bytes());
        header[8..].copy_from_slice(&tag.to_le_bytes());
        debug_assert!(offset + slot.len <= self.committed);
        // SAFETY: the slot lies in the committed (read-write) part of our
        // own mapping, and a slot is at least HEADER bytes long.
        unsafe { std::ptr::copy_nonoverlapping(header.as_ptr(), self.ptr(offset), HEADER) };
        if let Some(size) = slot.busy {
            let tail = offset + HEADER + size;
            // SAFETY: the tail check bytes run to the slot's end, inside
            // the committed part of our mapping.
            unsafe { std::ptr::write_bytes(self.ptr(tail), TAIL, offset + slot.len - tail) };
        }
    }

    fn put(&mut self, offset: usize, slot: Slot) {
        self.slots.insert(offset, slot);
        if slot.busy.is_none() {
            self.free.insert(offset);
        } else {
            self.free.remove(&offset);
        }
        self.write_header(offset, slot);
    }

    /// Takes the slot at `offset` out of the table.
    fn take(&mut self, offset: usize) -> Option<Slot> {
        self.free.remove(&offset);
        self.slots.remove(&offset)
    }

    /// What the header and tail at `offset` say is wrong, if anything.
    fn check(&self, offset: usize, slot: Slot) -> Option<DamageKind> {
        let mut header = [0u8; HEADER];
        // SAFETY: reads HEADER bytes of a slot in the committed part.
        unsafe { std::ptr::copy_nonoverlapping(self.ptr(offset), header.as_mut_ptr(), HEADER) };
        let size = u64::from_le_bytes(header[..8].try_into().expect("8 bytes"));
        let tag = u64::from_le_bytes(header[8..].try_into().expect("8 bytes"));
        let (want_size, want_tag) = match slot.busy {
            Some(s) => (s as u64, BUSY ^ s as u64),
            None => (slot.len as u64, FREE ^ slot.len as u64),
        };
        if size != want_size || tag != want_tag {
            return Some(DamageKind::Header);
        }
        let size = slot.busy?;
        let tail = offset + HEADER + size;
        // SAFETY: the tail check bytes of a busy slot, in the committed part.
        let bytes = unsafe { std::slice::from_raw_parts(self.ptr(tail), offset + slot.len - tail) };
        bytes.iter().any(|&b| b != TAIL).then_some(DamageKind::Tail)
    }

    /// The free slot at the end of the committed part, if the last slot is free.
    fn free_tail(&self) -> Option<(usize, Slot)> {
        self.slots
            .iter()
            .next_back()
            .filter(|(_, s)| s.busy.is_none())
            .map(|(&o, &s)| (o, s))
    }

    /// Commits more pages so the committed part ends at `end` (rounded to
    /// pages, within the reserve) and extends or adds the free tail slot.
    fn commit_to(&mut self, end: usize, page: usize) -> Result<(), HeapError> {
        let end = round_up(end, page).min(self.reserved);
        if end <= self.committed {
            return Ok(());
        }
        let len = end - self.committed;
        // SAFETY: the pages lie inside our own reservation.
        unsafe {
            mm::mprotect(
                self.ptr(self.committed) as *mut c_void,
                len,
                MprotectFlags::READ | MprotectFlags::WRITE,
            )
        }
        .map_err(|e| match e {
            rustix::io::Errno::NOMEM => HeapError::CommitRefused { bytes: len as u64 },
            e => HeapError::Os {
                call: "mprotect",
                errno: e.raw_os_error(),
                errno_text: errno_text(e),
            },
        })?;
        let old = self.committed;
        self.committed = end;
        match self.free_tail() {
            Some((o, s)) => self.put(
                o,
                Slot {
                    len: s.len + len,
                    busy: None,
                },
            ),
            None => self.put(old, Slot { len, busy: None }),
        }
        Ok(())
    }

    /// Makes the free slot at `offset` a block of `size` (cutting off a free
    /// remainder if it is big enough).
    fn place(&mut self, offset: usize, size: usize, zero: bool) -> usize {
        let slot = self.slots[&offset];
        let need = footprint(size);
        let len = if slot.len - need >= MIN_FREE {
            self.put(
                offset + need,
                Slot {
                    len: slot.len - need,
                    busy: None,
                },
            );
            need
        } else {
            slot.len
        };
        self.put(
            offset,
            Slot {
                len,
                busy: Some(size),
            },
        );
        if zero {
            // SAFETY: the block's data, inside its slot in the committed part.
            unsafe { std::ptr::write_bytes(self.ptr(offset + HEADER), 0, size) };
        }
        self.base + offset + HEADER
    }

    /// Makes the slot at `offset` free and joins it with free neighbours.
    fn release(&mut self, offset: usize) {
        let mut start = offset;
        let mut len = self.slots[&offset].len;
        if let Some((&o, s)) = self.slots.range(..offset).next_back()
            && s.busy.is_none()
        {
            start = o;
            len += s.len;
        }
        let next_at = offset + self.slots[&offset].len;
        if let Some(next) = self.slots.get(&next_at).copied()
            && next.busy.is_none()
        {
            self.take(next_at);
            len += next.len;
        }
        self.take(offset);
        self.put(start, Slot { len, busy: None });
    }

    /// The first free slot of at least `need` bytes.
    fn first_fit(&self, need: usize) -> Option<usize> {
        self.free
            .iter()
            .find(|&o| self.slots[o].len >= need)
            .copied()
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

/// Reserves `len` bytes with no access and commits the first `commit`.
fn reserve(len: usize, commit: usize, page: usize) -> Result<Range, HeapError> {
    // SAFETY: a new anonymous mapping at an address the kernel picks.
    let base = unsafe {
        mm::mmap_anonymous(
            std::ptr::null_mut(),
            len,
            ProtFlags::empty(),
            MapFlags::PRIVATE,
        )
    }
    .map_err(|e| HeapError::ReserveRefused {
        bytes: len as u64,
        errno: e.raw_os_error(),
        errno_text: errno_text(e),
    })?;
    let mut range = Range {
        base: base as usize,
        reserved: len,
        committed: 0,
        slots: BTreeMap::new(),
        free: BTreeSet::new(),
    };
    // A failed commit drops `range`, which unmaps it.
    range.commit_to(commit, page)?;
    Ok(range)
}

impl Drop for Range {
    fn drop(&mut self) {
        // SAFETY: our own mapping, unmapped once; nothing points into it
        // after the heap is gone (blocks are numbers outside).
        let _ = unsafe { mm::munmap(self.base as *mut c_void, self.reserved) };
    }
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

    fn largest_free(&self) -> u64 {
        self.compact()
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

    pub(super) fn compact(&self) -> u64 {
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

/// RSS and the system's commit charge, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Costs {
    /// This process's resident set (/proc/self/statm).
    pub rss: u64,
    /// The system's commit charge, `Committed_AS` (other processes move it too).
    pub commit_charge: u64,
}

/// RSS and `Committed_AS`, read now.
pub fn costs() -> Result<Costs, HeapError> {
    let statm = procfs::process::Process::myself()
        .and_then(|p| p.statm())
        .map_err(|e| HeapError::Read {
            file: "/proc/self/statm",
            reason: e.to_string(),
        })?;
    let meminfo = <procfs::Meminfo as procfs::Current>::current().map_err(|e| HeapError::Read {
        file: "/proc/meminfo",
        reason: e.to_string(),
    })?;
    Ok(Costs {
        rss: statm.resident * page_size() as u64,
        commit_charge: meminfo.committed_as,
    })
}

/// A heap's ranges as the kernel sees them: /proc/self/smaps clipped to the
/// ranges (a neighbouring mapping may share a kernel region), and mincore.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct KernelView {
    /// Bytes of the ranges the kernel has mapped.
    pub reserved: u64,
    /// Bytes mapped read-write (what memlab committed).
    pub committed: u64,
    /// Bytes in mappings the kernel charges to the commit charge (the
    /// `ac` flag in smaps' VmFlags).
    pub charged: u64,
    /// Bytes in RAM (mincore over the committed parts).
    pub resident: u64,
}

pub fn kernel_view(segments: &[Segment]) -> Result<KernelView, HeapError> {
    use procfs::process::{MMPermissions, VmFlags};
    let maps = procfs::process::Process::myself()
        .and_then(|p| p.smaps())
        .map_err(|e| HeapError::Read {
            file: "/proc/self/smaps",
            reason: e.to_string(),
        })?;
    let mut view = KernelView::default();
    for s in segments {
        let (lo, hi) = (s.base as u64, s.base as u64 + s.reserved);
        for m in maps.iter() {
            let (a, b) = (m.address.0.max(lo), m.address.1.min(hi));
            if a >= b {
                continue;
            }
            let len = b - a;
            view.reserved += len;
            if m.perms.contains(MMPermissions::READ | MMPermissions::WRITE) {
                view.committed += len;
                view.resident += resident(a as usize, len as usize)?;
            }
            if m.extension.vm_flags.contains(VmFlags::AC) {
                view.charged += len;
            }
        }
    }
    Ok(view)
}

/// Bytes of `[start, start + len)` in RAM (a mapped, page-aligned range).
fn resident(start: usize, len: usize) -> Result<u64, HeapError> {
    let page = page_size();
    let mut vec = vec![0u8; len / page];
    // SAFETY: a range smaps lists as mapped (page-aligned); `vec` has one
    // byte per page, as mincore writes.
    let rc = unsafe { libc::mincore(start as *mut c_void, len, vec.as_mut_ptr()) };
    if rc != 0 {
        let e = std::io::Error::last_os_error();
        return Err(HeapError::Os {
            call: "mincore",
            errno: e.raw_os_error().unwrap_or(0),
            errno_text: e.to_string(),
        });
    }
    Ok(vec.iter().filter(|&&b| b & 1 == 1).count() as u64 * page as u64)
}

/// The process heap's counters (glibc's `mallinfo2`): what `GetProcessHeap`
/// stands for on Linux, malloc's own heap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ProcessHeap {
    /// Bytes malloc got with sbrk (its main arena).
    pub arena: u64,
    /// Bytes in live blocks.
    pub in_use: u64,
    /// Bytes in free blocks.
    pub free: u64,
    /// Free blocks (chunks).
    pub free_blocks: u64,
    /// Bytes in blocks malloc mapped on their own (large ones).
    pub mapped: u64,
    /// Blocks malloc mapped on their own.
    pub mapped_blocks: u64,
}

/// `mallinfo2()` now, where glibc has it.
pub fn process_heap() -> Option<ProcessHeap> {
    #[cfg(target_env = "gnu")]
    {
        // SAFETY: mallinfo2 has no preconditions; it only reads malloc's state.
        let m = unsafe { libc::mallinfo2() };
        Some(ProcessHeap {
            arena: m.arena as u64,
            in_use: m.uordblks as u64,
            free: m.fordblks as u64,
            free_blocks: m.ordblks as u64,
            mapped: m.hblkhd as u64,
            mapped_blocks: m.hblks as u64,
        })
    }
    #[cfg(not(target_env = "gnu"))]
    {
        None
    }
}
