//! Size sweep: every chosen manager over block sizes 1 KB .. 64 MB (powers
//! of two), median of several repeats, crossover detection and CSV export.
//!
//! A sweep is bounded: at most [`MAX_REPEATS`] repeats (so the samples kept
//! for the medians stay small), and at most [`MAX_SWEEP_PAIRS`] pairs and
//! [`MAX_SWEEP_BYTES`] allocated in all, which keeps the longest sweep
//! allowed to an hour or two on this kind of machine (16 TiB of 32 MB blocks,
//! touched, at about 1.2 us per page fault), never days. It can be
//! cancelled at any moment: the progress callback is asked about every
//! [`PROGRESS_INTERVAL`] of run time, inside measurements too.

use std::cell::Cell;
use std::fmt::Write as _;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::bench::{
    BenchError, BenchResult, BenchSpec, DEFAULT_ITERATIONS, PROGRESS_INTERVAL, run_on,
};
use super::measure::Spread;
use super::sysinfo::SystemInfo;
use super::{Dispatcher, ManagerKind, dispatcher};
use crate::format::format_size_kb;

/// The 17 sweep sizes in KB: 1, 2, 4, ..., 65536.
pub const SWEEP_SIZES_KB: [u32; 17] = {
    let mut a = [0u32; 17];
    let mut i = 0;
    while i < 17 {
        a[i] = 1 << i;
        i += 1;
    }
    a
};

/// A crossover counts when the new leader is faster by more than this (5 %),
/// so managers within noise of each other do not flip-flop.
pub const CROSSOVER_MARGIN: f64 = 0.05;

/// Most repeats per (size, manager).
pub const MAX_REPEATS: u32 = 1000;
/// Most alloc/free pairs in one sweep (at 30-60 ns per small pair, a few minutes).
pub const MAX_SWEEP_PAIRS: u64 = 4_000_000_000;
/// Most bytes one sweep allocates, summed over its pairs (16 TiB; touched in
/// blocks that glibc maps afresh each time, about 4 G page faults, an hour or
/// two). The default sweep allocates about 9 GiB per repeat (0.6 s touched).
pub const MAX_SWEEP_BYTES: u64 = 16 << 40;

/// Bytes allocated per measurement in [`Iterations::Auto`] mode for big blocks.
const AUTO_BYTE_BUDGET: u64 = 256 << 20;
/// Fewest pairs [`Iterations::Auto`] uses.
const AUTO_MIN_ITERATIONS: u32 = 10;

/// How many alloc/free pairs each measurement does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Iterations {
    /// 1000 pairs up to 256 KB; above that as many pairs as fit in 256 MiB
    /// of allocations (512 KB: 512, 1 MB: 256, ... 16 MB: 16), but at least
    /// 10 (32 MB and 64 MB). Keeps a touched 64 MB sweep to seconds, not minutes.
    Auto,
    /// The same count for every size (the book uses 1000).
    Fixed(u32),
}

impl Iterations {
    /// Pairs for one block size.
    pub fn for_size(self, size_kb: u32) -> u32 {
        match self {
            Self::Fixed(n) => n,
            Self::Auto => {
                let by_budget = AUTO_BYTE_BUDGET / (u64::from(size_kb.max(1)) * 1024);
                by_budget.clamp(
                    u64::from(AUTO_MIN_ITERATIONS),
                    u64::from(DEFAULT_ITERATIONS),
                ) as u32
            }
        }
    }
}

/// What to sweep.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SweepSpec {
    /// Managers to compare.
    pub managers: Vec<ManagerKind>,
    /// Block sizes in KB (default: [`SWEEP_SIZES_KB`]).
    pub sizes_kb: Vec<u32>,
    /// Repeats per (size, manager); the median is reported.
    pub repeats: u32,
    /// Pairs per measurement.
    pub iterations: Iterations,
    /// Touch every page of each block.
    pub touch: bool,
}

