//! memlab on Windows, run under wine by `.ci/windows/test` (and on a real
//! Windows by `cargo test`): the shared text (SampleMMF) between real
//! processes of `memlab.exe`, on the book's calls — `CreateFileMappingW`
//! with a `Local\` name, `ERROR_ALREADY_EXISTS`, the named mutex `LockMap`
//! and `WAIT_ABANDONED` — and the CLI's answers on Windows.
//!
//! Every wait is for an event (a line printed by the other process, its
//! exit), with a generous deadline; nothing sleeps and then asserts.
#![cfg(windows)]

mod wine;
use wine::{Killed, Retrying, lines_of, memlab, next_line, run, screenshot_colours, text, unique};

use std::process::Stdio;

use memlab_engine::shared_text::{Origin, SAMPLE_TEXT, SharedText};

#[test]
fn a_save_in_one_process_is_seen_by_watch_and_load_in_others() {
    let name = unique("share");
    let mut watcher = memlab()
        .args(["shared", "--name", &name, "watch"])
        .stdout(Stdio::piped())
        .spawn_retrying()
        .expect("memlab.exe shared watch");
    let lines = lines_of(watcher.stdout.take().expect("piped"));
    let mut watcher = Killed(watcher);
    // The watcher created the mapping, so it shows the book's sample first.
    assert_eq!(next_line(&lines, "the first value"), SAMPLE_TEXT);

    let saved = run(&["shared", "--name", &name, "save", "창 2에서 저장"]);
    assert!(saved.status.success(), "{}", text(&saved.stderr));
    assert_eq!(text(&saved.stdout).trim_end(), "창 2에서 저장");
    assert_eq!(next_line(&lines, "the saved value"), "창 2에서 저장");

    let loaded = run(&["shared", "--name", &name, "load"]);
    assert!(loaded.status.success(), "{}", text(&loaded.stderr));
    assert_eq!(text(&loaded.stdout).trim_end(), "창 2에서 저장");

    let info = run(&["shared", "--name", &name, "info"]);
    assert!(info.status.success(), "{}", text(&info.stderr));
    let info: serde_json::Value = serde_json::from_slice(&info.stdout).expect("info is JSON");
    assert_eq!(info["path"], format!("Local\\memlab.{name}"));
    assert_eq!(info["kind"], "file_mapping");
    assert_eq!(info["origin"]["kind"], "joined");
    // The watcher and `info` itself.
    assert_eq!(info["attached"].as_array().map(Vec::len), Some(2), "{info}");
    let _ = watcher.0.kill();
}

#[test]
fn the_mapping_lives_while_any_instance_holds_it_then_starts_afresh() {
    let name = unique("life");
    let keeper = SharedText::open(&name).expect("the test's own instance");
    assert_eq!(keeper.origin(), &Origin::Created);
    let saved = run(&["shared", "--name", &name, "save", "kept"]);
    assert!(saved.status.success(), "{}", text(&saved.stderr));
    // The saving process has ended; this one still holds the object.
    assert_eq!(keeper.load().unwrap().text, "kept");
    drop(keeper);
    // Nobody holds a handle: the name is gone, and the next one creates.
    let loaded = run(&["shared", "--name", &name, "load"]);
    assert_eq!(text(&loaded.stdout).trim_end(), SAMPLE_TEXT);
}

#[test]
fn a_holder_killed_holding_lockmap_is_reported_as_wait_abandoned() {
    let name = unique("abandon");
    // Keeps the mutex and the mapping alive after the holder's death.
    let keeper = SharedText::open(&name).expect("the test's own instance");
    let mut holder = memlab()
        .args(["shared", "--name", &name, "hold", "--seconds", "600"])
        .stdout(Stdio::piped())
        .spawn_retrying()
        .expect("memlab.exe shared hold");
    let lines = lines_of(holder.stdout.take().expect("piped"));
    let mut holder = Killed(holder);
    let said = next_line(&lines, "the holder's word");
    assert!(said.starts_with("holding the lock"), "{said}");
    // While it holds LockMap, a load waits its 1000 ms and names the holder.
    let timed_out = run(&["shared", "--name", &name, "load"]);
    assert_eq!(
        timed_out.status.code(),
        Some(3),
        "{}",
        text(&timed_out.stderr)
    );
    let pid = holder.0.id();
    assert!(
        text(&timed_out.stderr).contains(&format!("PID {pid}")),
        "{}",
        text(&timed_out.stderr)
    );
    // TerminateProcess: it dies owning the mutex.
    holder.0.kill().expect("TerminateProcess");
    holder.0.wait().expect("the holder ends");
    let after = run(&["shared", "--name", &name, "load"]);
    let stderr = text(&after.stderr);
    assert!(after.status.success(), "{stderr}");
    assert!(stderr.contains("WAIT_ABANDONED"), "{stderr}");
    assert_eq!(text(&after.stdout).trim_end(), SAMPLE_TEXT);
    // Said once: the next wait is an ordinary one.
    let again = run(&["shared", "--name", &name, "load"]);
    assert!(!text(&again.stderr).contains("WAIT_ABANDONED"));
    drop(keeper);
}

#[test]
fn bad_names_are_refused_with_the_usage_exit_code() {
    for bad in ["a\\b", "Local\\a\\b", "Global\\"] {
        let out = run(&["shared", "--name", bad, "load"]);
        assert_eq!(out.status.code(), Some(2), "{bad}: {}", text(&out.stderr));
        assert!(
            text(&out.stderr).contains("'/' or '\\'") || text(&out.stderr).contains("empty"),
            "{bad}: {}",
            text(&out.stderr)
        );
    }
}

#[test]
fn a_backing_file_says_it_is_not_on_windows_yet() {
    let out = run(&["shared", "--file", "C:\\memlab-test.mmf", "load"]);
    // Unsupported: exit code 1, as every failure of a valid request.
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("not on Windows yet"),
        "{}",
        text(&out.stderr)
    );
}

/// Every lab's command runs on Windows now (the last three ported were
/// the page lab's, Global/Local's and the file mapping's); an unknown
/// command stays a usage error.
#[test]
fn every_lab_s_command_runs_and_an_unknown_one_is_a_usage_error() {
    for command in ["vm", "global", "filemap"] {
        let out = run(&[command, "--help"]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{command}: {}",
            text(&out.stderr)
        );
        assert!(
            !text(&out.stderr).contains("is not on Windows yet"),
            "{command}: {}",
            text(&out.stderr)
        );
    }
    let out = run(&["nonsense"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
}

/// A real window in wine's virtual desktop (`.ci/windows/test` gives wine
/// an Xvfb): `memlab.exe screenshot` renders the shared text lab with glow
/// and saves the app's own picture of it, in Korean (the bundled font).
#[test]
fn screenshot_writes_a_png_of_the_rendered_shared_lab() {
    // Drawn, not blank: many colours (text, panels, the selected lab).
    let colours = screenshot_colours("shared", "ko", false, (800, 500));
    assert!(colours > 20, "only {colours} colours");
}

/// The settings' folder is the one eframe's `storage_dir("memlab")` names.
#[test]
fn settings_are_kept_in_appdata() {
    let appdata = std::env::var_os("APPDATA").expect("Windows (and wine) set APPDATA");
    assert_eq!(
        memlab_engine::desktop::settings::data_dir(),
        Some(
            std::path::PathBuf::from(appdata)
                .join("memlab")
                .join("data")
        )
    );
}
