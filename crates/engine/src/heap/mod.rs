//! The private heaps of the chapter's §4 (HeapCreate, HeapAlloc, HeapFree,
//! HeapSize, HeapReAlloc, HeapValidate, HeapCompact, HeapWalk, HeapDestroy,
//! GetProcessHeap): several heaps numbered 1, 2, ..., each block numbered
//! in its heap, so that the window, the command line and the tests speak
//! of "heap 1, block 3" as a student would.
//!
//! One API here ([`HeapLab`] and its values); the heap itself is per OS,
//! behind it, as memmap2 keeps its `unix.rs` and `windows.rs`:
//! - `linux.rs`: memlab's model of a Win32 heap on real memory (the maximum
//!   reserved with `mmap(PROT_NONE)`, commits with `mprotect(RW)`, blocks
//!   with headers memlab validates), checked against the kernel's smaps and
//!   `Committed_AS`;
//! - `windows.rs`: the real `HeapCreate` heap, giving the same
//!   `PrivateHeap` (create, alloc, free, size, realloc, overrun, validate,
//!   compact, walk, segments) and the same `costs`, `kernel_view` and
//!   `process_heap`, from `HeapWalk`, `VirtualQuery` and `GetPerformanceInfo`.

mod error;
#[cfg(target_os = "linux")]
mod linux;
mod messages;
mod values;
#[cfg(windows)]
mod windows;
#[cfg(target_os = "linux")]
use linux as sys;
#[cfg(windows)]
use windows as sys;

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

pub use error::HeapError;
pub use sys::{
    Costs, KERNEL_SOURCE, KernelView, PROCESS_HEAP_SOURCE, ProcessHeap, costs, process_heap,
};
pub use values::{
    BlockId, BlockInfo, Damage, DamageKind, Fragmented, HeapId, HeapState, Realloc, ReallocFlags,
    Segment, WalkEntry, WalkKind,
};

/// The most heaps memlab keeps at once (a lab, not a process's limit).
pub const MAX_HEAPS: usize = 16;
/// The most live blocks memlab keeps in one heap.
pub const MAX_BLOCKS: usize = 20_000;
/// The largest maximum (reserve) and the largest growable heap memlab
/// makes: the address space is cheap, but a script should not take the
/// machine's.
pub const MAX_RESERVE: u64 = 4 << 30;
/// The most memory all of memlab's heaps may commit together: a script or
/// a click must not take the machine's RAM (zeroed blocks are touched).
pub const MAX_COMMIT: u64 = 4 << 30;
/// The most blocks one `alloc ... xCOUNT` step makes.
pub const MAX_COUNT: usize = 10_000;
/// The size of each block "fragment it" allocates.
pub const FRAGMENT_BLOCK: u64 = 2048;

/// One heap: the OS's heap and memlab's numbers for its blocks.
struct Heap {
    id: HeapId,
    initial: u64,
    maximum: u64,
    os: sys::PrivateHeap,
    /// Block number -> the pointer HeapAlloc gave.
    blocks: BTreeMap<BlockId, usize>,
    next_block: u32,
}

impl Heap {
    fn address(&self, block: BlockId) -> Result<usize, HeapError> {
        self.blocks
            .get(&block)
            .copied()
            .ok_or(HeapError::NoSuchBlock {
                heap: self.id,
                block,
            })
    }

    /// Block numbers by address (one pass, for a whole walk or validation).
    fn by_address(&self) -> HashMap<usize, BlockId> {
        self.blocks.iter().map(|(&b, &a)| (a, b)).collect()
    }

    fn alloc(&mut self, size: u64, zero: bool) -> Result<BlockId, HeapError> {
        if self.blocks.len() >= MAX_BLOCKS {
            return Err(HeapError::TooManyBlocks { heap: self.id });
        }
        let address = self.os.alloc(size, zero)?;
        self.next_block += 1;
        let id = BlockId(self.next_block);
        self.blocks.insert(id, address);
        Ok(id)
    }

    fn free(&mut self, block: BlockId) -> Result<(), HeapError> {
        let address = self.address(block)?;
        self.os
            .free(address)
            .map_err(|e| self.name_block(e, block))?;
        self.blocks.remove(&block);
        Ok(())
    }

    /// Gives a damage error the block's number (the OS part knows addresses).
    fn name_block(&self, e: HeapError, block: BlockId) -> HeapError {
        match e {
            HeapError::Damaged {
                call,
                heap,
                address,
                what,
                ..
            } => HeapError::Damaged {
                call,
                heap,
                block,
                address,
                what,
            },
            e => e,
        }
    }

