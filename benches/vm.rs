//! The virtual-memory labs' speed, measured (not asserted):
//! - the address-space map's refresh of this process at a few hundred
//!   regions (target: under 20 ms), and the diff of two snapshots;
//! - the page lab's per-frame reads for a 65536-page reservation: the table
//!   (one state per cell), residency (`mincore`) and the kernel's charge
//!   flags; and the costs line (RSS + commit charge) read after each step.
//!
//! Run: `cargo bench --bench vm`

// Linux only, for now (docs/windows.md): the body is in linux/vm.rs.
#[cfg(target_os = "linux")]
#[path = "linux/vm.rs"]
mod bench;

fn main() {
    #[cfg(target_os = "linux")]
    bench::main();
    #[cfg(not(target_os = "linux"))]
    eprintln!("this benchmark is not on Windows yet (docs/windows.md)");
}
