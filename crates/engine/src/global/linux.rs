//! memlab's model of the Win32 global heap on Linux, on real memory: one
//! arena of [`ARENA_BYTES`] mapped once (anonymous, `MAP_NORESERVE`: no
//! commit charge in overcommit modes 0 and 1, RAM only for the pages
//! blocks were written to), each block a
//! [`HEADER`] of the heap's own followed by its data rounded up to
//! [`GRANULE`] bytes, and a handle table: an array in memory whose entry
//! for each movable block holds that block's current address, so that the
//! HGLOBAL of a movable block is the address of its entry and GlobalLock
//! reads the pointer from it, as Win32 does. A fixed block's HGLOBAL is its
//! pointer.
//!
//! Every block's bytes are written: a block is filled with its handle's
//! letter (handle 1 'A', 2 'B', ...) so that what a stale pointer would
//! read names the block that lives there now; a block given memory again
//! after a discard reads zero (its contents were lost). Compaction moves the
//! bytes for real (`copy_within`), so the addresses change as in Windows 3.1.

use memmap2::{MmapMut, MmapOptions};

use super::heap::{Heap, Made, letter};
use super::{
    AtAddress, GMEM_DISCARDABLE, GMEM_DISCARDED, GlobalError, Handle, Kind, MAX_HANDLES, MAX_LOCKS,
    Move, Outcome, Row,
};

/// The size of memlab's global heap.
pub const ARENA_BYTES: usize = 16 << 20;
/// Sizes are rounded up to this (the Win32 heap's granule on 64-bit
/// Windows; Windows 3.1 rounded to 32 bytes): GlobalSize may exceed the request.
pub const GRANULE: u64 = 16;
/// The heap's own bytes before each block's data.
pub const HEADER: u64 = 16;
/// The header's first bytes: "GMEM" then the handle number.
const MAGIC: &[u8; 4] = b"GMEM";
/// How many bytes of a block [`Heap::at`] shows.
const SHOWN: u64 = 16;

pub(super) struct Block {
    kind: Kind,
    /// The data's offset in the arena; `None` while discarded.
    offset: Option<u64>,
    requested: u64,
    /// GlobalSize: the request rounded up to the granule.
    size: u64,
    lock_count: u8,
    /// The handle-table entry of a movable block.
    entry: Option<usize>,
    /// When it was last allocated or locked (for discarding the least
    /// recently used first).
    used: u64,
}

impl Block {
    /// The arena range it occupies (header and data).
    fn span(&self) -> Option<(u64, u64)> {
        self.offset.map(|o| (o - HEADER, o + self.size))
    }
}

/// What the heap keeps on Linux besides its blocks: the arena and the
/// handle table.
pub(super) struct HeapState {
    arena: MmapMut,
    /// The handle table: each entry holds a movable block's address (0
    /// while discarded). Boxed once, so entries never move.
    table: Box<[usize]>,
    free_entries: Vec<usize>,
    /// When a block was last allocated or locked, counted in steps.
    clock: u64,
}

fn round(size: u64) -> u64 {
    size.div_ceil(GRANULE) * GRANULE
}

/// The calls on memlab's model: the Win32 rules, compaction and discarding.
impl Heap {
    pub fn new() -> Result<Self, GlobalError> {
        let arena = MmapOptions::new()
            .len(ARENA_BYTES)
            .no_reserve_swap()
            .map_anon()
            .map_err(|e| GlobalError::Map {
                bytes: ARENA_BYTES,
                errno: e.raw_os_error().unwrap_or(0),
                message: e.to_string(),
            })?;
        Ok(Self::with(HeapState {
            arena,
            table: vec![0; MAX_HANDLES].into_boxed_slice(),
            free_entries: (0..MAX_HANDLES).rev().collect(),
            clock: 0,
        }))
    }

    pub fn base(&self) -> usize {
        self.os.arena.as_ptr() as usize
    }

    /// The arena: its first address and its size.
    pub fn extent(&self) -> Option<(usize, usize)> {
        Some((self.base(), ARENA_BYTES))
    }

    /// The highest address in use.
    pub fn used_end(&self) -> Option<usize> {
        Some(self.high_water())
    }

