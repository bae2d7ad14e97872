//! The Global/Local lab on Windows, through real `memlab.exe global --json`
//! processes under wine (`.ci/windows/test --test windows_global`) or on
//! Windows: every step is the real call (`GlobalAlloc`, `GlobalLock`,
//! `GlobalUnlock`, `GlobalSize`, `GlobalReAlloc`, `GlobalFlags`,
//! `GlobalHandle`, `GlobalFree`, `GlobalDiscard`) and the handle table is
//! what `GlobalFlags`, `GlobalSize` and `GlobalLock` say. Where Windows
//! answers otherwise than memlab's Linux model (a locked block is freed, a
//! fixed block's unlock is no error), the test checks Windows' answer.
#![cfg(windows)]

mod wine;

use std::process::Output;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use memlab::forms::global::GlobalLabForm;
use memlab::forms::{Lab, help};
use memlab::lab_id::LabId;
use memlab_engine::i18n::Lang;
use memlab_engine::i18n::testing::assert_korean;
use serde_json::Value;

const GMEM_DISCARDABLE: u64 = 0x0100;
const GMEM_DISCARDED: u64 = 0x4000;

fn global_json(script: &str) -> (Output, Vec<Value>) {
    let out = wine::run(&["global", "--json", script]);
    let steps = wine::json_lines(&out.stdout);
    (out, steps)
}

/// Handle `n`'s row in a step's table.
fn row(step: &Value, n: u64) -> &Value {
    step["handles"]
        .as_array()
        .unwrap_or_else(|| panic!("no table: {step}"))
        .iter()
        .find(|r| r["handle"] == n)
        .unwrap_or_else(|| panic!("no handle {n}: {step}"))
}

fn u(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a number: {v}"))
}

fn ok(step: &Value) -> &Value {
    assert!(step["error"].is_null(), "{step}");
    &step["result"]
}

fn error(step: &Value) -> &Value {
    assert!(step["result"].is_null(), "{step}");
    &step["error"]
}

#[test]
fn the_three_kinds_have_their_handles_sizes_and_flags() {
    let (out, steps) = global_json(
        "alloc fixed 64; alloc moveable 300; alloc discardable 100; size 2; flags 3; handle 1",
    );
    assert_eq!(out.status.code(), Some(0), "{}", wine::text(&out.stderr));
    assert_eq!(steps.len(), 6);
    let table = &steps[2];
    // GMEM_FIXED: the HGLOBAL is the pointer itself, kept by the program.
    let fixed = row(table, 1);
    assert_eq!(fixed["kind"], "fixed");
    assert_eq!(fixed["hglobal"], fixed["address"], "{fixed}");
    assert_eq!(fixed["kept_pointer"], fixed["address"], "{fixed}");
    // GMEM_MOVEABLE: a handle that is not the block's address.
    let moveable = row(table, 2);
    assert_ne!(moveable["hglobal"], moveable["address"], "{moveable}");
    assert!(moveable["address"].is_string(), "{moveable}");
    assert_eq!(u(&moveable["flags"]), 0, "{moveable}");
    // GMEM_DISCARDABLE, as GlobalFlags says.
    let discardable = row(table, 3);
    assert_eq!(discardable["kind"], "discardable");
    assert_eq!(u(&discardable["flags"]), GMEM_DISCARDABLE, "{discardable}");
    // GlobalSize: at least what was asked.
    let size = ok(&steps[3]);
    assert_eq!(size["kind"], "size");
    assert!(u(&size["bytes"]) >= 300, "{size}");
    assert_eq!(u(&ok(&steps[4])["flags"]), GMEM_DISCARDABLE);
    // GlobalHandle of a fixed block's pointer is the pointer.
    let handle = ok(&steps[5]);
    assert_eq!(handle["handle"], 1, "{handle}");
    assert_eq!(handle["hglobal"], fixed["hglobal"], "{handle}");
}

