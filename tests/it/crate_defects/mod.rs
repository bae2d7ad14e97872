//! Proofs of the known defects of raw_sync 0.1.5 and shared_memory 0.12.4
//! that memlab designs around, each next to a proof that memlab's
//! replacement does not have it.
//!
//! The `crate_*` tests assert the DEFECT's observable behaviour. They are
//! meant to fail the day a new version of the crate fixes it: if one of them
//! fails after a dependency update, do not "fix" the test; revisit the design
//! it justifies (`crates/engine/src/os/timed_lock.rs` for raw_sync, `crates/engine/src/os/linux/shm_object`
//! and the notes at the top of `crates/engine/src/shared_text/mod.rs` for
//! shared_memory) and then update or delete the test. The `memlab_*` tests
//! assert memlab's own behaviour; a failure there is a regression in memlab.
//!
//! shared_memory 0.12.4 is no longer used by memlab itself: defects 5 and 6
//! (it maps whatever the name names, never a descriptor that was checked, and
//! it reserves no storage, so a full /dev/shm kills with SIGBUS) are what
//! moved memlab to objects opened and checked by descriptor (rustix) and
//! mapped with memmap2. Defects 3 and 4 stay proven because memlab's roster
//! and gate still answer them.
//!
//! raw_sync's defects (1, 2) are in `mutex_crate`, shared_memory's (3 to
//! 6) in `shm_crate`; the helpers both use are here.
//!
//! Linux only (POSIX shared memory under /dev/shm, SIGKILL, glibc's timed
//! mutex). Every OS object gets a name with this process's PID and the test's
//! name, and is removed even when a test fails. Tests that need a second
//! process re-execute this test binary (`--exact <test> --nocapture`) with
//! `CHILD_ROLE_ENV` set, or run the memlab binary.

#![cfg(target_os = "linux")]

use std::ffi::CString;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use memlab_engine::os::shm_object::ObjectError;
use memlab_engine::os::timed_lock::{AcquireError, FileLock};
use memlab_engine::shared_text::{MAPPING_SIZE, Origin, SAMPLE_TEXT, SharedError, SharedText};
use raw_sync::Timeout;
use raw_sync::locks::{LockImpl, LockInit, Mutex};
use shared_memory::{Shmem, ShmemConf, ShmemError};

/// Set in a re-executed child: which role it plays.
const CHILD_ROLE_ENV: &str = "MEMLAB_CRATE_DEFECTS_CHILD";
/// Set in a re-executed child: the object (shm id or lock path) it works on.
const CHILD_ARG_ENV: &str = "MEMLAB_CRATE_DEFECTS_ARG";
/// How long a parent waits for a child's "ready" line before giving up.
const CHILD_READY_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a parent waits for a child process to end before giving up.
const CHILD_EXIT_TIMEOUT: Duration = Duration::from_secs(10);

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// A name unique to this process and test.
fn unique(test: &str) -> String {
    format!("crate-defects-{}-{test}", std::process::id())
}

/// A POSIX shm id (leading '/') unique to this process and test.
fn shm_id(test: &str) -> String {
    format!("/memlab-defect-{}-{test}", std::process::id())
}

/// Where Linux shows a POSIX shm object with id `id`.
fn dev_shm(id: &str) -> PathBuf {
    PathBuf::from(format!("/dev/shm{id}"))
}

/// `shm_unlink`s an id when dropped (harmless if it is already gone), so an
/// object never outlives a failed test.
struct ShmUnlink(String);

impl Drop for ShmUnlink {
    fn drop(&mut self) {
        let id = CString::new(self.0.as_str()).unwrap();
        // SAFETY: `id` is a valid NUL-terminated string.
        unsafe { libc::shm_unlink(id.as_ptr()) };
    }
}

/// Removes what a memlab mapping name leaves (its shm object, if still
/// there) when dropped. Declare it before the `SharedText`s so that it runs
/// after they are dropped.
struct MemlabCleanup(String);

impl Drop for MemlabCleanup {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(memlab_object(&self.0));
    }
}

/// memlab's shm object for a mapping name.
fn memlab_object(name: &str) -> PathBuf {
    dev_shm(&memlab_engine::shared_text::os_id(name))
}

/// Removes a file when dropped.
struct RemoveFile(PathBuf);

