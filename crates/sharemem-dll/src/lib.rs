//! memlab's ShareMem library (the chapter's §6): a shared library that the
//! ShareMem lab loads at run time, with a memory manager of its own, as a
//! Delphi DLL without `ShareMem` has one.
//!
//! Its strings come from its current manager: its own (talc over an arena
//! in this library's image, [`ARENA_BYTES`]) until the program hands it its
//! manager with [`sm_set_memory_manager`] (what `ShareMem` and
//! `borlndmm.dll` do), then the program's. A block of its own manager has a
//! header holding its size, so that freeing takes the pointer alone, as
//! Delphi's `FreeMem` does. It counts its blocks per manager
//! ([`sm_counters`]).
//!
//! The program's strings come the other way too ([`sm_take_string`]): the
//! library frees them with its current manager. Its own manager frees only
//! blocks inside its arena and refuses any other pointer untouched
//! ([`SM_NOT_MINE`]), as memlab's dispatcher does on the program's side.
//!
//! The C ABI is the lab's contract (`memlab_engine::sharemem` declares the
//! same items): change both together and bump [`SM_ABI_VERSION`].

use std::alloc::{GlobalAlloc, Layout};
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering::SeqCst};

use talc::TalcLock;
use talc::source::Claim;

/// The version of this ABI; the lab refuses a library of another.
pub const SM_ABI_VERSION: u32 = 2;

/// [`sm_take_string`]'s answer for a pointer its own manager never gave
/// out (refused, nothing touched).
pub const SM_NOT_MINE: i32 = 3;

/// The size of the library's own arena (in its .bss: no page of it is
/// touched until a block is placed there).
pub const ARENA_BYTES: usize = 1 << 20;

/// Each block of the library's own manager starts with this header, which
/// holds the block's size (Delphi's manager keeps one too).
const HEADER: usize = 16;

/// The arena's memory, aligned for any block.
#[repr(C, align(4096))]
struct Arena([u8; ARENA_BYTES]);

static mut ARENA: Arena = Arena([0; ARENA_BYTES]);

/// The library's own manager: talc over [`ARENA`], claimed on first use.
static OWN: TalcLock<spinning_top::RawSpinlock, Claim> =
    // SAFETY: ARENA is used by nothing but this allocator, for the whole
    // life of the library.
    TalcLock::new(unsafe { Claim::array(&raw mut ARENA.0) });

/// The program's GetMem: a block of `size` bytes, or null.
pub type GetMem = unsafe extern "C" fn(size: usize) -> *mut u8;
/// The program's FreeMem: 0 when freed, else an error code of the program's.
pub type FreeMem = unsafe extern "C" fn(p: *mut u8) -> i32;
/// The program's AllocMemCount: its manager's live blocks (borlndmm.dll
/// exports GetAllocMemCount for this).
pub type AllocMemCount = unsafe extern "C" fn() -> u64;

/// The program's manager, once handed over (all null until then).
static SHARED_GET: AtomicPtr<()> = AtomicPtr::new(std::ptr::null_mut());
static SHARED_FREE: AtomicPtr<()> = AtomicPtr::new(std::ptr::null_mut());
static SHARED_COUNT: AtomicPtr<()> = AtomicPtr::new(std::ptr::null_mut());

static OWN_ALLOCS: AtomicU64 = AtomicU64::new(0);
static OWN_FREES: AtomicU64 = AtomicU64::new(0);
static OWN_LIVE_BYTES: AtomicU64 = AtomicU64::new(0);
static SHARED_ALLOCS: AtomicU64 = AtomicU64::new(0);
static SHARED_FREES: AtomicU64 = AtomicU64::new(0);

/// What the library counted (Delphi's AllocMemCount, per manager).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct SmCounters {
    /// Blocks its own manager gave out.
    pub own_allocs: u64,
    /// Blocks its own manager took back.
    pub own_frees: u64,
    /// Bytes (headers included) of its own manager's live blocks.
    pub own_live_bytes: u64,
    /// Blocks it got from the program's manager.
    pub shared_allocs: u64,
    /// Blocks it gave back to the program's manager.
    pub shared_frees: u64,
    /// 1 while the program's manager is its manager.
    pub shared_manager: u32,
}

