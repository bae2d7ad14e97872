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
pub mod pages;
pub mod system;

use serde::Serialize;

use crate::error::{ErrorKind, HasKind};

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

    /// The OS call it became on Linux (code only, no prose: the forms show
    /// it in either language; the query also reads memlab's own page table).
    pub fn os_call(self) -> &'static str {
        match self {
            Self::Reserve => "mmap(NULL, len, PROT_NONE, MAP_PRIVATE|MAP_ANONYMOUS)",
            Self::Commit => "mprotect(PROT_READ|PROT_WRITE)",
            Self::Decommit => "mmap(addr, len, PROT_NONE, MAP_FIXED|MAP_PRIVATE|MAP_ANONYMOUS)",
            Self::DecommitKeepCharge => "madvise(MADV_DONTNEED) + mprotect(PROT_NONE)",
            Self::Protect => "mprotect",
            Self::Lock => "mlock",
            Self::Unlock => "munlock",
            Self::ReadByte => "process_vm_readv(getpid())",
            Self::WriteByte => "process_vm_writev(getpid())",
            Self::Release => "munmap",
            Self::Query => "mincore + /proc/self/smaps",
            Self::TouchInChild => "fork() + *(u8*)p + waitpid()",
            Self::SystemInfo => "sysconf + /proc/meminfo + getrlimit",
            Self::AddressSpaceMap => "/proc/self/smaps",
        }
    }
}

/// A /proc file could not be read (every /proc reader of this module).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot read {file}: {}", errno_text(*errno))]
pub struct ReadError {
    /// The file, e.g. `/proc/self/smaps`.
    pub file: &'static str,
    /// The OS error number, if the failure was one.
    pub errno: Option<i32>,
}

impl HasKind for ReadError {
    fn kind(&self) -> ErrorKind {
        ErrorKind::Os
    }
}

impl ReadError {
    fn new(file: &'static str, e: &procfs::ProcError) -> Self {
        let errno = match e {
            procfs::ProcError::Io(io, _) => io.raw_os_error(),
            procfs::ProcError::PermissionDenied(_) => Some(libc::EACCES),
            procfs::ProcError::NotFound(_) => Some(libc::ENOENT),
            _ => None,
        };
        Self { file, errno }
    }
}

/// The English text of an errno (or "unexpected contents").
pub fn errno_text(errno: Option<i32>) -> String {
    match errno {
        Some(n) => std::io::Error::from_raw_os_error(n).to_string(),
        None => "unexpected contents".into(),
    }
}

/// The symbolic name of an errno that memory calls return, e.g. `ENOMEM`.
pub fn errno_name(errno: i32) -> Option<&'static str> {
    Some(match errno {
        libc::ENOMEM => "ENOMEM",
        libc::EPERM => "EPERM",
        libc::EAGAIN => "EAGAIN",
        libc::EINVAL => "EINVAL",
        libc::EFAULT => "EFAULT",
        libc::EACCES => "EACCES",
        libc::ENOENT => "ENOENT",
        _ => return None,
    })
}

fn last_errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}
