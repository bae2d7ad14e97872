//! The file-mapping lab's speed, measured (not asserted):
//! - FlushViewOfFile (memmap2's `flush_range`, msync MS_SYNC) of a 1 MiB
//!   view whose every page was just dirtied;
//! - the hex view's per-frame read: the visible rows (1 KiB = 64 rows of 16
//!   bytes, and 4 KiB) at random offsets of a 64 MiB view, through the
//!   probe after a length check;
//! - lock + unlock, uncontended: the robust process-shared pthread mutex
//!   against memlab's file lock (flock) and raw_sync's mutex, each bare, and
//!   through `BookMutex` (whose calls go to the lock's own thread).
//!
//! Run: `cargo bench --bench filemap` (files go to the temporary folder, or
//! to `MEMLAB_BENCH_DIR`; the flush time depends on that disk).

// Linux only, for now (docs/windows.md): the body is in linux/filemap.rs.
#[cfg(target_os = "linux")]
#[path = "linux/filemap.rs"]
mod bench;

fn main() {
    #[cfg(target_os = "linux")]
    bench::main();
    #[cfg(not(target_os = "linux"))]
    eprintln!("this benchmark is not on Windows yet (docs/windows.md)");
}
