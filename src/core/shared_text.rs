//! The chapter's shared string (SampleMMF): a named mapping that every
//! running instance shares, read and written under an inter-process lock.
//!
//! Layout: a header (magic, version, capacity, counters, lock holder) and
//! two text buffers of `CHAR_LEN + 1` bytes. A save writes the idle buffer
//! and then flips `active`, so a writer killed half-way leaves the last
//! completed save in place. Every byte of the mapping is reached through
//! atomics: another process (even a hostile one) may write it at any time,
//! and atomics make that a value to validate rather than undefined behaviour.
//!
//! Lifecycle, around the known defects of shared_memory 0.12.4 (its owner
//! unlinks the object on drop even while others are attached, it has no
//! atomic create-or-open, and an opener can see size 0 before the creator's
//! ftruncate): attaching and leaving are serialised by a `gate` file lock;
//! who is attached is known from slot file locks (see `slots`), which the
//! kernel frees when a process dies. The first to attach creates the object
//! (or recovers a stale one), the last to leave removes it, and no handle is
//! ever left as the crate's "owner" until that moment.

use std::fmt;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU32, AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError, RwLock};
use std::time::Duration;

use serde::Serialize;
use shared_memory::{Shmem, ShmemConf, ShmemError};

use super::clock::now_unix_ms;
use super::runtime_dir;
use super::slots::{Attached, Slot, SlotTable};
use super::timed_lock::{AcquireError, FileLock};

/// The book's mapping name.
pub const DEFAULT_NAME: &str = "SampleMMF";
/// The book's `CharLen`: bytes of text, a terminator comes on top.
pub const CHAR_LEN: usize = 100;
/// What the creating instance writes, as in the book.
pub const SAMPLE_TEXT: &str = "샘플입니다 !";
/// The book's `REQUEST_TIMEOUT`.
pub const LOCK_TIMEOUT: Duration = Duration::from_millis(1000);
/// Attaching waits at most this long for other instances to finish attaching.
pub const GATE_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest accepted mapping name, in bytes.
pub const MAX_NAME_LEN: usize = 100;

const TEXT_BUF: usize = CHAR_LEN + 1;
const MAGIC: u64 = u64::from_le_bytes(*b"memlabST");
const VERSION: u32 = 1;

#[repr(C)]
struct Header {
    magic: AtomicU64,
    version: AtomicU32,
    capacity: AtomicU32,
    change_counter: AtomicU64,
    last_write_ms: AtomicU64,
    lock_since_ms: AtomicU64,
    last_writer_pid: AtomicU32,
    lock_holder_pid: AtomicU32,
    active: AtomicU32,
    creator_pid: AtomicU32,
    text: [[AtomicU8; TEXT_BUF]; 2],
}

/// Bytes of the mapping object.
pub const MAPPING_SIZE: usize = size_of::<Header>();

/// Everything that can go wrong, each with the words a user needs.
#[derive(Debug, thiserror::Error)]
pub enum SharedError {
    #[error("bad mapping name {name:?}: {reason}")]
    BadName { name: String, reason: &'static str },
    #[error("the name {name:?} is taken by another kind of object: {detail}")]
    NameTaken { name: String, detail: String },
    #[error("lock timed out after {waited_ms} ms; {}", holder_note(*holder))]
    LockTimeout { waited_ms: u64, holder: Option<u32> },
    #[error("the mapping {name:?} is corrupt: {reason}")]
    Corrupt { name: String, reason: String },
    #[error("{0}")]
    BadText(String),
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
}

fn holder_note(holder: Option<u32>) -> String {
    match holder {
        Some(pid) => format!("held by PID {pid}"),
        None => "holder unknown".into(),
    }
}

impl SharedError {
    fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io {
            context: context.into(),
            source,
        }
    }
}

/// How this instance came to the mapping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Origin {
    /// No object existed: this instance created it and wrote the sample.
    Created,
    /// Other instances were attached: this one opened their object.
    Joined,
    /// An object was left by instances that all died; its bytes were checked.
    RecoveredStale { kept_text: bool, note: String },
}

/// Who holds the data lock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum LockState {
    Free,
    Held {
        pid: Option<u32>,
        held_ms: u64,
    },
    /// Its holder died holding it; the next operation takes it over.
    Abandoned {
        pid: u32,
    },
}

impl fmt::Display for LockState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Free => write!(f, "free"),
            Self::Held { pid, held_ms } => {
                write!(f, "held by {} for {held_ms} ms", pid_text(*pid))
            }
            Self::Abandoned { pid } => write!(f, "abandoned by dead PID {pid}"),
        }
    }
}

