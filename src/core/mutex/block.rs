//! The mutex lesson's own small mapping: a 4 KiB per-account object in
//! /dev/shm (`memlab-mutex.UID.NAME`, opened and checked like the shared
//! text's, see `shm_object`) holding a robust pthread mutex, raw_sync's
//! mutex and who holds each. The first instance to create it, or to find it
//! not marked ready, initialises it under the object's gate.
//!
//! Unlike the shared text, the object outlives its last instance: a lock
//! left held by a holder that died is the lesson, and it must still be
//! there for the next process that waits for it (until a reset).

use std::fs::File;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use memmap2::{MmapOptions, MmapRaw};

use super::MutexError;
use crate::core::shm_object::{ShmDir, euid};
use crate::core::slots::{Arrival, Roster, WhenLastLeaves};

/// Bytes of the mapping.
pub const BLOCK_SIZE: usize = 4096;
const MAGIC: u64 = u64::from_le_bytes(*b"memlabMX");
/// Where the robust pthread mutex lives (64-byte aligned).
const ROBUST_AT: usize = 256;
/// Where raw_sync's mutex lives, and the (unused) data pointer it wants.
const RAW_AT: usize = 512;
const RAW_DATA_AT: usize = 1024;

/// The header at offset 0, reached only through atomics (every instance
/// writes it).
#[repr(C)]
pub struct Header {
    magic: AtomicU64,
    /// PID that holds the robust mutex (0: none), set after locking.
    pub robust_holder: AtomicU32,
    /// PID that holds raw_sync's mutex (0: none).
    pub raw_holder: AtomicU32,
}

const _: () = assert!(size_of::<Header>() <= ROBUST_AT);
const _: () = assert!(ROBUST_AT + size_of::<libc::pthread_mutex_t>() <= RAW_AT);

/// The object's file name in /dev/shm for the lock `name` (already validated).
pub fn object_file_name(name: &str) -> String {
    format!("memlab-mutex.{}.{name}", euid())
}

/// One instance's mapping of the block.
pub struct Block {
    // Dropped first: the mapping goes before the roster may remove the name.
    map: MmapRaw,
    roster: Roster,
}

// SAFETY: the mapping is only reached through atomics and through pthread
// calls on process-shared mutexes, both made for concurrent use.
unsafe impl Send for Block {}
// SAFETY: as above.
unsafe impl Sync for Block {}

impl Block {
    /// Maps the block of the lock `name`, initialising it if no instance has yet.
    pub fn open(name: &str) -> Result<Self, MutexError> {
        let (roster, (mut map, arrival)) = Roster::join_in(
            ShmDir::open()?,
            &object_file_name(name),
            BLOCK_SIZE as u64,
            // A lock left held by a dead holder must outlive everyone.
            WhenLastLeaves::Keep,
            |file: &File, arrival| -> Result<(MmapRaw, Arrival), MutexError> {
                let map = map(file)?;
                if arrival != Arrival::Joined {
                    // Created, or left by instances that all ended: a block
                    // never initialised (or not ours) is set up now, under
                    // the gate; a valid one is kept, held locks included.
                    init_if_new(&map)?;
                }
                Ok((map, arrival))
            },
        )?;
        if arrival == Arrival::Created {
            // Mapped before it had a name: map it again by its name, so
            // that the address-space map shows /dev/shm/memlab-mutex.UID.NAME.
            if let Some(named) = roster.named_file()? {
                map = self::map(&named)?;
            }
        }
        Ok(Self { map, roster })
    }

    pub fn header(&self) -> &Header {
        header(&self.map)
    }

    pub fn robust_ptr(&self) -> *mut libc::pthread_mutex_t {
        self.map.as_mut_ptr().wrapping_add(ROBUST_AT).cast()
    }

    pub fn raw_ptrs(&self) -> (*mut u8, *mut u8) {
        raw_ptrs(&self.map)
    }

    /// Another open file of the block's object, for the file-lock kind:
    /// flock belongs to an open file, so each instance needs its own.
    pub fn lock_file(&self) -> Result<File, MutexError> {
        self.roster
            .reopen()
            .map_err(|e| MutexError::io("opening the block for its file lock", e))
    }

