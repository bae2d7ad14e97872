//! This account's memlab windows: each one's number, their PIDs, and the
//! requests to arrange them, which every window sees and carries out itself
//! (no window can move another process's window on Wayland).
//!
//! Built on the roster of `slots`: the windows attach to one object,
//! `/dev/shm/memlab-windows.<uid>`, whose slot locks say which windows are
//! open whatever their environment, and whose slot index is the window's
//! number. The object's bytes are a small table, read and written with
//! `pread`/`pwrite` (never mapped, so a truncated object cannot raise
//! SIGBUS):
//!
//! | bytes | what |
//! |---|---|
//! | 0..8 | `MLWIN001` |
//! | 8..16 | arrange request: generation (u64 LE), raised by each request |
//! | 16..24 | arrange request: the slots to arrange (bit i = slot i) |
//! | 24..40 | arrange request: the work area (x, y i32; width, height u32; width 0: none) |
//! | 64 + 64 i .. +4 | slot i: the window's PID (u32 LE) |
//! | 64 + 64 i + 4 .. +60 | slot i: its display (length u8, then the name) |
//!
//! A request is written under the roster's gate, with the slots held at
//! that moment on the requester's display (windows on another X server or
//! Wayland compositor are not on this screen), so every window of it
//! computes its tile from the same list.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use super::placement::Rect;
use super::shm_object::{self, ObjectError, ShmDir};
use super::slots::{self, Arrival, MAX_SLOTS, Roster};

/// Bytes of the table object.
pub const TABLE_SIZE: u64 = 8192;
const MAGIC: &[u8; 8] = b"MLWIN001";
const REQUEST_AT: u64 = 8;
const SLOTS_AT: u64 = 64;
const SLOT_LEN: usize = 64;
/// Longest display name kept (longer ones are cut; they still compare).
const DISPLAY_MAX: usize = SLOT_LEN - 5;

/// Why the windows' table could not be used.
#[derive(Debug, thiserror::Error)]
pub enum InstancesError {
    /// `memlab arrange` with no window open.
    #[error("no memlab window of this account is open")]
    NoWindows,
    #[error(transparent)]
    Object(#[from] ObjectError),
    #[error("reading {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("writing {}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Where this window falls in an arrangement: `rank` of `count` windows,
/// counted in slot order, in the work area the requester saw (each window
/// uses its own monitor's when the requester could not tell).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arrangement {
    pub generation: u64,
    pub rank: usize,
    pub count: usize,
    pub area: Option<Rect>,
}

/// A request as stored in the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Request {
    generation: u64,
    slots: u64,
    area: Option<Rect>,
}

const REQUEST_LEN: usize = 32;

impl Request {
    fn to_bytes(self) -> [u8; REQUEST_LEN] {
        let mut bytes = [0u8; REQUEST_LEN];
        bytes[..8].copy_from_slice(&self.generation.to_le_bytes());
        bytes[8..16].copy_from_slice(&self.slots.to_le_bytes());
        if let Some(area) = self.area {
            bytes[16..20].copy_from_slice(&area.x.to_le_bytes());
            bytes[20..24].copy_from_slice(&area.y.to_le_bytes());
            bytes[24..28].copy_from_slice(&area.width.to_le_bytes());
            bytes[28..32].copy_from_slice(&area.height.to_le_bytes());
        }
        bytes
    }

    fn from_bytes(bytes: &[u8; REQUEST_LEN]) -> Self {
        let u64_at = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8"));
        let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4"));
        let area = Rect::new(u32_at(16) as i32, u32_at(20) as i32, u32_at(24), u32_at(28));
        Self {
            generation: u64_at(0),
            slots: u64_at(8),
            area: (area.width > 0 && area.height > 0).then_some(area),
        }
    }
}

/// An open window, as the table knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenWindow {
    /// Shown to people (1-based), as in the window title.
    pub number: usize,
    pub pid: Option<u32>,
    /// Its display, as [`current_display`] said in its environment.
    pub display: String,
}

/// The display this process's windows go to: `WAYLAND_DISPLAY` or
/// `DISPLAY` (empty without either). Arranging involves the windows of one
/// display only.
pub fn current_display() -> String {
    ["WAYLAND_DISPLAY", "DISPLAY"]
        .iter()
        .find_map(|var| std::env::var(var).ok().filter(|v| !v.is_empty()))
        .unwrap_or_default()
}

