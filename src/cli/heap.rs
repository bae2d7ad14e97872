//! `memlab heap`: the heap lab (HeapCreate and friends, §4) from the
//! command line. A script of steps runs in one process; after each step it
//! prints every heap (reserved, committed, blocks, a strip to scale) and
//! what the step cost (RSS, the commit charge). A step that breaks a Win32
//! rule is reported in its step and the script goes on; the exit code is
//! then the first failed step's.

mod script;

use std::io::Write;

use serde_json::json;

use super::Failure;
use super::steps::{self, ScriptStep};
use memlab_engine::error::HasKind;
use memlab_engine::format::format_bytes;
use memlab_engine::heap::{
    self, Damage, Fragmented, HeapError, HeapId, HeapLab, HeapState, KernelView, Realloc,
    WalkEntry, WalkKind,
};
use script::{Step, parse_step};

/// Arguments of `memlab heap`.
#[derive(Debug, clap::Args)]
pub struct HeapArgs {
    /// Steps separated by `;`, e.g. "create 64K 1M; alloc 1 100 x4; free
    /// 1 2; validate 1; destroy 1". Steps: create INITIAL MAXIMUM (0 =
    /// growable; heaps are numbered 1, 2, ...) | alloc HEAP SIZE [xCOUNT]
    /// [zero] | free HEAP BLOCK | size HEAP BLOCK | realloc HEAP BLOCK SIZE
    /// [inplace] [zero] | overrun HEAP BLOCK | validate HEAP | compact HEAP
    /// | walk HEAP | fragment HEAP | destroy HEAP. Sizes take K, M and G.
    /// `zero` is HEAP_ZERO_MEMORY, `inplace` HEAP_REALLOC_IN_PLACE_ONLY.
    pub script: String,
    /// One JSON object per step.
    #[arg(long)]
    pub json: bool,
}

/// Characters per text strip.
const STRIP: usize = 64;

/// What the text strips mean.
const LEGEND: &str = "strips, to scale over each reserved range: '#' busy block, 'o' free \
     block, '-' reserved, not committed";

/// What a step did.
#[derive(Debug)]
enum Outcome {
    Created(HeapId),
    Allocated(Vec<heap::BlockId>),
    Freed,
    Size(u64),
    Reallocated(Realloc),
    Overrun { at: usize },
    Validated(Vec<Damage>),
    Compacted(u64),
    Walked(Vec<WalkEntry>),
    Fragmented(Fragmented),
    Destroyed,
}

impl Outcome {
    fn json(&self) -> serde_json::Value {
        match self {
            Self::Created(id) => json!({"kind": "created", "heap": id}),
            Self::Allocated(blocks) => json!({"kind": "allocated", "blocks": blocks}),
            Self::Freed => json!({"kind": "freed"}),
            Self::Size(n) => json!({"kind": "size", "bytes": n}),
            Self::Reallocated(r) => match r {
                Realloc::InPlace => json!({"kind": "reallocated", "moved": false}),
                Realloc::Moved { from } => {
                    json!({"kind": "reallocated", "moved": true, "from": hex(*from)})
                }
            },
            Self::Overrun { at } => json!({"kind": "overrun", "at": hex(*at), "bytes": 8}),
            Self::Validated(damage) => json!({
                "kind": "validated",
                "valid": damage.is_empty(),
                "damaged": damage.iter().map(|d| json!({
                    "address": hex(d.address), "block": d.block, "what": d.what,
                })).collect::<Vec<_>>(),
            }),
            Self::Compacted(n) => json!({"kind": "compacted", "largest_free_bytes": n}),
            Self::Walked(entries) => json!({
                "kind": "walked",
                "entries": entries.iter().map(|e| json!({
                    "kind": e.kind, "address": hex(e.address), "size": e.size,
                    "overhead": e.overhead, "block": e.block, "segment": e.segment,
                })).collect::<Vec<_>>(),
            }),
            Self::Fragmented(f) => json!({
                "kind": "fragmented", "allocated": f.allocated, "freed": f.freed,
                "block_size": f.block_size,
            }),
            Self::Destroyed => json!({"kind": "destroyed"}),
        }
    }

