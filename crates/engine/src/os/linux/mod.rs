//! The building blocks only Linux has: objects made with `O_TMPFILE` in the
//! account's folder (`shm_object`), open-file-description locks
//! (`ofd_lock`) and the roster built on them (`slots`), the kernel's
//! process and lock tables under `/proc` (`claims`), and waits on several
//! shared words at once (`futex`).

pub mod claims;
pub mod futex;
pub mod ofd_lock;
pub mod shm_object;
pub mod slots;
