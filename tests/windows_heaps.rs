//! The heap lab on Windows, through real `memlab.exe heap --json` processes
//! under wine (`.ci/windows/test --test windows_heaps`) or on Windows: the
//! real `HeapCreate` heap's sizes (the maximum reserved, the initial size
//! committed, commits growing inside the range), "memory is short" past a
//! fixed maximum (a step's error, never an abort), `HeapWalk`'s busy, free
//! and uncommitted entries, `HEAP_REALLOC_IN_PLACE_ONLY`, the overrun that
//! `HeapValidate` finds, and `HeapDestroy`.
#![cfg(windows)]

mod wine;

use std::process::Output;

use serde_json::Value;

const K: u64 = 1024;

fn heap_json(script: &str) -> (Output, Vec<Value>) {
    let out = wine::run(&["heap", "--json", script]);
    let steps = wine::json_lines(&out.stdout);
    (out, steps)
}

fn heap1(step: &Value) -> &Value {
    &step["heaps"][0]
}

fn u(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[test]
fn a_fixed_heap_reserves_its_maximum_commits_as_it_grows_and_refuses_past_it() {
    let (out, steps) = heap_json("create 64K 512K; alloc 1 200K; alloc 1 100K; alloc 1 400K");
    assert_eq!(steps.len(), 4, "{}", wine::text(&out.stderr));
    // The failed step is reported in its step, with its class's exit code.
    assert_eq!(out.status.code(), Some(1), "{}", wine::text(&out.stderr));

    let created = heap1(&steps[0]);
    assert_eq!(
        steps[0]["os_call"],
        "HeapCreate(0, initial, maximum) (maximum 0 = HEAP_GROWABLE)"
    );
    assert_eq!(u(&created["reserved_bytes"]), 512 * K, "{created}");
    let committed0 = u(&created["committed_bytes"]);
    assert!((64 * K..512 * K).contains(&committed0), "{created}");
    // VirtualQuery sees the same range.
    assert_eq!(
        u(&created["kernel"]["reserved_bytes"]),
        512 * K,
        "{created}"
    );
    assert_eq!(
        u(&created["kernel"]["committed_bytes"]),
        committed0,
        "{created}"
    );

    // A block larger than the initial size: the heap commits more inside
    // its reserved maximum, which does not move.
    let grown = heap1(&steps[1]);
    assert!(steps[1]["error"].is_null(), "{}", steps[1]);
    assert_eq!(u(&grown["reserved_bytes"]), 512 * K, "{grown}");
    let committed1 = u(&grown["committed_bytes"]);
    assert!(committed1 > committed0 && committed1 >= 200 * K, "{grown}");
    assert_eq!(u(&grown["blocks"][0]["size"]), 200 * K, "{grown}");

    // Full to its maximum: the heap is its one range still (wine ends a
    // full region with an empty uncommitted entry whose address is the
    // next reservation's, which is not the heap's).
    let (out, full) = heap_json("create 64K 64K; alloc 1 20000 x3; create 0 0; alloc 2 100K");
    assert!(out.status.success(), "{}", wine::text(&out.stderr));
    let fixed = heap1(&full[3]);
    assert_eq!(u(&fixed["reserved_bytes"]), 64 * K, "{fixed}");
    assert_eq!(u(&fixed["kernel"]["reserved_bytes"]), 64 * K, "{fixed}");
    assert_eq!(
        fixed["segments"].as_array().map(Vec::len),
        Some(1),
        "{fixed}"
    );

    // Past the maximum: "memory is short" in the step, the heap as it was.
    let error = &steps[3]["error"];
    assert_eq!(error["win32"], "HeapAlloc", "{}", steps[3]);
    assert!(
        error["message"].as_str().unwrap().contains(
            "memory is short (STATUS_NO_MEMORY): heap 1 is fixed at its maximum of 512.0 KiB"
        ),
        "{error}"
    );
    assert_eq!(heap1(&steps[3])["blocks"], heap1(&steps[2])["blocks"]);
}

#[test]
fn heap_walk_shows_busy_free_and_uncommitted_entries_in_address_order() {
    let (out, steps) = heap_json("create 16K 1M; alloc 1 100 x3; free 1 2; walk 1");
    assert!(out.status.success(), "{}", wine::text(&out.stderr));
    let walk = steps[3]["result"]["entries"].as_array().expect("entries");
    let kinds: Vec<&str> = walk.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    let busy: Vec<(u64, u64)> = walk
        .iter()
        .filter(|e| e["kind"] == "busy")
        .map(|e| (u(&e["block"]), u(&e["size"])))
        .collect();
    assert_eq!(busy, [(1, 100), (3, 100)], "{walk:?}");
    let first = kinds.iter().position(|&k| k == "busy").unwrap();
    let second = kinds.iter().rposition(|&k| k == "busy").unwrap();
    assert!(
        kinds[first..second].contains(&"free"),
        "block 2's place is free between blocks 1 and 3: {kinds:?}"
    );
    assert_eq!(kinds.last(), Some(&"uncommitted"), "{kinds:?}");
    let addresses: Vec<u64> = walk
        .iter()
        .map(|e| {
            u64::from_str_radix(e["address"].as_str().unwrap().trim_start_matches("0x"), 16)
                .unwrap()
        })
        .collect();
    assert!(addresses.windows(2).all(|w| w[0] < w[1]), "{addresses:x?}");
}

#[test]
fn in_place_only_fails_where_the_block_cannot_grow_and_a_plain_realloc_moves_it() {
    let (out, steps) = heap_json(
        "create 64K 0; alloc 1 100 x2; realloc 1 1 20K inplace; realloc 1 1 20K; size 1 1",
    );
    assert_eq!(steps.len(), 5, "{}", wine::text(&out.stderr));
    let error = &steps[2]["error"];
    assert_eq!(error["win32"], "HeapReAlloc", "{}", steps[2]);
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("HEAP_REALLOC_IN_PLACE_ONLY"),
        "{error}"
    );
    assert_eq!(steps[3]["result"]["moved"], true, "{}", steps[3]);
    assert_eq!(steps[4]["result"]["bytes"], 20 * K, "{}", steps[4]);
}

