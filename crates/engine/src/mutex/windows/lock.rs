//! Windows' `Lock`: one lock of the lesson (the Win32 named mutex,
//! raw_sync's mutex, or `LockFileEx`), reached only from its own thread (a
//! Win32 mutex is owned by the thread that waited for it).

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Once;
use std::time::{Duration, Instant};

use raw_sync::Timeout;

use super::block::{Block, Record, lock_file_path};
use crate::mutex::{
    AcquireReport, AcquireResult, BlockProblem, GuardedData, Holder, Look, MutexError, MutexKind,
    MutexState, ResetOutcome, ResetReport,
};
use crate::os::clock::now_unix_ms;
use crate::os::file_lock::FileLock;
use crate::os::named_mutex::{Acquired, NamedMutex, WaitError};

thread_local! {
    /// True while this thread waits in raw_sync, whose panic on
    /// `WAIT_ABANDONED` is expected, caught and reported. (It is `const`:
    /// clippy for this target says otherwise, as for `alloc::counters`.)
    #[allow(clippy::missing_const_for_thread_local)]
    static IN_RAW_SYNC_WAIT: Cell<bool> = const { Cell::new(false) };
}

/// Keeps raw_sync's expected panic off stderr (the acquire report says
/// it): every other panic goes to the hook that was there before.
fn quiet_raw_sync_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !IN_RAW_SYNC_WAIT.with(Cell::get) {
                previous(info);
            }
        }));
    });
}
use crate::os::process;
use crate::os::timed_lock::AcquireError;

/// What raw_sync's wait returns on Windows when the wait timed out: its
/// error text ends with `WaitForSingleObject`'s result, `WAIT_TIMEOUT`.
const RAW_SYNC_TIMED_OUT: &str = "0x102";

/// One lock of the lesson, reached only from its own thread.
pub(crate) struct Lock {
    kind: MutexKind,
    name: String,
    block: Block,
    /// The lock file `LockFileEx` locks (the file-lock kind only).
    file: Option<FileLock>,
    held: bool,
}

impl Lock {
    pub(crate) fn open(name: &str, kind: MutexKind) -> Result<Self, MutexError> {
        let block = Block::open(name)?;
        let file = match kind {
            MutexKind::FileLock => Some(
                FileLock::open(&lock_file_path(name))
                    .map_err(|e| MutexError::io("opening the lock file", e))?,
            ),
            _ => None,
        };
        Ok(Self {
            kind,
            name: name.into(),
            block,
            file,
            held: false,
        })
    }

    fn corrupt(&self, problem: BlockProblem) -> MutexError {
        MutexError::Corrupt {
            kind: self.kind,
            name: self.name.clone(),
            problem,
        }
    }

    fn checked(&self) -> Result<(), MutexError> {
        self.block.check().map_err(|p| self.corrupt(p))
    }

    /// `CreateMutexW(NULL, FALSE, "Local\memlab.mutex.<name>.Win32")`,
    /// opened with the block.
    fn win32(&self) -> &NamedMutex {
        self.block.win32_mutex()
    }

    fn file_lock(&self) -> &FileLock {
        self.file.as_ref().expect("the file-lock kind has its file")
    }

    /// The holder the record names, if that process runs.
    fn holder_now(&self) -> Holder {
        match self.block.record(self.kind) {
            Some(r) if process::running(r.pid) => Holder::running(r.pid),
            _ => Holder::Unknown,
        }
    }

    /// Records this instance as the holder (for people to read).
    fn after_locking(&mut self) {
        self.held = true;
        self.block.write_record(
            self.kind,
            Some(Record {
                pid: std::process::id(),
                // SAFETY: plain call.
                tid: unsafe { windows_sys::Win32::System::Threading::GetCurrentThreadId() },
                since_ms: now_unix_ms(),
            }),
        );
    }

