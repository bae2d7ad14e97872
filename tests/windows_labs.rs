//! The labs ported to Windows by issue 16's task O, run under wine by
//! `.ci/windows/test --test windows_labs` (and on a real Windows by `cargo
//! test`), with real `memlab.exe` processes: the book's mutex (the Win32
//! named mutex and `WAIT_ABANDONED`, raw_sync's mutex, `LockFileEx`).
//!
//! Every wait is for an event (a process's exit, a line it printed) with a
//! generous deadline; nothing sleeps and then asserts.
#![cfg(windows)]

mod wine;
use wine::{DEADLINE, Killed, Retrying, lines_of, memlab, text, unique};

use std::process::{Output, Stdio};
use std::time::Duration;

use memlab_engine::mutex::{AcquireResult, BookMutex, CRASH_EXIT_CODE, Holder, MutexKind, TOTAL};

/// The waits of the commands below: long enough for a loaded machine to
/// hand a free lock over, short enough for a timeout to come quickly.
const WAIT_MS: &str = "1000";

fn mutex_cmd(kind: &str, name: &str, action: &[&str]) -> Output {
    memlab()
        .args([
            "mutex",
            "--kind",
            kind,
            "--name",
            name,
            "--timeout-ms",
            WAIT_MS,
        ])
        .args(action)
        .output_retrying()
        .expect("memlab.exe runs")
}

