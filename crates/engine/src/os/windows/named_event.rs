//! Named Win32 auto-reset events: how a save wakes the instances that watch
//! the shared string. Each watching instance has its own event (an
//! auto-reset event wakes one waiter, so one event per watcher is what
//! wakes them all); a saver sets every one it finds. An auto-reset event
//! stays set until its watcher's next wait, so a save made between the
//! watcher's look at the counter and its wait is not missed.

use std::io;
use std::time::Duration;

use windows_sys::Win32::Foundation::{
    ERROR_FILE_NOT_FOUND, WAIT_FAILED, WAIT_OBJECT_0, WAIT_TIMEOUT,
};
use windows_sys::Win32::System::Threading::{
    CreateEventW, EVENT_MODIFY_STATE, OpenEventW, SetEvent, WaitForSingleObject,
};

use super::OwnedHandle;
use super::shm_object::{IoOp, ObjectError, object_error};

/// A named auto-reset event this process has a handle to.
#[derive(Debug)]
pub struct NamedEvent {
    handle: OwnedHandle,
}

impl NamedEvent {
    /// `CreateEventW(NULL, FALSE, FALSE, name)`: an auto-reset event, not
    /// set, created if it does not exist.
    pub fn create(name: &str) -> Result<Self, ObjectError> {
        let wide = super::wide(name);
        // SAFETY: a NUL-terminated name that outlives the call; no attributes.
        let handle = unsafe { CreateEventW(std::ptr::null(), 0, 0, wide.as_ptr()) };
        let handle = OwnedHandle::new(handle).map_err(|e| object_error(IoOp::Create, name, e))?;
        Ok(Self { handle })
    }

    /// `OpenEventW` and `SetEvent`: sets the event `name` if someone has
    /// it; false if nobody does.
    pub fn set_existing(name: &str) -> io::Result<bool> {
        let wide = super::wide(name);
        // SAFETY: a NUL-terminated name that outlives the call.
        let handle = unsafe { OpenEventW(EVENT_MODIFY_STATE, 0, wide.as_ptr()) };
        match OwnedHandle::new(handle) {
            // SAFETY: a live event handle, opened with EVENT_MODIFY_STATE.
            Ok(event) => match unsafe { SetEvent(event.raw()) } {
                0 => Err(io::Error::last_os_error()),
                _ => Ok(true),
            },
            Err(e) if e.raw_os_error() == Some(ERROR_FILE_NOT_FOUND as i32) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The handle, for a wait on it and something else
    /// ([`Doorbell::wait_with`](crate::os::Doorbell::wait_with)).
    pub(crate) fn raw(&self) -> windows_sys::Win32::Foundation::HANDLE {
        self.handle.raw()
    }

    /// `WaitForSingleObject(event, timeout)`: true if it was set (and is
    /// reset again by this wait), false at the timeout.
    pub fn wait(&self, timeout: Duration) -> io::Result<bool> {
        let ms = u32::try_from(timeout.as_millis()).unwrap_or(u32::MAX - 1);
        // SAFETY: a live event handle.
        match unsafe { WaitForSingleObject(self.handle.raw(), ms) } {
            WAIT_OBJECT_0 => Ok(true),
            WAIT_TIMEOUT => Ok(false),
            WAIT_FAILED => Err(io::Error::last_os_error()),
            other => Err(io::Error::other(format!(
                "unexpected wait result {other:#x}"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_event_wakes_its_one_waiter_once_and_a_missing_one_is_said() {
        let name = format!("Local\\memlab-test.event.{}", std::process::id());
        assert!(
            !NamedEvent::set_existing(&name).unwrap(),
            "nobody has it yet"
        );
        let event = NamedEvent::create(&name).unwrap();
        assert!(!event.wait(Duration::ZERO).unwrap(), "created unset");
        assert!(NamedEvent::set_existing(&name).unwrap());
        // Set before the wait: the wait still sees it, once.
        assert!(event.wait(Duration::from_secs(10)).unwrap());
        assert!(!event.wait(Duration::ZERO).unwrap(), "auto-reset");
        let waiter = std::thread::spawn(move || event.wait(Duration::from_secs(30)).unwrap());
        // Set until the waiter's wait takes it, whenever that starts.
        assert!(NamedEvent::set_existing(&name).unwrap());
        assert!(waiter.join().unwrap());
    }
}
