//! The page lab's calls on Linux: `mmap(PROT_NONE)` reserves, `mprotect`
//! commits and protects, a fixed re-map or `madvise(MADV_DONTNEED)`
//! decommits, `mlock`/`munlock`, `munmap` releases, `mincore` says what is
//! in RAM, and the probe reads and writes without faulting.

use std::ffi::c_void;

use rustix::mm::{self, Advice, MapFlags, MprotectFlags, ProtFlags};

use super::{Decommit, PageError, Protection};
use crate::os::probe;
use crate::vm::Operation;
use crate::vm::system::{Resource, limit};

fn ptr(addr: usize) -> *mut c_void {
    addr as *mut c_void
}

fn os(op: Operation, e: rustix::io::Errno) -> PageError {
    PageError::Os {
        op,
        errno: e.raw_os_error(),
    }
}

fn flags(p: Protection) -> MprotectFlags {
    match p {
        Protection::NoAccess => MprotectFlags::empty(),
        Protection::ReadOnly => MprotectFlags::READ,
        Protection::ReadWrite => MprotectFlags::READ | MprotectFlags::WRITE,
    }
}

/// A new reservation of `len` bytes: its address.
pub(super) fn reserve(len: usize) -> Result<usize, PageError> {
    // SAFETY: a new private anonymous mapping where the kernel chooses:
    // it cannot overlap anything of ours.
    let base = unsafe {
        mm::mmap_anonymous(
            std::ptr::null_mut(),
            len,
            ProtFlags::empty(),
            MapFlags::PRIVATE,
        )
    }
    .map_err(|e| match e {
        rustix::io::Errno::NOMEM => PageError::AddressSpace {
            bytes: len as u64,
            limit: limit(Resource::As).soft,
        },
        e => os(Operation::Reserve, e),
    })?;
    Ok(base as usize)
}

/// Pages of our own reservation become read-write and charged.
pub(super) fn commit(addr: usize, len: usize) -> Result<(), PageError> {
    // SAFETY: the range lies inside our own reservation, which memlab
    // reaches only through the kernel and the probe.
    unsafe { mm::mprotect(ptr(addr), len, flags(Protection::ReadWrite)) }.map_err(|e| match e {
        rustix::io::Errno::NOMEM => PageError::CommitRefused { bytes: len as u64 },
        e => os(Operation::Commit, e),
    })
}

/// Pages of our own reservation go back to reserved, either way Linux can.
pub(super) fn decommit(
    addr: usize,
    len: usize,
    how: Decommit,
    locked: bool,
) -> Result<(), PageError> {
    match how {
        // SAFETY: MAP_FIXED over a range inside our own reservation: it
        // replaces only our pages, atomically (no other mapping can slip in).
        Decommit::Remap => unsafe {
            mm::mmap_anonymous(
                ptr(addr),
                len,
                ProtFlags::empty(),
                MapFlags::PRIVATE | MapFlags::FIXED,
            )
        }
        .map(drop),
        // MADV_DONTNEED refuses locked pages (EINVAL): unlock first.
        // SAFETY: our own reservation's range; its contents are only
        // reached through the probe, which reads zeros afterwards.
        Decommit::DontNeed => unsafe {
            (if locked {
                mm::munlock(ptr(addr), len)
            } else {
                Ok(())
            })
            .and_then(|()| mm::madvise(ptr(addr), len, Advice::LinuxDontNeed))
            .and_then(|()| mm::mprotect(ptr(addr), len, MprotectFlags::empty()))
        },
    }
    .map_err(|e| os(how.operation(), e))
}

/// Committed pages of our own reservation get `p`.
pub(super) fn protect(addr: usize, len: usize, p: Protection) -> Result<(), PageError> {
    // SAFETY: committed pages of our own reservation.
    unsafe { mm::mprotect(ptr(addr), len, flags(p)) }.map_err(|e| os(Operation::Protect, e))
}

/// Committed, accessible pages of our own reservation stay in RAM. Past
/// RLIMIT_MEMLOCK the kernel says ENOMEM.
pub(super) fn lock(addr: usize, len: usize) -> Result<(), PageError> {
    // SAFETY: committed pages of our own reservation.
    unsafe { mm::mlock(ptr(addr), len) }.map_err(|e| match e {
        rustix::io::Errno::NOMEM | rustix::io::Errno::PERM | rustix::io::Errno::AGAIN => {
            PageError::LockLimit {
                bytes: len as u64,
                limit: limit(Resource::Memlock).soft,
                locked: locked_bytes(),
                errno: e.raw_os_error(),
            }
        }
        e => os(Operation::Lock, e),
    })
}

/// Locked pages of our own reservation may leave RAM again.
pub(super) fn unlock(addr: usize, len: usize) -> Result<(), PageError> {
    // SAFETY: locked pages of our own reservation.
    unsafe { mm::munlock(ptr(addr), len) }.map_err(|e| os(Operation::Unlock, e))
}

