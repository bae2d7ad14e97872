//! `memlab global`: the Global/Local lab (GlobalAlloc and friends, §2) from
//! the command line. A script of steps runs in one process on memlab's
//! global heap; after each step it prints the handle table (handle,
//! HGLOBAL, kind, address, size, lock count, flags, the pointer kept from
//! the last lock) and the blocks the step moved. A step that breaks a Win32
//! rule is reported in its step and the script goes on; the exit code is
//! then the first failed step's.

mod script;

use std::io::Write;

use serde_json::json;

use super::Failure;
use super::steps::{self, ScriptStep};
use memlab_engine::error::HasKind;
use memlab_engine::global::{AtAddress, GlobalError, GlobalLab, Move, Outcome, Row};
use script::{Step, Target, parse_step};

/// Arguments of `memlab global`.
#[derive(Debug, clap::Args)]
pub struct GlobalArgs {
    /// Steps separated by `;`, e.g. "alloc moveable 100; lock 1; unlock 1;
    /// compact". Steps: alloc fixed|moveable|discardable SIZE [zeroinit]
    /// (handles are numbered 1, 2, ...; zeroinit is GMEM_ZEROINIT) | lock H
    /// | unlock H | realloc H SIZE [moveable] | modify H [moveable]
    /// [discardable] (GlobalReAlloc with GMEM_MODIFY: the block's flags) |
    /// free H | compact | lowmem | discard H | size H | flags H | handle
    /// H|0xADDRESS (GlobalHandle of H's kept pointer or of an address) |
    /// read H (what the pointer kept from H's last lock reads now). Sizes
    /// take K and M. `moveable` is GlobalReAlloc's GMEM_MOVEABLE.
    pub script: String,
    /// One JSON object per step.
    #[arg(long)]
    pub json: bool,
}

fn hex(address: usize) -> String {
    format!("{address:#x}")
}

fn moves_json(moves: &[Move]) -> serde_json::Value {
    moves
        .iter()
        .map(|m| json!({"handle": m.handle, "from": hex(m.from), "to": hex(m.to)}))
        .collect()
}

fn at_json(at: &AtAddress) -> serde_json::Value {
    match at {
        AtAddress::Block {
            handle,
            offset,
            bytes,
        } => json!({
            "what": "block", "handle": handle, "offset": offset,
            "bytes": String::from_utf8_lossy(bytes),
        }),
        AtAddress::Header { handle } => json!({"what": "header", "handle": handle}),
        AtAddress::Free => json!({"what": "free"}),
        AtAddress::Outside => json!({"what": "outside"}),
        AtAddress::NotOurs => json!({"what": "not_ours"}),
    }
}

fn outcome_json(o: &Outcome) -> serde_json::Value {
    match o {
        Outcome::Allocated {
            handle,
            hglobal,
            moved,
            discarded,
        } => json!({
            "kind": "allocated", "handle": handle, "hglobal": hex(*hglobal),
            "moved": moves_json(moved), "discarded": discarded,
        }),
        Outcome::Locked {
            pointer,
            lock_count,
        } => json!({"kind": "locked", "pointer": hex(*pointer), "lock_count": lock_count}),
        Outcome::Unlocked { lock_count } => json!({"kind": "unlocked", "lock_count": lock_count}),
        Outcome::Size { bytes, requested } => {
            json!({"kind": "size", "bytes": bytes, "requested": requested})
        }
        Outcome::Reallocated { from, to, size } => json!({
            "kind": "reallocated", "from": from.map(hex), "to": hex(*to),
            "moved": from.is_some_and(|f| f != *to), "size": size,
        }),
        Outcome::Flags { flags } => json!({"kind": "flags", "flags": flags}),
        Outcome::Modified {
            hglobal,
            now,
            flags,
        } => json!({
            "kind": "modified", "hglobal": hex(*hglobal), "now": now, "flags": flags,
        }),
        Outcome::HandleOf {
            address,
            handle,
            hglobal,
        } => json!({
            "kind": "handle", "address": hex(*address), "handle": handle, "hglobal": hex(*hglobal),
        }),
        Outcome::Freed => json!({"kind": "freed"}),
        Outcome::FreedLocked { lock_count } => {
            json!({"kind": "freed_locked", "lock_count": lock_count})
        }
        Outcome::Discarded => json!({"kind": "discarded"}),
        Outcome::Compacted { moved } => json!({"kind": "compacted", "moved": moves_json(moved)}),
        Outcome::LowMemory { discarded, bytes } => {
            json!({"kind": "low_memory", "discarded": discarded, "bytes": bytes})
        }
        Outcome::ReadKept {
            pointer,
            stale,
            now,
        } => json!({"kind": "read", "pointer": hex(*pointer), "stale": stale, "now": at_json(now)}),
    }
}

