//! Per-user named shared-memory objects, opened by descriptor and checked
//! before use.
//!
//! **Where.** Where the system gives each account a folder of its own that
//! nobody else can write (`/run/user/<uid>`, made by systemd-logind: owned
//! by the account, mode 0700, on tmpfs), memlab keeps its objects there: no
//! other account can plant a file under one of its names. The folder is
//! found by the uid, never by `XDG_RUNTIME_DIR`, so every process of the
//! account finds the same one whatever its environment (a desktop, ssh,
//! sudo -E, an IDE). Elsewhere they go to `/dev/shm`, one folder for every
//! account, like Win32's global namespace; memlab gives each account its own
//! names there, like Win32's session namespace, by putting the uid in the
//! object's file name (`memlab.<uid>.<name>`, kept in both folders), and an
//! error about a name another account took says how to free it.
//! [`ShmDir::open`] is the one place that chooses; everything that names
//! an object (the shared text, the book mutex, the windows' roster, the
//! file-mapping lab's change stamps) gets its folder from it.
//!
//! Nothing here trusts a path twice: the folder is
//! opened once and checked, objects are looked up relative to its descriptor
//! without following symlinks, and an object's owner, type and mode are
//! checked on the descriptor after every open. An object that is not this
//! account's alone is refused and never written, resized or removed, by root
//! too. New objects are made unnamed (`O_TMPFILE`), given their mode, size
//! and storage, and only then linked under their name, so nobody ever sees
//! one half-made and a full file system leaves nothing behind.
//!
//! Linux only (`O_TMPFILE`, `/proc/self/fd`, `/dev/shm`, `/run/user`).

use std::fmt;
use std::fs::File;
use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, CWD, FallocateFlags, FileType, Mode, OFlags, Stat};
use serde::Serialize;

use crate::error::{ErrorKind, HasKind};

mod messages;

/// Where Linux keeps POSIX shared memory objects, for every account.
pub const SHM_DIR: &str = "/dev/shm";
/// Where the system makes each account's own runtime folder, named by uid.
const RUNTIME_ROOT: &str = "/run/user";

/// This account's effective uid: the owner memlab's objects must have.
pub fn euid() -> u32 {
    rustix::process::geteuid().as_raw()
}

/// This account's own runtime folder, `/run/user/<euid>`, if the system
/// gives it one: opened without following a link and checked on its
/// descriptor to be a directory owned by this account and closed to every
/// other (no group or other permission bits). Only root can make or replace
/// an entry of `/run/user`, so what is checked is what is used.
pub fn private_folder() -> Option<ShmDir> {
    let path = PathBuf::from(format!("{RUNTIME_ROOT}/{}", euid()));
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let fd = rustix::fs::openat(CWD, &path, flags, Mode::empty()).ok()?;
    let st = rustix::fs::fstat(&fd).ok()?;
    let private = FileType::from_raw_mode(st.st_mode) == FileType::Directory
        && st.st_uid == euid()
        && st.st_mode & 0o077 == 0
        && st.st_mode & 0o700 == 0o700;
    private.then_some(ShmDir { fd, path })
}

/// The folder [`ShmDir::open`] picks now, for messages and tests.
pub fn objects_folder() -> PathBuf {
    private_folder().map_or_else(|| PathBuf::from(SHM_DIR), |dir| dir.path)
}

/// The file name of `path` if it lies in a folder where memlab keeps this
/// account's objects (`/dev/shm` or `/run/user/<euid>`), as
/// /proc/self/maps shows a mapped object.
pub fn object_file_name_in(path: &str) -> Option<&str> {
    let runtime = format!("{RUNTIME_ROOT}/{}/", euid());
    path.strip_prefix(&runtime)
        .or_else(|| path.strip_prefix(SHM_DIR)?.strip_prefix('/'))
        .filter(|name| !name.contains('/'))
}

/// What is wrong with `name` as a mapping name, if anything: on Linux the
/// name is one part of a file name (`memlab.<uid>.<name>`), so the one rule
/// of names (`os::names`) is all there is.
pub fn mapping_name_problem(name: &str) -> Option<crate::os::names::NameProblem> {
    crate::os::names::name_problem(name)
}

