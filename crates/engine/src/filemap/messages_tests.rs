//! Every error and value of the file-mapping engine through the Korean
//! renderer.

use std::io;
use std::path::PathBuf;

use super::FileHolder as FlockHolder;
use super::{
    ByteCountError, FileMapError, MappingCreated, Op, RawCall, ReadOnlyWhy, Sharing, Unaligned,
};
use crate::i18n::testing::assert_korean;
use crate::i18n::{Lang, Localized};

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
            holder: Some(FlockHolder {
                pid: 42,
                program: "memlab".into(),
            }),
            holder_shares: false,
        },
        E::InUse {
            path: path.clone(),
            holder: Some(FlockHolder {
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
        E::NoAppData,
        E::SharingViolation {
            path: path.clone(),
            asked: Sharing::Exclusive,
        },
        E::SharingViolation {
            path: path.clone(),
            asked: Sharing::Shared,
        },
        E::MappedAlignment {
            offset: 4096,
            granularity: 65536,
        },
        E::UserMappedFile {
            path: path.clone(),
            own_views: 1,
            mapping_open: false,
        },
        E::UserMappedFile {
            path: path.clone(),
            own_views: 0,
            mapping_open: true,
        },
        E::UserMappedFile {
            path: path.clone(),
            own_views: 0,
            mapping_open: false,
        },
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
            | E::NoAppData
            | E::SharingViolation { .. }
            | E::MappedAlignment { .. }
            | E::UserMappedFile { .. }
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

#[test]
fn every_error_and_note_reads_in_korean_without_english_sentences() {
    for e in file_errors() {
        let ko = e.localized(Lang::Ko);
        assert_korean(&ko);
        assert_eq!(e.localized(Lang::En), e.to_string());
    }
    for note in notes() {
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
