//! The window's costs, measured on the release build under Xvfb (1920×1080,
//! openbox, Mesa's software OpenGL), as a teacher would see them:
//!
//! - first frame: from starting `memlab` to its window showing (eframe
//!   shows the window once its first frame is drawn); target 1 s;
//! - resident memory of a window on each lab, after it settled; target
//!   150 MB;
//! - CPU while idle on each lab over 10 s; target 1 % (the memory managers
//!   lab redraws its live numbers, and the address-space map refreshing
//!   "every second" reads its smaps and redraws once a second: target 2 %);
//! - `memlab --instances 4` until four windows sit still on their tiles;
//!   target 5 s; then the roster read and `memlab arrange` until the four
//!   windows have answered.
//!
//! `cargo bench --bench window` (the numbers go to docs/performance.md); `LABS=page-lab`
//! measures one lab.

// Linux only, for now (docs/windows.md): the body is in linux/window.rs.
#[cfg(target_os = "linux")]
#[path = "linux/window.rs"]
mod bench;

fn main() {
    #[cfg(target_os = "linux")]
    bench::main();
    #[cfg(not(target_os = "linux"))]
    eprintln!("this benchmark is not on Windows yet (docs/windows.md)");
}
