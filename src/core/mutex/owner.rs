//! `BookMutex`: one instance's handle on a lock of the lesson, every lock
//! and unlock made on a thread of its own (see the module's notes).

use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use raw_sync::Timeout;
use raw_sync::locks::{LockImpl, LockInit, Mutex};

use super::block::Block;
use super::{
    AcquireReport, AcquireResult, MutexError, MutexKind, MutexState, ResetOutcome, alive,
    validate_name,
};
use crate::core::filemap::flock_holder;
use crate::core::timed_lock::{AcquireError, FileLock};

/// Pause between two attempts when raw_sync's timed wait cannot be used.
const POLL: Duration = Duration::from_millis(1);
/// How long a reset waits for a holder to record its PID before judging it dead.
const RECORD_GRACE: Duration = Duration::from_millis(20);

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
                if lock.held {
                    let _ = lock.release();
                }
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
        self.call(|lock| lock.state())
    }

    /// Re-initialises a lock left locked by a dead holder (releasing it
    /// first if this instance holds it); refuses while a live process does.
    pub fn reset(&self) -> Result<ResetOutcome, MutexError> {
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

enum Engine {
    /// flock on this instance's own open file of the block's object.
    File {
        lock: FileLock,
        _block: Block,
    },
    RawSync {
        mutex: Box<dyn LockImpl>,
        block: Block,
    },
    Robust {
        block: Block,
    },
}

struct Lock {
    kind: MutexKind,
    engine: Engine,
    held: bool,
}

impl Lock {
    fn open(name: &str, kind: MutexKind) -> Result<Self, MutexError> {
        let block = Block::open(name)?;
        let engine = match kind {
            MutexKind::FileLock => Engine::File {
                lock: FileLock::from_file(block.lock_file()?),
                _block: block,
            },
            MutexKind::RawSync => {
                let (mem, data) = block.raw_ptrs();
                // SAFETY: the block initialised raw_sync's mutex at `mem`,
                // inside our mapping; the handle is dropped before the
                // mapping (field order in `Engine::RawSync`).
                let (mutex, _) = unsafe { Mutex::from_existing(mem, data) }.map_err(|e| {
                    MutexError::RawSync {
                        message: e.to_string(),
                    }
                })?;
                Engine::RawSync { block, mutex }
            }
            MutexKind::Robust => Engine::Robust { block },
        };
        Ok(Self {
            kind,
            engine,
            held: false,
        })
    }

    fn acquire(&mut self, timeout: Duration) -> Result<AcquireReport, MutexError> {
        if self.held {
            return Err(MutexError::AlreadyHeld { kind: self.kind });
        }
        let start = Instant::now();
        let mut deadline_bug = false;
        let result = match &self.engine {
            Engine::File { lock, .. } => match lock.acquire(timeout) {
                Ok(guard) => {
                    // Kept until `release` unlocks the file.
                    std::mem::forget(guard);
                    AcquireResult::Acquired
                }
                Err(AcquireError::TimedOut(_)) => AcquireResult::TimedOut {
                    holder: flock_holder(lock.file()).map(|(h, _)| h.pid),
                },
                Err(AcquireError::Io(e)) => return Err(MutexError::io("taking the file lock", e)),
            },
            Engine::RawSync { block, mutex } => {
                let (result, bug) = raw_sync_wait(mutex.as_ref(), timeout, start)?;
                deadline_bug = bug;
                match result {
                    true => {
                        block
                            .header()
                            .raw_holder
                            .store(std::process::id(), Ordering::Release);
                        AcquireResult::Acquired
                    }
                    false => match block.header().raw_holder.load(Ordering::Acquire) {
                        0 => AcquireResult::TimedOut { holder: None },
                        pid if alive(pid) => AcquireResult::TimedOut { holder: Some(pid) },
                        pid => AcquireResult::Stuck { dead_holder: pid },
                    },
                }
            }
            Engine::Robust { block } => robust_wait(block, timeout)?,
        };
        self.held = result.acquired();
        Ok(AcquireReport {
            kind: self.kind,
            result,
            waited: start.elapsed(),
            deadline_bug,
        })
    }

    fn release(&mut self) -> Result<(), MutexError> {
        if !self.held {
            return Err(MutexError::NotHeld { kind: self.kind });
        }
        match &self.engine {
            Engine::File { lock, .. } => lock
                .file()
                .unlock()
                .map_err(|e| MutexError::io("releasing the file lock", e))?,
            Engine::RawSync { block, mutex } => {
                block.header().raw_holder.store(0, Ordering::Release);
                mutex.release().map_err(|e| MutexError::RawSync {
                    message: e.to_string(),
                })?;
            }
            Engine::Robust { block } => {
                block.header().robust_holder.store(0, Ordering::Release);
                // SAFETY: the mutex in our mapping, locked by this very thread.
                let rc = unsafe { libc::pthread_mutex_unlock(block.robust_ptr()) };
                if rc != 0 {
                    return Err(MutexError::Pthread {
                        call: "pthread_mutex_unlock",
                        errno: rc,
                    });
                }
            }
        }
        self.held = false;
        Ok(())
    }

    fn state(&self) -> MutexState {
        if self.held {
            return MutexState::HeldHere;
        }
        let recorded = |pid: u32, dead: fn(u32) -> MutexState| match pid {
            0 => MutexState::Free,
            pid if alive(pid) => MutexState::Held { pid: Some(pid) },
            pid => dead(pid),
        };
        match &self.engine {
            Engine::File { lock, .. } => match flock_holder(lock.file()) {
                Some((holder, _)) => MutexState::Held {
                    pid: Some(holder.pid),
                },
                None => MutexState::Free,
            },
            Engine::RawSync { block, .. } => {
                recorded(block.header().raw_holder.load(Ordering::Acquire), |pid| {
                    MutexState::Stuck { pid }
                })
            }
            Engine::Robust { block } => recorded(
                block.header().robust_holder.load(Ordering::Acquire),
                |pid| MutexState::Abandoned { pid },
            ),
        }
    }

    fn reset(&mut self) -> Result<ResetOutcome, MutexError> {
        if self.held {
            self.release()?;
        }
        let (block, free) = match &self.engine {
            Engine::File { .. } => return Ok(ResetOutcome::NothingToReset),
            Engine::RawSync { block, mutex } => {
                let (taken, _) = raw_sync_wait(mutex.as_ref(), Duration::ZERO, Instant::now())?;
                if taken {
                    mutex.release().map_err(|e| MutexError::RawSync {
                        message: e.to_string(),
                    })?;
                }
                (block, taken)
            }
            Engine::Robust { block } => {
                // SAFETY: the mutex in our mapping; trylock never blocks.
                let rc = unsafe { libc::pthread_mutex_trylock(block.robust_ptr()) };
                match rc {
                    0 | libc::EOWNERDEAD => {
                        let dead = block.header().robust_holder.swap(0, Ordering::AcqRel);
                        // SAFETY: we own the mutex now (it was free or abandoned).
                        unsafe {
                            if rc == libc::EOWNERDEAD {
                                libc::pthread_mutex_consistent(block.robust_ptr());
                            }
                            libc::pthread_mutex_unlock(block.robust_ptr());
                        }
                        return Ok(if rc == 0 {
                            ResetOutcome::WasFree
                        } else {
                            ResetOutcome::Reinitialised {
                                dead_holder: (dead != 0).then_some(dead),
                            }
                        });
                    }
                    libc::EBUSY => (block, false),
                    libc::ENOTRECOVERABLE => (block, false),
                    rc => {
                        return Err(MutexError::Pthread {
                            call: "pthread_mutex_trylock",
                            errno: rc,
                        });
                    }
                }
            }
        };
        if free {
            return Ok(ResetOutcome::WasFree);
        }
        let holder = || match self.kind {
            MutexKind::RawSync => block.header().raw_holder.load(Ordering::Acquire),
            _ => block.header().robust_holder.load(Ordering::Acquire),
        };
        let mut pid = holder();
        if pid == 0 {
            // A holder may be between locking and recording its PID.
            std::thread::sleep(RECORD_GRACE);
            pid = holder();
        }
        if pid != 0 && alive(pid) {
            return Err(MutexError::ResetRefused {
                kind: self.kind,
                pid,
            });
        }
        block.under_gate(|| match self.kind {
            MutexKind::RawSync => {
                block.header().raw_holder.store(0, Ordering::Release);
                block.init_raw()
            }
            _ => {
                block.header().robust_holder.store(0, Ordering::Release);
                block.init_robust()
            }
        })??;
        Ok(ResetOutcome::Reinitialised {
            dead_holder: (pid != 0).then_some(pid),
        })
    }
}

/// raw_sync's timed wait, and memlab's way around its deadline bug: when it
/// fails at once with EINVAL, poll with a zero timeout (a valid deadline)
/// until `timeout` has passed. `(taken, hit_the_bug)`.
fn raw_sync_wait(
    mutex: &dyn LockImpl,
    timeout: Duration,
    start: Instant,
) -> Result<(bool, bool), MutexError> {
    let mut bug = false;
    let mut wait = timeout;
    loop {
        match mutex.try_lock(Timeout::Val(wait)) {
            Ok(guard) => {
                // Kept until `release`.
                std::mem::forget(guard);
                return Ok((true, bug));
            }
            Err(e) => {
                let message = e.to_string();
                match raw_sync_errno(&message) {
                    Some(libc::EINVAL) if start.elapsed() < timeout => {
                        bug = true;
                        wait = Duration::ZERO;
                    }
                    Some(libc::ETIMEDOUT) if bug && start.elapsed() < timeout => {
                        std::thread::sleep(POLL.min(timeout.saturating_sub(start.elapsed())));
                    }
                    Some(libc::ETIMEDOUT | libc::EINVAL) => return Ok((false, bug)),
                    _ => return Err(MutexError::RawSync { message }),
                }
            }
        }
    }
}

/// raw_sync reports errors as text ending in the pthread error number.
fn raw_sync_errno(message: &str) -> Option<i32> {
    message.rsplit(':').next()?.trim().parse().ok()
}

/// The robust mutex's timed wait, with a real CLOCK_REALTIME deadline.
fn robust_wait(block: &Block, timeout: Duration) -> Result<AcquireResult, MutexError> {
    let deadline = realtime_deadline(timeout);
    // SAFETY: the mutex lies in our mapping, initialised process-shared and
    // robust; `deadline` is a valid timespec.
    let rc = unsafe { libc::pthread_mutex_timedlock(block.robust_ptr(), &deadline) };
    let me = std::process::id();
    match rc {
        0 => {
            block.header().robust_holder.store(me, Ordering::Release);
            Ok(AcquireResult::Acquired)
        }
        libc::EOWNERDEAD => {
            let previous = block.header().robust_holder.swap(me, Ordering::AcqRel);
            // SAFETY: this thread owns the mutex (EOWNERDEAD hands it over).
            let rc = unsafe { libc::pthread_mutex_consistent(block.robust_ptr()) };
            if rc != 0 {
                return Err(MutexError::Pthread {
                    call: "pthread_mutex_consistent",
                    errno: rc,
                });
            }
            Ok(AcquireResult::AcquiredOwnerDied {
                previous: (previous != 0).then_some(previous),
            })
        }
        libc::ETIMEDOUT => {
            let pid = block.header().robust_holder.load(Ordering::Acquire);
            Ok(AcquireResult::TimedOut {
                holder: (pid != 0).then_some(pid),
            })
        }
        libc::ENOTRECOVERABLE => Err(MutexError::NotRecoverable),
        rc => Err(MutexError::Pthread {
            call: "pthread_mutex_timedlock",
            errno: rc,
        }),
    }
}

/// Now + `timeout` on CLOCK_REALTIME, nanoseconds carried into seconds
/// (the carry raw_sync forgets).
fn realtime_deadline(timeout: Duration) -> libc::timespec {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid timespec to fill.
    unsafe { libc::clock_gettime(libc::CLOCK_REALTIME, &mut now) };
    // Both terms are below 1e9, so the sum fits a 32-bit c_long too.
    let nanos = now.tv_nsec + timeout.subsec_nanos() as libc::c_long;
    libc::timespec {
        tv_sec: now.tv_sec
            + timeout.as_secs() as libc::time_t
            + (nanos / 1_000_000_000) as libc::time_t,
        tv_nsec: nanos % 1_000_000_000,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_sync_errors_give_their_number() {
        assert_eq!(raw_sync_errno("Failed to acquire mutex : 22"), Some(22));
        assert_eq!(raw_sync_errno("something else"), None);
    }

    #[test]
    fn deadlines_carry_nanoseconds() {
        let d = realtime_deadline(Duration::from_millis(999));
        assert!((0..1_000_000_000).contains(&d.tv_nsec));
    }
}
