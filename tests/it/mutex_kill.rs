//! The book's mutex three ways when its holder is SIGKILLed, with real
//! processes: memlab's file lock and the robust pthread mutex are acquired
//! (the robust one reporting the dead owner), raw_sync's mutex times out
//! every time ("stuck") until it is reset. A live holder makes the others
//! time out after the book's 1000 ms, and the shared text is never affected.

#![cfg(target_os = "linux")]

use crate::common;
use common::Cleanup;

use std::os::unix::process::ExitStatusExt;
use std::process::Output;
use std::time::{Duration, Instant};

use common::{BIN, Running, run, stderr, stdout, unique};
use memlab_engine::mutex::{
    self, AcquireResult, BOOK_TIMEOUT, BookMutex, Holder, MutexError, MutexKind, MutexState,
    ResetOutcome,
};

/// Runs `acquire` with a timeout of ten minutes: acquired within `run`'s
/// 30 s, the lock was free, not waited out (how fast is a latency figure,
/// not a test's: a wall-clock bound would race the scheduler).
fn acquire_without_waiting(kind: &str, name: &str) -> Output {
    run(&[
        "mutex",
        "--kind",
        kind,
        "--name",
        name,
        "--timeout-ms",
        "600000",
        "acquire",
    ])
}

fn mutex_cmd(kind: &str, name: &str, action: &str) -> (Output, Duration) {
    let start = Instant::now();
    let out = run(&["mutex", "--kind", kind, "--name", name, action]);
    (out, start.elapsed())
}

/// Runs `crash`: it must take the lock and die by SIGKILL. Its PID.
fn crash(kind: &str, name: &str) -> u32 {
    let mut proc = Running::start(&["mutex", "--kind", kind, "--name", name, "crash"]);
    let pid = proc.pid();
    let mut seen = Vec::new();
    while let Some(line) = proc.line(Duration::from_secs(20)) {
        let done = line.contains("dying by SIGKILL now");
        seen.push(line);
        if done {
            break;
        }
    }
    assert!(
        seen.last()
            .is_some_and(|l| l.contains("dying by SIGKILL now")),
        "{seen:?}"
    );
    let status = proc.wait(Duration::from_secs(20));
    assert_eq!(status.signal(), Some(libc::SIGKILL), "{status:?}");
    pid
}

#[test]
fn file_lock_is_acquired_after_its_holder_is_killed() {
    let name = unique("mx-file");
    let _cleanup = Cleanup(name.clone());
    crash("file", &name);
    let out = acquire_without_waiting("file", &name);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with("acquired memlab's file lock"), "{text}");
    assert!(
        !text.contains("previous owner"),
        "a file lock cannot tell: {text}"
    );
}

#[test]
fn robust_mutex_is_acquired_and_reports_the_dead_owner() {
    let name = unique("mx-robust");
    let _cleanup = Cleanup(name.clone());
    let pid = crash("robust", &name);
    let (out, _) = mutex_cmd("robust", &name, "status");
    assert!(stdout(&out).contains(&format!("abandoned: PID {pid} died holding it")));
    let out = acquire_without_waiting("robust", &name);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains(&format!("the previous owner (PID {pid}) died holding it")),
        "{text}"
    );
    // Made consistent: the next one gets it plainly.
    let (out, _) = mutex_cmd("robust", &name, "acquire");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stdout(&out).contains("previous owner"));
}

#[test]
fn raw_sync_mutex_times_out_every_time_until_reset() {
    let name = unique("mx-raw");
    let _cleanup = Cleanup(name.clone());
    let pid = crash("raw-sync", &name);
    for attempt in 0..3 {
        let (out, took) = mutex_cmd("raw-sync", &name, "acquire");
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(3), "attempt {attempt}: {err}");
        assert!(
            err.contains("is stuck") && err.contains(&format!("PID {pid} died holding it")),
            "{err}"
        );
        assert!(took >= Duration::from_millis(950), "waited only {took:?}");
    }
    let (out, _) = mutex_cmd("raw-sync", &name, "status");
    assert!(stdout(&out).contains(&format!("stuck: PID {pid} died holding it")));
    let (out, _) = mutex_cmd("raw-sync", &name, "reset");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains(&format!("re-initialised (its holder PID {pid} was dead)")));
    let (out, _) = mutex_cmd("raw-sync", &name, "acquire");
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn a_live_holder_makes_every_kind_time_out_after_the_books_wait() {
    for kind in ["file", "raw-sync", "robust"] {
        let name = unique(&format!("mx-live-{kind}"));
        let _cleanup = Cleanup(name.clone());
        let holder = Running::start(&["mutex", "--kind", kind, "--name", &name, "hold"]);
        let line = holder.line(Duration::from_secs(20)).unwrap_or_default();
        assert!(line.starts_with("acquired"), "{kind}: {line:?}");
        let (out, took) = mutex_cmd(kind, &name, "acquire");
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(3), "{kind}: {err}");
        assert!(
            err.contains("timed out after")
                && err.contains(&format!("held by PID {}", holder.pid())),
            "{kind}: {err}"
        );
        // At least the book's wait (a lower bound holds however slow the
        // machine); that it ends at all is `run`'s 30 s deadline.
        assert!(took >= Duration::from_millis(950), "{kind}: {took:?}");
        if kind != "file" {
            let (out, _) = mutex_cmd(kind, &name, "reset");
            assert_eq!(out.status.code(), Some(1), "{kind}: {}", stderr(&out));
            assert!(
                stderr(&out).contains("is running and holds it"),
                "{}",
                stderr(&out)
            );
        }
    }
}

