//! `memlab bench` and `memlab sweep`: the allocation benchmark from the command line.

use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use super::{Failure, stop_on_signal};
use memlab_engine::alloc::bench::{BenchError, MAX_SIZE_KB};
use memlab_engine::alloc::measure::{
    self, MAX_SAMPLES, MIN_SAMPLES, MeasureSpec, Measurement, Phase,
};
use memlab_engine::alloc::sweep::{
    self, Iterations, MAX_REPEATS, SWEEP_SIZES_KB, SweepReport, SweepSpec,
};
use memlab_engine::alloc::sweep::{CROSSOVER_MARGIN, crossover_text};
use memlab_engine::alloc::sysinfo::SystemInfo;
use memlab_engine::alloc::{self, ManagerKind, UnknownManager};
use memlab_engine::alloc::{book, isolated};
use memlab_engine::format::{format_ms, format_ns, format_size_kb};
use memlab_engine::i18n::Lang;

/// Arguments of `memlab bench` (numbers are range-checked by the engine).
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
    /// Samples (10 to 1000), each of about 50 ms of alloc/free pairs (the
    /// pair count is calibrated in an untimed warm-up); the median and the
    /// spread are reported.
    #[arg(long, default_value_t = 10, allow_negative_numbers = true)]
    pub samples: i64,
    /// Write one byte to every page of each block (forces the pages to exist).
    #[arg(long)]
    pub touch: bool,
    /// Measure in this process instead of a fresh one (then the heap memlab
    /// used before the measurement biases it: for comparison).
    #[arg(long)]
    pub in_process: bool,
    /// The book's experiment as a table: every manager at 4 KB and 4 MB, the
    /// book's claim, which manager plays which part, the verdict and why
    /// (--manager and --size-kb are not used).
    #[arg(long)]
    pub book: bool,
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
    /// Measurements per size and manager (1 to 1000); the median is reported.
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
    /// 256 MiB of blocks per measurement, at least 10). A sweep may do at most
    /// 4 billion pairs and allocate at most 16 TiB in all.
    #[arg(long, allow_negative_numbers = true)]
    pub iterations: Option<i64>,
}

/// A count option as u32 in `1..=u32::MAX`, or the message for exit code 2.
fn positive_u32(what: &str, value: i64) -> Result<u32, Failure> {
    match u32::try_from(value) {
        Ok(n) if n >= 1 => Ok(n),
        Ok(_) => Err(Failure::usage(format!(
            "{what} must be at least 1, got {value}"
        ))),
        Err(_) if value < 0 => Err(Failure::usage(format!(
            "{what} must be at least 1, got {value}"
        ))),
        Err(_) => Err(Failure::usage(format!(
            "{what} must be at most {}, got {value}",
            u32::MAX
        ))),
    }
}

fn parse_managers(list: &str) -> Result<Vec<ManagerKind>, Failure> {
    let mut out = Vec::new();
    for part in list.split(',').filter(|p| !p.trim().is_empty()) {
        let kind: ManagerKind = part.parse().map_err(|e: UnknownManager| Failure::from(e))?;
        if !out.contains(&kind) {
            out.push(kind);
        }
    }
    Ok(out)
}

