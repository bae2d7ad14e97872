//! Copies to and from this process's own memory that report a bad address
//! instead of faulting.
//!
//! Touching a page of a mapping whose object was truncated raises SIGBUS,
//! and touching a reserved or no-access page raises SIGSEGV: either kills
//! memlab. Letting the kernel do the copy turns both into an error value:
//! `process_vm_readv`/`process_vm_writev` on our own PID return EFAULT (or a
//! short count) where a plain load or store would fault. Where those calls
//! are not allowed (a seccomp filter, a kernel without them), a pipe does the
//! same job: `write()` from a bad address, or `read()` into one, returns
//! EFAULT too.
//!
//! The copy is not atomic: use it for memory that other processes (or the
//! hardware) may change, and validate what it returns.

use std::io;
use std::sync::atomic::{AtomicU8, Ordering};

/// An access that would have faulted: `copied` of `len` bytes were copied
/// before the first bad address, `addr + copied`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("access violation at {:#x}: {copied} of {len} bytes copied", addr + copied)]
pub struct Fault {
    /// Start of the requested range.
    pub addr: usize,
    /// Bytes requested.
    pub len: usize,
    /// Bytes copied before the first address that could not be accessed.
    pub copied: usize,
}

impl Fault {
    /// The first address that could not be accessed.
    pub fn bad_address(&self) -> usize {
        self.addr + self.copied
    }
}

/// Copies `dst.len()` bytes from `src` in this process into `dst`.
///
/// Any address may be given: an address that cannot be read is a [`Fault`],
/// never a signal.
pub fn read(src: *const u8, dst: &mut [u8]) -> Result<(), Fault> {
    copy(Direction::Read, src as usize, dst.as_mut_ptr(), dst.len())
}

/// Copies `src` into this process's memory at `dst`.
///
/// An address that cannot be written is a [`Fault`], never a signal.
///
/// # Safety
/// `dst .. dst + src.len()` must not be memory that Rust code holds a
/// reference to or otherwise relies on (this writes behind the compiler's
/// back): use it for shared mappings and reservations that memlab only
/// reaches through this module or the kernel.
pub unsafe fn write(dst: *mut u8, src: &[u8]) -> Result<(), Fault> {
    copy(
        Direction::Write,
        dst as usize,
        src.as_ptr().cast_mut(),
        src.len(),
    )
}

/// True if `addr .. addr + len` can be read now (a probe of one byte per page
/// would miss nothing smaller than a page; this copies the whole range).
pub fn readable(addr: *const u8, len: usize) -> bool {
    let mut buf = vec![0u8; len];
    read(addr, &mut buf).is_ok()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    /// From `remote` (the probed address) into `local` (our buffer).
    Read,
    /// From `local` (our buffer) to `remote` (the probed address).
    Write,
}

/// Which mechanism works here: 0 not tried yet, 1 process_vm_*, 2 pipe.
static MECHANISM: AtomicU8 = AtomicU8::new(0);
const UNKNOWN: u8 = 0;
const PROCESS_VM: u8 = 1;
const PIPE: u8 = 2;

fn copy(dir: Direction, remote: usize, local: *mut u8, len: usize) -> Result<(), Fault> {
    if len == 0 {
        return Ok(());
    }
    let fault = |copied| Fault {
        addr: remote,
        len,
        copied,
    };
    #[cfg(target_os = "linux")]
    if MECHANISM.load(Ordering::Relaxed) != PIPE {
        match process_vm(dir, remote, local, len) {
            Ok(()) => {
                MECHANISM.store(PROCESS_VM, Ordering::Relaxed);
                return Ok(());
            }
            Err(Stop::Fault(copied)) => return Err(fault(copied)),
            // Not allowed here (seccomp, an old kernel): use pipes from now on.
            Err(Stop::Unavailable) if MECHANISM.load(Ordering::Relaxed) == UNKNOWN => {
                MECHANISM.store(PIPE, Ordering::Relaxed);
            }
            Err(Stop::Unavailable) => {}
        }
    }
    through_pipe(dir, remote, local, len).map_err(fault)
}

enum Stop {
    /// The access faulted after this many bytes.
    Fault(usize),
    /// The mechanism cannot be used in this process.
    Unavailable,
}

#[cfg(target_os = "linux")]
fn process_vm(dir: Direction, remote: usize, local: *mut u8, len: usize) -> Result<(), Stop> {
    let mut done = 0;
    while done < len {
        let local_iov = libc::iovec {
            iov_base: local.wrapping_add(done).cast(),
            iov_len: len - done,
        };
        let remote_iov = libc::iovec {
            iov_base: (remote + done) as *mut libc::c_void,
            iov_len: len - done,
        };
        let pid = std::process::id() as libc::pid_t;
        // SAFETY: `local_iov` covers the caller's own buffer (valid for
        // `len` bytes); the remote range is checked by the kernel, which
        // returns EFAULT or a short count instead of faulting.
        let n = unsafe {
            match dir {
                Direction::Read => libc::process_vm_readv(pid, &local_iov, 1, &remote_iov, 1, 0),
                Direction::Write => libc::process_vm_writev(pid, &local_iov, 1, &remote_iov, 1, 0),
            }
        };
        match n {
            n if n > 0 => done += n as usize,
            0 => return Err(Stop::Fault(done)),
            _ => {
                let err = io::Error::last_os_error();
                return match err.raw_os_error() {
                    Some(libc::EFAULT) => Err(Stop::Fault(done)),
                    Some(libc::EINTR) => continue,
                    // ENOSYS, EPERM (seccomp), ESRCH...: not usable here.
                    _ if done == 0 => Err(Stop::Unavailable),
                    _ => Err(Stop::Fault(done)),
                };
            }
        }
    }
    Ok(())
}

