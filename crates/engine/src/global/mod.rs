//! The global and local heap of the chapter's §2 (GlobalAlloc, GlobalLock,
//! GlobalUnlock, GlobalSize, GlobalReAlloc, GlobalFlags, GlobalHandle,
//! GlobalFree, GlobalDiscard; LocalAlloc and its family are the same heap
//! on Win32): fixed blocks (a pointer), movable blocks (a handle into a
//! handle table, locked to get a pointer) and discardable ones, with the
//! system's compaction and low-memory discarding that the book describes.
//! Handles are numbered 1, 2, ... so that the window, the command line and
//! the tests speak of "handle 3" as a student would; the HGLOBAL value
//! itself is each row's `hglobal`.
//!
//! One API here ([`GlobalLab`] and its values); one heap type (`heap.rs`:
//! the table of memlab's blocks, its rows, the moves), whose calls are per
//! OS, behind it, as memmap2 keeps its `unix.rs` and `windows.rs`:
//! - `linux.rs`: memlab's model of the Win32 global heap on real memory (a
//!   16 MiB arena mapped once, blocks with headers in it, a handle table
//!   whose entries hold each movable block's address), enforcing the
//!   Win32 rules and doing what Windows 3.1 did on its own: compaction
//!   (unlocked movable blocks slide down, addresses change) and discarding
//!   (unlocked discardable blocks emptied);
//! - `windows.rs`: the real `GlobalAlloc`, `GlobalLock`, `GlobalUnlock`,
//!   `GlobalSize`, `GlobalReAlloc`, `GlobalFlags`, `GlobalHandle`,
//!   `GlobalFree` and `GlobalDiscard`, giving the same `Heap` (alloc, lock,
//!   unlock, realloc, discard, free, handle_at, compact, low_memory, rows,
//!   at) and reporting what the calls return, not the model's rules. Win32
//!   itself no longer moves or discards blocks by itself, so there
//!   "compact" and "low memory" are memlab calling
//!   `GlobalReAlloc(GMEM_MOVEABLE)` and `GlobalDiscard` on the unlocked
//!   blocks, as the system of the book did.
//!
//! A pointer the program kept from a lock is remembered per handle
//! ([`Row::kept`]); after a move it is stale, and [`GlobalLab::read_kept`]
//! says what it would read now (the block that lives there now, or free
//! space) from memlab's table, without dereferencing it.

mod error;
mod heap;
#[cfg(target_os = "linux")]
mod linux;
mod messages;
// The Linux model's rules (the Windows build's answers are tested through
// memlab.exe: tests/windows_global.rs).
#[cfg(all(test, target_os = "linux"))]
mod tests;
#[cfg(windows)]
mod windows;
#[cfg(target_os = "linux")]
use linux as sys;
#[cfg(windows)]
use windows as sys;

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use heap::Heap;

pub use error::GlobalError;
pub use sys::{ARENA_BYTES, GRANULE, HEADER};

/// The most handles memlab keeps at once (its handle table's size).
pub const MAX_HANDLES: usize = 4096;
/// GlobalFlags' lock count field (GMEM_LOCKCOUNT): the most locks a block holds.
pub const MAX_LOCKS: u8 = 0xFF;
/// GlobalFlags' bit for a discardable block.
pub const GMEM_DISCARDABLE: u32 = 0x0100;
/// GlobalFlags' bit for a discarded block.
pub const GMEM_DISCARDED: u32 = 0x4000;
/// GlobalAlloc's flag for a block whose bytes start as zeros.
pub const GMEM_ZEROINIT: u32 = 0x0040;
/// GlobalReAlloc's flag to change a block's flags, not its size.
pub const GMEM_MODIFY: u32 = 0x0080;
/// GlobalAlloc's and GlobalReAlloc's flag for a movable block.
pub const GMEM_MOVEABLE: u32 = 0x0002;

/// A handle's number (1, 2, ...), as the program's variable holding the
/// HGLOBAL that GlobalAlloc returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Handle(pub u32);

impl fmt::Display for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "handle {}", self.0)
    }
}

