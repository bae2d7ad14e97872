//! Helpers for tests that run the real memlab binary in several processes.
#![allow(dead_code)]

pub mod desk;
pub mod ui;
pub mod xvfb;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_memlab");
pub const SAMPLE: &str = "샘플입니다 !";

/// A mapping name of this test's own, so tests run in parallel.
pub fn unique(tag: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("t-{tag}-{}-{nanos}", std::process::id())
}

/// The name libtest gives the test function `test` of the module whose
/// `module_path!()` is `module` (`it::crate_defects` gives
/// `crate_defects::TEST`): what `--exact` takes to re-execute this test
/// binary on that one test.
pub fn test_path(module: &str, test: &str) -> String {
    match module.split_once("::") {
        Some((_, within)) => format!("{within}::{test}"),
        None => test.to_owned(),
    }
}

/// Held by each test of `tests/serial` for its whole run: they need this
/// test process to themselves (see `tests/serial/main.rs` for why).
pub fn alone() -> std::sync::MutexGuard<'static, ()> {
    static PAGES: std::sync::Mutex<()> = std::sync::Mutex::new(());
    PAGES
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A folder of the test's own in the temporary folder (`memlab-TAG-...`),
/// removed with all it holds when dropped (tempfile's `TempDir`); mode
/// 0755 like a folder made by hand, so that another account the test runs
/// memlab as can reach what is put there.
pub fn temp_dir(tag: &str) -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::Builder::new()
        .prefix(&format!("memlab-{tag}-"))
        .tempdir()
        .expect("a temporary folder");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

/// Paths in a test's [`temp_dir`].
pub trait InDir {
    /// The path of `name` in the folder.
    fn file(&self, name: &str) -> PathBuf;
    /// The same as a command-line argument.
    fn arg(&self, name: &str) -> String {
        self.file(name).to_string_lossy().into_owned()
    }
    /// The names the folder holds, sorted.
    fn entries(&self) -> Vec<String>;
}

impl InDir for tempfile::TempDir {
    fn file(&self, name: &str) -> PathBuf {
        self.path().join(name)
    }