/// What occupies an object's name when it is not a regular file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectKind {
    Directory,
    Symlink,
    Fifo,
    Socket,
    Device,
}

/// What memlab was doing when the OS said no.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IoOp {
    OpenFolder,
    Open,
    Create,
    Reserve,
    Publish,
    Remove,
    Lock,
    Map,
    Inspect,
}

/// A file mode shown the way `ls` and `chmod` spell it, special bits
/// included (`1777`, `0666`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ModeBits(pub u32);

impl fmt::Display for ModeBits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04o}", self.0 & 0o7777)
    }
}

/// Why a shared object could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ObjectError {
    /// `owner`: the uid that owns what takes the name (None if it could
    /// not be seen).
    #[error(
        "the name is taken by another kind of object: {} is a {kind}; memlab never removes it: {}",
        path.display(),
        Fix::new(path, *owner)
    )]
    NameTaken {
        path: PathBuf,
        kind: ObjectKind,
        owner: Option<u32>,
    },
    #[error(
        "{} belongs to another account (uid {owner}; you are uid {you}): memlab never uses, changes or removes it; {}",
        path.display(),
        Fix::new(path, Some(*owner))
    )]
    Foreign { path: PathBuf, owner: u32, you: u32 },
    #[error(
        "{} is open to other accounts (mode {mode}): memlab uses only objects that are yours alone (mode 0600); {}",
        path.display(),
        Fix::new(path, Some(euid()))
    )]
    Exposed { path: PathBuf, mode: ModeBits },
    #[error(
        "{} is not a safe folder for shared memory (owner uid {owner}, mode {mode}): other accounts could remove or replace your objects",
        path.display()
    )]
    UnsafeFolder {
        path: PathBuf,
        owner: u32,
        mode: ModeBits,
    },
    #[error("no space left in {} for a shared memory object of {needed} bytes", folder.display())]
    NoSpace { folder: PathBuf, needed: u64 },
    #[error("{} stayed busy for {waited_ms} ms: other instances kept attaching or leaving", path.display())]
    Busy { path: PathBuf, waited_ms: u64 },
    #[error("all {max} instance slots of {} are taken", path.display())]
    Full { path: PathBuf, max: usize },
    #[error("{} kept being removed and re-created while attaching ({attempts} attempts)", path.display())]
    Unsettled { path: PathBuf, attempts: u32 },
    #[error("{op} {}: {source}", path.display())]
    Io {
        op: IoOp,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

impl HasKind for ObjectError {
    fn kind(&self) -> ErrorKind {
        match self {
            // The name cannot be used: another one must be chosen.
            Self::NameTaken { .. } | Self::Foreign { .. } | Self::Exposed { .. } => {
                ErrorKind::Denied
            }
            // The folder is the system's, not a name the user chose.
            Self::UnsafeFolder { .. } => ErrorKind::Os,
            Self::NoSpace { .. } => ErrorKind::NoSpace,
            Self::Busy { .. } | Self::Full { .. } | Self::Unsettled { .. } => ErrorKind::Busy,
            Self::Io { .. } => ErrorKind::Os,
        }
    }
}

/// How to free a name memlab refuses to use: remove it yourself when it is
/// yours; otherwise only an administrator can (/dev/shm is sticky).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fix {
    pub path: PathBuf,
    pub yours: bool,
}

impl Fix {
    pub fn new(path: &Path, owner: Option<u32>) -> Self {
        Self {
            path: path.to_path_buf(),
            yours: owner == Some(euid()),
        }
    }
}

impl fmt::Display for Fix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path.display();
        if self.yours {
            write!(
                f,
                "to free the name remove it (rm -r '{path}'), or use another name"
            )
        } else {
            write!(
                f,
                "to free the name an administrator must remove it (sudo rm -r '{path}'), or use another name"
            )
        }
    }
}

impl ObjectError {
    pub fn io(op: IoOp, path: &Path, source: impl Into<io::Error>) -> Self {
        Self::Io {
            op,
            path: path.to_path_buf(),
            source: source.into(),
        }
    }
}

impl fmt::Display for ObjectKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Directory => "directory",
            Self::Symlink => "symbolic link",
            Self::Fifo => "named pipe",
            Self::Socket => "socket",
            Self::Device => "device",
        })
    }
}

