//! The shared string on Windows, as the book wrote it: the mapping is
//! `CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0,
//! MAPPING_SIZE, "Local\\memlab.SampleMMF")` (`os::shm_object`), the
//! creator told from a joiner by `ERROR_ALREADY_EXISTS` writes the sample,
//! `LockMap` is the named mutex `Local\memlab.SampleMMF.LockMap` waited for
//! with `WaitForSingleObject(LockMap, 1000)`, and a holder's death comes
//! back as `WAIT_ABANDONED`, reported with the next load or save. The
//! attached instances are `os::slots`' slot mutexes. The object lives while
//! any instance holds its handle: there is no stale object to recover.
//!
//! Attaching (create or open, write the sample, take a slot, record the
//! PID) happens under a second named mutex, `<object>.Attach`, so a joiner
//! never sees a half-written object, and an instance can attach while
//! another holds `LockMap` for a demonstration. The bytes are the same
//! layout as on Linux (`layout`).
//!
//! A save wakes the watchers: each instance has its own auto-reset event,
//! `<object>.Changed.<slot>`, and a save sets the event of every slot the
//! object records a PID for (`os::named_event` says why one per watcher).
//! So does whatever else the info panel shows that a write makes: a
//! reset, a hold taken and given back, an instance arriving (once its PID
//! is recorded) and leaving (once its slot is free). A watcher waits on its
//! event and its [`Doorbell`]'s together (`WaitForMultipleObjects`), so
//! Live turned off, a window closing or Ctrl+C ends the wait at once, and
//! otherwise looks by itself once a second, for what no write announces
//! (an instance killed: its slot's mutex abandoned).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use super::info::{Attached, ObjectKind, SharedInfo};
use super::layout::{HOLDER_AT, Image, LOCK_SINCE_AT, PIDS_AT, SAVE_FIELDS, holder_record};
use super::{
    Backing, CHAR_LEN, LOCK_TIMEOUT, Loaded, LockState, MAPPING_SIZE, Origin, SAMPLE_TEXT, Saved,
    SharedError, fit_to_capacity,
};
use crate::desktop::holder::Holder;
use crate::os::Doorbell;
use crate::os::clock::now_unix_ms;
use crate::os::named_event::NamedEvent;
use crate::os::named_mutex::{self, Acquired, NamedMutex, WaitError};
use crate::os::process;
use crate::os::shm_object::{IoOp, NamedMapping, object_name, split_name};
use crate::os::slots::MAX_SLOTS;
use crate::os::slots::Roster;

/// How long attaching waits for the attach gate (other instances attaching).
const ATTACH_TIMEOUT: Duration = Duration::from_secs(5);

/// What [`SharedText::quick_look`] saw: the object's bytes and, of the
/// slots it records a PID for (and this instance's), those held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuickLook {
    bytes: [u8; MAPPING_SIZE],
    attached: Vec<usize>,
}

/// What the info panel last saw change: on Windows the change counter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity(u64);

/// One instance's attachment to a named shared string.
#[derive(Debug)]
pub struct SharedText {
    name: String,
    backing: Backing,
    mapping: NamedMapping,
    lock_map: NamedMutex,
    roster: Roster,
    /// This instance's `<object>.Changed.<slot>`: set by every save.
    changed: NamedEvent,
    /// `<object>.Changed.` (a slot's number completes it).
    changed_prefix: String,
    origin: Origin,
    /// A look at `LockMap` for the info panel got `WAIT_ABANDONED` (and so
    /// took the report from the next wait): the next load or save says so.
    abandoned_seen: AtomicBool,
    /// This instance's operations in turn (the mutex is per thread, and
    /// one thread may not wait for it twice).
    op: Mutex<()>,
    timeout: Duration,
}

/// `LockMap`, held; and this instance's turn.
struct Held<'a> {
    guard: named_mutex::MutexGuard<'a>,
    _op: MutexGuard<'a, ()>,
}

impl SharedText {
    /// Attaches to the mapping `name` (`SampleMMF`, or `Local\` / `Global\`
    /// and a name), creating it if no instance holds it.
    pub fn open(name: &str) -> Result<Self, SharedError> {
        Self::attach(&Backing::memory(name))
    }

