//! The shared text attacked as issue 14 did (points 3, 12 and 13), with the
//! real binary: forged claims in its header are checked against the lock
//! and the process table before anything is said; names and stress tags
//! that would hide or look like something else are refused with a reason;
//! `watch` under a truncation loop says what happened once, not thousands of
//! times.

#![cfg(target_os = "linux")]

use crate::common;
use common::Cleanup;

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::time::Duration;

use common::*;

const WAIT: Duration = Duration::from_secs(10);
/// Where the object keeps what the attacks write (see
/// crates/engine/src/shared_text/layout.rs).
const LOCK_SINCE_AT: u64 = 32;
const HOLDER_AT: u64 = 40;
const PIDS_AT: u64 = 264;

fn json(output: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(output)))
}

fn open(name: &str) -> File {
    File::options()
        .read(true)
        .write(true)
        .open(object_path(name))
        .unwrap()
}

/// A PID no process has now.
fn unused_pid() -> u32 {
    (30_000..u32::MAX)
        .find(|p| !std::path::Path::new(&format!("/proc/{p}")).exists())
        .unwrap()
}

/// A header that names PID 1 as the holder of a free lock, a slot PID no
/// process confirms, a held-since from 1970 or the future: none of it is
/// said as a fact (issue 14.3).
#[test]
fn forged_claims_in_the_header_are_checked_before_they_are_said() {
    let name = unique("claims");
    let _cleanup = Cleanup(name.clone());
    let keeper = Running::shared(&name, &["watch"]);
    keeper.expect_line(SAMPLE, WAIT);
    let object = open(&name);

    // PID 1 is running and does not hold the lock.
    object.write_all_at(&1u32.to_ne_bytes(), HOLDER_AT).unwrap();
    let info = json(&shared(&name, &["info"]));
    assert_eq!(info["lock"]["state"], "free", "{info}");
    let saved = shared(&name, &["save", "after a false claim"]);
    assert!(saved.status.success(), "{}", stderr(&saved));
    assert!(!stderr(&saved).contains("took over"), "{}", stderr(&saved));
    // The keeper loads the new value (and would take a claim over) first.
    keeper.expect_line("after a false claim", WAIT);

    // A PID no process has: a writer that died during a write.
    let dead = unused_pid();
    object.write_all_at(&dead.to_ne_bytes(), HOLDER_AT).unwrap();
    let info = json(&shared(&name, &["info"]));
    assert_eq!(info["lock"]["state"], "abandoned", "{info}");
    assert_eq!(info["lock"]["pid"], dead, "{info}");
    let loaded = shared(&name, &["load"]);
    assert!(
        stderr(&loaded).contains(&format!(
            "took over the lock: the header named PID {dead} as its holder, and no process {dead} is running"
        )),
        "{}",
        stderr(&loaded)
    );

    // The keeper's slot (0) made to claim PID 1.
    object.write_all_at(&1u32.to_ne_bytes(), PIDS_AT).unwrap();
    let info = json(&shared(&name, &["info"]));
    let slot = &info["attached"][0];
    assert_eq!(slot["index"], 0, "{info}");
    assert!(slot["pid"].is_null(), "PID 1 is not confirmed: {info}");
    assert_eq!(slot["claimed_pid"], 1, "{info}");
    let me = &info["attached"][1];
    assert_eq!(
        me["pid"], info["pid"],
        "the info's own slot is confirmed: {info}"
    );

    // A real holder; the header's since forged to 1970, then to the future.
    let holder = Running::shared(&name, &["hold", "--seconds", "60"]);
    let line = holder.line(WAIT).unwrap_or_default();
    assert!(line.starts_with("holding the lock"), "{line:?}");
    for since in [0u64, u64::MAX / 2] {
        object
            .write_all_at(&since.to_ne_bytes(), LOCK_SINCE_AT)
            .unwrap();
        let info = json(&shared(&name, &["info"]));
        assert_eq!(info["lock"]["state"], "held", "{info}");
        assert_eq!(info["lock"]["holder"]["pid"], holder.pid(), "{info}");
        assert!(info["lock"]["held_ms"].is_null(), "since {since}: {info}");
    }
    // The header names PID 1 as the holder: the kernel's holder is said.
    object.write_all_at(&1u32.to_ne_bytes(), HOLDER_AT).unwrap();
    let timed_out = shared(&name, &["load"]);
    assert_eq!(timed_out.status.code(), Some(3), "{}", stderr(&timed_out));
    assert!(
        stderr(&timed_out).contains(&format!(
            "lock timed out after 1000 ms; held by PID {}",
            holder.pid()
        )),
        "{}",
        stderr(&timed_out)
    );
    drop(holder);
    drop(keeper);
}

