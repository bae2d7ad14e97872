//! What memlab's objects say about processes, checked before it is said.
//!
//! The shared objects are writable by every process of the account, so a PID
//! in their bytes (a holder, a slot's owner, a last writer) is a claim, not a
//! fact. What can be checked is checked here against what the kernel keeps:
//! the process table (`/proc/PID`), a thread's process (`/proc/TID/status`),
//! and the byte-range locks an open file holds (`/proc/PID/fdinfo`). The
//! messages then say "PID N" for what was confirmed and "the header names
//! PID N" for what was not.

use std::fs::File;
use std::os::unix::fs::MetadataExt;
use std::sync::OnceLock;

use procfs::Current;

/// Linux's largest PID when `/proc/sys/kernel/pid_max` cannot be read.
const PID_MAX_LIMIT: u32 = 1 << 22;

/// True if process (or thread) `pid` is running: it exists and is not a
/// zombie.
pub fn running(pid: u32) -> bool {
    task_status(pid).is_some()
}

/// The process of the running thread `tid` (its thread group id).
pub fn process_of_thread(tid: u32) -> Option<u32> {
    task_status(tid)
}

/// The thread group of a running task, from `/proc/TID/status` (which
/// exists for every thread, listed or not).
fn task_status(tid: u32) -> Option<u32> {
    let id = i32::try_from(tid).ok().filter(|&t| t > 0)?;
    let status = procfs::process::Process::new(id).ok()?.status().ok()?;
    if status.state.starts_with(['Z', 'X', 'x']) {
        return None;
    }
    u32::try_from(status.tgid).ok()
}

/// The longest process `pid` can have been running, from the process
/// table. The kernel gives its start (`/proc/PID/stat`) in clock ticks and
/// the uptime (`/proc/uptime`) in hundredths of a second, each cut down to
/// a whole one: their difference can be short of the true age by up to one
/// of them, so one is added. Without it, a process that took a lock within
/// ten milliseconds of starting (`memlab shared hold` does) looked younger
/// than its hold, for as long as it held it.
pub fn running_at_most(pid: u32) -> Option<std::time::Duration> {
    let id = i32::try_from(pid).ok().filter(|&p| p > 0)?;
    let stat = procfs::process::Process::new(id).ok()?.stat().ok()?;
    let ticks = procfs::ticks_per_second().max(1);
    let uptime = procfs::Uptime::current().ok()?.uptime_duration();
    let started = std::time::Duration::from_millis(stat.starttime.saturating_mul(1000) / ticks);
    let step = std::time::Duration::from_millis((1000 / ticks).max(10));
    Some(uptime.saturating_sub(started) + step)
}

/// The highest PID (and thread id) this system hands out.
pub fn pid_max() -> u32 {
    static MAX: OnceLock<u32> = OnceLock::new();
    *MAX.get_or_init(|| {
        std::fs::read_to_string("/proc/sys/kernel/pid_max")
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(PID_MAX_LIMIT)
    })
}

/// A process holding a file lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlockHolder {
    pub pid: u32,
    /// Its command name (`/proc/PID/comm`), empty if it could not be read.
    pub program: String,
}

impl FlockHolder {
    pub fn is_memlab(&self) -> bool {
        self.program == "memlab"
    }
}

/// Who holds a flock on `file` (and whether in shared mode), from
/// /proc/locks: the kernel's own table, so it cannot go stale.
pub fn flock_holder(file: &File) -> Option<(FlockHolder, bool)> {
    let meta = file.metadata().ok()?;
    let (major, minor) = (rustix::fs::major(meta.dev()), rustix::fs::minor(meta.dev()));
    let me = std::process::id();
    let mut found: Option<(FlockHolder, bool)> = None;
    for lock in procfs::locks().ok()? {
        if lock.lock_type != procfs::LockType::FLock
            || (lock.devmaj, lock.devmin, lock.inode) != (major, minor, meta.ino())
        {
            continue;
        }
        let Some(pid) = lock.pid.and_then(|p| u32::try_from(p).ok()) else {
            continue;
        };
        let shared = matches!(lock.kind, procfs::LockKind::Read);
        let program = procfs::process::Process::new(pid as i32)
            .and_then(|p| p.stat())
            .map(|s| s.comm)
            .unwrap_or_default();
        // Another process is the better answer than ourselves.
        if found.is_none() || pid != me {
            found = Some((FlockHolder { pid, program }, shared));
        }
        if pid != me {
            break;
        }
    }
    found
}

