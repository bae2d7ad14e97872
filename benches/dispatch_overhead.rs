//! Dispatcher overhead: alloc/free pairs of 16 B .. 4 KB through the
//! `Dispatcher` versus calling the same allocator directly (the same private
//! heap, the same mimalloc arena heap), for every manager. Target: at most
//! +2 ns per pair, with the counters exact.
//!
//! Each case is a non-inlined function per pair, like a real call through
//! `__rust_alloc`. Cases are interleaved over several rounds (every other
//! round in reverse order) and the median round is reported. An overhead is
//! the median over rounds of the difference between the two cases *in the
//! same round*, which is far less sensitive to other load on the machine
//! than the difference of two medians. Run: `cargo bench --bench
//! dispatch_overhead` (`PAIRS=` and `ROUNDS=` change the defaults of 300,000
//! pairs per measurement and 21 rounds).

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Instant;

use memlab_engine::alloc::{Dispatcher, ManagerKind};
use mimalloc::MiMalloc;

/// Never sees mimalloc or the heap: neither range is reserved, so both
/// ownership checks fail on their first compare.
static FRESH: Dispatcher = Dispatcher::new();
/// Has served heap and mimalloc blocks: every free checks both ranges.
static MIXED: Dispatcher = Dispatcher::new();
/// Stand-in for naive shared counters (what `fetch_add` per counter would cost).
static SHARED: [AtomicU64; 4] = [const { AtomicU64::new(0) }; 4];