#[test]
fn lock_counts_come_from_global_flags_and_an_unlock_at_zero_is_error_not_locked() {
    let (out, steps) =
        global_json("alloc moveable 100; lock 1; lock 1; unlock 1; unlock 1; unlock 1; handle 1");
    assert_eq!(steps.len(), 7, "{}", wine::text(&out.stderr));
    let counts: Vec<u64> = steps[1..5]
        .iter()
        .map(|s| u(&row(s, 1)["lock_count"]))
        .collect();
    assert_eq!(counts, [1, 2, 1, 0]);
    // The lock count is GlobalFlags' low byte.
    assert_eq!(u(&row(&steps[2], 1)["flags"]), 2);
    let locked = ok(&steps[1]);
    assert_eq!(locked["lock_count"], 1);
    // The pointer GlobalLock gave is the block's address.
    assert_eq!(locked["pointer"], row(&steps[1], 1)["address"]);
    let e = error(&steps[5]);
    assert_eq!(e["win32"], "ERROR_NOT_LOCKED", "{e}");
    // The script went on, and GlobalHandle of the kept pointer finds the handle.
    assert_eq!(ok(&steps[6])["handle"], 1);
    assert_eq!(out.status.code(), Some(2), "{}", wine::text(&out.stderr));
    assert!(
        wine::text(&out.stderr).contains("step 6"),
        "{}",
        wine::text(&out.stderr)
    );
}

#[test]
fn a_locked_block_cannot_grow_by_moving_without_gmem_moveable_and_moves_with_it() {
    let (out, steps) = global_json(
        "alloc moveable 100; alloc fixed 64; lock 1; realloc 1 1M; realloc 1 1M moveable; read 1; \
         realloc 2 1M; realloc 2 1M moveable",
    );
    assert_eq!(steps.len(), 8, "{}", wine::text(&out.stderr));
    let before = row(&steps[2], 1)["address"].clone();
    // Locked, without GMEM_MOVEABLE: refused, the block where it was.
    let e = error(&steps[3]);
    assert_eq!(e["win32"], "ERROR_NOT_ENOUGH_MEMORY", "{e}");
    assert_eq!(row(&steps[3], 1)["address"], before);
    // With GMEM_MOVEABLE the heap moves it, and the pointer kept from the
    // lock no longer points at it.
    let moved = ok(&steps[4]);
    assert_eq!(moved["moved"], true, "{moved}");
    let after = row(&steps[4], 1);
    assert_ne!(after["address"], before, "{after}");
    assert_eq!(after["kept_is_stale"], true, "{after}");
    assert!(u(&after["size"]) >= 1 << 20, "{after}");
    assert_eq!(after["lock_count"], 1, "{after}");
    // What the stale pointer reads now is never read from memory that is
    // not a live block of memlab's.
    let read = ok(&steps[5]);
    assert_eq!(read["stale"], true, "{read}");
    assert!(
        ["not_ours", "block"].contains(&read["now"]["what"].as_str().unwrap_or_default()),
        "{read}"
    );
    // A fixed block: the same rule, and its HGLOBAL is its new pointer.
    assert_eq!(
        error(&steps[6])["win32"],
        "ERROR_NOT_ENOUGH_MEMORY",
        "{}",
        steps[6]
    );
    let fixed = row(&steps[7], 2);
    assert!(ok(&steps[7])["moved"] == true, "{}", steps[7]);
    assert_eq!(fixed["hglobal"], fixed["address"], "{fixed}");
}

#[test]
fn a_discarded_block_has_no_address_its_lock_fails_and_realloc_gives_it_memory() {
    let (out, steps) = global_json(
        "alloc discardable 100; discard 1; lock 1; realloc 1 200; lock 1; discard 1; unlock 1; \
         alloc moveable 0",
    );
    assert_eq!(steps.len(), 8, "{}", wine::text(&out.stderr));
    assert_eq!(ok(&steps[1])["kind"], "discarded");
    let discarded = row(&steps[1], 1);
    assert!(discarded["address"].is_null(), "{discarded}");
    assert_eq!(u(&discarded["size"]), 0, "{discarded}");
    assert_eq!(
        u(&discarded["flags"]),
        GMEM_DISCARDABLE | GMEM_DISCARDED,
        "{discarded}"
    );
    // GlobalLock returns NULL for a discarded block.
    let e = error(&steps[2]);
    assert!(
        e["message"].as_str().unwrap_or_default().contains("NULL"),
        "{e}"
    );
    // GlobalReAlloc gives it memory again, under the same handle.
    let again = ok(&steps[3]);
    assert_eq!(again["kind"], "reallocated");
    assert!(again["from"].is_null(), "{again}");
    assert_eq!(row(&steps[3], 1)["hglobal"], discarded["hglobal"]);
    assert_eq!(ok(&steps[4])["lock_count"], 1);
    // A locked block is not discarded.
    assert_eq!(
        error(&steps[5])["win32"],
        "GlobalDiscard of a locked block",
        "{}",
        steps[5]
    );
    assert!(row(&steps[5], 1)["address"].is_string());
    // GlobalAlloc(GMEM_MOVEABLE, 0): a handle to a discarded block.
    let empty = row(&steps[7], 2);
    assert!(empty["address"].is_null(), "{empty}");
    assert_eq!(u(&empty["flags"]) & GMEM_DISCARDED, GMEM_DISCARDED);
    assert_eq!(out.status.code(), Some(2), "{}", wine::text(&out.stderr));
}

