//! The mutex lesson on Windows, on the calls the book makes: the block is a
//! named mapping of the paging file (`block`: `CreateFileMappingW`,
//! `Local\memlab.mutex.<name>`), and the three locks (`lock`) are the Win32
//! named mutex itself (`CreateMutexW` + `WaitForSingleObject`, robust by
//! nature: `WAIT_ABANDONED`), raw_sync's mutex (on Windows a named Win32
//! mutex too, whose wait *panics* on `WAIT_ABANDONED`) and a file lock
//! (`LockFileEx` / `UnlockFileEx`, `os::file_lock`). A crash is `TerminateProcess`.
//!
//! Every object lives while some process holds a handle to it: a holder
//! that dies alone takes the lock with it, and the next instance starts
//! afresh. `WAIT_ABANDONED` is seen while another instance (a window of
//! the lab, or a test) keeps the lock open, as in a classroom.

mod block;
mod lock;

use windows_sys::Win32::System::Threading::{GetCurrentProcess, TerminateProcess};

use super::{MutexError, validate_name};

pub use block::{BLOCK_SIZE, object_file_name};
pub(super) use lock::Lock;

/// The exit code of a process that "crashed" holding the lock (what
/// `TerminateProcess` gives it; `0xDEAD`, which no other path of memlab's uses).
pub const CRASH_EXIT_CODE: u32 = 0xDEAD;

/// The robust kind's name, in English and Korean: on Windows the book's
/// own lock.
pub const ROBUST_NAME: (&str, &str) = ("the Win32 named mutex", "Win32 이름 있는 뮤텍스");
/// What the next holder of an abandoned lock does once its data is put
/// right, in English and Korean.
pub const TRUSTED_AGAIN: (&str, &str) = ("trusting it again", "데이터를 다시 믿기");

/// How [`die_like_a_crash`] ends the process, for people to read.
pub const CRASH_BY: &str = "TerminateProcess";

/// What [`remove_unused`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Removal {
    /// Never on Windows: the object has no existence of its own.
    Removed(std::path::PathBuf),
    /// No process holds the lock's objects: they are gone already.
    NotThere(std::path::PathBuf),
}

/// On Windows the lock's objects die with their last handle: nothing is
/// left to remove when no instance has them open; while one has, they are
/// in use (by as many instances as hold a slot of its roster).
pub fn remove_unused(name: &str) -> Result<Removal, MutexError> {
    validate_name(name)?;
    let object = block::mapping_name(name);
    match block::Block::instances(name)? {
        None | Some(0) => Ok(Removal::NotThere(object.into())),
        Some(others) => Err(MutexError::InUse {
            name: name.into(),
            others,
        }),
    }
}

/// A fresh start (tests, benches): nothing to do on Windows, where the
/// objects die with their last handle.
pub fn remove(name: &str) -> Result<(), MutexError> {
    validate_name(name)
}

/// Ends this process with `TerminateProcess`, as a crash would (no
/// destructor runs, no mutex is released: Windows abandons them).
pub fn die_like_a_crash() -> ! {
    // SAFETY: the pseudo-handle of this very process; the call does not return.
    unsafe { TerminateProcess(GetCurrentProcess(), CRASH_EXIT_CODE) };
    std::process::abort()
}

/// How a crashing holder that ended with `status` died: Some(None) (no
/// signal on Windows) if by [`die_like_a_crash`]'s `TerminateProcess`.
pub(super) fn crash_signal(status: &std::process::ExitStatus) -> Option<Option<i32>> {
    status
        .code()
        .is_some_and(|code| code as u32 == CRASH_EXIT_CODE)
        .then_some(None)
}
