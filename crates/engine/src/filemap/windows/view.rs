//! `MapViewOfFile` / `UnmapViewOfFile` / `FlushViewOfFile`: one view of the
//! file at an offset of the allocation granularity (64 KiB), its bytes
//! copied with `ReadProcessMemory` / `WriteProcessMemory` on memlab itself,
//! so a page that cannot be read in is an error value, not an exception.

use std::sync::Arc;
use std::time::Instant;

use windows_sys::Win32::Foundation::{
    ERROR_COMMITMENT_LIMIT, ERROR_MAPPED_ALIGNMENT, ERROR_NOT_ENOUGH_MEMORY,
};
use windows_sys::Win32::System::Diagnostics::Debug::{ReadProcessMemory, WriteProcessMemory};
use windows_sys::Win32::System::Memory::{
    FILE_MAP_READ, FILE_MAP_WRITE, FlushViewOfFile, MEMORY_MAPPED_VIEW_ADDRESS, MapViewOfFile,
    UnmapViewOfFile,
};
use windows_sys::Win32::System::SystemInformation::{GetSystemInfo, SYSTEM_INFO};
use windows_sys::Win32::System::Threading::GetCurrentProcess;

use super::Mapping;
use super::file::LockedFile;
use crate::filemap::session::{Access, Flushed, Unaligned};
use crate::filemap::{FileMapError, Op};

/// The granularity view offsets follow: `GetSystemInfo`'s
/// `dwAllocationGranularity` (64 KiB).
pub fn granularity() -> u64 {
    let mut si = zeroed_system_info();
    // SAFETY: `si` is a SYSTEM_INFO the call fills in.
    unsafe { GetSystemInfo(&mut si) };
    u64::from(si.dwAllocationGranularity)
}

fn zeroed_system_info() -> SYSTEM_INFO {
    // SAFETY: SYSTEM_INFO is plain data (integers, pointers, a union of
    // integers), for which all-zero bytes are a valid value.
    unsafe { std::mem::zeroed() }
}

/// One mapped view of the file.
#[derive(Debug)]
pub(crate) struct View {
    pub id: u32,
    pub file: Arc<LockedFile>,
    /// The view's first byte, as `MapViewOfFile` returned it (kept as a
    /// number: the memory is only reached through the calls below).
    base: usize,
    len: u64,
    /// File offset of the first byte.
    pub offset: u64,
    /// Always `None`: Windows refuses an unaligned offset.
    pub unaligned: Option<Unaligned>,
}

impl View {
    /// `MapViewOfFile(mapping, FILE_MAP_WRITE or FILE_MAP_READ, high, low, len)`.
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
        let access = match file.access() {
            Access::ReadWrite => FILE_MAP_WRITE,
            Access::ReadOnly => FILE_MAP_READ,
        };
        // SAFETY: the mapping handle is open; Windows picks the address
        // and the result is checked below.
        let view = unsafe {
            MapViewOfFile(
                mapping.raw(),
                access,
                (offset >> 32) as u32,
                offset as u32,
                len_usize,
            )
        };
        if view.Value.is_null() {
            let e = std::io::Error::last_os_error();
            return Err(match e.raw_os_error().map(|c| c as u32) {
                Some(ERROR_MAPPED_ALIGNMENT) => FileMapError::MappedAlignment {
                    offset,
                    granularity: granularity(),
                },
                Some(ERROR_NOT_ENOUGH_MEMORY | ERROR_COMMITMENT_LIMIT) => {
                    FileMapError::TooLarge { requested: len }
                }
                _ => FileMapError::io(Op::Map, file.path(), e),
            });
        }
        Ok(Self {
            id,
            file,
            base: view.Value as usize,
            len,
            offset,
            unaligned: None,
        })
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    /// The address `MapViewOfFile` returned.
    pub fn address(&self) -> usize {
        self.base
    }

    pub fn writable(&self) -> bool {
        self.file.access() == Access::ReadWrite
    }

    /// Bytes of the view that the file still backs (Windows refuses to
    /// shorten a mapped file, so all of them unless it failed otherwise).
    pub fn backed_len(&self) -> Result<u64, FileMapError> {
        let file_len = self.file.size()?;
        Ok(file_len.saturating_sub(self.offset).min(self.len()))
    }

    /// Copies view bytes `at .. at + buf.len()` into `buf`.
    pub fn read(&self, at: u64, buf: &mut [u8]) -> Result<(), FileMapError> {
        self.check(at, buf.len())?;
        let mut done = 0usize;
        // SAFETY: reads `buf.len()` bytes of this process's view (checked
        // to lie inside it) into `buf`; a page that cannot be read in makes
        // the call fail instead of raising an exception.
        let ok = unsafe {
            ReadProcessMemory(
                GetCurrentProcess(),
                (self.base + at as usize) as *const _,
                buf.as_mut_ptr().cast(),
                buf.len(),
                &mut done,
            )
        };
        if ok == 0 && !buf.is_empty() {
            return Err(self.fault(at + done as u64));
        }
        Ok(())
    }

    /// Copies `bytes` into the view at `at`.
    pub fn write(&self, at: u64, bytes: &[u8]) -> Result<(), FileMapError> {
        if !self.writable() {
            return Err(FileMapError::ReadOnlyAccess { op: Op::WriteView });
        }
        self.check(at, bytes.len())?;
        let mut done = 0usize;
        // SAFETY: writes `bytes` into this process's view (checked to lie
        // inside it, mapped FILE_MAP_WRITE), which no Rust reference
        // points into; a failure is reported, never an exception.
        let ok = unsafe {
            WriteProcessMemory(
                GetCurrentProcess(),
                (self.base + at as usize) as *const _,
                bytes.as_ptr().cast(),
                bytes.len(),
                &mut done,
            )
        };
        if ok == 0 && !bytes.is_empty() {
            return Err(self.fault(at + done as u64));
        }
        Ok(())
    }

    /// `FlushViewOfFile`: starts writing the view's dirty pages to the file.
    pub fn flush(&self) -> Result<Flushed, FileMapError> {
        let start = Instant::now();
        // SAFETY: the view is mapped (it is unmapped only when dropped).
        let ok = unsafe { FlushViewOfFile(self.base as *const _, self.len as usize) };
        if ok == 0 {
            return Err(FileMapError::io(
                Op::Flush,
                self.file.path(),
                std::io::Error::last_os_error(),
            ));
        }
        Ok(Flushed {
            view: self.id,
            bytes: self.len(),
            took: start.elapsed(),
        })
    }

    /// The range must lie in the view.
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
        Ok(())
    }

    /// The copy stopped at view byte `at`: the page could not be read in.
    fn fault(&self, at: u64) -> FileMapError {
        FileMapError::Unbacked {
            view: self.id,
            file_offset: self.offset + at,
        }
    }
}

impl Drop for View {
    fn drop(&mut self) {
        // SAFETY: the view this struct mapped, unmapped once, here.
        unsafe {
            UnmapViewOfFile(MEMORY_MAPPED_VIEW_ADDRESS {
                Value: self.base as *mut _,
            })
        };
    }
}