    fn address(&self, offset: u64) -> usize {
        self.base() + offset as usize
    }

    fn tick(&mut self) -> u64 {
        self.os.clock += 1;
        self.os.clock
    }

    /// The occupied spans in address order, leaving out `except`.
    fn spans(&self, except: Option<Handle>) -> Vec<(u64, u64)> {
        let mut spans: Vec<(u64, u64)> = self
            .blocks
            .iter()
            .filter(|(h, _)| Some(**h) != except)
            .filter_map(|(_, b)| b.span())
            .collect();
        spans.sort_unstable();
        spans
    }

    /// The free gaps in address order, up to the arena's end.
    fn gaps(&self, except: Option<Handle>) -> Vec<(u64, u64)> {
        let mut gaps = Vec::new();
        let mut cursor = 0;
        for (start, end) in self.spans(except) {
            if start > cursor {
                gaps.push((cursor, start));
            }
            cursor = cursor.max(end);
        }
        if (ARENA_BYTES as u64) > cursor {
            gaps.push((cursor, ARENA_BYTES as u64));
        }
        gaps
    }

    /// The lowest place (start of the header) for `span` bytes.
    fn first_fit(&self, span: u64, except: Option<Handle>) -> Option<u64> {
        self.gaps(except)
            .into_iter()
            .find(|(s, e)| e - s >= span)
            .map(|(s, _)| s)
    }

    pub fn free_space(&self) -> (u64, u64) {
        let high = (self.high_water() - self.base()) as u64;
        let gaps: Vec<u64> = self
            .gaps(None)
            .into_iter()
            .filter(|(s, _)| *s < high)
            .map(|(s, e)| e.min(high) - s)
            .collect();
        (gaps.iter().copied().max().unwrap_or(0), gaps.iter().sum())
    }

    fn largest_free(&self) -> u64 {
        self.gaps(None)
            .into_iter()
            .map(|(s, e)| (e - s).saturating_sub(HEADER))
            .max()
            .unwrap_or(0)
    }

    pub fn high_water(&self) -> usize {
        let end = self.spans(None).last().map_or(0, |s| s.1);
        self.address(end)
    }

    /// Writes the header and fills `range` of the data with `fill`.
    fn write(
        &mut self,
        handle: Handle,
        offset: u64,
        size: u64,
        fill: std::ops::Range<u64>,
        byte: u8,
    ) {
        let h = (offset - HEADER) as usize;
        self.os.arena[h..h + 4].copy_from_slice(MAGIC);
        self.os.arena[h + 4..h + 8].copy_from_slice(&handle.0.to_le_bytes());
        self.os.arena[h + 8..h + 16].copy_from_slice(&size.to_le_bytes());
        let (a, b) = ((offset + fill.start) as usize, (offset + fill.end) as usize);
        self.os.arena[a..b].fill(byte);
    }

    /// Finds room for `span` bytes as Windows 3.1 did: first fit, else
    /// compact and try again, else discard the least recently used unlocked
    /// discardable blocks one by one.
    fn make_room(
        &mut self,
        call: &'static str,
        bytes: u64,
        except: Option<Handle>,
        discarded: &mut Vec<Handle>,
    ) -> Result<u64, GlobalError> {
        let span = HEADER + round(bytes);
        if span > ARENA_BYTES as u64 {
            return Err(GlobalError::TooLarge { call, bytes });
        }
        if let Some(at) = self.first_fit(span, except) {
            return Ok(at);
        }
        self.compact();
        loop {
            if let Some(at) = self.first_fit(span, except) {
                return Ok(at);
            }
            let victim = self
                .blocks
                .iter()
                .filter(|(h, b)| {
                    Some(**h) != except
                        && b.kind == Kind::Discardable
                        && b.lock_count == 0
                        && b.offset.is_some()
                })
                .min_by_key(|(_, b)| b.used)
                .map(|(h, _)| *h);
            let Some(victim) = victim else {
                return Err(GlobalError::NotEnoughMemory {
                    call,
                    bytes,
                    largest_free: self.largest_free(),
                });
            };
            self.empty(victim);
            discarded.push(victim);
            self.compact();
        }
    }

