//! Every error, state and report of the book mutex through the Korean
//! renderer; the matches have no wildcard, so a new variant does not
//! compile until it is added here.

use std::io;
use std::time::Duration;

use super::{
    AcquireReport, AcquireResult, BlockProblem, CrashProblem, GuardedData, Holder, Look,
    MutexError, MutexKind, MutexState, ResetOutcome, ResetReport,
};
use crate::i18n::testing::assert_korean;
use crate::i18n::{Lang, Localized};

/// A holder as each degree of knowledge gives it.
const HOLDERS: [Holder; 5] = [
    Holder::Running {
        pid: 42,
        window: Some(3),
    },
    Holder::Running {
        pid: 42,
        window: None,
    },
    Holder::Died { pid: 5 },
    Holder::Named { pid: 1 },
    Holder::Unknown,
];

fn problems() -> Vec<BlockProblem> {
    use BlockProblem as P;
    let all = vec![
        P::TooSmall {
            size: 0,
            need: 4096,
        },
        P::Magic(0),
        P::Version {
            found: 1,
            expected: 2,
        },
        P::MutexType {
            found: -1,
            expected: 146,
        },
        P::LockWord { value: 0xffff_ffff },
        P::Owner { value: -7 },
        P::Unreadable,
        P::Vanished,
        P::ChangedUnderHolder,
    ];
    for p in &all {
        match p {
            P::TooSmall { .. }
            | P::Magic(_)
            | P::Version { .. }
            | P::MutexType { .. }
            | P::LockWord { .. }
            | P::Owner { .. }
            | P::Unreadable
            | P::Vanished
            | P::ChangedUnderHolder => {}
        }
    }
    all
}

/// The lock's object refused as another account's (each OS says it its way).
#[cfg(unix)]
fn another_account_s_object() -> crate::os::shm_object::ObjectError {
    crate::os::shm_object::ObjectError::Foreign {
        path: "/dev/shm/memlab-mutex.0.LockMap".into(),
        owner: 1000,
        you: 0,
    }
}

/// The lock's object refused as another account's (each OS says it its way).
#[cfg(windows)]
fn another_account_s_object() -> crate::os::shm_object::ObjectError {
    crate::os::shm_object::ObjectError::Denied {
        name: "Local\\memlab.mutex.LockMap".into(),
    }
}

fn mutex_errors() -> Vec<MutexError> {
    use MutexError as E;
    let mut all = vec![
        E::BadName {
            name: "a/b".into(),
            reason: crate::os::names::NameProblem::Slash,
        },
        E::Object(another_account_s_object()),
        E::AlreadyHeld {
            kind: MutexKind::Robust,
        },
        E::NotHeld {
            kind: MutexKind::RawSync,
        },
        E::InUse {
            name: "LockMap".into(),
            others: 2,
        },
        E::NotRecoverable,
        E::Pthread {
            call: "pthread_mutex_timedlock",
            errno: libc::EINVAL,
        },
        E::RawSync {
            message: "Failed to acquire mutex : 22".into(),
        },
        E::RawSync {
            message: "Failed to initialize pthread_mutexattr_t".into(),
        },
        E::CrashFailed {
            problem: CrashProblem::NotKilled,
            status: Some(3),
        },
        E::CrashFailed {
            problem: CrashProblem::TooSlow,
            status: None,
        },
        E::OwnerGone,
        E::Io {
            context: "opening the gate",
            source: io::Error::from_raw_os_error(libc::EACCES),
        },
    ];
    for holder in HOLDERS {
        all.push(E::TimedOut {
            kind: MutexKind::FileLock,
            waited_ms: 1000,
            holder,
        });
        all.push(E::Stuck {
            kind: MutexKind::RawSync,
            waited_ms: 1000,
            holder,
        });
        all.push(E::ResetRefused {
            kind: MutexKind::RawSync,
            holder,
        });
    }
    for problem in problems() {
        all.push(E::Corrupt {
            kind: MutexKind::Robust,
            name: "LockMap".into(),
            problem,
        });
        all.push(E::LostWhileHeld {
            kind: MutexKind::RawSync,
            name: "LockMap".into(),
            problem,
        });
    }
    for e in &all {
        match e {
            E::BadName { .. }
            | E::Object(_)
            | E::TimedOut { .. }
            | E::Stuck { .. }
            | E::Corrupt { .. }
            | E::LostWhileHeld { .. }
            | E::AlreadyHeld { .. }
            | E::NotHeld { .. }
            | E::ResetRefused { .. }
            | E::InUse { .. }
            | E::NotRecoverable
            | E::Pthread { .. }
            | E::RawSync { .. }
            | E::CrashFailed { .. }
            | E::OwnerGone
            | E::Io { .. } => {}
        }
    }
    all
}

fn half() -> GuardedData {
    GuardedData {
        a: 900,
        b: 0,
        moves: 0,
        step: 1,
        writer: 5,
    }
}

