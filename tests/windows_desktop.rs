//! memlab's windows side by side on Windows, run under wine by
//! `.ci/windows/test` (in the prefix's virtual desktop, which this test
//! binary shares with the windows it starts) and on a real Windows by
//! `cargo test`: `memlab.exe --instances 3` opens three windows that number
//! themselves #1 to #3 and end up tiled on the monitor's work area; a
//! killed window's number is free again and a restarted window takes it;
//! `memlab.exe arrange` tiles them again and says so.
//!
//! The windows are found and measured from here, with Win32
//! (`EnumWindows`, `GetWindowTextW`, `GetWindowRect`), not from what they
//! report. Every wait is for a state of the desktop with a generous
//! deadline (wine is slow to start exes on a loaded machine).
#![cfg(windows)]

mod wine;
use wine::Retrying;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use memlab_engine::desktop::placement::{Rect, pointer_work_area, tile};
use windows_sys::Win32::Foundation::{HWND, LPARAM, RECT};
use windows_sys::Win32::System::Threading::{OpenProcess, PROCESS_TERMINATE, TerminateProcess};
use windows_sys::Win32::UI::WindowsAndMessaging::{
    EnumWindows, GetWindowRect, GetWindowTextW, IsWindowVisible,
};

/// Generous: a loaded 2-core machine starting eframe exes under wine.
const DEADLINE: Duration = Duration::from_secs(120);
/// Pixels of difference still taken as "in its tile" (as the app's own).
const SLACK: i64 = 2;

fn memlab() -> Command {
    Command::new(env!("CARGO_BIN_EXE_memlab"))
}

/// A memlab window on the desktop, as its title names it
/// (`memlab — instance N — PID P`) and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    number: usize,
    pid: u32,
    rect: Rect,
}

/// The visible memlab windows with an instance number, by number.
fn memlab_windows() -> Vec<Seen> {
    unsafe extern "system" fn each(hwnd: HWND, found: LPARAM) -> i32 {
        // SAFETY: `found` is the Vec `memlab_windows` passed, alive during
        // EnumWindows, which calls this on its own thread.
        let found = unsafe { &mut *(found as *mut Vec<Seen>) };
        // SAFETY: a window handle EnumWindows gives.
        if unsafe { IsWindowVisible(hwnd) } == 0 {
            return 1;
        }
        let mut title = [0u16; 256];
        // SAFETY: writes at most 256 UTF-16 units into `title`.
        let len = unsafe { GetWindowTextW(hwnd, title.as_mut_ptr(), title.len() as i32) };
        let title = String::from_utf16_lossy(&title[..len.max(0) as usize]);
        let Some((number, pid)) = parse_title(&title) else {
            return 1;
        };
        let mut r = RECT {
            left: 0,
            top: 0,
            right: 0,
            bottom: 0,
        };
        // SAFETY: a window handle and one RECT to write.
        if unsafe { GetWindowRect(hwnd, &mut r) } != 0 {
            found.push(Seen {
                number,
                pid,
                rect: Rect::new(
                    r.left,
                    r.top,
                    (r.right - r.left).max(0) as u32,
                    (r.bottom - r.top).max(0) as u32,
                ),
            });
        }
        1
    }
    let mut found: Vec<Seen> = Vec::new();
    // SAFETY: the callback above, with a pointer to `found`, which outlives
    // the call.
    unsafe { EnumWindows(Some(each), &raw mut found as LPARAM) };
    found.sort_by_key(|w| w.number);
    found
}

/// `memlab — instance 2 — PID 42` as (2, 42).
fn parse_title(title: &str) -> Option<(usize, u32)> {
    let rest = title.strip_prefix("memlab — instance ")?;
    let (number, pid) = rest.split_once(" — PID ")?;
    Some((number.parse().ok()?, pid.parse().ok()?))
}

