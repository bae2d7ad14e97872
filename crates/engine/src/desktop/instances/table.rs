//! The windows' table on Linux: a shared object whose slot locks (`slots`)
//! say which windows are open, and whose bytes (the layout is in the
//! module above) hold each window's entry and the requests to arrange.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::*;
use crate::os::shm_object::{self, ShmDir};
use crate::os::slots::{self, Arrival, MAX_SLOTS, Roster};

/// Bytes of the table object.
pub const TABLE_SIZE: u64 = 8192;
const MAGIC: &[u8; 8] = b"MLWIN001";
const HEADER_LEN: usize = 64;
const REQUEST_AT: usize = 8;
const SETTINGS_AT: usize = 40;
const SLOTS_AT: u64 = 64;
const SLOT_LEN: usize = 64;
const FLAGS_AT: usize = 4;
const NAME_AT: usize = 5;
const ANSWER_AT: usize = 52;
const LEN_BITS: u8 = 0x3f;
const NOT_ARRANGED: u8 = 0x40;
const WAYLAND: u8 = 0x80;
/// How long a request waits for windows to rebuild damaged entries.
const REBUILD_WITHIN: Duration = Duration::from_secs(3);

/// An answer as the table stores it.
impl Outcome {
    fn code(self) -> u8 {
        match self {
            Self::Placed => 1,
            Self::NotMoved => 2,
            Self::Refused => 3,
        }
    }

    fn from_code(code: u8) -> Option<Self> {
        match code {
            1 => Some(Self::Placed),
            2 => Some(Self::NotMoved),
            3 => Some(Self::Refused),
            _ => None,
        }
    }
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

    fn from_bytes(bytes: &[u8]) -> Self {
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

/// The table's first bytes.
struct Header {
    magic_ok: bool,
    request: Request,
    settings: u64,
}

impl Header {
    fn from_bytes(bytes: &[u8; HEADER_LEN]) -> Self {
        Self {
            magic_ok: &bytes[..8] == MAGIC,
            request: Request::from_bytes(&bytes[REQUEST_AT..REQUEST_AT + REQUEST_LEN]),
            settings: u64::from_le_bytes(
                bytes[SETTINGS_AT..SETTINGS_AT + 8].try_into().expect("8"),
            ),
        }
    }
}

/// A window's entry in the table.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    pid: u32,
    display: WindowDisplay,
    role: Role,
    /// The last request answered: its generation and the answer.
    answer: Option<(u64, Outcome)>,
}

impl Entry {
    fn to_bytes(&self) -> [u8; SLOT_LEN] {
        let mut bytes = [0u8; SLOT_LEN];
        bytes[..4].copy_from_slice(&self.pid.to_le_bytes());
        let name = self.display.stored_name();
        let mut flags = name.len() as u8;
        if self.display.backend == Backend::Wayland {
            flags |= WAYLAND;
        }
        if self.role == Role::Screenshot {
            flags |= NOT_ARRANGED;
        }
        bytes[FLAGS_AT] = flags;
        bytes[NAME_AT..NAME_AT + name.len()].copy_from_slice(name);
        if let Some((generation, outcome)) = self.answer {
            bytes[ANSWER_AT..ANSWER_AT + 8].copy_from_slice(&generation.to_le_bytes());
            bytes[ANSWER_AT + 8] = outcome.code();
        }
        bytes
    }

    fn from_bytes(bytes: &[u8]) -> Self {
        let pid = u32::from_le_bytes(bytes[..4].try_into().expect("4 bytes"));
        let flags = bytes[FLAGS_AT];
        let len = usize::from(flags & LEN_BITS).min(DISPLAY_MAX);
        let name = String::from_utf8_lossy(&bytes[NAME_AT..NAME_AT + len]).into_owned();
        let generation = u64::from_le_bytes(bytes[ANSWER_AT..ANSWER_AT + 8].try_into().expect("8"));
        Self {
            pid,
            display: WindowDisplay {
                backend: if flags & WAYLAND != 0 {
                    Backend::Wayland
                } else {
                    Backend::X11
                },
                name,
            },
            role: if flags & NOT_ARRANGED != 0 {
                Role::Screenshot
            } else {
                Role::Window
            },
            answer: Outcome::from_code(bytes[ANSWER_AT + 8]).map(|o| (generation, o)),
        }
    }