impl Drop for RemoveFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A child process whose stdout lines arrive on a channel; SIGKILLed and
/// reaped when dropped, so a failing test never leaves it behind.
struct Kid {
    child: Child,
    lines: Receiver<String>,
}

impl Kid {
    fn spawn(mut command: Command) -> Self {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the child process");
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Self { child, lines }
    }

    /// Re-executes this test binary to run only `test` (a test's path in
    /// the binary: `test_path(module_path!(), name)`), in `role`.
    fn reexec(test: &str, role: &str, arg: &str) -> Self {
        let mut command = Command::new(std::env::current_exe().unwrap());
        command
            .args(["--exact", test, "--include-ignored"])
            .args(["--nocapture", "--test-threads=1"])
            .env(CHILD_ROLE_ENV, role)
            .env(CHILD_ARG_ENV, arg);
        Self::spawn(command)
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits for a stdout line containing `marker`; returns it.
    fn wait_for_line(&self, marker: &str) -> String {
        let deadline = Instant::now() + CHILD_READY_TIMEOUT;
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line.contains(marker) => return line,
                Ok(line) => seen.push(line),
                Err(RecvTimeoutError::Timeout) => {
                    panic!("no line with {marker:?} within {CHILD_READY_TIMEOUT:?}; saw {seen:?}")
                }
                Err(RecvTimeoutError::Disconnected) => {
                    panic!("the child ended before printing {marker:?}; saw {seen:?}")
                }
            }
        }
    }

    /// SIGKILLs the child and reaps it; returns its exit status.
    fn sigkill(&mut self) -> ExitStatus {
        // SAFETY: kill has no memory-safety preconditions; the child is not
        // reaped yet, so its PID cannot have been reused.
        let rc = unsafe { libc::kill(self.pid() as libc::pid_t, libc::SIGKILL) };
        assert_eq!(rc, 0, "kill: {}", std::io::Error::last_os_error());
        wait_with_timeout(&mut self.child, CHILD_EXIT_TIMEOUT)
    }
}

impl Drop for Kid {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits for `child` at most `limit`; kills it and panics past that.
fn wait_with_timeout(child: &mut Child, limit: Duration) -> ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("process {} did not end within {limit:?}", child.id());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Asserts that `status` is a death by SIGKILL and that `pid` is gone.
fn assert_killed(status: ExitStatus, pid: u32) {
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(libc::SIGKILL), "status {status:?}");
    // SAFETY: signal 0 only checks for existence.
    let rc = unsafe { libc::kill(pid as libc::pid_t, 0) };
    let errno = std::io::Error::last_os_error().raw_os_error();
    assert!(
        rc == -1 && errno == Some(libc::ESRCH),
        "PID {pid} should be gone"
    );
}

/// In a re-executed child: the argument if this process plays `role`.
fn child_role(role: &str) -> Option<String> {
    match std::env::var(CHILD_ROLE_ENV) {
        Ok(r) if r == role => Some(std::env::var(CHILD_ARG_ENV).expect("child argument")),
        _ => None,
    }
}

/// In a re-executed child: announces `line`, then blocks until the parent
/// kills it (or dies itself: stdin then reaches EOF and the child exits).
fn child_announce_and_wait(line: &str) -> ! {
    println!("{line}");
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
    std::process::exit(0)
}

/// A raw_sync mutex in a heap buffer (PTHREAD_PROCESS_SHARED, as raw_sync
/// always sets): the lock at the start, its "data" pointer 64 bytes in.
fn raw_sync_mutex_at(mem: *mut u8, existing: bool) -> Box<dyn LockImpl> {
    // SAFETY: callers pass a buffer of at least 128 bytes, 8-aligned, that
    // outlives the returned handle; `existing` only after `new` on it.
    let made = unsafe {
        if existing {
            Mutex::from_existing(mem, mem.add(64))
        } else {
            Mutex::new(mem, mem.add(64))
        }
    };
    made.expect("raw_sync mutex").0
}

/// How many times the calling thread has slept (given up the CPU to wait:
/// `voluntary_ctxt_switches` of /proc/thread-self/status).
fn voluntary_switches() -> u64 {
    std::fs::read_to_string("/proc/thread-self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("voluntary_ctxt_switches:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("voluntary_ctxt_switches")
}

mod mutex_crate;
mod shm_crate;
