//! The GetMem/FreeMem benchmark: time `iterations` alloc/free pairs of one
//! block size with one manager, optionally touching every page.
//!
//! Routing: each pair goes through the dispatcher with an *explicit* manager
//! ([`Dispatcher::alloc_free_pairs`]) instead of switching the process-wide
//! active manager: other threads (the UI) are not moved to the benchmarked
//! manager during the run, and it works whether or not the dispatcher is
//! installed as `#[global_allocator]`.
//!
//! # What the figure includes
//! The manager's alloc and free, and one clock read per batch of pairs
//! (batches last about [`CLOCK_INTERVAL`], so that is far below 0.1 %). Not
//! what every allocation of the program pays on top (the owner looked up
//! from the address, the counters written per pair: 1 to 2 ns,
//! `benches/dispatch_overhead.rs`): the loop knows the owner and counts
//! once per batch. A
//! manager's one-off set-up in the process is done before timing
//! (`set_up`). Everything else is the allocator in the state the calling
//! process left it, which is why `memlab bench --in-process --size-kb 4`
//! read about 30 ns with glibc where a bare loop in a fresh program reads
//! about 17 ns, and why the form and `memlab bench` measure in a fresh
//! process ([`super::isolated`], calibrated samples by [`super::measure`]):
//!
//! Why 4 KB costs more here than in a fresh program: glibc serves a 4 KB
//! block (above its 1032-byte tcache) from its bins. In a fresh process the
//! block is cut from the top of the heap and merged back into it on free. In
//! a process that has been running (memlab has parsed its arguments, set up
//! its state and freed some of it) there are free chunks below the top: the
//! block is carved from one of them and coalesced with its free neighbour on
//! free, two `unlink_chunk` calls per pair and about twice the instructions in
//! `_int_malloc` (callgrind: 207 against 111 per call). A bare loop over glibc
//! inside memlab's own process measures the same (29.5 ns against 30.5 ns);
//! `cargo bench --bench book_table` prints such a loop next to every row. The
//! sweep shows it by size: 2 KB to 16 KB fit the holes and cost about 30 ns,
//! 32 KB and more do not and cost about 19 ns. That is glibc's real cost in a
//! heap that has been used. mimalloc's free lists per size class do not
//! depend on that history.

use std::alloc::{GlobalAlloc, Layout};
use std::hint::black_box;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::sysinfo::{page_faults, page_size};
use super::{Dispatcher, ManagerKind, dispatcher};
use crate::error::{ErrorKind, HasKind};

/// Largest block size, in KB (64 MiB).
pub const MAX_SIZE_KB: u32 = 65536;
/// Iterations when not specified (the book's value).
pub const DEFAULT_ITERATIONS: u32 = 1000;
/// Alignment of the benchmarked blocks.
pub const BLOCK_ALIGN: usize = 16;
/// While a run goes on, the progress callback is called about this often
/// (measured in run time; a pair that takes longer delays it by that pair).
pub const PROGRESS_INTERVAL: Duration = Duration::from_millis(25);
/// The clock is read once per batch of pairs; batches grow until they last
/// about this long (so a 30 ns pair is timed with one clock read per ~66,000
/// pairs, and a run of the book's 1000 pairs with five).
pub const CLOCK_INTERVAL: Duration = Duration::from_millis(2);
/// A batch is at most this many times longer than the previous one, so that
/// a slow pair is noticed before a long batch of them is under way.
const BATCH_GROWTH: u32 = 8;

/// What to measure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BenchSpec {
    /// Manager under test.
    pub manager: ManagerKind,
    /// Block size in KB (1024 bytes), 1..=65536.
    pub size_kb: u32,
    /// Alloc/free pairs, at least 1.
    pub iterations: u32,
    /// Write one byte per page of each block (forces the pages to exist).
    pub touch: bool,
}

impl Default for BenchSpec {
    fn default() -> Self {
        Self::new(ManagerKind::Default, 4)
    }
}

impl BenchSpec {
    /// `size_kb` with the given manager, 1000 iterations, no touching.
    pub fn new(manager: ManagerKind, size_kb: u32) -> Self {
        Self {
            manager,
            size_kb,
            iterations: DEFAULT_ITERATIONS,
            touch: false,
        }
    }

