//! The heap lab against the kernel: sizes in /proc/self/smaps, the commit
//! charge's `ac` flag and `Committed_AS`, RAM by mincore, the bytes in the
//! blocks.

use super::*;
use crate::error::{ErrorKind, HasKind};
use crate::i18n::Localized;

const K: u64 = 1024;
const M: u64 = 1024 * 1024;

fn kernel(lab: &HeapLab, h: HeapId) -> KernelView {
    lab.kernel_view(h).expect("smaps")
}

#[test]
fn create_reserves_the_maximum_and_commits_the_initial_size() {
    let mut lab = HeapLab::new();
    let h = lab.create(64 * K, M).unwrap();
    let s = lab.state(h).unwrap();
    assert_eq!((s.reserved, s.committed), (M, 64 * K));
    assert_eq!(s.segments.len(), 1);
    let k = kernel(&lab, h);
    assert_eq!(k.reserved, M, "smaps maps the whole maximum");
    assert_eq!(k.committed, 64 * K, "only the initial size is read-write");
    assert_eq!(k.charged, 64 * K, "only the committed part is charged");
    // HeapWalk: one free block over the committed part, then the rest uncommitted.
    let kinds: Vec<_> = s.walk.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [WalkKind::Free, WalkKind::Uncommitted]);
    assert_eq!(s.walk[1].size, M - 64 * K);
    assert_eq!(s.walk.iter().map(WalkEntry::span).sum::<u64>(), M);
}

#[test]
fn growth_commits_more_inside_the_one_range() {
    let mut lab = HeapLab::new();
    let h = lab.create(4 * K, 256 * K).unwrap();
    let base = lab.state(h).unwrap().segments[0].base;
    let b = lab.alloc(h, 100 * K, true).unwrap();
    let s = lab.state(h).unwrap();
    assert_eq!(s.segments.len(), 1);
    assert_eq!(s.segments[0].base, base, "the heap grew in place");
    assert!(
        s.committed > 100 * K && s.committed <= 108 * K,
        "{}",
        s.committed
    );
    assert_eq!(s.committed % HeapLab::page_size() as u64, 0);
    let k = kernel(&lab, h);
    assert_eq!(
        (k.reserved, k.committed, k.charged),
        (256 * K, s.committed, s.committed)
    );
    // HEAP_ZERO_MEMORY touched the block's pages: they are in RAM now.
    assert!(k.resident >= 100 * K, "{k:?}");
    assert_eq!(lab.size(h, b).unwrap(), 100 * K);
    // Freeing keeps the pages committed (only HeapDestroy gives them back).
    lab.free(h, b).unwrap();
    assert_eq!(lab.state(h).unwrap().committed, s.committed);
    assert_eq!(kernel(&lab, h).committed, s.committed);
}

#[test]
fn past_a_fixed_maximum_memory_is_short_and_the_heap_goes_on() {
    let mut lab = HeapLab::new();
    let h = lab.create(4 * K, 64 * K).unwrap();
    let e = lab.alloc(h, 65 * K, false).unwrap_err();
    assert!(
        matches!(e, HeapError::NoMemory { heap, bytes, maximum, .. }
        if heap == h && bytes == 65 * K && maximum == 64 * K),
        "{e:?}"
    );
    assert_eq!(e.kind(), ErrorKind::NoSpace);
    assert!(e.to_string().contains("memory is short"), "{e}");
    assert!(
        e.localized(crate::i18n::Lang::Ko)
            .contains("메모리가 부족합니다")
    );
    // Fill it, then one more is refused too.
    let mut n = 0;
    while lab.alloc(h, 4 * K, false).is_ok() {
        n += 1;
    }
    assert!((14..=16).contains(&n), "{n} blocks of 4 KiB in 64 KiB");
    let s = lab.state(h).unwrap();
    assert_eq!((s.reserved, s.committed), (64 * K, 64 * K));
    assert_eq!(s.segments.len(), 1, "a fixed heap never reserves more");
    // Still a heap: a small block still fits if there is room, frees work.
    let first = s.blocks[0].id;
    lab.free(h, first).unwrap();
    lab.alloc(h, 4 * K, false).unwrap();
}

