//! memlab's per-user data folder, home of the file-mapping lab's demo file
//! (and of the shared text's default backing file).
//!
//! The window's saved state lives in the same folder (eframe's storage for
//! the app id "memlab"), and eframe creates it 0755. So the folder is made
//! owner-only (0700) when memlab makes it, and an existing one is accepted
//! when it is a real directory (not a link) of this user that no one else
//! can write to: nobody else can then plant or replace a file in it.

use std::io;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use crate::filemap::{FileMapError, Op};

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
    ensure_own_dir(&dir).map_err(|e| FileMapError::io(Op::DataDir, &dir, e))?;
    Ok(dir)
}

/// Creates `dir` owner-only (0700, whatever the umask) if it is missing;
/// refuses one that is a link, not a directory, another account's, or
/// writable by others. Checked on the opened folder itself, so nothing can
/// be swapped in between the check and the use. (An existing 0755 folder of
/// ours is fine: eframe keeps its saved state in the same folder.)
fn ensure_own_dir(dir: &Path) -> io::Result<()> {
    use rustix::fs::{Mode, OFlags};
    let created = match std::fs::DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => true,
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => false,
        Err(e) => return Err(e),
    };
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let fd = rustix::fs::open(dir, flags, Mode::empty())?;
    if created {
        // The umask may have taken bits away (even the owner's x).
        rustix::fs::fchmod(&fd, Mode::from_raw_mode(0o700))?;
    }
    let st = rustix::fs::fstat(&fd)?;
    let me = rustix::process::geteuid().as_raw();
    if st.st_uid != me || st.st_mode & 0o022 != 0 {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "{} is not a folder of this user that only this user can write to (owner {}, mode {:o})",
                dir.display(),
                st.st_uid,
                st.st_mode & 0o777
            ),
        ));
    }
    Ok(())
}

/// The default file of the lab: the demo file in the data folder.
pub fn demo_file() -> Result<PathBuf, FileMapError> {
    Ok(data_dir()?.join(DEMO_FILE_NAME))
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn a_new_folder_is_private_and_eframes_0755_one_is_accepted() {
        let base = std::env::temp_dir().join(format!("memlab-unit-datadir-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        std::fs::create_dir(&base).unwrap();
        let made = base.join("new");
        ensure_own_dir(&made).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&made), 0o700);
        let eframes = base.join("eframe");
        std::fs::create_dir(&eframes).unwrap();
        std::fs::set_permissions(&eframes, std::fs::Permissions::from_mode(0o755)).unwrap();
        ensure_own_dir(&eframes).unwrap();
        assert_eq!(mode(&eframes), 0o755, "left as it is");
        let open = base.join("open");
        std::fs::create_dir(&open).unwrap();
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
        assert!(ensure_own_dir(&open).is_err(), "others could plant files");
        let link = base.join("link");
        std::os::unix::fs::symlink(&made, &link).unwrap();
        assert!(ensure_own_dir(&link).is_err(), "a link is not the folder");
        std::fs::remove_dir_all(&base).unwrap();
    }
}