    /// Check the ranges; the UI can call this to show the message early.
    pub fn validate(&self) -> Result<(), BenchError> {
        if !(1..=MAX_SIZE_KB).contains(&self.size_kb) {
            return Err(BenchError::SizeOutOfRange(self.size_kb));
        }
        if self.iterations == 0 {
            return Err(BenchError::ZeroIterations);
        }
        Ok(())
    }

    /// Block size in bytes.
    pub fn size_bytes(&self) -> usize {
        self.size_kb as usize * 1024
    }
}

/// Why a benchmark (or sweep) could not run.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BenchError {
    /// `size_kb` outside 1..=65536 (the value given).
    #[error("size must be 1 to {MAX_SIZE_KB} KB, got {0}")]
    SizeOutOfRange(u32),
    /// `iterations` was 0.
    #[error("iterations must be at least 1, got 0")]
    ZeroIterations,
    /// A measurement's samples outside
    /// [`MIN_SAMPLES`](super::measure::MIN_SAMPLES)..=[`MAX_SAMPLES`](super::measure::MAX_SAMPLES).
    #[error(
        "samples must be {min} to {max}, got {0}",
        min = super::measure::MIN_SAMPLES,
        max = super::measure::MAX_SAMPLES
    )]
    SamplesOutOfRange(u32),
    /// The manager (and, for the heap and mimalloc, the default manager they
    /// fall back to) returned null.
    #[error("{manager} could not allocate a block of {size_kb} KB")]
    AllocFailed {
        /// Manager asked.
        manager: ManagerKind,
        /// Block size.
        size_kb: u32,
    },
    /// A sweep without managers.
    #[error("choose at least one memory manager")]
    NoManagers,
    /// A sweep with 0 repeats.
    #[error("repeats must be at least 1, got 0")]
    ZeroRepeats,
    /// A sweep without sizes.
    #[error("choose at least one block size")]
    NoSizes,
    /// A sweep with more repeats than [`MAX_REPEATS`](super::sweep::MAX_REPEATS).
    #[error("repeats must be at most {max}, got {got}")]
    TooManyRepeats {
        /// Repeats asked for.
        got: u64,
        /// The limit.
        max: u32,
    },
    /// A sweep that would take hours or days: more alloc/free pairs than
    /// [`MAX_SWEEP_PAIRS`](super::sweep::MAX_SWEEP_PAIRS) or more bytes
    /// allocated than [`MAX_SWEEP_BYTES`](super::sweep::MAX_SWEEP_BYTES).
    #[error(
        "the sweep would do {pairs} alloc/free pairs allocating {} GiB in all; the limits are \
         {max_pairs} pairs and {} GiB (fewer repeats, fewer iterations or a smaller largest \
         size)",
        bytes / (1 << 30),
        max_bytes / (1 << 30)
    )]
    SweepTooLarge {
        /// Pairs the sweep would do.
        pairs: u64,
        /// Bytes it would allocate, summed over all pairs.
        bytes: u64,
        /// Limit on pairs.
        max_pairs: u64,
        /// Limit on bytes.
        max_bytes: u64,
    },
}

impl HasKind for BenchError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::AllocFailed { .. } => ErrorKind::NoSpace,
            Self::SizeOutOfRange(_)
            | Self::ZeroIterations
            | Self::SamplesOutOfRange(_)
            | Self::NoManagers
            | Self::ZeroRepeats
            | Self::NoSizes
            | Self::TooManyRepeats { .. }
            | Self::SweepTooLarge { .. } => ErrorKind::Usage,
        }
    }
}