    /// (Re)initialises the robust mutex: process-shared, robust, error-checking.
    pub fn init_robust(&self) -> Result<(), MutexError> {
        init_robust(self.robust_ptr())
    }

    /// (Re)initialises raw_sync's mutex with the crate's own `new`.
    pub fn init_raw(&self) -> Result<(), MutexError> {
        init_raw(&self.map)
    }

    /// How many other instances have the block open now.
    pub fn others(&self) -> Result<usize, MutexError> {
        Ok(self.roster.attached()?.len().saturating_sub(1))
    }

    /// Removes the block's object when this instance leaves last.
    pub fn remove_when_last(&mut self) {
        self.roster.remove_when_last();
    }

    /// Runs `f` under the object's gate (a reset must not race an opener).
    pub fn under_gate<R>(&self, f: impl FnOnce() -> R) -> Result<R, MutexError> {
        Ok(self.roster.with_gate(f)?)
    }
}

fn map(file: &File) -> Result<MmapRaw, MutexError> {
    MmapOptions::new()
        .len(BLOCK_SIZE)
        .map_raw(file)
        .map_err(|e| MutexError::io("mapping the block", e))
}

fn header(map: &MmapRaw) -> &Header {
    // SAFETY: the mapping is BLOCK_SIZE bytes, page-aligned, and the header
    // is all atomics, valid for any bit pattern (zeros included).
    unsafe { &*map.as_ptr().cast::<Header>() }
}

fn raw_ptrs(map: &MmapRaw) -> (*mut u8, *mut u8) {
    let base = map.as_mut_ptr();
    (base.wrapping_add(RAW_AT), base.wrapping_add(RAW_DATA_AT))
}

fn init_if_new(map: &MmapRaw) -> Result<(), MutexError> {
    let h = header(map);
    if h.magic.load(Ordering::Acquire) != MAGIC {
        init_robust(map.as_mut_ptr().wrapping_add(ROBUST_AT).cast())?;
        init_raw(map)?;
        h.robust_holder.store(0, Ordering::Release);
        h.raw_holder.store(0, Ordering::Release);
        h.magic.store(MAGIC, Ordering::Release);
    }
    Ok(())
}

fn init_robust(mutex: *mut libc::pthread_mutex_t) -> Result<(), MutexError> {
    let mut attr = std::mem::MaybeUninit::<libc::pthread_mutexattr_t>::uninit();
    // SAFETY: `attr` is initialised by pthread_mutexattr_init before any
    // other use and destroyed once; `mutex` lies inside our mapping.
    unsafe {
        check(
            "pthread_mutexattr_init",
            libc::pthread_mutexattr_init(attr.as_mut_ptr()),
        )?;
        let attr = attr.as_mut_ptr();
        let result = check(
            "pthread_mutexattr_setpshared",
            libc::pthread_mutexattr_setpshared(attr, libc::PTHREAD_PROCESS_SHARED),
        )
        .and_then(|()| {
            check(
                "pthread_mutexattr_setrobust",
                libc::pthread_mutexattr_setrobust(attr, libc::PTHREAD_MUTEX_ROBUST),
            )
        })
        .and_then(|()| {
            check(
                "pthread_mutexattr_settype",
                libc::pthread_mutexattr_settype(attr, libc::PTHREAD_MUTEX_ERRORCHECK),
            )
        })
        .and_then(|()| check("pthread_mutex_init", libc::pthread_mutex_init(mutex, attr)));
        libc::pthread_mutexattr_destroy(attr);
        result
    }
}

fn init_raw(map: &MmapRaw) -> Result<(), MutexError> {
    use raw_sync::locks::{LockInit, Mutex};
    let (mem, data) = raw_ptrs(map);
    // SAFETY: both pointers lie inside our 4 KiB mapping, 8-aligned, with
    // room for a pthread_mutex_t; the handle is dropped at once.
    unsafe { Mutex::new(mem, data) }
        .map(drop)
        .map_err(|e| MutexError::RawSync {
            message: e.to_string(),
        })
}

fn check(call: &'static str, rc: i32) -> Result<(), MutexError> {
    if rc == 0 {
        Ok(())
    } else {
        Err(MutexError::Pthread { call, errno: rc })
    }
}
