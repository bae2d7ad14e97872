//! The open file of the lab, the same on every OS: its path, access and
//! sharing, its size and ordinary reads for comparison with a view. How it
//! is opened and locked, grown and cut is each OS's (`sys::file`: flock and
//! fallocate on Linux, `CreateFileW`'s share mode and `SetEndOfFile` on
//! Windows), as is what else it keeps ([`sys::FileState`]: Linux's change
//! stamp; nothing on Windows).

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use super::session::{Access, Sharing};
use super::sys;
use super::{FileMapError, Op};

/// An open file, locked (Linux: flock) or opened with share mode 0
/// (Windows). Views keep it (through an `Arc`) so that it stays open and
/// locked while any of them is mapped, as Windows keeps a mapped file in use.
#[derive(Debug)]
pub struct LockedFile {
    pub(super) file: File,
    pub(super) path: PathBuf,
    pub(super) access: Access,
    pub(super) sharing: Sharing,
    pub(super) os: sys::FileState,
}

impl LockedFile {
    /// Opens (or creates) `path` the OS's way and locks it; `true` if it
    /// was created.
    pub fn open(path: &Path, request: super::OpenRequest) -> Result<(Self, bool), FileMapError> {
        let (file, created, os) = sys::open_file(path, request)?;
        Ok((
            Self {
                file,
                path: path.into(),
                access: request.access,
                sharing: request.sharing,
                os,
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

    /// The file's size now (another process may have changed it).
    pub fn size(&self) -> Result<u64, FileMapError> {
        self.file
            .metadata()
            .map(|m| m.len())
            .map_err(|e| FileMapError::io(Op::Stat, &self.path, e))
    }

    /// An ordinary read (Linux: `pread`; Windows: `ReadFile` at an offset),
    /// for comparison with a view; returns the bytes read, fewer than asked
    /// at the end of the file.
    pub fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize, FileMapError> {
        let mut done = 0;
        while done < buf.len() {
            match sys::read_once(&self.file, &mut buf[done..], offset + done as u64) {
                Ok(0) => break,
                Ok(n) => done += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(FileMapError::io(Op::ReadFile, &self.path, e)),
            }
        }
        Ok(done)
    }

    /// A view of this file was written (Linux: the change stamp moves).
    pub(crate) fn wrote(&self) {
        self.os.wrote();
    }

    /// Tells the other instances whether this one maps the file now
    /// (Linux: in the change stamp; Windows counts the views itself).
    pub(crate) fn publish_mapping(&self, maps: bool) {
        self.os.publish_mapping(maps);
    }

    /// A number that moves on every write any memlab instance makes
    /// through a view of this file (Linux's change stamp; `None` on
    /// Windows, where the window reads the bytes in sight instead).
    pub(crate) fn change_stamp(&self) -> Option<u64> {
        self.os.change_stamp()
    }
}

/// A directory or a device, pipe or socket is refused by name before and
/// after opening (something else may have taken the name meanwhile).
pub(super) fn check_kind(path: &Path, meta: &std::fs::Metadata) -> Result<(), FileMapError> {
    if meta.is_dir() {
        Err(FileMapError::IsADirectory { path: path.into() })
    } else if !meta.is_file() {
        Err(FileMapError::NotRegularFile { path: path.into() })
    } else {
        Ok(())
    }
}
