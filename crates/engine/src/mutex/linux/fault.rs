//! The lock block's mapping, kept from killing memlab when its object is
//! truncated underneath.
//!
//! Everything memlab reads or writes in the block goes through the file
//! (`pread`/`pwrite`), which cannot fault. The pthread mutexes cannot: their
//! lock and unlock are the CPU's atomic instructions on the mapped bytes.
//! Each operation checks the object's size on its descriptor first, but
//! another process may truncate it between that check and the instruction,
//! and a page past the end of a shared mapping raises SIGBUS.
//!
//! So a SIGBUS whose address lies in a registered block replaces that
//! block's pages with private zeroed ones (`mmap` `MAP_FIXED`, a system
//! call, safe in a handler) and flags it: the instruction is retried on the
//! private copy, the operation ends, and the caller sees the flag and
//! reports the block as truncated. Any other SIGBUS goes on to the handler
//! that was there before (Rust's own, which lets it kill the process as
//! before). A replaced mapping is never unmapped: a robust mutex on it may
//! still be on its thread's robust list, which the kernel walks when the
//! thread ends.

use std::fs::File;
use std::io;
use std::sync::Once;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use memmap2::{MmapOptions, MmapRaw};

/// How many blocks may be mapped at once in one process.
const RANGES: usize = 64;

struct Range {
    start: AtomicUsize,
    len: AtomicUsize,
    replaced: AtomicBool,
}

impl Range {
    const fn new() -> Self {
        Self {
            start: AtomicUsize::new(0),
            len: AtomicUsize::new(0),
            replaced: AtomicBool::new(false),
        }
    }
}

static GUARDED: [Range; RANGES] = [const { Range::new() }; RANGES];
/// The SIGBUS action before ours.
static PREVIOUS: OnceLock<libc::sigaction> = OnceLock::new();
static INSTALL: Once = Once::new();

/// A shared mapping of a block whose pages, if its object is truncated
/// under an access, become private zeros instead of a SIGBUS.
pub(super) struct GuardedMap {
    /// Taken (and leaked) on drop if its pages were replaced.
    map: Option<MmapRaw>,
    start: usize,
    len: usize,
    slot: usize,
}

impl std::fmt::Debug for GuardedMap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuardedMap")
            .field("start", &format_args!("{:#x}", self.start))
            .field("len", &self.len)
            .field("replaced", &self.replaced())
            .finish()
    }
}

impl GuardedMap {
    /// Maps `len` bytes of `file`, shared, read-write (pages past the end of
    /// the object raise no signal when touched: see the module's notes).
    pub(super) fn map(file: &File, len: usize) -> io::Result<Self> {
        install();
        let map = MmapOptions::new().len(len).map_raw(file)?;
        let start = map.as_mut_ptr() as usize;
        let slot = GUARDED
            .iter()
            .position(|r| {
                r.start
                    .compare_exchange(0, start, Ordering::AcqRel, Ordering::Acquire)
                    .is_ok()
            })
            .ok_or_else(|| io::Error::other("too many lock blocks mapped at once"))?;
        GUARDED[slot].replaced.store(false, Ordering::Release);
        GUARDED[slot].len.store(len, Ordering::Release);
        Ok(Self {
            map: Some(map),
            start,
            len,
            slot,
        })
    }

    pub(super) fn as_mut_ptr(&self) -> *mut u8 {
        self.start as *mut u8
    }

    /// True once a SIGBUS (or [`replace_with`](Self::replace_with)) swapped
    /// the object's pages for private ones: this mapping no longer shares
    /// anything.
    pub(super) fn replaced(&self) -> bool {
        GUARDED[self.slot].replaced.load(Ordering::Acquire)
    }

    /// Swaps the object's pages for a private copy holding `image` (this
    /// process's last view of them), e.g. to unlock a mutex that was
    /// truncated or overwritten under its holder without touching the
    /// object again.
    pub(super) fn replace_with(&self, image: &[u8]) -> io::Result<()> {
        assert!(image.len() <= self.len, "image larger than the mapping");
        // SAFETY: the range is this mapping's own, which only the lock's
        // thread uses; MAP_FIXED replaces exactly those pages.
        let p = unsafe { private_pages(self.start, self.len) };
        if !p {
            return Err(io::Error::last_os_error());
        }
        GUARDED[self.slot].replaced.store(true, Ordering::Release);
        // SAFETY: the pages were just made private and writable; nothing
        // else refers to them as Rust memory.
        unsafe {
            std::ptr::copy_nonoverlapping(image.as_ptr(), self.start as *mut u8, image.len())
        };
        Ok(())
    }
}

impl Drop for GuardedMap {
    fn drop(&mut self) {
        let replaced = self.replaced();
        GUARDED[self.slot].len.store(0, Ordering::Release);
        GUARDED[self.slot].start.store(0, Ordering::Release);
        // Replaced pages are private and can no longer fault; they are kept
        // for good (see the module's notes). Otherwise the MmapRaw unmaps.
        if replaced && let Some(map) = self.map.take() {
            std::mem::forget(map);
        }
    }
}

