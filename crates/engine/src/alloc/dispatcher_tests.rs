//! The dispatcher's tests: routing, exact counters, fallbacks when a
//! manager is full, and the benchmark's pair loop counting as single pairs do.

use super::*;

fn layout(n: usize) -> Layout {
    Layout::from_size_align(n, 16).unwrap()
}

fn boxed(max: usize) -> Box<Dispatcher> {
    Box::new(Dispatcher::with_heap_max(max))
}

fn boxed_sizes(heap: usize, arena: usize) -> Box<Dispatcher> {
    Box::new(Dispatcher::with_sizes(heap, arena))
}

#[test]
fn routing_survives_a_switch() {
    let d = boxed(64 << 20);
    let before = d.snapshot();
    assert_eq!(d.set_active(ManagerKind::Heap), ManagerKind::Default);
    // SAFETY: all blocks below are freed through `d` with their layouts.
    unsafe {
        let a = d.alloc(layout(1000));
        a.write_bytes(7, 1000);
        assert_eq!(d.owner_of(a), ManagerKind::Heap);
        let mid = d.snapshot();
        assert_eq!(mid.heap.live_blocks, before.heap.live_blocks + 1);
        assert_eq!(mid.heap.live_bytes, before.heap.live_bytes + 1000);
        d.set_active(ManagerKind::Default);
        let b = d.alloc(layout(24));
        assert_eq!(d.owner_of(b), ManagerKind::Default);
        d.dealloc(a, layout(1000)); // heap takes it back although default is active
        d.dealloc(b, layout(24));
    }
    let after = d.snapshot();
    assert_eq!(after.heap.live_blocks, before.heap.live_blocks);
    assert_eq!(after.heap.live_bytes, before.heap.live_bytes);
    assert_eq!(after.default.live_blocks, before.default.live_blocks);
    assert_eq!(after.heap.total_allocations, 1);
    assert_eq!(d.heap_status().allocated_bytes, 0);
}

#[test]
fn exact_counters_per_manager() {
    let d = boxed(64 << 20);
    for kind in ManagerKind::ALL {
        d.set_active(kind);
        let sizes: Vec<usize> = (1..=50).map(|i| i * 37).collect();
        let base = d.snapshot().get(kind);
        // SAFETY: freed below with the same layouts.
        let ptrs: Vec<*mut u8> = sizes
            .iter()
            .map(|&n| unsafe { d.alloc(layout(n)) })
            .collect();
        let mid = d.snapshot().get(kind);
        assert_eq!(mid.live_blocks - base.live_blocks, 50, "{kind}");
        assert_eq!(
            mid.live_bytes - base.live_bytes,
            sizes.iter().sum::<usize>() as u64,
            "{kind}"
        );
        assert_eq!(mid.total_allocations - base.total_allocations, 50);
        for (p, n) in ptrs.into_iter().zip(&sizes) {
            assert_eq!(d.owner_of(p), kind);
            // SAFETY: allocated above with this layout.
            unsafe { d.dealloc(p, layout(*n)) };
        }
        let end = d.snapshot().get(kind);
        assert_eq!(
            (end.live_blocks, end.live_bytes),
            (base.live_blocks, base.live_bytes)
        );
    }
}

#[test]
fn full_heap_falls_back_to_default() {
    let d = boxed(2 << 20);
    d.set_active(ManagerKind::Heap);
    let l = layout(512 << 10);
    // SAFETY: freed below with `l`.
    let ptrs: Vec<*mut u8> = (0..8).map(|_| unsafe { d.alloc(l) }).collect();
    assert!(ptrs.iter().all(|p| !p.is_null()));
    let s = d.snapshot();
    assert!(s.heap.live_blocks >= 2 && s.heap.live_blocks < 4, "{s:?}");
    assert_eq!(s.default.live_blocks, 8 - s.heap.live_blocks);
    assert_eq!(s.heap_fallbacks, s.default.live_blocks);
    for p in &ptrs {
        let expect = if d.heap().owns(*p) {
            ManagerKind::Heap
        } else {
            ManagerKind::Default
        };
        assert_eq!(d.owner_of(*p), expect);
    }
    // A heap block that cannot grow (heap full) still grows: moved to default.
    let heap_block = *ptrs.iter().find(|p| d.heap().owns(**p)).unwrap();
    // SAFETY: live block of layout `l`; the result replaces it.
    let grown = unsafe {
        heap_block.write_bytes(0x5A, l.size());
        d.realloc(heap_block, l, 1 << 20)
    };
    assert!(!grown.is_null());
    assert_eq!(d.owner_of(grown), ManagerKind::Default);
    // SAFETY: the first l.size() bytes were copied.
    let copied = unsafe { std::slice::from_raw_parts(grown, l.size()) };
    assert!(copied.iter().all(|&b| b == 0x5A));
    // SAFETY: each block freed once with its layout.
    unsafe {
        d.dealloc(grown, layout(1 << 20));
        for p in ptrs.into_iter().filter(|p| *p != heap_block) {
            d.dealloc(p, l);
        }
    }
    let s = d.snapshot();
    assert_eq!(s.total_live_blocks(), 0);
    assert_eq!(s.total_live_bytes(), 0);
    assert_eq!(d.heap_status().live_blocks, 0);
}

