//! `memlab filemap`: the file-mapping lab from the command line, each step
//! printed as it is done, so a class can follow it in a terminal.

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use clap::Args;
use serde_json::{Value, json};

use super::{Failure, stop_on_signal};
use memlab_engine::filemap::{
    self, Access, Disposition, FileMapSession, OpenRequest, RawCall, Sharing, Step, ViewMapped,
    Walkthrough,
};

use super::MAX_HOLD_SECONDS;

/// `memlab filemap`: the book's steps on a real file.
#[derive(Debug, Args)]
pub struct FilemapArgs {
    /// The file to map (default: the demo file in memlab's data folder,
    /// $XDG_DATA_HOME/memlab or ~/.local/share/memlab).
    pub path: Option<PathBuf>,
    /// CreateFileMapping's size in bytes (suffixes K, M, G; 0x for hex):
    /// 0 = the file's size; larger grows the file; smaller maps only that part.
    #[arg(long, value_parser = parse_size)]
    pub size: u64,
    /// A view, OFFSET:LEN (LEN 0 or empty = to the end of the mapping); repeat for more.
    #[arg(long = "view", value_name = "OFFSET:LEN", value_parser = parse_view)]
    pub views: Vec<(u64, u64)>,
    /// Writes TEXT at file OFFSET, through the view that holds it.
    #[arg(long, num_args = 2, value_names = ["OFFSET", "TEXT"])]
    pub write: Option<Vec<String>>,
    /// Flushes every view (FlushViewOfFile) and prints the time it took.
    #[arg(long)]
    pub flush: bool,
    /// After unmapping and closing the mapping: SetEndOfFile at this size.
    #[arg(long, value_name = "N", value_parser = parse_size)]
    pub set_eof: Option<u64>,
    /// Share the file with other memlab instances instead of opening it exclusively.
    #[arg(long)]
    pub share: bool,
    /// Open read-only (map with --size 0; writes are refused).
    #[arg(long)]
    pub read_only: bool,
    /// Fail if the file does not exist (by default an empty one is created).
    #[arg(long)]
    pub existing: bool,
    /// Keeps the file open and mapped this many seconds after mapping the
    /// views (before writing), e.g. to try a second instance; Ctrl+C ends it.
    #[arg(long, value_name = "SECONDS")]
    pub hold: Option<f64>,
    /// One JSON object per line and step, each naming the call this OS
    /// made for it (`os_call`; on Windows the Win32 call with its arguments).
    #[arg(long)]
    pub json: bool,
}