impl Default for SweepSpec {
    fn default() -> Self {
        Self {
            managers: ManagerKind::ALL.to_vec(),
            sizes_kb: SWEEP_SIZES_KB.to_vec(),
            repeats: 5,
            iterations: Iterations::Auto,
            touch: false,
        }
    }
}

impl SweepSpec {
    /// Check the spec (each size is checked like a [`BenchSpec`], then the
    /// limits on repeats, pairs and bytes).
    pub fn validate(&self) -> Result<(), BenchError> {
        if self.managers.is_empty() {
            return Err(BenchError::NoManagers);
        }
        if self.sizes_kb.is_empty() {
            return Err(BenchError::NoSizes);
        }
        if self.repeats == 0 {
            return Err(BenchError::ZeroRepeats);
        }
        if self.repeats > MAX_REPEATS {
            return Err(BenchError::TooManyRepeats {
                got: u64::from(self.repeats),
                max: MAX_REPEATS,
            });
        }
        for &size_kb in &self.sizes_kb {
            BenchSpec {
                manager: ManagerKind::Default,
                size_kb,
                iterations: self.iterations.for_size(size_kb),
                touch: self.touch,
            }
            .validate()?;
        }
        let (pairs, bytes) = self.workload();
        if pairs > MAX_SWEEP_PAIRS || bytes > MAX_SWEEP_BYTES {
            return Err(BenchError::SweepTooLarge {
                pairs,
                bytes,
                max_pairs: MAX_SWEEP_PAIRS,
                max_bytes: MAX_SWEEP_BYTES,
            });
        }
        Ok(())
    }

    /// Alloc/free pairs and bytes allocated by the whole sweep (warm-up
    /// aside), saturating at `u64::MAX`.
    pub fn workload(&self) -> (u64, u64) {
        let runs = (self.managers.len() as u64).saturating_mul(u64::from(self.repeats));
        let mut pairs = 0u64;
        let mut bytes = 0u64;
        for &size_kb in &self.sizes_kb {
            let n = u64::from(self.iterations.for_size(size_kb)).saturating_mul(runs);
            pairs = pairs.saturating_add(n);
            bytes = bytes.saturating_add(n.saturating_mul(u64::from(size_kb) * 1024));
        }
        (pairs, bytes)
    }

    /// Measurements (size × manager × repeat), the `total` of the progress
    /// callback. Fits a `u32` once [`validate`](Self::validate) passed (each
    /// measurement is at least one pair).
    pub fn measurements(&self) -> u32 {
        let n = (self.sizes_kb.len() as u64)
            .saturating_mul(self.managers.len() as u64)
            .saturating_mul(u64::from(self.repeats));
        u32::try_from(n).unwrap_or(u32::MAX)
    }
}

/// One (size, manager) cell of the sweep.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct SweepRow {
    /// Block size in KB.
    pub size_kb: u32,
    /// Manager.
    pub manager: ManagerKind,
    /// Pairs per repeat.
    pub iterations: u32,
    /// Repeats measured.
    pub repeats: u32,
    /// Median of the repeats' total time, ms.
    pub median_ms: f64,
    /// Median ns per pair.
    pub median_ns_per_pair: f64,
    /// Fastest repeat, ns per pair.
    pub min_ns_per_pair: f64,
    /// Slowest repeat, ns per pair.
    pub max_ns_per_pair: f64,
    /// First quartile of the repeats, ns per pair.
    pub q1_ns_per_pair: f64,
    /// Third quartile of the repeats, ns per pair.
    pub q3_ns_per_pair: f64,
    /// Repeats outside Tukey's fences (1.5 IQR beyond the quartiles).
    pub outliers: u32,
    /// Median minor faults per repeat.
    pub minor_faults: Option<u64>,
    /// Median major faults per repeat.
    pub major_faults: Option<u64>,
    /// Heap fallbacks over all repeats.
    pub heap_fallbacks: u64,
    /// mimalloc fallbacks (arena full) over all repeats.
    pub mimalloc_fallbacks: u64,
}

