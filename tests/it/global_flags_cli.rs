//! `memlab global`'s GMEM_ZEROINIT and GMEM_MODIFY steps through the real
//! binary (memlab's Linux model; the Windows build's real calls are tested
//! in tests/windows_global.rs): `alloc KIND SIZE zeroinit` gives a block of
//! zeros, `modify H [moveable] [discardable]` changes a block's flags
//! without moving it, and a fixed block made discardable is refused.

use crate::common;

use common::{run, stderr};
use serde_json::Value;

fn steps(script: &str) -> (std::process::Output, Vec<Value>) {
    let out = run(&["global", "--json", script]);
    let steps = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    (out, steps)
}

fn row(step: &Value, n: u64) -> &Value {
    step["handles"]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["handle"] == n))
        .unwrap_or_else(|| panic!("no handle {n}: {step}"))
}

#[test]
fn zeroinit_gives_zeros_and_a_plain_block_its_letter() {
    let (out, steps) = steps("alloc moveable 64 zeroinit; lock 1; read 1; alloc fixed 32; read 2");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(steps[0]["op"], "alloc");
    let zeroed = &steps[2]["result"]["now"];
    assert_eq!(zeroed["handle"], 1, "{zeroed}");
    assert_eq!(zeroed["bytes"], "\0".repeat(16), "{zeroed}");
    let plain = &steps[4]["result"]["now"];
    assert_eq!(plain["bytes"], "B".repeat(16), "{plain}");
}

#[test]
fn modify_changes_the_flags_and_nothing_moves() {
    let (out, steps) = steps(
        "alloc moveable 100; modify 1 discardable; lowmem; realloc 1 100; modify 1; lowmem; \
         alloc fixed 64; modify 2 discardable; modify 2 moveable discardable; lock 2",
    );
    assert_eq!(steps.len(), 10, "{}", stderr(&out));
    // GlobalReAlloc(h, 0, GMEM_MODIFY | GMEM_DISCARDABLE).
    assert_eq!(steps[1]["op"], "modify");
    assert_eq!(steps[1]["win32"], "GlobalReAlloc(GMEM_MODIFY)");
    let modified = &steps[1]["result"];
    assert_eq!(modified["kind"], "modified", "{modified}");
    assert_eq!(modified["now"], "discardable", "{modified}");
    assert_eq!(modified["flags"], 0x100, "{modified}");
    assert_eq!(row(&steps[1], 1)["address"], row(&steps[0], 1)["address"]);
    // Low memory now discards it; without the flag it stays.
    assert_eq!(steps[2]["result"]["discarded"], serde_json::json!([1]));
    assert_eq!(steps[4]["result"]["now"], "moveable");
    assert_eq!(steps[5]["result"]["discarded"], serde_json::json!([]));
    // A fixed block cannot be discardable; with GMEM_MOVEABLE it becomes a
    // movable one: a handle now, at the same address, and it locks.
    assert_eq!(
        steps[7]["error"]["win32"], "GMEM_DISCARDABLE on a GMEM_FIXED block",
        "{}",
        steps[7]
    );
    let fixed = row(&steps[6], 2);
    let made = row(&steps[8], 2);
    assert_eq!(made["kind"], "discardable", "{made}");
    assert_eq!(made["address"], fixed["address"], "{made}");
    assert_ne!(made["hglobal"], fixed["hglobal"], "{made}");
    assert_eq!(row(&steps[9], 2)["lock_count"], 1);
    // The refused step is the first failure: usage, exit 2.
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("step 8"), "{}", stderr(&out));
}

#[test]
fn the_text_output_names_the_new_flags() {
    let out = run(&["global", "alloc moveable 16 zeroinit; modify 1 discardable"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("[2] modify 1 discardable: GlobalReAlloc(GMEM_MODIFY)"),
        "{text}"
    );
    assert!(
        text.contains("now discardable: GlobalFlags 0x0100"),
        "{text}"
    );
}

#[test]
fn a_misspelt_flag_stops_the_script_before_any_step() {
    for script in [
        "alloc fixed 10; alloc fixed 10 zero",
        "alloc moveable 1; modify 1 fixed",
    ] {
        let (out, steps) = steps(script);
        assert_eq!(out.status.code(), Some(2), "{script}: {}", stderr(&out));
        assert!(steps.is_empty(), "{script}");
        assert!(stderr(&out).contains("step 2"), "{}", stderr(&out));
    }
}
