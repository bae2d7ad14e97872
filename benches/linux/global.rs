//! The `global` benchmark's body (Linux only, for now: docs/windows.md).

use std::time::Instant;

use memlab_engine::global::{GlobalLab, Handle, Kind};

const BLOCKS: u32 = 4000;
const RUNS: usize = 5;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn filled(kind: Kind) -> (GlobalLab, f64) {
    let mut lab = GlobalLab::new();
    let start = Instant::now();
    for _ in 0..BLOCKS {
        lab.alloc(kind, 2000)
            .expect("room for 4000 blocks of 2000 bytes");
    }
    (lab, start.elapsed().as_secs_f64() * 1e3)
}

pub fn main() {
    let mut alloc = Vec::new();
    let mut compact = Vec::new();
    let mut low = Vec::new();
    let mut rows = Vec::new();
    for _ in 0..RUNS {
        let (mut lab, ms) = filled(Kind::Moveable);
        alloc.push(ms);
        for n in (1..=BLOCKS).step_by(2) {
            lab.free(Handle(n)).expect("unlocked");
        }
        let start = Instant::now();
        lab.compact().expect("compact");
        compact.push(start.elapsed().as_secs_f64() * 1e3);
        assert_eq!(lab.moved().len(), (BLOCKS / 2) as usize);
        let start = Instant::now();
        std::hint::black_box(lab.rows());
        rows.push(start.elapsed().as_secs_f64() * 1e3);
        let (mut lab, _) = filled(Kind::Discardable);
        let start = Instant::now();
        lab.low_memory().expect("low memory");
        low.push(start.elapsed().as_secs_f64() * 1e3);
    }
    println!("global heap, {BLOCKS} blocks of 2000 bytes, median of {RUNS} runs:");
    println!("  GlobalAlloc x{BLOCKS}: {:.1} ms in all", median(alloc));
    println!(
        "  compact moving {} blocks: {:.1} ms",
        BLOCKS / 2,
        median(compact)
    );
    println!(
        "  the handle table of {} rows: {:.2} ms",
        BLOCKS / 2,
        median(rows)
    );
    println!("  low memory discarding {BLOCKS}: {:.2} ms", median(low));
}
