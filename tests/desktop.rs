//! memlab's windows as a set, as a classroom meets them (issues 13 and 14):
//! a window restarted after a crash is counted and arranged; a window
//! covered by another still moves when asked; the roster obeys no request
//! past the screen, survives random bytes and is rebuilt after a
//! truncation; settings files that are links to /dev/zero or FIFOs neither
//! eat memory nor hang; a signal in the first milliseconds leaves nothing
//! behind; a lost X server leaves nothing behind either.
//!
//! Every test runs in a mount namespace of its own with an empty /dev/shm
//! (`common::desk::private_shm`): its windows' roster is theirs alone, so
//! it may damage it, count its windows exactly and check that nothing is
//! left. That needs root, which CI has.

// Linux only, for now: the Windows suite is tests/windows.rs (docs/windows.md).
#![cfg(target_os = "linux")]

mod common;

use std::io::{Read, Write};
use std::os::unix::fs::FileExt;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::desk::*;
use common::xvfb::Xvfb;
use memlab_engine::desktop::placement::Rect;

/// The instance number in a window's title (`memlab — instance N — PID P`).
fn number(w: &Seen) -> usize {
    w.title
        .split(" — ")
        .nth(1)
        .and_then(|part| part.strip_prefix("instance "))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no instance number in {:?}", w.title))
}

