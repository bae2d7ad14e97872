//! What a process-shared pthread mutex's bytes say, read from a copy of
//! them (never from the mapping): free or held, by which thread, whether its
//! owner died, and whether the bytes are a mutex at all.
//!
//! The bytes are glibc's `struct __pthread_mutex_s` (64-bit): the lock word
//! at 0 (for a robust mutex the owner's thread id, plus the kernel's
//! `FUTEX_OWNER_DIED` bit once that thread died holding it), the owner's
//! thread id at 8 (`__owner`, set by glibc right after locking, cleared before
//! unlocking), and the type at 16 (`__kind`: robust, error-checking,
//! process-shared bits). A type that is not the one memlab made is the sure
//! sign of overwritten bytes: glibc then answers EINVAL to every call.
//! Values no kernel or glibc writes (a thread id above `pid_max`, a plain
//! mutex's lock word other than 0, 1 or 2, an owner on a free plain mutex,
//! on which glibc's lock asserts and aborts) are refused too.

use std::sync::OnceLock;

use crate::mutex::{BlockProblem, MutexError};
use crate::os::claims;

#[cfg(not(all(target_env = "gnu", target_pointer_width = "64")))]
compile_error!("the book mutex reads glibc's 64-bit pthread_mutex_t layout");

/// Bytes of a pthread mutex.
pub(super) const MUTEX_LEN: usize = size_of::<libc::pthread_mutex_t>();
const _: () = assert!(MUTEX_LEN == 40, "glibc's 64-bit pthread_mutex_t");

const LOCK_AT: usize = 0;
const OWNER_AT: usize = 8;
const KIND_AT: usize = 16;
const FUTEX_OWNER_DIED: u32 = 0x4000_0000;
const FUTEX_TID_MASK: u32 = 0x3fff_ffff;
/// glibc's `__owner` of a robust mutex whose owner died and that was
/// released without `pthread_mutex_consistent`.
const NOT_RECOVERABLE: i32 = i32::MAX - 1;
/// glibc's `__owner` of a robust mutex taken with EOWNERDEAD, until made consistent.
const INCONSISTENT: i32 = i32::MAX;

/// What the bytes say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Seen {
    Free,
    /// Held by thread `tid` (0: the owner is not recorded yet, as for a few
    /// nanoseconds after a plain mutex is locked).
    Held {
        tid: u32,
    },
    /// A robust mutex whose owner, thread `tid` (0: not recorded), died
    /// holding it: the kernel marked it, and the next waiter gets it.
    OwnerDied {
        tid: u32,
    },
    /// A robust mutex released after its owner died without being made
    /// consistent: every lock fails until it is initialised again.
    NotRecoverable,
}

/// Room for a mutex made to be looked at, aligned as in the block.
#[repr(C, align(64))]
struct Scratch([u8; 512]);

/// The type word (`__kind`) of a mutex made by `init` in a scratch buffer.
fn kind_made_by(init: impl FnOnce(*mut u8) -> Result<(), MutexError>) -> i32 {
    let mut scratch = Scratch([0; 512]);
    // A failed init leaves zeros, which no mutex memlab made has as its type.
    let _ = init(scratch.0.as_mut_ptr());
    i32_at(&scratch.0, KIND_AT)
}

/// The type words of the two mutexes as memlab initialises them: (robust, raw_sync's).
pub(super) fn expected_kinds() -> (i32, i32) {
    static KINDS: OnceLock<(i32, i32)> = OnceLock::new();
    *KINDS.get_or_init(|| {
        (
            kind_made_by(|p| init_robust(p.cast())),
            kind_made_by(|p| init_raw_at(p, p.wrapping_add(256))),
        )
    })
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_ne_bytes(bytes[at..at + 4].try_into().expect("4 bytes"))
}

fn i32_at(bytes: &[u8], at: usize) -> i32 {
    i32::from_ne_bytes(bytes[at..at + 4].try_into().expect("4 bytes"))
}

