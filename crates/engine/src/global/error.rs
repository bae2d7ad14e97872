//! The Global/Local lab's errors: the Win32 rule a step broke, or what the
//! heap refused, with the data to say it (their words are in `messages`).

use super::{ARENA_BYTES, Handle, MAX_HANDLES};
use crate::error::{ErrorKind, HasKind};
use crate::format::format_bytes;

/// A step of the lab that failed: the Win32 rule it broke or what the heap refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GlobalError {
    #[error("{0} was never allocated (ERROR_INVALID_HANDLE)")]
    NoSuchHandle(Handle),
    #[error("{0} was freed by GlobalFree: using it is using a stale handle (ERROR_INVALID_HANDLE)")]
    StaleHandle(Handle),
    #[error(
        "GlobalUnlock: {handle} is not locked (ERROR_NOT_LOCKED): {}",
        if *fixed { "a GMEM_FIXED block's lock count is always 0" }
        else { "its lock count is already 0; every GlobalUnlock must match a GlobalLock" }
    )]
    NotLocked { handle: Handle, fixed: bool },
    #[error(
        "GlobalLock returned NULL: {0} was discarded; GlobalReAlloc it to give it memory again"
    )]
    LockDiscarded(Handle),
    #[error("GlobalLock: {0}'s lock count is at its maximum of 255 (GMEM_LOCKCOUNT)")]
    LockCountFull(Handle),
    #[error(
        "GlobalFree: {handle} is locked (lock count {lock_count}): a locked block is not freed; \
         GlobalUnlock it first"
    )]
    FreeLocked { handle: Handle, lock_count: u8 },
    #[error(
        "GlobalDiscard: {handle} is locked (lock count {lock_count}): only an unlocked block can \
         be discarded"
    )]
    DiscardLocked { handle: Handle, lock_count: u8 },
    #[error("GlobalDiscard: {0} is GMEM_FIXED: only a movable block can be discarded")]
    DiscardFixed(Handle),
    #[error(
        "GlobalReAlloc(GMEM_MODIFY): {0} is GMEM_FIXED: only a movable block can be \
         discardable (add GMEM_MOVEABLE to make it movable too)"
    )]
    ModifyFixed(Handle),
    #[error(
        "GlobalReAlloc: {handle} cannot grow to {} in place, and {} (ERROR_NOT_ENOUGH_MEMORY)",
        format_bytes(*bytes),
        if *lock_count > 0 { format!("a locked block (lock count {lock_count}) cannot move without GMEM_MOVEABLE") }
        else { "a GMEM_FIXED block cannot move without GMEM_MOVEABLE".to_string() }
    )]
    CannotMove {
        handle: Handle,
        bytes: u64,
        lock_count: u8,
    },
    #[error(
        "{call}: not enough memory (ERROR_NOT_ENOUGH_MEMORY): no room for {} in memlab's global \
         heap of {}, even after compacting and discarding (largest free space {})",
        format_bytes(*bytes),
        format_bytes(ARENA_BYTES as u64),
        format_bytes(*largest_free)
    )]
    NotEnoughMemory {
        call: &'static str,
        bytes: u64,
        largest_free: u64,
    },
    #[error(
        "{call}: memlab's global heap holds {} in all; {} cannot fit",
        format_bytes(ARENA_BYTES as u64),
        format_bytes(*bytes)
    )]
    TooLarge { call: &'static str, bytes: u64 },
    #[error("memlab keeps at most {MAX_HANDLES} handles: free some first")]
    TooManyHandles,
    #[error(
        "GlobalHandle: {0:#x} is not the start of a block of the global heap (ERROR_INVALID_HANDLE)"
    )]
    NoBlockAt(usize),
    #[error("{0} has no kept pointer: lock it first (GlobalLock gives the pointer)")]
    NothingKept(Handle),
    #[error("memlab's global heap could not be mapped ({bytes} bytes): {message}")]
    Map {
        bytes: usize,
        errno: i32,
        message: String,
    },
    /// Windows: a real call failed, with GetLastError's code.
    #[error("{call} failed: {message} (Windows error {code})")]
    Os {
        call: &'static str,
        code: u32,
        message: String,
    },
}

impl GlobalError {
    /// The Win32 rule or error code the failure stands for (the JSON's `win32`).
    pub fn win32(&self) -> &'static str {
        match self {
            Self::NoSuchHandle(_) | Self::StaleHandle(_) | Self::NoBlockAt(_) => {
                "ERROR_INVALID_HANDLE"
            }
            Self::NotLocked { .. } => "ERROR_NOT_LOCKED",
            Self::LockDiscarded(_) => "GlobalLock returns NULL for a discarded block",
            Self::LockCountFull(_) => "GMEM_LOCKCOUNT",
            Self::FreeLocked { .. } => "GlobalFree of a locked block",
            Self::DiscardLocked { .. } => "GlobalDiscard of a locked block",
            Self::DiscardFixed(_) => "GlobalDiscard of a GMEM_FIXED block",
            Self::ModifyFixed(_) => "GMEM_DISCARDABLE on a GMEM_FIXED block",
            Self::CannotMove { .. } | Self::NotEnoughMemory { .. } | Self::TooLarge { .. } => {
                "ERROR_NOT_ENOUGH_MEMORY"
            }
            Self::TooManyHandles => "ERROR_NOT_ENOUGH_MEMORY",
            Self::NothingKept(_) => "no pointer from GlobalLock",
            Self::Map { .. } => "ERROR_NOT_ENOUGH_MEMORY",
            Self::Os { call, .. } => call,
        }
    }
}

impl HasKind for GlobalError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::NoSuchHandle(_) | Self::StaleHandle(_) | Self::NoBlockAt(_) => {
                ErrorKind::NotFound
            }
            Self::NotLocked { .. }
            | Self::LockDiscarded(_)
            | Self::LockCountFull(_)
            | Self::FreeLocked { .. }
            | Self::DiscardLocked { .. }
            | Self::DiscardFixed(_)
            | Self::ModifyFixed(_)
            | Self::TooLarge { .. }
            | Self::NothingKept(_) => ErrorKind::Usage,
            Self::CannotMove { .. } | Self::NotEnoughMemory { .. } | Self::TooManyHandles => {
                ErrorKind::NoSpace
            }
            // A memory limit (RLIMIT_AS, the commit limit) refused the heap.
            Self::Map { errno, .. } if *errno == libc::ENOMEM => ErrorKind::NoSpace,
            Self::Map { .. } => ErrorKind::Os,
            // ERROR_NOT_ENOUGH_MEMORY, ERROR_OUTOFMEMORY.
            Self::Os { code: 8 | 14, .. } => ErrorKind::NoSpace,
            // ERROR_INVALID_HANDLE.
            Self::Os { code: 6, .. } => ErrorKind::NotFound,
            Self::Os { .. } => ErrorKind::Os,
        }
    }
}
