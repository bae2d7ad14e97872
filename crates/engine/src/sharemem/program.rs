//! The program's memory manager as the lab hands it to the library
//! (ShareMem's GetMem, FreeMem and AllocMemCount): blocks of memlab's
//! private heap (talc in a range memlab reserved, the dispatcher's `heap`
//! manager), each with a header holding its size, as Delphi's manager
//! keeps one, so that FreeMem takes the pointer alone. FreeMem asks the
//! dispatcher whether a pointer is in that range before it frees anything,
//! so a foreign block is refused, never freed.

use std::alloc::Layout;
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};

use crate::alloc::dispatcher;

/// The size header before each block.
const HEADER: usize = 16;

/// FreeMem's answer for a pointer that is not a block of this manager.
pub const NOT_MINE: i32 = 1;

static ALLOCS: AtomicU64 = AtomicU64::new(0);
static FREES: AtomicU64 = AtomicU64::new(0);

fn layout(size: usize) -> Option<Layout> {
    Layout::from_size_align(size.checked_add(HEADER)?, HEADER).ok()
}

/// GetMem: `size` bytes from memlab's private heap, or null.
pub extern "C" fn get_mem(size: usize) -> *mut u8 {
    let Some(layout) = layout(size) else {
        return std::ptr::null_mut();
    };
    // SAFETY: a non-zero layout (HEADER > 0).
    let base = unsafe { dispatcher().heap().alloc(layout) };
    if base.is_null() {
        return base;
    }
    // SAFETY: a fresh block of HEADER + size bytes, 16-aligned.
    unsafe { base.cast::<usize>().write(size) };
    ALLOCS.fetch_add(1, SeqCst);
    // SAFETY: HEADER < the block's size.
    unsafe { base.add(HEADER) }
}

/// A NUL-terminated copy of `text` from this manager, or None if it has
/// no room.
pub fn make_string(text: &str) -> Option<*mut u8> {
    let p = get_mem(text.len().checked_add(1)?);
    if p.is_null() {
        return None;
    }
    // SAFETY: `p` has text.len() + 1 bytes; `text` has text.len().
    unsafe {
        std::ptr::copy_nonoverlapping(text.as_ptr(), p, text.len());
        p.add(text.len()).write(0);
    }
    Some(p)
}

/// Is `p` a block this manager could have given out? (The dispatcher's
/// test: is it inside the private heap's range, past the first header?)
pub fn is_mine(p: *const u8) -> bool {
    let heap = dispatcher().heap();
    heap.owns(p) && heap.owns(p.wrapping_sub(HEADER))
}

/// FreeMem: frees a block of [`get_mem`] (0), or refuses a pointer that is
/// not one of this manager's ([`NOT_MINE`]) without touching it.
///
/// # Safety
/// A pointer for which [`is_mine`] holds is a live block of [`get_mem`].
pub unsafe extern "C" fn free_mem(p: *mut u8) -> i32 {
    if !is_mine(p) {
        return NOT_MINE;
    }
    // SAFETY: a block of get_mem (caller), with its header before it.
    let base = unsafe { p.sub(HEADER) };
    // SAFETY: as above.
    let size = unsafe { base.cast::<usize>().read() };
    let Some(layout) = layout(size) else {
        return NOT_MINE;
    };
    // SAFETY: `base` came from the private heap with this layout.
    unsafe { dispatcher().heap().dealloc(base, layout) };
    FREES.fetch_add(1, SeqCst);
    0
}

/// AllocMemCount: the live blocks of this manager.
pub extern "C" fn alloc_mem_count() -> u64 {
    ALLOCS.load(SeqCst) - FREES.load(SeqCst)
}

/// The live blocks of this manager (a safe [`alloc_mem_count`]).
pub fn live_blocks() -> u64 {
    ALLOCS.load(SeqCst) - FREES.load(SeqCst)
}

/// Has memlab's private heap reserve its range (it does so on first use).
pub fn reserve() {
    let p = get_mem(1);
    if !p.is_null() {
        // SAFETY: a block of get_mem, freed once.
        unsafe { free_mem(p) };
    }
}
