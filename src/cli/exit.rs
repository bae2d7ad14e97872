//! The one place where an error becomes an exit code and a line on stderr.
//!
//! Exit codes (documented in the README): 0 success, 1 anything else,
//! 2 bad usage or input, 3 lock timeout, 4 corrupt mapping. Each engine error
//! type gets one `From` impl here, so a new lab adds its mapping beside the
//! others and the engine never knows about exit codes.

use std::process::ExitCode;

use memlab_engine::alloc::UnknownManager;
use memlab_engine::alloc::bench::BenchError;
use memlab_engine::desktop::instances::InstancesError;
#[cfg(target_os = "linux")]
use memlab_engine::filemap::FileMapError;
#[cfg(target_os = "linux")]
use memlab_engine::mutex::MutexError;
use memlab_engine::os::shm_object::ObjectError;
use memlab_engine::shared_text::SharedError;
#[cfg(target_os = "linux")]
use memlab_engine::vm::{ReadError, maps::MapError, pages::PageError};

/// Anything else: the operation was valid but failed.
pub const FAILED: u8 = 1;
/// Bad usage or input (a bad name, a number out of range, ...).
pub const USAGE: u8 = 2;
/// A lock was not obtained within its timeout.
pub const TIMEOUT: u8 = 3;
/// A mapping's bytes are not memlab's layout.
pub const CORRUPT: u8 = 4;
/// What this OS cannot do yet (on Windows: the labs and features not
/// ported; see docs/windows.md).
pub const UNSUPPORTED: u8 = 5;

/// Why a command failed: its exit code and one English line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    /// Bad usage or input (exit code 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Self {
            code: USAGE,
            message: message.into(),
        }
    }

    /// Any other failure (exit code 1).
    pub fn failed(message: impl Into<String>) -> Self {
        Self {
            code: FAILED,
            message: message.into(),
        }
    }

    /// Prints the line and gives the exit code.
    pub fn report(self) -> ExitCode {
        eprintln!("memlab: error: {}", self.message);
        ExitCode::from(self.code)
    }
}