impl fmt::Display for IoOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::OpenFolder => "opening the folder",
            Self::Open => "opening",
            Self::Create => "creating an object in",
            Self::Reserve => "reserving storage for",
            Self::Publish => "naming",
            Self::Remove => "removing",
            Self::Lock => "locking",
            Self::Map => "mapping",
            Self::Inspect => "inspecting",
        })
    }
}

/// The shared memory folder (or, for a file-backed object, the file's
/// folder), opened once and checked.
#[derive(Debug)]
pub struct ShmDir {
    fd: OwnedFd,
    path: PathBuf,
}

impl ShmDir {
    /// Opens the folder of this account's objects: its own runtime folder
    /// where the system gives it one (see [`private_folder`]), otherwise
    /// `/dev/shm`, checked so that other accounts cannot remove or replace
    /// what is in it (see [`open_folder`](Self::open_folder)).
    pub fn open() -> Result<Self, ObjectError> {
        match private_folder() {
            Some(dir) => Ok(dir),
            None => Self::open_folder(Path::new(SHM_DIR)),
        }
    }

    /// Opens `path` as the folder of memlab's objects, with the checks of
    /// `/dev/shm`: it must belong to root or to this account and, if others
    /// may write to it, carry the sticky bit (as `1777` does). Used for a
    /// file that backs the shared text instead of shared memory.
    pub fn open_folder(path: &Path) -> Result<Self, ObjectError> {
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
        let fd = rustix::fs::openat(CWD, path, flags, Mode::empty())
            .map_err(|e| ObjectError::io(IoOp::OpenFolder, path, e))?;
        let st = rustix::fs::fstat(&fd).map_err(|e| ObjectError::io(IoOp::Inspect, path, e))?;
        let shared_write = st.st_mode & 0o022 != 0;
        let sticky = st.st_mode & 0o1000 != 0;
        if !(st.st_uid == 0 || st.st_uid == euid()) || (shared_write && !sticky) {
            return Err(ObjectError::UnsafeFolder {
                path: path.to_path_buf(),
                owner: st.st_uid,
                mode: ModeBits(st.st_mode),
            });
        }
        Ok(Self {
            fd,
            path: path.to_path_buf(),
        })
    }

    /// Where `file_name` is seen (for messages and the info panel).
    pub fn path_of(&self, file_name: &str) -> PathBuf {
        self.path.join(file_name)
    }

    /// The folder itself.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Opens the object `file_name` read-write if it exists, after checking
    /// it on its descriptor (see [`check_private`]). `None` if there is none.
    pub fn open_object(&self, file_name: &str) -> Result<Option<File>, ObjectError> {
        let path = self.path_of(file_name);
        // Look before opening: opening a device or another account's object
        // is already more than memlab should do with it.
        match rustix::fs::statat(&self.fd, file_name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => check_stat(&st, &path)?,
            Err(rustix::io::Errno::NOENT) => return Ok(None),
            Err(e) => return Err(ObjectError::io(IoOp::Inspect, &path, e)),
        };
        let flags =
            OFlags::RDWR | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK | OFlags::NOCTTY;
        let fd = match rustix::fs::openat(&self.fd, file_name, flags, Mode::empty()) {
            Ok(fd) => fd,
            // Removed between the look and the open: there is none now.
            Err(rustix::io::Errno::NOENT) => return Ok(None),
            Err(rustix::io::Errno::LOOP) => {
                // A symlink put there since the look: whose is it now?
                let owner = rustix::fs::statat(&self.fd, file_name, AtFlags::SYMLINK_NOFOLLOW)
                    .ok()
                    .map(|st| st.st_uid);
                return Err(ObjectError::NameTaken {
                    path,
                    kind: ObjectKind::Symlink,
                    owner,
                });
            }
            Err(e) => return Err(ObjectError::io(IoOp::Open, &path, e)),
        };
        let file = File::from(fd);
        // Whatever was looked at, what counts is what was opened.
        check_private(&file, &path)?;
        Ok(Some(file))
    }

    /// Removes this account's object `file_name`, if there is one (after
    /// the same checks as [`open_object`](Self::open_object)); true if removed.
    pub fn remove(&self, file_name: &str) -> Result<bool, ObjectError> {
        match self.open_object(file_name)? {
            Some(file) => self.remove_if_same(file_name, &file),
            None => Ok(false),
        }
    }

