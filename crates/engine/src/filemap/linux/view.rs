//! `MapViewOfFile` / `UnmapViewOfFile` / `FlushViewOfFile`: one view of the
//! file, on memmap2, reached only through `crate::os::probe` after a check
//! of the file's length.

use std::sync::Arc;
use std::time::Instant;

use memmap2::{MmapOptions, MmapRaw};

use super::Mapping;
use super::file::LockedFile;
use crate::filemap::session::{Access, Flushed, RawCall, Unaligned};
use crate::filemap::{FileMapError, Op};
use crate::os::probe;

/// The granularity view offsets follow here: the page size (Windows: 64 KiB).
pub fn granularity() -> u64 {
    region::page::size() as u64
}

/// One mapped view of the file.
#[derive(Debug)]
pub(crate) struct View {
    pub id: u32,
    pub file: Arc<LockedFile>,
    map: MmapRaw,
    /// File offset of the first byte.
    pub offset: u64,
    pub unaligned: Option<Unaligned>,
}

impl View {
    /// Linux has no mapping object: `_mapping` only says one was created.
    pub fn map(
        id: u32,
        file: Arc<LockedFile>,
        _mapping: &Mapping,
        offset: u64,
        len: u64,
    ) -> Result<Self, FileMapError> {
        let Ok(len_usize) = usize::try_from(len) else {
            return Err(FileMapError::TooLarge { requested: len });
        };
        let mut options = MmapOptions::new();
        options.offset(offset).len(len_usize);
        let mapped = match file.access() {
            Access::ReadWrite => options.map_raw(file.file()),
            Access::ReadOnly => options.map_raw_read_only(file.file()),
        };
        let map = mapped.map_err(|e| match e.raw_os_error() {
            Some(libc::ENOMEM | libc::EOVERFLOW) => FileMapError::TooLarge { requested: len },
            _ => FileMapError::io(Op::Map, file.path(), e),
        })?;
        let granularity = granularity();
        let unaligned = (!offset.is_multiple_of(granularity)).then(|| Unaligned {
            offset,
            granularity,
            mapped_from: offset - offset % granularity,
            raw_mmap: raw_mmap(&file, offset, len_usize),
        });
        Ok(Self {
            id,
            file,
            map,
            offset,
            unaligned,
        })
    }

    pub fn len(&self) -> u64 {
        self.map.len() as u64
    }

    /// The address memmap2 handed out for the view's first byte.
    pub fn address(&self) -> usize {
        self.map.as_ptr() as usize
    }

    pub fn writable(&self) -> bool {
        self.file.access() == Access::ReadWrite
    }

    /// Bytes of the view that the file still backs (all of them unless
    /// someone shortened the file).
    pub fn backed_len(&self) -> Result<u64, FileMapError> {
        let file_len = self.file.size()?;
        Ok(file_len.saturating_sub(self.offset).min(self.len()))
    }

    /// Copies view bytes `at .. at + buf.len()` into `buf`.
    pub fn read(&self, at: u64, buf: &mut [u8]) -> Result<(), FileMapError> {
        self.check(at, buf.len())?;
        let src = self.map.as_ptr().wrapping_add(at as usize);
        probe::read(src, buf).map_err(|f| self.fault(at + f.copied as u64))
    }

    /// Copies `bytes` into the view at `at`.
    pub fn write(&self, at: u64, bytes: &[u8]) -> Result<(), FileMapError> {
        if !self.writable() {
            return Err(FileMapError::ReadOnlyAccess { op: Op::WriteView });
        }
        self.check(at, bytes.len())?;
        let dst = self.map.as_mut_ptr().wrapping_add(at as usize);
        // SAFETY: the view's memory is a shared file mapping that no Rust
        // reference points into: it is only reached through `probe`.
        unsafe { probe::write(dst, bytes) }.map_err(|f| self.fault(at + f.copied as u64))?;
        if let Some(stamp) = self.file.stamp() {
            let _ = stamp.bump();
        }
        Ok(())
    }

    /// `FlushViewOfFile`: writes the view's dirty pages to the file and waits.
    pub fn flush(&self) -> Result<Flushed, FileMapError> {
        let backed = self.backed_len()?;
        if backed < self.len() {
            return Err(self.shortened(self.file.size()?, self.len()));
        }
        let start = Instant::now();
        self.map
            .flush_range(0, self.map.len())
            .map_err(|e| FileMapError::io(Op::Flush, self.file.path(), e))?;
        Ok(Flushed {
            view: self.id,
            bytes: self.len(),
            took: start.elapsed(),
        })
    }

    /// The range must lie in the view and in the file as it is now.
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
        let file_len = self.file.size()?;
        if self.offset + at + len > file_len {
            return Err(self.shortened(file_len, at + len));
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

    /// The probe stopped at view byte `at`: the file shrank meanwhile, or
    /// the page has no storage behind it.
    fn fault(&self, at: u64) -> FileMapError {
        match self.file.size() {
            Ok(file_len) if file_len < self.offset + self.len() => {
                self.shortened(file_len, self.len())
            }
            Ok(_) => FileMapError::Unbacked {
                view: self.id,
                file_offset: self.offset + at,
            },
            Err(e) => e,
        }
    }
}

/// Calls `mmap` itself with the requested offset, to show what memmap2's
/// rounding hides: the kernel wants a multiple of the page size.
fn raw_mmap(file: &LockedFile, offset: u64, len: usize) -> RawCall {
    use rustix::mm::{MapFlags, ProtFlags};
    let prot = match file.access() {
        Access::ReadWrite => ProtFlags::READ | ProtFlags::WRITE,
        Access::ReadOnly => ProtFlags::READ,
    };
    if libc::off_t::try_from(offset).is_err() {
        return RawCall::Failed {
            errno: libc::EOVERFLOW,
        };
    }
    // SAFETY: a new mapping at an address of the kernel's choosing, which
    // replaces nothing; it is undone at once if it is made at all.
    let made = unsafe {
        rustix::mm::mmap(
            std::ptr::null_mut(),
            len.max(1),
            prot,
            MapFlags::SHARED,
            file.file(),
            offset,
        )
    };
    match made {
        Ok(p) => {
            // SAFETY: the mapping made just above, nothing else refers to it.
            let _ = unsafe { rustix::mm::munmap(p, len.max(1)) };
            RawCall::Succeeded
        }
        Err(e) => RawCall::Failed {
            errno: e.raw_os_error(),
        },
    }
}
