//! `memlab vm`, `memlab maps`: the virtual-memory labs from the command
//! line (`memlab sysinfo` is in `cli::sysinfo`). `vm` runs a script of page-lab steps in one
//! process and prints the pages and the costs after each step.

mod script;

use std::io::Write;
use std::ops::Range;

use serde::Serialize;
use serde_json::json;

use super::Failure;
use super::maps::landmarks;
use super::steps::{self, ScriptStep};
use memlab_engine::format::format_bytes;
use memlab_engine::vm::Operation;
use memlab_engine::vm::child::ChildEnd;
use memlab_engine::vm::maps::{self, Field, Landmarks, MapDiff, Region, Snapshot};
use memlab_engine::vm::pages::{
    Access, Page, PageLab, PageQuery, PageRun, PageState, Protection, ReservationId,
};
use memlab_engine::vm::system::{self, Costs};
use script::{Pages, Step, parse_step};

/// Arguments of `memlab vm`.
#[derive(Debug, clap::Args)]
pub struct VmArgs {
    /// Steps separated by `;`, e.g. "reserve 16; commit 0..4; protect 2 ro;
    /// write 2; decommit 0..4; release". Steps: reserve N | commit R |
    /// decommit R [dontneed] | protect R na|ro|rw | lock R | unlock R |
    /// read P | write P [BYTE] | query [P] | crash P [read|write] |
    /// release | use ID | map. Ranges R are half-open (0..4 = pages 0 to
    /// 3; also 3, 2.., ..4, ..), on the current reservation (the last
    /// reserved, or the one chosen with `use`).
    pub script: String,
    /// One JSON object per step.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of the hidden `memlab vm-child` (Windows): the page lab's
/// child, started by the lab itself (`memlab_engine::vm::child`).
#[cfg(windows)]
#[derive(Debug, clap::Args)]
pub struct VmChildArgs {
    /// The process whose page is touched.
    pub parent: u32,
    /// The page's address, e.g. 0x1f0000.
    pub address: String,
    /// `read` or `write`.
    pub access: String,
}

/// Runs the hidden `memlab vm-child`: exits with 0 if the access worked, a
/// Win32 error code if the child could not reach the page, or dies of the
/// access (`STATUS_ACCESS_VIOLATION`).
#[cfg(windows)]
pub(super) fn run_child(args: &VmChildArgs) -> Result<(), Failure> {
    let address = args
        .address
        .strip_prefix("0x")
        .and_then(|hex| usize::from_str_radix(hex, 16).ok())
        .ok_or_else(|| Failure::usage(format!("not an address: {:?}", args.address)))?;
    let write = match args.access.as_str() {
        "read" => false,
        "write" => true,
        other => {
            return Err(Failure::usage(format!(
                "expected read or write, got {other:?}"
            )));
        }
    };
    let code = memlab_engine::vm::child::child_main(args.parent, address, write);
    // Windows' exit codes are u32 (a Win32 error code here); std takes i32.
    std::process::exit(code as i32)
}

/// What the text output's page strips mean.
const LEGEND: &str = "pages: '-' reserved, '~' reserved but still charged, 'n' 'r' 'w' committed \
     no access / read-only / read-write (capital: locked), '.' free; in RAM: '*' resident";

/// Pages per line of a text strip.
const STRIP: usize = 64;

/// What a step did, for the text line and the JSON `result`.
#[derive(Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Outcome {
    Reserved {
        id: ReservationId,
        base: String,
        pages: usize,
    },
    Done,
    Protected {
        old: Protection,
    },
    Access {
        page: usize,
        access: Access,
    },
    Released {
        id: ReservationId,
        pages: usize,
    },
    Query {
        query: PageQuery,
        kernel: Option<Region>,
    },
    Runs {
        runs: Vec<PageRun>,
    },
    Child {
        page: usize,
        write: bool,
        end: ChildEnd,
    },
    Using {
        id: ReservationId,
    },
    Map {
        diff: MapDiff,
    },
}

