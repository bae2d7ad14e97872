//! Who is attached to a shared object, read from the object itself.
//!
//! Every instance that opens a named object agrees on the roster whatever
//! its environment, because the roster is byte-range locks (`ofd_lock`) on
//! the object's own descriptor: byte 0 is the *gate*, which serialises
//! attaching and leaving, and bytes 64.. are the *slots*, one held by each
//! attached instance. The kernel drops a dead process's locks, so a slot
//! taken by a process killed with SIGKILL frees itself and no table of PIDs
//! can go stale. Only the instance that leaves last, holding the gate and
//! seeing no other slot held, removes the object, and only if the name
//! still names it; an object that must outlive its instances (a file that
//! backs the shared text) is kept.
//!
//! Every roster this process is on is also listed process-wide, so that
//! an exit that runs no destructor (Xlib's, when the X server goes away)
//! can first leave them all properly ([`leave_all`]).

use std::collections::BTreeMap;
use std::fs::File;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::ofd_lock;
use super::shm_object::{self, IoOp, ObjectError, ShmDir};
use crate::os::timed_lock::AcquireError;

/// How many instances may attach to one object at once.
pub const MAX_SLOTS: usize = 64;
/// Attaching or leaving waits at most this long for the others to finish theirs.
pub const GATE_TIMEOUT: Duration = Duration::from_secs(5);
const GATE: u64 = 0;
/// Far from the gate, so that one open file's gate and slot locks never merge.
const FIRST_SLOT: u64 = 64;
/// Tries before giving up on a name that is removed and re-created under us.
const MAX_ATTEMPTS: u32 = 50;

/// How an instance came to the object, as seen under the gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrival {
    /// A new object, not yet visible to anyone: set it up.
    Created,
    /// Other instances are attached.
    Joined,
    /// The object exists but no instance is attached: all of them died.
    Stale,
}

/// What the last instance to leave does with the object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhenLastLeaves {
    /// Removes it, as Windows frees a mapping when its last handle closes.
    Remove,
    /// Keeps it, so that it survives every instance closing (a file).
    Keep,
}

/// This instance's place on an object's roster; dropping it leaves (and
/// removes the object if this was the last instance and it is not kept).
#[derive(Debug)]
pub struct Roster {
    dir: ShmDir,
    file_name: String,
    file: File,
    slot: usize,
    last_leaves: WhenLastLeaves,
    /// Its entry in [`ON_ROSTERS`].
    listed: u64,
}

/// A roster this process is on, as [`leave_all`] needs it: another
/// descriptor of the same open file (its locks are the open file's).
struct Listed {
    /// The object's path (its folder is opened again to leave).
    path: PathBuf,
    file_name: String,
    file: File,
    slot: usize,
    last_leaves: WhenLastLeaves,
}

/// The rosters this process is on, by [`Roster::listed`].
static ON_ROSTERS: Mutex<BTreeMap<u64, Listed>> = Mutex::new(BTreeMap::new());
static NEXT_LISTED: AtomicU64 = AtomicU64::new(1);

/// Leaves every roster this process is on, as each `Roster`'s drop would
/// (the last instance removing its object), for an exit that runs no
/// destructor: call it, then end the process at once. Rosters dropped
/// afterwards leave again, which changes nothing.
pub fn leave_all() {
    let listed = match ON_ROSTERS.lock() {
        Ok(mut rosters) => std::mem::take(&mut *rosters),
        Err(poisoned) => std::mem::take(&mut *poisoned.into_inner()),
    };
    for roster in listed.into_values() {
        if let Some(parent) = roster.path.parent()
            && let Ok(dir) = ShmDir::open_folder(parent)
        {
            leave(
                &dir,
                &roster.file_name,
                &roster.file,
                roster.slot,
                roster.last_leaves,
            );
        }
    }
}

impl Roster {
    /// Attaches to the object `file_name` of `/dev/shm`, creating it with
    /// `size` bytes if there is none. `setup` runs under the gate, before
    /// this instance takes its slot: it sees a created object before anyone
    /// else can, and a stale one before anyone else attaches.
    pub fn join<T, E: From<ObjectError>>(
        file_name: &str,
        size: u64,
        setup: impl FnMut(&File, Arrival) -> Result<T, E>,
    ) -> Result<(Self, T), E> {
        let dir = ShmDir::open()?;
        Self::join_in(dir, file_name, size, WhenLastLeaves::Remove, setup)
    }

