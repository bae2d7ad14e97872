//! The global heap of §2 on Windows: the real calls, as the book makes
//! them. `GlobalAlloc(GMEM_FIXED | GMEM_MOVEABLE | GMEM_DISCARDABLE)`,
//! `GlobalLock`, `GlobalUnlock`, `GlobalSize`, `GlobalReAlloc` (with and
//! without `GMEM_MOVEABLE`), `GlobalFlags` (the lock count in its low
//! byte), `GlobalHandle`, `GlobalFree` and `GlobalDiscard` (the macro
//! `GlobalReAlloc(h, 0, GMEM_MOVEABLE)`). On Win32 `LocalAlloc` and its
//! family are the same heap (the process heap).
//!
//! What each call returns is what the lab reports: memlab does not impose
//! its Linux model's rules here (docs/windows.md lists where Windows
//! differs, as found under wine). Two things memlab still does itself:
//! - a handle the lab has freed is never passed to a call again (its
//!   HGLOBAL may already name another block): the lab answers "stale
//!   handle" from its own table, as on Linux;
//! - Win32 no longer moves or discards blocks by itself, so "compact" is
//!   memlab asking `GlobalReAlloc(h, GlobalSize(h), GMEM_MOVEABLE)` of each
//!   unlocked movable block and "low memory" is `GlobalDiscard` of each
//!   unlocked discardable one; the table shows what the heap did.
//!
//! A block's address is read with `GlobalLock` then `GlobalUnlock` (the
//! documented way; the count is back where it was), and the bytes of a
//! block are filled with its handle's letter, as on Linux, so that what a
//! kept pointer would read names the block that lives there now.

use std::collections::BTreeSet;
use std::ffi::c_void;

use windows_sys::Win32::Foundation::{
    ERROR_DISCARDED, ERROR_NOT_LOCKED, GetLastError, GlobalFree, HGLOBAL, NO_ERROR, SetLastError,
};
use windows_sys::Win32::System::Memory::{
    GMEM_FIXED, GMEM_MOVEABLE, GMEM_ZEROINIT, GlobalAlloc, GlobalFlags, GlobalHandle, GlobalLock,
    GlobalReAlloc, GlobalSize, GlobalUnlock,
};

use super::heap::{Heap, Made, letter};
use super::{
    AtAddress, GMEM_DISCARDABLE, GMEM_DISCARDED, GMEM_MODIFY, GlobalError, Handle, Kind, Move,
    Outcome, Row,
};

/// The largest block one step asks for (the form's size field and the
/// Linux model's whole heap): memlab has no arena of its own on Windows,
/// the blocks come from the process heap.
pub const ARENA_BYTES: usize = 16 << 20;
/// The process heap's granule on 64-bit Windows: GlobalSize may exceed the request.
pub const GRANULE: u64 = 16;
/// The heap's own bytes before each block on 64-bit Windows (its entry header).
pub const HEADER: u64 = 16;
/// GlobalFlags' lock count field.
const GMEM_LOCKCOUNT: u32 = 0x00FF;
/// How many bytes of a block [`Heap::at`] shows.
const SHOWN: usize = 16;

pub(super) struct Block {
    hglobal: HGLOBAL,
    /// GlobalAlloc's kind (GMEM_FIXED or not); whether a movable block is
    /// discardable is GlobalFlags' to say.
    fixed: bool,
    requested: u64,
    /// The address last seen (GlobalLock's pointer), for a block whose lock
    /// count is at its maximum (another lock would not count).
    last_address: Option<usize>,
}

/// What the heap keeps on Windows besides its blocks.
pub(super) struct HeapState {
    /// Every address a call gave memlab: GlobalHandle is asked only about
    /// these (an address typed by hand could be anything).
    seen: BTreeSet<usize>,
}

/// The failure of `call`, from GetLastError.
fn os_error(call: &'static str, code: u32) -> GlobalError {
    GlobalError::Os {
        call,
        code,
        message: std::io::Error::from_raw_os_error(code as i32).to_string(),
    }
}

