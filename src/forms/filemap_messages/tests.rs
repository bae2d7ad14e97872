//! Every error and note of the lab through the Korean renderer.

use std::path::PathBuf;
use std::time::Duration;

use super::*;
use crate::core::filemap::{
    Access, ByteCountError, EndOfFile, Flushed, Opened, Sharing, ViewMapped,
};
use crate::i18n::assert_korean;

/// Every FileMapError variant once; the match below has no wildcard, so
/// a new variant does not compile until it is added here.
fn file_errors() -> Vec<FileMapError> {
    let path = PathBuf::from("/tmp/데모.bin");
    let io = || io::Error::from_raw_os_error(libc::ENOSPC);
    use FileMapError as E;
    let all = vec![
        E::NotFound { path: path.clone() },
        E::IsADirectory { path: path.clone() },
        E::NotRegularFile { path: path.clone() },
        E::ReadOnly {
            path: path.clone(),
            why: ReadOnlyWhy::NoWriteBit,
        },
        E::ReadOnly {
            path: path.clone(),
            why: ReadOnlyWhy::FileSystem,
        },
        E::PermissionDenied {
            path: path.clone(),
            uid: 65534,
        },
        E::InUse {
            path: path.clone(),
            holder: Some(Holder {
                pid: 42,
                program: "memlab".into(),
            }),
            holder_shares: false,
        },
        E::InUse {
            path: path.clone(),
            holder: Some(Holder {
                pid: 43,
                program: "cat".into(),
            }),
            holder_shares: true,
        },
        E::InUse {
            path: path.clone(),
            holder: None,
            holder_shares: false,
        },
        E::EmptyFile { path: path.clone() },
        E::DiskFull {
            path: path.clone(),
            file_len: 5,
            requested: 4 << 20,
        },
        E::TooLarge {
            requested: u64::MAX,
        },
        E::FileSizeLimit {
            path: path.clone(),
            requested: 1 << 20,
            limit: 102400,
        },
        E::RangeOverflow {
            offset: u64::MAX,
            len: 2,
        },
        E::SystemPath {
            path: PathBuf::from("/dev/mem"),
        },
        E::CannotCreate { path: path.clone() },
        E::MappedElsewhere {
            path: path.clone(),
            pid: Some(4242),
        },
        E::FileShortened {
            file_len: 100,
            start: 100,
            end: 8192,
        },
        E::Unbacked {
            view: 1,
            file_offset: 4096,
        },
        E::ViewOutOfRange {
            offset: 0,
            len: 10,
            mapping_size: 5,
        },
        E::OutsideView {
            view: 2,
            at: 5,
            len: 10,
            view_len: 8,
        },
        E::NoViewAt {
            offset: 9000,
            len: 3,
        },
        E::ReadOnlyAccess { op: Op::WriteView },
        E::MappingOpen { size: 4096 },
        E::NoMapping,
        E::MappingClosed,
        E::FileClosed,
        E::ViewClosed { view: 3 },
        E::NoSuchView { view: 9 },
        E::StillMapped {
            views: 2,
            mapping_open: true,
        },
        E::NoDataDir,
        E::Io {
            op: Op::Flush,
            path: path.clone(),
            source: io(),
        },
        E::Io {
            op: Op::DataDir,
            path,
            source: io::Error::new(
                io::ErrorKind::PermissionDenied,
                "not a private directory of this user",
            ),
        },
    ];
    for e in &all {
        match e {
            E::NotFound { .. }
            | E::IsADirectory { .. }
            | E::NotRegularFile { .. }
            | E::ReadOnly { .. }
            | E::PermissionDenied { .. }
            | E::InUse { .. }
            | E::EmptyFile { .. }
            | E::DiskFull { .. }
            | E::TooLarge { .. }
            | E::FileSizeLimit { .. }
            | E::RangeOverflow { .. }
            | E::SystemPath { .. }
            | E::CannotCreate { .. }
            | E::MappedElsewhere { .. }
            | E::FileShortened { .. }
            | E::Unbacked { .. }
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
            | E::NoDataDir
            | E::Io { .. } => {}
        }
    }
    all
}

