//! The shared text box's speed targets, measured (not asserted):
//! an uncontended lock + read of the string (target < 2 µs), the lock's
//! hand-over to a waiter and its timeout's overshoot, the delay from a save
//! until another process's `watch` prints it, and until every one of four
//! `watch` processes has (target p50 <= 100 µs, p99 <= 1 ms), the wake-ups
//! per second and CPU of an idle `watch`, and under Xvfb when it is there
//! those of one idle window (Live off, then on; by thread) and of eight idle
//! Live windows together (target <= 0.5 % of a core). The wake-ups
//! (voluntary context switches) are the figure a loaded machine keeps; a
//! CPU figure is printed with the load average and said not to be one when
//! the load is 1.5 or more.
//!
//! Run: `cargo bench --bench shared_text` (`SHARED_TEXT_IDLE_ONLY=1`: only
//! the idle costs; `SHARED_TEXT_WINDOWS=0`: no windows)

// Linux only, for now (docs/windows.md): the body is in linux/shared_text.rs.
#[cfg(target_os = "linux")]
#[path = "linux/shared_text.rs"]
mod bench;

fn main() {
    #[cfg(target_os = "linux")]
    bench::main();
    #[cfg(not(target_os = "linux"))]
    eprintln!("this benchmark is not on Windows yet (docs/windows.md)");
}
