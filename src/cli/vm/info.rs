//! `memlab maps`: the address-space map as text or JSON.

use std::io::Write;

use super::landmarks;
use crate::cli::Failure;
use memlab_engine::format::format_bytes;
use memlab_engine::vm::Operation;
use memlab_engine::vm::maps::{RegionType, Snapshot, map_targets};

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