struct Runner {
    lab: PageLab,
    current: Option<ReservationId>,
    /// The reservation the pages output shows and its size (kept after release).
    shown: Option<(ReservationId, usize)>,
    last_map: Option<Snapshot>,
}

impl Runner {
    fn current(&self) -> Result<ReservationId, Failure> {
        self.current
            .ok_or_else(|| Failure::usage("no reservation yet: begin with `reserve N`"))
    }

    /// The current reservation's id and page range for `p`.
    fn range(&self, p: Pages) -> Result<(ReservationId, Range<usize>), Failure> {
        let id = self.current()?;
        let len = self.lab.get(id)?.pages().len();
        Ok((id, p.resolve(len)))
    }

    fn run(&mut self, step: &Step) -> Result<Outcome, Failure> {
        Ok(match *step {
            Step::Reserve(n) => {
                let id = self.lab.reserve(n)?;
                self.current = Some(id);
                self.shown = Some((id, n));
                let base = self.lab.get(id)?.base();
                Outcome::Reserved {
                    id,
                    base: format!("{base:#x}"),
                    pages: n,
                }
            }
            Step::Commit(p) => {
                let (id, r) = self.range(p)?;
                self.lab.commit(id, r)?;
                Outcome::Done
            }
            Step::Decommit(p, how) => {
                let (id, r) = self.range(p)?;
                self.lab.decommit(id, r, how)?;
                Outcome::Done
            }
            Step::Protect(p, prot) => {
                let (id, r) = self.range(p)?;
                Outcome::Protected {
                    old: self.lab.protect(id, r, prot)?,
                }
            }
            Step::Lock(p) => {
                let (id, r) = self.range(p)?;
                self.lab.lock(id, r)?;
                Outcome::Done
            }
            Step::Unlock(p) => {
                let (id, r) = self.range(p)?;
                self.lab.unlock(id, r)?;
                Outcome::Done
            }
            Step::Read(page) => Outcome::Access {
                page,
                access: self.lab.read_byte(self.current()?, page)?,
            },
            Step::Write(page, value) => Outcome::Access {
                page,
                access: self.lab.write_byte(self.current()?, page, value)?,
            },
            Step::Release => {
                let id = self.current()?;
                let pages = self.lab.get(id)?.pages().len();
                self.lab.release(id)?;
                Outcome::Released { id, pages }
            }
            Step::Query(Some(page)) => {
                let query = self.lab.query(self.current()?, page)?;
                let snapshot = Snapshot::take(landmarks())?;
                Outcome::Query {
                    kernel: snapshot.region_at(query.base_address as u64).cloned(),
                    query,
                }
            }
            Step::Query(None) => Outcome::Runs {
                runs: self.lab.runs(self.current()?)?,
            },
            Step::Crash(page, write) => Outcome::Child {
                page,
                write,
                end: self.lab.touch_in_child(self.current()?, page, write)?,
            },
            Step::Use(n) => {
                let id = ReservationId(n);
                let pages = self.lab.get(id)?.pages().len();
                self.current = Some(id);
                self.shown = Some((id, pages));
                Outcome::Using { id }
            }
            Step::Map => {
                let now = Snapshot::take(landmarks())?;
                let before = self.last_map.replace(now);
                let now = self.last_map.as_ref().expect("just set");
                Outcome::Map {
                    diff: before.map_or_else(MapDiff::default, |b| maps::diff(&b, now)),
                }
            }
        })
    }

    /// The shown reservation as the kernel sees it now (free after release).
    fn view(&self) -> Result<Option<PageView>, Failure> {
        let Some((id, len)) = self.shown else {
            return Ok(None);
        };
        Ok(Some(match self.lab.get(id) {
            Ok(r) => {
                let snapshot = Snapshot::take(Landmarks::default())?;
                PageView {
                    id,
                    table: r.pages().to_vec(),
                    resident: self.lab.resident(id)?,
                    charged: snapshot.charged(&self.lab, id)?,
                }
            }
            Err(_) => PageView {
                id,
                table: vec![Page::FREE; len],
                resident: vec![false; len],
                charged: vec![false; len],
            },
        }))
    }
}