    /// A backing file is not ported to Windows yet.
    pub fn open_file(path: &std::path::Path) -> Result<Self, SharedError> {
        Self::attach(&Backing::file(path))
    }

    /// Attaches to the shared string wherever `backing` says (on Windows:
    /// the named mapping only, for now).
    pub fn attach(backing: &Backing) -> Result<Self, SharedError> {
        let name = match backing {
            Backing::Memory { name } => name.clone(),
            Backing::File { .. } => return Err(SharedError::FileNotOnWindowsYet),
        };
        let (namespace, own) = split_name(&name).map_err(|reason| SharedError::BadName {
            name: name.clone(),
            reason,
        })?;
        let object = object_name(namespace, own, "");
        let lock_map = NamedMutex::create(&object_name(namespace, own, ".LockMap"))?;
        let attach_gate = NamedMutex::create(&object_name(namespace, own, ".Attach"))?;
        let gate = match attach_gate.wait(ATTACH_TIMEOUT) {
            Ok(guard) => guard,
            Err(WaitError::TimedOut(_)) => {
                return Err(SharedError::LockTimeout {
                    waited_ms: ATTACH_TIMEOUT.as_millis() as u64,
                    holder: Holder::Unknown,
                });
            }
            Err(WaitError::Os(source)) => {
                return Err(SharedError::Io {
                    op: IoOp::Lock,
                    name,
                    source,
                });
            }
        };
        let mapping = NamedMapping::create_or_open(&object, MAPPING_SIZE)?;
        let fresh = || Image::fresh(SAMPLE_TEXT, std::process::id(), now_unix_ms(), 1);
        let origin = if mapping.created() {
            mapping.write(0, &fresh().0);
            Origin::Created
        } else if gate.acquired() == Acquired::Abandoned && {
            let mut image = Image([0; MAPPING_SIZE]);
            mapping.read(0, &mut image.0);
            image.validate().is_err()
        } {
            // Its creator died attaching, before the sample was written.
            mapping.write(0, &fresh().0);
            Origin::Created
        } else {
            Origin::Joined
        };
        let roster = Roster::join(&object)?;
        let changed_prefix = object_name(namespace, own, ".Changed.");
        let changed = NamedEvent::create(&format!("{changed_prefix}{}", roster.index()))?;
        mapping.write(
            PIDS_AT + 4 * roster.index(),
            &std::process::id().to_ne_bytes(),
        );
        drop(gate);
        let attached = Self {
            name,
            backing: backing.clone(),
            mapping,
            lock_map,
            roster,
            changed,
            changed_prefix,
            origin,
            abandoned_seen: AtomicBool::new(false),
            op: Mutex::new(()),
            timeout: LOCK_TIMEOUT,
        };
        // The others' info panels show it (its PID is recorded).
        attached.wake_all(&attached.image());
        Ok(attached)
    }

    /// The mapping's name as given.
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn backing(&self) -> &Backing {
        &self.backing
    }

    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// This instance's number among those attached (1-based).
    pub fn instance_number(&self) -> usize {
        self.roster.index() + 1
    }

    /// Changes the lock timeout (the book's is 1000 ms).
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    /// Copies the shared string out, under `LockMap`.
    pub fn load(&self) -> Result<Loaded, SharedError> {
        let held = self.lock()?;
        let wait_abandoned = self.abandoned(&held);
        let (image, active) = self.checked()?;
        let recovered_from = self.take_over(&image);
        let (text, lossy) = match String::from_utf8_lossy(image.text(active)) {
            std::borrow::Cow::Borrowed(s) => (s.to_owned(), false),
            std::borrow::Cow::Owned(s) => (s, true),
        };
        Ok(Loaded {
            text,
            lossy,
            change_counter: image.counter(),
            recovered_from,
            wait_abandoned,
        })
    }

