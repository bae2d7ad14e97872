//! A file lock as Windows makes it: `LockFileEx` on the file's first byte,
//! `UnlockFileEx` to let go. Windows frees it when the handle closes,
//! however the process ends; it cannot tell the next holder that the last
//! one died. The wait is [`retry_until`]'s short attempts with
//! `LOCKFILE_FAIL_IMMEDIATELY` (a blocking `LockFileEx` cannot time out).
//!
//! Not std's `File::try_lock`/`unlock`: its `unlock` unlocks twice (for a
//! handle that took both an exclusive and a shared lock) and accepts only
//! `ERROR_NOT_LOCKED` from the second; wine answers `ERROR_LOCK_VIOLATION`,
//! so every release failed under wine.

use std::fs::File;
use std::io;
use std::os::windows::io::AsRawHandle;
use std::path::Path;
use std::time::Duration;

use windows_sys::Win32::Foundation::ERROR_LOCK_VIOLATION;
use windows_sys::Win32::Storage::FileSystem::{
    LOCKFILE_EXCLUSIVE_LOCK, LOCKFILE_FAIL_IMMEDIATELY, LockFileEx, UnlockFileEx,
};
use windows_sys::Win32::System::IO::OVERLAPPED;

use crate::os::timed_lock::{AcquireError, open_private, retry_until};

/// A lock file and this handle's lock on its first byte.
#[derive(Debug)]
pub struct FileLock {
    file: File,
}

impl FileLock {
    /// Opens (creating) the lock file at `path`: a handle of its own, so two
    /// of them exclude each other even inside one process.
    pub fn open(path: &Path) -> io::Result<Self> {
        Ok(Self {
            file: open_private(path)?,
        })
    }

    /// `LockFileEx(LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY)` of
    /// byte 0: true if taken, false if another handle holds it.
    pub fn try_lock(&self) -> io::Result<bool> {
        // SAFETY: zeroed is a valid OVERLAPPED (offset 0, no event).
        let mut overlapped: OVERLAPPED = unsafe { std::mem::zeroed() };
        // SAFETY: a live file handle, and an OVERLAPPED that outlives the
        // call (a synchronous handle: the call completes before returning).
        let ok = unsafe {
            LockFileEx(
                self.file.as_raw_handle(),
                LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY,
                0,
                1,
                0,
                &mut overlapped,
            )
        };
        if ok != 0 {
            return Ok(true);
        }
        let error = io::Error::last_os_error();
        if error.raw_os_error() == Some(ERROR_LOCK_VIOLATION as i32) {
            Ok(false)
        } else {
            Err(error)
        }
    }

    /// Takes the lock, waiting at most `timeout`.
    pub fn lock(&self, timeout: Duration) -> Result<(), AcquireError> {
        retry_until(timeout, || Ok(self.try_lock()?.then_some(())))
    }

    /// `UnlockFileEx` of byte 0.
    pub fn unlock(&self) -> io::Result<()> {
        // SAFETY: as in `try_lock`.
        let mut overlapped: OVERLAPPED = unsafe { std::mem::zeroed() };
        // SAFETY: as in `try_lock`.
        let ok = unsafe { UnlockFileEx(self.file.as_raw_handle(), 0, 1, 0, &mut overlapped) };
        if ok != 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_handles_exclude_each_other_and_a_release_hands_over() {
        let path = std::env::temp_dir().join(format!("memlab-test-lock-{}", std::process::id()));
        let a = FileLock::open(&path).unwrap();
        let b = FileLock::open(&path).unwrap();
        assert!(a.try_lock().unwrap());
        assert!(!b.try_lock().unwrap(), "two handles both took the lock");
        assert!(matches!(
            b.lock(Duration::from_millis(20)),
            Err(AcquireError::TimedOut(_))
        ));
        a.unlock().unwrap();
        b.lock(Duration::from_secs(5)).unwrap();
        b.unlock().unwrap();
        drop((a, b));
        let _ = std::fs::remove_file(&path);
    }
}
