//! The page lab's calls on Windows, as the book makes them:
//! `VirtualAlloc(MEM_RESERVE)` and `VirtualAlloc(MEM_COMMIT)`,
//! `VirtualFree(MEM_DECOMMIT)` and `VirtualFree(MEM_RELEASE)`,
//! `VirtualProtect`, `VirtualLock` after `SetProcessWorkingSetSize` made
//! room for it, `VirtualUnlock`, `ReadProcessMemory`/`WriteProcessMemory`
//! on this process for accesses that must not fault, and
//! `QueryWorkingSetEx` for what is in RAM.

use std::ffi::c_void;

use windows_sys::Win32::Foundation::{
    ERROR_COMMITMENT_LIMIT, ERROR_NOT_ENOUGH_MEMORY, ERROR_WORKING_SET_QUOTA, GetLastError,
};
use windows_sys::Win32::System::Diagnostics::Debug::{ReadProcessMemory, WriteProcessMemory};
use windows_sys::Win32::System::Memory::{
    MEM_COMMIT, MEM_DECOMMIT, MEM_RELEASE, MEM_RESERVE, MEM_RESET, MEMORY_BASIC_INFORMATION,
    PAGE_EXECUTE_READWRITE, PAGE_NOACCESS, PAGE_PROTECTION_FLAGS, PAGE_READONLY, PAGE_READWRITE,
    VirtualAlloc, VirtualFree, VirtualLock, VirtualProtect, VirtualQuery, VirtualUnlock,
};
use windows_sys::Win32::System::ProcessStatus::{
    PSAPI_WORKING_SET_EX_INFORMATION, QueryWorkingSetEx,
};
use windows_sys::Win32::System::Threading::{
    GetCurrentProcess, GetProcessWorkingSetSize, SetProcessWorkingSetSize,
};

use super::{Decommit, PageError, Protection};
use crate::vm::Operation;

fn last_error() -> i32 {
    // SAFETY: no preconditions; reads this thread's last error.
    (unsafe { GetLastError() }) as i32
}

fn os(op: Operation) -> PageError {
    PageError::Os {
        op,
        errno: last_error(),
    }
}

fn flags(p: Protection) -> PAGE_PROTECTION_FLAGS {
    match p {
        Protection::NoAccess => PAGE_NOACCESS,
        Protection::ReadOnly => PAGE_READONLY,
        Protection::ReadWrite => PAGE_READWRITE,
    }
}

/// `VirtualAlloc(NULL, len, MEM_RESERVE, PAGE_NOACCESS)`: a new reservation,
/// on a multiple of the 64 KiB allocation granularity.
pub(super) fn reserve(len: usize) -> Result<usize, PageError> {
    // SAFETY: a new reservation where Windows chooses: it cannot overlap
    // anything of ours.
    let base = unsafe { VirtualAlloc(std::ptr::null(), len, MEM_RESERVE, PAGE_NOACCESS) };
    if base.is_null() {
        return Err(match last_error() as u32 {
            ERROR_NOT_ENOUGH_MEMORY => PageError::AddressSpace {
                bytes: len as u64,
                limit: None,
            },
            _ => os(Operation::Reserve),
        });
    }
    Ok(base as usize)
}

/// `VirtualAlloc(addr, len, MEM_COMMIT, PAGE_READWRITE)`: charged pages.
pub(super) fn commit(addr: usize, len: usize) -> Result<(), PageError> {
    // SAFETY: the range lies inside our own reservation, which memlab
    // reaches only through these calls.
    let p = unsafe { VirtualAlloc(addr as *const c_void, len, MEM_COMMIT, PAGE_READWRITE) };
    if p.is_null() {
        return Err(match last_error() as u32 {
            ERROR_COMMITMENT_LIMIT | ERROR_NOT_ENOUGH_MEMORY => {
                PageError::CommitRefused { bytes: len as u64 }
            }
            _ => os(Operation::Commit),
        });
    }
    Ok(())
}

