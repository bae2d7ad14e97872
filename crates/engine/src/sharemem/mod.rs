//! The ShareMem lab (the chapter's §6): a real shared library with a
//! memory manager of its own (crates/sharemem-dll, loaded at run time with
//! `libloading`), exchanging a string with the program, as a Delphi DLL and
//! its program do.
//!
//! - [`Mode::Shared`]: the library is handed the program's manager first
//!   (ShareMem's `SetMemoryManager` with `borlndmm.dll`'s functions; here
//!   memlab's private heap, [`program`]). The library's string is then a
//!   block of the program's manager, the program frees it, and both sides'
//!   AllocMemCount move together.
//! - [`Mode::Separate`]: the library keeps its own manager (talc over an
//!   arena in its own image). Its string is not a block of the program's
//!   manager: memlab's dispatcher, which knows its managers' address
//!   ranges, says so and frees nothing; and a child process frees it for
//!   real with the program's manager and shows how it ended ([`child`]).
//!
//! Then the other way: the program makes a string with its manager and
//! hands it to the library, which frees it with its current manager. With
//! ShareMem that is the program's manager and the string is freed; without
//! it the library's own manager finds the pointer outside its arena and
//! refuses it untouched, and the program frees its string itself.
//!
//! No UI here: the form (src/forms/sharemem) and `memlab sharemem` show
//! what [`run`] returns.

mod child;
mod library;
mod messages;
pub mod program;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::Serialize;

use crate::error::{ErrorKind, HasKind};

pub use child::{CHILD_COMMAND, ChildReport, Ended, child_main, run_child};
pub use library::{
    ABI_VERSION, LIBRARY_ENV, LIBRARY_FILE, LIBRARY_NOT_MINE, Library, LibraryCounters, locate,
    search_path,
};

/// The string the library makes in every exchange.
pub const TEXT: &str = "Hello from the library";
/// The string the program makes and hands to the library.
pub const PROGRAM_TEXT: &str = "Hello from the program";

/// Which manager the library uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// The program's, handed over at load time (ShareMem).
    Shared,
    /// Its own (no ShareMem).
    Separate,
}

impl Mode {
    /// The command line's flag for it.
    pub fn flag(self) -> &'static str {
        match self {
            Self::Shared => "--shared",
            Self::Separate => "--separate",
        }
    }
}

/// An address range: first address and length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Range {
    pub start: usize,
    pub len: usize,
}

impl Range {
    pub fn contains(&self, address: usize) -> bool {
        address.wrapping_sub(self.start) < self.len
    }
}

/// Whose manager a block belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Owner {
    /// The program's (memlab's private heap).
    Program,
    /// The library's own arena.
    Library,
}

/// One step of an exchange.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Step {
    /// The library was loaded from `path`.
    Loaded { path: PathBuf },
    /// The library was handed the program's manager (ShareMem).
    HandedManager,
    /// The library kept its own manager (no ShareMem).
    KeptOwnManager,
    /// The library made the string; it lives in `owner`'s memory.
    Made {
        address: usize,
        text: String,
        owner: Owner,
    },
    /// The program freed the string with its manager.
    ProgramFreed { address: usize },
    /// The program's manager refused the string: memlab's dispatcher saw
    /// it is not one of its blocks, and nothing was freed.
    ProgramRefused { refusal: ShareMemError },
    /// The library freed its string with its own manager (the right one).
    LibraryFreed { address: usize },
    /// The program made a string with its manager, for the library.
    ProgramMade { address: usize, text: String },
    /// The library freed the program's string with its manager, which is
    /// the program's (ShareMem): the right one.
    LibraryFreedProgramString { address: usize },
    /// The library's own manager refused the program's string: it is
    /// outside its arena, and nothing was freed.
    LibraryRefused { refusal: ShareMemError },
    /// The program freed its own string (the right manager: nothing leaks).
    ProgramFreedOwn { address: usize },
    /// A child process freed such a string with the program's manager.
    ChildFreed { report: ChildReport },
}

/// Both sides' live-block counts (Delphi's AllocMemCount) after a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// The library's AllocMemCount (its current manager's live blocks).
    pub library: u64,
    /// The program's manager's live blocks (those it served the library).
    pub program: u64,
    /// Blocks alive in the library's own arena.
    pub library_own: u64,
}

/// A step and the counts after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepReport {
    #[serde(flatten)]
    pub step: Step,
    pub counts: Counts,
}

