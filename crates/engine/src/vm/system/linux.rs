//! GetSystemInfo and GlobalMemoryStatusEx on Linux: sysconf, /proc/meminfo,
//! /proc/sys/vm, getrlimit, and /proc/self/maps for the top of user space.

use procfs::{Current, Meminfo};
pub use rustix::process::Resource;

use super::{Costs, Limit, Overcommit, SystemFacts};
use crate::vm::ReadError;

pub(super) fn facts() -> Result<SystemFacts, ReadError> {
    let meminfo = meminfo()?;
    let page_size = region::page::size();
    let lowest = lowest_address(page_size);
    let highest = highest_address(page_size)?;
    Ok(SystemFacts {
        page_size,
        allocation_granularity: None,
        lowest_address: lowest,
        highest_address: highest,
        total_virtual: (highest as u64 + 1).saturating_sub(lowest as u64),
        arch: std::env::consts::ARCH,
        processors: online_processors(),
        processors_available: std::thread::available_parallelism().map_or(1, |n| n.get()),
        physical_total: meminfo.mem_total,
        physical_available: meminfo.mem_available,
        commit_charge: meminfo.committed_as,
        commit_limit: meminfo.commit_limit,
        overcommit: read_number("/proc/sys/vm/overcommit_memory").and_then(|n| match n {
            0 => Some(Overcommit::Heuristic),
            1 => Some(Overcommit::Always),
            2 => Some(Overcommit::Never),
            _ => None,
        }),
        lock_limit: limit(Resource::Memlock),
        address_space_limit: limit(Resource::As),
    })
}

pub(super) fn costs() -> Result<Costs, ReadError> {
    let statm = procfs::process::Process::myself()
        .and_then(|p| p.statm())
        .map_err(|e| ReadError::new("/proc/self/statm", &e))?;
    let meminfo = meminfo()?;
    Ok(Costs {
        rss: statm.resident * region::page::size() as u64,
        commit_charge: meminfo.committed_as,
        commit_limit: meminfo.commit_limit,
    })
}

/// The soft and hard value of a resource limit.
pub fn limit(resource: Resource) -> Limit {
    let rl = rustix::process::getrlimit(resource);
    Limit {
        soft: rl.current,
        hard: rl.maximum,
    }
}

fn meminfo() -> Result<Meminfo, ReadError> {
    Meminfo::current().map_err(|e| ReadError::new("/proc/meminfo", &e))
}

fn read_number(path: &str) -> Option<u64> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

fn online_processors() -> usize {
    // SAFETY: sysconf has no preconditions.
    let n = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) };
    usize::try_from(n).unwrap_or(1).max(1)
}

/// The lowest address a mapping may use (`vm.mmap_min_addr`, at least a page).
pub(in crate::vm) fn lowest_address(page_size: usize) -> usize {
    read_number("/proc/sys/vm/mmap_min_addr").map_or(page_size, |n| (n as usize).max(page_size))
}

/// The end of user space (one past its last byte), from the end of the
/// highest user mapping. The kernel does not publish TASK_SIZE, but the main
/// stack sits just below it whatever the randomisation: user space ends at
/// the next power of two, less one guard page on x86-64 (TASK_SIZE_MAX =
/// 2^47 - 4096 there).
pub(in crate::vm) fn user_space_end(highest_mapping_end: u64, page_size: u64) -> u64 {
    let guard = if cfg!(target_arch = "x86_64") {
        page_size
    } else {
        0
    };
    highest_mapping_end.next_power_of_two() - guard
}

/// Mappings at or above this address are in the kernel's half ([vsyscall]).
pub(in crate::vm) const KERNEL_HALF: u64 = 1 << 63;

/// The last byte of user space (see [`user_space_end`]).
fn highest_address(page_size: usize) -> Result<usize, ReadError> {
    let maps = procfs::process::Process::myself()
        .and_then(|p| p.maps())
        .map_err(|e| ReadError::new("/proc/self/maps", &e))?;
    let top = maps
        .iter()
        .map(|m| m.address.1)
        .filter(|&end| end < KERNEL_HALF)
        .max()
        .unwrap_or(1 << 47);
    Ok(user_space_end(top, page_size as u64) as usize - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_match_the_kernel() {
        let f = facts().unwrap();
        assert_eq!(f.page_size, 4096.max(region::page::size()));
        assert_eq!(f.allocation_granularity, None);
        assert!(f.lowest_address >= f.page_size);
        #[cfg(target_arch = "x86_64")]
        assert!(
            [0x7fff_ffff_efff, 0xff_ffff_ffff_efff].contains(&f.highest_address),
            "{:#x}",
            f.highest_address
        );
        // Our own stack lies below the top.
        let local = 0u8;
        assert!((&raw const local as usize) < f.highest_address);
        assert!(f.processors >= 1 && f.processors_available >= 1);
        assert!(f.physical_total > 0 && f.commit_charge > 0);
        let text = std::fs::read_to_string("/proc/sys/vm/overcommit_memory").unwrap();
        assert_eq!(
            f.overcommit.map(Overcommit::mode),
            Some(text.trim().parse().unwrap())
        );
    }
}
