//! Watches the session off the UI thread and asks for a repaint only when
//! what the views show may have changed, so an idle window stays idle:
//! memlab instances sharing the file move its change stamp on every write
//! (looked at every 20 ms, as the shared text's Live mode does); other
//! programs do not, so the bytes in sight and the file's size are also
//! looked at four times a second.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use eframe::egui;

use super::session::{Shared, peek};
use crate::forms::widgets::StoppingThreads;

/// How often the change stamp is read.
const STAMP_POLL: Duration = Duration::from_millis(20);
/// How often the bytes in sight and the file's size are read.
const BYTES_POLL: Duration = Duration::from_millis(250);

/// What each view shows now: (view, view offset, bytes).
pub(super) type Visible = Arc<Mutex<Vec<(u32, u64, usize)>>>;

/// The watching thread of one session; dropping it stops the thread.
pub(super) struct Monitor {
    pub visible: Visible,
    _threads: StoppingThreads,
}

impl Monitor {
    /// Starts watching `session`; `None` if no thread could be started (the
    /// form then only shows changes when it repaints for another reason).
    pub(super) fn start(session: Shared, ctx: &egui::Context) -> Option<Self> {
        let visible = Visible::default();
        let mut threads = StoppingThreads::new();
        let (seen, ctx) = (visible.clone(), ctx.clone());
        threads
            .spawn("filemap monitor", move |stop| {
                let mut last_stamp = None;
                let mut last_bytes = None;
                let mut next_bytes = Instant::now();
                while !stop.wait(STAMP_POLL) {
                    let Some(session) = peek(&session) else {
                        continue;
                    };
                    let mut changed = false;
                    let stamp = session.change_stamp();
                    changed |= last_stamp.replace(stamp).is_some_and(|s| s != stamp);
                    if Instant::now() >= next_bytes {
                        next_bytes = Instant::now() + BYTES_POLL;
                        let mut hash = DefaultHasher::new();
                        session.file_len().ok().hash(&mut hash);
                        let ranges = seen.lock().unwrap_or_else(PoisonError::into_inner).clone();
                        for (view, at, len) in ranges {
                            let mut buf = vec![0; len];
                            session
                                .read_view(view, at, &mut buf)
                                .is_ok()
                                .hash(&mut hash);
                            buf.hash(&mut hash);
                        }
                        let bytes = hash.finish();
                        changed |= last_bytes.replace(bytes).is_some_and(|b| b != bytes);
                    }
                    drop(session);
                    if changed {
                        ctx.request_repaint();
                    }
                }
            })
            .ok()?;
        Some(Self {
            visible,
            _threads: threads,
        })
    }
}