    /// True if the entry names a live process: a window's entry as it
    /// wrote it, or one damaged (zeroed, scribbled) that it will rewrite.
    fn plausible(&self) -> bool {
        self.pid != 0 && self.pid <= i32::MAX as u32 && process_exists(self.pid)
    }
}

fn process_exists(pid: u32) -> bool {
    // kill(pid, 0) checks that the process exists (EPERM: it does, as
    // another account's); nothing is sent.
    match rustix::process::Pid::from_raw(pid as i32) {
        Some(pid) => !matches!(
            rustix::process::test_kill_process(pid),
            Err(rustix::io::Errno::SRCH)
        ),
        None => false,
    }
}

/// This process's window on the roster; dropping it leaves.
#[derive(Debug)]
pub struct WindowInstance {
    roster: Roster,
    /// What this window wrote into its slot (and rewrites if it changed).
    entry: Entry,
    /// The last request generation seen (requests up to it are not ours).
    seen: u64,
    /// The settings generation last seen.
    seen_settings: u64,
}

/// The table object's name in /dev/shm.
fn file_name() -> String {
    format!("memlab-windows.{}", shm_object::euid())
}

impl WindowInstance {
    /// Takes the lowest free number and records this process's PID, its
    /// window's display and role.
    pub fn join(display: &WindowDisplay, role: Role) -> Result<Self, InstancesError> {
        let name = file_name();
        let (roster, header) = Roster::join(&name, TABLE_SIZE, |file, arrival| {
            let path = ShmDir::open()?.path_of(&name);
            // Under the gate, before taking a slot: a request written after
            // this window is counted in it has a higher generation.
            if arrival == Arrival::Created {
                write_at(file, &path, 0, MAGIC)?;
            }
            read_header(file, &path)
        })?;
        let instance = Self {
            roster,
            entry: Entry {
                pid: std::process::id(),
                display: display.clone(),
                role,
                answer: None,
            },
            seen: header.request.generation,
            seen_settings: header.settings,
        };
        instance.write_entry()?;
        Ok(instance)
    }

    /// This window's number (1-based), as shown in its title.
    pub fn number(&self) -> usize {
        self.roster.index() + 1
    }

    fn write_entry(&self) -> Result<(), InstancesError> {
        write_at(
            self.roster.file(),
            &self.roster.path(),
            slot_offset(self.roster.index()),
            &self.entry.to_bytes(),
        )
    }

    /// Looks at the table: a request newer than the last one seen that
    /// names this window, word of changed settings, and this window's own
    /// entry and the magic, rewritten if someone damaged them. Cheap (two
    /// `pread`s): windows call it a few times a second.
    pub fn poll(&mut self) -> Result<Polled, InstancesError> {
        let file = self.roster.file();
        let path = self.roster.path();
        let header = read_header(file, &path)?;
        let mut polled = Polled::default();
        if header.settings != self.seen_settings {
            self.seen_settings = header.settings;
            polled.settings_changed = true;
        }
        let mut own = [0u8; SLOT_LEN];
        let read = read_at(file, &path, slot_offset(self.roster.index()), &mut own)?;
        if !header.magic_ok || read < SLOT_LEN || own != self.entry.to_bytes() {
            slots::under_gate(file, &path, |_| {
                if !header.magic_ok {
                    write_at(file, &path, 0, MAGIC)?;
                }
                Ok::<_, InstancesError>(())
            })??;
            self.write_entry()?;
            polled.rebuilt = true;
        }
        if header.request.generation != self.seen {
            // Changed: read the whole request under the gate the writer held.
            let request = slots::under_gate(file, &path, |_| read_header(file, &path))??.request;
            self.seen = request.generation;
            let slot = self.roster.index();
            if request.slots & (1 << slot) != 0 {
                polled.arrangement = Some(Arrangement {
                    generation: request.generation,
                    rank: (request.slots & ((1u64 << slot) - 1)).count_ones() as usize,
                    count: request.slots.count_ones() as usize,
                    area: request.area,
                });
            }
        }
        Ok(polled)
    }

