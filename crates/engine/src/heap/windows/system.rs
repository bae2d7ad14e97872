//! What Windows says about this process and memlab's heaps: the working
//! set and the commit charge (`GetProcessMemoryInfo`, `GetPerformanceInfo`),
//! each heap's ranges by `VirtualQuery` and `QueryWorkingSetEx`, and the
//! process heap's counters from a walk of `GetProcessHeap()`.

use std::ffi::c_void;
use std::mem::size_of;

use serde::Serialize;
use windows_sys::Win32::System::Memory::{GetProcessHeap, MEM_COMMIT, MEM_FREE, MEM_PRIVATE};
use windows_sys::Win32::System::ProcessStatus::{
    K32GetPerformanceInfo, K32GetProcessMemoryInfo, K32QueryWorkingSetEx, PERFORMANCE_INFORMATION,
    PROCESS_MEMORY_COUNTERS, PSAPI_WORKING_SET_EX_INFORMATION,
};
use windows_sys::Win32::System::Threading::GetCurrentProcess;

use super::walk::{PROCESS_HEAP_ENTRY_BUSY, PROCESS_HEAP_REGION, PROCESS_HEAP_UNCOMMITTED_RANGE};
use super::walk::{query, walk_raw};
use super::{last_error, page_size};
use crate::heap::{HeapError, Segment};

/// The working set and the system's commit charge, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Costs {
    /// This process's working set (`GetProcessMemoryInfo`), Windows' RSS.
    pub rss: u64,
    /// The system's commit charge, `GetPerformanceInfo`'s `CommitTotal`
    /// (other processes move it too; under wine it is the host's used
    /// memory, not a commit charge).
    pub commit_charge: u64,
}

pub fn costs() -> Result<Costs, HeapError> {
    let mut pmc = PROCESS_MEMORY_COUNTERS {
        cb: size_of::<PROCESS_MEMORY_COUNTERS>() as u32,
        ..Default::default()
    };
    // SAFETY: our own process's pseudo-handle and a struct of the size given.
    if unsafe { K32GetProcessMemoryInfo(GetCurrentProcess(), &mut pmc, pmc.cb) } == 0 {
        return Err(last_error("GetProcessMemoryInfo"));
    }
    let mut perf = PERFORMANCE_INFORMATION {
        cb: size_of::<PERFORMANCE_INFORMATION>() as u32,
        ..Default::default()
    };
    // SAFETY: a struct of the size given.
    if unsafe { K32GetPerformanceInfo(&mut perf, perf.cb) } == 0 {
        return Err(last_error("GetPerformanceInfo"));
    }
    Ok(Costs {
        rss: pmc.WorkingSetSize as u64,
        commit_charge: perf.CommitTotal as u64 * perf.PageSize as u64,
    })
}

/// A heap's ranges as the system sees them: `VirtualQuery` over each
/// reservation, and `QueryWorkingSetEx` for the committed pages in RAM.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct KernelView {
    /// Bytes of the ranges' reservations (MEM_RESERVE or MEM_COMMIT).
    pub reserved: u64,
    /// Bytes committed (MEM_COMMIT).
    pub committed: u64,
    /// Committed private bytes: what the commit charge counts.
    pub charged: u64,
    /// Committed bytes in the working set (in RAM).
    pub resident: u64,
}

pub fn kernel_view(segments: &[Segment]) -> Result<KernelView, HeapError> {
    let page = page_size();
    let mut view = KernelView::default();
    for s in segments {
        let mut at = s.base;
        let end = s.base + s.reserved as usize;
        while at < end {
            let Some(info) = query(at) else {
                return Err(last_error("VirtualQuery"));
            };
            if info.RegionSize == 0 {
                break;
            }
            let len = (info.RegionSize as u64).min((end - at) as u64);
            if info.State != MEM_FREE {
                view.reserved += len;
            }
            if info.State == MEM_COMMIT {
                view.committed += len;
                if info.Type == MEM_PRIVATE {
                    view.charged += len;
                }
                view.resident += resident(at, len as usize, page)?;
            }
            at += info.RegionSize;
        }
    }
    Ok(view)
}

/// Bytes of `[start, start + len)` (committed, page-aligned) in the working set.
fn resident(start: usize, len: usize, page: usize) -> Result<u64, HeapError> {
    let mut pages: Vec<PSAPI_WORKING_SET_EX_INFORMATION> = (0..len / page)
        .map(|i| PSAPI_WORKING_SET_EX_INFORMATION {
            VirtualAddress: (start + i * page) as *mut c_void,
            ..Default::default()
        })
        .collect();
    if pages.is_empty() {
        return Ok(0);
    }
    let bytes = std::mem::size_of_val(pages.as_slice()) as u32;
    // SAFETY: our own process; an array of entries whose addresses are
    // filled in, of the size given.
    let ok = unsafe { K32QueryWorkingSetEx(GetCurrentProcess(), pages.as_mut_ptr().cast(), bytes) };
    if ok == 0 {
        return Err(last_error("QueryWorkingSetEx"));
    }
    // SAFETY: `Flags` is the union's whole word; bit 0 is "Valid" (in the
    // working set).
    let valid = pages
        .iter()
        .filter(|p| unsafe { p.VirtualAttributes.Flags } & 1 == 1)
        .count();
    Ok((valid * page) as u64)
}

/// The process heap's counters, from a walk of `GetProcessHeap()`: the heap
/// Rust's `System` allocator (and memlab's default manager) uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ProcessHeap {
    /// Bytes its regions have committed.
    pub arena: u64,
    /// Bytes in live blocks.
    pub in_use: u64,
    /// Bytes in free blocks.
    pub free: u64,
    /// Free blocks.
    pub free_blocks: u64,
    /// Bytes in live blocks outside every region (big blocks with their own
    /// `VirtualAlloc`).
    pub mapped: u64,
    /// Those blocks.
    pub mapped_blocks: u64,
}

pub fn process_heap() -> Option<ProcessHeap> {
    // SAFETY: no precondition.
    let heap = unsafe { GetProcessHeap() };
    if heap.is_null() {
        return None;
    }
    // Counted in place: nothing may be allocated from the heap under walk.
    let mut regions = [(0usize, 0usize); 64];
    let mut n_regions = 0;
    let mut p = ProcessHeap {
        arena: 0,
        in_use: 0,
        free: 0,
        free_blocks: 0,
        mapped: 0,
        mapped_blocks: 0,
    };
    walk_raw(heap, |e| {
        if e.flags & PROCESS_HEAP_REGION != 0 {
            p.arena += e.committed;
            if n_regions < regions.len() {
                regions[n_regions] = (e.data, e.data + (e.committed + e.uncommitted) as usize);
                n_regions += 1;
            }
        } else if e.flags & PROCESS_HEAP_ENTRY_BUSY != 0 {
            let inside = regions[..n_regions]
                .iter()
                .any(|&(lo, hi)| e.data >= lo && e.data < hi);
            if inside {
                p.in_use += e.size;
            } else {
                p.mapped += e.size;
                p.mapped_blocks += 1;
            }
        } else if e.flags & PROCESS_HEAP_UNCOMMITTED_RANGE == 0 {
            p.free += e.size;
            p.free_blocks += 1;
        }
    })
    .ok()?;
    Some(p)
}
