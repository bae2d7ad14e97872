//! The shared string kept in a file instead of shared memory.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use super::*;
use crate::os::shm_object::{IoOp, ObjectError};

/// A private folder of this test's own under the temporary directory,
/// removed when dropped.
struct Folder(PathBuf);

impl Folder {
    fn new(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("memlab-unit-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir(&dir).unwrap();
        Self(dir)
    }

    fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Folder {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

#[test]
fn a_file_backing_keeps_the_string_after_every_instance_leaves() {
    let folder = Folder::new("file-keeps");
    let path = folder.file("text.mmf");
    let a = SharedText::open_file(&path).unwrap();
    assert_eq!(a.origin(), &Origin::Created);
    assert_eq!(a.backing(), &Backing::file(&path));
    assert_eq!(mode(&path), 0o600, "created owner-only");
    let b = SharedText::open_file(&path).unwrap();
    assert_eq!(b.origin(), &Origin::Joined);
    a.save("파일에 남는 문자열").unwrap();
    assert_eq!(b.load().unwrap().text, "파일에 남는 문자열");
    let info = b.info().unwrap();
    assert_eq!(info.path, path);
    assert_eq!(info.os_object, format!("file {}", path.display()));
    drop((a, b));
    assert!(path.exists(), "the last to leave keeps a file");
    let c = SharedText::open_file(&path).unwrap();
    assert_eq!(c.origin(), &Origin::OpenedFile);
    assert_eq!(c.load().unwrap().text, "파일에 남는 문자열");
    drop(c);
    assert_eq!(std::fs::metadata(&path).unwrap().len(), MAPPING_SIZE as u64);
}

#[test]
fn a_file_of_something_else_is_refused_and_left_as_it_is() {
    let folder = Folder::new("file-foreign");
    let path = folder.file("notes.txt");
    let words = "my own notes, not memlab's ".repeat(40);
    std::fs::write(&path, &words).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let err = SharedText::open_file(&path).unwrap_err();
    assert!(
        matches!(
            err,
            SharedError::ForeignFile {
                reason: CorruptReason::BadMagic(_),
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("is not a shared text file of memlab")
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), words, "untouched");
    let short = folder.file("short.txt");
    std::fs::write(&short, "hi").unwrap();
    std::fs::set_permissions(&short, std::fs::Permissions::from_mode(0o600)).unwrap();
    let err = SharedText::open_file(&short).unwrap_err();
    assert!(matches!(err, SharedError::ForeignFile { .. }), "{err}");
    assert_eq!(std::fs::read(&short).unwrap(), b"hi");
}

#[test]
fn an_empty_private_file_is_initialised_and_an_open_one_refused() {
    let folder = Folder::new("file-empty");
    let path = folder.file("empty.mmf");
    std::fs::write(&path, "").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let err = SharedText::open_file(&path).unwrap_err();
    assert!(
        matches!(err, SharedError::Object(ObjectError::Exposed { .. })),
        "{err}"
    );
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 0, "untouched");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let a = SharedText::open_file(&path).unwrap();
    assert_eq!(a.origin(), &Origin::Created);
    assert_eq!(a.load().unwrap().text, SAMPLE_TEXT);
}

#[test]
fn links_and_bad_paths_are_refused() {
    let folder = Folder::new("file-links");
    let target = folder.file("target.mmf");
    drop(SharedText::open_file(&target).unwrap());
    let link = folder.file("link.mmf");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let err = SharedText::open_file(&link).unwrap_err();
    assert!(err.to_string().contains("is a symbolic link"), "{err}");
    for bad in ["", "/", "dir/", "dir/.", "..", "a/\u{7}"] {
        let err = SharedText::open_file(Path::new(bad)).unwrap_err();
        assert!(matches!(err, SharedError::BadPath { .. }), "{bad:?}: {err}");
    }
    let missing = folder.file("no-such-folder/x.mmf");
    let err = SharedText::open_file(&missing).unwrap_err();
    assert!(
        matches!(
            err,
            SharedError::Object(ObjectError::Io {
                op: IoOp::OpenFolder,
                ..
            })
        ),
        "{err}"
    );
}

#[test]
fn a_truncated_file_is_reported_never_a_signal_and_reset_repairs_it() {
    let folder = Folder::new("file-truncated");
    let path = folder.file("t.mmf");
    let a = SharedText::open_file(&path).unwrap();
    a.save("before").unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(100)
        .unwrap();
    assert!(matches!(
        a.load().unwrap_err(),
        SharedError::Corrupt {
            reason: CorruptReason::TooSmall { size: 100, .. },
            ..
        }
    ));
    assert!(a.save("x").is_err());
    drop(a);
    // Still memlab's (its magic is there): opened, not refused, not rewritten.
    let b = SharedText::open_file(&path).unwrap();
    assert_eq!(b.origin(), &Origin::OpenedFile);
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 100);
    b.reset().unwrap();
    assert_eq!(b.load().unwrap().text, SAMPLE_TEXT);
}
