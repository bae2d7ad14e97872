//! A private X server (Xvfb) for tests and benchmarks that open real windows.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Two X servers starting at once can race for one display number, so the
/// window tests of this binary take turns.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// A private X server; killed on drop.
pub struct Xvfb {
    child: Child,
    /// The DISPLAY value, e.g. `:1`.
    pub display: String,
    _turn: std::sync::MutexGuard<'static, ()>,
}

impl Xvfb {
    /// Starts one and waits until it answers.
    pub fn start() -> Self {
        Self::try_start()
            .expect("Xvfb is needed for the window tests: run .ci/test, which installs it")
    }

    /// Like `start`, but `None` when Xvfb is not installed.
    pub fn try_start() -> Option<Self> {
        let turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
        let mut child = Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                "1280x800x24",
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
            display,
            _turn: turn,
        })
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
