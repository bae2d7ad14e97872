//! The OS building blocks the labs and the desktop stand on, one API per
//! block: named shared objects and their folder (`shm_object`), who is
//! attached to one (`slots`), byte-range locks (`ofd_lock`) and timed file
//! locks (`timed_lock`), what the kernel says about processes (`claims`),
//! copies that report a bad address instead of faulting (`probe`), the file
//! size limit (`file_size_limit`), clocks (`clock`), the ending signals
//! (`signals`) and the one rule for object names (`names`).
//!
//! As in memmap2, each block's per-OS code sits behind it: `unix` holds
//! what any Unix has, `linux` what only Linux has (`O_TMPFILE`, OFD locks,
//! `/proc`), and the blocks are re-exported here under one name, so that a
//! `windows` module can later give the same API.

pub mod clock;
pub mod names;
pub mod signals;
pub mod timed_lock;

#[cfg(test)]
pub(crate) mod scratch;

#[cfg(target_os = "linux")]
mod linux;
#[cfg(unix)]
mod unix;

#[cfg(target_os = "linux")]
pub use linux::{claims, ofd_lock, shm_object, slots};
#[cfg(unix)]
pub use unix::{file_size_limit, probe};