/// The pages of one reservation: memlab's table, `mincore`, and the
/// kernel's commit-charge flag of each page's mapping.
struct PageView {
    id: ReservationId,
    table: Vec<Page>,
    resident: Vec<bool>,
    charged: Vec<bool>,
}

/// One step's report: its text, what it did, the pages after it, the costs.
struct Report<'a> {
    index: usize,
    text: &'a str,
    step: &'a Step,
    outcome: &'a Outcome,
    view: Option<&'a PageView>,
    before: Costs,
    after: Costs,
    page_size: usize,
}

/// Runs `memlab vm SCRIPT`.
pub(super) fn run_script(args: &VmArgs) -> Result<(), Failure> {
    let steps = steps::parse(&args.script, parse_step)?;
    let mut runner = Runner {
        lab: PageLab::new(),
        current: None,
        shown: None,
        last_map: None,
    };
    let mut out = std::io::stdout().lock();
    if !args.json {
        let _ = writeln!(out, "{LEGEND}");
    }
    if steps.iter().any(|s| s.step == Step::Map) {
        runner.last_map = Some(Snapshot::take(landmarks())?);
    }
    for ScriptStep { index, text, step } in &steps {
        let (index, text) = (*index, *text);
        let before = system::costs()?;
        let outcome = runner
            .run(step)
            .map_err(|f| steps::in_step(index, text, f))?;
        let after = system::costs()?;
        let view = runner.view()?;
        let report = Report {
            index,
            text,
            step,
            outcome: &outcome,
            view: view.as_ref(),
            before,
            after,
            page_size: runner.lab.page_size(),
        };
        let line = if args.json {
            json_step(&report)
        } else {
            text_step(&report)
        };
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }
    Ok(())
}

fn kb(bytes: u64) -> i64 {
    (bytes / 1024) as i64
}

fn json_step(r: &Report) -> String {
    let op = r.step.operation();
    let pages: Vec<serde_json::Value> = r.view.map_or_else(Vec::new, |v| {
        (0..v.table.len())
            .map(|n| {
                let p = v.table[n];
                json!({"page": n, "state": p.state, "protection": p.protection,
                       "locked": p.locked, "resident": v.resident[n], "charged": v.charged[n]})
            })
            .collect()
    });
    json!({
        "index": r.index,
        "step": r.text,
        "op": op,
        "win32": op.map(Operation::win32),
        "os_call": op.map(Operation::os_call),
        "reservation": r.view.map(|v| v.id),
        "pages": pages,
        "result": r.outcome,
        "rss_kb": kb(r.after.rss),
        "rss_delta_kb": kb(r.after.rss) - kb(r.before.rss),
        "commit_charge_kb": kb(r.after.commit_charge),
        "commit_charge_delta_kb": kb(r.after.commit_charge) - kb(r.before.commit_charge),
    })
    .to_string()
}

/// One character per page (see [`LEGEND`]).
fn page_char(p: &Page, charged: bool) -> char {
    let c = match (p.state, p.protection) {
        (PageState::Free, _) => '.',
        (PageState::Reserved, _) if charged => '~',
        (PageState::Reserved, _) => '-',
        (PageState::Committed, Protection::NoAccess) => 'n',
        (PageState::Committed, Protection::ReadOnly) => 'r',
        (PageState::Committed, Protection::ReadWrite) => 'w',
    };
    if p.locked { c.to_ascii_uppercase() } else { c }
}

fn page_words(p: &Page) -> String {
    let mut s = format!("{}, {}", p.state.name(), p.protection.name());
    if p.locked {
        s.push_str(", locked");
    }
    s
}

fn region_line(r: &Region) -> String {
    let name = match &r.owner {
        Some(o) if r.path.is_empty() => o.to_string(),
        Some(o) => format!("{} ({o})", r.path),
        None => r.path.clone(),
    };
    format!(
        "{:#014x} {:>10} {:<12} {:<4} {name}",
        r.start,
        format_bytes(r.size),
        r.kind.name(),
        r.protection
    )
}