    /// Records this window's answer to the request `generation`, for the
    /// requester waiting in [`wait_arranged`].
    pub fn answer(&mut self, generation: u64, outcome: Outcome) -> Result<(), InstancesError> {
        self.entry.answer = Some((generation, outcome));
        self.write_entry()
    }
}

/// Asks every open window of this account on `desktop`'s X display to
/// arrange itself in `area` (each in its own monitor's work area if
/// `None`). Windows whose entries are damaged are given a moment to
/// rewrite them first.
pub fn request_arrange(
    desktop: &Desktop,
    area: Option<Rect>,
) -> Result<ArrangeRequest, InstancesError> {
    let (file, path) = open_table()?.ok_or(InstancesError::NoWindows)?;
    let deadline = Instant::now() + REBUILD_WITHIN;
    loop {
        let made = slots::under_gate(&file, &path, |held| {
            let windows = read_windows(&file, &path, held)?;
            let damaged = windows.iter().any(|w| w.pid.is_none());
            if damaged && Instant::now() < deadline {
                return Ok(None);
            }
            let ours: Vec<OpenWindow> = windows
                .into_iter()
                .filter(|w| w.role == Role::Window && desktop.shows(&w.display))
                .collect();
            let (on_wayland, asked): (Vec<_>, Vec<_>) = ours
                .into_iter()
                .partition(|w| w.display.backend == Backend::Wayland);
            if asked.is_empty() {
                return Err(match on_wayland.len() {
                    0 => InstancesError::NoWindows,
                    windows => InstancesError::OnlyWayland { windows },
                });
            }
            let mask = asked
                .iter()
                .fold(0u64, |mask, w| mask | 1 << (w.number - 1));
            // Newer than the last request and than every answer in the
            // table: after a truncation the count starts again, and an
            // answer to an older request must not pass for this one's.
            let header = read_header(&file, &path)?;
            let answered: Vec<u64> = asked
                .iter()
                .chain(&on_wayland)
                .filter_map(|w| w.answer.map(|(generation, _)| generation))
                .collect();
            let mut generation = answered
                .iter()
                .fold(header.request.generation, |a, &b| a.max(b))
                .wrapping_add(1);
            while answered.contains(&generation) {
                generation = generation.wrapping_add(1);
            }
            let request = Request {
                generation,
                slots: mask,
                area,
            };
            write_at(&file, &path, REQUEST_AT as u64, &request.to_bytes())?;
            Ok(Some(ArrangeRequest {
                generation,
                asked,
                on_wayland,
                area,
            }))
        })??;
        if let Some(request) = made {
            return Ok(request);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Waits (at most `timeout`) until every window asked by `request` has
/// answered it or closed.
pub fn wait_arranged(
    request: &ArrangeRequest,
    timeout: Duration,
) -> Result<ArrangeReport, InstancesError> {
    let (file, path) = open_table()?.ok_or(InstancesError::NoWindows)?;
    let deadline = Instant::now() + timeout;
    loop {
        let mut report = ArrangeReport {
            area: request.area,
            placed: Vec::new(),
            not_moved: Vec::new(),
            refused: Vec::new(),
            silent: Vec::new(),
            on_wayland: request.on_wayland.clone(),
        };
        let now = slots::under_gate(&file, &path, |held| read_windows(&file, &path, held))??;
        for asked in &request.asked {
            // Closed meanwhile (or its number taken by another window).
            let Some(window) = now
                .iter()
                .find(|w| w.number == asked.number && w.pid == asked.pid)
            else {
                continue;
            };
            match window.answer {
                // Equal, not newer: generations are bytes anyone can write.
                Some((generation, outcome)) if generation == request.generation => match outcome {
                    Outcome::Placed => report.placed.push(asked.clone()),
                    Outcome::NotMoved => report.not_moved.push(asked.clone()),
                    Outcome::Refused => report.refused.push(asked.clone()),
                },
                _ => report.silent.push(asked.clone()),
            }
        }
        if report.silent.is_empty() || Instant::now() >= deadline {
            return Ok(report);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Tells every window that the shared settings changed, so that they read
/// them again (they look a few times a second).
pub fn announce_settings() -> Result<(), InstancesError> {
    let Some((file, path)) = open_table()? else {
        return Ok(());
    };
    slots::under_gate(&file, &path, |_| {
        let header = read_header(&file, &path)?;
        let next = header.settings.wrapping_add(1);
        write_at(&file, &path, SETTINGS_AT as u64, &next.to_le_bytes())
    })?
}

/// The open windows of this account, by number (none if no window is open).
pub fn open_windows() -> Result<Vec<OpenWindow>, InstancesError> {
    let Some((file, path)) = open_table()? else {
        return Ok(Vec::new());
    };
    slots::under_gate(&file, &path, |held| read_windows(&file, &path, held))?
}

/// The table's entries of the `held` slots; an entry that names no live
/// process (damaged, or not yet written) has no PID.
fn read_windows(
    file: &File,
    path: &Path,
    held: &[usize],
) -> Result<Vec<OpenWindow>, InstancesError> {
    let mut table = vec![0u8; MAX_SLOTS * SLOT_LEN];
    let read = read_at(file, path, SLOTS_AT, &mut table)?;
    // Past the end of an older, shorter or truncated object: zeros.
    table[read..].fill(0);
    let mut windows: Vec<OpenWindow> = held
        .iter()
        .filter(|&&slot| slot < MAX_SLOTS)
        .map(|&slot| {
            let entry = Entry::from_bytes(&table[slot * SLOT_LEN..(slot + 1) * SLOT_LEN]);
            OpenWindow {
                number: slot + 1,
                pid: entry.plausible().then_some(entry.pid),
                display: entry.display,
                role: entry.role,
                answer: entry.answer,
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

/// The header (zeros past the end of an older, shorter or truncated object).
fn read_header(file: &File, path: &Path) -> Result<Header, InstancesError> {
    let mut bytes = [0u8; HEADER_LEN];
    read_at(file, path, 0, &mut bytes)?;
    Ok(Header::from_bytes(&bytes))
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
    fn test_display(tag: &str) -> WindowDisplay {
        WindowDisplay::x11(format!("unit-test-{tag}-{}", std::process::id()))
    }

    fn desktop_of(display: &WindowDisplay) -> Desktop {
        Desktop {
            x11: Some(display.name.clone()),
            wayland: None,
        }
    }

    fn join(display: &WindowDisplay) -> WindowInstance {
        WindowInstance::join(display, Role::Window).unwrap()
    }

    #[test]
    fn windows_get_numbers_and_pids_and_see_requests_naming_them() {
        let display = test_display("arrange");
        let mut a = join(&display);
        let mut b = join(&display);
        let mut elsewhere = join(&test_display("elsewhere"));
        let _shot = WindowInstance::join(&display, Role::Screenshot).unwrap();
        assert_ne!(a.number(), b.number());
        let open = open_windows().unwrap();
        for w in [&a, &b] {
            let entry = open.iter().find(|o| o.number == w.number()).unwrap();
            assert_eq!(entry.pid, Some(std::process::id()));
            assert_eq!(entry.display, display);
        }
        assert_eq!(a.poll().unwrap().arrangement, None, "no request yet");
        let area = Rect::new(-10, 20, 1920, 1080);
        let request = request_arrange(&desktop_of(&display), Some(area)).unwrap();
        assert_eq!(request.asked.len(), 2, "the screenshot is not arranged");
        let got_a = a.poll().unwrap().arrangement.expect("a is named");
        let got_b = b.poll().unwrap().arrangement.expect("b is named");
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
        assert_eq!(a.poll().unwrap().arrangement, None, "seen once");
        assert_eq!(
            elsewhere.poll().unwrap().arrangement,
            None,
            "another display is not arranged"
        );
        // The answers: one placed, one not moved.
        a.answer(got_a.generation, Outcome::Placed).unwrap();
        b.answer(got_b.generation, Outcome::NotMoved).unwrap();
        let report = wait_arranged(&request, Duration::from_secs(5)).unwrap();
        assert_eq!(report.placed.len(), 1);
        assert_eq!(report.not_moved.len(), 1);
        assert!(!report.complete());
        assert!(
            report.to_string().starts_with(
                "arranged 1 of 2 window(s) in 1920x1080+-10+20; the window manager kept #"
            ),
            "{report}"
        );
        let number = b.number();
        drop(b);
        assert!(
            open_windows().unwrap().iter().all(|o| o.number != number),
            "b left"
        );
        let request = request_arrange(&desktop_of(&display), None).unwrap();
        let alone = a.poll().unwrap().arrangement.expect("a is named");
        assert_eq!((alone.rank, alone.count, alone.area), (0, 1, None));
        // No answer yet: silent until it answers.
        let report = wait_arranged(&request, Duration::from_millis(100)).unwrap();
        assert_eq!(report.silent.len(), 1);
        a.answer(alone.generation, Outcome::Placed).unwrap();
        let report = wait_arranged(&request, Duration::from_secs(5)).unwrap();
        assert!(report.complete(), "{report}");
        assert_eq!(
            report.to_string(),
            "arranged 1 window(s), each on its own monitor"
        );
    }

    #[test]
    fn a_request_for_a_display_without_windows_is_refused() {
        let _other = join(&test_display("other"));
        assert!(matches!(
            request_arrange(&desktop_of(&test_display("nobody")), None),
            Err(InstancesError::NoWindows)
        ));
    }

    /// Windows on native Wayland are not asked (they cannot choose their
    /// place) and are named in the report; alone, they are an error.
    #[test]
    fn windows_on_native_wayland_are_not_asked() {
        let wayland = WindowDisplay::wayland(format!("unit-wl-{}", std::process::id()));
        let x11 = test_display("xwayland");
        let desktop = Desktop {
            x11: Some(x11.name.clone()),
            wayland: Some(wayland.name.clone()),
        };
        let mut native = join(&wayland);
        assert!(matches!(
            request_arrange(&desktop, None),
            Err(InstancesError::OnlyWayland { windows: 1 })
        ));
        let mut on_x = join(&x11);
        let request = request_arrange(&desktop, None).unwrap();
        assert_eq!(request.asked.len(), 1);
        assert_eq!(request.on_wayland.len(), 1);
        assert_eq!(native.poll().unwrap().arrangement, None);
        let got = on_x
            .poll()
            .unwrap()
            .arrangement
            .expect("the X11 window is asked");
        assert_eq!(got.count, 1);
        on_x.answer(got.generation, Outcome::Placed).unwrap();
        let report = wait_arranged(&request, Duration::from_secs(5)).unwrap();
        assert!(!report.complete());
        assert!(
            report.to_string().contains("run on native Wayland"),
            "{report}"
        );
    }

    /// A window rewrites its entry and the magic when someone truncated or
    /// scribbled over the table, so that a request finds it again.
    #[test]
    fn a_damaged_table_is_rebuilt_by_the_windows() {
        let display = test_display("damaged");
        let mut a = join(&display);
        let (file, _) = open_table().unwrap().unwrap();
        let offset = slot_offset(a.number() - 1);
        file.write_all_at(&[0xA5; SLOT_LEN], offset).unwrap();
        file.write_all_at(b"garbage!", 0).unwrap();
        assert!(
            open_windows()
                .unwrap()
                .iter()
                .any(|w| w.number == a.number() && w.display != display),
            "the entry is damaged"
        );
        assert!(a.poll().unwrap().rebuilt);
        assert!(!a.poll().unwrap().rebuilt, "rebuilt once");
        let mut magic = [0u8; 8];
        file.read_exact_at(&mut magic, 0).unwrap();
        assert_eq!(&magic, MAGIC);
        let entry = open_windows()
            .unwrap()
            .into_iter()
            .find(|w| w.number == a.number())
            .unwrap();
        assert_eq!(
            (entry.pid, entry.display),
            (Some(std::process::id()), display.clone())
        );
        // A request made while the entry is zeroed waits for the window to
        // rewrite it (here: on another thread, as the window's watcher does).
        file.write_all_at(&[0; SLOT_LEN], offset).unwrap();
        let request = std::thread::scope(|s| {
            let asking = s.spawn(|| request_arrange(&desktop_of(&display), None));
            while !asking.is_finished() {
                a.poll().unwrap();
                std::thread::sleep(Duration::from_millis(20));
            }
            asking.join().unwrap()
        })
        .unwrap();
        assert_eq!(request.asked.len(), 1);
    }

    #[test]
    fn settings_changes_are_seen_by_every_window_once() {
        let mut a = join(&test_display("settings-a"));
        let mut b = join(&test_display("settings-b"));
        a.poll().unwrap();
        b.poll().unwrap();
        announce_settings().unwrap();
        assert!(a.poll().unwrap().settings_changed);
        assert!(b.poll().unwrap().settings_changed);
        assert!(!a.poll().unwrap().settings_changed, "seen once");
    }
}
