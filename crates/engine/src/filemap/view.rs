//! One mapped view of the file, the same on every OS: its place in the
//! file, the checks before each copy, the errors a copy that stopped
//! short becomes. The memory itself is each OS's ([`sys::ViewMemory`]:
//! memmap2's `mmap` reached through `os::probe` on Linux, `MapViewOfFile`
//! reached through `ReadProcessMemory`/`WriteProcessMemory` on Windows).

use std::sync::Arc;
use std::time::Instant;

use super::file::LockedFile;
use super::session::{Access, Flushed, Unaligned};
use super::sys::{self, Mapping};
use super::{FileMapError, Op};

/// One mapped view of the file.
#[derive(Debug)]
pub(crate) struct View {
    pub id: u32,
    /// Declared before `file`, so dropped first: the view is unmapped
    /// before its last hold on the file (and Linux's flock) goes.
    memory: sys::ViewMemory,
    pub file: Arc<LockedFile>,
    /// File offset of the first byte.
    pub offset: u64,
    /// What an unaligned offset became (Linux); always `None` on Windows,
    /// which refuses one.
    pub unaligned: Option<Unaligned>,
}

impl View {
    /// Maps `len` bytes of the file from `offset` (`MapViewOfFile`).
    pub fn map(
        id: u32,
        file: Arc<LockedFile>,
        mapping: &Mapping,
        offset: u64,
        len: u64,
    ) -> Result<Self, FileMapError> {
        let Ok(len_usize) = usize::try_from(len) else {
            return Err(FileMapError::TooLarge { requested: len });
        };
        let (memory, unaligned) = sys::ViewMemory::map(&file, mapping, offset, len_usize)?;
        Ok(Self {
            id,
            memory,
            file,
            offset,
            unaligned,
        })
    }

    pub fn len(&self) -> u64 {
        self.memory.len() as u64
    }

    /// The address the OS handed out for the view's first byte.
    pub fn address(&self) -> usize {
        self.memory.address()
    }

    pub fn writable(&self) -> bool {
        self.file.access() == Access::ReadWrite
    }

    /// Bytes of the view that the file still backs (all of them unless
    /// someone shortened the file, which Windows refuses while it is mapped).
    pub fn backed_len(&self) -> Result<u64, FileMapError> {
        let file_len = self.file.size()?;
        Ok(file_len.saturating_sub(self.offset).min(self.len()))
    }

    /// Copies view bytes `at .. at + buf.len()` into `buf`.
    pub fn read(&self, at: u64, buf: &mut [u8]) -> Result<(), FileMapError> {
        self.check(at, buf.len())?;
        self.memory
            .read(at as usize, buf)
            .map_err(|copied| self.fault(at + copied as u64))
    }

    /// Copies `bytes` into the view at `at`.
    pub fn write(&self, at: u64, bytes: &[u8]) -> Result<(), FileMapError> {
        if !self.writable() {
            return Err(FileMapError::ReadOnlyAccess { op: Op::WriteView });
        }
        self.check(at, bytes.len())?;
        self.memory
            .write(at as usize, bytes)
            .map_err(|copied| self.fault(at + copied as u64))?;
        self.file.wrote();
        Ok(())
    }

    /// `FlushViewOfFile`: writes the view's dirty pages to the file (Linux
    /// waits for them: msync(MS_SYNC); Windows only starts).
    pub fn flush(&self) -> Result<Flushed, FileMapError> {
        if sys::FILE_MAY_SHRINK_UNDER_VIEWS {
            let backed = self.backed_len()?;
            if backed < self.len() {
                return Err(self.shortened(self.file.size()?, self.len()));
            }
        }
        let start = Instant::now();
        self.memory
            .flush()
            .map_err(|e| FileMapError::io(Op::Flush, self.file.path(), e))?;
        Ok(Flushed {
            view: self.id,
            bytes: self.len(),
            took: start.elapsed(),
        })
    }

    /// The range must lie in the view, and where a file may shrink under
    /// its views, in the file as it is now.
    fn check(&self, at: u64, len: usize) -> Result<(), FileMapError> {
        let len = len as u64;
        if at.checked_add(len).is_none_or(|end| end > self.len()) {
            return Err(FileMapError::OutsideView {
                view: self.id,
                at,
                len,
                view_len: self.len(),
            });
        }
        if sys::FILE_MAY_SHRINK_UNDER_VIEWS {
            let file_len = self.file.size()?;
            if self.offset + at + len > file_len {
                return Err(self.shortened(file_len, at + len));
            }
        }
        Ok(())
    }

    fn shortened(&self, file_len: u64, view_end: u64) -> FileMapError {
        FileMapError::FileShortened {
            file_len,
            start: file_len.max(self.offset),
            end: self.offset + view_end,
        }
    }

    /// The copy stopped at view byte `at`: the file shrank meanwhile (where
    /// it may), or the page has no storage behind it.
    fn fault(&self, at: u64) -> FileMapError {
        let unbacked = FileMapError::Unbacked {
            view: self.id,
            file_offset: self.offset + at,
        };
        if !sys::FILE_MAY_SHRINK_UNDER_VIEWS {
            return unbacked;
        }
        match self.file.size() {
            Ok(file_len) if file_len < self.offset + self.len() => {
                self.shortened(file_len, self.len())
            }
            Ok(_) => unbacked,
            Err(e) => e,
        }
    }
}
