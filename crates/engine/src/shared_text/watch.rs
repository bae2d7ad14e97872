//! Following other instances' saves: wait for a save to announce itself
//! (Linux: a futex on the change counter; Windows: this instance's named
//! event), then load under the lock only if the counter or the write time moved. Used by
//! `memlab shared watch` and by the form's Live mode. A watch that nothing
//! wakes still looks once per [`WATCH_LIVENESS`], for what no save
//! announces: the name removed, the object cut short or written by another
//! program.

use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use super::{Loaded, SharedError, SharedText};
use crate::os::Doorbell;

/// The longest a watch sleeps while nothing changes.
pub const WATCH_LIVENESS: Duration = Duration::from_secs(1);
/// How often a watch looks while it cannot wait on the object (its counter
/// unreadable: the object cut short under it).
const FAULT_POLL: Duration = Duration::from_millis(100);
/// How often a watch checks that the object still has its name (fstat).
const REMOVAL_CHECK: Duration = Duration::from_millis(200);

/// What one look found.
#[derive(Debug)]
pub enum WatchEvent {
    /// A new value (or the first one).
    Value(Loaded),
    /// A load failed; watching goes on (a corrupt mapping may be reset by
    /// another instance). Said once per state: again only after a new
    /// value, or for another kind of failure (a truncation loop that keeps
    /// cutting and restoring the object is one failure, not thousands).
    Failed(SharedError),
    /// Someone removed the object's name: nobody new will see this
    /// instance's saves, nor this instance theirs. Reported once.
    Removed,
}

/// The state of one watch: what was last seen and said.
#[derive(Debug)]
pub struct Watch {
    /// The change counter and write time of the last look (a load is made
    /// when either moves: a counter alone can come back to a value seen).
    last_stamp: Option<(u64, u64)>,
    /// The last value reported, as (counter, text).
    last_value: Option<(u64, String)>,
    /// The kind of failure reported since that value, if any.
    failing: Option<std::mem::Discriminant<SharedError>>,
    next_removal_check: Instant,
    removed: bool,
}

impl Default for Watch {
    fn default() -> Self {
        Self::new()
    }
}

impl Watch {
    /// A watch whose first look loads the current value.
    pub fn new() -> Self {
        Self {
            last_stamp: None,
            last_value: None,
            failing: None,
            next_removal_check: Instant::now(),
            removed: false,
        }
    }

    /// Sleeps until a save may have changed the value (or `at_most`
    /// passes), polling every [`FAULT_POLL`] while the object cannot be
    /// waited on.
    pub fn wait(&self, shared: &SharedText, at_most: Duration) {
        let waited = self
            .last_stamp
            .is_some_and(|(seen, _)| shared.wait_for_change(seen, at_most));
        if !waited {
            std::thread::sleep(at_most.min(FAULT_POLL));
        }
    }

    /// As [`wait`](Self::wait), or until `bell` is rung after `rung` was
    /// read from it.
    pub fn wait_or_rung(&self, shared: &SharedText, at_most: Duration, bell: &Doorbell, rung: u32) {
        let waited = self
            .last_stamp
            .is_some_and(|(seen, _)| shared.wait_for_change_or_rung(seen, bell, rung, at_most));
        if !waited && bell.rung() == rung {
            std::thread::sleep(at_most.min(FAULT_POLL));
        }
    }

    /// Looks once: loads if the counter or the write time moved (or cannot be read).
    pub fn poll(&mut self, shared: &SharedText) -> Option<WatchEvent> {
        if !self.removed && Instant::now() >= self.next_removal_check {
            self.next_removal_check = Instant::now() + REMOVAL_CHECK;
            if shared.removed().unwrap_or(false) {
                self.removed = true;
                return Some(WatchEvent::Removed);
            }
        }
        let stamp = shared.change_stamp();
        if stamp.is_some() && stamp == self.last_stamp {
            return None;
        }
        match shared.load() {
            Ok(loaded) => {
                // The stamp read before the load: a save between the two
                // makes the next look load again (and find the same value).
                self.last_stamp = stamp;
                let value = (loaded.change_counter, loaded.text.clone());
                if self.last_value.as_ref() == Some(&value) {
                    // The same value back (the object restored): nothing new.
                    return None;
                }
                self.last_value = Some(value);
                self.failing = None;
                Some(WatchEvent::Value(loaded))
            }
            Err(e) => {
                self.last_stamp = stamp;
                let kind = std::mem::discriminant(&e);
                if self.failing == Some(kind) {
                    return None;
                }
                self.failing = Some(kind);
                Some(WatchEvent::Failed(e))
            }
        }
    }
}

/// Looks, hands `step` what it found (`None`: nothing new), and waits for
/// the next save (at most `at_most`), until `step` breaks. A ring of `bell`
/// (a signal handler's, once it has raised what `step` checks) ends the
/// wait at once, so `step` looks again.
pub fn watch(
    shared: &SharedText,
    at_most: Duration,
    bell: &Doorbell,
    mut step: impl FnMut(Option<WatchEvent>) -> ControlFlow<()>,
) {
    let mut state = Watch::new();
    loop {
        let rung = bell.rung();
        if step(state.poll(shared)).is_break() {
            break;
        }
        state.wait_or_rung(shared, at_most, bell, rung);
    }
}