/// `VirtualFree(MEM_DECOMMIT)`, or `VirtualAlloc(MEM_RESET)` +
/// `VirtualProtect(PAGE_NOACCESS)` when the charge is to stay.
pub(super) fn decommit(
    addr: usize,
    len: usize,
    how: Decommit,
    locked: bool,
) -> Result<(), PageError> {
    let ptr = addr as *mut c_void;
    match how {
        Decommit::Remap => {
            // SAFETY: a range of our own reservation; reserved pages in it
            // are fine, as the book says.
            if unsafe { VirtualFree(ptr, len, MEM_DECOMMIT) } == 0 {
                return Err(os(how.operation()));
            }
        }
        Decommit::DontNeed => {
            // MEM_RESET does not take locked pages out of RAM: unlock first.
            // SAFETY: committed pages of our own reservation; their contents
            // are only reached through ReadProcessMemory afterwards.
            if locked && unsafe { VirtualUnlock(ptr, len) } == 0 {
                return Err(os(how.operation()));
            }
            // SAFETY: as above; MEM_RESET needs a valid protection, unused.
            if unsafe { VirtualAlloc(ptr, len, MEM_RESET, PAGE_NOACCESS) }.is_null() {
                return Err(os(how.operation()));
            }
            protect(addr, len, Protection::NoAccess).map_err(|_| os(how.operation()))?;
        }
    }
    Ok(())
}

/// `VirtualProtect`: committed pages get `p`.
pub(super) fn protect(addr: usize, len: usize, p: Protection) -> Result<(), PageError> {
    let mut old: PAGE_PROTECTION_FLAGS = 0;
    // SAFETY: committed pages of our own reservation, and a live u32 for
    // the old protection (VirtualProtect fails without one).
    if unsafe { VirtualProtect(addr as *const c_void, len, flags(p), &mut old) } == 0 {
        return Err(os(Operation::Protect));
    }
    Ok(())
}

/// `SetProcessWorkingSetSize` (the minimum and maximum raised by `len`),
/// then `VirtualLock`: Windows locks no more than the minimum working set
/// allows, so the lock first makes room for itself, as the book advises.
pub(super) fn lock(addr: usize, len: usize) -> Result<(), PageError> {
    let process = || {
        // SAFETY: no preconditions; the pseudo-handle needs no closing.
        unsafe { GetCurrentProcess() }
    };
    let (mut min, mut max) = (0usize, 0usize);
    // SAFETY: this process and two live usizes.
    if unsafe { GetProcessWorkingSetSize(process(), &mut min, &mut max) } == 0 {
        return Err(os(Operation::Lock));
    }
    let refused = |errno: i32, min: usize| PageError::LockLimit {
        bytes: len as u64,
        limit: Some(min as u64),
        locked: 0,
        errno,
    };
    let (new_min, new_max) = (min.saturating_add(len), max.saturating_add(len));
    // SAFETY: this process; sizes in bytes, the minimum below the maximum.
    if unsafe { SetProcessWorkingSetSize(process(), new_min, new_max) } == 0 {
        return Err(refused(last_error(), min));
    }
    // SAFETY: committed, accessible pages of our own reservation.
    if unsafe { VirtualLock(addr as *const c_void, len) } == 0 {
        let errno = last_error();
        return Err(if errno as u32 == ERROR_WORKING_SET_QUOTA {
            refused(errno, new_min)
        } else {
            os(Operation::Lock)
        });
    }
    Ok(())
}

/// `VirtualUnlock`: locked pages may leave RAM again.
pub(super) fn unlock(addr: usize, len: usize) -> Result<(), PageError> {
    // SAFETY: locked pages of our own reservation.
    if unsafe { VirtualUnlock(addr as *const c_void, len) } == 0 {
        return Err(os(Operation::Unlock));
    }
    Ok(())
}

/// `VirtualQuery`, then `ReadProcessMemory(GetCurrentProcess())` of one
/// byte: `None` where a plain load would fault. (Windows' ReadProcessMemory
/// fails there by itself, with `ERROR_PARTIAL_COPY`; wine 8's reads a
/// `PAGE_NOACCESS` page of its own process, so the query decides.)
pub(super) fn read_byte(addr: usize) -> Option<u8> {
    if !allows(addr, false) {
        return None;
    }
    let (mut byte, mut done) = (0u8, 0usize);
    // SAFETY: this process; one live byte to write and a live count.
    let ok = unsafe {
        ReadProcessMemory(
            GetCurrentProcess(),
            addr as *const c_void,
            (&raw mut byte).cast(),
            1,
            &mut done,
        )
    };
    (ok != 0 && done == 1).then_some(byte)
}

