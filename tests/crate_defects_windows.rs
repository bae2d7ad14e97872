//! Proofs, run on Windows (under wine by `.ci/windows/test`), of the defects
//! of `shared_memory` 0.12.4's Windows backend that keep memlab's shared
//! text off it there (memlab makes the book's calls itself:
//! `crates/engine/src/os/windows/shm_object.rs`), each next to memlab's own
//! behaviour. As in `tests/it/crate_defects/`: the `crate_*` tests assert the
//! DEFECT and are meant to fail the day a new version fixes it; then
//! revisit the design, do not "fix" the test.
#![cfg(windows)]

use std::path::PathBuf;

use memlab_engine::os::shm_object::NamedMapping;
use shared_memory::{ShmemConf, ShmemError};

/// Unique across runs too: the crate's files stay in %TEMP% (that is one
/// of its defects), and wine gives out the same small PIDs run after run.
fn unique(tag: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("memlab-defect-{tag}-{}-{nanos}", std::process::id())
}

/// Where the crate keeps its backing files: `%TEMP%\shared_memory-rs`.
fn crate_folder() -> PathBuf {
    std::env::temp_dir().join("shared_memory-rs")
}

fn write(ptr: *mut u8, bytes: &[u8]) {
    // SAFETY: every mapping here is at least 4096 bytes; nothing else
    // references its memory.
    unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), ptr, bytes.len()) };
}

fn read(ptr: *const u8, len: usize) -> Vec<u8> {
    // SAFETY: as above.
    unsafe { std::slice::from_raw_parts(ptr, len) }.to_vec()
}

#[test]
fn crate_cannot_use_a_local_namespace_name() {
    let id = format!("Local\\{}", unique("local"));
    match ShmemConf::new().size(4096).os_id(&id).create() {
        // ERROR_PATH_NOT_FOUND: the id became a path under %TEMP%.
        Err(ShmemError::MapCreateFailed(3)) => {}
        Err(e) => panic!("another error: {e}"),
        Ok(_) => panic!("the defect is gone: a Local\\ name was created"),
    }
}

#[test]
fn memlab_uses_the_book_s_local_name() {
    let name = format!("Local\\{}", unique("memlab-local"));
    let mapping = NamedMapping::create_or_open(&name, 4096).expect("Local\\ works");
    assert!(mapping.created());
}

#[test]
fn crate_backs_its_memory_with_a_file_in_temp() {
    let id = unique("file");
    let shmem = ShmemConf::new().size(4096).os_id(&id).create().unwrap();
    assert!(shmem.is_owner());
    assert!(
        crate_folder().join(&id).is_file(),
        "no file {} while the mapping lives",
        crate_folder().join(&id).display()
    );
}

#[test]
fn crate_create_silently_joins_a_live_object_and_overwrites_it() {
    let id = unique("join");
    let a = ShmemConf::new().size(4096).os_id(&id).create().unwrap();
    let b = ShmemConf::new().os_id(&id).open().unwrap();
    write(b.as_ptr(), b"B was here");
    // The creator leaves while B still holds the object.
    drop(a);
    // A new instance cannot open it any more...
    assert!(matches!(
        ShmemConf::new().os_id(&id).open(),
        Err(ShmemError::MapOpenFailed(_))
    ));
    // ...and its create claims to own a new object, but is B's live one:
    // what it writes as the creator overwrites B's text.
    let c = ShmemConf::new().size(4096).os_id(&id).create().unwrap();
    assert!(c.is_owner(), "create says it made a new object");
    assert_eq!(read(c.as_ptr(), 10), b"B was here", "it joined B's object");
    write(c.as_ptr(), b"C's sample");
    assert_eq!(read(b.as_ptr(), 10), b"C's sample", "B's text is lost");
}

#[test]
fn memlab_tells_a_joiner_by_error_already_exists() {
    let name = format!("Local\\{}", unique("memlab-join"));
    let a = NamedMapping::create_or_open(&name, 4096).unwrap();
    let b = NamedMapping::create_or_open(&name, 4096).unwrap();
    drop(a);
    let c = NamedMapping::create_or_open(&name, 4096).unwrap();
    assert!(!b.created() && !c.created(), "B and C joined A's object");
}

#[test]
fn crate_leaves_a_stale_object_that_blocks_create() {
    let id = unique("stale");
    let a = ShmemConf::new().size(4096).os_id(&id).create().unwrap();
    // As a creator that dies without its drop running (a crash).
    std::mem::forget(a);
    assert!(matches!(
        ShmemConf::new().size(4096).os_id(&id).create(),
        Err(ShmemError::MappingIdExists)
    ));
    assert!(crate_folder().join(&id).is_file(), "its file stays behind");
}
