//! `memlab shared ...`: the shared text box from the command line.

use std::io::Write;
use std::time::Duration;

use clap::Subcommand;

use super::{Failure, stop_on_signal};
use crate::core::shared_text::{
    Origin, SAMPLE_TEXT, SharedError, SharedText, is_stress_text, stress_text,
};
use std::sync::atomic::{AtomicBool, Ordering};

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
    /// Prints the string, then each new value as other instances save it, until killed.
    Watch,
    /// Rewrites a corrupt mapping as new (header and sample string).
    Reset,
    /// Saves self-checking strings and loads, counting torn or garbled reads
    /// (for consistency tests); prints a JSON summary, exits 1 if any was torn.
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

pub(super) fn run(name: &str, action: SharedAction) -> Result<(), Failure> {
    if let SharedAction::Hold { seconds } = action
        && !(seconds.is_finite() && (0.0..=3600.0).contains(&seconds))
    {
        return Err(Failure::usage(format!(
            "--seconds must be 0 to 3600, got {seconds}"
        )));
    }
    let shared = SharedText::open(name)?;
    match shared.origin() {
        Origin::Created => eprintln!("memlab: created the mapping {name:?}"),
        Origin::Joined => {}
        Origin::RecoveredStale { note, .. } => {
            eprintln!("memlab: recovered the stale mapping {name:?}: {note}")
        }
    }
    let mut out = std::io::stdout().lock();
    let print = |out: &mut std::io::StdoutLock<'_>, line: &str| {
        // A closed pipe (e.g. `| head`) is no reason to fail the command.
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    };
    let note_recovery = |from: Option<u32>| {
        if let Some(pid) = from {
            eprintln!("memlab: took over the lock from PID {pid}, which died holding it");
        }
    };
    match action {
        SharedAction::Load => {
            let loaded = shared.load()?;
            note_recovery(loaded.recovered_from);
            if loaded.lossy {
                eprintln!("memlab: the stored bytes are not valid UTF-8; shown lossily");
            }
            print(&mut out, &loaded.text);
        }
        SharedAction::Save { text } => {
            let saved = shared.save(&text)?;
            note_recovery(saved.recovered_from);
            if let Some(asked) = saved.truncated_from {
                eprintln!(
                    "memlab: {asked} bytes do not fit; stored the first {} (whole characters)",
                    saved.stored.len()
                );
            }
            print(&mut out, &saved.stored);
        }
        SharedAction::Info => {
            let info = shared.info()?;
            let json = serde_json::to_string(&info).map_err(|e| Failure::failed(e.to_string()))?;
            print(&mut out, &json);
        }
        SharedAction::Hold { seconds } => {
            let stop = stop_on_signal();
            shared.hold(Duration::from_secs_f64(seconds), &stop, || {
                print(
                    &mut out,
                    &format!(
                        "holding the lock of {name:?} as PID {} for {seconds} s",
                        std::process::id()
                    ),
                )
            })?;
        }
        SharedAction::Reset => {
            shared.reset()?;
            print(&mut out, "reset");
        }
        SharedAction::Watch => watch(&shared, &stop_on_signal(), |line| print(&mut out, line)),
        SharedAction::Stress { tag, saves, loads } => {
            if tag.contains(':') || tag.len() > 20 {
                return Err(Failure::usage(
                    "--tag must be at most 20 bytes, without ':'",
                ));
            }
            let report = stress(&shared, &tag, saves, loads);
            print(&mut out, &report.to_string());
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

fn stress(shared: &SharedText, tag: &str, saves: u64, loads: u64) -> serde_json::Value {
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
    for i in 0..rounds {
        if saves > 0 {
            check(shared.save(&stress_text(tag, i)).map(|s| s.stored));
            done_saves += 1;
        }
        for _ in 0..loads {
            check(shared.load().map(|l| l.text));
            done_loads += 1;
        }
    }
    serde_json::json!({
        "saves": done_saves, "loads": done_loads, "torn": torn, "timeouts": timeouts, "errors": errors
    })
}

/// Polls the change counter (an atomic read) every 2 ms and loads under the
/// lock only when it moved. Errors are reported once each and watching goes
/// on: a corrupt mapping may be reset by another instance.
fn watch(shared: &SharedText, stop: &AtomicBool, mut print: impl FnMut(&str)) {
    let mut last = None;
    let mut last_error = None;
    while !stop.load(Ordering::Relaxed) {
        let counter = shared.change_counter();
        if counter.is_none() || counter != last {
            match shared.load() {
                Ok(loaded) => {
                    print(&loaded.text);
                    last = Some(loaded.change_counter);
                    last_error = None;
                }
                Err(e) => {
                    let message = e.to_string();
                    if last_error.as_ref() != Some(&message) {
                        eprintln!("memlab: {message}");
                        last_error = Some(message);
                    }
                    last = counter;
                }
            }
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}
