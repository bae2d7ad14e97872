//! `MapViewOfFile` / `UnmapViewOfFile` / `FlushViewOfFile` on Windows: a
//! view's memory at an offset of the allocation granularity (64 KiB), its bytes
//! copied with `ReadProcessMemory` / `WriteProcessMemory` on memlab itself,
//! so a page that cannot be read in is an error value, not an exception.

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
use crate::filemap::file::LockedFile;
use crate::filemap::session::{Access, Unaligned};
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

/// Windows refuses to shorten a mapped file (`ERROR_USER_MAPPED_FILE`, in
/// every process): a view needs no check of the file's length, and a copy
/// that stops short is a page that could not be read in.
pub(in crate::filemap) const FILE_MAY_SHRINK_UNDER_VIEWS: bool = false;

/// A view's memory: what `MapViewOfFile` returned, kept as a number (the
/// memory is only reached through the calls below); `UnmapViewOfFile`
/// when dropped.
#[derive(Debug)]
pub(in crate::filemap) struct ViewMemory {
    base: usize,
    len: usize,
}

impl ViewMemory {
    /// `MapViewOfFile(mapping, FILE_MAP_WRITE or FILE_MAP_READ, high, low,
    /// len)`; never unaligned (Windows refuses such an offset).
    pub fn map(
        file: &LockedFile,
        mapping: &Mapping,
        offset: u64,
        len: usize,
    ) -> Result<(Self, Option<Unaligned>), FileMapError> {
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
                len,
            )
        };
        if view.Value.is_null() {
            let e = std::io::Error::last_os_error();
            return Err(match e.raw_os_error().map(|c| c as u32) {
                Some(ERROR_MAPPED_ALIGNMENT) => FileMapError::MappedAlignment {
                    offset,
                    granularity: granularity(),
                },
                Some(ERROR_NOT_ENOUGH_MEMORY | ERROR_COMMITMENT_LIMIT) => FileMapError::TooLarge {
                    requested: len as u64,
                },
                _ => FileMapError::io(Op::Map, file.path(), e),
            });
        }
        let memory = Self {
            base: view.Value as usize,
            len,
        };
        Ok((memory, None))
    }

    pub fn len(&self) -> usize {
        self.len
    }

    /// The address `MapViewOfFile` returned.
    pub fn address(&self) -> usize {
        self.base
    }

    /// Copies bytes `at ..` into `buf`; on a failure, how many were copied.
    pub fn read(&self, at: usize, buf: &mut [u8]) -> Result<(), usize> {
        let mut done = 0usize;
        // SAFETY: reads `buf.len()` bytes of this process's view (checked
        // to lie inside it) into `buf`; a page that cannot be read in makes
        // the call fail instead of raising an exception.
        let ok = unsafe {
            ReadProcessMemory(
                GetCurrentProcess(),
                (self.base + at) as *const _,
                buf.as_mut_ptr().cast(),
                buf.len(),
                &mut done,
            )
        };
        if ok == 0 && !buf.is_empty() {
            return Err(done);
        }
        Ok(())
    }

    /// Copies `bytes` in at `at`; on a failure, how many were copied.
    pub fn write(&self, at: usize, bytes: &[u8]) -> Result<(), usize> {
        let mut done = 0usize;
        // SAFETY: writes `bytes` into this process's view (checked to lie
        // inside it, mapped FILE_MAP_WRITE), which no Rust reference
        // points into; a failure is reported, never an exception.
        let ok = unsafe {
            WriteProcessMemory(
                GetCurrentProcess(),
                (self.base + at) as *const _,
                bytes.as_ptr().cast(),
                bytes.len(),
                &mut done,
            )
        };
        if ok == 0 && !bytes.is_empty() {
            return Err(done);
        }
        Ok(())
    }

    /// `FlushViewOfFile(view, length)`: starts writing the dirty pages.
    pub fn flush(&self) -> std::io::Result<()> {
        // SAFETY: the view is mapped (it is unmapped only when dropped).
        let ok = unsafe { FlushViewOfFile(self.base as *const _, self.len) };
        if ok == 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(())
    }
}

impl Drop for ViewMemory {
    fn drop(&mut self) {
        // SAFETY: the view this struct mapped, unmapped once, here.
        unsafe {
            UnmapViewOfFile(MEMORY_MAPPED_VIEW_ADDRESS {
                Value: self.base as *mut _,
            })
        };
    }
}
