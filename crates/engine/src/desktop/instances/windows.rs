//! The windows' roster on Windows: the table (the layout is in the module
//! above) in a named mapping of the paging file, `Local\memlab-windows`
//! (the session's namespace: this account's windows of this session), and
//! one named mutex per slot, `Local\memlab-windows.slot.<i>`, owned by the
//! window in that slot (`os::slots`): a killed window's mutex is abandoned
//! and its number is free again, with nothing to clean. A named mutex
//! `Local\memlab-windows.gate` serialises joining and requests, as the
//! gate lock does on Linux; a gate abandoned by a window that died holding
//! it is taken over (the windows rewrite their entries if it left them
//! half-written).
//!
//! The mapping lives while a window (or `memlab arrange`) holds a handle,
//! so the table starts afresh once every window has closed, as Windows
//! frees any named mapping.
//!
//! Each window has an auto-reset event, `Local\memlab-windows.changed.<i>`
//! (its slot's), that a request to arrange and an announcement of changed
//! settings set for every window on the roster: its watcher sleeps on it
//! (and on its bell's event), and looks by itself once a second, for an
//! entry or a magic damaged by someone, as the futex on the table's count
//! of changes does on Linux.

use std::time::{Duration, Instant};

use super::layout::*;
use super::*;
use crate::os::Doorbell;
use crate::os::named_event::NamedEvent;
use crate::os::named_mutex::{MutexGuard, NamedMutex, WaitError};
use crate::os::shm_object::{IoOp, NamedMapping};
use crate::os::slots::{self, MAX_SLOTS, Roster};

/// The table's mapping; its slots' mutexes and gate take suffixes.
const TABLE: &str = "Local\\memlab-windows";
/// Joining or requesting waits at most this long for the others.
const GATE_TIMEOUT: Duration = Duration::from_secs(5);

pub(super) fn process_exists(pid: u32) -> bool {
    crate::os::process::running(pid)
}

/// The table and its gate, as any process opens them.
struct Table {
    map: NamedMapping,
    gate: NamedMutex,
}

impl Table {
    /// The table, made (with its magic) if no window has it open.
    fn create_or_open() -> Result<Self, InstancesError> {
        let gate = NamedMutex::create(&gate_name())?;
        let table = Self {
            map: NamedMapping::create_or_open(TABLE, TABLE_SIZE as usize)?,
            gate,
        };
        if table.map.created() {
            table.map.write(0, MAGIC);
        }
        Ok(table)
    }

    /// The table if some window has it open.
    fn open() -> Result<Option<Self>, InstancesError> {
        let Some(map) = NamedMapping::open_existing(TABLE, TABLE_SIZE as usize)? else {
            return Ok(None);
        };
        let gate = NamedMutex::create(&gate_name())?;
        Ok(Some(Self { map, gate }))
    }

    /// Runs `f` holding the gate (on this thread).
    fn under_gate<T>(
        &self,
        f: impl FnOnce() -> Result<T, InstancesError>,
    ) -> Result<T, InstancesError> {
        let _held: MutexGuard<'_> = match self.gate.wait(GATE_TIMEOUT) {
            // Abandoned: a window died holding it; the bytes it may have
            // left half-written are rewritten by their windows' polls.
            Ok(held) => held,
            Err(WaitError::TimedOut(_)) => {
                return Err(gate_error(std::io::Error::from(
                    std::io::ErrorKind::TimedOut,
                )));
            }
            Err(WaitError::Os(source)) => return Err(gate_error(source)),
        };
        f()
    }

    fn header(&self) -> Header {
        let mut bytes = [0u8; HEADER_LEN];
        self.map.read(0, &mut bytes);
        Header::from_bytes(&bytes)
    }

    /// The entries of the slots held now.
    fn windows(&self) -> Result<Vec<OpenWindow>, InstancesError> {
        let held = slots::attached(TABLE)?;
        let mut table = vec![0u8; MAX_SLOTS * SLOT_LEN];
        self.map.read(SLOTS_AT as usize, &mut table);
        Ok(held
            .into_iter()
            .filter(|&slot| slot < MAX_SLOTS)
            .map(|slot| {
                let entry = Entry::from_bytes(&table[slot * SLOT_LEN..(slot + 1) * SLOT_LEN]);
                open_window(slot, entry, process_exists)
            })
            .collect())
    }
}

