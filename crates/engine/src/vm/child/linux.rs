//! The child's touch on Linux: a `fork` of memlab.
//!
//! The child is a `fork` of memlab, so it has the same address space: it
//! touches exactly the page the lab shows, with its real protection. Between
//! `fork` and its end the child only makes raw system calls (no allocation,
//! no locks), which is what a multi-threaded process may do after `fork`.

use std::time::{Duration, Instant};

use super::ChildEnd;

/// The name of a signal a memory access can end in (others by number).
pub fn signal_name(signal: i32) -> &'static str {
    match signal {
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGBUS => "SIGBUS",
        libc::SIGKILL => "SIGKILL",
        libc::SIGABRT => "SIGABRT",
        _ => "signal",
    }
}

/// How long the child may take before it is killed (it takes microseconds).
const CHILD_TIMEOUT: Duration = Duration::from_secs(5);

/// Forks a child that reads (or writes) one byte at `addr` and reports how
/// it ended; `Err(errno)` if the child could not be made or waited for.
///
/// `addr` should lie in memory the caller owns (a page lab reservation):
/// whatever happens there happens in the child's copy of the address space.
pub(super) fn touch(addr: usize, write: bool) -> Result<ChildEnd, i32> {
    // SAFETY: fork has no preconditions; the child below only makes raw
    // system calls and ends with _exit, as required after fork in a
    // multi-threaded process.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(crate::vm::last_errno());
    }
    if pid == 0 {
        // SAFETY: in the child: async-signal-safe calls only. The default
        // actions make the fault kill the child (not Rust's stack-overflow
        // handler); not dumpable means no core file, even with a
        // core_pattern pipe. The access itself is the point: it either
        // works and the child exits 0, or the signal ends the child. The
        // parent's memory is untouched (the child has its own copy).
        unsafe {
            libc::signal(libc::SIGSEGV, libc::SIG_DFL);
            libc::signal(libc::SIGBUS, libc::SIG_DFL);
            let _ = rustix::process::set_dumpable_behavior(
                rustix::process::DumpableBehavior::NotDumpable,
            );
            let p = addr as *mut u8;
            if write {
                p.write_volatile(1);
            } else {
                p.read_volatile();
            }
            libc::_exit(0);
        }
    }
    // fork gave a positive PID.
    wait(rustix::process::Pid::from_raw(pid).ok_or(libc::ECHILD)?)
}

/// Waits for the child, killing it if it does not end in time.
fn wait(pid: rustix::process::Pid) -> Result<ChildEnd, i32> {
    use rustix::process::{Signal, WaitOptions, kill_process, waitpid};
    let deadline = Instant::now() + CHILD_TIMEOUT;
    loop {
        match waitpid(Some(pid), WaitOptions::NOHANG) {
            Ok(Some((_, status))) => {
                if let Some(signal) = status.terminating_signal() {
                    return Ok(ChildEnd::Signaled { signal });
                }
                if let Some(code) = status.exit_status() {
                    return Ok(ChildEnd::Exited { code });
                }
            }
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(e.raw_os_error()),
            Ok(None) => {
                if Instant::now() >= deadline {
                    // Our own child, not reaped yet: the PID is still its.
                    let _ = kill_process(pid, Signal::KILL);
                }
            }
        }
        std::thread::sleep(Duration::from_micros(200));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_child_dies_of_the_fault_and_we_do_not() {
        let page = region::page::size();
        let mut area = region::alloc(2 * page, region::Protection::READ_WRITE).unwrap();
        let base = area.as_mut_ptr::<u8>() as usize;
        // SAFETY: the second page of our own mapping; nothing refers to it.
        unsafe { region::protect((base + page) as *const u8, page, region::Protection::NONE) }
            .unwrap();
        assert_eq!(touch(base, true), Ok(ChildEnd::Exited { code: 0 }));
        let end = touch(base + page, false).unwrap();
        assert_eq!(
            end,
            ChildEnd::Signaled {
                signal: libc::SIGSEGV
            }
        );
        assert_eq!(end.signal_name(), Some("SIGSEGV"));
        // The child's store went to its own copy.
        let mut byte = [9u8];
        crate::os::probe::read(base as *const u8, &mut byte).unwrap();
        assert_eq!(byte, [0]);
    }
}
