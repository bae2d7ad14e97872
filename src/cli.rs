//! The command line: every form's core, scriptable, with exit codes for scripts and tests.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use clap::{Parser, Subcommand};

use crate::core::alloc::bench::{self, BenchSpec, MAX_SIZE_KB};
use crate::core::alloc::sweep::{self, Iterations, SWEEP_SIZES_KB, SweepReport, SweepSpec};
use crate::core::alloc::sysinfo::SystemInfo;
use crate::core::alloc::{self, ManagerKind, UnknownManager};
use crate::core::shared_text::{
    DEFAULT_NAME, Origin, SAMPLE_TEXT, SharedError, SharedText, is_stress_text, stress_text,
};
use crate::forms::alloc_bench::{CROSSOVER_MARGIN, crossover_text, format_ns, format_size_kb};

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
    /// Times alloc/free pairs of one block size through one memory manager
    /// (the book's ExamTst2: GetMem/FreeMem, 1000 pairs of 4 KB).
    Bench(BenchArgs),
    /// Every manager over block sizes 1 KB .. 64 MB (powers of two): median of
    /// K repeats per size, a table, the crossovers, optionally a CSV.
    Sweep(SweepArgs),
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
        /// Fill the lab with example results first (the allocation benchmark
        /// runs the book's cases and a quick sweep).
        #[arg(long)]
        demo: bool,
    },
}

/// Arguments of `memlab bench` (numbers are range-checked by the core).
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// The memory manager: default, heap or mimalloc.
    #[arg(long, default_value = "default")]
    pub manager: String,
    /// Block size in KB, 1 to 65536.
    #[arg(
        long,
        value_name = "KB",
        default_value_t = 4,
        allow_negative_numbers = true
    )]
    pub size_kb: i64,
    /// Alloc/free pairs (at least 1).
    #[arg(long, default_value_t = 1000, allow_negative_numbers = true)]
    pub iterations: i64,
    /// Write one byte to every page of each block (forces the pages to exist).
    #[arg(long)]
    pub touch: bool,
    /// Print the result as one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `memlab sweep`.
#[derive(Debug, clap::Args)]
pub struct SweepArgs {
    /// Comma-separated managers (default, heap, mimalloc).
    #[arg(long, default_value = "default,heap,mimalloc")]
    pub managers: String,
    /// Measurements per size and manager; the median is reported.
    #[arg(long, default_value_t = 5, allow_negative_numbers = true)]
    pub repeats: i64,
    /// Write the rows as CSV (with a header naming CPU, OS and allocator versions).
    #[arg(long)]
    pub csv: Option<PathBuf>,
    /// Write one byte to every page of each block.
    #[arg(long)]
    pub touch: bool,
    /// Largest block size in KB (1 to 65536), for a quicker sweep: the sizes
    /// are the powers of two up to it.
    #[arg(
        long,
        value_name = "KB",
        default_value_t = 65536,
        allow_negative_numbers = true
    )]
    pub max_size_kb: i64,
    /// Pairs per measurement for every size (default: 1000 up to 256 KB, then
    /// 256 MiB of blocks per measurement, at least 10).
    #[arg(long, allow_negative_numbers = true)]
    pub iterations: Option<i64>,
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
        Command::Bench(args) => run_bench(&args),
        Command::Sweep(args) => run_sweep(&args),
        Command::Screenshot {
            out,
            lab,
            lang,
            demo,
        } => crate::app::screenshot(&out, &lab, &lang, demo).map_err(|e| (2, e)),
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

/// A count option as u32 in `1..=u32::MAX`, or the message for exit code 2.
fn positive_u32(what: &str, value: i64) -> Result<u32, (u8, String)> {
    match u32::try_from(value) {
        Ok(n) if n >= 1 => Ok(n),
        Ok(_) => Err((2, format!("{what} must be at least 1, got {value}"))),
        Err(_) if value < 0 => Err((2, format!("{what} must be at least 1, got {value}"))),
        Err(_) => Err((
            2,
            format!("{what} must be at most {}, got {value}", u32::MAX),
        )),
    }
}

fn parse_managers(list: &str) -> Result<Vec<ManagerKind>, (u8, String)> {
    let mut out = Vec::new();
    for part in list.split(',').filter(|p| !p.trim().is_empty()) {
        let kind: ManagerKind = part
            .parse()
            .map_err(|e: UnknownManager| (2, e.to_string()))?;
        if !out.contains(&kind) {
            out.push(kind);
        }
    }
    Ok(out)
}

