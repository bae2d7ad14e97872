//! A change stamp per mapped file, so that an instance sharing the file can
//! follow another instance's writes live (the shared text's change counter,
//! for a file that has no header of ours), and a record per instance of
//! whether it maps the file, so that no instance cuts a file another maps.
//!
//! The stamp is 8 bytes in a small per-account object in /dev/shm
//! (`memlab-filemap.UID.DEV-INO`, named after the mapped file's device and
//! inode, opened and checked like the shared text's: see `shm_object`),
//! read and written with pread/pwrite (no mapping: nothing here can fault).
//! Each write through a view stores a value no other write stores (PID and a
//! sequence number), so "the stamp differs from the last one seen" means
//! "someone wrote". Who uses it is the object's roster (`slots`), whatever
//! each instance's environment; the last one to leave removes it, and the
//! next instance to open any file removes those of instances killed
//! before they could leave.
//!
//! | bytes | what |
//! |---|---|
//! | 0..8 | the stamp (u64 LE) |
//! | 64 + 16 i .. +4 | slot i: its PID (u32 LE) |
//! | 64 + 16 i + 4 .. +8 | slot i: 1 while it has a mapping open or a view mapped |
//!
//! A slot's record counts only while the slot is held: the kernel frees a
//! dead instance's slot, so a record left by it is ignored, and the next
//! instance to take the slot writes its own. Windows refuses SetEndOfFile
//! on a file any process maps (ERROR_USER_MAPPED_FILE); an instance marks
//! itself as mapping under the roster's gate before it creates a mapping,
//! and SetEndOfFile checks the others and cuts the file under the same
//! gate, so neither can slip between the other's check and act.

use std::io;
use std::os::unix::fs::FileExt;
use std::sync::atomic::{AtomicU32, Ordering};

use crate::os::shm_object::{ObjectError, ShmDir, euid};
use crate::os::slots::{self, MAX_SLOTS, Roster};

/// Where the slots' records start, and each one's length.
const RECORDS_AT: u64 = 64;
const RECORD_LEN: u64 = 16;
/// The object's size.
const SIZE: u64 = RECORDS_AT + RECORD_LEN * MAX_SLOTS as u64;

#[derive(Debug)]
pub struct ChangeStamp {
    roster: Roster,
    sequence: AtomicU32,
}

impl ChangeStamp {
    /// Joins (or creates) the stamp of the file `dev`/`ino`.
    pub fn open(dev: u64, ino: u64) -> Result<Self, ObjectError> {
        let prefix = format!("memlab-filemap.{}.", euid());
        let name = format!("{prefix}{dev:x}-{ino}");
        let (roster, ()) = Roster::join(&name, SIZE, |_, _| Ok::<_, ObjectError>(()))?;
        // The stamps that instances killed outright left (their file gone
        // or not opened again) go now: nothing else would remove them.
        if let Ok(dir) = ShmDir::open() {
            slots::remove_unused(&dir, &prefix);
        }
        let stamp = Self {
            roster,
            sequence: AtomicU32::new(0),
        };
        // This slot's record is ours now, whatever an instance before us left.
        let _ = stamp.write_record(false);
        Ok(stamp)
    }

    fn write_record(&self, maps: bool) -> io::Result<()> {
        let mut record = [0u8; 8];
        record[..4].copy_from_slice(&std::process::id().to_le_bytes());
        record[4..].copy_from_slice(&u32::from(maps).to_le_bytes());
        let at = RECORDS_AT + RECORD_LEN * self.roster.index() as u64;
        self.roster.file().write_all_at(&record, at)
    }

    /// Says whether this instance maps the file (a mapping open or a view
    /// mapped). Marking it as mapping is done under the gate, before the
    /// mapping is made: see the module's note.
    pub fn set_mapping(&self, maps: bool) -> io::Result<()> {
        self.write_record(maps)
    }

    /// Runs `f` under the roster's gate with the PIDs of the other instances
    /// that map the file now (empty if none does).
    pub fn with_others_mapping<R>(&self, f: impl FnOnce(&[u32]) -> R) -> Result<R, ObjectError> {
        let file = self.roster.file();
        // `held`: the slots other instances hold (never this one's).
        slots::under_gate(file, &self.roster.path(), |held| {
            let mapping: Vec<u32> = held
                .iter()
                .filter(|&&slot| slot < MAX_SLOTS)
                .filter_map(|&slot| {
                    let mut record = [0u8; 8];
                    let at = RECORDS_AT + RECORD_LEN * slot as u64;
                    let n = file.read_at(&mut record, at).ok()?;
                    let maps = n == 8 && record[4..] != [0; 4];
                    maps.then(|| u32::from_le_bytes(record[..4].try_into().expect("4 bytes")))
                })
                .collect();
            f(&mapping)
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
