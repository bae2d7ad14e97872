//! The private per-user directory where memlab keeps its lock files.

use std::io;
use std::path::{Path, PathBuf};

/// `$XDG_RUNTIME_DIR/memlab` when the session has one, else a `memlab-<uid>`
/// folder in the temporary directory. Created on first use, owner-only.
pub fn base_dir() -> io::Result<PathBuf> {
    let dir = match std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from) {
        Some(xdg) if xdg.is_dir() => xdg.join("memlab"),
        _ => std::env::temp_dir().join(format!("memlab-{}", user_tag())),
    };
    ensure_private_dir(&dir)?;
    Ok(dir)
}

/// Creates `dir` (owner-only) if needed and refuses one that is not a private
/// directory of ours: in a shared /tmp another user could otherwise plant it.
pub fn ensure_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    match builder.create(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e),
    }
    let meta = std::fs::symlink_metadata(dir)?;
    if !meta.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{} exists and is not a directory", dir.display()),
        ));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        // SAFETY: geteuid has no preconditions and cannot fail.
        let uid = unsafe { libc::geteuid() };
        if meta.uid() != uid || meta.mode() & 0o077 != 0 {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!(
                    "{} is not a private directory of this user (owner {}, mode {:o})",
                    dir.display(),
                    meta.uid(),
                    meta.mode() & 0o777
                ),
            ));
        }
    }
    Ok(())
}

fn user_tag() -> String {
    #[cfg(unix)]
    {
        // SAFETY: geteuid has no preconditions and cannot fail.
        unsafe { libc::geteuid() }.to_string()
    }
    #[cfg(not(unix))]
    {
        std::env::var("USERNAME").unwrap_or_else(|_| "user".into())
    }
}
