//! Who is attached: one lock file per slot, held for as long as its process lives.
//!
//! The kernel drops a dead process's file locks, so a slot taken by a
//! process killed with SIGKILL frees itself; no PID table can go stale.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::timed_lock::FileLock;

/// How many instances may attach to one table at once.
pub const MAX_SLOTS: usize = 64;

/// The slot files of one directory.
#[derive(Debug, Clone)]
pub struct SlotTable {
    dir: PathBuf,
}

/// A slot held by this process; dropping it frees the slot.
#[derive(Debug)]
pub struct Slot {
    index: usize,
    _lock: FileLock,
}

/// One live holder of a slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Attached {
    /// Zero-based slot index; shown to people as `index + 1`.
    pub index: usize,
    /// The holder's PID, once it has written it.
    pub pid: Option<u32>,
}

impl SlotTable {
    pub fn new(dir: &Path) -> Self {
        Self {
            dir: dir.to_path_buf(),
        }
    }

    fn path(&self, index: usize) -> PathBuf {
        self.dir.join(format!("slot.{index:02}"))
    }

    /// Takes the lowest free slot and records this process's PID in it.
    pub fn claim(&self) -> io::Result<Slot> {
        for index in 0..MAX_SLOTS {
            let lock = FileLock::open(&self.path(index))?;
            let Some(guard) = lock.try_acquire()? else {
                continue;
            };
            // The guard would unlock on drop: keep the lock for the slot's life.
            std::mem::forget(guard);
            let mut file: &File = lock.file();
            file.set_len(0)?;
            file.seek(SeekFrom::Start(0))?;
            writeln!(file, "{}", std::process::id())?;
            return Ok(Slot { index, _lock: lock });
        }
        Err(io::Error::other(format!(
            "all {MAX_SLOTS} instance slots are taken"
        )))
    }

    /// The slots held now, by any process (this one included).
    pub fn live(&self) -> io::Result<Vec<Attached>> {
        let mut out = Vec::new();
        for index in 0..MAX_SLOTS {
            let path = self.path(index);
            let lock = match FileLock::open_existing(&path) {
                Ok(lock) => lock,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            };
            if lock.try_acquire()?.is_some() {
                continue;
            }
            let mut text = String::new();
            let pid = lock
                .file()
                .read_to_string(&mut text)
                .ok()
                .and_then(|_| text.trim().parse().ok());
            out.push(Attached { index, pid });
        }
        Ok(out)
    }
}

impl Slot {
    pub fn index(&self) -> usize {
        self.index
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_distinct_slots_and_frees_on_drop() {
        let dir = std::env::temp_dir().join(format!("memlab-slots-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let table = SlotTable::new(&dir);
        let a = table.claim().unwrap();
        let b = table.claim().unwrap();
        assert_ne!(a.index(), b.index());
        let me = Some(std::process::id());
        let live = table.live().unwrap();
        assert_eq!(live.len(), 2);
        assert!(live.iter().all(|s| s.pid == me));
        drop(a);
        let live = table.live().unwrap();
        assert_eq!(
            live,
            vec![Attached {
                index: b.index(),
                pid: me
            }]
        );
        let c = table.claim().unwrap();
        assert_eq!(c.index(), 0, "the lowest free slot is reused");
        drop((b, c));
        assert!(table.live().unwrap().is_empty());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