/// This process's window on the roster; dropping it leaves.
#[derive(Debug)]
pub struct WindowInstance {
    roster: Roster,
    /// The last request generation seen (requests up to it are not ours).
    seen: u64,
}

/// The table object's name in /dev/shm.
fn file_name() -> String {
    format!("memlab-windows.{}", shm_object::euid())
}

impl WindowInstance {
    /// Takes the lowest free number and records this process's PID and its
    /// window's `display` (see [`current_display`]).
    pub fn join(display: &str) -> Result<Self, InstancesError> {
        let name = file_name();
        let (roster, seen) = Roster::join(&name, TABLE_SIZE, |file, arrival| {
            let path = ShmDir::open()?.path_of(&name);
            // Under the gate, before taking a slot: a request written after
            // this window is counted in it has a higher generation.
            if arrival == Arrival::Created {
                write_at(file, &path, 0, MAGIC)?;
            }
            Ok::<_, InstancesError>(read_request(file, &path)?.generation)
        })?;
        let instance = Self { roster, seen };
        let mut entry = [0u8; SLOT_LEN];
        entry[..4].copy_from_slice(&std::process::id().to_le_bytes());
        let shown = &display.as_bytes()[..display.len().min(DISPLAY_MAX)];
        entry[4] = shown.len() as u8;
        entry[5..5 + shown.len()].copy_from_slice(shown);
        write_at(
            instance.roster.file(),
            &instance.roster.path(),
            slot_offset(instance.roster.index()),
            &entry,
        )?;
        Ok(instance)
    }

    /// This window's number (1-based), as shown in its title.
    pub fn number(&self) -> usize {
        self.roster.index() + 1
    }

    /// A request newer than the last one seen that names this window.
    /// Cheap (one `pread`): windows call it a few times a second.
    pub fn poll_arrangement(&mut self) -> Result<Option<Arrangement>, InstancesError> {
        let file = self.roster.file();
        let path = self.roster.path();
        if read_request(file, &path)?.generation == self.seen {
            return Ok(None);
        }
        // Changed: read the whole request under the gate the writer held.
        let request = slots::under_gate(file, &path, |_| read_request(file, &path))??;
        self.seen = request.generation;
        let slot = self.roster.index();
        if request.slots & (1 << slot) == 0 {
            return Ok(None);
        }
        Ok(Some(Arrangement {
            generation: request.generation,
            rank: (request.slots & ((1u64 << slot) - 1)).count_ones() as usize,
            count: request.slots.count_ones() as usize,
            area: request.area,
        }))
    }
}

/// Asks every open window of this account on `display` to arrange itself
/// in `area` (each in its own monitor's work area if `None`); the number of
/// windows asked.
pub fn request_arrange(display: &str, area: Option<Rect>) -> Result<usize, InstancesError> {
    let (file, path) = open_table()?.ok_or(InstancesError::NoWindows)?;
    slots::under_gate(&file, &path, |held| {
        let windows = read_windows(&file, &path, held)?;
        let mask = windows
            .iter()
            .filter(|w| w.display == display)
            .fold(0u64, |mask, w| mask | 1 << (w.number - 1));
        if mask == 0 {
            return Err(InstancesError::NoWindows);
        }
        let request = Request {
            generation: read_request(&file, &path)?.generation + 1,
            slots: mask,
            area,
        };
        write_at(&file, &path, REQUEST_AT, &request.to_bytes())?;
        Ok(mask.count_ones() as usize)
    })?
}

/// The open windows of this account, by number (none if no window is open).
pub fn open_windows() -> Result<Vec<OpenWindow>, InstancesError> {
    let Some((file, path)) = open_table()? else {
        return Ok(Vec::new());
    };
    slots::under_gate(&file, &path, |held| read_windows(&file, &path, held))?
}

/// The table's entries of the `held` slots.
fn read_windows(
    file: &File,
    path: &Path,
    held: &[usize],
) -> Result<Vec<OpenWindow>, InstancesError> {
    let mut table = vec![0u8; MAX_SLOTS * SLOT_LEN];
    let read = read_at(file, path, SLOTS_AT, &mut table)?;
    // Past the end of an older, shorter object: zeros.
    table[read..].fill(0);
    let mut windows: Vec<OpenWindow> = held
        .iter()
        .filter(|&&slot| slot < MAX_SLOTS)
        .map(|&slot| {
            let entry = &table[slot * SLOT_LEN..(slot + 1) * SLOT_LEN];
            let pid = u32::from_le_bytes(entry[..4].try_into().expect("4 bytes"));
            let len = usize::from(entry[4]).min(DISPLAY_MAX);
            OpenWindow {
                number: slot + 1,
                pid: (pid != 0).then_some(pid),
                display: String::from_utf8_lossy(&entry[5..5 + len]).into_owned(),
            }
        })
        .collect();
    windows.sort_by_key(|w| w.number);
    Ok(windows)
}

