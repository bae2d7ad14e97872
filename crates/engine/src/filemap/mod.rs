//! The chapter's file mapping (§8) on a real file, step by step: open the
//! file exclusively, create a mapping of a chosen size, map views at offsets,
//! read and write through them, flush, unmap, close, set the end of file.
//!
//! The session, the plan, the errors and the reports are the same on every
//! OS; the calls are per OS, behind one API: `linux` (what each Win32 call
//! became there, said once in the lab's help, the app's
//! `src/forms/filemap/help.rs`, quoted by `docs/labs/filemap.md`) and
//! `windows` (the book's own calls; `help_windows.rs`). [`Step::os_call`]
//! names the call each step made. On Linux every byte of a view is reached
//! through `crate::os::probe`, after a check of the file's length, so a
//! file shortened by another process is an error value
//! ([`FileMapError::FileShortened`]) and never kills memlab with SIGBUS; on
//! Windows through `ReadProcessMemory`/`WriteProcessMemory`, and Windows
//! refuses to shorten a mapped file (`ERROR_USER_MAPPED_FILE`).

mod file;
mod messages;
#[cfg(test)]
mod messages_tests;
mod plan;
mod session;
mod view;

// The calls of §8 as made on each OS (Windows: the book's own).
#[cfg(target_os = "linux")]
mod linux;
#[cfg(windows)]
mod windows;
#[cfg(target_os = "linux")]
use linux as sys;
#[cfg(windows)]
use windows as sys;

use std::fmt;
use std::io;
use std::path::PathBuf;

use crate::error::{ErrorKind, HasKind};

pub use file::LockedFile;
pub use plan::Walkthrough;
pub use session::{
    Access, Disposition, EndOfFile, FileMapSession, Flushed, MappingCreated, MappingState,
    OpenRequest, Opened, RawCall, Sharing, Unaligned, ViewInfo, ViewMapped, Written,
};
pub use sys::{DEMO_FILE_NAME, FileHolder, data_dir, demo_file, granularity};

/// Windows' allocation granularity, the rule the book's view offsets follow.
pub const WINDOWS_GRANULARITY: u64 = 64 * 1024;

/// The step that failed, for [`FileMapError::Io`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Open,
    Lock,
    Stat,
    Grow,
    Map,
    ReadView,
    WriteView,
    ReadFile,
    Flush,
    SetEndOfFile,
    DataDir,
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Open => "opening",
            Self::Lock => "locking",
            Self::Stat => "reading the size of",
            Self::Grow => "growing",
            Self::Map => "mapping",
            Self::ReadView => "reading a view of",
            Self::WriteView => "writing a view of",
            Self::ReadFile => "reading",
            Self::Flush => "flushing",
            Self::SetEndOfFile => "setting the end of",
            Self::DataDir => "creating the data folder",
        })
    }
}

/// Why a file is read-only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadOnlyWhy {
    /// No write permission bit is set (Windows' read-only attribute).
    NoWriteBit,
    /// The file system is mounted read-only.
    FileSystem,
}

