//! Starting more windows: "New window" starts one more memlab, and
//! `memlab --instances N` starts N-1 more beside its own; once they are
//! open, every window of the display is asked to arrange itself, so that no
//! new window opens on top of another.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::lab_id::LabId;
use memlab_engine::desktop::instances::{self, ArrangeReport, Desktop, InstancesError};
use memlab_engine::desktop::placement::pointer_work_area;
use memlab_engine::error::{ErrorKind, HasKind};

/// How long to wait for the windows started to open.
const OPEN_WITHIN: Duration = Duration::from_secs(30);
/// How long to wait for the windows to answer a request to arrange.
const ANSWERS_WITHIN: Duration = Duration::from_secs(15);

/// A window that could not be started.
#[derive(Debug, thiserror::Error)]
#[error("cannot start {}: {source}", exe.display())]
pub struct LaunchError {
    pub exe: PathBuf,
    #[source]
    pub source: std::io::Error,
}

impl HasKind for LaunchError {
    fn kind(&self) -> ErrorKind {
        ErrorKind::Os
    }
}

/// What the windows started get from the one that starts them.
#[derive(Debug, Clone, Default)]
pub struct Started {
    /// The lab they open on.
    pub lab: Option<LabId>,
    /// Native Wayland (`--wayland`).
    pub wayland: bool,
}

/// Starts one more memlab window (the same executable, on the lab and
/// window system of `started`); its PID. The child is reaped when it ends.
pub fn spawn_window(started: &Started) -> Result<u32, LaunchError> {
    let exe = std::env::current_exe().map_err(|source| LaunchError {
        exe: PathBuf::from("memlab"),
        source,
    })?;
    let mut command = Command::new(&exe);
    if let Some(lab) = started.lab {
        command.arg("--lab").arg(lab.to_string());
    }
    if started.wayland {
        command.arg("--wayland");
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
pub fn spawn_and_arrange(more: u32, started: &Started) -> Result<(), LaunchError> {
    let mut pids = Vec::new();
    for _ in 0..more {
        pids.push(spawn_window(started)?);
    }
    pids.push(std::process::id());
    arrange_in_background(pids, |outcome| {
        if let Some(line) = failure_line(&outcome) {
            eprintln!("memlab: {line}");
        }
    });
    Ok(())
}

/// Asks for an arrangement once every window of `pids` is open, on a
/// thread of its own; `done` gets what came of it.
pub fn arrange_in_background(
    pids: Vec<u32>,
    done: impl FnOnce(Result<ArrangeReport, InstancesError>) + Send + 'static,
) {
    let spawned = std::thread::Builder::new()
        .name("arrange on launch".into())
        .spawn(move || done(arrange_when_open(&pids)));
    if let Err(e) = spawned {
        eprintln!("memlab: cannot arrange the windows: {e}");
    }
}

/// The line to print when an arrangement did not place every window.
pub fn failure_line(outcome: &Result<ArrangeReport, InstancesError>) -> Option<String> {
    match outcome {
        Ok(report) if report.complete() => None,
        Ok(report) => Some(report.to_string()),
        Err(e) => Some(format!("cannot arrange the windows: {e}")),
    }
}

/// Waits until every PID has a window on the roster (or the time is up),
/// then asks for an arrangement and waits for the answers.
fn arrange_when_open(pids: &[u32]) -> Result<ArrangeReport, InstancesError> {
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
    let request = instances::request_arrange(&Desktop::from_env(), pointer_work_area())?;
    instances::wait_arranged(&request, ANSWERS_WITHIN)
}
