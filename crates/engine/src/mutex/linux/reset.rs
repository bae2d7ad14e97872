//! Linux's reset of a lock: re-initialising one left locked by a dead
//! holder (raw_sync's, which cannot tell) or whose bytes are corrupt, and
//! undoing a half move of the data it guards.

use std::time::{Duration, Instant};

use super::block::Snapshot;
use super::bytes::Seen;
use super::lock::{Lock, dead_holder, running_or_unknown};
use super::raw_wait::{POLL, raw_sync_wait};
use crate::mutex::{
    BlockProblem, GuardedData, Holder, MutexError, MutexKind, ResetOutcome, ResetReport,
};
use crate::os::claims;
use crate::os::claims::flock_holder;

/// How long a reset waits for a holder to record itself in the mutex
/// before judging the lock.
const RECORD_GRACE: Duration = Duration::from_millis(20);

impl Lock {
    pub(crate) fn reset(&mut self) -> Result<ResetReport, MutexError> {
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