    /// [`join`](Self::join) for the object `file_name` of the checked
    /// folder `dir`, kept or removed when its last instance leaves.
    pub fn join_in<T, E: From<ObjectError>>(
        dir: ShmDir,
        file_name: &str,
        size: u64,
        last_leaves: WhenLastLeaves,
        mut setup: impl FnMut(&File, Arrival) -> Result<T, E>,
    ) -> Result<(Self, T), E> {
        let path = dir.path_of(file_name);
        let gate_error = |e| gate_error(&path, e);
        for _ in 0..MAX_ATTEMPTS {
            if let Some(file) = dir.open_object(file_name)? {
                ofd_lock::lock(&file, GATE, GATE_TIMEOUT).map_err(gate_error)?;
                // Its last instance removed it while we waited for the gate.
                if shm_object::is_unlinked(&file)
                    .map_err(|e| ObjectError::io(IoOp::Inspect, &path, e))?
                {
                    continue;
                }
                let others = slots_held(&file, &path)?;
                let arrival = if others.is_empty() {
                    Arrival::Stale
                } else {
                    Arrival::Joined
                };
                let value = setup(&file, arrival)?;
                let slot = claim(&file, &path)?;
                return Ok((
                    Self::entered(dir, file_name, file, slot, last_leaves),
                    value,
                ));
            }
            let file = dir.create_unnamed(size)?;
            // Nobody else can see this object yet: both locks are free.
            ofd_lock::lock(&file, GATE, Duration::ZERO).map_err(gate_error)?;
            let value = setup(&file, Arrival::Created)?;
            let slot = claim(&file, &path)?;
            if dir.publish(&file, file_name)? {
                return Ok((
                    Self::entered(dir, file_name, file, slot, last_leaves),
                    value,
                ));
            }
            // Another instance named its object first: join that one.
        }
        Err(ObjectError::Unsettled {
            path,
            attempts: MAX_ATTEMPTS,
        }
        .into())
    }

    fn entered(
        dir: ShmDir,
        file_name: &str,
        file: File,
        slot: usize,
        last_leaves: WhenLastLeaves,
    ) -> Self {
        // An unlock error is harmless: the gate goes with the file anyway.
        let _ = ofd_lock::unlock(&file, GATE);
        let listed = NEXT_LISTED.fetch_add(1, Ordering::Relaxed);
        if let (Ok(copy), Ok(mut rosters)) = (file.try_clone(), ON_ROSTERS.lock()) {
            rosters.insert(
                listed,
                Listed {
                    path: dir.path_of(file_name),
                    file_name: file_name.to_owned(),
                    file: copy,
                    slot,
                    last_leaves,
                },
            );
        }
        Self {
            dir,
            file_name: file_name.to_owned(),
            file,
            slot,
            last_leaves,
            listed,
        }
    }

    /// Runs `f` under the gate, so that it does not race an instance that is
    /// attaching or leaving (e.g. re-initialising shared state).
    pub fn with_gate<R>(&self, f: impl FnOnce() -> R) -> Result<R, ObjectError> {
        under_gate(&self.file, &self.path(), |_| f())
    }

    /// Another open file description of the object (its own flock, its own
    /// offset), reopened through /proc so that there is no path to race on.
    pub fn reopen(&self) -> std::io::Result<File> {
        use std::os::fd::AsRawFd;
        File::open(format!("/proc/self/fd/{}", self.file.as_raw_fd()))
    }

    /// The object's open file (this instance's own open file description).
    pub fn file(&self) -> &File {
        &self.file
    }

    /// Zero-based slot index; shown to people as `index + 1`.
    pub fn index(&self) -> usize {
        self.slot
    }

    /// Where the object is seen in the file system.
    pub fn path(&self) -> PathBuf {
        self.dir.path_of(&self.file_name)
    }

    /// Removes the object when this instance leaves last, even one made to
    /// be kept ([`WhenLastLeaves::Keep`]): a user clearing it away.
    pub fn remove_when_last(&mut self) {
        self.last_leaves = WhenLastLeaves::Remove;
        if let Ok(mut rosters) = ON_ROSTERS.lock()
            && let Some(listed) = rosters.get_mut(&self.listed)
        {
            listed.last_leaves = WhenLastLeaves::Remove;
        }
    }

    /// The slots held now, by any instance (this one included), in order.
    pub fn attached(&self) -> Result<Vec<usize>, ObjectError> {
        let mut all = slots_held(&self.file, &self.path())?;
        all.push(self.slot);
        all.sort_unstable();
        all.dedup();
        Ok(all)
    }

