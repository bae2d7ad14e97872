//! The heap lab's failures: the Win32 rule a step broke, or what the
//! system refused, with the class each is (its exit code) and the Win32
//! call it is about. Their Korean is in `messages`.

use crate::error::{ErrorKind, HasKind};
use crate::format::format_bytes;

use super::{BlockId, DamageKind, HeapId, MAX_BLOCKS, MAX_COMMIT, MAX_HEAPS, MAX_RESERVE};

/// A step of the heap lab that failed, with the Win32 rule it broke or
/// what the system refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeapError {
    #[error("{0} does not exist (never created, or destroyed by HeapDestroy)")]
    NoSuchHeap(HeapId),
    #[error("{heap} has no {block} (never allocated, or freed by HeapFree)")]
    NoSuchBlock { heap: HeapId, block: BlockId },
    #[error(
        "HeapCreate: the initial size ({}) is larger than the maximum ({})",
        format_bytes(*initial),
        format_bytes(*maximum)
    )]
    InitialAboveMaximum { initial: u64, maximum: u64 },
    #[error(
        "HeapCreate: memlab makes heaps of at most {} (asked for {})",
        format_bytes(MAX_RESERVE),
        format_bytes(*bytes)
    )]
    HeapTooLarge { bytes: u64 },
    #[error(
        "{call}: memlab's heaps may commit at most {} in all and have {} committed: {} more refused",
        format_bytes(MAX_COMMIT),
        format_bytes(*committed),
        format_bytes(*bytes)
    )]
    CommitLimit {
        call: &'static str,
        bytes: u64,
        committed: u64,
    },
    #[error("memlab keeps at most {MAX_HEAPS} heaps: destroy one first")]
    TooManyHeaps,
    #[error("memlab keeps at most {MAX_BLOCKS} blocks in one heap: free some first")]
    TooManyBlocks { heap: HeapId },
    #[error(
        "HeapAlloc: memory is short (STATUS_NO_MEMORY): {heap} {} and has no free block of {} \
         (largest free block {})",
        if *maximum == 0 { format!("cannot grow past memlab's limit of {}", format_bytes(MAX_RESERVE)) }
        else { format!("is fixed at its maximum of {}", format_bytes(*maximum)) },
        format_bytes(*bytes),
        format_bytes(*largest_free)
    )]
    NoMemory {
        heap: HeapId,
        bytes: u64,
        maximum: u64,
        largest_free: u64,
    },
    #[error(
        "HeapReAlloc(HEAP_REALLOC_IN_PLACE_ONLY): {heap}'s {block} cannot grow to {} where it is \
         (the bytes after it are not free): STATUS_NO_MEMORY, the block is unchanged",
        format_bytes(*bytes)
    )]
    NotInPlace {
        heap: HeapId,
        block: BlockId,
        bytes: u64,
    },
    #[error(
        "{call}: {heap}'s {block} at {address:#x} is damaged (its {} was overwritten): the heap \
         refuses it, as Windows stops a process on heap corruption",
        match what { DamageKind::Header => "header", DamageKind::Tail => "tail check" }
    )]
    Damaged {
        call: &'static str,
        heap: HeapId,
        block: BlockId,
        address: usize,
        what: DamageKind,
    },
    #[error("HeapCreate: memory is short: the system refused to reserve {} ({errno_text})", format_bytes(*bytes))]
    ReserveRefused {
        bytes: u64,
        errno: i32,
        errno_text: String,
    },
    #[error(
        "memory is short: the system refused to commit {} more (the commit limit, or RLIMIT_AS)",
        format_bytes(*bytes)
    )]
    CommitRefused { bytes: u64 },
    #[error(
        "{call}: memlab wrote past a block's end in {heap} (at {at:#x}) and calls nothing that \
         changes it any more: Windows ends a process whose heap it finds corrupt \
         (STATUS_HEAP_CORRUPTION). HeapValidate still reads it; HeapDestroy gives it back"
    )]
    Overrun {
        call: &'static str,
        heap: HeapId,
        at: usize,
    },
    #[error("{call} failed: {errno_text}")]
    Os {
        call: &'static str,
        errno: i32,
        errno_text: String,
    },
    #[error("cannot read {file}: {reason}")]
    Read { file: &'static str, reason: String },
}

impl HasKind for HeapError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::NoSuchHeap(_) | Self::NoSuchBlock { .. } => ErrorKind::NotFound,
            Self::InitialAboveMaximum { .. }
            | Self::HeapTooLarge { .. }
            | Self::TooManyHeaps
            | Self::TooManyBlocks { .. } => ErrorKind::Usage,
            Self::NoMemory { .. }
            | Self::CommitLimit { .. }
            | Self::NotInPlace { .. }
            | Self::ReserveRefused { .. }
            | Self::CommitRefused { .. } => ErrorKind::NoSpace,
            Self::Damaged { .. } | Self::Overrun { .. } => ErrorKind::Corrupt,
            Self::Os { .. } | Self::Read { .. } => ErrorKind::Os,
        }
    }
}

impl HeapError {
    /// The Win32 function whose rule the error is about, for the JSON's
    /// `"error"` and the form.
    pub fn win32(&self) -> &'static str {
        match self {
            Self::NoSuchHeap(_) => "HeapAlloc (invalid heap handle)",
            Self::NoSuchBlock { .. } => "HeapFree (invalid pointer)",
            Self::InitialAboveMaximum { .. }
            | Self::HeapTooLarge { .. }
            | Self::TooManyHeaps
            | Self::ReserveRefused { .. } => "HeapCreate",
            Self::TooManyBlocks { .. } | Self::NoMemory { .. } | Self::CommitRefused { .. } => {
                "HeapAlloc"
            }
            Self::NotInPlace { .. } => "HeapReAlloc",
            Self::Damaged { call, .. }
            | Self::Overrun { call, .. }
            | Self::Os { call, .. }
            | Self::CommitLimit { call, .. } => call,
            Self::Read { .. } => "",
        }
    }
}
