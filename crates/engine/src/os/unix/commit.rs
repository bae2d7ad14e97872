//! Committing reserved address space on Unix: the range was mapped
//! `PROT_NONE`; `mprotect(PROT_READ | PROT_WRITE)` makes it usable (the
//! kernel gives pages on first touch).

use std::io;

/// Makes `[base, base + len)`, inside a reservation of the caller's,
/// readable and writable. Allocates nothing (usable inside an allocator).
///
/// # Safety
/// The range lies inside an address range reserved by the caller and used
/// by nothing else.
pub unsafe fn commit_read_write(base: *mut u8, len: usize) -> io::Result<()> {
    // SAFETY: the caller's contract.
    unsafe { region::protect(base, len, region::Protection::READ_WRITE) }.map_err(io::Error::other)
}
