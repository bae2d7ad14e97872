//! A change stamp per mapped file, so that an instance sharing the file can
//! follow another instance's writes live (the shared text's change counter,
//! for a file that has no header of ours).
//!
//! The stamp is 8 bytes in a small file of memlab's private runtime folder,
//! named after the mapped file's device and inode, read and written with
//! pread/pwrite (no mapping: nothing here can fault). Each write through a
//! view stores a value no other write stores (PID and a sequence number), so
//! "the stamp differs from the last one seen" means "someone wrote". Every
//! user holds a shared flock on the stamp file; the last one to leave gets
//! the exclusive lock and removes it.

use std::fs::File;
use std::io;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use crate::core::runtime_dir;
use crate::core::timed_lock::open_private;

/// How long joining may wait for a stamp file being removed.
const JOIN_TIMEOUT: Duration = Duration::from_millis(500);

fn try_lock_shared(file: &File) -> io::Result<bool> {
    match file.try_lock_shared() {
        Ok(()) => Ok(true),
        Err(std::fs::TryLockError::WouldBlock) => Ok(false),
        Err(std::fs::TryLockError::Error(e)) => Err(e),
    }
}

#[derive(Debug)]
pub struct ChangeStamp {
    file: File,
    path: PathBuf,
    sequence: AtomicU32,
}

impl ChangeStamp {
    /// Joins (or creates) the stamp of the file `dev`/`ino`.
    pub fn open(dev: u64, ino: u64) -> io::Result<Self> {
        let dir = runtime_dir::base_dir()?.join("filemap");
        runtime_dir::ensure_private_dir(&dir)?;
        let path = dir.join(format!("{dev:x}-{ino}.stamp"));
        let deadline = Instant::now() + JOIN_TIMEOUT;
        loop {
            let file = open_private(&path)?;
            // Waits only while a last user removes the file (an unlink);
            // bounded all the same, as something else could hold it.
            while !try_lock_shared(&file)? {
                if Instant::now() >= deadline {
                    return Err(io::ErrorKind::TimedOut.into());
                }
                std::thread::sleep(Duration::from_millis(1));
            }
            // If that happened meanwhile, this file is no longer at `path`.
            let linked = std::fs::metadata(&path)
                .is_ok_and(|m| file.metadata().is_ok_and(|f| f.ino() == m.ino()));
            if linked {
                return Ok(Self {
                    file,
                    path,
                    sequence: AtomicU32::new(0),
                });
            }
        }
    }

    /// The current stamp (0 before any write).
    pub fn read(&self) -> io::Result<u64> {
        let mut bytes = [0u8; 8];
        let n = self.file.read_at(&mut bytes, 0)?;
        Ok(if n == 8 { u64::from_le_bytes(bytes) } else { 0 })
    }

    /// Records a write by this process; returns the new stamp.
    pub fn bump(&self) -> io::Result<u64> {
        let sequence = self
            .sequence
            .fetch_add(1, Ordering::Relaxed)
            .wrapping_add(1);
        let stamp = (u64::from(std::process::id()) << 32) | u64::from(sequence);
        self.file.write_all_at(&stamp.to_le_bytes(), 0)?;
        Ok(stamp)
    }
}

impl Drop for ChangeStamp {
    fn drop(&mut self) {
        // Converting our shared lock to exclusive succeeds only if no one
        // else holds the stamp: then nobody needs it any more.
        if self.file.try_lock().is_ok() {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}