/// Waits until `check` accepts the memlab windows on the desktop; the
/// windows it accepted.
fn wait_for(what: &str, check: impl Fn(&[Seen]) -> bool) -> Vec<Seen> {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let now = memlab_windows();
        if check(&now) {
            return now;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: not within {DEADLINE:?}; the memlab windows: {now:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn close(a: Rect, b: Rect) -> bool {
    let near = |x: i64, y: i64| (x - y).abs() <= SLACK;
    near(a.x.into(), b.x.into())
        && near(a.y.into(), b.y.into())
        && near(a.width.into(), b.width.into())
        && near(a.height.into(), b.height.into())
}

/// True if the windows are exactly `numbers`, each in its tile of `area`
/// (ranked by number).
fn tiled(windows: &[Seen], numbers: &[usize], area: Rect) -> bool {
    windows.iter().map(|w| w.number).eq(numbers.iter().copied())
        && windows
            .iter()
            .enumerate()
            .all(|(rank, w)| close(w.rect, tile(area, rank, numbers.len())))
}

fn terminate(pid: u32) {
    // SAFETY: plain calls on a process handle checked for null.
    unsafe {
        let process = OpenProcess(PROCESS_TERMINATE, 0, pid);
        if !process.is_null() {
            TerminateProcess(process, 1);
            windows_sys::Win32::Foundation::CloseHandle(process);
        }
    }
}

/// Ends every memlab window it saw, and its own children, when the test
/// ends (passed or not).
struct Cleanup(Vec<Child>);

impl Drop for Cleanup {
    fn drop(&mut self) {
        for w in memlab_windows() {
            terminate(w.pid);
        }
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

#[test]
fn instances_tile_a_killed_number_is_taken_again_and_arrange_tiles_them() {
    assert!(
        memlab_windows().is_empty(),
        "memlab windows are open already: {:?}",
        memlab_windows()
    );
    let area = pointer_work_area().expect("Windows names a work area");
    let mut cleanup = Cleanup(Vec::new());
    let first = memlab()
        .args(["--instances", "3", "--lab", "shared"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn_retrying()
        .expect("memlab.exe --instances 3");
    cleanup.0.push(first);

    // Three windows, numbered 1 to 3, each in its tile of the work area.
    let three = wait_for("--instances 3 tiles #1, #2, #3", |w| {
        tiled(w, &[1, 2, 3], area)
    });

    // #2 killed: its window goes, and its number is free again.
    let killed = three[1].pid;
    terminate(killed);
    wait_for("#2 gone", |w| w.iter().all(|s| s.pid != killed));
    let again = memlab()
        .args(["--lab", "shared"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn_retrying()
        .expect("memlab.exe");
    let again_pid = again.id();
    cleanup.0.push(again);
    let restarted = wait_for("a restarted window takes #2", |w| {
        w.iter().any(|s| s.pid == again_pid)
    });
    let new = restarted.iter().find(|s| s.pid == again_pid).unwrap();
    assert_eq!(new.number, 2, "the lowest free number: {restarted:?}");

    // `memlab arrange` tiles the three again, the new #2 second.
    let arranged = memlab()
        .arg("arrange")
        .output_retrying()
        .expect("memlab.exe arrange");
    let said = String::from_utf8_lossy(&arranged.stdout);
    assert!(
        arranged.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&arranged.stderr)
    );
    let expected = format!(
        "arranged 3 window(s) in {}x{}+{}+{}",
        area.width, area.height, area.x, area.y
    );
    assert_eq!(said.trim(), expected);
    let now = memlab_windows();
    assert!(tiled(&now, &[1, 2, 3], area), "{now:?}");
    assert_eq!(now[1].pid, again_pid);

    // All closed: `arrange` finds no window and says so.
    drop(cleanup);
    wait_for("every window gone", |w| w.is_empty());
    let none = memlab()
        .arg("arrange")
        .output_retrying()
        .expect("memlab.exe arrange");
    assert_eq!(none.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&none.stderr).contains("no memlab window of this account is open"),
        "{}",
        String::from_utf8_lossy(&none.stderr)
    );
}

#[test]
fn titles_parse() {
    assert_eq!(parse_title("memlab — instance 2 — PID 42"), Some((2, 42)));
    assert_eq!(parse_title("memlab — PID 42"), None);
}
