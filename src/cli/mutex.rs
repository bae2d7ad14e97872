//! `memlab mutex`: the book's LockMap three ways from the command line
//! (take, hold, crash while holding, reset, look, remove), each line the
//! core's English sentence.

use std::io::Write;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use clap::{Subcommand, ValueEnum};

use super::MAX_HOLD_SECONDS;
use super::{Failure, stop_on_signal};
use memlab_engine::mutex::{self, BookMutex, MutexKind, Removal};

/// The lock kinds, as the command line names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KindArg {
    #[cfg_attr(
        not(windows),
        doc = "memlab's file lock (flock): freed by the kernel when its holder dies."
    )]
    #[cfg_attr(
        windows,
        doc = "A file lock (LockFileEx): freed by Windows when its holder dies; nobody is told."
    )]
    File,
    #[cfg_attr(
        not(windows),
        doc = "raw_sync's mutex: not robust, stuck when its holder dies."
    )]
    #[cfg_attr(
        windows,
        doc = "raw_sync's mutex (a Win32 mutex): its wait panics on WAIT_ABANDONED; memlab catches it."
    )]
    RawSync,
    #[cfg_attr(
        not(windows),
        doc = "A robust pthread mutex: the next waiter is told the owner died."
    )]
    #[cfg_attr(
        windows,
        doc = "The Win32 named mutex (also `win32`): the next waiter gets WAIT_ABANDONED."
    )]
    #[cfg_attr(windows, value(alias = "win32"))]
    Robust,
}

impl From<KindArg> for MutexKind {
    fn from(kind: KindArg) -> Self {
        match kind {
            KindArg::File => Self::FileLock,
            KindArg::RawSync => Self::RawSync,
            KindArg::Robust => Self::Robust,
        }
    }
}

/// What `memlab mutex` does with the lock.
#[derive(Debug, Subcommand)]
pub enum MutexAction {
    /// Takes the lock (waiting the timeout), moves 100 between the two
    /// accounts it guards, and holds it until killed or --seconds.
    Hold {
        #[arg(long, default_value_t = MAX_HOLD_SECONDS)]
        seconds: f64,
    },
    /// Takes the lock, begins a move of the data it guards, and dies
    /// half-way (SIGKILL; on Windows TerminateProcess), still holding it.
    Crash,
    /// Waits the timeout for the lock: exit 0 when acquired (telling whether
    /// the previous owner died, where the lock can tell, and how the guarded
    /// data was found), 3 on a timeout; then moves 100 and releases it.
    Acquire,
    /// Re-initialises a lock stuck with a dead holder, or whose bytes are
    /// corrupt, and undoes a half move of its data.
    Reset,
    /// Prints who holds the lock and the data it guards, without taking it.
    Status,
    #[cfg_attr(
        not(windows),
        doc = "Removes the lock's object unless an instance has it open (it outlives its last instance otherwise, held or not)."
    )]
    #[cfg_attr(
        windows,
        doc = "Says whether the lock's objects are in use (on Windows they die with their last handle: nothing is left to remove)."
    )]
    Remove,
}

fn print(line: &str) {
    let mut out = std::io::stdout().lock();
    // A closed pipe (e.g. `| head`) is no reason to fail the command.
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

pub(super) fn run_mutex(
    kind: KindArg,
    name: &str,
    timeout_ms: u64,
    action: MutexAction,
) -> Result<(), Failure> {
    if let MutexAction::Hold { seconds } = action
        && !(seconds.is_finite() && (0.0..=MAX_HOLD_SECONDS).contains(&seconds))
    {
        return Err(Failure::usage(format!(
            "--seconds must be 0 to {MAX_HOLD_SECONDS}, got {seconds}"
        )));
    }
    if let MutexAction::Remove = action {
        // Not opened like the others: opening would create it.
        print(&match mutex::remove_unused(name)? {
            Removal::Removed(path) => format!("removed {}", path.display()),
            Removal::NotThere(path) => {
                format!("nothing to remove: there is no {}", path.display())
            }
        });
        return Ok(());
    }
    let kind = MutexKind::from(kind);
    let timeout = Duration::from_millis(timeout_ms);
    let lock = BookMutex::open(name, kind)?;
    let me = std::process::id();
    let take = |lock: &BookMutex| -> Result<(), Failure> {
        let report = lock.acquire(timeout)?.require_acquired()?;
        print(&report.to_string());
        Ok(())
    };
    match action {
        MutexAction::Acquire => {
            take(&lock)?;
            let data = lock.write_data(true)?;
            print(&format!("moved {}: {data}", mutex::AMOUNT));
            lock.release()?;
        }
        MutexAction::Hold { seconds } => {
            take(&lock)?;
            let data = lock.write_data(true)?;
            print(&format!("moved {}: {data}", mutex::AMOUNT));
            print(&format!("holding {kind} {name:?} as PID {me}"));
            let stop = stop_on_signal();
            let end = Instant::now() + Duration::from_secs_f64(seconds);
            while !stop.load(Ordering::Relaxed) && Instant::now() < end {
                std::thread::sleep(Duration::from_millis(10));
            }
            lock.release()?;
            print("released");
        }
        MutexAction::Crash => {
            take(&lock)?;
            let data = lock.write_data(false)?;
            print(&format!(
                "holding {kind} {name:?} as PID {me}, half-way through a move ({data}); dying by {} now",
                mutex::CRASH_BY
            ));
            mutex::die_like_a_crash();
        }
        MutexAction::Reset => print(&lock.reset()?.to_string()),
        // Done above, without opening the lock.
        MutexAction::Remove => {}
        MutexAction::Status => {
            let look = lock.look()?;
            print(&format!("{kind} {name:?}: {}", look.state));
            print(&format!("guarded data: {look}"));
        }
    }
    Ok(())
}
