//! Inter-process locks with a timeout, on the kernel's file locks.
//!
//! Why not raw_sync's shared mutex: in 0.1.5 `try_lock(Timeout::Val(..))`
//! adds the sub-second part to `tv_nsec` without carrying into `tv_sec`, so a
//! contended wait of e.g. 999 ms fails at once with EINVAL, and the mutex is
//! not robust: a holder killed with SIGKILL leaves it locked forever (on
//! Windows `WAIT_ABANDONED` panics). A file lock (`File::lock`, flock on
//! Unix, LockFileEx on Windows) is released by the kernel when its holder
//! dies, whatever the death. `tests/it/crate_defects/mutex_crate.rs` shows both defects.
//!
//! The kernel's locks have no timed wait that can be interrupted portably,
//! so every timed wait here is [`retry_until`]: short non-blocking attempts
//! with an exponential back-off capped at 1 ms.

use std::fs::{File, OpenOptions, TryLockError};
use std::io;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::error::{ErrorKind, HasKind};

/// Longest sleep between two attempts: bounds the latency of a hand-over.
const MAX_BACKOFF: Duration = Duration::from_millis(1);

/// A lock file; each `FileLock` is its own open file description, so two of
/// them exclude each other even inside one process.
#[derive(Debug)]
pub struct FileLock {
    file: File,
}

/// Why an acquisition failed.
#[derive(Debug, thiserror::Error)]
pub enum AcquireError {
    #[error("timed out after {} ms", .0.as_millis())]
    TimedOut(Duration),
    #[error(transparent)]
    Io(#[from] io::Error),
}

impl HasKind for AcquireError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::TimedOut(_) => ErrorKind::Timeout,
            Self::Io(_) => ErrorKind::Os,
        }
    }
}

/// Held until dropped.
#[derive(Debug)]
pub struct LockGuard<'a> {
    file: &'a File,
}

impl FileLock {
    /// Opens (creating, owner-only) the lock file at `path`.
    pub fn open(path: &Path) -> io::Result<Self> {
        Ok(Self {
            file: open_private(path)?,
        })
    }

    /// Locks an already open file (its own open file description).
    pub fn from_file(file: File) -> Self {
        Self { file }
    }

    /// The locked file (to find its holder in /proc/locks).
    pub fn file(&self) -> &File {
        &self.file
    }

    /// Takes the lock without waiting; `Ok(None)` when someone else holds it.
    pub fn try_acquire(&self) -> io::Result<Option<LockGuard<'_>>> {
        match self.file.try_lock() {
            Ok(()) => Ok(Some(LockGuard { file: &self.file })),
            Err(TryLockError::WouldBlock) => Ok(None),
            Err(TryLockError::Error(e)) => Err(e),
        }
    }

    /// Takes the lock, waiting at most `timeout`; a hand-over is seen within ~1 ms.
    pub fn acquire(&self, timeout: Duration) -> Result<LockGuard<'_>, AcquireError> {
        retry_until(timeout, || self.try_acquire())
    }
}

impl Drop for LockGuard<'_> {
    fn drop(&mut self) {
        // An unlock error leaves nothing to do: closing the file releases it anyway.
        let _ = self.file.unlock();
    }
}

/// Calls `attempt` until it gives `Some`, for at most `timeout`, sleeping
/// 20 µs, 40 µs, ... up to 1 ms between attempts: the wait costs no CPU to
/// speak of and a release is noticed within about a millisecond.
pub fn retry_until<T>(
    timeout: Duration,
    mut attempt: impl FnMut() -> io::Result<Option<T>>,
) -> Result<T, AcquireError> {
    let start = Instant::now();
    let mut pause = Duration::from_micros(20);
    loop {
        if let Some(done) = attempt()? {
            return Ok(done);
        }
        let waited = start.elapsed();
        if waited >= timeout {
            return Err(AcquireError::TimedOut(waited));
        }
        std::thread::sleep(pause.min(timeout - waited));
        pause = (pause * 2).min(MAX_BACKOFF);
    }
}

/// Opens or creates a file readable and writable by its owner only.
pub fn open_private(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_lock(tag: &str) -> std::path::PathBuf {
        std::env::temp_dir().join(format!("memlab-test-{tag}-{}", std::process::id()))
    }

    #[test]
    fn two_handles_in_one_process_exclude_each_other() {
        let path = temp_lock("excl");
        let a = FileLock::open(&path).unwrap();
        let b = FileLock::open(&path).unwrap();
        let held = a.acquire(Duration::from_millis(100)).unwrap();
        // How far past its timeout a wait returns is a latency figure (the
        // shared_text bench measures hand-overs); here: it times out, and
        // not before its time.
        match b.acquire(Duration::from_millis(50)) {
            Err(AcquireError::TimedOut(waited)) => {
                assert!(waited >= Duration::from_millis(50), "waited {waited:?}");
            }
            other => panic!("expected a timeout, got {other:?}"),
        }
        drop(held);
        assert!(b.acquire(Duration::from_millis(50)).is_ok());
        std::fs::remove_file(path).unwrap();
    }

    #[test]
    fn waiter_gets_the_lock_soon_after_release() {
        let path = temp_lock("handover");
        let a = FileLock::open(&path).unwrap();
        let b = FileLock::open(&path).unwrap();
        let held = a.acquire(Duration::from_millis(100)).unwrap();
        let (waiting_tx, waiting_rx) = std::sync::mpsc::channel();
        let waiter = std::thread::spawn(move || {
            // Refused while `a` holds it: the waiter has to wait for the release.
            assert!(b.try_acquire().unwrap().is_none(), "taken while held");
            waiting_tx.send(()).unwrap();
            // A timeout far beyond any scheduling delay: only a release
            // that is never noticed fails this.
            let _g = b
                .acquire(Duration::from_secs(60))
                .expect("lock after release");
            Instant::now()
        });
        waiting_rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the waiter found the lock held");
        let released = Instant::now();
        drop(held);
        let acquired = waiter.join().unwrap();
        assert!(acquired >= released, "acquired before the release");
        std::fs::remove_file(path).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn lock_file_is_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let path = temp_lock("mode");
        let _lock = FileLock::open(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        std::fs::remove_file(path).unwrap();
    }

    #[test]
    fn errors_read_as_sentences() {
        let timed_out = AcquireError::TimedOut(Duration::from_millis(1000));
        assert_eq!(timed_out.to_string(), "timed out after 1000 ms");
        let io = AcquireError::from(io::Error::other("the disk is on fire"));
        assert_eq!(io.to_string(), "the disk is on fire");
    }
}
