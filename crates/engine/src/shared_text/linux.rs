//! The shared string on Linux: the object in the account's folder, the
//! roster of byte-range locks on it, flock as the data lock, reads with
//! `pread` and writes through the probe (the module above says why).

use std::fs::File;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use super::info::{Attached, ObjectKind, SharedInfo};
use super::layout::{HOLDER_AT, Image, LOCK_SINCE_AT, PIDS_AT, SAVE_FIELDS, holder_record};
use super::view::{Activity, View};
use super::{
    Backing, CHAR_LEN, CorruptReason, LOCK_TIMEOUT, Loaded, LockState, MAPPING_SIZE, Origin,
    SAMPLE_TEXT, Saved, SharedError, fit_to_capacity, validate_file_path, validate_name,
};
use crate::desktop::holder::Holder;
use crate::os::Doorbell;
use crate::os::claims::{self, flock_holder};
use crate::os::clock::now_unix_ms;
use crate::os::shm_object::{self, IoOp, ObjectError, ShmDir};
use crate::os::slots::{Arrival, Roster, WhenLastLeaves};
use crate::os::timed_lock::{AcquireError, FileLock, LockGuard};

/// The object's file name for a mapping name (in the account's object
/// folder, see `shm_object`): per account, like Win32's session namespace.
pub fn object_file_name(name: &str) -> String {
    format!("memlab.{}.{name}", shm_object::euid())
}

/// The mapping name of this account's shared text object at `path` (as
/// /proc/self/maps shows it), if it is one.
pub fn name_from_object_path(path: &str) -> Option<&str> {
    let file_name = shm_object::object_file_name_in(path)?;
    let name = file_name.strip_prefix(&object_file_name(""))?;
    Some(name.trim_end_matches(" (deleted)"))
}

/// The POSIX shared memory name (`shm_open`'s) for a mapping name.
pub fn os_id(name: &str) -> String {
    format!("/{}", object_file_name(name))
}

/// One instance's attachment to a named shared string.
#[derive(Debug)]
pub struct SharedText {
    /// The mapping's name, or the backing file's path, for messages.
    name: String,
    backing: Backing,
    roster: Roster,
    view: View,
    /// flock on this instance's own open file of the object.
    data_lock: FileLock,
    /// A second open file of the object, to see the data lock from outside
    /// (flock never conflicts with its own open file).
    lock_probe: FileLock,
    origin: Origin,
    /// flock cannot tell two threads of one open file apart: this
    /// serialises this instance's own operations before they take it.
    op: Mutex<()>,
    timeout: Duration,
}

/// Both locks of one operation.
struct Held<'a> {
    _guard: LockGuard<'a>,
    _op: MutexGuard<'a, ()>,
}

/// What [`SharedText::quick_look`] saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuickLook {
    bytes: [u8; MAPPING_SIZE],
    attached: Vec<usize>,
    removed: bool,
}

impl SharedText {
    /// Attaches to the mapping `name`, creating it or recovering a stale one
    /// if no other instance is attached.
    pub fn open(name: &str) -> Result<Self, SharedError> {
        Self::attach(&Backing::memory(name))
    }

    /// Attaches to the shared string kept in the file `path` (created, mode
    /// 0600, if there is none; initialised if it is empty).
    pub fn open_file(path: &Path) -> Result<Self, SharedError> {
        Self::attach(&Backing::file(path))
    }

