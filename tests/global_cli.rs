//! `memlab global` through the real binary: a script with its expected
//! output (addresses named by their first appearance, since they change
//! from run to run), JSON for scripts (every field the issue names, the
//! address null while discarded), a rule broken in a step (reported there,
//! the script goes on), and a malformed script (exit 2 before any step).

// Linux only, for now: the Windows suite is tests/windows.rs (docs/windows.md).
#![cfg(target_os = "linux")]

mod common;

use std::collections::HashMap;

use common::{run, stderr, stdout};

/// The book's experiment, every rule of §2 broken once.
const SCRIPT: &str = "alloc moveable 300; alloc fixed 64; alloc moveable 200; lock 3; unlock 3; free 1; compact; alloc discardable 100; read 3; lock 3; compact; unlock 3; unlock 3; lowmem; lock 4; realloc 4 1K; lock 4; free 4; unlock 4; free 4; lock 4; unlock 2; handle 3; size 3; lock 3; realloc 3 400; realloc 3 400 moveable; read 3; handle 3; flags 3";

/// The text with each address (0x and six or more hex digits) replaced by
/// `@N`, N counting distinct addresses in order of first appearance, and
/// runs of spaces made one: equal addresses stay equal, a move shows as a
/// new name.
fn normalised(text: &str) -> String {
    let mut names: HashMap<String, String> = HashMap::new();
    let mut out = String::new();
    for line in text.lines() {
        let words: Vec<String> = line
            .split_whitespace()
            .map(|w| {
                let mut word = String::new();
                let mut rest = w;
                while let Some(i) = rest.find("0x") {
                    word.push_str(&rest[..i]);
                    let hex = rest[i + 2..]
                        .find(|c: char| !c.is_ascii_hexdigit())
                        .map_or(rest.len(), |e| i + 2 + e);
                    let address = &rest[i..hex];
                    if address.len() >= 8 {
                        let n = names.len();
                        word.push_str(names.entry(address.to_string()).or_insert(format!("@{n}")));
                    } else {
                        word.push_str(address);
                    }
                    rest = &rest[hex..];
                }
                word.push_str(rest);
                word
            })
            .collect();
        out.push_str(&words.join(" "));
        out.push('\n');
    }
    out
}

