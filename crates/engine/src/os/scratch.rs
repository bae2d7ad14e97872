//! A temporary file for unit tests that need a real one (mapped, locked,
//! truncated under a mapping), removed when dropped.

use std::fs::File;
use std::path::PathBuf;

/// A new empty file of this process in the temporary folder.
pub(crate) struct ScratchFile {
    pub file: File,
    pub path: PathBuf,
}

impl ScratchFile {
    /// `memlab-TAG-PID` in the temporary folder, created empty, read-write.
    pub(crate) fn new(tag: &str) -> Self {
        let path = std::env::temp_dir().join(format!("memlab-{tag}-{}", std::process::id()));
        let file = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .expect("a scratch file in the temporary folder");
        Self { file, path }
    }
}

impl Drop for ScratchFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}
