//! The book's two cases: 4 KB and 4 MB blocks, 1000 GetMem/FreeMem pairs,
//! every manager, with and without touching the pages; median of 5 runs.
//!
//! Each manager's row is followed by a reference row: a bare loop over the
//! same allocator (the system allocator, the dispatcher's private heap, its
//! mimalloc arena heap) in the same process and state, without the
//! dispatcher, its counters or the benchmark's progress pacing. The two are
//! run alternately, so the difference is what memlab adds.
//! Run: `cargo bench --bench book_table`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::time::Instant;

use memlab_engine::alloc::bench::{BLOCK_ALIGN, BenchSpec, run};
use memlab_engine::alloc::sysinfo::{SystemInfo, page_faults, page_size};
use memlab_engine::alloc::{GlobalDispatcher, ManagerKind, dispatcher};

#[global_allocator]
static GLOBAL: GlobalDispatcher = GlobalDispatcher;

const PAIRS: u32 = 1000;
const RUNS: usize = 5;

/// One timed run: milliseconds and minor/major faults.
#[derive(Clone, Copy)]
struct Run {
    ms: f64,
    faults: Option<(u64, u64)>,
}

/// `PAIRS` pairs of `alloc` + `free`, touching every page if asked, timed
/// with one clock read before and one after.
fn bare(alloc: impl Fn() -> *mut u8, free: impl Fn(*mut u8), size: usize, touch: bool) -> Run {
    let page = page_size();
    let f0 = page_faults();
    let t = Instant::now();
    for _ in 0..PAIRS {
        let p = black_box(alloc());
        assert!(!p.is_null());
        if touch {
            let mut off = 0;
            while off < size {
                // SAFETY: off < size, inside the live block.
                unsafe { p.add(off).write_volatile(1) };
                off += page;
            }
        }
        free(p);
    }
    let ms = t.elapsed().as_secs_f64() * 1e3;
    let faults = page_faults()
        .zip(f0)
        .map(|(b, a)| (b.0.saturating_sub(a.0), b.1.saturating_sub(a.1)));
    Run { ms, faults }
}

/// The bare loop over the allocator `manager` stands for.
fn bare_run(manager: ManagerKind, l: Layout, touch: bool) -> Run {
    let d = dispatcher();
    let size = l.size();
    // In every arm: non-zero layout, and each block is freed right after with
    // the allocator and layout it came from.
    match manager {
        ManagerKind::Default => bare(
            // SAFETY: see above.
            || unsafe { System.alloc(l) },
            // SAFETY: see above.
            |p| unsafe { System.dealloc(p, l) },
            size,
            touch,
        ),
        ManagerKind::Heap => bare(
            // SAFETY: see above.
            || unsafe { d.heap().alloc(l) },
            // SAFETY: see above.
            |p| unsafe { d.heap().dealloc(p, l) },
            size,
            touch,
        ),
        ManagerKind::Mimalloc => bare(
            // SAFETY: see above.
            || unsafe { d.mimalloc_arena().alloc(l, false) },
            // SAFETY: see above.
            |p| unsafe { d.mimalloc_arena().dealloc(p) },
            size,
            touch,
        ),
    }
}

fn median(mut runs: Vec<Run>) -> Run {
    runs.sort_by(|a, b| a.ms.total_cmp(&b.ms));
    runs[runs.len() / 2]
}

fn row(size_kb: u32, name: &str, touch: bool, r: Run) {
    let faults = |f: fn((u64, u64)) -> u64| r.faults.map_or("-".into(), |x| f(x).to_string());
    println!(
        "| {} | {name} | {} | {:.3} | {:.1} | {} | {} |",
        if size_kb == 4 { "4 KB" } else { "4 MB" },
        if touch { "yes" } else { "no" },
        r.ms,
        r.ms * 1e6 / f64::from(PAIRS),
        faults(|x| x.0),
        faults(|x| x.1),
    );
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let info = SystemInfo::collect();
    println!("cpu: {} ({} CPUs); os: {}", info.cpu, info.cpus, info.os);
    println!(
        "{}; mimalloc {} (libmimalloc-sys {}); talc {}",
        info.libc.as_deref().unwrap_or("libc ?"),
        info.mimalloc_c,
        info.libmimalloc_sys,
        info.talc
    );
    println!(
        "{PAIRS} pairs per run, median of {RUNS} runs (by ms); \"bare loop\": the same allocator without memlab\n"
    );
    println!(
        "| size | manager | touch | ms / 1000 pairs | ns / pair | minor faults | major faults |"
    );
    println!("|---|---|---|---:|---:|---:|---:|");
    for size_kb in [4, 4096] {
        for touch in [false, true] {
            for manager in ManagerKind::ALL {
                let spec = BenchSpec {
                    touch,
                    ..BenchSpec::new(manager, size_kb)
                };
                let l = Layout::from_size_align(spec.size_bytes(), BLOCK_ALIGN)?;
                run(&spec, &|_, _| true)?;
                bare_run(manager, l, touch);
                let mut memlab = Vec::with_capacity(RUNS);
                let mut reference = Vec::with_capacity(RUNS);
                for _ in 0..RUNS {
                    let r = run(&spec, &|_, _| true)?;
                    memlab.push(Run {
                        ms: r.ms,
                        faults: r.minor_faults.zip(r.major_faults),
                    });
                    reference.push(bare_run(manager, l, touch));
                }
                row(size_kb, manager.name(), touch, median(memlab));
                row(
                    size_kb,
                    &format!("{manager}, bare loop"),
                    touch,
                    median(reference),
                );
            }
        }
    }
    let d = dispatcher();
    assert_eq!((d.heap_fallbacks(), d.mimalloc_fallbacks()), (0, 0));
    Ok(())
}
