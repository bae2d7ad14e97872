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

use std::path::PathBuf;

use super::{MutexError, validate_name};
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

/// How a crashing holder that ended with `status` died: by a signal (the
/// SIGKILL of [`die_like_a_crash`]), or None if it was not killed.
pub(super) fn crash_signal(status: &std::process::ExitStatus) -> Option<Option<i32>> {
    use std::os::unix::process::ExitStatusExt;
    status.signal().map(Some)
}
