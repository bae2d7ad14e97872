//! `memlab sysinfo` and `memlab maps`: GetSystemInfo and the address-space
//! map as text or JSON.

use std::io::Write;

use super::landmarks;
use crate::cli::Failure;
use memlab_engine::format::format_bytes;
use memlab_engine::vm::Operation;
use memlab_engine::vm::maps::{RegionType, Snapshot, map_targets};
use memlab_engine::vm::pages::MAX_PAGES;
use memlab_engine::vm::system::{
    self, Limit, Overcommit, SystemFacts, WINDOWS_ALLOCATION_GRANULARITY,
};

/// Runs `memlab sysinfo`.
pub(in crate::cli) fn run_sysinfo(json: bool) -> Result<(), Failure> {
    let f = system::facts()?;
    let line = if json {
        let mut v = serde_json::to_value(&f).map_err(|e| Failure::failed(e.to_string()))?;
        v["windows_allocation_granularity"] = WINDOWS_ALLOCATION_GRANULARITY.into();
        v["max_pages_per_reservation"] = MAX_PAGES.into();
        v.to_string()
    } else {
        sysinfo_text(&f)
    };
    let _ = writeln!(std::io::stdout().lock(), "{line}");
    Ok(())
}

fn limit_text(l: Limit) -> String {
    let one = |v: Option<u64>| v.map_or("unlimited".to_owned(), format_bytes);
    format!("{} (hard {})", one(l.soft), one(l.hard))
}

fn sysinfo_text(f: &SystemFacts) -> String {
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

/// Runs `memlab maps` (of this process, `--pid`, `--window`, or `--list`).
pub(in crate::cli) fn run_maps(
    json: bool,
    pid: Option<u32>,
    window: Option<usize>,
    list: bool,
) -> Result<(), Failure> {
    if list {
        return list_targets(json);
    }
    let pid = match (pid, window) {
        (Some(pid), _) => pid,
        (None, Some(number)) => map_targets()
            .into_iter()
            .find(|t| t.window == Some(number))
            .map(|t| t.pid)
            .ok_or_else(|| {
                Failure::usage(format!(
                    "no memlab window #{number} of this account is open (memlab maps --list shows them)"
                ))
            })?,
        (None, None) => std::process::id(),
    };
    let snapshot = Snapshot::take_of(pid, landmarks())?;
    let mut out = std::io::stdout().lock();
    if json {
        let text = serde_json::to_string(&snapshot).map_err(|e| Failure::failed(e.to_string()))?;
        let _ = writeln!(out, "{text}");
        return Ok(());
    }
    let used = snapshot
        .regions
        .iter()
        .filter(|r| r.kind != RegionType::Free)
        .count();
    let op = Operation::AddressSpaceMap;
    let whose = if snapshot.pid == std::process::id() {
        "memlab itself".to_owned()
    } else {
        format!("PID {}", snapshot.pid)
    };
    let _ = writeln!(
        out,
        "{} -> {} of {whose}: {used} regions, read in {:.1} ms",
        op.win32(),
        op.os_call().replace("self", &snapshot.pid.to_string()),
        snapshot.took_us as f64 / 1000.0
    );
    let _ = writeln!(
        out,
        "{:<14} {:>10} {:<12} {:<4} {:>10} {:>10} {:>10}  path / memlab's object",
        "start", "size", "type", "prot", "resident", "private", "locked"
    );
    for r in &snapshot.regions {
        let name = match (&r.owner, r.path.is_empty()) {
            (Some(o), true) => o.to_string(),
            (Some(o), false) => format!("{} ({o})", r.path),
            (None, _) => r.path.clone(),
        };
        let _ = writeln!(
            out,
            "{:#014x} {:>10} {:<12} {:<4} {:>10} {:>10} {:>10}  {name}",
            r.start,
            format_bytes(r.size),
            r.kind.name(),
            r.protection,
            format_bytes(r.resident),
            format_bytes(r.private),
            format_bytes(r.locked),
        );
    }
    let _ = writeln!(
        out,
        "\n{:<12} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>7} {:>10}",
        "type", "size", "committed", "resident", "private", "shared", "locked", "blocks", "largest"
    );
    for t in &snapshot.totals {
        let _ = writeln!(
            out,
            "{:<12} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>7} {:>10}",
            t.kind.name(),
            format_bytes(t.size),
            format_bytes(t.committed),
            format_bytes(t.resident),
            format_bytes(t.private),
            format_bytes(t.shared),
            format_bytes(t.locked),
            t.blocks,
            format_bytes(t.largest),
        );
    }
    let _ = writeln!(
        out,
        "largest free block: {}",
        format_bytes(snapshot.largest_free)
    );
    Ok(())
}

/// `memlab maps --list`: memlab's windows first, then the account's other
/// processes.
fn list_targets(json: bool) -> Result<(), Failure> {
    let targets = map_targets();
    let mut out = std::io::stdout().lock();
    if json {
        let text = serde_json::to_string(&targets).map_err(|e| Failure::failed(e.to_string()))?;
        let _ = writeln!(out, "{text}");
        return Ok(());
    }
    for t in &targets {
        let window = t
            .window
            .map_or_else(String::new, |n| format!("window #{n}"));
        let this = if t.this { " (this process)" } else { "" };
        let _ = writeln!(out, "{window:<11} PID {:<8} {}{this}", t.pid, t.name);
    }
    Ok(())
}