pub(super) fn run_bench(args: &BenchArgs) -> Result<(), Failure> {
    let manager: ManagerKind = args
        .manager
        .parse()
        .map_err(|e: UnknownManager| Failure::from(e))?;
    // Out of u32 is out of range too; the engine's message, with the number as given.
    let size_kb = u32::try_from(args.size_kb).map_err(|_| {
        Failure::usage(format!(
            "size must be 1 to {MAX_SIZE_KB} KB, got {}",
            args.size_kb
        ))
    })?;
    let samples = u32::try_from(args.samples).map_err(|_| {
        Failure::usage(format!(
            "samples must be {MIN_SAMPLES} to {MAX_SAMPLES}, got {}",
            args.samples
        ))
    })?;
    let spec = MeasureSpec {
        manager,
        size_kb,
        touch: args.touch,
        samples,
    };
    spec.validate()?;
    if args.book {
        return run_book(args, samples);
    }
    let stop = stop_on_signal();
    let measured = measure_one(&spec, args.in_process, &stop);
    let Some(m) = measured? else {
        return Err(Failure::failed("benchmark cancelled"));
    };
    let line = if args.json {
        let mut json = serde_json::to_value(&m).map_err(|e| Failure::failed(e.to_string()))?;
        json["dispatcher_installed"] = alloc::is_installed().into();
        json.to_string()
    } else {
        measurement_text(&m).join("\n")
    };
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    Ok(())
}

/// Measures `spec` in a fresh process (or in this one), showing the phase
/// on a terminal; `None` when Ctrl+C stopped it.
fn measure_one(
    spec: &MeasureSpec,
    in_process: bool,
    stop: &AtomicBool,
) -> Result<Option<Measurement>, Failure> {
    let show_progress = std::io::stderr().is_terminal();
    let what = format!("{} at {}", spec.manager, format_size_kb(spec.size_kb));
    let progress = |phase: Phase| {
        if show_progress {
            match phase {
                Phase::WarmUp => eprint!("\rmemlab: {what}: warming up (not timed)      "),
                Phase::Sample { done, total } => {
                    eprint!("\rmemlab: {what}: sample {done}/{total}                ")
                }
            }
        }
        !stop.load(Ordering::Relaxed)
    };
    let measured = if in_process {
        measure::measure(spec, &progress).map_err(Failure::from)
    } else {
        let exe = std::env::current_exe()
            .map_err(|e| Failure::failed(format!("cannot find memlab's own executable: {e}")))?;
        isolated::measure_isolated(&exe, spec, &progress).map_err(Failure::from)
    };
    if show_progress {
        eprintln!();
    }
    measured
}

/// `memlab bench --book`: the book's experiment as a table.
fn run_book(args: &BenchArgs, samples: u32) -> Result<(), Failure> {
    let stop = stop_on_signal();
    let mut runs = Vec::new();
    for case in &book::CASES {
        for manager in ManagerKind::ALL {
            let spec = MeasureSpec {
                manager,
                size_kb: case.size_kb,
                touch: false,
                samples,
            };
            match measure_one(&spec, args.in_process, &stop)? {
                Some(m) => runs.push(m),
                None => return Err(Failure::failed("benchmark cancelled")),
            }
        }
    }
    let mut out = std::io::stdout().lock();
    if args.json {
        let cases: Vec<serde_json::Value> = book::CASES
            .iter()
            .map(|case| {
                let of = |m: ManagerKind| case.latest(runs.iter(), m);
                serde_json::json!({
                    "size_kb": case.size_kb,
                    "book_faster": case.book_faster,
                    "verdict": case.verdict(of(book::DELPHI_ROLE), of(book::HEAPALLOC_ROLE)),
                    "measurements": ManagerKind::ALL.map(of),
                })
            })
            .collect();
        let _ = writeln!(out, "{}", serde_json::json!({ "cases": cases }));
    } else {
        for line in book_table(&runs) {
            let _ = writeln!(out, "{line}");
        }
    }
    Ok(())
}

