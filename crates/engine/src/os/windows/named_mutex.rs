//! Named Win32 mutexes, as the book's `LockMap`: `CreateMutexW` with a
//! name, `WaitForSingleObject` with a timeout, `ReleaseMutex`. A mutex
//! whose owner ended without releasing it is *abandoned*: the next wait
//! gets it with `WAIT_ABANDONED`, which is reported, never hidden.
//!
//! A mutex is owned by a thread: the guard is released on the thread that
//! waited (it is not `Send`).

use std::io;
use std::marker::PhantomData;
use std::time::Duration;

use windows_sys::Win32::Foundation::{
    ERROR_FILE_NOT_FOUND, WAIT_ABANDONED, WAIT_FAILED, WAIT_OBJECT_0, WAIT_TIMEOUT,
};
use windows_sys::Win32::System::Threading::{
    CreateMutexW, MUTEX_MODIFY_STATE, OpenMutexW, ReleaseMutex, SYNCHRONIZATION_SYNCHRONIZE,
    WaitForSingleObject,
};

use super::OwnedHandle;
use super::shm_object::{IoOp, ObjectError, object_error};

/// A named mutex this process has a handle to.
#[derive(Debug)]
pub struct NamedMutex {
    handle: OwnedHandle,
    name: String,
}

/// How a wait ended when it got the mutex.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Acquired {
    /// `WAIT_OBJECT_0`: it was free, or released by its owner.
    Released,
    /// `WAIT_ABANDONED`: its owner ended while holding it; this wait owns it now.
    Abandoned,
}

/// Why a wait did not get the mutex.
#[derive(Debug, thiserror::Error)]
pub enum WaitError {
    /// `WAIT_TIMEOUT`: someone held it the whole time.
    #[error("WaitForSingleObject timed out after {} ms", .0.as_millis())]
    TimedOut(Duration),
    #[error("WaitForSingleObject failed: {0}")]
    Os(io::Error),
}

/// The mutex, held until dropped (on the thread that waited).
#[derive(Debug)]
pub struct MutexGuard<'a> {
    mutex: &'a NamedMutex,
    acquired: Acquired,
    /// Ownership belongs to the waiting thread: the guard stays on it.
    _not_send: PhantomData<*const ()>,
}

impl NamedMutex {
    /// `CreateMutexW(NULL, FALSE, name)`: opens the mutex, creating it if
    /// it does not exist.
    pub fn create(name: &str) -> Result<Self, ObjectError> {
        let wide = super::wide(name);
        // SAFETY: a NUL-terminated name that outlives the call; no attributes.
        let handle = unsafe { CreateMutexW(std::ptr::null(), 0, wide.as_ptr()) };
        let handle = OwnedHandle::new(handle).map_err(|e| object_error(IoOp::Create, name, e))?;
        Ok(Self {
            handle,
            name: name.into(),
        })
    }

    /// `OpenMutexW`: the mutex if it exists (someone has a handle to it).
    pub fn open_existing(name: &str) -> Result<Option<Self>, ObjectError> {
        let wide = super::wide(name);
        // SAFETY: a NUL-terminated name that outlives the call.
        let handle = unsafe {
            OpenMutexW(
                SYNCHRONIZATION_SYNCHRONIZE | MUTEX_MODIFY_STATE,
                0,
                wide.as_ptr(),
            )
        };
        match OwnedHandle::new(handle) {
            Ok(handle) => Ok(Some(Self {
                handle,
                name: name.into(),
            })),
            Err(e) if e.raw_os_error() == Some(ERROR_FILE_NOT_FOUND as i32) => Ok(None),
            Err(e) => Err(object_error(IoOp::Open, name, e)),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// `WaitForSingleObject(mutex, timeout)`.
    pub fn wait(&self, timeout: Duration) -> Result<MutexGuard<'_>, WaitError> {
        let ms = u32::try_from(timeout.as_millis()).unwrap_or(u32::MAX - 1);
        // SAFETY: a live mutex handle.
        let acquired = match unsafe { WaitForSingleObject(self.handle.raw(), ms) } {
            WAIT_OBJECT_0 => Acquired::Released,
            WAIT_ABANDONED => Acquired::Abandoned,
            WAIT_TIMEOUT => return Err(WaitError::TimedOut(timeout)),
            WAIT_FAILED => return Err(WaitError::Os(io::Error::last_os_error())),
            other => {
                return Err(WaitError::Os(io::Error::other(format!(
                    "unexpected wait result {other:#x}"
                ))));
            }
        };
        Ok(MutexGuard {
            mutex: self,
            acquired,
            _not_send: PhantomData,
        })
    }
}

impl MutexGuard<'_> {
    /// How the wait got the mutex.
    pub fn acquired(&self) -> Acquired {
        self.acquired
    }