fn pid_text(pid: Option<u32>) -> String {
    pid.map_or_else(|| "an unknown PID".into(), |p| format!("PID {p}"))
}

/// The facts of the info panel (and of `memlab shared info`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SharedInfo {
    pub name: String,
    pub os_object: String,
    pub size: u64,
    pub capacity: usize,
    pub this_instance: usize,
    pub pid: u32,
    pub attached: Vec<Attached>,
    pub origin: Origin,
    pub change_counter: u64,
    pub last_writer_pid: Option<u32>,
    pub last_write_unix_ms: Option<u64>,
    pub lock: LockState,
    /// Why the bytes do not validate, if they don't.
    pub problem: Option<String>,
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

/// The `i`-th string of a stress writer `tag`: its content is a function of
/// `(tag, i)` alone, mixing one- and three-byte characters and lengths, so a
/// reader can tell a whole value from a torn one.
pub fn stress_text(tag: &str, i: u64) -> String {
    let mut text = format!("{tag}:{i}:");
    let fill = ['a', '가', 'z', '한', '*'][(i % 5) as usize];
    let target = (30 + (i * 37) % 70) as usize;
    while text.len() + fill.len_utf8() <= target.max(text.len()) {
        text.push(fill);
    }
    text
}

/// True if `text` is exactly some `stress_text(tag, i)`.
pub fn is_stress_text(text: &str) -> bool {
    let mut parts = text.splitn(3, ':');
    match (parts.next(), parts.next().and_then(|i| i.parse().ok())) {
        (Some(tag), Some(i)) => stress_text(tag, i) == text,
        _ => false,
    }
}

/// Checks a mapping name as the OS objects and lock files will need it.
pub fn validate_name(name: &str) -> Result<(), SharedError> {
    let reason = if name.is_empty() {
        Some("it is empty")
    } else if name.len() > MAX_NAME_LEN {
        Some("it is longer than 100 bytes")
    } else if name.contains('\0') {
        Some("it contains a NUL character")
    } else if name.contains('/') || name.contains('\\') {
        Some("it contains '/' or '\\'")
    } else if name == "." || name == ".." {
        Some("'.' and '..' are not names")
    } else if name.chars().any(char::is_control) {
        Some("it contains a control character")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(SharedError::BadName {
            name: name.into(),
            reason,
        }),
        None => Ok(()),
    }
}

/// The OS object's id for a mapping name.
pub fn os_id(name: &str) -> String {
    if cfg!(windows) {
        format!("memlab.{name}")
    } else {
        format!("/memlab.{name}")
    }
}

/// Where the object can be seen in the file system, where it can.
fn object_path(os_id: &str) -> Option<PathBuf> {
    if cfg!(target_os = "linux") {
        Some(PathBuf::from(format!("/dev/shm{os_id}")))
    } else {
        None
    }
}

/// One instance's attachment to a named shared string.
pub struct SharedText {
    name: String,
    os_id: String,
    dir: PathBuf,
    slots: SlotTable,
    slot: Option<Slot>,
    origin: Origin,
    data_lock: FileLock,
    /// flock cannot tell two threads of one process apart: this serialises
    /// this instance's own operations before they take the file lock.
    op: Mutex<()>,
    mapped: RwLock<Mapped>,
    timeout: Duration,
}

// SAFETY: the only non-Send/Sync part is the raw mapping pointer inside
// `Shmem`; every access through it goes through atomics (see `Header`), and
// remapping takes the RwLock's write side, so sharing across threads is sound.
unsafe impl Send for SharedText {}
// SAFETY: as above.
unsafe impl Sync for SharedText {}

impl fmt::Debug for SharedText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedText")
            .field("name", &self.name)
            .field("os_id", &self.os_id)
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}

