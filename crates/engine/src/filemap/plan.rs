//! A whole walk-through checked before any of it is done (`memlab filemap`
//! takes every step from its arguments at once): a size, view or write that
//! cannot be done is refused before the file is created, grown or changed,
//! so a refused command leaves everything as it was.

use std::io;
use std::path::Path;

use super::session::{Access, Disposition, OpenRequest};
use super::sys::{check_new_size, check_view_offset, in_system_folder};
use super::{FileMapError, Op};

/// The steps a command asks for, in the book's order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Walkthrough {
    /// CreateFileMapping's size (0: the file's size).
    pub size: u64,
    /// MapViewOfFile's (offset, length) of each view (length 0: to the end).
    pub views: Vec<(u64, u64)>,
    /// A write of this many bytes at this file offset, through a view.
    pub write: Option<(u64, u64)>,
    /// SetEndOfFile's size, after the views and the mapping are closed.
    pub set_eof: Option<u64>,
}

impl Walkthrough {
    /// Checks every step against the file as it is now (or its absence),
    /// without opening, creating or changing anything.
    pub fn check(&self, path: &Path, request: OpenRequest) -> Result<(), FileMapError> {
        let writable = request.access == Access::ReadWrite;
        let file_len = match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => {
                return Err(FileMapError::IsADirectory { path: path.into() });
            }
            Ok(meta) if !meta.is_file() => {
                return Err(FileMapError::NotRegularFile { path: path.into() });
            }
            Ok(meta) => meta.len(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                if request.disposition == Disposition::OpenExisting || !writable {
                    return Err(FileMapError::NotFound { path: path.into() });
                }
                if in_system_folder(path) {
                    return Err(FileMapError::SystemPath { path: path.into() });
                }
                0
            }
            // Opening says what is wrong (permission, a bad folder...).
            Err(_) => return Ok(()),
        };
        let mapping = match self.size {
            0 if file_len == 0 => return Err(FileMapError::EmptyFile { path: path.into() }),
            0 => file_len,
            n => n,
        };
        if mapping > file_len {
            if !writable {
                return Err(FileMapError::ReadOnlyAccess { op: Op::Grow });
            }
            if usize::try_from(mapping).is_err() {
                return Err(FileMapError::TooLarge { requested: mapping });
            }
            check_new_size(path, mapping)?;
        }
        let mut views = Vec::with_capacity(self.views.len());
        for &(offset, len) in &self.views {
            let len = if len == 0 {
                mapping.saturating_sub(offset)
            } else {
                len
            };
            let end = offset.checked_add(len);
            if len == 0 || end.is_none_or(|end| end > mapping) {
                return Err(FileMapError::ViewOutOfRange {
                    offset,
                    len,
                    mapping_size: mapping,
                });
            }
            check_view_offset(offset)?;
            views.push((offset, offset + len));
        }
        if let Some((offset, len)) = self.write {
            let end = offset
                .checked_add(len)
                .ok_or(FileMapError::RangeOverflow { offset, len })?;
            if !views.iter().any(|&(from, to)| offset >= from && end <= to) {
                return Err(FileMapError::NoViewAt { offset, len });
            }
            if !writable {
                return Err(FileMapError::ReadOnlyAccess { op: Op::WriteView });
            }
        }
        if let Some(size) = self.set_eof {
            if !writable {
                return Err(FileMapError::ReadOnlyAccess {
                    op: Op::SetEndOfFile,
                });
            }
            check_new_size(path, size)?;
        }
        Ok(())
    }
}
