//! The info panel's facts (and `memlab shared info`): who is attached, how
//! this instance came to the object, the lock's state and every byte, read
//! without the data lock so that they show while another process holds it.
//! Each OS's `SharedText::info` gathers them.

use std::path::PathBuf;

use serde::Serialize;

use super::{Backing, CorruptReason, LockState, Origin};

/// One attached instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Attached {
    /// Zero-based slot index; shown to people as `index + 1`.
    pub index: usize,
    /// The slot holder's PID: the one the object records, confirmed by the
    /// kernel (that process has the object open with this slot's lock).
    pub pid: Option<u32>,
    /// A PID the object records for the slot that the kernel does not
    /// confirm (a claim only).
    pub claimed_pid: Option<u32>,
}

/// The OS object that holds the shared string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectKind {
    /// A POSIX shared memory object (Linux).
    PosixShm,
    /// A file of the user's choice.
    File,
    /// A named file mapping of the paging file (Windows).
    FileMapping,
}

/// The facts of the info panel (and of `memlab shared info`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SharedInfo {
    pub name: String,
    pub backing: Backing,
    /// What kind of OS object holds the string.
    pub kind: ObjectKind,
    /// The OS object in English, with its name or path.
    pub os_object: String,
    /// Its path (Linux) or kernel object name (Windows: `Local\memlab.SampleMMF`).
    pub path: PathBuf,
    pub size: u64,
    pub capacity: usize,
    pub this_instance: usize,
    pub pid: u32,
    /// The account that owns it (Linux); None on Windows, where the
    /// `Local\` namespace is the session's.
    pub uid: Option<u32>,
    pub attached: Vec<Attached>,
    pub origin: Origin,
    pub change_counter: u64,
    pub last_writer_pid: Option<u32>,
    pub last_write_unix_ms: Option<u64>,
    pub lock: LockState,
    /// Why the bytes do not validate, if they don't.
    pub problem: Option<CorruptReason>,
    /// Someone removed the object's name (see [`SharedError::Removed`]).
    pub removed: bool,
    #[serde(serialize_with = "hex_string")]
    pub bytes: Vec<u8>,
}

fn hex_string<S: serde::Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    s.serialize_str(&hex)
}