/// Can a plain load (or store, if `write`) reach the page at `addr`?
/// (`VirtualQuery`.)
fn allows(addr: usize, write: bool) -> bool {
    let mut mbi = MEMORY_BASIC_INFORMATION::default();
    let size = size_of::<MEMORY_BASIC_INFORMATION>();
    // SAFETY: any address may be queried; a live struct of the size given.
    if unsafe { VirtualQuery(addr as *const c_void, &mut mbi, size) } != size {
        return false;
    }
    let protect = mbi.Protect & 0xff;
    mbi.State == MEM_COMMIT
        && if write {
            matches!(protect, PAGE_READWRITE | PAGE_EXECUTE_READWRITE)
        } else {
            !matches!(protect, PAGE_NOACCESS | 0)
        }
}

/// `VirtualQuery`, then `WriteProcessMemory(GetCurrentProcess())` of one
/// byte; false where a plain store would fault. (WriteProcessMemory alone
/// would not tell: it makes a read-only page writable for the write, as a
/// debugger needs.)
pub(super) fn write_byte(addr: usize, value: u8) -> bool {
    if !allows(addr, true) {
        return false;
    }
    let mut done = 0usize;
    // SAFETY: a committed read-write page of this process; one live byte to
    // read and a live count.
    let ok = unsafe {
        WriteProcessMemory(
            GetCurrentProcess(),
            addr as *const c_void,
            (&raw const value).cast(),
            1,
            &mut done,
        )
    };
    ok != 0 && done == 1
}

/// `VirtualFree(base, 0, MEM_RELEASE)`: the whole reservation goes.
pub(super) fn release(base: usize, _len: usize) -> Result<(), PageError> {
    // SAFETY: the base of a reservation made by `reserve`, released once.
    if unsafe { VirtualFree(base as *mut c_void, 0, MEM_RELEASE) } == 0 {
        return Err(os(Operation::Release));
    }
    Ok(())
}

/// Which of the `pages` pages from `addr` are in RAM: one
/// `QueryWorkingSetEx` for all of them (bit 0 of each answer, `Valid`).
pub(super) fn resident(
    addr: usize,
    pages: usize,
    page_size: usize,
) -> Result<Vec<bool>, PageError> {
    let mut info: Vec<PSAPI_WORKING_SET_EX_INFORMATION> = (0..pages)
        .map(|i| PSAPI_WORKING_SET_EX_INFORMATION {
            VirtualAddress: (addr + i * page_size) as *mut c_void,
            ..Default::default()
        })
        .collect();
    let cb = size_of_val(info.as_slice()) as u32;
    // SAFETY: this process, and an array of `pages` entries of the size
    // given, each naming the address it asks about.
    if unsafe { QueryWorkingSetEx(GetCurrentProcess(), info.as_mut_ptr().cast(), cb) } == 0 {
        return Err(os(Operation::Query));
    }
    Ok(info
        .iter()
        // SAFETY: the union's two members are the same bits.
        .map(|i| unsafe { i.VirtualAttributes.Flags } & 1 == 1)
        .collect())
}

/// [`PageError::Os`]'s English for the error: its Win32 name and code,
/// then Windows' sentence, e.g. `ERROR_INVALID_ADDRESS (487): Attempt to
/// access invalid address. (os error 487)`.
pub(super) fn os_error_text(code: i32) -> String {
    let text = std::io::Error::from_raw_os_error(code);
    match crate::vm::error_name(code) {
        Some(name) => format!("{name} ({code}): {text}"),
        None => format!("Win32 error {code}: {text}"),
    }
}

/// [`PageError::LockLimit`]'s English.
pub(super) fn lock_limit_text(bytes: u64, limit: Option<u64>, _locked: u64, errno: i32) -> String {
    format!(
        "VirtualLock refused {bytes} bytes ({}): the minimum working set is {}, and VirtualLock holds a little less than it (SetProcessWorkingSetSize raises it)",
        crate::vm::error_name(errno).unwrap_or("error"),
        limit.map_or("unknown".to_owned(), |l| format!("{l} bytes"))
    )
}

/// [`PageError::AddressSpace`]'s English.
pub(super) fn address_space_text(bytes: u64, _limit: Option<u64>) -> String {
    format!(
        "cannot reserve {bytes} bytes of address space: VirtualAlloc(MEM_RESERVE) returned ERROR_NOT_ENOUGH_MEMORY"
    )
}

/// [`PageError::CommitRefused`]'s English.
pub(super) fn commit_refused_text(bytes: u64) -> String {
    format!(
        "the system refused to commit {bytes} bytes: VirtualAlloc(MEM_COMMIT) failed (the commit charge would pass the commit limit)"
    )
}

