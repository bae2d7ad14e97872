//! The mutex lesson's own small mapping: a 4 KiB per-account object
//! (`memlab-mutex.UID.NAME`, in the account's object folder, opened and
//! checked like the shared text's, see `shm_object`) holding a robust
//! pthread mutex, raw_sync's mutex, the data each lock guards and who says
//! it holds each. The instance that creates it initialises it, unnamed,
//! before anyone can see it.
//!
//! | bytes | what |
//! |---|---|
//! | 0..8 | magic `memlabMX` |
//! | 8..12 | layout version (2) |
//! | 16..32, 32..48 | robust, raw_sync: the holder's record: PID, thread id (u32 each), since (ms since 1970, u64) |
//! | 64 + 32 k .. +32 | the data lock k guards (file, raw_sync, robust: see `data`) |
//! | 256..296 | the robust pthread mutex |
//! | 512..552 | raw_sync's mutex (its data pointer at 1024, unused) |
//!
//! Another process of the account may truncate the object or write any byte
//! at any time, so every read is a `pread` of the whole block into a
//! [`Snapshot`], checked there, and every write a `pwrite`: neither can
//! fault. Only the pthread calls touch the mapping, after a check of the
//! object's size and bytes, and through a [`GuardedMap`] that turns a
//! truncation in between into a flag, not a SIGBUS.
//!
//! Unlike the shared text, the object outlives its last instance: a lock
//! left held by a holder that died is the lesson, and it must still be
//! there for the next process that waits for it (until a reset).

use std::fs::File;
use std::os::unix::fs::FileExt;

use super::bytes::{self, MUTEX_LEN, Seen};
use super::bytes::{init_raw_at, init_robust};
use super::fault::GuardedMap;
use crate::mutex::data::{DATA_LEN, GuardedData};
use crate::mutex::{BlockProblem, MutexError, MutexKind};
use crate::os::probe;
use crate::os::shm_object::{self, ShmDir, euid};
use crate::os::slots::{Arrival, Roster, WhenLastLeaves};

/// Bytes of the mapping.
pub const BLOCK_SIZE: usize = 4096;
const MAGIC: u64 = u64::from_le_bytes(*b"memlabMX");
const VERSION: u32 = 2;
const VERSION_AT: usize = 8;
const RECORDS_AT: usize = 16;
const RECORD_LEN: usize = 16;
const DATA_AT: usize = 64;
/// Where the robust pthread mutex lives (64-byte aligned).
const ROBUST_AT: usize = 256;
/// Where raw_sync's mutex lives, and the (unused) data pointer it wants.
const RAW_AT: usize = 512;
const RAW_DATA_AT: usize = 1024;

const _: () = assert!(RECORDS_AT + 2 * RECORD_LEN <= DATA_AT);
const _: () = assert!(DATA_AT + 3 * DATA_LEN <= ROBUST_AT);
const _: () = assert!(ROBUST_AT + MUTEX_LEN <= RAW_AT);

/// A holder's record in the header: what a holder says about itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Record {
    pub pid: u32,
    pub tid: u32,
    pub since_ms: u64,
}

/// A copy of the whole block, read in one `pread` and checked.
pub(super) struct Snapshot(Box<[u8; BLOCK_SIZE]>);

impl Snapshot {
    fn u32_at(&self, at: usize) -> u32 {
        u32::from_ne_bytes(self.0[at..at + 4].try_into().expect("4 bytes"))
    }

    /// The header's check: magic and version.
    fn header(&self) -> Result<(), BlockProblem> {
        let magic = u64::from_le_bytes(self.0[..8].try_into().expect("8 bytes"));
        if magic != MAGIC {
            return Err(BlockProblem::Magic(magic));
        }
        let version = self.u32_at(VERSION_AT);
        if version != VERSION {
            return Err(BlockProblem::Version {
                found: version,
                expected: VERSION,
            });
        }
        Ok(())
    }

    /// The bytes of `kind`'s pthread mutex (none for the file lock).
    pub(super) fn mutex_bytes(&self, kind: MutexKind) -> Option<[u8; MUTEX_LEN]> {
        let at = mutex_at(kind)?;
        Some(self.0[at..at + MUTEX_LEN].try_into().expect("mutex bytes"))
    }

