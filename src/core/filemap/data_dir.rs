//! memlab's per-user data folder, home of the file-mapping lab's demo file.

use std::path::PathBuf;

use super::{FileMapError, Op};
use crate::core::runtime_dir;

/// The demo file's name in the data folder.
pub const DEMO_FILE_NAME: &str = "filemap-demo.bin";

/// `$XDG_DATA_HOME/memlab` (an absolute XDG_DATA_HOME), else
/// `~/.local/share/memlab`; created owner-only (0700) on first use.
pub fn data_dir() -> Result<PathBuf, FileMapError> {
    let xdg = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute());
    let home = || {
        std::env::var_os("HOME")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .map(|h| h.join(".local").join("share"))
    };
    let base = xdg.or_else(home).ok_or(FileMapError::NoDataDir)?;
    std::fs::create_dir_all(&base).map_err(|e| FileMapError::io(Op::DataDir, &base, e))?;
    let dir = base.join("memlab");
    runtime_dir::ensure_private_dir(&dir).map_err(|e| FileMapError::io(Op::DataDir, &dir, e))?;
    Ok(dir)
}

/// The default file of the lab: the demo file in the data folder.
pub fn demo_file() -> Result<PathBuf, FileMapError> {
    Ok(data_dir()?.join(DEMO_FILE_NAME))
}
