//! `CreateFileW` with share mode 0, the book's "open it exclusively": a
//! second process opening the file is refused by Windows itself with
//! `ERROR_SHARING_VIOLATION` (or, in "share with other instances" mode,
//! `FILE_SHARE_READ | FILE_SHARE_WRITE`, refused only by an exclusive
//! holder). Windows does not say who holds a file, so no holder is named.

use std::fs::File;
use std::io;
use std::os::windows::ffi::OsStrExt;
use std::os::windows::fs::FileExt;
use std::os::windows::io::{AsRawHandle, FromRawHandle, RawHandle};
use std::path::Path;
use std::ptr;

use windows_sys::Win32::Foundation::{
    ERROR_ALREADY_EXISTS, ERROR_DISK_FULL, ERROR_FILE_NOT_FOUND, ERROR_PATH_NOT_FOUND,
    ERROR_SHARING_VIOLATION, ERROR_USER_MAPPED_FILE, ERROR_WRITE_PROTECT, GENERIC_READ,
    GENERIC_WRITE, GetLastError, HANDLE, INVALID_HANDLE_VALUE,
};
use windows_sys::Win32::Storage::FileSystem::{
    CreateFileW, FILE_ATTRIBUTE_NORMAL, FILE_BEGIN, FILE_SHARE_READ, FILE_SHARE_WRITE, OPEN_ALWAYS,
    OPEN_EXISTING, SetEndOfFile, SetFilePointerEx,
};

use crate::filemap::file::{LockedFile, check_kind};
use crate::filemap::session::{Access, Disposition, OpenRequest, Sharing};
use crate::filemap::{FileMapError, Op, ReadOnlyWhy};

/// Who holds a file memlab could not open. Windows' `ERROR_SHARING_VIOLATION`
/// names no one, so on Windows memlab never has one to show
/// ([`FileMapError::SharingViolation`] is the error there).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileHolder {
    pub pid: u32,
    pub program: String,
}

impl FileHolder {
    pub fn is_memlab(&self) -> bool {
        self.program.eq_ignore_ascii_case("memlab.exe") || self.program == "memlab"
    }
}

/// Nothing more to keep on Windows than the handle: Windows itself counts
/// the views of a file, and no change stamp is kept.
#[derive(Debug)]
pub struct FileState;

impl FileState {
    /// Nothing to tell others: they read the bytes in sight themselves.
    pub(in crate::filemap) fn wrote(&self) {}

    /// Windows counts the views of a file itself (`SetEndOfFile`'s
    /// `ERROR_USER_MAPPED_FILE`, in every process): nothing to tell others.
    pub(in crate::filemap) fn publish_mapping(&self, _maps: bool) {}

    /// No change stamp on Windows: the window follows other instances'
    /// writes by reading the bytes in sight (four times a second).
    pub(in crate::filemap) fn change_stamp(&self) -> Option<u64> {
        None
    }
}

/// `CreateFileW(path, GENERIC_READ [| GENERIC_WRITE], share mode,
/// NULL, OPEN_ALWAYS or OPEN_EXISTING, ...)`; `true` if it was created.
pub(in crate::filemap) fn open_file(
    path: &Path,
    request: OpenRequest,
) -> Result<(File, bool, FileState), FileMapError> {
    let writable = request.access == Access::ReadWrite;
    match std::fs::metadata(path) {
        Ok(meta) => {
            check_kind(path, &meta)?;
            if writable && meta.permissions().readonly() {
                return Err(FileMapError::ReadOnly {
                    path: path.into(),
                    why: ReadOnlyWhy::NoWriteBit,
                });
            }
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            // A read-only open cannot create the file either.
            if request.disposition == Disposition::OpenExisting || !writable {
                return Err(FileMapError::NotFound { path: path.into() });
            }
        }
        // CreateFileW says what is wrong.
        Err(_) => {}
    }
    let access = if writable {
        GENERIC_READ | GENERIC_WRITE
    } else {
        GENERIC_READ
    };
    let share = match request.sharing {
        Sharing::Exclusive => 0,
        Sharing::Shared => FILE_SHARE_READ | FILE_SHARE_WRITE,
    };
    let disposition = match request.disposition {
        Disposition::OpenOrCreate if writable => OPEN_ALWAYS,
        _ => OPEN_EXISTING,
    };
    let wide: Vec<u16> = path
        .as_os_str()
        .encode_wide()
        .chain(std::iter::once(0))
        .collect();
    // SAFETY: `wide` is a NUL-terminated UTF-16 path that outlives the
    // call; no security attributes and no template file.
    let handle = unsafe {
        CreateFileW(
            wide.as_ptr(),
            access,
            share,
            ptr::null(),
            disposition,
            FILE_ATTRIBUTE_NORMAL,
            ptr::null_mut(),
        )
    };
    // OPEN_ALWAYS sets ERROR_ALREADY_EXISTS when the file was there.
    // SAFETY: reads this thread's last error, set by the call above.
    let last = unsafe { GetLastError() };
    if handle == INVALID_HANDLE_VALUE {
        return Err(open_error(
            path,
            request.sharing,
            io::Error::from_raw_os_error(last as i32),
        ));
    }
    // SAFETY: a handle CreateFileW just returned, owned by nothing
    // else: the `File` closes it (CloseHandle) when dropped.
    let file = unsafe { File::from_raw_handle(handle as RawHandle) };
    let created = disposition == OPEN_ALWAYS && last != ERROR_ALREADY_EXISTS;
    let meta = file
        .metadata()
        .map_err(|e| FileMapError::io(Op::Stat, path, e))?;
    check_kind(path, &meta)?;
    Ok((file, created, FileState))
}