#[test]
fn heap_validate_finds_an_overrun_and_memlab_then_leaves_the_heap_alone_until_destroy() {
    let (out, steps) = heap_json(
        "create 64K 0; alloc 1 64 x2; validate 1; overrun 1 1; validate 1; free 1 2; destroy 1",
    );
    assert_eq!(steps.len(), 7, "{}", wine::text(&out.stderr));
    assert_eq!(steps[2]["result"]["valid"], true, "{}", steps[2]);
    assert!(steps[3]["error"].is_null(), "{}", steps[3]);
    // The write hit block 2's header (64 bytes is a whole number of granules).
    let found = &steps[4]["result"];
    assert_eq!(found["valid"], false, "{}", steps[4]);
    assert_eq!(found["damaged"][0]["block"], 2, "{found}");
    // No call that changes the heap after it, as Windows would end the process.
    let refused = &steps[5]["error"];
    assert_eq!(refused["win32"], "HeapFree", "{}", steps[5]);
    assert_eq!(refused["kind"], "Corrupt", "{refused}");
    assert!(steps[6]["error"].is_null(), "{}", steps[6]);
    assert_eq!(steps[6]["heaps"].as_array().map(Vec::len), Some(0));
}

#[test]
fn a_growable_heap_gives_a_big_block_its_own_range_and_destroy_returns_everything() {
    let (out, steps) = heap_json("create 0 0; alloc 1 4M zero; destroy 1");
    assert!(out.status.success(), "{}", wine::text(&out.stderr));
    let heap = heap1(&steps[1]);
    let segments = heap["segments"].as_array().expect("segments");
    assert!(segments.len() >= 2, "{heap}");
    assert!(
        segments
            .iter()
            .any(|s| u(&s["committed_bytes"]) >= 4096 * K),
        "{heap}"
    );
    assert!(u(&heap["kernel"]["committed_bytes"]) >= 4096 * K, "{heap}");
    assert_eq!(steps[2]["heaps"].as_array().map(Vec::len), Some(0));
}
