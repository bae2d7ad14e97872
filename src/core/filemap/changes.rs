//! A change stamp per mapped file, so that an instance sharing the file can
//! follow another instance's writes live (the shared text's change counter,
//! for a file that has no header of ours).
//!
//! The stamp is 8 bytes in a small per-account object in /dev/shm
//! (`memlab-filemap.UID.DEV-INO`, named after the mapped file's device and
//! inode, opened and checked like the shared text's: see `shm_object`),
//! read and written with pread/pwrite (no mapping: nothing here can fault).
//! Each write through a view stores a value no other write stores (PID and a
//! sequence number), so "the stamp differs from the last one seen" means
//! "someone wrote". Who uses it is the object's roster (`slots`), whatever
//! each instance's environment; the last one to leave removes it.

use std::io;
use std::os::unix::fs::FileExt;
use std::sync::atomic::{AtomicU32, Ordering};

use crate::core::shm_object::{ObjectError, euid};
use crate::core::slots::Roster;

#[derive(Debug)]
pub struct ChangeStamp {
    roster: Roster,
    sequence: AtomicU32,
}

impl ChangeStamp {
    /// Joins (or creates) the stamp of the file `dev`/`ino`.
    pub fn open(dev: u64, ino: u64) -> Result<Self, ObjectError> {
        let name = format!("memlab-filemap.{}.{dev:x}-{ino}", euid());
        let (roster, ()) = Roster::join(&name, 8, |_, _| Ok::<_, ObjectError>(()))?;
        Ok(Self {
            roster,
            sequence: AtomicU32::new(0),
        })
    }

    /// The current stamp (0 before any write).
    pub fn read(&self) -> io::Result<u64> {
        let mut bytes = [0u8; 8];
        let n = self.roster.file().read_at(&mut bytes, 0)?;
        Ok(if n == 8 { u64::from_le_bytes(bytes) } else { 0 })
    }

    /// Records a write by this process; returns the new stamp.
    pub fn bump(&self) -> io::Result<u64> {
        let sequence = self
            .sequence
            .fetch_add(1, Ordering::Relaxed)
            .wrapping_add(1);
        let stamp = (u64::from(std::process::id()) << 32) | u64::from(sequence);
        self.roster.file().write_all_at(&stamp.to_le_bytes(), 0)?;
        Ok(stamp)
    }
}