type Case = (&'static str, Option<ManagerKind>, fn(Layout));

#[inline(never)]
fn system(l: Layout) {
    // SAFETY: non-zero layout, freed right away.
    unsafe {
        let p = System.alloc(l);
        System.dealloc(black_box(p), l);
    }
}

#[inline(never)]
fn system_shared_counters(l: Layout) {
    // SAFETY: as above.
    unsafe {
        let p = System.alloc(l);
        SHARED[0].fetch_add(1, Relaxed);
        SHARED[1].fetch_add(l.size() as u64, Relaxed);
        System.dealloc(black_box(p), l);
        SHARED[2].fetch_add(1, Relaxed);
        SHARED[3].fetch_add(l.size() as u64, Relaxed);
    }
}

#[inline(never)]
fn mimalloc(l: Layout) {
    // SAFETY: as above.
    unsafe {
        let p = MiMalloc.alloc(l);
        MiMalloc.dealloc(black_box(p), l);
    }
}

#[inline(never)]
fn heap_direct(l: Layout) {
    let heap = MIXED.heap();
    // SAFETY: as above.
    unsafe {
        let p = heap.alloc(l);
        heap.dealloc(black_box(p), l);
    }
}

#[inline(never)]
fn arena_direct(l: Layout) {
    let arena = MIXED.mimalloc_arena();
    // SAFETY: as above.
    unsafe {
        let p = arena.alloc(l, false);
        arena.dealloc(black_box(p));
    }
}

#[inline(never)]
fn via(d: &Dispatcher, l: Layout) {
    // SAFETY: as above; the dispatcher routes the free to the owner.
    unsafe {
        let p = d.alloc(l);
        d.dealloc(black_box(p), l);
    }
}

fn fresh_default(l: Layout) {
    via(&FRESH, l)
}
fn mixed(l: Layout) {
    via(&MIXED, l)
}

fn ns_per_pair(f: fn(Layout), l: Layout, pairs: u32) -> f64 {
    let t = Instant::now();
    for _ in 0..pairs {
        f(black_box(l));
    }
    t.elapsed().as_nanos() as f64 / f64::from(pairs)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Row indices in `CASES`.
const SYSTEM: usize = 0;
const SHARED_COUNTERS: usize = 1;
const FRESH_DEFAULT: usize = 2;
const MIXED_DEFAULT: usize = 3;
const HEAP_DIRECT: usize = 4;
const HEAP_VIA: usize = 5;
const ARENA_DIRECT: usize = 6;
const ARENA_VIA: usize = 7;
const MIMALLOC_MAIN: usize = 8;

const CASES: [Case; 9] = [
    ("System direct", None, system),
    ("System + 4 shared fetch_add", None, system_shared_counters),
    (
        "Dispatcher default (heap, mimalloc never used)",
        Some(ManagerKind::Default),
        fresh_default,
    ),
    (
        "Dispatcher default (after heap, mimalloc used)",
        Some(ManagerKind::Default),
        mixed,
    ),
    ("PrivateHeap (talc) direct", None, heap_direct),
    ("Dispatcher heap", Some(ManagerKind::Heap), mixed),
    ("mimalloc arena heap direct", None, arena_direct),
    ("Dispatcher mimalloc", Some(ManagerKind::Mimalloc), mixed),
    ("MiMalloc direct (mimalloc's own heap)", None, mimalloc),
];

fn main() {
    let pairs: u32 = std::env::var("PAIRS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300_000);
    let rounds: usize = std::env::var("ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(21);
    FRESH.set_active(ManagerKind::Default);
    // MIXED: use the heap and mimalloc once, so both ranges exist and the
    // default path pays for both ownership checks.
    for kind in [ManagerKind::Heap, ManagerKind::Mimalloc] {
        MIXED.set_active(kind);
        let l = Layout::new::<u64>();
        // SAFETY: freed immediately through the same dispatcher.
        unsafe { MIXED.dealloc(MIXED.alloc(l), l) };
    }
    assert!(MIXED.mimalloc_arena().reservation().is_some());
    println!(
        "pairs per measurement: {pairs}, rounds: {rounds} (median shown), ns per alloc+free pair"
    );
    println!();
    print!("| case |");
    let sizes = [16usize, 64, 256, 1024, 4096];
    for s in sizes {
        print!(" {s} B |");
    }
    println!();
    println!("|---|{}", "---:|".repeat(sizes.len()));
    let mut table = vec![vec![0.0; sizes.len()]; CASES.len()];
    // samples[size][case][round]
    let mut samples = vec![vec![Vec::with_capacity(rounds); CASES.len()]; sizes.len()];
    for (si, &size) in sizes.iter().enumerate() {
        let l = Layout::from_size_align(size, 16).unwrap();
        for round in 0..rounds {
            let mut order: Vec<usize> = (0..CASES.len()).collect();
            if round % 2 == 1 {
                order.reverse();
            }
            for ci in order {
                let (_, kind, f) = CASES[ci];
                if let Some(k) = kind {
                    MIXED.set_active(k);
                }
                ns_per_pair(f, l, pairs / 10); // warm-up
                samples[si][ci].push(ns_per_pair(f, l, pairs));
            }
        }
        for (ci, s) in samples[si].iter().enumerate() {
            table[ci][si] = median(s.clone());
        }
    }
    for (ci, (name, _, _)) in CASES.iter().enumerate() {
        print!("| {name} |");
        for v in &table[ci] {
            print!(" {v:.2} |");
        }
        println!();
    }
    assert_eq!(MIXED.mimalloc_fallbacks(), 0, "the arena never filled up");
    assert_eq!(MIXED.heap_fallbacks(), 0, "the heap never filled up");
    println!();
    println!(
        "| added by the dispatcher (ns, %) |{}",
        sizes.map(|s| format!(" {s} B |")).concat()
    );
    println!("|---|{}", "---:|".repeat(sizes.len()));
    let rows: [(&str, usize, usize, bool); 6] = [
        (
            "default, heap/mimalloc never used",
            FRESH_DEFAULT,
            SYSTEM,
            true,
        ),
        (
            "default, after heap/mimalloc used",
            MIXED_DEFAULT,
            SYSTEM,
            true,
        ),
        (
            "heap (vs the same heap direct)",
            HEAP_VIA,
            HEAP_DIRECT,
            true,
        ),
        (
            "mimalloc (vs the same arena heap direct)",
            ARENA_VIA,
            ARENA_DIRECT,
            true,
        ),
        (
            "(mimalloc vs MiMalloc's own heap)",
            ARENA_VIA,
            MIMALLOC_MAIN,
            false,
        ),
        (
            "(System + 4 shared fetch_add)",
            SHARED_COUNTERS,
            SYSTEM,
            false,
        ),
    ];
    let mut worst: f64 = f64::NEG_INFINITY;
    for (name, a, b, counts) in rows {
        let cells: Vec<String> = (0..sizes.len())
            .map(|i| {
                let per_round = samples[i][a].iter().zip(&samples[i][b]);
                let ns = median(per_round.map(|(x, y)| x - y).collect());
                if counts {
                    worst = worst.max(ns);
                }
                format!("{ns:+.2} ({:+.0} %)", ns / table[b][i] * 100.0)
            })
            .collect();
        println!("| {name} | {} |", cells.join(" | "));
    }
    println!();
    println!(
        "largest overhead of a manager through the dispatcher: {worst:+.2} ns per pair (target: at most +2 ns): {}",
        if worst <= 2.0 { "met" } else { "NOT met" }
    );
}
