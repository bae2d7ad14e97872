//! A bell one thread rings to end another's wait for a change. On Windows
//! the waits it ends (the shared text form's monitor, the windows' table
//! watcher) wait on a named event or sleep, a fraction of a second at a
//! time, and look at the bell in between: ringing it only counts.

use std::sync::atomic::{AtomicU32, Ordering};

#[derive(Debug, Default)]
pub struct Doorbell(AtomicU32);

impl Doorbell {
    pub fn new() -> Self {
        Self::default()
    }

    /// How often it was rung: read before looking.
    pub fn rung(&self) -> u32 {
        self.0.load(Ordering::SeqCst)
    }

    /// Ends the waiting thread's wait at its next look.
    pub fn ring(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}
