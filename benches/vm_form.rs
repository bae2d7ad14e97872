//! The page lab's frame time with a reservation of 65536 pages (the issue's
//! target: 60 frames per second, so a frame well under 16.7 ms), measured
//! (not asserted): each frame runs the form's whole UI in an egui context
//! (`run_ui`) and tessellates what it painted into triangles
//! (`tessellate`), the CPU side of a frame; the GPU side is not included.
//! The pointer sits on the grid and the wheel scrolls it by a few rows every
//! frame, so every frame draws other rows, with the hover tooltip.
//!
//! Run: `cargo bench --bench vm_form`

// Linux only, for now (docs/windows.md): the body is in linux/vm_form.rs.
#[cfg(target_os = "linux")]
#[path = "linux/vm_form.rs"]
mod bench;

fn main() {
    #[cfg(target_os = "linux")]
    bench::main();
    #[cfg(not(target_os = "linux"))]
    eprintln!("this benchmark is not on Windows yet (docs/windows.md)");
}
