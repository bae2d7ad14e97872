//! The map's refresh thread: one thread for the lab's whole life, so that
//! refreshing does not itself change the map (a thread per refresh would
//! add its stack and malloc arena, then take them away, every time).

use std::io;
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};
use std::time::{Duration, Instant};

use eframe::egui;

use crate::core::vm::ReadError;
use crate::core::vm::maps::{self, Landmarks, MapDiff, Snapshot};
use crate::forms::widgets::{Poll, StoppingThreads};

/// What a refresh hands back.
pub struct Refreshed {
    pub snapshot: Arc<Snapshot>,
    /// The diff with the snapshot shown before (None for the first).
    pub diff: Option<MapDiff>,
    /// The whole refresh (smaps, naming, diff), on the thread.
    pub took: Duration,
}

/// Reads the map, names memlab's objects, and diffs with `before`.
fn refresh(before: Option<&Snapshot>) -> Result<Refreshed, ReadError> {
    let started = Instant::now();
    let landmarks = Landmarks {
        font: Some(crate::fonts::bundled_font()),
    };
    let snapshot = Arc::new(Snapshot::take(landmarks)?);
    let diff = before.map(|b| maps::diff(b, &snapshot));
    Ok(Refreshed {
        snapshot,
        diff,
        took: started.elapsed(),
    })
}

/// The thread and its channels; dropping it ends the thread.
pub struct Refresher {
    requests: Sender<Option<Arc<Snapshot>>>,
    results: Receiver<Result<Refreshed, ReadError>>,
    pending: bool,
    /// Last: dropped after the request channel closed.
    _thread: StoppingThreads,
}

impl Refresher {
    pub fn start(ctx: &egui::Context) -> io::Result<Self> {
        let (requests, inbox) = mpsc::channel::<Option<Arc<Snapshot>>>();
        let (outbox, results) = mpsc::channel();
        let mut thread = StoppingThreads::new();
        let ctx = ctx.clone();
        thread.spawn("address-map refresh", move |stop| {
            while let Ok(before) = inbox.recv() {
                if stop.is_raised() || outbox.send(refresh(before.as_deref())).is_err() {
                    return;
                }
                ctx.request_repaint();
            }
        })?;
        Ok(Self {
            requests,
            results,
            pending: false,
            _thread: thread,
        })
    }

    /// Asks for a refresh diffed with `before`; false if the thread is gone.
    pub fn request(&mut self, before: Option<Arc<Snapshot>>) -> bool {
        self.pending = self.requests.send(before).is_ok();
        self.pending
    }

    pub fn pending(&self) -> bool {
        self.pending
    }

    /// The answer to the request, once it came (None while idle).
    pub fn poll(&mut self) -> Option<Poll<Result<Refreshed, ReadError>>> {
        if !self.pending {
            return None;
        }
        Some(match self.results.try_recv() {
            Ok(result) => {
                self.pending = false;
                Poll::Done(result)
            }
            Err(TryRecvError::Empty) => Poll::Running,
            Err(TryRecvError::Disconnected) => {
                self.pending = false;
                Poll::Lost
            }
        })
    }
}