/// The program's manager, if it was handed over.
fn shared() -> Option<(GetMem, FreeMem, AllocMemCount)> {
    let get = SHARED_GET.load(SeqCst);
    let free = SHARED_FREE.load(SeqCst);
    let count = SHARED_COUNT.load(SeqCst);
    if get.is_null() || free.is_null() || count.is_null() {
        return None;
    }
    // SAFETY: all three were stored from functions of these types
    // (sm_set_memory_manager), and function pointers are pointer-sized.
    unsafe {
        Some((
            std::mem::transmute::<*mut (), GetMem>(get),
            std::mem::transmute::<*mut (), FreeMem>(free),
            std::mem::transmute::<*mut (), AllocMemCount>(count),
        ))
    }
}

fn own_layout(size: usize) -> Option<Layout> {
    Layout::from_size_align(size.checked_add(HEADER)?, HEADER).ok()
}

/// A block of `size` bytes from the current manager, or null.
fn get_mem(size: usize) -> *mut u8 {
    if let Some((get, _, _)) = shared() {
        // SAFETY: the program's GetMem, as its contract says.
        let p = unsafe { get(size) };
        if !p.is_null() {
            SHARED_ALLOCS.fetch_add(1, SeqCst);
        }
        return p;
    }
    let Some(layout) = own_layout(size) else {
        return std::ptr::null_mut();
    };
    // SAFETY: the layout is non-zero (HEADER > 0).
    let base = unsafe { OWN.alloc(layout) };
    if base.is_null() {
        return base;
    }
    // SAFETY: `base` is a fresh block of HEADER + size bytes, 16-aligned.
    unsafe { base.cast::<usize>().write(size) };
    OWN_ALLOCS.fetch_add(1, SeqCst);
    OWN_LIVE_BYTES.fetch_add(layout.size() as u64, SeqCst);
    // SAFETY: HEADER < the block's size.
    unsafe { base.add(HEADER) }
}

/// Frees `p` with the current manager, as Delphi's FreeMem: 0 if freed.
///
/// # Safety
/// `p` is a block of the current manager.
unsafe fn free_mem(p: *mut u8) -> i32 {
    if let Some((_, free, _)) = shared() {
        // SAFETY: the caller's contract: the program's block.
        let code = unsafe { free(p) };
        if code == 0 {
            SHARED_FREES.fetch_add(1, SeqCst);
        }
        return code;
    }
    // SAFETY: the caller's contract: a block of the own manager, which has
    // its header HEADER bytes before it.
    let base = unsafe { p.sub(HEADER) };
    // SAFETY: as above.
    let size = unsafe { base.cast::<usize>().read() };
    let Some(layout) = own_layout(size) else {
        return 1;
    };
    // SAFETY: `base` came from OWN.alloc with this layout.
    unsafe { OWN.dealloc(base, layout) };
    OWN_FREES.fetch_add(1, SeqCst);
    OWN_LIVE_BYTES.fetch_sub(layout.size() as u64, SeqCst);
    0
}

/// Is `p` a block its own manager could have given out: inside the arena,
/// past the first header?
fn is_own(p: *const u8) -> bool {
    let start = (&raw const ARENA) as usize;
    let at = p as usize;
    at >= start + HEADER && at < start + ARENA_BYTES
}

/// This library's ABI version ([`SM_ABI_VERSION`]).
#[unsafe(no_mangle)]
pub extern "C" fn sm_abi_version() -> u32 {
    SM_ABI_VERSION
}

/// A NUL-terminated copy of the `len` bytes at `text`, from the current
/// manager, or null if it has no room.
///
/// # Safety
/// `text` points to `len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sm_make_string(text: *const u8, len: usize) -> *mut u8 {
    let Some(size) = len.checked_add(1) else {
        return std::ptr::null_mut();
    };
    let p = get_mem(size);
    if !p.is_null() {
        // SAFETY: `text` has `len` bytes (caller); `p` has `len + 1`.
        unsafe {
            std::ptr::copy_nonoverlapping(text, p, len);
            p.add(len).write(0);
        }
    }
    p
}

