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
//!   The form's info panel waits the same way on the counter, the lock's
//!   holder record and the slots' PIDs at once (`futex_waitv`): what a save,
//!   a hold, an instance arriving or leaving writes wakes it.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::sync::atomic::AtomicU32;
use std::time::Duration;

use memmap2::{MmapOptions, MmapRaw};

use super::layout::{
    COUNTER_AT, CorruptReason, HOLDER_AT, Image, MAGIC, MAGIC_AT, MAPPING_SIZE, PIDS_AT,
};
use crate::os::Doorbell;
use crate::os::futex::{self as futex_words, Word};
use crate::os::probe::{self, Fault};
use rustix::thread::futex;

/// The info panel's words as last read: (offset, value) of the change
/// counter's low half, the lock's holder record and each slot's PID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity(Vec<(usize, u32)>);

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

    /// The change counter and the time of the last write beside it (one
    /// read: they are adjacent in the header).
    pub(super) fn stamp(&self) -> Option<(u64, u64)> {
        let mut bytes = [0; 16];
        (self.read_at(COUNTER_AT, &mut bytes).ok() == Some(bytes.len())).then(|| {
            let (counter, written) = bytes.split_at(8);
            (
                u64::from_ne_bytes(counter.try_into().unwrap_or_default()),
                u64::from_ne_bytes(written.try_into().unwrap_or_default()),
            )
        })
    }

    /// The 32-bit word at `at` of the view, as a futex word (4-aligned: the
    /// mapping is page-aligned and every word used is at a multiple of 4).
    fn word(&self, at: usize) -> *const AtomicU32 {
        assert!(
            at.is_multiple_of(4) && at + 4 <= MAPPING_SIZE,
            "a word of the view"
        );
        self.map.as_ptr().wrapping_add(at).cast::<AtomicU32>()
    }

    /// The change counter's low half, the futex word of a save.
    fn counter_word(&self) -> *const AtomicU32 {
        let low_half = if cfg!(target_endian = "little") { 0 } else { 4 };
        self.word(COUNTER_AT + low_half)
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
        let word = unsafe { &*self.counter_word() };
        match futex::wait(word, futex::Flags::empty(), seen as u32, Some(&timeout)) {
            // Woken, moved already, timed out or interrupted: look again.
            Ok(()) => Ok(()),
            Err(
                rustix::io::Errno::AGAIN | rustix::io::Errno::TIMEDOUT | rustix::io::Errno::INTR,
            ) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Sleeps as [`wait_change`](Self::wait_change) does, or until `bell`
    /// is rung after `rung` was read from it (a signal handler's stop: the
    /// kernel restarts a plain futex wait after an `SA_RESTART` handler).
    pub(super) fn wait_change_or_rung(
        &self,
        seen: u64,
        bell: &Doorbell,
        rung: u32,
        timeout: Duration,
    ) -> io::Result<()> {
        let words = [
            Word::shared(self.counter_word(), seen as u32),
            Word::bell(bell, rung),
        ];
        futex_words::wait_any(&words, timeout)
    }

    /// Wakes every process waiting for a change (after a save's counter is
    /// written). A failure (the object truncated) wakes nobody, and the
    /// waiters' own timeouts cover it.
    pub(super) fn wake_all(&self) {
        // SAFETY: the word lies inside this view (aligned), mapped while
        // `self` lives.
        unsafe { futex_words::wake_shared(self.counter_word()) };
    }

    /// Wakes every process waiting on the word at `at` (the lock's holder
    /// record, a slot's PID) after it was written.
    pub(super) fn wake_word(&self, at: usize) {
        // SAFETY: as in `wake_all` (`word` checks the offset).
        unsafe { futex_words::wake_shared(self.word(at)) };
    }

    /// The words the info panel's facts hang on, as they are now: the
    /// change counter's low half, the lock's holder record and every slot's
    /// PID (read from the file: never a SIGBUS). None if the object is cut
    /// short.
    pub(super) fn activity(&self) -> Option<Activity> {
        let mut bytes = [0u8; MAPPING_SIZE];
        (self.read_at(0, &mut bytes).ok()? == MAPPING_SIZE).then(|| {
            let at = |at: usize| u32::from_ne_bytes(bytes[at..at + 4].try_into().expect("4"));
            let low_half = if cfg!(target_endian = "little") { 0 } else { 4 };
            let mut words = vec![
                (COUNTER_AT + low_half, at(COUNTER_AT + low_half)),
                (HOLDER_AT, at(HOLDER_AT)),
            ];
            words.extend((PIDS_AT..MAPPING_SIZE).step_by(4).map(|o| (o, at(o))));
            Activity(words)
        })
    }

    /// Sleeps until one of `seen`'s words changes or is woken, `bell` is
    /// rung after `rung` was read from it, or `timeout` passes. An error if
    /// the kernel could not look at the words (the object cut short).
    pub(super) fn wait_activity(
        &self,
        seen: &Activity,
        bell: &Doorbell,
        rung: u32,
        timeout: Duration,
    ) -> io::Result<()> {
        let mut words: Vec<Word> = seen
            .0
            .iter()
            .map(|&(at, value)| Word::shared(self.word(at), value))
            .collect();
        words.push(Word::bell(bell, rung));
        futex_words::wait_any(&words, timeout)
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
