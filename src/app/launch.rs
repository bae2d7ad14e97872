//! Starting more windows: "New window" starts one more memlab, and
//! `memlab --instances N` starts N-1 more beside its own, then asks them all
//! to arrange themselves once they are open.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::core::instances::{self, InstancesError};

/// How long `--instances` waits for the windows it started to open.
const OPEN_WITHIN: Duration = Duration::from_secs(15);

/// A window that could not be started.
#[derive(Debug, thiserror::Error)]
#[error("cannot start {}: {source}", exe.display())]
pub struct LaunchError {
    pub exe: PathBuf,
    #[source]
    pub source: std::io::Error,
}

/// Starts one more memlab window (the same executable, on the lab `lab`
/// if one is given); its PID. The child is reaped when it ends.
pub fn spawn_window(lab: Option<&str>) -> Result<u32, LaunchError> {
    let exe = std::env::current_exe().map_err(|source| LaunchError {
        exe: PathBuf::from("memlab"),
        source,
    })?;
    let mut command = Command::new(&exe);
    if let Some(lab) = lab {
        command.args(["--lab", lab]);
    }
    let mut child = command
        .stdin(Stdio::null())
        .spawn()
        .map_err(|source| LaunchError {
            exe: exe.clone(),
            source,
        })?;
    let pid = child.id();
    // Wait for it elsewhere, so that it leaves no zombie behind.
    let _ = std::thread::Builder::new()
        .name("window reaper".into())
        .spawn(move || {
            let _ = child.wait();
        });
    Ok(pid)
}

/// Starts `more` windows, then (on a thread) asks every window of this
/// display to arrange itself once they have all opened.
pub fn spawn_and_arrange(more: u32) -> Result<(), LaunchError> {
    let mut pids = Vec::new();
    for _ in 0..more {
        pids.push(spawn_window(None)?);
    }
    pids.push(std::process::id());
    let _ = std::thread::Builder::new()
        .name("arrange on launch".into())
        .spawn(move || {
            if let Err(e) = arrange_when_open(&pids) {
                eprintln!("memlab: cannot arrange the windows: {e}");
            }
        });
    Ok(())
}

/// Waits until every PID has a window on the roster (or the time is up),
/// then asks for an arrangement.
fn arrange_when_open(pids: &[u32]) -> Result<usize, InstancesError> {
    let deadline = Instant::now() + OPEN_WITHIN;
    loop {
        let open = instances::open_windows()?;
        let all = pids
            .iter()
            .all(|pid| open.iter().any(|w| w.pid == Some(*pid)));
        if all || Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let display = instances::current_display();
    instances::request_arrange(&display, work_area())
}

/// The work area of the pointer's monitor, if the X server says.
pub fn work_area() -> Option<crate::core::placement::Rect> {
    #[cfg(target_os = "linux")]
    {
        crate::core::placement::x11::work_area(None).ok()
    }
    #[cfg(not(target_os = "linux"))]
    {
        None
    }
}
