//! The one place where an error becomes an exit code and a line on stderr.
//!
//! Exit codes (documented in docs/desktop.md): 0 success, 2 bad usage or input
//! (a bad name or value, a file or process that does not exist, an object
//! or process that is not yours), 3 lock timeout, 4 corrupt mapping or lock
//! block, 1 anything else. Every engine error says its class
//! ([`ErrorKind`], next to its type); [`code`] maps the classes to codes, so
//! a new lab or variant needs nothing here.

use std::process::ExitCode;

use memlab_engine::error::{ErrorKind, HasKind};

/// Anything else: the operation was valid but failed.
pub const FAILED: u8 = 1;
/// Bad usage or input (a bad name, a number out of range, ...).
pub const USAGE: u8 = 2;
/// A lock was not obtained within its timeout.
pub const TIMEOUT: u8 = 3;
/// A mapping's bytes are not memlab's layout.
pub const CORRUPT: u8 = 4;

/// The exit code of a failure of class `kind`.
pub fn code(kind: ErrorKind) -> u8 {
    match kind {
        // The request must change: another name, value, file or process.
        ErrorKind::Usage | ErrorKind::NotFound | ErrorKind::Denied => USAGE,
        ErrorKind::Timeout => TIMEOUT,
        ErrorKind::Corrupt => CORRUPT,
        // A valid request that could not be done (here, now).
        ErrorKind::Busy
        | ErrorKind::NoSpace
        | ErrorKind::Gone
        | ErrorKind::Unavailable
        | ErrorKind::Unsupported
        | ErrorKind::Os => FAILED,
    }
}

/// Why a command failed: its class and one English line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub kind: ErrorKind,
    pub message: String,
}

impl Failure {
    /// Bad usage or input found by the command line itself (exit code 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Self {
            kind: ErrorKind::Usage,
            message: message.into(),
        }
    }

    /// Any other failure of the command line's own (exit code 1).
    pub fn failed(message: impl Into<String>) -> Self {
        Self {
            kind: ErrorKind::Os,
            message: message.into(),
        }
    }

    /// The exit code.
    pub fn code(&self) -> u8 {
        code(self.kind)
    }

    /// Prints the line and gives the exit code.
    pub fn report(self) -> ExitCode {
        eprintln!("memlab: error: {}", self.message);
        ExitCode::from(self.code())
    }
}

/// Every engine error (and the app's own, which say their class too)
/// becomes a failure of its class with its English line.
impl<E: HasKind + std::error::Error + 'static> From<E> for Failure {
    fn from(e: E) -> Self {
        Self {
            kind: kind_of(&e),
            message: line_of(&e),
        }
    }
}

/// The class of `e`; a write past the file size limit (EFBIG, once
/// SIGXFSZ is ignored) is "no space", whatever the operation was.
fn kind_of<E: HasKind + std::error::Error + 'static>(e: &E) -> ErrorKind {
    #[cfg(unix)]
    if memlab_engine::os::file_size_limit::is_efbig(e) {
        return ErrorKind::NoSpace;
    }
    e.kind()
}

/// The English line of `e`, and, when a write of it went past the file size
/// limit, the limit by name.
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