fn wrong_type(bytes: &[u8], expected: i32) -> Result<(), BlockProblem> {
    let found = i32_at(bytes, KIND_AT);
    if found == expected {
        Ok(())
    } else {
        Err(BlockProblem::MutexType { found, expected })
    }
}

/// A thread id as the kernel hands them out (1 ..= pid_max).
fn plausible_tid(tid: u32) -> bool {
    (1..=claims::pid_max()).contains(&tid)
}

/// Reads the robust mutex's bytes (`MUTEX_LEN` of them).
pub(super) fn read_robust(bytes: &[u8]) -> Result<Seen, BlockProblem> {
    wrong_type(bytes, expected_kinds().0)?;
    let lock = u32_at(bytes, LOCK_AT);
    let owner = i32_at(bytes, OWNER_AT);
    let owner_tid = u32::try_from(owner).ok().filter(|&t| plausible_tid(t));
    if !(owner == 0 || owner == NOT_RECOVERABLE || owner == INCONSISTENT || owner_tid.is_some()) {
        return Err(BlockProblem::Owner { value: owner });
    }
    if lock == 0 {
        return Ok(if owner == NOT_RECOVERABLE {
            Seen::NotRecoverable
        } else {
            Seen::Free
        });
    }
    if lock & FUTEX_OWNER_DIED != 0 {
        return Ok(Seen::OwnerDied {
            tid: owner_tid.unwrap_or(0),
        });
    }
    let tid = lock & FUTEX_TID_MASK;
    if !plausible_tid(tid) {
        return Err(BlockProblem::LockWord { value: lock });
    }
    Ok(Seen::Held { tid })
}

/// Reads raw_sync's (plain, process-shared) mutex's bytes.
pub(super) fn read_plain(bytes: &[u8]) -> Result<Seen, BlockProblem> {
    wrong_type(bytes, expected_kinds().1)?;
    let lock = u32_at(bytes, LOCK_AT);
    let owner = i32_at(bytes, OWNER_AT);
    if lock > 2 {
        return Err(BlockProblem::LockWord { value: lock });
    }
    match (lock, u32::try_from(owner)) {
        (0, Ok(0)) => Ok(Seen::Free),
        (_, Ok(0)) => Ok(Seen::Held { tid: 0 }),
        (1 | 2, Ok(tid)) if plausible_tid(tid) => Ok(Seen::Held { tid }),
        _ => Err(BlockProblem::Owner { value: owner }),
    }
}

/// (Re)initialises a robust mutex: process-shared, robust, error-checking.
pub(super) fn init_robust(mutex: *mut libc::pthread_mutex_t) -> Result<(), MutexError> {
    let mut attr = std::mem::MaybeUninit::<libc::pthread_mutexattr_t>::uninit();
    // SAFETY: `attr` is initialised by pthread_mutexattr_init before any
    // other use and destroyed once; `mutex` points to MUTEX_LEN writable
    // bytes (a guarded mapping, or a scratch buffer).
    unsafe {
        check(
            "pthread_mutexattr_init",
            libc::pthread_mutexattr_init(attr.as_mut_ptr()),
        )?;
        let attr = attr.as_mut_ptr();
        let result = check(
            "pthread_mutexattr_setpshared",
            libc::pthread_mutexattr_setpshared(attr, libc::PTHREAD_PROCESS_SHARED),
        )
        .and_then(|()| {
            check(
                "pthread_mutexattr_setrobust",
                libc::pthread_mutexattr_setrobust(attr, libc::PTHREAD_MUTEX_ROBUST),
            )
        })
        .and_then(|()| {
            check(
                "pthread_mutexattr_settype",
                libc::pthread_mutexattr_settype(attr, libc::PTHREAD_MUTEX_ERRORCHECK),
            )
        })
        .and_then(|()| check("pthread_mutex_init", libc::pthread_mutex_init(mutex, attr)));
        libc::pthread_mutexattr_destroy(attr);
        result
    }
}

