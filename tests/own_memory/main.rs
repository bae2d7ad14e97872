//! The tests that look at this very test process's address space, region
//! by region (/proc/self/maps and smaps, mincore, Committed_AS): the
//! address-space map and the page lab, engine and forms. A binary of their
//! own, apart from `tests/it`: there, hundreds of other tests allocate all
//! along, and Linux merges a page lab's reservation or committed pages with
//! any neighbouring mapping alike (another test's reservation, a malloc
//! arena), which changes the very region these tests read. Among
//! themselves, the tests that reserve pages or read regions take
//! `common::own_pages()`.
//!
//! One module: `cargo test --test own_memory vm_pages::`.

#[path = "../common/mod.rs"]
mod common;

mod vm_form_ui;
mod vm_maps;
mod vm_pages;