const EXPECTED: &str = "\
[1] alloc moveable 300: GlobalAlloc
handle 1 = @0
handle HGLOBAL kind address size locks flags kept pointer
1 @0 moveable @1 304 0 0x0 -
[2] alloc fixed 64: GlobalAlloc
handle 2 = @2
handle HGLOBAL kind address size locks flags kept pointer
1 @0 moveable @1 304 0 0x0 -
2 @2 fixed @2 64 0 0x0 @2
[3] alloc moveable 200: GlobalAlloc
handle 3 = @3
handle HGLOBAL kind address size locks flags kept pointer
1 @0 moveable @1 304 0 0x0 -
2 @2 fixed @2 64 0 0x0 @2
3 @3 moveable @4 208 0 0x0 -
[4] lock 3: GlobalLock
pointer @4, lock count 1
handle HGLOBAL kind address size locks flags kept pointer
1 @0 moveable @1 304 0 0x0 -
2 @2 fixed @2 64 0 0x0 @2
3 @3 moveable @4 208 1 0x1 @4
[5] unlock 3: GlobalUnlock
lock count 0
handle HGLOBAL kind address size locks flags kept pointer
1 @0 moveable @1 304 0 0x0 -
2 @2 fixed @2 64 0 0x0 @2
3 @3 moveable @4 208 0 0x0 @4
[6] free 1: GlobalFree
freed: the handle is invalid from now on
handle HGLOBAL kind address size locks flags kept pointer
2 @2 fixed @2 64 0 0x0 @2
3 @3 moveable @4 208 0 0x0 @4
[7] compact: the system compacting (GlobalCompact)
handle 3 moved @4 -> @1
handle HGLOBAL kind address size locks flags kept pointer
2 @2 fixed @2 64 0 0x0 @2
3 @3 moveable @1 208 0 0x0 @4 STALE (moved)
[8] alloc discardable 100: GlobalAlloc
handle 4 = @0
handle HGLOBAL kind address size locks flags kept pointer
2 @2 fixed @2 64 0 0x0 @2
3 @3 moveable @1 208 0 0x0 @4 STALE
4 @0 discardable @4 112 0 0x100 -
[9] read 3: *p, a pointer kept from GlobalLock
*@4 is a stale pointer (the block moved or is gone); it would read handle 4's bytes (offset 0): \"DDDDDDDDDDDDDDDD\"
handle HGLOBAL kind address size locks flags kept pointer
2 @2 fixed @2 64 0 0x0 @2
3 @3 moveable @1 208 0 0x0 @4 STALE
4 @0 discardable @4 112 0 0x100 -
[10] lock 3: GlobalLock
pointer @1, lock count 1
handle HGLOBAL kind address size locks flags kept pointer
2 @2 fixed @2 64 0 0x0 @2
3 @3 moveable @1 208 1 0x1 @1
4 @0 discardable @4 112 0 0x100 -
[11] compact: the system compacting (GlobalCompact)
nothing could move
handle HGLOBAL kind address size locks flags kept pointer
2 @2 fixed @2 64 0 0x0 @2
3 @3 moveable @1 208 1 0x1 @1
4 @0 discardable @4 112 0 0x100 -
[12] unlock 3: GlobalUnlock
lock count 0
handle HGLOBAL kind address size locks flags kept pointer
2 @2 fixed @2 64 0 0x0 @2
3 @3 moveable @1 208 0 0x0 @1
4 @0 discardable @4 112 0 0x100 -
[13] unlock 3: GlobalUnlock
error: GlobalUnlock: handle 3 is not locked (ERROR_NOT_LOCKED): its lock count is already 0; every GlobalUnlock must match a GlobalLock
handle HGLOBAL kind address size locks flags kept pointer
2 @2 fixed @2 64 0 0x0 @2
3 @3 moveable @1 208 0 0x0 @1
4 @0 discardable @4 112 0 0x100 -
[14] lowmem: the system short of memory
discarded handle 4 (128 B back to the heap)
handle HGLOBAL kind address size locks flags kept pointer
2 @2 fixed @2 64 0 0x0 @2
3 @3 moveable @1 208 0 0x0 @1
4 @0 discardable (discarded) 0 0 0x4100 -
[15] lock 4: GlobalLock
error: GlobalLock returned NULL: handle 4 was discarded; GlobalReAlloc it to give it memory again
handle HGLOBAL kind address size locks flags kept pointer
2 @2 fixed @2 64 0 0x0 @2
3 @3 moveable @1 208 0 0x0 @1
4 @0 discardable (discarded) 0 0 0x4100 -
[16] realloc 4 1K: GlobalReAlloc
memory again at @4 (1024 bytes, zeroed: the old contents are lost)
handle HGLOBAL kind address size locks flags kept pointer
2 @2 fixed @2 64 0 0x0 @2
3 @3 moveable @1 208 0 0x0 @1
4 @0 discardable @4 1024 0 0x100 -
[17] lock 4: GlobalLock
pointer @4, lock count 1
handle HGLOBAL kind address size locks flags kept pointer
2 @2 fixed @2 64 0 0x0 @2
3 @3 moveable @1 208 0 0x0 @1
4 @0 discardable @4 1024 1 0x101 @4
[18] free 4: GlobalFree
error: GlobalFree: handle 4 is locked (lock count 1): a locked block is not freed; GlobalUnlock it first
handle HGLOBAL kind address size locks flags kept pointer
2 @2 fixed @2 64 0 0x0 @2
3 @3 moveable @1 208 0 0x0 @1
4 @0 discardable @4 1024 1 0x101 @4
[19] unlock 4: GlobalUnlock
lock count 0
handle HGLOBAL kind address size locks flags kept pointer
2 @2 fixed @2 64 0 0x0 @2
3 @3 moveable @1 208 0 0x0 @1
4 @0 discardable @4 1024 0 0x100 @4
[20] free 4: GlobalFree
freed: the handle is invalid from now on
handle HGLOBAL kind address size locks flags kept pointer
2 @2 fixed @2 64 0 0x0 @2
3 @3 moveable @1 208 0 0x0 @1
[21] lock 4: GlobalLock
error: handle 4 was freed by GlobalFree: using it is using a stale handle (ERROR_INVALID_HANDLE)
handle HGLOBAL kind address size locks flags kept pointer
2 @2 fixed @2 64 0 0x0 @2
3 @3 moveable @1 208 0 0x0 @1
[22] unlock 2: GlobalUnlock
error: GlobalUnlock: handle 2 is not locked (ERROR_NOT_LOCKED): a GMEM_FIXED block's lock count is always 0
handle HGLOBAL kind address size locks flags kept pointer
2 @2 fixed @2 64 0 0x0 @2
3 @3 moveable @1 208 0 0x0 @1
[23] handle 3: GlobalHandle
@1 is the start of handle 3 (HGLOBAL @3)
handle HGLOBAL kind address size locks flags kept pointer
2 @2 fixed @2 64 0 0x0 @2
3 @3 moveable @1 208 0 0x0 @1
[24] size 3: GlobalSize
GlobalSize: 208 bytes (200 asked, rounded up to 16)
handle HGLOBAL kind address size locks flags kept pointer
2 @2 fixed @2 64 0 0x0 @2
3 @3 moveable @1 208 0 0x0 @1
[25] lock 3: GlobalLock
pointer @1, lock count 1
handle HGLOBAL kind address size locks flags kept pointer
2 @2 fixed @2 64 0 0x0 @2
3 @3 moveable @1 208 1 0x1 @1
[26] realloc 3 400: GlobalReAlloc
error: GlobalReAlloc: handle 3 cannot grow to 400 B in place, and a locked block (lock count 1) cannot move without GMEM_MOVEABLE (ERROR_NOT_ENOUGH_MEMORY)
handle HGLOBAL kind address size locks flags kept pointer
2 @2 fixed @2 64 0 0x0 @2
3 @3 moveable @1 208 1 0x1 @1
[27] realloc 3 400 moveable: GlobalReAlloc
moved @1 -> @4, now 400 bytes
handle HGLOBAL kind address size locks flags kept pointer
2 @2 fixed @2 64 0 0x0 @2
3 @3 moveable @4 400 1 0x1 @1 STALE (moved)
[28] read 3: *p, a pointer kept from GlobalLock
*@1 is a stale pointer (the block moved or is gone); it would read free space of the heap: no block there now (the next GlobalAlloc may put one there)
handle HGLOBAL kind address size locks flags kept pointer
2 @2 fixed @2 64 0 0x0 @2
3 @3 moveable @4 400 1 0x1 @1 STALE
[29] handle 3: GlobalHandle
error: GlobalHandle: @1 is not the start of a block of the global heap (ERROR_INVALID_HANDLE)
handle HGLOBAL kind address size locks flags kept pointer
2 @2 fixed @2 64 0 0x0 @2
3 @3 moveable @4 400 1 0x1 @1 STALE
[30] flags 3: GlobalFlags
GlobalFlags: 0x0001
handle HGLOBAL kind address size locks flags kept pointer
2 @2 fixed @2 64 0 0x0 @2
3 @3 moveable @4 400 1 0x1 @1 STALE
";