/// True if process `pid` has `object` open with a byte-range lock (OFD)
/// starting at byte `at`: the kernel's own record of who holds a roster slot
/// (`/proc/PID/fdinfo` lists the locks of each open file).
pub fn holds_ofd_lock(pid: u32, object: &File, at: u64) -> bool {
    let Ok(ours) = object.metadata() else {
        return false;
    };
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return false;
    };
    fds.flatten().any(|fd| {
        // Following the link gives the open object itself.
        let same = std::fs::metadata(fd.path())
            .is_ok_and(|m| (m.dev(), m.ino()) == (ours.dev(), ours.ino()));
        same && std::fs::read_to_string(format!(
            "/proc/{pid}/fdinfo/{}",
            fd.file_name().to_string_lossy()
        ))
        .is_ok_and(|info| info.lines().any(|line| ofd_lock_start(line) == Some(at)))
    })
}

/// The first byte of an OFD lock in a line of `/proc/PID/fdinfo/FD`:
/// `lock:\t2: OFDLCK ADVISORY  WRITE -1 00:1b:3 67 67` (start, then end).
fn ofd_lock_start(line: &str) -> Option<u64> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    match fields.as_slice() {
        ["lock:", _, "OFDLCK", .., start, _end] => start.parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::os::ofd_lock;

    #[test]
    fn this_process_runs_and_its_threads_belong_to_it() {
        let me = std::process::id();
        assert!(running(me));
        assert_eq!(process_of_thread(me), Some(me));
        let tid = rustix::thread::gettid().as_raw_nonzero().get() as u32;
        assert_eq!(process_of_thread(tid), Some(me));
        assert!(!running(0));
        assert!(!running(pid_max() + 1));
        assert!(pid_max() >= 300);
        let age = running_at_most(me).expect("this process's age");
        assert!(age < std::time::Duration::from_secs(24 * 3600), "{age:?}");
        assert!(
            running_at_most(1).unwrap() >= age,
            "init is older than a test"
        );
    }

    /// The age read is never short of the time a process has been running
    /// (it was, by up to 10 ms, most of the time: the panel's hold then
    /// showed no milliseconds). Read over and over for a tenth of a second,
    /// so that every phase of the 10 ms ticks is met; the time since the
    /// spawn returned is taken before each read, so a preemption anywhere
    /// only makes the true age longer.
    #[test]
    fn a_process_age_is_never_read_short() {
        use std::time::{Duration, Instant};
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let spawned = Instant::now();
        let mut reads = 0;
        while spawned.elapsed() < Duration::from_millis(100) || reads < 100 {
            let at_least = spawned.elapsed();
            let at_most = running_at_most(child.id()).expect("the child's age");
            assert!(
                at_most >= at_least,
                "read {at_most:?} for a process running for at least {at_least:?} (read {reads})"
            );
            reads += 1;
        }
        child.kill().unwrap();
        child.wait().unwrap();
    }

    #[test]
    fn a_reaped_child_is_not_running_and_a_zombie_neither() {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        // Until it is reaped it is a zombie at most: not running either way
        // once it has exited. Wait for the exit without reaping.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while running(pid) {
            assert!(std::time::Instant::now() < deadline, "true never ended");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        child.wait().unwrap();
        assert!(!running(pid));
    }

    #[test]
    fn the_kernel_says_which_process_holds_a_byte_lock() {
        let scratch = crate::os::scratch::ScratchFile::new("claims");
        let file = &scratch.file;
        let me = std::process::id();
        assert!(!holds_ofd_lock(me, file, 70));
        assert!(ofd_lock::try_lock(file, 70).unwrap());
        assert!(holds_ofd_lock(me, file, 70));
        assert!(!holds_ofd_lock(me, file, 7), "another byte");
        assert!(!holds_ofd_lock(1, file, 70), "another process");
    }
}
