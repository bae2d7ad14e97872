//! The benchmark as a measuring instrument (issue 18), the way criterion,
//! hyperfine and Google Benchmark measure: an untimed warm-up that also
//! calibrates, then at least [`MIN_SAMPLES`] samples of
//! `pairs_per_sample` alloc/free pairs each, every sample lasting about
//! [`SAMPLE_TIME`]; the result is the median with its spread (min-max,
//! quartiles) and the samples outside Tukey's fences (1.5 IQR) counted.
//!
//! Why: the book's case, 1000 pairs of 4 KB, lasts about 0.03 ms, far
//! below the noise of a shared machine (a timer tick, another process
//! scheduled): one such run can read 24 or 35 ns per pair. A 50 ms sample
//! averages that noise away, and ten of them show how much is left.
//!
//! Each sample is one [`bench::run_on`] (the same loop, dispatcher and
//! page-fault counting as before); [`super::isolated`] runs this in a fresh
//! child process so that no earlier use of the heap biases it.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::bench::{BenchError, BenchResult, BenchSpec, run_on};
use super::{Dispatcher, ManagerKind, dispatcher};

/// Fewest samples a measurement takes (and the default).
pub const MIN_SAMPLES: u32 = 10;
/// Most samples a measurement takes.
pub const MAX_SAMPLES: u32 = 1000;
/// How long one sample lasts, about: the pair count is calibrated to it
/// (a pair that alone lasts longer makes a sample of one pair).
pub const SAMPLE_TIME: Duration = Duration::from_millis(50);
/// The warm-up lasts at least this long (untimed: it only calibrates).
pub const WARM_UP_TIME: Duration = Duration::from_millis(100);
/// A calibration batch grows at most this many times per step, so that a
/// slow pair (64 MB touched) is noticed before many of them are under way.
const CALIBRATION_GROWTH: u64 = 16;
/// A calibration batch this long (ms) or longer is timed well enough to
/// set the pace.
const TIMED_BATCH_MS: f64 = 5.0;
/// Tukey's fences: a sample further than this many interquartile ranges
/// below the first or above the third quartile is an outlier.
pub const TUKEY_K: f64 = 1.5;

/// What to measure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeasureSpec {
    /// Manager under test.
    pub manager: ManagerKind,
    /// Block size in KB (1024 bytes), 1..=65536.
    pub size_kb: u32,
    /// Write one byte per page of each block.
    pub touch: bool,
    /// Samples, [`MIN_SAMPLES`]..=[`MAX_SAMPLES`].
    pub samples: u32,
}

impl MeasureSpec {
    /// `size_kb` with `manager`, untouched, [`MIN_SAMPLES`] samples.
    pub fn new(manager: ManagerKind, size_kb: u32) -> Self {
        Self {
            manager,
            size_kb,
            touch: false,
            samples: MIN_SAMPLES,
        }
    }

    /// Check the ranges (the size as [`BenchSpec::validate`] does).
    pub fn validate(&self) -> Result<(), BenchError> {
        self.bench(1).validate()?;
        if !(MIN_SAMPLES..=MAX_SAMPLES).contains(&self.samples) {
            return Err(BenchError::SamplesOutOfRange(self.samples));
        }
        Ok(())
    }

    /// One run of `pairs` pairs of this spec.
    fn bench(&self, pairs: u32) -> BenchSpec {
        BenchSpec {
            manager: self.manager,
            size_kb: self.size_kb,
            iterations: pairs,
            touch: self.touch,
        }
    }
}

/// Where a measurement is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "phase", rename_all = "snake_case")]
pub enum Phase {
    /// The untimed warm-up and calibration.
    WarmUp,
    /// `done` of `total` samples are measured.
    Sample {
        /// Samples done.
        done: u32,
        /// Samples in all.
        total: u32,
    },
}

/// The spread of the samples, ns per pair.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    /// Median.
    pub median: f64,
    /// Fastest sample.
    pub min: f64,
    /// Slowest sample.
    pub max: f64,
    /// First quartile (linear interpolation between the closest ranks).
    pub q1: f64,
    /// Third quartile.
    pub q3: f64,
    /// Samples outside Tukey's fences (`q1 - 1.5 IQR`, `q3 + 1.5 IQR`).
    pub outliers: u32,
}

