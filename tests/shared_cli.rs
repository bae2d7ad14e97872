//! The shared text box across real processes: `memlab shared ...` run side by side.

// Linux only, for now: the Windows suite is tests/windows.rs (docs/windows.md).
#![cfg(target_os = "linux")]

mod common;

use std::time::{Duration, Instant};

use common::*;

const WAIT: Duration = Duration::from_secs(10);

#[test]
fn save_in_one_process_load_in_another() {
    let name = unique("saveload");
    let keeper = Running::shared(&name, &["watch"]);
    keeper.expect_line(SAMPLE, WAIT);
    let saved = shared(&name, &["save", "공유 메모리 hello"]);
    assert!(saved.status.success(), "{}", stderr(&saved));
    assert_eq!(stdout(&saved), "공유 메모리 hello");
    let loaded = shared(&name, &["load"]);
    assert_eq!(loaded.status.code(), Some(0), "{}", stderr(&loaded));
    assert_eq!(stdout(&loaded), "공유 메모리 hello");
    keeper.expect_line("공유 메모리 hello", WAIT);
    drop(keeper);
    cleanup(&name);
}

#[test]
fn long_save_keeps_whole_characters_and_says_so() {
    let name = unique("long");
    let keeper = Running::shared(&name, &["watch"]);
    keeper.expect_line(SAMPLE, WAIT);
    let long = "가".repeat(40); // 120 bytes
    let saved = shared(&name, &["save", &long]);
    assert!(saved.status.success());
    assert_eq!(stdout(&saved), "가".repeat(33));
    assert!(
        stderr(&saved).contains("120 bytes do not fit"),
        "{}",
        stderr(&saved)
    );
    assert_eq!(stdout(&shared(&name, &["load"])), "가".repeat(33));
    drop(keeper);
    cleanup(&name);
}

#[test]
fn five_started_at_once_one_initialises_all_show_the_sample() {
    let name = unique("five");
    let watchers: Vec<Running> = (0..5).map(|_| Running::shared(&name, &["watch"])).collect();
    for w in &watchers {
        w.expect_line(SAMPLE, WAIT);
    }
    // Only now is every one attached; count who created the mapping.
    let created = watchers
        .iter()
        .filter(|w| {
            w.stderr_lines(Duration::from_millis(200))
                .iter()
                .any(|l| l.contains("created the mapping"))
        })
        .count();
    assert_eq!(created, 1, "exactly one instance initialises");
    let info = shared(&name, &["info"]);
    let json: serde_json::Value = serde_json::from_slice(&info.stdout).unwrap();
    assert_eq!(json["attached"].as_array().unwrap().len(), 6, "{json}");
    drop(watchers);
    cleanup(&name);
}

#[test]
fn creator_leaving_keeps_the_mapping_and_the_last_removes_it() {
    let name = unique("creator");
    let mut creator = Running::shared(&name, &["watch"]);
    creator.expect_line(SAMPLE, WAIT);
    let mut other = Running::shared(&name, &["watch"]);
    other.expect_line(SAMPLE, WAIT);
    assert!(
        creator
            .stderr_lines(Duration::from_millis(500))
            .iter()
            .any(|l| l.contains("created the mapping"))
    );

    creator.signal(libc::SIGTERM);
    assert!(creator.wait(WAIT).success(), "SIGTERM detaches cleanly");
    assert!(
        object_path(&name).exists(),
        "the creator leaving must not remove it"
    );

    // A newcomer joins the same object: no split.
    let saved = shared(&name, &["save", "after the creator"]);
    assert!(saved.status.success());
    assert!(!stderr(&saved).contains("created"), "{}", stderr(&saved));
    other.expect_line("after the creator", WAIT);

    other.signal(libc::SIGTERM);
    assert!(other.wait(WAIT).success());
    assert!(!object_path(&name).exists(), "the last to leave removes it");
}