#[test]
fn realloc_across_managers_keeps_data() {
    let d = boxed(64 << 20);
    let order = [
        ManagerKind::Heap,
        ManagerKind::Default,
        ManagerKind::Mimalloc,
        ManagerKind::Heap,
        ManagerKind::Mimalloc,
        ManagerKind::Default,
    ];
    d.set_active(order[0]);
    let mut size = 100;
    // SAFETY: one live block, always replaced by realloc's result.
    unsafe {
        let mut p = d.alloc(layout(size));
        for i in 0..size {
            *p.add(i) = i as u8;
        }
        for &kind in &order[1..] {
            d.set_active(kind);
            let new_size = size * 3;
            p = d.realloc(p, layout(size), new_size);
            assert!(!p.is_null());
            assert_eq!(d.owner_of(p), kind, "block moves to the active manager");
            for i in 0..100 {
                assert_eq!(*p.add(i), i as u8);
            }
            size = new_size;
            let s = d.snapshot();
            assert_eq!(s.total_live_blocks(), 1);
            assert_eq!(s.get(kind).live_bytes, size as u64);
        }
        // Same manager: shrink in place is a resize, not a new block.
        let before = d.snapshot().get(ManagerKind::Default);
        p = d.realloc(p, layout(size), 50);
        let after = d.snapshot().get(ManagerKind::Default);
        assert_eq!(after.total_allocations, before.total_allocations);
        assert_eq!(after.live_bytes, 50);
        d.dealloc(p, layout(50));
    }
    assert_eq!(d.snapshot().total_live_bytes(), 0);
}

#[test]
fn heap_realloc_grows_by_moving_when_blocked() {
    let d = boxed(64 << 20);
    d.set_active(ManagerKind::Heap);
    // SAFETY: blocks freed below with their current layouts.
    unsafe {
        let a = d.alloc(layout(64));
        let b = d.alloc(layout(64)); // sits right after `a`, blocking growth
        a.write_bytes(9, 64);
        let a2 = d.realloc(a, layout(64), 10_000);
        assert_ne!(a2, a, "could not grow in place, so it moved");
        assert_eq!(d.owner_of(a2), ManagerKind::Heap);
        assert!(std::slice::from_raw_parts(a2, 64).iter().all(|&x| x == 9));
        let a3 = d.realloc(a2, layout(10_000), 20_000); // top of heap: in place
        assert_eq!(d.owner_of(a3), ManagerKind::Heap);
        let s = d.snapshot().heap;
        assert_eq!((s.live_blocks, s.live_bytes), (2, 20_064));
        d.dealloc(a3, layout(20_000));
        d.dealloc(b, layout(64));
    }
    assert_eq!(d.heap_status().allocated_bytes, 0);
}

#[test]
fn mimalloc_and_default_are_told_apart() {
    let d = boxed(16 << 20);
    // SAFETY: each block freed once through `d`.
    unsafe {
        let sys_before = d.alloc(layout(48)); // before mimalloc was ever used
        d.set_active(ManagerKind::Mimalloc);
        let mi: Vec<*mut u8> = [8, 100, 5000, 300_000, 5 << 20]
            .iter()
            .map(|&n| d.alloc(layout(n)))
            .collect();
        d.set_active(ManagerKind::Default);
        let sys: Vec<*mut u8> = [8, 100, 5000, 300_000, 5 << 20]
            .iter()
            .map(|&n| d.alloc(layout(n)))
            .collect();
        for &p in &mi {
            assert_eq!(d.owner_of(p), ManagerKind::Mimalloc);
        }
        for &p in sys.iter().chain([&sys_before]) {
            assert_eq!(d.owner_of(p), ManagerKind::Default);
        }
        let z = d.alloc_zeroed(layout(4096));
        assert!(std::slice::from_raw_parts(z, 4096).iter().all(|&b| b == 0));
        d.dealloc(z, layout(4096));
        for (p, n) in mi.into_iter().zip([8, 100, 5000, 300_000, 5 << 20]) {
            d.dealloc(p, layout(n));
        }
        for (p, n) in sys.into_iter().zip([8, 100, 5000, 300_000, 5 << 20]) {
            d.dealloc(p, layout(n));
        }
        d.dealloc(sys_before, layout(48));
    }
    assert_eq!(d.snapshot().total_live_blocks(), 0);
}

