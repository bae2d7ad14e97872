//! What the shared string reports: its errors, how an instance came to the
//! object, and the lock's state. Data only; the CLI prints the English
//! `Display`, the window their `Localized` text (`messages`).

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::layout::CorruptReason;
use crate::desktop::holder::Holder;
use crate::error::{ErrorKind, HasKind};
use crate::os::names::NameProblem;
use crate::os::shm_object::{IoOp, ObjectError, mapping_name_problem};

/// Everything that can go wrong with the shared string.
#[derive(Debug, thiserror::Error)]
pub enum SharedError {
    #[error("bad mapping name {name:?}: {reason}")]
    BadName { name: String, reason: NameProblem },
    /// A backing file's path whose file name cannot be used.
    #[error("bad file path {}: its file name cannot be used ({reason})", path.display())]
    BadPath { path: PathBuf, reason: NameProblem },
    /// A backing file that holds something else: memlab never writes it.
    #[error("{} is not a shared text file of memlab ({reason}): it is left as it is; choose another file, or an empty one", path.display())]
    ForeignFile {
        path: PathBuf,
        reason: CorruptReason,
    },
    /// The object could not be opened, created, named or kept.
    #[error(transparent)]
    Object(#[from] ObjectError),
    /// `holder`: who holds the lock, as the kernel's lock table names it
    /// (or only as the header does).
    #[error("lock timed out after {waited_ms} ms; held by {holder}")]
    LockTimeout { waited_ms: u64, holder: Holder },
    #[error("the mapping {name:?} is corrupt: {reason}")]
    Corrupt { name: String, reason: CorruptReason },
    #[error("the text contains a NUL character, which would end the string in the mapping")]
    NulInText,
    /// Someone removed the object's name while this instance was attached.
    #[error(
        "the mapping {name:?} was removed by someone else: this instance still has the old memory, which new instances cannot reach"
    )]
    Removed { name: String },
    /// Windows: the shared text in a file of the user's choice is not ported yet.
    #[error(
        "a backing file for the shared text is not on Windows yet: use the named mapping (SampleMMF)"
    )]
    FileNotOnWindowsYet,
    #[error("{op} the mapping {name:?}: {source}")]
    Io {
        op: IoOp,
        name: String,
        #[source]
        source: io::Error,
    },
}

impl HasKind for SharedError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::BadName { .. } | Self::BadPath { .. } | Self::NulInText => ErrorKind::Usage,
            // Memlab never writes a file of something else: choose another.
            Self::ForeignFile { .. } => ErrorKind::Denied,
            Self::Object(e) => e.kind(),
            Self::LockTimeout { .. } => ErrorKind::Timeout,
            Self::Corrupt { .. } => ErrorKind::Corrupt,
            Self::Removed { .. } => ErrorKind::Gone,
            Self::FileNotOnWindowsYet => ErrorKind::Unsupported,
            Self::Io { .. } => ErrorKind::Os,
        }
    }
}

/// Checks a mapping name as the OS object will need it.
pub fn validate_name(name: &str) -> Result<(), SharedError> {
    match mapping_name_problem(name) {
        Some(reason) => Err(SharedError::BadName {
            name: name.into(),
            reason,
        }),
        None => Ok(()),
    }
}

/// Checks a backing file's path: its file name must be usable as a
/// mapping name (it becomes the object's name in its folder).
pub fn validate_file_path(path: &Path) -> Result<(), SharedError> {
    // The raw last part: "dir/" names no file, "dir/." and ".." are dots.
    let bytes = path.as_os_str().as_encoded_bytes();
    let last = bytes.rsplit(|&b| b == b'/').next().unwrap_or_default();
    let name = std::str::from_utf8(last).map_err(|_| SharedError::BadPath {
        path: path.into(),
        reason: NameProblem::NotUtf8,
    })?;
    validate_name(name).map_err(|e| match e {
        SharedError::BadName { reason, .. } => SharedError::BadPath {
            path: path.into(),
            reason,
        },
        other => other,
    })
}

