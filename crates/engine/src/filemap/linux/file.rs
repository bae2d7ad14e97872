//! `CreateFile` with share mode 0: the file is opened and locked with flock,
//! exclusively (or shared, in "share with other instances" mode), so a
//! second memlab gets "in use by memlab PID N" instead of silently sharing.
//!
//! flock belongs to the open file description and the kernel drops it when
//! the holder dies, whatever the death; /proc/locks names the holder's PID.

use std::fs::{File, OpenOptions, TryLockError};
use std::io;
use std::os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use rustix::fs::FallocateFlags;
use rustix::io::Errno;

use super::changes::ChangeStamp;
use crate::filemap::file::{LockedFile, check_kind};
use crate::filemap::session::{Access, Disposition, OpenRequest, Sharing};
use crate::filemap::{FileMapError, Op, ReadOnlyWhy};
use crate::os::claims::flock_holder;

/// What a file keeps on Linux besides the descriptor: the change stamp,
/// when it could be set up (following other instances' writes is a
/// convenience: memlab works without it).
#[derive(Debug)]
pub struct FileState {
    stamp: Option<ChangeStamp>,
}

impl FileState {
    /// A view of this file was written: moves the change stamp, so that
    /// the other instances sharing the file read it again.
    pub(in crate::filemap) fn wrote(&self) {
        if let Some(stamp) = &self.stamp {
            let _ = stamp.bump();
        }
    }

    /// Tells the other instances whether this one maps the file now.
    pub(in crate::filemap) fn publish_mapping(&self, maps: bool) {
        if let Some(stamp) = &self.stamp {
            let _ = stamp.set_mapping(maps);
        }
    }

    /// The change stamp's value now (see [`ChangeStamp`]).
    pub(in crate::filemap) fn change_stamp(&self) -> Option<u64> {
        self.stamp.as_ref()?.read().ok()
    }
}

/// Opens (or creates) `path` and locks it with flock; `true` if it was created.
pub(in crate::filemap) fn open_file(
    path: &Path,
    request: OpenRequest,
) -> Result<(File, bool, FileState), FileMapError> {
    let writable = request.access == Access::ReadWrite;
    let exists = match std::fs::metadata(path) {
        Ok(meta) => {
            check_kind(path, &meta)?;
            if writable && meta.permissions().mode() & 0o222 == 0 {
                return Err(FileMapError::ReadOnly {
                    path: path.into(),
                    why: ReadOnlyWhy::NoWriteBit,
                });
            }
            true
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            // A read-only open cannot create the file either.
            if request.disposition == Disposition::OpenExisting || !writable {
                return Err(FileMapError::NotFound { path: path.into() });
            }
            // /dev/mem on a machine without one is not a file to make.
            if in_system_folder(path) {
                return Err(FileMapError::SystemPath { path: path.into() });
            }
            false
        }
        Err(e) => return Err(open_error(path, e)),
    };
    let mut options = OpenOptions::new();
    // O_NONBLOCK: opening a FIFO that appeared since the check never blocks.
    options
        .read(true)
        .write(writable)
        .custom_flags(libc::O_NONBLOCK)
        .mode(0o644);
    if !exists {
        options.create_new(true);
    }
    let (file, created) = match options.open(path) {
        Ok(file) => (file, !exists),
        // Someone created it between the check and the open.
        Err(e) if !exists && e.kind() == io::ErrorKind::AlreadyExists => {
            options.create_new(false);
            (options.open(path).map_err(|e| open_error(path, e))?, false)
        }
        // Opening a file read-only would not help: there is none.
        Err(e) if !exists && e.raw_os_error() == Some(libc::EROFS) => {
            return Err(FileMapError::CannotCreate { path: path.into() });
        }
        Err(e) => return Err(open_error(path, e)),
    };
    let meta = file
        .metadata()
        .map_err(|e| FileMapError::io(Op::Stat, path, e))?;
    check_kind(path, &meta)?;
    let locked = match request.sharing {
        Sharing::Exclusive => file.try_lock(),
        Sharing::Shared => file.try_lock_shared(),
    };
    match locked {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let holder = flock_holder(&file);
            return Err(FileMapError::InUse {
                path: path.into(),
                holder_shares: holder.as_ref().is_some_and(|(_, shared)| *shared),
                holder: holder.map(|(h, _)| h),
            });
        }
        Err(TryLockError::Error(e)) => return Err(FileMapError::io(Op::Lock, path, e)),
    }
    // Following other instances' writes is a convenience: memlab works without it.
    let stamp = ChangeStamp::open(meta.dev(), meta.ino()).ok();
    Ok((file, created, FileState { stamp }))
}

/// One `pread`, for [`LockedFile::read_at`].
pub(in crate::filemap) fn read_once(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    file.read_at(buf, offset)
}

/// The calls Linux has its own way of making (flock, fallocate, ftruncate
/// under the change stamp's gate).
impl LockedFile {
    pub(crate) fn file(&self) -> &File {
        &self.file
    }

