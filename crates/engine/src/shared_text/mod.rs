//! The chapter's shared string (SampleMMF): a named shared memory object that
//! every running instance of one account maps, read and written under an
//! inter-process lock.
//!
//! - **One object per account and name**: `memlab.<uid>.<name>` in the
//!   account's own runtime folder (`/run/user/<uid>`) where the system gives
//!   it one, else in `/dev/shm`; opened by descriptor and checked (owner,
//!   type, mode) after every open; another account's object is refused,
//!   never used (see `shm_object`).
//! - **One roster per object**: who is attached and the attach/leave gate
//!   are byte-range locks on the object's own descriptor (see `slots`), so
//!   every instance agrees whatever its environment or working directory,
//!   and the last to leave removes the object.
//! - **The data lock** is flock on the object's own descriptor: like the
//!   roster's locks it belongs to the open file and dies with its process,
//!   and it costs one system call less than an OFD byte lock per operation
//!   (flock and fcntl locks do not interact on Linux).
//! - **Never a SIGBUS**: the object's storage is reserved when it is made;
//!   writes into the mapping copy through `crate::os::probe` and reads use
//!   `pread` on the object (see `view`), so an object truncated underneath
//!   is an error value, not a death.
//! - **Two text buffers**: a save writes the idle buffer and then flips the
//!   active index, so a writer killed half-way leaves the last completed
//!   save in place.
//! - **Or a file**: the same layout, roster and locks in a file of the
//!   user's choice ([`Backing::File`]), checked the same way (its folder,
//!   `O_NOFOLLOW`, owner and mode 0600, storage reserved, reads that cannot
//!   fault); the last instance to leave keeps it, so the string survives
//!   every instance closing, as the book's mapping of a named file does.
//!   A file that holds something else is refused and never written.

mod error;
mod info;
mod layout;
mod messages;
mod stress;
mod watch;

// The object, its roster and its lock: one `SharedText` API, built on each
// OS's own objects (see the module's notes above for Linux; Windows makes
// the book's calls, see `windows`).
#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "linux")]
mod view;
#[cfg(windows)]
mod windows;

use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

pub use error::{LockState, Origin, SharedError, validate_file_path, validate_name};
pub use info::{Attached, ObjectKind, SharedInfo};
pub use layout::{
    ByteRole, CHAR_LEN, CorruptReason, HEADER_LEN, MAPPING_SIZE, active_index, byte_role,
    byte_role_start,
};
#[cfg(target_os = "linux")]
pub use linux::{QuickLook, SharedText, name_from_object_path, object_file_name, os_id};
pub use stress::{is_stress_text, stress_text};
#[cfg(target_os = "linux")]
pub use view::Activity;
pub use watch::{WATCH_LIVENESS, Watch, WatchEvent, watch};
#[cfg(windows)]
pub use windows::{Activity, QuickLook, SharedText};

/// The book's mapping name.
pub const DEFAULT_NAME: &str = "SampleMMF";
/// What the creating instance writes, as in the book.
pub const SAMPLE_TEXT: &str = "샘플입니다 !";
/// The book's `REQUEST_TIMEOUT`.
pub const LOCK_TIMEOUT: Duration = Duration::from_millis(1000);

/// Where the shared string lives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Backing {
    /// A named POSIX shared memory object, like the book's page-file-backed
    /// mapping: the last instance to leave removes it.
    Memory { name: String },
    /// A file, like the book's mapping of a named file: it outlives every
    /// instance (an absolute path once attached).
    File { path: PathBuf },
}

impl Backing {
    /// The book's mapping: shared memory named `SampleMMF`.
    pub fn memory(name: &str) -> Self {
        Self::Memory { name: name.into() }
    }

    pub fn file(path: impl Into<PathBuf>) -> Self {
        Self::File { path: path.into() }
    }

    pub fn is_file(&self) -> bool {
        matches!(self, Self::File { .. })
    }
}

/// The result of a load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loaded {
    pub text: String,
    /// The bytes were not valid UTF-8 and were shown with replacement marks.
    pub lossy: bool,
    pub change_counter: u64,
    /// The header named this PID as the lock's holder and no such process
    /// is running: it died during a write, and its record was taken over.
    pub recovered_from: Option<u32>,
    /// Windows: `WaitForSingleObject(LockMap)` returned `WAIT_ABANDONED`
    /// (here or in an earlier wait of this instance): a holder ended while
    /// holding the lock. Never on Linux, where `recovered_from` tells it.
    pub wait_abandoned: bool,
}

/// The result of a save.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Saved {
    pub stored: String,
    /// Bytes asked for, when more than `CHAR_LEN` were and the rest was cut.
    pub truncated_from: Option<usize>,
    pub change_counter: u64,
    pub recovered_from: Option<u32>,
    /// As [`Loaded::wait_abandoned`].
    pub wait_abandoned: bool,
}

/// The longest prefix of `text` that fits `CHAR_LEN` bytes and ends on a
/// character boundary (never half a Hangul syllable).
pub fn fit_to_capacity(text: &str) -> &str {
    &text[..text.floor_char_boundary(CHAR_LEN)]
}

#[cfg(all(test, target_os = "linux"))]
mod file_tests;
#[cfg(all(test, target_os = "linux"))]
mod messages_tests;
#[cfg(all(test, target_os = "linux"))]
mod tests;
