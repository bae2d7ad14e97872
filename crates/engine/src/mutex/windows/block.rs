//! The mutex lesson's own small mapping on Windows: a 4 KiB named mapping
//! of the paging file, `Local\memlab.mutex.<name>`, holding the data each
//! lock guards, who says it holds each, and raw_sync's mutex (a number that
//! names its Win32 mutex, `mutex_<n>`). The first instance creates and
//! initialises it under the gate mutex `<mapping>.Attach`, so a joiner
//! never reads a half-made block. Windows keeps the mapping while any
//! process holds a handle; no one can truncate it, but any process of the
//! session may write any byte, so every read is checked.
//!
//! | bytes | what |
//! |---|---|
//! | 0..8 | magic `memlabMW` |
//! | 8..12 | layout version (1) |
//! | 16 + 16 k .. +16 | lock k's holder record: PID, thread id (u32 each), since (ms since 1970, u64) |
//! | 64 + 32 k .. +32 | the data lock k guards (file, raw_sync, Win32: see `data`) |
//! | 512..516 | raw_sync's mutex id (raw_sync writes it) |

use std::time::Duration;

use raw_sync::locks::{LockImpl, LockInit, Mutex};

use crate::mutex::data::{DATA_LEN, GuardedData};
use crate::mutex::{BlockProblem, MutexError, MutexKind};
use crate::os::named_mutex::{NamedMutex, WaitError};
use crate::os::shm_object::{IoOp, NamedMapping, Namespace, ObjectError, object_name};
use crate::os::slots::Roster;

/// Bytes of the mapping.
pub const BLOCK_SIZE: usize = 4096;
const MAGIC: u64 = u64::from_le_bytes(*b"memlabMW");
const VERSION: u32 = 1;
const VERSION_AT: usize = 8;
const RECORDS_AT: usize = 16;
const RECORD_LEN: usize = 16;
const DATA_AT: usize = 64;
/// raw_sync's mutex id (a u32 it writes) and the data pointer it wants.
const RAW_AT: usize = 512;
const RAW_DATA_AT: usize = 1024;
/// How long attaching waits for another instance that is attaching.
const ATTACH_TIMEOUT: Duration = Duration::from_secs(5);

const _: () = assert!(RECORDS_AT + 3 * RECORD_LEN <= DATA_AT);
const _: () = assert!(DATA_AT + 3 * DATA_LEN <= RAW_AT);

/// The lock `name`'s mapping: `Local\memlab.mutex.<name>`.
pub fn mapping_name(name: &str) -> String {
    object_name(Namespace::Local, &format!("mutex.{name}"), "")
}

/// The lock `name`'s object, as [`mapping_name`] (the Linux build's
/// counterpart names a file in the account's folder).
pub fn object_file_name(name: &str) -> String {
    mapping_name(name)
}

/// The Win32 named mutex of the lock `name`: `Local\memlab.mutex.<name>.Win32`.
pub(super) fn win32_mutex_name(name: &str) -> String {
    object_name(Namespace::Local, &format!("mutex.{name}"), ".Win32")
}

/// The file `LockFileEx` locks for the lock `name`, in the user's temporary folder.
pub(super) fn lock_file_path(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("memlab.mutex.{name}.lock"))
}

/// A holder's record: what a holder says about itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Record {
    pub pid: u32,
    pub tid: u32,
    pub since_ms: u64,
}

/// A fresh header, no holders and fresh data.
fn initialise(mapping: &NamedMapping) {
    let mut head = [0u8; DATA_AT];
    head[..8].copy_from_slice(&MAGIC.to_le_bytes());
    head[VERSION_AT..VERSION_AT + 4].copy_from_slice(&VERSION.to_ne_bytes());
    mapping.write(0, &head);
    for kind in MutexKind::ALL {
        mapping.write(data_at(kind), &GuardedData::fresh().to_bytes());
    }
}

fn raw_ptr(mapping: &NamedMapping, at: usize) -> *mut u8 {
    (mapping.address() + at) as *mut u8
}

fn raw_sync_error(e: Box<dyn std::error::Error>) -> MutexError {
    MutexError::RawSync {
        message: e.to_string(),
    }
}

/// raw_sync's mutex as the block names it (`OpenMutexA("mutex_<id>")`).
fn open_raw(mapping: &NamedMapping) -> Result<Box<dyn LockImpl>, MutexError> {
    // SAFETY: both slots lie inside the view, which the block keeps as
    // long as the handle; `from_existing` only reads the id.
    unsafe { Mutex::from_existing(raw_ptr(mapping, RAW_AT), raw_ptr(mapping, RAW_DATA_AT)) }
        .map(|(mutex, _)| mutex)
        .map_err(raw_sync_error)
}

fn data_at(kind: MutexKind) -> usize {
    DATA_AT + DATA_LEN * index(kind)
}

fn index(kind: MutexKind) -> usize {
    match kind {
        MutexKind::FileLock => 0,
        MutexKind::RawSync => 1,
        MutexKind::Robust => 2,
    }
}

/// This instance's view of the block, its handles on the lesson's two
/// mutexes and its slot among the instances that have the lock open. The
/// handles are kept as long as the view whatever the instance's kind: a
/// Win32 mutex dies with its last handle, so an instance of any kind keeps
/// a crashed holder's mutex abandoned (not gone) for the next waiter, and
/// keeps raw_sync's mutex, which its number in the block does not keep.
pub(super) struct Block {
    mapping: NamedMapping,
    win32: NamedMutex,
    raw: Box<dyn LockImpl>,
    _slot: Roster,
}