    /// Attaches to the shared string wherever `backing` says.
    pub fn attach(backing: &Backing) -> Result<Self, SharedError> {
        let size = MAPPING_SIZE as u64;
        let (backing, dir, file_name, last_leaves) = match backing {
            Backing::Memory { name } => {
                validate_name(name)?;
                let dir = ShmDir::open()?;
                (
                    backing.clone(),
                    dir,
                    object_file_name(name),
                    WhenLastLeaves::Remove,
                )
            }
            Backing::File { path } => {
                validate_file_path(path)?;
                let path = std::path::absolute(path).map_err(|source| SharedError::Io {
                    op: IoOp::Open,
                    name: path.display().to_string(),
                    source,
                })?;
                let folder = path.parent().unwrap_or(Path::new("/"));
                let dir = ShmDir::open_folder(folder)?;
                let file_name = path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or_default()
                    .to_owned();
                (Backing::File { path }, dir, file_name, WhenLastLeaves::Keep)
            }
        };
        let name = match &backing {
            Backing::Memory { name } => name.clone(),
            Backing::File { path } => path.display().to_string(),
        };
        let name = name.as_str();
        let shown_as = dir.path_of(&file_name);
        let (roster, (mut view, origin)) =
            Roster::join_in(dir, &file_name, size, last_leaves, |file, arrival| {
                attach(name, &backing, &shown_as, file, arrival)
            })?;
        let io = |e| SharedError::Io {
            op: IoOp::Open,
            name: name.into(),
            source: e,
        };
        if origin == Origin::Created {
            // Mapped before it had a name: map it again by its name, so that
            // the address-space map shows the object's path.
            if let Some(named) = roster.named_file()? {
                view = View::map(&named).map_err(|source| SharedError::Io {
                    op: IoOp::Map,
                    name: name.into(),
                    source,
                })?;
            }
        }
        let data_lock = FileLock::from_file(roster.file().try_clone().map_err(io)?);
        // Reopening through /proc gives a new open file of the same object,
        // with no path to race on.
        let own = format!(
            "/proc/self/fd/{}",
            std::os::fd::AsRawFd::as_raw_fd(roster.file())
        );
        let lock_probe = FileLock::from_file(File::open(own).map_err(io)?);
        let pid = std::process::id().to_ne_bytes();
        // The PID is for people to read: a failed write loses only that.
        let _ = view.write_at(PIDS_AT + 4 * roster.index(), &pid);
        // Other instances' info panels wait on it: they show this one now.
        view.wake_word(PIDS_AT + 4 * roster.index());
        Ok(Self {
            name: name.into(),
            backing,
            roster,
            view,
            data_lock,
            lock_probe,
            origin,
            op: Mutex::new(()),
            timeout: LOCK_TIMEOUT,
        })
    }

    /// The mapping's name, or the backing file's path.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Where the string lives.
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