/// Result of [`run`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SweepReport {
    /// Rows by size, then manager in the spec's order.
    pub rows: Vec<SweepRow>,
    /// The spec that was run.
    pub spec: SweepSpec,
    /// Stopped by the callback; `rows` holds the sizes completed before.
    pub cancelled: bool,
}

fn median_f64(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn median_u64(v: &mut [u64]) -> u64 {
    v.sort_unstable();
    v[(v.len() - 1) / 2]
}

/// Run the sweep on the process-wide dispatcher.
///
/// `progress(done, total)` counts measurements (size × manager × repeat). It
/// is called about every [`PROGRESS_INTERVAL`] of run time (inside
/// measurements too), after each size and at the end; return `false` to
/// cancel.
pub fn run(
    spec: &SweepSpec,
    progress: &dyn Fn(u32, u32) -> bool,
) -> Result<SweepReport, BenchError> {
    run_sweep_on(dispatcher(), spec, progress)
}

/// [`run`] on a given dispatcher.
pub fn run_sweep_on(
    d: &Dispatcher,
    spec: &SweepSpec,
    progress: &dyn Fn(u32, u32) -> bool,
) -> Result<SweepReport, BenchError> {
    spec.validate()?;
    let total = spec.measurements();
    let done = Cell::new(0u32);
    let last_call = Cell::new(Instant::now());
    let stopped = Cell::new(false);
    // Measurements can be very short (one pair): between them the callback is
    // asked at most every PROGRESS_INTERVAL, like inside one. A "stop" is
    // remembered: the answer to a measurement's final call, which `run_on`
    // does not act on, must still end the sweep.
    let tick = |force: bool| {
        if stopped.get() || (!force && last_call.get().elapsed() < PROGRESS_INTERVAL) {
            return !stopped.get();
        }
        let go = progress(done.get(), total);
        last_call.set(Instant::now());
        stopped.set(!go);
        go
    };
    let cancelled = |rows| {
        Ok(SweepReport {
            rows,
            spec: spec.clone(),
            cancelled: true,
        })
    };
    let mut rows = Vec::with_capacity(spec.sizes_kb.len() * spec.managers.len());
    // One untimed run per manager first: a manager's first use (mimalloc's
    // lazy set-up, the heap's first commit) would otherwise land in the first
    // sample and make `--repeats 1` misleading.
    if let Some(&first_kb) = spec.sizes_kb.first() {
        for &manager in &spec.managers {
            let warm = BenchSpec {
                manager,
                size_kb: first_kb,
                iterations: 100,
                touch: spec.touch,
            };
            if run_on(d, &warm, &|_, _| tick(false))?.cancelled || !tick(false) {
                return cancelled(rows);
            }
        }
    }
    for &size_kb in &spec.sizes_kb {
        let iterations = spec.iterations.for_size(size_kb);
        let mut samples: Vec<Vec<BenchResult>> = vec![Vec::new(); spec.managers.len()];
        // Managers interleaved within each repeat, so slow drift of the
        // machine (frequency, other load) hits all of them alike.
        for _ in 0..spec.repeats {
            for (mi, &manager) in spec.managers.iter().enumerate() {
                let bspec = BenchSpec {
                    manager,
                    size_kb,
                    iterations,
                    touch: spec.touch,
                };
                let r = run_on(d, &bspec, &|_, _| tick(false))?;
                if r.cancelled {
                    return cancelled(rows);
                }
                samples[mi].push(r);
                done.set(done.get() + 1);
                if !tick(false) {
                    return cancelled(rows);
                }
            }
        }
        for (mi, s) in samples.iter().enumerate() {
            rows.push(row_of(
                size_kb,
                spec.managers[mi],
                iterations,
                spec.repeats,
                s,
            ));
        }
        if !tick(true) {
            return cancelled(rows);
        }
    }
    Ok(SweepReport {
        rows,
        spec: spec.clone(),
        cancelled: false,
    })
}

/// The medians of one (size, manager) cell's repeats.
fn row_of(
    size_kb: u32,
    manager: ManagerKind,
    iterations: u32,
    repeats: u32,
    s: &[BenchResult],
) -> SweepRow {
    let mut ms: Vec<f64> = s.iter().map(|r| r.ms).collect();
    let mut ns: Vec<f64> = s.iter().map(|r| r.ns_per_pair).collect();
    let faults = |f: fn(&BenchResult) -> Option<u64>| {
        let mut v: Vec<u64> = s.iter().filter_map(f).collect();
        (!v.is_empty()).then(|| median_u64(&mut v))
    };
    let spread = Spread::of(&ns);
    SweepRow {
        size_kb,
        manager,
        iterations,
        repeats,
        median_ms: median_f64(&mut ms),
        median_ns_per_pair: median_f64(&mut ns),
        min_ns_per_pair: ns[0],
        max_ns_per_pair: ns[ns.len() - 1],
        q1_ns_per_pair: spread.q1,
        q3_ns_per_pair: spread.q3,
        outliers: spread.outliers,
        minor_faults: faults(|r| r.minor_faults),
        major_faults: faults(|r| r.major_faults),
        heap_fallbacks: s.iter().map(|r| r.heap_fallbacks).sum(),
        mimalloc_fallbacks: s.iter().map(|r| r.mimalloc_fallbacks).sum(),
    }
}

/// A size where the faster manager changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Crossover {
    /// Largest size (KB) where `faster_below` still won.
    pub below_kb: u32,
    /// Smallest size (KB) where `faster_from` wins.
    pub from_kb: u32,
    /// Winner at `below_kb`.
    pub faster_below: ManagerKind,
    /// Winner at `from_kb`.
    pub faster_from: ManagerKind,
}

