//! Work off the UI thread: threads that stop when their owner goes away
//! ([`StoppingThreads`]), and one job with progress and Cancel ([`Job`]).
//!
//! The UI thread never runs anything that can take long; it starts a thread,
//! reads its progress from an atomic and its result from a channel, and
//! repaints while it runs. Dropping the owner (closing the window, switching
//! a mapping, a new run) raises the stop signal and waits a moment for the
//! threads, so they end cleanly without ever freezing the window.

use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use eframe::egui;

use memlab_engine::i18n::Lang;

/// How long dropping [`StoppingThreads`] waits for its threads in all; a
/// thread still running then is left to end on its own.
pub const JOIN_GRACE: Duration = Duration::from_secs(2);
/// Repaint period while a [`Job`] runs (its progress bar moves).
const JOB_REPAINT: Duration = Duration::from_millis(30);

/// A stop request shared by an owner and its threads. Threads poll it
/// ([`is_raised`](Self::is_raised)) or sleep on it ([`wait`](Self::wait)),
/// waking at once when it is raised.
#[derive(Clone, Default)]
pub struct Stop(Arc<StopState>);

#[derive(Default)]
struct StopState {
    raised: AtomicBool,
    lock: Mutex<()>,
    wake: Condvar,
}

impl Stop {
    /// Asks every thread holding this signal to stop.
    pub fn raise(&self) {
        self.0.raised.store(true, Ordering::SeqCst);
        // Taking the lock orders this notify after any waiter's check of
        // `raised`, so no waiter sleeps through it.
        let _guard = self.0.lock.lock().unwrap_or_else(PoisonError::into_inner);
        self.0.wake.notify_all();
    }

    pub fn is_raised(&self) -> bool {
        self.0.raised.load(Ordering::Relaxed)
    }

    /// Sleeps up to `timeout`, less if the signal is raised; true if raised.
    pub fn wait(&self, timeout: Duration) -> bool {
        let guard = self.0.lock.lock().unwrap_or_else(PoisonError::into_inner);
        let _ = self
            .0
            .wake
            .wait_timeout_while(guard, timeout, |_| !self.0.raised.load(Ordering::SeqCst))
            .unwrap_or_else(PoisonError::into_inner);
        self.is_raised()
    }
}

/// Threads sharing one [`Stop`]. Dropping this raises it, then waits up to
/// [`JOIN_GRACE`] for the threads to end.
///
/// An owner that must also close a channel its threads wait on declares the
/// sender before this field: fields drop in order, so the channel closes,
/// then the stop is raised and the threads are joined.
#[derive(Default)]
pub struct StoppingThreads {
    stop: Stop,
    threads: Vec<JoinHandle<()>>,
}

impl StoppingThreads {
    pub fn new() -> Self {
        Self::default()
    }

    /// The signal the threads get; raise it to stop them without waiting.
    pub fn stop(&self) -> &Stop {
        &self.stop
    }

    /// Starts a named thread running `body`, which gets the stop signal.
    pub fn spawn(
        &mut self,
        name: &str,
        body: impl FnOnce(Stop) + Send + 'static,
    ) -> io::Result<()> {
        let stop = self.stop.clone();
        let thread = std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || body(stop))?;
        self.threads.push(thread);
        Ok(())
    }
}

impl Drop for StoppingThreads {
    fn drop(&mut self) {
        self.stop.raise();
        let deadline = Instant::now() + JOIN_GRACE;
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

/// What [`Job::poll`] found.
pub enum Poll<T> {
    Running,
    Done(T),
    /// The thread ended without a result (it panicked).
    Lost,
}

/// One piece of work on its own thread, with progress and Cancel. The work
/// gets a `progress(done, total) -> bool` callback (the signature of the
/// core's long operations); it returns false once Cancel was pressed.
/// Dropping the job cancels it and waits briefly for the thread.
pub struct Job<T> {
    outcome: Receiver<T>,
    /// (done, total) packed in one atomic, so the UI never reads a torn pair.
    progress: Arc<AtomicU64>,
    started: Instant,
    ctx: egui::Context,
    /// Last, so that it is dropped (stop, join) after the rest.
    threads: StoppingThreads,
}

impl<T: Send + 'static> Job<T> {
    /// Starts `work` on a thread named `name`; the window repaints when it ends.
    pub fn start(
        name: &str,
        ctx: &egui::Context,
        work: impl FnOnce(&dyn Fn(u32, u32) -> bool) -> T + Send + 'static,
    ) -> io::Result<Self> {
        let progress = Arc::new(AtomicU64::new(0));
        let (tx, outcome) = mpsc::channel();
        let mut threads = StoppingThreads::new();
        {
            let (progress, ctx) = (progress.clone(), ctx.clone());
            threads.spawn(name, move |stop| {
                let report = |done: u32, total: u32| {
                    let packed = (u64::from(done) << 32) | u64::from(total);
                    progress.store(packed, Ordering::Relaxed);
                    !stop.is_raised()
                };
                let result = work(&report);
                let _ = tx.send(result);
                ctx.request_repaint();
            })?;
        }
        Ok(Self {
            outcome,
            progress,
            started: Instant::now(),
            ctx: ctx.clone(),
            threads,
        })
    }
}

impl<T> Job<T> {
    /// The result once there is one; while running, asks for the next frame
    /// soon so that the progress shown moves.
    pub fn poll(&self) -> Poll<T> {
        match self.outcome.try_recv() {
            Ok(result) => Poll::Done(result),
            Err(TryRecvError::Empty) => {
                self.ctx.request_repaint_after(JOB_REPAINT);
                Poll::Running
            }
            Err(TryRecvError::Disconnected) => Poll::Lost,
        }
    }

