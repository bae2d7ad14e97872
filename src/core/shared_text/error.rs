//! What the shared string reports: its errors, how an instance came to the
//! object, and the lock's state. Data only; the CLI prints the English
//! `Display`, the form renders them in the user's language.

use std::fmt;
use std::io;

use serde::Serialize;

use super::layout::CorruptReason;
use crate::core::shm_object::{IoOp, ObjectError};

/// Longest accepted mapping name, in bytes.
pub const MAX_NAME_LEN: usize = 100;

/// Everything that can go wrong with the shared string.
#[derive(Debug, thiserror::Error)]
pub enum SharedError {
    #[error("bad mapping name {name:?}: {reason}")]
    BadName { name: String, reason: NameProblem },
    /// The object could not be opened, created, named or kept.
    #[error(transparent)]
    Object(#[from] ObjectError),
    #[error("lock timed out after {waited_ms} ms; {}", HolderNote(*holder))]
    LockTimeout { waited_ms: u64, holder: Option<u32> },
    #[error("the mapping {name:?} is corrupt: {reason}")]
    Corrupt { name: String, reason: CorruptReason },
    #[error("the text contains a NUL character, which would end the string in the mapping")]
    NulInText,
    /// Someone removed the object's name while this instance was attached.
    #[error(
        "the mapping {name:?} was removed by someone else: this instance still has the old memory, which new instances cannot reach"
    )]
    Removed { name: String },
    #[error("{op} the mapping {name:?}: {source}")]
    Io {
        op: IoOp,
        name: String,
        #[source]
        source: io::Error,
    },
}

/// Why a mapping name is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameProblem {
    Empty,
    TooLong { len: usize, max: usize },
    Nul,
    Slash,
    DotName,
    Control,
}

impl fmt::Display for NameProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Empty => write!(f, "it is empty"),
            Self::TooLong { len, max } => write!(f, "it is {len} bytes, longer than {max}"),
            Self::Nul => write!(f, "it contains a NUL character"),
            Self::Slash => write!(f, "it contains '/' or '\\'"),
            Self::DotName => write!(f, "'.' and '..' are not names"),
            Self::Control => write!(f, "it contains a control character"),
        }
    }
}

struct HolderNote(Option<u32>);

impl fmt::Display for HolderNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(pid) => write!(f, "held by PID {pid}"),
            None => write!(f, "holder unknown"),
        }
    }
}

/// Checks a mapping name as the OS object will need it.
pub fn validate_name(name: &str) -> Result<(), SharedError> {
    match name_problem(name) {
        Some(reason) => Err(SharedError::BadName {
            name: name.into(),
            reason,
        }),
        None => Ok(()),
    }
}

/// What is wrong with `name` as part of an object's name in /dev/shm, if anything.
pub fn name_problem(name: &str) -> Option<NameProblem> {
    if name.is_empty() {
        Some(NameProblem::Empty)
    } else if name.len() > MAX_NAME_LEN {
        Some(NameProblem::TooLong {
            len: name.len(),
            max: MAX_NAME_LEN,
        })
    } else if name.contains('\0') {
        Some(NameProblem::Nul)
    } else if name.contains('/') || name.contains('\\') {
        Some(NameProblem::Slash)
    } else if name == "." || name == ".." {
        Some(NameProblem::DotName)
    } else if name.chars().any(char::is_control) {
        Some(NameProblem::Control)
    } else {
        None
    }
}

/// How this instance came to the mapping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Origin {
    /// No object existed: this instance created it and wrote the sample.
    Created,
    /// Other instances were attached: this one opened their object.
    Joined,
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
    Held {
        pid: Option<u32>,
        held_ms: u64,
    },
    /// Its holder died holding it; the next operation takes it over.
    Abandoned {
        pid: u32,
    },
}

impl fmt::Display for LockState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Free => write!(f, "free"),
            Self::Held {
                pid: Some(pid),
                held_ms,
            } => {
                write!(f, "held by PID {pid} for {held_ms} ms")
            }
            Self::Held { pid: None, held_ms } => {
                write!(f, "held by an unknown PID for {held_ms} ms")
            }
            Self::Abandoned { pid } => write!(f, "abandoned by dead PID {pid}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        for bad in ["", "a/b", "a\\b", "nul\0", ".", "..", "tab\there"] {
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
            holder: Some(42),
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
            pid: Some(7),
            held_ms: 12,
        };
        assert_eq!(held.to_string(), "held by PID 7 for 12 ms");
    }
}
