//! Linux's `Lock`: one lock of the lesson on its block (flock, raw_sync's
//! mutex or the robust pthread mutex), reached only from its own thread:
//! open, acquire, release, look. Its reset is in `reset`.

use std::time::{Duration, Instant};

use super::block::{Block, Record, Snapshot};
use super::bytes::{MUTEX_LEN, Seen};
use super::raw_wait::{raw_sync_wait, realtime_deadline};
use crate::mutex::{
    AcquireReport, AcquireResult, BlockProblem, GuardedData, Holder, Look, MutexError, MutexKind,
    MutexState,
};
use crate::os::claims;
use crate::os::claims::flock_holder;
use crate::os::clock::now_unix_ms;
use crate::os::timed_lock::{AcquireError, FileLock};
use raw_sync::locks::{LockImpl, LockInit, Mutex};

/// One lock of the lesson on its block, reached only from its own thread.
pub(crate) struct Lock {
    pub(super) kind: MutexKind,
    pub(super) name: String,
    pub(super) block: Block,
    /// flock on this instance's own open file of the block's object (the
    /// file-lock kind only).
    pub(super) file_lock: Option<FileLock>,
    pub(super) held: bool,
    /// The mutex's bytes as this instance saw them right after locking it:
    /// what it unlocks if the object changes under it (see `release`).
    pub(super) locked: Option<[u8; MUTEX_LEN]>,
}

impl Lock {
    pub(crate) fn open(name: &str, kind: MutexKind) -> Result<Self, MutexError> {
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

    pub(super) fn corrupt(&self, problem: BlockProblem) -> MutexError {
        MutexError::Corrupt {
            kind: self.kind,
            name: self.name.clone(),
            problem,
        }
    }

    /// The block checked for this kind (and mapped again if a truncation
    /// took this instance's pages and someone has since repaired it).
    pub(super) fn checked(&mut self) -> Result<(Snapshot, Option<Seen>), MutexError> {
        self.block.remap_if_replaced()?;
        self.block.check(self.kind).map_err(|p| self.corrupt(p))
    }

    /// raw_sync's handle on the mutex where this instance maps it now.
    pub(super) fn raw_mutex(&self) -> Result<Box<dyn LockImpl>, MutexError> {
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
    pub(super) fn after_locking(&mut self) {
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

    pub(super) fn file_lock(&self) -> &FileLock {
        self.file_lock
            .as_ref()
            .expect("the file-lock kind has its file lock")
    }

    pub(crate) fn acquire(&mut self, timeout: Duration) -> Result<AcquireReport, MutexError> {
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
            panicked: false,
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
    pub(super) fn roll_back_half_move(&self) -> Option<GuardedData> {
        let data = self.block.snapshot().ok()?.data(self.kind);
        (data.half_written() && self.block.write_data(self.kind, data.repaired()).is_ok())
            .then_some(data)
    }

    /// A move of the guarded data while holding the lock: both steps, or
    /// with `whole` false only the first (for a holder about to die).
    pub(crate) fn write_data(&mut self, whole: bool) -> Result<GuardedData, MutexError> {
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

    pub(crate) fn release(&mut self) -> Result<(), MutexError> {
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

    pub(crate) fn look(&mut self) -> Look {
        let state = self.state();
        let data = self.block.snapshot().ok().map(|s| s.data(self.kind));
        Look { state, data }
    }

    pub(crate) fn state(&mut self) -> MutexState {
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

    /// Releases the lock if this instance holds it (its thread is ending).
    pub(crate) fn let_go(&mut self) {
        if self.held {
            let _ = self.release();
        }
    }
}

/// This thread's id (the owner a pthread mutex records).
pub(super) fn this_thread() -> u32 {
    rustix::thread::gettid().as_raw_nonzero().get() as u32
}

/// A PID the kernel named (a flock holder): running, or unknown if it has
/// ended since.
pub(super) fn running_or_unknown(pid: u32) -> Holder {
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
pub(super) fn dead_holder(record: Option<Record>, tid: u32) -> Holder {
    match record {
        Some(r) if claims::running(r.pid) => Holder::Unknown,
        Some(r) if tid != 0 && r.tid == tid => Holder::Died { pid: r.pid },
        Some(r) => Holder::Named { pid: r.pid },
        None => Holder::Unknown,
    }
}