    /// Copies the shared string out, under the lock.
    pub fn load(&self) -> Result<Loaded, SharedError> {
        let _held = self.lock()?;
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
            wait_abandoned: false,
        })
    }

    /// Stores `text` (cut to `CHAR_LEN` bytes on a character boundary), under the lock.
    pub fn save(&self, text: &str) -> Result<Saved, SharedError> {
        if text.contains('\0') {
            return Err(SharedError::NulInText);
        }
        let stored = fit_to_capacity(text);
        let held = self.lock()?;
        let (mut image, active) = self.checked()?;
        // Overwritten just below by this save's own record.
        let recovered_from = image.holder().filter(|&pid| !claims::running(pid));
        let me = std::process::id();
        self.write(LOCK_SINCE_AT, &holder_record(me, now_unix_ms()))?;
        let idle = 1 - active;
        image.set_text(idle, stored.as_bytes());
        let text_range = Image::text_range(idle);
        self.write(text_range.start, &image.0[text_range])?;
        // Only now does the save become visible, and the lock free of record.
        let change_counter = image.commit_save(idle, me, now_unix_ms());
        self.write(SAVE_FIELDS.start, &image.0[SAVE_FIELDS])?;
        // Watchers woken only once the lock is free, so that their loads
        // do not find it held and back off.
        drop(held);
        self.view.wake_all();
        Ok(Saved {
            stored: stored.to_owned(),
            truncated_from: (stored.len() < text.len()).then_some(text.len()),
            change_counter,
            recovered_from,
            wait_abandoned: false,
        })
    }

    /// Rewrites the object as new (its size, header and the sample string),
    /// under the lock: the way out of a corrupt mapping.
    pub fn reset(&self) -> Result<(), SharedError> {
        let held = self.lock()?;
        let counter = self.view.read().map_or(0, |image| image.counter());
        shm_object::reserve(self.roster.file(), MAPPING_SIZE as u64, &self.roster.path())?;
        let fresh = Image::fresh(SAMPLE_TEXT, std::process::id(), now_unix_ms(), counter + 1);
        self.write(0, &fresh.0[..PIDS_AT])?;
        drop(held);
        self.view.wake_all();
        Ok(())
    }

    /// Takes the lock, calls `while_held` and keeps the lock for `duration`
    /// or until `stop` is set (to show contention in class).
    pub fn hold(
        &self,
        duration: Duration,
        stop: &AtomicBool,
        while_held: impl FnOnce(),
    ) -> Result<(), SharedError> {
        let held = self.lock()?;
        // Name this process as the holder, unless the bytes are not ours to write.
        let recorded = self.checked().is_ok()
            && self
                .write(
                    LOCK_SINCE_AT,
                    &holder_record(std::process::id(), now_unix_ms()),
                )
                .is_ok();
        // The info panels waiting on the record show the holder now.
        self.view.wake_word(HOLDER_AT);
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
            self.write(HOLDER_AT, &0u32.to_ne_bytes())?;
        }
        // Woken once the lock is free, so that they show it free.
        drop(held);
        self.view.wake_word(HOLDER_AT);
        Ok(())
    }

    /// The change counter, read without the lock: cheap enough to poll.
    pub fn change_counter(&self) -> Option<u64> {
        self.view.counter()
    }

    /// The change counter with the time of the last save or reset: what a
    /// watch compares, since a counter alone can come back to a value seen
    /// before (a reset of an object cut to nothing starts again at 1;
    /// another program may write old bytes back).
    pub fn change_stamp(&self) -> Option<(u64, u64)> {
        self.view.stamp()
    }

    /// Sleeps until a save or reset (of any instance, in any process) moves
    /// the change counter from `seen`, or `timeout` passes; at once if it
    /// has already moved. A signal or a change made without a save (another
    /// program writing the bytes) may end it early or only at `timeout`:
    /// read the counter again after it. False, at once, if it cannot wait
    /// on the object (truncated under it): the caller then polls.
    pub fn wait_for_change(&self, seen: u64, timeout: Duration) -> bool {
        self.view.wait_change(seen, timeout).is_ok()
    }

    /// As [`wait_for_change`](Self::wait_for_change), or until `bell` is
    /// rung after `rung` was read from it. Where the kernel has no
    /// `futex_waitv` (before 5.16) the bell is looked at only at `timeout`.
    pub fn wait_for_change_or_rung(
        &self,
        seen: u64,
        bell: &Doorbell,
        rung: u32,
        timeout: Duration,
    ) -> bool {
        match self.view.wait_change_or_rung(seen, bell, rung, timeout) {
            Ok(()) => true,
            Err(e) if e.raw_os_error() == Some(libc::ENOSYS) => self.wait_for_change(seen, timeout),
            Err(_) => false,
        }
    }

    /// What the info panel's facts hang on, read now (before the facts):
    /// the change counter, the lock's holder record and the slots' PIDs.
    /// None if the object is cut short.
    pub fn activity(&self) -> Option<Activity> {
        self.view.activity()
    }

    /// A cheap look at what the info panel's facts come from: every byte
    /// of the object, the slots held (one `F_OFD_GETLK` per held slot and
    /// free gap) and whether the name is gone. While it stays the same the
    /// facts do too, but for a lock a load holds for microseconds (it
    /// writes no record); the facts themselves cost about a hundred times
    /// more (each PID confirmed in /proc, the lock's holder, the windows'
    /// numbers). None if it cannot say (the facts are then to be read).
    pub fn quick_look(&self) -> Option<QuickLook> {
        let mut bytes = [0u8; MAPPING_SIZE];
        let image = self.view.read().ok()?;
        bytes.copy_from_slice(&image.0);
        Some(QuickLook {
            bytes,
            attached: self.roster.attached().ok()?,
            removed: self.roster.removed().ok()?,
        })
    }

    /// Sleeps until a save, a hold taken or given back, or an instance
    /// arriving or leaving (in any process) changes what `seen` read, until
    /// `bell` is rung after `rung` was read from it, or until `timeout`;
    /// at once if one of them already happened. What no such write
    /// announces (the name removed, a killed instance's slot, bytes written
    /// by another program) shows only at `timeout`. False, at once, if it
    /// cannot wait on the object (cut short under it): the caller polls.
    pub fn wait_for_activity(
        &self,
        seen: &Activity,
        bell: &Doorbell,
        rung: u32,
        timeout: Duration,
    ) -> bool {
        self.view.wait_activity(seen, bell, rung, timeout).is_ok()
    }

    /// True if someone removed the object's name: this instance then keeps
    /// memory that new instances cannot reach (open again to re-attach).
    pub fn removed(&self) -> Result<bool, SharedError> {
        Ok(self.roster.removed()?)
    }

    /// This instance's operations in turn, then the inter-process lock.
    fn lock(&self) -> Result<Held<'_>, SharedError> {
        let op = self.op.lock().unwrap_or_else(PoisonError::into_inner);
        let guard = self.data_lock.acquire(self.timeout).map_err(|e| match e {
            // The configured timeout, not the few microseconds over it actually waited.
            AcquireError::TimedOut(_) => SharedError::LockTimeout {
                waited_ms: self.timeout.as_millis() as u64,
                holder: self.holder(),
            },
            AcquireError::Io(e) => self.io(IoOp::Lock, e),
        })?;
        Ok(Held {
            _guard: guard,
            _op: op,
        })
    }

    /// The object's bytes, validated, and the active buffer's index. A
    /// truncated object is named as such, whatever else its bytes show.
    fn checked(&self) -> Result<(Image, usize), SharedError> {
        let corrupt = |reason| SharedError::Corrupt {
            name: self.name.clone(),
            reason,
        };
        let image = self.view.read().map_err(corrupt)?;
        let active = image.validate().map_err(corrupt)?;
        Ok((image, active))
    }

    fn size(&self) -> Result<u64, SharedError> {
        shm_object::size_of(self.roster.file()).map_err(|e| self.io(IoOp::Inspect, e))
    }

    /// Writes into the object; a page missing under the write is reported
    /// as the truncation or the full file system it comes from.
    fn write(&self, at: usize, bytes: &[u8]) -> Result<(), SharedError> {
        self.view
            .write_at(at, bytes)
            .map_err(|_| match self.size() {
                Ok(size) if size < MAPPING_SIZE as u64 => SharedError::Corrupt {
                    name: self.name.clone(),
                    reason: CorruptReason::TooSmall {
                        size,
                        need: MAPPING_SIZE as u64,
                    },
                },
                Ok(_) => no_space(&self.roster.path()),
                Err(e) => e,
            })
    }

    /// Who holds the data lock: the process the kernel's lock table names
    /// (running), else only the header's claim.
    fn holder(&self) -> Holder {
        flock_holder(self.lock_probe.file())
            .map(|(h, _)| h.pid)
            .filter(|&pid| claims::running(pid))
            .map(Holder::running)
            .or_else(|| self.view.holder().map(|pid| Holder::Named { pid }))
            .unwrap_or(Holder::Unknown)
    }

    /// While this instance holds the lock, the header still names a holder:
    /// if no such process is running, it died during a write (say so once);
    /// a running one is not holding it (the claim is false). Either way the
    /// record is cleared.
    fn take_over(&self, image: &Image) -> Option<u32> {
        let named = image.holder()?;
        // If this fails the next operation reports the same holder again.
        let _ = self.view.write_at(HOLDER_AT, &0u32.to_ne_bytes());
        (!claims::running(named)).then_some(named)
    }

    fn io(&self, op: IoOp, source: std::io::Error) -> SharedError {
        SharedError::Io {
            op,
            name: self.name.clone(),
            source,
        }
    }
}