    /// Asks the work to stop; its result still arrives through [`poll`](Self::poll).
    pub fn cancel(&self) {
        self.threads.stop().raise();
    }

    pub fn cancelling(&self) -> bool {
        self.threads.stop().is_raised()
    }

    /// The last (done, total) the work reported.
    pub fn progress(&self) -> (u32, u32) {
        let v = self.progress.load(Ordering::Relaxed);
        ((v >> 32) as u32, v as u32)
    }

    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Cancel and a progress bar reading `done / total unit · seconds`.
    /// Both have fixed widths, so nothing moves as the numbers grow.
    pub fn progress_ui(&self, ui: &mut egui::Ui, lang: Lang, unit: &str) {
        let (done, total) = self.progress();
        self.progress_ui_with(ui, lang, &format!("{done} / {total} {unit}"));
    }

    /// Like [`progress_ui`](Self::progress_ui) with the bar's text given
    /// (`text · seconds`), e.g. for a phase that is not counted.
    pub fn progress_ui_with(&self, ui: &mut egui::Ui, lang: Lang, text: &str) {
        let cancelling = self.cancelling();
        let label = if cancelling {
            lang.pick("Cancelling…", "취소하는 중…")
        } else {
            lang.pick("Cancel", "취소")
        };
        let button = egui::Button::new(label).min_size(egui::vec2(96.0, 0.0));
        if ui.add_enabled(!cancelling, button).clicked() {
            self.cancel();
        }
        self.bar_ui(ui, text.to_owned());
    }

    fn bar_ui(&self, ui: &mut egui::Ui, text: String) {
        let (done, total) = self.progress();
        let fraction = if total == 0 {
            0.0
        } else {
            done as f32 / total as f32
        };
        ui.add(
            egui::ProgressBar::new(fraction)
                .desired_width(super::field_width(ui, 300.0))
                .text(format!("{text} · {:.1} s", self.elapsed().as_secs_f64())),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wait_wakes_when_raised_and_times_out_otherwise() {
        let stop = Stop::default();
        let t0 = Instant::now();
        assert!(!stop.wait(Duration::from_millis(30)));
        assert!(t0.elapsed() >= Duration::from_millis(30));
        let raiser = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(20));
                stop.raise();
            })
        };
        // Woken by the raise, not by the end of a wait far longer than any
        // scheduling delay (how soon is no test's: the machine is shared).
        assert!(stop.wait(Duration::from_secs(600)), "woken by raise");
        raiser.join().unwrap();
        assert!(stop.wait(Duration::from_secs(10)), "stays raised");
    }

    #[test]
    fn dropping_stops_and_joins_the_threads() {
        let ended = Arc::new(AtomicBool::new(false));
        let mut threads = StoppingThreads::new();
        {
            let ended = ended.clone();
            threads
                .spawn("test sleeper", move |stop| {
                    while !stop.wait(Duration::from_secs(60)) {}
                    ended.store(true, Ordering::SeqCst);
                })
                .unwrap();
        }
        // Ended (so joined, not given up on after JOIN_GRACE) although it
        // waits 60 s at a time: the drop raised its stop.
        drop(threads);
        assert!(ended.load(Ordering::SeqCst), "joined after it ended");
    }

    #[test]
    fn dropping_gives_up_on_a_stuck_thread_after_the_grace() {
        let mut threads = StoppingThreads::new();
        // Ignores the stop; the test process ends it.
        threads
            .spawn("test stuck", |_| {
                std::thread::sleep(Duration::from_secs(600))
            })
            .unwrap();
        let t0 = Instant::now();
        drop(threads);
        let waited = t0.elapsed();
        // Not the stuck thread's 600 s: a minute past the grace is a hang.
        assert!(
            waited >= JOIN_GRACE && waited < JOIN_GRACE + Duration::from_secs(60),
            "{waited:?}"
        );
    }

    fn wait_done<T>(job: &Job<T>) -> Option<T> {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            match job.poll() {
                Poll::Done(t) => return Some(t),
                Poll::Lost => return None,
                Poll::Running => std::thread::sleep(Duration::from_millis(5)),
            }
        }
        panic!("the job did not end");
    }

    #[test]
    fn a_job_reports_progress_and_stops_on_cancel() {
        let ctx = egui::Context::default();
        let job = Job::start("test job", &ctx, |progress| {
            let mut done = 0;
            while progress(done, 1_000_000) {
                done += 1;
                std::thread::sleep(Duration::from_micros(100));
            }
            done
        })
        .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while job.progress().0 < 10 {
            assert!(Instant::now() < deadline, "no progress");
            std::thread::sleep(Duration::from_millis(1));
        }
        assert_eq!(job.progress().1, 1_000_000);
        assert!(matches!(job.poll(), Poll::Running));
        job.cancel();
        assert!(job.cancelling());
        let done = wait_done(&job).expect("a result after cancel");
        assert!((10..1_000_000).contains(&done));
    }

    #[test]
    fn a_job_that_panics_is_lost_not_hung() {
        let ctx = egui::Context::default();
        let job: Job<u32> = Job::start("test panics", &ctx, |_| panic!("on purpose")).unwrap();
        assert!(wait_done(&job).is_none());
    }
}
