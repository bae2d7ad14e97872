//! The mutex lab's work off the UI thread: its lock (a `BookMutex`, whose
//! waits may last the whole timeout), the actions run as jobs, and a thread
//! that watches who holds the lock and repaints when that changes.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use eframe::egui;

use super::MutexNote;
use crate::forms::widgets::StoppingThreads;
use memlab_engine::mutex::{self, BookMutex, Look, MutexError, MutexKind};

/// How often the watcher asks who holds the lock.
const STATE_POLL: Duration = Duration::from_millis(200);

/// What a button asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Action {
    /// Open the chosen lock, to show who holds it.
    Open,
    /// `LockMap`: wait up to the timeout.
    Take(Duration),
    /// `UnlockMap`.
    Release,
    /// A child takes the lock and dies as a crash would (SIGKILL, TerminateProcess).
    Crash,
    Reset,
}

/// A look at the lock: who holds it and its data, or why it could not be
/// read (shared, so that it can be shown in either language).
pub(super) type Looked = Result<Look, Arc<MutexError>>;

/// What the watcher last saw.
pub(super) type Seen = Arc<Mutex<Option<Looked>>>;

/// Whether two looks say the same (errors compare by their sentence).
pub(super) fn same(a: &Looked, b: &Looked) -> bool {
    match (a, b) {
        (Ok(a), Ok(b)) => a == b,
        (Err(a), Err(b)) => a.to_string() == b.to_string(),
        _ => false,
    }
}

/// Looks at the lock now.
pub(super) fn look(mutex: &BookMutex) -> Looked {
    mutex.look().map_err(Arc::new)
}

/// One opened lock and its watcher. Dropping it may wait for a wait in
/// progress, so the lab drops it off the UI thread ([`Handle::close`]).
pub(super) struct Handle {
    pub kind: MutexKind,
    pub name: String,
    pub mutex: Arc<BookMutex>,
    pub seen: Seen,
    _watcher: StoppingThreads,
}

impl Handle {
    /// Opens the lock `name` of `kind` (joining its small mapping).
    pub(super) fn open(
        name: &str,
        kind: MutexKind,
        ctx: &egui::Context,
    ) -> Result<Self, MutexError> {
        let mutex = Arc::new(BookMutex::open(name, kind)?);
        let seen = Seen::default();
        let mut watcher = StoppingThreads::new();
        let (watched, shown, ctx) = (mutex.clone(), seen.clone(), ctx.clone());
        // Without the watcher the state line only goes stale: not worth failing for.
        let _ = watcher.spawn("mutex watcher", move |stop| {
            loop {
                let state = look(&watched);
                let changed = {
                    let mut last = shown.lock().unwrap_or_else(PoisonError::into_inner);
                    let changed = !last.as_ref().is_some_and(|l| same(l, &state));
                    *last = Some(state);
                    changed
                };
                if changed {
                    ctx.request_repaint();
                }
                if stop.wait(STATE_POLL) {
                    break;
                }
            }
        });
        Ok(Self {
            kind,
            name: name.into(),
            mutex,
            seen,
            _watcher: watcher,
        })
    }

    /// Drops the handle on a thread of its own (a held lock is released).
    pub(super) fn close(self) {
        let _ = std::thread::Builder::new()
            .name("mutex close".into())
            .spawn(move || drop(self));
    }

    /// Shows `state` now (an action's result), before the watcher's next look.
    pub(super) fn show(&self, state: Looked) {
        *self.seen.lock().unwrap_or_else(PoisonError::into_inner) = Some(state);
    }

    pub(super) fn state(&self) -> Option<Looked> {
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// Runs `action` on `mutex` (the crash runs `program`, memlab itself);
/// the log lines it gives. Taking the lock also moves its guarded data,
/// as a holder of the book's lock writes the mapping it guards.
pub(super) fn run(action: Action, mutex: &BookMutex, program: Option<PathBuf>) -> Vec<MutexNote> {
    let result = match action {
        Action::Open => return Vec::new(),
        Action::Take(timeout) => match mutex.acquire(timeout) {
            Ok(report) if report.result.acquired() => {
                let moved = mutex
                    .write_data(true)
                    .map_or_else(MutexNote::Failed, MutexNote::Moved);
                return vec![MutexNote::Acquire(report), moved];
            }
            other => other.map(MutexNote::Acquire),
        },
        Action::Release => mutex
            .release()
            .map(|()| MutexNote::Released { kind: mutex.kind() }),
        Action::Crash => program
            .or_else(|| std::env::current_exe().ok())
            .ok_or_else(|| {
                MutexError::io(
                    "finding memlab's program",
                    std::io::ErrorKind::NotFound.into(),
                )
            })
            .and_then(|exe| mutex::crash_in_child(&exe, mutex.name(), mutex.kind()))
            .map(MutexNote::Crashed),
        Action::Reset => mutex.reset().map(MutexNote::Reset),
    };
    vec![result.unwrap_or_else(MutexNote::Failed)]
}
