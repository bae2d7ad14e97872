//! The OS building blocks the labs and the desktop stand on, one API per
//! block: named shared objects and their folder (`shm_object`), who is
//! attached to one (`slots`), byte-range locks (`ofd_lock`) and timed file
//! locks (`timed_lock`), what the kernel says about processes (`claims`),
//! copies that report a bad address instead of faulting (`probe`), the file
//! size limit (`file_size_limit`), clocks (`clock`), the bell that ends a
//! thread's wait (`doorbell`), the ending signals (`signals`) and the one
//! rule for object names (`names`).
//!
//! As in memmap2, each block's per-OS code sits behind it: `unix` holds
//! what any Unix has, `linux` what only Linux has (`O_TMPFILE`, OFD locks,
//! `/proc`), `windows` the Win32 objects the book names (named mappings
//! and mutexes, `WAIT_ABANDONED`), and the blocks are re-exported here
//! under one name. The same name means the same job on every OS (e.g.
//! `shm_object`: named shared memory and its errors; `slots`: who is
//! attached); what exists on one OS only is exported on that OS only, so
//! using it elsewhere is a compile error, never a silent no-op.

pub mod clock;
#[cfg(any(target_os = "linux", windows))]
mod doorbell;
pub mod names;
pub mod signals;
pub mod timed_lock;

// Only Unix's tests map, lock and truncate scratch files so far.
#[cfg(all(test, unix))]
pub(crate) mod scratch;

#[cfg(target_os = "linux")]
mod linux;
#[cfg(unix)]
mod unix;
#[cfg(windows)]
mod windows;

/// This OS's blocks that the OS-neutral ones (`clock`) build on.
#[cfg(unix)]
use unix as sys;
#[cfg(windows)]
use windows as sys;

/// A bell that ends one of this process's threads' waits for a change.
#[cfg(any(target_os = "linux", windows))]
pub use doorbell::Doorbell;
#[cfg(target_os = "linux")]
pub use linux::{claims, futex, ofd_lock, shm_object, slots};
/// Committing reserved address space (`mprotect` / `VirtualAlloc(MEM_COMMIT)`).
pub use sys::commit;
#[cfg(unix)]
pub use unix::{file_size_limit, probe};
/// A kernel handle closed when dropped.
#[cfg(windows)]
pub(crate) use windows::OwnedHandle;
/// `LockFileEx` / `UnlockFileEx` (the book mutex lab's file lock).
#[cfg(windows)]
pub use windows::file_lock;
/// Under wine, an idle window's UI thread sleeps (wine 8.0 loses a paint's
/// count; see the module).
#[cfg(windows)]
pub use windows::wine_paint;
#[cfg(windows)]
pub use windows::{named_event, named_mutex, process, shm_object, slots};