#[test]
fn the_books_experiment_prints_the_expected_table_after_each_step() {
    let out = run(&["global", SCRIPT]);
    // Step 13 broke a rule (unlocking at count 0): the script went on, and
    // the exit code is that step's (usage: 2).
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(
        stderr(&out).trim(),
        "memlab: error: step 13 \"unlock 3\": GlobalUnlock: handle 3 is not locked \
         (ERROR_NOT_LOCKED): its lock count is already 0; every GlobalUnlock must match a GlobalLock"
    );
    let got = normalised(&stdout(&out));
    for (i, (g, w)) in got.lines().zip(EXPECTED.lines()).enumerate() {
        assert_eq!(g, w, "line {} differs; the whole output:\n{got}", i + 1);
    }
    assert_eq!(got.lines().count(), EXPECTED.lines().count(), "{got}");
}

fn json_steps(out: &std::process::Output) -> Vec<serde_json::Value> {
    stdout(out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn json_has_the_handle_table_after_each_step_with_no_address_while_discarded() {
    let out = run(&[
        "global",
        "--json",
        "alloc discardable 100; alloc moveable 1K; lock 2; lowmem; lock 1; free 2; realloc 1 50; \
         lock 1; unlock 1; unlock 1; free 1",
    ]);
    let steps = json_steps(&out);
    assert_eq!(steps.len(), 11, "every step printed: {}", stdout(&out));
    for (i, step) in steps.iter().enumerate() {
        assert_eq!(step["index"], i + 1);
        let handles = step["handles"].as_array().expect("handles");
        for h in handles {
            for field in ["handle", "address", "size", "lock_count", "flags"] {
                assert!(h.get(field).is_some(), "step {}: no {field} in {h}", i + 1);
            }
        }
    }
    let handle = |step: &serde_json::Value, n: u64| {
        step["handles"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["handle"] == n)
            .cloned()
            .unwrap_or_else(|| panic!("no handle {n} in {step}"))
    };
    // Step 1: a discardable block of 100 bytes, GlobalSize 112.
    let h1 = handle(&steps[0], 1);
    assert_eq!(h1["size"], 112);
    assert_eq!(h1["requested"], 100);
    assert_eq!(h1["flags"], 0x100);
    assert_eq!(h1["kind"], "discardable");
    assert!(h1["address"].as_str().unwrap().starts_with("0x"));
    // Step 3: handle 2 locked once.
    assert_eq!(handle(&steps[2], 2)["lock_count"], 1);
    assert_eq!(handle(&steps[2], 2)["flags"], 1);
    // Step 4: low memory discards handle 1 only (2 is movable, not discardable).
    assert_eq!(steps[3]["result"]["discarded"], serde_json::json!([1]));
    let d = handle(&steps[3], 1);
    assert!(d["address"].is_null(), "{d}");
    assert_eq!(d["size"], 0);
    assert_eq!(d["flags"], 0x4100);
    assert!(!handle(&steps[3], 2)["address"].is_null());
    // Step 5: locking the discarded block is an error in its step.
    assert_eq!(steps[4]["result"], serde_json::Value::Null);
    assert_eq!(
        steps[4]["error"]["win32"],
        "GlobalLock returns NULL for a discarded block"
    );
    // Step 6: freeing a locked block: refused, still there.
    assert_eq!(steps[5]["error"]["win32"], "GlobalFree of a locked block");
    assert_eq!(handle(&steps[5], 2)["lock_count"], 1);
    // Step 7: re-allocated, it has an address again; then it locks.
    assert!(!handle(&steps[6], 1)["address"].is_null());
    assert_eq!(steps[7]["result"]["kind"], "locked");
    assert_eq!(
        steps[7]["result"]["pointer"],
        handle(&steps[6], 1)["address"]
    );
    // Step 10: the second unlock is ERROR_NOT_LOCKED.
    assert_eq!(steps[9]["error"]["win32"], "ERROR_NOT_LOCKED");
    assert_eq!(steps[9]["error"]["kind"], "Usage");
    // Step 11: freed; handle 2 is still there.
    assert_eq!(steps[10]["error"], serde_json::Value::Null);
    let left: Vec<u64> = steps[10]["handles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["handle"].as_u64().unwrap())
        .collect();
    assert_eq!(left, [2]);
    assert_eq!(out.status.code(), Some(2), "the first failed step's code");
}

#[test]
fn compaction_in_json_names_the_moves_and_leaves_locked_blocks() {
    let out = run(&[
        "global",
        "--json",
        "alloc moveable 4K; alloc moveable 100; alloc moveable 100; lock 3; free 1; compact; \
         read 2",
    ]);
    // The last step breaks a rule (no pointer kept from handle 2): exit 2.
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let steps = json_steps(&out);
    let before = &steps[4]["handles"];
    let after = &steps[5]["handles"];
    let moved = steps[5]["result"]["moved"].as_array().unwrap();
    assert_eq!(moved.len(), 1, "{moved:?}");
    assert_eq!(moved[0]["handle"], 2);
    assert_eq!(moved[0]["from"], before[0]["address"]);
    assert_eq!(moved[0]["to"], after[0]["address"]);
    assert_ne!(before[0]["address"], after[0]["address"]);
    assert_eq!(after[0]["moved"], true);
    // Handle 3 is locked: it stayed.
    assert_eq!(before[1]["address"], after[1]["address"]);
    assert_eq!(after[1]["moved"], false);
    // Handle 2 was never locked: no kept pointer to read.
    assert_eq!(
        steps[6]["error"]["message"],
        "handle 2 has no kept pointer: lock it first (GlobalLock gives the pointer)"
    );
}

#[test]
fn a_malformed_script_exits_2_before_any_step() {
    for (script, why) in [
        (
            "alloc moveable 100; lock x",
            "step 2 \"lock x\": expected a handle number",
        ),
        (
            "alloc huge 100",
            "step 1 \"alloc huge 100\": expected fixed, moveable or discardable",
        ),
        (
            "alloc fixed 1G",
            "expected a size such as 100, 64K or 1M, got \"1G\"",
        ),
        (
            "alloc fixed 10; frob",
            "step 2 \"frob\": unknown step \"frob\"",
        ),
        (" ; ", "the script has no steps"),
    ] {
        let out = run(&["global", script]);
        assert_eq!(out.status.code(), Some(2), "{script}");
        assert_eq!(stdout(&out), "", "{script}: no step ran");
        assert!(stderr(&out).contains(why), "{script}: {}", stderr(&out));
    }
}

#[test]
fn a_block_larger_than_the_heap_is_refused_in_its_step_with_exit_2() {
    let out = run(&["global", "alloc fixed 17M; alloc fixed 16"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains(
            "error: GlobalAlloc: memlab's global heap holds 16.0 MiB in all; 17.0 MiB cannot fit"
        ),
        "{text}"
    );
    assert!(
        text.contains("[2] alloc fixed 16: GlobalAlloc"),
        "the script went on: {text}"
    );
}