    pub(crate) fn acquire(&mut self, timeout: Duration) -> Result<AcquireReport, MutexError> {
        if self.held {
            return Err(MutexError::AlreadyHeld { kind: self.kind });
        }
        self.checked()?;
        let start = Instant::now();
        let before = self.block.record(self.kind);
        let mut panicked = false;
        let result = match self.kind {
            MutexKind::FileLock => match self.file_lock().lock(timeout) {
                Ok(()) => AcquireResult::Acquired,
                Err(AcquireError::TimedOut(_)) => AcquireResult::TimedOut {
                    holder: self.holder_now(),
                },
                Err(AcquireError::Io(e)) => return Err(MutexError::io("LockFileEx", e)),
            },
            MutexKind::Robust => match self.win32().wait(timeout) {
                Ok(guard) => match guard.keep() {
                    Acquired::Released => AcquireResult::Acquired,
                    Acquired::Abandoned => AcquireResult::AcquiredOwnerDied {
                        previous: dead_holder(before),
                    },
                },
                Err(WaitError::TimedOut(_)) => AcquireResult::TimedOut {
                    holder: self.holder_now(),
                },
                Err(WaitError::Os(e)) => return Err(MutexError::io("WaitForSingleObject", e)),
            },
            MutexKind::RawSync => {
                let raw = self.block.raw_mutex();
                // raw_sync 0.1.5 panics when WaitForSingleObject says
                // WAIT_ABANDONED ("A thread holding the mutex has left it in
                // a poisened state"), after the wait made this thread the
                // owner: the panic is caught and the ownership kept.
                quiet_raw_sync_panics();
                IN_RAW_SYNC_WAIT.with(|w| w.set(true));
                let waited = catch_unwind(AssertUnwindSafe(|| {
                    raw.try_lock(Timeout::Val(timeout)).map(std::mem::forget)
                }));
                IN_RAW_SYNC_WAIT.with(|w| w.set(false));
                match waited {
                    Ok(Ok(())) => AcquireResult::Acquired,
                    Ok(Err(e)) if e.to_string().ends_with(RAW_SYNC_TIMED_OUT) => {
                        AcquireResult::TimedOut {
                            holder: self.holder_now(),
                        }
                    }
                    Ok(Err(e)) => {
                        return Err(MutexError::RawSync {
                            message: e.to_string(),
                        });
                    }
                    Err(_) => {
                        panicked = true;
                        AcquireResult::AcquiredOwnerDied {
                            previous: dead_holder(before),
                        }
                    }
                }
            }
        };
        let mut rolled_back = None;
        if result.acquired() {
            if matches!(result, AcquireResult::AcquiredOwnerDied { .. }) {
                // WAIT_ABANDONED: check the data before trusting it again.
                rolled_back = self.roll_back_half_move();
            }
            self.after_locking();
        }
        let found = match rolled_back {
            Some(found) => Some(found),
            None if self.held => Some(self.block.data(self.kind)),
            None => None,
        };
        Ok(AcquireReport {
            kind: self.kind,
            result,
            waited: start.elapsed(),
            deadline_bug: false,
            panicked,
            found,
            rolled_back: rolled_back.is_some(),
        })
    }

    /// Undoes a half move the data shows, while this instance holds the
    /// lock; the half-written data, if there was a move to undo.
    fn roll_back_half_move(&self) -> Option<GuardedData> {
        let data = self.block.data(self.kind);
        data.half_written().then(|| {
            self.block.write_data(self.kind, data.repaired());
            data
        })
    }

    pub(crate) fn write_data(&mut self, whole: bool) -> Result<GuardedData, MutexError> {
        if !self.held {
            return Err(MutexError::NotHeld { kind: self.kind });
        }
        self.checked()?;
        let begun = self.block.data(self.kind).begun(std::process::id());
        self.block.write_data(self.kind, begun);
        if !whole {
            return Ok(begun);
        }
        let done = begun.finished();
        self.block.write_data(self.kind, done);
        Ok(done)
    }

    pub(crate) fn release(&mut self) -> Result<(), MutexError> {
        if !self.held {
            return Err(MutexError::NotHeld { kind: self.kind });
        }
        self.held = false;
        self.block.write_record(self.kind, None);
        match self.kind {
            MutexKind::FileLock => self
                .file_lock()
                .unlock()
                .map_err(|e| MutexError::io("UnlockFileEx", e)),
            MutexKind::Robust => self
                .win32()
                .release_kept()
                .map_err(|e| MutexError::io("ReleaseMutex", e)),
            MutexKind::RawSync => {
                self.block
                    .raw_mutex()
                    .release()
                    .map_err(|e| MutexError::RawSync {
                        message: e.to_string(),
                    })
            }
        }
    }

