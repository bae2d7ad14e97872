//! `memlab sysinfo`'s text on Windows: each figure and the Win32 field it
//! was read from.

use memlab_engine::format::format_bytes;
use memlab_engine::vm::Operation;
use memlab_engine::vm::system::SystemFacts;

pub(super) fn sysinfo_text(f: &SystemFacts) -> String {
    let op = Operation::SystemInfo;
    let optional = |v: Option<u64>| v.map_or("unknown".into(), format_bytes);
    let granularity = f.allocation_granularity.map_or_else(
        || "unknown".to_owned(),
        |g| {
            format!(
                "{g} bytes ({}, dwAllocationGranularity): every reservation starts on a multiple of it",
                format_bytes(g as u64)
            )
        },
    );
    [
        format!("{} -> {}", op.win32(), op.os_call()),
        format!("page size               {} bytes (dwPageSize)", f.page_size),
        format!("allocation granularity  {granularity}"),
        format!(
            "lowest address          {:#x} (lpMinimumApplicationAddress)",
            f.lowest_address
        ),
        format!(
            "highest address         {:#x} (lpMaximumApplicationAddress)",
            f.highest_address
        ),
        format!(
            "total virtual           {} (MEMORYSTATUSEX.ullTotalVirtual)",
            format_bytes(f.total_virtual)
        ),
        format!(
            "processors              {} (dwNumberOfProcessors), {} available to memlab ({})",
            f.processors, f.processors_available, f.arch
        ),
        format!(
            "physical memory         {} total, {} available (ullTotalPhys, ullAvailPhys)",
            format_bytes(f.physical_total),
            optional(f.physical_available)
        ),
        format!(
            "commit charge           {} of limit {} (GetPerformanceInfo: CommitTotal, CommitLimit; a commit past the limit fails)",
            format_bytes(f.commit_charge),
            optional(f.commit_limit)
        ),
        format!(
            "working set             minimum {}, maximum {} (GetProcessWorkingSetSize): VirtualLock holds a little less than the minimum; SetProcessWorkingSetSize raises it",
            optional(f.lock_limit.soft),
            optional(f.lock_limit.hard)
        ),
    ]
    .join("\n")
}
