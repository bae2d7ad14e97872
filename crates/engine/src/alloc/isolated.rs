//! A measurement in a fresh child process, as hyperfine runs a command:
//! nothing the measuring program did before (parsing, a window, egui's
//! allocations) is in the heap the pairs come from.
//!
//! Why: glibc serves a 4 KB block from the top of a fresh heap and merges it
//! back on free; in a heap that has been used, it carves the block from a
//! free chunk below the top and coalesces it with its neighbour on free,
//! about twice the work (`memlab bench` read 24-26 ns per pair where a bare
//! loop in a fresh process read 15 ns). The child is memlab's own binary
//! run as `memlab bench-child --manager M --size-kb N ...`, which `main`
//! recognises before anything else ([`serve`]): it sets up nothing but the
//! manager (the dispatcher is memlab's `#[global_allocator]` there as in the
//! window, so each manager is measured by the same path the form names) and
//! writes one JSON line per [`Phase`] and one with the [`Measurement`].
//!
//! The parent ([`measure_isolated`]) reads those lines on a thread of its
//! own and never blocks on the child: a child that dies, is killed or
//! stops talking for [`SILENCE_LIMIT`] is a typed [`MeasureError`], and the
//! child is killed when the measurement is cancelled or dropped. The same
//! code runs on Windows, where `std::process::Command` is `CreateProcess`
//! of the same executable.

use std::cell::{Cell, RefCell};
use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::ManagerKind;
use super::bench::BenchError;
use super::measure::{MeasureSpec, Measurement, Phase, measure};
use crate::error::{ErrorKind, HasKind};

/// The hidden subcommand the child runs as (`memlab bench-child ...`).
pub const CHILD_COMMAND: &str = "bench-child";
/// A child that writes nothing for this long is stopped ([`MeasureError::Silent`]).
/// It writes a line at least every sample (about 50 ms; one pair of 64 MB,
/// touched, is about 0.1 s), so this only trips on a child that hangs or
/// was stopped.
pub const SILENCE_LIMIT: Duration = Duration::from_secs(30);
/// How often the parent asks its progress callback (Cancel) while waiting.
const POLL: Duration = Duration::from_millis(25);
/// At most this much of the child's stderr is kept for the error.
const STDERR_KEPT: usize = 2000;

/// One line the child writes on stdout.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChildLine {
    /// Where the measurement is.
    Progress(Phase),
    /// The result (the last line).
    Done(Measurement),
    /// The measurement failed (the last line).
    Failed(BenchError),
}

/// Why an isolated measurement gave no result.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MeasureError {
    /// The measurement itself failed in the child (an allocation refused, ...).
    #[error(transparent)]
    Bench(#[from] BenchError),
    /// The child could not be started.
    #[error("cannot start the measuring process {}: {error}", exe.display())]
    Spawn {
        /// The executable tried.
        exe: PathBuf,
        /// The OS's message.
        error: String,
    },
    /// The child was ended by a signal before it gave its result (Unix).
    #[error("the measuring process was killed by signal {signal} before it finished{}", stderr_note(.stderr))]
    Killed {
        /// The signal's number (9: SIGKILL).
        signal: i32,
        /// The end of what it wrote on stderr.
        stderr: String,
    },
    /// The child exited before it gave its result (on Windows, also a
    /// child ended by TerminateProcess: it has no signals).
    #[error("the measuring process exited with code {code} before it finished{}", stderr_note(.stderr))]
    Exited {
        /// Its exit code.
        code: i32,
        /// The end of what it wrote on stderr.
        stderr: String,
    },
    /// The child wrote nothing for `secs` seconds and was killed.
    #[error("the measuring process said nothing for {secs} s and was stopped")]
    Silent {
        /// The limit that passed.
        secs: u64,
    },
    /// The child wrote a line that is not memlab's protocol.
    #[error("the measuring process wrote something unexpected: {line:?}")]
    Garbled {
        /// The line (cut to 200 characters).
        line: String,
    },
}

fn stderr_note(stderr: &str) -> String {
    match stderr.lines().rev().find(|l| !l.trim().is_empty()) {
        Some(last) => format!(" ({})", last.trim()),
        None => String::new(),
    }
}

impl HasKind for MeasureError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Bench(e) => e.kind(),
            Self::Spawn { .. } | Self::Garbled { .. } => ErrorKind::Os,
            Self::Killed { .. } | Self::Exited { .. } => ErrorKind::Gone,
            Self::Silent { .. } => ErrorKind::Timeout,
        }
    }
}

/// The child's arguments after the executable:
/// `bench-child --manager M --size-kb N --samples K --touch 0|1`. Options,
/// so that a program that is not memlab refuses them at once (a test
/// harness started by mistake exits with "unrecognized option" instead of
/// running its tests).
pub fn child_args(spec: &MeasureSpec) -> Vec<String> {
    vec![
        CHILD_COMMAND.to_owned(),
        "--manager".to_owned(),
        spec.manager.name().to_owned(),
        "--size-kb".to_owned(),
        spec.size_kb.to_string(),
        "--samples".to_owned(),
        spec.samples.to_string(),
        "--touch".to_owned(),
        u8::from(spec.touch).to_string(),
    ]
}