/// The book's experiment as lines of English: roles, then per case the
/// claim, each manager's median and quartiles, the verdict and why.
pub fn book_table(runs: &[Measurement]) -> Vec<String> {
    let lang = Lang::En;
    let mut lines = vec![
        "The book's experiment (ExamTst2): GetMem/FreeMem pairs of 4 KB and 4 MB".to_owned(),
        format!("  {}", book::roles(lang)),
        String::new(),
    ];
    let cell = |m: Option<&Measurement>| {
        m.map_or_else(
            || "-".to_owned(),
            |m| {
                format!(
                    "{} ({} - {})",
                    format_ns(m.median_ns_per_pair),
                    format_ns(m.q1_ns_per_pair),
                    format_ns(m.q3_ns_per_pair)
                )
            },
        )
    };
    lines.push(format!(
        "{:>6}  {:>30}  {:>30}  {:>30}  here",
        "size", "mimalloc (Delphi's part)", "default (HeapAlloc's part)", "heap (HeapCreate)"
    ));
    for case in &book::CASES {
        let of = |m: ManagerKind| case.latest(runs.iter(), m);
        let verdict = case.verdict(of(book::DELPHI_ROLE), of(book::HEAPALLOC_ROLE));
        lines.push(format!(
            "{:>6}  {:>30}  {:>30}  {:>30}  {}",
            format_size_kb(case.size_kb),
            cell(of(ManagerKind::Mimalloc)),
            cell(of(ManagerKind::Default)),
            cell(of(ManagerKind::Heap)),
            verdict.text(lang)
        ));
    }
    lines.push("  median ns per alloc/free pair (quartiles), each in a fresh process".to_owned());
    lines.push(String::new());
    for case in &book::CASES {
        lines.push(format!(
            "{}: the book says {}.",
            format_size_kb(case.size_kb),
            case.claim.get(lang)
        ));
        lines.push(format!("  Why: {}", case.why.get(lang)));
    }
    lines
}

/// A measurement as lines of English for the terminal.
pub fn measurement_text(m: &Measurement) -> Vec<String> {
    let faults = match (m.minor_faults, m.major_faults) {
        (Some(minor), Some(major)) => format!("page faults {minor} minor / {major} major"),
        _ => "page faults not available on this OS".to_owned(),
    };
    let fallbacks = match (m.heap_fallbacks, m.mimalloc_fallbacks) {
        (0, 0) => String::new(),
        (n, 0) => format!("; the private heap was full {n} times (served by default)"),
        (_, n) => format!("; the mimalloc arena was full {n} times (served by default)"),
    };
    vec![
        format!(
            "{}: {}, touch {}: median {} per pair (quartiles {} to {}, min {}, max {}, {} outlier{})",
            m.manager,
            format_size_kb(m.size_kb),
            if m.touch { "yes" } else { "no" },
            format_ns(m.median_ns_per_pair),
            format_ns(m.q1_ns_per_pair),
            format_ns(m.q3_ns_per_pair),
            format_ns(m.min_ns_per_pair),
            format_ns(m.max_ns_per_pair),
            m.outliers,
            if m.outliers == 1 { "" } else { "s" },
        ),
        format!(
            "  {} samples of {} pairs after an untimed warm-up of {} pairs, {}",
            m.samples,
            m.pairs_per_sample,
            m.warm_up_pairs,
            if m.isolated {
                "in a fresh process"
            } else {
                "in this process"
            }
        ),
        format!(
            "  the book's 1000 pairs: {} (at the median); {faults}{fallbacks}",
            format_ms(m.ms_per_1000_pairs)
        ),
    ]
}

/// `memlab bench-child --manager M --size-kb N --samples K --touch 0|1`: memlab's own
/// measuring process (hidden), recognised by `main` before anything else
/// so that the heap it measures holds next to nothing of memlab's.
/// `None` when the arguments are not a child's.
pub fn bench_child() -> Option<std::process::ExitCode> {
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    let spec = isolated::parse_child_args(&args)?;
    drop(args);
    Some(std::process::ExitCode::from(match spec {
        Ok(spec) => isolated::serve(&spec, &mut std::io::stdout().lock()),
        Err(message) => {
            eprintln!("memlab: error: {message}");
            2
        }
    }))
}

