//! Starting processes from the Windows tests, with one allowance for wine.
//!
//! wine 8.0 once failed a `CreateProcess` of memlab.exe with
//! `ERROR_INTERNAL_ERROR` (1359, "Internal error.") in a clean CI run
//! (tests/windows_heaps.rs, 2026-12-06), where the same test had passed in
//! 15 runs in a row before and after: wine's, not memlab's. That one error,
//! and only it, is tried again (a few times, said on stderr); every other
//! failure to start, and everything the started process does, counts as
//! before.

use std::io;
use std::process::{Child, Command, Output};

/// `ERROR_INTERNAL_ERROR`, which wine has been seen to answer `CreateProcess` with.
const ERROR_INTERNAL_ERROR: i32 = 1359;
/// Starts tried in all before the error is let through.
const TRIES: u32 = 4;

fn retrying<T>(
    command: &mut Command,
    mut start: impl FnMut(&mut Command) -> io::Result<T>,
) -> io::Result<T> {
    let mut tried = 1;
    loop {
        match start(command) {
            Err(e) if e.raw_os_error() == Some(ERROR_INTERNAL_ERROR) && tried < TRIES => {
                eprintln!(
                    "wine: starting {command:?} failed with {e}; starting it again ({tried} of {TRIES})"
                );
                tried += 1;
            }
            other => return other,
        }
    }
}

/// `Command::output` and `Command::spawn`, started again when wine fails the start itself.
// Each test file uses what it needs: some only `output`.
#[allow(dead_code)]
pub trait Retrying {
    fn output_retrying(&mut self) -> io::Result<Output>;
    fn spawn_retrying(&mut self) -> io::Result<Child>;
}

impl Retrying for Command {
    fn output_retrying(&mut self) -> io::Result<Output> {
        retrying(self, Command::output)
    }

    fn spawn_retrying(&mut self) -> io::Result<Child> {
        retrying(self, Command::spawn)
    }
}
