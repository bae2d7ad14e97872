//! Every error variant, origin and lock state of the shared text, rendered
//! in Korean, must read as Korean: no English sentence left (numbers,
//! paths, names and a few abbreviations aside).

use std::io;
use std::path::PathBuf;

use super::{CorruptReason, LockState, Origin, SharedError};
use crate::desktop::holder::Holder;
use crate::i18n::{Lang, Localized};
use crate::os::names::NameProblem;
use crate::os::shm_object::{IoOp, ModeBits, ObjectError, ObjectKind};

const NAME: &str = "SampleMMF";
/// A holder as each degree of knowledge gives it.
const HOLDERS: [Holder; 5] = [
    Holder::Running {
        pid: 4242,
        window: Some(3),
    },
    Holder::Running {
        pid: 4242,
        window: None,
    },
    Holder::Died { pid: 4242 },
    Holder::Named { pid: 4242 },
    Holder::Unknown,
];
/// A backing file's path, as the data shows it.
const FILE: &str = "/home/student/shared-text.mmf";

fn path() -> PathBuf {
    PathBuf::from("/dev/shm/memlab.1000.SampleMMF")
}

fn every_io_op() -> Vec<IoOp> {
    let all = [
        IoOp::OpenFolder,
        IoOp::Open,
        IoOp::Create,
        IoOp::Reserve,
        IoOp::Publish,
        IoOp::Remove,
        IoOp::Lock,
        IoOp::Map,
        IoOp::Inspect,
    ];
    // A new operation must be added above: this match has no wildcard.
    for op in all {
        match op {
            IoOp::OpenFolder
            | IoOp::Open
            | IoOp::Create
            | IoOp::Reserve
            | IoOp::Publish
            | IoOp::Remove
            | IoOp::Lock
            | IoOp::Map
            | IoOp::Inspect => {}
        }
    }
    all.to_vec()
}

fn every_corrupt_reason() -> Vec<CorruptReason> {
    let all = vec![
        CorruptReason::TooSmall {
            size: 10,
            need: 520,
        },
        CorruptReason::BadMagic(0x4141_4141_4141_4141),
        CorruptReason::BadVersion {
            found: 1,
            expected: 2,
        },
        CorruptReason::BadCapacity {
            found: 7,
            expected: 100,
        },
        CorruptReason::BadActive(9),
        CorruptReason::NoTerminator { within: 101 },
        CorruptReason::Unreadable,
    ];
    for reason in &all {
        match reason {
            CorruptReason::TooSmall { .. }
            | CorruptReason::BadMagic(_)
            | CorruptReason::BadVersion { .. }
            | CorruptReason::BadCapacity { .. }
            | CorruptReason::BadActive(_)
            | CorruptReason::NoTerminator { .. }
            | CorruptReason::Unreadable => {}
        }
    }
    all
}

fn every_object_error() -> Vec<ObjectError> {
    let mut all = vec![
        ObjectError::Foreign {
            path: path(),
            owner: 65534,
            you: 1000,
        },
        ObjectError::Exposed {
            path: path(),
            mode: ModeBits(0o100666),
        },
        ObjectError::UnsafeFolder {
            path: PathBuf::from("/dev/shm"),
            owner: 65534,
            mode: ModeBits(0o40777),
        },
        ObjectError::NoSpace {
            folder: PathBuf::from("/dev/shm"),
            needed: 520,
        },
        ObjectError::Busy {
            path: path(),
            waited_ms: 5000,
        },
        ObjectError::Full {
            path: path(),
            max: 64,
        },
        ObjectError::Unsettled {
            path: path(),
            attempts: 50,
        },
    ];
    for kind in [
        ObjectKind::Directory,
        ObjectKind::Symlink,
        ObjectKind::Fifo,
        ObjectKind::Socket,
        ObjectKind::Device,
    ] {
        for owner in [Some(1000), Some(65534), None] {
            all.push(ObjectError::NameTaken {
                path: path(),
                kind,
                owner,
            });
        }
    }
    for op in every_io_op() {
        for errno in [libc::EACCES, libc::ENOSPC, libc::EXDEV] {
            all.push(ObjectError::io(
                op,
                &path(),
                io::Error::from_raw_os_error(errno),
            ));
        }
    }
    all.push(ObjectError::io(
        IoOp::Open,
        &path(),
        io::Error::other("an English sentence"),
    ));
    for e in &all {
        match e {
            ObjectError::NameTaken { .. }
            | ObjectError::Foreign { .. }
            | ObjectError::Exposed { .. }
            | ObjectError::UnsafeFolder { .. }
            | ObjectError::NoSpace { .. }
            | ObjectError::Busy { .. }
            | ObjectError::Full { .. }
            | ObjectError::Unsettled { .. }
            | ObjectError::Io { .. } => {}
        }
    }
    all
}