    /// Stores `text` (cut to `CHAR_LEN` bytes on a character boundary),
    /// under `LockMap`; the idle buffer first, then the switch.
    pub fn save(&self, text: &str) -> Result<Saved, SharedError> {
        if text.contains('\0') {
            return Err(SharedError::NulInText);
        }
        let stored = fit_to_capacity(text);
        let held = self.lock()?;
        let wait_abandoned = self.abandoned(&held);
        let (mut image, active) = self.checked()?;
        let recovered_from = image.holder().filter(|&pid| !process::running(pid));
        let me = std::process::id();
        self.mapping
            .write(LOCK_SINCE_AT, &holder_record(me, now_unix_ms()));
        let idle = 1 - active;
        image.set_text(idle, stored.as_bytes());
        let text_range = Image::text_range(idle);
        self.mapping.write(text_range.start, &image.0[text_range]);
        let change_counter = image.commit_save(idle, me, now_unix_ms());
        self.mapping.write(SAVE_FIELDS.start, &image.0[SAVE_FIELDS]);
        // Watchers woken only once `LockMap` is free, so that their loads
        // do not find it held.
        drop(held);
        self.wake_all(&image);
        Ok(Saved {
            stored: stored.to_owned(),
            truncated_from: (stored.len() < text.len()).then_some(text.len()),
            change_counter,
            recovered_from,
            wait_abandoned,
        })
    }

    /// Rewrites the object as new (header and the sample), under `LockMap`.
    pub fn reset(&self) -> Result<(), SharedError> {
        let held = self.lock()?;
        let image = self.image();
        let fresh = Image::fresh(
            SAMPLE_TEXT,
            std::process::id(),
            now_unix_ms(),
            image.counter() + 1,
        );
        self.mapping.write(0, &fresh.0[..PIDS_AT]);
        drop(held);
        self.wake_all(&image);
        Ok(())
    }

    /// Sets the `Changed` event of every slot `image` records a PID for
    /// (the slots in use, and maybe a few left: those have no event), this
    /// instance's too. A failure wakes one watcher less, whose once-a-second
    /// look covers it.
    fn wake_all(&self, image: &Image) {
        for slot in (0..MAX_SLOTS).filter(|&slot| image.slot_pid(slot).is_some()) {
            let _ = NamedEvent::set_existing(&format!("{}{slot}", self.changed_prefix));
        }
    }

    /// Sleeps until a save or reset (of any instance) sets this instance's
    /// `Changed` event, or `timeout` passes; at once if the change counter
    /// is no longer `seen`. A hold or an instance arriving or leaving sets
    /// it too: read the counter again after it. One watcher per instance:
    /// two threads of one instance waiting share its event, and a save
    /// wakes only one of them. False, at once, if the wait failed: the
    /// caller then polls.
    pub fn wait_for_change(&self, seen: u64, timeout: Duration) -> bool {
        if self.change_counter() != Some(seen) {
            return true;
        }
        self.changed.wait(timeout).is_ok()
    }

    /// As [`wait_for_change`](Self::wait_for_change), or until `bell` is
    /// rung after `rung` was read from it (its event and this instance's
    /// are waited for together).
    pub fn wait_for_change_or_rung(
        &self,
        seen: u64,
        bell: &Doorbell,
        rung: u32,
        timeout: Duration,
    ) -> bool {
        if self.change_counter() != Some(seen) {
            return true;
        }
        bell.wait_with(Some(self.changed.raw()), rung, timeout)
            .is_ok()
    }

    /// A cheap look at what the info panel's facts come from: the object's
    /// 520 bytes (no call to the kernel) and which of the slots it records
    /// a PID for are held (a killed instance's is not, though nothing
    /// announced it). While it stays the same the facts do too, but for a
    /// lock a load holds for microseconds (it writes no record) and the
    /// windows' numbers. Trying all 64 slots' mutexes, as the facts do,
    /// costs about 120 round trips to wineserver under wine.
    pub fn quick_look(&self) -> Option<QuickLook> {
        let image = self.image();
        let recorded = (0..MAX_SLOTS).filter(|&slot| image.slot_pid(slot).is_some());
        Some(QuickLook {
            attached: self.roster.attached_among(recorded).ok()?,
            bytes: image.0,
        })
    }

