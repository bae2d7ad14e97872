//! The Win32 rules of §2 on memlab's global heap, through the lab's API.

use std::collections::BTreeMap;

use super::*;
use crate::error::{ErrorKind, HasKind};
use crate::i18n::testing::assert_korean;
use crate::i18n::{Lang, Localized};

mod korean;

fn handle(outcome: Outcome) -> Handle {
    match outcome {
        Outcome::Allocated { handle, .. } => handle,
        other => panic!("not an allocation: {other:?}"),
    }
}

fn row(lab: &GlobalLab, h: Handle) -> Row {
    lab.rows()
        .into_iter()
        .find(|r| r.handle == h)
        .unwrap_or_else(|| panic!("{h} is not in the table"))
}

fn pointer(outcome: Outcome) -> usize {
    match outcome {
        Outcome::Locked { pointer, .. } => pointer,
        other => panic!("not a lock: {other:?}"),
    }
}

#[test]
fn fixed_blocks_are_pointers_movable_ones_handles_into_a_table() {
    let mut lab = GlobalLab::new();
    let fixed = handle(lab.alloc(Kind::Fixed, 100).unwrap());
    let moveable = handle(lab.alloc(Kind::Moveable, 100).unwrap());
    assert_eq!((fixed, moveable), (Handle(1), Handle(2)));
    let f = row(&lab, fixed);
    let m = row(&lab, moveable);
    // GMEM_FIXED: the handle is the pointer, and locking gives it back.
    assert_eq!(Some(f.hglobal), f.address);
    assert_eq!(pointer(lab.lock(fixed).unwrap()), f.hglobal);
    assert_eq!(
        row(&lab, fixed).lock_count,
        0,
        "a fixed block's count stays 0"
    );
    // GMEM_MOVEABLE: the handle is not the address; the lock gives the address.
    assert_ne!(Some(m.hglobal), m.address);
    let (base, len) = lab.extent().unwrap();
    assert!(
        !(base..base + len).contains(&m.hglobal),
        "the handle is outside the heap"
    );
    assert_eq!(Some(pointer(lab.lock(moveable).unwrap())), m.address);
    assert_eq!(row(&lab, moveable).lock_count, 1);
    assert_eq!(
        lab.lock(moveable).unwrap(),
        Outcome::Locked {
            pointer: m.address.unwrap(),
            lock_count: 2
        }
    );
    assert_eq!(
        row(&lab, moveable).flags,
        2,
        "GlobalFlags' low byte is the lock count"
    );
}

#[test]
fn global_size_rounds_the_request_up() {
    let mut lab = GlobalLab::new();
    let h = handle(lab.alloc(Kind::Moveable, 100).unwrap());
    assert_eq!(
        lab.size(h).unwrap(),
        Outcome::Size {
            bytes: 112,
            requested: 100
        }
    );
    let exact = handle(lab.alloc(Kind::Fixed, 64).unwrap());
    assert_eq!(row(&lab, exact).size, 64);
}

#[test]
fn unlocking_at_count_zero_is_the_not_locked_rule() {
    let mut lab = GlobalLab::new();
    let m = handle(lab.alloc(Kind::Moveable, 10).unwrap());
    let f = handle(lab.alloc(Kind::Fixed, 10).unwrap());
    assert_eq!(
        lab.unlock(m),
        Err(GlobalError::NotLocked {
            handle: m,
            fixed: false
        })
    );
    lab.lock(m).unwrap();
    assert_eq!(lab.unlock(m), Ok(Outcome::Unlocked { lock_count: 0 }));
    assert!(lab.unlock(m).is_err(), "one unlock per lock");
    let e = lab.unlock(f).unwrap_err();
    assert_eq!(e.win32(), "ERROR_NOT_LOCKED");
    assert!(e.to_string().contains("always 0"), "{e}");
    assert_eq!(e.kind(), ErrorKind::Usage);
}

