//! `BookMutex`: one instance's handle on a lock of the lesson, every lock
//! and unlock made on a thread of its own (see the module's notes).

use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use raw_sync::Timeout;
use raw_sync::locks::{LockImpl, LockInit, Mutex};

use super::block::{Block, Record, Snapshot};
use super::bytes::{MUTEX_LEN, Seen};
use super::{
    AcquireReport, AcquireResult, BlockProblem, GuardedData, Holder, Look, MutexError, MutexKind,
    MutexState, ResetOutcome, ResetReport, validate_name,
};
use crate::os::claims;
use crate::os::claims::flock_holder;
use crate::os::clock::now_unix_ms;
use crate::os::timed_lock::{AcquireError, FileLock};

/// Pause between two attempts when raw_sync's timed wait cannot be used.
const POLL: Duration = Duration::from_millis(1);
/// How long a reset waits for a holder to record itself in the mutex
/// before judging the lock.
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

/// One lock of the lesson on its block, reached only from its own thread.
struct Lock {
    kind: MutexKind,
    name: String,
    block: Block,
    /// flock on this instance's own open file of the block's object (the
    /// file-lock kind only).
    file_lock: Option<FileLock>,
    held: bool,
    /// The mutex's bytes as this instance saw them right after locking it:
    /// what it unlocks if the object changes under it (see `release`).
    locked: Option<[u8; MUTEX_LEN]>,
}

impl Lock {
    fn open(name: &str, kind: MutexKind) -> Result<Self, MutexError> {
        let block = Block::open(name)?;
        let file_lock = match kind {
            MutexKind::FileLock => Some(FileLock::from_file(block.lock_file()?)),
            _ => None,
        };
        Ok(Self {
            kind,
            name: name.into(),
            block,
            file_lock,
            held: false,
            locked: None,
        })
    }

    fn corrupt(&self, problem: BlockProblem) -> MutexError {
        MutexError::Corrupt {
            kind: self.kind,
            name: self.name.clone(),
            problem,
        }
    }

    /// The block checked for this kind (and mapped again if a truncation
    /// took this instance's pages and someone has since repaired it).
    fn checked(&mut self) -> Result<(Snapshot, Option<Seen>), MutexError> {
        self.block.remap_if_replaced()?;
        self.block.check(self.kind).map_err(|p| self.corrupt(p))
    }

    /// raw_sync's handle on the mutex where this instance maps it now.
    fn raw_mutex(&self) -> Result<Box<dyn LockImpl>, MutexError> {
        let (mem, data) = self.block.raw_ptrs();
        // SAFETY: the block's raw_sync mutex at `mem`, inside the guarded
        // mapping; the handle only keeps the pointers and is dropped before
        // the mapping (it lives for one operation).
        unsafe { Mutex::from_existing(mem, data) }
            .map(|(mutex, _)| mutex)
            .map_err(|e| MutexError::RawSync {
                message: e.to_string(),
            })
    }

    /// Records this instance as the holder (for people to read) and keeps
    /// its own view of the mutex's bytes.
    fn after_locking(&mut self) {
        self.block.write_record(
            self.kind,
            Some(Record {
                pid: std::process::id(),
                tid: this_thread(),
                since_ms: now_unix_ms(),
            }),
        );
        self.locked = self.block.mapped_mutex(self.kind);
    }

    fn file_lock(&self) -> &FileLock {
        self.file_lock
            .as_ref()
            .expect("the file-lock kind has its file lock")
    }

    fn acquire(&mut self, timeout: Duration) -> Result<AcquireReport, MutexError> {
        if self.held {
            return Err(MutexError::AlreadyHeld { kind: self.kind });
        }
        // A corrupt block is said before any wait (the file lock itself
        // would work, but not the data it guards).
        self.checked()?;
        let start = Instant::now();
        let mut deadline_bug = false;
        let mut rolled_back = None;
        let result = match self.kind {
            MutexKind::FileLock => match self.file_lock().acquire(timeout) {
                Ok(guard) => {
                    // Kept until `release` unlocks the file.
                    std::mem::forget(guard);
                    AcquireResult::Acquired
                }
                Err(AcquireError::TimedOut(_)) => AcquireResult::TimedOut {
                    holder: flock_holder(self.file_lock().file())
                        .map_or(Holder::Unknown, |(h, _)| running_or_unknown(h.pid)),
                },
                Err(AcquireError::Io(e)) => return Err(MutexError::io("taking the file lock", e)),
            },
            MutexKind::RawSync => {
                let (result, bug) = self.raw_acquire(timeout, start)?;
                deadline_bug = bug;
                result
            }
            MutexKind::Robust => {
                let (result, rolled) = self.robust_acquire(timeout)?;
                rolled_back = rolled;
                result
            }
        };
        self.held = result.acquired();
        let found = match rolled_back {
            Some(found) => Some(found),
            None if self.held => self.block.snapshot().ok().map(|s| s.data(self.kind)),
            None => None,
        };
        Ok(AcquireReport {
            kind: self.kind,
            result,
            waited: start.elapsed(),
            deadline_bug,
            found,
            rolled_back: rolled_back.is_some(),
        })
    }