    /// What the info panel's facts hang on, read now (before the facts):
    /// on Windows the change counter only.
    pub fn activity(&self) -> Option<Activity> {
        self.change_counter().map(Activity)
    }

    /// Sleeps until a save, a reset, a hold taken or given back, or an
    /// instance arriving or leaving (in any process) sets this instance's
    /// `Changed` event, until `bell` is rung after `rung` was read from it,
    /// or until `timeout`; at once if the counter is no longer `seen`'s.
    /// Set while the caller looked, the event ends the wait as it starts:
    /// nothing is shown late. An instance killed is seen only at `timeout`.
    /// False, at once, if the wait failed: the caller then polls.
    pub fn wait_for_activity(
        &self,
        seen: &Activity,
        bell: &Doorbell,
        rung: u32,
        timeout: Duration,
    ) -> bool {
        if self.change_counter() != Some(seen.0) {
            return true;
        }
        bell.wait_with(Some(self.changed.raw()), rung, timeout)
            .is_ok()
    }

    /// Takes `LockMap`, calls `while_held` and keeps it for `duration` or
    /// until `stop` is set (to show contention in class).
    pub fn hold(
        &self,
        duration: Duration,
        stop: &AtomicBool,
        while_held: impl FnOnce(),
    ) -> Result<(), SharedError> {
        let held = self.lock()?;
        let recorded = self.checked().is_ok();
        if recorded {
            self.mapping.write(
                LOCK_SINCE_AT,
                &holder_record(std::process::id(), now_unix_ms()),
            );
        }
        // The info panels show the lock held (and by whom).
        self.wake_all(&self.image());
        while_held();
        let end = Instant::now() + duration;
        while !stop.load(Ordering::Relaxed) {
            let left = end.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            std::thread::sleep(left.min(Duration::from_millis(10)));
        }
        if recorded {
            self.mapping.write(HOLDER_AT, &0u32.to_ne_bytes());
        }
        // Woken once it is free, so that they see it free.
        drop(held);
        self.wake_all(&self.image());
        Ok(())
    }

    /// The change counter, read without the lock: cheap enough to poll.
    pub fn change_counter(&self) -> Option<u64> {
        let mut bytes = [0; 8];
        self.mapping.read(super::layout::COUNTER_AT, &mut bytes);
        Some(u64::from_ne_bytes(bytes))
    }

    /// The change counter with the time of the last save or reset beside
    /// it: what a watch compares (another program may write old bytes back,
    /// and their counter with them).
    pub fn change_stamp(&self) -> Option<(u64, u64)> {
        let mut bytes = [0; 16];
        self.mapping.read(super::layout::COUNTER_AT, &mut bytes);
        let (counter, written) = bytes.split_at(8);
        Some((
            u64::from_ne_bytes(counter.try_into().unwrap_or_default()),
            u64::from_ne_bytes(written.try_into().unwrap_or_default()),
        ))
    }

    /// Never: a Windows object cannot lose its name while a handle is open.
    pub fn removed(&self) -> Result<bool, SharedError> {
        Ok(false)
    }

    /// The info panel's facts, without waiting for `LockMap`.
    pub fn info(&self) -> Result<SharedInfo, SharedError> {
        let slots = self.roster.attached()?;
        let read = self.image();
        let problem = read.validate().err();
        let lock = self.lock_state(&read)?;
        let attached = slots
            .into_iter()
            .map(|index| {
                let recorded = read.slot_pid(index);
                let confirmed = recorded.filter(|&pid| process::running(pid));
                Attached {
                    index,
                    pid: confirmed,
                    claimed_pid: recorded.filter(|_| confirmed.is_none()),
                }
            })
            .collect();
        Ok(SharedInfo {
            name: self.name.clone(),
            backing: self.backing.clone(),
            kind: ObjectKind::FileMapping,
            os_object: format!(
                "file mapping {} (paging file), lock {}",
                self.mapping.name(),
                self.lock_map.name()
            ),
            path: PathBuf::from(self.mapping.name()),
            size: self.mapping.len() as u64,
            capacity: CHAR_LEN,
            this_instance: self.instance_number(),
            pid: std::process::id(),
            uid: None,
            attached,
            origin: self.origin.clone(),
            change_counter: read.counter(),
            last_writer_pid: read.last_writer(),
            last_write_unix_ms: read.last_write_ms(),
            lock,
            problem,
            removed: false,
            bytes: read.0.to_vec(),
        })
    }