    pub fn alloc(
        &mut self,
        handle: Handle,
        kind: Kind,
        size: u64,
        zeroinit: bool,
    ) -> Result<Made, GlobalError> {
        let entry = match kind {
            Kind::Fixed => None,
            _ => Some(
                *self
                    .os
                    .free_entries
                    .last()
                    .ok_or(GlobalError::TooManyHandles)?,
            ),
        };
        let mut discarded = Vec::new();
        // GlobalAlloc(GMEM_MOVEABLE, 0) returns a handle to a discarded block.
        let offset = if size == 0 && kind.movable() {
            None
        } else {
            Some(self.make_room("GlobalAlloc", size, None, &mut discarded)? + HEADER)
        };
        if entry.is_some() {
            self.os.free_entries.pop();
        }
        let used = self.tick();
        let rounded = round(size);
        self.blocks.insert(
            handle,
            Block {
                kind,
                offset,
                requested: size,
                size: rounded,
                lock_count: 0,
                entry,
                used,
            },
        );
        if let Some(o) = offset {
            let byte = if zeroinit { 0 } else { letter(handle) };
            self.write(handle, o, rounded, 0..rounded, byte);
        }
        self.sync_entry(handle);
        Ok(Made {
            hglobal: self.hglobal(handle),
            discarded,
        })
    }

    /// The handle-table entry of a movable block gets its address.
    fn sync_entry(&mut self, handle: Handle) {
        let b = self.block(handle);
        if let Some(entry) = b.entry {
            let address = b.offset.map_or(0, |o| self.address(o));
            self.os.table[entry] = address;
        }
    }

    fn hglobal(&self, handle: Handle) -> usize {
        let b = self.block(handle);
        match b.entry {
            Some(entry) => std::ptr::from_ref(&self.os.table[entry]) as usize,
            None => self.address(b.offset.expect("a fixed block is never discarded")),
        }
    }

    pub fn lock(&mut self, handle: Handle) -> Result<(usize, u8), GlobalError> {
        let used = self.tick();
        let b = self.block(handle);
        let Some(entry) = b.entry else {
            // A fixed block: the pointer is the handle, the count stays 0.
            return Ok((self.hglobal(handle), 0));
        };
        // GlobalLock reads the block's address from the handle's entry.
        let pointer = self.os.table[entry];
        if pointer == 0 {
            return Err(GlobalError::LockDiscarded(handle));
        }
        if b.lock_count == MAX_LOCKS {
            return Err(GlobalError::LockCountFull(handle));
        }
        let b = self.block_mut(handle);
        b.lock_count += 1;
        b.used = used;
        Ok((pointer, b.lock_count))
    }

    pub fn unlock(&mut self, handle: Handle) -> Result<u8, GlobalError> {
        let b = self.block_mut(handle);
        if b.lock_count == 0 {
            return Err(GlobalError::NotLocked {
                handle,
                fixed: b.kind == Kind::Fixed,
            });
        }
        b.lock_count -= 1;
        Ok(b.lock_count)
    }

    /// Empties a block (its memory returns to the heap, the handle stays).
    fn empty(&mut self, handle: Handle) {
        self.block_mut(handle).offset = None;
        self.sync_entry(handle);
    }

    pub fn discard(&mut self, handle: Handle) -> Result<Outcome, GlobalError> {
        let b = self.block(handle);
        if b.kind == Kind::Fixed {
            return Err(GlobalError::DiscardFixed(handle));
        }
        if b.lock_count > 0 {
            return Err(GlobalError::DiscardLocked {
                handle,
                lock_count: b.lock_count,
            });
        }
        self.empty(handle);
        Ok(Outcome::Discarded)
    }