    fn raw_acquire(
        &mut self,
        timeout: Duration,
        start: Instant,
    ) -> Result<(AcquireResult, bool), MutexError> {
        self.checked()?;
        let mutex = self.raw_mutex()?;
        let (taken, bug) = raw_sync_wait(mutex.as_ref(), timeout, start)?;
        if self.block.replaced() {
            if taken {
                // Taken on the private pages that replaced the vanished ones.
                let _ = mutex.release();
            }
            return Err(self.corrupt(BlockProblem::Vanished));
        }
        if taken {
            self.after_locking();
            return Ok((AcquireResult::Acquired, bug));
        }
        let (snap, seen) = self.checked()?;
        let result = match seen {
            Some(Seen::Held { tid }) if tid != 0 => match claims::process_of_thread(tid) {
                Some(pid) => AcquireResult::TimedOut {
                    holder: Holder::running(pid),
                },
                None => AcquireResult::Stuck {
                    holder: dead_holder(snap.record(self.kind), tid),
                },
            },
            _ => AcquireResult::TimedOut {
                holder: Holder::Unknown,
            },
        };
        Ok((result, bug))
    }

    /// The robust mutex's timed wait, with a real CLOCK_REALTIME deadline;
    /// the result, and the half-written data it found and rolled back.
    fn robust_acquire(
        &mut self,
        timeout: Duration,
    ) -> Result<(AcquireResult, Option<GuardedData>), MutexError> {
        let (before, seen) = self.checked()?;
        let owner_before = match seen {
            Some(Seen::Held { tid } | Seen::OwnerDied { tid }) => tid,
            Some(Seen::NotRecoverable) => return Err(MutexError::NotRecoverable),
            _ => 0,
        };
        let deadline = realtime_deadline(timeout);
        let mutex = self.block.robust_ptr();
        // SAFETY: the mutex lies in the guarded mapping, checked just now to
        // be the robust process-shared mutex memlab made; `deadline` is a
        // valid timespec.
        let rc = unsafe { libc::pthread_mutex_timedlock(mutex, &deadline) };
        if self.block.replaced() {
            if matches!(rc, 0 | libc::EOWNERDEAD) {
                // Taken on the private pages that replaced the vanished ones.
                // SAFETY: this thread owns that private copy.
                unsafe { libc::pthread_mutex_unlock(mutex) };
            }
            return Err(self.corrupt(BlockProblem::Vanished));
        }
        match rc {
            0 => {
                self.after_locking();
                Ok((AcquireResult::Acquired, None))
            }
            libc::EOWNERDEAD => {
                let previous = dead_holder(before.record(self.kind), owner_before);
                // WAIT_ABANDONED: check the data before trusting it again.
                let rolled = self.roll_back_half_move();
                // SAFETY: this thread owns the mutex (EOWNERDEAD hands it over).
                let rc = unsafe { libc::pthread_mutex_consistent(mutex) };
                if rc != 0 {
                    return Err(MutexError::Pthread {
                        call: "pthread_mutex_consistent",
                        errno: rc,
                    });
                }
                self.after_locking();
                Ok((AcquireResult::AcquiredOwnerDied { previous }, rolled))
            }
            libc::ETIMEDOUT => {
                let (snap, seen) = self.checked()?;
                let holder = match seen {
                    Some(Seen::Held { tid }) => match claims::process_of_thread(tid) {
                        Some(pid) => Holder::running(pid),
                        None => {
                            return Ok((
                                AcquireResult::Stuck {
                                    holder: dead_holder(snap.record(self.kind), tid),
                                },
                                None,
                            ));
                        }
                    },
                    _ => Holder::Unknown,
                };
                Ok((AcquireResult::TimedOut { holder }, None))
            }
            libc::ENOTRECOVERABLE => Err(MutexError::NotRecoverable),
            rc => Err(match self.checked() {
                // The bytes changed between the check and the call.
                Err(e @ MutexError::Corrupt { .. }) => e,
                _ => MutexError::Pthread {
                    call: "pthread_mutex_timedlock",
                    errno: rc,
                },
            }),
        }
    }