fn gate_name() -> String {
    format!("{TABLE}.gate")
}

/// The event of the window in `slot`.
fn changed_name(slot: usize) -> String {
    format!("{TABLE}.changed.{slot}")
}

/// Sets the event of every window on the roster (a failure leaves one
/// window to its once-a-second look).
fn wake_windows() {
    if let Ok(held) = slots::attached(TABLE) {
        for slot in held {
            let _ = NamedEvent::set_existing(&changed_name(slot));
        }
    }
}

fn gate_error(source: std::io::Error) -> InstancesError {
    InstancesError::Object(crate::os::shm_object::ObjectError::Io {
        op: IoOp::Lock,
        name: gate_name(),
        source,
    })
}

/// What a window's watcher sleeps on between looks at the table: its
/// window's event (Linux waits on the table's count of changes).
#[derive(Debug)]
pub struct TableWatcher {
    changed: NamedEvent,
}

impl TableWatcher {
    /// The count of changes: none kept on Windows (the event is set).
    pub fn changes(&self) -> Option<u32> {
        None
    }

    /// Sleeps until a request or a settings announcement sets this
    /// window's event, `bell` is rung after `rung` was read from it (the
    /// window closing), or `timeout` passes. Set while the watcher looked,
    /// the event ends the wait as it starts. Should the wait fail, it
    /// sleeps a fifth of a second (at most `timeout`) instead.
    pub fn wait(&self, _seen: Option<u32>, bell: &Doorbell, rung: u32, timeout: Duration) {
        if bell
            .wait_with(Some(self.changed.raw()), rung, timeout)
            .is_err()
        {
            let _ = bell.wait_with(None, rung, timeout.min(Duration::from_millis(200)));
        }
    }
}

/// This process's window on the roster; dropping it leaves (its slot's
/// mutex is released, or abandoned if the process is killed).
#[derive(Debug)]
pub struct WindowInstance {
    roster: Roster,
    map: NamedMapping,
    gate: NamedMutex,
    /// What this window wrote into its slot (and rewrites if it changed).
    entry: Entry,
    /// The last request generation seen (requests up to it are not ours).
    seen: u64,
    /// The settings generation last seen.
    seen_settings: u64,
    /// This window's event, made as it joins (a request made before its
    /// watcher starts is seen by the watcher's first look).
    _changed: NamedEvent,
}

impl std::fmt::Debug for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Table")
            .field("map", &self.map.name())
            .finish()
    }
}

impl WindowInstance {
    /// Takes the lowest free number and records this process's PID, its
    /// window's display and role.
    pub fn join(display: &WindowDisplay, role: Role) -> Result<Self, InstancesError> {
        let table = Table::create_or_open()?;
        // Under the gate, before taking a slot: a request written after
        // this window is counted in it has a higher generation.
        let (roster, header) = table.under_gate(|| {
            let header = table.header();
            let roster = Roster::join(TABLE)?;
            Ok((roster, header))
        })?;
        let changed = NamedEvent::create(&changed_name(roster.index()))?;
        let instance = Self {
            roster,
            map: table.map,
            gate: table.gate,
            entry: Entry {
                pid: std::process::id(),
                display: display.clone(),
                role,
                answer: None,
            },
            seen: header.request.generation,
            seen_settings: header.settings,
            _changed: changed,
        };
        instance.write_entry();
        Ok(instance)
    }

    /// This window's number (1-based), as shown in its title.
    pub fn number(&self) -> usize {
        self.roster.index() + 1
    }

    /// What this window's watcher sleeps on between looks at the table.
    pub fn watcher(&self) -> Result<TableWatcher, InstancesError> {
        let changed = NamedEvent::create(&changed_name(self.roster.index()))?;
        Ok(TableWatcher { changed })
    }

    fn write_entry(&self) {
        self.map.write(
            slot_offset(self.roster.index()) as usize,
            &self.entry.to_bytes(),
        );
    }

    fn with_gate<T>(
        &self,
        f: impl FnOnce(&NamedMapping) -> Result<T, InstancesError>,
    ) -> Result<T, InstancesError> {
        let _held = match self.gate.wait(GATE_TIMEOUT) {
            Ok(held) => held,
            Err(WaitError::TimedOut(_)) => {
                return Err(gate_error(std::io::Error::from(
                    std::io::ErrorKind::TimedOut,
                )));
            }
            Err(WaitError::Os(source)) => return Err(gate_error(source)),
        };
        f(&self.map)
    }

