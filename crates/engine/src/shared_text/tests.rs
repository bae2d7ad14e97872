use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use super::*;
use crate::os::shm_object;

fn unique(tag: &str) -> String {
    format!("unit-{tag}-{}", std::process::id())
}

fn object_path(name: &str) -> PathBuf {
    shm_object::objects_folder().join(object_file_name(name))
}

#[test]
fn fits_on_a_character_boundary() {
    let hangul = "가".repeat(40); // 3 bytes each: 120 bytes
    let fitted = fit_to_capacity(&hangul);
    assert_eq!(fitted.len(), 99);
    assert_eq!(fitted.chars().count(), 33);
    assert_eq!(fit_to_capacity("short"), "short");
    assert_eq!(fit_to_capacity(&"a".repeat(100)).len(), 100);
}

#[test]
fn creator_writes_the_sample_and_saves_round_trip() {
    let name = unique("roundtrip");
    let a = SharedText::open(&name).unwrap();
    assert_eq!(a.origin(), &Origin::Created);
    assert_eq!(a.load().unwrap().text, SAMPLE_TEXT);
    let b = SharedText::open(&name).unwrap();
    assert_eq!(b.origin(), &Origin::Joined);
    let saved = a.save("안녕하세요, memlab").unwrap();
    assert_eq!(saved.truncated_from, None);
    let loaded = b.load().unwrap();
    assert_eq!(loaded.text, "안녕하세요, memlab");
    assert!(!loaded.lossy);
    assert_eq!(loaded.change_counter, saved.change_counter);
}

#[test]
fn long_save_is_cut_and_reported() {
    let name = unique("cut");
    let a = SharedText::open(&name).unwrap();
    let long = "한".repeat(50);
    let saved = a.save(&long).unwrap();
    assert_eq!(saved.stored, "한".repeat(33));
    assert_eq!(saved.truncated_from, Some(150));
    assert_eq!(a.load().unwrap().text, "한".repeat(33));
    assert!(matches!(
        a.save("a\0b").unwrap_err(),
        SharedError::NulInText
    ));
    assert_eq!(
        a.load().unwrap().text,
        "한".repeat(33),
        "a refused save loses nothing"
    );
}

#[test]
fn last_to_leave_removes_the_object_and_creator_leaving_does_not() {
    let name = unique("leave");
    let path = object_path(&name);
    let a = SharedText::open(&name).unwrap();
    let b = SharedText::open(&name).unwrap();
    b.save("kept").unwrap();
    drop(a);
    assert!(
        path.exists(),
        "the creator leaving must not remove the object"
    );
    let c = SharedText::open(&name).unwrap();
    assert_eq!(c.origin(), &Origin::Joined);
    assert_eq!(c.load().unwrap().text, "kept");
    drop((b, c));
    assert!(!path.exists(), "the last to leave removes the object");
}

