//! `MapViewOfFile` / `UnmapViewOfFile` / `FlushViewOfFile` on Linux: a
//! view's memory is memmap2's, reached only through `crate::os::probe`
//! (after the shared view's check of the file's length).

use memmap2::{MmapOptions, MmapRaw};

use super::Mapping;
use crate::filemap::file::LockedFile;
use crate::filemap::session::{Access, RawCall, Unaligned};
use crate::filemap::{FileMapError, Op};
use crate::os::probe;

/// The granularity view offsets follow here: the page size (Windows: 64 KiB).
pub fn granularity() -> u64 {
    region::page::size() as u64
}

/// Linux lets another process cut a file under its views (ftruncate): a
/// view checks the file's length before each copy, and a copy that stops
/// short is a shortened file unless the file is still long enough.
pub(in crate::filemap) const FILE_MAY_SHRINK_UNDER_VIEWS: bool = true;

/// A view's memory: memmap2's `mmap(MAP_SHARED)`, reached only through
/// `crate::os::probe`.
#[derive(Debug)]
pub(in crate::filemap) struct ViewMemory(MmapRaw);

impl ViewMemory {
    /// Linux has no mapping object: `_mapping` only says one was created.
    /// An unaligned offset is rounded down by memmap2; what the raw `mmap`
    /// says of it comes back beside the view.
    pub fn map(
        file: &LockedFile,
        _mapping: &Mapping,
        offset: u64,
        len: usize,
    ) -> Result<(Self, Option<Unaligned>), FileMapError> {
        let mut options = MmapOptions::new();
        options.offset(offset).len(len);
        let mapped = match file.access() {
            Access::ReadWrite => options.map_raw(file.file()),
            Access::ReadOnly => options.map_raw_read_only(file.file()),
        };
        let map = mapped.map_err(|e| match e.raw_os_error() {
            Some(libc::ENOMEM | libc::EOVERFLOW) => FileMapError::TooLarge {
                requested: len as u64,
            },
            _ => FileMapError::io(Op::Map, file.path(), e),
        })?;
        let granularity = granularity();
        let unaligned = (!offset.is_multiple_of(granularity)).then(|| Unaligned {
            offset,
            granularity,
            mapped_from: offset - offset % granularity,
            raw_mmap: raw_mmap(file, offset, len),
        });
        Ok((Self(map), unaligned))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The address memmap2 handed out for the view's first byte.
    pub fn address(&self) -> usize {
        self.0.as_ptr() as usize
    }

    /// Copies bytes `at ..` into `buf`; on a fault, how many were copied.
    pub fn read(&self, at: usize, buf: &mut [u8]) -> Result<(), usize> {
        let src = self.0.as_ptr().wrapping_add(at);
        probe::read(src, buf).map_err(|f| f.copied)
    }

    /// Copies `bytes` in at `at`; on a fault, how many were copied.
    pub fn write(&self, at: usize, bytes: &[u8]) -> Result<(), usize> {
        let dst = self.0.as_mut_ptr().wrapping_add(at);
        // SAFETY: the view's memory is a shared file mapping that no Rust
        // reference points into: it is only reached through `probe`.
        unsafe { probe::write(dst, bytes) }.map_err(|f| f.copied)
    }

    /// msync(MS_SYNC) of the whole view.
    pub fn flush(&self) -> std::io::Result<()> {
        self.0.flush_range(0, self.0.len())
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
