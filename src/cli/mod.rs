//! The command line: every lab's engine, scriptable, with exit codes for scripts and tests.
//!
//! One file per lab (`shared`, `alloc`, `vm`, `global`, `heap`, `filemap`, `mutex`, `sharemem`); `exit` is the one place where engine
//! errors become exit codes and English lines. The window's own commands
//! (`arrange`, `screenshot`) are here.

mod alloc;
mod exit;
mod filemap;
mod global;
mod heap;
mod maps;
mod mutex;
mod shared;
mod sharemem;
mod steps;
mod sysinfo;
mod vm;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::{Parser, Subcommand};

use crate::lab_id::LabId;
pub use alloc::{BenchArgs, SweepArgs, bench_child, measurement_text, sweep_table};
pub use exit::Failure;
pub use filemap::FilemapArgs;
pub use global::GlobalArgs;
pub use heap::HeapArgs;
use memlab_engine::desktop::settings::TextSize;
use memlab_engine::i18n::Lang;
use memlab_engine::shared_text::DEFAULT_NAME;
pub use mutex::{KindArg, MutexAction};
pub use shared::SharedAction;
pub use sharemem::ShareMemArgs;
pub use vm::VmArgs;
#[cfg(windows)]
pub use vm::VmChildArgs;

/// The commands of the labs not ported to this OS yet (docs/windows.md):
/// asked for, they fail as `ErrorKind::Unsupported` (exit code 1) and say
/// so, where an unknown command is a usage error (exit code 2). Every lab
/// runs on Linux and Windows now; a lab added on one OS first is listed
/// here for the others.
pub const NOT_PORTED: &[&str] = &[];

/// Longest `--hold` (filemap) or `hold --seconds` (mutex), in seconds.
const MAX_HOLD_SECONDS: f64 = 3600.0;

/// This OS's name, as people write it.
const THIS_OS: &str = if cfg!(windows) {
    "Windows"
} else if cfg!(target_os = "macos") {
    "macOS"
} else {
    std::env::consts::OS
};

/// The failure for a parse error that is a command of [`NOT_PORTED`].
pub fn not_ported_in(e: &clap::Error) -> Option<Failure> {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    let command = match e.get(ContextKind::InvalidSubcommand) {
        Some(ContextValue::String(command)) if e.kind() == ErrorKind::InvalidSubcommand => command,
        _ => return None,
    };
    NOT_PORTED.contains(&command.as_str()).then(|| Failure {
        kind: memlab_engine::error::ErrorKind::Unsupported,
        message: format!(
            "`{command}` is not on {THIS_OS} yet: its lab is not ported (see docs/windows.md)"
        ),
    })
}

/// memlab: a live lab of memory management. Without a command it opens the window.
#[derive(Debug, Parser)]
#[command(name = "memlab", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Open N windows in all (this one and N-1 more), arranged side by side.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=16))]
    pub instances: Option<u32>,
    /// The lab to show.
    #[arg(long, value_name = "ID", value_enum)]
    pub lab: Option<LabId>,
    /// On a Wayland desktop, open native Wayland windows instead of X11
    /// ones through XWayland (a Wayland window cannot choose its place, so
    /// they cannot be arranged or put back where they were).
    #[arg(long)]
    pub wayland: bool,
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
    /// (the book's ExamTst2: GetMem/FreeMem of 4 KB) in a fresh process: an
    /// untimed warm-up, calibrated samples of ~50 ms, the median and spread.
    Bench(BenchArgs),
    /// Every manager over block sizes 1 KB .. 64 MB (powers of two): median of
    /// K repeats per size, a table, the crossovers, optionally a CSV.
    Sweep(SweepArgs),
    /// Maps a file step by step (the book's CreateFile, CreateFileMapping,
    /// MapViewOfFile, FlushViewOfFile, UnmapViewOfFile, SetEndOfFile),
    /// printing what each step did.
    Filemap(FilemapArgs),
    /// The book's LockMap mutex three ways: take, hold, crash while holding,
    /// reset, or look at it.
    Mutex {
        /// Which lock: memlab's file lock, raw_sync's mutex, or a robust
        /// pthread mutex (on Windows: LockFileEx, raw_sync's mutex, or the
        /// Win32 named mutex).
        #[arg(long, value_enum, default_value = "file")]
        kind: KindArg,
        /// The lock's name.
        #[arg(long, default_value = memlab_engine::mutex::DEFAULT_NAME)]
        name: String,
        /// How long to wait for it (the book's REQUEST_TIMEOUT: 1000 ms).
        #[arg(long, default_value_t = 1000)]
        timeout_ms: u64,
        #[command(subcommand)]
        action: MutexAction,
    },
    /// The page lab (VirtualAlloc and friends): runs a script of steps on
    /// memlab's own reservations and prints the pages and costs after each.
    Vm(VmArgs),
    /// The page lab's child on Windows: touches a page of its parent.
    #[cfg(windows)]
    #[command(name = "vm-child", hide = true)]
    VmChild(VmChildArgs),
    /// The Global/Local lab (GlobalAlloc and friends): runs a script of
    /// steps on memlab's global heap and prints the handle table after each.
    Global(GlobalArgs),
    /// The heap lab (HeapCreate and friends): runs a script of steps on
    /// memlab's private heaps and prints the heaps and costs after each.
    Heap(HeapArgs),
    /// The ShareMem lab: memlab and a library it loads exchange a string,
    /// with one shared memory manager (--shared) or each with its own
    /// (--separate, the foreign free shown safely).
    Sharemem(ShareMemArgs),
    /// The dangerous half of `sharemem --separate`, run as a child process.
    #[command(name = "sharemem-child", hide = true)]
    SharememChild,
    /// GetSystemInfo: page size, address range, memory, commit charge, limits.
    Sysinfo {
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// The address-space map (like VMMap) of memlab itself, or of another
    /// process of your account: every region, its type and memlab's own
    /// objects, with totals per type.
    Maps {
        /// Print one JSON object with a `regions` array.
        #[arg(long)]
        json: bool,
        /// The map of this process of your account instead.
        #[arg(long, value_name = "PID", conflicts_with_all = ["window", "list"])]
        pid: Option<u32>,
        /// The map of this memlab window (its instance number, as in its title).
        #[arg(long, value_name = "N", conflicts_with = "list")]
        window: Option<usize>,
        /// List the processes whose map can be shown: memlab's windows
        /// first, by instance number, then your other processes.
        #[arg(long)]
        list: bool,
    },
    /// Tiles every memlab window of this account on this display, on the
    /// pointer's monitor: 2 side by side, 3 or 4 in a 2×2 grid, more in an
    /// even grid. Each window moves itself and says whether it got there;
    /// exit 1 if one did not (or runs on native Wayland).
    Arrange,
    /// Opens the window, saves a PNG of it once it has settled, and exits.
    /// With --screen, saves the whole X screen instead (every window on it).
    Screenshot(ShotOptions),
}

