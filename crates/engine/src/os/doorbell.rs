//! A bell one thread rings to end another's wait for a change: a count the
//! waiter reads before looking and a ring bumps, the same on every OS.
//! What a ring does besides counting is each OS's (`BellWake`): on Linux
//! the count is a futex word, and ringing wakes the thread sleeping on it
//! (`futex::wait_any` with `futex::Word::bell`); on Windows ringing sets
//! an event beside the count, which the waiter waits on with what it
//! waits for (`Doorbell::wait_with`).

use std::sync::atomic::{AtomicU32, Ordering};

#[cfg(target_os = "linux")]
use super::linux::futex::BellWake;
#[cfg(windows)]
use super::windows::doorbell::BellWake;

/// A bell that ends one of this process's threads' waits for a change
/// (Live turned on, the window closing).
#[derive(Debug)]
pub struct Doorbell {
    pub(super) rung: AtomicU32,
    pub(super) wake: BellWake,
}

impl Default for Doorbell {
    fn default() -> Self {
        Self::new()
    }
}

impl Doorbell {
    pub fn new() -> Self {
        Self {
            rung: AtomicU32::new(0),
            wake: BellWake::new(),
        }
    }

    /// How often it was rung: read before looking (on Linux, then handed
    /// to `futex::Word::bell`).
    pub fn rung(&self) -> u32 {
        self.rung.load(Ordering::SeqCst)
    }

    /// Ends the wait of the thread sleeping on it (or its next one; on
    /// Windows at its next look, should the bell have no event).
    pub fn ring(&self) {
        self.rung.fetch_add(1, Ordering::SeqCst);
        self.wake.ring(&self.rung);
    }
}