    /// GlobalReAlloc(GMEM_MODIFY): GMEM_MOVEABLE makes a fixed block
    /// movable (it gets a handle-table entry; its HGLOBAL becomes that
    /// entry's address); GMEM_DISCARDABLE makes a movable block
    /// discardable, its absence makes it not discardable. Nothing moves.
    pub fn modify(
        &mut self,
        handle: Handle,
        moveable: bool,
        discardable: bool,
    ) -> Result<(), GlobalError> {
        let fixed = self.block(handle).kind == Kind::Fixed;
        if fixed && !moveable {
            if discardable {
                return Err(GlobalError::ModifyFixed(handle));
            }
            return Ok(());
        }
        if fixed {
            let entry = self
                .os
                .free_entries
                .pop()
                .ok_or(GlobalError::TooManyHandles)?;
            self.block_mut(handle).entry = Some(entry);
        }
        self.block_mut(handle).kind = if discardable {
            Kind::Discardable
        } else {
            Kind::Moveable
        };
        self.sync_entry(handle);
        Ok(())
    }

    /// GlobalFree; the lock count the block had (always 0: a locked block is refused).
    pub fn free(&mut self, handle: Handle) -> Result<u8, GlobalError> {
        let b = self.block(handle);
        if b.lock_count > 0 {
            return Err(GlobalError::FreeLocked {
                handle,
                lock_count: b.lock_count,
            });
        }
        let b = self.blocks.remove(&handle).expect("checked by the lab");
        if let Some(entry) = b.entry {
            self.os.table[entry] = 0;
            self.os.free_entries.push(entry);
        }
        Ok(0)
    }

    /// GlobalReAlloc to a non-zero size: in place when the block shrinks
    /// or the bytes after it are free, else moved if it may move (unlocked
    /// and movable, or GMEM_MOVEABLE given). A discarded block gets memory
    /// again (zeroed: its old contents are lost).
    pub fn realloc(
        &mut self,
        handle: Handle,
        size: u64,
        moveable: bool,
    ) -> Result<(Option<usize>, usize), GlobalError> {
        let rounded = round(size);
        let b = self.block(handle);
        let (kind, lock_count, old_size) = (b.kind, b.lock_count, b.size);
        let Some(old) = b.offset else {
            let mut discarded = Vec::new();
            let at = self.make_room("GlobalReAlloc", size, Some(handle), &mut discarded)? + HEADER;
            let b = self.block_mut(handle);
            b.offset = Some(at);
            b.requested = size;
            b.size = rounded;
            self.write(handle, at, rounded, 0..rounded, 0);
            self.sync_entry(handle);
            return Ok((None, self.address(at)));
        };
        // The free bytes right after the block.
        let room_after = self
            .spans(Some(handle))
            .into_iter()
            .map(|(s, _)| s)
            .find(|&s| s >= old + old_size)
            .unwrap_or(ARENA_BYTES as u64)
            - old;
        let at = if rounded <= room_after {
            old
        } else {
            let may_move = match kind {
                Kind::Fixed => moveable,
                _ => lock_count == 0 || moveable,
            };
            if !may_move {
                return Err(GlobalError::CannotMove {
                    handle,
                    bytes: size,
                    lock_count,
                });
            }
            let span = HEADER + rounded;
            if span > ARENA_BYTES as u64 {
                return Err(GlobalError::TooLarge {
                    call: "GlobalReAlloc",
                    bytes: size,
                });
            }
            let at = self
                .first_fit(span, Some(handle))
                .ok_or(GlobalError::NotEnoughMemory {
                    call: "GlobalReAlloc",
                    bytes: size,
                    largest_free: self.largest_free(),
                })?
                + HEADER;
            let keep = old_size.min(rounded) as usize;
            self.os
                .arena
                .copy_within(old as usize..old as usize + keep, at as usize);
            at
        };
        let b = self.block_mut(handle);
        b.offset = Some(at);
        b.requested = size;
        b.size = rounded;
        let fill = old_size.min(rounded)..rounded;
        self.write(handle, at, rounded, fill, letter(handle));
        self.sync_entry(handle);
        if at != old {
            self.moves.push(Move {
                handle,
                from: self.address(old),
                to: self.address(at),
            });
        }
        Ok((Some(self.address(old)), self.address(at)))
    }