/// How a screenshot is taken (`memlab screenshot`), once its options are checked.
#[derive(Debug, Clone)]
pub struct ShotArgs {
    pub out: PathBuf,
    pub lab: LabId,
    pub lang: Lang,
    pub demo: bool,
    /// Inner size in pixels.
    pub size: [f32; 2],
    pub zoom: f32,
    pub text_size: TextSize,
}

/// Opens a window as `args` say, saves its picture, and closes it.
pub type OpenScreenshot<'a> = &'a dyn Fn(&ShotArgs) -> Result<(), Failure>;

/// `memlab screenshot`'s options.
#[derive(Debug, clap::Args)]
pub struct ShotOptions {
    /// Where to write the PNG.
    #[arg(long)]
    out: PathBuf,
    /// The lab to show.
    #[arg(long, value_name = "ID", value_enum, default_value_t = LabId::Shared)]
    lab: LabId,
    /// UI language: `en` or `ko`.
    #[arg(long, default_value = "en")]
    lang: String,
    /// Fill the lab with example results first (the allocation benchmark
    /// runs the book's cases and a quick sweep).
    #[arg(long)]
    demo: bool,
    /// The window's inner size in pixels, WIDTHxHEIGHT.
    #[arg(long, value_parser = parse_size, default_value = "960x600")]
    size: [f32; 2],
    /// The zoom factor (as Ctrl +/- sets it).
    #[arg(long, default_value_t = 1.0)]
    zoom: f32,
    /// The presenter's text size: normal, large or larger.
    #[arg(long, value_enum, default_value = "normal")]
    text_size: TextSizeArg,
    /// Save the whole X screen instead of opening a window.
    #[arg(long, conflicts_with_all = ["lab", "lang", "demo", "size", "zoom", "text_size"])]
    screen: bool,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum TextSizeArg {
    Normal,
    Large,
    Larger,
}

/// `WIDTHxHEIGHT`, at least the smallest window.
fn parse_size(text: &str) -> Result<[f32; 2], String> {
    let (w, h) = text
        .split_once(['x', '×'])
        .ok_or_else(|| format!("{text:?} is not WIDTHxHEIGHT"))?;
    let number = |s: &str| {
        s.trim()
            .parse::<u32>()
            .map_err(|_| format!("{text:?} is not WIDTHxHEIGHT"))
    };
    let (w, h) = (number(w)?, number(h)?);
    let [min_w, min_h] = memlab_engine::desktop::placement::MIN_INNER;
    if (w as f32) < min_w || (h as f32) < min_h || w > 8192 || h > 8192 {
        return Err(format!(
            "{w}x{h} is outside {min_w}x{min_h} .. 8192x8192 pixels"
        ));
    }
    Ok([w as f32, h as f32])
}

fn screenshot(options: &ShotOptions, open_window: OpenScreenshot<'_>) -> Result<(), Failure> {
    if options.screen {
        return Ok(memlab_engine::desktop::screen::capture_screen(
            &options.out,
        )?);
    }
    let lang = Lang::from_code(&options.lang)
        .ok_or_else(|| Failure::usage(format!("no language {:?}; use en or ko", options.lang)))?;
    if !memlab_engine::desktop::settings::ZOOM_RANGE.contains(&options.zoom) {
        return Err(Failure::usage(format!(
            "zoom {} is outside 0.5 .. 3",
            options.zoom
        )));
    }
    let text_size = match options.text_size {
        TextSizeArg::Normal => TextSize::Normal,
        TextSizeArg::Large => TextSize::Large,
        TextSizeArg::Larger => TextSize::Larger,
    };
    open_window(&ShotArgs {
        out: options.out.clone(),
        lab: options.lab,
        lang,
        demo: options.demo,
        size: options.size,
        zoom: options.zoom,
        text_size,
    })
}

/// How long `memlab arrange` waits for the windows' answers (a window gives
/// up on a place it cannot reach after a few seconds).
const ARRANGE_ANSWERS_WITHIN: std::time::Duration = std::time::Duration::from_secs(15);

fn arrange() -> Result<(), Failure> {
    use memlab_engine::desktop::instances;
    let desktop = instances::Desktop::from_env();
    let area = memlab_engine::desktop::placement::pointer_work_area();
    let request = instances::request_arrange(&desktop, area)?;
    let report = instances::wait_arranged(&request, ARRANGE_ANSWERS_WITHIN)?;
    if report.complete() {
        println!("{report}");
        Ok(())
    } else {
        Err(Failure::failed(report.to_string()))
    }
}

impl Command {
    /// True if the command attaches to a shared object (a roster slot,
    /// a lock): the ending signals stay held (`memlab_engine::os::signals`) until it
    /// installs its handler or is done, so that it never dies attached.
    /// The others take them at once, as any program does.
    fn attaches(&self) -> bool {
        match self {
            Self::Shared { .. } | Self::Screenshot(_) => true,
            Self::Mutex { .. } => true,
            Self::Filemap(_) => true,
            Self::Bench(_)
            | Self::Sweep(_)
            | Self::Sysinfo { .. }
            | Self::Maps { .. }
            | Self::Heap(_)
            | Self::Global(_)
            | Self::Arrange
            | Self::Sharemem(_)
            | Self::SharememChild => false,
            Self::Vm(_) => false,
            #[cfg(windows)]
            Self::VmChild(_) => false,
        }
    }
}

/// Runs one command; the process exits with the returned code.
/// `open_window` opens the window for `memlab screenshot` (`main` gives the
/// app's: the command line never imports the UI).
pub fn run(command: Command, open_window: OpenScreenshot<'_>) -> ExitCode {
    if !command.attaches() {
        memlab_engine::os::signals::release();
    }
    let result = match command {
        Command::Shared { name, file, action } => shared::run(&name, file, action),
        Command::Bench(args) => alloc::run_bench(&args),
        Command::Sweep(args) => alloc::run_sweep(&args),
        Command::Filemap(args) => filemap::run_filemap(args),
        Command::Mutex {
            kind,
            name,
            timeout_ms,
            action,
        } => mutex::run_mutex(kind, &name, timeout_ms, action),
        Command::Vm(args) => vm::run_script(&args),
        #[cfg(windows)]
        Command::VmChild(args) => vm::run_child(&args),
        Command::Global(args) => global::run_script(&args),
        Command::Heap(args) => heap::run_script(&args),
        Command::Sysinfo { json } => sysinfo::run_sysinfo(json),
        Command::Maps {
            json,
            pid,
            window,
            list,
        } => maps::run_maps(json, pid, window, list),
        Command::Sharemem(args) => sharemem::run(&args),
        Command::SharememChild => sharemem::run_child(),
        Command::Arrange => arrange(),
        Command::Screenshot(options) => screenshot(&options, open_window),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.report(),
    }
}

/// A flag raised by Ctrl+C, SIGTERM or SIGHUP, so that `watch` and `hold`
/// leave the mapping properly (the last to leave removes it). A signal held
/// since memlab started (`memlab_engine::os::signals`) raises it at once.
fn stop_on_signal() -> Arc<AtomicBool> {
    stop_on_signal_ringing(None)
}

/// As [`stop_on_signal`], and rings `bell` once the flag is raised, so that
/// a wait on it ends at once (`watch`'s futex wait, which the kernel would
/// otherwise restart after the handler, until its next look).
fn stop_on_signal_ringing(bell: Option<Arc<memlab_engine::os::Doorbell>>) -> Arc<AtomicBool> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    if let Err(e) = memlab_engine::os::signals::on_signal(move || {
        flag.store(true, Ordering::Relaxed);
        if let Some(bell) = &bell {
            bell.ring();
        }
    }) {
        eprintln!("memlab: cannot catch Ctrl+C ({e}); it will end memlab without detaching");
    }
    stop
}