#[test]
fn a_growable_heap_reserves_another_range() {
    let mut lab = HeapLab::new();
    let h = lab.create(0, 0).unwrap();
    let first = lab.state(h).unwrap();
    assert_eq!(first.segments.len(), 1);
    assert_eq!(first.committed, HeapLab::page_size() as u64);
    lab.alloc(h, first.reserved + 1, false).unwrap();
    let s = lab.state(h).unwrap();
    assert_eq!(s.segments.len(), 2, "{:?}", s.segments);
    assert!(s.reserved > first.reserved);
    assert_eq!(kernel(&lab, h).reserved, s.reserved);
    assert_eq!(kernel(&lab, h).committed, s.committed);
}

#[test]
fn all_heaps_together_commit_at_most_the_labs_limit() {
    let mut lab = HeapLab::new();
    let h = lab.create(0, 0).unwrap();
    // Neither committed nor touched: refused before the heap grows.
    let e = lab.alloc(h, MAX_COMMIT, true).unwrap_err();
    assert!(
        matches!(
            e,
            HeapError::CommitLimit {
                call: "HeapAlloc",
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(e.kind(), ErrorKind::NoSpace);
    let e = lab.create(MAX_COMMIT, 0).unwrap_err();
    assert!(
        matches!(
            e,
            HeapError::CommitLimit {
                call: "HeapCreate",
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(lab.committed(), HeapLab::page_size() as u64);
    assert_eq!(lab.ids(), [h]);
}

#[test]
fn initial_above_maximum_is_refused() {
    let mut lab = HeapLab::new();
    let e = lab.create(2 * M, M).unwrap_err();
    assert_eq!(
        e,
        HeapError::InitialAboveMaximum {
            initial: 2 * M,
            maximum: M
        }
    );
    assert_eq!(e.kind(), ErrorKind::Usage);
    assert!(lab.ids().is_empty());
    assert_eq!(
        lab.create(0, MAX_RESERVE + 1).unwrap_err().kind(),
        ErrorKind::Usage
    );
}

#[test]
fn validate_finds_an_overrun_and_free_refuses_the_block() {
    let mut lab = HeapLab::new();
    let h = lab.create(64 * K, 0).unwrap();
    let a = lab.alloc(h, 100, false).unwrap();
    let b = lab.alloc(h, 200, false).unwrap();
    assert_eq!(lab.validate(h).unwrap(), []);
    let at = lab.overrun(h, a).unwrap();
    let addr_a = lab.state(h).unwrap().blocks[0].address;
    assert_eq!(at, addr_a + 100, "the write starts at the block's end");
    // SAFETY: the bytes just written, inside the heap's committed memory.
    let written = unsafe { std::slice::from_raw_parts(at as *const u8, 8) };
    assert_eq!(written, b"overrun!");
    let damage = lab.validate(h).unwrap();
    assert_eq!(
        damage,
        [Damage {
            address: addr_a,
            block: Some(a),
            what: DamageKind::Tail
        }]
    );
    let e = lab.free(h, a).unwrap_err();
    assert!(
        matches!(e, HeapError::Damaged { block, .. } if block == a),
        "{e:?}"
    );
    assert_eq!(e.kind(), ErrorKind::Corrupt);
    // The other block is fine.
    lab.free(h, b).unwrap();
}

#[test]
fn realloc_in_place_moves_or_refuses_as_the_flags_say() {
    let mut lab = HeapLab::new();
    let h = lab.create(64 * K, 0).unwrap();
    let a = lab.alloc(h, 64, true).unwrap();
    let addr = lab.state(h).unwrap().blocks[0].address;
    // SAFETY: the block's own 64 bytes.
    unsafe { std::ptr::write_bytes(addr as *mut u8, 0x5a, 64) };
    // Free bytes after it: grows where it is.
    assert_eq!(
        lab.realloc(
            h,
            a,
            1000,
            ReallocFlags {
                zero_memory: true,
                ..Default::default()
            }
        )
        .unwrap(),
        Realloc::InPlace
    );
    // SAFETY: the block is now 1000 bytes long.
    let bytes = unsafe { std::slice::from_raw_parts(addr as *const u8, 1000) };
    assert!(bytes[..64].iter().all(|&b| b == 0x5a), "kept its bytes");
    assert!(
        bytes[64..].iter().all(|&b| b == 0),
        "HEAP_ZERO_MEMORY zeroed the rest"
    );
    // A neighbour after it: it cannot grow in place.
    let b = lab.alloc(h, 16, false).unwrap();
    let only = ReallocFlags {
        in_place_only: true,
        ..Default::default()
    };
    let e = lab.realloc(h, a, 2000, only).unwrap_err();
    assert_eq!(
        e,
        HeapError::NotInPlace {
            heap: h,
            block: a,
            bytes: 2000
        }
    );
    assert_eq!(lab.size(h, a).unwrap(), 1000, "unchanged");
    // Without the flag it moves, with its bytes.
    let moved = lab.realloc(h, a, 2000, ReallocFlags::default()).unwrap();
    assert_eq!(moved, Realloc::Moved { from: addr });
    let s = lab.state(h).unwrap();
    let new = s.blocks.iter().find(|x| x.id == a).unwrap();
    assert_ne!(new.address, addr);
    assert_eq!(new.size, 2000);
    // SAFETY: the moved block's first 64 bytes.
    let bytes = unsafe { std::slice::from_raw_parts(new.address as *const u8, 64) };
    assert!(bytes.iter().all(|&x| x == 0x5a));
    // Shrinking is always in place.
    assert_eq!(lab.realloc(h, a, 10, only).unwrap(), Realloc::InPlace);
    assert_eq!(lab.validate(h).unwrap(), []);
    lab.free(h, b).unwrap();
    assert!(matches!(lab.free(h, b), Err(HeapError::NoSuchBlock { .. })));
}

#[test]
fn blocks_without_zero_memory_keep_old_bytes() {
    let mut lab = HeapLab::new();
    let h = lab.create(64 * K, 0).unwrap();
    let a = lab.alloc(h, 256, false).unwrap();
    let addr = lab.state(h).unwrap().blocks[0].address;
    // SAFETY: the block's own bytes.
    unsafe { std::ptr::write_bytes(addr as *mut u8, 0x77, 256) };
    lab.free(h, a).unwrap();
    let b = lab.alloc(h, 256, false).unwrap();
    assert_eq!(
        lab.state(h).unwrap().blocks[0].address,
        addr,
        "first fit reuses it"
    );
    // SAFETY: the new block's bytes (from the header on, past it: data).
    let old = unsafe { std::slice::from_raw_parts(addr as *const u8, 256) };
    assert!(
        old.iter().filter(|&&x| x == 0x77).count() > 200,
        "old bytes show through"
    );
    lab.free(h, b).unwrap();
    lab.alloc(h, 256, true).unwrap();
    // SAFETY: as above.
    let zeroed = unsafe { std::slice::from_raw_parts(addr as *const u8, 256) };
    assert!(zeroed.iter().all(|&x| x == 0));
}

#[test]
fn fragmenting_leaves_small_gaps_and_a_big_block_grows_the_heap() {
    let mut lab = HeapLab::new();
    let h = lab.create(64 * K, 0).unwrap();
    let f = lab.fragment(h).unwrap();
    assert!(
        f.allocated >= 16 && f.freed == f.allocated.div_ceil(2),
        "{f:?}"
    );
    let s = lab.state(h).unwrap();
    assert!(
        s.largest_free < s.total_free / 4,
        "{} of {}",
        s.largest_free,
        s.total_free
    );
    assert_eq!(lab.compact(h).unwrap(), s.largest_free);
    // A block larger than any gap but smaller than all the free memory:
    // the heap commits more instead.
    let big = s.largest_free + 1024;
    assert!(big < s.total_free);
    lab.alloc(h, big, false).unwrap();
    let after = lab.state(h).unwrap();
    assert!(after.committed > s.committed || after.reserved > s.reserved);
}

#[test]
fn destroy_gives_every_range_back_at_once() {
    let mut lab = HeapLab::new();
    let h = lab.create(2 * M, 0).unwrap();
    for _ in 0..8 {
        lab.alloc(h, 512 * K, true).unwrap();
    }
    let segments = lab.state(h).unwrap().segments;
    let before = kernel(&lab, h);
    assert!(before.resident >= 4 * M, "{before:?}");
    lab.destroy(h).unwrap();
    assert_eq!(
        linux::kernel_view(&segments).unwrap(),
        KernelView::default()
    );
    assert!(matches!(lab.state(h), Err(HeapError::NoSuchHeap(x)) if x == h));
}

/// The commit charge follows HeapCreate and HeapDestroy. `Committed_AS` is
/// the whole system's: other processes move it too, so a large heap (1 GiB
/// committed, never touched: no RAM) is measured a few times and one clean
/// measurement is enough.
#[test]
fn the_commit_charge_rises_with_create_and_falls_with_destroy() {
    let mut seen = Vec::new();
    for _ in 0..5 {
        let mut lab = HeapLab::new();
        let c0 = costs().unwrap().commit_charge as i64;
        let h = lab.create(1 << 30, 1 << 30).unwrap();
        let c1 = costs().unwrap().commit_charge as i64;
        lab.destroy(h).unwrap();
        let c2 = costs().unwrap().commit_charge as i64;
        let (up, down) = (c1 - c0, c1 - c2);
        seen.push((up, down));
        let near = |d: i64| (d - (1 << 30)).abs() < 64 << 20;
        if near(up) && near(down) {
            return;
        }
    }
    panic!("Committed_AS did not move by 1 GiB: {seen:?}");
}

#[test]
fn the_process_heap_counters_see_malloc() {
    let before = process_heap().expect("glibc");
    let v: Vec<u8> = Vec::with_capacity(300);
    let _keep = std::hint::black_box(v);
    let after = process_heap().expect("glibc");
    // The test binary's allocator is glibc's malloc: a live block shows.
    assert!(after.in_use + after.mapped > 0, "{before:?} {after:?}");
}

#[test]
fn errors_read_in_korean() {
    use crate::i18n::Lang;
    use crate::i18n::testing::assert_korean;
    let (h, b) = (HeapId(1), BlockId(2));
    let errors = [
        HeapError::NoSuchHeap(HeapId(3)),
        HeapError::NoSuchBlock { heap: h, block: b },
        HeapError::InitialAboveMaximum {
            initial: 2 * M,
            maximum: M,
        },
        HeapError::HeapTooLarge { bytes: 8 << 30 },
        HeapError::TooManyHeaps,
        HeapError::TooManyBlocks { heap: h },
        HeapError::Overrun {
            call: "HeapFree",
            heap: h,
            at: 0x1000,
        },
        HeapError::CommitLimit {
            call: "HeapAlloc",
            bytes: M,
            committed: 4 << 30,
        },
        HeapError::NoMemory {
            heap: h,
            bytes: 70 * K,
            maximum: 64 * K,
            largest_free: 4 * K,
        },
        HeapError::NoMemory {
            heap: h,
            bytes: 70 * K,
            maximum: 0,
            largest_free: 4 * K,
        },
        HeapError::NotInPlace {
            heap: h,
            block: b,
            bytes: 4096,
        },
        HeapError::Damaged {
            call: "HeapFree",
            heap: h,
            block: b,
            address: 0x1000,
            what: DamageKind::Tail,
        },
        HeapError::Damaged {
            call: "HeapReAlloc",
            heap: h,
            block: b,
            address: 0x1000,
            what: DamageKind::Header,
        },
        HeapError::ReserveRefused {
            bytes: M,
            errno: libc::ENOMEM,
            errno_text: "Cannot allocate memory".into(),
        },
        HeapError::CommitRefused { bytes: M },
        HeapError::Os {
            call: "mincore",
            errno: libc::ENOMEM,
            errno_text: "Cannot allocate memory".into(),
        },
        HeapError::Read {
            file: "/proc/self/smaps",
            reason: "gone".into(),
        },
    ];
    for e in errors {
        assert_korean(&e.localized(Lang::Ko));
        assert_eq!(e.localized(Lang::En), e.to_string());
    }
}

/// Many random HeapAlloc / HeapFree / HeapReAlloc steps: the heap stays
/// sound (HeapValidate), its walk tiles every range without gap or
/// overlap, free blocks never touch, and every live block keeps its bytes.
#[test]
fn random_steps_keep_the_heap_sound() {
    let mut lab = HeapLab::new();
    let h = lab.create(8 * K, 0).unwrap();
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    // Each live block's fill byte.
    let mut live: Vec<(BlockId, u8)> = Vec::new();
    let fill = |lab: &HeapLab, b: BlockId, byte: u8| {
        let s = lab.state(h).unwrap();
        let info = s.blocks.iter().find(|x| x.id == b).unwrap();
        // SAFETY: the block's own bytes.
        unsafe { std::ptr::write_bytes(info.address as *mut u8, byte, info.size as usize) };
    };
    for step in 0..3000u32 {
        let byte = (step % 251) as u8;
        match next(3) {
            0 | 1 if live.len() < 300 => {
                let b = lab.alloc(h, next(3000), false).unwrap();
                fill(&lab, b, byte);
                live.push((b, byte));
            }
            0 => {
                let (b, _) = live.swap_remove(next(live.len() as u64) as usize);
                lab.free(h, b).unwrap();
            }
            _ if !live.is_empty() => {
                let i = next(live.len() as u64) as usize;
                let (b, old) = live[i];
                let keep = lab.size(h, b).unwrap();
                let flags = ReallocFlags {
                    in_place_only: next(2) == 0,
                    zero_memory: false,
                };
                match lab.realloc(h, b, next(5000), flags) {
                    Ok(_) => {
                        let s = lab.state(h).unwrap();
                        let info = s.blocks.iter().find(|x| x.id == b).unwrap();
                        let n = keep.min(info.size) as usize;
                        // SAFETY: the block's own bytes, at least n of them.
                        let bytes =
                            unsafe { std::slice::from_raw_parts(info.address as *const u8, n) };
                        assert!(bytes.iter().all(|&x| x == old), "step {step}: bytes kept");
                        fill(&lab, b, byte);
                        live[i].1 = byte;
                    }
                    Err(HeapError::NotInPlace { .. }) => assert!(flags.in_place_only),
                    Err(e) => panic!("step {step}: {e}"),
                }
            }
            _ => {}
        }
        if step % 100 == 0 {
            assert_eq!(lab.validate(h).unwrap(), [], "step {step}");
            let s = lab.state(h).unwrap();
            for (i, seg) in s.segments.iter().enumerate() {
                let mut at = seg.base;
                let mut last_free = false;
                for e in s.walk.iter().filter(|e| e.segment == i) {
                    assert_eq!(e.start(), at, "step {step}: no gap, no overlap");
                    let free = e.kind == WalkKind::Free;
                    assert!(!(free && last_free), "step {step}: free blocks joined");
                    last_free = free;
                    at += e.span() as usize;
                }
                assert_eq!(at, seg.base + seg.reserved as usize, "step {step}");
            }
            assert_eq!(s.blocks.len(), live.len());
        }
    }
    let k = kernel(&lab, h);
    let s = lab.state(h).unwrap();
    assert_eq!((k.reserved, k.committed), (s.reserved, s.committed));
}