/// Fastest manager (lowest median ns/pair) per size, sizes ascending.
pub fn fastest_by_size(rows: &[SweepRow]) -> Vec<(u32, ManagerKind)> {
    let mut sizes: Vec<u32> = rows.iter().map(|r| r.size_kb).collect();
    sizes.sort_unstable();
    sizes.dedup();
    sizes
        .into_iter()
        .filter_map(|size| {
            rows.iter()
                .filter(|r| r.size_kb == size)
                .min_by(|a, b| a.median_ns_per_pair.total_cmp(&b.median_ns_per_pair))
                .map(|r| (size, r.manager))
        })
        .collect()
}

/// Sizes where the overall fastest manager changes (any difference counts).
pub fn crossovers(rows: &[SweepRow]) -> Vec<Crossover> {
    crossovers_with_margin(rows, 0.0)
}

/// Like [`crossovers`], but the lead only changes hands when the new winner
/// is faster than the current leader *at that size* by more than `margin`
/// (0.05 = 5 %). Sizes where managers are within noise of each other then do
/// not produce flip-flopping crossovers.
pub fn crossovers_with_margin(rows: &[SweepRow], margin: f64) -> Vec<Crossover> {
    let ns = |size: u32, m: ManagerKind| {
        rows.iter()
            .find(|r| r.size_kb == size && r.manager == m)
            .map(|r| r.median_ns_per_pair)
    };
    let mut out = Vec::new();
    let fastest = fastest_by_size(rows);
    let Some(&(mut prev_size, mut leader)) = fastest.first() else {
        return out;
    };
    for &(size, winner) in &fastest[1..] {
        let beaten = match (ns(size, leader), ns(size, winner)) {
            (Some(l), Some(w)) => l > w * (1.0 + margin),
            _ => true, // leader not measured at this size
        };
        if winner != leader && beaten {
            out.push(Crossover {
                below_kb: prev_size,
                from_kb: size,
                faster_below: leader,
                faster_from: winner,
            });
            leader = winner;
        }
        prev_size = size;
    }
    out
}

