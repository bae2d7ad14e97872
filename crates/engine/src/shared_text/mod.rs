//! The chapter's shared string (SampleMMF): a named shared memory object that
//! every running instance of one account maps, read and written under an
//! inter-process lock.
//!
//! - **One object per account and name**: `memlab.<uid>.<name>` in the
//!   account's own runtime folder (`/run/user/<uid>`) where the system gives
//!   it one, else in `/dev/shm`; opened by descriptor and checked (owner,
//!   type, mode) after every open; another account's object is refused,
//!   never used (see `shm_object`).
//! - **One roster per object**: who is attached and the attach/leave gate
//!   are byte-range locks on the object's own descriptor (see `slots`), so
//!   every instance agrees whatever its environment or working directory,
//!   and the last to leave removes the object.
//! - **The data lock** is flock on the object's own descriptor: like the
//!   roster's locks it belongs to the open file and dies with its process,
//!   and it costs one system call less than an OFD byte lock per operation
//!   (flock and fcntl locks do not interact on Linux).
//! - **Never a SIGBUS**: the object's storage is reserved when it is made;
//!   writes into the mapping copy through `crate::os::probe` and reads use
//!   `pread` on the object (see `view`), so an object truncated underneath
//!   is an error value, not a death.
//! - **Two text buffers**: a save writes the idle buffer and then flips the
//!   active index, so a writer killed half-way leaves the last completed
//!   save in place.
//! - **Or a file**: the same layout, roster and locks in a file of the
//!   user's choice ([`Backing::File`]), checked the same way (its folder,
//!   `O_NOFOLLOW`, owner and mode 0600, storage reserved, reads that cannot
//!   fault); the last instance to leave keeps it, so the string survives
//!   every instance closing, as the book's mapping of a named file does.
//!   A file that holds something else is refused and never written.

mod error;
mod info;
mod layout;
mod messages;
mod stress;
mod view;
mod watch;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::desktop::holder::Holder;
use crate::os::claims::{self, flock_holder};
use crate::os::clock::now_unix_ms;
use crate::os::shm_object::{self, IoOp, ObjectError, ShmDir};
use crate::os::slots::{Arrival, Roster, WhenLastLeaves};
use crate::os::timed_lock::{AcquireError, FileLock, LockGuard};
pub use error::{LockState, Origin, SharedError, validate_file_path, validate_name};
pub use info::{Attached, SharedInfo};
pub use layout::{
    ByteRole, CHAR_LEN, CorruptReason, HEADER_LEN, MAPPING_SIZE, active_index, byte_role,
    byte_role_start,
};
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

/// Where the shared string lives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Backing {
    /// A named POSIX shared memory object, like the book's page-file-backed
    /// mapping: the last instance to leave removes it.
    Memory { name: String },
    /// A file, like the book's mapping of a named file: it outlives every
    /// instance (an absolute path once attached).
    File { path: PathBuf },
}

impl Backing {
    /// The book's mapping: shared memory named `SampleMMF`.
    pub fn memory(name: &str) -> Self {
        Self::Memory { name: name.into() }
    }

    pub fn file(path: impl Into<PathBuf>) -> Self {
        Self::File { path: path.into() }
    }

    pub fn is_file(&self) -> bool {
        matches!(self, Self::File { .. })
    }
}

/// The result of a load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loaded {
    pub text: String,
    /// The bytes were not valid UTF-8 and were shown with replacement marks.
    pub lossy: bool,
    pub change_counter: u64,
    /// The header named this PID as the lock's holder and no such process
    /// is running: it died during a write, and its record was taken over.
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
        if self.backing.is_file() {
            let _ = self.view.flush();
        }
    }
}

#[cfg(test)]
mod file_tests;
#[cfg(test)]
mod messages_tests;
#[cfg(test)]
mod tests;