#[test]
fn the_core_crashes_a_holder_in_a_child_and_sees_what_each_lock_tells() {
    let name = unique("mx-core");
    let _cleanup = Cleanup(name.clone());
    let bin = std::path::Path::new(BIN);

    let crashed = mutex::crash_in_child(bin, &name, MutexKind::Robust).unwrap();
    assert_eq!(crashed.signal, Some(libc::SIGKILL));
    let robust = BookMutex::open(&name, MutexKind::Robust).unwrap();
    assert_eq!(
        robust.state().unwrap(),
        MutexState::Abandoned {
            holder: Holder::Died { pid: crashed.pid }
        }
    );
    let got = robust.acquire(BOOK_TIMEOUT).unwrap();
    assert_eq!(
        got.result,
        AcquireResult::AcquiredOwnerDied {
            previous: Holder::Died { pid: crashed.pid }
        }
    );
    assert_eq!(robust.state().unwrap(), MutexState::HeldHere);
    assert!(matches!(
        robust.acquire(BOOK_TIMEOUT),
        Err(MutexError::AlreadyHeld { .. })
    ));
    // A second handle in this process waits on its own thread and times out.
    let other = BookMutex::open(&name, MutexKind::Robust).unwrap();
    let waited = other.acquire(Duration::from_millis(200)).unwrap();
    assert_eq!(
        waited.result,
        AcquireResult::TimedOut {
            holder: Holder::Running {
                pid: std::process::id(),
                window: None
            }
        }
    );
    robust.release().unwrap();
    assert!(matches!(robust.release(), Err(MutexError::NotHeld { .. })));
    assert!(other.acquire(BOOK_TIMEOUT).unwrap().result.acquired());
    drop(other); // releases on drop
    assert_eq!(robust.state().unwrap(), MutexState::Free);

    let crashed = mutex::crash_in_child(bin, &name, MutexKind::RawSync).unwrap();
    assert_eq!(crashed.signal, Some(libc::SIGKILL));
    let raw = BookMutex::open(&name, MutexKind::RawSync).unwrap();
    assert_eq!(
        raw.state().unwrap(),
        MutexState::Stuck {
            holder: Holder::Died { pid: crashed.pid }
        }
    );
    let got = raw.acquire(BOOK_TIMEOUT).unwrap();
    assert_eq!(
        got.result,
        AcquireResult::Stuck {
            holder: Holder::Died { pid: crashed.pid }
        }
    );
    assert!(matches!(
        got.require_acquired(),
        Err(MutexError::Stuck { holder: Holder::Died { pid }, .. }) if pid == crashed.pid
    ));
    assert_eq!(
        raw.reset().unwrap().outcome,
        ResetOutcome::Reinitialised {
            dead_holder: Holder::Died { pid: crashed.pid }
        }
    );
    assert_eq!(
        raw.acquire(BOOK_TIMEOUT).unwrap().result,
        AcquireResult::Acquired
    );
    assert_eq!(
        raw.reset().unwrap().outcome,
        ResetOutcome::WasFree,
        "reset releases ours first"
    );

    let file = BookMutex::open(&name, MutexKind::FileLock).unwrap();
    assert_eq!(file.reset().unwrap().outcome, ResetOutcome::NothingToReset);
}

#[test]
fn the_shared_text_is_never_affected_by_a_stuck_book_mutex() {
    let name = unique("mx-shared");
    let _cleanup = Cleanup(name.clone());
    crash("raw-sync", &name);
    crash("robust", &name);
    // Same name for the shared text: its lock is its own. `watch` keeps the
    // mapping alive between the save and the load.
    let watch = Running::shared(&name, &["watch"]);
    watch.expect_line(common::SAMPLE, Duration::from_secs(20));
    let out = common::shared(&name, &["save", "still works"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = common::shared(&name, &["load"]);
    assert_eq!(stdout(&out), "still works");
    watch.expect_line("still works", Duration::from_secs(20));
    drop(watch);
    common::cleanup(&name);
}

#[test]
fn remove_clears_a_lock_left_behind_but_never_one_in_use() {
    let name = unique("mx-remove");
    let _cleanup = Cleanup(name.clone());
    let object = common::mutex_object_path(&name);
    // A holder killed while holding raw_sync's mutex leaves it stuck, and
    // the object stays after every instance ended.
    crash("raw-sync", &name);
    assert!(object.exists(), "the lock outlives its last instance");

    // In use: kept, exit 1, whoever holds it.
    let holder = Running::start(&["mutex", "--kind", "file", "--name", &name, "hold"]);
    let line = holder.line(Duration::from_secs(20)).unwrap_or_default();
    assert!(line.starts_with("acquired"), "{line:?}");
    let (out, _) = mutex_cmd("file", &name, "remove");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("in use by 1 other instance(s); it was kept"),
        "{}",
        stderr(&out)
    );
    assert!(object.exists());
    // Killed and waited for: the kernel dropped its slot with it.
    drop(holder);

    // Unused: removed, and a second remove finds nothing.
    let (out, _) = mutex_cmd("file", &name, "remove");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), format!("removed {}", object.display()));
    assert!(!object.exists());
    let (out, _) = mutex_cmd("file", &name, "remove");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("nothing to remove"),
        "{}",
        stdout(&out)
    );
    assert!(!object.exists(), "remove never creates the lock");

    // The next user gets a fresh lock: raw_sync's is no longer stuck.
    let (out, _) = mutex_cmd("raw-sync", &name, "acquire");
    assert!(out.status.success(), "{}", stderr(&out));
}
