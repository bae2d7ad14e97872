//! One reserved range of memlab's Linux heap model: a `PROT_NONE` mapping
//! whose committed part is tiled by slots (a block with its 16-byte header
//! and tail check bytes, or a free slot), with the header writes and
//! checks HeapValidate reads back, first fit, joining free neighbours, and
//! committing more pages with `mprotect`.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::c_void;

use rustix::mm::{self, MapFlags, MprotectFlags, ProtFlags};

use super::{errno_text, round_up};
use crate::heap::{DamageKind, HeapError};

/// A block's header before its data: the size asked for and a tag.
pub(super) const HEADER: usize = 16;
/// Blocks are rounded to 16 bytes, as Windows' heap on x64.
pub(super) const GRANULE: usize = 16;
/// At least this many tail check bytes follow a block's data.
pub(super) const MIN_TAIL: usize = 8;
/// A free remainder smaller than this stays with the block it was cut from.
pub(super) const MIN_FREE: usize = HEADER + GRANULE;
/// The byte the tail check bytes hold (Windows' tail checking uses 0xAB too).
pub(super) const TAIL: u8 = 0xAB;
/// The tags of a busy and of a free block's header (xor its size).
pub(super) const BUSY: u64 = 0x4d45_4d4c_4142_4255; // "MEMLABBU"
pub(super) const FREE: u64 = 0x4d45_4d4c_4142_4652; // "MEMLABFR"

/// The bytes a block of `size` takes: header, data, tail check, rounding.
pub(super) fn footprint(size: usize) -> usize {
    HEADER + round_up(size + MIN_TAIL, GRANULE)
}

/// What one range of the heap holds at an offset.
#[derive(Debug, Clone, Copy)]
pub(super) struct Slot {
    /// Bytes from the header's start to the next slot.
    pub(super) len: usize,
    /// The size asked for, if the block is live.
    pub(super) busy: Option<usize>,
}

/// One reserved range: a `PROT_NONE` mapping whose first `committed` bytes
/// are read-write and tiled by slots.
#[derive(Debug)]
pub(super) struct Range {
    pub(super) base: usize,
    pub(super) reserved: usize,
    pub(super) committed: usize,
    /// Offset -> slot; covers `0..committed` without gaps; free slots never
    /// touch each other (they are joined at each free).
    pub(super) slots: BTreeMap<usize, Slot>,
    /// The offsets of the free slots (first fit looks only at these).
    pub(super) free: BTreeSet<usize>,
}

impl Range {
    pub(super) fn ptr(&self, offset: usize) -> *mut u8 {
        (self.base + offset) as *mut u8
    }

    /// Writes a slot's header (and a busy block's tail check bytes).
    pub(super) fn write_header(&mut self, offset: usize, slot: Slot) {
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

    pub(super) fn put(&mut self, offset: usize, slot: Slot) {
        self.slots.insert(offset, slot);
        if slot.busy.is_none() {
            self.free.insert(offset);
        } else {
            self.free.remove(&offset);
        }
        self.write_header(offset, slot);
    }

    /// Takes the slot at `offset` out of the table.
    pub(super) fn take(&mut self, offset: usize) -> Option<Slot> {
        self.free.remove(&offset);
        self.slots.remove(&offset)
    }

    /// What the header and tail at `offset` say is wrong, if anything.
    pub(super) fn check(&self, offset: usize, slot: Slot) -> Option<DamageKind> {
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
    pub(super) fn free_tail(&self) -> Option<(usize, Slot)> {
        self.slots
            .iter()
            .next_back()
            .filter(|(_, s)| s.busy.is_none())
            .map(|(&o, &s)| (o, s))
    }

    /// Commits more pages so the committed part ends at `end` (rounded to
    /// pages, within the reserve) and extends or adds the free tail slot.
    pub(super) fn commit_to(&mut self, end: usize, page: usize) -> Result<(), HeapError> {
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
    pub(super) fn place(&mut self, offset: usize, size: usize, zero: bool) -> usize {
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
    pub(super) fn release(&mut self, offset: usize) {
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
    pub(super) fn first_fit(&self, need: usize) -> Option<usize> {
        self.free
            .iter()
            .find(|&o| self.slots[o].len >= need)
            .copied()
    }
}

/// Reserves `len` bytes with no access and commits the first `commit`.
pub(super) fn reserve(len: usize, commit: usize, page: usize) -> Result<Range, HeapError> {
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