impl std::fmt::Debug for Block {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Block")
            .field("mapping", &self.mapping)
            .finish_non_exhaustive()
    }
}

impl Block {
    /// Opens the block of the lock `name`, creating and initialising it
    /// (under the attach gate) if no process holds it.
    pub(super) fn open(name: &str) -> Result<Self, MutexError> {
        let object = mapping_name(name);
        let gate = NamedMutex::create(&format!("{object}.Attach"))?;
        let _turn = match gate.wait(ATTACH_TIMEOUT) {
            Ok(turn) => turn,
            Err(WaitError::TimedOut(_)) => {
                return Err(MutexError::Object(ObjectError::Io {
                    op: IoOp::Lock,
                    name: format!("{object}.Attach"),
                    source: std::io::Error::from(std::io::ErrorKind::TimedOut),
                }));
            }
            Err(WaitError::Os(source)) => {
                return Err(MutexError::Object(ObjectError::Io {
                    op: IoOp::Lock,
                    name: format!("{object}.Attach"),
                    source,
                }));
            }
        };
        let mapping = NamedMapping::create_or_open(&object, BLOCK_SIZE)?;
        let slot = Roster::join(&object)?;
        let win32 = NamedMutex::create(&win32_mutex_name(name))?;
        if mapping.created() {
            initialise(&mapping);
            // SAFETY: the id slot and the data slot lie inside the view,
            // which the block keeps as long as raw_sync's handle; raw_sync
            // writes only its 4-byte id there.
            let made =
                unsafe { Mutex::new(raw_ptr(&mapping, RAW_AT), raw_ptr(&mapping, RAW_DATA_AT)) };
            let (raw, _) = made.map_err(raw_sync_error)?;
            return Ok(Self {
                mapping,
                win32,
                raw,
                _slot: slot,
            });
        }
        let raw = open_raw(&mapping)?;
        Ok(Self {
            mapping,
            win32,
            raw,
            _slot: slot,
        })
    }

    /// How many instances have the lock `name` open, if any has: its
    /// mapping, without creating it, and a look at its roster.
    pub(super) fn instances(name: &str) -> Result<Option<usize>, MutexError> {
        let object = mapping_name(name);
        let Some(_mapping) = NamedMapping::open_existing(&object, BLOCK_SIZE)? else {
            return Ok(None);
        };
        let me = Roster::join(&object)?;
        Ok(Some(me.attached()?.len().saturating_sub(1)))
    }

    /// Writes a fresh header, no holders and fresh data; raw_sync's mutex
    /// is kept (every instance holds a handle on it).
    pub(super) fn reinitialise(&self) {
        let raw_id = self.raw_id();
        initialise(&self.mapping);
        self.mapping.write(RAW_AT, &raw_id.to_ne_bytes());
    }

    /// This instance's handle on the Win32 named mutex.
    pub(super) fn win32_mutex(&self) -> &NamedMutex {
        &self.win32
    }

    /// This instance's handle on raw_sync's mutex.
    pub(super) fn raw_mutex(&self) -> &dyn LockImpl {
        self.raw.as_ref()
    }

    /// The number in raw_sync's mutex name (`mutex_<id>`).
    pub(super) fn raw_id(&self) -> u32 {
        let mut id = [0u8; 4];
        self.mapping.read(RAW_AT, &mut id);
        u32::from_ne_bytes(id)
    }

    /// The header's check: magic and version.
    pub(super) fn check(&self) -> Result<(), BlockProblem> {
        let mut head = [0u8; 12];
        self.mapping.read(0, &mut head);
        let magic = u64::from_le_bytes(head[..8].try_into().expect("8 bytes"));
        if magic != MAGIC {
            return Err(BlockProblem::Magic(magic));
        }
        let version = u32::from_ne_bytes(head[8..12].try_into().expect("4 bytes"));
        if version != VERSION {
            return Err(BlockProblem::Version {
                found: version,
                expected: VERSION,
            });
        }
        Ok(())
    }

    pub(super) fn data(&self, kind: MutexKind) -> GuardedData {
        let mut bytes = [0u8; DATA_LEN];
        self.mapping.read(data_at(kind), &mut bytes);
        GuardedData::from_bytes(&bytes)
    }

    pub(super) fn write_data(&self, kind: MutexKind, data: GuardedData) {
        self.mapping.write(data_at(kind), &data.to_bytes());
    }

    pub(super) fn record(&self, kind: MutexKind) -> Option<Record> {
        let mut bytes = [0u8; RECORD_LEN];
        self.mapping
            .read(RECORDS_AT + RECORD_LEN * index(kind), &mut bytes);
        let u32_at = |at: usize| u32::from_ne_bytes(bytes[at..at + 4].try_into().expect("4"));
        let record = Record {
            pid: u32_at(0),
            tid: u32_at(4),
            since_ms: u64::from_ne_bytes(bytes[8..16].try_into().expect("8")),
        };
        (record.pid != 0).then_some(record)
    }

    pub(super) fn write_record(&self, kind: MutexKind, record: Option<Record>) {
        let mut bytes = [0u8; RECORD_LEN];
        if let Some(r) = record {
            bytes[..4].copy_from_slice(&r.pid.to_ne_bytes());
            bytes[4..8].copy_from_slice(&r.tid.to_ne_bytes());
            bytes[8..].copy_from_slice(&r.since_ms.to_ne_bytes());
        }
        self.mapping
            .write(RECORDS_AT + RECORD_LEN * index(kind), &bytes);
    }
}
