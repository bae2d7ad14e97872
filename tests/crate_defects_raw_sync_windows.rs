//! Proofs, run on Windows (under wine by `.ci/windows/test`), of raw_sync
//! 0.1.5's defects on Windows, which memlab's mutex lab designs around
//! (`crates/engine/src/mutex/windows/`). As in `tests/it/crate_defects/`:
//! the `crate_*` tests assert the DEFECT and are meant to fail the day a
//! new version fixes it; then revisit the design, do not "fix" the test.
//! memlab's own behaviour next to them (the panic caught, the previous
//! owner's death reported) is tested with real processes in
//! `tests/windows_labs.rs`.
#![cfg(windows)]

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

use raw_sync::Timeout;
use raw_sync::locks::{LockInit, Mutex};

/// Room for raw_sync's mutex id (a u32) and its data pointer.
#[repr(C, align(8))]
struct Memory([u8; 64]);

#[test]
fn crate_wait_panics_on_wait_abandoned() {
    let mut memory = Memory([0; 64]);
    let mem = memory.0.as_mut_ptr();
    // SAFETY: 64 bytes of our own, alive for the whole test; raw_sync
    // writes its 4-byte id at `mem`.
    let (mutex, _) = unsafe { Mutex::new(mem, mem.wrapping_add(32)) }.expect("made");
    let address = mem as usize;
    // A thread takes it and ends without releasing it: Windows abandons it.
    std::thread::spawn(move || {
        let mem = address as *mut u8;
        // SAFETY: the same memory, which outlives this thread (joined below).
        let (mine, _) = unsafe { Mutex::from_existing(mem, mem.wrapping_add(32)) }.expect("opened");
        std::mem::forget(mine.lock().expect("free"));
        // `mine` (the handle) is closed; the thread ends owning the mutex.
    })
    .join()
    .unwrap();
    let waited = catch_unwind(AssertUnwindSafe(|| {
        mutex
            .try_lock(Timeout::Val(Duration::from_secs(5)))
            .map(std::mem::forget)
    }));
    let payload = waited.expect_err("the defect is gone: WAIT_ABANDONED did not panic");
    let message = payload
        .downcast_ref::<&str>()
        .copied()
        .or(payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or_default();
    assert!(message.contains("poisened"), "another panic: {message}");
    // The panicking wait had made this thread the owner.
    mutex
        .release()
        .expect("this thread owns it after the panic");
}

#[test]
fn crate_mutex_dies_with_its_creator_s_handle_though_its_number_stays() {
    let mut memory = Memory([0; 64]);
    let mem = memory.0.as_mut_ptr();
    // SAFETY: as above.
    let (made, _) = unsafe { Mutex::new(mem, mem.wrapping_add(32)) }.expect("made");
    drop(made);
    // SAFETY: as above; the id raw_sync wrote is still there.
    let opened = unsafe { Mutex::from_existing(mem, mem.wrapping_add(32)) };
    let error = opened
        .err()
        .expect("the defect is gone: the mutex outlived its last handle");
    assert!(
        error.to_string().contains("Failed to open mutex"),
        "{error}"
    );
}