    /// Undoes a half move the data shows, while this instance holds the
    /// lock; the half-written data, if there was a move to undo.
    fn roll_back_half_move(&self) -> Option<GuardedData> {
        let data = self.block.snapshot().ok()?.data(self.kind);
        (data.half_written() && self.block.write_data(self.kind, data.repaired()).is_ok())
            .then_some(data)
    }

    /// A move of the guarded data while holding the lock: both steps, or
    /// with `whole` false only the first (for a holder about to die).
    fn write_data(&mut self, whole: bool) -> Result<GuardedData, MutexError> {
        if !self.held {
            return Err(MutexError::NotHeld { kind: self.kind });
        }
        let snap = self.block.snapshot().map_err(|p| self.corrupt(p))?;
        let begun = snap.data(self.kind).begun(std::process::id());
        self.block
            .write_data(self.kind, begun)
            .map_err(|p| self.corrupt(p))?;
        if !whole {
            return Ok(begun);
        }
        let done = begun.finished();
        self.block
            .write_data(self.kind, done)
            .map_err(|p| self.corrupt(p))?;
        Ok(done)
    }

    fn release(&mut self) -> Result<(), MutexError> {
        if !self.held {
            return Err(MutexError::NotHeld { kind: self.kind });
        }
        if self.kind == MutexKind::FileLock {
            self.file_lock()
                .file()
                .unlock()
                .map_err(|e| MutexError::io("releasing the file lock", e))?;
            self.held = false;
            return Ok(());
        }
        self.held = false;
        let locked = self.locked.take();
        // Still ours, as this instance left it? Otherwise the object was
        // truncated or overwritten under it: unlock a private copy of what
        // it last saw (which keeps this thread's robust list whole) and
        // leave the object alone.
        let problem = match self.block.check(self.kind) {
            _ if self.block.replaced() => Some(BlockProblem::Vanished),
            Ok((_, Some(Seen::Held { tid }))) if tid == this_thread() => None,
            Ok(_) => Some(BlockProblem::ChangedUnderHolder),
            Err(problem) => Some(problem),
        };
        if let Some(problem) = problem {
            if let Some(image) = locked {
                self.block.detach(self.kind, &image);
                if self.kind == MutexKind::Robust && self.block.replaced() {
                    // SAFETY: the private copy of the mutex this thread
                    // locked, as it was right after locking.
                    unsafe { libc::pthread_mutex_unlock(self.block.robust_ptr()) };
                }
            }
            return Err(MutexError::LostWhileHeld {
                kind: self.kind,
                name: self.name.clone(),
                problem,
            });
        }
        let result = match self.kind {
            MutexKind::RawSync => self
                .raw_mutex()?
                .release()
                .map_err(|e| MutexError::RawSync {
                    message: e.to_string(),
                }),
            _ => {
                // SAFETY: the robust mutex in the guarded mapping, checked
                // just now to be locked by this very thread.
                let rc = unsafe { libc::pthread_mutex_unlock(self.block.robust_ptr()) };
                match rc {
                    0 => Ok(()),
                    rc => Err(MutexError::Pthread {
                        call: "pthread_mutex_unlock",
                        errno: rc,
                    }),
                }
            }
        };
        if self.block.replaced() {
            return Err(MutexError::LostWhileHeld {
                kind: self.kind,
                name: self.name.clone(),
                problem: BlockProblem::Vanished,
            });
        }
        result
    }

    fn look(&mut self) -> Look {
        let state = self.state();
        let data = self.block.snapshot().ok().map(|s| s.data(self.kind));
        Look { state, data }
    }

    fn state(&mut self) -> MutexState {
        let (snap, seen) = match self.checked() {
            Ok(checked) => checked,
            Err(MutexError::Corrupt { problem, .. }) => return MutexState::Corrupt { problem },
            Err(_) => {
                return MutexState::Corrupt {
                    problem: BlockProblem::Unreadable,
                };
            }
        };
        if self.held {
            return MutexState::HeldHere;
        }
        match seen {
            None => match flock_holder(self.file_lock().file()) {
                Some((holder, _)) => MutexState::Held {
                    holder: running_or_unknown(holder.pid),
                },
                None => MutexState::Free,
            },
            Some(Seen::Free) => MutexState::Free,
            Some(Seen::Held { tid: 0 }) => MutexState::Held {
                holder: Holder::Unknown,
            },
            Some(Seen::Held { tid }) => match claims::process_of_thread(tid) {
                Some(pid) => MutexState::Held {
                    holder: Holder::running(pid),
                },
                None => MutexState::Stuck {
                    holder: dead_holder(snap.record(self.kind), tid),
                },
            },
            Some(Seen::OwnerDied { tid }) => MutexState::Abandoned {
                holder: dead_holder(snap.record(self.kind), tid),
            },
            Some(Seen::NotRecoverable) => MutexState::NotRecoverable,
        }
    }