/// One exchange, start to end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Exchange {
    pub mode: Mode,
    /// The library that was loaded.
    pub library: PathBuf,
    /// The library's own arena.
    pub library_arena: Range,
    /// memlab's private heap (the program's manager here), once reserved.
    pub program_heap: Option<Range>,
    pub steps: Vec<StepReport>,
}

impl Exchange {
    /// The child's report (`--separate`).
    pub fn child(&self) -> Option<&ChildReport> {
        self.steps.iter().find_map(|s| match &s.step {
            Step::ChildFreed { report } => Some(report),
            _ => None,
        })
    }
}

/// Why the lab could not do something.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "error", rename_all = "snake_case")]
pub enum ShareMemError {
    /// The library is not where memlab looks.
    #[error(
        "the ShareMem library ({LIBRARY_FILE}) is not there: looked for {}; it is built with memlab \
         (cargo build), or set {LIBRARY_ENV} to its path",
        paths(searched)
    )]
    LibraryNotFound { searched: Vec<PathBuf> },
    /// Where memlab looked there is something, but not a file (a folder, a
    /// device, a pipe): it is not opened, so a pipe cannot make it wait.
    #[error(
        "{} is not a regular file (a folder, a device or a pipe), so it is not the ShareMem library \
         ({LIBRARY_FILE}): set {LIBRARY_ENV} to the library's file",
        path.display()
    )]
    NotAFile { path: PathBuf },
    /// dlopen / LoadLibraryW failed.
    #[error("cannot load the ShareMem library {}: {message}", path.display())]
    Load { path: PathBuf, message: String },
    /// The library lacks a function of the ABI.
    #[error("{} is not memlab's ShareMem library: it has no {symbol}", path.display())]
    MissingSymbol { path: PathBuf, symbol: String },
    /// The library speaks another version of the ABI.
    #[error(
        "the ShareMem library {} is of ABI version {found}, this memlab needs {expected}: \
         rebuild them together",
        path.display()
    )]
    AbiVersion {
        path: PathBuf,
        found: u32,
        expected: u32,
    },
    /// The library's manager had no room for the string.
    #[error("the library's memory manager has no room for {bytes} bytes")]
    NoRoom { bytes: usize },
    /// The program's manager had no room for its string.
    #[error("the program's memory manager (memlab's private heap) has no room for {bytes} bytes")]
    ProgramNoRoom { bytes: usize },
    /// SetMemoryManager refused: the manager being left still has blocks.
    #[error(
        "the library refused to change its memory manager ({}): blocks of the one it has are still alive \
         and would go back to the wrong manager",
        if *shared { "to the program's" } else { "back to its own" }
    )]
    ManagerInUse { shared: bool },
    /// The program's FreeMem got a block that is not its own.
    #[error(
        "{address:#x} is not a block of this program's manager: memlab's dispatcher finds it outside \
         the range of the private heap that manager hands out ({}); it lies in the library's own \
         arena {:#x}..{:#x}, so the program frees nothing",
        program_heap.map_or("not reserved".to_string(), |r| format!("{:#x}..{:#x}", r.start, r.start + r.len)),
        library_arena.start,
        library_arena.start + library_arena.len
    )]
    ForeignBlock {
        address: usize,
        library_arena: Range,
        program_heap: Option<Range>,
    },
    /// The library's own FreeMem got a block of the program's.
    #[error(
        "{address:#x} is not a block of the library's own manager: it lies outside the library's \
         arena {:#x}..{:#x} (it is a block of the program's manager), so the library frees nothing",
        library_arena.start,
        library_arena.start + library_arena.len
    )]
    ForeignToLibrary {
        address: usize,
        library_arena: Range,
    },
    /// The child process could not run.
    #[error("the child process ({} {CHILD_COMMAND}) failed: {message}", exe.display())]
    Child { exe: PathBuf, message: String },
}

fn paths(paths: &[PathBuf]) -> String {
    if paths.is_empty() {
        return format!("(nothing: {LIBRARY_ENV} is not set)");
    }
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

impl HasKind for ShareMemError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::LibraryNotFound { .. }
            | Self::NotAFile { .. }
            | Self::Load { .. }
            | Self::MissingSymbol { .. }
            | Self::AbiVersion { .. } => ErrorKind::Unavailable,
            Self::NoRoom { .. } | Self::ProgramNoRoom { .. } => ErrorKind::NoSpace,
            Self::ManagerInUse { .. } => ErrorKind::Busy,
            Self::ForeignBlock { .. } | Self::ForeignToLibrary { .. } => ErrorKind::Usage,
            Self::Child { .. } => ErrorKind::Os,
        }
    }
}

