//! `memlab sysinfo`'s text on Linux: each figure and the file or call it
//! comes from.

use memlab_engine::format::format_bytes;
use memlab_engine::vm::Operation;
use memlab_engine::vm::system::{Limit, Overcommit, SystemFacts, WINDOWS_ALLOCATION_GRANULARITY};

pub(super) fn sysinfo_text(f: &SystemFacts) -> String {
    let op = Operation::SystemInfo;
    let overcommit = match f.overcommit {
        Some(Overcommit::Heuristic) => {
            "0, heuristic: obvious overcommits refused, the limit not enforced"
        }
        Some(Overcommit::Always) => "1, always: every commit succeeds",
        Some(Overcommit::Never) => "2, never: the charge may not pass the limit (as on Windows)",
        None => "unknown",
    };
    [
        format!("{} -> {}", op.win32(), op.os_call()),
        format!("page size               {} bytes", f.page_size),
        format!(
            "allocation granularity  none on Linux: a mapping may start on any page ({} bytes); Windows: {}",
            f.page_size,
            format_bytes(WINDOWS_ALLOCATION_GRANULARITY as u64)
        ),
        format!("lowest address          {:#x} (vm.mmap_min_addr)", f.lowest_address),
        format!("highest address         {:#x}", f.highest_address),
        format!(
            "total virtual           {} (MEMORYSTATUSEX.ullTotalVirtual: lowest to highest address)",
            format_bytes(f.total_virtual)
        ),
        format!(
            "processors              {} online, {} available to memlab ({})",
            f.processors, f.processors_available, f.arch
        ),
        format!(
            "physical memory         {} total, {} available",
            format_bytes(f.physical_total),
            f.physical_available.map_or("unknown".into(), format_bytes)
        ),
        format!(
            "commit charge           {} of limit {} (Committed_AS / CommitLimit)",
            format_bytes(f.commit_charge),
            f.commit_limit.map_or("unknown".into(), format_bytes)
        ),
        format!("overcommit mode         {overcommit}"),
        format!(
            "lock limit              {} RLIMIT_MEMLOCK; root (CAP_IPC_LOCK) is not held to it",
            limit_text(f.lock_limit)
        ),
        format!("address-space limit     {} RLIMIT_AS", limit_text(f.address_space_limit)),
    ]
    .join("\n")
}

fn limit_text(l: Limit) -> String {
    let one = |v: Option<u64>| v.map_or("unlimited".to_owned(), format_bytes);
    format!("{} (hard {})", one(l.soft), one(l.hard))
}