    fn reset(&mut self) -> Result<ResetReport, MutexError> {
        if self.held {
            match self.release() {
                Ok(()) | Err(MutexError::LostWhileHeld { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        let kind = self.kind;
        let report = |outcome, repaired| ResetReport {
            kind,
            outcome,
            repaired,
        };
        let (snap, seen) = match self.checked() {
            Ok(checked) => checked,
            Err(MutexError::Corrupt { problem, .. }) => {
                self.block.reinitialise(kind)?;
                return Ok(report(ResetOutcome::Repaired { problem }, None));
            }
            Err(e) => return Err(e),
        };
        let data = snap.data(kind);
        let half = data.half_written().then_some(data);
        match (kind, seen) {
            (MutexKind::FileLock, _) => {
                if half.is_none() {
                    return Ok(report(ResetOutcome::NothingToReset, None));
                }
                // The data is repaired under the lock, like any write of it.
                let lock = self.file_lock();
                match lock.try_acquire() {
                    Ok(Some(_guard)) => {
                        self.block
                            .write_data(kind, data.repaired())
                            .map_err(|p| self.corrupt(p))?;
                        Ok(report(ResetOutcome::NothingToReset, half))
                    }
                    Ok(None) => Err(MutexError::ResetRefused {
                        kind,
                        holder: flock_holder(lock.file())
                            .map_or(Holder::Unknown, |(h, _)| running_or_unknown(h.pid)),
                    }),
                    Err(e) => Err(MutexError::io("taking the file lock", e)),
                }
            }
            (MutexKind::Robust, _) => self.reset_robust(&snap, seen, half),
            (MutexKind::RawSync, _) => self.reset_raw(half),
        }
    }

    fn reset_robust(
        &mut self,
        snap: &Snapshot,
        seen: Option<Seen>,
        half: Option<GuardedData>,
    ) -> Result<ResetReport, MutexError> {
        let kind = self.kind;
        let report = |outcome, repaired| ResetReport {
            kind,
            outcome,
            repaired,
        };
        let owner = match seen {
            Some(Seen::Held { tid } | Seen::OwnerDied { tid }) => tid,
            _ => 0,
        };
        let mutex = self.block.robust_ptr();
        // SAFETY: the checked robust mutex in the guarded mapping; trylock
        // never blocks.
        let rc = unsafe { libc::pthread_mutex_trylock(mutex) };
        if self.block.replaced() {
            if matches!(rc, 0 | libc::EOWNERDEAD) {
                // SAFETY: this thread owns the private copy it just locked.
                unsafe { libc::pthread_mutex_unlock(mutex) };
            }
            return Err(self.corrupt(BlockProblem::Vanished));
        }
        match rc {
            0 | libc::EOWNERDEAD => {
                let rolled = half.and(self.roll_back_half_move());
                self.block.write_record(kind, None);
                // SAFETY: this thread owns the mutex now (it was free or abandoned).
                unsafe {
                    if rc == libc::EOWNERDEAD {
                        libc::pthread_mutex_consistent(mutex);
                    }
                    libc::pthread_mutex_unlock(mutex);
                }
                Ok(report(
                    if rc == 0 {
                        ResetOutcome::WasFree
                    } else {
                        ResetOutcome::Reinitialised {
                            dead_holder: dead_holder(snap.record(kind), owner),
                        }
                    },
                    rolled,
                ))
            }
            libc::EBUSY => match claims::process_of_thread(owner).filter(|_| owner != 0) {
                Some(pid) => Err(MutexError::ResetRefused {
                    kind,
                    holder: Holder::running(pid),
                }),
                None => self.reinitialise_after_death(snap, owner, half),
            },
            libc::ENOTRECOVERABLE => self.reinitialise_after_death(snap, owner, half),
            rc => match self.checked() {
                Err(MutexError::Corrupt { problem, .. }) => {
                    self.block.reinitialise(kind)?;
                    Ok(report(ResetOutcome::Repaired { problem }, None))
                }
                _ => Err(MutexError::Pthread {
                    call: "pthread_mutex_trylock",
                    errno: rc,
                }),
            },
        }
    }

    fn reset_raw(&mut self, half: Option<GuardedData>) -> Result<ResetReport, MutexError> {
        let kind = self.kind;
        let mutex = self.raw_mutex()?;
        let (taken, _) = raw_sync_wait(mutex.as_ref(), Duration::ZERO, Instant::now())?;
        if self.block.replaced() {
            if taken {
                let _ = mutex.release();
            }
            return Err(self.corrupt(BlockProblem::Vanished));
        }
        if taken {
            let rolled = half.and(self.roll_back_half_move());
            mutex.release().map_err(|e| MutexError::RawSync {
                message: e.to_string(),
            })?;
            return Ok(ResetReport {
                kind,
                outcome: ResetOutcome::WasFree,
                repaired: rolled,
            });
        }
        // A holder records itself a few nanoseconds after locking: give a
        // live one the time to, before judging the lock.
        let deadline = Instant::now() + RECORD_GRACE;
        loop {
            let (snap, seen) = self.checked()?;
            match seen {
                Some(Seen::Held { tid: 0 }) if Instant::now() < deadline => {
                    std::thread::sleep(POLL);
                }
                Some(Seen::Held { tid: 0 }) => {
                    // Locked with no owner for longer than any holder takes.
                    self.block.reinitialise(kind)?;
                    return Ok(ResetReport {
                        kind,
                        outcome: ResetOutcome::Repaired {
                            problem: BlockProblem::Owner { value: 0 },
                        },
                        repaired: None,
                    });
                }
                Some(Seen::Held { tid }) => {
                    return match claims::process_of_thread(tid) {
                        Some(pid) => Err(MutexError::ResetRefused {
                            kind,
                            holder: Holder::running(pid),
                        }),
                        None => self.reinitialise_after_death(&snap, tid, half),
                    };
                }
                // Released meanwhile.
                _ => {
                    return Ok(ResetReport {
                        kind,
                        outcome: ResetOutcome::WasFree,
                        repaired: None,
                    });
                }
            }
        }
    }

    /// Re-initialises a lock whose owner thread `owner` is dead, keeping its
    /// data with any half move undone.
    fn reinitialise_after_death(
        &mut self,
        snap: &Snapshot,
        owner: u32,
        half: Option<GuardedData>,
    ) -> Result<ResetReport, MutexError> {
        let kind = self.kind;
        let dead = dead_holder(snap.record(kind), owner);
        let data = snap.data(kind);
        self.block.reinitialise(kind)?;
        self.block
            .write_data(kind, data.repaired())
            .map_err(|p| self.corrupt(p))?;
        Ok(ResetReport {
            kind,
            outcome: ResetOutcome::Reinitialised { dead_holder: dead },
            repaired: half,
        })
    }
}

/// This thread's id (the owner a pthread mutex records).
fn this_thread() -> u32 {
    rustix::thread::gettid().as_raw_nonzero().get() as u32
}

/// A PID the kernel named (a flock holder): running, or unknown if it has
/// ended since.
fn running_or_unknown(pid: u32) -> Holder {
    if claims::running(pid) {
        Holder::running(pid)
    } else {
        Holder::Unknown
    }
}

/// Who died holding a lock whose owner was thread `tid` (0: not recorded):
/// the header's PID when it recorded that very thread and is not running
/// (`Died`), the header's PID alone when it recorded another thread or
/// none (`Named`), nobody when the header names a running process, which
/// cannot be the dead owner.
fn dead_holder(record: Option<Record>, tid: u32) -> Holder {
    match record {
        Some(r) if claims::running(r.pid) => Holder::Unknown,
        Some(r) if tid != 0 && r.tid == tid => Holder::Died { pid: r.pid },
        Some(r) => Holder::Named { pid: r.pid },
        None => Holder::Unknown,
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

/// Now + `timeout` on CLOCK_REALTIME, nanoseconds carried into seconds
/// (the carry raw_sync forgets).
fn realtime_deadline(timeout: Duration) -> libc::timespec {
    let now = rustix::time::clock_gettime(rustix::time::ClockId::Realtime);
    // Both terms are below 1e9, so the sum fits a 32-bit c_long too.
    let nanos = now.tv_nsec as libc::c_long + timeout.subsec_nanos() as libc::c_long;
    libc::timespec {
        tv_sec: now.tv_sec as libc::time_t
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