#[test]
fn stale_object_after_sigkill_is_recovered_keeping_valid_text() {
    let name = unique("stale");
    let a = Running::shared(&name, &["watch"]);
    a.expect_line(SAMPLE, WAIT);
    let b = Running::shared(&name, &["watch"]);
    b.expect_line(SAMPLE, WAIT);
    assert!(
        shared(&name, &["save", "survives SIGKILL"])
            .status
            .success()
    );
    a.signal(libc::SIGKILL);
    b.signal(libc::SIGKILL);
    drop((a, b));
    assert!(
        object_path(&name).exists(),
        "SIGKILL leaves the OS object behind"
    );

    let loaded = shared(&name, &["load"]);
    assert_eq!(loaded.status.code(), Some(0), "{}", stderr(&loaded));
    assert_eq!(stdout(&loaded), "survives SIGKILL");
    assert!(
        stderr(&loaded).contains("recovered the stale mapping"),
        "{}",
        stderr(&loaded)
    );
    assert!(
        !object_path(&name).exists(),
        "recovered, then removed by its last instance"
    );
}

#[test]
fn stale_object_with_garbage_is_recreated_not_trusted() {
    let name = unique("stalebad");
    let a = Running::shared(&name, &["watch"]);
    a.expect_line(SAMPLE, WAIT);
    a.signal(libc::SIGKILL);
    drop(a);
    std::fs::write(object_path(&name), vec![0xffu8; 264]).unwrap();
    let loaded = shared(&name, &["load"]);
    assert_eq!(loaded.status.code(), Some(0), "{}", stderr(&loaded));
    assert_eq!(stdout(&loaded), SAMPLE);
    assert!(stderr(&loaded).contains("invalid"), "{}", stderr(&loaded));
}

#[test]
fn lock_holder_killed_others_time_out_then_recover_last_save() {
    let name = unique("holder");
    let keeper = Running::shared(&name, &["watch"]);
    keeper.expect_line(SAMPLE, WAIT);
    assert!(
        shared(&name, &["save", "last completed save"])
            .status
            .success()
    );

    let holder = Running::shared(&name, &["hold", "--seconds", "60"]);
    let line = holder.line(WAIT).expect("hold reports it holds the lock");
    assert!(line.starts_with("holding the lock"), "{line}");

    let started = Instant::now();
    let timed_out = shared(&name, &["load"]);
    let waited = started.elapsed();
    assert_eq!(timed_out.status.code(), Some(3), "{}", stderr(&timed_out));
    let message = stderr(&timed_out);
    assert!(
        message.contains(&format!(
            "lock timed out after 1000 ms; held by PID {}",
            holder.pid()
        )),
        "{message}"
    );
    assert!(waited >= Duration::from_millis(1000), "waited {waited:?}");

    holder.signal(libc::SIGKILL);
    drop(holder);
    let loaded = shared(&name, &["load"]);
    assert_eq!(loaded.status.code(), Some(0), "{}", stderr(&loaded));
    assert_eq!(stdout(&loaded), "last completed save");
    assert!(
        stderr(&loaded).contains("took over the lock: the header named PID"),
        "{}",
        stderr(&loaded)
    );
    drop(keeper);
    cleanup(&name);
}

fn corrupt_bytes(name: &str, offset: usize, bytes: &[u8]) {
    let path = object_path(name);
    let mut all = std::fs::read(&path).unwrap();
    all[offset..offset + bytes.len()].copy_from_slice(bytes);
    std::fs::write(&path, all).unwrap();
}

