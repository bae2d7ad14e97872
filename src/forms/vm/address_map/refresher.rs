//! The map's refresh thread: one thread for the lab's whole life, so that
//! refreshing does not itself change the map (a thread per refresh would
//! add its stack and malloc arena, then take them away, every time).
//!
//! "Every second" is kept by the thread itself: it refreshes on its own
//! clock and wakes the window once with the result, so a periodic refresh
//! costs one frame (a frame of software OpenGL is most of its cost), not a
//! frame to start it and another to show it. It refreshes again only once
//! the lab took the last result: a lab not shown is not refreshed.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::time::{Duration, Instant};

use eframe::egui;

use crate::forms::widgets::{Poll, StoppingThreads};
use memlab_engine::vm::maps::{self, Landmarks, MapDiff, MapError, Snapshot};

/// What a refresh hands back.
pub struct Refreshed {
    pub snapshot: Arc<Snapshot>,
    /// The diff with the snapshot shown before (None for the first).
    pub diff: Option<MapDiff>,
    /// The whole refresh (smaps, naming, diff), on the thread.
    pub took: Duration,
}

/// What the thread is told: the map of process `pid`, diffed with `before`
/// when that was the same process's; refreshed `now`, and then `every` so
/// often (None: only when asked).
pub struct Ask {
    pub pid: u32,
    pub before: Option<Arc<Snapshot>>,
    pub now: bool,
    pub every: Option<Duration>,
}

/// Reads the map, names memlab's objects, and diffs with `before`.
fn refresh(pid: u32, before: Option<&Snapshot>) -> Result<Refreshed, MapError> {
    let started = Instant::now();
    let landmarks = Landmarks {
        font: Some(crate::fonts::bundled_font()),
    };
    let snapshot = Arc::new(Snapshot::take_of(pid, landmarks)?);
    let diff = before
        .filter(|b| b.pid == snapshot.pid)
        .map(|b| maps::diff(b, &snapshot));
    Ok(Refreshed {
        snapshot,
        diff,
        took: started.elapsed(),
    })
}

/// The thread and its channels; dropping it ends the thread.
pub struct Refresher {
    requests: Sender<Ask>,
    results: Receiver<Result<Refreshed, MapError>>,
    /// A refresh asked for `now` whose answer has not come yet.
    pending: bool,
    /// A result was sent and the lab has not taken it yet.
    unread: Arc<AtomicBool>,
    /// Last: dropped after the request channel closed.
    _thread: StoppingThreads,
}

impl Refresher {
    pub fn start(ctx: &egui::Context) -> io::Result<Self> {
        let (requests, inbox) = mpsc::channel::<Ask>();
        let (outbox, results) = mpsc::channel();
        let mut thread = StoppingThreads::new();
        let ctx = ctx.clone();
        let unread = Arc::new(AtomicBool::new(false));
        let sent = unread.clone();
        thread.spawn("address-map refresh", move |stop| {
            let mut current: Option<Ask> = None;
            let mut due: Option<Instant> = None;
            loop {
                let wait = due.map(|d| d.saturating_duration_since(Instant::now()));
                let asked = match wait {
                    Some(wait) => inbox.recv_timeout(wait),
                    None => inbox.recv().map_err(|_| RecvTimeoutError::Disconnected),
                };
                let run = match asked {
                    Ok(ask) => {
                        let now = ask.now;
                        due = ask.every.map(|every| Instant::now() + every);
                        current = Some(ask);
                        now
                    }
                    // Periodic: only once the last result was taken (the
                    // lab is shown); otherwise look again a period later.
                    Err(RecvTimeoutError::Timeout) if sent.load(Ordering::Acquire) => {
                        due = current
                            .as_ref()
                            .and_then(|a| a.every)
                            .map(|every| Instant::now() + every);
                        false
                    }
                    Err(RecvTimeoutError::Timeout) => true,
                    Err(RecvTimeoutError::Disconnected) => return,
                };
                let Some(ask) = current.as_mut().filter(|_| run) else {
                    continue;
                };
                if stop.is_raised() {
                    return;
                }
                let result = refresh(ask.pid, ask.before.as_deref());
                if let Ok(r) = &result {
                    ask.before = Some(r.snapshot.clone());
                }
                due = ask.every.map(|every| Instant::now() + every);
                sent.store(true, Ordering::Release);
                if outbox.send(result).is_err() {
                    return;
                }
                ctx.request_repaint();
            }
        })?;
        Ok(Self {
            requests,
            results,
            pending: false,
            unread,
            _thread: thread,
        })
    }

    /// Tells the thread what to refresh and how often; false if it is gone.
    pub fn request(&mut self, ask: Ask) -> bool {
        let now = ask.now;
        let sent = self.requests.send(ask).is_ok();
        self.pending |= sent && now;
        sent
    }

    /// True while a refresh asked for `now` has not answered.
    pub fn pending(&self) -> bool {
        self.pending
    }

    /// The latest answer, asked for or periodic (None: nothing new).
    pub fn poll(&mut self) -> Option<Poll<Result<Refreshed, MapError>>> {
        let mut latest = None;
        loop {
            match self.results.try_recv() {
                Ok(result) => latest = Some(result),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    self.pending = false;
                    return Some(Poll::Lost);
                }
            }
        }
        // After taking them: a result sent meanwhile woke the window, whose
        // next frame takes it.
        self.unread.store(false, Ordering::Release);
        match latest {
            Some(result) => {
                self.pending = false;
                Some(Poll::Done(result))
            }
            None if self.pending => Some(Poll::Running),
            None => None,
        }
    }
}
