//! The building blocks only Linux has: objects made with `O_TMPFILE` in the
//! account's folder (`shm_object`), open-file-description locks
//! (`ofd_lock`) and the roster built on them (`slots`), and the kernel's
//! process and lock tables under `/proc` (`claims`).

pub mod claims;
pub mod ofd_lock;
pub mod shm_object;
pub mod slots;