impl SharedText {
    /// Attaches to the mapping `name`, creating or recovering it if this is
    /// the only instance.
    pub fn open(name: &str) -> Result<Self, SharedError> {
        validate_name(name)?;
        let base = runtime_dir::base_dir()
            .map_err(|e| SharedError::io("memlab's runtime directory", e))?;
        let maps = base.join("maps");
        runtime_dir::ensure_private_dir(&maps)
            .map_err(|e| SharedError::io(format!("{}", maps.display()), e))?;
        let dir = maps.join(name);
        if let Ok(meta) = std::fs::symlink_metadata(&dir)
            && !meta.is_dir()
        {
            return Err(SharedError::NameTaken {
                name: name.into(),
                detail: format!("{} is not memlab's lock directory", dir.display()),
            });
        }
        runtime_dir::ensure_private_dir(&dir)
            .map_err(|e| SharedError::io(format!("{}", dir.display()), e))?;

        let gate = FileLock::open(&dir.join("gate"))
            .map_err(|e| SharedError::io("opening the attach lock", e))?;
        let _gate = acquire(&gate, GATE_TIMEOUT, || None)?;
        let slots = SlotTable::new(&dir);
        let others = slots
            .live()
            .map_err(|e| SharedError::io("listing attached instances", e))?;
        let os_id = os_id(name);
        let (mapped, origin) = if others.is_empty() {
            attach_first(name, &os_id)?
        } else {
            match Mapped::open(name, &os_id)? {
                Some(mapped) => (mapped, Origin::Joined),
                None => {
                    return Err(SharedError::io(
                        format!(
                            "{} instance(s) are attached but the object {os_id} is gone",
                            others.len()
                        ),
                        std::io::ErrorKind::NotFound.into(),
                    ));
                }
            }
        };
        let slot = slots
            .claim()
            .map_err(|e| SharedError::io("claiming an instance slot", e))?;
        let data_lock = FileLock::open(&dir.join("data"))
            .map_err(|e| SharedError::io("opening the data lock", e))?;
        Ok(Self {
            name: name.into(),
            os_id,
            dir,
            slots,
            slot: Some(slot),
            origin,
            data_lock,
            op: Mutex::new(()),
            mapped: RwLock::new(mapped),
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
        self.slot.as_ref().map_or(0, |s| s.index() + 1)
    }

    /// Changes the lock timeout (the book's is 1000 ms).
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    /// Copies the shared string out, under the lock.
    pub fn load(&self) -> Result<Loaded, SharedError> {
        self.exclusive(|m| {
            let (header, active) = m.check().map_err(|r| self.corrupt(r))?;
            let bytes = read_text(&header.text[active]);
            let (text, lossy) = match String::from_utf8_lossy(&bytes) {
                std::borrow::Cow::Borrowed(s) => (s.to_owned(), false),
                std::borrow::Cow::Owned(s) => (s, true),
            };
            Ok(Loaded {
                text,
                lossy,
                change_counter: header.change_counter.load(Ordering::Acquire),
                recovered_from: None,
            })
        })
        .map(|(mut loaded, recovered)| {
            loaded.recovered_from = recovered;
            loaded
        })
    }

    /// Stores `text` (cut to `CHAR_LEN` bytes on a character boundary), under the lock.
    pub fn save(&self, text: &str) -> Result<Saved, SharedError> {
        if text.contains('\0') {
            return Err(SharedError::BadText(
                "the text contains a NUL character, which would end the string in the mapping"
                    .into(),
            ));
        }
        let stored = fit_to_capacity(text);
        let (counter, recovered) = self.exclusive(|m| {
            let (header, active) = m.check().map_err(|r| self.corrupt(r))?;
            let idle = 1 - active;
            write_text(&header.text[idle], stored.as_bytes());
            header.active.store(idle as u32, Ordering::Release);
            header
                .last_writer_pid
                .store(std::process::id(), Ordering::Relaxed);
            header.last_write_ms.store(now_unix_ms(), Ordering::Relaxed);
            Ok(header.change_counter.fetch_add(1, Ordering::AcqRel) + 1)
        })?;
        Ok(Saved {
            stored: stored.to_owned(),
            truncated_from: (stored.len() < text.len()).then_some(text.len()),
            change_counter: counter,
            recovered_from: recovered,
        })
    }

    /// Rewrites the whole mapping as new (header and sample string), under
    /// the lock: the way out of a corrupt mapping.
    pub fn reset(&self) -> Result<(), SharedError> {
        let _op = self.op.lock().unwrap_or_else(PoisonError::into_inner);
        let _guard = acquire(&self.data_lock, self.timeout, || {
            self.read_mapped().holder()
        })?;
        let mut mapped = self.mapped.write().unwrap_or_else(PoisonError::into_inner);
        mapped.resize_object()?;
        mapped.refresh(&self.os_id)?;
        let header = mapped.header().map_err(|r| self.corrupt(r))?;
        initialise(header);
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
        self.exclusive(|_| {
            while_held();
            let end = std::time::Instant::now() + duration;
            while !stop.load(Ordering::Relaxed) {
                let left = end.saturating_duration_since(std::time::Instant::now());
                if left.is_zero() {
                    break;
                }
                std::thread::sleep(left.min(Duration::from_millis(10)));
            }
            Ok(())
        })
        .map(|_| ())
    }

    /// The change counter, read without the lock: cheap enough to poll.
    pub fn change_counter(&self) -> Option<u64> {
        let mapped = self.read_mapped();
        let header = mapped.header().ok()?;
        Some(header.change_counter.load(Ordering::Acquire))
    }

    /// The info panel's facts. Takes no data lock, so it works while another
    /// process holds it.
    pub fn info(&self) -> Result<SharedInfo, SharedError> {
        let attached = self
            .slots
            .live()
            .map_err(|e| SharedError::io("listing attached instances", e))?;
        let mapped = self.read_mapped();
        let lock = self.lock_state(&mapped)?;
        let header = mapped.header().ok();
        let counter = header.map_or(0, |h| h.change_counter.load(Ordering::Acquire));
        let writer = header.map_or(0, |h| h.last_writer_pid.load(Ordering::Relaxed));
        let written = header.map_or(0, |h| h.last_write_ms.load(Ordering::Relaxed));
        Ok(SharedInfo {
            name: self.name.clone(),
            os_object: os_object_text(&self.os_id),
            size: mapped.object_len(),
            capacity: CHAR_LEN,
            this_instance: self.instance_number(),
            pid: std::process::id(),
            attached,
            origin: self.origin.clone(),
            change_counter: counter,
            last_writer_pid: (writer != 0).then_some(writer),
            last_write_unix_ms: (written != 0).then_some(written),
            lock,
            problem: mapped.check().err(),
            bytes: mapped.bytes(),
        })
    }

    fn lock_state(&self, mapped: &Mapped) -> Result<LockState, SharedError> {
        // A second handle of our own, so that a lock held by this very
        // process through `data_lock` is seen as held too.
        let probe = FileLock::open(&self.dir.join("data"))
            .map_err(|e| SharedError::io("opening the data lock", e))?;
        let header = mapped.header().ok();
        let holder = header.map_or(0, |h| h.lock_holder_pid.load(Ordering::Acquire));
        let probed = probe
            .try_acquire()
            .map_err(|e| SharedError::io("probing the data lock", e))?;
        Ok(match (probed, header) {
            (Some(_), Some(h)) => match h.lock_holder_pid.load(Ordering::Acquire) {
                0 => LockState::Free,
                pid => LockState::Abandoned { pid },
            },
            (Some(_), None) => LockState::Free,
            (None, h) => LockState::Held {
                pid: (holder != 0).then_some(holder),
                held_ms: h.map_or(0, |h| {
                    now_unix_ms().saturating_sub(h.lock_since_ms.load(Ordering::Relaxed))
                }),
            },
        })
    }

    fn read_mapped(&self) -> std::sync::RwLockReadGuard<'_, Mapped> {
        self.mapped.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn corrupt(&self, reason: String) -> SharedError {
        SharedError::Corrupt {
            name: self.name.clone(),
            reason,
        }
    }

    /// Runs `f` under the in-process and inter-process locks, recording this
    /// process as the holder; reports a holder that died holding the lock.
    fn exclusive<R>(
        &self,
        f: impl FnOnce(&OpView<'_>) -> Result<R, SharedError>,
    ) -> Result<(R, Option<u32>), SharedError> {
        let _op = self.op.lock().unwrap_or_else(PoisonError::into_inner);
        let _guard = acquire(&self.data_lock, self.timeout, || {
            self.read_mapped().holder()
        })?;
        // One size check per operation: remap (write side) only when another
        // process resized the object; otherwise the read side is enough.
        let mut mapped = self.read_mapped();
        let mut object_len = mapped.object_len();
        if !mapped.is_current(object_len) {
            drop(mapped);
            self.mapped
                .write()
                .unwrap_or_else(PoisonError::into_inner)
                .refresh(&self.os_id)?;
            mapped = self.read_mapped();
            object_len = mapped.object_len();
        }
        let view = OpView {
            mapped: &mapped,
            object_len,
        };
        let recovered = view.header().ok().and_then(|h| {
            let previous = h.lock_holder_pid.swap(std::process::id(), Ordering::AcqRel);
            h.lock_since_ms.store(now_unix_ms(), Ordering::Relaxed);
            (previous != 0).then_some(previous)
        });
        let result = f(&view);
        if let Ok(h) = view.header() {
            h.lock_holder_pid.store(0, Ordering::Release);
        }
        result.map(|value| (value, recovered))
    }
}

impl Drop for SharedText {
    fn drop(&mut self) {
        // Leave under the gate, so that nobody attaches between our check
        // that we are the last and the removal of the object.
        let gate = FileLock::open(&self.dir.join("gate")).ok();
        let gate_guard = gate.as_ref().and_then(|g| g.acquire(GATE_TIMEOUT).ok());
        drop(self.slot.take());
        let last = gate_guard.is_some() && self.slots.live().is_ok_and(|l| l.is_empty());
        if last {
            self.mapped
                .write()
                .unwrap_or_else(PoisonError::into_inner)
                .remove_object(&self.os_id);
        }
    }
}

fn acquire<'a>(
    lock: &'a FileLock,
    timeout: Duration,
    holder: impl Fn() -> Option<u32>,
) -> Result<crate::core::timed_lock::LockGuard<'a>, SharedError> {
    lock.acquire(timeout).map_err(|e| match e {
        // The configured timeout, not the few microseconds over it actually waited.
        AcquireError::TimedOut(_) => SharedError::LockTimeout {
            waited_ms: timeout.as_millis() as u64,
            holder: holder(),
        },
        AcquireError::Io(e) => SharedError::io("taking the lock", e),
    })
}

/// The first instance: create the object, or recover one left by the dead.
fn attach_first(name: &str, os_id: &str) -> Result<(Mapped, Origin), SharedError> {
    let Some(mut stale) = Mapped::open(name, os_id)? else {
        return Ok((Mapped::create(name, os_id)?, Origin::Created));
    };
    stale.make_private();
    match stale.check() {
        Ok((header, _)) => {
            // Its holder, if any, is dead: nobody is attached.
            header.lock_holder_pid.store(0, Ordering::Release);
            let note =
                "left by instances that ended without detaching; its text was valid and is kept";
            let origin = Origin::RecoveredStale {
                kept_text: true,
                note: note.into(),
            };
            Ok((stale, origin))
        }
        Err(reason) => {
            stale.remove_object(os_id);
            let note = format!("left by dead instances and invalid ({reason}); re-created");
            let origin = Origin::RecoveredStale {
                kept_text: false,
                note,
            };
            Ok((Mapped::create(name, os_id)?, origin))
        }
    }
}

fn initialise(h: &Header) {
    write_text(&h.text[0], SAMPLE_TEXT.as_bytes());
    write_text(&h.text[1], b"");
    h.active.store(0, Ordering::Relaxed);
    h.version.store(VERSION, Ordering::Relaxed);
    h.capacity.store(CHAR_LEN as u32, Ordering::Relaxed);
    h.creator_pid.store(std::process::id(), Ordering::Relaxed);
    h.last_writer_pid
        .store(std::process::id(), Ordering::Relaxed);
    h.last_write_ms.store(now_unix_ms(), Ordering::Relaxed);
    h.change_counter.fetch_add(1, Ordering::AcqRel);
    h.magic.store(MAGIC, Ordering::Release);
}

fn write_text(buf: &[AtomicU8; TEXT_BUF], bytes: &[u8]) {
    for (slot, &b) in buf.iter().zip(bytes.iter().chain(std::iter::repeat(&0))) {
        slot.store(b, Ordering::Relaxed);
    }
}

/// The bytes before the terminator (the caller has checked there is one).
fn read_text(buf: &[AtomicU8; TEXT_BUF]) -> Vec<u8> {
    buf.iter()
        .map(|b| b.load(Ordering::Relaxed))
        .take_while(|&b| b != 0)
        .collect()
}

fn os_object_text(os_id: &str) -> String {
    match object_path(os_id) {
        Some(path) => format!("POSIX shared memory {}", path.display()),
        None if cfg!(windows) => format!("file mapping {os_id}"),
        None => format!("POSIX shared memory {os_id}"),
    }
}

/// The mapping as this process sees it.
struct Mapped {
    name: String,
    /// None when the object is too small to hold a header.
    shmem: Option<Shmem>,
    /// The object as a file, where the OS shows one: to check its size
    /// before every access (touching a mapping past the end of a truncated
    /// object raises SIGBUS) and to repair its size and mode.
    object: Option<File>,
}

impl Mapped {
    fn create(name: &str, os_id: &str) -> Result<Self, SharedError> {
        let mut shmem = ShmemConf::new()
            .size(MAPPING_SIZE)
            .os_id(os_id)
            .create()
            .map_err(|e| shmem_error(name, "creating", e))?;
        // The crate's owner unlinks the object when dropped, even while
        // others are attached: removal is ours, decided in `Drop`.
        shmem.set_owner(false);
        let object = match object_path(os_id) {
            Some(path) => Some(open_object(name, &path)?),
            None => None,
        };
        let mapped = Self {
            name: name.into(),
            shmem: Some(shmem),
            object,
        };
        mapped.make_private();
        initialise(mapped.header().map_err(|reason| SharedError::Corrupt {
            name: name.into(),
            reason,
        })?);
        Ok(mapped)
    }

