//! The `vm` benchmark's body (Linux only, for now: docs/windows.md).

use std::time::{Duration, Instant};

use memlab_engine::vm::maps::{self, Landmarks, Snapshot};
use memlab_engine::vm::pages::{MAX_PAGES, PageLab, PageState, Protection};
use memlab_engine::vm::system;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Times `f` `n` times (after 5 warm-up calls) and prints p50, p95 and max.
fn time<T>(what: &str, n: usize, mut f: impl FnMut() -> T) -> Duration {
    for _ in 0..5 {
        std::hint::black_box(f());
    }
    let mut samples: Vec<Duration> = (0..n)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(f());
            t.elapsed()
        })
        .collect();
    samples.sort();
    let p50 = percentile(&samples, 0.5);
    println!(
        "{what}: n={n} p50={p50:?} p95={:?} max={:?}",
        percentile(&samples, 0.95),
        samples[n - 1]
    );
    p50
}

fn landmarks() -> Landmarks {
    Landmarks {
        font: Some(memlab::fonts::bundled_font()),
    }
}

/// Adds regions to this process: a reservation whose pages alternate
/// between committed and reserved is one kernel mapping per page.
fn add_regions(lab: &mut PageLab, regions: usize) {
    let id = lab.reserve(regions).unwrap();
    for page in (0..regions).step_by(2) {
        lab.commit(id, page..page + 1).unwrap();
    }
}

fn map_refresh() {
    let mut lab = PageLab::new();
    let base = Snapshot::take(landmarks()).unwrap().regions.len();
    println!("this process alone: {base} regions (free gaps included)");
    let mut have = base;
    for target in [300, 600, 1200] {
        if target > have {
            add_regions(&mut lab, target - have);
        }
        let snapshot = Snapshot::take(landmarks()).unwrap();
        have = snapshot.regions.len();
        let used = snapshot
            .regions
            .iter()
            .filter(|r| r.kind != maps::RegionType::Free)
            .count();
        time(
            &format!("map refresh, {used} mappings ({have} regions with the gaps)"),
            200,
            || Snapshot::take(landmarks()).unwrap(),
        );
        let other = Snapshot::take(landmarks()).unwrap();
        time(
            &format!("diff of two snapshots of {have} regions"),
            200,
            || maps::diff(&snapshot, &other),
        );
    }
}

fn page_grid() {
    let mut lab = PageLab::new();
    let id = lab.reserve(MAX_PAGES).unwrap();
    lab.commit(id, 0..MAX_PAGES / 2).unwrap();
    lab.protect(id, 0..1024, Protection::ReadOnly).unwrap();
    for page in (0..MAX_PAGES / 2).step_by(7) {
        lab.write_byte(id, page, 1).unwrap();
    }
    let r = lab.get(id).unwrap();
    time("table read for 65536 cells (state per cell)", 1000, || {
        r.pages()
            .iter()
            .filter(|p| p.state == PageState::Committed && !p.locked)
            .count()
    });
    time("residency of 65536 pages (one mincore)", 1000, || {
        lab.resident(id).unwrap()
    });
    let snapshot = Snapshot::take(Landmarks::default()).unwrap();
    time("charge flags of 65536 pages from a snapshot", 200, || {
        snapshot.charged(&lab, id).unwrap()
    });
    time("costs (RSS + commit charge)", 1000, || {
        system::costs().unwrap()
    });
}

pub fn main() {
    map_refresh();
    page_grid();
}
