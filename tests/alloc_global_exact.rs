//! With `GlobalDispatcher` installed as the global allocator: routing across
//! switches, exact counters, realloc across managers, ownership checks.
//! No libtest harness: one thread, so the counts are exact.

use memlab_engine::alloc::{
    DEFAULT_ARENA_SIZE, GlobalDispatcher, ManagerKind, dispatcher, is_installed, own_regions,
};

#[global_allocator]
static GLOBAL: GlobalDispatcher = GlobalDispatcher;

fn check(name: &str, f: fn()) {
    f();
    println!("test {name} ... ok");
}

fn routing_across_a_switch() {
    let d = dispatcher();
    d.set_active(ManagerKind::Heap);
    let before = d.snapshot();
    let b: Box<[u8; 3000]> = Box::new([7; 3000]);
    let v: Vec<u64> = Vec::with_capacity(100); // 800 bytes
    let mid = d.snapshot();
    d.set_active(ManagerKind::Default);
    assert_eq!(mid.heap.live_blocks, before.heap.live_blocks + 2);
    assert_eq!(mid.heap.live_bytes, before.heap.live_bytes + 3800);
    assert_eq!(d.owner_of(b.as_ptr()), ManagerKind::Heap);
    assert!(d.heap().owns(v.as_ptr().cast()));
    drop(b); // freed by the heap although default is active
    drop(v);
    let after = d.snapshot();
    assert_eq!(after.heap.live_blocks, before.heap.live_blocks);
    assert_eq!(after.heap.live_bytes, before.heap.live_bytes);
    assert_eq!(after.default, before.default, "default manager untouched");
}

fn exact_counters() {
    let d = dispatcher();
    for kind in ManagerKind::ALL {
        let prev = d.set_active(kind);
        let base = d.snapshot().get(kind);
        let mut blocks: Vec<Box<[u8]>> = Vec::with_capacity(64); // 1 block, 1024 bytes
        for i in 1..=64usize {
            blocks.push(vec![1u8; i * 100].into_boxed_slice());
        }
        let mid = d.snapshot().get(kind);
        assert_eq!(mid.live_blocks - base.live_blocks, 65, "{kind}");
        let bytes = 64 * 16 + (1..=64u64).map(|i| i * 100).sum::<u64>();
        assert_eq!(mid.live_bytes - base.live_bytes, bytes, "{kind}");
        assert!(blocks.iter().all(|b| d.owner_of(b.as_ptr()) == kind));
        drop(blocks);
        let end = d.snapshot().get(kind);
        assert_eq!(end.live_blocks, base.live_blocks, "{kind}");
        assert_eq!(end.live_bytes, base.live_bytes, "{kind}");
        d.set_active(prev);
    }
}

fn realloc_across_managers() {
    let d = dispatcher();
    let base = d.snapshot();
    let mut v: Vec<u32> = Vec::new();
    for (round, kind) in [
        ManagerKind::Default,
        ManagerKind::Heap,
        ManagerKind::Mimalloc,
        ManagerKind::Heap,
        ManagerKind::Default,
    ]
    .into_iter()
    .enumerate()
    {
        d.set_active(kind);
        v.reserve_exact((round + 1) * 1000);
        v.extend(0..1000u32);
        assert_eq!(
            d.owner_of(v.as_ptr().cast()),
            kind,
            "grown Vec lives in the active manager"
        );
        assert!(v.iter().enumerate().all(|(i, &x)| x == (i % 1000) as u32));
    }
    drop(v);
    let end = d.snapshot();
    for k in ManagerKind::ALL {
        assert_eq!(end.get(k).live_blocks, base.get(k).live_blocks, "{k}");
        assert_eq!(end.get(k).live_bytes, base.get(k).live_bytes, "{k}");
    }
}

fn heap_status_tracks_blocks() {
    let d = dispatcher();
    let st0 = d.heap_status();
    d.set_active(ManagerKind::Heap);
    let b = vec![0u8; 5 << 20];
    d.set_active(ManagerKind::Default);
    let st = d.heap_status();
    assert_eq!(st.reserved_bytes, memlab_engine::alloc::DEFAULT_HEAP_MAX);
    assert_eq!(st.allocated_bytes, st0.allocated_bytes + (5 << 20));
    assert!(st.committed_bytes >= st.allocated_bytes);
    drop(b);
    assert_eq!(d.heap_status().allocated_bytes, st0.allocated_bytes);
}

/// Every mimalloc block lies in the arena memlab reserved, every heap block in
/// the heap's range, and `own_regions` names both for the address-space map.
fn own_regions_hold_the_heap_and_mimalloc_blocks() {
    let d = dispatcher();
    let mut blocks = Vec::new();
    for kind in [ManagerKind::Heap, ManagerKind::Mimalloc] {
        let prev = d.set_active(kind);
        for size in [8, 100, 5000, 300_000, 5 << 20] {
            blocks.push((kind, vec![1u8; size]));
        }
        d.set_active(prev);
    }
    let regions = own_regions();
    let names: Vec<&str> = regions.iter().map(|r| r.name).collect();
    assert_eq!(names, ["private heap (talc)", "mimalloc arena"]);
    assert!(regions[1].len > DEFAULT_ARENA_SIZE);
    for (kind, b) in &blocks {
        let p = b.as_ptr() as usize;
        let holder = regions
            .iter()
            .position(|r| p.wrapping_sub(r.start) < r.len)
            .expect("block inside a region");
        assert_eq!(holder, if *kind == ManagerKind::Heap { 0 } else { 1 });
        assert_eq!(d.owner_of(b.as_ptr()), *kind);
    }
    let default_block = vec![0u8; 5000];
    let p = default_block.as_ptr() as usize;
    assert!(regions.iter().all(|r| p.wrapping_sub(r.start) >= r.len));
    assert_eq!(d.snapshot().mimalloc_fallbacks, 0);
}

fn main() {
    assert!(
        is_installed(),
        "GlobalDispatcher must be the global allocator"
    );
    let tests: [(&str, fn()); 5] = [
        ("routing_across_a_switch", routing_across_a_switch),
        ("exact_counters", exact_counters),
        ("realloc_across_managers", realloc_across_managers),
        ("heap_status_tracks_blocks", heap_status_tracks_blocks),
        (
            "own_regions_hold_the_heap_and_mimalloc_blocks",
            own_regions_hold_the_heap_and_mimalloc_blocks,
        ),
    ];
    for (name, f) in tests {
        check(name, f);
    }
    println!("{} passed, 0 failed", tests.len());
}
