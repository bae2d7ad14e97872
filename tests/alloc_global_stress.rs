//! Stress: 4 threads allocate, grow and free random sizes while the main
//! thread switches the active manager 1000 times. Every counter must come
//! back to its baseline and nothing may crash. No libtest harness, so no
//! other thread allocates behind our back.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use memlab_engine::alloc::{GlobalDispatcher, ManagerKind, dispatcher};

#[global_allocator]
static GLOBAL: GlobalDispatcher = GlobalDispatcher;

/// xorshift64*: no dependency, no allocation.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

fn worker(seed: u64, stop: &AtomicBool, progress: &AtomicU64) -> u64 {
    let mut rng = Rng(seed);
    let mut live: Vec<Vec<u8>> = Vec::new();
    let mut ops = 0u64;
    while !stop.load(Ordering::Relaxed) {
        let r = rng.next();
        match r % 8 {
            0..=3 => {
                let size = match r >> 8 & 15 {
                    0 => (r >> 16) as usize % (512 << 10), // up to 512 KiB now and then
                    _ => (r >> 16) as usize % 4096,
                };
                let fill = (r >> 40) as u8;
                live.push(vec![fill; size]);
            }
            4 | 5 if !live.is_empty() => {
                let i = (r >> 8) as usize % live.len();
                let v = live.swap_remove(i);
                let fill = v.first().copied();
                assert!(v.iter().all(|&b| Some(b) == fill), "block corrupted");
            }
            6 if !live.is_empty() => {
                // grow: realloc, possibly into another manager
                let i = (r >> 8) as usize % live.len();
                let v = &mut live[i];
                let fill = v.first().copied().unwrap_or(0);
                if v.is_empty() {
                    v.push(fill);
                }
                let extra = (r >> 20) as usize % 8192 + 1;
                v.resize(v.len() + extra, fill);
                v.shrink_to_fit();
            }
            _ => {}
        }
        if live.len() > 2000 {
            live.truncate(1000);
        }
        ops += 1;
        progress.fetch_add(1, Ordering::Relaxed);
    }
    for v in &live {
        let fill = v.first().copied();
        assert!(v.iter().all(|&b| Some(b) == fill), "block corrupted");
    }
    ops
}

fn main() {
    let d = dispatcher();
    // Warm up thread spawning once so lazily created std state is not
    // counted as a leak below; and a first switch, at which region boxes
    // its SYSTEM_INFO on Windows (48 bytes, kept for good: see
    // tests/crate_defects_region_windows.rs).
    std::thread::spawn(|| ()).join().unwrap();
    d.set_active(ManagerKind::Default);
    let stop = AtomicBool::new(false);
    let progress = AtomicU64::new(0);
    let base = d.snapshot();
    let kinds = ManagerKind::ALL;
    let ops: u64 = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4u64)
            .map(|i| {
                let (stop, progress) = (&stop, &progress);
                s.spawn(move || worker(0x9E37_79B9_7F4A_7C15 ^ (i + 1), stop, progress))
            })
            .collect();
        for i in 0..1000 {
            d.set_active(kinds[i % 3]);
            // Let the workers do some operations under every setting.
            let seen = progress.load(Ordering::Relaxed);
            while progress.load(Ordering::Relaxed) < seen + 40 {
                std::thread::yield_now();
            }
        }
        d.set_active(ManagerKind::Default);
        stop.store(true, Ordering::Relaxed);
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    let end = d.snapshot();
    for k in kinds {
        let (b, e) = (base.get(k), end.get(k));
        assert_eq!(
            (e.live_blocks, e.live_bytes),
            (b.live_blocks, b.live_bytes),
            "{k}: {base:?} vs {end:?}"
        );
        assert!(e.total_allocations > b.total_allocations, "{k} was used");
    }
    assert_eq!(d.heap_status().allocated_bytes, 0);
    println!("test stress_4_threads_1000_switches ... ok ({ops} ops)");
    println!(
        "allocations: default {}, heap {}, mimalloc {}",
        end.default.total_allocations - base.default.total_allocations,
        end.heap.total_allocations - base.heap.total_allocations,
        end.mimalloc.total_allocations - base.mimalloc.total_allocations
    );
    println!("1 passed, 0 failed");
}
