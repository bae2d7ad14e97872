//! The threads behind the shared text form: the UI thread never touches the
//! mapping. A worker runs Load, Save and Reset (each may wait up to a
//! second for the lock) and a monitor follows the mapping (Live mode, and
//! the info panel's facts), asking for a repaint only when something
//! changed, so an idle window does not repaint. The monitor sleeps until
//! something the form shows changes: a save, a hold taken or given back, an
//! instance arriving or leaving (on Linux each writes a word of the object
//! the monitor waits on with a futex), so an idle window, Live or not, wakes
//! once a second, for what nothing announces (the name removed, a killed
//! instance's slot).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use eframe::egui;

use memlab_engine::desktop::instances::{self, OpenWindow};
use memlab_engine::os::Doorbell;
use memlab_engine::shared_text::{
    Backing, Loaded, LockState, Origin, QuickLook, Saved, SharedError, SharedInfo, SharedText,
    Watch, WatchEvent,
};

/// How often the info facts are looked at while they show something under
/// way that writes no word when it ends or goes on: a lock held (its
/// milliseconds count), an instance attached without its PID (arriving,
/// leaving), an object the monitor cannot wait on (cut short).
const INFO_BUSY: Duration = Duration::from_millis(250);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum JobKind {
    Load,
    Save,
    Reset,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Job {
    Load,
    Save(String),
    Reset,
}

impl Job {
    pub(super) fn kind(&self) -> JobKind {
        match self {
            Self::Load => JobKind::Load,
            Self::Save(_) => JobKind::Save,
            Self::Reset => JobKind::Reset,
        }
    }
}

pub(super) enum Event {
    /// `slot`: on the mapping's roster; `window`: this process's window
    /// number (as in its title), if it has one.
    Opened {
        origin: Origin,
        slot: usize,
        window: Option<usize>,
    },
    OpenFailed(SharedError),
    Loaded(Loaded),
    Saved(Saved),
    ResetDone,
    Failed(SharedError),
    Live(Loaded),
    Removed,
    Info(Box<SharedInfo>),
    /// The account's open windows changed (numbers and PIDs).
    Windows(Vec<OpenWindow>),
}

/// This process's window number among `windows`.
pub(super) fn own_window(windows: &[OpenWindow]) -> Option<usize> {
    let pid = std::process::id();
    windows
        .iter()
        .find(|w| w.pid == Some(pid))
        .map(|w| w.number)
}

/// The threads serving one attachment; dropping it detaches.
pub(super) struct Connection {
    pub(super) jobs: Sender<Job>,
    pub(super) events: Receiver<Event>,
    live: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    /// Rung to wake the monitor: Live turned on or off, the connection ends.
    bell: Arc<Doorbell>,
    threads: Vec<JoinHandle<()>>,
}

impl Connection {
    pub(super) fn start(
        backing: Backing,
        live: bool,
        check_every: Duration,
        ctx: &egui::Context,
    ) -> Self {
        let (jobs, job_rx) = mpsc::channel();
        let (event_tx, events) = mpsc::channel();
        let live = Arc::new(AtomicBool::new(live));
        let stop = Arc::new(AtomicBool::new(false));
        let bell = Arc::new(Doorbell::new());
        let worker = {
            let (ctx, live, stop) = (ctx.clone(), live.clone(), stop.clone());
            let flags = Flags {
                live,
                stop,
                bell: bell.clone(),
                check_every,
            };
            std::thread::Builder::new()
                .name("shared-text worker".into())
                .spawn(move || worker(&backing, &job_rx, &event_tx, &ctx, flags))
        };
        Self {
            jobs,
            events,
            live,
            stop,
            bell,
            threads: worker.into_iter().collect(),
        }
    }

    /// Turns Live on or off; never blocks (the monitor is only woken).
    pub(super) fn set_live(&self, live: bool) {
        self.live.store(live, Ordering::Relaxed);
        self.bell.ring();
    }

    /// Detaches off the UI thread: the worker may be waiting up to a second
    /// for the lock.
    pub(super) fn detach_in_background(self) {
        let _ = std::thread::Builder::new()
            .name("shared-text detach".into())
            .spawn(move || drop(self));
    }
}

impl Drop for Connection {
    /// Stops the threads and waits (briefly) for them to detach from the mapping.
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        self.bell.ring();
        let (jobs, _) = mpsc::channel();
        drop(std::mem::replace(&mut self.jobs, jobs));
        let deadline = Instant::now() + Duration::from_secs(2);
        for thread in self.threads.drain(..) {
            while !thread.is_finished() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(5));
            }
            if thread.is_finished() {
                let _ = thread.join();
            }
        }
    }
}

