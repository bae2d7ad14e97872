//! `memlab heap` through the real binary: the issue's steps with their
//! expected output, JSON for scripts (every field the issue names), a rule
//! broken in a step (reported there, the script goes on), a malformed
//! script (exit 2 before any step), and the commit charge a heap costs.

// Linux only, for now: the Windows suite is tests/windows.rs (docs/windows.md).
#![cfg(target_os = "linux")]

mod common;

use common::{run, stderr, stdout};

/// The text output without what changes from run to run: the strips
/// (they start with the range's address) and the RSS / commit charge line.
fn steady(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.starts_with("0x") && !l.starts_with("RSS "))
        .map(str::to_owned)
        .collect()
}

#[test]
fn a_script_prints_the_expected_heaps() {
    let out = run(&[
        "heap",
        "create 16K 64K; alloc 1 100 x3; free 1 2; size 1 1; realloc 1 1 120 inplace; \
         realloc 1 3 5000 inplace; overrun 1 3; validate 1; alloc 1 70K; compact 1; destroy 1",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    let want = [
        "strips, to scale over each reserved range: '#' busy block, 'o' free block, '-' reserved, not committed",
        "[1] create 16K 64K: HeapCreate -> mmap(PROT_NONE) of the maximum (reserve) + mprotect(PROT_READ|PROT_WRITE) of the initial size (commit)",
        "heap 1 created",
        "heap 1 (maximum 64.0 KiB): reserved 64.0 KiB, committed 16.0 KiB, 0 blocks, free 16.0 KiB (largest 16.0 KiB)",
        "kernel (smaps): reserved 64.0 KiB, read-write 16.0 KiB, charged 16.0 KiB, in RAM 4.0 KiB",
        "[2] alloc 1 100 x3: HeapAlloc -> memlab's block table; mprotect(RW) of more pages when the block does not fit (a growable heap: a new mmap(PROT_NONE) range)",
        "allocated block 1, 2, 3",
        "heap 1 (maximum 64.0 KiB): reserved 64.0 KiB, committed 16.0 KiB, 3 blocks, free 15.6 KiB (largest 15.6 KiB)",
        "kernel (smaps): reserved 64.0 KiB, read-write 16.0 KiB, charged 16.0 KiB, in RAM 4.0 KiB",
        "[3] free 1 2: HeapFree -> memlab's block table (the pages stay committed)",
        "heap 1 (maximum 64.0 KiB): reserved 64.0 KiB, committed 16.0 KiB, 2 blocks, free 15.7 KiB (largest 15.6 KiB)",
        "kernel (smaps): reserved 64.0 KiB, read-write 16.0 KiB, charged 16.0 KiB, in RAM 4.0 KiB",
        "[4] size 1 1: HeapSize -> the block's header",
        "HeapSize: 100 bytes",
        "heap 1 (maximum 64.0 KiB): reserved 64.0 KiB, committed 16.0 KiB, 2 blocks, free 15.7 KiB (largest 15.6 KiB)",
        "kernel (smaps): reserved 64.0 KiB, read-write 16.0 KiB, charged 16.0 KiB, in RAM 4.0 KiB",
        "[5] realloc 1 1 120 inplace: HeapReAlloc -> grow into the free bytes after the block, else HeapAlloc + memcpy + HeapFree",
        "in place: the block kept its address",
        "heap 1 (maximum 64.0 KiB): reserved 64.0 KiB, committed 16.0 KiB, 2 blocks, free 15.7 KiB (largest 15.6 KiB)",
        "kernel (smaps): reserved 64.0 KiB, read-write 16.0 KiB, charged 16.0 KiB, in RAM 4.0 KiB",
        "[6] realloc 1 3 5000 inplace: HeapReAlloc -> grow into the free bytes after the block, else HeapAlloc + memcpy + HeapFree",
        "in place: the block kept its address",
        "heap 1 (maximum 64.0 KiB): reserved 64.0 KiB, committed 16.0 KiB, 2 blocks, free 10.9 KiB (largest 10.8 KiB)",
        "kernel (smaps): reserved 64.0 KiB, read-write 16.0 KiB, charged 16.0 KiB, in RAM 8.0 KiB",
        "[7] overrun 1 3: (a write past the block's end) -> 8 bytes written past the block's end, into its tail check",
    ];
    let got = steady(&text);
    assert_eq!(got[..want.len()], want[..], "{text}");
    let rest = got[want.len()..].join("\n");
    for part in [
        "[8] validate 1: HeapValidate",
        "HeapValidate: FALSE: block 3 at 0x",
        ": tail check bytes overwritten",
        "[9] alloc 1 70K: HeapAlloc",
        "error: HeapAlloc: memory is short (STATUS_NO_MEMORY): heap 1 is fixed at its maximum of 64.0 KiB and has no free block of 70.0 KiB",
        "[10] compact 1: HeapCompact",
        "HeapCompact: largest free block 10.8 KiB",
        "[11] destroy 1: HeapDestroy -> munmap of every range",
    ] {
        assert!(rest.contains(part), "{part:?} missing in\n{text}");
    }
    // After the destroy no heap is left to show.
    assert!(
        text.trim_end()
            .lines()
            .last()
            .unwrap()
            .trim()
            .starts_with("RSS "),
        "{text}"
    );
    // The failed step is the exit code's and stderr's.
    assert!(stderr(&out).contains("step 9 \"alloc 1 70K\": HeapAlloc: memory is short"));
}

#[test]
fn in_place_only_fails_where_the_block_cannot_grow_and_the_script_goes_on() {
    let out = run(&[
        "heap",
        "--json",
        "create 64K 0; alloc 1 100 x2; realloc 1 1 4K inplace; realloc 1 1 4K; size 1 1",
    ]);
    let steps: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(steps.len(), 5, "every step ran");
    let e = &steps[2]["error"];
    assert_eq!(e["win32"], "HeapReAlloc");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("HEAP_REALLOC_IN_PLACE_ONLY"),
        "{e}"
    );
    assert_eq!(steps[2]["result"], serde_json::Value::Null);
    let before = steps[1]["heaps"][0]["blocks"][0]["address"].clone();
    assert_eq!(
        steps[2]["heaps"][0]["blocks"][0]["address"], before,
        "unchanged"
    );
    assert_eq!(steps[3]["result"]["moved"], true);
    assert_eq!(steps[3]["result"]["from"], before);
    assert_ne!(steps[3]["heaps"][0]["blocks"][0]["address"], before);
    assert_eq!(steps[4]["result"]["bytes"], 4096);
    assert_eq!(steps[4]["error"], serde_json::Value::Null);
    // The exit code is the first failure's (no room: 1).
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn json_steps_carry_the_issues_fields_and_match_the_kernel() {
    let out = run(&[
        "heap",
        "--json",
        "create 8K 1M; alloc 1 6K x3; create 0 0; destroy 1",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let steps: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(steps.len(), 4);
    for (i, s) in steps.iter().enumerate() {
        assert_eq!(s["index"], i + 1);
        assert!(s["commit_charge_delta_kb"].is_i64(), "{s}");
        assert!(s["win32"].as_str().unwrap().starts_with("Heap"), "{s}");
        for h in s["heaps"].as_array().unwrap() {
            // memlab's sizes are the kernel's (smaps).
            assert_eq!(h["reserved_bytes"], h["kernel"]["reserved_bytes"], "{h}");
            assert_eq!(h["committed_bytes"], h["kernel"]["committed_bytes"], "{h}");
            assert_eq!(h["committed_bytes"], h["kernel"]["charged_bytes"], "{h}");
        }
    }
    let heap = &steps[1]["heaps"][0];
    assert_eq!(heap["id"], 1);
    assert_eq!(heap["reserved_bytes"], 1 << 20);
    // 8 KiB committed at first; three 6 KiB blocks made it commit more.
    assert!(
        heap["committed_bytes"].as_u64().unwrap() >= 3 * 6144,
        "{heap}"
    );
    let blocks = heap["blocks"].as_array().unwrap();
    assert_eq!(blocks.len(), 3);
    for (n, b) in blocks.iter().enumerate() {
        assert_eq!(b["id"], n + 1);
        assert_eq!(b["size"], 6144);
        assert!(b["address"].as_str().unwrap().starts_with("0x"));
    }
    assert_eq!(steps[2]["heaps"][1]["id"], 2);
    assert_eq!(steps[2]["heaps"][1]["growable"], true);
    let last: Vec<_> = steps[3]["heaps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].clone())
        .collect();
    assert_eq!(last, [2], "heap 1 destroyed, heap 2 left");
}

#[test]
fn a_malformed_script_exits_2_before_any_step() {
    for (script, names) in [
        (
            "create 64K 1M; alloc 1 10 x0",
            "step 2 \"alloc 1 10 x0\": expected a count",
        ),
        (
            "create 64Q 0",
            "step 1 \"create 64Q 0\": expected an initial size",
        ),
        (
            "create 1M 2M; frobnicate 1",
            "step 2 \"frobnicate 1\": unknown step",
        ),
        ("free 1", "step 1 \"free 1\": missing a block number"),
        (" ; ", "the script has no steps"),
    ] {
        let out = run(&["heap", script]);
        assert_eq!(out.status.code(), Some(2), "{script}");
        assert_eq!(stdout(&out), "", "no step ran for {script:?}");
        assert!(stderr(&out).contains(names), "{script}: {}", stderr(&out));
    }
}

#[test]
fn a_damaged_block_is_refused_with_the_corrupt_exit_code() {
    let out = run(&[
        "heap",
        "create 64K 0; alloc 1 50 x2; overrun 1 1; free 1 1; free 1 2",
    ]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("error: HeapFree: heap 1's block 1 at 0x"),
        "{text}"
    );
    assert!(text.contains("[5] free 1 2"), "the script went on: {text}");
    assert!(
        text.contains("1 blocks"),
        "block 1 stayed, block 2 freed: {text}"
    );
}

#[test]
fn missing_heaps_and_blocks_are_reported_in_their_step() {
    let out = run(&[
        "heap",
        "--json",
        "alloc 3 10; create 64K 0; free 1 9; destroy 1; validate 1",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let steps: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(steps.len(), 5);
    assert!(
        steps[0]["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("heap 3 does not exist")
    );
    assert!(
        steps[2]["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("heap 1 has no block 9")
    );
    assert_eq!(steps[3]["error"], serde_json::Value::Null);
    assert!(
        steps[4]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("HeapDestroy")
    );
}

/// HeapCreate's initial size is charged at once and HeapDestroy gives it
/// back. `Committed_AS` is the system's (other processes move it too), so
/// a large heap is used (512 MiB, never touched: no RAM) and one clean run
/// out of a few is enough.
#[test]
fn the_commit_charge_follows_create_and_destroy() {
    let mut seen = Vec::new();
    for _ in 0..5 {
        let out = run(&["heap", "--json", "create 512M 1G; destroy 1"]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let steps: Vec<serde_json::Value> = stdout(&out)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let up = steps[0]["commit_charge_delta_kb"].as_i64().unwrap();
        let down = steps[1]["commit_charge_delta_kb"].as_i64().unwrap();
        assert_eq!(steps[0]["heaps"][0]["kernel"]["charged_bytes"], 512 << 20);
        seen.push((up, down));
        let near = |d: i64| (d - (512 << 10)).abs() < 32 << 10;
        if near(up) && near(-down) {
            return;
        }
    }
    panic!("Committed_AS did not move by 512 MiB: {seen:?}");
}
