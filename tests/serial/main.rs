//! The tests that need this test process to themselves, run one at a time
//! (each takes `common::alone()`), apart from the hundreds of `tests/it`:
//!
//! - the address-space map, the page lab and the heap lab (`vm_maps`,
//!   `vm_pages`, `vm_form_ui`, `heap_form_ui`) read this very process's regions (/proc/self/maps and
//!   smaps, mincore, Committed_AS), and Linux merges a reservation or
//!   committed pages with any neighbouring mapping alike (another test's
//!   reservation, a malloc arena, a thread's stack), which changes the
//!   very region they read;
//! - the file-mapping engine (`filemap_core`) closes and reopens files it
//!   locks with flock in this process: a child that another test forks
//!   meanwhile holds a copy of the descriptor (and so the lock) until it
//!   execs, and the reopening finds the file in use by this very process.
//!
//! One module: `cargo test --test serial vm_pages::`.

// Linux only, for now: the Windows suite is tests/windows.rs (docs/windows.md).
#![cfg(target_os = "linux")]

#[path = "../common/mod.rs"]
mod common;

mod filemap_core;
mod heap_form_ui;
mod vm_form_ui;
mod vm_maps;
mod vm_pages;