/// `memlab mutex crash` of `kind`: the child takes the lock, begins a move
/// and ends itself with TerminateProcess (its exit code says so).
fn crash(kind: &str, name: &str) -> String {
    let out = mutex_cmd(kind, name, &["crash"]);
    assert_eq!(
        out.status.code().map(|c| c as u32),
        Some(CRASH_EXIT_CODE),
        "crash: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let said = text(&out.stdout);
    assert!(said.contains("dying by TerminateProcess now"), "{said}");
    said
}

#[test]
fn the_win32_mutex_after_a_crash_is_acquired_with_wait_abandoned_and_the_data_put_right() {
    let name = unique("abandon");
    // An open window of the lab: its handle keeps the mutex (and the data)
    // alive past the holder's death, as in a classroom.
    let window = BookMutex::open(&name, MutexKind::Robust).expect("the test's own instance");
    let said = crash("win32", &name);
    assert!(said.contains("the Win32 named mutex"), "{said}");
    // Between the crash and the next wait: the data is short by a move.
    let look = window.look().unwrap();
    assert!(look.data.unwrap().half_written(), "{look}");

    let out = mutex_cmd("robust", &name, &["acquire"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("WAIT_ABANDONED"), "{stdout}");
    assert!(stdout.contains("died holding it"), "{stdout}");
    assert!(
        stdout.contains("memlab undid the dead holder's half move before trusting it again"),
        "{stdout}"
    );
    // The acquirer moved 100 after putting the data right: it adds up.
    assert!(stdout.contains(&format!("= {TOTAL}")), "{stdout}");

    // Said once: the next wait is an ordinary one, and the data is whole.
    let again = mutex_cmd("robust", &name, &["acquire"]);
    let stdout = text(&again.stdout);
    assert!(again.status.success(), "{stdout}{}", text(&again.stderr));
    assert!(!stdout.contains("WAIT_ABANDONED"), "{stdout}");
    assert!(!window.look().unwrap().data.unwrap().half_written());
}

#[test]
fn the_win32_mutex_names_the_dead_holder_to_a_window() {
    let name = unique("window");
    let window = BookMutex::open(&name, MutexKind::Robust).expect("the test's own instance");
    let crashed = memlab_engine::mutex::crash_in_child(
        std::path::Path::new(env!("CARGO_BIN_EXE_memlab")),
        &name,
        MutexKind::Robust,
    )
    .expect("the child crashed holding the lock");
    assert_eq!(crashed.signal, None);
    let report = window.acquire(Duration::from_secs(30)).unwrap();
    assert_eq!(
        report.result,
        AcquireResult::AcquiredOwnerDied {
            previous: Holder::Died { pid: crashed.pid }
        },
        "{report}"
    );
    assert!(report.rolled_back, "{report}");
    assert!(!report.panicked);
    window.release().unwrap();
}

#[test]
fn a_held_lock_times_out_another_process_and_names_its_holder() {
    for kind in ["win32", "raw-sync", "file"] {
        let name = unique("held");
        let mut holder = memlab()
            .args([
                "mutex",
                "--kind",
                kind,
                "--name",
                &name,
                "hold",
                "--seconds",
                "600",
            ])
            .stdout(Stdio::piped())
            .spawn_retrying()
            .expect("memlab.exe mutex hold");
        let lines = lines_of(holder.stdout.take().expect("piped"));
        let holder = Killed(holder);
        // "acquired ...", "moved 100: ...", then "holding ...".
        let holding = (0..3)
            .map(|_| lines.recv_timeout(DEADLINE).expect("the holder's words"))
            .find(|line| line.starts_with("holding"));
        assert!(holding.is_some(), "{kind}: the holder never said it holds");
        let out = mutex_cmd(kind, &name, &["acquire"]);
        assert_eq!(out.status.code(), Some(3), "{kind}: {}", text(&out.stderr));
        let pid = holder.0.id();
        assert!(
            text(&out.stderr).contains(&format!("PID {pid}")),
            "{kind}: {}",
            text(&out.stderr)
        );
        let status = mutex_cmd(kind, &name, &["status"]);
        assert!(
            text(&status.stdout).contains(&format!("held by PID {pid}")),
            "{kind}: {}",
            text(&status.stdout)
        );
    }
}

#[test]
fn raw_sync_s_panic_on_wait_abandoned_is_caught_and_the_lock_taken() {
    let name = unique("raw");
    let window = BookMutex::open(&name, MutexKind::RawSync).expect("the test's own instance");
    crash("raw-sync", &name);
    let report = window.acquire(Duration::from_secs(30)).unwrap();
    assert!(report.panicked, "{report}");
    assert!(
        matches!(report.result, AcquireResult::AcquiredOwnerDied { .. }),
        "{report}"
    );
    assert!(report.rolled_back, "{report}");
    assert!(
        report
            .to_string()
            .contains("raw_sync's wait panicked on WAIT_ABANDONED")
    );
    // The caught panic left this thread the owner: another process waits.
    let out = mutex_cmd("raw-sync", &name, &["acquire"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    window.release().unwrap();
    let out = mutex_cmd("raw-sync", &name, &["acquire"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn an_instance_of_any_kind_keeps_a_crashed_holder_s_mutexes_abandoned() {
    let name = unique("anykind");
    // A window showing the file lock: it holds handles on both mutexes too.
    let _window = BookMutex::open(&name, MutexKind::FileLock).expect("the test's own instance");
    crash("win32", &name);
    let status = mutex_cmd("win32", &name, &["status"]);
    assert!(
        text(&status.stdout).contains("abandoned"),
        "{}",
        text(&status.stdout)
    );
    let out = mutex_cmd("win32", &name, &["acquire"]);
    assert!(
        text(&out.stdout).contains("WAIT_ABANDONED"),
        "{}",
        text(&out.stdout)
    );

    crash("raw-sync", &name);
    let out = mutex_cmd("raw-sync", &name, &["acquire"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains("raw_sync's wait panicked on WAIT_ABANDONED"),
        "{stdout}"
    );
    // The caught panic is said once, in the report: not as a panic on stderr.
    assert!(
        !text(&out.stderr).contains("panicked"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn the_file_lock_is_freed_by_a_crash_and_nobody_is_told() {
    let name = unique("file");
    let window = BookMutex::open(&name, MutexKind::FileLock).expect("the test's own instance");
    crash("file", &name);
    let out = mutex_cmd("file", &name, &["acquire"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(!stdout.contains("WAIT_ABANDONED"), "{stdout}");
    assert!(stdout.contains("this lock did not say so"), "{stdout}");
    // Reset puts the data right under the lock.
    let reset = window.reset().unwrap();
    assert!(reset.repaired.is_some(), "{reset}");
    assert!(!window.look().unwrap().data.unwrap().half_written());
}

#[test]
fn remove_says_how_many_instances_have_the_lock_open() {
    let name = unique("remove");
    let _window = BookMutex::open(&name, MutexKind::Robust).expect("the test's own instance");
    let _other = BookMutex::open(&name, MutexKind::FileLock).expect("a second instance");
    let out = mutex_cmd("win32", &name, &["remove"]);
    // In use (a valid request not done now: exit code 1), both counted.
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("in use by 2 other instance(s)"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn the_mutex_command_is_ported_and_bad_names_are_refused() {
    let out = memlab()
        .args(["mutex", "--help"])
        .output_retrying()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("Win32 named mutex"),
        "{}",
        text(&out.stdout)
    );
    let out = mutex_cmd("win32", "a\\b", &["status"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    // Nobody holds it: nothing is left to remove on Windows.
    let name = unique("gone");
    let out = mutex_cmd("win32", &name, &["remove"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("nothing to remove"),
        "{}",
        text(&out.stdout)
    );
}
