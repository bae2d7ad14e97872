//! The command line: every form's core, scriptable, with exit codes for scripts and tests.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use clap::{Parser, Subcommand};

use crate::core::shared_text::{
    DEFAULT_NAME, Origin, SAMPLE_TEXT, SharedError, SharedText, is_stress_text, stress_text,
};

/// memlab: a live lab of memory management. Without a command it opens the window.
#[derive(Debug, Parser)]
#[command(name = "memlab", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The shared text box (SampleMMF): one string shared by every instance.
    Shared {
        /// The mapping's name.
        #[arg(long, default_value = DEFAULT_NAME)]
        name: String,
        #[command(subcommand)]
        action: SharedAction,
    },
    /// Opens the window, saves a PNG of it once it has settled, and exits.
    Screenshot {
        /// Where to write the PNG.
        #[arg(long)]
        out: PathBuf,
        /// The lab to show (its id, e.g. `shared`).
        #[arg(long, default_value = "shared")]
        lab: String,
        /// UI language: `en` or `ko`.
        #[arg(long, default_value = "en")]
        lang: String,
    },
}

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

/// Runs one command; the process exits with the returned code.
pub fn run(command: Command) -> ExitCode {
    let result = match command {
        Command::Shared { name, action } => run_shared(&name, action),
        Command::Screenshot { out, lab, lang } => {
            crate::app::screenshot(&out, &lab, &lang).map_err(|e| (2, e))
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err((code, message)) => {
            eprintln!("memlab: error: {message}");
            ExitCode::from(code)
        }
    }
}

fn shared_err(e: SharedError) -> (u8, String) {
    (e.exit_code() as u8, e.to_string())
}

fn run_shared(name: &str, action: SharedAction) -> Result<(), (u8, String)> {
    if let SharedAction::Hold { seconds } = action
        && !(seconds.is_finite() && (0.0..=3600.0).contains(&seconds))
    {
        return Err((2, format!("--seconds must be 0 to 3600, got {seconds}")));
    }
    let shared = SharedText::open(name).map_err(shared_err)?;
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
            let loaded = shared.load().map_err(shared_err)?;
            note_recovery(loaded.recovered_from);
            if loaded.lossy {
                eprintln!("memlab: the stored bytes are not valid UTF-8; shown lossily");
            }
            print(&mut out, &loaded.text);
        }
        SharedAction::Save { text } => {
            let saved = shared.save(&text).map_err(shared_err)?;
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
            let info = shared.info().map_err(shared_err)?;
            let json = serde_json::to_string(&info).map_err(|e| (1, e.to_string()))?;
            print(&mut out, &json);
        }
        SharedAction::Hold { seconds } => {
            let stop = stop_on_signal();
            shared
                .hold(Duration::from_secs_f64(seconds), &stop, || {
                    print(
                        &mut out,
                        &format!(
                            "holding the lock of {name:?} as PID {} for {seconds} s",
                            std::process::id()
                        ),
                    )
                })
                .map_err(shared_err)?;
        }
        SharedAction::Reset => {
            shared.reset().map_err(shared_err)?;
            print(&mut out, "reset");
        }
        SharedAction::Watch => watch(&shared, &stop_on_signal(), |line| print(&mut out, line)),
        SharedAction::Stress { tag, saves, loads } => {
            if tag.contains(':') || tag.len() > 20 {
                return Err((2, "--tag must be at most 20 bytes, without ':'".into()));
            }
            let report = stress(&shared, &tag, saves, loads);
            print(&mut out, &report.to_string());
            if report["torn"] != 0 {
                return Err((1, format!("{} torn or garbled reads", report["torn"])));
            }
        }
    }
    Ok(())
}

/// A flag raised by Ctrl+C, SIGTERM or SIGHUP, so that `watch` and `hold`
/// leave the mapping properly (the last to leave removes it).
fn stop_on_signal() -> Arc<AtomicBool> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    if let Err(e) = ctrlc::set_handler(move || flag.store(true, Ordering::Relaxed)) {
        eprintln!("memlab: cannot catch Ctrl+C ({e}); it will end memlab without detaching");
    }
    stop
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