/// GlobalAlloc's kind of block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// GMEM_FIXED: GlobalAlloc returns a pointer; the block never moves.
    Fixed,
    /// GMEM_MOVEABLE: GlobalAlloc returns a handle; GlobalLock gives the
    /// pointer, and the block may move while unlocked.
    Moveable,
    /// GMEM_MOVEABLE | GMEM_DISCARDABLE: movable, and emptied when memory
    /// is low while unlocked.
    Discardable,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Fixed, Kind::Moveable, Kind::Discardable];

    /// The script's word for it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Fixed => "fixed",
            Self::Moveable => "moveable",
            Self::Discardable => "discardable",
        }
    }

    /// GlobalAlloc's flags for it.
    pub fn win32_flags(self) -> &'static str {
        match self {
            Self::Fixed => "GMEM_FIXED",
            Self::Moveable => "GMEM_MOVEABLE",
            Self::Discardable => "GMEM_MOVEABLE | GMEM_DISCARDABLE",
        }
    }

    pub fn movable(self) -> bool {
        self != Self::Fixed
    }
}

/// One call of the lab.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    Alloc,
    Lock,
    Unlock,
    Size,
    ReAlloc,
    Modify,
    Flags,
    Handle,
    Free,
    Discard,
    Compact,
    LowMemory,
    ReadKept,
}

impl Operation {
    /// The Win32 call it stands for.
    pub fn win32(self) -> &'static str {
        match self {
            Self::Alloc => "GlobalAlloc",
            Self::Lock => "GlobalLock",
            Self::Unlock => "GlobalUnlock",
            Self::Size => "GlobalSize",
            Self::ReAlloc => "GlobalReAlloc",
            Self::Modify => "GlobalReAlloc(GMEM_MODIFY)",
            Self::Flags => "GlobalFlags",
            Self::Handle => "GlobalHandle",
            Self::Free => "GlobalFree",
            Self::Discard => "GlobalDiscard",
            Self::Compact => "the system compacting (GlobalCompact)",
            Self::LowMemory => "the system short of memory",
            Self::ReadKept => "*p, a pointer kept from GlobalLock",
        }
    }
}

/// A block that moved: the highlight after a compaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Move {
    pub handle: Handle,
    pub from: usize,
    pub to: usize,
}

/// One row of the handle table, as the lab shows it after each step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    pub handle: Handle,
    pub kind: Kind,
    /// The HGLOBAL: the pointer itself for a fixed block, the address of
    /// its handle-table entry for a movable one.
    pub hglobal: usize,
    /// Where the block's bytes are now; `None` while discarded.
    pub address: Option<usize>,
    /// The size asked for.
    pub requested: u64,
    /// What GlobalSize says (0 while discarded).
    pub size: u64,
    pub lock_count: u8,
    /// GlobalFlags: the lock count in the low byte, GMEM_DISCARDABLE,
    /// GMEM_DISCARDED.
    pub flags: u32,
    /// The pointer the program kept from its last GlobalLock (or from
    /// GlobalAlloc for a fixed block), if any.
    pub kept: Option<usize>,
}

impl Row {
    pub fn discarded(&self) -> bool {
        self.address.is_none()
    }

    /// True if the kept pointer no longer points at the block.
    pub fn kept_is_stale(&self) -> bool {
        self.kept.is_some() && self.kept != self.address
    }

    /// GlobalFlags' bits by name.
    pub fn flag_names(&self) -> Vec<&'static str> {
        let mut names = Vec::new();
        if self.flags & GMEM_DISCARDABLE != 0 {
            names.push("GMEM_DISCARDABLE");
        }
        if self.flags & GMEM_DISCARDED != 0 {
            names.push("GMEM_DISCARDED");
        }
        names
    }
}

