//! What class of failure an error is, whatever lab it comes from: the
//! command line turns the class into its exit code in one place
//! (`memlab::cli::exit`), so that a new error variant says what it is here,
//! next to its type, and never appears in a list of variants elsewhere.

/// The class of a failure. The classes are the ones the exit codes (and
/// docs/desktop.md) tell apart: a request that is wrong (usage, not found,
/// denied), a wait that ran out, bytes that are not memlab's, and failures
/// of a valid request (busy, no space, gone, unavailable, unsupported, the
/// system).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The request itself is wrong: a bad name, a value out of range, a
    /// step out of order (unmap before map, release what is not held).
    Usage,
    /// What the request names does not exist: a file, a process, a view,
    /// a reservation.
    NotFound,
    /// What the request names is not the user's to use: another account's
    /// object or process, an object open to others, a read-only or
    /// unreadable file, a name taken by another kind of object.
    Denied,
    /// A lock was not obtained within its timeout.
    Timeout,
    /// Bytes that are not memlab's layout: a mapping or a lock block that
    /// was truncated or overwritten.
    Corrupt,
    /// Someone else has it: another instance holds, maps or keeps changing
    /// it, or every slot is taken.
    Busy,
    /// No room: a full /dev/shm or disk, the file size limit (`ulimit -f`),
    /// a memory limit (RLIMIT_MEMLOCK, RLIMIT_AS, the commit limit), an
    /// allocation refused.
    NoSpace,
    /// It went away under memlab: an object removed or a file shortened by
    /// someone else, a holder or thread that ended.
    Gone,
    /// What a valid request needs is not there: no memlab window to
    /// arrange, no display to open a window on, no data folder.
    Unavailable,
    /// Not available on this system: a lab or call not ported to this OS.
    Unsupported,
    /// The system failed or refused for a reason of its own (an I/O error,
    /// an errno, a folder that is not safe).
    Os,
}

/// An error that knows its class.
pub trait HasKind {
    /// The class of this failure.
    fn kind(&self) -> ErrorKind;
}
