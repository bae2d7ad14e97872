//! memlab's per-user data folder on Windows, home of the file-mapping
//! lab's demo file: `%APPDATA%\memlab\data`, where the window keeps its
//! settings too (`desktop::settings::data_dir`). A user's profile folder
//! is that user's alone by its ACL: nothing to check here.

use std::path::PathBuf;

use crate::filemap::{FileMapError, Op};

/// The demo file's name in the data folder.
pub const DEMO_FILE_NAME: &str = "filemap-demo.bin";

/// `%APPDATA%\memlab\data`, created on first use.
pub fn data_dir() -> Result<PathBuf, FileMapError> {
    let dir = crate::desktop::settings::data_dir().ok_or(FileMapError::NoAppData)?;
    std::fs::create_dir_all(&dir).map_err(|e| FileMapError::io(Op::DataDir, &dir, e))?;
    Ok(dir)
}

/// The default file of the lab: the demo file in the data folder.
pub fn demo_file() -> Result<PathBuf, FileMapError> {
    Ok(data_dir()?.join(DEMO_FILE_NAME))
}
