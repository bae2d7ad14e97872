//! What an OS error number means, in Korean: the OS's own text is English.
//! The numbers are the OS's own (errno on Unix, Win32 error codes on
//! Windows), so each OS has its table.

#[cfg(unix)]
mod unix;
#[cfg(windows)]
mod windows;

#[cfg(all(test, unix))]
pub use unix::ACCESS_DENIED;
#[cfg(unix)]
pub use unix::what_ko;
#[cfg(all(test, windows))]
pub use windows::ACCESS_DENIED;
#[cfg(windows)]
pub use windows::what_ko;
