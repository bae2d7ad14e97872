//! Virtual memory you can see (the chapter's sections 1 and 3): system facts
//! ([`system`]), the page lab on memlab's own reservations ([`pages`]), the
//! address-space map ([`maps`]) and the access violation in a child process
//! ([`child`]).
//!
//! Every operation carries its Win32 name and the OS call it became here
//! ([`Operation`]), so the forms and the command line show both. Snapshots
//! are plain data (`Clone + Send`), so a form can take them on a worker
//! thread and draw them on the UI thread.

pub mod child;
pub mod maps;
mod messages;
mod messages_labs;
mod messages_maps;
mod messages_pages;
pub mod pages;
pub mod system;

#[cfg(target_os = "linux")]
mod linux;
#[cfg(windows)]
mod windows;

/// This OS's half of the module: what each operation became, its errors.
#[cfg(target_os = "linux")]
use linux as sys;
#[cfg(windows)]
use windows as sys;

#[cfg(target_os = "linux")]
pub use linux::errno_name;
#[cfg(target_os = "linux")]
use linux::last_errno;
#[cfg(windows)]
pub use windows::error_name;

use serde::Serialize;

use crate::error::{ErrorKind, HasKind};

/// The most pages one reservation of the page lab may have (256 MiB of
/// 4 KiB pages).
pub const MAX_PAGES: usize = 65536;

/// A Win32 memory call of the chapter and what memlab does for it here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    Reserve,
    Commit,
    /// The real decommit: the commit charge goes back.
    Decommit,
    /// `madvise(MADV_DONTNEED)`: the RAM goes back, the charge stays.
    DecommitKeepCharge,
    Protect,
    Lock,
    Unlock,
    ReadByte,
    WriteByte,
    Release,
    Query,
    /// A plain load or store in a child process, which dies of it.
    TouchInChild,
    SystemInfo,
    AddressSpaceMap,
}

impl Operation {
    /// Every operation, in the chapter's order.
    pub const ALL: [Self; 14] = [
        Self::Reserve,
        Self::Commit,
        Self::Decommit,
        Self::DecommitKeepCharge,
        Self::Protect,
        Self::Lock,
        Self::Unlock,
        Self::ReadByte,
        Self::WriteByte,
        Self::Release,
        Self::Query,
        Self::TouchInChild,
        Self::SystemInfo,
        Self::AddressSpaceMap,
    ];

    /// The Win32 call (with the flags that matter).
    pub fn win32(self) -> &'static str {
        match self {
            Self::Reserve => "VirtualAlloc(MEM_RESERVE, PAGE_NOACCESS)",
            Self::Commit => "VirtualAlloc(MEM_COMMIT, PAGE_READWRITE)",
            Self::Decommit | Self::DecommitKeepCharge => "VirtualFree(MEM_DECOMMIT)",
            Self::Protect => "VirtualProtect",
            Self::Lock => "VirtualLock",
            Self::Unlock => "VirtualUnlock",
            Self::ReadByte => "ReadProcessMemory(GetCurrentProcess())",
            Self::WriteByte => "WriteProcessMemory(GetCurrentProcess())",
            Self::Release => "VirtualFree(MEM_RELEASE)",
            Self::Query => "VirtualQuery",
            Self::TouchInChild => "CreateProcess + *p (EXCEPTION_ACCESS_VIOLATION)",
            Self::SystemInfo => "GetSystemInfo + GlobalMemoryStatusEx",
            Self::AddressSpaceMap => "VirtualQueryEx (VMMap)",
        }
    }

    /// The OS call it became on this OS (code only, no prose: the forms
    /// show it in either language). On Linux the query also reads memlab's
    /// own page table; on Windows it is the Win32 call as made.
    pub fn os_call(self) -> &'static str {
        sys::os_call(self)
    }
}

/// A /proc file (Linux) or a Win32 query (Windows) failed (every reader
/// of this module).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot read {file}: {}", errno_text(*errno))]
pub struct ReadError {
    /// The file, e.g. `/proc/self/smaps`, or the call, e.g.
    /// `GetPerformanceInfo`.
    pub file: &'static str,
    /// The OS error number (errno; on Windows `GetLastError`), if the
    /// failure was one.
    pub errno: Option<i32>,
}

impl HasKind for ReadError {
    fn kind(&self) -> ErrorKind {
        ErrorKind::Os
    }
}

/// The English text of an OS error number (or "unexpected contents").
pub fn errno_text(errno: Option<i32>) -> String {
    match errno {
        Some(n) => std::io::Error::from_raw_os_error(n).to_string(),
        None => "unexpected contents".into(),
    }
}