/// (Re)initialises raw_sync's mutex at `mem` with the crate's own `new`.
pub(super) fn init_raw_at(mem: *mut u8, data: *mut u8) -> Result<(), MutexError> {
    use raw_sync::locks::{LockInit, Mutex};
    // SAFETY: `mem` points to 8-aligned writable room for a pthread_mutex_t
    // (a guarded mapping, or a scratch buffer); the handle is dropped at once.
    unsafe { Mutex::new(mem, data) }
        .map(drop)
        .map_err(|e| MutexError::RawSync {
            message: e.to_string(),
        })
}

fn check(call: &'static str, rc: i32) -> Result<(), MutexError> {
    if rc == 0 {
        Ok(())
    } else {
        Err(MutexError::Pthread { call, errno: rc })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn robust() -> [u8; MUTEX_LEN] {
        let mut bytes = [0u8; MUTEX_LEN];
        bytes[KIND_AT..KIND_AT + 4].copy_from_slice(&expected_kinds().0.to_ne_bytes());
        bytes
    }

    fn set(bytes: &mut [u8], at: usize, value: u32) {
        bytes[at..at + 4].copy_from_slice(&value.to_ne_bytes());
    }

    #[test]
    fn the_two_kinds_differ_and_are_not_zero() {
        let (robust, plain) = expected_kinds();
        assert_ne!(robust, plain);
        assert_ne!(robust, 0);
        assert_ne!(plain, 0, "raw_sync's mutex is process-shared");
    }

    #[test]
    fn robust_bytes_say_who_and_whether_the_owner_died() {
        let mut bytes = robust();
        assert_eq!(read_robust(&bytes), Ok(Seen::Free));
        set(&mut bytes, LOCK_AT, 1234);
        set(&mut bytes, OWNER_AT, 1234);
        assert_eq!(read_robust(&bytes), Ok(Seen::Held { tid: 1234 }));
        set(&mut bytes, LOCK_AT, FUTEX_OWNER_DIED);
        assert_eq!(read_robust(&bytes), Ok(Seen::OwnerDied { tid: 1234 }));
        set(&mut bytes, LOCK_AT, 0);
        set(&mut bytes, OWNER_AT, NOT_RECOVERABLE as u32);
        assert_eq!(read_robust(&bytes), Ok(Seen::NotRecoverable));
    }

    #[test]
    fn overwritten_bytes_are_refused() {
        let ff = [0xffu8; MUTEX_LEN];
        assert!(matches!(
            read_robust(&ff),
            Err(BlockProblem::MutexType { found: -1, .. })
        ));
        assert!(matches!(
            read_plain(&ff),
            Err(BlockProblem::MutexType { .. })
        ));
        assert!(matches!(
            read_robust(&[0u8; MUTEX_LEN]),
            Err(BlockProblem::MutexType { found: 0, .. })
        ));
        let mut bytes = robust();
        set(&mut bytes, LOCK_AT, FUTEX_TID_MASK);
        assert!(matches!(
            read_robust(&bytes),
            Err(BlockProblem::LockWord { .. })
        ));

        let mut plain = [0u8; MUTEX_LEN];
        plain[KIND_AT..KIND_AT + 4].copy_from_slice(&expected_kinds().1.to_ne_bytes());
        assert_eq!(read_plain(&plain), Ok(Seen::Free));
        set(&mut plain, OWNER_AT, 55);
        assert!(
            matches!(read_plain(&plain), Err(BlockProblem::Owner { value: 55 })),
            "an owner on a free plain mutex makes glibc's lock abort"
        );
        set(&mut plain, LOCK_AT, 1);
        assert_eq!(read_plain(&plain), Ok(Seen::Held { tid: 55 }));
        set(&mut plain, LOCK_AT, 7);
        assert!(matches!(
            read_plain(&plain),
            Err(BlockProblem::LockWord { value: 7 })
        ));
    }
}
