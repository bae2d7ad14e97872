//! What the kernel says about memlab's Linux heaps and this process: RSS
//! and `Committed_AS` (the costs of a step), each heap's ranges in
//! /proc/self/smaps with mincore (the kernel's view), and glibc's
//! `mallinfo2` for the process heap.

use std::ffi::c_void;

use serde::Serialize;

use super::page_size;
use crate::heap::{HeapError, Segment};

/// RSS and the system's commit charge, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Costs {
    /// This process's resident set (/proc/self/statm).
    pub rss: u64,
    /// The system's commit charge, `Committed_AS` (other processes move it too).
    pub commit_charge: u64,
}

/// RSS and `Committed_AS`, read now.
pub fn costs() -> Result<Costs, HeapError> {
    let statm = procfs::process::Process::myself()
        .and_then(|p| p.statm())
        .map_err(|e| HeapError::Read {
            file: "/proc/self/statm",
            reason: e.to_string(),
        })?;
    let meminfo = <procfs::Meminfo as procfs::Current>::current().map_err(|e| HeapError::Read {
        file: "/proc/meminfo",
        reason: e.to_string(),
    })?;
    Ok(Costs {
        rss: statm.resident * page_size() as u64,
        commit_charge: meminfo.committed_as,
    })
}

/// A heap's ranges as the kernel sees them: /proc/self/smaps clipped to the
/// ranges (a neighbouring mapping may share a kernel region), and mincore.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct KernelView {
    /// Bytes of the ranges the kernel has mapped.
    pub reserved: u64,
    /// Bytes mapped read-write (what memlab committed).
    pub committed: u64,
    /// Bytes in mappings the kernel charges to the commit charge (the
    /// `ac` flag in smaps' VmFlags).
    pub charged: u64,
    /// Bytes in RAM (mincore over the committed parts).
    pub resident: u64,
}

pub fn kernel_view(segments: &[Segment]) -> Result<KernelView, HeapError> {
    use procfs::process::{MMPermissions, VmFlags};
    let maps = procfs::process::Process::myself()
        .and_then(|p| p.smaps())
        .map_err(|e| HeapError::Read {
            file: "/proc/self/smaps",
            reason: e.to_string(),
        })?;
    let mut view = KernelView::default();
    for s in segments {
        let (lo, hi) = (s.base as u64, s.base as u64 + s.reserved);
        for m in maps.iter() {
            let (a, b) = (m.address.0.max(lo), m.address.1.min(hi));
            if a >= b {
                continue;
            }
            let len = b - a;
            view.reserved += len;
            if m.perms.contains(MMPermissions::READ | MMPermissions::WRITE) {
                view.committed += len;
                view.resident += resident(a as usize, len as usize)?;
            }
            if m.extension.vm_flags.contains(VmFlags::AC) {
                view.charged += len;
            }
        }
    }
    Ok(view)
}

/// Bytes of `[start, start + len)` in RAM (a mapped, page-aligned range).
fn resident(start: usize, len: usize) -> Result<u64, HeapError> {
    let page = page_size();
    let mut vec = vec![0u8; len / page];
    // SAFETY: a range smaps lists as mapped (page-aligned); `vec` has one
    // byte per page, as mincore writes.
    let rc = unsafe { libc::mincore(start as *mut c_void, len, vec.as_mut_ptr()) };
    if rc != 0 {
        let e = std::io::Error::last_os_error();
        return Err(HeapError::Os {
            call: "mincore",
            errno: e.raw_os_error().unwrap_or(0),
            errno_text: e.to_string(),
        });
    }
    Ok(vec.iter().filter(|&&b| b & 1 == 1).count() as u64 * page as u64)
}

/// The process heap's counters (glibc's `mallinfo2`): what `GetProcessHeap`
/// stands for on Linux, malloc's own heap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ProcessHeap {
    /// Bytes malloc got with sbrk (its main arena).
    pub arena: u64,
    /// Bytes in live blocks.
    pub in_use: u64,
    /// Bytes in free blocks.
    pub free: u64,
    /// Free blocks (chunks).
    pub free_blocks: u64,
    /// Bytes in blocks malloc mapped on their own (large ones).
    pub mapped: u64,
    /// Blocks malloc mapped on their own.
    pub mapped_blocks: u64,
}

/// `mallinfo2()` now, where glibc has it.
pub fn process_heap() -> Option<ProcessHeap> {
    #[cfg(target_env = "gnu")]
    {
        // SAFETY: mallinfo2 has no preconditions; it only reads malloc's state.
        let m = unsafe { libc::mallinfo2() };
        Some(ProcessHeap {
            arena: m.arena as u64,
            in_use: m.uordblks as u64,
            free: m.fordblks as u64,
            free_blocks: m.ordblks as u64,
            mapped: m.hblkhd as u64,
            mapped_blocks: m.hblks as u64,
        })
    }
    #[cfg(not(target_env = "gnu"))]
    {
        None
    }
}