/// One exchange at a time per process: the library and the program's
/// manager are process-wide.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn program_heap() -> Option<Range> {
    crate::alloc::dispatcher()
        .heap()
        .reservation()
        .map(|(start, len)| Range { start, len })
}

/// Runs one exchange in `mode`: loads the library found for `memlab_exe`
/// ([`locate`]), has it make a string, and has the program free it; in
/// [`Mode::Separate`] also runs `memlab_exe`'s child ([`run_child`]).
pub fn run(mode: Mode, memlab_exe: &Path) -> Result<Exchange, ShareMemError> {
    let path = locate(memlab_exe)?;
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let library = Library::load(&path)?;
    let (start, len) = library.arena();
    let library_arena = Range { start, len };
    let mut steps = Vec::new();
    let counts = |library: &Library| {
        let c = library.counters();
        Counts {
            library: library.alloc_mem_count(),
            program: program::live_blocks(),
            library_own: c.own_allocs - c.own_frees,
        }
    };
    // The program's manager is ready before the exchange, as a program's
    // is: its range is reserved (the dispatcher's test needs it).
    program::reserve();
    let mut note = |step: Step, library: &Library| {
        steps.push(StepReport {
            step,
            counts: counts(library),
        })
    };
    note(Step::Loaded { path: path.clone() }, &library);
    match mode {
        Mode::Shared => {
            library.set_memory_manager(Some((
                program::get_mem,
                program::free_mem,
                program::alloc_mem_count,
            )))?;
            note(Step::HandedManager, &library);
        }
        Mode::Separate => {
            library.set_memory_manager(None)?;
            note(Step::KeptOwnManager, &library);
        }
    }
    let p = library.make_string(TEXT)?;
    let address = p as usize;
    let owner = if library_arena.contains(address) {
        Owner::Library
    } else {
        Owner::Program
    };
    note(
        Step::Made {
            address,
            text: TEXT.into(),
            owner,
        },
        &library,
    );
    // The program frees the string with its manager, as a Delphi program
    // frees a string a DLL returned.
    // SAFETY: program::free_mem frees only its own blocks (it asks the
    // dispatcher first); `p` is a live string of the library's.
    match unsafe { program::free_mem(p) } {
        0 => note(Step::ProgramFreed { address }, &library),
        _ => {
            let refusal = ShareMemError::ForeignBlock {
                address,
                library_arena,
                program_heap: program_heap(),
            };
            note(Step::ProgramRefused { refusal }, &library);
            // The right manager frees it: no leak, nothing corrupt.
            // SAFETY: a live string of the library's current manager.
            unsafe { library.free_string(p) };
            note(Step::LibraryFreed { address }, &library);
        }
    }
    // The other way: the program's string, freed by the library, as a DLL
    // frees what its program handed it.
    let q = program::make_string(PROGRAM_TEXT).ok_or(ShareMemError::ProgramNoRoom {
        bytes: PROGRAM_TEXT.len() + 1,
    })?;
    let address = q as usize;
    note(
        Step::ProgramMade {
            address,
            text: PROGRAM_TEXT.into(),
        },
        &library,
    );
    // SAFETY: a live block of the program's manager; the library's own
    // manager touches nothing outside its arena.
    match unsafe { library.take_string(q) } {
        0 => note(Step::LibraryFreedProgramString { address }, &library),
        _ => {
            let refusal = ShareMemError::ForeignToLibrary {
                address,
                library_arena,
            };
            note(Step::LibraryRefused { refusal }, &library);
            // SAFETY: the program's own live block, freed once.
            unsafe { program::free_mem(q) };
            note(Step::ProgramFreedOwn { address }, &library);
        }
    }
    if mode == Mode::Shared {
        // Back to its own, so that a `--separate` run in this process
        // finds the library as a fresh load would.
        library.set_memory_manager(None)?;
    } else {
        let report = run_child(memlab_exe, &path)?;
        note(Step::ChildFreed { report }, &library);
    }
    Ok(Exchange {
        mode,
        library: path,
        library_arena,
        program_heap: program_heap(),
        steps,
    })
}