pub(super) fn run_sweep(args: &SweepArgs) -> Result<(), Failure> {
    let managers = parse_managers(&args.managers)?;
    let repeats = match args.repeats {
        0 => 0, // the engine says why
        n if n > i64::from(MAX_REPEATS) => {
            return Err(BenchError::TooManyRepeats {
                got: n.unsigned_abs(),
                max: MAX_REPEATS,
            }
            .into());
        }
        n => positive_u32("repeats", n)?,
    };
    let max_kb = u32::try_from(args.max_size_kb)
        .ok()
        .filter(|kb| (1..=MAX_SIZE_KB).contains(kb))
        .ok_or_else(|| {
            Failure::usage(format!(
                "--max-size-kb must be 1 to {MAX_SIZE_KB}, got {}",
                args.max_size_kb
            ))
        })?;
    let iterations = match args.iterations {
        None => Iterations::Auto,
        Some(0) => Iterations::Fixed(0), // the engine says why
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
    spec.validate()?;
    // A path that cannot be written is reported now, not after the sweep.
    let mut csv_out = args.csv.as_deref().map(CsvOut::open).transpose()?;
    let stop = stop_on_signal();
    let show_progress = std::io::stderr().is_terminal();
    let report = sweep::run(&spec, &|done, total| {
        if show_progress {
            eprint!("\rmemlab: sweep {done}/{total} measurements");
        }
        !stop.load(Ordering::Relaxed)
    });
    if show_progress {
        eprintln!();
    }
    let report = match report {
        Ok(report) => report,
        Err(e) => {
            if let Some(csv) = csv_out.take() {
                csv.abandon();
            }
            return Err(e.into());
        }
    };
    let mut out = std::io::stdout().lock();
    for line in sweep_table(&report) {
        let _ = writeln!(out, "{line}");
    }
    let _ = out.flush();
    if let Some(mut csv) = csv_out {
        if let Err(e) = csv.write(&sweep::to_csv(&report, &SystemInfo::collect())) {
            csv.abandon();
            return Err(e);
        }
        let _ = writeln!(out, "CSV written to {}", csv.path.display());
    }
    if report.cancelled {
        return Err(Failure::failed(
            "sweep cancelled; the results above are partial",
        ));
    }
    Ok(())
}

/// The `--csv` file, opened (created if missing) before the sweep starts.
struct CsvOut {
    path: PathBuf,
    file: File,
    /// Created by us: removed again if the sweep fails.
    created: bool,
}

impl CsvOut {
    fn open(path: &Path) -> Result<Self, Failure> {
        let cannot =
            |e: std::io::Error| Failure::failed(format!("cannot write {}: {e}", path.display()));
        let (file, created) = match OpenOptions::new().write(true).create_new(true).open(path) {
            Ok(file) => (file, true),
            Err(e) if e.kind() == ErrorKind::AlreadyExists => (
                OpenOptions::new().write(true).open(path).map_err(cannot)?,
                false,
            ),
            Err(e) => return Err(cannot(e)),
        };
        Ok(Self {
            path: path.to_owned(),
            file,
            created,
        })
    }

    /// Replaces the file's contents with `text` (a pipe or device, such as
    /// `/dev/stdout`, is just written to).
    fn write(&mut self, text: &str) -> Result<(), Failure> {
        let regular = self.file.metadata().is_ok_and(|m| m.is_file());
        let truncate = || {
            if regular {
                self.file.set_len(0)
            } else {
                Ok(())
            }
        };
        truncate()
            .and_then(|()| (&self.file).write_all(text.as_bytes()))
            .map_err(|e| {
                let message = format!("cannot write {}: {e}", self.path.display());
                #[cfg(unix)]
                let message = if e.raw_os_error() == Some(libc::EFBIG) {
                    format!(
                        "{message}; {}",
                        memlab_engine::os::file_size_limit::limit_note()
                    )
                } else {
                    message
                };
                Failure::failed(message)
            })
    }

    /// The sweep or the write failed: leave no file of ours behind.
    fn abandon(self) {
        if self.created {
            let _ = std::fs::remove_file(&self.path);
        }
    }
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
