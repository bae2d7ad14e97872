//! This account's memlab windows as a classroom sees them: each one's
//! number, PID and display (`instances`, the roster every window joins),
//! who holds a lock, named by its window when it is one (`holder`), where
//! windows go (`placement`), what they remember (`settings`), and
//! pictures of the screen (`screen`).
//!
//! Not an engine of a lab: the labs' engines use it to name windows
//! ("window #3 (PID 42)") and to find another window's process; it stands
//! on `os` and never imports a lab.

pub mod holder;
pub mod instances;
mod messages;
pub mod placement;
pub mod screen;
pub mod settings;
