//! The shared text box's speed targets, measured (not asserted):
//! an uncontended lock + read of the string (target < 2 µs), the lock's
//! hand-over to a waiter and its timeout's overshoot, the delay from a save
//! until another process's `watch` prints it, and until every one of four
//! `watch` processes has (target p50 <= 100 µs, p99 <= 1 ms), the wake-ups
//! per second and CPU of an idle `watch`, and under Xvfb when it is there
//! those of one idle window (Live off, then on) and of eight idle Live
//! windows together (target <= 0.5 % of a core).
//!
//! Run: `cargo bench --bench shared_text`

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
