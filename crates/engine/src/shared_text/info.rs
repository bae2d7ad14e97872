//! The info panel's facts (and `memlab shared info`): who is attached, how
//! this instance came to the object, the lock's state and every byte, read
//! without the data lock so that they show while another process holds it.

use std::path::PathBuf;

use serde::Serialize;

use super::layout::Image;
use super::{
    Backing, CHAR_LEN, CorruptReason, LockState, Origin, SharedError, SharedText, problem,
};
use crate::desktop::holder::Holder;
use crate::os::claims;
use crate::os::claims::flock_holder;
use crate::os::clock::now_unix_ms;
use crate::os::shm_object::{self, IoOp};

/// One attached instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Attached {
    /// Zero-based slot index; shown to people as `index + 1`.
    pub index: usize,
    /// The slot holder's PID: the one the object records, confirmed by the
    /// kernel (that process has the object open with this slot's lock).
    pub pid: Option<u32>,
    /// A PID the object records for the slot that the kernel does not
    /// confirm (a claim only).
    pub claimed_pid: Option<u32>,
}

/// The facts of the info panel (and of `memlab shared info`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SharedInfo {
    pub name: String,
    pub backing: Backing,
    pub os_object: String,
    pub path: PathBuf,
    pub size: u64,
    pub capacity: usize,
    pub this_instance: usize,
    pub pid: u32,
    pub uid: u32,
    pub attached: Vec<Attached>,
    pub origin: Origin,
    pub change_counter: u64,
    pub last_writer_pid: Option<u32>,
    pub last_write_unix_ms: Option<u64>,
    pub lock: LockState,
    /// Why the bytes do not validate, if they don't.
    pub problem: Option<CorruptReason>,
    /// Someone removed the object's name (see [`SharedError::Removed`]).
    pub removed: bool,
    #[serde(serialize_with = "hex_string")]
    pub bytes: Vec<u8>,
}

fn hex_string<S: serde::Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    s.serialize_str(&hex)
}

impl SharedText {
    /// The info panel's facts. Takes no data lock, so it works while another
    /// process holds it.
    pub fn info(&self) -> Result<SharedInfo, SharedError> {
        let slots = self.roster.attached()?;
        let read = self.view.read();
        let problem = problem(&read);
        let image = read.ok();
        let lock = self.lock_state(image.as_ref())?;
        let attached = slots
            .into_iter()
            .map(|index| {
                let recorded = image.as_ref().and_then(|i| i.slot_pid(index));
                let confirmed = recorded.filter(|&pid| self.roster.slot_held_by(index, pid));
                Attached {
                    index,
                    pid: confirmed,
                    claimed_pid: recorded.filter(|_| confirmed.is_none()),
                }
            })
            .collect();
        let path = self.roster.path();
        let os_object = match self.backing {
            Backing::Memory { .. } => format!("POSIX shared memory {}", path.display()),
            Backing::File { .. } => format!("file {}", path.display()),
        };
        Ok(SharedInfo {
            name: self.name.clone(),
            backing: self.backing.clone(),
            os_object,
            path,
            size: self.size()?,
            capacity: CHAR_LEN,
            this_instance: self.instance_number(),
            pid: std::process::id(),
            uid: shm_object::euid(),
            attached,
            origin: self.origin.clone(),
            change_counter: image.as_ref().map_or(0, Image::counter),
            last_writer_pid: image.as_ref().and_then(Image::last_writer),
            last_write_unix_ms: image.as_ref().and_then(Image::last_write_ms),
            lock,
            problem,
            removed: self.roster.removed()?,
            bytes: image.map_or_else(Vec::new, |i| i.0.to_vec()),
        })
    }

    fn lock_state(&self, image: Option<&Image>) -> Result<LockState, SharedError> {
        let named = image.and_then(Image::holder);
        let free = self
            .lock_probe
            .try_acquire()
            .map_err(|e| self.io(IoOp::Lock, e))?;
        if free.is_some() {
            return Ok(match named {
                Some(pid) if !claims::running(pid) => LockState::Abandoned { pid },
                // A running process named while the lock is free is not its
                // holder: the claim is not repeated.
                _ => LockState::Free,
            });
        }
        let kernel = flock_holder(self.lock_probe.file())
            .map(|(h, _)| h.pid)
            .filter(|&pid| claims::running(pid));
        let holder = match (kernel, named) {
            (Some(pid), _) => Holder::running(pid),
            (None, Some(pid)) => Holder::Named { pid },
            (None, None) => Holder::Unknown,
        };
        // Only a recorded holder (a save, a hold) says since when, and only
        // the one the kernel names; a time before the holder started, or
        // after now, is not believed. A load holds the lock for
        // microseconds and records nothing.
        let held_ms = match (kernel, named, image) {
            (Some(k), Some(n), Some(i)) if k == n => {
                now_unix_ms().checked_sub(i.lock_since_ms()).filter(|&ms| {
                    claims::running_for(k).is_some_and(|age| u128::from(ms) <= age.as_millis())
                })
            }
            _ => None,
        };
        Ok(LockState::Held { holder, held_ms })
    }
}
