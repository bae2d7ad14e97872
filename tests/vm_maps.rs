//! The address-space map of this very process: memlab's own objects found
//! by name (the shared text mapping, the private heap, page lab
//! reservations, a thread's stack, the bundled font), the free gaps and
//! totals adding up, and the diff between two snapshots.

// Linux only, for now: the Windows suite is tests/windows.rs (docs/windows.md).
#![cfg(target_os = "linux")]

mod common;

use std::alloc::Layout;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use memlab_engine::alloc::dispatcher;
use memlab_engine::shared_text::SharedText;
use memlab_engine::vm::maps::{self, Field, Landmarks, MapError, Owner, RegionType, Snapshot};
use memlab_engine::vm::pages::PageLab;

fn take() -> Snapshot {
    Snapshot::take(Landmarks {
        font: Some(memlab::fonts::bundled_font()),
    })
    .expect("read /proc/self/smaps")
}

/// Removes the shared mapping's object, whatever happens.
struct Cleanup(String);

impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(common::object_path(&self.0));
    }
}

#[test]
fn the_shared_text_mapping_is_found_by_name() {
    let name = common::unique("vm-map");
    let _cleanup = Cleanup(name.clone());
    let shared = SharedText::open(&name).expect("open the shared text");
    let snapshot = take();
    let path = common::object_path(&name);
    let found: Vec<_> = snapshot
        .regions
        .iter()
        .filter(|r| r.owner == Some(Owner::SharedText { name: name.clone() }))
        .collect();
    assert_eq!(found.len(), 1, "{found:?}");
    let r = found[0];
    assert_eq!(r.path, path.to_string_lossy());
    assert_eq!(
        (r.kind, r.protection.as_str()),
        (RegionType::Shareable, "rw-s")
    );
    drop(shared);
    let after = take();
    let diff = maps::diff(&snapshot, &after);
    assert!(diff.vanished.iter().any(|v| v.start == r.start), "{diff:?}");
}

#[test]
fn the_private_heap_is_found_by_name() {
    let heap = dispatcher().heap();
    let layout = Layout::from_size_align(64 << 10, 16).unwrap();
    // SAFETY: a non-zero layout; the block is freed below with the same layout.
    let block = unsafe { heap.alloc(layout) };
    assert!(!block.is_null());
    let (start, len) = heap.reservation().expect("the heap reserved its range");
    let snapshot = take();
    let parts: Vec<_> = snapshot
        .regions
        .iter()
        .filter(|r| {
            r.owner
                == Some(Owner::Manager {
                    name: "private heap (talc)",
                })
        })
        .collect();
    // A committed part (read-write) and the rest still reserved, all "heap".
    assert!(
        parts.iter().all(|r| r.kind == RegionType::Heap),
        "{parts:?}"
    );
    assert!(
        parts
            .iter()
            .any(|r| r.protection == "rw-p" && r.committed > 0)
    );
    assert!(
        parts
            .iter()
            .any(|r| r.protection == "---p" && r.committed == 0)
    );
    assert_eq!(parts.iter().map(|r| r.size).sum::<u64>(), len as u64);
    assert_eq!(parts[0].start, start as u64);
    // SAFETY: allocated above from this heap with `layout`.
    unsafe { heap.dealloc(block, layout) };
}

#[test]
fn a_new_reservation_appears_in_the_diff_and_vanishes_on_release() {
    let before = take();
    let mut lab = PageLab::new();
    let id = lab.reserve(64).unwrap();
    let base = lab.get(id).unwrap().base() as u64;
    let after = take();
    let diff = maps::diff(&before, &after);
    let new = diff
        .appeared
        .iter()
        .find(|r| r.start == base)
        .expect("the reservation appeared");
    assert_eq!(new.owner, Some(Owner::PageLab { id, pages: 64 }));
    assert_eq!(
        (new.kind, new.size, new.committed, new.charged),
        (RegionType::Reserved, 64 * 4096, 0, false)
    );
    // Committing half splits the region: it changes and a new one appears.
    lab.commit(id, 0..32).unwrap();
    let committed = take();
    let diff = maps::diff(&after, &committed);
    let changed = diff
        .changed
        .iter()
        .find(|c| c.after.start == base)
        .expect("the reservation changed");
    assert!(changed.fields.contains(&Field::Size));
    assert!(changed.fields.contains(&Field::Type), "{changed:?}");
    assert_eq!(changed.after.kind, RegionType::PrivateData);
    assert!(changed.after.charged);
    assert!(diff.appeared.iter().any(|r| r.start == base + 32 * 4096));
    lab.release(id).unwrap();
    let gone = maps::diff(&committed, &take());
    assert!(gone.vanished.iter().any(|r| r.start == base));
    assert!(gone.vanished.iter().any(|r| r.start == base + 32 * 4096));
    let same = maps::diff(&committed, &committed);
    assert!(same.is_empty());
}

