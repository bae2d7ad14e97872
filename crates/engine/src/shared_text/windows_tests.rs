//! The Windows shared text's own tests: the book's calls under wine (creation
//! and joining, holds, the events that wake waiting instances).

use super::*;

fn unique(tag: &str) -> String {
    format!("test-{tag}-{}", std::process::id())
}

#[test]
fn the_creator_writes_the_sample_and_a_joiner_sees_saves() {
    let name = unique("join");
    let a = SharedText::open(&name).unwrap();
    assert_eq!(a.origin(), &Origin::Created);
    assert_eq!(a.load().unwrap().text, SAMPLE_TEXT);
    let b = SharedText::open(&name).unwrap();
    assert_eq!(b.origin(), &Origin::Joined);
    assert_eq!(b.instance_number(), 2);
    b.save("안녕, Windows").unwrap();
    assert_eq!(a.load().unwrap().text, "안녕, Windows");
    let info = a.info().unwrap();
    let slots: Vec<usize> = info.attached.iter().map(|s| s.index).collect();
    assert_eq!(slots, vec![0, 1]);
    assert_eq!(info.attached[1].pid, Some(std::process::id()));
    assert_eq!(info.path, PathBuf::from(format!("Local\\memlab.{name}")));
    assert_eq!(info.lock, LockState::Free);
}

#[test]
fn the_object_lives_while_any_instance_holds_it() {
    let name = unique("life");
    let a = SharedText::open(&name).unwrap();
    a.save("kept by b").unwrap();
    let b = SharedText::open(&name).unwrap();
    drop(a);
    let c = SharedText::open(&name).unwrap();
    assert_eq!(c.origin(), &Origin::Joined);
    assert_eq!(c.load().unwrap().text, "kept by b");
    drop((b, c));
    let fresh = SharedText::open(&name).unwrap();
    assert_eq!(fresh.origin(), &Origin::Created);
    assert_eq!(fresh.load().unwrap().text, SAMPLE_TEXT);
}

#[test]
fn a_held_lock_makes_others_wait_their_timeout_and_names_the_holder() {
    let name = unique("held");
    let a = SharedText::open(&name).unwrap();
    let mut b = SharedText::open(&name).unwrap();
    b.set_timeout(Duration::from_millis(100));
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        let (held_tx, held_rx) = std::sync::mpsc::channel();
        s.spawn(|| {
            a.hold(Duration::from_secs(30), &stop, move || {
                held_tx.send(()).unwrap()
            })
            .unwrap()
        });
        held_rx.recv().unwrap();
        match b.load() {
            Err(SharedError::LockTimeout { waited_ms, holder }) => {
                assert_eq!(waited_ms, 100);
                assert_eq!(holder.pid(), Some(std::process::id()));
            }
            other => panic!("expected a timeout, got {other:?}"),
        }
        assert!(matches!(b.info().unwrap().lock, LockState::Held { .. }));
        stop.store(true, Ordering::Relaxed);
    });
    assert_eq!(b.load().unwrap().text, SAMPLE_TEXT);
}

/// Waits (an hour: only a wake ends it within the deadline) for
/// activity on `shared` in a thread, does `act`, and gives `shared`
/// back once the waiter woke. Any set left of this instance's event is
/// taken first, so only `act` can wake it.
fn woken_by(shared: SharedText, act: impl FnOnce()) -> SharedText {
    while shared.changed.wait(Duration::ZERO).unwrap() {}
    let seen = shared.activity().unwrap();
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let waiter = std::thread::spawn(move || {
        let bell = Doorbell::new();
        let waited = shared.wait_for_activity(&seen, &bell, bell.rung(), Duration::from_secs(3600));
        done_tx.send(waited).unwrap();
        shared
    });
    // Set before the waiter's wait or during it: either way it wakes.
    act();
    let waited = done_rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the change woke the waiter");
    assert!(waited, "it could wait");
    waiter.join().unwrap()
}

#[test]
fn the_info_waiter_is_woken_by_a_hold_an_arrival_and_a_departure() {
    let name = unique("activity");
    let a = SharedText::open(&name).unwrap();
    let b = std::sync::Arc::new(SharedText::open(&name).unwrap());

    // A hold: woken when it takes the lock, and again when it gives it back.
    let release = std::sync::Arc::new(AtomicBool::new(false));
    let mut holder = None;
    let a = woken_by(a, || {
        let (held_tx, held_rx) = std::sync::mpsc::channel();
        let (b, release) = (b.clone(), release.clone());
        holder = Some(std::thread::spawn(move || {
            b.hold(Duration::from_secs(3600), &release, || {
                held_tx.send(()).unwrap();
            })
            .unwrap()
        }));
        held_rx.recv().unwrap();
    });
    assert!(matches!(a.info().unwrap().lock, LockState::Held { .. }));
    let a = woken_by(a, || {
        release.store(true, Ordering::Relaxed);
        holder.take().unwrap().join().unwrap();
    });
    assert_eq!(a.info().unwrap().lock, LockState::Free);

    // An instance arriving, then leaving.
    let mut c = None;
    let a = woken_by(a, || c = Some(SharedText::open(&name).unwrap()));
    assert_eq!(a.info().unwrap().attached.len(), 3);
    let a = woken_by(a, || drop(c.take()));
    // Its slot is free once the drop returned.
    assert_eq!(a.info().unwrap().attached.len(), 2);
    drop((a, b));
}

/// A ring of the bell ends a wait for a change at once, though nothing
/// changed and the wait was for an hour.
#[test]
fn a_ring_ends_a_wait_for_a_change_at_once() {
    let a = std::sync::Arc::new(SharedText::open(&unique("rung")).unwrap());
    while a.changed.wait(Duration::ZERO).unwrap() {}
    let bell = std::sync::Arc::new(Doorbell::new());
    let seen = a.change_counter().unwrap();
    let rung = bell.rung();
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let waiter = {
        let (a, bell) = (a.clone(), bell.clone());
        std::thread::spawn(move || {
            let waited = a.wait_for_change_or_rung(seen, &bell, rung, Duration::from_secs(3600));
            done_tx.send(waited).unwrap();
        })
    };
    bell.ring();
    assert!(
        done_rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the ring ended the wait")
    );
    waiter.join().unwrap();
    assert_eq!(a.change_counter(), Some(seen), "nothing changed");
}

#[test]
fn names_with_a_backslash_are_refused_and_files_are_not_ported() {
    for bad in ["a\\b", "Local\\a\\b", "Local\\", "Session\\1\\x"] {
        assert!(
            matches!(SharedText::open(bad), Err(SharedError::BadName { .. })),
            "{bad:?} was accepted"
        );
    }
    assert!(matches!(
        SharedText::open_file(std::path::Path::new("C:\\x.bin")),
        Err(SharedError::FileNotOnWindowsYet)
    ));
}
