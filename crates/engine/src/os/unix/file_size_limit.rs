//! The file size limit (`ulimit -f`, RLIMIT_FSIZE): a write or a growth
//! past it raises SIGXFSZ, whose default action kills the process ("File
//! size limit exceeded", exit 153) before any error can be reported or any
//! object removed. memlab ignores the signal once, at start, for the whole
//! process, so the call fails with EFBIG instead; every write path then
//! reports the limit by name, and checks it before it starts where it can.

use std::io;

/// Ignores SIGXFSZ for the whole process: writes past the limit then fail
/// with EFBIG. The disposition is process-wide, so `main` calls this once,
/// before any thread starts.
pub fn ignore_sigxfsz() -> io::Result<()> {
    // SAFETY: SIG_IGN installs no handler code; signal() only changes the
    // disposition of SIGXFSZ, which nothing else in memlab relies on.
    let previous = unsafe { libc::signal(libc::SIGXFSZ, libc::SIG_IGN) };
    if previous == libc::SIG_ERR {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// The largest file this process may write, in bytes (`None`: unlimited).
pub fn file_size_limit() -> Option<u64> {
    rustix::process::getrlimit(rustix::process::Resource::Fsize).current
}

/// True when a file of `size` bytes is past the file size limit.
pub fn exceeds_limit(size: u64) -> bool {
    file_size_limit().is_some_and(|limit| size > limit)
}

/// True when `error`, or an error it came from, is EFBIG ("File too large"):
/// what a write past the file size limit gives once SIGXFSZ is ignored.
pub fn is_efbig(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(e) = current {
        if e.downcast_ref::<io::Error>()
            .is_some_and(|io| io.raw_os_error() == Some(libc::EFBIG))
        {
            return true;
        }
        current = e.source();
    }
    false
}

/// The limit in words, for an error message: "the file size limit of this
/// process (ulimit -f) is 102400 bytes".
pub fn limit_note() -> String {
    match file_size_limit() {
        Some(limit) => {
            format!("the file size limit of this process (ulimit -f) is {limit} bytes")
        }
        None => "the file is larger than the file system allows".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn efbig_is_found_in_a_chain_of_errors() {
        #[derive(Debug, thiserror::Error)]
        #[error("saving failed")]
        struct Outer(#[source] io::Error);
        let wrapped = Outer(io::Error::from_raw_os_error(libc::EFBIG));
        assert!(is_efbig(&wrapped));
        let other = Outer(io::Error::from_raw_os_error(libc::ENOSPC));
        assert!(!is_efbig(&other));
    }
}
