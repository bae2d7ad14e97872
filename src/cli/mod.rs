//! The command line: every lab's core, scriptable, with exit codes for scripts and tests.
//!
//! One file per lab (`shared`, `alloc`, `vm`); `exit` is the one place where core
//! errors become exit codes and English lines.

mod alloc;
mod exit;
#[cfg(target_os = "linux")]
mod filemap;
mod shared;
#[cfg(target_os = "linux")]
mod vm;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::{Parser, Subcommand};

use crate::core::shared_text::DEFAULT_NAME;
pub use alloc::{BenchArgs, SweepArgs, sweep_table};
pub use exit::Failure;
#[cfg(target_os = "linux")]
pub use filemap::{FilemapArgs, KindArg, MutexAction};
pub use shared::SharedAction;
#[cfg(target_os = "linux")]
pub use vm::VmArgs;

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
        /// Keep the string in this file instead of shared memory: it then
        /// survives every instance closing (created 0600 if missing).
        #[arg(long, value_name = "PATH", conflicts_with = "name")]
        file: Option<PathBuf>,
        #[command(subcommand)]
        action: SharedAction,
    },
    /// Times alloc/free pairs of one block size through one memory manager
    /// (the book's ExamTst2: GetMem/FreeMem, 1000 pairs of 4 KB).
    Bench(BenchArgs),
    /// Every manager over block sizes 1 KB .. 64 MB (powers of two): median of
    /// K repeats per size, a table, the crossovers, optionally a CSV.
    Sweep(SweepArgs),
    /// Maps a file step by step (the book's CreateFile, CreateFileMapping,
    /// MapViewOfFile, FlushViewOfFile, UnmapViewOfFile, SetEndOfFile),
    /// printing what each step did.
    #[cfg(target_os = "linux")]
    Filemap(FilemapArgs),
    /// The book's LockMap mutex three ways: take, hold, crash while holding,
    /// reset, or look at it.
    #[cfg(target_os = "linux")]
    Mutex {
        /// Which lock: memlab's file lock, raw_sync's mutex, or a robust pthread mutex.
        #[arg(long, value_enum, default_value = "file")]
        kind: KindArg,
        /// The lock's name.
        #[arg(long, default_value = crate::core::mutex::DEFAULT_NAME)]
        name: String,
        /// How long to wait for it (the book's REQUEST_TIMEOUT: 1000 ms).
        #[arg(long, default_value_t = 1000)]
        timeout_ms: u64,
        #[command(subcommand)]
        action: MutexAction,
    },
    /// The page lab (VirtualAlloc and friends): runs a script of steps on
    /// memlab's own reservations and prints the pages and costs after each.
    #[cfg(target_os = "linux")]
    Vm(VmArgs),
    /// GetSystemInfo: page size, address range, memory, commit charge, limits.
    #[cfg(target_os = "linux")]
    Sysinfo {
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// The address-space map of memlab itself (like VMMap): every region,
    /// its type and memlab's own objects, with totals per type.
    #[cfg(target_os = "linux")]
    Maps {
        /// Print one JSON object with a `regions` array.
        #[arg(long)]
        json: bool,
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
        /// Fill the lab with example results first (the allocation benchmark
        /// runs the book's cases and a quick sweep).
        #[arg(long)]
        demo: bool,
    },
}

/// Runs one command; the process exits with the returned code.
pub fn run(command: Command) -> ExitCode {
    let result = match command {
        Command::Shared { name, file, action } => shared::run(&name, file, action),
        Command::Bench(args) => alloc::run_bench(&args),
        Command::Sweep(args) => alloc::run_sweep(&args),
        #[cfg(target_os = "linux")]
        Command::Filemap(args) => filemap::run_filemap(args),
        #[cfg(target_os = "linux")]
        Command::Mutex {
            kind,
            name,
            timeout_ms,
            action,
        } => filemap::run_mutex(kind, &name, timeout_ms, action),
        #[cfg(target_os = "linux")]
        Command::Vm(args) => vm::run_script(&args),
        #[cfg(target_os = "linux")]
        Command::Sysinfo { json } => vm::run_sysinfo(json),
        #[cfg(target_os = "linux")]
        Command::Maps { json } => vm::run_maps(json),
        Command::Screenshot {
            out,
            lab,
            lang,
            demo,
        } => crate::app::screenshot(&out, &lab, &lang, demo).map_err(Failure::usage),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.report(),
    }
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
