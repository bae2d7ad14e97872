//! The lab's heap as one type on every OS: memlab's table of the blocks it
//! made (by memlab's handle numbers), the moves since the window last
//! asked, and what is the same everywhere: the table's rows in handle
//! order, the letter a block is filled with. What a block is, what else
//! the heap keeps and how each call is made are each OS's
//! (`sys::Block`, `sys::HeapState` and the `impl Heap` of `linux.rs`:
//! memlab's model on an arena; `windows.rs`: the real calls).

use std::collections::BTreeMap;

use super::sys;
use super::{Handle, Move, Row};

/// What GlobalAlloc made.
pub(super) struct Made {
    pub hglobal: usize,
    pub discarded: Vec<Handle>,
}

pub(super) struct Heap {
    pub(super) blocks: BTreeMap<Handle, sys::Block>,
    /// Blocks moved since the last [`Heap::take_moves`].
    pub(super) moves: Vec<Move>,
    pub(super) os: sys::HeapState,
}

impl Heap {
    /// A heap with no block yet, around what the OS's side keeps.
    pub(super) fn with(os: sys::HeapState) -> Self {
        Self {
            blocks: BTreeMap::new(),
            moves: Vec::new(),
            os,
        }
    }

    pub fn contains(&self, handle: Handle) -> bool {
        self.blocks.contains_key(&handle)
    }

    pub fn moves(&self) -> &[Move] {
        &self.moves
    }

    pub fn take_moves(&mut self) -> Vec<Move> {
        std::mem::take(&mut self.moves)
    }

    pub(super) fn block(&self, handle: Handle) -> &sys::Block {
        &self.blocks[&handle]
    }

    pub(super) fn block_mut(&mut self, handle: Handle) -> &mut sys::Block {
        self.blocks.get_mut(&handle).expect("checked by the lab")
    }

    /// The table: one row a block, in handle order.
    pub fn rows(&self) -> Vec<Row> {
        self.blocks.keys().map(|h| self.row(*h)).collect()
    }
}

/// The byte a block's data is filled with: its handle's letter (1 'A',
/// 2 'B', ...), so that what a kept pointer would read names the block
/// that lives there now.
pub(super) fn letter(handle: Handle) -> u8 {
    b'A' + ((handle.0 - 1) % 26) as u8
}
