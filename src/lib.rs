//! memlab: a live lab of the memory-management chapter of a Delphi 4 book.
//!
//! `core` does the real work against the operating system and never imports
//! egui; `forms` are the labs' windows; `cli` drives the same core from the
//! command line; `app` is the shell that lists the labs.

pub mod app;
pub mod cli;
pub mod core;
pub mod fonts;
pub mod forms;
pub mod i18n;
pub mod signals;