fn last_error() -> u32 {
    // SAFETY: GetLastError reads the calling thread's last-error value.
    unsafe { GetLastError() }
}

fn clear_last_error() {
    // SAFETY: SetLastError sets the calling thread's last-error value.
    unsafe { SetLastError(NO_ERROR) }
}

/// The real calls, as the book makes them.
impl Heap {
    pub fn new() -> Result<Self, GlobalError> {
        Ok(Self::with(HeapState {
            seen: BTreeSet::new(),
        }))
    }

    /// No range of memlab's own on Windows: the blocks are scattered over
    /// the process heap.
    pub fn extent(&self) -> Option<(usize, usize)> {
        None
    }

    pub fn used_end(&self) -> Option<usize> {
        None
    }

    /// Not known on Windows (the process heap is shared with everything
    /// else in the process): nothing.
    pub fn free_space(&self) -> (u64, u64) {
        (0, 0)
    }

    fn flags_of(&self, handle: Handle) -> u32 {
        // SAFETY: the HGLOBAL is a live one of this lab's (freed ones leave the table).
        unsafe { GlobalFlags(self.block(handle).hglobal) }
    }

    fn size_of(&self, handle: Handle) -> u64 {
        // SAFETY: as in flags_of.
        unsafe { GlobalSize(self.block(handle).hglobal) as u64 }
    }

    /// Where the block's bytes are now: GlobalLock's pointer (a fixed
    /// block's is its HGLOBAL), the lock given back at once; `None` while
    /// discarded.
    fn address_of(&self, handle: Handle) -> Option<usize> {
        let flags = self.flags_of(handle);
        let b = self.block(handle);
        if b.fixed {
            return Some(b.hglobal as usize);
        }
        if flags & GMEM_DISCARDED != 0 {
            return None;
        }
        if flags & GMEM_LOCKCOUNT == GMEM_LOCKCOUNT {
            // A lock would not count, and the unlock would undo one of the
            // program's: locked, the block has not moved since last seen.
            return b.last_address;
        }
        let h = b.hglobal;
        // SAFETY: a live movable HGLOBAL of this lab's; the unlock undoes the lock.
        let pointer = unsafe {
            let p = GlobalLock(h);
            if !p.is_null() {
                GlobalUnlock(h);
            }
            p
        };
        (!pointer.is_null()).then_some(pointer as usize)
    }

    /// Remembers a block's address (now seen, and its last one).
    fn note(&mut self, handle: Handle, address: Option<usize>) {
        if let Some(a) = address {
            self.os.seen.insert(a);
        }
        self.block_mut(handle).last_address = address;
    }

    /// Fills `range` of the block's bytes with `byte`.
    fn fill(&mut self, handle: Handle, range: std::ops::Range<u64>, byte: u8) {
        if range.is_empty() {
            return;
        }
        let Some(address) = self.address_of(handle) else {
            return;
        };
        // SAFETY: `range` lies within the block's GlobalSize bytes, which
        // start at its current address; no other reference to them exists.
        unsafe {
            std::ptr::write_bytes(
                (address as *mut u8).add(range.start as usize),
                byte,
                (range.end - range.start) as usize,
            );
        }
    }