    /// Opens an existing object; `None` if there is none.
    fn open(name: &str, os_id: &str) -> Result<Option<Self>, SharedError> {
        let object = match object_path(os_id) {
            Some(path) => match std::fs::symlink_metadata(&path) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(SharedError::io(format!("{}", path.display()), e)),
                Ok(meta) if !meta.is_file() => {
                    return Err(SharedError::NameTaken {
                        name: name.into(),
                        detail: format!("{} is not a shared memory object", path.display()),
                    });
                }
                Ok(_) => Some(open_object(name, &path)?),
            },
            None => None,
        };
        let mut mapped = Self {
            name: name.into(),
            shmem: None,
            object,
        };
        match mapped.map(os_id) {
            Err(ShmemError::MapOpenFailed(errno))
                if errno == libc::ENOENT as u32 && mapped.object.is_none() =>
            {
                Ok(None)
            }
            Err(e) => Err(shmem_error(name, "opening", e)),
            Ok(()) => Ok(Some(mapped)),
        }
    }

    /// (Re)maps the object, unless it is too small to hold a header.
    fn map(&mut self, os_id: &str) -> Result<(), ShmemError> {
        self.shmem = None;
        if self.object.is_some() && (self.object_len() as usize) < MAPPING_SIZE {
            return Ok(());
        }
        let mut shmem = ShmemConf::new().os_id(os_id).open()?;
        shmem.set_owner(false);
        self.shmem = Some(shmem);
        Ok(())
    }

