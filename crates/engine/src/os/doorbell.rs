//! A bell one thread rings to end another's wait for a change: a counter
//! the waiter reads before looking and a ring bumps, the same on every OS.
//! What a ring does besides counting is each OS's (`wake_bell`): on Linux
//! the counter is a futex word, and ringing wakes the thread sleeping on it
//! (`futex::wait_any` with `futex::Word::bell`); on Windows the waits it
//! ends (the shared text form's monitor, the windows' table watcher) wait
//! on a named event or sleep, a fraction of a second at a time, and look
//! at the bell in between: ringing only counts.

use std::sync::atomic::{AtomicU32, Ordering};

#[cfg(target_os = "linux")]
use super::linux::futex::wake_bell;
#[cfg(windows)]
use super::windows::doorbell::wake_bell;

/// A bell that ends one of this process's threads' waits for a change
/// (Live turned on, the window closing).
#[derive(Debug, Default)]
pub struct Doorbell(pub(super) AtomicU32);

impl Doorbell {
    pub fn new() -> Self {
        Self::default()
    }

    /// How often it was rung: read before looking (on Linux, then handed
    /// to `futex::Word::bell`).
    pub fn rung(&self) -> u32 {
        self.0.load(Ordering::SeqCst)
    }

    /// Ends the wait of the thread sleeping on it (or its next one; on
    /// Windows at its next look).
    pub fn ring(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
        wake_bell(&self.0);
    }
}