    /// GlobalAlloc; memlab fills the block with the handle's letter unless
    /// GMEM_ZEROINIT asked for zeros.
    pub fn alloc(
        &mut self,
        handle: Handle,
        kind: Kind,
        size: u64,
        zeroinit: bool,
    ) -> Result<Made, GlobalError> {
        let mut flags = match kind {
            Kind::Fixed => GMEM_FIXED,
            Kind::Moveable => GMEM_MOVEABLE,
            Kind::Discardable => GMEM_MOVEABLE | GMEM_DISCARDABLE,
        };
        if zeroinit {
            flags |= GMEM_ZEROINIT;
        }
        let bytes = usize::try_from(size).map_err(|_| os_error("GlobalAlloc", 8))?;
        // SAFETY: GlobalAlloc takes any flags and size; NULL is its failure.
        let h = unsafe { GlobalAlloc(flags, bytes) };
        if h.is_null() {
            return Err(os_error("GlobalAlloc", last_error()));
        }
        self.blocks.insert(
            handle,
            Block {
                hglobal: h,
                fixed: kind == Kind::Fixed,
                requested: size,
                last_address: None,
            },
        );
        let address = self.address_of(handle);
        self.note(handle, address);
        if !zeroinit {
            let all = self.size_of(handle);
            self.fill(handle, 0..all, letter(handle));
        }
        Ok(Made {
            hglobal: h as usize,
            discarded: Vec::new(),
        })
    }

    pub fn lock(&mut self, handle: Handle) -> Result<(usize, u8), GlobalError> {
        let h = self.block(handle).hglobal;
        clear_last_error();
        // SAFETY: a live HGLOBAL of this lab's.
        let p = unsafe { GlobalLock(h) };
        if p.is_null() {
            return Err(match last_error() {
                ERROR_DISCARDED => GlobalError::LockDiscarded(handle),
                code => os_error("GlobalLock", code),
            });
        }
        self.note(handle, Some(p as usize));
        Ok((p as usize, (self.flags_of(handle) & GMEM_LOCKCOUNT) as u8))
    }

    pub fn unlock(&mut self, handle: Handle) -> Result<u8, GlobalError> {
        let b = self.block(handle);
        let (h, fixed) = (b.hglobal, b.fixed);
        clear_last_error();
        // SAFETY: a live HGLOBAL of this lab's.
        let still_locked = unsafe { GlobalUnlock(h) };
        if still_locked == 0 {
            match last_error() {
                NO_ERROR => {}
                ERROR_NOT_LOCKED => return Err(GlobalError::NotLocked { handle, fixed }),
                code => return Err(os_error("GlobalUnlock", code)),
            }
        }
        Ok((self.flags_of(handle) & GMEM_LOCKCOUNT) as u8)
    }

    /// GlobalDiscard: a movable block is emptied (GMEM_DISCARDED, its
    /// handle valid); wine answers a GMEM_FIXED block by making it 0 bytes
    /// in place, which is reported as that.
    pub fn discard(&mut self, handle: Handle) -> Result<Outcome, GlobalError> {
        let from = self.address_of(handle);
        let lock_count = (self.flags_of(handle) & GMEM_LOCKCOUNT) as u8;
        let h = self.block(handle).hglobal;
        clear_last_error();
        // SAFETY: GlobalDiscard is this call (a macro in the headers); a live HGLOBAL.
        let r = unsafe { GlobalReAlloc(h, 0, GMEM_MOVEABLE) };
        if r.is_null() {
            let code = last_error();
            // wine refuses a locked block with NULL and no error code.
            if lock_count > 0 && code == NO_ERROR {
                return Err(GlobalError::DiscardLocked { handle, lock_count });
            }
            return Err(os_error("GlobalDiscard", code));
        }
        self.block_mut(handle).hglobal = r;
        let to = self.address_of(handle);
        self.note(handle, to);
        Ok(match to {
            None => Outcome::Discarded,
            Some(to) => Outcome::Reallocated {
                from,
                to,
                size: self.size_of(handle),
            },
        })
    }