    /// True when our view matches an object of `object_len` bytes.
    fn is_current(&self, object_len: u64) -> bool {
        self.object.is_none() || self.shmem.as_ref().map_or(0, |s| s.len() as u64) == object_len
    }

    /// Remaps when another process changed the object's size.
    fn refresh(&mut self, os_id: &str) -> Result<(), SharedError> {
        if !self.is_current(self.object_len()) {
            self.map(os_id)
                .map_err(|e| shmem_error(&self.name, "remapping", e))?;
        }
        Ok(())
    }

    fn resize_object(&self) -> Result<(), SharedError> {
        if let Some(file) = &self.object
            && self.object_len() != MAPPING_SIZE as u64
        {
            file.set_len(MAPPING_SIZE as u64)
                .map_err(|e| SharedError::io("resizing the mapping object", e))?;
        }
        Ok(())
    }

    fn object_len(&self) -> u64 {
        match &self.object {
            Some(file) => file.metadata().map_or(0, |m| m.len()),
            None => self.shmem.as_ref().map_or(0, |s| s.len() as u64),
        }
    }

    /// Owner read/write only, whoever created the object and however.
    fn make_private(&self) {
        #[cfg(unix)]
        if let Some(file) = &self.object {
            use std::os::unix::fs::PermissionsExt;
            let _ = file.set_permissions(std::fs::Permissions::from_mode(0o600));
        }
    }