#[test]
fn corrupt_mapping_is_reported_never_crashes_and_can_be_reset() {
    let name = unique("corrupt");
    let keeper = Running::shared(&name, &["watch"]);
    keeper.expect_line(SAMPLE, WAIT);

    // A wrong magic number.
    corrupt_bytes(&name, 0, b"XXXXXXXX");
    let loaded = shared(&name, &["load"]);
    assert_eq!(loaded.status.code(), Some(4), "{}", stderr(&loaded));
    assert!(
        stderr(&loaded).contains("corrupt: bad magic"),
        "{}",
        stderr(&loaded)
    );
    let info = shared(&name, &["info"]);
    assert!(info.status.success(), "info still works: {}", stderr(&info));
    let json: serde_json::Value = serde_json::from_slice(&info.stdout).unwrap();
    assert!(
        json["problem"].as_str().unwrap().contains("magic"),
        "{json}"
    );
    let refused = shared(&name, &["save", "x"]);
    assert_eq!(
        refused.status.code(),
        Some(4),
        "a save never writes over a corrupt mapping"
    );

    let reset = shared(&name, &["reset"]);
    assert!(reset.status.success(), "{}", stderr(&reset));
    assert_eq!(stdout(&shared(&name, &["load"])), SAMPLE);

    // No terminator within capacity in the active buffer (offset 56).
    corrupt_bytes(&name, 56, &[b'A'; 101]);
    let loaded = shared(&name, &["load"]);
    assert_eq!(loaded.status.code(), Some(4));
    assert!(
        stderr(&loaded).contains("no terminator"),
        "{}",
        stderr(&loaded)
    );
    assert!(shared(&name, &["reset"]).status.success());

    // Invalid UTF-8 is shown lossily.
    corrupt_bytes(&name, 56, &[b'o', b'k', 0xff, 0xfe, 0]);
    let loaded = shared(&name, &["load"]);
    assert_eq!(loaded.status.code(), Some(0));
    assert_eq!(stdout(&loaded), "ok\u{fffd}\u{fffd}");
    assert!(stderr(&loaded).contains("not valid UTF-8"));

    // A truncated object: touching it past its end would raise SIGBUS.
    std::fs::OpenOptions::new()
        .write(true)
        .open(object_path(&name))
        .unwrap()
        .set_len(10)
        .unwrap();
    let loaded = shared(&name, &["load"]);
    assert_eq!(loaded.status.code(), Some(4), "{}", stderr(&loaded));
    assert!(
        stderr(&loaded).contains("smaller than"),
        "{}",
        stderr(&loaded)
    );
    assert!(shared(&name, &["reset"]).status.success());
    assert_eq!(stdout(&shared(&name, &["load"])), SAMPLE);

    // The watcher lived through all of it and follows the reset.
    assert!(shared(&name, &["save", "still here"]).status.success());
    keeper.expect_line("still here", WAIT);
    drop(keeper);
    cleanup(&name);
}

#[test]
fn bad_names_and_arguments_exit_2_with_one_clear_line() {
    let long = "n".repeat(101);
    for bad in ["", "a/b", "..", long.as_str()] {
        let out = shared(bad, &["load"]);
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        let err = stderr(&out);
        assert!(err.starts_with("memlab: error: bad mapping name"), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    let name = unique("args");
    let out = shared(&name, &["hold", "--seconds", "-1"]);
    assert_eq!(out.status.code(), Some(2));
    let out = shared(&name, &["frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
    cleanup(&name);
}

#[test]
fn a_name_taken_by_another_kind_of_object_is_refused() {
    let name = unique("taken");
    std::fs::create_dir(object_path(&name)).unwrap();
    let out = shared(&name, &["load"]);
    std::fs::remove_dir(object_path(&name)).unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("taken by another kind of object"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_object_is_owner_only_and_named_per_account() {
    use std::os::unix::fs::PermissionsExt;
    let name = unique("mode");
    let keeper = Running::shared(&name, &["watch"]);
    keeper.expect_line(SAMPLE, WAIT);
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&object_path(&name)), 0o600);
    let info: serde_json::Value = serde_json::from_slice(&shared(&name, &["info"]).stdout).unwrap();
    assert_eq!(
        info["os_object"],
        format!("POSIX shared memory /dev/shm/memlab.{}.{name}", euid())
    );
    assert_eq!(info["uid"], euid());
    drop(keeper);
    cleanup(&name);
}

#[test]
fn four_writers_and_readers_never_see_a_torn_string() {
    let name = unique("torn");
    let keeper = Running::shared(&name, &["watch"]);
    keeper.expect_line(SAMPLE, WAIT);
    let mut workers: Vec<Running> = (0..4)
        .map(|w| {
            Running::shared(
                &name,
                &[
                    "stress",
                    "--tag",
                    &format!("w{w}"),
                    "--saves",
                    "2000",
                    "--loads",
                    "1",
                ],
            )
        })
        .collect();
    workers.extend(
        (0..2).map(|_| Running::shared(&name, &["stress", "--saves", "0", "--loads", "4000"])),
    );
    for worker in &mut workers {
        let line = worker.line(Duration::from_secs(120)).expect("a summary");
        let report: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(report["torn"], 0, "{report}");
        assert_eq!(report["errors"], 0, "{report}");
        assert!(worker.wait(WAIT).success(), "{report}");
        let saves = report["saves"].as_u64().unwrap();
        assert!(saves == 2000 || saves == 0, "{report}");
    }
    drop(keeper);
    cleanup(&name);
}
