//! The real access violation, in a child process: a Win32 program that
//! touches a reserved or no-access page dies of it, and so does this child,
//! while memlab watches and lives on.
//!
//! One API, one file per OS behind it: on Linux the child is a `fork` of
//! memlab and touches the page with a plain load or store (`linux.rs`); on
//! Windows it is memlab.exe started again (`CreateProcessW`), which reaches
//! the parent's page from its own process (`windows.rs`).

use serde::Serialize;

#[cfg(target_os = "linux")]
mod linux;
#[cfg(windows)]
mod windows;
#[cfg(target_os = "linux")]
use linux as sys;
#[cfg(target_os = "linux")]
pub use linux::signal_name;
#[cfg(windows)]
use windows as sys;
#[cfg(windows)]
pub use windows::{CHILD_COMMAND, child_main};

/// How the child ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "ended", rename_all = "snake_case")]
pub enum ChildEnd {
    /// Killed by a signal, e.g. SIGSEGV (11) or SIGBUS (7) (Unix).
    Signaled { signal: i32 },
    /// The access worked and the child exited normally.
    Exited { code: i32 },
    /// Ended by an exception nothing handled, e.g. STATUS_ACCESS_VIOLATION
    /// (0xC0000005): Windows makes the exception's code the process's exit
    /// status (Windows).
    Exception { status: u32 },
}

impl ChildEnd {
    /// True if the access killed the child (a signal or an exception).
    pub fn died(self) -> bool {
        !matches!(self, Self::Exited { .. })
    }

    /// What ended it, e.g. `SIGSEGV` or `STATUS_ACCESS_VIOLATION`, if the
    /// child died.
    pub fn cause_name(self) -> Option<&'static str> {
        match self {
            Self::Signaled { signal } => Some(sys::signal_name(signal)),
            Self::Exception { status } => Some(status_name(status)),
            Self::Exited { .. } => None,
        }
    }

    /// The signal's name, e.g. `SIGSEGV`, if a signal ended the child.
    pub fn signal_name(self) -> Option<&'static str> {
        match self {
            Self::Signaled { signal } => Some(sys::signal_name(signal)),
            Self::Exited { .. } | Self::Exception { .. } => None,
        }
    }
}

impl std::fmt::Display for ChildEnd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Self::Signaled { signal } => write!(
                f,
                "the child process died of {} ({signal}); memlab lives on",
                sys::signal_name(signal)
            ),
            Self::Exception { status } => write!(
                f,
                "the child process died of {} ({status:#010X}); memlab lives on",
                status_name(status)
            ),
            Self::Exited { code } => {
                write!(f, "the access worked: the child process exited with {code}")
            }
        }
    }
}

/// The name of a Windows exception status a memory access can end in
/// (others are "an exception").
pub fn status_name(status: u32) -> &'static str {
    match status {
        0xC000_0005 => "STATUS_ACCESS_VIOLATION",
        0x8000_0001 => "STATUS_GUARD_PAGE_VIOLATION",
        0xC000_0006 => "STATUS_IN_PAGE_ERROR",
        0xC000_00FD => "STATUS_STACK_OVERFLOW",
        0xC000_0374 => "STATUS_HEAP_CORRUPTION",
        0xC000_0409 => "STATUS_STACK_BUFFER_OVERRUN",
        _ => "an exception",
    }
}

/// Starts a child that reads (or writes) one byte at `addr` of this
/// process and reports how it ended; `Err(code)` (errno, or a Win32 error
/// code) if the child could not be made, waited for, or reach the page.
///
/// `addr` should lie in memory the caller owns (a page lab reservation).
/// On Linux the child's write goes to its own copy of the page; on Windows
/// `WriteProcessMemory` writes into this process's page.
pub fn touch(addr: usize, write: bool) -> Result<ChildEnd, i32> {
    sys::touch(addr, write)
}