impl Spread {
    /// The spread of `values` (at least one).
    pub fn of(values: &[f64]) -> Self {
        let mut v = values.to_vec();
        v.sort_by(f64::total_cmp);
        let (q1, q3) = (quantile(&v, 0.25), quantile(&v, 0.75));
        let iqr = q3 - q1;
        let (low, high) = (q1 - TUKEY_K * iqr, q3 + TUKEY_K * iqr);
        Self {
            median: quantile(&v, 0.5),
            min: v.first().copied().unwrap_or(0.0),
            max: v.last().copied().unwrap_or(0.0),
            q1,
            q3,
            outliers: v.iter().filter(|&&x| x < low || x > high).count() as u32,
        }
    }

    /// Half the interquartile range as a fraction of the median (0.02 = ±2 %).
    pub fn relative_iqr(&self) -> f64 {
        if self.median > 0.0 {
            (self.q3 - self.q1) / 2.0 / self.median
        } else {
            0.0
        }
    }
}

/// The `q` quantile of sorted `v` (R's type 7, as numpy's default).
fn quantile(v: &[f64], q: f64) -> f64 {
    match v.len() {
        0 => 0.0,
        n => {
            let h = (n - 1) as f64 * q;
            let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
            v[lo] + (h - lo as f64) * (v[hi] - v[lo])
        }
    }
}

/// What one measurement found. The field names of `memlab bench --json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Measurement {
    /// Manager under test.
    pub manager: ManagerKind,
    /// Block size in KB.
    pub size_kb: u32,
    /// Pages touched?
    pub touch: bool,
    /// Pairs of the untimed warm-up (which also calibrated `pairs_per_sample`).
    pub warm_up_pairs: u64,
    /// How long the warm-up ran, ms.
    pub warm_up_ms: f64,
    /// Pairs in each sample, chosen by calibration so that a sample lasts
    /// about [`SAMPLE_TIME`] (at least one pair).
    pub pairs_per_sample: u32,
    /// Samples measured.
    pub samples: u32,
    /// Median of the samples, ns per pair.
    pub median_ns_per_pair: f64,
    /// Fastest sample, ns per pair.
    pub min_ns_per_pair: f64,
    /// Slowest sample, ns per pair.
    pub max_ns_per_pair: f64,
    /// First quartile of the samples, ns per pair.
    pub q1_ns_per_pair: f64,
    /// Third quartile of the samples, ns per pair.
    pub q3_ns_per_pair: f64,
    /// Samples outside Tukey's fences (1.5 IQR beyond the quartiles).
    pub outliers: u32,
    /// The book's caption: 1000 pairs at the median, in ms.
    pub ms_per_1000_pairs: f64,
    /// Every sample, ns per pair, in the order measured.
    pub sample_ns_per_pair: Vec<f64>,
    /// Minor page faults over all samples (none where the OS does not say).
    pub minor_faults: Option<u64>,
    /// Major page faults over all samples.
    pub major_faults: Option<u64>,
    /// Heap-full fallbacks over all samples (heap manager only).
    pub heap_fallbacks: u64,
    /// mimalloc-arena-full fallbacks over all samples (mimalloc only).
    pub mimalloc_fallbacks: u64,
    /// Measured in a fresh child process ([`super::isolated`]).
    #[serde(default)]
    pub isolated: bool,
}

impl Measurement {
    /// The spread of the samples.
    pub fn spread(&self) -> Spread {
        Spread {
            median: self.median_ns_per_pair,
            min: self.min_ns_per_pair,
            max: self.max_ns_per_pair,
            q1: self.q1_ns_per_pair,
            q3: self.q3_ns_per_pair,
            outliers: self.outliers,
        }
    }

    /// Pairs timed in all.
    pub fn pairs(&self) -> u64 {
        u64::from(self.pairs_per_sample) * u64::from(self.samples)
    }
}