fn notes() -> Vec<Box<dyn Localized>> {
    vec![
        Box::new(MappingCreated {
            requested: 8192,
            size: 8192,
            file_len_before: 0,
            file_len_after: 8192,
        }),
        Box::new(MappingCreated {
            requested: 100,
            size: 100,
            file_len_before: 8192,
            file_len_after: 8192,
        }),
        Box::new(Unaligned {
            offset: 100,
            granularity: 4096,
            mapped_from: 0,
            raw_mmap: RawCall::Failed {
                errno: libc::EINVAL,
            },
        }),
        Box::new(Unaligned {
            offset: 100,
            granularity: 4096,
            mapped_from: 0,
            raw_mmap: RawCall::Succeeded,
        }),
        Box::new(ByteCountError::NotACount { text: "12Q".into() }),
        Box::new(ByteCountError::TooLarge { text: "9G".into() }),
    ]
}

/// Every log line of the two labs once; the matches below have no
/// wildcard, so a new variant does not compile until it is added here.
fn log_lines() -> Vec<Box<dyn Localized>> {
    let opened = |access, sharing, created| Opened {
        path: PathBuf::from("/tmp/데모.bin"),
        len: 4096,
        created,
        access,
        sharing,
    };
    let mapped = |unaligned| ViewMapped {
        view: 2,
        offset: 100,
        len: 4000,
        address: 0x7f00_0000_0064,
        unaligned,
    };
    let steps = vec![
        StepNote::Opened(opened(Access::ReadWrite, Sharing::Exclusive, true)),
        StepNote::Opened(opened(Access::ReadOnly, Sharing::Shared, false)),
        StepNote::MappingCreated(MappingCreated {
            requested: 0,
            size: 4096,
            file_len_before: 4096,
            file_len_after: 4096,
        }),
        StepNote::ViewMapped(mapped(None)),
        StepNote::ViewMapped(mapped(Some(Unaligned {
            offset: 100,
            granularity: 4096,
            mapped_from: 0,
            raw_mmap: RawCall::Failed {
                errno: libc::EINVAL,
            },
        }))),
        StepNote::Flushed(Flushed {
            view: 1,
            bytes: 1 << 20,
            took: Duration::from_micros(1234),
        }),
        StepNote::Unmapped { view: 1 },
        StepNote::MappingClosed,
        StepNote::FileClosed { views_left: 0 },
        StepNote::FileClosed { views_left: 2 },
        StepNote::EndOfFile(EndOfFile {
            before: 8192,
            after: 100,
        }),
        StepNote::Failed {
            step: FileStep::Write,
            error: FileMapError::ViewClosed { view: 1 },
        },
        StepNote::BadNumber {
            step: FileStep::CreateMapping,
            error: ByteCountError::NotACount { text: "x".into() },
        },
        StepNote::Lost {
            step: FileStep::Flush,
        },
        StepNote::NoFile {
            step: FileStep::MapView,
        },
    ];
    let mut all: Vec<Box<dyn Localized>> = Vec::new();
    for note in steps {
        match note {
            StepNote::Opened(_)
            | StepNote::MappingCreated(_)
            | StepNote::ViewMapped(_)
            | StepNote::Flushed(_)
            | StepNote::Unmapped { .. }
            | StepNote::MappingClosed
            | StepNote::FileClosed { .. }
            | StepNote::EndOfFile(_)
            | StepNote::Failed { .. }
            | StepNote::BadNumber { .. }
            | StepNote::Lost { .. }
            | StepNote::NoFile { .. } => all.push(Box::new(note)),
        }
    }
    all
}

#[test]
fn every_error_and_note_reads_in_korean_without_english_sentences() {
    for e in file_errors() {
        let ko = e.localized(Lang::Ko);
        assert_korean(&ko);
        assert_eq!(e.localized(Lang::En), e.to_string());
    }
    for note in notes().into_iter().chain(log_lines()) {
        assert_korean(&note.localized(Lang::Ko));
        assert!(!note.localized(Lang::En).is_empty());
    }
}

#[test]
fn particles_follow_the_word_before_them() {
    let closed = FileMapError::ViewClosed { view: 3 };
    assert_eq!(closed.localized(Lang::Ko), "뷰 #3은 매핑 해제되었습니다");
    let none = FileMapError::NoSuchView { view: 2 };
    assert_eq!(none.localized(Lang::Ko), "뷰 #2는 없습니다");
}

#[test]
fn the_check_catches_english_and_both_particles() {
    let english = std::panic::catch_unwind(|| assert_korean("파일: the file was shortened"));
    assert!(english.is_err());
    let both = std::panic::catch_unwind(|| assert_korean("파일을(를) 엶"));
    assert!(both.is_err());
}