    fn entries(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

/// Sets its flag when dropped. A helper thread of a `thread::scope` that
/// loops `while !flag` then stops even when the scope's body panics:
/// without it the scope waits for the thread forever, and the failed
/// assertion is never shown (the test hangs instead of failing).
pub struct StopOnDrop<'a>(pub &'a std::sync::atomic::AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Removes, when dropped (whatever happens), what a test left under a
/// name: see [`cleanup`].
pub struct Cleanup(pub String);

impl Drop for Cleanup {
    fn drop(&mut self) {
        cleanup(&self.0);
    }
}

/// This account's effective uid.
pub fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// The POSIX shared memory object behind a mapping name for this account
/// (Linux): names are per account, like Win32's session namespace.
pub fn object_path(name: &str) -> PathBuf {
    object_path_of(euid(), name)
}

/// Where the account `uid` keeps its objects: its own runtime folder
/// `/run/user/UID` if the system gives it one (owned by it, mode 0700),
/// otherwise /dev/shm (as `memlab_engine::os::shm_object` chooses).
pub fn objects_folder_of(uid: u32) -> PathBuf {
    use std::os::unix::fs::MetadataExt;
    let runtime = PathBuf::from(format!("/run/user/{uid}"));
    match std::fs::symlink_metadata(&runtime) {
        Ok(m) if m.is_dir() && m.uid() == uid && m.mode() & 0o777 == 0o700 => runtime,
        _ => PathBuf::from("/dev/shm"),
    }
}

/// The object of the mapping `name` of the account `uid`.
pub fn object_path_of(uid: u32, name: &str) -> PathBuf {
    objects_folder_of(uid).join(format!("memlab.{uid}.{name}"))
}

/// The book mutex's object of the lock `name`, for this account.
pub fn mutex_object_path(name: &str) -> PathBuf {
    objects_folder_of(euid()).join(format!("memlab-mutex.{}.{name}", euid()))
}

/// Runs `memlab shared --name NAME ARGS...` to completion (at most 30 s).
pub fn shared(name: &str, args: &[&str]) -> Output {
    let mut all = vec!["shared", "--name", name];
    all.extend_from_slice(args);
    run(&all)
}

/// `memlab ARGS...`, to adjust (environment, directory) before running.
pub fn memlab(args: &[&str]) -> Command {
    let mut command = Command::new(BIN);
    command.args(args);
    command
}

/// `memlab ARGS...` run as the account `nobody` (65534), as another student
/// on the same machine would (the tests run as root).
pub fn memlab_as_nobody(args: &[&str]) -> Command {
    let mut command = Command::new("setpriv");
    command
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(BIN)
        .args(args);
    command
}

/// True when the tests run as root (needed to act as another account).
pub fn is_root() -> bool {
    euid() == 0
}

/// Starts `command` with no stdin, stdout and stderr piped.
fn spawn(mut command: Command) -> Child {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start memlab")
}

/// Runs memlab with `args` to completion (at most 30 s).
pub fn run(args: &[&str]) -> Output {
    run_command(memlab(args))
}

/// Runs `command` to completion (at most 30 s).
pub fn run_command(command: Command) -> Output {
    let what = format!("{command:?}");
    let child = spawn(command);
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(Duration::from_secs(30)) {
        Ok(output) => output.expect("wait for memlab"),
        Err(_) => {
            kill(pid, libc::SIGKILL);
            panic!("{what} did not finish within 30 s");
        }
    }
}

/// Runs memlab with `args` to completion (at most 60 s of wall-clock time)
/// and gives, with its output, the CPU time it used: "ends before doing
/// its work" without a wall-clock bound that a loaded machine breaks.
pub fn run_measuring_cpu(args: &[&str]) -> (Output, Duration) {
    let mut running = Running::start(args);
    let cpu = running.cpu_time_at_exit(Duration::from_secs(60));
    let status = running.wait(Duration::from_secs(60));
    let collect = |lines: &Receiver<String>| -> Vec<u8> {
        // The pipes' readers end with the process: every line is there.
        lines.iter().flat_map(|l| (l + "\n").into_bytes()).collect()
    };
    let output = Output {
        status,
        stdout: collect(&running.stdout),
        stderr: collect(&running.stderr),
    };
    (output, cpu)
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout)
        .trim_end()
        .to_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

pub fn kill(pid: u32, signal: i32) {
    // SAFETY: kill has no memory-safety preconditions.
    unsafe {
        libc::kill(pid as i32, signal);
    }
}

/// CPU time (user + system, every thread) a process has used, from
/// /proc/PID/stat; also readable once it ended and is not yet reaped.
/// Unlike the wall clock, it moves only while the process runs, so "after
/// one second of its work" means the same on a loaded machine.
pub fn cpu_time(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    let hz = rustix::param::clock_ticks_per_second();
    Some(Duration::from_millis(ticks * 1000 / hz))
}

/// A memlab process that keeps running; its output lines arrive on channels.
/// Dropping it kills it (SIGKILL) and reaps it.
pub struct Running {
    pub child: Child,
    stdout: Receiver<String>,
    stderr: Receiver<String>,
}

impl Running {
    pub fn shared(name: &str, args: &[&str]) -> Self {
        let mut all = vec!["shared", "--name", name];
        all.extend_from_slice(args);
        Self::start(&all)
    }

    pub fn start(args: &[&str]) -> Self {
        Self::command(memlab(args))
    }

    /// Starts `command` (e.g. from [`memlab`] with another environment).
    pub fn command(command: Command) -> Self {
        let mut child = spawn(command);
        let stdout = lines(child.stdout.take().unwrap());
        let stderr = lines(child.stderr.take().unwrap());
        Self {
            child,
            stdout,
            stderr,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The next stdout line, waiting at most `timeout`.
    pub fn line(&self, timeout: Duration) -> Option<String> {
        self.stdout.recv_timeout(timeout).ok()
    }

    /// Waits for a stdout line equal to `want`.
    pub fn expect_line(&self, want: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        let mut seen = Vec::new();
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.stdout.recv_timeout(left) {
                Ok(line) if line == want => return,
                Ok(line) => seen.push(line),
                Err(_) => break,
            }
        }
        panic!("no line {want:?} within {timeout:?}; saw {seen:?}");
    }

    /// Every stderr line so far (waiting up to `wait` for the first).
    pub fn stderr_lines(&self, wait: Duration) -> Vec<String> {
        let mut out: Vec<String> = self.stderr.recv_timeout(wait).into_iter().collect();
        out.extend(self.stderr.try_iter());
        out
    }

    /// The stderr lines from now on, one text, read until `done` holds
    /// for them (at most `timeout`). A thread of its own reads stderr, not
    /// in step with stdout nor with the process's end: a line written
    /// before a stdout line, or before the process ended, may still be on
    /// its way after that line or that end is seen.
    pub fn stderr_until(&self, timeout: Duration, done: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + timeout;
        let mut said = String::new();
        while !done(&said) {
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                break;
            };
            match self.stderr.recv_timeout(left) {
                Ok(line) => {
                    if !said.is_empty() {
                        said.push('\n');
                    }
                    said.push_str(&line);
                }
                Err(_) => break,
            }
        }
        said
    }

    pub fn signal(&self, signal: i32) {
        kill(self.pid(), signal);
    }

    /// Waits until the process has used `cpu` of CPU time since `since`
    /// (its CPU time then), at most `timeout` of wall-clock time.
    pub fn wait_for_cpu(&mut self, since: Duration, cpu: Duration, timeout: Duration) -> Duration {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("ended ({status}) before using {cpu:?} of CPU");
            }
            let used = cpu_time(self.pid()).expect("the process's /proc/PID/stat");
            if used >= since + cpu {
                return used;
            }
            assert!(
                Instant::now() < deadline,
                "used {:?} of CPU in {timeout:?}, waiting for {cpu:?}",
                used - since
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Waits for the process to end (at most `timeout`), leaving it to
    /// [`Running::wait`] to reap, and gives the CPU time it used in all.
    pub fn cpu_time_at_exit(&self, timeout: Duration) -> Duration {
        let deadline = Instant::now() + timeout;
        loop {
            use rustix::process::{Pid, WaitId, WaitIdOptions, waitid};
            // NOWAIT: our own child stays a zombie (its PID cannot be
            // reused, its /proc/PID/stat stays) until `wait` reaps it.
            let pid = Pid::from_raw(self.pid() as i32).expect("a child's PID");
            let ended = waitid(
                WaitId::Pid(pid),
                WaitIdOptions::EXITED | WaitIdOptions::NOWAIT | WaitIdOptions::NOHANG,
            )
            .expect("waitid");
            if ended.is_some() {
                return cpu_time(self.pid()).expect("the ended process's /proc/PID/stat");
            }
            assert!(
                Instant::now() < deadline,
                "process did not end in {timeout:?}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Waits for the process to end (at most `timeout`); its exit status.
    pub fn wait(&mut self, timeout: Duration) -> std::process::ExitStatus {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "process did not end in {timeout:?}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn lines(pipe: impl std::io::Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Removes what a test left under `name`: the shared text's object (a
/// stale object is recovered and, as its last instance leaves, removed),
/// and what `MemlabApp::with_mapping` gives the other labs: the mutex lab's
/// lock, which outlives its last user on purpose, and the file-mapping
/// lab's file.
pub fn cleanup(name: &str) {
    let _ = shared(name, &["info"]);
    let _ = memlab_engine::mutex::remove(name);
    let _ = std::fs::remove_file(memlab::app::MemlabApp::scratch_file(name));
}

/// The file mapping lab's change stamp of the file at `path`, in /dev/shm
/// (named after this account, the file's device and its inode).
pub fn filemap_stamp_of(path: &Path) -> PathBuf {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(path).unwrap();
    PathBuf::from(format!(
        "/dev/shm/memlab-filemap.{}.{:x}-{}",
        euid(),
        meta.dev(),
        meta.ino()
    ))
}
