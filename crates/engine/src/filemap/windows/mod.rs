//! The file-mapping lab on Windows, on the book's own calls: `CreateFileW`
//! with share mode 0 (`file`: a second opener gets
//! `ERROR_SHARING_VIOLATION`), `CreateFileMappingW` (a mapping object whose
//! size 0,0 is the file's and a larger one grows the file), `MapViewOfFile`
//! at offsets of the 64 KiB allocation granularity (an unaligned one is
//! `ERROR_MAPPED_ALIGNMENT`), `FlushViewOfFile`, `UnmapViewOfFile`
//! (`view`), and `SetEndOfFile`, which Windows itself refuses with
//! `ERROR_USER_MAPPED_FILE` while any view is mapped, in any process. The
//! demo file lives in memlab's data folder (`data_dir`).

mod data_dir;
mod file;
mod view;

use std::ptr;

use windows_sys::Win32::Foundation::{
    ERROR_ACCESS_DENIED, ERROR_COMMITMENT_LIMIT, ERROR_DISK_FULL, ERROR_FILE_INVALID,
    ERROR_NOT_ENOUGH_MEMORY,
};
use windows_sys::Win32::System::Memory::{CreateFileMappingW, PAGE_READONLY, PAGE_READWRITE};

use super::file::LockedFile;
use super::session::{Access, Disposition, Sharing};
use super::{FileMapError, Op, Step};
use crate::os::OwnedHandle;

pub use data_dir::{DEMO_FILE_NAME, data_dir, demo_file};
pub use file::FileHolder;
pub(super) use file::{FileState, check_new_size, in_system_folder, open_file, read_once};
pub use view::granularity;
pub(super) use view::{FILE_MAY_SHRINK_UNDER_VIEWS, ViewMemory};

/// The mapping object `CreateFileMappingW` made; `CloseHandle` when dropped
/// (its views stay mapped: Windows keeps the section while they are).
#[derive(Debug)]
pub(crate) struct Mapping(OwnedHandle);

impl Mapping {
    /// `CreateFileMappingW(file, NULL, PAGE_READWRITE, high, low, NULL)`:
    /// size 0 is the file's size; a size larger than the file grows it
    /// (Windows does it: `_grow` is only what the session expects).
    pub(crate) fn create(
        file: &LockedFile,
        requested: u64,
        _grow: Option<u64>,
    ) -> Result<Self, FileMapError> {
        let protect = match file.access() {
            Access::ReadWrite => PAGE_READWRITE,
            Access::ReadOnly => PAGE_READONLY,
        };
        let before = file.size()?;
        // SAFETY: the file handle is open (the `LockedFile` owns it); no
        // security attributes and no name; the result is checked below.
        let handle = unsafe {
            CreateFileMappingW(
                file.raw(),
                ptr::null(),
                protect,
                (requested >> 32) as u32,
                requested as u32,
                ptr::null(),
            )
        };
        OwnedHandle::new(handle)
            .map(Self)
            .map_err(|e| match e.raw_os_error().map(|c| c as u32) {
                Some(ERROR_DISK_FULL) => FileMapError::DiskFull {
                    path: file.path().into(),
                    file_len: before,
                    requested,
                },
                Some(ERROR_FILE_INVALID) => FileMapError::EmptyFile {
                    path: file.path().into(),
                },
                Some(ERROR_NOT_ENOUGH_MEMORY | ERROR_COMMITMENT_LIMIT) => {
                    FileMapError::TooLarge { requested }
                }
                Some(ERROR_ACCESS_DENIED) if requested > before => {
                    FileMapError::ReadOnlyAccess { op: Op::Grow }
                }
                _ => FileMapError::io(Op::Map, file.path(), e),
            })
    }

    pub(crate) fn raw(&self) -> windows_sys::Win32::Foundation::HANDLE {
        self.0.raw()
    }
}

/// Windows says itself when `SetEndOfFile` may not cut the file
/// (`ERROR_USER_MAPPED_FILE`, see [`LockedFile::set_end_of_file`]; under
/// wine also while only the mapping is open), so nothing is refused here.
pub(super) fn check_unmapped(_views: usize, _mapping_open: bool) -> Result<(), FileMapError> {
    Ok(())
}

/// `MapViewOfFile` refuses an offset that is not a multiple of the
/// allocation granularity (`ERROR_MAPPED_ALIGNMENT`): a plan says so
/// before anything is created or grown.
pub(super) fn check_view_offset(offset: u64) -> Result<(), FileMapError> {
    let granularity = granularity();
    if offset.is_multiple_of(granularity) {
        Ok(())
    } else {
        Err(FileMapError::MappedAlignment {
            offset,
            granularity,
        })
    }
}

/// The Win32 call (or calls) a step makes, for `memlab filemap --json`.
pub(super) fn os_call(step: &Step) -> String {
    let high = |n: u64| n >> 32;
    let low = |n: u64| n & 0xFFFF_FFFF;
    match *step {
        Step::Open {
            access,
            sharing,
            disposition,
        } => format!(
            "CreateFileW(path, {}, {}, NULL, {}, FILE_ATTRIBUTE_NORMAL, NULL)",
            match access {
                Access::ReadWrite => "GENERIC_READ | GENERIC_WRITE",
                Access::ReadOnly => "GENERIC_READ",
            },
            match sharing {
                Sharing::Exclusive => "0",
                Sharing::Shared => "FILE_SHARE_READ | FILE_SHARE_WRITE",
            },
            match disposition {
                Disposition::OpenOrCreate if access == Access::ReadWrite => "OPEN_ALWAYS",
                _ => "OPEN_EXISTING",
            }
        ),
        Step::CreateMapping {
            requested, access, ..
        } => format!(
            "CreateFileMappingW(file, NULL, {}, {}, {}, NULL)",
            match access {
                Access::ReadWrite => "PAGE_READWRITE",
                Access::ReadOnly => "PAGE_READONLY",
            },
            high(requested),
            low(requested)
        ),
        Step::MapView {
            offset,
            len,
            access,
        } => format!(
            "MapViewOfFile(mapping, {}, {}, {}, {len})",
            match access {
                Access::ReadWrite => "FILE_MAP_WRITE",
                Access::ReadOnly => "FILE_MAP_READ",
            },
            high(offset),
            low(offset)
        ),
        Step::Write { len, .. } => {
            format!("WriteProcessMemory(GetCurrentProcess(), view + offset, bytes, {len})")
        }
        Step::Flush { .. } => "FlushViewOfFile(view, length)".into(),
        Step::Unmap { .. } => "UnmapViewOfFile(view)".into(),
        Step::CloseMapping => "CloseHandle(mapping)".into(),
        Step::SetEndOfFile { size } => {
            format!("SetFilePointerEx(file, {size}, NULL, FILE_BEGIN) + SetEndOfFile(file)")
        }
        Step::CloseFile => "CloseHandle(file)".into(),
    }
}