#[test]
fn compaction_moves_unlocked_movable_blocks_and_leaves_locked_and_fixed_ones() {
    let mut lab = GlobalLab::new();
    let gap = handle(lab.alloc(Kind::Moveable, 1000).unwrap());
    let locked = handle(lab.alloc(Kind::Moveable, 100).unwrap());
    let gap2 = handle(lab.alloc(Kind::Fixed, 1000).unwrap());
    let fixed = handle(lab.alloc(Kind::Fixed, 100).unwrap());
    let free_one = handle(lab.alloc(Kind::Moveable, 500).unwrap());
    let unlocked = handle(lab.alloc(Kind::Moveable, 100).unwrap());
    let kept = pointer(lab.lock(unlocked).unwrap());
    lab.unlock(unlocked).unwrap();
    lab.lock(locked).unwrap();
    lab.free(gap).unwrap();
    lab.free(free_one).unwrap();
    let _ = gap2;
    let before: Vec<Row> = lab.rows();
    let Outcome::Compacted { moved } = lab.compact().unwrap() else {
        panic!("not a compaction")
    };
    let after = lab.rows();
    let addr = |rows: &[Row], h| rows.iter().find(|r| r.handle == h).unwrap().address;
    assert_eq!(
        addr(&before, locked),
        addr(&after, locked),
        "a locked block stays"
    );
    assert_eq!(
        addr(&before, fixed),
        addr(&after, fixed),
        "a fixed block stays"
    );
    assert!(
        addr(&after, unlocked) < addr(&before, unlocked),
        "an unlocked one slides down"
    );
    assert_eq!(
        moved,
        vec![Move {
            handle: unlocked,
            from: addr(&before, unlocked).unwrap(),
            to: addr(&after, unlocked).unwrap()
        }]
    );
    assert_eq!(lab.moved(), &moved[..], "the table's highlight");
    // The bytes moved with it: locking again reads the block's own letter.
    let now = pointer(lab.lock(unlocked).unwrap());
    assert_eq!(Some(now), addr(&after, unlocked));
    assert_ne!(now, kept);
    let Outcome::ReadKept { now: here, .. } = lab.read_kept(unlocked).unwrap() else {
        panic!()
    };
    assert!(
        matches!(&here, AtAddress::Block { handle, offset: 0, bytes } if *handle == unlocked && bytes.iter().all(|&b| b == b'F')),
        "{here:?}"
    );
}

#[test]
fn a_pointer_kept_from_before_a_move_reads_what_lives_there_now() {
    let mut lab = GlobalLab::new();
    let first = handle(lab.alloc(Kind::Moveable, 64).unwrap());
    let second = handle(lab.alloc(Kind::Moveable, 64).unwrap());
    let kept = pointer(lab.lock(second).unwrap());
    lab.unlock(second).unwrap();
    lab.free(first).unwrap();
    lab.compact().unwrap();
    let r = row(&lab, second);
    assert!(r.kept_is_stale());
    assert_eq!(r.kept, Some(kept));
    // The second block slid onto the first's place (64 bytes and a header lower).
    let Outcome::ReadKept {
        pointer: p,
        stale,
        now,
    } = lab.read_kept(second).unwrap()
    else {
        panic!()
    };
    assert!(stale);
    assert_eq!(p, kept);
    assert_eq!(
        now,
        AtAddress::Free,
        "the block slid down by 80 bytes: its old address is past its new end"
    );
    // A third block allocated there is what the stale pointer reads.
    let third = handle(lab.alloc(Kind::Fixed, 64).unwrap());
    let Outcome::ReadKept { now, .. } = lab.read_kept(second).unwrap() else {
        panic!()
    };
    assert_eq!(
        now,
        AtAddress::Block {
            handle: third,
            offset: 0,
            bytes: vec![b'C'; 16]
        },
        "the stale pointer reads the third block's bytes"
    );
    // GlobalHandle of the stale pointer is not the second handle.
    assert_ne!(
        lab.handle_of_kept(second).ok().and_then(|o| match o {
            Outcome::HandleOf { handle, .. } => Some(handle),
            _ => None,
        }),
        Some(second)
    );
}

