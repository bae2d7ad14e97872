//! The heap lab's values: heap and block numbers, what HeapWalk reports,
//! a heap's state after a step, and what HeapValidate, HeapReAlloc and
//! "fragment it" return. The same on every OS.

use std::fmt;

use serde::Serialize;

/// A heap's number (1, 2, ...), as `HeapCreate` would return a handle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct HeapId(pub u32);

impl fmt::Display for HeapId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "heap {}", self.0)
    }
}

/// A block's number in its heap (1, 2, ...), standing for the pointer
/// `HeapAlloc` returned (the pointer itself is the block's `address`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct BlockId(pub u32);

impl fmt::Display for BlockId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "block {}", self.0)
    }
}

/// `HeapReAlloc`'s flags that memlab models.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReallocFlags {
    /// HEAP_ZERO_MEMORY: the bytes a block grows by read zero.
    pub zero_memory: bool,
    /// HEAP_REALLOC_IN_PLACE_ONLY: fail rather than move the block.
    pub in_place_only: bool,
}

/// What `HeapWalk` reports a range as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WalkKind {
    /// A live block (PROCESS_HEAP_ENTRY_BUSY).
    Busy,
    /// A free block inside committed memory.
    Free,
    /// Reserved, not committed yet (PROCESS_HEAP_UNCOMMITTED_RANGE).
    Uncommitted,
}

impl WalkKind {
    pub fn name(self) -> &'static str {
        match self {
            Self::Busy => "busy",
            Self::Free => "free",
            Self::Uncommitted => "uncommitted",
        }
    }
}

/// One entry of `HeapWalk`, in address order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct WalkEntry {
    pub kind: WalkKind,
    /// Where the data starts (for a busy block, the pointer the program has).
    pub address: usize,
    /// The data's size (for a busy block, what `HeapSize` says).
    pub size: u64,
    /// The heap's own bytes around it (header, tail check, rounding).
    pub overhead: u64,
    /// How many of those come before `address` (the header): the entry
    /// starts at `address - header`.
    pub header: u64,
    /// The block's number, for a busy entry.
    pub block: Option<BlockId>,
    /// Which of the heap's reserved ranges it is in (0 = the first).
    pub segment: usize,
}

impl WalkEntry {
    /// The bytes it covers in the heap: data and overhead.
    pub fn span(&self) -> u64 {
        self.size + self.overhead
    }

    /// Where the entry starts (its header's first byte).
    pub fn start(&self) -> usize {
        self.address - self.header as usize
    }
}

/// One reserved range of a heap (a fixed heap has one; a growable heap
/// reserves another when its ranges are full).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Segment {
    pub base: usize,
    pub reserved: u64,
    pub committed: u64,
}

/// A live block: its number, `HeapSize`, and the pointer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct BlockInfo {
    pub id: BlockId,
    pub size: u64,
    pub address: usize,
}

/// A heap as the lab shows it after each step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HeapState {
    pub id: HeapId,
    /// `HeapCreate`'s initial size as given.
    pub initial: u64,
    /// `HeapCreate`'s maximum as given (0 = growable).
    pub maximum: u64,
    pub segments: Vec<Segment>,
    pub reserved: u64,
    pub committed: u64,
    /// Live blocks by number.
    pub blocks: Vec<BlockInfo>,
    /// `HeapWalk`: every range in address order.
    pub walk: Vec<WalkEntry>,
    /// The largest free block's data size (what `HeapCompact` returns).
    pub largest_free: u64,
    /// The data size of all free blocks together.
    pub total_free: u64,
}

impl HeapState {
    pub fn growable(&self) -> bool {
        self.maximum == 0
    }
}

/// What `HeapValidate` found wrong at one block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Damage {
    /// The block's data address.
    pub address: usize,
    /// The block's number if it is a live block (else a free block).
    pub block: Option<BlockId>,
    pub what: DamageKind,
}

/// Which of a block's check bytes were overwritten.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DamageKind {
    /// The header before the data (its size or its tag).
    Header,
    /// The tail check bytes after the data: a write past the block's end.
    Tail,
}

/// What `HeapReAlloc` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "how", rename_all = "snake_case")]
pub enum Realloc {
    /// The block kept its address.
    InPlace,
    /// The block moved: its bytes were copied and the old block freed.
    Moved { from: usize },
}

/// What "fragment it" did: blocks of [`super::FRAGMENT_BLOCK`] bytes allocated,
/// then every other one freed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Fragmented {
    pub allocated: usize,
    pub freed: usize,
    pub block_size: u64,
}
