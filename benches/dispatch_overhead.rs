//! Dispatcher overhead: alloc/free pairs of 16 B .. 4 KB through the
//! `Dispatcher` versus calling the same allocator directly.
//!
//! Each case is a non-inlined function per pair, like a real call through
//! `__rust_alloc`. Cases are interleaved over several rounds and the median
//! round is reported. Run: `cargo bench --bench dispatch_overhead`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Instant;

use memlab::core::alloc::{Dispatcher, ManagerKind};
use mimalloc::MiMalloc;

/// Never sees mimalloc: its default-manager frees skip the mimalloc lookup.
static FRESH: Dispatcher = Dispatcher::new();
/// Has served mimalloc blocks: every free asks mimalloc whether it owns the block.
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

fn main() {
    let pairs: u32 = std::env::var("PAIRS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let rounds: usize = std::env::var("ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(11);
    FRESH.set_active(ManagerKind::Default);
    // MIXED: use mimalloc once so the default path pays for the ownership lookup.
    // SAFETY: freed immediately through the same dispatcher.
    unsafe {
        MIXED.set_active(ManagerKind::Mimalloc);
        let l = Layout::new::<u64>();
        MIXED.dealloc(MIXED.alloc(l), l);
    }
    let cases: [Case; 7] = [
        ("System direct", None, system),
        ("System + 4 shared fetch_add", None, system_shared_counters),
        (
            "Dispatcher default (mimalloc never used)",
            Some(ManagerKind::Default),
            fresh_default,
        ),
        (
            "Dispatcher default (after mimalloc used)",
            Some(ManagerKind::Default),
            mixed,
        ),
        ("MiMalloc direct", None, mimalloc),
        ("Dispatcher mimalloc", Some(ManagerKind::Mimalloc), mixed),
        ("Dispatcher heap (talc)", Some(ManagerKind::Heap), mixed),
    ];
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
    let mut table = vec![vec![0.0; sizes.len()]; cases.len()];
    for (si, &size) in sizes.iter().enumerate() {
        let l = Layout::from_size_align(size, 16).unwrap();
        let mut samples = vec![Vec::with_capacity(rounds); cases.len()];
        for _ in 0..rounds {
            for (ci, (_, kind, f)) in cases.iter().enumerate() {
                if let Some(k) = kind {
                    MIXED.set_active(*k);
                }
                ns_per_pair(*f, l, pairs / 10); // warm-up
                samples[ci].push(ns_per_pair(*f, l, pairs));
            }
        }
        for (ci, s) in samples.into_iter().enumerate() {
            table[ci][si] = median(s);
        }
    }
    for (ci, (name, _, _)) in cases.iter().enumerate() {
        print!("| {name} |");
        for v in &table[ci] {
            print!(" {v:.2} |");
        }
        println!();
    }
    println!();
    let pct = |a: usize, b: usize| -> Vec<String> {
        (0..sizes.len())
            .map(|i| format!("{:+.1} %", (table[a][i] / table[b][i] - 1.0) * 100.0))
            .collect()
    };
    println!(
        "| overhead vs direct |{}",
        sizes.map(|s| format!(" {s} B |")).concat()
    );
    println!("|---|{}", "---:|".repeat(sizes.len()));
    println!(
        "| default, mimalloc never used | {} |",
        pct(2, 0).join(" | ")
    );
    println!(
        "| default, after mimalloc used | {} |",
        pct(3, 0).join(" | ")
    );
    println!("| mimalloc | {} |", pct(5, 4).join(" | "));
    println!(
        "| (System + 4 shared fetch_add) | {} |",
        pct(1, 0).join(" | ")
    );
}
