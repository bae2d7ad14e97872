//! Is memlab's allocation benchmark an instrument? (issue 18)
//!
//! For every manager at the book's 4 KB and 4 MB, this runs memlab's own
//! isolated measurement (`memlab bench-child` in a fresh process, through
//! `memlab_engine::alloc::isolated`, as the form and `memlab bench` do) and
//! an independent bare alloc/free loop, also in a fresh process: this very
//! bench binary started again as `bench_isolation bare MANAGER SIZE_KB`,
//! which calls the allocator directly, with none of memlab's code on the
//! path: glibc malloc through `std::alloc::System`, mimalloc through the
//! `mimalloc` crate's `MiMalloc`, and memlab's private heap as it ships
//! (`PrivateHeap`, without the dispatcher). The bare loop has its own
//! warm-up and calibration (about 50 ms a sample, 10 samples, the median).
//!
//! Printed: both medians, the gap (target: at most 15 %), and each side
//! measured twice back to back (target: the two medians within 5 %).
//! Run: `cargo bench --bench bench_isolation` (`ROUNDS=3` for more rounds,
//! `CASES=default:4096,heap:4` for only those cases).
//! No assertion: the figures are for docs/performance.md.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use memlab_engine::alloc::isolated::measure_isolated;
use memlab_engine::alloc::measure::{MeasureSpec, Spread};
use memlab_engine::alloc::{DEFAULT_HEAP_MAX, ManagerKind, PrivateHeap};

const SIZES_KB: [u32; 2] = [4, 4096];
const SAMPLES: usize = 10;
const SAMPLE_TIME: Duration = Duration::from_millis(50);
const WARM_UP_TIME: Duration = Duration::from_millis(100);

/// memlab's private heap as it ships, used directly.
static HEAP: PrivateHeap = PrivateHeap::new(DEFAULT_HEAP_MAX);

/// One allocator's alloc and free, called directly.
trait Pairs {
    /// # Safety
    /// As `GlobalAlloc::alloc`.
    unsafe fn alloc(&self, l: Layout) -> *mut u8;
    /// # Safety
    /// As `GlobalAlloc::dealloc`.
    unsafe fn free(&self, p: *mut u8, l: Layout);
}

struct Glibc;
struct Mimalloc;
struct Heap;

impl Pairs for Glibc {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        // SAFETY: forwarded contract.
        unsafe { System.alloc(l) }
    }
    unsafe fn free(&self, p: *mut u8, l: Layout) {
        // SAFETY: forwarded contract.
        unsafe { System.dealloc(p, l) }
    }
}

impl Pairs for Mimalloc {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        // SAFETY: forwarded contract.
        unsafe { mimalloc::MiMalloc.alloc(l) }
    }
    unsafe fn free(&self, p: *mut u8, l: Layout) {
        // SAFETY: forwarded contract.
        unsafe { mimalloc::MiMalloc.dealloc(p, l) }
    }
}

impl Pairs for Heap {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        // SAFETY: forwarded contract.
        unsafe { HEAP.alloc(l) }
    }
    unsafe fn free(&self, p: *mut u8, l: Layout) {
        // SAFETY: forwarded contract.
        unsafe { HEAP.dealloc(p, l) }
    }
}

/// `n` pairs; their time.
#[inline(never)]
fn pairs<A: Pairs>(a: &A, l: Layout, n: u64) -> Duration {
    let t = Instant::now();
    for _ in 0..n {
        // SAFETY: non-zero layout; freed right away with the same layout.
        unsafe {
            let p = black_box(a.alloc(l));
            assert!(!p.is_null(), "allocation refused");
            a.free(p, l);
        }
    }
    t.elapsed()
}

/// The bare loop's own warm-up, calibration and samples: ns per pair.
fn bare_samples<A: Pairs>(a: &A, size_kb: u32) -> Vec<f64> {
    let l = Layout::from_size_align(size_kb as usize * 1024, 16).unwrap();
    let (mut n, mut warm) = (1u64, Duration::ZERO);
    let per_sample = loop {
        let took = pairs(a, l, n);
        warm += took;
        if took >= SAMPLE_TIME / 2 && warm >= WARM_UP_TIME {
            let pace = took.as_secs_f64() / n as f64;
            break ((SAMPLE_TIME.as_secs_f64() / pace).ceil() as u64).max(1);
        }
        n = (n * 2).max(1);
    };
    (0..SAMPLES)
        .map(|_| pairs(a, l, per_sample).as_secs_f64() * 1e9 / per_sample as f64)
        .collect()
}