/// The table object, if some window has it open.
fn open_table() -> Result<Option<(File, PathBuf)>, InstancesError> {
    let dir = ShmDir::open()?;
    let name = file_name();
    let path = dir.path_of(&name);
    Ok(dir.open_object(&name)?.map(|file| (file, path)))
}

fn slot_offset(slot: usize) -> u64 {
    SLOTS_AT + (SLOT_LEN * slot) as u64
}

/// The last request (zeros past the end of an older, shorter object).
fn read_request(file: &File, path: &Path) -> Result<Request, InstancesError> {
    let mut bytes = [0u8; REQUEST_LEN];
    read_at(file, path, REQUEST_AT, &mut bytes)?;
    Ok(Request::from_bytes(&bytes))
}

/// Reads up to `buf.len()` bytes at `at`; how many there were.
fn read_at(file: &File, path: &Path, at: u64, buf: &mut [u8]) -> Result<usize, InstancesError> {
    let mut done = 0;
    while done < buf.len() {
        match file.read_at(&mut buf[done..], at + done as u64) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(source) => {
                return Err(InstancesError::Read {
                    path: path.to_path_buf(),
                    source,
                });
            }
        }
    }
    Ok(done)
}

fn write_at(file: &File, path: &Path, at: u64, bytes: &[u8]) -> Result<(), InstancesError> {
    file.write_all_at(bytes, at)
        .map_err(|source| InstancesError::Write {
            path: path.to_path_buf(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A display name no real window has, so that these tests neither move
    /// nor count the account's real windows.
    fn test_display(tag: &str) -> String {
        format!("unit-test-{tag}-{}", std::process::id())
    }

    #[test]
    fn windows_get_numbers_and_pids_and_see_requests_naming_them() {
        let display = test_display("arrange");
        let mut a = WindowInstance::join(&display).unwrap();
        let mut b = WindowInstance::join(&display).unwrap();
        let mut elsewhere = WindowInstance::join(&test_display("elsewhere")).unwrap();
        assert_ne!(a.number(), b.number());
        let open = open_windows().unwrap();
        for w in [&a, &b] {
            let entry = open.iter().find(|o| o.number == w.number()).unwrap();
            assert_eq!(entry.pid, Some(std::process::id()));
            assert_eq!(entry.display, display);
        }
        assert_eq!(a.poll_arrangement().unwrap(), None, "no request yet");
        let area = Rect::new(-10, 20, 1920, 1080);
        assert_eq!(request_arrange(&display, Some(area)).unwrap(), 2);
        let got_a = a.poll_arrangement().unwrap().expect("a is named");
        let got_b = b.poll_arrangement().unwrap().expect("b is named");
        assert_eq!((got_a.count, got_b.count), (2, 2));
        assert_eq!(got_a.generation, got_b.generation);
        assert_eq!((got_a.area, got_b.area), (Some(area), Some(area)));
        let (first, second) = if a.number() < b.number() {
            (got_a, got_b)
        } else {
            (got_b, got_a)
        };
        assert_eq!(
            (first.rank, second.rank),
            (0, 1),
            "ranks follow the numbers"
        );
        assert_eq!(a.poll_arrangement().unwrap(), None, "seen once");
        assert_eq!(
            elsewhere.poll_arrangement().unwrap(),
            None,
            "another display is not arranged"
        );
        let number = b.number();
        drop(b);
        assert!(
            open_windows().unwrap().iter().all(|o| o.number != number),
            "b left"
        );
        assert_eq!(request_arrange(&display, None).unwrap(), 1);
        let alone = a.poll_arrangement().unwrap().expect("a is named");
        assert_eq!((alone.rank, alone.count, alone.area), (0, 1, None));
    }

    #[test]
    fn a_request_for_a_display_without_windows_is_refused() {
        let _other = WindowInstance::join(&test_display("other")).unwrap();
        assert!(matches!(
            request_arrange(&test_display("nobody"), None),
            Err(InstancesError::NoWindows)
        ));
    }
}