#[test]
fn windows_frees_a_locked_block_and_the_freed_handle_is_stale_from_then_on() {
    let (out, steps) = global_json("alloc moveable 100; lock 1; lock 1; free 1; lock 1");
    assert_eq!(steps.len(), 5, "{}", wine::text(&out.stderr));
    // GlobalFree does not refuse a locked block (memlab's Linux model
    // does), and the step says it was locked.
    let freed = ok(&steps[3]);
    assert_eq!(freed["kind"], "freed_locked", "{freed}");
    assert_eq!(freed["lock_count"], 2, "{freed}");
    assert_eq!(steps[3]["handles"].as_array().map(Vec::len), Some(0));
    // The HGLOBAL is never passed again: the lab names the stale handle.
    assert_eq!(
        error(&steps[4])["win32"],
        "ERROR_INVALID_HANDLE",
        "{}",
        steps[4]
    );
}

#[test]
fn low_memory_discards_only_unlocked_discardable_blocks_and_compact_leaves_locked_ones() {
    let (out, steps) = global_json(
        "alloc discardable 100; alloc discardable 100; alloc moveable 100; alloc fixed 100; \
         lock 2; lowmem; lock 3; compact",
    );
    assert_eq!(out.status.code(), Some(0), "{}", wine::text(&out.stderr));
    let low = ok(&steps[5]);
    assert_eq!(low["discarded"], serde_json::json!([1]), "{low}");
    assert!(row(&steps[5], 1)["address"].is_null());
    assert!(row(&steps[5], 2)["address"].is_string());
    assert!(row(&steps[5], 3)["address"].is_string());
    // Compaction: what the heap moved is in the table; locked and fixed
    // blocks stayed where they were.
    let compact = ok(&steps[7]);
    assert_eq!(compact["kind"], "compacted");
    for n in [2, 3, 4] {
        assert_eq!(
            row(&steps[7], n)["address"],
            row(&steps[6], n)["address"],
            "{n}"
        );
        assert_eq!(row(&steps[7], n)["moved"], false, "{n}");
    }
}

#[test]
fn a_step_reports_discarded_only_when_global_flags_says_so() {
    // GlobalDiscard of a GMEM_FIXED block: whatever Windows does with it,
    // the step says what the table shows.
    let (out, steps) = global_json("alloc fixed 64; discard 1");
    assert_eq!(steps.len(), 2, "{}", wine::text(&out.stderr));
    let step = &steps[1];
    let fixed = row(step, 1);
    let discarded = u(&fixed["flags"]) & GMEM_DISCARDED != 0;
    if step["error"].is_null() {
        assert_eq!(step["result"]["kind"] == "discarded", discarded, "{step}");
        if !discarded {
            assert_eq!(step["result"]["to"], fixed["address"], "{step}");
            assert_eq!(step["result"]["size"], fixed["size"], "{step}");
        }
    } else {
        assert!(!discarded, "{step}");
        assert_eq!(u(&fixed["size"]), 64, "{step}");
    }
}

#[test]
fn a_malformed_script_exits_2_before_any_step() {
    let (out, steps) = global_json("alloc moveable 100; lock one");
    assert_eq!(out.status.code(), Some(2), "{}", wine::text(&out.stderr));
    assert!(steps.is_empty());
    assert!(
        wine::text(&out.stderr).contains("step 2"),
        "{}",
        wine::text(&out.stderr)
    );
}

#[test]
fn gmem_zeroinit_gives_a_block_of_zeros() {
    let (out, steps) =
        global_json("alloc moveable 64 zeroinit; lock 1; read 1; alloc fixed 64; read 2");
    assert_eq!(out.status.code(), Some(0), "{}", wine::text(&out.stderr));
    let zeroed = &ok(&steps[2])["now"];
    assert_eq!(zeroed["handle"], 1, "{zeroed}");
    assert_eq!(zeroed["bytes"], "\0".repeat(16), "{zeroed}");
    // Without it memlab fills the block with the handle's letter.
    assert_eq!(ok(&steps[4])["now"]["bytes"], "B".repeat(16));
}