/// The English line of `e`, and, when a write of it went past the file size
/// limit (EFBIG, once SIGXFSZ is ignored), the limit by name.
#[cfg(unix)]
fn line_of(e: &(dyn std::error::Error + 'static)) -> String {
    use memlab_engine::os::file_size_limit::{is_efbig, limit_note};
    if is_efbig(e) {
        format!("{e}: {}", limit_note())
    } else {
        e.to_string()
    }
}

#[cfg(not(unix))]
fn line_of(e: &(dyn std::error::Error + 'static)) -> String {
    e.to_string()
}

/// Past the file size limit: the operation was valid but could not be done.
fn efbig_code(e: &(dyn std::error::Error + 'static), code: u8) -> u8 {
    #[cfg(unix)]
    if memlab_engine::os::file_size_limit::is_efbig(e) {
        return FAILED;
    }
    let _ = e;
    code
}

impl From<SharedError> for Failure {
    fn from(e: SharedError) -> Self {
        let code = match &e {
            // The name cannot be used: another one must be chosen.
            SharedError::BadName { .. }
            | SharedError::BadPath { .. }
            | SharedError::ForeignFile { .. }
            | SharedError::NulInText => USAGE,
            SharedError::FileNotOnWindowsYet => UNSUPPORTED,
            SharedError::Object(e) => object_code(e),
            SharedError::LockTimeout { .. } => TIMEOUT,
            SharedError::Corrupt { .. } => CORRUPT,
            SharedError::Removed { .. } | SharedError::Io { .. } => FAILED,
        };
        Self {
            code: efbig_code(&e, code),
            message: line_of(&e),
        }
    }
}

/// An object memlab refuses under that name (another account's, open to
/// others, of another kind; on Windows also `Global\` without the
/// privilege): choose another (usage).
fn object_code(e: &ObjectError) -> u8 {
    if e.refuses_name() { USAGE } else { FAILED }
}

impl From<BenchError> for Failure {
    fn from(e: BenchError) -> Self {
        let code = match &e {
            BenchError::AllocFailed { .. } => FAILED,
            BenchError::SizeOutOfRange(_)
            | BenchError::ZeroIterations
            | BenchError::NoManagers
            | BenchError::ZeroRepeats
            | BenchError::NoSizes
            | BenchError::TooManyRepeats { .. }
            | BenchError::SweepTooLarge { .. } => USAGE,
        };
        Self {
            code,
            message: e.to_string(),
        }
    }
}

impl From<UnknownManager> for Failure {
    fn from(e: UnknownManager) -> Self {
        Self::usage(e.to_string())
    }
}

#[cfg(target_os = "linux")]
impl From<FileMapError> for Failure {
    fn from(e: FileMapError) -> Self {
        use FileMapError as E;
        let code = match &e {
            E::NotFound { .. }
            | E::IsADirectory { .. }
            | E::NotRegularFile { .. }
            | E::ReadOnly { .. }
            | E::PermissionDenied { .. }
            | E::EmptyFile { .. }
            | E::TooLarge { .. }
            | E::ViewOutOfRange { .. }
            | E::OutsideView { .. }
            | E::NoViewAt { .. }
            | E::ReadOnlyAccess { .. }
            | E::MappingOpen { .. }
            | E::NoMapping
            | E::MappingClosed
            | E::FileClosed
            | E::ViewClosed { .. }
            | E::NoSuchView { .. }
            | E::StillMapped { .. }
            | E::RangeOverflow { .. }
            | E::SystemPath { .. }
            | E::CannotCreate { .. } => USAGE,
            E::InUse { .. }
            | E::MappedElsewhere { .. }
            | E::FileSizeLimit { .. }
            | E::DiskFull { .. }
            | E::FileShortened { .. }
            | E::Unbacked { .. }
            | E::NoDataDir
            | E::Io { .. } => FAILED,
        };
        Self {
            code,
            message: e.to_string(),
        }
    }
}

#[cfg(target_os = "linux")]
impl From<MutexError> for Failure {
    fn from(e: MutexError) -> Self {
        use MutexError as E;
        let code = match &e {
            E::TimedOut { .. } | E::Stuck { .. } => TIMEOUT,
            E::Corrupt { .. } | E::LostWhileHeld { .. } => CORRUPT,
            E::Object(e) => object_code(e),
            E::BadName { .. } | E::AlreadyHeld { .. } | E::NotHeld { .. } => USAGE,
            E::ResetRefused { .. }
            | E::InUse { .. }
            | E::NotRecoverable
            | E::Pthread { .. }
            | E::RawSync { .. }
            | E::CrashFailed { .. }
            | E::OwnerGone
            | E::Io { .. } => FAILED,
        };
        Self {
            code: efbig_code(&e, code),
            message: line_of(&e),
        }
    }
}

#[cfg(target_os = "linux")]
impl From<PageError> for Failure {
    fn from(e: PageError) -> Self {
        let code = match &e {
            PageError::ZeroPages
            | PageError::TooManyPages { .. }
            | PageError::NoSuchReservation { .. }
            | PageError::Released { .. }
            | PageError::EmptyRange { .. }
            | PageError::OutOfRange { .. }
            | PageError::ProtectReserved { .. }
            | PageError::LockNotCommitted { .. }
            | PageError::LockNoAccess { .. }
            | PageError::NotLocked { .. } => USAGE,
            // Valid requests the system refused.
            PageError::LockLimit { .. }
            | PageError::AddressSpace { .. }
            | PageError::CommitRefused { .. }
            | PageError::Os { .. } => FAILED,
        };
        Self {
            code,
            message: e.to_string(),
        }
    }
}

#[cfg(target_os = "linux")]
impl From<MapError> for Failure {
    fn from(e: MapError) -> Self {
        let code = match &e {
            MapError::NoProcess { .. } | MapError::NotYours { .. } => USAGE,
            MapError::Read(_) | MapError::Unreadable { .. } => FAILED,
        };
        Self {
            code,
            message: e.to_string(),
        }
    }
}

#[cfg(target_os = "linux")]
impl From<ReadError> for Failure {
    fn from(e: ReadError) -> Self {
        Self::failed(e.to_string())
    }
}

impl From<InstancesError> for Failure {
    fn from(e: InstancesError) -> Self {
        Self::failed(e.to_string())
    }
}
