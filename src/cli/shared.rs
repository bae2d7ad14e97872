//! `memlab shared ...`: the shared text box from the command line.

use std::io::Write;
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use clap::Subcommand;

use super::{Failure, stop_on_signal, stop_on_signal_ringing};
use memlab_engine::os::Doorbell;
use memlab_engine::shared_text::{
    Backing, Origin, SAMPLE_TEXT, SharedError, SharedText, WATCH_LIVENESS, WatchEvent,
    is_stress_text, stress_text, watch,
};

#[derive(Debug, Subcommand)]
pub enum SharedAction {
    /// Prints the shared string.
    Load,
    /// Stores TEXT (cut to 100 bytes on a character boundary) and prints what was stored.
    Save { text: String },
    /// Prints the info panel's facts as one JSON object.
    Info,
    /// Takes the lock and holds it, to demonstrate contention.
    Hold {
        /// How long to hold it, in seconds (up to 3600).
        #[arg(long)]
        seconds: f64,
    },
    /// Prints the string, then each new value as other instances save it,
    /// until stopped (Ctrl+C, SIGTERM, SIGHUP) or its output is closed.
    Watch {
        /// If someone removes the object, attach again (to a new object)
        /// instead of ending with an error.
        #[arg(long)]
        reattach: bool,
        /// Looks at least this often (seconds, 0.01 to 3600) for what no save
        /// announces: the object removed, cut short, or written by another
        /// program. Saves themselves wake it at once.
        #[arg(long, value_name = "SECONDS", default_value_t = WATCH_LIVENESS.as_secs_f64())]
        check_every: f64,
    },
    /// Rewrites a corrupt mapping as new (header and sample string).
    Reset,
    /// Saves self-checking strings and loads, counting torn or garbled reads
    /// (for consistency tests); prints a JSON summary, exits 1 if any was
    /// torn. Ctrl+C, SIGTERM and SIGHUP stop it early, detaching properly.
    Stress {
        /// This writer's tag (written into each of its strings).
        #[arg(long, default_value = "w")]
        tag: String,
        /// How many saves.
        #[arg(long, default_value_t = 2000)]
        saves: u64,
        /// Loads after each save (or in all, when --saves is 0).
        #[arg(long, default_value_t = 1)]
        loads: u64,
    },
}

/// Runs `action` on the mapping `name`, or on the string kept in `file`.
pub(super) fn run(name: &str, file: Option<PathBuf>, action: SharedAction) -> Result<(), Failure> {
    let backing = match file {
        Some(path) => Backing::File { path },
        None => Backing::memory(name),
    };
    if let SharedAction::Hold { seconds } = action
        && !(seconds.is_finite() && (0.0..=3600.0).contains(&seconds))
    {
        return Err(Failure::usage(format!(
            "--seconds must be 0 to 3600, got {seconds}"
        )));
    }
    if let SharedAction::Watch { check_every, .. } = action
        && !(check_every.is_finite() && (0.01..=3600.0).contains(&check_every))
    {
        return Err(Failure::usage(format!(
            "--check-every must be 0.01 to 3600, got {check_every}"
        )));
    }
    if let SharedAction::Stress { tag, .. } = &action
        && let Some(why) = tag_problem(tag)
    {
        return Err(Failure::usage(format!(
            "--tag {tag:?} cannot be used: {why}"
        )));
    }
    let shared = open(&backing)?;
    let name = shared.name().to_owned();
    let note_recovery = |from: Option<u32>| {
        if let Some(pid) = from {
            eprintln!(
                "memlab: took over the lock: the header named PID {pid} as its holder, and no process {pid} is running (it died during a write)"
            );
        }
    };
    let note_abandoned = |abandoned: bool| {
        if abandoned {
            eprintln!(
                "memlab: WaitForSingleObject(LockMap) returned WAIT_ABANDONED: the holder ended while holding the lock"
            );
        }
    };
    match action {
        SharedAction::Load => {
            let loaded = shared.load()?;
            note_recovery(loaded.recovered_from);
            note_abandoned(loaded.wait_abandoned);
            if loaded.lossy {
                eprintln!("memlab: the stored bytes are not valid UTF-8; shown lossily");
            }
            print(&loaded.text);
        }
        SharedAction::Save { text } => {
            let saved = shared.save(&text)?;
            note_recovery(saved.recovered_from);
            note_abandoned(saved.wait_abandoned);
            if let Some(asked) = saved.truncated_from {
                eprintln!(
                    "memlab: {asked} bytes do not fit; stored the first {} (whole characters)",
                    saved.stored.len()
                );
            }
            print(&saved.stored);
        }
        SharedAction::Info => {
            let info = shared.info()?;
            let json = serde_json::to_string(&info).map_err(|e| Failure::failed(e.to_string()))?;
            print(&json);
        }
        SharedAction::Hold { seconds } => {
            let stop = stop_on_signal();
            shared.hold(Duration::from_secs_f64(seconds), &stop, || {
                print(&format!(
                    "holding the lock of {name:?} as PID {} for {seconds} s",
                    std::process::id()
                ));
            })?;
        }
        SharedAction::Reset => {
            shared.reset()?;
            print("reset");
        }
        SharedAction::Watch {
            reattach,
            check_every,
        } => {
            let bell = std::sync::Arc::new(Doorbell::new());
            let stop = stop_on_signal_ringing(Some(bell.clone()));
            follow(
                shared,
                reattach,
                Duration::from_secs_f64(check_every),
                &stop,
                &bell,
            )?;
        }
        SharedAction::Stress { tag, saves, loads } => {
            let report = stress(&shared, &tag, saves, loads, &stop_on_signal());
            print(&report.to_string());
            if report["torn"] != 0 {
                return Err(Failure::failed(format!(
                    "{} torn or garbled reads",
                    report["torn"]
                )));
            }
        }
    }
    Ok(())
}

