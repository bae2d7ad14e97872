//! The lab's pure parts: where the library is looked for, and the Korean
//! of its messages. The exchange itself loads the real library, which the
//! app's build makes: tests/it/sharemem_cli.rs runs it.

use std::path::{Path, PathBuf};

use super::*;
use crate::i18n::{Lang, Localized};

#[test]
fn the_library_is_looked_for_next_to_the_exe_and_in_its_deps_folder() {
    if std::env::var_os(LIBRARY_ENV).is_some() {
        panic!("{LIBRARY_ENV} is set in the test's environment: unset it to run this test");
    }
    let exe = Path::new("/no/such/dir/memlab");
    assert_eq!(
        search_path(exe),
        vec![
            PathBuf::from("/no/such/dir/deps").join(LIBRARY_FILE),
            PathBuf::from("/no/such/dir").join(LIBRARY_FILE),
        ]
    );
    let e = locate(exe).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unavailable);
    let text = e.to_string();
    let deps = Path::new("/no/such/dir").join("deps");
    assert!(text.contains(&deps.display().to_string()), "{text}");
    assert!(text.contains(LIBRARY_ENV), "{text}");
}

#[test]
fn every_error_and_step_reads_in_korean() {
    let hangul = |s: &str| s.chars().any(|c| ('가'..='힣').contains(&c));
    let arena = Range {
        start: 0x1000,
        len: 0x100,
    };
    let errors = [
        ShareMemError::LibraryNotFound { searched: vec![] },
        ShareMemError::NotAFile {
            path: PathBuf::from("/dev/zero"),
        },
        ShareMemError::Load {
            path: "x".into(),
            message: "m".into(),
        },
        ShareMemError::MissingSymbol {
            path: "x".into(),
            symbol: "sm_make_string".into(),
        },
        ShareMemError::AbiVersion {
            path: "x".into(),
            found: 2,
            expected: 1,
        },
        ShareMemError::NoRoom { bytes: 3 },
        ShareMemError::ManagerInUse { shared: true },
        ShareMemError::ForeignBlock {
            address: 0x1010,
            library_arena: arena,
            program_heap: None,
        },
        ShareMemError::Child {
            exe: "memlab".into(),
            message: "m".into(),
        },
    ];
    for e in &errors {
        let ko = e.localized(Lang::Ko);
        assert!(hangul(&ko), "{ko}");
        assert_eq!(e.localized(Lang::En), e.to_string());
    }
    let report = ChildReport {
        pid: 1,
        address: Some(0x1010),
        survived: false,
        reused: None,
        ended: Ended::Signal {
            number: 6,
            name: "SIGABRT".into(),
        },
        stderr: String::new(),
    };
    let steps = [
        Step::Loaded { path: "x".into() },
        Step::HandedManager,
        Step::KeptOwnManager,
        Step::Made {
            address: 1,
            text: TEXT.into(),
            owner: Owner::Library,
        },
        Step::ProgramFreed { address: 1 },
        Step::ProgramRefused {
            refusal: errors[6].clone(),
        },
        Step::LibraryFreed { address: 1 },
        Step::ChildFreed { report },
    ];
    for s in &steps {
        let ko = s.localized(Lang::Ko);
        assert!(hangul(&ko), "{ko}");
        assert_ne!(ko, s.to_string());
    }
}
