//! Who is attached to a named object, on Windows: one named mutex per slot
//! (`<object>.slot.<i>`), owned by the instance in that slot. A thread of
//! the instance's own (the keeper) takes the lowest free slot and holds it
//! until the instance leaves; when the process ends, however it ends, the
//! kernel abandons the mutex and the slot is free again (a wait on it says
//! `WAIT_ABANDONED`). So the roster needs no cleaning and no PID is
//! believed: a slot is taken exactly while its mutex is owned.

use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use super::named_mutex::{NamedMutex, WaitError};
use super::shm_object::{IoOp, ObjectError};

/// The most instances one object can have attached.
pub const MAX_SLOTS: usize = 64;

/// This instance's slot; dropping it leaves.
#[derive(Debug)]
pub struct Roster {
    object: String,
    index: usize,
    leave: Option<mpsc::Sender<()>>,
    keeper: Option<JoinHandle<()>>,
}

fn slot_name(object: &str, index: usize) -> String {
    format!("{object}.slot.{index}")
}

impl Roster {
    /// Takes the lowest free slot of `object` (a kernel object's name).
    pub fn join(object: &str) -> Result<Self, ObjectError> {
        let (taken_tx, taken_rx) = mpsc::channel::<Result<usize, ObjectError>>();
        let (leave_tx, leave_rx) = mpsc::channel::<()>();
        let name = object.to_owned();
        let keeper = std::thread::Builder::new()
            .name("memlab-slot".into())
            .spawn(move || keep_a_slot(&name, &taken_tx, &leave_rx))
            .map_err(|source| ObjectError::Io {
                op: IoOp::Lock,
                name: object.into(),
                source,
            })?;
        let index = match taken_rx.recv() {
            Ok(taken) => taken,
            Err(_) => Err(ObjectError::Io {
                op: IoOp::Lock,
                name: object.into(),
                source: std::io::Error::other("the slot keeper thread ended"),
            }),
        };
        match index {
            Ok(index) => Ok(Self {
                object: object.into(),
                index,
                leave: Some(leave_tx),
                keeper: Some(keeper),
            }),
            Err(e) => {
                let _ = keeper.join();
                Err(e)
            }
        }
    }

    /// This instance's slot (0-based).
    pub fn index(&self) -> usize {
        self.index
    }

    /// The slots taken now, this one included, in order. Each other slot's
    /// mutex is tried without waiting: owned by someone means attached;
    /// got (free, or abandoned by an instance that ended) means not, and it
    /// is released at once.
    pub fn attached(&self) -> Result<Vec<usize>, ObjectError> {
        attached_but(&self.object, Some(self.index), 0..MAX_SLOTS)
    }

    /// As [`attached`](Self::attached), trying only the slots `among`
    /// (each try is a few calls to the kernel, under wine a round trip to
    /// wineserver each: 64 slots cost about 120 context switches).
    pub fn attached_among(
        &self,
        among: impl IntoIterator<Item = usize>,
    ) -> Result<Vec<usize>, ObjectError> {
        attached_but(&self.object, Some(self.index), among)
    }

    /// Leaves the slot now (dropping the roster does it too): its mutex
    /// is released before this returns.
    pub fn leave(&mut self) {
        drop(self.leave.take());
        if let Some(keeper) = self.keeper.take() {
            let _ = keeper.join();
        }
    }
}

/// The slots of `object` taken now, in order, as seen by a process that
/// is not on the roster (`memlab arrange`), or by a thread other than a
/// slot's keeper: each slot's mutex is tried without waiting.
pub fn attached(object: &str) -> Result<Vec<usize>, ObjectError> {
    attached_but(object, None, 0..MAX_SLOTS)
}

/// The slots taken among `among`, `own` (this instance's, held by its
/// keeper) counted without a wait, in order.
fn attached_but(
    object: &str,
    own: Option<usize>,
    among: impl IntoIterator<Item = usize>,
) -> Result<Vec<usize>, ObjectError> {
    let mut among: Vec<usize> = among
        .into_iter()
        .chain(own)
        .filter(|&i| i < MAX_SLOTS)
        .collect();
    among.sort_unstable();
    among.dedup();
    let mut taken = Vec::new();
    for index in among {
        if Some(index) == own {
            taken.push(index);
            continue;
        }
        let Some(mutex) = NamedMutex::open_existing(&slot_name(object, index))? else {
            continue;
        };
        match mutex.wait(Duration::ZERO) {
            Err(WaitError::TimedOut(_)) => taken.push(index),
            Ok(_free) => {}
            Err(WaitError::Os(source)) => {
                return Err(ObjectError::Io {
                    op: IoOp::Inspect,
                    name: mutex.name().into(),
                    source,
                });
            }
        }
    }
    Ok(taken)
}

/// The keeper: takes the first slot whose mutex it can own, says which,
/// and owns it until told to leave (or the roster is dropped).
fn keep_a_slot(
    object: &str,
    taken: &mpsc::Sender<Result<usize, ObjectError>>,
    leave: &mpsc::Receiver<()>,
) {
    for index in 0..MAX_SLOTS {
        let mutex = match NamedMutex::create(&slot_name(object, index)) {
            Ok(mutex) => mutex,
            Err(e) => {
                let _ = taken.send(Err(e));
                return;
            }
        };
        match mutex.wait(Duration::ZERO) {
            Ok(_held) => {
                let _ = taken.send(Ok(index));
                // Until the instance leaves (or drops its roster).
                let _ = leave.recv();
                return;
            }
            Err(WaitError::TimedOut(_)) => {}
            Err(WaitError::Os(source)) => {
                let _ = taken.send(Err(ObjectError::Io {
                    op: IoOp::Lock,
                    name: mutex.name().into(),
                    source,
                }));
                return;
            }
        }
    }
    let _ = taken.send(Err(ObjectError::Full {
        name: object.into(),
        max: MAX_SLOTS,
    }));
}

impl Drop for Roster {
    fn drop(&mut self) {
        self.leave();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instances_take_the_lowest_free_slot_and_leave_it() {
        let object = format!("Local\\memlab-test.slots.{}", std::process::id());
        let a = Roster::join(&object).unwrap();
        let b = Roster::join(&object).unwrap();
        let c = Roster::join(&object).unwrap();
        assert_eq!((a.index(), b.index(), c.index()), (0, 1, 2));
        assert_eq!(a.attached().unwrap(), vec![0, 1, 2]);
        drop(b);
        assert_eq!(a.attached().unwrap(), vec![0, 2]);
        let d = Roster::join(&object).unwrap();
        assert_eq!(d.index(), 1);
        assert_eq!(c.attached().unwrap(), vec![0, 1, 2]);
    }
}