#[test]
fn low_memory_discards_only_unlocked_discardable_blocks_and_lock_then_returns_null() {
    let mut lab = GlobalLab::new();
    let d = handle(lab.alloc(Kind::Discardable, 4096).unwrap());
    let d_locked = handle(lab.alloc(Kind::Discardable, 4096).unwrap());
    let m = handle(lab.alloc(Kind::Moveable, 4096).unwrap());
    let f = handle(lab.alloc(Kind::Fixed, 4096).unwrap());
    lab.lock(d_locked).unwrap();
    assert_eq!(
        lab.low_memory().unwrap(),
        Outcome::LowMemory {
            discarded: vec![d],
            bytes: 4096 + HEADER
        }
    );
    let r = row(&lab, d);
    assert_eq!((r.address, r.size), (None, 0));
    assert_eq!(r.flags, GMEM_DISCARDABLE | GMEM_DISCARDED);
    assert_eq!(r.flag_names(), ["GMEM_DISCARDABLE", "GMEM_DISCARDED"]);
    for kept in [d_locked, m, f] {
        assert!(row(&lab, kept).address.is_some(), "{kept} kept its memory");
    }
    assert_eq!(lab.lock(d), Err(GlobalError::LockDiscarded(d)));
    // Re-allocating gives it memory again, zeroed: the contents were lost.
    let Outcome::Reallocated { from: None, to, .. } = lab.realloc(d, 100, false).unwrap() else {
        panic!()
    };
    assert_eq!(pointer(lab.lock(d).unwrap()), to);
    let Outcome::ReadKept { now, .. } = lab.read_kept(d).unwrap() else {
        panic!()
    };
    assert!(matches!(now, AtAddress::Block { bytes, .. } if bytes.iter().all(|&b| b == 0)));
}

#[test]
fn discarding_needs_an_unlocked_movable_block() {
    let mut lab = GlobalLab::new();
    let f = handle(lab.alloc(Kind::Fixed, 10).unwrap());
    let m = handle(lab.alloc(Kind::Moveable, 10).unwrap());
    assert_eq!(lab.discard(f), Err(GlobalError::DiscardFixed(f)));
    lab.lock(m).unwrap();
    assert_eq!(
        lab.discard(m),
        Err(GlobalError::DiscardLocked {
            handle: m,
            lock_count: 1
        })
    );
    lab.unlock(m).unwrap();
    assert_eq!(lab.discard(m), Ok(Outcome::Discarded));
    assert!(row(&lab, m).discarded());
    // GlobalReAlloc to 0 bytes discards too (GlobalDiscard is that call).
    let m2 = handle(lab.alloc(Kind::Moveable, 10).unwrap());
    assert_eq!(lab.realloc(m2, 0, true), Ok(Outcome::Discarded));
    // GlobalAlloc(GMEM_MOVEABLE, 0) returns a discarded block.
    let empty = handle(lab.alloc(Kind::Moveable, 0).unwrap());
    assert!(row(&lab, empty).discarded());
}

#[test]
fn freeing_a_locked_block_is_refused_and_a_freed_handle_is_stale() {
    let mut lab = GlobalLab::new();
    let m = handle(lab.alloc(Kind::Moveable, 10).unwrap());
    lab.lock(m).unwrap();
    assert_eq!(
        lab.free(m),
        Err(GlobalError::FreeLocked {
            handle: m,
            lock_count: 1
        })
    );
    lab.unlock(m).unwrap();
    lab.free(m).unwrap();
    for e in [
        lab.lock(m),
        lab.unlock(m),
        lab.free(m),
        lab.size(m),
        lab.realloc(m, 5, false),
    ] {
        assert_eq!(e, Err(GlobalError::StaleHandle(m)));
    }
    assert_eq!(
        lab.lock(Handle(9)),
        Err(GlobalError::NoSuchHandle(Handle(9)))
    );
    assert_eq!(
        lab.lock(Handle(0)),
        Err(GlobalError::NoSuchHandle(Handle(0)))
    );
    assert!(lab.rows().is_empty());
    // Numbers are not reused: the next handle is 2.
    assert_eq!(handle(lab.alloc(Kind::Fixed, 1).unwrap()), Handle(2));
}