    /// Releases the lock if this instance holds it (its thread is ending).
    pub(crate) fn let_go(&mut self) {
        if self.held {
            let _ = self.release();
        }
    }

    pub(crate) fn look(&mut self) -> Look {
        let state = self.state();
        let data = self.block.check().ok().map(|()| self.block.data(self.kind));
        Look { state, data }
    }

    /// Who holds it, without taking it. A wait would take a Win32 mutex's
    /// `WAIT_ABANDONED` from the next real wait, so the Win32 and raw_sync
    /// kinds are judged by the holder's record: a running PID holds it, a
    /// dead one died holding it (abandoned).
    pub(crate) fn state(&mut self) -> MutexState {
        if let Err(problem) = self.block.check() {
            return MutexState::Corrupt { problem };
        }
        if self.held {
            return MutexState::HeldHere;
        }
        match self.kind {
            MutexKind::FileLock => match self.file_lock().try_lock() {
                Ok(true) => match self.file_lock().unlock() {
                    Ok(()) => MutexState::Free,
                    Err(_) => MutexState::Corrupt {
                        problem: BlockProblem::Unreadable,
                    },
                },
                Ok(false) => MutexState::Held {
                    holder: self.holder_now(),
                },
                Err(_) => MutexState::Corrupt {
                    problem: BlockProblem::Unreadable,
                },
            },
            MutexKind::Robust | MutexKind::RawSync => match self.block.record(self.kind) {
                None => MutexState::Free,
                Some(r) if process::running(r.pid) => MutexState::Held {
                    holder: Holder::running(r.pid),
                },
                Some(r) => MutexState::Abandoned {
                    holder: Holder::Died { pid: r.pid },
                },
            },
        }
    }

    /// Takes the lock without waiting and puts its data right: a file lock
    /// or a Win32 mutex needs no re-initialising (Windows frees or abandons
    /// them); a corrupt block is written afresh.
    pub(crate) fn reset(&mut self) -> Result<ResetReport, MutexError> {
        if self.held {
            self.release()?;
        }
        let kind = self.kind;
        if let Err(problem) = self.block.check() {
            self.block.reinitialise();
            return Ok(ResetReport {
                kind,
                outcome: ResetOutcome::Repaired { problem },
                repaired: None,
            });
        }
        let before = self.block.record(kind);
        let report = self.acquire(Duration::ZERO)?;
        let outcome = match report.result {
            AcquireResult::Acquired if kind == MutexKind::FileLock => ResetOutcome::NothingToReset,
            AcquireResult::Acquired => ResetOutcome::WasFree,
            AcquireResult::AcquiredOwnerDied { previous } => ResetOutcome::TookAbandoned {
                dead_holder: previous,
            },
            AcquireResult::TimedOut { holder } | AcquireResult::Stuck { holder } => {
                return Err(MutexError::ResetRefused {
                    kind,
                    holder: match holder {
                        Holder::Unknown => before
                            .filter(|r| process::running(r.pid))
                            .map_or(Holder::Unknown, |r| Holder::running(r.pid)),
                        known => known,
                    },
                });
            }
        };
        // `acquire` rolled back a half move after WAIT_ABANDONED; a free
        // lock's data may be half-written too (a file lock's dead holder).
        let repaired = match report.found {
            Some(data) if report.rolled_back => Some(data),
            _ => self.roll_back_half_move(),
        };
        self.release()?;
        Ok(ResetReport {
            kind,
            outcome,
            repaired,
        })
    }
}

/// Who died holding a lock whose record was `record`: its PID if that
/// process has ended, nobody known otherwise (a running process cannot be
/// the dead owner).
fn dead_holder(record: Option<Record>) -> Holder {
    match record {
        Some(r) if !process::running(r.pid) => Holder::Died { pid: r.pid },
        _ => Holder::Unknown,
    }
}