/// Under the gate: maps the object and, for the first instance, writes a
/// new one's bytes or checks a stale one's. `shown_as` is the object's path.
fn attach(
    name: &str,
    backing: &Backing,
    shown_as: &Path,
    file: &File,
    arrival: Arrival,
) -> Result<(View, Origin), SharedError> {
    let view = View::map(file).map_err(|source| SharedError::Io {
        op: IoOp::Map,
        name: name.into(),
        source,
    })?;
    let fresh = |counter| Image::fresh(SAMPLE_TEXT, std::process::id(), now_unix_ms(), counter);
    let init = |counter| {
        shm_object::reserve(file, MAPPING_SIZE as u64, shown_as)?;
        view.write_at(0, &fresh(counter).0)
            .map_err(|_| no_space(shown_as))
    };
    let origin = match arrival {
        Arrival::Joined => Origin::Joined,
        Arrival::Created => {
            view.write_at(0, &fresh(1).0)
                .map_err(|_| no_space(shown_as))?;
            Origin::Created
        }
        // A file nobody has open: what it holds is the user's. An empty
        // one is initialised; one of memlab's is kept as it is (if its
        // bytes are not valid, loads say so and the form offers a reset);
        // anything else is refused, never written.
        Arrival::Stale if backing.is_file() => {
            let size = shm_object::size_of(file).map_err(|source| SharedError::Io {
                op: IoOp::Inspect,
                name: name.into(),
                source,
            })?;
            let read = view.read();
            if size == 0 {
                init(1)?;
                Origin::Created
            } else if view.has_magic() {
                if read.as_ref().is_ok_and(|i| i.validate().is_ok()) {
                    let _ = view.write_at(HOLDER_AT, &0u32.to_ne_bytes());
                }
                Origin::OpenedFile
            } else {
                return Err(SharedError::ForeignFile {
                    path: shown_as.into(),
                    reason: problem(&read).unwrap_or(CorruptReason::Unreadable),
                });
            }
        }
        Arrival::Stale => {
            let read = view.read();
            let reason = problem(&read);
            if reason.is_some() {
                init(read.map_or(0, |i| i.counter()) + 1)?;
            } else {
                // Its holder, if any, is dead: nobody is attached.
                let _ = view.write_at(HOLDER_AT, &0u32.to_ne_bytes());
            }
            Origin::RecoveredStale {
                kept_text: reason.is_none(),
                reason,
            }
        }
    };
    Ok((view, origin))
}

