//! The chapter's shared string (SampleMMF): a named shared memory object that
//! every running instance of one account maps, read and written under an
//! inter-process lock.
//!
//! - **One object per account and name**: `/dev/shm/memlab.<uid>.<name>`,
//!   opened by descriptor and checked (owner, type, mode) after every open;
//!   another account's object is refused, never used (see `shm_object`).
//! - **One roster per object**: who is attached and the attach/leave gate
//!   are byte-range locks on the object's own descriptor (see `slots`), so
//!   every instance agrees whatever its environment or working directory,
//!   and the last to leave removes the object.
//! - **The data lock** is flock on the object's own descriptor: like the
//!   roster's locks it belongs to the open file and dies with its process,
//!   and it costs one system call less than an OFD byte lock per operation
//!   (flock and fcntl locks do not interact on Linux).
//! - **Never a SIGBUS**: the object's storage is reserved when it is made;
//!   writes into the mapping copy through `crate::core::probe` and reads use
//!   `pread` on the object (see `view`), so an object truncated underneath
//!   is an error value, not a death.
//! - **Two text buffers**: a save writes the idle buffer and then flips the
//!   active index, so a writer killed half-way leaves the last completed
//!   save in place.

mod error;
mod layout;
mod stress;
mod view;
mod watch;

use std::fs::File;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::clock::now_unix_ms;
use super::shm_object::{self, IoOp, ObjectError};
use super::slots::{Arrival, Roster};
use super::timed_lock::{AcquireError, FileLock, LockGuard};
pub use error::{
    LockState, MAX_NAME_LEN, NameProblem, Origin, SharedError, name_problem, validate_name,
};
pub use layout::{CHAR_LEN, CorruptReason, MAPPING_SIZE};
use layout::{HOLDER_AT, Image, LOCK_SINCE_AT, PIDS_AT, SAVE_FIELDS, holder_record};
pub use stress::{is_stress_text, stress_text};
use view::View;
pub use watch::{WATCH_INTERVAL, Watch, WatchEvent, watch};

/// The book's mapping name.
pub const DEFAULT_NAME: &str = "SampleMMF";
/// What the creating instance writes, as in the book.
pub const SAMPLE_TEXT: &str = "샘플입니다 !";
/// The book's `REQUEST_TIMEOUT`.
pub const LOCK_TIMEOUT: Duration = Duration::from_millis(1000);

/// The object's file name in `/dev/shm` for a mapping name: per account,
/// like Win32's session namespace.
pub fn object_file_name(name: &str) -> String {
    format!("memlab.{}.{name}", shm_object::euid())
}

/// The mapping name of this account's shared text object at `path` (as
/// /proc/self/maps shows it), if it is one.
pub fn name_from_object_path(path: &str) -> Option<&str> {
    let file_name = path.strip_prefix(shm_object::SHM_DIR)?.strip_prefix('/')?;
    let name = file_name.strip_prefix(&object_file_name(""))?;
    Some(name.trim_end_matches(" (deleted)"))
}

/// The POSIX shared memory name (`shm_open`'s) for a mapping name.
pub fn os_id(name: &str) -> String {
    format!("/{}", object_file_name(name))
}

/// One attached instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Attached {
    /// Zero-based slot index; shown to people as `index + 1`.
    pub index: usize,
    /// The holder's PID, as it recorded it in the object.
    pub pid: Option<u32>,
}

/// The facts of the info panel (and of `memlab shared info`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SharedInfo {
    pub name: String,
    pub os_object: String,
    pub path: PathBuf,
    pub size: u64,
    pub capacity: usize,
    pub this_instance: usize,
    pub pid: u32,
    pub uid: u32,
    pub attached: Vec<Attached>,
    pub origin: Origin,
    pub change_counter: u64,
    pub last_writer_pid: Option<u32>,
    pub last_write_unix_ms: Option<u64>,
    pub lock: LockState,
    /// Why the bytes do not validate, if they don't.
    pub problem: Option<CorruptReason>,
    /// Someone removed the object's name (see [`SharedError::Removed`]).
    pub removed: bool,
    #[serde(serialize_with = "hex_string")]
    pub bytes: Vec<u8>,
}

