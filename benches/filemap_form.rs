//! The file-mapping lab's frame time, measured (not asserted): the whole
//! lab laid out by egui (through egui_kittest, without a GPU) while a view
//! is paged through and typed into, for a 64 MiB view and a 4 KiB one. The
//! hex view lays out only the rows in sight, so both should cost the same.
//!
//! Run: `cargo bench --bench filemap_form` (the file goes to the temporary
//! folder, or to `MEMLAB_BENCH_DIR`). This is the UI's own work per frame;
//! a real window adds painting (Mesa's software GL under Xvfb here).

// Linux only, for now (docs/windows.md): the body is in linux/filemap_form.rs.
#[cfg(target_os = "linux")]
#[path = "linux/filemap_form.rs"]
mod bench;

fn main() {
    #[cfg(target_os = "linux")]
    bench::main();
    #[cfg(not(target_os = "linux"))]
    eprintln!("this benchmark is not on Windows yet (docs/windows.md)");
}