/// Replaces `len` bytes at `start` with private zeroed pages; false if the
/// kernel refused.
///
/// # Safety
/// `start .. start + len` must be a mapping of this process that nothing
/// else relies on keeping.
unsafe fn private_pages(start: usize, len: usize) -> bool {
    // SAFETY: as the caller promises; mmap is a plain system call, fit for
    // a signal handler.
    unsafe {
        rustix::mm::mmap_anonymous(
            start as *mut std::ffi::c_void,
            len,
            rustix::mm::ProtFlags::READ | rustix::mm::ProtFlags::WRITE,
            rustix::mm::MapFlags::PRIVATE | rustix::mm::MapFlags::FIXED,
        )
    }
    .is_ok()
}

fn install() {
    INSTALL.call_once(|| {
        // SAFETY: a zeroed sigaction is a valid "no action" to fill; the
        // handler is async-signal-safe (atomics and mmap only).
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_sigbus as *const () as usize;
            action.sa_flags = libc::SA_SIGINFO | libc::SA_NODEFER;
            libc::sigemptyset(&mut action.sa_mask);
            let mut previous: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(libc::SIGBUS, &action, &mut previous) == 0 {
                let _ = PREVIOUS.set(previous);
            }
        }
    });
}

extern "C" fn on_sigbus(
    signal: libc::c_int,
    info: *mut libc::siginfo_t,
    context: *mut libc::c_void,
) {
    // SAFETY: the kernel passes a valid siginfo_t to an SA_SIGINFO handler.
    let addr = unsafe { (*info).si_addr() } as usize;
    for range in &GUARDED {
        let len = range.len.load(Ordering::Acquire);
        let start = range.start.load(Ordering::Acquire);
        if len != 0 && (start..start + len).contains(&addr) {
            // SAFETY: a block mapping of ours (registered), whose object was
            // truncated: its pages are replaced, never used as shared again.
            if unsafe { private_pages(start, len) } {
                range.replaced.store(true, Ordering::Release);
                return;
            }
        }
    }
    // Not ours: as if this handler were not there.
    // SAFETY: calls the previous handler the way the kernel would have, or
    // restores the default action so that the retried access ends the
    // process as it would have without memlab.
    unsafe {
        match PREVIOUS.get() {
            Some(old) if old.sa_sigaction > libc::SIG_IGN => {
                if old.sa_flags & libc::SA_SIGINFO != 0 {
                    let handler: extern "C" fn(
                        libc::c_int,
                        *mut libc::siginfo_t,
                        *mut libc::c_void,
                    ) = std::mem::transmute(old.sa_sigaction);
                    handler(signal, info, context);
                } else {
                    let handler: extern "C" fn(libc::c_int) = std::mem::transmute(old.sa_sigaction);
                    handler(signal);
                }
            }
            _ => {
                let mut default: libc::sigaction = std::mem::zeroed();
                default.sa_sigaction = libc::SIG_DFL;
                libc::sigaction(libc::SIGBUS, &default, std::ptr::null_mut());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_truncated_block_is_replaced_not_a_sigbus() {
        let scratch = crate::os::scratch::ScratchFile::new("fault");
        let file = &scratch.file;
        file.set_len(4096).unwrap();
        let map = GuardedMap::map(file, 4096).unwrap();
        let cell = map.as_mut_ptr().cast::<std::sync::atomic::AtomicU32>();
        // SAFETY: 4 aligned bytes inside the mapping, reached only atomically.
        let cell = unsafe { &*cell };
        cell.store(7, Ordering::SeqCst);
        assert!(!map.replaced());
        file.set_len(0).unwrap();
        // A plain atomic access past the end: private zeros, flagged.
        assert_eq!(cell.load(Ordering::SeqCst), 0);
        assert!(map.replaced());
        cell.store(9, Ordering::SeqCst);
        file.set_len(4096).unwrap();
        let mut back = [0u8; 4];
        use std::os::unix::fs::FileExt;
        file.read_exact_at(&mut back, 0).unwrap();
        assert_eq!(back, [0; 4], "the object no longer sees this mapping");
    }

    #[test]
    fn a_copy_replaces_the_pages_on_request() {
        let scratch = crate::os::scratch::ScratchFile::new("fault-copy");
        scratch.file.set_len(4096).unwrap();
        let map = GuardedMap::map(&scratch.file, 4096).unwrap();
        map.replace_with(b"abc").unwrap();
        assert!(map.replaced());
        let mut seen = [0u8; 3];
        crate::os::probe::read(map.as_mut_ptr(), &mut seen).unwrap();
        assert_eq!(&seen, b"abc");
    }
}