fn run(lab: &mut GlobalLab, step: &Step) -> Result<Outcome, GlobalError> {
    match *step {
        Step::Alloc(kind, size, zeroinit) => lab.alloc_with(kind, size, zeroinit),
        Step::Lock(h) => lab.lock(h),
        Step::Unlock(h) => lab.unlock(h),
        Step::Realloc(h, size, moveable) => lab.realloc(h, size, moveable),
        Step::Modify(h, moveable, discardable) => lab.modify(h, moveable, discardable),
        Step::Free(h) => lab.free(h),
        Step::Compact => lab.compact(),
        Step::LowMemory => lab.low_memory(),
        Step::Discard(h) => lab.discard(h),
        Step::Size(h) => lab.size(h),
        Step::Flags(h) => lab.flags(h),
        Step::HandleOf(Target::Address(a)) => lab.handle_at(a),
        Step::HandleOf(Target::Kept(h)) => lab.handle_of_kept(h),
        Step::Read(h) => lab.read_kept(h),
    }
}

/// Runs `memlab global SCRIPT`.
pub(super) fn run_script(args: &GlobalArgs) -> Result<(), Failure> {
    let steps = steps::parse(&args.script, parse_step)?;
    let mut lab = GlobalLab::new();
    let mut first_failure = steps::FirstFailure::default();
    let mut out = std::io::stdout().lock();
    for ScriptStep { index, text, step } in &steps {
        let (index, text) = (*index, *text);
        let result = run(&mut lab, step);
        let rows = lab.rows();
        let report = Report {
            index,
            text,
            step,
            result: &result,
            rows: &rows,
            moved: lab.moved(),
        };
        let line = if args.json {
            json_step(&report)
        } else {
            text_step(&report)
        };
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
        first_failure.note(index, text, &result);
    }
    first_failure.into_result()
}

/// One step's report: what ran, what it did, the table after it.
struct Report<'a> {
    index: usize,
    text: &'a str,
    step: &'a Step,
    result: &'a Result<Outcome, GlobalError>,
    rows: &'a [Row],
    moved: &'a [Move],
}

fn json_step(r: &Report) -> String {
    let Report {
        index,
        text,
        step,
        result,
        rows,
        moved,
    } = *r;
    let handles: Vec<serde_json::Value> = rows
        .iter()
        .map(|r| {
            json!({
                "handle": r.handle,
                "hglobal": hex(r.hglobal),
                "kind": r.kind,
                "address": r.address.map(hex),
                "size": r.size,
                "requested": r.requested,
                "lock_count": r.lock_count,
                "flags": r.flags,
                "flag_names": r.flag_names(),
                "kept_pointer": r.kept.map(hex),
                "kept_is_stale": r.kept_is_stale(),
                "moved": moved.iter().any(|m| m.handle == r.handle),
            })
        })
        .collect();
    let (result, error) = match result {
        Ok(o) => (outcome_json(o), serde_json::Value::Null),
        Err(e) => (
            serde_json::Value::Null,
            json!({"win32": e.win32(), "message": e.to_string(), "kind": format!("{:?}", e.kind())}),
        ),
    };
    json!({
        "index": index,
        "step": text,
        "op": step.operation(),
        "win32": step.operation().win32(),
        "result": result,
        "error": error,
        "handles": handles,
        "moved": moves_json(moved),
    })
    .to_string()
}

fn text_step(r: &Report) -> String {
    let Report {
        index,
        text,
        step,
        result,
        rows,
        moved,
    } = *r;
    let mut lines = vec![format!("[{index}] {text}: {}", step.operation().win32())];
    let mut say = |s: String| lines.push(format!("    {s}"));
    match result {
        Ok(o) => say(o.to_string()),
        Err(e) => say(format!("error: {e}")),
    }
    if rows.is_empty() {
        say("no handles".into());
    } else {
        say(format!(
            "{:<7} {:<16} {:<12} {:<16} {:>9} {:>5} {:>6}  {}",
            "handle", "HGLOBAL", "kind", "address", "size", "locks", "flags", "kept pointer"
        ));
        for r in rows {
            let address = r.address.map_or("(discarded)".to_string(), hex);
            let mark = if moved.iter().any(|m| m.handle == r.handle) {
                " (moved)"
            } else {
                ""
            };
            let kept = match r.kept {
                None => "-".to_string(),
                Some(p) if r.kept_is_stale() => format!("{p:#x} STALE"),
                Some(p) => hex(p),
            };
            say(format!(
                "{:<7} {:<16} {:<12} {:<16} {:>9} {:>5} {:>#6x}  {kept}{mark}",
                r.handle.0,
                hex(r.hglobal),
                r.kind.name(),
                address,
                r.size,
                r.lock_count,
                r.flags,
            ));
        }
    }
    lines.join("\n")
}