#[test]
fn realloc_moves_an_unlocked_block_and_not_a_locked_one_without_gmem_moveable() {
    let mut lab = GlobalLab::new();
    let a = handle(lab.alloc(Kind::Moveable, 100).unwrap());
    let _wall = handle(lab.alloc(Kind::Fixed, 100).unwrap());
    let before = row(&lab, a).address.unwrap();
    // Shrinking and growing into the rounding stay in place.
    assert_eq!(
        lab.realloc(a, 110, false),
        Ok(Outcome::Reallocated {
            from: Some(before),
            to: before,
            size: 112
        })
    );
    // Locked: it cannot move without GMEM_MOVEABLE.
    let kept = pointer(lab.lock(a).unwrap());
    let e = lab.realloc(a, 5000, false).unwrap_err();
    assert_eq!(
        e,
        GlobalError::CannotMove {
            handle: a,
            bytes: 5000,
            lock_count: 1
        }
    );
    assert_eq!(row(&lab, a).address, Some(before), "nothing changed");
    // With GMEM_MOVEABLE it moves although locked: the kept pointer is stale.
    let Outcome::Reallocated { to, .. } = lab.realloc(a, 5000, true).unwrap() else {
        panic!()
    };
    assert_ne!(to, before);
    let r = row(&lab, a);
    assert_eq!((r.address, r.lock_count, r.kept), (Some(to), 1, Some(kept)));
    assert!(r.kept_is_stale());
    lab.unlock(a).unwrap();
    // Unlocked: it moves by itself.
    let b = handle(lab.alloc(Kind::Moveable, 16).unwrap());
    let _wall2 = handle(lab.alloc(Kind::Fixed, 16).unwrap());
    let b_at = row(&lab, b).address.unwrap();
    let Outcome::Reallocated { to, .. } = lab.realloc(b, 9000, false).unwrap() else {
        panic!()
    };
    assert_ne!(to, b_at);
    // The bytes went with it.
    lab.lock(b).unwrap();
    let Outcome::ReadKept { now, .. } = lab.read_kept(b).unwrap() else {
        panic!()
    };
    assert!(
        matches!(now, AtAddress::Block { handle, bytes, .. } if handle == b && bytes == vec![b'C'; 16])
    );
}

#[test]
fn a_fixed_block_moves_only_with_gmem_moveable_and_its_handle_changes() {
    let mut lab = GlobalLab::new();
    let f = handle(lab.alloc(Kind::Fixed, 100).unwrap());
    let _wall = handle(lab.alloc(Kind::Fixed, 100).unwrap());
    let old = row(&lab, f).hglobal;
    assert!(matches!(
        lab.realloc(f, 4000, false),
        Err(GlobalError::CannotMove { lock_count: 0, .. })
    ));
    lab.realloc(f, 4000, true).unwrap();
    let r = row(&lab, f);
    assert_ne!(r.hglobal, old);
    assert_eq!(Some(r.hglobal), r.address);
    assert_eq!(r.kept, r.address, "the program keeps the new pointer");
}

#[test]
fn global_handle_finds_the_block_of_a_pointer() {
    let mut lab = GlobalLab::new();
    let f = handle(lab.alloc(Kind::Fixed, 10).unwrap());
    let m = handle(lab.alloc(Kind::Moveable, 10).unwrap());
    let p = pointer(lab.lock(m).unwrap());
    let hm = row(&lab, m).hglobal;
    assert_eq!(
        lab.handle_at(p),
        Ok(Outcome::HandleOf {
            address: p,
            handle: m,
            hglobal: hm
        })
    );
    let pf = row(&lab, f).address.unwrap();
    assert!(
        matches!(lab.handle_at(pf), Ok(Outcome::HandleOf { handle, hglobal, .. }) if handle == f && hglobal == pf)
    );
    assert_eq!(lab.handle_at(p + 1), Err(GlobalError::NoBlockAt(p + 1)));
}