#[test]
fn full_mimalloc_arena_falls_back_to_default() {
    let d = boxed_sizes(8 << 20, 32 << 20);
    d.set_active(ManagerKind::Mimalloc);
    let l = layout(4 << 20);
    // SAFETY: freed below with `l` (or the layout they were grown to).
    let mut ptrs: Vec<*mut u8> = (0..12).map(|_| unsafe { d.alloc(l) }).collect();
    assert!(ptrs.iter().all(|p| !p.is_null()));
    let s = d.snapshot();
    assert!((5..8).contains(&s.mimalloc.live_blocks), "{s:?}");
    assert_eq!(s.default.live_blocks, 12 - s.mimalloc.live_blocks);
    assert_eq!(s.mimalloc_fallbacks, s.default.live_blocks);
    assert_eq!(s.heap_fallbacks, 0);
    let (start, len) = d.mimalloc_arena().reservation().unwrap();
    for &p in &ptrs {
        let inside = (p as usize).wrapping_sub(start) < len;
        let expect = if inside {
            ManagerKind::Mimalloc
        } else {
            ManagerKind::Default
        };
        assert_eq!(d.owner_of(p), expect);
    }
    // A mimalloc block that cannot grow in a full arena moves to default.
    let i = ptrs
        .iter()
        .position(|&p| d.owner_of(p) == ManagerKind::Mimalloc)
        .unwrap();
    // SAFETY: live block of layout `l`; the result replaces it.
    unsafe {
        ptrs[i].write_bytes(0x3C, l.size());
        ptrs[i] = d.realloc(ptrs[i], l, 24 << 20);
    }
    assert!(!ptrs[i].is_null());
    assert_eq!(d.owner_of(ptrs[i]), ManagerKind::Default);
    // SAFETY: the first l.size() bytes were copied.
    let copied = unsafe { std::slice::from_raw_parts(ptrs[i], l.size()) };
    assert!(copied.iter().all(|&b| b == 0x3C));
    for (j, p) in ptrs.into_iter().enumerate() {
        let size = if j == i { 24 << 20 } else { l.size() };
        // SAFETY: each block freed once with its current layout.
        unsafe { d.dealloc(p, layout(size)) };
    }
    let s = d.snapshot();
    assert_eq!((s.total_live_blocks(), s.total_live_bytes()), (0, 0));
    // Room again: served by the arena.
    // SAFETY: freed right away.
    unsafe {
        let p = d.alloc(l);
        assert_eq!(d.owner_of(p), ManagerKind::Mimalloc);
        d.dealloc(p, l);
    }
}

#[test]
fn the_benchmarks_pairs_count_as_single_pairs_do() {
    // Heap of 2 MiB: 64 KiB blocks fit, 4 MiB blocks fall back.
    let one_by_one = boxed_sizes(2 << 20, 32 << 20);
    let looped = boxed_sizes(2 << 20, 32 << 20);
    for kind in ManagerKind::ALL {
        for size in [64 << 10, 4 << 20] {
            let l = layout(size);
            for _ in 0..7 {
                // SAFETY: freed right away with the same layout.
                unsafe {
                    let p = one_by_one.alloc_with(kind, l);
                    one_by_one.dealloc(p, l);
                }
            }
            let mut owners = Vec::new();
            // SAFETY: non-zero layout; the closure only looks at the block.
            let done = unsafe {
                looped.alloc_free_pairs(kind, l, 7, |p| {
                    p.write_bytes(0xA5, size);
                    owners.push(looped.owner_of(p));
                })
            };
            assert_eq!(done, 7);
            let fits = kind == ManagerKind::Default || size < 2 << 20;
            let expect = if fits || kind == ManagerKind::Mimalloc {
                kind
            } else {
                ManagerKind::Default
            };
            assert_eq!(owners, [expect; 7], "{kind} {size}");
        }
    }
    let (a, b) = (one_by_one.snapshot(), looped.snapshot());
    assert_eq!(a, b);
    assert_eq!(b.heap_fallbacks, 7);
    assert_eq!(b.heap.total_allocations, 7);
    assert_eq!(b.default.total_allocations, 3 * 7);
    assert_eq!(b.total_live_blocks(), 0);
}

#[test]
fn heap_alloc_zeroed_really_zeroes_reused_memory() {
    let d = boxed(8 << 20);
    d.set_active(ManagerKind::Heap);
    // SAFETY: blocks freed once with their layout.
    unsafe {
        let p = d.alloc(layout(256));
        p.write_bytes(0xFF, 256);
        d.dealloc(p, layout(256));
        let q = d.alloc_zeroed(layout(256));
        assert!(std::slice::from_raw_parts(q, 256).iter().all(|&b| b == 0));
        d.dealloc(q, layout(256));
    }
}