/// How this instance came to the mapping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Origin {
    /// No object existed: this instance created it and wrote the sample.
    Created,
    /// Other instances were attached: this one opened their object.
    Joined,
    /// A backing file that no instance had open: what was saved in it is
    /// kept (if its bytes are not valid, the form offers a reset).
    OpenedFile,
    /// An object was left by instances that all ended without detaching.
    /// Its bytes were checked: valid, its text was kept (`reason` None);
    /// invalid for `reason`, it was rewritten with the sample.
    RecoveredStale {
        kept_text: bool,
        reason: Option<CorruptReason>,
    },
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Created => write!(f, "created the mapping"),
            Self::Joined => write!(f, "joined the mapping"),
            Self::OpenedFile => write!(
                f,
                "opened the saved file: no other instance had it open, and what it holds is kept"
            ),
            Self::RecoveredStale {
                reason: Some(reason),
                ..
            } => write!(
                f,
                "recovered the stale mapping: left by instances that ended without detaching, invalid ({reason}); rewritten with the sample"
            ),
            Self::RecoveredStale { .. } => write!(
                f,
                "recovered the stale mapping: left by instances that ended without detaching; its text was valid and is kept"
            ),
        }
    }
}

/// Who holds the data lock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum LockState {
    Free,
    /// `holder` as the kernel's lock table names it; `held_ms` only when
    /// the header's record agrees (the same PID, a time the holder has
    /// been running for). None is said as such: a load holds the lock
    /// without recording it, and a holder may be between taking it and
    /// recording it.
    Held {
        holder: Holder,
        held_ms: Option<u64>,
    },
    /// The lock is free but the header still names `pid` as its holder, and
    /// no process `pid` is running: a write it began was cut short. The
    /// next operation takes the record over.
    Abandoned {
        pid: u32,
    },
}

impl fmt::Display for LockState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Free => write!(f, "free"),
            Self::Held {
                holder,
                held_ms: Some(ms),
            } => write!(f, "held by {holder} for {ms} ms"),
            Self::Held {
                holder,
                held_ms: None,
            } => write!(f, "held by {holder}; since when, it did not record"),
            Self::Abandoned { pid } => write!(
                f,
                "free; the header still names PID {pid} as its holder, and no process {pid} is running: a write it began was cut short"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::os::names::{MAX_NAME_LEN, name_problem};

    #[test]
    fn names_are_checked() {
        for bad in [
            "",
            "a/b",
            "a\\b",
            "nul\0",
            ".",
            "..",
            "tab\there",
            " ",
            "\u{3000}",
            "evil\u{202E}txt",
            "zero\u{200B}width",
            "\u{FEFF}bom",
        ] {
            let err = validate_name(bad).unwrap_err();
            assert!(matches!(err, SharedError::BadName { .. }), "{bad:?}: {err}");
        }
        let long = "x".repeat(MAX_NAME_LEN + 1);
        let err = validate_name(&long).unwrap_err();
        assert!(
            err.to_string()
                .ends_with("it is 101 bytes, longer than 100"),
            "{err}"
        );
        assert!(validate_name(&"x".repeat(MAX_NAME_LEN)).is_ok());
        assert_eq!(name_problem("  "), Some(NameProblem::Blank));
        assert_eq!(
            name_problem("a\u{202E}b"),
            Some(NameProblem::Format { ch: '\u{202E}' })
        );
        assert!(
            NameProblem::Format { ch: '\u{200B}' }
                .to_string()
                .contains("(U+200B)")
        );
        assert!(
            validate_name("한글 이름").is_ok(),
            "spaces inside a name are fine"
        );
        assert!(validate_name("샘플 MMF").is_ok());
        let err = validate_name("bad/name").unwrap_err();
        assert_eq!(
            err.to_string(),
            "bad mapping name \"bad/name\": it contains '/' or '\\'"
        );
    }

    #[test]
    fn sentences_carry_the_facts() {
        let timeout = SharedError::LockTimeout {
            waited_ms: 1000,
            holder: Holder::Running {
                pid: 42,
                window: None,
            },
        };
        assert_eq!(
            timeout.to_string(),
            "lock timed out after 1000 ms; held by PID 42"
        );
        let stale = Origin::RecoveredStale {
            kept_text: false,
            reason: Some(CorruptReason::BadMagic(0)),
        };
        assert!(
            stale.to_string().contains("invalid (bad magic number"),
            "{stale}"
        );
        let held = LockState::Held {
            holder: Holder::Running {
                pid: 7,
                window: Some(2),
            },
            held_ms: Some(12),
        };
        assert_eq!(held.to_string(), "held by window #2 (PID 7) for 12 ms");
        // Without a time the panel says there is none, not just less.
        let untimed = LockState::Held {
            holder: Holder::Running {
                pid: 7,
                window: None,
            },
            held_ms: None,
        };
        assert_eq!(
            untimed.to_string(),
            "held by PID 7; since when, it did not record"
        );
    }
}