    /// The object opened again by its name, if the name still names it. An
    /// object created unnamed keeps its first name (`/dev/shm/#INODE`) in
    /// whatever is mapped from its first open file; a mapping made from this
    /// one shows its real path in /proc/self/maps.
    pub fn named_file(&self) -> Result<Option<File>, ObjectError> {
        let Some(file) = self.dir.open_object(&self.file_name)? else {
            return Ok(None);
        };
        let id = |f: &File| rustix::fs::fstat(f).map(|st| (st.st_dev, st.st_ino));
        let same = id(&file)
            .and_then(|a| id(&self.file).map(|b| a == b))
            .map_err(|e| ObjectError::io(IoOp::Inspect, &self.path(), e))?;
        Ok(same.then_some(file))
    }

    /// True if process `pid` holds slot `index` of this object, as the
    /// kernel's lock table says (not as any byte of the object claims).
    pub fn slot_held_by(&self, index: usize, pid: u32) -> bool {
        crate::os::claims::holds_ofd_lock(pid, &self.file, FIRST_SLOT + index as u64)
    }

    /// True if someone removed the object's name: new instances then get
    /// another object, and this one keeps memory nobody else can reach.
    pub fn removed(&self) -> Result<bool, ObjectError> {
        shm_object::is_unlinked(&self.file)
            .map_err(|e| ObjectError::io(IoOp::Inspect, &self.path(), e))
    }
}

impl Drop for Roster {
    fn drop(&mut self) {
        if let Ok(mut rosters) = ON_ROSTERS.lock() {
            rosters.remove(&self.listed);
        }
        leave(
            &self.dir,
            &self.file_name,
            &self.file,
            self.slot,
            self.last_leaves,
        );
    }
}

/// Frees `slot` of the object `file_name` of `dir` (open as `file`), and
/// removes the object if it was the last slot held and it is not kept.
fn leave(dir: &ShmDir, file_name: &str, file: &File, slot: usize, last_leaves: WhenLastLeaves) {
    let path = dir.path_of(file_name);
    // Leave under the gate, so that nobody attaches between our check
    // that we are the last and the removal of the object. Without the
    // gate nothing proves the object unused, so nothing is removed.
    let gated = ofd_lock::lock(file, GATE, GATE_TIMEOUT).is_ok();
    let _ = ofd_lock::unlock(file, FIRST_SLOT + slot as u64);
    let last = gated
        && last_leaves == WhenLastLeaves::Remove
        && shm_object::is_unlinked(file).is_ok_and(|removed| !removed)
        && slots_held(file, &path).is_ok_and(|others| others.is_empty());
    if last {
        let _ = dir.remove_if_same(file_name, file);
    }
    // A mapping of the object keeps its open file (and so its locks)
    // alive after the descriptor closes: unlock explicitly.
    let _ = ofd_lock::unlock(file, GATE);
}

/// Runs `f` under the gate of `file`'s object with the slots that other open
/// files hold (all of them, for a reader that holds none), so that nobody
/// attaches or leaves meanwhile.
pub fn under_gate<T>(
    file: &File,
    path: &std::path::Path,
    f: impl FnOnce(&[usize]) -> T,
) -> Result<T, ObjectError> {
    ofd_lock::lock(file, GATE, GATE_TIMEOUT).map_err(|e| gate_error(path, e))?;
    let result = slots_held(file, path).map(|held| f(&held));
    let _ = ofd_lock::unlock(file, GATE);
    result
}

/// Removes the objects of `dir` named `prefix...` that no instance uses
/// (no slot held), as the last instance of each would have on leaving:
/// what instances killed outright (SIGKILL) left, when no instance comes
/// back to the same name to take it over. Each is checked under its gate,
/// as [`leave`] does; one whose gate is taken is in use and left alone.
/// The names removed.
pub fn remove_unused(dir: &ShmDir, prefix: &str) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir.path()) else {
        return Vec::new();
    };
    let mut removed = Vec::new();
    for name in entries.filter_map(|e| e.ok()?.file_name().into_string().ok()) {
        if !name.starts_with(prefix) {
            continue;
        }
        // Another account's object, or not one of ours at all: not opened.
        let Ok(Some(file)) = dir.open_object(&name) else {
            continue;
        };
        if ofd_lock::lock(&file, GATE, Duration::ZERO).is_err() {
            continue;
        }
        let path = dir.path_of(&name);
        let unused = shm_object::is_unlinked(&file).is_ok_and(|gone| !gone)
            && slots_held(&file, &path).is_ok_and(|held| held.is_empty());
        if unused && dir.remove_if_same(&name, &file).unwrap_or(false) {
            removed.push(name);
        }
        let _ = ofd_lock::unlock(&file, GATE);
    }
    removed
}

