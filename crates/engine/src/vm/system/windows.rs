//! GetSystemInfo, GlobalMemoryStatusEx, GetPerformanceInfo (the commit
//! charge and its limit) and GetProcessWorkingSetSize (VirtualLock's
//! limit): the book's calls, as made.

use windows_sys::Win32::Foundation::GetLastError;
use windows_sys::Win32::System::ProcessStatus::{
    GetPerformanceInfo, GetProcessMemoryInfo, PERFORMANCE_INFORMATION, PROCESS_MEMORY_COUNTERS,
};
use windows_sys::Win32::System::SystemInformation::{
    GetSystemInfo, GlobalMemoryStatusEx, MEMORYSTATUSEX, PROCESSOR_ARCHITECTURE_AMD64,
    PROCESSOR_ARCHITECTURE_ARM64, PROCESSOR_ARCHITECTURE_INTEL, SYSTEM_INFO,
};
use windows_sys::Win32::System::Threading::{GetCurrentProcess, GetProcessWorkingSetSize};

use super::{Costs, Limit, SystemFacts};
use crate::vm::ReadError;

/// The failure of `call`, with `GetLastError`.
fn failed(call: &'static str) -> ReadError {
    // SAFETY: no preconditions; reads this thread's last error.
    let code = unsafe { GetLastError() };
    ReadError {
        file: call,
        errno: Some(code as i32),
    }
}

fn system_info() -> SYSTEM_INFO {
    let mut si = SYSTEM_INFO::default();
    // SAFETY: writes the struct we pass, which lives through the call;
    // GetSystemInfo cannot fail.
    unsafe { GetSystemInfo(&mut si) };
    si
}

fn memory_status() -> Result<MEMORYSTATUSEX, ReadError> {
    let mut ms = MEMORYSTATUSEX {
        dwLength: size_of::<MEMORYSTATUSEX>() as u32,
        ..MEMORYSTATUSEX::default()
    };
    // SAFETY: a live, writable struct with its dwLength set, as the call
    // requires.
    if unsafe { GlobalMemoryStatusEx(&mut ms) } == 0 {
        return Err(failed("GlobalMemoryStatusEx"));
    }
    Ok(ms)
}

/// The commit charge and its limit in bytes (CommitTotal, CommitLimit).
fn commit() -> Result<(u64, u64), ReadError> {
    let mut pi = PERFORMANCE_INFORMATION::default();
    let cb = size_of::<PERFORMANCE_INFORMATION>() as u32;
    // SAFETY: a live, writable struct of the size given.
    if unsafe { GetPerformanceInfo(&mut pi, cb) } == 0 {
        return Err(failed("GetPerformanceInfo"));
    }
    let page = pi.PageSize as u64;
    Ok((pi.CommitTotal as u64 * page, pi.CommitLimit as u64 * page))
}

/// The CPU architecture GetSystemInfo names, as Rust names it.
fn arch(si: &SYSTEM_INFO) -> &'static str {
    // SAFETY: both members of the union are plain integers; every bit
    // pattern is a valid value of either.
    let a = unsafe { si.Anonymous.Anonymous.wProcessorArchitecture };
    match a {
        PROCESSOR_ARCHITECTURE_AMD64 => "x86_64",
        PROCESSOR_ARCHITECTURE_ARM64 => "aarch64",
        PROCESSOR_ARCHITECTURE_INTEL => "x86",
        _ => std::env::consts::ARCH,
    }
}

/// This process's minimum and maximum working set.
fn working_set() -> Result<(usize, usize), ReadError> {
    let (mut min, mut max) = (0usize, 0usize);
    // SAFETY: the pseudo-handle of this process and two live usizes.
    if unsafe { GetProcessWorkingSetSize(GetCurrentProcess(), &mut min, &mut max) } == 0 {
        return Err(failed("GetProcessWorkingSetSize"));
    }
    Ok((min, max))
}

pub(super) fn facts() -> Result<SystemFacts, ReadError> {
    let si = system_info();
    let ms = memory_status()?;
    let (commit_charge, commit_limit) = commit()?;
    let (ws_min, ws_max) = working_set()?;
    Ok(SystemFacts {
        page_size: si.dwPageSize as usize,
        allocation_granularity: Some(si.dwAllocationGranularity as usize),
        lowest_address: si.lpMinimumApplicationAddress as usize,
        highest_address: si.lpMaximumApplicationAddress as usize,
        total_virtual: ms.ullTotalVirtual,
        arch: arch(&si),
        processors: si.dwNumberOfProcessors as usize,
        processors_available: std::thread::available_parallelism().map_or(1, |n| n.get()),
        physical_total: ms.ullTotalPhys,
        physical_available: Some(ms.ullAvailPhys),
        commit_charge,
        commit_limit: Some(commit_limit),
        overcommit: None,
        lock_limit: Limit {
            soft: Some(ws_min as u64),
            hard: Some(ws_max as u64),
        },
        address_space_limit: Limit {
            soft: None,
            hard: None,
        },
    })
}

pub(super) fn costs() -> Result<Costs, ReadError> {
    let mut pmc = PROCESS_MEMORY_COUNTERS {
        cb: size_of::<PROCESS_MEMORY_COUNTERS>() as u32,
        ..PROCESS_MEMORY_COUNTERS::default()
    };
    // SAFETY: the pseudo-handle of this process and a live, writable struct
    // of the size given.
    if unsafe { GetProcessMemoryInfo(GetCurrentProcess(), &mut pmc, pmc.cb) } == 0 {
        return Err(failed("GetProcessMemoryInfo"));
    }
    let (commit_charge, commit_limit) = commit()?;
    Ok(Costs {
        rss: pmc.WorkingSetSize as u64,
        commit_charge,
        commit_limit: Some(commit_limit),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_are_what_windows_says() {
        let f = facts().unwrap();
        assert_eq!(f.page_size, 4096);
        assert_eq!(f.allocation_granularity, Some(64 << 10));
        assert_eq!(
            f.lowest_address, 0x10000,
            "the first 64 KiB are never mapped"
        );
        #[cfg(target_arch = "x86_64")]
        assert_eq!(f.arch, "x86_64");
        // Our own stack lies in the application's range.
        let local = 0u8;
        let here = &raw const local as usize;
        assert!(f.lowest_address < here && here < f.highest_address);
        assert!(f.total_virtual > 1 << 31, "{}", f.total_virtual);
        assert!(f.processors >= 1 && f.processors_available >= 1);
        assert!(f.physical_total > 0);
        assert!(f.physical_available.unwrap() <= f.physical_total);
        assert!(f.commit_charge > 0 && f.commit_limit.unwrap() >= f.commit_charge);
        assert!(f.overcommit.is_none());
        let (min, max) = (f.lock_limit.soft.unwrap(), f.lock_limit.hard.unwrap());
        assert!(0 < min && min <= max, "working set {min}..{max}");
        let c = costs().unwrap();
        assert!(c.rss > 0 && c.commit_charge > 0);
    }
}