fn reports() -> Vec<AcquireReport> {
    let report = |result, found, rolled_back, deadline_bug| AcquireReport {
        kind: MutexKind::Robust,
        result,
        waited: Duration::from_millis(1000),
        deadline_bug,
        panicked: deadline_bug,
        found,
        rolled_back,
    };
    let mut all = vec![
        report(
            AcquireResult::Acquired,
            Some(GuardedData::fresh()),
            false,
            true,
        ),
        report(AcquireResult::Acquired, Some(half()), false, false),
        report(AcquireResult::Acquired, None, false, false),
    ];
    for holder in HOLDERS {
        all.push(report(
            AcquireResult::AcquiredOwnerDied { previous: holder },
            Some(half()),
            true,
            false,
        ));
        all.push(report(
            AcquireResult::TimedOut { holder },
            None,
            false,
            false,
        ));
        all.push(report(AcquireResult::Stuck { holder }, None, false, true));
    }
    for r in &all {
        match r.result {
            AcquireResult::Acquired
            | AcquireResult::AcquiredOwnerDied { .. }
            | AcquireResult::TimedOut { .. }
            | AcquireResult::Stuck { .. } => {}
        }
    }
    all
}

fn states() -> Vec<MutexState> {
    let mut all = vec![
        MutexState::Free,
        MutexState::HeldHere,
        MutexState::NotRecoverable,
    ];
    for holder in HOLDERS {
        all.extend([
            MutexState::Held { holder },
            MutexState::Abandoned { holder },
            MutexState::Stuck { holder },
        ]);
    }
    for problem in problems() {
        all.push(MutexState::Corrupt { problem });
    }
    for s in &all {
        match s {
            MutexState::Free
            | MutexState::HeldHere
            | MutexState::Held { .. }
            | MutexState::Abandoned { .. }
            | MutexState::Stuck { .. }
            | MutexState::NotRecoverable
            | MutexState::Corrupt { .. } => {}
        }
    }
    all
}

fn resets() -> Vec<ResetReport> {
    let mut outcomes = vec![
        ResetOutcome::NothingToReset,
        ResetOutcome::WasFree,
        ResetOutcome::Repaired {
            problem: BlockProblem::TooSmall {
                size: 0,
                need: 4096,
            },
        },
    ];
    outcomes.extend(HOLDERS.map(|dead_holder| ResetOutcome::Reinitialised { dead_holder }));
    outcomes.extend(HOLDERS.map(|dead_holder| ResetOutcome::TookAbandoned { dead_holder }));
    let mut all = Vec::new();
    for outcome in outcomes {
        match outcome {
            ResetOutcome::NothingToReset
            | ResetOutcome::WasFree
            | ResetOutcome::Reinitialised { .. }
            | ResetOutcome::Repaired { .. }
            | ResetOutcome::TookAbandoned { .. } => {}
        }
        for repaired in [None, Some(half())] {
            all.push(ResetReport {
                kind: MutexKind::RawSync,
                outcome,
                repaired,
            });
        }
    }
    all
}

fn both(value: &dyn Localized) {
    assert_korean(&value.localized(Lang::Ko));
    assert!(!value.localized(Lang::En).is_empty());
}

#[test]
fn every_error_state_report_and_note_reads_in_korean() {
    for e in mutex_errors() {
        assert_korean(&e.localized(Lang::Ko));
        assert_eq!(e.localized(Lang::En), e.to_string());
    }
    for p in problems() {
        both(&p);
    }
    for r in reports() {
        both(&r);
        assert_eq!(r.localized(Lang::En), r.to_string());
    }
    for s in states() {
        both(&s);
        for data in [None, Some(GuardedData::fresh()), Some(half())] {
            both(&Look { state: s, data });
        }
    }
    for r in resets() {
        both(&r);
    }
    for kind in MutexKind::ALL {
        both(&kind);
    }
}

#[test]
fn a_window_holder_is_named_by_its_number_in_both_languages() {
    let state = MutexState::Held { holder: HOLDERS[0] };
    assert_eq!(state.localized(Lang::En), "held by window #3 (PID 42)");
    assert!(state.localized(Lang::Ko).contains("창 #3 (PID 42)"));
    let timeout = MutexError::TimedOut {
        kind: MutexKind::FileLock,
        waited_ms: 1000,
        holder: HOLDERS[0],
    };
    assert!(timeout.to_string().ends_with("held by window #3 (PID 42)"));
    assert!(timeout.localized(Lang::Ko).contains("창 #3 (PID 42)"));
}

// pthread errors are Linux's (errno texts); Windows' lock makes none.
#[cfg(unix)]
#[test]
fn a_pthread_error_names_its_number_once() {
    let e = MutexError::Pthread {
        call: "pthread_mutex_timedlock",
        errno: libc::EINVAL,
    };
    assert_eq!(
        e.to_string(),
        "pthread_mutex_timedlock failed: Invalid argument (os error 22)"
    );
    assert_eq!(e.localized(Lang::Ko).matches("22").count(), 1);
}

#[test]
fn the_half_written_data_is_said_and_what_was_done_about_it() {
    let found = reports();
    let rolled = found
        .iter()
        .find(|r| r.rolled_back)
        .expect("a rolled back report");
    assert!(
        rolled.to_string().contains(
            "the guarded data was half-written (A 900 + B 0 = 900, not 1000): memlab undid"
        ),
        "{rolled}"
    );
    assert!(rolled.localized(Lang::Ko).contains("되돌렸습니다"));
    let silent = found[1];
    assert!(
        silent.to_string().contains("and this lock did not say so"),
        "{silent}"
    );
    assert!(silent.localized(Lang::Ko).contains("알려 주지 않았습니다"));
}
