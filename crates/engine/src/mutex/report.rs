//! What the lock's operations report, as data, with their English sentences
//! (the command line prints them; the window renders them in its language).

use std::fmt;
use std::time::Duration;

use super::{BlockProblem, GuardedData, Holder, MutexError, MutexKind, TOTAL};

/// What a wait for the lock gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AcquireResult {
    Acquired,
    /// Acquired; its previous owner died holding it (WAIT_ABANDONED).
    AcquiredOwnerDied {
        previous: Holder,
    },
    /// Another process holds it (a running one, if it is known).
    TimedOut {
        holder: Holder,
    },
    /// Its holder died and this lock cannot tell: it stays locked until reset.
    Stuck {
        holder: Holder,
    },
}

impl AcquireResult {
    pub fn acquired(self) -> bool {
        matches!(self, Self::Acquired | Self::AcquiredOwnerDied { .. })
    }
}

impl AcquireReport {
    /// The book's `LockMap` returning False, as an error: a timeout, or a
    /// lock stuck with a dead holder.
    pub fn require_acquired(self) -> Result<Self, MutexError> {
        let waited_ms = self.waited.as_millis() as u64;
        match self.result {
            AcquireResult::Acquired | AcquireResult::AcquiredOwnerDied { .. } => Ok(self),
            AcquireResult::TimedOut { holder } => Err(MutexError::TimedOut {
                kind: self.kind,
                waited_ms,
                holder,
            }),
            AcquireResult::Stuck { holder } => Err(MutexError::Stuck {
                kind: self.kind,
                waited_ms,
                holder,
            }),
        }
    }
}

/// A wait and its result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AcquireReport {
    pub kind: MutexKind,
    pub result: AcquireResult,
    pub waited: Duration,
    /// raw_sync's timed wait failed at once with EINVAL (its deadline bug)
    /// and memlab polled for the rest of the wait.
    pub deadline_bug: bool,
    /// raw_sync's wait panicked on `WAIT_ABANDONED` (Windows): memlab
    /// caught the panic; the wait had made this thread the owner.
    pub panicked: bool,
    /// The guarded data as this holder found it on taking the lock (None if
    /// it was not taken, or could not be read).
    pub found: Option<GuardedData>,
    /// The robust mutex was taken with WAIT_ABANDONED and the data found
    /// half-written: memlab undid the dead holder's half move before making
    /// the mutex consistent, as such a holder should.
    pub rolled_back: bool,
}

/// Who holds the lock, as far as can be seen without taking it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MutexState {
    Free,
    HeldHere,
    Held {
        holder: Holder,
    },
    /// Robust mutex whose holder died: the next waiter gets it, told so.
    Abandoned {
        holder: Holder,
    },
    /// A lock whose holder died without it being able to tell anyone
    /// (raw_sync's, or a robust one the kernel did not mark): locked until reset.
    Stuck {
        holder: Holder,
    },
    /// The robust mutex was released after its owner died without being
    /// made consistent: every wait fails until a reset.
    NotRecoverable,
    /// The block's bytes are not a lock memlab can use: a reset repairs it.
    Corrupt {
        problem: BlockProblem,
    },
}

/// Who holds the lock, and the data it guards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Look {
    pub state: MutexState,
    /// None when the block cannot be read (see the state).
    pub data: Option<GuardedData>,
}

/// What a reset did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResetOutcome {
    /// A file lock needs none: the kernel frees it when its holder dies.
    NothingToReset,
    /// The lock was free; nothing was changed.
    WasFree,
    /// The lock, left locked by a dead holder, was re-initialised.
    Reinitialised { dead_holder: Holder },
    /// The block's bytes were corrupt: re-initialised (the lock, its record
    /// and data; the whole block when its header was bad).
    Repaired { problem: BlockProblem },
    /// Windows: the lock was abandoned by a dead holder; taken (with
    /// `WAIT_ABANDONED`) and released, which is all the kernel needs.
    TookAbandoned { dead_holder: Holder },
}

/// A reset and what it did to the guarded data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResetReport {
    pub kind: MutexKind,
    pub outcome: ResetOutcome,
    /// The data was found half-written (as given) and put right
    /// ([`GuardedData::repaired`]).
    pub repaired: Option<GuardedData>,
}

/// A dead holder in a sentence: "PID 5", or "its holder (the header names
/// PID 5)", or "its holder".
pub struct DeadHolder(pub Holder);

impl fmt::Display for DeadHolder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Holder::Died { pid } | Holder::Running { pid, .. } => write!(f, "PID {pid}"),
            Holder::Named { pid } => write!(f, "its holder (the header names PID {pid})"),
            Holder::Unknown => write!(f, "its holder"),
        }
    }
}

/// "the previous owner (PID 5) died", "the previous owner (the header names
/// PID 5) died", "the previous owner died".
struct PreviousOwner(Holder);

impl fmt::Display for PreviousOwner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Holder::Died { pid } | Holder::Running { pid, .. } => {
                write!(f, "the previous owner (PID {pid})")
            }
            Holder::Named { pid } => write!(f, "the previous owner (the header names PID {pid})"),
            Holder::Unknown => write!(f, "the previous owner"),
        }
    }
}

/// How the guarded data was found, after the acquire line: nothing when
/// it adds up.
struct DataNote<'a>(&'a AcquireReport);