#[test]
fn a_blocked_threads_stack_and_the_bundled_font_are_named() {
    let (tx, rx) = mpsc::channel::<()>();
    let (ready_tx, ready_rx) = mpsc::channel::<usize>();
    let worker = std::thread::Builder::new()
        .name("vm-map-stack".into())
        .spawn(move || {
            let local = 0u8;
            ready_tx.send(&raw const local as usize).unwrap();
            rx.recv().ok();
        })
        .unwrap();
    let local = ready_rx.recv().unwrap() as u64;
    // Its stack pointer shows once it blocks in the kernel (soon after
    // sending; a loaded machine may take a while to get it there).
    let deadline = Instant::now() + Duration::from_secs(5);
    let snapshot = loop {
        let snapshot = take();
        let r = snapshot
            .region_at(local)
            .expect("the thread's stack is mapped");
        if r.owner.is_some() || Instant::now() > deadline {
            break snapshot;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let r = snapshot.region_at(local).unwrap();
    assert_eq!(r.kind, RegionType::Stack, "{r:?}");
    assert!(
        matches!(&r.owner, Some(Owner::ThreadStack { thread, .. }) if thread == "vm-map-stack"),
        "{r:?}"
    );
    tx.send(()).unwrap();
    worker.join().unwrap();

    let font = memlab::fonts::bundled_font();
    let r = snapshot
        .region_at(font.as_ptr() as u64)
        .expect("the font lies in a mapping");
    assert_eq!(r.kind, RegionType::Image, "{r:?}");
    assert_eq!(
        r.owner,
        Some(Owner::BundledFont {
            offset: font.as_ptr() as u64 - r.start,
            len: font.len() as u64
        })
    );
    let exe = std::fs::read_link("/proc/self/exe").unwrap();
    assert_eq!(r.path, exe.to_string_lossy());
}

#[test]
fn regions_cover_user_space_and_totals_add_up() {
    let s = take();
    let user: Vec<_> = s
        .regions
        .iter()
        .filter(|r| r.start <= s.highest_address)
        .collect();
    assert_eq!(user[0].start, s.lowest_address);
    for pair in user.windows(2) {
        assert_eq!(pair[0].end(), pair[1].start, "{:?} {:?}", pair[0], pair[1]);
        assert!(
            !(pair[0].kind == RegionType::Free && pair[1].kind == RegionType::Free),
            "two free gaps in a row"
        );
    }
    assert_eq!(user.last().unwrap().end(), s.highest_address + 1);
    // Every mapping of /proc/self/maps is a region: counted before and
    // after a snapshot, until no other test thread mapped or unmapped
    // anything meanwhile.
    let maps_lines = || {
        std::fs::read_to_string("/proc/self/maps")
            .unwrap()
            .lines()
            .count()
    };
    let used = |s: &Snapshot| {
        s.regions
            .iter()
            .filter(|r| r.kind != RegionType::Free)
            .count()
    };
    let counts: Vec<_> = (0..20)
        .map(|_| {
            let before = maps_lines();
            let snapshot = take();
            (before, used(&snapshot), maps_lines())
        })
        .collect();
    assert!(
        counts.iter().any(|&(a, b, c)| a == b && b == c),
        "/proc/self/maps lines vs regions: {counts:?}"
    );
    for t in &s.totals {
        let of: Vec<_> = s.regions.iter().filter(|r| r.kind == t.kind).collect();
        assert_eq!(t.blocks, of.len());
        assert_eq!(t.size, of.iter().map(|r| r.size).sum::<u64>());
        assert_eq!(t.resident, of.iter().map(|r| r.resident).sum::<u64>());
        assert_eq!(t.largest, of.iter().map(|r| r.size).max().unwrap_or(0));
        assert!(t.committed <= t.size && t.private <= t.resident + t.size);
    }
    let free = s.total(RegionType::Free);
    assert_eq!(s.largest_free, free.largest);
    assert_eq!(
        user.iter().map(|r| r.size).sum::<u64>(),
        s.highest_address + 1 - s.lowest_address
    );
    for kind in [
        RegionType::Image,
        RegionType::Stack,
        RegionType::PrivateData,
    ] {
        assert!(s.total(kind).blocks > 0, "{kind:?}");
    }
    let json = serde_json::to_value(&s).unwrap();
    let first = &json["regions"][0];
    for key in ["start", "size", "type", "path"] {
        assert!(!first[key].is_null(), "{key} in {first}");
    }
}

#[test]
fn glibc_malloc_arenas_are_named_by_their_shape() {
    // A small block from a thread of its own comes from a per-thread arena
    // (the main thread's arena is the brk [heap]; libtest's test threads
    // get arenas of their own, up to 8 per core).
    let (tx, rx) = mpsc::channel::<usize>();
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let worker = std::thread::spawn(move || {
        // SAFETY: a plain malloc of 1000 bytes, freed below by this thread.
        let p = unsafe { libc::malloc(1000) };
        assert!(!p.is_null());
        tx.send(p as usize).unwrap();
        done_rx.recv().ok();
        // SAFETY: allocated above by this thread, freed once.
        unsafe { libc::free(p) };
    });
    let block = rx.recv().unwrap() as u64;
    let snapshot = take();
    done_tx.send(()).unwrap();
    worker.join().unwrap();
    let r = snapshot.region_at(block).expect("the block is mapped");
    assert_eq!(
        (r.kind, r.owner.clone()),
        (RegionType::Heap, Some(Owner::MallocArena)),
        "{r:?}"
    );
    // The arena's heap: 64 MiB from a 64 MiB boundary, committed at its start.
    let heap: Vec<_> = snapshot
        .regions
        .iter()
        .filter(|x| x.owner == Some(Owner::MallocArena))
        .filter(|x| x.start >= r.start & !((64 << 20) - 1) && x.start < r.start + (64 << 20))
        .collect();
    let start = heap[0].start;
    assert_eq!(start % (64 << 20), 0, "{heap:?}");
    assert_eq!(heap[0].protection, "rw-p");
    assert!(heap.iter().map(|x| x.end()).max().unwrap() >= start + (64 << 20));
}

#[test]
fn another_process_of_this_account_is_mapped_and_others_are_refused() {
    // A memlab process with the shared text mapped: the map of it names it.
    let name = common::unique("vm-map-other");
    let _cleanup = Cleanup(name.clone());
    let holder = common::Running::shared(&name, &["hold", "--seconds", "30"]);
    let line = holder.line(Duration::from_secs(20)).expect("holder holds");
    assert!(line.starts_with("holding"), "{line}");
    let snapshot = Snapshot::take_of(holder.pid(), Landmarks::default()).expect("its map");
    assert_eq!(snapshot.pid, holder.pid());
    let shared = snapshot
        .regions
        .iter()
        .find(|r| r.owner == Some(Owner::SharedText { name: name.clone() }))
        .expect("its shared text mapping is named");
    assert_eq!(shared.path, common::object_path(&name).to_string_lossy());
    // Not this process's: none of this process's own objects appear in it.
    assert!(
        !snapshot
            .regions
            .iter()
            .any(|r| matches!(r.owner, Some(Owner::Manager { .. } | Owner::PageLab { .. })))
    );
    drop(holder);

    // Another account's process is refused by the map itself (as root too).
    let mut other = std::process::Command::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "sleep",
            "30",
        ])
        .spawn()
        .expect("start sleep as nobody");
    let pid = other.id();
    let deadline = Instant::now() + Duration::from_secs(10);
    let refused = loop {
        // setpriv becomes sleep (and nobody's) once it has exec'd.
        match Snapshot::take_of(pid, Landmarks::default()) {
            Err(e @ MapError::NotYours { .. }) => break e,
            other if Instant::now() > deadline => panic!("not refused: {other:?}"),
            _ => std::thread::sleep(Duration::from_millis(10)),
        }
    };
    assert_eq!(
        refused,
        MapError::NotYours {
            pid,
            owner: 65534,
            you: common::euid()
        }
    );
    let _ = other.kill();
    let _ = other.wait();
    assert_eq!(
        Snapshot::take_of(pid, Landmarks::default()).unwrap_err(),
        MapError::NoProcess { pid }
    );
}
