//! `BookMutex`: one instance's handle on a lock of the lesson, every lock
//! and unlock made on a thread of its own (see the module's notes). The
//! lock itself is this OS's `Lock` (`linux::lock`, `windows::lock`), which
//! only that thread ever touches.

use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use super::sys::Lock;
use super::{
    AcquireReport, GuardedData, Look, MutexError, MutexKind, MutexState, ResetReport, validate_name,
};

type Job = Box<dyn FnOnce(&mut Lock) + Send>;

/// One instance's handle on the lesson's lock `name` of one kind.
pub struct BookMutex {
    kind: MutexKind,
    name: String,
    jobs: Option<mpsc::Sender<Job>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for BookMutex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BookMutex")
            .field("kind", &self.kind)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl BookMutex {
    /// Opens (creating on first use) the lock `name` of `kind`.
    pub fn open(name: &str, kind: MutexKind) -> Result<Self, MutexError> {
        validate_name(name)?;
        let name_owned = name.to_owned();
        let (jobs, inbox) = mpsc::channel::<Job>();
        let (ready_tx, ready) = mpsc::sync_channel(1);
        let thread = std::thread::Builder::new()
            .name(format!("mutex-{}", kind.cli_name()))
            .spawn(move || {
                let mut lock = match Lock::open(&name_owned, kind) {
                    Ok(lock) => {
                        let _ = ready_tx.send(Ok(()));
                        lock
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                for job in inbox {
                    job(&mut lock);
                }
                lock.let_go();
            })
            .map_err(|e| MutexError::io("starting the lock's thread", e))?;
        ready.recv().map_err(|_| MutexError::OwnerGone)??;
        Ok(Self {
            kind,
            name: name.into(),
            jobs: Some(jobs),
            thread: Some(thread),
        })
    }

    pub fn kind(&self) -> MutexKind {
        self.kind
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    fn call<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Lock) -> R + Send + 'static,
    ) -> Result<R, MutexError> {
        let (tx, rx) = mpsc::sync_channel(1);
        let job: Job = Box::new(move |lock| {
            let _ = tx.send(f(lock));
        });
        self.jobs
            .as_ref()
            .ok_or(MutexError::OwnerGone)?
            .send(job)
            .map_err(|_| MutexError::OwnerGone)?;
        rx.recv().map_err(|_| MutexError::OwnerGone)
    }

    /// `LockMap`: waits at most `timeout` (the book: 1000 ms).
    pub fn acquire(&self, timeout: Duration) -> Result<AcquireReport, MutexError> {
        self.call(move |lock| lock.acquire(timeout))?
    }

    /// `UnlockMap`.
    pub fn release(&self) -> Result<(), MutexError> {
        self.call(Lock::release)?
    }

    /// Who holds it, without taking it.
    pub fn state(&self) -> Result<MutexState, MutexError> {
        self.call(Lock::state)
    }

    /// Who holds it and the data it guards, without taking it.
    pub fn look(&self) -> Result<Look, MutexError> {
        self.call(Lock::look)
    }

    /// A move of the guarded data (100 from one account to the other, in
    /// two steps) while this instance holds the lock; with `whole` false
    /// only the first step, as a holder killed half-way leaves it. The data
    /// as written.
    pub fn write_data(&self, whole: bool) -> Result<GuardedData, MutexError> {
        self.call(move |lock| lock.write_data(whole))?
    }

    /// Re-initialises a lock left locked by a dead holder, or whose bytes
    /// are corrupt (releasing it first if this instance holds it), and undoes
    /// a half move of its data; refuses while a running process holds it.
    pub fn reset(&self) -> Result<ResetReport, MutexError> {
        self.call(Lock::reset)?
    }
}

impl Drop for BookMutex {
    fn drop(&mut self) {
        // Closing the channel ends the thread, which releases a held lock.
        self.jobs.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