/// Longest stress tag, in bytes.
const MAX_TAG_LEN: usize = 20;

/// Why a stress tag cannot go into the stored strings (`TAG:i:...`): the
/// rules of a name (not empty, not blank, no control or invisible
/// formatting character: a TAB or newline would make stored text hold
/// one), at most 20 bytes, and no ':', which ends the tag.
fn tag_problem(tag: &str) -> Option<String> {
    if let Some(problem) = memlab_engine::os::names::name_problem(tag) {
        return Some(problem.to_string());
    }
    if tag.len() > MAX_TAG_LEN {
        return Some(format!(
            "it is {} bytes, longer than {MAX_TAG_LEN}",
            tag.len()
        ));
    }
    tag.contains(':')
        .then(|| "it contains ':', which ends a tag in the stored strings".into())
}

/// Attaches, and says how when it is news (created, or recovered).
fn open(backing: &Backing) -> Result<SharedText, SharedError> {
    let shared = SharedText::attach(backing)?;
    let name = shared.name();
    match shared.origin() {
        Origin::Created => eprintln!("memlab: created the mapping {name:?}"),
        Origin::Joined | Origin::OpenedFile => {}
        origin @ Origin::RecoveredStale { .. } => eprintln!("memlab: {name:?}: {origin}"),
    }
    Ok(shared)
}

/// Prints a line; false once the output is gone (e.g. `| head` ended).
fn print(line: &str) -> bool {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}").and_then(|()| out.flush()).is_ok()
}

/// True when nobody reads our output any more: the reading end of the pipe
/// is closed. Checked between values, since a watch may print nothing for
/// hours and would otherwise never notice.
#[cfg(unix)]
fn output_closed() -> bool {
    use rustix::event::{PollFd, PollFlags, Timespec};
    let stdout = std::io::stdout();
    let mut fds = [PollFd::new(&stdout, PollFlags::empty())];
    let now = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    rustix::event::poll(&mut fds, Some(&now)).is_ok()
        && fds[0]
            .revents()
            .intersects(PollFlags::ERR | PollFlags::HUP | PollFlags::NVAL)
}

/// Windows has no poll of a pipe's far end: a closed output is seen by the
/// next write (`print` then returns false, and the watch ends).
#[cfg(not(unix))]
fn output_closed() -> bool {
    false
}

/// `watch`: prints each new value until stopped or the output is closed.
fn follow(
    mut shared: SharedText,
    reattach: bool,
    check_every: Duration,
    stop: &AtomicBool,
    bell: &Doorbell,
) -> Result<(), Failure> {
    let backing = shared.backing().clone();
    let name = shared.name().to_owned();
    loop {
        let mut removed = false;
        watch(&shared, check_every, bell, |event| {
            match event {
                // Nobody reads our output any more.
                Some(WatchEvent::Value(loaded)) if !print(&loaded.text) => {
                    return ControlFlow::Break(());
                }
                Some(WatchEvent::Value(_)) | None => {}
                Some(WatchEvent::Failed(e)) => eprintln!("memlab: {e}"),
                Some(WatchEvent::Removed) => {
                    removed = true;
                    return ControlFlow::Break(());
                }
            }
            if stop.load(Ordering::Relaxed) || output_closed() {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        });
        if !removed {
            return Ok(());
        }
        let gone = SharedError::Removed { name: name.clone() };
        if !reattach {
            return Err(gone.into());
        }
        eprintln!("memlab: {gone}; attaching again");
        // Leave the orphan first: it removes nothing (its name is gone).
        drop(shared);
        shared = open(&backing)?;
    }
}

fn stress(
    shared: &SharedText,
    tag: &str,
    saves: u64,
    loads: u64,
    stop: &AtomicBool,
) -> serde_json::Value {
    let (mut done_saves, mut done_loads, mut torn, mut timeouts, mut errors) =
        (0u64, 0u64, 0u64, 0u64, 0u64);
    let mut check = |result: Result<String, SharedError>| match result {
        Ok(text) if text == SAMPLE_TEXT || is_stress_text(&text) => {}
        Ok(text) => {
            torn += 1;
            eprintln!("memlab: torn or garbled read: {text:?}");
        }
        Err(SharedError::LockTimeout { .. }) => timeouts += 1,
        Err(e) => {
            errors += 1;
            eprintln!("memlab: {e}");
        }
    };
    let rounds = if saves == 0 { 1 } else { saves };
    'rounds: for i in 0..rounds {
        if saves > 0 {
            check(shared.save(&stress_text(tag, i)).map(|s| s.stored));
            done_saves += 1;
        }
        for _ in 0..loads {
            if stop.load(Ordering::Relaxed) {
                break 'rounds;
            }
            check(shared.load().map(|l| l.text));
            done_loads += 1;
        }
        if stop.load(Ordering::Relaxed) {
            break;
        }
    }
    serde_json::json!({
        "saves": done_saves, "loads": done_loads, "torn": torn, "timeouts": timeouts,
        "errors": errors, "stopped": stop.load(Ordering::Relaxed)
    })
}
