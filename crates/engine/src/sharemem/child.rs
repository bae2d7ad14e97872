//! The dangerous half of `--separate`, in a child process (memlab's own
//! exe, hidden command [`CHILD_COMMAND`]): the child loads the library,
//! takes a string the library's own manager made, and frees it with the
//! program's manager for real (Rust's global allocator, which is memlab's
//! dispatcher: the block is in none of its managers' ranges, so it goes to
//! the system allocator, which never gave it out). The parent reports how
//! the child ended: a signal and the C library's message (glibc aborts with
//! "free(): invalid size" or "free(): invalid pointer"), an exit status
//! (Windows: e.g. STATUS_HEAP_CORRUPTION), or nothing visible, with the
//! memory now corrupt.

use std::alloc::Layout;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::library::{LIBRARY_ENV, Library};
use super::{ShareMemError, TEXT};

/// The hidden command that runs [`child_main`].
pub const CHILD_COMMAND: &str = "sharemem-child";

/// How long the child may take (it needs milliseconds; a loaded machine
/// may be slow, and a hung child is killed, never waited for forever).
const CHILD_DEADLINE: Duration = Duration::from_secs(20);

/// The most of the child's stderr kept.
const STDERR_KEPT: usize = 2000;

/// How the child ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "how", rename_all = "snake_case")]
pub enum Ended {
    /// Killed by a signal (Unix): its number and name.
    Signal { number: i32, name: String },
    /// Exited with this status (on Windows, an NTSTATUS like
    /// 0xC0000374 when the system ended it), and its name if known.
    Exited { code: i64, name: Option<String> },
    /// Still running at the deadline: killed by memlab.
    TimedOut,
}

/// What the child did and how it ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChildReport {
    /// The child's process id.
    pub pid: u32,
    /// The string's address in the child (the library's own arena).
    pub address: Option<usize>,
    /// True if the child got past the free (its next line was written).
    pub survived: bool,
    /// After surviving: the program's manager handed out the library's
    /// block again (the free put foreign memory on its free list).
    pub reused: Option<bool>,
    /// How it ended.
    pub ended: Ended,
    /// What it wrote on stderr (the C library's message), trimmed.
    pub stderr: String,
}

impl ChildReport {
    /// The child died of it (a signal, or a Windows status code).
    pub fn crashed(&self) -> bool {
        match &self.ended {
            Ended::Signal { .. } => true,
            Ended::Exited { code, .. } => *code != 0,
            Ended::TimedOut => false,
        }
    }
}

/// The child's side: prints one JSON line before the free and one after
/// (if it lives), then returns. Errors before the free are returned.
pub fn child_main() -> Result<(), ShareMemError> {
    // The abort is the lesson, not a core file in the current folder or a
    // crash report: no core limit, and (Linux) not dumpable at all, which
    // also keeps a core_pattern pipe (systemd-coredump) out of it.
    #[cfg(target_os = "linux")]
    let _ = rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable);
    #[cfg(unix)]
    {
        let _ = rustix::process::setrlimit(
            rustix::process::Resource::Core,
            rustix::process::Rlimit {
                current: Some(0),
                maximum: None,
            },
        );
    }
    let path = std::env::var_os(LIBRARY_ENV)
        .map(std::path::PathBuf::from)
        .ok_or_else(|| ShareMemError::LibraryNotFound { searched: vec![] })?;
    let library = Library::load(&path)?;
    library.set_memory_manager(None)?;
    let p = library.make_string(TEXT)?;
    let (start, len) = library.arena();
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "{}",
        serde_json::json!({"address": p as usize, "arena_start": start, "arena_len": len})
    );
    let _ = out.flush();
    let layout = Layout::from_size_align(TEXT.len() + 1, 1).expect("a small layout");
    // SAFETY: none: this is the bug the lab shows. `p` is a block of the
    // library's own manager, freed here with the program's (the global
    // allocator), in a child process that exists to show what follows.
    unsafe { std::alloc::dealloc(p, layout) };
    // SAFETY: a non-zero layout.
    let again = unsafe { std::alloc::alloc(layout) };
    let _ = writeln!(
        out,
        "{}",
        serde_json::json!({"survived": true, "reused": again == p})
    );
    let _ = out.flush();
    // The process ends now; nothing is freed again.
    std::process::exit(0)
}

