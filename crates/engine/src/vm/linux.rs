//! Linux's half of the virtual-memory module: what each Win32 operation
//! became here (`mmap`, `mprotect`, `madvise`, /proc) and the errno names.

use super::{Operation, ReadError};

/// The OS call `op` became on Linux.
pub(super) fn os_call(op: Operation) -> &'static str {
    match op {
        Operation::Reserve => "mmap(NULL, len, PROT_NONE, MAP_PRIVATE|MAP_ANONYMOUS)",
        Operation::Commit => "mprotect(PROT_READ|PROT_WRITE)",
        Operation::Decommit => "mmap(addr, len, PROT_NONE, MAP_FIXED|MAP_PRIVATE|MAP_ANONYMOUS)",
        Operation::DecommitKeepCharge => "madvise(MADV_DONTNEED) + mprotect(PROT_NONE)",
        Operation::Protect => "mprotect",
        Operation::Lock => "mlock",
        Operation::Unlock => "munlock",
        Operation::ReadByte => "process_vm_readv(getpid())",
        Operation::WriteByte => "process_vm_writev(getpid())",
        Operation::Release => "munmap",
        Operation::Query => "mincore + /proc/self/smaps",
        Operation::TouchInChild => "fork() + *(u8*)p + waitpid()",
        Operation::SystemInfo => "sysconf + /proc/meminfo + getrlimit",
        Operation::AddressSpaceMap => "/proc/self/smaps",
    }
}

impl ReadError {
    pub(super) fn new(file: &'static str, e: &procfs::ProcError) -> Self {
        let errno = match e {
            procfs::ProcError::Io(io, _) => io.raw_os_error(),
            procfs::ProcError::PermissionDenied(_) => Some(libc::EACCES),
            procfs::ProcError::NotFound(_) => Some(libc::ENOENT),
            _ => None,
        };
        Self { file, errno }
    }
}

/// The symbolic name of an errno that memory calls return, e.g. `ENOMEM`.
pub fn errno_name(errno: i32) -> Option<&'static str> {
    Some(match errno {
        libc::ENOMEM => "ENOMEM",
        libc::EPERM => "EPERM",
        libc::EAGAIN => "EAGAIN",
        libc::EINVAL => "EINVAL",
        libc::EFAULT => "EFAULT",
        libc::EACCES => "EACCES",
        libc::ENOENT => "ENOENT",
        _ => return None,
    })
}

pub(super) fn last_errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// An errno as the Korean messages name it: `ENOMEM, errno 12`.
pub(super) fn error_label(errno: i32) -> String {
    match errno_name(errno) {
        Some(name) => format!("{name}, errno {errno}"),
        None => format!("errno {errno}"),
    }
}