    /// The header, if the object (measured now) and our view of it are big enough.
    fn header(&self) -> Result<&Header, String> {
        self.header_at(self.object_len())
    }

    /// The header, for an object measured as `object_len` bytes.
    fn header_at(&self, object_len: u64) -> Result<&Header, String> {
        let shmem = self.shmem.as_ref();
        let mapped_len = shmem.map_or(0, |s| s.len());
        if (object_len as usize) < MAPPING_SIZE || mapped_len < MAPPING_SIZE {
            return Err(format!(
                "the object is {object_len} bytes, smaller than the {MAPPING_SIZE} bytes of memlab's layout"
            ));
        }
        let ptr = shmem.map_or(std::ptr::null_mut(), |s| s.as_ptr());
        // SAFETY: the view is at least MAPPING_SIZE bytes (checked above, and
        // the object too, so no page past its end is touched), page-aligned
        // by mmap, and lives as long as `self`. Header is made of atomics
        // only, for which every bit pattern is valid and concurrent writes by
        // other processes are not data races.
        Ok(unsafe { &*(ptr as *const Header) })
    }

    fn holder(&self) -> Option<u32> {
        let pid = self.header().ok()?.lock_holder_pid.load(Ordering::Acquire);
        (pid != 0).then_some(pid)
    }

