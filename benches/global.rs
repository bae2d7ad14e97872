//! The Global/Local lab's costs on memlab's global heap, at the lab's
//! limits: GlobalAlloc of 4000 movable blocks one by one, a compaction
//! that moves 2000 of them (every other one freed first), and "low
//! memory" over 4000 discardable blocks. Median of 5 runs each. These run
//! on the window's UI thread, so they must stay well under a frame.
//! Run: `cargo bench --bench global`.

// Linux only, for now (docs/windows.md): the body is in linux/global.rs.
#[cfg(target_os = "linux")]
#[path = "linux/global.rs"]
mod bench;

fn main() {
    #[cfg(target_os = "linux")]
    bench::main();
    #[cfg(not(target_os = "linux"))]
    eprintln!("this benchmark is not on Windows yet (docs/windows.md)");
}