/// [`PageError::LockLimit`]'s Korean.
pub(in crate::vm) fn lock_limit_ko(
    bytes: u64,
    limit: Option<u64>,
    _locked: u64,
    errno: i32,
) -> String {
    use crate::format::format_bytes;
    format!(
        "VirtualLock이 {} 잠금을 거부했습니다 ({}): 최소 작업 집합은 {}이며, VirtualLock은 그보다 조금 적게 잠글 수 있습니다 (SetProcessWorkingSetSize로 늘립니다)",
        format_bytes(bytes),
        crate::vm::sys::error_label(errno),
        limit.map_or_else(|| "알 수 없음".into(), format_bytes)
    )
}

/// [`PageError::AddressSpace`]'s Korean.
pub(in crate::vm) fn address_space_ko(bytes: u64, _limit: Option<u64>) -> String {
    format!(
        "주소 공간 {}를 예약할 수 없습니다: VirtualAlloc(MEM_RESERVE)이 ERROR_NOT_ENOUGH_MEMORY를 돌려주었습니다",
        crate::format::format_bytes(bytes)
    )
}

/// [`PageError::CommitRefused`]'s Korean.
pub(in crate::vm) fn commit_refused_ko(bytes: u64) -> String {
    format!(
        "시스템이 {} 커밋을 거부했습니다: VirtualAlloc(MEM_COMMIT) 실패 (커밋 양이 커밋 한도를 넘게 됩니다)",
        crate::format::format_bytes(bytes)
    )
}

#[cfg(test)]
mod tests {
    use windows_sys::Win32::System::Memory::{MEM_FREE, MEM_PRIVATE};

    use super::*;
    use crate::vm::pages::{Access, Decommit, PageLab, PageState};

    /// What Windows itself says of the page at `addr`: state, protection,
    /// type, the reservation's base.
    fn virtual_query(addr: usize) -> (u32, u32, u32, usize) {
        let mut mbi = MEMORY_BASIC_INFORMATION::default();
        let size = size_of::<MEMORY_BASIC_INFORMATION>();
        // SAFETY: any address may be queried; a live struct of its size.
        let written = unsafe { VirtualQuery(addr as *const c_void, &mut mbi, size) };
        assert_eq!(written, size);
        let protect = if mbi.State == MEM_COMMIT {
            mbi.Protect
        } else {
            0
        };
        (mbi.State, protect, mbi.Type, mbi.AllocationBase as usize)
    }

    #[test]
    fn every_step_leaves_the_pages_as_virtualquery_says() {
        let mut lab = PageLab::new();
        let id = lab.reserve(20).unwrap();
        let r = lab.get(id).unwrap();
        let (base, page) = (r.base(), lab.page_size());
        assert_eq!(base % (64 << 10), 0, "{base:#x}: not at the granularity");
        let at = |p: usize| base + p * page;
        assert_eq!(virtual_query(at(0)), (MEM_RESERVE, 0, MEM_PRIVATE, base));
        lab.commit(id, 2..6).unwrap();
        lab.protect(id, 3..4, Protection::ReadOnly).unwrap();
        assert_eq!(
            lab.protect(id, 4..5, Protection::NoAccess),
            Ok(Protection::ReadWrite),
            "VirtualProtect gives the old protection"
        );
        for (p, state, protect) in [
            (1, MEM_RESERVE, 0),
            (2, MEM_COMMIT, PAGE_READWRITE),
            (3, MEM_COMMIT, PAGE_READONLY),
            (4, MEM_COMMIT, PAGE_NOACCESS),
            (5, MEM_COMMIT, PAGE_READWRITE),
            (6, MEM_RESERVE, 0),
        ] {
            assert_eq!(
                virtual_query(at(p)),
                (state, protect, MEM_PRIVATE, base),
                "page {p}"
            );
            let table = lab.get(id).unwrap().pages()[p];
            let committed = state == MEM_COMMIT;
            assert_eq!(table.state == PageState::Committed, committed, "page {p}");
        }
        // Accesses that would fault are answered, not taken.
        assert_eq!(lab.write_byte(id, 2, 7), Ok(Access::Written { value: 7 }));
        assert_eq!(lab.read_byte(id, 2), Ok(Access::Read { value: 7 }));
        assert_eq!(lab.read_byte(id, 3), Ok(Access::Read { value: 0 }));
        for (p, write) in [(3, true), (4, false), (4, true), (1, false), (1, true)] {
            let access = if write {
                lab.write_byte(id, p, 1)
            } else {
                lab.read_byte(id, p)
            };
            assert!(
                matches!(access, Ok(Access::Violation(v)) if v.page == p && v.write == write),
                "page {p}, write {write}: {access:?}"
            );
        }
        // The read-only page kept its zero: no write slipped through.
        assert_eq!(lab.read_byte(id, 3), Ok(Access::Read { value: 0 }));
        // The written page is in RAM, a reserved one is not.
        let resident = lab.resident(id).unwrap();
        assert!(resident[2] && !resident[1] && !resident[6], "{resident:?}");
        assert!(lab.query(id, 2).unwrap().resident);
        // MEM_DECOMMIT: reserved again; written bytes gone on a new commit.
        lab.decommit(id, 0..20, Decommit::Remap).unwrap();
        assert_eq!(virtual_query(at(2)), (MEM_RESERVE, 0, MEM_PRIVATE, base));
        lab.commit(id, 2..3).unwrap();
        assert_eq!(lab.read_byte(id, 2), Ok(Access::Read { value: 0 }));
        // MEM_RELEASE: the whole reservation is free.
        lab.release(id).unwrap();
        assert_eq!(virtual_query(base).0, MEM_FREE);
    }

