//! memlab's integration tests, one binary: each module was a test file of
//! its own (its name says what it covers; docs/testing.md lists them). One
//! binary links eframe once instead of once per file. Run one module with
//! `cargo test --test it MODULE::` (e.g. `cargo test --test it mutex_kill::`).
//!
//! Four test binaries stay apart because they need their process to
//! themselves: `alloc_global_exact` and `alloc_global_stress` install the
//! dispatcher as the global allocator (no libtest), `alloc_arena_full_ui`
//! fills this process's mimalloc arena, and `serial` holds the tests that
//! read this process's own address space or lock files in it (its
//! `main.rs` says why).

// Linux only, for now: the Windows suite is tests/windows.rs (docs/windows.md).
#![cfg(target_os = "linux")]

#[path = "../common/mod.rs"]
mod common;

mod alloc_cli;
mod alloc_form_ui;
mod alloc_isolated;
mod alloc_versions;
mod crate_defects;
mod desktop;
mod filemap_cli;
mod filemap_form_ui;
mod filemap_json;
mod filemap_litter;
mod fonts;
mod global_cli;
mod global_flags_cli;
mod global_flags_form_ui;
mod global_form_ui;
mod heap_cli;
mod labs_window;
mod layout;
mod mutex_form_ui;
mod mutex_hostile;
mod mutex_kill;
mod object_home;
mod page_space;
mod shared_classroom;
mod shared_cli;
mod shared_file_backing;
mod shared_form_ui;
mod shared_hold_ms;
mod shared_hostile;
mod shared_info_woken;
mod shared_live;
mod sharemem_cli;
mod sharemem_form_ui;
mod shell_ui;
mod vm_cli;
mod wayland;
mod window;
mod xvfb_clients;
