//! The Win32 calls that read a heap and the address space: `HeapWalk`
//! under `HeapLock` (each entry copied out, nothing allocated from the heap
//! under walk) and `VirtualQuery` (a reservation's base, length and
//! committed bytes).

use std::ffi::c_void;
use std::mem::size_of;

use windows_sys::Win32::Foundation::{GetLastError, HANDLE};
use windows_sys::Win32::System::Memory::{
    HeapLock, HeapUnlock, HeapWalk, MEM_COMMIT, MEM_FREE, MEM_PRIVATE, MEMORY_BASIC_INFORMATION,
    PROCESS_HEAP_ENTRY, VirtualQuery,
};

use super::last_error;
use crate::heap::HeapError;

/// `PROCESS_HEAP_ENTRY.wFlags` (winbase.h; windows-sys keeps them in a
/// feature memlab does not otherwise need).
pub(super) const PROCESS_HEAP_REGION: u16 = 0x0001;
pub(super) const PROCESS_HEAP_UNCOMMITTED_RANGE: u16 = 0x0002;
pub(super) const PROCESS_HEAP_ENTRY_BUSY: u16 = 0x0004;

/// One `HeapWalk` entry, copied out of the struct.
#[derive(Debug, Clone, Copy)]
pub(super) struct RawEntry {
    pub(super) data: usize,
    pub(super) size: u64,
    pub(super) overhead: u64,
    pub(super) flags: u16,
    pub(super) committed: u64,
    pub(super) uncommitted: u64,
}

/// Walks `heap` with `HeapWalk`, handing each entry to `each`, under
/// `HeapLock`. `each` must not allocate from `heap` (the process heap's
/// walk counts only).
pub(super) fn walk_raw(heap: HANDLE, mut each: impl FnMut(RawEntry)) -> Result<(), HeapError> {
    // SAFETY: a heap handle of this process (ours, or GetProcessHeap's).
    if unsafe { HeapLock(heap) } == 0 {
        return Err(last_error("HeapLock"));
    }
    let mut entry = PROCESS_HEAP_ENTRY::default();
    let mut result = Ok(());
    loop {
        // SAFETY: `entry` starts zeroed (lpData NULL: the walk's start) and
        // is only ever written back by HeapWalk itself.
        if unsafe { HeapWalk(heap, &mut entry) } == 0 {
            // SAFETY: no precondition.
            let code = unsafe { GetLastError() };
            // ERROR_NO_MORE_ITEMS: the walk's normal end.
            if code != 259 {
                result = Err(last_error("HeapWalk"));
            }
            break;
        }
        let region = entry.wFlags & PROCESS_HEAP_REGION != 0;
        let (committed, uncommitted) = if region {
            // SAFETY: the union's Region arm is the one HeapWalk filled for
            // a region entry; it is read for no other.
            let r = unsafe { entry.Anonymous.Region };
            (r.dwCommittedSize as u64, r.dwUnCommittedSize as u64)
        } else {
            (0, 0)
        };
        each(RawEntry {
            data: entry.lpData as usize,
            size: entry.cbData as u64,
            overhead: entry.cbOverhead as u64,
            flags: entry.wFlags,
            committed,
            uncommitted,
        });
    }
    // SAFETY: the lock taken above.
    unsafe { HeapUnlock(heap) };
    result
}

/// `VirtualQuery` at `address`.
pub(super) fn query(address: usize) -> Option<MEMORY_BASIC_INFORMATION> {
    let mut info = MEMORY_BASIC_INFORMATION::default();
    // SAFETY: VirtualQuery reads no memory at `address`; it fills `info`.
    let n = unsafe {
        VirtualQuery(
            address as *const c_void,
            &mut info,
            size_of::<MEMORY_BASIC_INFORMATION>(),
        )
    };
    (n != 0).then_some(info)
}

/// The reservation (`AllocationBase` and every region of it) that holds
/// `address`: its base, length, committed bytes and committed private bytes.
pub(super) fn reservation(address: usize) -> Option<(usize, u64, u64, u64)> {
    let first = query(address)?;
    if first.State == MEM_FREE {
        return None;
    }
    let base = first.AllocationBase as usize;
    let (mut at, mut len, mut committed, mut private) = (base, 0u64, 0u64, 0u64);
    while let Some(info) = query(at) {
        if info.State == MEM_FREE || info.AllocationBase as usize != base || info.RegionSize == 0 {
            break;
        }
        len += info.RegionSize as u64;
        if info.State == MEM_COMMIT {
            committed += info.RegionSize as u64;
            if info.Type == MEM_PRIVATE {
                private += info.RegionSize as u64;
            }
        }
        at += info.RegionSize;
    }
    Some((base, len, committed, private))
}