/// The spec in a child's arguments (after the executable), if they are a
/// [`CHILD_COMMAND`]'s; `Some(Err)` says what is wrong with them.
pub fn parse_child_args(args: &[OsString]) -> Option<Result<MeasureSpec, String>> {
    if args.first().and_then(|a| a.to_str()) != Some(CHILD_COMMAND) {
        return None;
    }
    let text: Vec<&str> = args[1..].iter().filter_map(|a| a.to_str()).collect();
    let [
        "--manager",
        manager,
        "--size-kb",
        size_kb,
        "--samples",
        samples,
        "--touch",
        touch,
    ] = text[..]
    else {
        return Some(Err(format!(
            "usage: memlab {CHILD_COMMAND} --manager M --size-kb N --samples K --touch 0|1 \
             (memlab's own measuring process)"
        )));
    };
    let parsed = (|| {
        Ok(MeasureSpec {
            manager: manager.parse::<ManagerKind>().map_err(|e| e.to_string())?,
            size_kb: size_kb
                .parse()
                .map_err(|_| format!("bad size {size_kb:?}"))?,
            samples: samples
                .parse()
                .map_err(|_| format!("bad samples {samples:?}"))?,
            touch: match touch {
                "0" => false,
                "1" => true,
                _ => return Err(format!("bad touch {touch:?}")),
            },
        })
    })();
    Some(parsed)
}

/// The child's side: measures `spec` in this process, writing a
/// [`ChildLine`] per phase and the result to `out`. Returns the exit code:
/// 0 with a result, 1 when the measurement failed, 2 when `out` cannot be
/// written (the parent is gone).
pub fn serve(spec: &MeasureSpec, out: &mut dyn Write) -> u8 {
    let out = RefCell::new(out);
    // A write that fails means the parent is gone: stop measuring.
    let gone = Cell::new(false);
    let write = |line: &ChildLine| -> bool {
        let mut out = out.borrow_mut();
        let ok = serde_json::to_writer(&mut **out, line).is_ok()
            && out.write_all(b"\n").is_ok()
            && out.flush().is_ok();
        gone.set(gone.get() || !ok);
        ok
    };
    let last = Cell::new(None);
    let result = measure(spec, &|phase| {
        if last.get() == Some(phase) {
            return !gone.get();
        }
        last.set(Some(phase));
        write(&ChildLine::Progress(phase))
    });
    match result {
        Ok(Some(m)) => {
            if write(&ChildLine::Done(m)) {
                0
            } else {
                2
            }
        }
        Ok(None) => 2,
        Err(e) => {
            write(&ChildLine::Failed(e));
            1
        }
    }
}

/// Kills and reaps the child when dropped (a cancelled, failed or
/// abandoned measurement leaves no process behind).
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
        }
        let _ = self.0.wait();
    }
}

/// Measure `spec` in a fresh process of `exe` (memlab's own binary:
/// `std::env::current_exe()` in memlab). `Ok(None)` when `progress`
/// returned `false` (the child is killed). `progress` is called on each
/// phase the child reports and about every 25 ms while waiting.
pub fn measure_isolated(
    exe: &Path,
    spec: &MeasureSpec,
    progress: &dyn Fn(Phase) -> bool,
) -> Result<Option<Measurement>, MeasureError> {
    measure_isolated_with(exe, spec, SILENCE_LIMIT, &|_| {}, progress)
}