    /// Validates the header and the active text; returns the active index.
    fn check(&self) -> Result<(&Header, usize), String> {
        validate(self.header()?)
    }

    fn bytes(&self) -> Vec<u8> {
        let Ok(h) = self.header() else {
            return Vec::new();
        };
        let ptr = h as *const Header as *const AtomicU8;
        // SAFETY: `header()` checked that MAPPING_SIZE bytes are mapped at
        // `ptr`; AtomicU8 has the size and alignment of u8.
        let all = unsafe { std::slice::from_raw_parts(ptr, MAPPING_SIZE) };
        all.iter().map(|b| b.load(Ordering::Relaxed)).collect()
    }

    fn remove_object(&mut self, os_id: &str) {
        match self.shmem.as_mut() {
            // The crate unlinks the object when its owner drops.
            Some(shmem) => {
                shmem.set_owner(true);
                self.shmem = None;
            }
            None => {
                if let Some(path) = object_path(os_id) {
                    let _ = std::fs::remove_file(path);
                }
            }
        }
    }
}

/// Checks magic, version, capacity, active index and terminator; returns
/// the header and the active buffer's index.
fn validate(h: &Header) -> Result<(&Header, usize), String> {
    let magic = h.magic.load(Ordering::Acquire);
    if magic != MAGIC {
        return Err(format!("bad magic number {magic:#018x}"));
    }
    let version = h.version.load(Ordering::Relaxed);
    if version != VERSION {
        return Err(format!("layout version {version}, expected {VERSION}"));
    }
    let capacity = h.capacity.load(Ordering::Relaxed);
    if capacity as usize != CHAR_LEN {
        return Err(format!("capacity {capacity}, expected {CHAR_LEN}"));
    }
    let active = h.active.load(Ordering::Acquire) as usize;
    if active > 1 {
        return Err(format!("active buffer index {active}, expected 0 or 1"));
    }
    if !h.text[active]
        .iter()
        .any(|b| b.load(Ordering::Relaxed) == 0)
    {
        return Err(format!("no terminator within {TEXT_BUF} bytes"));
    }
    Ok((h, active))
}

/// The mapping during one locked operation: the object's size was checked
/// once when the operation began, so each access need not ask the OS again.
struct OpView<'a> {
    mapped: &'a Mapped,
    object_len: u64,
}

impl OpView<'_> {
    fn header(&self) -> Result<&Header, String> {
        self.mapped.header_at(self.object_len)
    }

    fn check(&self) -> Result<(&Header, usize), String> {
        validate(self.header()?)
    }
}

fn open_object(name: &str, path: &Path) -> Result<File, SharedError> {
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::PermissionDenied => SharedError::NameTaken {
                name: name.into(),
                detail: format!("{} belongs to someone else", path.display()),
            },
            _ => SharedError::io(format!("opening {}", path.display()), e),
        })
}