#[test]
fn info_reports_instances_and_lock() {
    let name = unique("info");
    let a = SharedText::open(&name).unwrap();
    let b = SharedText::open(&name).unwrap();
    let info = a.info().unwrap();
    let me = Some(std::process::id());
    let confirmed = |index| Attached {
        index,
        pid: me,
        claimed_pid: None,
    };
    assert_eq!(info.attached, vec![confirmed(0), confirmed(1)]);
    assert_eq!(info.size, MAPPING_SIZE as u64);
    assert_eq!(info.lock, LockState::Free);
    assert_eq!(info.problem, None);
    assert!(!info.removed);
    assert_eq!(info.path, object_path(&name));
    assert_eq!(info.bytes.len(), MAPPING_SIZE);
    let stop = AtomicBool::new(false);
    let before_hold = Instant::now();
    std::thread::scope(|s| {
        // The holder says when it holds the lock and keeps it until told to
        // stop: what follows does not depend on how fast either thread runs.
        let (held_tx, held_rx) = std::sync::mpsc::channel();
        let stop = &stop;
        let holder = s.spawn(move || {
            b.hold(Duration::from_secs(600), stop, move || {
                held_tx.send(()).unwrap()
            })
        });
        held_rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the holder takes the lock");
        let lock = a.info().unwrap().lock;
        let since_before_hold = before_hold.elapsed();
        match lock {
            LockState::Held {
                holder,
                held_ms: Some(held_ms),
            } => {
                assert_eq!(holder.pid(), Some(std::process::id()));
                // Taken after `before_hold`, read before `since_before_hold`
                // (+2 ms: both ends are whole milliseconds of the wall clock).
                assert!(
                    u128::from(held_ms) <= since_before_hold.as_millis() + 2,
                    "held for {held_ms} ms, but taken less than {since_before_hold:?} ago"
                );
            }
            other => panic!("expected held since a known time, got {other:?}"),
        }
        let err = {
            let mut t = SharedText::open(&name).unwrap();
            t.set_timeout(Duration::from_millis(50));
            t.load().unwrap_err()
        };
        assert!(matches!(err, SharedError::LockTimeout { .. }), "{err}");
        assert!(err.to_string().contains("held by PID"), "{err}");
        stop.store(true, Ordering::Relaxed);
        holder.join().unwrap().unwrap();
    });
}

#[test]
fn a_truncated_object_is_an_error_never_a_signal_and_reset_repairs_it() {
    let name = unique("truncated");
    let a = SharedText::open(&name).unwrap();
    a.save("before").unwrap();
    let object = std::fs::OpenOptions::new()
        .write(true)
        .open(object_path(&name))
        .unwrap();
    for size in [0, 10, 300] {
        object.set_len(size).unwrap();
        let err = a.load().unwrap_err();
        assert!(
            matches!(
                err,
                SharedError::Corrupt {
                    reason: CorruptReason::TooSmall { .. },
                    ..
                }
            ),
            "{size}: {err}"
        );
        assert!(a.save("x").is_err());
        assert_eq!(a.change_counter().is_some(), size >= 24);
        let info = a.info().unwrap();
        assert_eq!(info.size, size);
        assert!(matches!(info.problem, Some(CorruptReason::TooSmall { .. })));
    }
    a.reset().unwrap();
    assert_eq!(a.load().unwrap().text, SAMPLE_TEXT);
    a.save("after").unwrap();
    assert_eq!(a.load().unwrap().text, "after");
}

#[test]
fn a_removed_object_is_noticed_and_left_alone() {
    let name = unique("removed");
    let a = SharedText::open(&name).unwrap();
    std::fs::remove_file(object_path(&name)).unwrap();
    assert!(a.removed().unwrap());
    assert!(a.info().unwrap().removed);
    let mut events = Vec::new();
    watch(&a, Duration::from_millis(1), |event| {
        if let Some(event) = event {
            events.push(event);
        }
        if events.len() < 2 {
            ControlFlow::Continue(())
        } else {
            ControlFlow::Break(())
        }
    });
    assert!(matches!(events[0], WatchEvent::Removed), "{events:?}");
    assert!(matches!(events[1], WatchEvent::Value(_)), "{events:?}");
    // A newcomer gets a new object; the orphan leaving must not remove it.
    let b = SharedText::open(&name).unwrap();
    assert_eq!(b.origin(), &Origin::Created);
    drop(a);
    assert!(object_path(&name).exists());
    drop(b);
    assert!(!object_path(&name).exists());
}

#[test]
fn a_watch_sees_each_save_once() {
    let name = unique("watch");
    let a = SharedText::open(&name).unwrap();
    let b = SharedText::open(&name).unwrap();
    let mut state = Watch::new();
    assert!(matches!(state.poll(&a), Some(WatchEvent::Value(l)) if l.text == SAMPLE_TEXT));
    assert!(state.poll(&a).is_none(), "nothing moved");
    b.save("moved").unwrap();
    assert!(matches!(state.poll(&a), Some(WatchEvent::Value(l)) if l.text == "moved"));
    assert!(state.poll(&a).is_none());
}