/// Sizes where the faster of the two managers `a`, `b` changes.
pub fn crossovers_between(rows: &[SweepRow], a: ManagerKind, b: ManagerKind) -> Vec<Crossover> {
    crossovers_between_with_margin(rows, a, b, 0.0)
}

/// [`crossovers_between`] with a noise margin (see [`crossovers_with_margin`]).
pub fn crossovers_between_with_margin(
    rows: &[SweepRow],
    a: ManagerKind,
    b: ManagerKind,
    margin: f64,
) -> Vec<Crossover> {
    let two: Vec<SweepRow> = rows
        .iter()
        .filter(|r| r.manager == a || r.manager == b)
        .copied()
        .collect();
    // Only sizes measured for both managers.
    let both: Vec<SweepRow> = two
        .iter()
        .filter(|r| two.iter().filter(|o| o.size_kb == r.size_kb).count() == 2)
        .copied()
        .collect();
    crossovers_with_margin(&both, margin)
}

fn opt(v: Option<u64>) -> String {
    v.map_or_else(String::new, |n| n.to_string())
}

/// CSV with a `#` comment header naming the machine, allocator versions and
/// the sweep settings, then one line per row.
pub fn to_csv(report: &SweepReport, info: &SystemInfo) -> String {
    let mut s = String::new();
    let spec = &report.spec;
    // Writing to a String cannot fail.
    let _ = writeln!(s, "# memlab allocation sweep");
    let _ = writeln!(s, "# cpu: {} ({} logical CPUs)", info.cpu, info.cpus);
    let _ = writeln!(s, "# os: {}", info.os);
    let _ = writeln!(
        s,
        "# default manager: {}{}",
        ManagerKind::Default.describe(),
        info.libc
            .as_deref()
            .map(|v| format!(", {v}"))
            .unwrap_or_default()
    );
    let _ = writeln!(
        s,
        "# mimalloc: C library {} (crate libmimalloc-sys {})",
        info.mimalloc_c, info.libmimalloc_sys
    );
    let _ = writeln!(s, "# heap: talc {}", info.talc);
    let _ = writeln!(s, "# page size: {} bytes", info.page_size);
    let _ = writeln!(
        s,
        "# repeats: {} (median reported), iterations: {}, touch: {}{}",
        spec.repeats,
        match spec.iterations {
            Iterations::Auto => "auto (1000 up to 256 KB, then 256 MiB per run, min 10)".to_owned(),
            Iterations::Fixed(n) => format!("fixed {n}"),
        },
        spec.touch,
        if report.cancelled {
            ", CANCELLED (partial)"
        } else {
            ""
        }
    );
    let _ = writeln!(
        s,
        "size_kb,manager,iterations,repeats,median_ms,median_ns_per_pair,min_ns_per_pair,max_ns_per_pair,minor_faults,major_faults,heap_fallbacks,mimalloc_fallbacks,q1_ns_per_pair,q3_ns_per_pair,outliers"
    );
    for r in &report.rows {
        let _ = writeln!(
            s,
            "{},{},{},{},{:.4},{:.1},{:.1},{:.1},{},{},{},{},{:.1},{:.1},{}",
            r.size_kb,
            r.manager,
            r.iterations,
            r.repeats,
            r.median_ms,
            r.median_ns_per_pair,
            r.min_ns_per_pair,
            r.max_ns_per_pair,
            opt(r.minor_faults),
            opt(r.major_faults),
            r.heap_fallbacks,
            r.mimalloc_fallbacks,
            r.q1_ns_per_pair,
            r.q3_ns_per_pair,
            r.outliers
        );
    }
    s
}

