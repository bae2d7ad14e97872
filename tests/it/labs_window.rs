//! The labs with real windows under Xvfb and openbox: the address-space
//! map's list of processes names memlab's open windows by their instance
//! numbers, first, and `memlab maps --window N` reads window N's process,
//! as a class puts the page lab in one window and its map in the next.

#![cfg(target_os = "linux")]

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::xvfb::Xvfb;

/// A home of the test's own (a mapping of its own in its saved labs);
/// removed when dropped, after the windows using it were closed.
struct Home(PathBuf);

impl Home {
    fn new(tag: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("memlab-labs-window-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let data = dir.join(".local/share/memlab");
        std::fs::create_dir_all(&data).unwrap();
        let labs = format!("(shared:(name:{:?},live:false))", common::unique(tag));
        std::fs::write(data.join("labs.ron"), format!("{{\"app\":{labs:?}}}")).unwrap();
        Self(dir)
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn memlab_on(x: &Xvfb, home: &Path, args: &[&str]) -> Command {
    let mut command = x.command(common::BIN);
    command
        .args(args)
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join(".local/share"))
        .env_remove("WAYLAND_DISPLAY")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

/// The PIDs of the visible windows whose title says `memlab — instance N`
/// (xdotool's pattern takes no em dash: the title is read back instead).
fn window_pids(x: &Xvfb) -> Vec<u32> {
    let out = x
        .command("xdotool")
        .args(["search", "--onlyvisible", "--name", "^memlab"])
        .output()
        .expect("run xdotool");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .filter(|id| {
            x.command("xdotool")
                .args(["getwindowname", id])
                .output()
                .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("instance"))
        })
        .filter_map(|id| {
            let out = x
                .command("xdotool")
                .args(["getwindowpid", id])
                .output()
                .ok()?;
            String::from_utf8_lossy(&out.stdout).trim().parse().ok()
        })
        .collect()
}

/// Closes the windows like their close button and waits for them to end.
fn close(pids: &[u32]) {
    for &pid in pids {
        common::kill(pid, libc::SIGTERM);
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    let alive = |pid: u32| {
        std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| !s.contains(") Z "))
    };
    while pids.iter().any(|&p| alive(p)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn the_maps_list_puts_memlabs_windows_first_by_number() {
    let x = Xvfb::with_window_manager(1920, 1080);
    let home = Home::new("maps-list");
    let mut launcher = memlab_on(&x, &home.0, &["--instances", "2", "--lab", "address-map"])
        .spawn()
        .expect("start memlab");
    let deadline = Instant::now() + Duration::from_secs(60);
    let pids = loop {
        let pids = window_pids(&x);
        if pids.len() == 2 {
            break pids;
        }
        assert!(Instant::now() < deadline, "two windows; saw {pids:?}");
        std::thread::sleep(Duration::from_millis(100));
    };
    // The roster numbers a window as it starts: wait for both numbers.
    let deadline = Instant::now() + Duration::from_secs(30);
    let list = loop {
        let out = common::run(&["maps", "--list", "--json"]);
        assert!(out.status.success(), "{}", common::stderr(&out));
        let list: Vec<serde_json::Value> = serde_json::from_str(&common::stdout(&out)).unwrap();
        let numbered = list
            .iter()
            .filter(|t| pids.contains(&(t["pid"].as_u64().unwrap() as u32)))
            .filter(|t| t["window"].is_u64())
            .count();
        if numbered == 2 {
            break list;
        }
        assert!(Instant::now() < deadline, "both windows numbered: {list:?}");
        std::thread::sleep(Duration::from_millis(100));
    };
    // Windows first, in the order of their numbers, then the rest by PID.
    let first_other = list
        .iter()
        .position(|t| t["window"].is_null() && t["this"] != true)
        .unwrap_or(list.len());
    let ours: Vec<(usize, u64)> = list
        .iter()
        .enumerate()
        .filter(|(_, t)| pids.contains(&(t["pid"].as_u64().unwrap() as u32)))
        .map(|(i, t)| (i, t["window"].as_u64().unwrap()))
        .collect();
    assert!(ours.iter().all(|(i, _)| *i < first_other), "{list:?}");
    assert!(ours[0].1 < ours[1].1, "by number: {list:?}");
    let numbers: Vec<u64> = list[..first_other]
        .iter()
        .filter_map(|t| t["window"].as_u64())
        .collect();
    assert!(numbers.windows(2).all(|w| w[0] < w[1]), "{list:?}");

    // `--window N` reads that window's process.
    let (_, second) = ours[1];
    let pid = list
        .iter()
        .find(|t| t["window"].as_u64() == Some(second))
        .unwrap()["pid"]
        .as_u64()
        .unwrap();
    let out = common::run(&["maps", "--window", &second.to_string()]);
    let text = common::stdout(&out);
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert!(
        text.lines()
            .next()
            .unwrap()
            .contains(&format!("of PID {pid}")),
        "{text}"
    );
    // A memlab window: its bundled font and its threads' stacks are named.
    assert!(text.contains("holds the bundled font"), "{text}");
    assert!(text.contains("stack of thread"), "{text}");

    close(&pids);
    let _ = launcher.wait();
}