    /// GlobalReAlloc(h, 0, GMEM_MODIFY | GMEM_MOVEABLE? | GMEM_DISCARDABLE?):
    /// the real call; a fixed block made movable gets the handle it returns.
    pub fn modify(
        &mut self,
        handle: Handle,
        moveable: bool,
        discardable: bool,
    ) -> Result<(), GlobalError> {
        let h = self.block(handle).hglobal;
        let mut flags = GMEM_MODIFY;
        if moveable {
            flags |= GMEM_MOVEABLE;
        }
        if discardable {
            flags |= GMEM_DISCARDABLE;
        }
        clear_last_error();
        // SAFETY: a live HGLOBAL of this lab's; on success the answer replaces it.
        let r = unsafe { GlobalReAlloc(h, 0, flags) };
        if r.is_null() {
            return Err(os_error("GlobalReAlloc(GMEM_MODIFY)", last_error()));
        }
        let b = self.block_mut(handle);
        b.hglobal = r;
        if r != h {
            // A fixed block made movable: a handle now, not its pointer.
            b.fixed = false;
        }
        self.os.seen.insert(r as usize);
        Ok(())
    }

    /// GlobalFree; the lock count the block had (Windows frees a locked block).
    pub fn free(&mut self, handle: Handle) -> Result<u8, GlobalError> {
        let lock_count = (self.flags_of(handle) & GMEM_LOCKCOUNT) as u8;
        let h = self.block(handle).hglobal;
        clear_last_error();
        // SAFETY: a live HGLOBAL of this lab's; it leaves the table at once.
        let r = unsafe { GlobalFree(h) };
        if !r.is_null() {
            return Err(os_error("GlobalFree", last_error()));
        }
        self.blocks.remove(&handle);
        Ok(lock_count)
    }

    /// GlobalReAlloc(h, size, GMEM_MOVEABLE if `moveable`): the real
    /// call's answer; a fixed block's HGLOBAL is its new pointer.
    pub fn realloc(
        &mut self,
        handle: Handle,
        size: u64,
        moveable: bool,
    ) -> Result<(Option<usize>, usize), GlobalError> {
        let from = self.address_of(handle);
        let old_size = if from.is_some() {
            self.size_of(handle)
        } else {
            0
        };
        let lock_count = (self.flags_of(handle) & GMEM_LOCKCOUNT) as u8;
        let b = self.block(handle);
        let (h, fixed) = (b.hglobal, b.fixed);
        let bytes = usize::try_from(size).map_err(|_| os_error("GlobalReAlloc", 8))?;
        let flags = if moveable { GMEM_MOVEABLE } else { 0 };
        clear_last_error();
        // SAFETY: a live HGLOBAL of this lab's; on success the old one (a
        // fixed block's pointer) is replaced by the answer.
        let r = unsafe { GlobalReAlloc(h, bytes, flags) };
        if r.is_null() {
            let code = last_error();
            // ERROR_NOT_ENOUGH_MEMORY for a block that may not move: the rule.
            if code == 8 && from.is_some() && (fixed || lock_count > 0) && !moveable {
                return Err(GlobalError::CannotMove {
                    handle,
                    bytes: size,
                    lock_count,
                });
            }
            return Err(os_error("GlobalReAlloc", code));
        }
        let b = self.block_mut(handle);
        b.hglobal = r;
        b.requested = size;
        let to = self
            .address_of(handle)
            .ok_or_else(|| os_error("GlobalReAlloc", last_error()))?;
        self.note(handle, Some(to));
        let new_size = self.size_of(handle);
        if from.is_some() {
            self.fill(handle, old_size.min(new_size)..new_size, letter(handle));
        } else {
            // Memory again after a discard: its old contents are lost.
            self.fill(handle, 0..new_size, 0);
        }
        if let Some(from) = from
            && from != to
        {
            self.moves.push(Move { handle, from, to });
        }
        Ok((from, to))
    }