fn send(events: &Sender<Event>, ctx: &egui::Context, event: Event) {
    if events.send(event).is_ok() {
        ctx.request_repaint();
    }
}

/// What the UI thread tells the monitor.
struct Flags {
    live: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    bell: Arc<Doorbell>,
    /// The longest wait while nothing announces a change.
    check_every: Duration,
}

fn worker(
    backing: &Backing,
    jobs: &Receiver<Job>,
    events: &Sender<Event>,
    ctx: &egui::Context,
    flags: Flags,
) {
    let shared = match SharedText::attach(backing) {
        Ok(shared) => Arc::new(shared),
        Err(e) => return send(events, ctx, Event::OpenFailed(e)),
    };
    let opened = Event::Opened {
        origin: shared.origin().clone(),
        slot: shared.instance_number(),
        window: instances::open_windows().ok().and_then(|w| own_window(&w)),
    };
    send(events, ctx, opened);
    let monitor = {
        let (shared, events, ctx) = (shared.clone(), events.clone(), ctx.clone());
        std::thread::Builder::new()
            .name("shared-text monitor".into())
            .spawn(move || monitor(&shared, &events, &ctx, &flags))
    };
    let run = |job: Job| {
        let event = match job {
            Job::Load => shared.load().map(Event::Loaded),
            Job::Save(text) => shared.save(&text).map(Event::Saved),
            Job::Reset => shared.reset().map(|()| Event::ResetDone),
        };
        send(events, ctx, event.unwrap_or_else(Event::Failed));
    };
    // As in the book, the form shows the shared string when it opens.
    run(Job::Load);
    while let Ok(job) = jobs.recv() {
        run(job);
    }
    if let Ok(monitor) = monitor {
        let _ = monitor.join();
    }
}

/// Follows the mapping with the engine's watch while Live is on, and
/// refreshes the info facts, sending only what changed. Between looks it
/// sleeps until one of the object's words it read before looking changes
/// or is woken (a save, a hold, an instance arriving or leaving), the bell
/// rings (Live turned on or off, the end), or a second passes (what no
/// write announces); a quarter of a second while the info shows something
/// under way.
fn monitor(shared: &SharedText, events: &Sender<Event>, ctx: &egui::Context, flags: &Flags) {
    let mut watch: Option<Watch> = None;
    let mut last_info: Option<SharedInfo> = None;
    let mut last_windows: Option<Vec<OpenWindow>> = None;
    let mut last_quick: Option<QuickLook> = None;
    // The facts showed something under way at the last look (or none were
    // read yet): read them again, whatever the quick look says.
    let mut busy = true;
    while !flags.stop.load(Ordering::Relaxed) {
        // Read before looking: whatever changes while it looks ends the
        // wait below at once, so nothing shows late.
        let rung = flags.bell.rung();
        let seen = shared.activity();
        if flags.live.load(Ordering::Relaxed) {
            // A new watch loads at once: turning Live on shows the value now.
            match watch.get_or_insert_with(Watch::new).poll(shared) {
                Some(WatchEvent::Value(loaded)) => send(events, ctx, Event::Live(loaded)),
                Some(WatchEvent::Failed(e)) => send(events, ctx, Event::Failed(e)),
                Some(WatchEvent::Removed) => send(events, ctx, Event::Removed),
                None => {}
            }
        } else {
            watch = None;
        }
        // The facts cost far more than a look at where they come from: on
        // a look that finds nothing changed (the once-a-second one, mostly)
        // they are not read again.
        let quick = shared.quick_look();
        if busy || quick.is_none() || quick != last_quick {
            let info = shared.info().ok();
            busy = seen.is_none() || info.as_ref().is_none_or(under_way);
            if let Some(info) = info
                && last_info.as_ref() != Some(&info)
            {
                last_info = Some(info.clone());
                send(events, ctx, Event::Info(Box::new(info)));
            }
            if let Ok(windows) = instances::open_windows()
                && last_windows.as_ref() != Some(&windows)
            {
                last_windows = Some(windows.clone());
                send(events, ctx, Event::Windows(windows));
            }
            last_quick = quick;
        }
        let timeout = if busy { INFO_BUSY } else { flags.check_every };
        let waited = seen
            .as_ref()
            .is_some_and(|seen| shared.wait_for_activity(seen, &flags.bell, rung, timeout));
        if !waited {
            std::thread::sleep(INFO_BUSY);
        }
    }
}

/// True while the info shows something that goes on without a word of the
/// object changing: a lock held (its milliseconds count; a load's lock is
/// given back without a write), an instance attached without its PID (one
/// arriving or leaving, whose slot lock changes after its PID word).
fn under_way(info: &SharedInfo) -> bool {
    matches!(info.lock, LockState::Held { .. }) || info.attached.iter().any(|a| a.pid.is_none())
}