#[test]
fn an_allocation_that_does_not_fit_compacts_then_discards_the_least_recently_used() {
    let mut lab = GlobalLab::new();
    let quarter = (ARENA_BYTES as u64) / 4 - HEADER;
    let d1 = handle(lab.alloc(Kind::Discardable, quarter).unwrap());
    let d2 = handle(lab.alloc(Kind::Discardable, quarter).unwrap());
    let m = handle(lab.alloc(Kind::Moveable, quarter).unwrap());
    let m2 = handle(lab.alloc(Kind::Moveable, quarter / 2).unwrap());
    lab.free(m).unwrap();
    // d1 used more recently than d2.
    lab.lock(d1).unwrap();
    lab.unlock(d1).unwrap();
    // A half needs compaction (m2 slides down) and one discard (d2, the LRU).
    let Outcome::Allocated {
        moved, discarded, ..
    } = lab.alloc(Kind::Fixed, quarter + quarter / 2).unwrap()
    else {
        panic!()
    };
    assert_eq!(discarded, vec![d2]);
    assert!(moved.iter().any(|mv| mv.handle == m2), "{moved:?}");
    assert!(row(&lab, d1).address.is_some());
    // Nothing discardable left unlocked: refused, naming the Win32 error.
    lab.lock(d1).unwrap();
    let e = lab.alloc(Kind::Fixed, quarter * 2).unwrap_err();
    assert_eq!(e.win32(), "ERROR_NOT_ENOUGH_MEMORY");
    assert_eq!(e.kind(), ErrorKind::NoSpace);
    assert!(matches!(
        lab.alloc(Kind::Fixed, ARENA_BYTES as u64),
        Err(GlobalError::TooLarge { .. })
    ));
}

/// The first bytes a lock of `h` reads.
fn first_bytes(lab: &mut GlobalLab, h: Handle) -> Vec<u8> {
    lab.lock(h).unwrap();
    let read = lab.read_kept(h).unwrap();
    if row(lab, h).lock_count > 0 {
        lab.unlock(h).unwrap();
    }
    match read {
        Outcome::ReadKept {
            stale: false,
            now: AtAddress::Block { bytes, .. },
            ..
        } => bytes,
        other => panic!("not the block's bytes: {other:?}"),
    }
}

#[test]
fn gmem_zeroinit_gives_zeros_where_a_plain_block_holds_its_letter() {
    let mut lab = GlobalLab::new();
    let plain = handle(lab.alloc(Kind::Moveable, 64).unwrap());
    let zeroed = handle(lab.alloc_with(Kind::Moveable, 64, true).unwrap());
    let fixed = handle(lab.alloc_with(Kind::Fixed, 32, true).unwrap());
    assert_eq!(first_bytes(&mut lab, plain), vec![b'A'; 16]);
    assert_eq!(first_bytes(&mut lab, zeroed), vec![0; 16]);
    assert_eq!(first_bytes(&mut lab, fixed), vec![0; 16]);
}

#[test]
fn gmem_modify_makes_a_block_discardable_or_a_fixed_one_movable() {
    let mut lab = GlobalLab::new();
    let m = handle(lab.alloc(Kind::Moveable, 100).unwrap());
    let before = row(&lab, m);
    // GMEM_MODIFY | GMEM_DISCARDABLE: the flags change, nothing moves.
    let done = lab.modify(m, false, true).unwrap();
    assert_eq!(
        done,
        Outcome::Modified {
            hglobal: before.hglobal,
            now: Kind::Discardable,
            flags: GMEM_DISCARDABLE,
        }
    );
    let after = row(&lab, m);
    assert_eq!((after.address, after.size), (before.address, before.size));
    assert_eq!(after.flag_names(), ["GMEM_DISCARDABLE"]);
    // Now low memory discards it; GMEM_MODIFY without the flag undoes that.
    lab.realloc(m, 100, false).unwrap();
    lab.modify(m, false, false).unwrap();
    assert_eq!(row(&lab, m).kind, Kind::Moveable);
    let Outcome::LowMemory { discarded, .. } = lab.low_memory().unwrap() else {
        panic!("not low memory");
    };
    assert!(discarded.is_empty(), "{discarded:?}");
    lab.modify(m, false, true).unwrap();
    let Outcome::LowMemory { discarded, .. } = lab.low_memory().unwrap() else {
        panic!("not low memory");
    };
    assert_eq!(discarded, [m]);

    // A fixed block cannot be discardable; with GMEM_MOVEABLE it becomes
    // movable: a handle now, its bytes where they were, and it locks.
    let f = handle(lab.alloc(Kind::Fixed, 64).unwrap());
    let fixed = row(&lab, f);
    assert_eq!(lab.modify(f, false, true), Err(GlobalError::ModifyFixed(f)));
    assert_eq!(row(&lab, f), fixed);
    let Outcome::Modified { hglobal, now, .. } = lab.modify(f, true, false).unwrap() else {
        panic!("not modified");
    };
    assert_eq!(now, Kind::Moveable);
    assert_ne!(Some(hglobal), fixed.address);
    let now = row(&lab, f);
    assert_eq!((now.hglobal, now.address), (hglobal, fixed.address));
    assert_eq!(pointer(lab.lock(f).unwrap()), fixed.address.unwrap());
    assert_eq!(row(&lab, f).lock_count, 1);
    assert_eq!(first_bytes(&mut lab, f), vec![b'B'; 16]);
}