    /// Free, held (by the header's recorded holder, if it runs) or
    /// abandoned, seen with a wait of zero ms.
    fn lock_state(&self, image: &Image) -> Result<LockState, SharedError> {
        let named = image.holder();
        let _op = self.op.lock().unwrap_or_else(PoisonError::into_inner);
        match self.lock_map.wait(Duration::ZERO) {
            Ok(guard) => {
                if guard.acquired() == Acquired::Abandoned {
                    self.abandoned_seen.store(true, Ordering::Relaxed);
                }
                Ok(match named {
                    Some(pid) if !process::running(pid) => LockState::Abandoned { pid },
                    _ if guard.acquired() == Acquired::Abandoned => LockState::Abandoned { pid: 0 },
                    _ => LockState::Free,
                })
            }
            Err(WaitError::TimedOut(_)) => {
                let holder = match named {
                    Some(pid) if process::running(pid) => Holder::running(pid),
                    Some(pid) => Holder::Named { pid },
                    None => Holder::Unknown,
                };
                let held_ms = named
                    .filter(|&pid| process::running(pid))
                    .and_then(|_| now_unix_ms().checked_sub(image.lock_since_ms()));
                Ok(LockState::Held { holder, held_ms })
            }
            Err(WaitError::Os(source)) => Err(self.io(IoOp::Lock, source)),
        }
    }

    /// This instance's turn, then `WaitForSingleObject(LockMap, timeout)`.
    fn lock(&self) -> Result<Held<'_>, SharedError> {
        let op = self.op.lock().unwrap_or_else(PoisonError::into_inner);
        let guard = self.lock_map.wait(self.timeout).map_err(|e| match e {
            WaitError::TimedOut(_) => SharedError::LockTimeout {
                waited_ms: self.timeout.as_millis() as u64,
                holder: self.holder(),
            },
            WaitError::Os(source) => self.io(IoOp::Lock, source),
        })?;
        Ok(Held { guard, _op: op })
    }

    /// True if this wait, or one before it that nobody was told of, got
    /// `WAIT_ABANDONED`.
    fn abandoned(&self, held: &Held<'_>) -> bool {
        let earlier = self.abandoned_seen.swap(false, Ordering::Relaxed);
        earlier || held.guard.acquired() == Acquired::Abandoned
    }

    fn image(&self) -> Image {
        let mut image = Image([0; MAPPING_SIZE]);
        self.mapping.read(0, &mut image.0);
        image
    }

    /// The object's bytes, validated, and the active buffer's index.
    fn checked(&self) -> Result<(Image, usize), SharedError> {
        let image = self.image();
        let active = image.validate().map_err(|reason| SharedError::Corrupt {
            name: self.name.clone(),
            reason,
        })?;
        Ok((image, active))
    }

    /// The holder the header records, if it still runs; else only named.
    fn holder(&self) -> Holder {
        match self.image().holder() {
            Some(pid) if process::running(pid) => Holder::running(pid),
            Some(pid) => Holder::Named { pid },
            None => Holder::Unknown,
        }
    }

    /// While this instance holds the lock the header still names a holder:
    /// if it is not running it died during a write (said once); either way
    /// the record is cleared.
    fn take_over(&self, image: &Image) -> Option<u32> {
        let named = image.holder()?;
        self.mapping.write(HOLDER_AT, &0u32.to_ne_bytes());
        (!process::running(named)).then_some(named)
    }

    fn io(&self, op: IoOp, source: std::io::Error) -> SharedError {
        SharedError::Io {
            op,
            name: self.name.clone(),
            source,
        }
    }
}

impl Drop for SharedText {
    /// Leaves the slot, then wakes the others, whose info panels then find
    /// it free.
    fn drop(&mut self) {
        self.roster.leave();
        self.wake_all(&self.image());
    }
}

#[cfg(test)]
#[path = "windows_tests.rs"]
mod tests;