fn shmem_error(name: &str, doing: &str, e: ShmemError) -> SharedError {
    match e {
        ShmemError::MapCreateFailed(errno)
        | ShmemError::MapOpenFailed(errno)
        | ShmemError::UnknownOsError(errno) => SharedError::io(
            format!("{doing} the mapping {name:?}"),
            std::io::Error::from_raw_os_error(errno as i32),
        ),
        other => SharedError::io(
            format!("{doing} the mapping {name:?}"),
            std::io::Error::other(other.to_string()),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unique(tag: &str) -> String {
        format!("unit-{tag}-{}", std::process::id())
    }

    #[test]
    fn stress_texts_check_themselves() {
        for i in 0..500 {
            let text = stress_text("w3", i);
            assert!(text.len() <= CHAR_LEN, "{text}");
            assert!(is_stress_text(&text), "{text}");
            // Half of this value over the next one, as a torn read would give.
            let next = stress_text("w3", i + 1);
            let mut bytes = next.clone().into_bytes();
            let half = text.len().min(next.len()) / 2;
            bytes[..half].copy_from_slice(&text.as_bytes()[..half]);
            let torn = String::from_utf8_lossy(&bytes);
            if torn != next {
                assert!(!is_stress_text(&torn), "{torn}");
            }
        }
        assert!(!is_stress_text("w1:5:"));
        assert!(!is_stress_text(SAMPLE_TEXT));
    }

    #[test]
    fn names_are_checked() {
        for bad in ["", "a/b", "a\\b", "nul\0", ".", "..", "tab\there"] {
            let err = validate_name(bad).unwrap_err();
            assert!(matches!(err, SharedError::BadName { .. }), "{bad:?}: {err}");
        }
        assert!(validate_name(&"x".repeat(MAX_NAME_LEN + 1)).is_err());
        assert!(validate_name(&"x".repeat(MAX_NAME_LEN)).is_ok());
        assert!(validate_name("샘플 MMF").is_ok());
    }

    #[test]
    fn fits_on_a_character_boundary() {
        let hangul = "가".repeat(40); // 3 bytes each: 120 bytes
        let fitted = fit_to_capacity(&hangul);
        assert_eq!(fitted.len(), 99);
        assert_eq!(fitted.chars().count(), 33);
        assert_eq!(fit_to_capacity("short"), "short");
        assert_eq!(fit_to_capacity(&"a".repeat(100)).len(), 100);
    }

    #[test]
    fn creator_writes_the_sample_and_saves_round_trip() {
        let name = unique("roundtrip");
        let a = SharedText::open(&name).unwrap();
        assert_eq!(a.origin(), &Origin::Created);
        assert_eq!(a.load().unwrap().text, SAMPLE_TEXT);
        let b = SharedText::open(&name).unwrap();
        assert_eq!(b.origin(), &Origin::Joined);
        let saved = a.save("안녕하세요, memlab").unwrap();
        assert_eq!(saved.truncated_from, None);
        let loaded = b.load().unwrap();
        assert_eq!(loaded.text, "안녕하세요, memlab");
        assert!(!loaded.lossy);
        assert_eq!(loaded.change_counter, saved.change_counter);
    }

    #[test]
    fn long_save_is_cut_and_reported() {
        let name = unique("cut");
        let a = SharedText::open(&name).unwrap();
        let long = "한".repeat(50);
        let saved = a.save(&long).unwrap();
        assert_eq!(saved.stored, "한".repeat(33));
        assert_eq!(saved.truncated_from, Some(150));
        assert_eq!(a.load().unwrap().text, "한".repeat(33));
        assert!(matches!(
            a.save("a\0b").unwrap_err(),
            SharedError::BadText(_)
        ));
        assert_eq!(
            a.load().unwrap().text,
            "한".repeat(33),
            "a refused save loses nothing"
        );
    }

    #[test]
    fn last_to_leave_removes_the_object_and_creator_leaving_does_not() {
        let name = unique("leave");
        let path = object_path(&os_id(&name));
        let a = SharedText::open(&name).unwrap();
        let b = SharedText::open(&name).unwrap();
        b.save("kept").unwrap();
        drop(a);
        if let Some(p) = &path {
            assert!(p.exists(), "the creator leaving must not remove the object");
        }
        let c = SharedText::open(&name).unwrap();
        assert_eq!(c.origin(), &Origin::Joined);
        assert_eq!(c.load().unwrap().text, "kept");
        drop((b, c));
        if let Some(p) = &path {
            assert!(!p.exists(), "the last to leave removes the object");
        }
    }

    #[test]
    fn info_reports_instances_and_lock() {
        let name = unique("info");
        let a = SharedText::open(&name).unwrap();
        let b = SharedText::open(&name).unwrap();
        let info = a.info().unwrap();
        assert_eq!(info.attached.len(), 2);
        assert_eq!(info.size, MAPPING_SIZE as u64);
        assert_eq!(info.lock, LockState::Free);
        assert_eq!(info.problem, None);
        assert_eq!(info.bytes.len(), MAPPING_SIZE);
        std::thread::scope(|s| {
            let never = AtomicBool::new(false);
            s.spawn(move || b.hold(Duration::from_millis(300), &never, || {}).unwrap());
            std::thread::sleep(Duration::from_millis(100));
            match a.info().unwrap().lock {
                LockState::Held { pid, held_ms } => {
                    assert_eq!(pid, Some(std::process::id()));
                    assert!(held_ms < 5000);
                }
                other => panic!("expected held, got {other:?}"),
            }
            let err = {
                let mut t = SharedText::open(&name).unwrap();
                t.set_timeout(Duration::from_millis(50));
                t.load().unwrap_err()
            };
            assert!(matches!(err, SharedError::LockTimeout { .. }), "{err}");
            assert!(err.to_string().contains("held by PID"), "{err}");
        });
    }
}