    /// Grows the file to `size` bytes with every block reserved
    /// (`fallocate`), so that a full disk is reported now; on failure the
    /// file is put back to its size before. A file system that reserves no
    /// blocks (EOPNOTSUPP) gets the size alone, as `SetEndOfFile` gives it:
    /// a full disk then shows when a page is reached (`Unbacked`).
    pub(crate) fn grow(&self, size: u64) -> Result<(), FileMapError> {
        let before = self.size()?;
        check_new_size(&self.path, size)?;
        let rc = match rustix::fs::fallocate(&self.file, FallocateFlags::empty(), 0, size) {
            Ok(()) => return Ok(()),
            Err(Errno::OPNOTSUPP) => match self.file.set_len(size) {
                Ok(()) => return Ok(()),
                Err(e) => e.raw_os_error().unwrap_or(libc::EIO),
            },
            Err(e) => e.raw_os_error(),
        };
        if self.size().is_ok_and(|now| now != before) {
            // Nothing of ours maps the new part yet: putting the size back loses nothing.
            let _ = self.file.set_len(before);
        }
        Err(match rc {
            libc::ENOSPC | libc::EDQUOT => FileMapError::DiskFull {
                path: self.path.clone(),
                file_len: before,
                requested: size,
            },
            libc::EFBIG => too_large(&self.path, size),
            _ => FileMapError::io(Op::Grow, &self.path, io::Error::from_raw_os_error(rc)),
        })
    }

    /// `SetFilePointer` + `SetEndOfFile`.
    pub(crate) fn set_len(&self, size: u64) -> Result<(), FileMapError> {
        check_new_size(&self.path, size)?;
        self.file.set_len(size).map_err(|e| match e.raw_os_error() {
            Some(libc::EFBIG | libc::EINVAL) => too_large(&self.path, size),
            Some(libc::ENOSPC | libc::EDQUOT) => FileMapError::DiskFull {
                path: self.path.clone(),
                file_len: self.size().unwrap_or(0),
                requested: size,
            },
            _ => FileMapError::io(Op::SetEndOfFile, &self.path, e),
        })
    }

    /// The change stamp, when it could be set up: it moves on every write
    /// any memlab instance makes through a view of this file.
    pub(crate) fn stamp(&self) -> Option<&ChangeStamp> {
        self.os.stamp.as_ref()
    }

    /// `SetEndOfFile`: another instance sharing the file may map it, so it
    /// is checked and the file cut under the gate that instance marks
    /// itself under (see `changes`).
    /// (`_own_views` and `_mapping_open` are Windows' to report: here
    /// `check_unmapped` refused before.)
    pub(crate) fn set_end_of_file(
        &self,
        size: u64,
        _own_views: usize,
        _mapping_open: bool,
    ) -> Result<(), FileMapError> {
        let cut = || self.set_len(size);
        match self.stamp() {
            Some(stamp) => stamp
                .with_others_mapping(|others| match others.first() {
                    Some(&pid) => Err(FileMapError::MappedElsewhere {
                        path: self.path.clone(),
                        pid: Some(pid),
                    }),
                    None => cut(),
                })
                .map_err(|e| FileMapError::io(Op::SetEndOfFile, &self.path, io::Error::other(e)))?,
            None => cut(),
        }
    }
}

/// A size a file may be set to: one `off_t` holds (`set_len` of a larger
/// one fails with Rust's "out of range integral type conversion"), and not
/// past the file size limit (which would raise SIGXFSZ, or EFBIG).
pub(crate) fn check_new_size(path: &Path, size: u64) -> Result<libc::off_t, FileMapError> {
    let Ok(off) = libc::off_t::try_from(size) else {
        return Err(FileMapError::TooLarge { requested: size });
    };
    match crate::os::file_size_limit::file_size_limit() {
        Some(limit) if size > limit => Err(FileMapError::FileSizeLimit {
            path: path.into(),
            requested: size,
            limit,
        }),
        _ => Ok(off),
    }
}

/// EFBIG: past the file size limit if there is one that small, else more
/// than the file system can hold.
fn too_large(path: &Path, size: u64) -> FileMapError {
    match crate::os::file_size_limit::file_size_limit() {
        Some(limit) if size > limit => FileMapError::FileSizeLimit {
            path: path.into(),
            requested: size,
            limit,
        },
        _ => FileMapError::TooLarge { requested: size },
    }
}

/// True when `path`'s folder is (under) /dev, /proc or /sys, which hold
/// devices and kernel files, never a file memlab should create.
pub(crate) fn in_system_folder(path: &Path) -> bool {
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let folder = std::fs::canonicalize(&folder).unwrap_or(folder);
    ["/dev", "/proc", "/sys"]
        .iter()
        .any(|system| folder.starts_with(system))
}

fn open_error(path: &Path, e: io::Error) -> FileMapError {
    let path = path.to_path_buf();
    match e.raw_os_error() {
        Some(libc::ENOENT | libc::ENOTDIR) => FileMapError::NotFound { path },
        Some(libc::EISDIR) => FileMapError::IsADirectory { path },
        Some(libc::EACCES | libc::EPERM) => FileMapError::PermissionDenied {
            path,
            uid: rustix::process::geteuid().as_raw(),
        },
        Some(libc::EROFS) => FileMapError::ReadOnly {
            path,
            why: ReadOnlyWhy::FileSystem,
        },
        _ => FileMapError::io(Op::Open, path, e),
    }
}