    /// What `kind`'s mutex says (the file lock's is in the kernel, not here).
    pub(super) fn seen(&self, kind: MutexKind) -> Result<Option<Seen>, BlockProblem> {
        match (kind, self.mutex_bytes(kind)) {
            (MutexKind::Robust, Some(b)) => bytes::read_robust(&b).map(Some),
            (MutexKind::RawSync, Some(b)) => bytes::read_plain(&b).map(Some),
            _ => Ok(None),
        }
    }

    /// The holder's record of `kind`, if one is written.
    pub(super) fn record(&self, kind: MutexKind) -> Option<Record> {
        let at = record_at(kind)?;
        let pid = self.u32_at(at);
        (pid != 0).then(|| Record {
            pid,
            tid: self.u32_at(at + 4),
            since_ms: u64::from_ne_bytes(self.0[at + 8..at + 16].try_into().expect("8 bytes")),
        })
    }

    pub(super) fn data(&self, kind: MutexKind) -> GuardedData {
        let at = data_at(kind);
        GuardedData::from_bytes(&self.0[at..at + DATA_LEN])
    }
}

fn mutex_at(kind: MutexKind) -> Option<usize> {
    match kind {
        MutexKind::FileLock => None,
        MutexKind::RawSync => Some(RAW_AT),
        MutexKind::Robust => Some(ROBUST_AT),
    }
}

fn record_at(kind: MutexKind) -> Option<usize> {
    match kind {
        MutexKind::FileLock => None,
        MutexKind::Robust => Some(RECORDS_AT),
        MutexKind::RawSync => Some(RECORDS_AT + RECORD_LEN),
    }
}

fn data_at(kind: MutexKind) -> usize {
    let index = match kind {
        MutexKind::FileLock => 0,
        MutexKind::RawSync => 1,
        MutexKind::Robust => 2,
    };
    DATA_AT + index * DATA_LEN
}

/// The object's file name for the lock `name` (already validated).
pub fn object_file_name(name: &str) -> String {
    format!("memlab-mutex.{}.{name}", euid())
}

/// One instance's mapping of the block.
pub struct Block {
    // Dropped first: the mapping goes before the roster may remove the name.
    map: GuardedMap,
    roster: Roster,
}

impl std::fmt::Debug for Block {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Block")
            .field("path", &self.roster.path())
            .field("map", &self.map)
            .finish()
    }
}

impl Block {
    /// Maps the block of the lock `name`, initialising it if this instance
    /// creates it. A block left by others is taken as it is: if its bytes
    /// are not valid, each operation says so and a reset repairs it.
    pub fn open(name: &str) -> Result<Self, MutexError> {
        let roster = join(name)?;
        // Mapped by its name, so that the address-space map shows the
        // object's path (a mapping of the unnamed file shows /dev/shm/#INO).
        let map = match roster.named_file()? {
            Some(named) => map(&named)?,
            None => map(roster.file())?,
        };
        Ok(Self { map, roster })
    }

    /// Joins the block's roster without mapping it (to count the others and
    /// remove it): an existing block is neither read nor written.
    pub fn roster_only(name: &str) -> Result<Roster, MutexError> {
        join(name)
    }

    /// The whole block, read through the file (never faulting) and checked:
    /// its size on the descriptor, magic and version.
    pub(super) fn snapshot(&self) -> Result<Snapshot, BlockProblem> {
        snapshot_of(self.roster.file())
    }

    /// The snapshot and what `kind`'s mutex says, both checked.
    pub(super) fn check(&self, kind: MutexKind) -> Result<(Snapshot, Option<Seen>), BlockProblem> {
        let snap = self.snapshot()?;
        let seen = snap.seen(kind)?;
        Ok((snap, seen))
    }

    /// Maps the object again if a truncation replaced this instance's pages
    /// and the object is whole again (after someone's reset). The raw_sync
    /// handles made before must be made again (`raw_ptrs` moved).
    pub(super) fn remap_if_replaced(&mut self) -> Result<(), MutexError> {
        if self.map.replaced() && self.snapshot().is_ok() {
            self.map = map(self.roster.file())?;
        }
        Ok(())
    }

