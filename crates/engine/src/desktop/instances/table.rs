//! The windows' table on Linux: a shared object whose slot locks (`slots`)
//! say which windows are open, and whose bytes (the layout is in the
//! module above) hold each window's entry and the requests to arrange.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU32;
use std::time::{Duration, Instant};

use super::layout::*;
use super::*;
use crate::os::Doorbell;
use crate::os::futex;
use crate::os::shm_object::{self, ShmDir};
use crate::os::slots::{self, Arrival, MAX_SLOTS, Roster};

pub(super) fn process_exists(pid: u32) -> bool {
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

/// In the header's unused bytes (after the settings' generation), a
/// 32-bit count of the changes a window acts on (a request to arrange,
/// word of changed settings), bumped after each: the word windows wait on
/// (Linux: a futex) instead of looking a few times a second. Zero in a
/// table of an older memlab, whose writers do not bump it.
const CHANGES_AT: usize = 48;

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

    /// What this window's watcher sleeps on between looks at the table.
    pub fn watcher(&self) -> Result<TableWatcher, InstancesError> {
        let path = self.roster.path();
        let io = |source| InstancesError::Read {
            path: path.clone(),
            source,
        };
        let file = self.roster.file().try_clone().map_err(io)?;
        let map = memmap2::MmapOptions::new()
            .len(HEADER_LEN)
            .map_raw_read_only(&file)
            .map_err(io)?;
        Ok(TableWatcher { map, file, path })
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
            polled.arrangement = arrangement_for(&request, self.roster.index());
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
            let header = read_header(&file, &path)?;
            let Some((request, made)) =
                plan_request(windows, &header, desktop, area, Instant::now() < deadline)?
            else {
                return Ok(None);
            };
            write_at(&file, &path, REQUEST_AT as u64, &request.to_bytes())?;
            count_change(&file, &path)?;
            Ok::<_, InstancesError>(Some(made))
        })??;
        if let Some(request) = made {
            wake_watchers(&file);
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
        let now = slots::under_gate(&file, &path, |held| read_windows(&file, &path, held))??;
        let report = report_of(request, &now);
        if report.silent.is_empty() || Instant::now() >= deadline {
            return Ok(report);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Tells every window that the shared settings changed, so that they read
/// them again (their watchers wake).
pub fn announce_settings() -> Result<(), InstancesError> {
    let Some((file, path)) = open_table()? else {
        return Ok(());
    };
    slots::under_gate(&file, &path, |_| {
        let header = read_header(&file, &path)?;
        let next = header.settings.wrapping_add(1);
        write_at(&file, &path, SETTINGS_AT as u64, &next.to_le_bytes())?;
        count_change(&file, &path)
    })??;
    wake_watchers(&file);
    Ok(())
}

/// Bumps the table's count of changes (under the gate, after the change).
fn count_change(file: &File, path: &Path) -> Result<(), InstancesError> {
    let mut bytes = [0u8; 4];
    read_at(file, path, CHANGES_AT as u64, &mut bytes)?;
    let next = u32::from_le_bytes(bytes).wrapping_add(1);
    write_at(file, path, CHANGES_AT as u64, &next.to_le_bytes())
}

/// Wakes every window's watcher sleeping on the count of changes. A failure
/// (no memory to map, the table cut short) wakes nobody: the watchers look
/// once a second anyway.
fn wake_watchers(file: &File) {
    if let Ok(map) = memmap2::MmapOptions::new()
        .len(HEADER_LEN)
        .map_raw_read_only(file)
    {
        // SAFETY: the word lies in the header just mapped (at a multiple
        // of 4 of a page-aligned mapping), mapped until `map` drops.
        unsafe { futex::wake_shared(changes_word(&map)) };
    }
}

/// The count of changes in a mapping of the table's header.
fn changes_word(map: &memmap2::MmapRaw) -> *const AtomicU32 {
    map.as_ptr().wrapping_add(CHANGES_AT).cast::<AtomicU32>()
}

/// What a window's watcher sleeps on: the table's count of changes, in a
/// mapping of its header. Made by [`WindowInstance::watcher`]; it needs no
/// lock on the instance, so the window keeps answering while it sleeps.
#[derive(Debug)]
pub struct TableWatcher {
    map: memmap2::MmapRaw,
    file: File,
    path: PathBuf,
}

impl TableWatcher {
    /// The count of changes now (read before looking at the table), None if
    /// the table is cut short.
    pub fn changes(&self) -> Option<u32> {
        let mut bytes = [0u8; 4];
        (read_at(&self.file, &self.path, CHANGES_AT as u64, &mut bytes).ok() == Some(4))
            .then(|| u32::from_le_bytes(bytes))
    }

    /// Sleeps until a request or word of changed settings moves the count
    /// from `seen`, `bell` is rung after `rung` was read from it, or
    /// `timeout` passes; at once if one of them already happened. Without
    /// a count to wait on (the table cut short), a fifth of a second.
    pub fn wait(&self, seen: Option<u32>, bell: &Doorbell, rung: u32, timeout: Duration) {
        let waited = seen.is_some_and(|seen| {
            let words = [
                futex::Word::shared(changes_word(&self.map), seen.to_le()),
                futex::Word::bell(bell, rung),
            ];
            futex::wait_any(&words, timeout).is_ok()
        });
        if !waited {
            std::thread::sleep(timeout.min(Duration::from_millis(200)));
        }
    }
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
            open_window(slot, entry, process_exists)
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

    #[test]
    fn a_watcher_asleep_is_woken_by_word_of_changed_settings() {
        let a = join(&test_display("watcher-a"));
        let watcher = a.watcher().unwrap();
        let bell = Doorbell::new();
        let seen = watcher.changes().expect("a whole table");
        let (tid_tx, tid_rx) = std::sync::mpsc::channel();
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        let sleeper = std::thread::spawn(move || {
            tid_tx
                .send(rustix::thread::gettid().as_raw_nonzero().get())
                .unwrap();
            // An hour: only a wake ends it within the test's deadline.
            watcher.wait(Some(seen), &bell, bell.rung(), Duration::from_secs(3600));
            done_tx.send(watcher.changes()).unwrap();
        });
        let stat = format!("/proc/self/task/{}/stat", tid_rx.recv().unwrap());
        let asleep = || {
            std::fs::read_to_string(&stat)
                .ok()
                .and_then(|s| s[s.rfind(')')? + 2..].chars().next())
                == Some('S')
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while !asleep() && Instant::now() < deadline {
            std::thread::yield_now();
        }
        announce_settings().unwrap();
        let now = done_rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the announcement woke the watcher");
        assert_ne!(now, Some(seen), "the count of changes moved");
        sleeper.join().unwrap();
    }
}
