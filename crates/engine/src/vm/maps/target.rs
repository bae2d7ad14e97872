//! Whose address space the map shows, as VMMap picks a process: memlab
//! itself, another memlab window (by its instance number, from the windows'
//! roster), or any other process of this account. Another account's process
//! is refused by the map itself, whatever /proc would allow (root reads all).
//! The roster itself is per OS (`linux.rs`, `windows.rs`).

use serde::Serialize;

use super::super::ReadError;
use crate::error::{ErrorKind, HasKind};

/// Why another process's map could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MapError {
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error("there is no process {pid} (it may have ended)")]
    NoProcess { pid: u32 },
    #[error(
        "process {pid} belongs to user id {owner}, not to you (user id {you}): the map shows only your own processes"
    )]
    NotYours { pid: u32, owner: u32, you: u32 },
    #[error("cannot read {}: {}", super::sys::unreadable_what(*pid), super::super::errno_text(*errno))]
    Unreadable { pid: u32, errno: Option<i32> },
}

impl HasKind for MapError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Read(e) => e.kind(),
            Self::NoProcess { .. } => ErrorKind::NotFound,
            Self::NotYours { .. } => ErrorKind::Denied,
            Self::Unreadable { .. } => ErrorKind::Os,
        }
    }
}

/// A process whose map can be shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MapTarget {
    pub pid: u32,
    /// Its command name (`/proc/PID/comm`).
    pub name: String,
    /// Its memlab window number, when it is one of this account's windows.
    pub window: Option<usize>,
    /// This very process.
    pub this: bool,
}

impl MapTarget {
    /// Process `pid`, known by its number alone.
    pub fn bare(pid: u32) -> Self {
        Self {
            pid,
            name: String::new(),
            window: None,
            this: pid == std::process::id(),
        }
    }
}
