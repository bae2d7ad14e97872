//! Committing reserved address space on Windows, as the book does it:
//! `VirtualAlloc(base, len, MEM_COMMIT, PAGE_READWRITE)` on a range
//! reserved with `MEM_RESERVE` (`VirtualProtect` would refuse: a reserved
//! page has no storage to protect).

use std::io;

use windows_sys::Win32::System::Memory::{MEM_COMMIT, PAGE_READWRITE, VirtualAlloc};

/// Makes `[base, base + len)`, inside a reservation of the caller's,
/// readable and writable. Allocates nothing (usable inside an allocator).
///
/// # Safety
/// The range lies inside an address range reserved by the caller and used
/// by nothing else.
pub unsafe fn commit_read_write(base: *mut u8, len: usize) -> io::Result<()> {
    // SAFETY: the caller's contract: the range is its own reservation.
    let got = unsafe { VirtualAlloc(base.cast(), len, MEM_COMMIT, PAGE_READWRITE) };
    if got.is_null() {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}
