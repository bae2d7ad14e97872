//! The book's `LockMap` / `UnlockMap` (a named mutex, a 1000 ms wait) three
//! ways, on a small mapping of its own, so a class can watch what each does
//! when its holder is killed:
//!
//! - memlab's file lock (flock): the kernel frees it when the holder dies;
//!   the next waiter gets it but cannot be told the owner died.
//! - raw_sync's mutex: not robust, so a dead holder leaves it locked for
//!   good ("stuck", detected from the recorded holder PID and reported,
//!   with a reset); its timed wait fails at once with EINVAL when the
//!   deadline's nanoseconds overflow (memlab then polls for the rest of the
//!   wait). Both defects are proven in `tests/crate_defects.rs`.
//! - a robust process-shared pthread mutex: the next waiter gets it with
//!   EOWNERDEAD, Win32's WAIT_ABANDONED, and makes it consistent.
//!
//! A pthread mutex belongs to a thread, and a robust one is marked
//! "owner died" when its owning thread ends: every lock and unlock of one
//! `BookMutex` therefore runs on a thread of its own that lives as long as
//! it does, so callers (a UI's worker jobs) can come from any thread.
//! No wait is ever unbounded. The shared text form's lock is separate.

mod block;
mod owner;

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::core::shared_text::{NameProblem, name_problem};
use crate::core::shm_object::{ObjectError, ShmDir};

pub use block::object_file_name;
pub use owner::BookMutex;

/// The book's REQUEST_TIMEOUT.
pub const BOOK_TIMEOUT: Duration = Duration::from_millis(1000);
/// The name used when none is given.
pub const DEFAULT_NAME: &str = "LockMap";
/// How long `crash_in_child` waits for the child to take the lock and die.
const CRASH_TIMEOUT: Duration = Duration::from_secs(10);

/// Which lock guards the mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum MutexKind {
    /// memlab's file lock (flock).
    #[default]
    FileLock,
    /// raw_sync 0.1.5's process-shared mutex.
    RawSync,
    /// A robust process-shared pthread mutex.
    Robust,
}

impl MutexKind {
    pub const ALL: [Self; 3] = [Self::FileLock, Self::RawSync, Self::Robust];

    /// The command-line name: `file`, `raw-sync`, `robust`.
    pub fn cli_name(self) -> &'static str {
        match self {
            Self::FileLock => "file",
            Self::RawSync => "raw-sync",
            Self::Robust => "robust",
        }
    }
}

impl fmt::Display for MutexKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::FileLock => "memlab's file lock",
            Self::RawSync => "raw_sync's mutex",
            Self::Robust => "the robust pthread mutex",
        })
    }
}

/// What a wait for the lock gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AcquireResult {
    Acquired,
    /// Acquired; its previous owner died holding it (WAIT_ABANDONED).
    AcquiredOwnerDied {
        previous: Option<u32>,
    },
    /// A live process (if known) holds it.
    TimedOut {
        holder: Option<u32>,
    },
    /// Its holder died and this lock cannot tell: it stays locked until reset.
    Stuck {
        dead_holder: u32,
    },
}

impl AcquireResult {
    pub fn acquired(self) -> bool {
        matches!(self, Self::Acquired | Self::AcquiredOwnerDied { .. })
    }
}

impl AcquireReport {
    /// The book's `LockMap` returning False, as an error: a timeout, or a
    /// lock stuck with a dead holder.
    pub fn require_acquired(self) -> Result<Self, MutexError> {
        let waited_ms = self.waited.as_millis() as u64;
        match self.result {
            AcquireResult::Acquired | AcquireResult::AcquiredOwnerDied { .. } => Ok(self),
            AcquireResult::TimedOut { holder } => Err(MutexError::TimedOut {
                kind: self.kind,
                waited_ms,
                holder,
            }),
            AcquireResult::Stuck { dead_holder } => Err(MutexError::Stuck {
                kind: self.kind,
                waited_ms,
                dead_holder,
            }),
        }
    }
}

/// A wait and its result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AcquireReport {
    pub kind: MutexKind,
    pub result: AcquireResult,
    pub waited: Duration,
    /// raw_sync's timed wait failed at once with EINVAL (its deadline bug)
    /// and memlab polled for the rest of the wait.
    pub deadline_bug: bool,
}

/// Who holds the lock, as far as can be seen without taking it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MutexState {
    Free,
    HeldHere,
    Held {
        pid: Option<u32>,
    },
    /// Robust mutex whose holder died: the next waiter gets it, told so.
    Abandoned {
        pid: u32,
    },
    /// raw_sync's mutex whose holder died: locked until reset.
    Stuck {
        pid: u32,
    },
}

/// What a reset did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResetOutcome {
    /// A file lock needs none: the kernel frees it when its holder dies.
    NothingToReset,
    /// The lock was free; nothing was changed.
    WasFree,
    /// The lock was re-initialised (its dead holder, if known).
    Reinitialised { dead_holder: Option<u32> },
}

/// A holder that took the lock in a child process and was killed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CrashedHolder {
    pub pid: u32,
    /// The signal that ended it (SIGKILL, 9).
    pub signal: Option<i32>,
}

/// How "crash while holding" in a child went wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrashProblem {
    /// It exited instead of dying by a signal (e.g. it could not take the lock).
    NotKilled,
    /// It did not end in time.
    TooSlow,
}

