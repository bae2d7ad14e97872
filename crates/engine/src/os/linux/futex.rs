//! Sleeping until one of several 32-bit words changes or is woken, with one
//! `futex_waitv` (Linux 5.16 and later): words of a shared mapping (the
//! futex key is the object's page, so every process mapping it meets on
//! the same futex) and a [`Doorbell`] of this process that another thread
//! rings to end the sleep (the bell is `os::doorbell`'s; its futex wake is
//! here). A waiter reads the words first, then looks at
//! what they guard, then waits on the values it read: a change made in
//! between makes the wait return at once, so no change is missed.
//!
//! Only the kernel touches a shared word here: a page cut off by a
//! truncation is an `EFAULT` from the kernel, never a SIGBUS.

use std::io;
use std::sync::atomic::AtomicU32;
use std::time::Duration;

use rustix::thread::futex;
use rustix::time::{ClockId, Timespec};

use crate::os::Doorbell;

/// The most words one wait takes (the kernel's `FUTEX_WAITV_MAX`).
pub const MAX_WORDS: usize = 128;

/// What a [`Doorbell`] keeps on Linux beside its count: nothing, the count
/// is the futex word a waiter sleeps on.
#[derive(Debug)]
pub(in crate::os) struct BellWake;

impl BellWake {
    pub(in crate::os) fn new() -> Self {
        Self
    }

    /// Wakes the thread sleeping on the bell's count (just bumped).
    pub(in crate::os) fn ring(&self, rung: &AtomicU32) {
        futex::wake(rung, futex::Flags::PRIVATE, u32::MAX >> 1).ok();
    }
}

/// One word to wait on, with the value last read from it.
#[derive(Debug, Clone, Copy)]
pub struct Word {
    wait: futex::Wait,
}

impl Word {
    /// A 4-aligned word of a shared mapping that stays mapped while the
    /// wait lasts. Only its address goes to the kernel, which reports a
    /// page past the object's end as `EFAULT`.
    pub fn shared(addr: *const AtomicU32, seen: u32) -> Self {
        Self::new(addr, seen, futex::WaitFlags::SIZE_U32)
    }

    /// `bell`, as it was when `rung` was read from it.
    pub fn bell(bell: &Doorbell, rung: u32) -> Self {
        Self::new(
            &bell.rung,
            rung,
            futex::WaitFlags::SIZE_U32 | futex::WaitFlags::PRIVATE,
        )
    }

    fn new(addr: *const AtomicU32, seen: u32, flags: futex::WaitFlags) -> Self {
        let mut wait = futex::Wait::new();
        wait.val = u64::from(seen);
        wait.uaddr = futex::WaitPtr::new(addr.cast_mut().cast());
        wait.flags = flags;
        Self { wait }
    }
}

/// Sleeps until one of `words` is woken or no longer holds the value it
/// was read with, or `timeout` passes; a signal also ends it. An error only
/// if the kernel could not look at a word (`EFAULT`: a shared object
/// truncated under it) or has no `futex_waitv` (`ENOSYS`, before 5.16):
/// the caller then polls.
pub fn wait_any(words: &[Word], timeout: Duration) -> io::Result<()> {
    assert!(words.len() <= MAX_WORDS, "too many words for one wait");
    let waits: Vec<futex::Wait> = words.iter().map(|w| w.wait).collect();
    // futex_waitv's timeout is a point in time on the given clock.
    let now = rustix::time::clock_gettime(ClockId::Monotonic);
    let add = Timespec::try_from(timeout).unwrap_or(Timespec {
        tv_sec: 1,
        tv_nsec: 0,
    });
    let mut until = Timespec {
        tv_sec: now.tv_sec.saturating_add(add.tv_sec),
        tv_nsec: now.tv_nsec + add.tv_nsec,
    };
    if until.tv_nsec >= 1_000_000_000 {
        until.tv_sec = until.tv_sec.saturating_add(1);
        until.tv_nsec -= 1_000_000_000;
    }
    match futex::waitv(
        &waits,
        futex::WaitvFlags::empty(),
        Some(&until),
        ClockId::Monotonic,
    ) {
        Ok(_) => Ok(()),
        // Moved already, timed out or interrupted: look again.
        Err(rustix::io::Errno::AGAIN | rustix::io::Errno::TIMEDOUT | rustix::io::Errno::INTR) => {
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

/// Wakes every process waiting on the shared word at `addr` (after it was
/// written). A failure (the object truncated) wakes nobody; the waiters'
/// own timeouts cover it.
///
/// # Safety
/// `addr` is 4-aligned and inside a shared mapping that stays mapped
/// during the call (its page may lie past the object's end).
pub unsafe fn wake_shared(addr: *const AtomicU32) {
    // SAFETY: mapped and aligned (the caller's promise); the reference is
    // only handed to the kernel, never loaded in this process (on a page
    // cut off by a truncation a load would be a SIGBUS; the kernel returns
    // EFAULT instead); `AtomicU32` is interior mutable, so other processes
    // writing the word break no aliasing rule.
    let word = unsafe { &*addr };
    futex::wake(word, futex::Flags::empty(), u32::MAX >> 1).ok();
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Instant;

    #[test]
    fn a_rung_bell_ends_the_wait_and_one_rung_before_it_is_not_missed() {
        let bell = Arc::new(Doorbell::new());
        let rung = bell.rung();
        bell.ring();
        // Rung between the read and the wait: returns at once.
        let start = Instant::now();
        wait_any(&[Word::bell(&bell, rung)], Duration::from_secs(60)).unwrap();
        assert!(start.elapsed() < Duration::from_secs(30));
        let rung = bell.rung();
        let ringer = {
            let bell = bell.clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(50));
                bell.ring();
            })
        };
        wait_any(&[Word::bell(&bell, rung)], Duration::from_secs(60)).unwrap();
        assert_ne!(bell.rung(), rung, "returned before the ring");
        ringer.join().unwrap();
    }

    #[test]
    fn a_wait_with_nothing_happening_lasts_its_timeout() {
        let bell = Doorbell::new();
        let start = Instant::now();
        wait_any(
            &[Word::bell(&bell, bell.rung())],
            Duration::from_millis(100),
        )
        .unwrap();
        // A lower bound only: the kernel never ends a timed wait early.
        assert!(start.elapsed() >= Duration::from_millis(100));
    }
}
