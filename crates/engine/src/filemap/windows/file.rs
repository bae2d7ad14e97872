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
use std::path::{Path, PathBuf};
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

/// A file opened by `CreateFileW`. Views keep it (through an `Arc`), as
/// Windows keeps a mapped file in use while any view of it is mapped.
#[derive(Debug)]
pub struct LockedFile {
    file: File,
    path: PathBuf,
    access: Access,
    sharing: Sharing,
}

impl LockedFile {
    /// `CreateFileW(path, GENERIC_READ [| GENERIC_WRITE], share mode,
    /// NULL, OPEN_ALWAYS or OPEN_EXISTING, ...)`; `true` if it was created.
    pub fn open(path: &Path, request: OpenRequest) -> Result<(Self, bool), FileMapError> {
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
        Ok((
            Self {
                file,
                path: path.into(),
                access: request.access,
                sharing: request.sharing,
            },
            created,
        ))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn access(&self) -> Access {
        self.access
    }

    pub fn sharing(&self) -> Sharing {
        self.sharing
    }

    pub(crate) fn raw(&self) -> HANDLE {
        self.file.as_raw_handle() as HANDLE
    }

    /// The file's size now (another process may have changed it).
    pub fn size(&self) -> Result<u64, FileMapError> {
        self.file
            .metadata()
            .map(|m| m.len())
            .map_err(|e| FileMapError::io(Op::Stat, &self.path, e))
    }

    /// An ordinary read (`ReadFile` at an offset), for comparison with a
    /// view; returns the bytes read, fewer than asked at the end of the file.
    pub fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize, FileMapError> {
        let mut done = 0;
        while done < buf.len() {
            match self.file.seek_read(&mut buf[done..], offset + done as u64) {
                Ok(0) => break,
                Ok(n) => done += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                // ReadFile past the end of the file.
                Err(e) if e.raw_os_error() == Some(38) => break,
                Err(e) => return Err(FileMapError::io(Op::ReadFile, &self.path, e)),
            }
        }
        Ok(done)
    }

    /// Windows counts the views of a file itself (`SetEndOfFile`'s
    /// `ERROR_USER_MAPPED_FILE`, in every process): nothing to tell others.
    pub(crate) fn publish_mapping(&self, _maps: bool) {}

    /// No change stamp on Windows: the window follows other instances'
    /// writes by reading the bytes in sight (four times a second).
    pub(crate) fn change_stamp(&self) -> Option<u64> {
        None
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

fn check_kind(path: &Path, meta: &std::fs::Metadata) -> Result<(), FileMapError> {
    if meta.is_dir() {
        Err(FileMapError::IsADirectory { path: path.into() })
    } else if !meta.is_file() {
        Err(FileMapError::NotRegularFile { path: path.into() })
    } else {
        Ok(())
    }
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