    /// True once this instance's pages were replaced by private ones (the
    /// object was truncated under an operation).
    pub(super) fn replaced(&self) -> bool {
        self.map.replaced()
    }

    /// Replaces this instance's pages with a private copy holding `mutex`
    /// at `kind`'s place: what it last saw of the mutex it holds, to unlock
    /// that copy without touching the object again.
    pub(super) fn detach(&self, kind: MutexKind, mutex: &[u8; MUTEX_LEN]) {
        let mut image = vec![0u8; BLOCK_SIZE];
        if let Some(at) = mutex_at(kind) {
            image[at..at + MUTEX_LEN].copy_from_slice(mutex);
        }
        // If even this fails the pages stay shared: the caller then does
        // not unlock, and the object is reported as it is.
        let _ = self.map.replace_with(&image);
    }

    pub fn robust_ptr(&self) -> *mut libc::pthread_mutex_t {
        self.map.as_mut_ptr().wrapping_add(ROBUST_AT).cast()
    }

    pub fn raw_ptrs(&self) -> (*mut u8, *mut u8) {
        let base = self.map.as_mut_ptr();
        (base.wrapping_add(RAW_AT), base.wrapping_add(RAW_DATA_AT))
    }

    /// The current bytes of `kind`'s mutex in this instance's mapping (its
    /// own view, read without faulting), e.g. right after locking it.
    pub(super) fn mapped_mutex(&self, kind: MutexKind) -> Option<[u8; MUTEX_LEN]> {
        let at = mutex_at(kind)?;
        let mut bytes = [0u8; MUTEX_LEN];
        crate::os::probe::read(self.map.as_mut_ptr().wrapping_add(at), &mut bytes).ok()?;
        Some(bytes)
    }

    /// Writes `bytes` at `at` through this instance's mapping, never
    /// growing the object back: a page truncated away is refused by the
    /// kernel (the probe's copy), not written and not a SIGBUS.
    fn write_mapped(&self, at: usize, bytes: &[u8]) -> Result<(), BlockProblem> {
        assert!(at + bytes.len() <= BLOCK_SIZE, "write past the block");
        let gone = || self.snapshot().err().unwrap_or(BlockProblem::Vanished);
        if self.map.replaced() {
            return Err(BlockProblem::Vanished);
        }
        // SAFETY: the range lies inside the guarded mapping (asserted), which
        // no Rust reference points into: it is reached only through the
        // probe and the pthread calls on its mutexes.
        unsafe { probe::write(self.map.as_mut_ptr().wrapping_add(at), bytes) }
            .map_err(|_| gone())?;
        if self.map.replaced() {
            return Err(gone());
        }
        Ok(())
    }

    /// Writes (or with `None` clears) `kind`'s holder record.
    pub(super) fn write_record(&self, kind: MutexKind, record: Option<Record>) {
        let Some(at) = record_at(kind) else { return };
        let mut bytes = [0u8; RECORD_LEN];
        if let Some(r) = record {
            bytes[0..4].copy_from_slice(&r.pid.to_ne_bytes());
            bytes[4..8].copy_from_slice(&r.tid.to_ne_bytes());
            bytes[8..16].copy_from_slice(&r.since_ms.to_ne_bytes());
        }
        // A record is for people to read: losing one loses only that.
        let _ = self.write_mapped(at, &bytes);
    }

    /// Writes `kind`'s guarded data (the caller holds the lock).
    pub(super) fn write_data(
        &self,
        kind: MutexKind,
        data: GuardedData,
    ) -> Result<(), BlockProblem> {
        self.write_mapped(data_at(kind), &data.to_bytes())
    }

    /// Another open file of the block's object, for the file-lock kind:
    /// flock belongs to an open file, so each instance needs its own.
    pub fn lock_file(&self) -> Result<File, MutexError> {
        self.roster
            .reopen()
            .map_err(|e| MutexError::io("opening the block for its file lock", e))
    }