/// Measure `spec` on the process-wide [`dispatcher()`]; `Ok(None)` when
/// `progress` returned `false` (cancelled). `progress` is called at the
/// start of the warm-up, before each sample and about every 25 ms of run
/// time inside both.
pub fn measure(
    spec: &MeasureSpec,
    progress: &dyn Fn(Phase) -> bool,
) -> Result<Option<Measurement>, BenchError> {
    measure_on(dispatcher(), spec, progress)
}

/// [`measure`] on a given dispatcher (tests use private instances).
pub fn measure_on(
    d: &Dispatcher,
    spec: &MeasureSpec,
    progress: &dyn Fn(Phase) -> bool,
) -> Result<Option<Measurement>, BenchError> {
    spec.validate()?;
    let Some((warm_up_pairs, warm_up_ms, pairs_per_sample)) = calibrate(d, spec, progress)? else {
        return Ok(None);
    };
    let total = spec.samples;
    let mut runs: Vec<BenchResult> = Vec::with_capacity(total as usize);
    for done in 0..total {
        let phase = Phase::Sample { done, total };
        if !progress(phase) {
            return Ok(None);
        }
        let r = run_on(d, &spec.bench(pairs_per_sample), &|_, _| progress(phase))?;
        if r.cancelled {
            return Ok(None);
        }
        runs.push(r);
    }
    progress(Phase::Sample { done: total, total });
    let ns: Vec<f64> = runs.iter().map(|r| r.ns_per_pair).collect();
    let spread = Spread::of(&ns);
    let sum = |f: fn(&BenchResult) -> Option<u64>| runs.iter().map(f).sum::<Option<u64>>();
    Ok(Some(Measurement {
        manager: spec.manager,
        size_kb: spec.size_kb,
        touch: spec.touch,
        warm_up_pairs,
        warm_up_ms,
        pairs_per_sample,
        samples: total,
        median_ns_per_pair: spread.median,
        min_ns_per_pair: spread.min,
        max_ns_per_pair: spread.max,
        q1_ns_per_pair: spread.q1,
        q3_ns_per_pair: spread.q3,
        outliers: spread.outliers,
        ms_per_1000_pairs: spread.median * 1000.0 / 1e6,
        sample_ns_per_pair: ns,
        minor_faults: sum(|r| r.minor_faults),
        major_faults: sum(|r| r.major_faults),
        heap_fallbacks: runs.iter().map(|r| r.heap_fallbacks).sum(),
        mimalloc_fallbacks: runs.iter().map(|r| r.mimalloc_fallbacks).sum(),
        isolated: false,
    }))
}

