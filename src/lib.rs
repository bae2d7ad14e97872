//! memlab: a live lab of the memory-management chapter of a Delphi 4 book.
//!
//! This crate is the app: `forms` are the labs' windows, `app` is the shell
//! that lists them and runs the window, and `cli` drives the same engine
//! from the command line; `lab_id` names the labs for both. The work itself is done by `memlab_engine`, which
//! never imports egui (it is a crate of its own without egui in its
//! dependency tree); the CLI never imports `forms` or `app`'s UI.

pub mod app;
pub mod cli;
pub mod fonts;
pub mod forms;
pub mod lab_id;