/// What one run measured.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct BenchResult {
    /// Manager under test.
    pub manager: ManagerKind,
    /// Block size in KB.
    pub size_kb: u32,
    /// Pairs requested.
    pub iterations: u32,
    /// Pairs done (less than `iterations` when cancelled).
    pub iterations_done: u32,
    /// Pages touched?
    pub touch: bool,
    /// Wall time of the loop, milliseconds (time spent in the progress
    /// callback excluded).
    pub ms: f64,
    /// `ms` per pair, in nanoseconds.
    pub ns_per_pair: f64,
    /// Minor page faults during the loop (this thread on Linux; includes
    /// whatever the progress callback itself caused).
    pub minor_faults: Option<u64>,
    /// Major page faults during the loop.
    pub major_faults: Option<u64>,
    /// Heap-full fallbacks during the loop (heap manager only).
    pub heap_fallbacks: u64,
    /// mimalloc-arena-full fallbacks during the loop (mimalloc only).
    pub mimalloc_fallbacks: u64,
    /// The callback asked to stop.
    pub cancelled: bool,
}

/// Decides how many pairs run between two clock reads and when the progress
/// callback is due, from the run time measured so far.
///
/// Batches start at one pair (a pair may take milliseconds: 64 MB with
/// touching) and grow at most [`BATCH_GROWTH`]-fold per batch until one lasts
/// about [`CLOCK_INTERVAL`].
#[derive(Debug)]
struct Pacer {
    batch: u32,
    since_report: Duration,
}

impl Pacer {
    fn new() -> Self {
        Self {
            batch: 1,
            since_report: Duration::ZERO,
        }
    }

    /// Pairs to run before the next clock read.
    fn batch(&self, remaining: u32) -> u32 {
        self.batch.min(remaining)
    }

    /// `pairs` pairs took `took`; returns whether the progress callback is due.
    fn record(&mut self, pairs: u32, took: Duration) -> bool {
        self.since_report += took;
        let per_pair = took.as_secs_f64() / f64::from(pairs.max(1));
        let fits = if per_pair > 0.0 {
            CLOCK_INTERVAL.as_secs_f64() / per_pair
        } else {
            f64::INFINITY
        };
        let cap = self.batch.saturating_mul(BATCH_GROWTH);
        self.batch = (fits.min(f64::from(cap)) as u32).max(1);
        self.since_report >= PROGRESS_INTERVAL
    }

    /// The callback was called.
    fn reported(&mut self) {
        self.since_report = Duration::ZERO;
    }
}

/// One untimed 16-byte pair through `manager`, so that its one-off set-up in
/// this process (mimalloc's arena and heap: about 50 page faults and half a
/// millisecond; the private heap's reservation) is not timed as part of the
/// first run's pairs. What the benchmarked size itself costs the first time
/// (a new mimalloc page, fresh heap pages) is still measured.
fn set_up(d: &Dispatcher, manager: ManagerKind) {
    let tiny = Layout::new::<[u64; 2]>();
    // SAFETY: non-zero layout; freed right away through the same dispatcher.
    unsafe {
        let p = d.alloc_with(manager, tiny);
        if !p.is_null() {
            d.dealloc(black_box(p), tiny);
        }
    }
}

/// Run `spec` on the process-wide [`dispatcher()`].
///
/// `progress(done, total)` is called about every [`PROGRESS_INTERVAL`] of run
/// time and once at the end; return `false` to cancel (the result then has
/// `cancelled` set, and no call follows). Time spent in the callback is not
/// counted in `ms`.
pub fn run(
    spec: &BenchSpec,
    progress: &dyn Fn(u32, u32) -> bool,
) -> Result<BenchResult, BenchError> {
    run_on(dispatcher(), spec, progress)
}

