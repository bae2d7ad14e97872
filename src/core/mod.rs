//! The lab's engine: everything that touches the operating system, with no UI.
//!
//! Each submodule offers a plain API returning `Result<_, Error>` so that the
//! forms, the command line and the tests drive exactly the same code.

pub mod alloc;
#[cfg(target_os = "linux")]
pub mod claims;
pub mod clock;
#[cfg(unix)]
pub mod file_size_limit;
#[cfg(target_os = "linux")]
pub mod filemap;
pub mod format;
pub mod instances;
#[cfg(target_os = "linux")]
pub mod mutex;
pub mod ofd_lock;
pub mod placement;
#[cfg(unix)]
pub mod probe;
#[cfg(test)]
pub(crate) mod scratch;
pub mod settings;
pub mod shared_text;
pub mod shm_object;
pub mod slots;
pub mod timed_lock;
#[cfg(target_os = "linux")]
pub mod vm;