/// [`measure_isolated`] with another silence limit, telling `started` the
/// child's process id once it runs (tests kill it).
pub fn measure_isolated_with(
    exe: &Path,
    spec: &MeasureSpec,
    silence_limit: Duration,
    started: &dyn Fn(u32),
    progress: &dyn Fn(Phase) -> bool,
) -> Result<Option<Measurement>, MeasureError> {
    spec.validate()?;
    let spawn_error = |e: std::io::Error| MeasureError::Spawn {
        exe: exe.to_owned(),
        error: e.to_string(),
    };
    let mut child = Command::new(exe)
        .args(child_args(spec))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(spawn_error)?;
    let (stdout, stderr) = (child.stdout.take(), child.stderr.take());
    let mut child = KillOnDrop(child);
    started(child.0.id());
    let (tx, lines) = mpsc::channel::<String>();
    let reader = stdout.map(|stdout| {
        std::thread::Builder::new()
            .name("bench-child stdout".into())
            .spawn(move || {
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            })
    });
    let reader = reader.transpose().map_err(spawn_error)?;
    let stderr_reader = stderr
        .map(|mut stderr| {
            std::thread::Builder::new()
                .name("bench-child stderr".into())
                .spawn(move || {
                    let mut kept = Vec::new();
                    let mut buf = [0u8; 4096];
                    while let Ok(n @ 1..) = stderr.read(&mut buf) {
                        kept.extend_from_slice(&buf[..n]);
                        let cut = kept.len().saturating_sub(STDERR_KEPT);
                        kept.drain(..cut);
                    }
                    String::from_utf8_lossy(&kept).into_owned()
                })
        })
        .transpose()
        .map_err(spawn_error)?;
    let mut phase = Phase::WarmUp;
    let mut heard = Instant::now();
    let mut outcome: Option<Result<Measurement, BenchError>> = None;
    loop {
        match lines.recv_timeout(POLL) {
            Ok(line) => {
                heard = Instant::now();
                match serde_json::from_str::<ChildLine>(&line) {
                    Ok(ChildLine::Progress(p)) => phase = p,
                    Ok(ChildLine::Done(m)) => outcome = Some(Ok(m)),
                    Ok(ChildLine::Failed(e)) => outcome = Some(Err(e)),
                    Err(_) => {
                        return Err(MeasureError::Garbled {
                            line: line.chars().take(200).collect(),
                        });
                    }
                }
                if !progress(phase) {
                    return Ok(None);
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if !progress(phase) {
                    return Ok(None);
                }
                if heard.elapsed() >= silence_limit {
                    return Err(MeasureError::Silent {
                        secs: silence_limit.as_secs(),
                    });
                }
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    // stdout closed: the child ended (or closed it); reap it, bounded.
    let status = wait_bounded(&mut child.0, silence_limit, &progress, phase);
    if let Some(r) = reader {
        let _ = r.join();
    }
    let status = match status {
        Some(Ok(status)) => status,
        Some(Err(e)) => return Err(spawn_error(e)),
        None => {
            return match progress(phase) {
                false => Ok(None),
                true => Err(MeasureError::Silent {
                    secs: silence_limit.as_secs(),
                }),
            };
        }
    };
    let stderr = stderr_reader
        .and_then(|h| h.join().ok())
        .unwrap_or_default();
    match outcome {
        Some(Ok(mut m)) if status.success() => {
            m.isolated = true;
            Ok(Some(m))
        }
        Some(Err(e)) => Err(MeasureError::Bench(e)),
        _ => Err(ended(status, stderr)),
    }
}

/// Waits for the child to end, at most `limit` and while `progress` says go on.
fn wait_bounded(
    child: &mut Child,
    limit: Duration,
    progress: &dyn Fn(Phase) -> bool,
    phase: Phase,
) -> Option<std::io::Result<ExitStatus>> {
    let deadline = Instant::now() + limit;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(Ok(status)),
            Ok(None) if Instant::now() < deadline && progress(phase) => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Ok(None) => return None,
            Err(e) => return Some(Err(e)),
        }
    }
}

/// The error for a child that ended without its result.
fn ended(status: ExitStatus, stderr: String) -> MeasureError {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return MeasureError::Killed { signal, stderr };
        }
    }
    MeasureError::Exited {
        code: status.code().unwrap_or(-1),
        stderr,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn child_arguments_round_trip() {
        let spec = MeasureSpec {
            touch: true,
            samples: 12,
            ..MeasureSpec::new(ManagerKind::Mimalloc, 4096)
        };
        let args: Vec<OsString> = child_args(&spec).into_iter().map(Into::into).collect();
        assert_eq!(parse_child_args(&args), Some(Ok(spec)));
        assert_eq!(parse_child_args(&["bench".into()]), None);
        let bad = parse_child_args(&[CHILD_COMMAND.into(), "jemalloc".into()]);
        assert!(matches!(bad, Some(Err(_))));
    }

    #[test]
    fn the_child_writes_its_phases_and_result() {
        let mut out = Vec::new();
        let spec = MeasureSpec::new(ManagerKind::Default, 1);
        assert_eq!(serve(&spec, &mut out), 0);
        let lines: Vec<ChildLine> = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines[0], ChildLine::Progress(Phase::WarmUp));
        let Some(ChildLine::Done(m)) = lines.last() else {
            panic!("no result: {lines:?}");
        };
        assert_eq!((m.samples, m.size_kb), (10, 1));
        // A bad spec is a Failed line and exit code 1.
        let mut out = Vec::new();
        let bad = MeasureSpec { samples: 1, ..spec };
        assert_eq!(serve(&bad, &mut out), 1);
        let line: ChildLine = serde_json::from_slice(out.trim_ascii_end()).unwrap();
        assert_eq!(line, ChildLine::Failed(BenchError::SamplesOutOfRange(1)));
    }

    #[test]
    fn a_missing_executable_is_a_spawn_error() {
        let spec = MeasureSpec::new(ManagerKind::Default, 4);
        let err = measure_isolated(Path::new("/nonexistent/memlab"), &spec, &|_| true);
        assert!(matches!(err, Err(MeasureError::Spawn { .. })), "{err:?}");
    }
}