    /// Unlocked movable blocks, in address order, go to the lowest free
    /// place below them that holds them; fixed and locked blocks stay.
    /// One sorted list of the occupied spans is kept up to date as blocks
    /// move, so a compaction is one scan per moving block, not a sort.
    pub fn compact(&mut self) -> Vec<Move> {
        let mut order: Vec<(u64, Handle)> = self
            .blocks
            .iter()
            .filter(|(_, b)| b.kind.movable() && b.lock_count == 0)
            .filter_map(|(h, b)| b.offset.map(|o| (o, *h)))
            .collect();
        order.sort_unstable();
        let mut spans = self.spans(None);
        let mut moved = Vec::new();
        for (old, handle) in order {
            let span = HEADER + self.block(handle).size;
            let old_start = old - HEADER;
            let i = spans
                .binary_search(&(old_start, old + self.block(handle).size))
                .expect("every block's span is listed");
            spans.remove(i);
            // The lowest gap that holds the block, below its place.
            let mut cursor = 0;
            let mut found = None;
            for &(s, e) in &spans {
                if cursor >= old_start {
                    break;
                }
                if s >= cursor + span {
                    found = Some(cursor);
                    break;
                }
                cursor = cursor.max(e);
            }
            if found.is_none() && cursor < old_start {
                // Past the last span below the block: the block's own place
                // and what precedes it are free.
                found = Some(cursor);
            }
            let start = match found {
                Some(start) if start < old_start => start,
                _ => old_start,
            };
            let at = start + HEADER;
            let j = spans.partition_point(|&(s, _)| s < start);
            spans.insert(j, (start, start + span));
            if at == old {
                continue;
            }
            let from = old_start as usize;
            self.os
                .arena
                .copy_within(from..from + span as usize, start as usize);
            self.block_mut(handle).offset = Some(at);
            self.sync_entry(handle);
            moved.push(Move {
                handle,
                from: self.address(old),
                to: self.address(at),
            });
        }
        self.moves.extend_from_slice(&moved);
        moved
    }

    /// Every unlocked discardable block with memory is emptied.
    pub fn low_memory(&mut self) -> (Vec<Handle>, u64) {
        let victims: Vec<(Handle, u64)> = self
            .blocks
            .iter()
            .filter(|(_, b)| b.kind == Kind::Discardable && b.lock_count == 0)
            .filter(|(_, b)| b.offset.is_some())
            .map(|(h, b)| (*h, HEADER + b.size))
            .collect();
        for (h, _) in &victims {
            self.empty(*h);
        }
        let bytes = victims.iter().map(|(_, n)| n).sum();
        (victims.into_iter().map(|(h, _)| h).collect(), bytes)
    }

    /// GlobalHandle: the block whose data starts at `address`.
    pub fn handle_at(&self, address: usize) -> Result<Handle, GlobalError> {
        self.blocks
            .iter()
            .find(|(_, b)| b.offset.map(|o| self.address(o)) == Some(address))
            .map(|(h, _)| *h)
            .ok_or(GlobalError::NoBlockAt(address))
    }

    /// What lives at `address` now, from the table; the bytes shown are
    /// read only from a live block's data.
    pub fn at(&self, address: usize) -> AtAddress {
        let base = self.base();
        if address < base || address >= base + ARENA_BYTES {
            return AtAddress::Outside;
        }
        let offset = (address - base) as u64;
        for (h, b) in &self.blocks {
            let Some((start, end)) = b.span() else {
                continue;
            };
            if (start..end).contains(&offset) {
                let data = start + HEADER;
                if offset < data {
                    return AtAddress::Header { handle: *h };
                }
                let to = (offset + SHOWN).min(end);
                return AtAddress::Block {
                    handle: *h,
                    offset: offset - data,
                    bytes: self.os.arena[offset as usize..to as usize].to_vec(),
                };
            }
        }
        AtAddress::Free
    }

    pub fn row(&self, handle: Handle) -> Row {
        let b = self.block(handle);
        let mut flags = u32::from(b.lock_count);
        if b.kind == Kind::Discardable {
            flags |= GMEM_DISCARDABLE;
        }
        if b.offset.is_none() {
            flags |= GMEM_DISCARDED;
        }
        Row {
            handle,
            kind: b.kind,
            hglobal: self.hglobal(handle),
            address: b.offset.map(|o| self.address(o)),
            requested: b.requested,
            size: if b.offset.is_some() { b.size } else { 0 },
            lock_count: b.lock_count,
            flags,
            kept: None,
        }
    }
}
