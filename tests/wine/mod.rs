//! What the Windows tests share: starting memlab.exe (with one allowance
//! for wine, below), reading a child's lines as they come with a generous
//! deadline, a child killed when a test ends early, names of a test alone.
//!
//! wine 8.0 once failed a `CreateProcess` of memlab.exe with
//! `ERROR_INTERNAL_ERROR` (1359, "Internal error.") in a clean CI run
//! (tests/windows_heaps.rs, 2026-12-06), where the same test had passed in
//! 15 runs in a row before and after: wine's, not memlab's. That one error,
//! and only it, is tried again (a few times, said on stderr); every other
//! failure to start, and everything the started process does, counts as
//! before.

// Each test file uses what it needs of this module.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::io::{self, BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, ChildStdout, Command, Output};
use std::sync::mpsc;
use std::time::Duration;

/// Generous: a loaded 2-core machine starting exes under wine.
pub const DEADLINE: Duration = Duration::from_secs(60);

/// memlab.exe, the binary under test.
pub fn memlab() -> Command {
    Command::new(env!("CARGO_BIN_EXE_memlab"))
}

/// memlab.exe with `args`, run to its end.
pub fn run(args: &[&str]) -> Output {
    memlab()
        .args(args)
        .output_retrying()
        .expect("memlab.exe runs")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The JSON values of `--json` output, one a line (a line that is not JSON
/// fails the test, named).
pub fn json_lines(stdout: &[u8]) -> Vec<serde_json::Value> {
    text(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?} is not JSON: {e}")))
        .collect()
}

/// A name of this test alone: wine reuses small PIDs run after run, and
/// some objects (a lock file in %TEMP%) outlive their process, so the time
/// is in it too.
pub fn unique(tag: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("wintest-{tag}-{}-{nanos}", std::process::id())
}

/// The lines a child prints, as they come, through a channel.
pub fn lines_of(stdout: ChildStdout) -> mpsc::Receiver<String> {
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

/// The next line, waited for up to [`DEADLINE`].
pub fn next_line(lines: &mpsc::Receiver<String>, what: &str) -> String {
    lines
        .recv_timeout(DEADLINE)
        .unwrap_or_else(|e| panic!("no line for {what} within {DEADLINE:?}: {e}"))
}

/// Kills the child if the test ends early.
pub struct Killed(pub Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `ERROR_INTERNAL_ERROR`, which wine has been seen to answer `CreateProcess` with.
const ERROR_INTERNAL_ERROR: i32 = 1359;
/// Starts tried in all before the error is let through.
const TRIES: u32 = 4;

fn retrying<T>(
    command: &mut Command,
    mut start: impl FnMut(&mut Command) -> io::Result<T>,
) -> io::Result<T> {
    let mut tried = 1;
    loop {
        match start(command) {
            Err(e) if e.raw_os_error() == Some(ERROR_INTERNAL_ERROR) && tried < TRIES => {
                eprintln!(
                    "wine: starting {command:?} failed with {e}; starting it again ({tried} of {TRIES})"
                );
                tried += 1;
            }
            other => return other,
        }
    }
}

/// `Command::output` and `Command::spawn`, started again when wine fails the start itself.
pub trait Retrying {
    fn output_retrying(&mut self) -> io::Result<Output>;
    fn spawn_retrying(&mut self) -> io::Result<Child>;
}

impl Retrying for Command {
    fn output_retrying(&mut self) -> io::Result<Output> {
        retrying(self, Command::output)
    }

    fn spawn_retrying(&mut self) -> io::Result<Child> {
        retrying(self, Command::spawn)
    }
}

/// `memlab.exe screenshot --lab LAB --lang LANG [--demo] --size WxH` in a
/// real window (glow, in wine's virtual desktop): the app's own picture,
/// checked to have that size, and the number of its colours (a blank or
/// one-colour window has few).
pub fn screenshot_colours(lab: &str, lang: &str, demo: bool, (w, h): (u32, u32)) -> usize {
    let out = std::env::temp_dir().join(format!("memlab-{}.png", unique(lab)));
    let _ = std::fs::remove_file(&out);
    let mut command = memlab();
    command.args(["screenshot", "--lab", lab, "--lang", lang]);
    if demo {
        command.arg("--demo");
    }
    let shot = command
        .args(["--size", &format!("{w}x{h}"), "--out"])
        .arg(&out)
        .output_retrying()
        .expect("memlab.exe screenshot");
    assert!(shot.status.success(), "{}", text(&shot.stderr));
    let picture = image::open(&out).expect("a PNG").to_rgba8();
    std::fs::remove_file(&out).unwrap();
    assert_eq!(picture.dimensions(), (w, h));
    let mut colours: Vec<[u8; 4]> = picture.pixels().map(|p| p.0).collect();
    colours.sort_unstable();
    colours.dedup();
    colours.len()
}

/// Linux's /proc as wine shows it (`Z:\\proc`); fails, saying why, where
/// wine's `Z:` shows none. Wine threads are Linux threads: their context
/// switches there are the wake-ups the idle tests count.
pub fn proc_dir() -> PathBuf {
    let proc = PathBuf::from("Z:\\proc");
    assert!(
        proc.join("self").join("task").is_dir(),
        "these tests count Linux context switches through wine's Z:\\proc: run them under wine"
    );
    proc
}

/// The Linux processes whose command line (wine puts the Windows one
/// there) has every one of `parts`.
pub fn linux_processes_with(parts: &[&str]) -> BTreeSet<PathBuf> {
    let Ok(entries) = std::fs::read_dir(proc_dir()) else {
        return BTreeSet::new();
    };
    entries
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            let numeric = path
                .file_name()?
                .to_str()?
                .bytes()
                .all(|b| b.is_ascii_digit());
            let cmdline = std::fs::read(path.join("cmdline")).ok()?;
            let cmdline = String::from_utf8_lossy(&cmdline);
            (numeric && parts.iter().all(|p| cmdline.contains(p))).then_some(path)
        })
        .collect()
}