    /// Looks at the table: a request newer than the last one seen that
    /// names this window, word of changed settings, and this window's own
    /// entry and the magic, rewritten if someone damaged them. Cheap (two
    /// copies from the view): windows call it a few times a second.
    pub fn poll(&mut self) -> Result<Polled, InstancesError> {
        let mut bytes = [0u8; HEADER_LEN];
        self.map.read(0, &mut bytes);
        let header = Header::from_bytes(&bytes);
        let mut polled = Polled::default();
        if header.settings != self.seen_settings {
            self.seen_settings = header.settings;
            polled.settings_changed = true;
        }
        let mut own = [0u8; SLOT_LEN];
        self.map
            .read(slot_offset(self.roster.index()) as usize, &mut own);
        if !header.magic_ok || own != self.entry.to_bytes() {
            if !header.magic_ok {
                self.with_gate(|map| {
                    map.write(0, MAGIC);
                    Ok(())
                })?;
            }
            self.write_entry();
            polled.rebuilt = true;
        }
        if header.request.generation != self.seen {
            // Changed: read the whole request under the gate the writer held.
            let request = self.with_gate(|map| {
                let mut bytes = [0u8; HEADER_LEN];
                map.read(0, &mut bytes);
                Ok(Header::from_bytes(&bytes).request)
            })?;
            self.seen = request.generation;
            polled.arrangement = arrangement_for(&request, self.roster.index());
        }
        Ok(polled)
    }

    /// Records this window's answer to the request `generation`, for the
    /// requester waiting in [`wait_arranged`].
    pub fn answer(&mut self, generation: u64, outcome: Outcome) -> Result<(), InstancesError> {
        self.entry.answer = Some((generation, outcome));
        self.write_entry();
        Ok(())
    }
}