/// What lives at an address of the global heap now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "what", rename_all = "snake_case")]
pub enum AtAddress {
    /// A live block's bytes: the handle, the offset in it, the first bytes from there.
    Block {
        handle: Handle,
        offset: u64,
        bytes: Vec<u8>,
    },
    /// A block's header (the heap's own bytes before the data).
    Header { handle: Handle },
    /// Free space of the heap: no block there now.
    Free,
    /// Not in memlab's global heap at all.
    Outside,
    /// Windows: no live block of memlab's is there now; the process heap
    /// may have given the bytes to anything else of the process.
    NotOurs,
}

/// What a step did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outcome {
    /// GlobalAlloc's result, and what the heap did to make room.
    Allocated {
        handle: Handle,
        hglobal: usize,
        /// Blocks moved by the compaction an allocation that did not fit ran.
        moved: Vec<Move>,
        /// Blocks discarded to make room (least recently used first).
        discarded: Vec<Handle>,
    },
    /// GlobalLock's pointer and the new lock count (a fixed block's stays 0).
    Locked {
        pointer: usize,
        lock_count: u8,
    },
    /// GlobalUnlock: the lock count left.
    Unlocked {
        lock_count: u8,
    },
    /// GlobalSize.
    Size {
        bytes: u64,
        requested: u64,
    },
    /// GlobalReAlloc: where the block was (None if it was discarded) and is now.
    Reallocated {
        from: Option<usize>,
        to: usize,
        size: u64,
    },
    /// GlobalFlags.
    Flags {
        flags: u32,
    },
    /// GlobalReAlloc(h, 0, GMEM_MODIFY | ...): the block's new flags, and
    /// its HGLOBAL (a fixed block made movable gets a handle).
    Modified {
        hglobal: usize,
        now: Kind,
        flags: u32,
    },
    /// GlobalHandle of an address.
    HandleOf {
        address: usize,
        handle: Handle,
        hglobal: usize,
    },
    Freed,
    /// Windows: GlobalFree freed a block that was locked (the Linux model
    /// refuses it), with the lock count it had.
    FreedLocked {
        lock_count: u8,
    },
    /// GlobalDiscard (or GlobalReAlloc to 0): the block is empty, the handle valid.
    Discarded,
    /// Unlocked movable blocks slid down; fixed and locked blocks stayed.
    Compacted {
        moved: Vec<Move>,
    },
    /// Unlocked discardable blocks emptied, and the bytes that gave back.
    LowMemory {
        discarded: Vec<Handle>,
        bytes: u64,
    },
    /// What the kept pointer reads now, and whether it still points at its block.
    ReadKept {
        pointer: usize,
        stale: bool,
        now: AtAddress,
    },
}

/// The global heap and memlab's numbers for its handles: what the window
/// and the command line drive.
#[derive(Default)]
pub struct GlobalLab {
    /// Mapped at the first GlobalAlloc.
    heap: Option<Heap>,
    /// The next handle's number.
    next: u32,
    /// The pointer kept from each live handle's last lock.
    kept: BTreeMap<Handle, usize>,
    /// Blocks the last step moved (the table's highlight).
    moved: Vec<Move>,
}

impl GlobalLab {
    pub fn new() -> Self {
        Self::default()
    }

    /// The heap, if a handle was ever allocated.
    fn heap(&mut self, handle: Handle) -> Result<&mut Heap, GlobalError> {
        let next = self.next;
        let heap = self
            .heap
            .as_mut()
            .ok_or(GlobalError::NoSuchHandle(handle))?;
        if handle.0 == 0 || handle.0 > next {
            return Err(GlobalError::NoSuchHandle(handle));
        }
        if !heap.contains(handle) {
            return Err(GlobalError::StaleHandle(handle));
        }
        Ok(heap)
    }