/// `memlab arrange` on `x`: exit code, stdout, stderr.
fn arrange(x: &Xvfb, home: &std::path::Path) -> (Option<i32>, String, String) {
    let out = memlab_on(x, home, &["arrange"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        String::from_utf8_lossy(&out.stderr).trim().to_owned(),
    )
}

/// The windows' roster of this test's /dev/shm.
fn roster_path() -> std::path::PathBuf {
    format!("/dev/shm/memlab-windows.{}", common::euid()).into()
}

/// The PIDs the shared text `mapping` lists as attached.
fn attached(mapping: &str) -> Vec<u64> {
    let out = common::shared(mapping, &["info"]);
    let info: serde_json::Value = serde_json::from_str(&common::stdout(&out)).unwrap_or_default();
    info["attached"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a["pid"].as_u64())
        .collect()
}

fn alive(pid: u32) -> bool {
    !is_zombie(pid)
}

/// Issue 13.1: four windows on 1024×768, window 3 killed with SIGKILL and
/// one started again. The new window takes number 3; it is on the roster
/// and attached to the shared text for every reader; `memlab arrange`
/// counts four windows and tiles all of them. (The roster read skipped a
/// slot taken again after the others: "arranging 3 window(s)".)
#[test]
fn a_window_restarted_after_a_crash_is_counted_and_arranged() {
    private_shm();
    let x = Xvfb::with_window_manager(1024, 768);
    let (home, mapping) = home_with_mapping("restart");
    let mut children = vec![memlab_on(&x, &home, &["--instances", "4"]).spawn().unwrap()];
    let seen = tiled_within(&x, 4, Duration::from_secs(90));
    let third = seen.iter().find(|w| number(w) == 3).expect("instance 3");
    common::kill(third.pid, libc::SIGKILL);
    let third_pid = third.pid;
    wait_for("window 3 gone", Duration::from_secs(30), || {
        windows(&x).len() == 3 && !alive(third_pid)
    });
    let again = memlab_on(&x, &home, &["--lab", "shared"]).spawn().unwrap();
    let pid = again.id();
    children.push(again);
    let all = settled(&x, 4, Duration::from_secs(60));
    let new = all.iter().find(|w| w.pid == pid).expect("the new window");
    assert_eq!(
        number(new),
        3,
        "it takes the number of the window that died"
    );
    assert!(
        memlab_engine::desktop::instances::open_windows()
            .unwrap()
            .iter()
            .any(|w| w.pid == Some(pid) && w.number == 3),
        "the roster lists it"
    );
    wait_for(
        "the shared text to list the new window",
        Duration::from_secs(30),
        || attached(&mapping).contains(&u64::from(pid)),
    );
    let (code, stdout, stderr) = arrange(&x, &home);
    assert_eq!(code, Some(0), "{stdout} {stderr}");
    assert_eq!(stdout, "arranged 4 window(s) in 1024x768+0+0");
    tiled_within(&x, 4, Duration::from_secs(30));
    let now = windows(&x);
    close(&now, &mut children);
    assert_eq!(
        shm_names(),
        Vec::<String>::new(),
        "nothing left in /dev/shm"
    );
}

/// Issue 13.2: memlab windows wholly covered by another program's window
/// (a browser in front of them, here xev's window over the whole screen:
/// X11 tells them they are occluded, and eframe then runs no `ui` pass)
/// still move to their tiles when asked, not when they are raised.
#[test]
fn arrange_moves_windows_hidden_behind_another() {
    private_shm();
    let x = Xvfb::with_window_manager(1024, 768);
    let (home, _mapping) = home_with_mapping("hidden");
    let mut children = start_by_hand(&x, &home, 2);
    settled(&x, 2, Duration::from_secs(60));
    let mut cover = x
        .command("xev")
        .args(["-geometry", "1024x768+0+0", "-name", "cover"])
        .stdout(Stdio::null())
        .spawn()
        .expect("xev (x11-utils) is needed: run .ci/test, which installs it");
    wait_for("the cover window", Duration::from_secs(30), || {
        x.command("xdotool")
            .args(["search", "--onlyvisible", "--name", "^cover$"])
            .output()
            .is_ok_and(|o| !o.stdout.is_empty())
    });
    let (code, stdout, stderr) = arrange(&x, &home);
    assert_eq!(code, Some(0), "{stdout} {stderr}");
    assert_eq!(stdout, "arranged 2 window(s) in 1024x768+0+0");
    let after = tiled_within(&x, 2, Duration::from_secs(30));
    let _ = cover.kill();
    let _ = cover.wait();
    close(&after, &mut children);
    assert_eq!(shm_names(), Vec::<String>::new());
}

/// Writes `bytes` into the roster at `at`, as anyone of the account can.
fn scribble(at: u64, bytes: &[u8]) {
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(roster_path())
        .unwrap();
    file.write_all_at(bytes, at).unwrap();
}

/// Issue 14.6: the roster obeys no request past the screen. A request with
/// a 40000×60000 area (two windows crashed in Mesa) is clamped to the
/// monitor; random bytes over the table neither kill a window nor size it
/// past the screen; a roster truncated to 0 is rebuilt by the windows, and
/// `memlab arrange` finds both again.
#[test]
fn the_roster_obeys_no_request_past_the_screen_and_is_rebuilt() {
    private_shm();
    let x = Xvfb::with_window_manager(1024, 768);
    let (home, _mapping) = home_with_mapping("roster");
    let mut children = start_by_hand(&x, &home, 2);
    let seen = settled(&x, 2, Duration::from_secs(60));
    let pids: Vec<u32> = seen.iter().map(|w| w.pid).collect();
    let mask: u64 = seen.iter().map(|w| 1u64 << (number(w) - 1)).sum();
    let mut generation = [0u8; 8];
    std::fs::File::open(roster_path())
        .unwrap()
        .read_exact_at(&mut generation, 8)
        .unwrap();
    let next = u64::from_le_bytes(generation) + 1;
    // The request's layout: generation, slots, x, y, width, height.
    let mut request = Vec::new();
    request.extend_from_slice(&next.to_le_bytes());
    request.extend_from_slice(&mask.to_le_bytes());
    for v in [0i32, 0] {
        request.extend_from_slice(&v.to_le_bytes());
    }
    for v in [40000u32, 60000] {
        request.extend_from_slice(&v.to_le_bytes());
    }
    scribble(8, &request);
    tiled_within(&x, 2, Duration::from_secs(30));
    let screen = Rect::new(0, 0, 1024, 768);
    // Random bytes (a fixed sequence) over the whole table, five times.
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut random = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..5 {
        let bytes: Vec<u8> = (0..8192).map(|_| random() as u8).collect();
        scribble(0, &bytes);
        std::thread::sleep(Duration::from_millis(300));
        assert!(
            pids.iter().all(|&p| alive(p)),
            "a window died of random bytes"
        );
    }
    let shaken = settled(&x, 2, Duration::from_secs(60));
    for w in &shaken {
        assert!(
            w.frame.width <= screen.width && w.frame.height <= screen.height,
            "{w:?} is larger than the screen"
        );
    }
    // Truncated to nothing while both windows are open.
    std::fs::OpenOptions::new()
        .write(true)
        .open(roster_path())
        .unwrap()
        .set_len(0)
        .unwrap();
    let (code, stdout, stderr) = arrange(&x, &home);
    assert_eq!(code, Some(0), "{stdout} {stderr}");
    assert_eq!(stdout, "arranged 2 window(s) in 1024x768+0+0");
    let after = tiled_within(&x, 2, Duration::from_secs(30));
    close(&after, &mut children);
    assert_eq!(shm_names(), Vec::<String>::new());
}

/// The resident memory of `pid` in bytes (0 once it is gone).
fn rss(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

fn mkfifo(path: &std::path::Path) {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid C path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
}

/// Issue 14.5: `settings.json` a link to /dev/zero, every `window-N.json`
/// and `labs.ron` FIFOs. The window opens anyway (its memory stays small:
/// /dev/zero is not read), says which files are not memlab's settings,
/// and closes at once (it does not wait on the FIFO to write its labs);
/// the link is left as it is, the FIFO replaced by a regular file.
#[test]
fn settings_files_that_are_links_or_fifos_are_not_read() {
    private_shm();
    let x = Xvfb::with_window_manager(1024, 768);
    let home = tempdir("hostile");
    let data = home.join(".local/share/memlab");
    std::fs::create_dir_all(&data).unwrap();
    std::os::unix::fs::symlink("/dev/zero", data.join("settings.json")).unwrap();
    mkfifo(&data.join("labs.ron"));
    for n in 1..=memlab_engine::os::slots::MAX_SLOTS {
        mkfifo(&data.join(format!("window-{n}.json")));
    }
    let mut child = memlab_on(&x, &home, &[]).spawn().unwrap();
    let pid = child.id();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !windows(&x).iter().any(|w| w.pid == pid) {
        let resident = rss(pid);
        if resident > 1 << 30 || Instant::now() > deadline {
            let _ = child.kill();
            panic!("no window within 60 s (resident memory {resident} bytes)");
        }
        assert!(child.try_wait().unwrap().is_none(), "memlab ended");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(rss(pid) < 1 << 30, "resident memory {}", rss(pid));
    common::kill(pid, libc::SIGTERM);
    let status = wait_with_timeout(&mut child, Duration::from_secs(30));
    assert!(status.success(), "{status}");
    let err = std::fs::read_to_string(home.join("stderr.log")).unwrap();
    for says in [
        "settings.json is not memlab's settings (a symbolic link)",
        "labs.ron is not memlab's settings (a FIFO)",
        "-1.json is not memlab's settings (a FIFO)",
    ] {
        assert!(err.contains(says), "stderr does not say {says:?}: {err}");
    }
    let kind = |name: &str| {
        std::fs::symlink_metadata(data.join(name))
            .unwrap()
            .file_type()
    };
    assert!(kind("settings.json").is_symlink(), "left as it is");
    assert!(
        kind("labs.ron").is_file(),
        "the labs were kept in a regular file"
    );
    assert_eq!(shm_names(), Vec::<String>::new());
}

/// Fills a pipe until a write would block; the write end is left blocking.
fn full_pipe() -> (std::io::PipeReader, std::io::PipeWriter) {
    use std::os::fd::AsRawFd;
    let (reader, mut writer) = std::io::pipe().unwrap();
    let fd = writer.as_raw_fd();
    // SAFETY: fcntl on a descriptor we own.
    unsafe { libc::fcntl(fd, libc::F_SETFL, libc::O_NONBLOCK) };
    while writer.write(&[b'.'; 4096]).is_ok() {}
    // SAFETY: as above.
    unsafe { libc::fcntl(fd, libc::F_SETFL, 0) };
    (reader, writer)
}

/// Issue 14.7: a SIGTERM while `memlab shared hold` is attached but has
/// not yet installed its handler (here: it is writing "created the
/// mapping" to a stderr nobody reads yet) is held, not fatal: once the
/// handler is there, the command stops, detaches and removes the object.
/// (It died at once, leaving `/dev/shm/memlab.UID.NAME` behind.)
#[test]
fn a_signal_before_the_handler_is_held_until_memlab_can_detach() {
    private_shm();
    let name = common::unique("early-signal");
    let (mut reader, writer) = full_pipe();
    let mut child = common::memlab(&["shared", "--name", &name, "hold", "--seconds", "60"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(writer)
        .spawn()
        .unwrap();
    let pid = child.id();
    let object = common::object_path(&name);
    wait_for(
        "the object, and memlab blocked on stderr",
        Duration::from_secs(30),
        || {
            object.exists()
                && std::fs::read_to_string(format!("/proc/{pid}/wchan"))
                    .is_ok_and(|w| w.contains("pipe"))
        },
    );
    common::kill(pid, libc::SIGTERM);
    let drained = std::thread::spawn(move || {
        let mut all = Vec::new();
        let _ = reader.read_to_end(&mut all);
        String::from_utf8_lossy(&all).into_owned()
    });
    let status = wait_with_timeout(&mut child, Duration::from_secs(30));
    let err = drained.join().unwrap();
    assert!(
        status.success(),
        "{status}: {}",
        err.trim_start_matches('.')
    );
    assert!(!object.exists(), "the object was removed");
    assert_eq!(shm_names(), Vec::<String>::new());
}

/// Issue 14.7, the window: SIGTERM as soon as the window has taken its
/// number (its roster exists), long before its window and handler are up.
/// The window opens, closes as if its close button was pressed, and
/// leaves nothing behind.
#[test]
fn a_window_signalled_as_it_starts_leaves_nothing_behind() {
    private_shm();
    let x = Xvfb::start();
    let (home, _mapping) = home_with_mapping("early-window");
    for run in 0..3 {
        let mut child = memlab_on(&x, &home, &[]).spawn().unwrap();
        wait_for("the roster", Duration::from_secs(30), || {
            roster_path().exists()
        });
        common::kill(child.id(), libc::SIGTERM);
        let status = wait_with_timeout(&mut child, Duration::from_secs(60));
        assert!(status.success(), "run {run}: {status}");
        assert_eq!(shm_names(), Vec::<String>::new(), "run {run}");
    }
    let err = std::fs::read_to_string(home.join("stderr.log")).unwrap_or_default();
    assert!(err.trim().is_empty(), "{err}");
}

/// Issue 14.8: the X server killed under two open windows (a logout, a
/// dropped `ssh -X`). Xlib's I/O error handler would call exit() and leave
/// the shared text's object and the roster behind; memlab ends with one
/// line each, exit code 1, and nothing is left.
#[test]
fn a_lost_x_server_leaves_nothing_behind() {
    private_shm();
    let mut x = Xvfb::start();
    let (home, mapping) = home_with_mapping("lost-x");
    let mut children: Vec<_> = (0..2)
        .map(|_| memlab_on(&x, &home, &["--lab", "shared"]).spawn().unwrap())
        .collect();
    wait_for("two windows attached", Duration::from_secs(60), || {
        windows(&x).len() == 2 && attached(&mapping).len() >= 2
    });
    x.kill_server();
    for child in &mut children {
        let status = wait_with_timeout(child, Duration::from_secs(60));
        assert_eq!(status.code(), Some(1), "{status}");
    }
    let err = std::fs::read_to_string(home.join("stderr.log")).unwrap();
    assert_eq!(err.lines().count(), 2, "one line each: {err}");
    assert!(
        err.lines()
            .all(|l| l.contains("connection to the X server")),
        "{err}"
    );
    assert_eq!(
        shm_names(),
        Vec::<String>::new(),
        "nothing left in /dev/shm"
    );
}