/// The byte at `addr`, or `None` where a load would fault.
pub(super) fn read_byte(addr: usize) -> Option<u8> {
    let mut byte = [0u8];
    probe::read(addr as *const u8, &mut byte).ok()?;
    Some(byte[0])
}

/// Writes `value` at `addr`; false where a store would fault.
pub(super) fn write_byte(addr: usize, value: u8) -> bool {
    // SAFETY: our own reservation, which no Rust reference points into.
    unsafe { probe::write(addr as *mut u8, &[value]) }.is_ok()
}

/// The whole reservation made by [`reserve`] goes.
pub(super) fn release(base: usize, len: usize) -> Result<(), PageError> {
    // SAFETY: the whole mapping made by `reserve`, unmapped once.
    unsafe { mm::munmap(ptr(base), len) }.map_err(|e| os(Operation::Release, e))
}

/// Which of the `pages` pages from `addr` are in RAM: one `mincore` call.
pub(super) fn resident(
    addr: usize,
    pages: usize,
    page_size: usize,
) -> Result<Vec<bool>, PageError> {
    let mut vec = vec![0u8; pages];
    // SAFETY: the range is (part of) our own mapping, page-aligned and all
    // mapped; `vec` has one byte per page, as mincore writes.
    let rc = unsafe { libc::mincore(ptr(addr), pages * page_size, vec.as_mut_ptr()) };
    if rc != 0 {
        return Err(PageError::Os {
            op: Operation::Query,
            errno: crate::vm::last_errno(),
        });
    }
    Ok(vec.into_iter().map(|b| b & 1 == 1).collect())
}

/// Bytes this process has locked (VmLck of /proc/self/status), 0 if unknown.
fn locked_bytes() -> u64 {
    procfs::process::Process::myself()
        .and_then(|p| p.status())
        .ok()
        .and_then(|s| s.vmlck)
        .map_or(0, |kb| kb * 1024)
}

/// [`PageError::Os`]'s English for the error: the C library's sentence.
pub(super) fn os_error_text(errno: i32) -> String {
    std::io::Error::from_raw_os_error(errno).to_string()
}

/// [`PageError::LockLimit`]'s English.
pub(super) fn lock_limit_text(bytes: u64, limit: Option<u64>, locked: u64, errno: i32) -> String {
    format!(
        "mlock refused {bytes} bytes ({}): the lock limit RLIMIT_MEMLOCK is {}, {locked} bytes are locked already",
        crate::vm::errno_name(errno).unwrap_or("error"),
        limit.map_or("unlimited".to_owned(), |l| format!("{l} bytes"))
    )
}

/// [`PageError::AddressSpace`]'s English.
pub(super) fn address_space_text(bytes: u64, limit: Option<u64>) -> String {
    format!(
        "cannot reserve {bytes} bytes of address space: mmap returned ENOMEM (address-space limit RLIMIT_AS: {})",
        limit.map_or("unlimited".to_owned(), |l| format!("{l} bytes"))
    )
}

/// [`PageError::CommitRefused`]'s English.
pub(super) fn commit_refused_text(bytes: u64) -> String {
    format!(
        "the system refused to commit {bytes} bytes: mprotect returned ENOMEM (the commit limit in overcommit mode 2, or too many mappings)"
    )
}

/// An optional limit in Korean: bytes, or unlimited.
fn limit_ko(limit: Option<u64>) -> String {
    limit.map_or_else(|| "무제한".into(), crate::format::format_bytes)
}

/// [`PageError::LockLimit`]'s Korean.
pub(in crate::vm) fn lock_limit_ko(
    bytes: u64,
    limit: Option<u64>,
    locked: u64,
    errno: i32,
) -> String {
    use crate::format::format_bytes;
    format!(
        "mlock이 {} 잠금을 거부했습니다 ({}): 잠금 한도 RLIMIT_MEMLOCK은 {}, 이미 잠긴 양은 {}입니다",
        format_bytes(bytes),
        crate::vm::sys::error_label(errno),
        limit_ko(limit),
        format_bytes(locked)
    )
}

/// [`PageError::AddressSpace`]'s Korean.
pub(in crate::vm) fn address_space_ko(bytes: u64, limit: Option<u64>) -> String {
    format!(
        "주소 공간 {}를 예약할 수 없습니다: mmap이 ENOMEM을 돌려주었습니다 (주소 공간 한도 RLIMIT_AS: {})",
        crate::format::format_bytes(bytes),
        limit_ko(limit)
    )
}

/// [`PageError::CommitRefused`]'s Korean.
pub(in crate::vm) fn commit_refused_ko(bytes: u64) -> String {
    format!(
        "시스템이 {} 커밋을 거부했습니다: mprotect가 ENOMEM을 돌려주었습니다 \
         (overcommit_memory=2의 커밋 한도, 또는 매핑 개수 한도)",
        crate::format::format_bytes(bytes)
    )
}