fn every_shared_error() -> Vec<SharedError> {
    let mut all: Vec<SharedError> = [
        NameProblem::Empty,
        NameProblem::TooLong { len: 101, max: 100 },
        NameProblem::Nul,
        NameProblem::Slash,
        NameProblem::DotName,
        NameProblem::Control,
        NameProblem::Blank,
        NameProblem::Format { ch: '\u{202E}' },
        NameProblem::NotUtf8,
    ]
    .into_iter()
    .inspect(|reason| match reason {
        // No wildcard: a new problem does not compile until it is here.
        NameProblem::Empty
        | NameProblem::TooLong { .. }
        | NameProblem::Nul
        | NameProblem::Slash
        | NameProblem::DotName
        | NameProblem::Control
        | NameProblem::Blank
        | NameProblem::Format { .. }
        | NameProblem::NotUtf8 => {}
    })
    .flat_map(|reason| {
        [
            SharedError::BadName {
                name: NAME.into(),
                reason,
            },
            SharedError::BadPath {
                path: PathBuf::from(FILE),
                reason,
            },
        ]
    })
    .collect();
    all.extend(every_object_error().into_iter().map(SharedError::Object));
    for holder in HOLDERS {
        all.push(SharedError::LockTimeout {
            waited_ms: 1000,
            holder,
        });
    }
    all.extend(
        every_corrupt_reason()
            .into_iter()
            .map(|reason| SharedError::Corrupt {
                name: NAME.into(),
                reason,
            }),
    );
    all.extend(
        every_corrupt_reason()
            .into_iter()
            .map(|reason| SharedError::ForeignFile {
                path: PathBuf::from(FILE),
                reason,
            }),
    );
    all.push(SharedError::NulInText);
    all.push(SharedError::Removed { name: NAME.into() });
    for op in every_io_op() {
        all.push(SharedError::Io {
            op,
            name: NAME.into(),
            source: io::Error::from_raw_os_error(libc::ENOMEM),
        });
    }
    all.push(SharedError::FileNotOnWindowsYet);
    for e in &all {
        match e {
            SharedError::BadName { .. }
            | SharedError::BadPath { .. }
            | SharedError::ForeignFile { .. }
            | SharedError::Object(_)
            | SharedError::LockTimeout { .. }
            | SharedError::Corrupt { .. }
            | SharedError::NulInText
            | SharedError::FileNotOnWindowsYet
            | SharedError::Removed { .. }
            | SharedError::Io { .. } => {}
        }
    }
    all
}

fn every_origin() -> Vec<Origin> {
    let mut all = vec![
        Origin::Created,
        Origin::Joined,
        Origin::OpenedFile,
        Origin::RecoveredStale {
            kept_text: true,
            reason: None,
        },
    ];
    all.extend(
        every_corrupt_reason()
            .into_iter()
            .map(|reason| Origin::RecoveredStale {
                kept_text: false,
                reason: Some(reason),
            }),
    );
    all
}

fn every_lock_state() -> Vec<LockState> {
    let mut all = vec![LockState::Free, LockState::Abandoned { pid: 4242 }];
    for holder in HOLDERS {
        for held_ms in [Some(30), None] {
            all.push(LockState::Held { holder, held_ms });
        }
    }
    all
}

/// ASCII words a Korean sentence may contain: units, abbreviations, the
/// names of things and the commands it quotes (the data's own paths and
/// names are removed first).
const ALLOWED: &[&str] = &[
    "PID", "uid", "ms", "NUL", "UTF", "errno", "memlab", "x", "OS", "sudo", "rm", "r", "Windows",
];

/// Fails if `text` has no Hangul or has an ASCII word that is not a
/// name, a number or an allowed abbreviation.
fn assert_korean(what: &str, text: &str) {
    assert!(
        text.chars().any(|c| ('가'..='힣').contains(&c)),
        "{what}: no Korean in {text:?}"
    );
    let mut rest = text.to_owned();
    for data in ["/dev/shm/memlab.1000.SampleMMF", "/dev/shm", FILE, NAME] {
        rest = rest.replace(data, " ");
    }
    // A code point (U+202E) is a number, not a word.
    while let Some(at) = rest.find("U+") {
        let end = rest[at + 2..]
            .find(|c: char| !c.is_ascii_hexdigit())
            .map_or(rest.len(), |n| at + 2 + n);
        rest.replace_range(at..end, " ");
    }
    for word in rest.split(|c: char| !c.is_ascii_alphabetic()) {
        assert!(
            word.is_empty() || ALLOWED.contains(&word),
            "{what}: English word {word:?} in {text:?}"
        );
    }
}

#[test]
fn every_error_origin_and_lock_state_reads_in_korean() {
    for e in every_shared_error() {
        assert_korean(&format!("{e:?}"), &e.localized(Lang::Ko));
        assert_eq!(e.localized(Lang::En), e.to_string());
    }
    for origin in every_origin() {
        assert_korean(&format!("{origin:?}"), &origin.localized(Lang::Ko));
    }
    for lock in every_lock_state() {
        assert_korean(&format!("{lock:?}"), &lock.localized(Lang::Ko));
    }
}

#[test]
fn the_checker_catches_english() {
    let caught = std::panic::catch_unwind(|| assert_korean("t", "잠금 lock timed out"));
    assert!(caught.is_err());
    // The mode is shown with its special bits, as chmod spells it.
    let e = ObjectError::UnsafeFolder {
        path: PathBuf::from("/dev/shm"),
        owner: 0,
        mode: ModeBits(0o41777),
    };
    assert!(
        e.localized(Lang::Ko).contains("권한 1777"),
        "{}",
        e.localized(Lang::Ko)
    );
    assert!(e.to_string().contains("mode 1777"), "{e}");
}
