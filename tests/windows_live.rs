//! Live without polling on Windows (issue 18), under wine by
//! `.ci/windows/test --test windows_live` (and on a real Windows by `cargo
//! test`): a save sets the `Changed` event of every attached instance
//! (`Local\memlab.<name>.Changed.<slot>`), so `shared watch` in another
//! process prints it at once. The watches here look by themselves only once
//! an hour (`--check-every 3600`): only the event can bring them a save
//! within the deadline.
//!
//! Every wait is for an event (a line printed by the other process), with a
//! generous deadline; nothing sleeps and then asserts.
#![cfg(windows)]

mod wine;
use wine::{Killed, Retrying, lines_of, memlab, next_line, run, text, unique};

use std::process::Stdio;
use std::sync::mpsc;

use memlab_engine::shared_text::{SAMPLE_TEXT, SharedText};

/// `memlab shared --name NAME watch --check-every 3600` and its lines.
fn sleepy_watch(name: &str) -> (Killed, mpsc::Receiver<String>) {
    let mut watcher = memlab()
        .args(["shared", "--name", name, "watch", "--check-every", "3600"])
        .stdout(Stdio::piped())
        .spawn_retrying()
        .expect("memlab.exe shared watch");
    let lines = lines_of(watcher.stdout.take().expect("piped"));
    (Killed(watcher), lines)
}

fn save(name: &str, value: &str) {
    let saved = run(&["shared", "--name", name, "save", value]);
    assert!(saved.status.success(), "{}", text(&saved.stderr));
}

#[test]
fn a_save_in_one_process_wakes_watch_in_another() {
    let name = unique("wake");
    // Holds the mapping between the saving processes.
    let keeper = SharedText::open(&name).expect("the test's own instance");
    let (_watcher, lines) = sleepy_watch(&name);
    assert_eq!(next_line(&lines, "the first value"), SAMPLE_TEXT);
    for value in ["창 2에서 저장", "second", "세 번째"] {
        save(&name, value);
        assert_eq!(next_line(&lines, value), value);
    }
    // A save of this process's own instance wakes it too.
    keeper.save("from the keeper").unwrap();
    assert_eq!(next_line(&lines, "the keeper's save"), "from the keeper");
}

#[test]
fn every_watcher_wakes_for_one_save() {
    let name = unique("every");
    let keeper = SharedText::open(&name).expect("the test's own instance");
    let watchers: Vec<_> = (0..3).map(|_| sleepy_watch(&name)).collect();
    for (_, lines) in &watchers {
        assert_eq!(next_line(lines, "the first value"), SAMPLE_TEXT);
    }
    keeper.save("모두 깨어나요").unwrap();
    for (_, lines) in &watchers {
        assert_eq!(next_line(lines, "the save"), "모두 깨어나요");
    }
    // A reset wakes them as well.
    keeper.save("before the reset").unwrap();
    for (_, lines) in &watchers {
        assert_eq!(next_line(lines, "the save"), "before the reset");
    }
    keeper.reset().unwrap();
    for (_, lines) in &watchers {
        assert_eq!(next_line(lines, "the reset"), SAMPLE_TEXT);
    }
}