    fn state(&self) -> HeapState {
        let by_address = self.by_address();
        let walk: Vec<WalkEntry> = self
            .os
            .walk()
            .into_iter()
            .map(|mut e| {
                if e.kind == WalkKind::Busy {
                    e.block = by_address.get(&e.address).copied();
                }
                e
            })
            .collect();
        let segments = self.os.segments();
        let free = walk.iter().filter(|e| e.kind == WalkKind::Free);
        HeapState {
            id: self.id,
            initial: self.initial,
            maximum: self.maximum,
            reserved: segments.iter().map(|s| s.reserved).sum(),
            committed: segments.iter().map(|s| s.committed).sum(),
            segments,
            blocks: {
                let sizes: HashMap<usize, u64> = walk
                    .iter()
                    .filter(|e| e.kind == WalkKind::Busy)
                    .map(|e| (e.address, e.size))
                    .collect();
                self.blocks
                    .iter()
                    .map(|(&id, &address)| BlockInfo {
                        id,
                        size: sizes.get(&address).copied().unwrap_or(0),
                        address,
                    })
                    .collect()
            },
            largest_free: free.clone().map(|e| e.size).max().unwrap_or(0),
            total_free: free.map(|e| e.size).sum(),
            walk,
        }
    }
}

/// Several private heaps, numbered from 1 in the order they were created.
#[derive(Default)]
pub struct HeapLab {
    heaps: Vec<Heap>,
    next_heap: u32,
}

impl HeapLab {
    pub fn new() -> Self {
        Self::default()
    }

    /// The system's page size (what sizes are rounded to).
    pub fn page_size() -> usize {
        sys::page_size()
    }

    /// `HeapCreate(0, initial, maximum)`: `maximum` 0 makes a growable heap.
    pub fn create(&mut self, initial: u64, maximum: u64) -> Result<HeapId, HeapError> {
        if self.heaps.len() >= MAX_HEAPS {
            return Err(HeapError::TooManyHeaps);
        }
        if maximum != 0 && initial > maximum {
            return Err(HeapError::InitialAboveMaximum { initial, maximum });
        }
        if initial.max(maximum) > MAX_RESERVE {
            return Err(HeapError::HeapTooLarge {
                bytes: initial.max(maximum),
            });
        }
        self.within_commit_limit("HeapCreate", initial)?;
        let id = HeapId(self.next_heap + 1);
        let os = sys::PrivateHeap::create(id, initial, maximum)?;
        self.next_heap += 1;
        self.heaps.push(Heap {
            id,
            initial,
            maximum,
            os,
            blocks: BTreeMap::new(),
            next_block: 0,
        });
        Ok(id)
    }

    fn heap(&self, id: HeapId) -> Result<&Heap, HeapError> {
        self.heaps
            .iter()
            .find(|h| h.id == id)
            .ok_or(HeapError::NoSuchHeap(id))
    }

    fn heap_mut(&mut self, id: HeapId) -> Result<&mut Heap, HeapError> {
        self.heaps
            .iter_mut()
            .find(|h| h.id == id)
            .ok_or(HeapError::NoSuchHeap(id))
    }

    /// Refuses a step that could take all heaps past [`MAX_COMMIT`].
    fn within_commit_limit(&self, call: &'static str, bytes: u64) -> Result<(), HeapError> {
        let committed = self.committed();
        if committed.saturating_add(bytes) > MAX_COMMIT {
            return Err(HeapError::CommitLimit {
                call,
                bytes,
                committed,
            });
        }
        Ok(())
    }

    /// What all heaps have committed.
    pub fn committed(&self) -> u64 {
        self.heaps.iter().map(|h| h.os.committed()).sum()
    }

    /// `HeapAlloc(heap, zero ? HEAP_ZERO_MEMORY : 0, size)`.
    pub fn alloc(&mut self, heap: HeapId, size: u64, zero: bool) -> Result<BlockId, HeapError> {
        self.heap(heap)?;
        self.within_commit_limit("HeapAlloc", size)?;
        self.heap_mut(heap)?.alloc(size, zero)
    }

    /// `HeapFree(heap, 0, block)`.
    pub fn free(&mut self, heap: HeapId, block: BlockId) -> Result<(), HeapError> {
        self.heap_mut(heap)?.free(block)
    }

    /// `HeapSize(heap, 0, block)`.
    pub fn size(&self, heap: HeapId, block: BlockId) -> Result<u64, HeapError> {
        let h = self.heap(heap)?;
        h.os.size(h.address(block)?)
    }

    /// `HeapReAlloc(heap, flags, block, size)`: the block keeps its number
    /// (its address changes if it moved).
    pub fn realloc(
        &mut self,
        heap: HeapId,
        block: BlockId,
        size: u64,
        flags: ReallocFlags,
    ) -> Result<Realloc, HeapError> {
        self.heap(heap)?.address(block)?;
        self.within_commit_limit("HeapReAlloc", size)?;
        let h = self.heap_mut(heap)?;
        let address = h.address(block)?;
        let new = h.os.realloc(address, size, flags).map_err(|e| match e {
            HeapError::NotInPlace { heap, bytes, .. } => {
                HeapError::NotInPlace { heap, block, bytes }
            }
            e => h.name_block(e, block),
        })?;
        h.blocks.insert(block, new);
        Ok(if new == address {
            Realloc::InPlace
        } else {
            Realloc::Moved { from: address }
        })
    }