    /// Each unlocked movable block asked to move: GlobalReAlloc with its
    /// own size and GMEM_MOVEABLE.
    pub fn compact(&mut self) -> Vec<Move> {
        let handles: Vec<Handle> = self.blocks.keys().copied().collect();
        let mut moved = Vec::new();
        for handle in handles {
            let flags = self.flags_of(handle);
            if self.block(handle).fixed
                || flags & GMEM_LOCKCOUNT != 0
                || flags & GMEM_DISCARDED != 0
            {
                continue;
            }
            let Some(from) = self.address_of(handle) else {
                continue;
            };
            let size = self.size_of(handle) as usize;
            let h = self.block(handle).hglobal;
            // SAFETY: a live, unlocked movable HGLOBAL of this lab's.
            let r = unsafe { GlobalReAlloc(h, size, GMEM_MOVEABLE) };
            if r.is_null() {
                continue;
            }
            self.block_mut(handle).hglobal = r;
            let to = self.address_of(handle);
            self.note(handle, to);
            if let Some(to) = to
                && to != from
            {
                moved.push(Move { handle, from, to });
            }
        }
        self.moves.extend_from_slice(&moved);
        moved
    }

    /// GlobalDiscard of every unlocked discardable block with memory.
    pub fn low_memory(&mut self) -> (Vec<Handle>, u64) {
        let handles: Vec<Handle> = self.blocks.keys().copied().collect();
        let mut discarded = Vec::new();
        let mut bytes = 0;
        for handle in handles {
            let flags = self.flags_of(handle);
            if flags & GMEM_DISCARDABLE == 0
                || flags & GMEM_LOCKCOUNT != 0
                || flags & GMEM_DISCARDED != 0
            {
                continue;
            }
            let size = self.size_of(handle);
            if let Ok(Outcome::Discarded) = self.discard(handle) {
                discarded.push(handle);
                bytes += size;
            }
        }
        (discarded, bytes)
    }

    /// GlobalHandle(address), asked only about an address a call gave
    /// memlab; the answer named by memlab's handle number.
    pub fn handle_at(&self, address: usize) -> Result<Handle, GlobalError> {
        if !self.os.seen.contains(&address) {
            return Err(GlobalError::NoBlockAt(address));
        }
        // SAFETY: GlobalHandle checks its argument; the address is one the
        // heap gave this process (a block's, now or before).
        let h = unsafe { GlobalHandle(address as *const c_void) };
        self.blocks
            .iter()
            .find(|(_, b)| !h.is_null() && b.hglobal == h)
            .map(|(handle, _)| *handle)
            .ok_or(GlobalError::NoBlockAt(address))
    }

    /// What lives at `address` now among memlab's live blocks; the bytes
    /// shown are read only from a live block.
    pub fn at(&self, address: usize) -> AtAddress {
        for &handle in self.blocks.keys() {
            let Some(start) = self.address_of(handle) else {
                continue;
            };
            let size = self.size_of(handle) as usize;
            if (start..start + size).contains(&address) {
                let offset = address - start;
                let n = SHOWN.min(size - offset);
                // SAFETY: `n` bytes from `address` lie within the live
                // block's GlobalSize bytes.
                let bytes = unsafe { std::slice::from_raw_parts(address as *const u8, n) }.to_vec();
                return AtAddress::Block {
                    handle,
                    offset: offset as u64,
                    bytes,
                };
            }
        }
        AtAddress::NotOurs
    }

    pub fn row(&self, handle: Handle) -> Row {
        let flags = self.flags_of(handle);
        let address = self.address_of(handle);
        let b = self.block(handle);
        let kind = if b.fixed {
            Kind::Fixed
        } else if flags & GMEM_DISCARDABLE != 0 {
            Kind::Discardable
        } else {
            Kind::Moveable
        };
        let (hglobal, requested) = (b.hglobal as usize, b.requested);
        Row {
            handle,
            kind,
            hglobal,
            address,
            requested,
            size: self.size_of(handle),
            lock_count: (flags & GMEM_LOCKCOUNT) as u8,
            flags,
            kept: None,
        }
    }
}

impl Drop for Heap {
    /// Every block left goes back to the process heap.
    fn drop(&mut self) {
        for b in self.blocks.values() {
            // SAFETY: a live HGLOBAL of this lab's, freed once.
            unsafe { GlobalFree(b.hglobal) };
        }
    }
}