fn print(line: &str) {
    let mut out = std::io::stdout().lock();
    // A closed pipe (e.g. `| head`) is no reason to fail the command.
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// Prints a step done: its line of text, or with `--json` one object with
/// the step's name, the call made (`os_call`) and `fields`.
fn report(json: bool, step: Step, text: impl FnOnce() -> String, fields: Value) {
    if !json {
        print(&text());
        return;
    }
    let mut object = json!({"step": step.name(), "os_call": step.os_call()});
    if let (Some(object), Value::Object(fields)) = (object.as_object_mut(), fields) {
        object.extend(fields);
    }
    print(&object.to_string());
}

pub(super) fn run_filemap(args: FilemapArgs) -> Result<(), Failure> {
    let hold = match args.hold {
        Some(s) if !(s.is_finite() && (0.0..=MAX_HOLD_SECONDS).contains(&s)) => {
            return Err(Failure::usage(format!(
                "--hold must be 0 to {MAX_HOLD_SECONDS} seconds, got {s}"
            )));
        }
        other => other.map(Duration::from_secs_f64),
    };
    let write = match &args.write {
        Some(pair) => Some((
            parse_size(&pair[0]).map_err(|e| Failure::usage(format!("--write OFFSET: {e}")))?,
            pair[1].clone(),
        )),
        None => None,
    };
    let path = match args.path.clone() {
        Some(path) => path,
        None => filemap::demo_file()?,
    };
    let request = OpenRequest {
        access: if args.read_only {
            Access::ReadOnly
        } else {
            Access::ReadWrite
        },
        sharing: if args.share {
            Sharing::Shared
        } else {
            Sharing::Exclusive
        },
        disposition: if args.existing {
            Disposition::OpenExisting
        } else {
            Disposition::OpenOrCreate
        },
    };
    // Every step is checked before the file is created, grown or cut.
    let plan = Walkthrough {
        size: args.size,
        views: args.views.clone(),
        write: write.as_ref().map(|(at, text)| (*at, text.len() as u64)),
        set_eof: args.set_eof,
    };
    plan.check(&path, request)?;
    let (session, opened) = FileMapSession::open(&path, request)?;
    let created = opened.created;
    let result = walk_through(&args, session, &opened, hold, write);
    if result.is_err() && created {
        // A step failed after the file was made (a full disk, say): an
        // empty file of ours is not left behind.
        if std::fs::metadata(&path).is_ok_and(|m| m.is_file() && m.len() == 0) {
            let _ = std::fs::remove_file(&path);
        }
    }
    result
}

/// The steps after CreateFile; the session is closed (and its change stamp
/// left) when this returns, whatever happened.
fn walk_through(
    args: &FilemapArgs,
    mut session: FileMapSession,
    opened: &filemap::Opened,
    hold: Option<Duration>,
    write: Option<(u64, String)>,
) -> Result<(), Failure> {
    let json = args.json;
    let access = opened.access;
    let open = Step::Open {
        access,
        sharing: opened.sharing,
        disposition: if args.existing {
            Disposition::OpenExisting
        } else {
            Disposition::OpenOrCreate
        },
    };
    let open_fields = json!({
        "path": opened.path.display().to_string(),
        "created": opened.created,
        "len": opened.len,
        "sharing": if args.share { "shared" } else { "exclusive" },
        "access": if args.read_only { "read-only" } else { "read-write" },
    });
    report(
        json,
        open,
        || {
            format!(
                "open: {} ({}, {} bytes; {}, {})",
                opened.path.display(),
                if opened.created {
                    "created"
                } else {
                    "existing"
                },
                opened.len,
                if args.share {
                    "shared with other instances"
                } else {
                    "exclusive"
                },
                if args.read_only {
                    "read-only"
                } else {
                    "read-write"
                },
            )
        },
        open_fields,
    );

    let mapping = session.create_mapping(args.size)?;
    let change = if mapping.file_len_after > mapping.file_len_before {
        "grown"
    } else if mapping.size < mapping.file_len_after {
        "maps only the first part"
    } else {
        "unchanged"
    };
    let grown = mapping.file_len_after > mapping.file_len_before;
    report(
        json,
        Step::CreateMapping {
            requested: mapping.requested,
            access,
            grows: grown.then_some(mapping.file_len_after),
        },
        || {
            format!(
                "mapping: {} bytes (asked {}); file {} -> {} bytes ({change})",
                mapping.size, mapping.requested, mapping.file_len_before, mapping.file_len_after
            )
        },
        json!({
            "requested": mapping.requested,
            "size": mapping.size,
            "file_len_before": mapping.file_len_before,
            "file_len_after": mapping.file_len_after,
            "change": change,
        }),
    );

    for &(offset, len) in &args.views {
        let view = session.map_view(offset, len)?;
        let unaligned = view.unaligned.map(|u| {
            json!({
                "granularity": u.granularity,
                "mapped_from": u.mapped_from,
                "raw_call": match u.raw_mmap {
                    RawCall::Failed { errno } => json!({"failed": errno}),
                    RawCall::Succeeded => json!("succeeded"),
                },
            })
        });
        report(
            json,
            Step::MapView {
                offset: view.offset,
                len: view.len,
                access,
            },
            || view_line(&view),
            json!({
                "view": view.view,
                "offset": view.offset,
                "len": view.len,
                "address": view.address,
                "unaligned": unaligned,
            }),
        );
    }

    if let Some(duration) = hold {
        if json {
            let hold = json!({"step": "hold", "seconds": duration.as_secs_f64(), "pid": std::process::id()});
            print(&hold.to_string());
        } else {
            print(&format!(
                "holding for {} s as PID {}",
                duration.as_secs_f64(),
                std::process::id()
            ));
        }
        let stop = stop_on_signal();
        let end = Instant::now() + duration;
        while !stop.load(Ordering::Relaxed) && Instant::now() < end {
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    if let Some((offset, text)) = write {
        let written = session.write_at_file_offset(offset, text.as_bytes())?;
        let mut through_view = vec![0; text.len()];
        session.read_view(written.view, written.at, &mut through_view)?;
        let mut through_file = vec![0; text.len()];
        let n = session.read_file(offset, &mut through_file)?;
        through_file.truncate(n);
        let (view_text, file_text) = (
            String::from_utf8_lossy(&through_view),
            String::from_utf8_lossy(&through_file),
        );
        let equal = through_view == through_file;
        report(
            json,
            Step::Write {
                file_offset: written.file_offset,
                len: written.len,
            },
            || {
                format!(
                    "write: {} bytes at file offset {} through view #{} (view offset {})",
                    written.len, written.file_offset, written.view, written.at
                )
            },
            json!({
                "view": written.view,
                "file_offset": written.file_offset,
                "view_offset": written.at,
                "len": written.len,
                "through_view": view_text,
                "through_file": file_text,
                "equal": equal,
            }),
        );
        if !json {
            print(&format!(
                "compare: view {view_text:?}, ordinary file read {file_text:?}: {}",
                if equal {
                    "equal (one page cache)"
                } else {
                    "DIFFERENT"
                }
            ));
        }
    }

    let views = session.views();
    if args.flush {
        for view in &views {
            let flushed = session.flush_view(view.view)?;
            let ms = flushed.took.as_secs_f64() * 1e3;
            report(
                json,
                Step::Flush { view: flushed.view },
                || {
                    format!(
                        "flush: view #{}, {} bytes in {ms:.3} ms",
                        flushed.view, flushed.bytes
                    )
                },
                json!({"view": flushed.view, "bytes": flushed.bytes, "ms": ms}),
            );
        }
    }
    for view in &views {
        session.unmap_view(view.view)?;
        report(
            json,
            Step::Unmap { view: view.view },
            || format!("unmap: view #{}", view.view),
            json!({"view": view.view}),
        );
    }
    session.close_mapping()?;
    report(
        json,
        Step::CloseMapping,
        || "close mapping".into(),
        json!({}),
    );
    if let Some(size) = args.set_eof {
        let eof = session.set_end_of_file(size)?;
        report(
            json,
            Step::SetEndOfFile { size },
            || format!("set end of file: {} -> {} bytes", eof.before, eof.after),
            json!({"before": eof.before, "after": eof.after}),
        );
    }
    session.close_file()?;
    report(json, Step::CloseFile, || "close file".into(), json!({}));
    Ok(())
}

fn view_line(view: &ViewMapped) -> String {
    let mut line = format!(
        "view #{}: file offset {}, {} bytes at {:#x}",
        view.view, view.offset, view.len, view.address
    );
    if let Some(u) = view.unaligned {
        let raw = match u.raw_mmap {
            RawCall::Failed { errno } => {
                format!("fails: {}", std::io::Error::from_raw_os_error(errno))
            }
            RawCall::Succeeded => "succeeds".into(),
        };
        line += &format!(
            "; offset {} is not a multiple of the granularity {} (Windows: 64 KiB): \
             memmap2 mapped from {} (rounded down) and points {} bytes in; raw mmap at offset {} {raw}",
            u.offset,
            u.granularity,
            u.mapped_from,
            u.offset - u.mapped_from,
            u.offset
        );
    }
    line
}

/// A byte count: decimal, or hex with 0x, with an optional K, M or G (KiB,
/// MiB, GiB) suffix.
fn parse_size(text: &str) -> Result<u64, String> {
    filemap::parse_byte_count(text).map_err(|e| e.to_string())
}

fn parse_view(text: &str) -> Result<(u64, u64), String> {
    let (offset, len) = text
        .split_once(':')
        .ok_or_else(|| format!("{text:?} is not OFFSET:LEN"))?;
    let len = if len.trim().is_empty() {
        0
    } else {
        parse_size(len)?
    };
    Ok((parse_size(offset)?, len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_views_parse() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("64K"), Ok(65536));
        assert_eq!(parse_size("1M"), Ok(1 << 20));
        assert_eq!(parse_size("0x1000"), Ok(4096));
        assert!(parse_size("-1").is_err());
        assert!(parse_size("12Q").is_err());
        assert!(parse_size("99999999999999G").is_err());
        assert_eq!(parse_view("4K:100"), Ok((4096, 100)));
        assert_eq!(parse_view("100:"), Ok((100, 0)));
        assert!(parse_view("100").is_err());
    }
}