/// The fallback: bytes pass through a fresh pipe, a page at a time; the
/// kernel's copy from or to the probed address reports EFAULT.
#[cfg(unix)]
fn through_pipe(dir: Direction, remote: usize, local: *mut u8, len: usize) -> Result<(), usize> {
    /// Writes up to PIPE_BUF bytes are atomic and never block on an empty pipe.
    const CHUNK: usize = 4096;
    use std::os::fd::AsRawFd;
    // Closed when dropped, at every return.
    let Ok((read_end, write_end)) = rustix::pipe::pipe() else {
        return Err(0);
    };
    // The copies themselves stay raw calls: a bad address must reach the
    // kernel as it is (EFAULT), never become a Rust slice.
    let (rd, wr) = (read_end.as_raw_fd(), write_end.as_raw_fd());
    let mut done = 0;
    loop {
        if done >= len {
            break Ok(());
        }
        let n = (len - done).min(CHUNK);
        let (from, to) = match dir {
            Direction::Read => (remote + done, local as usize + done),
            Direction::Write => (local as usize + done, remote + done),
        };
        // SAFETY: the pipe is empty and CHUNK <= PIPE_BUF, so this neither
        // blocks nor writes partially; a bad `from` gives EFAULT.
        let wrote = unsafe { libc::write(wr, from as *const libc::c_void, n) };
        if wrote <= 0 {
            break Err(done);
        }
        let wrote = wrote as usize;
        // SAFETY: reads back what was just written; a bad `to` gives EFAULT.
        let got = unsafe { libc::read(rd, to as *mut libc::c_void, wrote) };
        if got <= 0 {
            break Err(done);
        }
        done += got as usize;
        if (got as usize) < wrote || wrote < n {
            break if done >= len { Ok(()) } else { Err(done) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A private mapping of `pages` pages: the first readable and writable,
    /// the rest reserved (no access).
    fn half_reserved(pages: usize) -> (*mut u8, usize) {
        let page = region::page::size();
        // SAFETY: a fresh anonymous mapping; nothing else refers to it.
        let p = unsafe {
            rustix::mm::mmap_anonymous(
                std::ptr::null_mut(),
                pages * page,
                rustix::mm::ProtFlags::empty(),
                rustix::mm::MapFlags::PRIVATE,
            )
        }
        .unwrap();
        // SAFETY: the first page of the mapping made above.
        unsafe {
            rustix::mm::mprotect(
                p,
                page,
                rustix::mm::MprotectFlags::READ | rustix::mm::MprotectFlags::WRITE,
            )
        }
        .unwrap();
        (p.cast(), page)
    }

    fn unmap(p: *mut u8, len: usize) {
        // SAFETY: the mapping made by `half_reserved`, unmapped once.
        let _ = unsafe { rustix::mm::munmap(p.cast(), len) };
    }

    fn round_trip_and_faults() {
        let (p, page) = half_reserved(2);
        let data: Vec<u8> = (0..page).map(|i| i as u8).collect();
        // SAFETY: the mapping is ours and only reached through this module.
        unsafe { write(p, &data) }.unwrap();
        let mut back = vec![0; page];
        read(p, &mut back).unwrap();
        assert_eq!(back, data);
        // Across into the reserved page: a fault after exactly one page.
        let mut across = vec![0; 2 * page];
        let fault = read(p, &mut across).unwrap_err();
        assert_eq!((fault.copied, fault.len), (page, 2 * page));
        assert_eq!(fault.bad_address(), p as usize + page);
        assert_eq!(&across[..page], &data[..]);
        // SAFETY: as above; the reserved page is refused, not written.
        let fault = unsafe { write(p.wrapping_add(page), &[1, 2, 3]) }.unwrap_err();
        assert_eq!(fault.copied, 0);
        assert!(!readable(p.wrapping_add(page), 1));
        assert!(readable(p, page));
        assert!(read(std::ptr::null(), &mut [0u8; 8]).is_err());
        unmap(p, 2 * page);
    }

    #[test]
    fn faults_are_values_with_either_mechanism() {
        round_trip_and_faults();
        // The fallback, forced.
        let (p, page) = half_reserved(2);
        let mut buf = vec![7u8; page + 10];
        assert_eq!(
            through_pipe(Direction::Read, p as usize, buf.as_mut_ptr(), page + 10),
            Err(page)
        );
        let src = [9u8; 100];
        assert_eq!(
            through_pipe(Direction::Write, p as usize, src.as_ptr().cast_mut(), 100),
            Ok(())
        );
        let mut back = [0u8; 100];
        read(p, &mut back).unwrap();
        assert_eq!(back, src);
        unmap(p, 2 * page);
    }

    #[test]
    fn a_truncated_shared_object_is_a_fault_not_sigbus() {
        let scratch = crate::os::scratch::ScratchFile::new("probe");
        let file = &scratch.file;
        let page = region::page::size();
        file.set_len(2 * page as u64).unwrap();
        // SAFETY: a fresh shared mapping of our own file.
        let p = unsafe {
            rustix::mm::mmap(
                std::ptr::null_mut(),
                2 * page,
                rustix::mm::ProtFlags::READ | rustix::mm::ProtFlags::WRITE,
                rustix::mm::MapFlags::SHARED,
                file,
                0,
            )
        }
        .unwrap();
        let p: *mut u8 = p.cast();
        file.set_len(page as u64).unwrap();
        let mut buf = vec![0; 2 * page];
        let fault = read(p, &mut buf).unwrap_err();
        assert_eq!(fault.copied, page);
        // SAFETY: our own mapping, reached only here.
        assert!(unsafe { write(p.wrapping_add(page), b"x") }.is_err());
        unmap(p, 2 * page);
    }
}