#[test]
fn gmem_modify_makes_a_block_discardable_and_a_fixed_one_movable() {
    let (out, steps) = global_json(
        "alloc moveable 100; modify 1 discardable; lowmem; alloc fixed 64; modify 2 moveable; \
         lock 2; unlock 2",
    );
    assert_eq!(out.status.code(), Some(0), "{}", wine::text(&out.stderr));
    // GlobalReAlloc(h, 0, GMEM_MODIFY | GMEM_DISCARDABLE): the flags change,
    // the block stays where it was, and low memory now discards it.
    let modified = ok(&steps[1]);
    assert_eq!(modified["kind"], "modified", "{modified}");
    assert_eq!(u(&modified["flags"]), GMEM_DISCARDABLE, "{modified}");
    assert_eq!(row(&steps[1], 1)["address"], row(&steps[0], 1)["address"]);
    assert_eq!(ok(&steps[2])["discarded"], serde_json::json!([1]));
    // GMEM_MODIFY | GMEM_MOVEABLE: the fixed block gets a handle that is
    // not its pointer, its bytes where they were, and a lock counts.
    let fixed = row(&steps[3], 2);
    let moveable = row(&steps[4], 2);
    assert_eq!(ok(&steps[4])["now"], "moveable", "{}", steps[4]);
    assert_ne!(moveable["hglobal"], fixed["hglobal"], "{moveable}");
    assert_eq!(moveable["address"], fixed["address"], "{moveable}");
    assert_eq!(row(&steps[5], 2)["lock_count"], 1);
    assert_eq!(ok(&steps[5])["pointer"], fixed["address"]);
}

fn global_form(lang: Lang) -> Harness<'static, GlobalLabForm> {
    Harness::builder()
        .with_size([1100.0, 1200.0])
        .with_context_setup(memlab::fonts::install)
        .build_ui_state(
            move |ui, lab: &mut GlobalLabForm| {
                egui::ScrollArea::vertical().show(ui, |ui| lab.ui(ui, lang));
            },
            GlobalLabForm::default(),
        )
}

fn shows<S>(h: &Harness<'_, S>, part: &str) -> bool {
    h.query_all_by_label_contains(part).next().is_some()
}

/// The form on Windows, in this test process, on the real calls: in the
/// window's list, its demo moves a block whose pointer was kept (the table
/// shows the old address and the stale pointer, no strip), in both
/// languages, with the help naming the calls as made.
#[test]
fn the_form_is_in_the_list_and_its_demo_shows_a_move_on_the_real_heap() {
    assert!(LabId::all().contains(&LabId::Global));
    for lang in [Lang::En, Lang::Ko] {
        let mut h = global_form(lang);
        h.state_mut().demo();
        h.step();
        h.step();
        let rows = h.state().rows();
        let moved = h.state().moved().to_vec();
        assert_eq!(moved.len(), 1, "{moved:?}");
        let block = rows
            .iter()
            .find(|r| r.handle == moved[0].handle)
            .expect("the moved block is in the table");
        assert_eq!(block.address, Some(moved[0].to));
        assert!(block.kept_is_stale(), "{block:?}");
        // The discardable block was emptied by "Low memory".
        assert!(rows.iter().any(|r| r.discarded()), "{rows:?}");
        match lang {
            Lang::En => {
                assert!(shows(&h, "the real GlobalAlloc"));
                assert!(shows(&h, "scattered over the process heap"));
                assert!(shows(&h, &format!("{:#x}", moved[0].from)));
                assert!(shows(&h, "stale pointer"));
            }
            Lang::Ko => {
                assert!(shows(&h, "윈도우의 진짜 GlobalAlloc"));
                assert!(shows(&h, "프로세스 힙에 흩어져"));
                assert!(shows(&h, "낡은 포인터"));
                let status = h.state().status_text(Lang::Ko).expect("a status");
                assert_korean(&status);
            }
        }
    }
    let help = help(LabId::Global);
    let calls: Vec<&str> = help.calls.iter().map(|c| c.here.get(Lang::En)).collect();
    assert!(
        calls
            .iter()
            .any(|c| c.contains("GlobalReAlloc(h, 0, GMEM_MOVEABLE)")),
        "{calls:?}"
    );
    for call in help.calls {
        assert_korean(call.here.get(Lang::Ko));
    }
}