/// Why the object's bytes, as read, are not usable; None if they are.
fn problem(read: &Result<Image, CorruptReason>) -> Option<CorruptReason> {
    match read {
        Ok(image) => image.validate().err(),
        Err(reason) => Some(*reason),
    }
}

/// A write into the object's reserved storage failed although the object
/// is whole: a full file system (the storage was given back by someone).
fn no_space(object: &Path) -> SharedError {
    ObjectError::NoSpace {
        folder: object.parent().unwrap_or(Path::new("/")).into(),
        needed: MAPPING_SIZE as u64,
    }
    .into()
}

impl Drop for SharedText {
    /// A file's backing is written out when an instance leaves, as the book's
    /// file is updated when a view is unmapped; a failure loses nothing the
    /// page cache does not still hold.
    fn drop(&mut self) {
        // Its slot is still held: no instance can have taken it to write
        // its own PID there. The info panels waiting on the word look again
        // (and again a moment later, while the slot shows no PID).
        let slot_pid = PIDS_AT + 4 * self.roster.index();
        if self.view.write_at(slot_pid, &0u32.to_ne_bytes()).is_ok() {
            self.view.wake_word(slot_pid);
        }
        if self.backing.is_file() {
            let _ = self.view.flush();
        }
    }
}

impl SharedText {
    /// The info panel's facts. Takes no data lock, so it works while another
    /// process holds it.
    pub fn info(&self) -> Result<SharedInfo, SharedError> {
        let slots = self.roster.attached()?;
        let read = self.view.read();
        let problem = problem(&read);
        let image = read.ok();
        let lock = self.lock_state(image.as_ref())?;
        let attached = slots
            .into_iter()
            .map(|index| {
                let recorded = image.as_ref().and_then(|i| i.slot_pid(index));
                let confirmed = recorded.filter(|&pid| self.roster.slot_held_by(index, pid));
                Attached {
                    index,
                    pid: confirmed,
                    claimed_pid: recorded.filter(|_| confirmed.is_none()),
                }
            })
            .collect();
        let path = self.roster.path();
        let os_object = match self.backing {
            Backing::Memory { .. } => format!("POSIX shared memory {}", path.display()),
            Backing::File { .. } => format!("file {}", path.display()),
        };
        Ok(SharedInfo {
            name: self.name.clone(),
            backing: self.backing.clone(),
            kind: match self.backing {
                Backing::Memory { .. } => ObjectKind::PosixShm,
                Backing::File { .. } => ObjectKind::File,
            },
            os_object,
            path,
            size: self.size()?,
            capacity: CHAR_LEN,
            this_instance: self.instance_number(),
            pid: std::process::id(),
            uid: Some(shm_object::euid()),
            attached,
            origin: self.origin.clone(),
            change_counter: image.as_ref().map_or(0, Image::counter),
            last_writer_pid: image.as_ref().and_then(Image::last_writer),
            last_write_unix_ms: image.as_ref().and_then(Image::last_write_ms),
            lock,
            problem,
            removed: self.roster.removed()?,
            bytes: image.map_or_else(Vec::new, |i| i.0.to_vec()),
        })
    }

    fn lock_state(&self, image: Option<&Image>) -> Result<LockState, SharedError> {
        let named = image.and_then(Image::holder);
        let free = self
            .lock_probe
            .try_acquire()
            .map_err(|e| self.io(IoOp::Lock, e))?;
        if free.is_some() {
            return Ok(match named {
                Some(pid) if !claims::running(pid) => LockState::Abandoned { pid },
                // A running process named while the lock is free is not its
                // holder: the claim is not repeated.
                _ => LockState::Free,
            });
        }
        let kernel = flock_holder(self.lock_probe.file())
            .map(|(h, _)| h.pid)
            .filter(|&pid| claims::running(pid));
        let holder = match (kernel, named) {
            (Some(pid), _) => Holder::running(pid),
            (None, Some(pid)) => Holder::Named { pid },
            (None, None) => Holder::Unknown,
        };
        // Only a recorded holder (a save, a hold) says since when, and only
        // the one the kernel names; a time before the holder started, or
        // after now, is not believed. A load holds the lock for
        // microseconds and records nothing. (The stamps are whole
        // milliseconds, so the difference may be one over.)
        let held_ms = match (kernel, named, image) {
            (Some(k), Some(n), Some(i)) if k == n => {
                now_unix_ms().checked_sub(i.lock_since_ms()).filter(|&ms| {
                    claims::running_at_most(k)
                        .is_some_and(|age| u128::from(ms) <= age.as_millis() + 1)
                })
            }
            _ => None,
        };
        Ok(LockState::Held { holder, held_ms })
    }
}
