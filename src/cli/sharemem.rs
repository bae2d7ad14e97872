//! `memlab sharemem`: the ShareMem lab (§6) from the command line. One
//! exchange between memlab and its ShareMem library, with the shared
//! manager (`--shared`) or each with its own (`--separate`), printing each
//! step and both sides' live-block counts after it; with `--json`, one JSON
//! object. Both exit 0: the foreign free of `--separate` is the lesson. A
//! library memlab cannot find or load is an error with its exit code.

use std::io::Write;

use super::Failure;
use memlab_engine::sharemem::{self, Exchange, Mode};

/// Arguments of `memlab sharemem`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("mode").required(true).args(["shared", "separate"])))]
pub struct ShareMemArgs {
    /// The library is handed memlab's manager first (ShareMem): the string
    /// it makes is freed by memlab, and both sides' counts move together.
    #[arg(long)]
    pub shared: bool,
    /// The library keeps its own manager: memlab's dispatcher refuses its
    /// string, and a child process frees one for real to show what happens.
    #[arg(long)]
    pub separate: bool,
    /// One JSON object: mode, library, ranges, steps with their counts.
    #[arg(long)]
    pub json: bool,
}

/// Runs `memlab sharemem`.
pub(super) fn run(args: &ShareMemArgs) -> Result<(), Failure> {
    let mode = if args.shared {
        Mode::Shared
    } else {
        Mode::Separate
    };
    let exe = std::env::current_exe()
        .map_err(|e| Failure::failed(format!("cannot find memlab's own executable: {e}")))?;
    let exchange = sharemem::run(mode, &exe)?;
    let text = if args.json {
        serde_json::to_string(&exchange).expect("the exchange serialises")
    } else {
        text(&exchange)
    };
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{text}");
    let _ = out.flush();
    Ok(())
}

/// Runs the hidden `memlab sharemem-child` (see `sharemem::child_main`).
pub(super) fn run_child() -> Result<(), Failure> {
    Ok(sharemem::child_main()?)
}

fn text(e: &Exchange) -> String {
    let mut lines = vec![format!("ShareMem exchange {}", e.mode.flag())];
    lines.push(format!(
        "  library's own arena: {:#x}..{:#x}",
        e.library_arena.start,
        e.library_arena.start + e.library_arena.len
    ));
    if let Some(heap) = e.program_heap {
        lines.push(format!(
            "  program's manager (memlab's private heap): {:#x}..{:#x}",
            heap.start,
            heap.start + heap.len
        ));
    }
    for (i, s) in e.steps.iter().enumerate() {
        lines.push(format!("[{}] {}", i + 1, s.step));
        lines.push(format!(
            "    AllocMemCount: library {}, program {} (library's own arena: {})",
            s.counts.library, s.counts.program, s.counts.library_own
        ));
    }
    if let Some(child) = e.child()
        && !child.stderr.is_empty()
    {
        lines.push("    the child's stderr:".into());
        lines.extend(child.stderr.lines().map(|l| format!("      {l}")));
    }
    lines.join("\n")
}
