//! The GetMem/FreeMem benchmark: time `iterations` alloc/free pairs of one
//! block size with one manager, optionally touching every page.
//!
//! Routing: each pair goes through the dispatcher with an *explicit* manager
//! ([`Dispatcher::alloc_with`] + `dealloc`) instead of switching the
//! process-wide active manager. Same code path as `GetMem`/`FreeMem` through
//! the global allocator (dispatch + manager), but other threads (the UI) are
//! not moved to the benchmarked manager during the run, and it works whether
//! or not the dispatcher is installed as `#[global_allocator]`.

use std::alloc::{GlobalAlloc, Layout};
use std::fmt;
use std::hint::black_box;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::sysinfo::{page_faults, page_size};
use super::{Dispatcher, ManagerKind, dispatcher};

/// Largest block size, in KB (64 MiB).
pub const MAX_SIZE_KB: u32 = 65536;
/// Iterations when not specified (the book's value).
pub const DEFAULT_ITERATIONS: u32 = 1000;
/// Alignment of the benchmarked blocks.
pub const BLOCK_ALIGN: usize = 16;

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
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BenchError {
    /// `size_kb` outside 1..=65536.
    SizeOutOfRange(u32),
    /// `iterations` was 0.
    ZeroIterations,
    /// The manager (and, for the heap, its fallback) returned null.
    AllocFailed {
        /// Manager asked.
        manager: ManagerKind,
        /// Block size.
        size_kb: u32,
    },
    /// A sweep without managers.
    NoManagers,
    /// A sweep with 0 repeats.
    ZeroRepeats,
    /// A sweep without sizes.
    NoSizes,
}

impl fmt::Display for BenchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SizeOutOfRange(got) => {
                write!(f, "size must be 1 to {MAX_SIZE_KB} KB, got {got}")
            }
            Self::ZeroIterations => f.write_str("iterations must be at least 1, got 0"),
            Self::AllocFailed { manager, size_kb } => {
                write!(f, "{manager} could not allocate a block of {size_kb} KB")
            }
            Self::NoManagers => f.write_str("choose at least one memory manager"),
            Self::ZeroRepeats => f.write_str("repeats must be at least 1, got 0"),
            Self::NoSizes => f.write_str("choose at least one block size"),
        }
    }
}

impl std::error::Error for BenchError {}

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
    /// Wall time of the loop, milliseconds.
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
    /// The callback asked to stop.
    pub cancelled: bool,
}

/// Progress is reported about this many times per run (plus at the end).
const PROGRESS_STEPS: u32 = 100;
/// ...and at least every this many bytes of blocks, so that Cancel of a run
/// of large blocks answers within a few pairs, not hundreds.
const PROGRESS_BYTES: usize = 256 << 20;

/// Run `spec` on the process-wide [`dispatcher()`].
///
/// `progress(done, total)` is called about 100 times and at the end; return
/// `false` to cancel (the result then has `cancelled` set). Time spent in the
/// callback is not counted in `ms`.
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
    let step = (total / PROGRESS_STEPS)
        .min((PROGRESS_BYTES / layout.size()) as u32)
        .max(1);
    let mut until_report = step;
    let mut done = 0;
    let mut cancelled = false;
    let fallbacks0 = d.heap_fallbacks();
    let faults0 = page_faults();
    // The clock runs only between progress callbacks: a slow callback (UI
    // repaint, logging) must not show up as allocator time.
    let mut elapsed = Duration::ZERO;
    let mut t0 = Instant::now();
    while done < total {
        // SAFETY: non-zero layout; the block is freed right below through the
        // same dispatcher with the same layout.
        let p = unsafe { d.alloc_with(spec.manager, layout) };
        if p.is_null() {
            return Err(BenchError::AllocFailed {
                manager: spec.manager,
                size_kb: spec.size_kb,
            });
        }
        let p = black_box(p);
        if spec.touch {
            let mut off = 0;
            while off < layout.size() {
                // SAFETY: off < size, inside the live block.
                unsafe { p.add(off).write_volatile(1) };
                off += page;
            }
        }
        // SAFETY: allocated above with `layout`, freed once.
        unsafe { d.dealloc(p, layout) };
        done += 1;
        until_report -= 1;
        if until_report == 0 {
            until_report = step;
            if done < total {
                elapsed += t0.elapsed();
                if !progress(done, total) {
                    cancelled = true;
                    t0 = Instant::now();
                    break;
                }
                t0 = Instant::now();
            }
        }
    }
    elapsed += t0.elapsed();
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
        heap_fallbacks: d.heap_fallbacks() - fallbacks0,
        cancelled,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    fn quiet(_: u32, _: u32) -> bool {
        true
    }

    #[test]
    fn slow_progress_callback_is_not_timed() {
        let d = Box::new(Dispatcher::with_heap_max(1 << 20));
        let spec = BenchSpec {
            iterations: 100,
            ..BenchSpec::new(ManagerKind::Default, 1)
        };
        let r = run_on(&d, &spec, &|_, _| {
            std::thread::sleep(std::time::Duration::from_millis(2));
            true
        })
        .unwrap();
        assert!(
            r.ms < 50.0,
            "100 callbacks x 2 ms leaked into the timing: {} ms",
            r.ms
        );
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
            5 * 20_200,
            "every pair really allocated"
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
            let calls = Cell::new(0);
            let r = run_on(&d, &spec, &|done, total| {
                assert!(done <= total && total == 50);
                calls.set(calls.get() + 1);
                true
            })
            .unwrap();
            assert_eq!(
                (r.iterations_done, r.cancelled, r.heap_fallbacks),
                (50, false, 0)
            );
            assert_eq!(calls.get(), 50, "called every pair when iterations < 100");
            assert!(r.ms > 0.0 && r.ns_per_pair > 0.0);
            #[cfg(unix)]
            assert!(r.minor_faults.is_some());
            assert_eq!(d.snapshot().get(m).total_allocations, 50);
            let json = serde_json::to_value(r).unwrap();
            assert_eq!(json["manager"], m.name());
            assert_eq!(json["size_kb"], 256);
        }
        assert_eq!(d.snapshot().total_live_blocks(), 0);
    }

    #[test]
    fn cancel_stops_early_and_heap_fallback_is_reported() {
        let d = Box::new(Dispatcher::with_heap_max(1 << 20));
        let spec = BenchSpec {
            iterations: 10_000,
            ..BenchSpec::new(ManagerKind::Default, 1)
        };
        let r = run_on(&d, &spec, &|done, _| done < 300).unwrap();
        assert!(r.cancelled);
        assert_eq!(r.iterations_done, 300);
        // 4 MiB blocks never fit a 1 MiB heap: every pair falls back.
        let spec = BenchSpec {
            iterations: 3,
            ..BenchSpec::new(ManagerKind::Heap, 4096)
        };
        let r = run_on(&d, &spec, &quiet).unwrap();
        assert_eq!(r.heap_fallbacks, 3);
        assert_eq!(d.snapshot().total_live_blocks(), 0);
    }
}