/// Frees a string of [`sm_make_string`] with the current manager: 0 if freed.
///
/// # Safety
/// `p` came from `sm_make_string` under the current manager and is not freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sm_free_string(p: *mut u8) -> i32 {
    if p.is_null() {
        return 0;
    }
    // SAFETY: the caller's contract.
    unsafe { free_mem(p) }
}

/// Frees a string the *program* made and handed over, with the library's
/// current manager, as a DLL that frees what its program gave it: 0 when
/// freed. With the program's manager (ShareMem) that is the right one.
/// With its own, a block outside its arena is refused ([`SM_NOT_MINE`])
/// and left untouched: freeing it for real would corrupt memory.
///
/// # Safety
/// If `p` lies in the library's arena, it is a live block of its own
/// manager; with the program's manager, `p` is what that manager's FreeMem
/// accepts.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sm_take_string(p: *mut u8) -> i32 {
    if p.is_null() {
        return 0;
    }
    if shared().is_none() && !is_own(p) {
        return SM_NOT_MINE;
    }
    // SAFETY: the caller's contract, and the check above.
    unsafe { free_mem(p) }
}

/// Makes the program's manager this library's (`get`, `free` and `count`
/// all given), or its own again (all three null): what ShareMem's
/// `SetMemoryManager` does. Refused (1) while the manager being left has
/// live blocks of the library's, which would then go to the wrong manager;
/// 2 if only some of the three are given; 0 when done.
#[unsafe(no_mangle)]
pub extern "C" fn sm_set_memory_manager(
    get: Option<GetMem>,
    free: Option<FreeMem>,
    count: Option<AllocMemCount>,
) -> i32 {
    let own_live = OWN_ALLOCS.load(SeqCst) - OWN_FREES.load(SeqCst);
    let (get, free, count) = match (get, free, count) {
        (Some(get), Some(free), Some(count)) => {
            if own_live > 0 {
                return 1;
            }
            (get as *mut (), free as *mut (), count as *mut ())
        }
        (None, None, None) => {
            // The program's blocks may have been freed by the program
            // itself: its own count says whether any is left.
            // SAFETY: the program's AllocMemCount, as its contract says.
            if shared().is_some_and(|(_, _, count)| unsafe { count() } > 0) {
                return 1;
            }
            let null = std::ptr::null_mut();
            (null, null, null)
        }
        _ => return 2,
    };
    SHARED_GET.store(get, SeqCst);
    SHARED_FREE.store(free, SeqCst);
    SHARED_COUNT.store(count, SeqCst);
    0
}

/// The live blocks of the library's current manager (Delphi's
/// AllocMemCount): its own arena's, or, once it shares the program's
/// manager, that manager's, as the program counts them.
#[unsafe(no_mangle)]
pub extern "C" fn sm_alloc_mem_count() -> u64 {
    match shared() {
        // SAFETY: the program's AllocMemCount, as its contract says.
        Some((_, _, count)) => unsafe { count() },
        None => OWN_ALLOCS.load(SeqCst) - OWN_FREES.load(SeqCst),
    }
}

/// Writes the library's counters to `out`.
///
/// # Safety
/// `out` points to a writable [`SmCounters`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sm_counters(out: *mut SmCounters) {
    let counters = SmCounters {
        own_allocs: OWN_ALLOCS.load(SeqCst),
        own_frees: OWN_FREES.load(SeqCst),
        own_live_bytes: OWN_LIVE_BYTES.load(SeqCst),
        shared_allocs: SHARED_ALLOCS.load(SeqCst),
        shared_frees: SHARED_FREES.load(SeqCst),
        shared_manager: u32::from(shared().is_some()),
    };
    // SAFETY: the caller's contract.
    unsafe { out.write(counters) };
}

/// Writes the first address and the length of the library's own arena.
///
/// # Safety
/// `start` and `len` point to writable `usize`s.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sm_arena_range(start: *mut usize, len: *mut usize) {
    // SAFETY: the caller's contract; only the address of ARENA is taken.
    unsafe {
        start.write((&raw const ARENA) as usize);
        len.write(ARENA_BYTES);
    }
}