/// Everything that can go wrong, as data.
#[derive(Debug, thiserror::Error)]
pub enum MutexError {
    #[error("bad mutex name {name:?}: {reason}")]
    BadName { name: String, reason: NameProblem },
    /// The lock's object in /dev/shm could not be opened, created or checked.
    #[error(transparent)]
    Object(#[from] ObjectError),
    #[error("timed out after {waited_ms} ms: {kind} is held by {}", holder.map_or_else(|| "an unknown process".into(), |p| format!("PID {p}")))]
    TimedOut {
        kind: MutexKind,
        waited_ms: u64,
        holder: Option<u32>,
    },
    #[error(
        "timed out after {waited_ms} ms: {kind} is stuck: PID {dead_holder} died holding it and this lock cannot tell waiters (it is not robust); reset it"
    )]
    Stuck {
        kind: MutexKind,
        waited_ms: u64,
        dead_holder: u32,
    },
    #[error("this instance already holds {kind}")]
    AlreadyHeld { kind: MutexKind },
    #[error("this instance does not hold {kind}")]
    NotHeld { kind: MutexKind },
    #[error("cannot reset {kind}: PID {pid} is alive and holds it")]
    ResetRefused { kind: MutexKind, pid: u32 },
    #[error(
        "the robust mutex is not recoverable (an owner died and it was released without being made consistent): reset it"
    )]
    NotRecoverable,
    #[error("{call} failed with error {errno} ({})", std::io::Error::from_raw_os_error(*errno))]
    Pthread { call: &'static str, errno: i32 },
    #[error("raw_sync: {message}")]
    RawSync { message: String },
    #[error("the child holding the lock {}", match problem {
        CrashProblem::NotKilled => format!("ended without a signal (exit status {status:?})"),
        CrashProblem::TooSlow => "did not end within 10 s (it was killed)".into(),
    })]
    CrashFailed {
        problem: CrashProblem,
        status: Option<i32>,
    },
    #[error("the lock's owner thread is gone")]
    OwnerGone,
    #[error("{context}: {source}")]
    Io {
        context: &'static str,
        #[source]
        source: std::io::Error,
    },
    #[error("the lock {name:?} is in use by {others} other instance(s); it was kept")]
    InUse { name: String, others: usize },
}

impl MutexError {
    pub(crate) fn io(context: &'static str, source: std::io::Error) -> Self {
        Self::Io { context, source }
    }
}

/// What [`remove_unused`] did, with the object's path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Removal {
    Removed(PathBuf),
    /// There was no lock of that name.
    NotThere(PathBuf),
}

/// Removes the lock `name`'s object from `/dev/shm` unless an instance has
/// it open. The object outlives its last instance on purpose (a lock left
/// held by a dead holder is the lesson), so this is how a user clears it
/// away: it leaves the roster last, under its gate, as the shared text's
/// last instance does.
pub fn remove_unused(name: &str) -> Result<Removal, MutexError> {
    validate_name(name)?;
    let dir = ShmDir::open()?;
    let file_name = block::object_file_name(name);
    let path = dir.path_of(&file_name);
    if dir.open_object(&file_name)?.is_none() {
        return Ok(Removal::NotThere(path));
    }
    let mut block = block::Block::open(name)?;
    let others = block.others()?;
    block.remove_when_last();
    drop(block);
    if dir.open_object(&file_name)?.is_none() {
        Ok(Removal::Removed(path))
    } else {
        Err(MutexError::InUse {
            name: name.into(),
            // Someone may have come between the count and the leaving.
            others: others.max(1),
        })
    }
}

/// Removes the lock `name`'s object whoever uses it (a fresh start; for
/// tests and benches).
pub fn remove(name: &str) -> Result<(), MutexError> {
    validate_name(name)?;
    ShmDir::open()?.remove(&block::object_file_name(name))?;
    Ok(())
}

pub(crate) fn validate_name(name: &str) -> Result<(), MutexError> {
    name_problem(name).map_or(Ok(()), |reason| {
        Err(MutexError::BadName {
            name: name.into(),
            reason,
        })
    })
}

/// True if process `pid` is running (a zombie has died: it is not).
pub(crate) fn alive(pid: u32) -> bool {
    let Ok(pid) = i32::try_from(pid) else {
        return false;
    };
    procfs::process::Process::new(pid)
        .and_then(|p| p.stat())
        .is_ok_and(|s| !matches!(s.state, 'Z' | 'X' | 'x'))
}

/// Ends this process with SIGKILL, as a crash would (no destructor runs).
pub fn die_by_sigkill() -> ! {
    // SAFETY: kill has no memory-safety preconditions.
    unsafe { libc::kill(libc::getpid(), libc::SIGKILL) };
    // SIGKILL cannot be caught; if it were somehow not delivered, abort.
    std::process::abort()
}

/// "Crash while holding" for a window: runs `exe mutex --kind K --name N
/// crash` (memlab's own command), which takes the lock and kills itself
/// with SIGKILL; waits for it and reports how it died.
pub fn crash_in_child(
    exe: &Path,
    name: &str,
    kind: MutexKind,
) -> Result<CrashedHolder, MutexError> {
    use std::os::unix::process::ExitStatusExt;
    validate_name(name)?;
    let mut child = Command::new(exe)
        .args(["mutex", "--kind", kind.cli_name(), "--name", name, "crash"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| MutexError::io("starting the crashing holder", e))?;
    let pid = child.id();
    let deadline = Instant::now() + CRASH_TIMEOUT;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                return match status.signal() {
                    Some(signal) => Ok(CrashedHolder {
                        pid,
                        signal: Some(signal),
                    }),
                    None => Err(MutexError::CrashFailed {
                        problem: CrashProblem::NotKilled,
                        status: status.code(),
                    }),
                };
            }
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(MutexError::CrashFailed {
                    problem: CrashProblem::TooSlow,
                    status: None,
                });
            }
            Err(e) => return Err(MutexError::io("waiting for the crashing holder", e)),
        }
    }
}
