//! The Windows side of a [`Doorbell`] (`os::doorbell`): its count has an
//! unnamed auto-reset event beside it: a waiter reads
//! the count before it looks, then waits with `WaitForMultipleObjects` on
//! what it waits for and this event, so a ring ends the wait at once (a
//! ring made between the read and the wait leaves the event set, and the
//! wait ends as it starts). One waiter per bell: the event wakes one.

use std::io;
use std::sync::atomic::AtomicU32;
use std::time::{Duration, Instant};

use windows_sys::Win32::Foundation::{HANDLE, WAIT_FAILED, WAIT_OBJECT_0, WAIT_TIMEOUT};
use windows_sys::Win32::System::Threading::{CreateEventW, SetEvent, WaitForMultipleObjects};

use super::OwnedHandle;
use crate::os::Doorbell;

/// The longest a wait sleeps without looking at the count, should the
/// bell have no event (`CreateEventW` failed): the wait then polls.
const WITHOUT_EVENT: Duration = Duration::from_millis(200);

/// What a [`Doorbell`] keeps on Windows beside its count: an unnamed
/// auto-reset event that each ring sets; None if it could not be created.
#[derive(Debug)]
pub(in crate::os) struct BellWake(Option<OwnedHandle>);

impl BellWake {
    pub(in crate::os) fn new() -> Self {
        // SAFETY: no attributes, no name; an auto-reset event, not set.
        let handle = unsafe { CreateEventW(std::ptr::null(), 0, 0, std::ptr::null()) };
        Self(OwnedHandle::new(handle).ok())
    }

    /// Sets the event, so that the waiter's wait ends at once.
    pub(in crate::os) fn ring(&self, _rung: &AtomicU32) {
        if let Some(event) = &self.0 {
            // SAFETY: a live event handle of ours. A failure leaves the
            // waiter to its timeout, no worse than a bell without event.
            unsafe { SetEvent(event.raw()) };
        }
    }
}

/// What ended a [`Doorbell::wait_with`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Woken {
    /// The object waited for was set (and, if auto-reset, reset again).
    Object,
    /// The bell was rung after the count the waiter read.
    Rung,
    /// Neither, within the timeout.
    TimedOut,
}

/// The wait Windows makes on a bell (with an object beside it).
impl Doorbell {
    /// Sleeps until `object` is set (None: nothing but the bell), the bell
    /// is rung after `rung` was read from it, or `timeout` passes; at once
    /// if it already was rung. The event left set by a ring seen before
    /// `rung` was read does not end it.
    pub(crate) fn wait_with(
        &self,
        object: Option<HANDLE>,
        rung: u32,
        timeout: Duration,
    ) -> io::Result<Woken> {
        let deadline = Instant::now().checked_add(timeout);
        loop {
            if self.rung() != rung {
                return Ok(Woken::Rung);
            }
            let left = deadline.map_or(timeout, |d| d.saturating_duration_since(Instant::now()));
            let (left, bell) = match &self.wake.0 {
                Some(event) => (left, Some(event.raw())),
                None => (left.min(WITHOUT_EVENT), None),
            };
            let handles: Vec<HANDLE> = object.into_iter().chain(bell).collect();
            let ms = u32::try_from(left.as_micros().div_ceil(1000)).unwrap_or(u32::MAX - 1);
            let woken = if handles.is_empty() {
                std::thread::sleep(left);
                WAIT_TIMEOUT
            } else {
                // SAFETY: one or two live handles, in a Vec that outlives
                // the call; wait for any of them.
                unsafe { WaitForMultipleObjects(handles.len() as u32, handles.as_ptr(), 0, ms) }
            };
            let past = deadline.is_some_and(|d| Instant::now() >= d);
            let bell_index = WAIT_OBJECT_0 + u32::from(object.is_some());
            match woken {
                WAIT_OBJECT_0 if object.is_some() => return Ok(Woken::Object),
                WAIT_FAILED => return Err(io::Error::last_os_error()),
                _ if self.rung() != rung => return Ok(Woken::Rung),
                // The system's timeout is the timeout (under wine it may
                // end a little early: waiting again for the rest would
                // spin), unless the bell has no event and this was a slice.
                WAIT_TIMEOUT if self.wake.0.is_some() || past => return Ok(Woken::TimedOut),
                WAIT_TIMEOUT => {}
                // The event left set by a ring seen before `rung` was read.
                n if n == bell_index && past => return Ok(Woken::TimedOut),
                n if n == bell_index => {}
                other => {
                    return Err(io::Error::other(format!(
                        "unexpected wait result {other:#x}"
                    )));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ring_ends_a_long_wait_and_one_made_before_it_is_not_missed() {
        let bell = std::sync::Arc::new(Doorbell::new());
        let rung = bell.rung();
        bell.ring();
        assert_eq!(
            bell.wait_with(None, rung, Duration::from_secs(3600))
                .unwrap(),
            Woken::Rung
        );
        let rung = bell.rung();
        let waiter = {
            let bell = bell.clone();
            std::thread::spawn(move || bell.wait_with(None, rung, Duration::from_secs(3600)))
        };
        // Rung before or during the waiter's wait: either way it ends.
        bell.ring();
        assert_eq!(waiter.join().unwrap().unwrap(), Woken::Rung);
        let rung = bell.rung();
        assert_eq!(
            bell.wait_with(None, rung, Duration::ZERO).unwrap(),
            Woken::TimedOut
        );
    }
}
