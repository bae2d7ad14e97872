//! The mutex lesson's own small mapping: a 4 KiB file in memlab's private
//! runtime folder holding a robust pthread mutex, raw_sync's mutex and who
//! holds each. It is initialised once, under a gate lock, by the first
//! instance that finds it missing or not yet marked as ready.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use memmap2::{MmapOptions, MmapRaw};

use super::MutexError;
use crate::core::timed_lock::{AcquireError, FileLock, open_private};

/// Bytes of the mapping.
pub const BLOCK_SIZE: usize = 4096;
const MAGIC: u64 = u64::from_le_bytes(*b"memlabMX");
/// Where the robust pthread mutex lives (64-byte aligned).
const ROBUST_AT: usize = 256;
/// Where raw_sync's mutex lives, and the (unused) data pointer it wants.
const RAW_AT: usize = 512;
const RAW_DATA_AT: usize = 1024;
/// How long opening waits for another instance that is initialising.
const GATE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

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

/// One instance's mapping of the block.
pub struct Block {
    map: MmapRaw,
    _file: File,
    gate: PathBuf,
}

// SAFETY: the mapping is only reached through atomics and through pthread
// calls on process-shared mutexes, both made for concurrent use.
unsafe impl Send for Block {}
// SAFETY: as above.
unsafe impl Sync for Block {}

impl Block {
    /// Maps `dir/block`, initialising it if no instance has yet.
    pub fn open(dir: &Path) -> Result<Self, MutexError> {
        let gate_path = dir.join("gate");
        let gate = FileLock::open(&gate_path).map_err(|e| MutexError::io("opening the gate", e))?;
        let _held = gate.acquire(GATE_TIMEOUT).map_err(gate_error)?;
        let path = dir.join("block");
        let file = open_private(&path).map_err(|e| MutexError::io("opening the block", e))?;
        let len = file
            .metadata()
            .map_err(|e| MutexError::io("reading the block", e))?
            .len();
        if len != BLOCK_SIZE as u64 {
            file.set_len(0)
                .and_then(|()| file.set_len(BLOCK_SIZE as u64))
                .map_err(|e| MutexError::io("sizing the block", e))?;
        }
        let map = MmapOptions::new()
            .len(BLOCK_SIZE)
            .map_raw(&file)
            .map_err(|e| MutexError::io("mapping the block", e))?;
        let block = Self {
            map,
            _file: file,
            gate: gate_path,
        };
        if block.header().magic.load(Ordering::Acquire) != MAGIC {
            block.init_robust()?;
            block.init_raw()?;
            block.header().robust_holder.store(0, Ordering::Release);
            block.header().raw_holder.store(0, Ordering::Release);
            block.header().magic.store(MAGIC, Ordering::Release);
        }
        Ok(block)
    }

    pub fn header(&self) -> &Header {
        // SAFETY: the mapping is BLOCK_SIZE bytes, page-aligned, and the
        // header is all atomics, valid for any bit pattern (zeros included).
        unsafe { &*self.map.as_ptr().cast::<Header>() }
    }

    pub fn robust_ptr(&self) -> *mut libc::pthread_mutex_t {
        self.map.as_mut_ptr().wrapping_add(ROBUST_AT).cast()
    }

    pub fn raw_ptrs(&self) -> (*mut u8, *mut u8) {
        let base = self.map.as_mut_ptr();
        (base.wrapping_add(RAW_AT), base.wrapping_add(RAW_DATA_AT))
    }

    /// (Re)initialises the robust mutex: process-shared, robust, error-checking.
    pub fn init_robust(&self) -> Result<(), MutexError> {
        let mut attr = std::mem::MaybeUninit::<libc::pthread_mutexattr_t>::uninit();
        // SAFETY: `attr` is initialised by pthread_mutexattr_init before any
        // other use and destroyed once; the mutex lies inside our mapping.
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
            .and_then(|()| {
                check(
                    "pthread_mutex_init",
                    libc::pthread_mutex_init(self.robust_ptr(), attr),
                )
            });
            libc::pthread_mutexattr_destroy(attr);
            result
        }
    }

    /// (Re)initialises raw_sync's mutex with the crate's own `new`.
    pub fn init_raw(&self) -> Result<(), MutexError> {
        use raw_sync::locks::{LockInit, Mutex};
        let (mem, data) = self.raw_ptrs();
        // SAFETY: both pointers lie inside our 4 KiB mapping, 8-aligned,
        // with room for a pthread_mutex_t; the handle is dropped at once.
        unsafe { Mutex::new(mem, data) }
            .map(drop)
            .map_err(|e| MutexError::RawSync {
                message: e.to_string(),
            })
    }

    /// Runs `f` under the gate lock (a reset must not race an opener).
    pub fn under_gate<R>(&self, f: impl FnOnce() -> R) -> Result<R, MutexError> {
        let gate = FileLock::open(&self.gate).map_err(|e| MutexError::io("opening the gate", e))?;
        let _held = gate.acquire(GATE_TIMEOUT).map_err(gate_error)?;
        Ok(f())
    }
}

fn gate_error(e: AcquireError) -> MutexError {
    match e {
        AcquireError::TimedOut(_) => {
            MutexError::io("waiting for the gate", std::io::ErrorKind::TimedOut.into())
        }
        AcquireError::Io(e) => MutexError::io("taking the gate", e),
    }
}

fn check(call: &'static str, rc: i32) -> Result<(), MutexError> {
    if rc == 0 {
        Ok(())
    } else {
        Err(MutexError::Pthread { call, errno: rc })
    }
}