/// `between 2 KB and 4 KB: from mimalloc to default` (words, not an arrow:
/// the fonts memlab ships draw no arrow; see `tests/it/fonts.rs`).
pub fn crossover_text(c: &Crossover) -> String {
    format!(
        "between {} and {}: from {} to {}",
        format_size_kb(c.below_kb),
        format_size_kb(c.from_kb),
        c.faster_below,
        c.faster_from
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::os::clock::thread_cpu_time;
    use std::time::Duration;

    #[test]
    fn crossover_reads_as_a_range_and_a_hand_over() {
        let c = Crossover {
            below_kb: 512,
            from_kb: 1024,
            faster_below: ManagerKind::Mimalloc,
            faster_from: ManagerKind::Default,
        };
        assert_eq!(
            crossover_text(&c),
            "between 512 KB and 1 MB: from mimalloc to default"
        );
    }

    fn row(size_kb: u32, manager: ManagerKind, ns: f64) -> SweepRow {
        SweepRow {
            size_kb,
            manager,
            iterations: 1,
            repeats: 1,
            median_ms: ns / 1e6,
            median_ns_per_pair: ns,
            min_ns_per_pair: ns,
            max_ns_per_pair: ns,
            q1_ns_per_pair: ns,
            q3_ns_per_pair: ns,
            outliers: 0,
            minor_faults: Some(0),
            major_faults: None,
            heap_fallbacks: 0,
            mimalloc_fallbacks: 0,
        }
    }

    #[test]
    fn sizes_and_auto_iterations() {
        assert_eq!(SWEEP_SIZES_KB.len(), 17);
        assert_eq!((SWEEP_SIZES_KB[0], SWEEP_SIZES_KB[16]), (1, 65536));
        let a = Iterations::Auto;
        assert_eq!(a.for_size(1), 1000);
        assert_eq!(a.for_size(256), 1000);
        assert_eq!(a.for_size(512), 512);
        assert_eq!(a.for_size(1024), 256);
        assert_eq!(a.for_size(65536), 10);
        assert_eq!(Iterations::Fixed(1000).for_size(65536), 1000);
    }

    #[test]
    fn crossover_detection() {
        use ManagerKind::*;
        let rows = vec![
            row(1, Default, 10.0),
            row(1, Mimalloc, 5.0),
            row(2, Default, 10.0),
            row(2, Mimalloc, 8.0),
            row(4, Default, 10.0),
            row(4, Mimalloc, 12.0),
            row(4, Heap, 11.0),
            row(8, Heap, 1.0),
            row(8, Default, 2.0),
            row(8, Mimalloc, 3.0),
        ];
        assert_eq!(
            crossovers(&rows),
            vec![
                Crossover {
                    below_kb: 2,
                    from_kb: 4,
                    faster_below: Mimalloc,
                    faster_from: Default
                },
                Crossover {
                    below_kb: 4,
                    from_kb: 8,
                    faster_below: Default,
                    faster_from: Heap
                },
            ]
        );
        assert_eq!(
            crossovers_between(&rows, Default, Mimalloc),
            vec![Crossover {
                below_kb: 2,
                from_kb: 4,
                faster_below: Mimalloc,
                faster_from: Default
            }]
        );
        assert_eq!(crossovers_between(&rows, Heap, Mimalloc), vec![]);
        // Default beats Mimalloc at 4 KB by only 20 %: with a 25 % margin the
        // lead stays with Mimalloc until 8 KB, where Heap wins clearly.
        assert_eq!(
            crossovers_with_margin(&rows, 0.25),
            vec![Crossover {
                below_kb: 4,
                from_kb: 8,
                faster_below: Mimalloc,
                faster_from: Heap
            }]
        );
        assert!(crossovers(&[]).is_empty());
    }

    #[test]
    fn small_real_sweep_and_csv() {
        let d = Box::new(Dispatcher::with_heap_max(64 << 20));
        let spec = SweepSpec {
            sizes_kb: vec![1, 64, 1024],
            repeats: 3,
            iterations: Iterations::Fixed(20),
            ..SweepSpec::default()
        };
        let last = std::cell::Cell::new((0, 0));
        let rep = run_sweep_on(&d, &spec, &|done, total| {
            last.set((done, total));
            true
        })
        .unwrap();
        assert!(!rep.cancelled);
        assert_eq!(rep.rows.len(), 9);
        assert_eq!(last.get(), (27, 27));
        assert!(rep.rows.iter().all(|r| r.median_ns_per_pair > 0.0
            && r.min_ns_per_pair <= r.median_ns_per_pair
            && r.median_ns_per_pair <= r.max_ns_per_pair));
        let csv = to_csv(&rep, &SystemInfo::collect());
        assert!(csv.starts_with("# memlab allocation sweep\n# cpu: "));
        assert!(csv.contains("# heap: talc 5.1.1"));
        assert!(csv.contains("# repeats: 3"));
        let data: Vec<&str> = csv.lines().filter(|l| !l.starts_with('#')).collect();
        assert_eq!(data.len(), 10);
        assert!(data[0].starts_with("size_kb,manager,"));
        assert!(data[1].starts_with("1,default,20,3,"));
        // The spread of the repeats (issue 18): quartiles and outliers.
        assert!(data[0].ends_with(",q1_ns_per_pair,q3_ns_per_pair,outliers"));
        assert!(data.iter().all(|l| l.split(',').count() == 15), "{csv}");
        assert!(
            rep.rows
                .iter()
                .all(|r| r.q1_ns_per_pair <= r.median_ns_per_pair
                    && r.median_ns_per_pair <= r.q3_ns_per_pair
                    && r.outliers <= r.repeats)
        );
        assert_eq!(d.snapshot().total_live_blocks(), 0);
    }

    #[test]
    fn bad_specs_and_cancel() {
        let bad = SweepSpec {
            managers: vec![],
            ..SweepSpec::default()
        };
        assert_eq!(run(&bad, &|_, _| true), Err(BenchError::NoManagers));
        let bad = SweepSpec {
            repeats: 0,
            ..SweepSpec::default()
        };
        assert_eq!(bad.validate(), Err(BenchError::ZeroRepeats));
        let bad = SweepSpec {
            sizes_kb: vec![1, 0],
            ..SweepSpec::default()
        };
        assert_eq!(bad.validate(), Err(BenchError::SizeOutOfRange(0)));
        let bad = SweepSpec {
            iterations: Iterations::Fixed(0),
            ..SweepSpec::default()
        };
        assert_eq!(bad.validate(), Err(BenchError::ZeroIterations));
        let d = Box::new(Dispatcher::with_heap_max(8 << 20));
        let spec = SweepSpec {
            sizes_kb: vec![1, 2, 4],
            repeats: 1,
            iterations: Iterations::Fixed(10),
            ..SweepSpec::default()
        };
        let rep = run_sweep_on(&d, &spec, &|done, _| done < 3).unwrap();
        assert!(rep.cancelled);
        assert_eq!(rep.rows.len(), 3, "first size complete, then stopped");
    }

    #[test]
    fn limits_refuse_sweeps_that_would_run_for_days() {
        let default = SweepSpec::default();
        // 10,028 pairs and 2.9 GiB per manager and repeat.
        assert_eq!(
            SweepSpec {
                repeats: 1,
                ..default.clone()
            }
            .workload(),
            (3 * 10_028, 3 * 3_066_904 * 1024)
        );
        let most = SweepSpec {
            repeats: MAX_REPEATS,
            ..default.clone()
        };
        assert_eq!(most.validate(), Ok(()), "{:?}", most.workload());
        assert_eq!(most.measurements(), 17 * 3 * 1000);
        let bad = SweepSpec {
            repeats: u32::MAX,
            iterations: Iterations::Fixed(1),
            ..default.clone()
        };
        assert_eq!(
            bad.validate().unwrap_err().to_string(),
            "repeats must be at most 1000, got 4294967295"
        );
        let many_pairs = SweepSpec {
            repeats: 1000,
            iterations: Iterations::Fixed(100_000),
            sizes_kb: vec![1, 2, 4],
            ..default.clone()
        };
        assert_eq!(many_pairs.workload().0, 900_000_000);
        assert_eq!(many_pairs.validate(), Ok(()), "under the limits");
        let many_pairs = SweepSpec {
            repeats: 1000,
            iterations: Iterations::Fixed(100_000),
            sizes_kb: vec![1; 17],
            ..default.clone()
        };
        let err = many_pairs.validate().unwrap_err();
        assert_eq!(
            err,
            BenchError::SweepTooLarge {
                pairs: 5_100_000_000,
                bytes: 5_100_000_000 * 1024,
                max_pairs: MAX_SWEEP_PAIRS,
                max_bytes: MAX_SWEEP_BYTES
            }
        );
        assert!(
            err.to_string().starts_with(
                "the sweep would do 5100000000 alloc/free pairs allocating 4863 GiB in all; \
                 the limits are 4000000000 pairs and 16384 GiB"
            ),
            "{err}"
        );
        let many_bytes = SweepSpec {
            iterations: Iterations::Fixed(100_000),
            ..default
        };
        assert!(matches!(
            many_bytes.validate(),
            Err(BenchError::SweepTooLarge { bytes, .. }) if bytes > MAX_SWEEP_BYTES
        ));
    }

    #[test]
    fn cancel_inside_one_long_measurement_and_the_warm_up() {
        let d = Box::new(Dispatcher::with_heap_max(8 << 20));
        // 64 MB touched: milliseconds per pair, a minute per measurement.
        let spec = SweepSpec {
            managers: vec![ManagerKind::Default],
            sizes_kb: vec![65536],
            repeats: 1,
            iterations: Iterations::Fixed(1000),
            touch: true,
        };
        // Times of this thread's CPU, the work done (the wall clock also
        // counts whatever else the machine runs).
        for after in [Duration::from_millis(50), Duration::from_secs(1)] {
            let t = thread_cpu_time();
            let rep = run_sweep_on(&d, &spec, &|_, _| thread_cpu_time() - t < after).unwrap();
            assert!(rep.cancelled && rep.rows.is_empty());
            let late = thread_cpu_time() - t - after;
            assert!(late < Duration::from_millis(500), "stopped {late:?} late");
        }
        assert_eq!(d.snapshot().total_live_blocks(), 0);
    }

    #[test]
    fn a_stop_is_not_lost_between_short_measurements() {
        // 50 sizes of 3000 one-pair measurements: the callback answers "stop"
        // once, at the first call after 30 ms that is not the one at the end
        // of a size (so usually a measurement's final call, whose answer
        // `run_on` does not act on), and "go on" after.
        let d = Box::new(Dispatcher::with_heap_max(64 << 20));
        let spec = SweepSpec {
            sizes_kb: vec![4096; 50],
            repeats: 1000,
            iterations: Iterations::Fixed(1),
            touch: true,
            ..SweepSpec::default()
        };
        // Times of this thread's CPU, the work done (the wall clock also
        // counts whatever else the machine runs).
        let t = thread_cpu_time();
        let asked_to_stop = Cell::new(None);
        let rep = run_sweep_on(&d, &spec, &|done, _| {
            if asked_to_stop.get().is_some()
                || thread_cpu_time() - t < Duration::from_millis(30)
                || done % 3000 == 0
            {
                return true;
            }
            asked_to_stop.set(Some(thread_cpu_time()));
            false
        })
        .unwrap();
        assert!(rep.cancelled, "ran to the end");
        assert!(rep.rows.len() < 3 * 50, "{} rows", rep.rows.len());
        let late = thread_cpu_time() - asked_to_stop.get().expect("asked");
        assert!(
            late < Duration::from_millis(200),
            "stopped {late:?} after the stop"
        );
    }
}
