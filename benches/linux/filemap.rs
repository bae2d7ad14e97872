//! The `filemap` benchmark's body (Linux only, for now: docs/windows.md).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use memlab_engine::filemap::{FileMapSession, OpenRequest};
use memlab_engine::mutex::{self, BookMutex, MutexKind};
use memlab_engine::os::timed_lock::FileLock;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn report(what: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let mean = samples.iter().sum::<Duration>() / samples.len() as u32;
    println!(
        "{what}: n={} mean={mean:?} p50={:?} p99={:?} max={:?}",
        samples.len(),
        percentile(&samples, 0.5),
        percentile(&samples, 0.99),
        samples[samples.len() - 1]
    );
}

/// Mean time of `f` over a batch, after a warm-up.
fn per_call(what: &str, n: u32, mut f: impl FnMut()) {
    for _ in 0..n / 10 {
        f();
    }
    let start = Instant::now();
    for _ in 0..n {
        f();
    }
    println!("{what}: {:?} per call (batch of {n})", start.elapsed() / n);
}

struct TempFile(PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn temp_file(tag: &str) -> TempFile {
    let dir = std::env::var_os("MEMLAB_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    TempFile(dir.join(format!("memlab-bench-{tag}-{}", std::process::id())))
}

fn flush_1mib() {
    let file = temp_file("flush");
    let (mut s, _) = FileMapSession::open(&file.0, OpenRequest::default()).unwrap();
    s.create_mapping(1 << 20).unwrap();
    let v = s.map_view(0, 0).unwrap().view;
    let page = memlab_engine::filemap::granularity();
    let mut samples = Vec::new();
    for round in 0..60u32 {
        for p in 0..(1 << 20) / page {
            s.write_view(v, p * page, &round.to_le_bytes()).unwrap();
        }
        let flushed = s.flush_view(v).unwrap();
        if round >= 10 {
            samples.push(flushed.took);
        }
    }
    println!("file for the flush: {}", file.0.display());
    report("flush of a 1 MiB view, every page dirty", samples);
}

fn hex_rows() {
    let file = temp_file("hex");
    let (mut s, _) = FileMapSession::open(&file.0, OpenRequest::default()).unwrap();
    s.create_mapping(64 << 20).unwrap();
    let v = s.map_view(0, 0).unwrap().view;
    // Touch it once, as a view being edited would be.
    let chunk = vec![0x5a; 1 << 20];
    for i in 0..64u64 {
        s.write_view(v, i << 20, &chunk).unwrap();
    }
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move |limit: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % limit
    };
    for rows in [64u64, 256] {
        let mut buf = vec![0; (rows * 16) as usize];
        let samples = (0..50_000)
            .map(|_| {
                let at = next((64 << 20) / 16 - rows) * 16;
                let t = Instant::now();
                s.read_view(v, at, &mut buf).unwrap();
                t.elapsed()
            })
            .collect();
        report(
            &format!(
                "hex view frame: read {rows} rows ({} bytes) of a 64 MiB view",
                rows * 16
            ),
            samples,
        );
    }
}

/// A robust, process-shared pthread mutex in a shared anonymous page, as
/// the lesson's block holds one.
fn bare_robust() {
    // SAFETY: a fresh shared anonymous page, ours alone; the mutex is
    // initialised before use and only this thread locks it.
    unsafe {
        let page = rustix::mm::mmap_anonymous(
            std::ptr::null_mut(),
            4096,
            rustix::mm::ProtFlags::READ | rustix::mm::ProtFlags::WRITE,
            rustix::mm::MapFlags::SHARED,
        )
        .expect("a shared anonymous page");
        let m = page.cast::<libc::pthread_mutex_t>();
        let mut attr = std::mem::MaybeUninit::<libc::pthread_mutexattr_t>::uninit();
        libc::pthread_mutexattr_init(attr.as_mut_ptr());
        libc::pthread_mutexattr_setpshared(attr.as_mut_ptr(), libc::PTHREAD_PROCESS_SHARED);
        libc::pthread_mutexattr_setrobust(attr.as_mut_ptr(), libc::PTHREAD_MUTEX_ROBUST);
        libc::pthread_mutexattr_settype(attr.as_mut_ptr(), libc::PTHREAD_MUTEX_ERRORCHECK);
        assert_eq!(libc::pthread_mutex_init(m, attr.as_ptr()), 0);
        let deadline = libc::timespec {
            tv_sec: i64::MAX / 2,
            tv_nsec: 0,
        };
        per_call(
            "bare robust pthread mutex: timedlock + unlock",
            2_000_000,
            || {
                assert_eq!(libc::pthread_mutex_timedlock(m, &deadline), 0);
                libc::pthread_mutex_unlock(m);
            },
        );
        let _ = rustix::mm::munmap(page, 4096);
    }
}

fn bare_file_lock() {
    let file = temp_file("flock");
    let lock = FileLock::open(&file.0).unwrap();
    per_call("bare file lock (flock): try_lock + unlock", 500_000, || {
        drop(lock.try_acquire().unwrap().expect("uncontended"));
    });
}

fn book_mutexes() {
    let name = format!("bench-{}", std::process::id());
    for kind in MutexKind::ALL {
        let lock = BookMutex::open(&name, kind).unwrap();
        per_call(
            &format!("BookMutex {}: acquire(1000 ms) + release", kind.cli_name()),
            100_000,
            || {
                assert!(lock.acquire(mutex::BOOK_TIMEOUT).unwrap().result.acquired());
                lock.release().unwrap();
            },
        );
    }
    mutex::remove(&name).unwrap();
}

pub fn main() {
    // `cargo bench` passes --bench; a filter argument is not supported.
    flush_1mib();
    hex_rows();
    bare_robust();
    bare_file_lock();
    book_mutexes();
}