    /// Re-initialises `kind`'s mutex, holder record and data, or the whole
    /// block when its header is not valid (size, magic, version), under the
    /// object's gate so that no instance attaches meanwhile.
    pub(super) fn reinitialise(&mut self, kind: MutexKind) -> Result<(), MutexError> {
        let whole = self.snapshot().is_err();
        if whole {
            let path = self.roster.path();
            shm_object::reserve(self.roster.file(), BLOCK_SIZE as u64, &path)?;
        }
        // The object is whole again: map it again if a truncation took this
        // instance's pages.
        if self.map.replaced() {
            self.map = map(self.roster.file())?;
        }
        let (file, map) = (self.roster.file(), &self.map);
        self.roster.with_gate(|| {
            if whole {
                init_all(file, map)
            } else {
                init_kind(file, map, kind)
            }
        })??;
        if self.map.replaced() {
            // Truncated again during the re-initialisation.
            return Err(MutexError::io(
                "re-initialising the lock",
                std::io::Error::other("the object was truncated meanwhile"),
            ));
        }
        Ok(())
    }
}

/// Joins the roster of the lock `name`'s block, creating and initialising
/// the block if there is none; the block outlives its last instance.
fn join(name: &str) -> Result<Roster, MutexError> {
    let (roster, ()) = Roster::join_in(
        ShmDir::open()?,
        &object_file_name(name),
        BLOCK_SIZE as u64,
        // A lock left held by a dead holder must outlive everyone.
        WhenLastLeaves::Keep,
        |file: &File, arrival| -> Result<(), MutexError> {
            if arrival == Arrival::Created {
                // Unnamed, storage reserved: nobody can truncate it yet.
                init_all(file, &map(file)?)?;
            }
            Ok(())
        },
    )?;
    Ok(roster)
}

/// The whole block of `file`, checked (size, magic, version).
fn snapshot_of(file: &File) -> Result<Snapshot, BlockProblem> {
    let size = shm_object::size_of(file).map_err(|_| BlockProblem::Unreadable)?;
    if size < BLOCK_SIZE as u64 {
        return Err(BlockProblem::TooSmall {
            size,
            need: BLOCK_SIZE as u64,
        });
    }
    let mut snap = Snapshot(Box::new([0u8; BLOCK_SIZE]));
    let mut got = 0;
    while got < BLOCK_SIZE {
        match file.read_at(&mut snap.0[got..], got as u64) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return Err(BlockProblem::Unreadable),
        }
    }
    if got < BLOCK_SIZE {
        return Err(BlockProblem::TooSmall {
            size: got as u64,
            need: BLOCK_SIZE as u64,
        });
    }
    snap.header()?;
    Ok(snap)
}

fn map(file: &File) -> Result<GuardedMap, MutexError> {
    GuardedMap::map(file, BLOCK_SIZE).map_err(|e| MutexError::io("mapping the block", e))
}

/// A new block: header, records, data and both mutexes.
fn init_all(file: &File, map: &GuardedMap) -> Result<(), MutexError> {
    let mut header = [0u8; DATA_AT];
    header[..8].copy_from_slice(&MAGIC.to_le_bytes());
    header[VERSION_AT..VERSION_AT + 4].copy_from_slice(&VERSION.to_ne_bytes());
    file.write_all_at(&header, 0)
        .map_err(|e| MutexError::io("writing the block's header", e))?;
    for kind in MutexKind::ALL {
        init_kind(file, map, kind)?;
    }
    Ok(())
}

/// `kind`'s mutex made anew, its record cleared and its data fresh.
fn init_kind(file: &File, map: &GuardedMap, kind: MutexKind) -> Result<(), MutexError> {
    let base = map.as_mut_ptr();
    match kind {
        MutexKind::FileLock => {}
        MutexKind::RawSync => {
            init_raw_at(base.wrapping_add(RAW_AT), base.wrapping_add(RAW_DATA_AT))?
        }
        MutexKind::Robust => init_robust(base.wrapping_add(ROBUST_AT).cast())?,
    }
    if let Some(at) = record_at(kind) {
        file.write_all_at(&[0u8; RECORD_LEN], at as u64)
            .map_err(|e| MutexError::io("clearing the holder's record", e))?;
    }
    file.write_all_at(&GuardedData::fresh().to_bytes(), data_at(kind) as u64)
        .map_err(|e| MutexError::io("writing the guarded data", e))
}
