//! A private X server (Xvfb) for tests and benchmarks that open real
//! windows, with a window manager (openbox) when a test needs frames, the
//! work area and a manager that places windows as a desktop does.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use memlab_engine::desktop::placement::Rect;

/// Two X servers starting at once can race for one display number, and
/// windows of several tests would slow each other down: the window tests
/// of a binary take turns (weston's XWayland included: see [`take_turn`]).
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// This test's turn among the tests that start an X server (Xvfb, or
/// weston with XWayland), held until dropped.
pub fn take_turn() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}

/// A private X server; killed on drop (its window manager first).
pub struct Xvfb {
    child: Child,
    wm: Option<Child>,
    /// The DISPLAY value, e.g. `:1`.
    pub display: String,
    /// The screen's size in pixels.
    pub size: (u32, u32),
    _turn: std::sync::MutexGuard<'static, ()>,
}

impl Xvfb {
    /// Starts one of 1280×800 and waits until it answers.
    pub fn start() -> Self {
        Self::try_start()
            .expect("Xvfb is needed for the window tests: run .ci/test, which installs it")
    }

    /// Like `start`, but `None` when Xvfb is not installed.
    pub fn try_start() -> Option<Self> {
        Self::try_start_sized(1280, 800)
    }

    /// A `width`×`height` screen with openbox managing it.
    pub fn with_window_manager(width: u32, height: u32) -> Self {
        let mut x = Self::try_start_sized(width, height)
            .expect("Xvfb is needed for the window tests: run .ci/test, which installs it");
        let log = std::env::temp_dir().join(format!(
            "memlab-openbox-{}-{}.log",
            std::process::id(),
            x.display.trim_start_matches(':')
        ));
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let mut wm = x
                .command("openbox")
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(&log).unwrap())
                .spawn()
                .expect("openbox is needed for the window tests: run .ci/test, which installs it");
            // Ready once it has claimed the screen (_NET_SUPPORTING_WM_CHECK).
            while wm.try_wait().unwrap().is_none()
                && !x.has_window_manager()
                && Instant::now() < deadline
            {
                std::thread::sleep(Duration::from_millis(50));
            }
            if x.has_window_manager() {
                x.wm = Some(wm);
                let _ = std::fs::remove_file(&log);
                return x;
            }
            let _ = wm.kill();
            let _ = wm.wait();
            let said = std::fs::read_to_string(&log).unwrap_or_default();
            let _ = std::fs::remove_file(&log);
            assert!(Instant::now() < deadline, "openbox did not start: {said}");
            // It gave up (it can lose a race for the screen at start): again.
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn has_window_manager(&self) -> bool {
        self.command("xprop")
            .args(["-root", "_NET_SUPPORTING_WM_CHECK"])
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("window id"))
    }

    fn try_start_sized(width: u32, height: u32) -> Option<Self> {
        let turn = take_turn();
        // -noreset: by default the server resets when its last client
        // leaves, and drops every client that connected meanwhile: the
        // probe below leaving as memlab (or openbox) arrived made memlab
        // fail with "Failed to open connection to X server" (see
        // `tests/it/xvfb_clients.rs`).
        let mut child = Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                &format!("{width}x{height}x24"),
                "-noreset",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let display = format!(":{}", line.trim());
        assert!(display.len() > 1, "Xvfb gave no display number");
        // Wait until the server answers.
        let deadline = Instant::now() + Duration::from_secs(10);
        while !Command::new("xdotool")
            .arg("getdisplaygeometry")
            .env("DISPLAY", &display)
            .stderr(Stdio::null())
            .stdout(Stdio::null())
            .status()
            .expect("xdotool is needed for the window tests: run .ci/test, which installs it")
            .success()
        {
            assert!(
                Instant::now() < deadline,
                "Xvfb on {display} does not answer"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(Self {
            child,
            wm: None,
            display,
            size: (width, height),
            _turn: turn,
        })
    }

    /// Ends the X server under its clients (SIGTERM, as a logout does):
    /// their connections break. (SIGKILL would leave its lock file and
    /// socket in /tmp.)
    pub fn kill_server(&mut self) {
        // SAFETY: kill has no memory preconditions.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let _ = self.child.wait();
    }

    /// A command run against this display.
    pub fn command(&self, program: &str) -> Command {
        let mut command = Command::new(program);
        command.env("DISPLAY", &self.display);
        command
    }
}

/// Where a window is on the screen, in pixels.
#[derive(Debug, Clone, Copy)]
pub struct Geometry {
    /// The window's own area.
    pub client: Rect,
    /// The client area with the window manager's decorations
    /// (`_NET_FRAME_EXTENTS`); `None` until the manager has framed it.
    pub frame: Option<Rect>,
}

impl Xvfb {
    /// Window `id`'s place, from xwininfo and xprop.
    pub fn geometry(&self, id: &str) -> Option<Geometry> {
        let output = |program: &str, args: &[&str]| {
            let out = self.command(program).args(args).output().ok()?;
            Some(String::from_utf8_lossy(&out.stdout).into_owned())
        };
        let info = output("xwininfo", &["-id", id])?;
        let field = |name: &str| -> Option<i64> {
            info.lines()
                .find(|l| l.trim_start().starts_with(name))?
                .split(':')
                .nth(1)?
                .trim()
                .parse()
                .ok()
        };
        let (x, y) = (
            field("Absolute upper-left X")?,
            field("Absolute upper-left Y")?,
        );
        let (w, h) = (field("Width")?, field("Height")?);
        let extents = output("xprop", &["-id", id, "_NET_FRAME_EXTENTS"]).unwrap_or_default();
        let e: Vec<i64> = extents
            .split('=')
            .nth(1)
            .map(|v| v.split(',').filter_map(|n| n.trim().parse().ok()).collect())
            .unwrap_or_default();
        let frame = match e[..] {
            [l, r, t, b] => Some(Rect::new(
                (x - l) as i32,
                (y - t) as i32,
                (w + l + r) as u32,
                (h + t + b) as u32,
            )),
            _ => None,
        };
        Some(Geometry {
            client: Rect::new(x as i32, y as i32, w as u32, h as u32),
            frame,
        })
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        // Windows still open (a test that failed half-way) are asked to
        // close first, as their close button would: killed with the X
        // server, Xlib would end them at once and their shared objects
        // would stay in /dev/shm.
        let pids: Vec<i32> = self
            .command("xdotool")
            .args(["search", "--name", "^memlab", "getwindowpid", "%@"])
            .output()
            .map(|o| {
                String::from_utf8_lossy(&o.stdout)
                    .split_whitespace()
                    .filter_map(|p| p.parse().ok())
                    .collect()
            })
            .unwrap_or_default();
        for &pid in &pids {
            // SAFETY: kill has no memory preconditions.
            unsafe { libc::kill(pid, libc::SIGTERM) };
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while pids.iter().any(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
                !s.rsplit(')')
                    .next()
                    .is_some_and(|r| r.trim_start().starts_with('Z'))
            })
        }) && Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(50));
        }
        for child in self.wm.iter_mut().chain([&mut self.child]) {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