    /// Writes past the block's end, inside the heap (a program's bug, on
    /// purpose): returns the address of the first byte written.
    pub fn overrun(&mut self, heap: HeapId, block: BlockId) -> Result<usize, HeapError> {
        let h = self.heap_mut(heap)?;
        let address = h.address(block)?;
        h.os.overrun(address)
    }

    /// `HeapValidate(heap, 0, NULL)`: every damaged block (empty = TRUE).
    pub fn validate(&self, heap: HeapId) -> Result<Vec<Damage>, HeapError> {
        let h = self.heap(heap)?;
        let by_address = h.by_address();
        Ok(h.os
            .validate()
            .into_iter()
            .map(|(address, what)| Damage {
                address,
                block: by_address.get(&address).copied(),
                what,
            })
            .collect())
    }

    /// `HeapCompact(heap, 0)`: the largest free block's size.
    pub fn compact(&mut self, heap: HeapId) -> Result<u64, HeapError> {
        self.heap_mut(heap)?.os.compact()
    }

    /// "Fragment it": fills the heap's committed free memory with blocks of
    /// [`FRAGMENT_BLOCK`] bytes (at least 16, at most 256), then frees every
    /// other one, so the free memory is many small gaps.
    pub fn fragment(&mut self, heap: HeapId) -> Result<Fragmented, HeapError> {
        let h = self.heap_mut(heap)?;
        let free = h.state().total_free;
        let count = (free / (FRAGMENT_BLOCK + 64)).clamp(16, 256) as usize;
        let mut made = Vec::with_capacity(count);
        for _ in 0..count {
            match h.alloc(FRAGMENT_BLOCK, false) {
                Ok(b) => made.push(b),
                // A fixed heap that is full is fragmented as far as it goes.
                Err(HeapError::NoMemory { .. }) if !made.is_empty() => break,
                Err(e) => return Err(e),
            }
        }
        let mut freed = 0;
        for b in made.iter().step_by(2) {
            h.free(*b)?;
            freed += 1;
        }
        Ok(Fragmented {
            allocated: made.len(),
            freed,
            block_size: FRAGMENT_BLOCK,
        })
    }

    /// `HeapDestroy(heap)`: every block and every reserved range go back
    /// to the system at once.
    pub fn destroy(&mut self, heap: HeapId) -> Result<(), HeapError> {
        let at = self
            .heaps
            .iter()
            .position(|h| h.id == heap)
            .ok_or(HeapError::NoSuchHeap(heap))?;
        // Dropping the OS heap releases its ranges.
        self.heaps.remove(at);
        Ok(())
    }

    /// Destroys every heap (the lab's shutdown).
    pub fn destroy_all(&mut self) {
        self.heaps.clear();
    }

    /// One heap's state.
    pub fn state(&self, heap: HeapId) -> Result<HeapState, HeapError> {
        Ok(self.heap(heap)?.state())
    }

    /// Every heap's state, in creation order.
    pub fn states(&self) -> Vec<HeapState> {
        self.heaps.iter().map(Heap::state).collect()
    }

    /// The live heaps' numbers.
    pub fn ids(&self) -> Vec<HeapId> {
        self.heaps.iter().map(|h| h.id).collect()
    }

    /// The kernel's view of a heap's ranges (smaps, mincore).
    pub fn kernel_view(&self, heap: HeapId) -> Result<KernelView, HeapError> {
        sys::kernel_view(&self.heap(heap)?.os.segments())
    }
}

/// What each heap call is on this OS, for the help, the command line's
/// text and the JSON's `os_call`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    Create,
    Alloc,
    Free,
    Size,
    Realloc,
    Overrun,
    Validate,
    Compact,
    Walk,
    Fragment,
    Destroy,
    ProcessHeap,
}

impl Operation {
    /// The Win32 call.
    pub fn win32(self) -> &'static str {
        match self {
            Self::Create => "HeapCreate",
            Self::Alloc => "HeapAlloc",
            Self::Free => "HeapFree",
            Self::Size => "HeapSize",
            Self::Realloc => "HeapReAlloc",
            Self::Overrun => "(a write past the block's end)",
            Self::Validate => "HeapValidate",
            Self::Compact => "HeapCompact",
            Self::Walk => "HeapWalk",
            Self::Fragment => "HeapAlloc xN, HeapFree every other",
            Self::Destroy => "HeapDestroy",
            Self::ProcessHeap => "GetProcessHeap",
        }
    }

    /// What memlab does for it on this OS.
    pub fn os_call(self) -> &'static str {
        sys::os_call(self)
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests;