/// Why the gate of the object at `path` was not taken.
fn gate_error(path: &std::path::Path, e: AcquireError) -> ObjectError {
    match e {
        AcquireError::TimedOut(waited) => ObjectError::Busy {
            path: path.to_path_buf(),
            waited_ms: waited.as_millis() as u64,
        },
        AcquireError::Io(e) => ObjectError::io(IoOp::Lock, path, e),
    }
}

/// Takes the lowest free slot.
fn claim(file: &File, path: &std::path::Path) -> Result<usize, ObjectError> {
    for index in 0..MAX_SLOTS {
        if ofd_lock::try_lock(file, FIRST_SLOT + index as u64)
            .map_err(|e| ObjectError::io(IoOp::Lock, path, e))?
        {
            return Ok(index);
        }
    }
    Err(ObjectError::Full {
        path: path.to_path_buf(),
        max: MAX_SLOTS,
    })
}

/// The slots held by other open files of the object.
fn slots_held(file: &File, path: &std::path::Path) -> Result<Vec<usize>, ObjectError> {
    let range = FIRST_SLOT..FIRST_SLOT + MAX_SLOTS as u64;
    let held = ofd_lock::locked_by_others(file, range)
        .map_err(|e| ObjectError::io(IoOp::Lock, path, e))?;
    Ok(held
        .into_iter()
        .map(|at| (at - FIRST_SLOT) as usize)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roster_name(tag: &str) -> String {
        format!(
            "memlab-unit-roster.{}.{tag}.{}",
            shm_object::euid(),
            std::process::id()
        )
    }

    fn join(name: &str) -> (Roster, Arrival) {
        Roster::join(name, 0, |_, arrival| Ok::<_, ObjectError>(arrival)).unwrap()
    }

    #[test]
    fn claims_distinct_slots_and_the_last_to_leave_removes_the_object() {
        let name = roster_name("slots");
        let (a, arrival) = join(&name);
        assert_eq!(arrival, Arrival::Created);
        let (b, arrival) = join(&name);
        assert_eq!(arrival, Arrival::Joined);
        assert_eq!((a.index(), b.index()), (0, 1));
        assert_eq!(a.attached().unwrap(), vec![0, 1]);
        assert_eq!(b.attached().unwrap(), vec![0, 1]);
        let path = a.path();
        drop(a);
        assert!(path.exists(), "b is still attached");
        assert_eq!(b.attached().unwrap(), vec![1]);
        let (c, _) = join(&name);
        assert_eq!(c.index(), 0, "the lowest free slot is reused");
        drop((b, c));
        assert!(!path.exists(), "the last to leave removes it");
    }

    #[test]
    fn an_object_nobody_holds_is_stale_and_a_removed_one_is_noticed() {
        let name = roster_name("stale");
        let (a, _) = join(&name);
        let path = a.path();
        // An object with no slot held, as a SIGKILLed instance leaves it.
        let dir = ShmDir::open().unwrap();
        let leftover = dir.create_unnamed(0).unwrap();
        drop(a);
        assert!(dir.publish(&leftover, &name).unwrap());
        drop(leftover);
        let (b, arrival) = join(&name);
        assert_eq!(arrival, Arrival::Stale);
        assert!(!b.removed().unwrap());
        std::fs::remove_file(&path).unwrap();
        assert!(b.removed().unwrap());
        let (c, arrival) = join(&name);
        assert_eq!(arrival, Arrival::Created, "a new object under the name");
        drop(b);
        assert!(path.exists(), "b must not remove c's object");
        drop(c);
        assert!(!path.exists());
    }

    /// An exit that runs no destructor leaves every roster first: the last
    /// instance's object is removed, a kept one stays; a roster dropped
    /// afterwards changes nothing (not even a new object under its name).
    #[test]
    fn leave_all_leaves_as_drop_would_and_drop_after_it_is_harmless() {
        let (name, kept_name) = (roster_name("leave-all"), roster_name("leave-all-kept"));
        let (a, _) = join(&name);
        let dir = ShmDir::open().unwrap();
        let (kept, ()) = Roster::join_in(dir, &kept_name, 0, WhenLastLeaves::Keep, |_, _| {
            Ok::<_, ObjectError>(())
        })
        .unwrap();
        let (path, kept_path) = (a.path(), kept.path());
        leave_all();
        assert!(!path.exists(), "the last instance's object is removed");
        assert!(kept_path.exists(), "a kept object stays");
        let (b, arrival) = join(&name);
        assert_eq!(arrival, Arrival::Created, "a new object under the name");
        drop(a);
        assert!(path.exists(), "dropping the old roster removes nothing");
        drop((b, kept));
        assert!(!path.exists());
        std::fs::remove_file(kept_path).unwrap();
    }
}