    /// Keeps the mutex owned past the guard (a lock held between two calls
    /// on its thread): [`NamedMutex::release_kept`] releases it.
    pub fn keep(self) -> Acquired {
        let acquired = self.acquired;
        std::mem::forget(self);
        acquired
    }
}

impl NamedMutex {
    /// `ReleaseMutex` of an ownership kept with [`MutexGuard::keep`], on the
    /// thread that waited; `ERROR_NOT_OWNER` if this thread does not own it.
    pub fn release_kept(&self) -> io::Result<()> {
        // SAFETY: a live mutex handle; Windows checks the ownership.
        if unsafe { ReleaseMutex(self.handle.raw()) } == 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(())
        }
    }
}

impl Drop for MutexGuard<'_> {
    fn drop(&mut self) {
        // SAFETY: this thread owns the mutex (the wait that made the guard
        // got it, and the guard never left the thread).
        unsafe { ReleaseMutex(self.mutex.handle.raw()) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unique(tag: &str) -> String {
        format!("Local\\memlab-test.{tag}.{}", std::process::id())
    }

    #[test]
    fn a_held_mutex_times_out_another_thread_and_is_handed_over() {
        let name = unique("handover");
        let a = NamedMutex::create(&name).unwrap();
        let held = a.wait(Duration::from_millis(100)).unwrap();
        assert_eq!(held.acquired(), Acquired::Released);
        let other = std::thread::spawn({
            let name = name.clone();
            move || {
                let b = NamedMutex::create(&name).unwrap();
                let timed_out = matches!(
                    b.wait(Duration::from_millis(50)),
                    Err(WaitError::TimedOut(_))
                );
                (timed_out, b)
            }
        });
        let (timed_out, b) = other.join().unwrap();
        assert!(timed_out, "a held mutex was granted to another thread");
        drop(held);
        let took = std::thread::spawn(move || b.wait(Duration::from_secs(5)).map(|g| g.acquired()))
            .join()
            .unwrap();
        assert_eq!(took.unwrap(), Acquired::Released);
    }

    #[test]
    fn a_thread_that_ends_holding_it_leaves_it_abandoned() {
        let name = unique("abandon");
        let mutex = NamedMutex::create(&name).unwrap();
        std::thread::spawn({
            let name = name.clone();
            move || {
                let holder = NamedMutex::create(&name).unwrap();
                let guard = holder.wait(Duration::from_secs(5)).unwrap();
                // Ends owning it: no release.
                std::mem::forget(guard);
            }
        })
        .join()
        .unwrap();
        let guard = mutex.wait(Duration::from_secs(5)).unwrap();
        assert_eq!(guard.acquired(), Acquired::Abandoned);
        drop(guard);
        assert_eq!(
            mutex.wait(Duration::ZERO).unwrap().acquired(),
            Acquired::Released
        );
    }

    #[test]
    fn open_existing_finds_only_a_live_mutex() {
        let name = unique("exists");
        assert!(NamedMutex::open_existing(&name).unwrap().is_none());
        let made = NamedMutex::create(&name).unwrap();
        assert!(NamedMutex::open_existing(&name).unwrap().is_some());
        drop(made);
        assert!(NamedMutex::open_existing(&name).unwrap().is_none());
    }
}