/// Names that are only white space or hide an invisible formatting
/// character, and stress tags that are empty or hold a TAB or a newline,
/// are refused with the reason, and nothing is created (issue 14.12).
#[test]
fn names_and_tags_that_hide_something_are_refused_with_a_reason() {
    let prefix = unique("names");
    let cases: [(String, &str); 5] = [
        (" ".into(), "it is only white space"),
        ("\u{3000}".into(), "it is only white space"),
        (
            format!("{prefix}\u{202E}txt"),
            "invisible formatting character (U+202E)",
        ),
        (
            format!("{prefix}\u{200B}"),
            "invisible formatting character (U+200B)",
        ),
        (
            format!("\u{FEFF}{prefix}"),
            "invisible formatting character (U+FEFF)",
        ),
    ];
    for (name, why) in &cases {
        for args in [
            vec!["shared", "--name", name, "save", "x"],
            vec!["mutex", "--name", name, "status"],
        ] {
            let out = run(&args);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
            let err = stderr(&out);
            assert_eq!(err.lines().count(), 1, "{err}");
            assert!(err.contains(why), "{args:?}: {err}");
        }
    }
    let tag_cases = [
        ("", "it is empty"),
        ("a\tb", "it contains a control character"),
        ("a\nb", "it contains a control character"),
        ("w:1", "it contains ':'"),
    ];
    for (tag, why) in tag_cases {
        let out = run(&[
            "shared", "--name", &prefix, "stress", "--tag", tag, "--saves", "1",
        ]);
        assert_eq!(out.status.code(), Some(2), "{tag:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(why), "{tag:?}: {}", stderr(&out));
    }
    let folder = objects_folder_of(euid());
    let left: Vec<String> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(&prefix) || n.ends_with('\u{3000}') || n.ends_with(". "))
        .collect();
    assert!(left.is_empty(), "created: {left:?}");
}

/// `watch` while another process cuts and restores the object 500 times:
/// the failure is said once, the value is not printed again; a real save
/// is printed, and the next failure is said again (issue 14.13).
#[test]
fn watch_says_a_truncation_loop_once() {
    let name = unique("watch-loop");
    let _cleanup = Cleanup(name.clone());
    let watch = Running::shared(&name, &["watch"]);
    watch.expect_line(SAMPLE, WAIT);
    let created = watch.stderr_lines(WAIT);
    assert!(created[0].contains("created the mapping"), "{created:?}");
    let object = open(&name);
    let valid = std::fs::read(object_path(&name)).unwrap();
    let cut = || object.set_len(0).unwrap();
    let restore = || {
        object.write_all_at(&valid, 0).unwrap();
        object.set_len(valid.len() as u64).unwrap();
    };
    cut();
    let said = watch.stderr_lines(WAIT);
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(said[0].contains("is corrupt"), "{said:?}");
    for _ in 0..500 {
        restore();
        std::thread::sleep(Duration::from_millis(3));
        for size in [0, 10, 300, 4096] {
            object.set_len(size).unwrap();
            std::thread::sleep(Duration::from_micros(500));
        }
    }
    restore();
    let mut printed = Vec::new();
    while let Some(line) = watch.line(Duration::from_millis(200)) {
        printed.push(line);
    }
    assert!(
        printed.is_empty(),
        "the same value printed again: {printed:?}"
    );
    let more = watch.stderr_lines(Duration::from_millis(200));
    assert!(more.is_empty(), "said again during the loop: {more:?}");
    // A save is news: printed.
    let saved = shared(&name, &["save", "news"]);
    assert!(saved.status.success(), "{}", stderr(&saved));
    watch.expect_line("news", WAIT);
    // After news, a new failure is said again.
    cut();
    let again = watch.stderr_lines(WAIT);
    assert_eq!(again.len(), 1, "{again:?}");
    drop(watch);
}