/// One `ReadFile` at an offset, for [`LockedFile::read_at`]; reading past
/// the end of the file (`ERROR_HANDLE_EOF`) reads nothing.
pub(in crate::filemap) fn read_once(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    match file.seek_read(buf, offset) {
        Err(e) if e.raw_os_error() == Some(38) => Ok(0),
        read => read,
    }
}

/// The calls Windows makes its own way (`SetEndOfFile` on the handle).
impl LockedFile {
    pub(crate) fn raw(&self) -> HANDLE {
        self.file.as_raw_handle() as HANDLE
    }

    /// `SetFilePointerEx` + `SetEndOfFile`, as the book does; Windows
    /// refuses it with `ERROR_USER_MAPPED_FILE` while the file is mapped
    /// (`own_views` views and the mapping if `mapping_open` by this instance).
    pub(crate) fn set_end_of_file(
        &self,
        size: u64,
        own_views: usize,
        mapping_open: bool,
    ) -> Result<(), FileMapError> {
        let Ok(distance) = i64::try_from(size) else {
            return Err(FileMapError::TooLarge { requested: size });
        };
        // SAFETY: the handle is open (owned by `self.file`); the new
        // position is not asked for (NULL).
        let moved = unsafe { SetFilePointerEx(self.raw(), distance, ptr::null_mut(), FILE_BEGIN) };
        // SAFETY: as above.
        if moved == 0 || unsafe { SetEndOfFile(self.raw()) } == 0 {
            let e = io::Error::last_os_error();
            return Err(match e.raw_os_error().map(|c| c as u32) {
                Some(ERROR_USER_MAPPED_FILE) => FileMapError::UserMappedFile {
                    path: self.path.clone(),
                    own_views,
                    mapping_open,
                },
                Some(ERROR_DISK_FULL) => FileMapError::DiskFull {
                    path: self.path.clone(),
                    file_len: self.size().unwrap_or(0),
                    requested: size,
                },
                _ => FileMapError::io(Op::SetEndOfFile, &self.path, e),
            });
        }
        Ok(())
    }
}

/// A size a file may be set to: one `LARGE_INTEGER` (Windows has no file
/// size limit per process).
pub(crate) fn check_new_size(_path: &Path, size: u64) -> Result<i64, FileMapError> {
    i64::try_from(size).map_err(|_| FileMapError::TooLarge { requested: size })
}

/// Linux's /dev, /proc and /sys have no counterpart to refuse here: a
/// device path (`\\.\...`) is not a regular file, which opening says.
pub(crate) fn in_system_folder(_path: &Path) -> bool {
    false
}

fn open_error(path: &Path, asked: Sharing, e: io::Error) -> FileMapError {
    let path = path.to_path_buf();
    match e.raw_os_error().map(|c| c as u32) {
        Some(ERROR_SHARING_VIOLATION) => FileMapError::SharingViolation { path, asked },
        Some(ERROR_FILE_NOT_FOUND | ERROR_PATH_NOT_FOUND) => FileMapError::NotFound { path },
        Some(ERROR_WRITE_PROTECT) => FileMapError::ReadOnly {
            path,
            why: ReadOnlyWhy::FileSystem,
        },
        _ => FileMapError::io(Op::Open, path, e),
    }
}
