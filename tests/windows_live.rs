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
use wine::Retrying;

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdout, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use memlab_engine::shared_text::{SAMPLE_TEXT, SharedText};

/// Generous: a loaded 2-core machine starting exes under wine.
const DEADLINE: Duration = Duration::from_secs(60);

fn memlab() -> Command {
    Command::new(env!("CARGO_BIN_EXE_memlab"))
}

/// A mapping name of this test alone.
fn unique(tag: &str) -> String {
    format!("winlive-{tag}-{}", std::process::id())
}

fn run(args: &[&str]) -> Output {
    memlab()
        .args(args)
        .output_retrying()
        .expect("memlab.exe runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Kills the child if the test ends early.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

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

/// The lines a child prints, as they come, through a channel.
fn lines_of(stdout: ChildStdout) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

fn next_line(lines: &mpsc::Receiver<String>, what: &str) -> String {
    lines
        .recv_timeout(DEADLINE)
        .unwrap_or_else(|e| panic!("no line for {what} within {DEADLINE:?}: {e}"))
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
