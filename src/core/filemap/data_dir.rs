//! memlab's per-user data folder, home of the file-mapping lab's demo file.

use std::path::PathBuf;

use super::{FileMapError, Op};

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
    ensure_private_dir(&dir).map_err(|e| FileMapError::io(Op::DataDir, &dir, e))?;
    Ok(dir)
}

/// Creates `dir` if needed and makes sure it is a folder of this account,
/// owner-only (0700) whatever the umask, checked and fixed on the opened
/// folder itself (no symlink followed, nothing to race on by path).
fn ensure_private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    use rustix::fs::{Mode, OFlags};
    let mut builder = std::fs::DirBuilder::new();
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    match builder.create(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e),
    }
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let fd = rustix::fs::open(dir, flags, Mode::empty())?;
    let st = rustix::fs::fstat(&fd)?;
    if st.st_uid != crate::core::shm_object::euid() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::PermissionDenied,
            format!("the folder belongs to uid {}", st.st_uid),
        ));
    }
    if st.st_mode & 0o7777 != 0o700 {
        rustix::fs::fchmod(&fd, Mode::from_raw_mode(0o700))?;
    }
    Ok(())
}

/// The default file of the lab: the demo file in the data folder.
pub fn demo_file() -> Result<PathBuf, FileMapError> {
    Ok(data_dir()?.join(DEMO_FILE_NAME))
}