/// Random steps (a fixed seed, so a failure repeats) keep the heap sound:
/// no two blocks overlap, each block's bytes move with it (its first byte
/// is still its letter, or zero after a discard), GlobalLock returns the
/// address the table shows, and a kept pointer is stale exactly when it
/// is not the block's address.
#[test]
fn random_steps_keep_the_heap_sound() {
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move |n: u64| {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (seed >> 33) % n
    };
    let mut lab = GlobalLab::new();
    let mut first_byte: BTreeMap<Handle, u8> = BTreeMap::new();
    for step in 0..3000 {
        let live: Vec<Handle> = lab.rows().iter().map(|r| r.handle).collect();
        let pick = |k: u64| live.get(k as usize % live.len().max(1)).copied();
        let h = pick(next(1000)).unwrap_or(Handle(1));
        let result = match next(10) {
            0..=2 => {
                let kind = Kind::ALL[next(3) as usize];
                let size = next(3000) + 1;
                let r = lab.alloc(kind, size);
                if let Ok(Outcome::Allocated { handle, .. }) = &r {
                    first_byte.insert(*handle, b'A' + ((handle.0 - 1) % 26) as u8);
                }
                r.map(|_| ())
            }
            3 => lab.lock(h).map(|_| ()),
            4 => lab.unlock(h).map(|_| ()),
            5 => {
                let was_discarded = lab.rows().iter().any(|r| r.handle == h && r.discarded());
                let r = lab.realloc(h, next(5000) + 1, next(2) == 0);
                if r.is_ok() && was_discarded {
                    first_byte.insert(h, 0);
                }
                r.map(|_| ())
            }
            6 => lab.free(h).map(|_| ()),
            7 => lab.compact().map(|_| ()),
            8 => lab.discard(h).map(|_| ()),
            _ => lab.low_memory().map(|_| ()),
        };
        // Every failure is one of the typed rules, never a panic.
        if let Err(e) = result {
            assert!(!e.win32().is_empty());
        }
        let rows = lab.rows();
        let Some(heap) = lab.heap.as_ref() else {
            assert!(rows.is_empty(), "no heap, no handles");
            continue;
        };
        let mut spans: Vec<(usize, usize)> = rows
            .iter()
            .filter_map(|r| {
                r.address
                    .map(|a| (a - HEADER as usize, a + r.size as usize))
            })
            .collect();
        spans.sort_unstable();
        for pair in spans.windows(2) {
            assert!(pair[0].1 <= pair[1].0, "overlap: {pair:?}");
        }
        // Reading every block back is quadratic: every 20th step.
        for r in rows.iter().filter(|_| step % 20 == 0) {
            assert_eq!(r.kept_is_stale(), r.kept.is_some() && r.kept != r.address);
            let Some(a) = r.address else { continue };
            if r.size == 0 {
                continue;
            }
            match heap.at(a) {
                AtAddress::Block { handle, bytes, .. } => {
                    assert_eq!(handle, r.handle);
                    assert_eq!(
                        bytes[0], first_byte[&r.handle],
                        "{} moved without its bytes",
                        r.handle
                    );
                }
                other => panic!("{}'s address shows {other:?}", r.handle),
            }
        }
    }
    // The table's entries are what GlobalLock reads.
    for r in lab.rows() {
        if r.kind.movable() && !r.discarded() {
            let Outcome::Locked { pointer, .. } = lab.lock(r.handle).unwrap() else {
                panic!()
            };
            assert_eq!(Some(pointer), r.address);
        }
    }
}