/// Everything that can go wrong in the file-mapping lab; data, not sentences
/// (the window shows their `Localized` text, the CLI prints `Display`).
#[derive(Debug, thiserror::Error)]
pub enum FileMapError {
    #[error("{} does not exist", path.display())]
    NotFound { path: PathBuf },
    #[error("{} is a directory, not a file", path.display())]
    IsADirectory { path: PathBuf },
    #[error("{} is not a regular file (a device, pipe or socket cannot be mapped here)", path.display())]
    NotRegularFile { path: PathBuf },
    #[error("{} is read-only ({}): open it read-only and map it with size 0 (the file's size)",
        path.display(),
        match why { ReadOnlyWhy::NoWriteBit => "no write permission bit", ReadOnlyWhy::FileSystem => "read-only file system" })]
    ReadOnly { path: PathBuf, why: ReadOnlyWhy },
    #[error("no permission to open {} (user id {uid})", path.display())]
    PermissionDenied { path: PathBuf, uid: u32 },
    #[error("{} is in use by {}: memlab opens a mapped file {}", path.display(),
        holder_text(holder.as_ref()),
        if *holder_shares { "exclusively, and other instances share it" } else { "exclusively (share mode 0)" })]
    InUse {
        path: PathBuf,
        holder: Option<FileHolder>,
        /// The holder opened it in "share with other instances" mode.
        holder_shares: bool,
    },
    #[error("{} is empty and a mapping of size 0 means \"the file's size\": there is nothing to map; give a size to grow the file (Windows fails the same way: ERROR_FILE_INVALID, 1006)", path.display())]
    EmptyFile { path: PathBuf },
    #[error("the disk is full: growing {} from {file_len} to {requested} bytes needs more space; the file was left at {file_len} bytes", path.display())]
    DiskFull {
        path: PathBuf,
        file_len: u64,
        requested: u64,
    },
    #[error("{requested} bytes is more than this system can map or store in one file")]
    TooLarge { requested: u64 },
    #[error("{}: {requested} bytes is past the file size limit of this process (ulimit -f: {limit} bytes); nothing was written", path.display())]
    FileSizeLimit {
        path: PathBuf,
        requested: u64,
        limit: u64,
    },
    #[error("{len} bytes at file offset {offset} run past the largest offset a file can have")]
    RangeOverflow { offset: u64, len: u64 },
    #[error("{} does not exist, and memlab creates no file under /dev, /proc or /sys", path.display())]
    SystemPath { path: PathBuf },
    #[error("{} does not exist and cannot be created: its file system is mounted read-only", path.display())]
    CannotCreate { path: PathBuf },
    #[error("{} is mapped by another memlab instance ({}): SetEndOfFile is refused while any process maps the file (Windows: ERROR_USER_MAPPED_FILE)",
        path.display(),
        pid.map_or_else(|| "PID unknown".to_owned(), |p| format!("PID {p}")))]
    MappedElsewhere { path: PathBuf, pid: Option<u32> },
    #[error(
        "the file was shortened to {file_len} bytes by someone else: bytes {start}..{end} are gone"
    )]
    FileShortened { file_len: u64, start: u64, end: u64 },
    #[error(
        "view #{view}: the page at file offset {file_offset} could not be reached (not backed by the disk: is it full?)"
    )]
    Unbacked { view: u32, file_offset: u64 },
    #[error(
        "a view at offset {offset} of {len} bytes does not fit the mapping of {mapping_size} bytes"
    )]
    ViewOutOfRange {
        offset: u64,
        len: u64,
        mapping_size: u64,
    },
    #[error("bytes {at}..{} are outside view #{view} ({view_len} bytes)", at.saturating_add(*len))]
    OutsideView {
        view: u32,
        at: u64,
        len: u64,
        view_len: u64,
    },
    #[error("no mapped view holds file bytes {offset}..{}", offset.saturating_add(*len))]
    NoViewAt { offset: u64, len: u64 },
    #[error("the file was opened read-only: {op} it needs read-write access")]
    ReadOnlyAccess { op: Op },
    #[error("a mapping of {size} bytes is already open: close it first")]
    MappingOpen { size: u64 },
    #[error("no mapping: create one first")]
    NoMapping,
    #[error("the mapping was closed: create a new one to map more views")]
    MappingClosed,
    #[error("the file was closed: open it again")]
    FileClosed,
    #[error("view #{view} was unmapped")]
    ViewClosed { view: u32 },
    #[error("there is no view #{view}")]
    NoSuchView { view: u32 },
    #[error("{views} view(s) still mapped{}: unmap them and close the mapping before setting the end of file (Windows: ERROR_USER_MAPPED_FILE)",
        if *mapping_open { " and the mapping still open" } else { "" })]
    StillMapped { views: usize, mapping_open: bool },
    #[error("no per-user data folder: neither XDG_DATA_HOME nor HOME is set")]
    NoDataDir,
    #[error("no per-user data folder: APPDATA is not set")]
    NoAppData,
    /// Windows: `CreateFileW` refused the file, which another process has
    /// open in a way that excludes this open.
    #[error("{} is open in another process{}: CreateFileW refused it with ERROR_SHARING_VIOLATION (32)",
        path.display(),
        match asked {
            Sharing::Exclusive => " and memlab opens a mapped file exclusively (share mode 0)",
            Sharing::Shared => " that opened it exclusively (share mode 0)",
        })]
    SharingViolation { path: PathBuf, asked: Sharing },
    /// Windows: `MapViewOfFile` refused an offset that is not a multiple
    /// of the allocation granularity.
    #[error(
        "MapViewOfFile refused offset {offset}: it is not a multiple of the allocation granularity ({granularity} bytes): ERROR_MAPPED_ALIGNMENT (1132)"
    )]
    MappedAlignment { offset: u64, granularity: u64 },
    /// Windows: `SetEndOfFile` refused while the file is mapped (a view,
    /// or a mapping object, here or in another process).
    #[error("SetEndOfFile on {} was refused with ERROR_USER_MAPPED_FILE (1224): {}",
        path.display(),
        if *own_views > 0 {
            format!("{own_views} view(s) of it are still mapped here: unmap them first")
        } else if *mapping_open {
            "its mapping is still open here: close it first".to_owned()
        } else {
            "another process maps it".to_owned()
        })]
    UserMappedFile {
        path: PathBuf,
        own_views: usize,
        mapping_open: bool,
    },
    #[error("{op} {} failed: {source}", path.display())]
    Io {
        op: Op,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

impl HasKind for FileMapError {
    fn kind(&self) -> ErrorKind {
        use ErrorKind as K;
        match self {
            Self::NotFound { .. } | Self::NoViewAt { .. } | Self::NoSuchView { .. } => K::NotFound,
            // memlab creates no file where it cannot or must not.
            Self::ReadOnly { .. }
            | Self::PermissionDenied { .. }
            | Self::SystemPath { .. }
            | Self::CannotCreate { .. } => K::Denied,
            Self::IsADirectory { .. }
            | Self::NotRegularFile { .. }
            | Self::EmptyFile { .. }
            | Self::TooLarge { .. }
            | Self::RangeOverflow { .. }
            | Self::ViewOutOfRange { .. }
            | Self::OutsideView { .. }
            | Self::ReadOnlyAccess { .. }
            | Self::MappingOpen { .. }
            | Self::NoMapping
            | Self::MappingClosed
            | Self::FileClosed
            | Self::ViewClosed { .. }
            | Self::StillMapped { .. }
            | Self::MappedAlignment { .. } => K::Usage,
            Self::UserMappedFile {
                own_views,
                mapping_open,
                ..
            } if *own_views > 0 || *mapping_open => K::Usage,
            Self::InUse { .. }
            | Self::MappedElsewhere { .. }
            | Self::SharingViolation { .. }
            | Self::UserMappedFile { .. } => K::Busy,
            Self::DiskFull { .. } | Self::FileSizeLimit { .. } | Self::Unbacked { .. } => {
                K::NoSpace
            }
            Self::FileShortened { .. } => K::Gone,
            Self::NoDataDir | Self::NoAppData => K::Unavailable,
            Self::Io { .. } => K::Os,
        }
    }
}

/// One step of §8 as the command line reports it: [`Step::os_call`] names
/// the call (or calls) this OS makes for it; on Windows the book's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Open {
        access: Access,
        sharing: Sharing,
        disposition: Disposition,
    },
    CreateMapping {
        /// The size asked for (0: the file's size).
        requested: u64,
        access: Access,
        /// The size the file grows to, if it grows.
        grows: Option<u64>,
    },
    MapView {
        offset: u64,
        len: u64,
        access: Access,
    },
    Write {
        file_offset: u64,
        len: u64,
    },
    Flush {
        view: u32,
    },
    Unmap {
        view: u32,
    },
    CloseMapping,
    SetEndOfFile {
        size: u64,
    },
    CloseFile,
}

