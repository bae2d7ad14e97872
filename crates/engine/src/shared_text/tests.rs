use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::Arc;
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
    watch(
        &a,
        Duration::from_millis(1),
        &crate::os::Doorbell::new(),
        |event| {
            if let Some(event) = event {
                events.push(event);
            }
            if events.len() < 2 {
                ControlFlow::Continue(())
            } else {
                ControlFlow::Break(())
            }
        },
    );
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

/// A counter that comes back to a value the watch saw does not hide a new
/// save: reset after the object was cut to nothing starts again at 1, so
/// the next save has the counter of the save seen before it.
#[test]
fn a_watch_sees_a_save_whose_counter_came_back() {
    let name = unique("watch-counter-back");
    let a = SharedText::open(&name).unwrap();
    let b = SharedText::open(&name).unwrap();
    let mut state = Watch::new();
    assert!(matches!(state.poll(&a), Some(WatchEvent::Value(_))));
    let saved = b.save("first").unwrap();
    assert!(matches!(state.poll(&a), Some(WatchEvent::Value(l)) if l.text == "first"));
    // A later millisecond for the next write (the stamp's time is in ms).
    let first_at = crate::os::clock::now_unix_ms();
    while crate::os::clock::now_unix_ms() <= first_at {
        std::thread::yield_now();
    }
    std::fs::OpenOptions::new()
        .write(true)
        .open(object_path(&name))
        .unwrap()
        .set_len(0)
        .unwrap();
    b.reset().unwrap();
    let again = b.save("second").unwrap();
    assert_eq!(
        again.change_counter, saved.change_counter,
        "the counter came back"
    );
    assert!(
        matches!(state.poll(&a), Some(WatchEvent::Value(l)) if l.text == "second"),
        "the watch must see the new save"
    );
}

/// The state letter of thread `tid` of this process (`S`: sleeping).
fn thread_state(tid: i32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/self/task/{tid}/stat")).ok()?;
    stat[stat.rfind(')')? + 2..].chars().next()
}

#[test]
fn a_save_wakes_a_waiting_instance_long_before_its_timeout() {
    let name = unique("wake");
    let a = SharedText::open(&name).unwrap();
    let b = SharedText::open(&name).unwrap();
    let seen = a.change_counter().unwrap();
    let (tid_tx, tid_rx) = std::sync::mpsc::channel();
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let waiter = std::thread::spawn(move || {
        tid_tx
            .send(rustix::thread::gettid().as_raw_nonzero().get())
            .unwrap();
        // An hour: only a wake ends it within the test's deadline.
        let waited = a.wait_for_change(seen, Duration::from_secs(3600));
        done_tx.send(waited).unwrap();
        a
    });
    let tid = tid_rx.recv().unwrap();
    // Asleep in its wait (a save before it would end the wait at once,
    // which proves less but is no failure).
    let deadline = Instant::now() + Duration::from_secs(30);
    while thread_state(tid) != Some('S') && Instant::now() < deadline {
        std::thread::yield_now();
    }
    b.save("wake up").unwrap();
    let waited = done_rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the save woke the waiter");
    assert!(waited, "it could wait on the object");
    let a = waiter.join().unwrap();
    assert_ne!(a.change_counter(), Some(seen));
    // Already moved: no wait at all.
    assert!(a.wait_for_change(seen, Duration::from_secs(3600)));
}

#[test]
fn a_truncated_object_cannot_be_waited_on_and_that_is_no_signal() {
    let name = unique("wait-truncated");
    let a = SharedText::open(&name).unwrap();
    let seen = a.change_counter().unwrap();
    let object = std::fs::OpenOptions::new()
        .write(true)
        .open(object_path(&name))
        .unwrap();
    // No page under the counter: the kernel says EFAULT, never SIGBUS.
    object.set_len(0).unwrap();
    assert!(!a.wait_for_change(seen, Duration::from_secs(3600)));
    // A watch over it polls instead, and says what is wrong once.
    let mut events = Vec::new();
    let mut looks = 0;
    watch(&a, WATCH_LIVENESS, &crate::os::Doorbell::new(), |event| {
        looks += 1;
        events.extend(event);
        if looks < 3 {
            ControlFlow::Continue(())
        } else {
            ControlFlow::Break(())
        }
    });
    assert!(
        matches!(
            events[..],
            [WatchEvent::Failed(SharedError::Corrupt {
                reason: CorruptReason::TooSmall { .. },
                ..
            })]
        ),
        "{events:?}"
    );
    // Repaired, it can be waited on again (a wait that times out).
    a.reset().unwrap();
    let now = a.change_counter().unwrap();
    assert!(a.wait_for_change(now, Duration::from_millis(10)));
    assert_eq!(a.load().unwrap().text, SAMPLE_TEXT);
}

/// Waits (an hour: only a wake ends it within the test's deadlines) for
/// activity on `shared` in a thread, once it is asleep does `act`, and
/// gives back what the waiter saw changed.
fn woken_by(shared: SharedText, act: impl FnOnce()) -> (SharedText, Activity, Activity) {
    let seen = shared.activity().expect("a whole object");
    let (tid_tx, tid_rx) = std::sync::mpsc::channel();
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let waiter = {
        let seen = seen.clone();
        std::thread::spawn(move || {
            tid_tx
                .send(rustix::thread::gettid().as_raw_nonzero().get())
                .unwrap();
            let bell = crate::os::Doorbell::new();
            let waited =
                shared.wait_for_activity(&seen, &bell, bell.rung(), Duration::from_secs(3600));
            done_tx.send(waited).unwrap();
            shared
        })
    };
    let tid = tid_rx.recv().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while thread_state(tid) != Some('S') && Instant::now() < deadline {
        std::thread::yield_now();
    }
    act();
    let waited = done_rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the change woke the waiter");
    assert!(waited, "it could wait on the object");
    let shared = waiter.join().unwrap();
    let now = shared.activity().expect("a whole object");
    (shared, seen, now)
}

#[test]
fn the_info_waiter_is_woken_by_a_hold_an_arrival_and_a_departure() {
    let name = unique("activity");
    let a = SharedText::open(&name).unwrap();
    let b = SharedText::open(&name).unwrap();

    // A hold: woken when it takes the lock, and again when it gives it back.
    let release = Arc::new(AtomicBool::new(false));
    let mut holder = None;
    let (a, before, now) = woken_by(a, || {
        let (held_tx, held_rx) = std::sync::mpsc::channel();
        let release = release.clone();
        holder = Some(std::thread::spawn(move || {
            b.hold(Duration::from_secs(3600), &release, || {
                held_tx.send(()).unwrap();
            })
            .unwrap();
            b
        }));
        held_rx.recv().unwrap();
    });
    assert_ne!(before, now, "the holder was recorded");
    assert!(matches!(a.info().unwrap().lock, LockState::Held { .. }));
    let (a, before, now) = woken_by(a, || release.store(true, Ordering::Relaxed));
    assert_ne!(before, now, "the record was cleared");
    let b = holder.unwrap().join().unwrap();
    assert!(matches!(a.info().unwrap().lock, LockState::Free));

    // An instance arriving, then leaving.
    let mut c = None;
    let (a, before, now) = woken_by(a, || c = Some(SharedText::open(&name).unwrap()));
    assert_ne!(before, now, "its PID was written");
    assert_eq!(a.info().unwrap().attached.len(), 3);
    let (a, before, now) = woken_by(a, || drop(c.take()));
    assert_ne!(before, now, "its PID was cleared");
    // Its slot is free once the drop returned.
    assert_eq!(a.info().unwrap().attached.len(), 2);
    drop((a, b));
}
