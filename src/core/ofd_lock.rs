//! Byte-range locks that belong to an open file description (Linux
//! `F_OFD_SETLK` / `F_OFD_GETLK`).
//!
//! Unlike classic POSIX record locks they belong to the open file, not the
//! process: two descriptors opened separately exclude each other even in one
//! process, closing some other descriptor of the file releases nothing, and
//! the kernel drops them when the open file goes away, which a process's
//! death (SIGKILL included) always does. Unlike flock they lock single
//! bytes, so one file can carry many independent locks (a gate, one per
//! slot). Locks may lie past the end of the file and do not stop reads or
//! writes: they are purely advisory.
//!
//! rustix offers only whole-file, process-owned fcntl locks, so this module
//! calls `fcntl` through libc.

use std::io;
use std::ops::Range;
use std::os::fd::{AsFd, AsRawFd};
use std::time::Duration;

use super::timed_lock::{AcquireError, retry_until};

/// Takes the write lock on byte `at` without waiting; false if another open
/// file holds it.
pub fn try_lock(file: &impl AsFd, at: u64) -> io::Result<bool> {
    match set(file, at, libc::F_WRLCK as i16) {
        Ok(()) => Ok(true),
        Err(e) if matches!(e.raw_os_error(), Some(libc::EAGAIN | libc::EACCES)) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Takes the write lock on byte `at`, waiting at most `timeout`.
pub fn lock(file: &impl AsFd, at: u64, timeout: Duration) -> Result<(), AcquireError> {
    retry_until(timeout, || Ok(try_lock(file, at)?.then_some(())))
}

/// Releases this open file's lock on byte `at` (nothing if it holds none).
pub fn unlock(file: &impl AsFd, at: u64) -> io::Result<()> {
    set(file, at, libc::F_UNLCK as i16)
}

/// The bytes of `range` locked by other open files (this one's own locks
/// never conflict with it, so they are not listed).
pub fn locked_by_others(file: &impl AsFd, range: Range<u64>) -> io::Result<Vec<u64>> {
    let mut held = Vec::new();
    let mut from = range.start;
    while from < range.end {
        let mut query = flock(libc::F_WRLCK as i16, from, range.end - from);
        // SAFETY: `query` is a valid, initialised `struct flock` that fcntl
        // reads and overwrites; the descriptor is borrowed for the call.
        let rc = unsafe { libc::fcntl(file.as_fd().as_raw_fd(), libc::F_OFD_GETLK, &mut query) };
        if rc == -1 {
            return Err(io::Error::last_os_error());
        }
        if query.l_type == libc::F_UNLCK as i16 {
            break;
        }
        // The conflicting lock may be longer than one byte (adjacent locks of
        // one open file merge); l_len 0 means "to the end of the file".
        let start = (query.l_start as u64).max(from);
        let end = match query.l_len {
            0 => range.end,
            len => (query.l_start as u64 + len as u64).min(range.end),
        };
        held.extend(start..end);
        from = end.max(from + 1);
    }
    Ok(held)
}

fn set(file: &impl AsFd, at: u64, l_type: i16) -> io::Result<()> {
    let request = flock(l_type, at, 1);
    // SAFETY: `request` is a valid `struct flock` that fcntl only reads; the
    // descriptor is borrowed for the call.
    let rc = unsafe { libc::fcntl(file.as_fd().as_raw_fd(), libc::F_OFD_SETLK, &request) };
    if rc == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

fn flock(l_type: i16, start: u64, len: u64) -> libc::flock {
    libc::flock {
        l_type,
        l_whence: libc::SEEK_SET as i16,
        l_start: start as libc::off_t,
        l_len: len as libc::off_t,
        // Must be 0 for OFD locks.
        l_pid: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs::File;

    fn two_opens(tag: &str) -> (std::path::PathBuf, File, File) {
        let path = std::env::temp_dir().join(format!("memlab-ofd-{tag}-{}", std::process::id()));
        let a = File::create(&path).unwrap();
        let b = File::options().write(true).open(&path).unwrap();
        (path, a, b)
    }

    #[test]
    fn separate_opens_exclude_each_other_byte_by_byte() {
        let (path, a, b) = two_opens("bytes");
        assert!(try_lock(&a, 0).unwrap());
        assert!(
            try_lock(&a, 0).unwrap(),
            "re-locking one's own byte is fine"
        );
        assert!(!try_lock(&b, 0).unwrap());
        assert!(try_lock(&b, 1).unwrap(), "another byte is independent");
        assert!(try_lock(&a, 70).unwrap());
        assert_eq!(locked_by_others(&b, 0..100).unwrap(), vec![0, 70]);
        assert_eq!(locked_by_others(&a, 0..100).unwrap(), vec![1]);
        unlock(&a, 0).unwrap();
        assert!(try_lock(&b, 0).unwrap());
        // Adjacent locks of one open file merge; each byte is still listed.
        assert!(try_lock(&b, 71).unwrap() && try_lock(&b, 72).unwrap());
        assert_eq!(locked_by_others(&a, 60..100).unwrap(), vec![71, 72]);
        drop(b);
        assert_eq!(locked_by_others(&a, 0..100).unwrap(), Vec::<u64>::new());
        std::fs::remove_file(path).unwrap();
    }

    #[test]
    fn a_timed_lock_waits_then_times_out_or_gets_it() {
        let (path, a, b) = two_opens("timed");
        assert!(try_lock(&a, 5).unwrap());
        let err = lock(&b, 5, Duration::from_millis(30)).unwrap_err();
        assert!(matches!(err, AcquireError::TimedOut(w) if w >= Duration::from_millis(30)));
        std::thread::scope(|s| {
            s.spawn(|| {
                std::thread::sleep(Duration::from_millis(50));
                unlock(&a, 5).unwrap();
            });
            lock(&b, 5, Duration::from_secs(5)).unwrap();
        });
        std::fs::remove_file(path).unwrap();
    }
}