impl Step {
    /// The step's name in `memlab filemap --json`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Open { .. } => "open",
            Self::CreateMapping { .. } => "mapping",
            Self::MapView { .. } => "view",
            Self::Write { .. } => "write",
            Self::Flush { .. } => "flush",
            Self::Unmap { .. } => "unmap",
            Self::CloseMapping => "close mapping",
            Self::SetEndOfFile { .. } => "set end of file",
            Self::CloseFile => "close file",
        }
    }

    /// The call (or calls) this OS makes for the step, with its arguments.
    pub fn os_call(&self) -> String {
        sys::os_call(self)
    }
}

/// Why a typed byte count was not understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ByteCountError {
    #[error("{text:?} is not a byte count (e.g. 4096, 64K, 1M, 0x1000)")]
    NotACount { text: String },
    #[error("{text:?} is too large")]
    TooLarge { text: String },
}

impl HasKind for ByteCountError {
    fn kind(&self) -> ErrorKind {
        ErrorKind::Usage
    }
}

/// A byte count as people type one: decimal, or hex with 0x, with an
/// optional K, M or G (KiB, MiB, GiB) after a decimal number.
pub fn parse_byte_count(text: &str) -> Result<u64, ByteCountError> {
    let t = text.trim();
    let (digits, unit) = match t.char_indices().last() {
        Some((i, c @ ('k' | 'K' | 'm' | 'M' | 'g' | 'G'))) if !t.starts_with("0x") => {
            let shift = match c.to_ascii_uppercase() {
                'K' => 10,
                'M' => 20,
                _ => 30,
            };
            (&t[..i], 1u64 << shift)
        }
        _ => (t, 1),
    };
    let value = match digits.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => digits.parse(),
    }
    .map_err(|_| ByteCountError::NotACount { text: text.into() })?;
    value
        .checked_mul(unit)
        .ok_or_else(|| ByteCountError::TooLarge { text: text.into() })
}

fn holder_text(holder: Option<&FileHolder>) -> String {
    match holder {
        Some(h) if h.is_memlab() => format!("memlab PID {}", h.pid),
        Some(h) => format!("PID {} ({})", h.pid, h.program),
        None => "another process".into(),
    }
}

impl FileMapError {
    pub(crate) fn io(op: Op, path: impl Into<PathBuf>, source: io::Error) -> Self {
        Self::Io {
            op,
            path: path.into(),
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_counts_parse() {
        assert_eq!(parse_byte_count("4096"), Ok(4096));
        assert_eq!(parse_byte_count(" 64K "), Ok(65536));
        assert_eq!(parse_byte_count("1M"), Ok(1 << 20));
        assert_eq!(parse_byte_count("2g"), Ok(2 << 30));
        assert_eq!(parse_byte_count("0x1000"), Ok(4096));
        for bad in ["-1", "12Q", "", "0xZZ", "K"] {
            assert!(
                matches!(parse_byte_count(bad), Err(ByteCountError::NotACount { .. })),
                "{bad:?}"
            );
        }
        assert!(matches!(
            parse_byte_count("99999999999999G"),
            Err(ByteCountError::TooLarge { .. })
        ));
    }
}
