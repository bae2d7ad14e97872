//! memlab on a Wayland desktop (issue 13.8): weston's headless backend with
//! XWayland, as Ubuntu's and Fedora's desktops run X11 programs. Where
//! XWayland is there (`DISPLAY` beside `WAYLAND_DISPLAY`), memlab's windows
//! are X11 windows, so that a window manager can let them tile and put them
//! back; `--wayland` opens native Wayland windows instead. `memlab arrange`
//! never claims a move it cannot make: weston's window manager lets no X11
//! window choose its place, and a native Wayland window cannot either, and
//! arrange says so (exit 1) instead of "arranging N window(s)".

// Linux only, for now: the Windows suite is tests/windows.rs (docs/windows.md).
#![cfg(target_os = "linux")]

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::desk::{Scratch, is_zombie, private_shm, shm_names, tempdir, wait_for};
use memlab_engine::desktop::instances::{self, Backend};

/// A weston compositor on its headless backend, with XWayland; stopped on
/// drop (its XWayland with it).
struct Weston {
    child: Child,
    runtime: Scratch,
    socket: String,
    /// XWayland's X display, e.g. `:3`.
    display: String,
}

impl Weston {
    fn start(width: u32, height: u32) -> Self {
        let runtime = tempdir("weston-runtime");
        std::fs::set_permissions(
            &*runtime,
            std::os::unix::fs::PermissionsExt::from_mode(0o700),
        )
        .unwrap();
        let socket = format!("memlab-test-{}", std::process::id());
        let log = runtime.join("weston.log");
        let child = Command::new("weston")
            .args([
                "--backend=headless-backend.so",
                "--xwayland",
                "--use-pixman",
                "--idle-time=0",
                &format!("--socket={socket}"),
                &format!("--width={width}"),
                &format!("--height={height}"),
                &format!("--log={}", log.display()),
            ])
            .env("XDG_RUNTIME_DIR", &*runtime)
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("weston is needed for the Wayland tests: run .ci/test, which installs it");
        let mut weston = Self {
            child,
            runtime,
            socket,
            display: String::new(),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        weston.display = loop {
            let said = std::fs::read_to_string(&log).unwrap_or_default();
            if let Some(display) = said
                .lines()
                .find_map(|l| l.split("xserver listening on display ").nth(1))
            {
                break display.trim().to_owned();
            }
            assert!(
                weston.child.try_wait().unwrap().is_none(),
                "weston ended: {said}"
            );
            assert!(Instant::now() < deadline, "weston's XWayland: {said}");
            std::thread::sleep(Duration::from_millis(100));
        };
        // XWayland starts on the first X client.
        wait_for("XWayland to answer", Duration::from_secs(30), || {
            weston
                .command("xdotool")
                .arg("getdisplaygeometry")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        });
        weston
    }

    /// `program` on this desktop: `WAYLAND_DISPLAY` and XWayland's `DISPLAY`.
    fn command(&self, program: &str) -> Command {
        let mut command = Command::new(program);
        command
            .env("XDG_RUNTIME_DIR", &*self.runtime)
            .env("WAYLAND_DISPLAY", &self.socket)
            .env("DISPLAY", &self.display);
        command
    }

    /// `memlab ARGS` on this desktop with `home`, its output in files there.
    fn memlab(&self, home: &Path, args: &[&str]) -> Command {
        let mut command = self.command(common::BIN);
        let log = |name: &str| {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(home.join(name))
                .unwrap()
        };
        command
            .args(args)
            .env("HOME", home)
            .env("XDG_DATA_HOME", home.join(".local/share"))
            .stdin(Stdio::null())
            .stdout(log("stdout.log"))
            .stderr(log("stderr.log"));
        command
    }

    /// The memlab windows XWayland shows: (title, PID).
    fn x11_windows(&self) -> Vec<(String, u32)> {
        let out = |args: &[&str]| {
            let o = self.command("xdotool").args(args).output().unwrap();
            String::from_utf8_lossy(&o.stdout).trim().to_owned()
        };
        out(&["search", "--onlyvisible", "--name", "^memlab"])
            .split_whitespace()
            .filter_map(|id| {
                let pid = out(&["getwindowpid", id]).parse().ok()?;
                Some((out(&["getwindowname", id]), pid))
            })
            .collect()
    }

    /// `memlab arrange` on this desktop: exit code, stdout, stderr.
    fn arrange(&self, home: &Path) -> (Option<i32>, String, String) {
        let out = self
            .memlab(home, &["arrange"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let text = |b: &[u8]| String::from_utf8_lossy(b).trim().to_owned();
        (out.status.code(), text(&out.stdout), text(&out.stderr))
    }
}

impl Drop for Weston {
    fn drop(&mut self) {
        // SAFETY: kill has no memory preconditions.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Closes memlab windows by PID (SIGTERM, as their close button) and waits.
fn close(pids: &[u32], children: &mut [Child]) {
    for &pid in pids {
        common::kill(pid, libc::SIGTERM);
    }
    wait_for("the windows to close", Duration::from_secs(30), || {
        pids.iter().all(|&pid| is_zombie(pid))
    });
    for child in children {
        let _ = child.wait();
    }
}

/// The memlab windows on the roster that run on `backend`, by PID.
fn on_roster(backend: Backend) -> Vec<u32> {
    instances::open_windows()
        .unwrap()
        .into_iter()
        .filter(|w| w.display.backend == backend)
        .filter_map(|w| w.pid)
        .collect()
}

#[test]
fn x11_windows_where_xwayland_is_there_and_arrange_claims_no_move() {
    private_shm();
    let weston = Weston::start(1024, 768);
    let home = tempdir("wayland-home");
    let mut children = vec![
        weston
            .memlab(&home, &["--instances", "2", "--lab", "sysinfo"])
            .spawn()
            .unwrap(),
    ];
    // Two windows on the roster as X11 windows, each shown by XWayland.
    let shown = |pids: &[u32]| {
        let seen = weston.x11_windows();
        pids.iter().all(|pid| {
            seen.iter()
                .any(|(title, p)| p == pid && title.starts_with("memlab — instance "))
        })
    };
    wait_for(
        "two X11 windows on XWayland",
        Duration::from_secs(90),
        || {
            let x11 = on_roster(Backend::X11);
            x11.len() == 2 && shown(&x11)
        },
    );
    let x11 = on_roster(Backend::X11);
    assert!(
        on_roster(Backend::Wayland).is_empty(),
        "no native Wayland window: {:?}",
        instances::open_windows()
    );
    let (code, stdout, stderr) = weston.arrange(&home);
    assert_eq!(code, Some(1), "{stdout} {stderr}");
    assert!(stdout.is_empty(), "no claim on stdout: {stdout}");
    assert!(
        stderr.contains("arranged 0 of 2 window(s)")
            && stderr.contains("the window manager lets no window choose its place"),
        "{stderr}"
    );
    close(&x11, &mut children);

    // Native Wayland on request: no X11 window, and arrange says why it
    // cannot place it.
    let native = weston
        .memlab(&home, &["--wayland", "--lab", "sysinfo"])
        .spawn()
        .unwrap();
    let pid = native.id();
    let mut children = vec![native];
    wait_for(
        "a native Wayland window on the roster",
        Duration::from_secs(90),
        || on_roster(Backend::Wayland).contains(&pid),
    );
    assert!(
        weston.x11_windows().iter().all(|&(_, p)| p != pid),
        "no X11 window of it"
    );
    let (code, stdout, stderr) = weston.arrange(&home);
    assert_eq!(code, Some(1), "{stdout} {stderr}");
    assert!(
        stderr.contains("run on native Wayland, where a window cannot choose its place"),
        "{stderr}"
    );
    close(&[pid], &mut children);
    assert_eq!(shm_names(), Vec::<String>::new());
}
