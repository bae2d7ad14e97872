//! The lab's walk-through as one object: a file, at most one mapping, views.
//! Each step of the book is a method; each reports what it did, and each
//! refuses clearly what it cannot do (a closed file, mapping or view).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use super::file::LockedFile;
use super::sys::{self, Mapping, check_new_size};
use super::view::View;
use super::{FileMapError, Op};

/// GENERIC_READ | GENERIC_WRITE, or GENERIC_READ alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Access {
    #[default]
    ReadWrite,
    ReadOnly,
}

/// Share mode 0 (the book's advice), or sharing on purpose with other instances.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sharing {
    #[default]
    Exclusive,
    Shared,
}

/// OPEN_EXISTING, or OPEN_ALWAYS (create an empty file if there is none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Disposition {
    OpenExisting,
    #[default]
    OpenOrCreate,
}

/// How to open the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OpenRequest {
    pub access: Access,
    pub sharing: Sharing,
    pub disposition: Disposition,
}

/// What the raw system call did with the same request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawCall {
    /// It failed with this errno (EINVAL for an unaligned offset).
    Failed { errno: i32 },
    /// It succeeded (and the mapping was undone at once).
    Succeeded,
}

/// A view requested at an offset that is not a multiple of the granularity:
/// memmap2 mapped from the offset rounded down and hands out a pointer
/// `offset - mapped_from` bytes in; the raw `mmap` refuses the offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unaligned {
    pub offset: u64,
    pub granularity: u64,
    /// Where memmap2's underlying mapping starts (the offset rounded down).
    pub mapped_from: u64,
    /// `mmap(.., offset)` with the same offset, really called.
    pub raw_mmap: RawCall,
}

/// A flush of a view (`FlushViewOfFile`; on Linux msync(MS_SYNC)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flushed {
    pub view: u32,
    pub bytes: u64,
    pub took: Duration,
}

/// What opening did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    pub path: PathBuf,
    pub len: u64,
    pub created: bool,
    pub access: Access,
    pub sharing: Sharing,
}

/// What `CreateFileMapping` did: the mapping's size and the file's before/after.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MappingCreated {
    /// The size asked for (0 = the file's size).
    pub requested: u64,
    pub size: u64,
    pub file_len_before: u64,
    pub file_len_after: u64,
}

/// What `MapViewOfFile` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ViewMapped {
    pub view: u32,
    pub offset: u64,
    pub len: u64,
    pub address: usize,
    pub unaligned: Option<Unaligned>,
}

/// One live view, for a list.
pub type ViewInfo = ViewMapped;

/// A write through a view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    pub view: u32,
    /// Offset inside the view.
    pub at: u64,
    pub file_offset: u64,
    pub len: u64,
}

/// What `SetEndOfFile` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EndOfFile {
    pub before: u64,
    pub after: u64,
}

/// Where the mapping is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MappingState {
    None,
    Open {
        size: u64,
    },
    /// Closed: its views (if any) still work, as on Windows; no new ones.
    Closed {
        size: u64,
    },
}

/// One file mapped step by step.
#[derive(Debug)]
pub struct FileMapSession {
    path: PathBuf,
    file: Option<Arc<LockedFile>>,
    mapping: MappingState,
    /// The mapping object while it is open (Windows: its handle).
    handle: Option<Mapping>,
    views: BTreeMap<u32, View>,
    next_view: u32,
}