fn hex_string<S: serde::Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    s.serialize_str(&hex)
}

/// The result of a load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loaded {
    pub text: String,
    /// The bytes were not valid UTF-8 and were shown with replacement marks.
    pub lossy: bool,
    pub change_counter: u64,
    /// The lock was taken over from this PID, which died holding it.
    pub recovered_from: Option<u32>,
}

/// The result of a save.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Saved {
    pub stored: String,
    /// Bytes asked for, when more than `CHAR_LEN` were and the rest was cut.
    pub truncated_from: Option<usize>,
    pub change_counter: u64,
    pub recovered_from: Option<u32>,
}

/// The longest prefix of `text` that fits `CHAR_LEN` bytes and ends on a
/// character boundary (never half a Hangul syllable).
pub fn fit_to_capacity(text: &str) -> &str {
    &text[..text.floor_char_boundary(CHAR_LEN)]
}

/// One instance's attachment to a named shared string.
#[derive(Debug)]
pub struct SharedText {
    name: String,
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

impl SharedText {
    /// Attaches to the mapping `name`, creating it or recovering a stale one
    /// if no other instance is attached.
    pub fn open(name: &str) -> Result<Self, SharedError> {
        validate_name(name)?;
        let size = MAPPING_SIZE as u64;
        let (roster, (mut view, origin)) =
            Roster::join(&object_file_name(name), size, |file, arrival| {
                attach(name, file, arrival)
            })?;
        let io = |e| SharedError::Io {
            op: IoOp::Open,
            name: name.into(),
            source: e,
        };
        if origin == Origin::Created {
            // Mapped before it had a name: map it again by its name, so that
            // the address-space map shows /dev/shm/memlab.UID.NAME.
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
        Ok(Self {
            name: name.into(),
            roster,
            view,
            data_lock,
            lock_probe,
            origin,
            op: Mutex::new(()),
            timeout: LOCK_TIMEOUT,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
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
        })
    }

    /// Stores `text` (cut to `CHAR_LEN` bytes on a character boundary), under the lock.
    pub fn save(&self, text: &str) -> Result<Saved, SharedError> {
        if text.contains('\0') {
            return Err(SharedError::NulInText);
        }
        let stored = fit_to_capacity(text);
        let _held = self.lock()?;
        let (mut image, active) = self.checked()?;
        let recovered_from = image.holder();
        let me = std::process::id();
        self.write(LOCK_SINCE_AT, &holder_record(me, now_unix_ms()))?;
        let idle = 1 - active;
        image.set_text(idle, stored.as_bytes());
        let text_range = Image::text_range(idle);
        self.write(text_range.start, &image.0[text_range])?;
        // Only now does the save become visible, and the lock free of record.
        let change_counter = image.commit_save(idle, me, now_unix_ms());
        self.write(SAVE_FIELDS.start, &image.0[SAVE_FIELDS])?;
        Ok(Saved {
            stored: stored.to_owned(),
            truncated_from: (stored.len() < text.len()).then_some(text.len()),
            change_counter,
            recovered_from,
        })
    }

    /// Rewrites the object as new (its size, header and the sample string),
    /// under the lock: the way out of a corrupt mapping.
    pub fn reset(&self) -> Result<(), SharedError> {
        let _held = self.lock()?;
        let counter = self.view.read().map_or(0, |image| image.counter());
        shm_object::reserve(self.roster.file(), MAPPING_SIZE as u64, &self.roster.path())?;
        let fresh = Image::fresh(SAMPLE_TEXT, std::process::id(), now_unix_ms(), counter + 1);
        self.write(0, &fresh.0[..PIDS_AT])
    }

    /// Takes the lock, calls `while_held` and keeps the lock for `duration`
    /// or until `stop` is set (to show contention in class).
    pub fn hold(
        &self,
        duration: Duration,
        stop: &AtomicBool,
        while_held: impl FnOnce(),
    ) -> Result<(), SharedError> {
        let _held = self.lock()?;
        // Name this process as the holder, unless the bytes are not ours to write.
        let recorded = self.checked().is_ok()
            && self
                .write(
                    LOCK_SINCE_AT,
                    &holder_record(std::process::id(), now_unix_ms()),
                )
                .is_ok();
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
        Ok(())
    }

    /// The change counter, read without the lock: cheap enough to poll.
    pub fn change_counter(&self) -> Option<u64> {
        self.view.counter()
    }

    /// True if someone removed the object's name: this instance then keeps
    /// memory that new instances cannot reach (open again to re-attach).
    pub fn removed(&self) -> Result<bool, SharedError> {
        Ok(self.roster.removed()?)
    }

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
            .map(|index| Attached {
                index,
                pid: image.as_ref().and_then(|i| i.slot_pid(index)),
            })
            .collect();
        let path = self.roster.path();
        Ok(SharedInfo {
            name: self.name.clone(),
            os_object: format!("POSIX shared memory {}", path.display()),
            path,
            size: self.size()?,
            capacity: CHAR_LEN,
            this_instance: self.instance_number(),
            pid: std::process::id(),
            uid: shm_object::euid(),
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
        let holder = image.and_then(Image::holder);
        let free = self
            .lock_probe
            .try_acquire()
            .map_err(|e| self.io(IoOp::Lock, e))?;
        Ok(match (free, holder) {
            (Some(_), None) => LockState::Free,
            (Some(_), Some(pid)) => LockState::Abandoned { pid },
            // Only a recorded holder (a save, a hold) says since when; a
            // load holds the lock for microseconds and records nothing.
            (None, pid) => LockState::Held {
                pid,
                held_ms: match (pid, image) {
                    (Some(_), Some(i)) => now_unix_ms().saturating_sub(i.lock_since_ms()),
                    _ => 0,
                },
            },
        })
    }

    /// This instance's operations in turn, then the inter-process lock.
    fn lock(&self) -> Result<Held<'_>, SharedError> {
        let op = self.op.lock().unwrap_or_else(PoisonError::into_inner);
        let guard = self.data_lock.acquire(self.timeout).map_err(|e| match e {
            // The configured timeout, not the few microseconds over it actually waited.
            AcquireError::TimedOut(_) => SharedError::LockTimeout {
                waited_ms: self.timeout.as_millis() as u64,
                holder: self.view.holder(),
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
                Ok(_) => no_space(),
                Err(e) => e,
            })
    }

    /// A holder recorded in the bytes while we hold the lock died holding
    /// it: say so once, and clear the record.
    fn take_over(&self, image: &Image) -> Option<u32> {
        let dead = image.holder()?;
        // If this fails the next operation reports the same holder again.
        let _ = self.view.write_at(HOLDER_AT, &0u32.to_ne_bytes());
        Some(dead)
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
/// new one's bytes or checks a stale one's.
fn attach(name: &str, file: &File, arrival: Arrival) -> Result<(View, Origin), SharedError> {
    let view = View::map(file).map_err(|source| SharedError::Io {
        op: IoOp::Map,
        name: name.into(),
        source,
    })?;
    let fresh = |counter| Image::fresh(SAMPLE_TEXT, std::process::id(), now_unix_ms(), counter);
    let origin = match arrival {
        Arrival::Joined => Origin::Joined,
        Arrival::Created => {
            view.write_at(0, &fresh(1).0).map_err(|_| no_space())?;
            Origin::Created
        }
        Arrival::Stale => {
            let read = view.read();
            let reason = problem(&read);
            if reason.is_some() {
                let path = std::path::Path::new(shm_object::SHM_DIR).join(object_file_name(name));
                shm_object::reserve(file, MAPPING_SIZE as u64, &path)?;
                let counter = read.map_or(0, |i| i.counter());
                view.write_at(0, &fresh(counter + 1).0)
                    .map_err(|_| no_space())?;
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
fn no_space() -> SharedError {
    ObjectError::NoSpace {
        folder: shm_object::SHM_DIR.into(),
        needed: MAPPING_SIZE as u64,
    }
    .into()
}

#[cfg(test)]
mod tests;