    /// 16 MiB: more than a default working set lets Windows lock
    /// (`ERROR_WORKING_SET_QUOTA` without SetProcessWorkingSetSize first).
    /// Wine neither enforces the quota nor moves the working set, so under
    /// wine this shows the lock and unlock work, not the quota.
    #[test]
    fn sixteen_mib_lock_and_unlock_after_making_room() {
        let mut lab = PageLab::new();
        let pages = (16 << 20) / lab.page_size();
        let id = lab.reserve(pages).unwrap();
        lab.commit(id, 0..pages).unwrap();
        lab.lock(id, 0..pages).unwrap();
        assert!(lab.get(id).unwrap().pages().iter().all(|p| p.locked));
        assert!(
            lab.query(id, 0).unwrap().resident,
            "locked pages are in RAM"
        );
        lab.unlock(id, 0..pages).unwrap();
        lab.release(id).unwrap();
    }

    #[test]
    fn decommit_keeping_the_charge_leaves_the_pages_no_access() {
        let mut lab = PageLab::new();
        let id = lab.reserve(4).unwrap();
        lab.commit(id, 0..4).unwrap();
        lab.write_byte(id, 1, 9).unwrap();
        lab.lock(id, 1..2).unwrap();
        lab.decommit(id, 0..4, Decommit::DontNeed).unwrap();
        let base = lab.get(id).unwrap().base();
        // Still committed (charged), but no access: a touch is refused.
        assert_eq!(virtual_query(base).0, MEM_COMMIT);
        assert_eq!(virtual_query(base).1, PAGE_NOACCESS);
        assert!(matches!(lab.read_byte(id, 1), Ok(Access::Violation(_))));
        assert_eq!(lab.get(id).unwrap().pages()[1].state, PageState::Reserved);
    }

    #[test]
    fn the_errors_name_the_win32_calls_in_both_languages() {
        use crate::i18n::testing::assert_korean;
        use crate::i18n::{Lang, Localized};
        let lock = PageError::LockLimit {
            bytes: 16 << 20,
            limit: Some(32 << 20),
            locked: 0,
            errno: ERROR_WORKING_SET_QUOTA as i32,
        };
        let en = lock.to_string();
        assert!(
            en.starts_with("VirtualLock refused 16777216 bytes (ERROR_WORKING_SET_QUOTA)"),
            "{en}"
        );
        let reserve = PageError::AddressSpace {
            bytes: 1 << 40,
            limit: None,
        };
        assert!(reserve.to_string().contains("VirtualAlloc(MEM_RESERVE)"));
        let commit = PageError::CommitRefused { bytes: 1 << 30 };
        assert!(commit.to_string().contains("VirtualAlloc(MEM_COMMIT)"));
        let os = PageError::Os {
            op: Operation::Protect,
            errno: 87,
        };
        assert!(
            os.to_string().starts_with("VirtualProtect failed: "),
            "{os}"
        );
        for e in [lock, reserve, commit, os] {
            let ko = e.localized(Lang::Ko);
            assert_korean(&ko);
            assert!(
                !ko.contains("mlock") && !ko.contains("mmap") && !ko.contains("RLIMIT"),
                "{ko}"
            );
        }
        let ko = PageError::Os {
            op: Operation::Protect,
            errno: 87,
        }
        .localized(Lang::Ko);
        assert!(
            ko.contains("ERROR_INVALID_PARAMETER, Win32 오류 87"),
            "{ko}"
        );
    }
}