    /// A new object with no name yet, owner-only, `size` bytes long with
    /// its storage reserved: a full file system is [`ObjectError::NoSpace`]
    /// here, not a SIGBUS later, and leaves nothing behind.
    pub fn create_unnamed(&self, size: u64) -> Result<File, ObjectError> {
        let folder = self.path.as_path();
        let flags = OFlags::TMPFILE | OFlags::RDWR | OFlags::CLOEXEC;
        let fd = rustix::fs::openat(&self.fd, ".", flags, Mode::RUSR | Mode::WUSR)
            .map_err(|e| ObjectError::io(IoOp::Create, folder, e))?;
        // The mode given to open is filtered by the umask; set it outright.
        rustix::fs::fchmod(&fd, Mode::RUSR | Mode::WUSR)
            .map_err(|e| ObjectError::io(IoOp::Create, folder, e))?;
        let file = File::from(fd);
        reserve_in(&file, size, folder, folder)?;
        Ok(file)
    }

    /// Gives an unnamed object the name `file_name`; false (and nothing
    /// changed) if the name exists already.
    pub fn publish(&self, file: &File, file_name: &str) -> Result<bool, ObjectError> {
        let own = format!("/proc/self/fd/{}", file.as_raw_fd());
        match rustix::fs::linkat(
            CWD,
            own.as_str(),
            &self.fd,
            file_name,
            AtFlags::SYMLINK_FOLLOW,
        ) {
            Ok(()) => Ok(true),
            Err(rustix::io::Errno::EXIST) => Ok(false),
            Err(e) => Err(ObjectError::io(IoOp::Publish, &self.path_of(file_name), e)),
        }
    }

    /// Removes the name `file_name` if it still names `file`'s object;
    /// true if it did.
    pub fn remove_if_same(&self, file_name: &str, file: &File) -> Result<bool, ObjectError> {
        let path = self.path_of(file_name);
        let ours = rustix::fs::fstat(file).map_err(|e| ObjectError::io(IoOp::Inspect, &path, e))?;
        let named = match rustix::fs::statat(&self.fd, file_name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => st,
            Err(rustix::io::Errno::NOENT) => return Ok(false),
            Err(e) => return Err(ObjectError::io(IoOp::Inspect, &path, e)),
        };
        if (named.st_dev, named.st_ino) != (ours.st_dev, ours.st_ino) {
            return Ok(false);
        }
        match rustix::fs::unlinkat(&self.fd, file_name, AtFlags::empty()) {
            Ok(()) => Ok(true),
            Err(rustix::io::Errno::NOENT) => Ok(false),
            Err(e) => Err(ObjectError::io(IoOp::Remove, &path, e)),
        }
    }
}

/// Sets the object's size and reserves its storage (`ftruncate`, then
/// `posix_fallocate`), so that no page of it can be missing later.
/// `shown_as` is the object's path, for messages.
pub fn reserve(file: &File, size: u64, shown_as: &Path) -> Result<(), ObjectError> {
    let folder = shown_as.parent().unwrap_or(Path::new(SHM_DIR));
    reserve_in(file, size, folder, shown_as)
}

fn reserve_in(file: &File, size: u64, folder: &Path, shown_as: &Path) -> Result<(), ObjectError> {
    // EFBIG is past the file size limit (ulimit -f), not a full folder: it
    // stays an I/O error, which the command line reports with the limit.
    let no_space = |e: rustix::io::Errno| match e {
        rustix::io::Errno::NOSPC | rustix::io::Errno::DQUOT => ObjectError::NoSpace {
            folder: folder.to_path_buf(),
            needed: size,
        },
        e => ObjectError::io(IoOp::Reserve, shown_as, e),
    };
    rustix::fs::ftruncate(file, size).map_err(no_space)?;
    if size > 0 {
        rustix::fs::fallocate(file, FallocateFlags::empty(), 0, size).map_err(no_space)?;
    }
    Ok(())
}