    /// Runs one call, remembering the blocks it moved and updating kept pointers.
    fn step<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, GlobalError>,
    ) -> Result<T, GlobalError> {
        self.moved.clear();
        if let Some(heap) = self.heap.as_mut() {
            heap.take_moves();
        }
        let result = f(self);
        if let Some(heap) = self.heap.as_mut() {
            self.moved = heap.take_moves();
        }
        result
    }

    /// GlobalAlloc(kind, size).
    pub fn alloc(&mut self, kind: Kind, size: u64) -> Result<Outcome, GlobalError> {
        self.alloc_with(kind, size, false)
    }

    /// GlobalAlloc(kind | GMEM_ZEROINIT if `zeroinit`, size): with
    /// GMEM_ZEROINIT the block's bytes start as zeros (else memlab fills
    /// them with the handle's letter).
    pub fn alloc_with(
        &mut self,
        kind: Kind,
        size: u64,
        zeroinit: bool,
    ) -> Result<Outcome, GlobalError> {
        self.step(|lab| {
            if lab.heap.is_none() {
                lab.heap = Some(Heap::new()?);
            }
            let handle = Handle(lab.next + 1);
            let heap = lab.heap.as_mut().expect("just mapped");
            let made = heap.alloc(handle, kind, size, zeroinit)?;
            lab.next += 1;
            if kind == Kind::Fixed {
                // GlobalAlloc(GMEM_FIXED) returns the pointer itself.
                lab.kept.insert(handle, made.hglobal);
            }
            Ok(Outcome::Allocated {
                handle,
                hglobal: made.hglobal,
                moved: heap.moves().to_vec(),
                discarded: made.discarded,
            })
        })
    }

    /// GlobalLock(h): the pointer, kept as the program keeps it.
    pub fn lock(&mut self, handle: Handle) -> Result<Outcome, GlobalError> {
        self.step(|lab| {
            let (pointer, lock_count) = lab.heap(handle)?.lock(handle)?;
            lab.kept.insert(handle, pointer);
            Ok(Outcome::Locked {
                pointer,
                lock_count,
            })
        })
    }

    /// GlobalUnlock(h).
    pub fn unlock(&mut self, handle: Handle) -> Result<Outcome, GlobalError> {
        self.step(|lab| {
            let lock_count = lab.heap(handle)?.unlock(handle)?;
            Ok(Outcome::Unlocked { lock_count })
        })
    }

    /// GlobalSize(h).
    pub fn size(&mut self, handle: Handle) -> Result<Outcome, GlobalError> {
        self.step(|lab| {
            let row = lab.heap(handle)?.row(handle);
            Ok(Outcome::Size {
                bytes: row.size,
                requested: row.requested,
            })
        })
    }

    /// GlobalFlags(h).
    pub fn flags(&mut self, handle: Handle) -> Result<Outcome, GlobalError> {
        self.step(|lab| {
            Ok(Outcome::Flags {
                flags: lab.heap(handle)?.row(handle).flags,
            })
        })
    }

    /// GlobalReAlloc(h, size, GMEM_MOVEABLE if `moveable`); size 0
    /// discards, as GlobalDiscard does.
    pub fn realloc(
        &mut self,
        handle: Handle,
        size: u64,
        moveable: bool,
    ) -> Result<Outcome, GlobalError> {
        self.step(|lab| {
            let heap = lab.heap(handle)?;
            if size == 0 {
                return heap.discard(handle);
            }
            let (from, to) = heap.realloc(handle, size, moveable)?;
            let row = heap.row(handle);
            if row.kind == Kind::Fixed {
                // A fixed block's handle is its pointer: the program keeps the new one.
                lab.kept.insert(handle, to);
            }
            Ok(Outcome::Reallocated {
                from,
                to,
                size: row.size,
            })
        })
    }

    /// GlobalReAlloc(h, 0, GMEM_MODIFY | GMEM_MOVEABLE if `moveable` |
    /// GMEM_DISCARDABLE if `discardable`): the block's flags change, its
    /// size and bytes stay.
    pub fn modify(
        &mut self,
        handle: Handle,
        moveable: bool,
        discardable: bool,
    ) -> Result<Outcome, GlobalError> {
        self.step(|lab| {
            let heap = lab.heap(handle)?;
            heap.modify(handle, moveable, discardable)?;
            let row = heap.row(handle);
            Ok(Outcome::Modified {
                hglobal: row.hglobal,
                now: row.kind,
                flags: row.flags,
            })
        })
    }

    /// GlobalDiscard(h).
    pub fn discard(&mut self, handle: Handle) -> Result<Outcome, GlobalError> {
        self.step(|lab| lab.heap(handle)?.discard(handle))
    }

    /// GlobalFree(h).
    pub fn free(&mut self, handle: Handle) -> Result<Outcome, GlobalError> {
        self.step(|lab| {
            let lock_count = lab.heap(handle)?.free(handle)?;
            lab.kept.remove(&handle);
            Ok(match lock_count {
                0 => Outcome::Freed,
                lock_count => Outcome::FreedLocked { lock_count },
            })
        })
    }

    /// GlobalHandle(address).
    pub fn handle_at(&mut self, address: usize) -> Result<Outcome, GlobalError> {
        self.step(|lab| {
            let heap = lab.heap.as_ref().ok_or(GlobalError::NoBlockAt(address))?;
            let handle = heap.handle_at(address)?;
            Ok(Outcome::HandleOf {
                address,
                handle,
                hglobal: heap.row(handle).hglobal,
            })
        })
    }

    /// GlobalHandle of the pointer kept from `handle`'s last lock: after a
    /// move, another block's handle or none.
    pub fn handle_of_kept(&mut self, handle: Handle) -> Result<Outcome, GlobalError> {
        self.heap(handle)?;
        let pointer = *self
            .kept
            .get(&handle)
            .ok_or(GlobalError::NothingKept(handle))?;
        self.handle_at(pointer)
    }

    /// The system compacting the heap: unlocked movable blocks slide down.
    pub fn compact(&mut self) -> Result<Outcome, GlobalError> {
        self.step(|lab| {
            let moved = match lab.heap.as_mut() {
                Some(heap) => heap.compact(),
                None => Vec::new(),
            };
            Ok(Outcome::Compacted { moved })
        })
    }

    /// The system short of memory: unlocked discardable blocks emptied.
    pub fn low_memory(&mut self) -> Result<Outcome, GlobalError> {
        self.step(|lab| {
            let (discarded, bytes) = match lab.heap.as_mut() {
                Some(heap) => heap.low_memory(),
                None => (Vec::new(), 0),
            };
            Ok(Outcome::LowMemory { discarded, bytes })
        })
    }

    /// What the pointer kept from `handle`'s last lock reads now (the
    /// bug of using it after the block moved), from memlab's table: the
    /// block that lives there now, or free space, never a read of memory
    /// that is not a live block's.
    pub fn read_kept(&mut self, handle: Handle) -> Result<Outcome, GlobalError> {
        self.step(|lab| {
            lab.heap(handle)?;
            let heap = lab.heap.as_ref().expect("checked");
            let row = heap.row(handle);
            let pointer = *lab
                .kept
                .get(&handle)
                .ok_or(GlobalError::NothingKept(handle))?;
            let now = heap.at(pointer);
            Ok(Outcome::ReadKept {
                pointer,
                stale: row.address != Some(pointer),
                now,
            })
        })
    }

    /// The handle table, by handle number.
    pub fn rows(&self) -> Vec<Row> {
        let Some(heap) = self.heap.as_ref() else {
            return Vec::new();
        };
        heap.rows()
            .into_iter()
            .map(|mut row| {
                row.kept = self.kept.get(&row.handle).copied();
                row
            })
            .collect()
    }

    /// The blocks the last step moved.
    pub fn moved(&self) -> &[Move] {
        &self.moved
    }

    /// The heap's first address and its size, once mapped.
    /// (None on Windows: the blocks are scattered over the process heap.)
    pub fn extent(&self) -> Option<(usize, usize)> {
        self.heap.as_ref().and_then(Heap::extent)
    }

    /// The highest address in use (for drawing the used part to scale).
    pub fn high_water(&self) -> Option<usize> {
        self.heap.as_ref().and_then(Heap::used_end)
    }

    /// The largest free space and all free space below the high-water mark.
    pub fn free_space(&self) -> (u64, u64) {
        self.heap.as_ref().map_or((0, 0), Heap::free_space)
    }

    /// The next handle's number.
    pub fn next_handle(&self) -> Handle {
        Handle(self.next + 1)
    }
}
