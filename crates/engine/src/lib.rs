//! memlab's engine: everything memlab does against the operating system,
//! with no UI, so that the window (`forms`), the command line (`cli`) and
//! the tests drive exactly the same code. Nothing here imports egui: this
//! crate's dependency tree has none (`.ci/run` checks), so a UI import is a
//! compile error.
//!
//! Layers, each importing only those below it:
//! - [`i18n`], [`format`] and [`error`]: the two languages, how numbers are
//!   written, and the classes of failure;
//! - [`os`]: the OS building blocks (shared objects, locks, rosters, safe
//!   memory probes, clocks, signals), one API per block with the per-OS code
//!   behind it;
//! - [`desktop`]: this account's memlab windows (their roster and numbers),
//!   where windows go, what they remember;
//! - the labs' engines, grouped as the book groups them: [`alloc`],
//!   [`vm`], [`global`], [`heap`], [`filemap`], [`mutex`], [`shared_text`]. No lab imports
//!   another, except the address-space map (`vm::maps`), which names the
//!   other labs' memory (the managers' reservations, the shared text's
//!   mappings).
//!
//! Every error and report carries data; its English is its `Display` (what
//! the command line prints) and its Korean is its [`i18n::Localized`] impl,
//! next to the type, in the same group. Every error also says its class
//! ([`error::ErrorKind`], through [`error::HasKind`]), which the command
//! line turns into its exit code in one place.

pub mod alloc;
pub mod desktop;
pub mod error;
pub mod filemap;
pub mod format;
pub mod global;
pub mod heap;
pub mod i18n;
pub mod mutex;
pub mod os;
pub mod shared_text;
pub mod sharemem;
pub mod vm;
