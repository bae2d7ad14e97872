//! GetSystemInfo and GlobalMemoryStatusEx on Linux: page size, address
//! range, processors, physical memory, the commit charge and its limit, the
//! overcommit mode and the lock limit; plus [`costs`], the two numbers the
//! page lab shows beside its grid (RSS and the commit charge).

use procfs::{Current, Meminfo};
pub use rustix::process::Resource;
use serde::Serialize;

use super::ReadError;

/// Windows' allocation granularity (reservations start on multiples of it).
pub const WINDOWS_ALLOCATION_GRANULARITY: usize = 64 << 10;

/// A resource limit: a number of bytes or unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Limit {
    /// The soft limit (the one enforced), `None` = unlimited.
    pub soft: Option<u64>,
    /// The ceiling the soft limit may be raised to, `None` = unlimited.
    pub hard: Option<u64>,
}

/// /proc/sys/vm/overcommit_memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Overcommit {
    /// 0: obvious overcommits are refused, the rest allowed.
    Heuristic,
    /// 1: every commit succeeds.
    Always,
    /// 2: the commit charge may not pass CommitLimit (Windows' rule).
    Never,
}

impl Overcommit {
    pub fn mode(self) -> u8 {
        match self {
            Self::Heuristic => 0,
            Self::Always => 1,
            Self::Never => 2,
        }
    }
}

/// What GetSystemInfo and GlobalMemoryStatusEx tell a Win32 program, as
/// Linux tells it. Sizes in bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SystemFacts {
    pub page_size: usize,
    /// `None` on Linux: mappings start on any page boundary.
    pub allocation_granularity: Option<usize>,
    /// The lowest address a mapping may use (`vm.mmap_min_addr`).
    pub lowest_address: usize,
    /// The highest address of the user's part of the address space (its
    /// last byte).
    pub highest_address: usize,
    /// The size of the user's part of the address space, lowest to highest
    /// address (what `MEMORYSTATUSEX.ullTotalVirtual` gives on Windows:
    /// 2 GiB less 128 KiB in the book's day).
    pub total_virtual: u64,
    /// The CPU architecture, e.g. `x86_64`.
    pub arch: &'static str,
    /// Processors online.
    pub processors: usize,
    /// Processors this process may run on (affinity, cgroup quota).
    pub processors_available: usize,
    pub physical_total: u64,
    /// `MemAvailable`, when the kernel reports it.
    pub physical_available: Option<u64>,
    /// `Committed_AS`: what every process has committed.
    pub commit_charge: u64,
    /// `CommitLimit`: only enforced in overcommit mode 2.
    pub commit_limit: Option<u64>,
    pub overcommit: Option<Overcommit>,
    /// RLIMIT_MEMLOCK (root with CAP_IPC_LOCK is not held to it).
    pub lock_limit: Limit,
    /// RLIMIT_AS: how much address space a process may map (Win32 has no
    /// such field; the total is `total_virtual`).
    pub address_space_limit: Limit,
}

/// Reads the facts (sysconf, /proc/meminfo, /proc/sys/vm, getrlimit,
/// /proc/self/maps for the top of the address space).
pub fn facts() -> Result<SystemFacts, ReadError> {
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

/// The costs the page lab shows beside its grid, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Costs {
    /// This process's resident set (RAM it uses).
    pub rss: u64,
    /// The system's commit charge, `Committed_AS` (other processes move it too).
    pub commit_charge: u64,
    /// `CommitLimit`.
    pub commit_limit: Option<u64>,
}

/// RSS (/proc/self/statm) and the commit charge (/proc/meminfo): two small
/// reads, cheap enough for every step and every second.
pub fn costs() -> Result<Costs, ReadError> {
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
pub(super) fn lowest_address(page_size: usize) -> usize {
    read_number("/proc/sys/vm/mmap_min_addr").map_or(page_size, |n| (n as usize).max(page_size))
}

/// The end of user space (one past its last byte), from the end of the
/// highest user mapping. The kernel does not publish TASK_SIZE, but the main
/// stack sits just below it whatever the randomisation: user space ends at
/// the next power of two, less one guard page on x86-64 (TASK_SIZE_MAX =
/// 2^47 - 4096 there).
pub(super) fn user_space_end(highest_mapping_end: u64, page_size: u64) -> u64 {
    let guard = if cfg!(target_arch = "x86_64") {
        page_size
    } else {
        0
    };
    highest_mapping_end.next_power_of_two() - guard
}

/// Mappings at or above this address are in the kernel's half ([vsyscall]).
pub(super) const KERNEL_HALF: u64 = 1 << 63;

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