    fn text(&self) -> Option<String> {
        Some(match self {
            Self::Created(id) => format!("{id} created"),
            Self::Allocated(blocks) => {
                let ids: Vec<String> = blocks.iter().map(|b| b.0.to_string()).collect();
                format!("allocated block {}", ids.join(", "))
            }
            Self::Freed | Self::Destroyed => return None,
            Self::Size(n) => format!("HeapSize: {n} bytes"),
            Self::Reallocated(Realloc::InPlace) => "in place: the block kept its address".into(),
            Self::Reallocated(Realloc::Moved { from }) => {
                format!("moved from {from:#x}: its bytes were copied, the old block freed")
            }
            Self::Overrun { at } => format!("wrote 8 bytes at {at:#x}, past the block's end"),
            Self::Validated(d) if d.is_empty() => "HeapValidate: TRUE, the heap is sound".into(),
            Self::Validated(d) => {
                let what: Vec<String> = d
                    .iter()
                    .map(|d| {
                        let block = d.block.map_or("a free block".into(), |b| b.to_string());
                        let part = match d.what {
                            heap::DamageKind::Header => "header",
                            heap::DamageKind::Tail => "tail check bytes",
                        };
                        format!("{block} at {:#x}: {part} overwritten", d.address)
                    })
                    .collect();
                format!("HeapValidate: FALSE: {}", what.join("; "))
            }
            Self::Compacted(n) => format!("HeapCompact: largest free block {}", format_bytes(*n)),
            Self::Walked(entries) => entries
                .iter()
                .map(|e| {
                    let block = e.block.map_or(String::new(), |b| format!(" {b}"));
                    format!(
                        "{:#014x} {:<11} {:>10} +{} overhead{block}",
                        e.address,
                        e.kind.name(),
                        format_bytes(e.size),
                        e.overhead
                    )
                })
                .collect::<Vec<_>>()
                .join("\n    "),
            Self::Fragmented(f) => format!(
                "allocated {} blocks of {}, freed every other one ({})",
                f.allocated,
                format_bytes(f.block_size),
                f.freed
            ),
        })
    }
}

fn hex(address: usize) -> String {
    format!("{address:#x}")
}

fn run(lab: &mut HeapLab, step: &Step) -> Result<Outcome, HeapError> {
    Ok(match *step {
        Step::Create { initial, maximum } => Outcome::Created(lab.create(initial, maximum)?),
        Step::Alloc {
            heap,
            size,
            count,
            zero,
        } => {
            let mut blocks = Vec::with_capacity(count);
            for _ in 0..count {
                blocks.push(lab.alloc(heap, size, zero)?);
            }
            Outcome::Allocated(blocks)
        }
        Step::Free(heap, block) => {
            lab.free(heap, block)?;
            Outcome::Freed
        }
        Step::Size(heap, block) => Outcome::Size(lab.size(heap, block)?),
        Step::Realloc {
            heap,
            block,
            size,
            flags,
        } => Outcome::Reallocated(lab.realloc(heap, block, size, flags)?),
        Step::Overrun(heap, block) => Outcome::Overrun {
            at: lab.overrun(heap, block)?,
        },
        Step::Validate(heap) => Outcome::Validated(lab.validate(heap)?),
        Step::Compact(heap) => Outcome::Compacted(lab.compact(heap)?),
        Step::Walk(heap) => Outcome::Walked(lab.state(heap)?.walk),
        Step::Fragment(heap) => Outcome::Fragmented(lab.fragment(heap)?),
        Step::Destroy(heap) => {
            lab.destroy(heap)?;
            Outcome::Destroyed
        }
    })
}

/// Runs `memlab heap SCRIPT`.
pub(super) fn run_script(args: &HeapArgs) -> Result<(), Failure> {
    let steps = steps::parse(&args.script, parse_step)?;
    let mut lab = HeapLab::new();
    let mut first_failure = steps::FirstFailure::default();
    let mut out = std::io::stdout().lock();
    if !args.json {
        let _ = writeln!(out, "{LEGEND}");
    }
    for ScriptStep { index, text, step } in &steps {
        let (index, text) = (*index, *text);
        let before = heap::costs()?;
        let result = run(&mut lab, step);
        let after = heap::costs()?;
        let states = lab.states();
        let kernels = states
            .iter()
            .map(|s| lab.kernel_view(s.id))
            .collect::<Result<Vec<_>, _>>()?;
        let report = Report {
            index,
            text,
            step,
            result: &result,
            states: &states,
            kernels: &kernels,
            before,
            after,
        };
        let line = if args.json {
            report.json()
        } else {
            report.text()
        };
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
        first_failure.note(index, text, &result);
    }
    first_failure.into_result()
}

/// One step's report.
struct Report<'a> {
    index: usize,
    text: &'a str,
    step: &'a Step,
    result: &'a Result<Outcome, HeapError>,
    states: &'a [HeapState],
    kernels: &'a [KernelView],
    before: heap::Costs,
    after: heap::Costs,
}

fn kb(bytes: u64) -> i64 {
    (bytes / 1024) as i64
}

