//! The building blocks on Windows, made of the very objects the book uses:
//! named file mappings backed by the paging file (`shm_object`), named
//! mutexes whose holder's death is reported as `WAIT_ABANDONED`
//! (`named_mutex`), the roster of attached instances as one named mutex per
//! slot (`slots`), whether a process runs (`process`) and the CPU time used
//! (`clock`). Names live in the session's `Local\` namespace unless a
//! `Global\` one is asked for.

pub mod clock;
pub mod commit;
pub mod doorbell;
pub mod file_lock;
pub mod named_event;
pub mod named_mutex;
pub mod process;
pub mod shm_object;
pub mod slots;
pub mod wine_paint;

use std::io;

use windows_sys::Win32::Foundation::{CloseHandle, HANDLE};

/// `name` as Windows wants it: UTF-16, NUL-terminated.
pub(crate) fn wide(name: &str) -> Vec<u16> {
    name.encode_utf16().chain(std::iter::once(0)).collect()
}

/// A kernel handle this process owns, closed when dropped.
#[derive(Debug)]
pub(crate) struct OwnedHandle(HANDLE);

// SAFETY: a kernel handle is a process-wide index into the handle table;
// any thread may use or close it (ownership of a mutex is per thread, but
// that is the mutex's state, not the handle's).
unsafe impl Send for OwnedHandle {}
// SAFETY: as above; the handle value itself is never changed.
unsafe impl Sync for OwnedHandle {}

impl OwnedHandle {
    /// Takes a handle a Win32 call returned; a null one is that call's
    /// failure, reported with `GetLastError`.
    pub(crate) fn new(handle: HANDLE) -> io::Result<Self> {
        if handle.is_null() {
            Err(io::Error::last_os_error())
        } else {
            Ok(Self(handle))
        }
    }

    pub(crate) fn raw(&self) -> HANDLE {
        self.0
    }
}

impl Drop for OwnedHandle {
    fn drop(&mut self) {
        // SAFETY: the handle is ours and closed once, here.
        unsafe { CloseHandle(self.0) };
    }
}