/// Checks, on the descriptor, that `file` is a regular file owned by this
/// account and closed to every other (no group or other permission bits).
pub fn check_private(file: &impl AsFd, path: &Path) -> Result<Stat, ObjectError> {
    let st = rustix::fs::fstat(file).map_err(|e| ObjectError::io(IoOp::Inspect, path, e))?;
    check_stat(&st, path)?;
    Ok(st)
}

fn check_stat(st: &Stat, path: &Path) -> Result<(), ObjectError> {
    let kind = match FileType::from_raw_mode(st.st_mode) {
        FileType::RegularFile => None,
        FileType::Directory => Some(ObjectKind::Directory),
        FileType::Symlink => Some(ObjectKind::Symlink),
        FileType::Fifo => Some(ObjectKind::Fifo),
        FileType::Socket => Some(ObjectKind::Socket),
        _ => Some(ObjectKind::Device),
    };
    if let Some(kind) = kind {
        return Err(ObjectError::NameTaken {
            path: path.to_path_buf(),
            kind,
            owner: Some(st.st_uid),
        });
    }
    let you = euid();
    if st.st_uid != you {
        return Err(ObjectError::Foreign {
            path: path.to_path_buf(),
            owner: st.st_uid,
            you,
        });
    }
    if st.st_mode & 0o077 != 0 {
        return Err(ObjectError::Exposed {
            path: path.to_path_buf(),
            mode: ModeBits(st.st_mode),
        });
    }
    Ok(())
}

/// True once the object's last name is gone (`st_nlink == 0`): whoever
/// opens the name now gets another object.
pub fn is_unlinked(file: &impl AsFd) -> io::Result<bool> {
    Ok(rustix::fs::fstat(file)?.st_nlink == 0)
}

/// The object's size now.
pub fn size_of(file: &impl AsFd) -> io::Result<u64> {
    Ok(rustix::fs::fstat(file)?.st_size as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(tag: &str) -> String {
        format!("memlab-unit-object.{}.{tag}.{}", euid(), std::process::id())
    }

    #[test]
    fn created_objects_are_private_reserved_and_published_once() {
        let dir = ShmDir::open().unwrap();
        let name = name("publish");
        let first = dir.create_unnamed(4096).unwrap();
        let st = check_private(&first, Path::new("x")).unwrap();
        assert_eq!(st.st_mode & 0o7777, 0o600);
        assert_eq!(st.st_size, 4096);
        assert!(st.st_blocks > 0, "the storage is reserved");
        assert!(is_unlinked(&first).unwrap(), "no name yet");
        assert!(dir.publish(&first, &name).unwrap());
        assert!(!is_unlinked(&first).unwrap());
        let second = dir.create_unnamed(0).unwrap();
        assert!(!dir.publish(&second, &name).unwrap(), "the name is taken");
        assert!(!dir.remove_if_same(&name, &second).unwrap());
        let opened = dir.open_object(&name).unwrap().expect("published");
        assert_eq!(size_of(&opened).unwrap(), 4096);
        assert!(dir.remove_if_same(&name, &first).unwrap());
        assert!(is_unlinked(&opened).unwrap());
        assert!(dir.open_object(&name).unwrap().is_none());
    }

    #[test]
    fn other_kinds_and_open_modes_are_refused() {
        let dir = ShmDir::open().unwrap();
        let folder = name("folder");
        let path = dir.path_of(&folder);
        std::fs::create_dir(&path).unwrap();
        let err = dir.open_object(&folder).unwrap_err();
        std::fs::remove_dir(&path).unwrap();
        assert!(
            matches!(
                err,
                ObjectError::NameTaken {
                    kind: ObjectKind::Directory,
                    ..
                }
            ),
            "{err}"
        );

        let link = name("link");
        let path = dir.path_of(&link);
        std::os::unix::fs::symlink("/etc/hostname", &path).unwrap();
        let err = dir.open_object(&link).unwrap_err();
        std::fs::remove_file(&path).unwrap();
        assert!(err.to_string().contains("is a symbolic link"), "{err}");

        let open = name("open");
        let path = dir.path_of(&open);
        std::fs::write(&path, b"x").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).unwrap();
        let err = dir.open_object(&open).unwrap_err();
        assert_eq!(std::fs::read(&path).unwrap(), b"x");
        std::fs::remove_file(&path).unwrap();
        assert!(err.to_string().contains("(mode 0666)"), "{err}");
    }
}