impl FileMapSession {
    /// `CreateFile`: opens (or creates) and locks the file.
    pub fn open(path: &Path, request: OpenRequest) -> Result<(Self, Opened), FileMapError> {
        let (file, created) = LockedFile::open(path, request)?;
        let opened = Opened {
            path: path.into(),
            len: file.size()?,
            created,
            access: request.access,
            sharing: request.sharing,
        };
        let session = Self {
            path: path.into(),
            file: Some(Arc::new(file)),
            mapping: MappingState::None,
            handle: None,
            views: BTreeMap::new(),
            next_view: 1,
        };
        Ok((session, opened))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn is_file_open(&self) -> bool {
        self.file.is_some()
    }

    pub fn mapping(&self) -> MappingState {
        self.mapping
    }

    fn file(&self) -> Result<&Arc<LockedFile>, FileMapError> {
        self.file.as_ref().ok_or(FileMapError::FileClosed)
    }

    /// The open file: this session's handle, or, once that is closed, the
    /// one its mapped views keep open (as Windows keeps a mapped file open).
    fn open_file(&self) -> Result<&Arc<LockedFile>, FileMapError> {
        self.file
            .as_ref()
            .or_else(|| self.views.values().next().map(|v| &v.file))
            .ok_or(FileMapError::FileClosed)
    }

    /// True while the file is still open, by the handle or by a mapped view.
    pub fn file_still_open(&self) -> bool {
        self.open_file().is_ok()
    }

    /// The file's size now (also after CloseHandle(file), while views keep
    /// the file open).
    pub fn file_len(&self) -> Result<u64, FileMapError> {
        self.open_file()?.size()
    }

    /// Tells the other instances whether this one maps the file now.
    fn publish_mapping(&self) {
        let maps = matches!(self.mapping, MappingState::Open { .. }) || !self.views.is_empty();
        if let Ok(file) = self.open_file() {
            file.publish_mapping(maps);
        }
    }

    /// `CreateFileMapping` with a size: 0 = the file's size (an error for an
    /// empty file); larger grows the file first; smaller maps only that part.
    pub fn create_mapping(&mut self, size: u64) -> Result<MappingCreated, FileMapError> {
        if let MappingState::Open { size } = self.mapping {
            return Err(FileMapError::MappingOpen { size });
        }
        let file = self.file()?.clone();
        let before = file.size()?;
        let grow = match size {
            0 if before == 0 => {
                return Err(FileMapError::EmptyFile {
                    path: self.path.clone(),
                });
            }
            n if n > before => {
                if file.access() == Access::ReadOnly {
                    return Err(FileMapError::ReadOnlyAccess { op: Op::Grow });
                }
                if usize::try_from(n).is_err() {
                    return Err(FileMapError::TooLarge { requested: n });
                }
                check_new_size(&self.path, n)?;
                Some(n)
            }
            _ => None,
        };
        let handle = match Mapping::create(&file, size, grow) {
            Ok(handle) => handle,
            Err(e) => {
                self.publish_mapping();
                return Err(e);
            }
        };
        let mapped = if size == 0 { before } else { size };
        let after = file.size()?;
        self.mapping = MappingState::Open { size: mapped };
        self.handle = Some(handle);
        Ok(MappingCreated {
            requested: size,
            size: mapped,
            file_len_before: before,
            file_len_after: after,
        })
    }

    /// `MapViewOfFile`: `len` 0 = to the end of the mapping.
    pub fn map_view(&mut self, offset: u64, len: u64) -> Result<ViewMapped, FileMapError> {
        let size = match self.mapping {
            MappingState::None => return Err(FileMapError::NoMapping),
            MappingState::Closed { .. } => return Err(FileMapError::MappingClosed),
            MappingState::Open { size } => size,
        };
        let file = self.file()?.clone();
        let len = if len == 0 {
            size.saturating_sub(offset)
        } else {
            len
        };
        if len == 0 || offset.checked_add(len).is_none_or(|end| end > size) {
            return Err(FileMapError::ViewOutOfRange {
                offset,
                len,
                mapping_size: size,
            });
        }
        let handle = self.handle.as_ref().ok_or(FileMapError::NoMapping)?;
        let id = self.next_view;
        let view = View::map(id, file, handle, offset, len)?;
        self.next_view += 1;
        let mapped = info(&view);
        self.views.insert(id, view);
        self.publish_mapping();
        Ok(mapped)
    }

    fn view(&self, id: u32) -> Result<&View, FileMapError> {
        self.views.get(&id).ok_or(if id > 0 && id < self.next_view {
            FileMapError::ViewClosed { view: id }
        } else {
            FileMapError::NoSuchView { view: id }
        })
    }

    /// The live views, in the order they were mapped.
    pub fn views(&self) -> Vec<ViewInfo> {
        self.views.values().map(info).collect()
    }

    /// Bytes of view `id` that the file still backs (for a display that
    /// draws only what can be read).
    pub fn backed_len(&self, id: u32) -> Result<u64, FileMapError> {
        self.view(id)?.backed_len()
    }

    /// Copies bytes `at ..` of view `id` into `buf` (cheap: one fstat and one
    /// copy, so a hex view can read just its visible rows every frame).
    pub fn read_view(&self, id: u32, at: u64, buf: &mut [u8]) -> Result<(), FileMapError> {
        self.view(id)?.read(at, buf)
    }

    /// Writes `bytes` into view `id` at `at`.
    pub fn write_view(&self, id: u32, at: u64, bytes: &[u8]) -> Result<Written, FileMapError> {
        let view = self.view(id)?;
        view.write(at, bytes)?;
        Ok(Written {
            view: id,
            at,
            file_offset: view.offset + at,
            len: bytes.len() as u64,
        })
    }

    /// Writes `bytes` at file offset `offset` through the first view that
    /// holds all of them.
    pub fn write_at_file_offset(&self, offset: u64, bytes: &[u8]) -> Result<Written, FileMapError> {
        let len = bytes.len() as u64;
        let end = offset
            .checked_add(len)
            .ok_or(FileMapError::RangeOverflow { offset, len })?;
        let view = self
            .views
            .values()
            .find(|v| offset >= v.offset && end <= v.offset + v.len())
            .ok_or(FileMapError::NoViewAt { offset, len })?;
        self.write_view(view.id, offset - view.offset, bytes)
    }

    /// The view that would hold file bytes `offset .. offset + len`, if any
    /// (to check a write before anything is done).
    pub fn view_holding(&self, offset: u64, len: u64) -> Result<u32, FileMapError> {
        let end = offset
            .checked_add(len)
            .ok_or(FileMapError::RangeOverflow { offset, len })?;
        self.views
            .values()
            .find(|v| offset >= v.offset && end <= v.offset + v.len())
            .map(|v| v.id)
            .ok_or(FileMapError::NoViewAt { offset, len })
    }

    /// An ordinary read of the file (`pread`), to compare with a view;
    /// returns the bytes read (fewer at the end of the file). After
    /// CloseHandle(file) it reads the file the views keep open.
    pub fn read_file(&self, offset: u64, buf: &mut [u8]) -> Result<usize, FileMapError> {
        self.open_file()?.read_at(offset, buf)
    }

    /// `FlushViewOfFile`, timed.
    pub fn flush_view(&self, id: u32) -> Result<Flushed, FileMapError> {
        self.view(id)?.flush()
    }

    /// `UnmapViewOfFile`.
    pub fn unmap_view(&mut self, id: u32) -> Result<(), FileMapError> {
        self.view(id)?;
        self.views.remove(&id);
        self.publish_mapping();
        Ok(())
    }

    /// `CloseHandle` of the mapping: no new views; mapped ones keep working.
    pub fn close_mapping(&mut self) -> Result<(), FileMapError> {
        match self.mapping {
            MappingState::Open { size } => {
                self.mapping = MappingState::Closed { size };
                // CloseHandle(mapping): mapped views keep working.
                self.handle = None;
                self.publish_mapping();
                Ok(())
            }
            MappingState::Closed { .. } => Err(FileMapError::MappingClosed),
            MappingState::None => Err(FileMapError::NoMapping),
        }
    }

    /// `CloseHandle` of the file. Views still mapped keep the file open and
    /// locked (as Windows keeps a mapped file in use) until they are unmapped.
    pub fn close_file(&mut self) -> Result<(), FileMapError> {
        self.file.take().map(drop).ok_or(FileMapError::FileClosed)
    }

    /// `SetFilePointer` + `SetEndOfFile`: refused while a view is mapped
    /// (Windows says so itself; Linux refuses it also while the mapping is
    /// open, as memlab emulates it there).
    pub fn set_end_of_file(&mut self, size: u64) -> Result<EndOfFile, FileMapError> {
        let file = self.file()?;
        let mapping_open = matches!(self.mapping, MappingState::Open { .. });
        sys::check_unmapped(self.views.len(), mapping_open)?;
        if file.access() == Access::ReadOnly {
            return Err(FileMapError::ReadOnlyAccess {
                op: Op::SetEndOfFile,
            });
        }
        check_new_size(&self.path, size)?;
        let before = file.size()?;
        file.set_end_of_file(size, self.views.len(), mapping_open)?;
        Ok(EndOfFile {
            before,
            after: file.size()?,
        })
    }

    /// A value that changes whenever any memlab instance writes through a
    /// view of this file (poll it to follow other instances live).
    pub fn change_stamp(&self) -> Option<u64> {
        self.open_file().ok()?.change_stamp()
    }
}

fn info(view: &View) -> ViewInfo {
    ViewMapped {
        view: view.id,
        offset: view.offset,
        len: view.len(),
        address: view.address(),
        unaligned: view.unaligned,
    }
}
