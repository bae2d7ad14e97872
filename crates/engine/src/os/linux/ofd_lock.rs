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

use crate::os::timed_lock::{AcquireError, retry_until};

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
/// never conflict with it, so they are not listed), in order.
///
/// `F_OFD_GETLK` answers with *a* conflicting lock, not the lowest: the
/// kernel keeps an inode's locks grouped by owner, in the order the owners
/// first locked, and returns the first one that conflicts. A slot taken
/// again after a crash (its owner new, so last in that order) may lie below
/// a lock the query returns. So each answer splits the range in two and
/// both sides are asked again, until every part of the range is free: one
/// query per lock found plus one per free part (about twice the locks).
pub fn locked_by_others(file: &impl AsFd, range: Range<u64>) -> io::Result<Vec<u64>> {
    let mut held = Vec::new();
    let mut to_ask = vec![range];
    while let Some(part) = to_ask.pop() {
        if part.is_empty() {
            continue;
        }
        let Some(lock) = first_conflict(file, part.clone())? else {
            continue;
        };
        // The conflicting lock may be longer than one byte (adjacent locks of
        // one open file merge), or reach past the part asked.
        let start = lock.start.max(part.start);
        let end = lock.end.min(part.end).max(start + 1);
        held.extend(start..end);
        to_ask.push(part.start..start);
        to_ask.push(end..part.end);
    }
    held.sort_unstable();
    held.dedup();
    Ok(held)
}

/// A lock of another open file that conflicts with a write lock on `part`
/// (the kernel's choice among them), as the bytes it covers.
fn first_conflict(file: &impl AsFd, part: Range<u64>) -> io::Result<Option<Range<u64>>> {
    let mut query = flock(libc::F_WRLCK as i16, part.start, part.end - part.start);
    // SAFETY: `query` is a valid, initialised `struct flock` that fcntl
    // reads and overwrites; the descriptor is borrowed for the call.
    let rc = unsafe { libc::fcntl(file.as_fd().as_raw_fd(), libc::F_OFD_GETLK, &mut query) };
    if rc == -1 {
        return Err(io::Error::last_os_error());
    }
    if query.l_type == libc::F_UNLCK as i16 {
        return Ok(None);
    }
    let start = query.l_start.max(0) as u64;
    // l_len 0 means "to the end of the file" (and beyond).
    let end = match query.l_len {
        0 => u64::MAX,
        len => start.saturating_add(len.max(1) as u64),
    };
    Ok(Some(start..end))
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

    /// Locks taken out of order (a high byte first, by one open file, then a
    /// lower one by a newer open file, as a window restarted after a crash
    /// retakes a low slot): every one is listed, whatever order the kernel
    /// keeps them in.
    #[test]
    fn locks_taken_out_of_order_are_all_listed() {
        let (path, reader, _) = two_opens("order");
        let opens: Vec<File> = (0..6)
            .map(|_| File::options().write(true).open(&path).unwrap())
            .collect();
        // Open file i locks byte order[i]: taken 70, 68, 66, 64, then 65 and
        // 69 by the two newest, after the higher ones.
        let order = [70, 68, 66, 64, 65, 69];
        for (file, &at) in opens.iter().zip(&order) {
            assert!(try_lock(file, at).unwrap());
        }
        assert_eq!(
            locked_by_others(&reader, 64..128).unwrap(),
            vec![64, 65, 66, 68, 69, 70]
        );
        // One in the middle freed and taken again by a new open file.
        unlock(&opens[2], 66).unwrap();
        let again = File::options().write(true).open(&path).unwrap();
        assert!(try_lock(&again, 66).unwrap());
        assert_eq!(
            locked_by_others(&reader, 64..128).unwrap(),
            vec![64, 65, 66, 68, 69, 70]
        );
        assert_eq!(locked_by_others(&reader, 66..69).unwrap(), vec![66, 68]);
        // A lock to the end of the file (l_len 0) covers the rest of the range.
        let whole = File::options().write(true).open(&path).unwrap();
        let to_end = flock(libc::F_WRLCK as i16, 100, 0);
        // SAFETY: a valid `struct flock` that fcntl only reads.
        let rc = unsafe { libc::fcntl(whole.as_raw_fd(), libc::F_OFD_SETLK, &to_end) };
        assert_eq!(rc, 0, "{}", io::Error::last_os_error());
        assert_eq!(
            locked_by_others(&reader, 96..104).unwrap(),
            vec![100, 101, 102, 103]
        );
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
            // Far longer than any scheduling delay: only a missed release fails.
            lock(&b, 5, Duration::from_secs(60)).unwrap();
        });
        std::fs::remove_file(path).unwrap();
    }
}