/// Runs the child (`memlab_exe sharemem-child`) with the library at
/// `library` and reports how it ended.
pub fn run_child(memlab_exe: &Path, library: &Path) -> Result<ChildReport, ShareMemError> {
    let spawn_error = |e: std::io::Error| ShareMemError::Child {
        exe: memlab_exe.to_path_buf(),
        message: e.to_string(),
    };
    let mut child = Command::new(memlab_exe)
        .arg(CHILD_COMMAND)
        .env(LIBRARY_ENV, library)
        // glibc writes its fatal messages to stderr, not the terminal.
        .env("LIBC_FATAL_STDERR_", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(spawn_error)?;
    let pid = child.id();
    let reader = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            String::from_utf8_lossy(&bytes).into_owned()
        })
    };
    let stdout = reader(Box::new(child.stdout.take().expect("piped")));
    let stderr = reader(Box::new(child.stderr.take().expect("piped")));
    let deadline = Instant::now() + CHILD_DEADLINE;
    let status = loop {
        match child.try_wait().map_err(spawn_error)? {
            Some(status) => break Some(status),
            None if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            None => std::thread::sleep(Duration::from_millis(5)),
        }
    };
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let address = lines
        .iter()
        .find_map(|v| v.get("address").and_then(serde_json::Value::as_u64))
        .map(|a| a as usize);
    let after = lines.iter().find(|v| v.get("survived").is_some());
    let ended = match status {
        None => Ended::TimedOut,
        Some(status) => ended(status),
    };
    if address.is_none() && !matches!(ended, Ended::Signal { .. } | Ended::TimedOut) {
        // The child failed before the free (it said why on stderr).
        return Err(ShareMemError::Child {
            exe: memlab_exe.to_path_buf(),
            message: last_chars(stderr.trim(), STDERR_KEPT).to_string(),
        });
    }
    Ok(ChildReport {
        pid,
        address,
        survived: after.is_some(),
        reused: after
            .and_then(|v| v.get("reused"))
            .and_then(serde_json::Value::as_bool),
        ended,
        stderr: last_chars(stderr.trim(), STDERR_KEPT).to_string(),
    })
}

fn last_chars(s: &str, n: usize) -> &str {
    match s.char_indices().rev().nth(n) {
        Some((i, _)) => &s[i..],
        None => s,
    }
}

#[cfg(unix)]
fn ended(status: std::process::ExitStatus) -> Ended {
    use std::os::unix::process::ExitStatusExt;
    if let Some(number) = status.signal() {
        return Ended::Signal {
            number,
            name: signal_name(number),
        };
    }
    Ended::Exited {
        code: i64::from(status.code().unwrap_or(-1)),
        name: None,
    }
}

#[cfg(unix)]
fn signal_name(number: i32) -> String {
    let name = match number {
        libc::SIGABRT => "SIGABRT",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGBUS => "SIGBUS",
        libc::SIGILL => "SIGILL",
        libc::SIGFPE => "SIGFPE",
        libc::SIGKILL => "SIGKILL",
        libc::SIGTRAP => "SIGTRAP",
        _ => return format!("signal {number}"),
    };
    name.into()
}

#[cfg(windows)]
fn ended(status: std::process::ExitStatus) -> Ended {
    let code = status.code().unwrap_or(-1);
    // An NTSTATUS is an unsigned 32-bit value.
    let code = i64::from(code as u32);
    let name = match code {
        0xC000_0374 => Some("STATUS_HEAP_CORRUPTION"),
        0xC000_0005 => Some("STATUS_ACCESS_VIOLATION"),
        0xC000_0409 => Some("STATUS_STACK_BUFFER_OVERRUN"),
        0xC000_000D => Some("STATUS_INVALID_PARAMETER"),
        0xC000_001D => Some("STATUS_ILLEGAL_INSTRUCTION"),
        0x8000_0003 => Some("STATUS_BREAKPOINT"),
        _ => None,
    };
    Ended::Exited {
        code,
        name: name.map(String::from),
    }
}
