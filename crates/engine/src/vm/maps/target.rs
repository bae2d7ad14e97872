//! Whose address space the map shows, as VMMap picks a process: memlab
//! itself, another memlab window (by its instance number, from the windows'
//! roster), or any other process of this account. Another account's process
//! is refused by the map itself, whatever /proc would allow (root reads all).

use serde::Serialize;

use super::super::ReadError;
use crate::desktop::instances;
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
    #[error("cannot read /proc/{pid}/smaps: {}", super::super::errno_text(*errno))]
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

/// This account's processes whose map can be read: memlab's windows first,
/// by their instance numbers, then every other process of the account by
/// PID. This process is among them (a window, or first if it is none).
pub fn map_targets() -> Vec<MapTarget> {
    let me = std::process::id();
    let you = crate::os::shm_object::euid();
    let name_of = |pid: u32| {
        procfs::process::Process::new(pid as i32)
            .and_then(|p| p.stat())
            .map(|s| s.comm)
            .unwrap_or_default()
    };
    let mut targets: Vec<MapTarget> = instances::open_windows()
        .unwrap_or_default()
        .into_iter()
        .filter_map(|w| {
            let pid = w.pid?;
            Some(MapTarget {
                pid,
                name: name_of(pid),
                window: Some(w.number),
                this: pid == me,
            })
        })
        .collect();
    targets.sort_by_key(|t| t.window);
    if !targets.iter().any(|t| t.this) {
        targets.insert(
            0,
            MapTarget {
                pid: me,
                name: name_of(me),
                window: None,
                this: true,
            },
        );
    }
    let mut others: Vec<MapTarget> = procfs::process::all_processes()
        .into_iter()
        .flatten()
        .flatten()
        .filter(|p| p.uid().is_ok_and(|uid| uid == you))
        .filter_map(|p| {
            let pid = u32::try_from(p.pid).ok()?;
            let stat = p.stat().ok()?;
            // Kernel threads have no address space of their own.
            let user = stat.vsize > 0;
            (user && !targets.iter().any(|t| t.pid == pid)).then_some(MapTarget {
                pid,
                name: stat.comm,
                window: None,
                this: false,
            })
        })
        .collect();
    others.sort_by_key(|t| t.pid);
    targets.extend(others);
    targets
}

/// The owner of process `pid`, checked to be this account's.
pub(super) fn own_process(pid: u32) -> Result<procfs::process::Process, MapError> {
    let gone = || MapError::NoProcess { pid };
    let process = procfs::process::Process::new(i32::try_from(pid).map_err(|_| gone())?)
        .map_err(|_| gone())?;
    let owner = process.uid().map_err(|_| gone())?;
    let you = crate::os::shm_object::euid();
    if owner != you {
        return Err(MapError::NotYours { pid, owner, you });
    }
    Ok(process)
}
