//! The mutex lesson on Linux: its block is a per-account object in the
//! account's folder (`block`, its bytes checked in `bytes`, its mapping
//! guarded against truncation by a SIGBUS handler in `fault`), the three
//! locks are flock, raw_sync's mutex and a robust pthread mutex (`lock`,
//! `reset`, raw_sync's timed wait in `raw_wait`), and a crash is a SIGKILL.

mod block;
mod bytes;
mod fault;
mod lock;
mod raw_wait;
mod reset;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::{CRASH_TIMEOUT, CrashProblem, CrashedHolder, MutexError, MutexKind, validate_name};
use crate::os::shm_object::ShmDir;

pub use block::{BLOCK_SIZE, object_file_name};
pub(super) use lock::Lock;

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
    // Its roster only: the block is neither mapped nor read, so a truncated
    // or overwritten one is removed as well.
    let mut roster = block::Block::roster_only(name)?;
    let others = roster.attached()?.len().saturating_sub(1);
    roster.remove_when_last();
    drop(roster);
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

/// The robust kind's name, in English and Korean.
pub const ROBUST_NAME: (&str, &str) = ("the robust pthread mutex", "견고한(robust) pthread 뮤텍스");
/// What the next holder of an abandoned lock does once its data is put
/// right, in English and Korean.
pub const TRUSTED_AGAIN: (&str, &str) = ("pthread_mutex_consistent", "pthread_mutex_consistent");

/// How [`die_like_a_crash`] ends the process, for people to read.
pub const CRASH_BY: &str = "SIGKILL";

/// Ends this process with SIGKILL, as a crash would (no destructor runs).
pub fn die_like_a_crash() -> ! {
    let _ = rustix::process::kill_process(rustix::process::getpid(), rustix::process::Signal::KILL);
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
