//! `memlab filemap`: the file-mapping lab from the command line, each step
//! printed as it is done, so a class can follow it in a terminal.

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use clap::Args;

use super::{Failure, stop_on_signal};
use memlab_engine::filemap::{
    self, Access, Disposition, FileMapSession, OpenRequest, RawCall, Sharing, ViewMapped,
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
}

fn print(line: &str) {
    let mut out = std::io::stdout().lock();
    // A closed pipe (e.g. `| head`) is no reason to fail the command.
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
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
    print(&format!(
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
    ));

    let mapping = session.create_mapping(args.size)?;
    let change = if mapping.file_len_after > mapping.file_len_before {
        "grown"
    } else if mapping.size < mapping.file_len_after {
        "maps only the first part"
    } else {
        "unchanged"
    };
    print(&format!(
        "mapping: {} bytes (asked {}); file {} -> {} bytes ({change})",
        mapping.size, mapping.requested, mapping.file_len_before, mapping.file_len_after
    ));

    for &(offset, len) in &args.views {
        let view = session.map_view(offset, len)?;
        print(&view_line(&view));
    }

    if let Some(duration) = hold {
        print(&format!(
            "holding for {} s as PID {}",
            duration.as_secs_f64(),
            std::process::id()
        ));
        let stop = stop_on_signal();
        let end = Instant::now() + duration;
        while !stop.load(Ordering::Relaxed) && Instant::now() < end {
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    if let Some((offset, text)) = write {
        let written = session.write_at_file_offset(offset, text.as_bytes())?;
        print(&format!(
            "write: {} bytes at file offset {} through view #{} (view offset {})",
            written.len, written.file_offset, written.view, written.at
        ));
        let mut through_view = vec![0; text.len()];
        session.read_view(written.view, written.at, &mut through_view)?;
        let mut through_file = vec![0; text.len()];
        let n = session.read_file(offset, &mut through_file)?;
        through_file.truncate(n);
        print(&format!(
            "compare: view {:?}, ordinary file read {:?}: {}",
            String::from_utf8_lossy(&through_view),
            String::from_utf8_lossy(&through_file),
            if through_view == through_file {
                "equal (one page cache)"
            } else {
                "DIFFERENT"
            }
        ));
    }

    let views = session.views();
    if args.flush {
        for view in &views {
            let flushed = session.flush_view(view.view)?;
            print(&format!(
                "flush: view #{}, {} bytes in {:.3} ms",
                flushed.view,
                flushed.bytes,
                flushed.took.as_secs_f64() * 1e3
            ));
        }
    }
    for view in &views {
        session.unmap_view(view.view)?;
        print(&format!("unmap: view #{}", view.view));
    }
    session.close_mapping()?;
    print("close mapping");
    if let Some(size) = args.set_eof {
        let eof = session.set_end_of_file(size)?;
        print(&format!(
            "set end of file: {} -> {} bytes",
            eof.before, eof.after
        ));
    }
    session.close_file()?;
    print("close file");
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
