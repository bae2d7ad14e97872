//! GetSystemInfo and GlobalMemoryStatusEx: page size, address range,
//! processors, physical memory, the commit charge and its limit, the
//! overcommit mode and the lock limit; plus [`costs`], the two numbers the
//! page lab shows beside its grid (RSS and the commit charge). One API, one
//! file per OS: `linux.rs` reads sysconf, /proc and getrlimit; `windows.rs`
//! makes the book's calls.

use serde::Serialize;

#[cfg(target_os = "linux")]
mod linux;
#[cfg(windows)]
mod windows;

#[cfg(target_os = "linux")]
use linux as sys;
#[cfg(target_os = "linux")]
pub(super) use linux::{KERNEL_HALF, lowest_address, user_space_end};
/// Resource limits (getrlimit): what the page lab reports beside ENOMEM
/// and EAGAIN. Linux only.
#[cfg(target_os = "linux")]
pub use linux::{Resource, limit};
#[cfg(windows)]
use windows as sys;

/// Reads the facts: on Linux sysconf, /proc/meminfo, /proc/sys/vm,
/// getrlimit and /proc/self/maps for the top of the address space; on
/// Windows GetSystemInfo, GlobalMemoryStatusEx, GetPerformanceInfo and
/// GetProcessWorkingSetSize.
pub fn facts() -> Result<SystemFacts, super::ReadError> {
    sys::facts()
}

/// RSS and the commit charge: two small reads (/proc/self/statm and
/// /proc/meminfo; GetProcessMemoryInfo and GetPerformanceInfo), cheap
/// enough for every step and every second.
pub fn costs() -> Result<Costs, super::ReadError> {
    sys::costs()
}

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

/// What GetSystemInfo and GlobalMemoryStatusEx tell a Win32 program (on
/// Linux: as Linux tells it). Sizes in bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SystemFacts {
    pub page_size: usize,
    /// `None` on Linux: mappings start on any page boundary; on Windows
    /// `dwAllocationGranularity` (64 KiB).
    pub allocation_granularity: Option<usize>,
    /// The lowest address a mapping may use (`vm.mmap_min_addr`;
    /// `lpMinimumApplicationAddress`).
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
    /// `Committed_AS`: what every process has committed (Windows:
    /// `PERFORMANCE_INFORMATION.CommitTotal`).
    pub commit_charge: u64,
    /// `CommitLimit`: on Linux only enforced in overcommit mode 2; on
    /// Windows always (`PERFORMANCE_INFORMATION.CommitLimit`).
    pub commit_limit: Option<u64>,
    /// Linux's overcommit mode; `None` on Windows, which has none (a commit
    /// past the limit always fails there, as in mode 2).
    pub overcommit: Option<Overcommit>,
    /// RLIMIT_MEMLOCK (root with CAP_IPC_LOCK is not held to it). On
    /// Windows the process's working set, `soft` its minimum and `hard` its
    /// maximum (GetProcessWorkingSetSize): VirtualLock holds at most a
    /// little less than the minimum, which SetProcessWorkingSetSize raises.
    pub lock_limit: Limit,
    /// RLIMIT_AS: how much address space a process may map (Win32 has no
    /// such field; the total is `total_virtual`). Unlimited on Windows.
    pub address_space_limit: Limit,
}

/// The costs the page lab shows beside its grid, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Costs {
    /// This process's resident set (RAM it uses; Windows: its working set).
    pub rss: u64,
    /// The system's commit charge, `Committed_AS` / `CommitTotal` (other processes move it too).
    pub commit_charge: u64,
    /// `CommitLimit`.
    pub commit_limit: Option<u64>,
}