impl Report<'_> {
    fn json(&self) -> String {
        let op = self.step.operation();
        let heaps: Vec<serde_json::Value> = self
            .states
            .iter()
            .zip(self.kernels)
            .map(|(s, k)| {
                json!({
                    "id": s.id,
                    "initial_bytes": s.initial,
                    "maximum_bytes": s.maximum,
                    "growable": s.growable(),
                    "reserved_bytes": s.reserved,
                    "committed_bytes": s.committed,
                    "largest_free_bytes": s.largest_free,
                    "total_free_bytes": s.total_free,
                    "segments": s.segments.iter().map(|g| json!({
                        "base": hex(g.base), "reserved_bytes": g.reserved,
                        "committed_bytes": g.committed,
                    })).collect::<Vec<_>>(),
                    "blocks": s.blocks.iter().map(|b| json!({
                        "id": b.id, "size": b.size, "address": hex(b.address),
                    })).collect::<Vec<_>>(),
                    "kernel": {
                        "reserved_bytes": k.reserved,
                        "committed_bytes": k.committed,
                        "charged_bytes": k.charged,
                        "resident_bytes": k.resident,
                    },
                })
            })
            .collect();
        let (result, error) = match self.result {
            Ok(o) => (o.json(), serde_json::Value::Null),
            Err(e) => (
                serde_json::Value::Null,
                json!({"win32": e.win32(), "message": e.to_string(), "kind": format!("{:?}", e.kind())}),
            ),
        };
        json!({
            "index": self.index,
            "step": self.text,
            "op": op,
            "win32": op.win32(),
            "os_call": op.os_call(),
            "result": result,
            "error": error,
            "heaps": heaps,
            "rss_kb": kb(self.after.rss),
            "rss_delta_kb": kb(self.after.rss) - kb(self.before.rss),
            "commit_charge_kb": kb(self.after.commit_charge),
            "commit_charge_delta_kb": kb(self.after.commit_charge) - kb(self.before.commit_charge),
            "process_heap": heap::process_heap(),
        })
        .to_string()
    }

    fn text(&self) -> String {
        let op = self.step.operation();
        let mut lines = vec![format!(
            "[{}] {}: {} -> {}",
            self.index,
            self.text,
            op.win32(),
            op.os_call()
        )];
        let mut say = |s: String| lines.push(format!("    {s}"));
        match self.result {
            Ok(o) => {
                if let Some(t) = o.text() {
                    say(t);
                }
            }
            Err(e) => say(format!("error: {e}")),
        }
        for (s, k) in self.states.iter().zip(self.kernels) {
            let kind = if s.growable() {
                "growable".to_string()
            } else {
                format!("maximum {}", format_bytes(s.maximum))
            };
            say(format!(
                "{} ({kind}): reserved {}, committed {}, {} blocks, free {} (largest {})",
                s.id,
                format_bytes(s.reserved),
                format_bytes(s.committed),
                s.blocks.len(),
                format_bytes(s.total_free),
                format_bytes(s.largest_free),
            ));
            for (i, g) in s.segments.iter().enumerate() {
                say(format!(
                    "  {:#014x} {}",
                    g.base,
                    strip(&s.walk, i, g.base, g.reserved)
                ));
            }
            say(format!(
                "  kernel ({}): reserved {}, read-write {}, charged {}, in RAM {}",
                heap::KERNEL_SOURCE,
                format_bytes(k.reserved),
                format_bytes(k.committed),
                format_bytes(k.charged),
                format_bytes(k.resident)
            ));
        }
        say(format!(
            "RSS {} kB ({:+}), commit charge {} kB ({:+})",
            kb(self.after.rss),
            kb(self.after.rss) - kb(self.before.rss),
            kb(self.after.commit_charge),
            kb(self.after.commit_charge) - kb(self.before.commit_charge)
        ));
        lines.join("\n")
    }
}

/// One range of a heap to scale in [`STRIP`] characters: a character is
/// '#' if any busy block touches it, else 'o' if a free block does, else '-'.
fn strip(walk: &[WalkEntry], segment: usize, base: usize, reserved: u64) -> String {
    let cell = reserved.div_ceil(STRIP as u64).max(1);
    let mut chars = vec!['-'; STRIP];
    for e in walk.iter().filter(|e| e.segment == segment) {
        let c = match e.kind {
            WalkKind::Busy => '#',
            WalkKind::Free => 'o',
            WalkKind::Uncommitted => continue,
        };
        let start = (e.start() - base) as u64;
        let first = (start / cell) as usize;
        let last = ((start + e.span()).saturating_sub(1) / cell) as usize;
        for ch in chars.iter_mut().take(last.min(STRIP - 1) + 1).skip(first) {
            if *ch != '#' {
                *ch = c;
            }
        }
    }
    chars.into_iter().collect()
}