/// [`run`] on a given dispatcher (tests use private instances).
pub fn run_on(
    d: &Dispatcher,
    spec: &BenchSpec,
    progress: &dyn Fn(u32, u32) -> bool,
) -> Result<BenchResult, BenchError> {
    spec.validate()?;
    let layout = Layout::from_size_align(spec.size_bytes(), BLOCK_ALIGN)
        .map_err(|_| BenchError::SizeOutOfRange(spec.size_kb))?;
    let page = page_size();
    let total = spec.iterations;
    let mut done = 0;
    let mut cancelled = false;
    let mut pacer = Pacer::new();
    set_up(d, spec.manager);
    let fallbacks0 = (d.heap_fallbacks(), d.mimalloc_fallbacks());
    let faults0 = page_faults();
    // The clock runs only between progress callbacks: a slow callback (UI
    // repaint, logging) must not show up as allocator time.
    let mut elapsed = Duration::ZERO;
    let mut last_read = Instant::now();
    while done < total {
        let n = pacer.batch(total - done);
        let size = layout.size();
        let touch_pages = |p: *mut u8| {
            let p = black_box(p);
            let mut off = 0;
            while off < size {
                // SAFETY: off < size, inside the block the loop holds.
                unsafe { p.add(off).write_volatile(1) };
                off += page;
            }
        };
        let look = |p: *mut u8| {
            black_box(p);
        };
        // SAFETY: non-zero layout; neither closure frees or keeps the block.
        let did = unsafe {
            if spec.touch {
                d.alloc_free_pairs(spec.manager, layout, n, touch_pages)
            } else {
                d.alloc_free_pairs(spec.manager, layout, n, look)
            }
        };
        if did < n {
            return Err(BenchError::AllocFailed {
                manager: spec.manager,
                size_kb: spec.size_kb,
            });
        }
        done += n;
        let now = Instant::now();
        let took = now - last_read;
        last_read = now;
        elapsed += took;
        if pacer.record(n, took) && done < total {
            pacer.reported();
            if !progress(done, total) {
                cancelled = true;
                break;
            }
            last_read = Instant::now();
        }
    }
    let faults1 = page_faults();
    if !cancelled {
        progress(done, total);
    }
    let ms = elapsed.as_secs_f64() * 1e3;
    let (minor, major) = match (faults0, faults1) {
        (Some(a), Some(b)) => (Some(b.0.saturating_sub(a.0)), Some(b.1.saturating_sub(a.1))),
        _ => (None, None),
    };
    Ok(BenchResult {
        manager: spec.manager,
        size_kb: spec.size_kb,
        iterations: total,
        iterations_done: done,
        touch: spec.touch,
        ms,
        ns_per_pair: if done == 0 {
            0.0
        } else {
            ms * 1e6 / f64::from(done)
        },
        minor_faults: minor,
        major_faults: major,
        heap_fallbacks: d.heap_fallbacks() - fallbacks0.0,
        mimalloc_fallbacks: d.mimalloc_fallbacks() - fallbacks0.1,
        cancelled,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::os::clock::thread_cpu_time;
    use std::cell::Cell;

    fn quiet(_: u32, _: u32) -> bool {
        true
    }

    /// Pairs of 64 MB, touched: glibc maps and unmaps each block, so every
    /// pair takes milliseconds (16,384 page faults) and a few dozen of them
    /// last several progress intervals.
    fn slow_spec(iterations: u32) -> BenchSpec {
        BenchSpec {
            iterations,
            touch: true,
            ..BenchSpec::new(ManagerKind::Default, 65536)
        }
    }

    #[test]
    fn slow_progress_callback_is_not_timed() {
        let d = Box::new(Dispatcher::with_heap_max(1 << 20));
        let calls = Cell::new(0u32);
        let t = Instant::now();
        let r = run_on(&d, &slow_spec(12), &|_, _| {
            calls.set(calls.get() + 1);
            std::thread::sleep(Duration::from_millis(30));
            true
        })
        .unwrap();
        let wall = t.elapsed().as_secs_f64() * 1e3;
        let slept = f64::from(calls.get()) * 30.0;
        assert!(calls.get() >= 3, "{} calls in {wall} ms", calls.get());
        assert!(
            r.ms <= wall - slept + 5.0,
            "{} callbacks x 30 ms leaked into the timing: {} ms of {wall} ms",
            calls.get(),
            r.ms
        );
    }

    #[test]
    fn progress_is_called_by_run_time_and_at_the_end() {
        let d = Box::new(Dispatcher::with_heap_max(1 << 20));
        let stamps = std::cell::RefCell::new(Vec::new());
        let spec = slow_spec(20);
        let r = run_on(&d, &spec, &|done, total| {
            assert_eq!(total, 20);
            stamps
                .borrow_mut()
                .push((Instant::now(), thread_cpu_time(), done));
            true
        })
        .unwrap();
        let stamps = stamps.into_inner();
        assert_eq!(stamps.last().map(|s| s.2), Some(20), "last call at the end");
        assert!(stamps.len() >= 3, "{} calls in {} ms", stamps.len(), r.ms);
        // Between calls at least PROGRESS_INTERVAL of run time passed, so at
        // least that much wall time (the final call aside); and not much
        // more of the work (this thread's CPU time: the wall clock also
        // counts whatever else the machine runs).
        let mid = &stamps[..stamps.len() - 1];
        for w in mid.windows(2) {
            let gap = w[1].0 - w[0].0;
            assert!(gap >= PROGRESS_INTERVAL, "calls {gap:?} apart");
            let work = w[1].1 - w[0].1;
            assert!(
                work < Duration::from_millis(500),
                "calls {work:?} of CPU apart"
            );
            assert!(w[1].2 > w[0].2, "done grows");
        }
    }

    #[test]
    fn short_runs_read_the_clock_a_few_times_and_long_runs_rarely() {
        // The pacer alone, fed with a simulated time per pair.
        let simulate = |total: u32, per_pair: Duration| {
            let mut pacer = Pacer::new();
            let (mut done, mut reads, mut reports, mut since) = (0, 0, 0, Duration::ZERO);
            let mut longest = Duration::ZERO;
            while done < total {
                let n = pacer.batch(total - done);
                done += n;
                reads += 1;
                since += per_pair * n;
                if pacer.record(n, per_pair * n) && done < total {
                    pacer.reported();
                    reports += 1;
                    longest = longest.max(since);
                    since = Duration::ZERO;
                }
            }
            (reads, reports, longest)
        };
        // The book's run: 1000 pairs of 30 ns.
        let (reads, reports, _) = simulate(1000, Duration::from_nanos(30));
        assert!(reads <= 5, "{reads} clock reads for 1000 pairs");
        assert_eq!(reports, 0, "30 us need no progress report");
        // 100 M pairs of 30 ns (3 s): a clock read per ~2 ms, a report per ~25 ms.
        let (reads, reports, longest) = simulate(100_000_000, Duration::from_nanos(30));
        assert!((1500..=1600).contains(&reads), "{reads} clock reads");
        assert!((110..=125).contains(&reports), "{reports} reports");
        assert!(longest < Duration::from_millis(30), "{longest:?}");
        // Slow pairs (64 MB touched, ~15 ms): one per batch, a report every 2.
        let (reads, reports, longest) = simulate(100, Duration::from_millis(15));
        assert_eq!(reads, 100);
        assert!(reports >= 45, "{reports} reports");
        assert_eq!(longest, Duration::from_millis(30));
    }

    #[test]
    fn cancel_is_noticed_within_a_progress_interval() {
        let d = Box::new(Dispatcher::with_heap_max(1 << 20));
        let spec = BenchSpec {
            iterations: u32::MAX,
            ..BenchSpec::new(ManagerKind::Default, 1)
        };
        // Bounded in this thread's CPU time, the work done (the wall clock
        // also counts whatever else the machine runs).
        let t = thread_cpu_time();
        let calls = Cell::new(0);
        let r = run_on(&d, &spec, &|done, _| {
            calls.set(calls.get() + 1);
            done < 1000
        })
        .unwrap();
        assert!(r.cancelled);
        assert_eq!(calls.get(), 1, "no call after the cancelling one");
        assert!(r.iterations_done > 1000 && r.iterations_done < u32::MAX);
        let work = thread_cpu_time() - t;
        assert!(work < Duration::from_secs(1), "{work:?} of CPU");
        // Also when one pair takes milliseconds.
        let t = thread_cpu_time();
        let r = run_on(&d, &slow_spec(u32::MAX), &|_, _| false).unwrap();
        assert!(r.cancelled && r.iterations_done >= 1);
        let work = thread_cpu_time() - t;
        assert!(work < Duration::from_secs(1), "{work:?} of CPU");
    }

    #[test]
    fn validation_messages() {
        let mut s = BenchSpec::new(ManagerKind::Default, 0);
        assert_eq!(s.validate(), Err(BenchError::SizeOutOfRange(0)));
        assert_eq!(
            run(&s, &quiet).unwrap_err().to_string(),
            "size must be 1 to 65536 KB, got 0"
        );
        s.size_kb = 65537;
        assert_eq!(
            s.validate().unwrap_err().to_string(),
            "size must be 1 to 65536 KB, got 65537"
        );
        s.size_kb = 65536;
        s.iterations = 0;
        assert_eq!(s.validate(), Err(BenchError::ZeroIterations));
        assert_eq!(
            BenchError::ZeroIterations.to_string(),
            "iterations must be at least 1, got 0"
        );
        s.iterations = 1;
        assert_eq!(s.validate(), Ok(()));
        assert_eq!(BenchSpec::default().iterations, 1000);
    }

    /// Best of a few runs: robust against a busy 2-core machine.
    fn best_ms(d: &Dispatcher, iterations: u32) -> f64 {
        let spec = BenchSpec {
            iterations,
            ..BenchSpec::new(ManagerKind::Default, 64)
        };
        (0..5)
            .map(|_| run_on(d, &spec, &quiet).unwrap().ms)
            .fold(f64::INFINITY, f64::min)
    }

    #[test]
    fn loop_is_not_optimised_away() {
        let d = Box::new(Dispatcher::with_heap_max(1 << 20));
        let small = best_ms(&d, 200);
        let big = best_ms(&d, 20_000);
        assert!(
            big > 5.0 * small,
            "20000 pairs: {big} ms, 200 pairs: {small} ms"
        );
        let s = d.snapshot().default;
        assert_eq!(
            s.total_allocations,
            5 * 20_200 + 10,
            "every pair really allocated (and one set-up pair per run)"
        );
        assert_eq!(s.live_blocks, 0);
    }

    #[test]
    fn every_manager_runs_touches_and_reports() {
        let d = Box::new(Dispatcher::with_heap_max(64 << 20));
        for m in ManagerKind::ALL {
            let spec = BenchSpec {
                iterations: 50,
                touch: true,
                ..BenchSpec::new(m, 256)
            };
            let last = Cell::new((0, 0));
            let r = run_on(&d, &spec, &|done, total| {
                assert!(done <= total && total == 50);
                last.set((done, total));
                true
            })
            .unwrap();
            assert_eq!(
                (r.iterations_done, r.cancelled, r.heap_fallbacks),
                (50, false, 0)
            );
            assert_eq!(r.mimalloc_fallbacks, 0);
            assert_eq!(last.get(), (50, 50), "called at the end");
            assert!(r.ms > 0.0 && r.ns_per_pair > 0.0);
            #[cfg(unix)]
            assert!(r.minor_faults.is_some());
            assert_eq!(
                d.snapshot().get(m).total_allocations,
                51,
                "50 pairs and the set-up pair"
            );
            let json = serde_json::to_value(r).unwrap();
            assert_eq!(json["manager"], m.name());
            assert_eq!(json["size_kb"], 256);
        }
        assert_eq!(d.snapshot().total_live_blocks(), 0);
    }

    #[test]
    fn heap_and_mimalloc_fallbacks_are_reported() {
        let d = Box::new(Dispatcher::with_sizes(1 << 20, 32 << 20));
        // 4 MiB blocks never fit a 1 MiB heap: every pair falls back.
        let spec = BenchSpec {
            iterations: 3,
            ..BenchSpec::new(ManagerKind::Heap, 4096)
        };
        let r = run_on(&d, &spec, &quiet).unwrap();
        assert_eq!((r.heap_fallbacks, r.mimalloc_fallbacks), (3, 0));
        // 64 MiB blocks never fit a 32 MiB mimalloc arena.
        let spec = BenchSpec {
            iterations: 3,
            ..BenchSpec::new(ManagerKind::Mimalloc, 65536)
        };
        let r = run_on(&d, &spec, &quiet).unwrap();
        assert_eq!((r.heap_fallbacks, r.mimalloc_fallbacks), (0, 3));
        assert_eq!(d.snapshot().total_live_blocks(), 0);
        assert_eq!(d.snapshot().get(ManagerKind::Default).total_allocations, 6);
    }
}