fn run_bench(args: &BenchArgs) -> Result<(), (u8, String)> {
    let manager: ManagerKind = args
        .manager
        .parse()
        .map_err(|e: UnknownManager| (2, e.to_string()))?;
    // Out of u32 is out of range too; the core's message, with the number as given.
    let size_kb = u32::try_from(args.size_kb).map_err(|_| {
        (
            2,
            format!("size must be 1 to {MAX_SIZE_KB} KB, got {}", args.size_kb),
        )
    })?;
    let iterations = match args.iterations {
        0 => 0, // the core says why
        n => positive_u32("iterations", n)?,
    };
    let spec = BenchSpec {
        manager,
        size_kb,
        iterations,
        touch: args.touch,
    };
    spec.validate().map_err(|e| (2, e.to_string()))?;
    let result = bench::run(&spec, &|_, _| true).map_err(|e| (1, e.to_string()))?;
    let line = if args.json {
        let mut json = serde_json::to_value(result).map_err(|e| (1, e.to_string()))?;
        json["dispatcher_installed"] = alloc::is_installed().into();
        json.to_string()
    } else {
        let faults = match (result.minor_faults, result.major_faults) {
            (Some(minor), Some(major)) => format!("page faults {minor} minor / {major} major"),
            _ => "page faults not available on this OS".to_owned(),
        };
        let fallbacks = match result.heap_fallbacks {
            0 => String::new(),
            n => format!("; the private heap was full {n} times (served by default)"),
        };
        format!(
            "{manager}: {} pairs of {}, touch {}: {:.3} ms, {} per pair, {faults}{fallbacks}",
            result.iterations,
            format_size_kb(size_kb),
            if args.touch { "yes" } else { "no" },
            result.ms,
            format_ns(result.ns_per_pair),
        )
    };
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    Ok(())
}

fn run_sweep(args: &SweepArgs) -> Result<(), (u8, String)> {
    let managers = parse_managers(&args.managers)?;
    let repeats = match args.repeats {
        0 => 0, // the core says why
        n => positive_u32("repeats", n)?,
    };
    let max_kb = u32::try_from(args.max_size_kb)
        .ok()
        .filter(|kb| (1..=MAX_SIZE_KB).contains(kb))
        .ok_or_else(|| {
            (
                2,
                format!(
                    "--max-size-kb must be 1 to {MAX_SIZE_KB}, got {}",
                    args.max_size_kb
                ),
            )
        })?;
    let iterations = match args.iterations {
        None => Iterations::Auto,
        Some(0) => Iterations::Fixed(0), // the core says why
        Some(n) => Iterations::Fixed(positive_u32("iterations", n)?),
    };
    let spec = SweepSpec {
        managers,
        sizes_kb: SWEEP_SIZES_KB
            .into_iter()
            .filter(|&kb| kb <= max_kb)
            .collect(),
        repeats,
        iterations,
        touch: args.touch,
    };
    spec.validate().map_err(|e| (2, e.to_string()))?;
    let stop = stop_on_signal();
    let show_progress = std::io::stderr().is_terminal();
    let report = sweep::run(&spec, &|done, total| {
        if show_progress {
            eprint!("\rmemlab: sweep {done}/{total} measurements");
        }
        !stop.load(Ordering::Relaxed)
    })
    .map_err(|e| (1, e.to_string()))?;
    if show_progress {
        eprintln!();
    }
    let mut out = std::io::stdout().lock();
    for line in sweep_table(&report) {
        let _ = writeln!(out, "{line}");
    }
    let _ = out.flush();
    if let Some(path) = &args.csv {
        let csv = sweep::to_csv(&report, &SystemInfo::collect());
        std::fs::write(path, csv)
            .map_err(|e| (1, format!("cannot write {}: {e}", path.display())))?;
        let _ = writeln!(out, "CSV written to {}", path.display());
    }
    if report.cancelled {
        return Err((1, "sweep cancelled; the results above are partial".into()));
    }
    Ok(())
}

/// The sweep as text: a table of median ns per pair, then the crossovers.
pub fn sweep_table(report: &SweepReport) -> Vec<String> {
    let managers = &report.spec.managers;
    let mut lines = Vec::new();
    let mut header = format!("{:>8}", "size");
    for m in managers {
        header.push_str(&format!(" {:>12}", m.name()));
    }
    header.push_str("  fastest");
    lines.push(format!(
        "median ns per alloc/free pair, repeats: {}, touch: {}",
        report.spec.repeats,
        if report.spec.touch { "yes" } else { "no" }
    ));
    lines.push(header);
    let fastest = sweep::fastest_by_size(&report.rows);
    for (size, winner) in &fastest {
        let mut line = format!("{:>8}", format_size_kb(*size));
        for m in managers {
            let cell = report
                .rows
                .iter()
                .find(|r| r.size_kb == *size && r.manager == *m)
                .map_or_else(|| "-".to_owned(), |r| format_ns(r.median_ns_per_pair));
            line.push_str(&format!(" {cell:>12}"));
        }
        line.push_str(&format!("  {winner}"));
        lines.push(line);
    }
    lines.push(String::new());
    let overall = sweep::crossovers_with_margin(&report.rows, CROSSOVER_MARGIN);
    lines.push(format!(
        "crossovers (the fastest manager changes, by more than {:.0} %):",
        CROSSOVER_MARGIN * 100.0
    ));
    if overall.is_empty() {
        match fastest.first() {
            Some((_, m)) => lines.push(format!("  none: {m} leads at every size")),
            None => lines.push("  none: nothing measured".into()),
        }
    }
    for c in &overall {
        lines.push(format!("  {}", crossover_text(c)));
    }
    for (i, &a) in managers.iter().enumerate() {
        for &b in &managers[i + 1..] {
            let pair = sweep::crossovers_between_with_margin(&report.rows, a, b, CROSSOVER_MARGIN);
            let text = if pair.is_empty() {
                "no crossover".to_owned()
            } else {
                pair.iter()
                    .map(crossover_text)
                    .collect::<Vec<_>>()
                    .join("; ")
            };
            lines.push(format!("  {a} vs {b}: {text}"));
        }
    }
    lines
}