/// The child: `bare MANAGER SIZE_KB`, prints the samples as one line.
fn bare_child(manager: &str, size_kb: &str) {
    let size_kb: u32 = size_kb.parse().expect("size");
    let samples = match manager {
        "default" => bare_samples(&Glibc, size_kb),
        "mimalloc" => bare_samples(&Mimalloc, size_kb),
        "heap" => bare_samples(&Heap, size_kb),
        other => panic!("unknown manager {other}"),
    };
    let text: Vec<String> = samples.iter().map(|s| format!("{s}")).collect();
    println!("{}", text.join(" "));
}

/// The bare loop in a fresh process of this binary: its spread.
fn bare(manager: ManagerKind, size_kb: u32) -> Spread {
    let exe = std::env::current_exe().expect("this bench's executable");
    let out = Command::new(exe)
        .args(["bare", manager.name(), &size_kb.to_string()])
        .output()
        .expect("the bare loop's process");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let samples: Vec<f64> = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(|s| s.parse().expect("a sample"))
        .collect();
    Spread::of(&samples)
}

/// memlab's isolated measurement: its spread.
fn memlab(manager: ManagerKind, size_kb: u32) -> Spread {
    let exe = Path::new(env!("CARGO_BIN_EXE_memlab"));
    let m = measure_isolated(exe, &MeasureSpec::new(manager, size_kb), &|_| true)
        .expect("memlab's measurement")
        .expect("not cancelled");
    m.spread()
}

fn pct(a: f64, b: f64) -> f64 {
    (a - b) / b * 100.0
}

/// Two back-to-back medians' difference, relative to the lower.
fn apart(a: f64, b: f64) -> f64 {
    (a - b).abs() / a.min(b) * 100.0
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [cmd, manager, size_kb] = &args[..]
        && cmd == "bare"
    {
        bare_child(manager, size_kb);
        return;
    }
    let rounds: usize = std::env::var("ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(1);
    println!(
        "memlab's isolated measurement against a bare loop in a fresh process, ns per pair (median, quartiles)"
    );
    println!(
        "{:>9} {:>6} | {:>24} {:>24} | {:>24} {:>24} | {:>7} {:>7} | {:>7} {:>7}",
        "manager",
        "size",
        "memlab run 1",
        "memlab run 2",
        "bare run 1",
        "bare run 2",
        "gap 1",
        "gap 2",
        "memlab",
        "bare"
    );
    println!(
        "{:>9} {:>6} | {:>24} {:>24} | {:>24} {:>24} | {:>7} {:>7} | {:>7} {:>7}",
        "", "", "", "", "", "", "(<=15%)", "", "1 vs 2", "(<=5%)"
    );
    let cell = |s: &Spread| format!("{:.1} ({:.1}-{:.1})", s.median, s.q1, s.q3);
    let wanted = std::env::var("CASES").unwrap_or_default();
    let wanted = |manager: ManagerKind, size_kb: u32| {
        wanted.is_empty()
            || wanted
                .split(',')
                .any(|case| case.trim() == format!("{}:{size_kb}", manager.name()))
    };
    for _ in 0..rounds {
        for size_kb in SIZES_KB {
            for manager in ManagerKind::ALL.into_iter().filter(|&m| wanted(m, size_kb)) {
                // Interleaved, so that slow drift of the machine hits both.
                let m1 = memlab(manager, size_kb);
                let b1 = bare(manager, size_kb);
                let m2 = memlab(manager, size_kb);
                let b2 = bare(manager, size_kb);
                println!(
                    "{:>9} {:>6} | {:>24} {:>24} | {:>24} {:>24} | {:>6.1}% {:>6.1}% | {:>6.1}% {:>6.1}%",
                    manager.name(),
                    format!("{size_kb} KB"),
                    cell(&m1),
                    cell(&m2),
                    cell(&b1),
                    cell(&b2),
                    pct(m1.median, b1.median),
                    pct(m2.median, b2.median),
                    apart(m1.median, m2.median),
                    apart(b1.median, b2.median),
                );
            }
        }
    }
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "load average: {}",
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
}