/// Asks every open window of this account in this session to arrange
/// itself in `area` (each in its own monitor's work area if `None`).
/// Windows whose entries are damaged are given a moment to rewrite them
/// first.
pub fn request_arrange(
    desktop: &Desktop,
    area: Option<Rect>,
) -> Result<ArrangeRequest, InstancesError> {
    let table = Table::open()?.ok_or(InstancesError::NoWindows)?;
    let deadline = Instant::now() + REBUILD_WITHIN;
    loop {
        let made = table.under_gate(|| {
            let windows = table.windows()?;
            let header = table.header();
            let Some((request, made)) =
                plan_request(windows, &header, desktop, area, Instant::now() < deadline)?
            else {
                return Ok(None);
            };
            table.map.write(REQUEST_AT, &request.to_bytes());
            Ok(Some(made))
        })?;
        if let Some(request) = made {
            wake_windows();
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
    let table = Table::open()?.ok_or(InstancesError::NoWindows)?;
    let deadline = Instant::now() + timeout;
    loop {
        let now = table.under_gate(|| table.windows())?;
        let report = report_of(request, &now);
        if report.silent.is_empty() || Instant::now() >= deadline {
            return Ok(report);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Tells every window that the shared settings changed, so that they read
/// them again (their events wake them).
pub fn announce_settings() -> Result<(), InstancesError> {
    let Some(table) = Table::open()? else {
        return Ok(());
    };
    table.under_gate(|| {
        let next = table.header().settings.wrapping_add(1);
        table.map.write(SETTINGS_AT, &next.to_le_bytes());
        Ok(())
    })?;
    wake_windows();
    Ok(())
}

/// The open windows of this account in this session, by number (none if
/// no window is open).
pub fn open_windows() -> Result<Vec<OpenWindow>, InstancesError> {
    let Some(table) = Table::open()? else {
        return Ok(Vec::new());
    };
    table.under_gate(|| table.windows())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn join(role: Role) -> WindowInstance {
        WindowInstance::join(&WindowDisplay::for_window(false).unwrap(), role).unwrap()
    }

    /// Windows get the lowest free numbers, see requests naming them with
    /// their ranks, and a left number is taken again; settings changes are
    /// seen once; a scribbled entry and magic are rewritten. One test, as
    /// the roster is the session's: parallel tests would take each other's
    /// numbers. (Other memlab windows of the session only add numbers.)
    #[test]
    fn the_roster_numbers_windows_passes_requests_and_heals() {
        let mut a = join(Role::Window);
        let mut b = join(Role::Window);
        let shot = join(Role::Screenshot);
        assert_ne!(a.number(), b.number());
        let open = open_windows().unwrap();
        for w in [&a, &b, &shot] {
            let entry = open.iter().find(|o| o.number == w.number()).unwrap();
            assert_eq!(entry.pid, Some(std::process::id()));
            assert_eq!(entry.display.backend, Backend::Win32);
        }
        // A request names the windows, not the screenshot, in rank order.
        let area = Rect::new(0, 0, 1920, 1080);
        let request = request_arrange(&Desktop::from_env(), Some(area)).unwrap();
        assert!(
            request.asked.iter().all(|w| w.number != shot.number()),
            "the screenshot is not arranged"
        );
        let got_a = a.poll().unwrap().arrangement.expect("a is named");
        let got_b = b.poll().unwrap().arrangement.expect("b is named");
        assert_eq!(got_a.generation, got_b.generation);
        assert_eq!(got_a.area, Some(area));
        assert_eq!(got_a.rank < got_b.rank, a.number() < b.number());
        assert_eq!(a.poll().unwrap().arrangement, None, "seen once");
        a.answer(got_a.generation, Outcome::Placed).unwrap();
        b.answer(got_b.generation, Outcome::NotMoved).unwrap();
        let report = wait_arranged(&request, Duration::from_secs(5)).unwrap();
        assert!(report.placed.iter().any(|w| w.number == a.number()));
        assert!(report.not_moved.iter().any(|w| w.number == b.number()));
        // A window that leaves frees its number for the next one.
        let number = b.number();
        drop(b);
        assert!(
            open_windows().unwrap().iter().all(|o| o.number != number),
            "b left"
        );
        let mut b = join(Role::Window);
        assert_eq!(b.number(), number, "the lowest free number is taken again");
        // Settings: every window sees a change once.
        a.poll().unwrap();
        b.poll().unwrap();
        announce_settings().unwrap();
        assert!(a.poll().unwrap().settings_changed);
        assert!(b.poll().unwrap().settings_changed);
        assert!(!a.poll().unwrap().settings_changed, "seen once");
        // Scribbled bytes: the window's next poll rewrites its entry and
        // the magic.
        let table = Table::open().unwrap().expect("the windows hold it");
        table
            .map
            .write(slot_offset(a.number() - 1) as usize, &[0xA5; SLOT_LEN]);
        table.map.write(0, b"garbage!");
        assert!(a.poll().unwrap().rebuilt);
        assert!(!a.poll().unwrap().rebuilt, "rebuilt once");
        let mut magic = [0u8; 8];
        table.map.read(0, &mut magic);
        assert_eq!(&magic, MAGIC);
        let entry = open_windows()
            .unwrap()
            .into_iter()
            .find(|w| w.number == a.number())
            .unwrap();
        assert_eq!(entry.pid, Some(std::process::id()));
        // A's watcher, waiting an hour, is woken by a request and by a
        // settings announcement.
        let watcher = a.watcher().unwrap();
        let ask = || drop(request_arrange(&Desktop::from_env(), Some(area)).unwrap());
        let watcher = woken_by(watcher, &ask);
        let watcher = woken_by(watcher, &|| announce_settings().unwrap());
        drop(watcher);
        let polled = a.poll().unwrap();
        assert!(polled.arrangement.is_some() && polled.settings_changed);
    }

    /// Runs `act` while `watcher` waits an hour in a thread (any set left
    /// of its event taken first); gives it back once it woke.
    fn woken_by(watcher: TableWatcher, act: &dyn Fn()) -> TableWatcher {
        while watcher.changed.wait(Duration::ZERO).unwrap() {}
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        let waiter = std::thread::spawn(move || {
            let bell = Doorbell::new();
            watcher.wait(None, &bell, bell.rung(), Duration::from_secs(3600));
            done_tx.send(()).unwrap();
            watcher
        });
        act();
        done_rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the change woke the watcher");
        waiter.join().unwrap()
    }
}