impl fmt::Display for DataNote<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.found {
            Some(data) if self.0.rolled_back => write!(
                f,
                "; the guarded data was half-written ({data}, not {TOTAL}): memlab undid the dead holder's half move before {}",
                super::sys::TRUSTED_AGAIN.0
            ),
            Some(data) if data.half_written() => write!(
                f,
                "; the guarded data is half-written ({data}, not {TOTAL}), and this lock did not say so"
            ),
            _ => Ok(()),
        }
    }
}

/// `acquired the robust pthread mutex after 3 ms; the previous owner (PID
/// 5) died holding it (WAIT_ABANDONED)...`
impl fmt::Display for AcquireReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.waited.as_millis();
        let kind = self.kind;
        match self.result {
            AcquireResult::Acquired => write!(f, "acquired {kind} after {ms} ms")?,
            AcquireResult::AcquiredOwnerDied { previous } => write!(
                f,
                "acquired {kind} after {ms} ms; {} died holding it (WAIT_ABANDONED)",
                PreviousOwner(previous)
            )?,
            AcquireResult::TimedOut { holder } => {
                write!(f, "timed out after {ms} ms: held by {holder}")?
            }
            AcquireResult::Stuck { holder } => write!(
                f,
                "stuck: timed out after {ms} ms; {} died holding it: only a reset frees it",
                DeadHolder(holder)
            )?,
        }
        write!(f, "{}", DataNote(self))?;
        if self.deadline_bug {
            write!(
                f,
                " (raw_sync's timed wait failed at once with EINVAL, its deadline bug: memlab polled instead)"
            )?;
        }
        if self.panicked {
            write!(
                f,
                " (raw_sync's wait panicked on WAIT_ABANDONED, its defect: memlab caught the panic and kept the mutex the wait had taken)"
            )?;
        }
        Ok(())
    }
}

impl fmt::Display for MutexState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Free => write!(f, "free"),
            Self::HeldHere => write!(f, "held by this instance"),
            Self::Held { holder } => write!(f, "held by {holder}"),
            Self::Abandoned { holder } => write!(
                f,
                "abandoned: {} died holding it; the next waiter gets it, told so",
                DeadHolder(holder)
            ),
            Self::Stuck { holder } => write!(
                f,
                "stuck: {} died holding it; only a reset frees it",
                DeadHolder(holder)
            ),
            Self::NotRecoverable => write!(
                f,
                "not recoverable: its owner died and it was released without being made consistent; only a reset frees it"
            ),
            Self::Corrupt { problem } => write!(f, "corrupt: {problem}; a reset re-initialises it"),
        }
    }
}

/// "A 900 + B 100 = 1000", or the same with what is wrong with it.
impl fmt::Display for Look {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.data {
            None => write!(f, "unreadable"),
            Some(data) if data.half_written() => match self.state {
                // A live holder may be between its two steps.
                MutexState::HeldHere | MutexState::Held { .. } if data.step != 0 => {
                    write!(f, "{data}: a move is under way")
                }
                _ => write!(
                    f,
                    "{data}, not {TOTAL}: half-written (a move was begun and not finished)"
                ),
            },
            Some(data) => write!(f, "{data}"),
        }
    }
}

impl fmt::Display for ResetReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.outcome {
            ResetOutcome::NothingToReset => write!(
                f,
                "nothing to reset: the kernel frees a file lock when its holder dies"
            )?,
            ResetOutcome::WasFree => write!(f, "the lock was free; nothing changed")?,
            ResetOutcome::Reinitialised { dead_holder } => match dead_holder {
                Holder::Died { pid } | Holder::Running { pid, .. } => {
                    write!(f, "re-initialised (its holder PID {pid} was dead)")?
                }
                Holder::Named { pid } => write!(
                    f,
                    "re-initialised (its holder was dead; the header names PID {pid})"
                )?,
                Holder::Unknown => write!(f, "re-initialised (its holder was dead)")?,
            },
            ResetOutcome::Repaired { problem } => {
                write!(f, "re-initialised: it was corrupt ({problem})")?
            }
            ResetOutcome::TookAbandoned { dead_holder } => write!(
                f,
                "taken and released: {} died holding it (WAIT_ABANDONED); Windows needs no re-initialising",
                DeadHolder(dead_holder)
            )?,
        }
        if let Some(data) = self.repaired {
            write!(
                f,
                "; the guarded data was half-written ({data}): put right ({})",
                data.repaired()
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_holder_is_named_as_far_as_it_is_known() {
        let stuck = |holder| MutexState::Stuck { holder }.to_string();
        assert_eq!(
            stuck(Holder::Died { pid: 5 }),
            "stuck: PID 5 died holding it; only a reset frees it"
        );
        assert_eq!(
            stuck(Holder::Named { pid: 1 }),
            "stuck: its holder (the header names PID 1) died holding it; only a reset frees it"
        );
        let held = MutexState::Held {
            holder: Holder::Running {
                pid: 42,
                window: Some(3),
            },
        };
        assert_eq!(held.to_string(), "held by window #3 (PID 42)");
        let report = AcquireReport {
            kind: MutexKind::Robust,
            result: AcquireResult::AcquiredOwnerDied {
                previous: Holder::Unknown,
            },
            waited: Duration::from_millis(3),
            deadline_bug: false,
            panicked: false,
            found: Some(GuardedData::fresh()),
            rolled_back: false,
        };
        assert_eq!(
            report.to_string(),
            format!(
                "acquired {} after 3 ms; the previous owner died holding it (WAIT_ABANDONED)",
                MutexKind::Robust
            )
        );
    }
}
