//! Every error, state, report and log line of the mutex lab through the
//! Korean renderer; the matches have no wildcard, so a new variant does not
//! compile until it is added here.

use std::io;
use std::time::Duration;

use super::MutexNote;
use crate::core::mutex::{
    AcquireReport, AcquireResult, CrashProblem, CrashedHolder, MutexError, MutexKind, MutexState,
    ResetOutcome,
};
use crate::i18n::{Lang, Localized, assert_korean};

fn mutex_errors() -> Vec<MutexError> {
    use MutexError as E;
    let all = vec![
        E::BadName {
            name: "a/b".into(),
            reason: crate::core::shared_text::NameProblem::Slash,
        },
        E::Object(crate::core::shm_object::ObjectError::Foreign {
            path: "/dev/shm/memlab-mutex.0.LockMap".into(),
            owner: 1000,
            you: 0,
        }),
        E::TimedOut {
            kind: MutexKind::FileLock,
            waited_ms: 1000,
            holder: Some(7),
        },
        E::TimedOut {
            kind: MutexKind::Robust,
            waited_ms: 1000,
            holder: None,
        },
        E::Stuck {
            kind: MutexKind::RawSync,
            waited_ms: 1000,
            dead_holder: 8,
        },
        E::AlreadyHeld {
            kind: MutexKind::Robust,
        },
        E::NotHeld {
            kind: MutexKind::RawSync,
        },
        E::ResetRefused {
            kind: MutexKind::RawSync,
            pid: 9,
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
    for e in &all {
        match e {
            E::BadName { .. }
            | E::Object(_)
            | E::TimedOut { .. }
            | E::Stuck { .. }
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

fn notes() -> Vec<Box<dyn Localized>> {
    let report = |result, deadline_bug| AcquireReport {
        kind: MutexKind::Robust,
        result,
        waited: Duration::from_millis(1000),
        deadline_bug,
    };
    vec![
        Box::new(report(AcquireResult::Acquired, true)),
        Box::new(report(
            AcquireResult::AcquiredOwnerDied { previous: Some(5) },
            false,
        )),
        Box::new(report(AcquireResult::TimedOut { holder: None }, false)),
        Box::new(report(AcquireResult::Stuck { dead_holder: 5 }, false)),
        Box::new(MutexState::Free),
        Box::new(MutexState::HeldHere),
        Box::new(MutexState::Held { pid: Some(3) }),
        Box::new(MutexState::Abandoned { pid: 3 }),
        Box::new(MutexState::Stuck { pid: 3 }),
        Box::new(ResetOutcome::NothingToReset),
        Box::new(ResetOutcome::WasFree),
        Box::new(ResetOutcome::Reinitialised { dead_holder: None }),
        Box::new(MutexKind::FileLock),
        Box::new(MutexKind::RawSync),
        Box::new(MutexKind::Robust),
    ]
}

fn log_lines() -> Vec<MutexNote> {
    let all = vec![
        MutexNote::Opened {
            kind: MutexKind::Robust,
            name: "LockMap".into(),
        },
        MutexNote::Acquire(AcquireReport {
            kind: MutexKind::RawSync,
            result: AcquireResult::Stuck { dead_holder: 5 },
            waited: Duration::from_millis(1000),
            deadline_bug: true,
        }),
        MutexNote::Released {
            kind: MutexKind::FileLock,
        },
        MutexNote::Crashed(CrashedHolder {
            pid: 77,
            signal: Some(libc::SIGKILL),
        }),
        MutexNote::Crashed(CrashedHolder {
            pid: 77,
            signal: None,
        }),
        MutexNote::Reset(ResetOutcome::Reinitialised {
            dead_holder: Some(77),
        }),
        MutexNote::Failed(MutexError::NotRecoverable),
        MutexNote::Lost,
    ];
    for note in &all {
        match note {
            MutexNote::Opened { .. }
            | MutexNote::Acquire(_)
            | MutexNote::Released { .. }
            | MutexNote::Crashed(_)
            | MutexNote::Reset(_)
            | MutexNote::Failed(_)
            | MutexNote::Lost => {}
        }
    }
    all
}

#[test]
fn every_error_state_and_note_reads_in_korean() {
    for e in mutex_errors() {
        assert_korean(&e.localized(Lang::Ko));
        assert_eq!(e.localized(Lang::En), e.to_string());
    }
    for note in notes() {
        assert_korean(&note.localized(Lang::Ko));
        assert!(!note.localized(Lang::En).is_empty());
    }
    for note in log_lines() {
        assert_korean(&note.localized(Lang::Ko));
        assert!(!note.localized(Lang::En).is_empty());
    }
}
