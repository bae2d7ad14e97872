//! The book's `LockMap` / `UnlockMap` (a named mutex, a 1000 ms wait) three
//! ways, on a small mapping of its own, so a class can watch what each does
//! when its holder is killed. This module holds what every OS shares (the
//! kinds, the errors, the reports, the data, `BookMutex`'s thread); each
//! OS's locks are in `linux` and `windows` behind one API. On Windows they
//! are the book's own Win32 named mutex (`WAIT_ABANDONED`), raw_sync's
//! mutex (a Win32 mutex whose wait panics on `WAIT_ABANDONED`) and
//! `LockFileEx` (see `windows`). On Linux:
//!
//! - memlab's file lock (flock): the kernel frees it when the holder dies;
//!   the next waiter gets it but cannot be told the owner died.
//! - raw_sync's mutex: not robust, so a dead holder leaves it locked for
//!   good ("stuck", detected from the recorded holder PID and reported,
//!   with a reset); its timed wait fails at once with EINVAL when the
//!   deadline's nanoseconds overflow (memlab then polls for the rest of the
//!   wait). Both defects are proven in `tests/it/crate_defects/mutex_crate.rs`.
//! - a robust process-shared pthread mutex: the next waiter gets it with
//!   EOWNERDEAD, Win32's WAIT_ABANDONED, and makes it consistent.
//!
//! A pthread mutex belongs to a thread, and a robust one is marked
//! "owner died" when its owning thread ends: every lock and unlock of one
//! `BookMutex` therefore runs on a thread of its own that lives as long as
//! it does, so callers (a UI's worker jobs) can come from any thread.
//! No wait is ever unbounded. The shared text form's lock is separate.
//!
//! Each lock guards data of its own (`data`: a move between two accounts,
//! made in two steps while holding it), so that a holder killed half-way
//! leaves something to see: the harm WAIT_ABANDONED warns about.
//!
//! Nothing in the block is taken on trust (see `block` and `bytes`): a
//! short or overwritten object is reported as corrupt, and the holder a
//! message names is the thread the lock itself records, found in the
//! process table (see `crate::os::claims`), not the PID the header claims.

mod data;
mod messages;
mod owner;
mod report;

#[cfg(target_os = "linux")]
mod linux;
#[cfg(windows)]
mod windows;
#[cfg(target_os = "linux")]
use linux as sys;
#[cfg(windows)]
use windows as sys;

use std::fmt;
use std::time::Duration;

use crate::error::{ErrorKind, HasKind};
use crate::os::names::{NameProblem, name_problem};
use crate::os::shm_object::ObjectError;

pub use crate::desktop::holder::Holder;
pub use data::{AMOUNT, GuardedData, TOTAL};
pub use owner::BookMutex;
pub use report::{
    AcquireReport, AcquireResult, DeadHolder, Look, MutexState, ResetOutcome, ResetReport,
};
#[cfg(windows)]
pub use sys::CRASH_EXIT_CODE;
pub use sys::{
    BLOCK_SIZE, CRASH_BY, Removal, die_like_a_crash, object_file_name, remove, remove_unused,
};

/// The book's REQUEST_TIMEOUT.
pub const BOOK_TIMEOUT: Duration = Duration::from_millis(1000);
/// The name used when none is given.
pub const DEFAULT_NAME: &str = "LockMap";
/// How long `crash_in_child` waits for the child to take the lock and die.
pub(crate) const CRASH_TIMEOUT: Duration = Duration::from_secs(10);