fn text_step(r: &Report) -> String {
    let mut lines = vec![match r.step.operation() {
        Some(op) => format!(
            "[{}] {}: {} -> {}",
            r.index,
            r.text,
            op.win32(),
            op.os_call()
        ),
        None => format!("[{}] {}", r.index, r.text),
    }];
    let mut say = |s: String| lines.push(format!("    {s}"));
    match r.outcome {
        Outcome::Reserved { id, base, pages } => say(format!(
            "{id} at {base}: {pages} pages of {} bytes, nothing committed",
            r.page_size
        )),
        Outcome::Done => {}
        Outcome::Protected { old } => say(format!("old protection: {}", old.name())),
        Outcome::Access { page, access } => say(match access {
            Access::Read { value } => format!("page {page} holds {value}"),
            Access::Written { value } => format!("wrote {value} to page {page}"),
            Access::Violation(v) => v.to_string(),
        }),
        Outcome::Released { id, pages } => {
            say(format!("{id} released: its {pages} pages are free"))
        }
        Outcome::Query { query: q, kernel } => {
            let page = Page {
                state: q.state,
                protection: q.protection,
                locked: q.locked,
            };
            say(format!(
                "page {}: base {:#x}, allocation base {:#x}, region {} pages ({}), {}, {}",
                q.page,
                q.base_address,
                q.allocation_base,
                q.region_pages,
                format_bytes(q.region_size as u64),
                page_words(&page),
                if q.resident { "in RAM" } else { "not in RAM" }
            ));
            if let Some(k) = kernel {
                say(format!("kernel: {}", k.smaps_line()));
            }
        }
        Outcome::Runs { runs } => {
            for run in runs {
                say(format!(
                    "pages {}..{}: {}",
                    run.pages.start,
                    run.pages.end,
                    page_words(&run.page)
                ));
            }
        }
        Outcome::Child { page, write, end } => say(format!(
            "child process {} page {page}: {end}",
            if *write { "writing" } else { "reading" }
        )),
        Outcome::Using { id } => say(format!("now using {id}")),
        Outcome::Map { diff } => map_lines(diff).into_iter().for_each(&mut say),
    }
    if let Some(v) = r.view {
        for start in (0..v.table.len()).step_by(STRIP) {
            let end = (start + STRIP).min(v.table.len());
            let strip: String = (start..end)
                .map(|n| page_char(&v.table[n], v.charged[n]))
                .collect();
            let ram: String = v.resident[start..end]
                .iter()
                .map(|&r| if r { '*' } else { '.' })
                .collect();
            say(format!("{:<11}{strip}", format!("page {start}")));
            say(format!("{:<11}{ram}", "in RAM"));
        }
    }
    say(format!(
        "RSS {} kB ({:+}), commit charge {} kB ({:+})",
        kb(r.after.rss),
        kb(r.after.rss) - kb(r.before.rss),
        kb(r.after.commit_charge),
        kb(r.after.commit_charge) - kb(r.before.commit_charge)
    ));
    lines.join("\n")
}

/// A map diff: what appeared, vanished or changed shape; RAM-only changes counted.
fn map_lines(diff: &MapDiff) -> Vec<String> {
    let mut lines = Vec::new();
    lines.extend(
        diff.appeared
            .iter()
            .map(|r| format!("+ {}", region_line(r))),
    );
    lines.extend(
        diff.vanished
            .iter()
            .map(|r| format!("- {}", region_line(r))),
    );
    let shape = [
        Field::Size,
        Field::Type,
        Field::Protection,
        Field::Path,
        Field::Owner,
    ];
    let (reshaped, ram): (Vec<_>, Vec<_>) = diff
        .changed
        .iter()
        .partition(|c| c.fields.iter().any(|f| shape.contains(f)));
    lines.extend(
        reshaped
            .iter()
            .map(|c| format!("~ {}", region_line(&c.after))),
    );
    if !ram.is_empty() {
        let n = ram.len();
        let regions = if n == 1 { "region" } else { "regions" };
        lines.push(format!("({n} {regions} changed only in RAM use)"));
    }
    if lines.is_empty() {
        lines.push("no region appeared, vanished or changed".into());
    }
    lines
}
