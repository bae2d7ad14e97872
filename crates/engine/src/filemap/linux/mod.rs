//! The file-mapping lab on Linux, where Windows' calls become others: the
//! file is opened and locked with flock (`file`), a "mapping" is a size
//! check and a growth with fallocate (Linux has no mapping object), views
//! are memmap2's `mmap(MAP_SHARED)` reached through `os::probe` (`view`),
//! instances sharing a file follow each other's writes and refuse to cut
//! a file another maps through a change stamp (`changes`), and the demo
//! file lives in the XDG data folder (`data_dir`).

mod changes;
mod data_dir;
mod file;
mod view;

use super::file::LockedFile;
use super::session::{Access, Disposition, Sharing};
use super::{FileMapError, Step};

/// Who holds a file memlab could not open: /proc/locks names its PID.
pub use crate::os::claims::FlockHolder as FileHolder;
pub use data_dir::{DEMO_FILE_NAME, data_dir, demo_file};
pub(super) use file::{FileState, check_new_size, in_system_folder, open_file, read_once};
pub use view::granularity;
pub(super) use view::{FILE_MAY_SHRINK_UNDER_VIEWS, ViewMemory};

/// The call (or calls) a step makes here, for `memlab filemap --json`.
pub(super) fn os_call(step: &Step) -> String {
    let rw = |access| match access {
        Access::ReadWrite => "PROT_READ | PROT_WRITE",
        Access::ReadOnly => "PROT_READ",
    };
    match *step {
        Step::Open {
            access,
            sharing,
            disposition,
        } => format!(
            "open({}{}) + flock({})",
            match access {
                Access::ReadWrite => "O_RDWR",
                Access::ReadOnly => "O_RDONLY",
            },
            match disposition {
                Disposition::OpenOrCreate if access == Access::ReadWrite => " | O_CREAT",
                _ => "",
            },
            match sharing {
                Sharing::Exclusive => "LOCK_EX | LOCK_NB",
                Sharing::Shared => "LOCK_SH | LOCK_NB",
            }
        ),
        Step::CreateMapping {
            grows: Some(size), ..
        } => format!("fallocate(0, {size})"),
        Step::CreateMapping { grows: None, .. } => "fstat (no mapping object on Linux)".into(),
        Step::MapView {
            offset,
            len,
            access,
        } => format!(
            "mmap(NULL, {len}, {}, MAP_SHARED, fd, {offset})",
            rw(access)
        ),
        Step::Write { .. } => "process_vm_writev (memlab's own view)".into(),
        Step::Flush { .. } => "msync(MS_SYNC)".into(),
        Step::Unmap { .. } => "munmap".into(),
        Step::CloseMapping => "(no mapping object on Linux: no new views)".into(),
        Step::SetEndOfFile { size } => format!("ftruncate({size})"),
        Step::CloseFile => "close (the views keep the file open and locked)".into(),
    }
}

/// `CreateFileMapping` here: no object, only the file made large enough.
#[derive(Debug)]
pub(crate) struct Mapping;

impl Mapping {
    /// Marks this instance as mapping the file, under the gate that another
    /// instance's SetEndOfFile checks under (see `changes`), then grows the
    /// file to `grow` bytes if asked.
    pub(crate) fn create(
        file: &LockedFile,
        _requested: u64,
        grow: Option<u64>,
    ) -> Result<Self, FileMapError> {
        if let Some(stamp) = file.stamp() {
            let _ = stamp.with_others_mapping(|_| stamp.set_mapping(true));
        }
        if let Some(n) = grow {
            file.grow(n)?;
        }
        Ok(Self)
    }
}

/// Any offset may be asked for here: memmap2 rounds an unaligned one down
/// (and the lab shows what the raw mmap says), so a plan refuses none.
pub(super) fn check_view_offset(_offset: u64) -> Result<(), FileMapError> {
    Ok(())
}

/// Windows refuses `SetEndOfFile` while a view is mapped
/// (`ERROR_USER_MAPPED_FILE`); Linux's ftruncate would cut under the views,
/// so memlab refuses it itself, also while the mapping is open.
pub(super) fn check_unmapped(views: usize, mapping_open: bool) -> Result<(), FileMapError> {
    if views > 0 || mapping_open {
        return Err(FileMapError::StillMapped {
            views,
            mapping_open,
        });
    }
    Ok(())
}