/// "Crash while holding" for a window: runs `exe mutex --kind K --name N
/// crash` (memlab's own command), which takes the lock and ends itself as
/// a crash would ([`CRASH_BY`]); waits for it and reports how it died.
pub fn crash_in_child(
    exe: &std::path::Path,
    name: &str,
    kind: MutexKind,
) -> Result<CrashedHolder, MutexError> {
    validate_name(name)?;
    let mut child = std::process::Command::new(exe)
        .args(["mutex", "--kind", kind.cli_name(), "--name", name, "crash"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| MutexError::io("starting the crashing holder", e))?;
    let pid = child.id();
    let deadline = std::time::Instant::now() + CRASH_TIMEOUT;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                return match sys::crash_signal(&status) {
                    Some(signal) => Ok(CrashedHolder { pid, signal }),
                    None => Err(MutexError::CrashFailed {
                        problem: CrashProblem::NotKilled,
                        status: status.code(),
                    }),
                };
            }
            Ok(None) if std::time::Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(5));
            }
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
            Self::Robust => sys::ROBUST_NAME.0,
        })
    }
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
    #[error("timed out after {waited_ms} ms: {kind} is held by {holder}")]
    TimedOut {
        kind: MutexKind,
        waited_ms: u64,
        holder: Holder,
    },
    #[error(
        "timed out after {waited_ms} ms: {kind} is stuck: {} died holding it and this lock cannot tell waiters (it is not robust); reset it",
        DeadHolder(*holder)
    )]
    Stuck {
        kind: MutexKind,
        waited_ms: u64,
        holder: Holder,
    },
    /// The block's bytes are not a lock memlab can use.
    #[error("the lock {name:?} ({kind}) is corrupt: {problem}; `reset` re-initialises it")]
    Corrupt {
        kind: MutexKind,
        name: String,
        problem: BlockProblem,
    },
    /// This instance held the lock when its object was truncated or
    /// overwritten: it let go of its own copy, leaving the object as it is.
    #[error(
        "the lock {name:?} ({kind}) changed under this instance while it held it: {problem}; this instance let go of its own copy; `reset` re-initialises the lock"
    )]
    LostWhileHeld {
        kind: MutexKind,
        name: String,
        problem: BlockProblem,
    },
    #[error("this instance already holds {kind}")]
    AlreadyHeld { kind: MutexKind },
    #[error("this instance does not hold {kind}")]
    NotHeld { kind: MutexKind },
    #[error("cannot reset {kind}: {holder} is running and holds it")]
    ResetRefused { kind: MutexKind, holder: Holder },
    #[error(
        "the robust mutex is not recoverable (an owner died and it was released without being made consistent): reset it"
    )]
    NotRecoverable,
    #[error("{call} failed: {}", std::io::Error::from_raw_os_error(*errno))]
    Pthread { call: &'static str, errno: i32 },
    #[error("raw_sync: {message}")]
    RawSync { message: String },
    #[error("the child holding the lock {}", match problem {
        CrashProblem::NotKilled if cfg!(windows) => format!("ended on its own instead of by TerminateProcess (exit code {status:?})"),
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

impl HasKind for MutexError {
    fn kind(&self) -> ErrorKind {
        use ErrorKind as K;
        match self {
            Self::BadName { .. } | Self::AlreadyHeld { .. } | Self::NotHeld { .. } => K::Usage,
            Self::Object(e) => e.kind(),
            Self::TimedOut { .. } | Self::Stuck { .. } => K::Timeout,
            Self::Corrupt { .. } | Self::LostWhileHeld { .. } => K::Corrupt,
            Self::ResetRefused { .. } | Self::InUse { .. } => K::Busy,
            // An owner died and the lock was given up unrepaired; the
            // thread that owned this instance's lock ended.
            Self::NotRecoverable | Self::OwnerGone => K::Gone,
            Self::Pthread { .. }
            | Self::RawSync { .. }
            | Self::CrashFailed { .. }
            | Self::Io { .. } => K::Os,
        }
    }
}

/// Why the block's bytes are not a lock memlab can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockProblem {
    /// The object is shorter than the block (someone truncated it).
    TooSmall {
        size: u64,
        need: u64,
    },
    Magic(u64),
    Version {
        found: u32,
        expected: u32,
    },
    /// The mutex's type word is not the one memlab made: overwritten bytes.
    MutexType {
        found: i32,
        expected: i32,
    },
    /// A lock word no kernel or glibc writes.
    LockWord {
        value: u32,
    },
    /// An owner thread id no kernel or glibc writes there.
    Owner {
        value: i32,
    },
    /// Its bytes could not be read (an I/O error).
    Unreadable,
    /// The object's pages vanished during an operation (truncated under it).
    Vanished,
    /// The bytes stopped saying that this instance holds the lock, while it
    /// did (overwritten or re-initialised under it).
    ChangedUnderHolder,
}

impl std::fmt::Display for BlockProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Self::TooSmall { size, need } => write!(
                f,
                "the object is {size} bytes, smaller than the {need} bytes of the lock's block"
            ),
            Self::Magic(magic) => write!(f, "bad magic number {magic:#018x}"),
            Self::Version { found, expected } => {
                write!(f, "layout version {found}, expected {expected}")
            }
            Self::MutexType { found, expected } => write!(
                f,
                "the mutex's type word is {found:#x}, not the {expected:#x} memlab made (its bytes were overwritten)"
            ),
            Self::LockWord { value } => write!(
                f,
                "the mutex's lock word {value:#x} is no state a mutex can be in"
            ),
            Self::Owner { value } => write!(
                f,
                "the mutex's owner field {value} is no thread a mutex can name there"
            ),
            Self::Unreadable => write!(f, "its bytes could not be read"),
            Self::Vanished => write!(
                f,
                "its pages vanished during the operation (the object was truncated)"
            ),
            Self::ChangedUnderHolder => write!(
                f,
                "its bytes stopped showing this instance as the holder while it held the lock (overwritten or re-initialised)"
            ),
        }
    }
}

impl MutexError {
    pub fn io(context: &'static str, source: std::io::Error) -> Self {
        Self::Io { context, source }
    }
}

pub(crate) fn validate_name(name: &str) -> Result<(), MutexError> {
    name_problem(name).map_or(Ok(()), |reason| {
        Err(MutexError::BadName {
            name: name.into(),
            reason,
        })
    })
}
