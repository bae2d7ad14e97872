//! The object as memory (the book's view) and as a file.
//!
//! Another process may truncate the object at any moment, and a plain load
//! or store of a mapped page past its new end kills the process with
//! SIGBUS. So:
//! - **writes** go into the mapped view, and only through
//!   `crate::os::probe` (`process_vm_writev` on our own process), which
//!   reports a vanished page as an error value;
//! - **reads** copy the same pages with `pread` on the object's descriptor:
//!   a file read cannot fault (past the end it reads short, which also tells
//!   the object's size) and costs a third of a `process_vm_readv` here
//!   (0.5 vs 1.4 µs), which keeps a locked load under 2 µs.
//!
//! On tmpfs the file's pages are the very pages every view maps, so both
//! paths see each other's bytes at once.
//!
//! - **waits** for a save are a futex on the change counter's low 32 bits
//!   (`FUTEX_WAIT`/`FUTEX_WAKE`, shared: the key is the object's page, so
//!   every process mapping it meets on the same futex). Only the kernel
//!   touches the word, and it never raises SIGBUS for a page past the
//!   object's end: it reports `EFAULT`, and the caller falls back to polling.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::sync::atomic::AtomicU32;
use std::time::Duration;

use memmap2::{MmapOptions, MmapRaw};

use super::layout::{COUNTER_AT, CorruptReason, HOLDER_AT, Image, MAGIC, MAGIC_AT, MAPPING_SIZE};
use crate::os::probe::{self, Fault};
use rustix::thread::futex;

#[derive(Debug)]
pub(super) struct View {
    map: MmapRaw,
    /// This instance's open file of the object (a duplicate descriptor).
    file: File,
}

impl View {
    /// Maps `MAPPING_SIZE` bytes of the object, shared, read-write, whatever
    /// its size now (pages past its end simply fault, as values).
    pub(super) fn map(file: &File) -> io::Result<Self> {
        let map = MmapOptions::new().len(MAPPING_SIZE).map_raw(file)?;
        Ok(Self {
            map,
            file: file.try_clone()?,
        })
    }

    /// The whole object, in one read; a short object is `TooSmall`.
    pub(super) fn read(&self) -> Result<Image, CorruptReason> {
        let mut image = Image([0; MAPPING_SIZE]);
        let got = self
            .read_at(0, &mut image.0)
            .map_err(|_| CorruptReason::Unreadable)?;
        if got < MAPPING_SIZE {
            return Err(CorruptReason::TooSmall {
                size: got as u64,
                need: MAPPING_SIZE as u64,
            });
        }
        Ok(image)
    }

    /// Reads from offset `at` until `buf` is full or the object ends; the
    /// bytes read.
    fn read_at(&self, at: usize, buf: &mut [u8]) -> io::Result<usize> {
        let mut got = 0;
        while got < buf.len() {
            match self.file.read_at(&mut buf[got..], (at + got) as u64)? {
                0 => break,
                n => got += n,
            }
        }
        Ok(got)
    }

    pub(super) fn write_at(&self, at: usize, bytes: &[u8]) -> Result<(), Fault> {
        assert!(at + bytes.len() <= MAPPING_SIZE, "write past the view");
        // SAFETY: the range lies inside this view (asserted above), which no
        // Rust reference ever points into: every access goes through the
        // probe, so writing behind the compiler's back breaks no aliasing.
        unsafe { probe::write(self.map.as_mut_ptr().wrapping_add(at), bytes) }
    }

    /// The change counter, without the lock (a torn value only costs a
    /// needless load).
    pub(super) fn counter(&self) -> Option<u64> {
        let mut bytes = [0; 8];
        (self.read_at(COUNTER_AT, &mut bytes).ok() == Some(bytes.len()))
            .then(|| u64::from_ne_bytes(bytes))
    }

    /// The change counter's low half, the futex word (4-aligned: the
    /// mapping is page-aligned and the counter's offset is a multiple of 8).
    fn futex_word(&self) -> *const AtomicU32 {
        let low_half = if cfg!(target_endian = "little") { 0 } else { 4 };
        self.map
            .as_ptr()
            .wrapping_add(COUNTER_AT + low_half)
            .cast::<AtomicU32>()
    }

    /// Sleeps until a save wakes the futex, the counter's low half is no
    /// longer `seen`'s, or `timeout` passes; a signal also ends it. An error
    /// only if the kernel could not look at the word (`EFAULT`: the object
    /// was truncated under it).
    pub(super) fn wait_change(&self, seen: u64, timeout: Duration) -> io::Result<()> {
        let timeout = rustix::time::Timespec::try_from(timeout).unwrap_or(rustix::time::Timespec {
            tv_sec: 1,
            tv_nsec: 0,
        });
        // SAFETY: the word lies inside this view, which stays mapped while
        // `self` lives; `AtomicU32` is interior mutable, so other processes
        // writing it break nothing; and it is only handed to the kernel,
        // never loaded in this process (on a page cut off by a truncation
        // such a load would be a SIGBUS; the kernel returns EFAULT instead).
        let word = unsafe { &*self.futex_word() };
        match futex::wait(word, futex::Flags::empty(), seen as u32, Some(&timeout)) {
            // Woken, moved already, timed out or interrupted: look again.
            Ok(()) => Ok(()),
            Err(
                rustix::io::Errno::AGAIN | rustix::io::Errno::TIMEDOUT | rustix::io::Errno::INTR,
            ) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Wakes every process waiting for a change (after a save's counter is
    /// written). A failure (the object truncated) wakes nobody, and the
    /// waiters' own timeouts cover it.
    pub(super) fn wake_all(&self) {
        // SAFETY: as in `wait_change`: only the kernel looks at the word.
        let word = unsafe { &*self.futex_word() };
        let _ = futex::wake(word, futex::Flags::empty(), i32::MAX as u32);
    }

    /// True if the object starts with memlab's magic number (a backing file
    /// memlab wrote, whatever the state of the rest).
    pub(super) fn has_magic(&self) -> bool {
        let mut bytes = [0; 8];
        self.read_at(MAGIC_AT, &mut bytes).ok() == Some(bytes.len())
            && u64::from_ne_bytes(bytes) == MAGIC
    }

    /// Writes the view's pages to the file and waits (msync).
    pub(super) fn flush(&self) -> io::Result<()> {
        self.map.flush()
    }

    /// The PID recorded as the lock's holder, if any.
    pub(super) fn holder(&self) -> Option<u32> {
        let mut bytes = [0; 4];
        (self.read_at(HOLDER_AT, &mut bytes).ok() == Some(bytes.len()))
            .then(|| u32::from_ne_bytes(bytes))
            .filter(|&pid| pid != 0)
    }
}
