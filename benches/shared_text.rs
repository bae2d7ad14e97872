//! The shared text box's speed targets, measured (not asserted):
//! an uncontended lock + read of the string (target < 2 µs), the lock's
//! hand-over to a waiter and its timeout's overshoot, the delay until
//! another process's `watch` sees a save (target p99 < 50 ms), and the CPU an
//! idle window uses (target near 0 %, measured under Xvfb when it is there).
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