/// The warm-up: batches of 1, then more pairs (at most [`CALIBRATION_GROWTH`]
/// times the last), until one batch lasts at least half a sample and the
/// warm-up at least [`WARM_UP_TIME`]. Returns the pairs and ms it ran and
/// the pairs per sample the last batch's pace gives, or `None` if cancelled.
fn calibrate(
    d: &Dispatcher,
    spec: &MeasureSpec,
    progress: &dyn Fn(Phase) -> bool,
) -> Result<Option<(u64, f64, u32)>, BenchError> {
    let sample_ns = SAMPLE_TIME.as_secs_f64() * 1e9;
    let mut pairs: u64 = 1;
    let mut warm_pairs = 0u64;
    let mut warm_ms = 0.0;
    // The fastest pace of a batch long enough to be timed: a batch that
    // another process interrupted reads slower, and would make the
    // samples shorter than SAMPLE_TIME.
    let mut fastest = f64::INFINITY;
    if !progress(Phase::WarmUp) {
        return Ok(None);
    }
    loop {
        let n = u32::try_from(pairs).unwrap_or(u32::MAX);
        let r = run_on(d, &spec.bench(n), &|_, _| progress(Phase::WarmUp))?;
        if r.cancelled {
            return Ok(None);
        }
        warm_pairs += u64::from(n);
        warm_ms += r.ms;
        let long_enough = r.ms * 1e6 >= sample_ns / 2.0;
        if r.ms >= TIMED_BATCH_MS || long_enough {
            fastest = fastest.min(r.ns_per_pair.max(0.1));
        }
        let pace = if fastest.is_finite() {
            fastest
        } else {
            r.ns_per_pair.max(0.1)
        };
        let per_sample = (sample_ns / pace).ceil().clamp(1.0, f64::from(u32::MAX)) as u32;
        if long_enough && warm_ms >= WARM_UP_TIME.as_secs_f64() * 1e3 {
            return Ok(Some((warm_pairs, warm_ms, per_sample)));
        }
        pairs = u64::from(per_sample)
            .min(pairs.saturating_mul(CALIBRATION_GROWTH))
            .max(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_quartiles_and_tukey_outliers() {
        let s = Spread::of(&[10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0, 17.0, 18.0, 100.0]);
        assert_eq!((s.min, s.max), (10.0, 100.0));
        assert_eq!(s.median, 14.5);
        assert_eq!((s.q1, s.q3), (12.25, 16.75));
        assert_eq!(s.outliers, 1, "100 is beyond 16.75 + 1.5 x 4.5");
        let flat = Spread::of(&[5.0; 10]);
        assert_eq!((flat.median, flat.outliers), (5.0, 0));
        assert_eq!(flat.relative_iqr(), 0.0);
    }

    #[test]
    fn samples_are_calibrated_and_counted() {
        let d = Box::new(Dispatcher::with_heap_max(64 << 20));
        let phases = std::cell::RefCell::new(Vec::new());
        let m = measure_on(&d, &MeasureSpec::new(ManagerKind::Heap, 4), &|p| {
            phases.borrow_mut().push(p);
            true
        })
        .unwrap()
        .expect("not cancelled");
        assert_eq!(m.samples, MIN_SAMPLES);
        assert_eq!(m.sample_ns_per_pair.len(), MIN_SAMPLES as usize);
        assert!(m.min_ns_per_pair <= m.q1_ns_per_pair);
        assert!(m.q1_ns_per_pair <= m.median_ns_per_pair);
        assert!(m.median_ns_per_pair <= m.q3_ns_per_pair);
        assert!(m.q3_ns_per_pair <= m.max_ns_per_pair);
        assert!(
            m.pairs_per_sample > 1000,
            "{} pairs of 4 KB",
            m.pairs_per_sample
        );
        assert!(m.warm_up_pairs >= 1);
        assert_eq!(
            m.ms_per_1000_pairs,
            m.median_ns_per_pair * 1000.0 / 1e6,
            "the book's caption is the median's"
        );
        // Every pair timed really allocated (plus the set-up pair per run).
        let runs = 1 + u64::from(MIN_SAMPLES);
        let allocations = d.snapshot().heap.total_allocations;
        assert!(allocations >= m.pairs() + m.warm_up_pairs + runs);
        let phases = phases.into_inner();
        assert_eq!(
            phases.first(),
            Some(&Phase::WarmUp),
            "the warm-up comes first"
        );
        assert_eq!(
            phases.last(),
            Some(&Phase::Sample {
                done: MIN_SAMPLES,
                total: MIN_SAMPLES
            })
        );
    }

    #[test]
    fn cancel_in_the_warm_up_or_a_sample() {
        let d = Box::new(Dispatcher::with_heap_max(1 << 20));
        let spec = MeasureSpec::new(ManagerKind::Default, 1);
        assert_eq!(measure_on(&d, &spec, &|_| false).unwrap(), None);
        let m = measure_on(&d, &spec, &|p| p == Phase::WarmUp).unwrap();
        assert_eq!(m, None);
    }

    #[test]
    fn bad_specs_are_refused() {
        let mut spec = MeasureSpec::new(ManagerKind::Default, 0);
        assert_eq!(spec.validate(), Err(BenchError::SizeOutOfRange(0)));
        spec.size_kb = 4;
        spec.samples = 9;
        assert_eq!(spec.validate(), Err(BenchError::SamplesOutOfRange(9)));
        spec.samples = MAX_SAMPLES + 1;
        assert!(measure(&spec, &|_| true).is_err());
    }
}
