//! The Global/Local lab driven through its UI (egui_kittest): blocks made
//! with the form's own fields and buttons on memlab's global heap in this
//! test process; a compaction that moves an unlocked block (highlighted,
//! its kept pointer stale) and leaves a locked one; a discardable block
//! emptied by "Low memory", NULL on lock until GlobalReAlloc; the Win32
//! rules shown as errors; a block chosen in the strip; English and Korean.

use crate::common;

use egui_kittest::Harness;
use memlab::forms::Lab;
use memlab::forms::global::GlobalLabForm;
use memlab::forms::global::messages::GlobalNote;
use memlab_engine::global::{GlobalError, Handle, Kind, Outcome};
use memlab_engine::i18n::Lang;
use memlab_engine::i18n::testing::assert_korean;

use common::ui::{click, lab_harness, shows, type_number};

fn global_lab(lang: Lang) -> Harness<'static, GlobalLabForm> {
    lab_harness(GlobalLabForm::default(), lang, [1100.0, 1200.0])
}

fn alloc(h: &mut Harness<'_, GlobalLabForm>, kind: &str, bytes: &str) {
    click(h, kind);
    type_number(h, "Bytes", bytes);
    click(h, "GlobalAlloc");
}

fn address(h: &Harness<'_, GlobalLabForm>, handle: u32) -> Option<usize> {
    h.state()
        .rows()
        .into_iter()
        .find(|r| r.handle == Handle(handle))
        .unwrap_or_else(|| panic!("no handle {handle}"))
        .address
}

fn failed(h: &Harness<'_, GlobalLabForm>) -> Option<GlobalError> {
    match h.state().note() {
        Some(GlobalNote::Failed { error, .. }) => Some(error.clone()),
        _ => None,
    }
}

#[test]
fn compaction_moves_the_unlocked_block_and_its_kept_pointer_goes_stale() {
    let mut h = global_lab(Lang::En);
    h.step();
    alloc(&mut h, "GMEM_MOVEABLE", "300");
    alloc(&mut h, "GMEM_FIXED", "64");
    alloc(&mut h, "GMEM_MOVEABLE", "200");
    alloc(&mut h, "GMEM_MOVEABLE", "100");
    let rows = h.state().rows();
    assert_eq!(
        rows.iter().map(|r| r.kind).collect::<Vec<_>>(),
        [Kind::Moveable, Kind::Fixed, Kind::Moveable, Kind::Moveable]
    );
    assert_eq!(rows[0].size, 304, "GlobalSize rounds 300 up");
    // Handle 3: lock (the program keeps the pointer), unlock.
    click(&mut h, "#3");
    assert_eq!(h.state().selected(), Some(Handle(3)));
    click(&mut h, "GlobalLock");
    assert!(
        shows(&h, "GlobalLock(handle 3): pointer 0x"),
        "the status line"
    );
    assert!(shows(&h, "lock count 1"));
    click(&mut h, "GlobalUnlock");
    // Handle 4 stays locked.
    click(&mut h, "#4");
    click(&mut h, "GlobalLock");
    let (before3, before4) = (address(&h, 3), address(&h, 4));
    // Free handle 1 and compact: 3 slides into its place, 4 stays.
    click(&mut h, "#1");
    click(&mut h, "GlobalFree");
    assert!(h.state().rows().iter().all(|r| r.handle != Handle(1)));
    click(&mut h, "Compact");
    assert!(address(&h, 3) < before3, "the unlocked block moved down");
    assert_eq!(address(&h, 4), before4, "the locked block stayed");
    let moved = h.state().moved().to_vec();
    assert_eq!(moved.len(), 1);
    assert_eq!((moved[0].handle, Some(moved[0].from)), (Handle(3), before3));
    // The table highlights the move with the old address, and the kept pointer is stale.
    assert!(shows(&h, &format!("was {:#x}", before3.unwrap())));
    assert!(shows(&h, "stale pointer"));
    let r3 = h
        .state()
        .rows()
        .into_iter()
        .find(|r| r.handle == Handle(3))
        .unwrap();
    assert!(r3.kept_is_stale());
    assert_eq!(r3.kept, before3);
    // Reading through it: memlab says what lives there now.
    click(&mut h, "#3");
    click(&mut h, "Read through p");
    assert!(
        matches!(
            h.state().note(),
            Some(GlobalNote::Done {
                outcome: Outcome::ReadKept { stale: true, .. },
                ..
            })
        ),
        "{:?}",
        h.state().status_text(Lang::En)
    );
    assert!(shows(&h, "is a stale pointer"));
    // The highlight stays after a step that moved nothing.
    click(&mut h, "GlobalSize");
    assert_eq!(h.state().moved(), &moved[..]);
    // Unlocking 3 again breaks the rule: ERROR_NOT_LOCKED, in the status line.
    click(&mut h, "GlobalUnlock");
    assert!(matches!(failed(&h), Some(GlobalError::NotLocked { .. })));
    assert!(shows(&h, "ERROR_NOT_LOCKED"));
    // Freeing the locked 4 is refused.
    click(&mut h, "#4");
    click(&mut h, "GlobalFree");
    assert!(matches!(
        failed(&h),
        Some(GlobalError::FreeLocked { lock_count: 1, .. })
    ));
    assert!(h.state().rows().iter().any(|r| r.handle == Handle(4)));
}

#[test]
fn low_memory_empties_a_discardable_block_until_realloc() {
    let mut h = global_lab(Lang::En);
    h.step();
    alloc(&mut h, "GMEM_MOVEABLE | GMEM_DISCARDABLE", "1000");
    alloc(&mut h, "GMEM_MOVEABLE", "1000");
    click(&mut h, "Low memory");
    assert_eq!(address(&h, 1), None, "discarded");
    assert!(address(&h, 2).is_some(), "only discardable blocks");
    assert!(shows(&h, "(discarded)"));
    click(&mut h, "#1");
    click(&mut h, "GlobalLock");
    assert_eq!(failed(&h), Some(GlobalError::LockDiscarded(Handle(1))));
    assert!(shows(&h, "GlobalLock returned NULL"));
    type_number(&mut h, "New bytes", "500");
    click(&mut h, "GlobalReAlloc");
    assert!(address(&h, 1).is_some());
    click(&mut h, "GlobalLock");
    assert_eq!(failed(&h), None);
    click(&mut h, "GlobalFlags");
    assert!(shows(&h, "GlobalFlags(handle 1): GlobalFlags: 0x0101"));
    // A locked block is not discarded, by the system or by GlobalDiscard.
    click(&mut h, "Low memory");
    assert!(address(&h, 1).is_some());
    click(&mut h, "GlobalDiscard");
    assert!(matches!(
        failed(&h),
        Some(GlobalError::DiscardLocked { .. })
    ));
}

#[test]
fn a_click_in_the_strip_chooses_the_block_under_it() {
    let mut h = global_lab(Lang::En);
    h.step();
    alloc(&mut h, "GMEM_FIXED", "4000");
    alloc(&mut h, "GMEM_MOVEABLE", "16");
    assert_eq!(h.state().selected(), Some(Handle(2)), "the new handle");
    // The first block takes almost all of the drawn part: the middle is it.
    click(&mut h, "the global heap to scale");
    assert_eq!(h.state().selected(), Some(Handle(1)));
    // GlobalHandle of its pointer (a fixed block's pointer is its handle).
    click(&mut h, "GlobalHandle(p)");
    assert!(
        matches!(h.state().note(), Some(GlobalNote::Done { outcome: Outcome::HandleOf { handle, .. }, .. }) if *handle == Handle(1))
    );
}

#[test]
fn the_lab_reads_in_korean() {
    let mut h = global_lab(Lang::Ko);
    h.step();
    assert!(shows(&h, "글로벌 메모리와 로컬 메모리"));
    assert!(shows(&h, "아직 핸들이 없습니다"));
    click(&mut h, "GMEM_MOVEABLE");
    type_number(&mut h, "바이트", "100");
    click(&mut h, "GlobalAlloc");
    click(&mut h, "GlobalAlloc");
    click(&mut h, "GlobalLock");
    let status = h.state().status_text(Lang::Ko).expect("a status");
    assert_korean(&status);
    assert!(status.contains("잠금 계수 1"), "{status}");
    click(&mut h, "GlobalUnlock");
    click(&mut h, "#1");
    click(&mut h, "GlobalFree");
    click(&mut h, "압축");
    assert!(shows(&h, "이전 0x"), "the moved highlight");
    assert!(shows(&h, "낡은 포인터"));
    click(&mut h, "#2");
    click(&mut h, "p로 읽기");
    let status = h.state().status_text(Lang::Ko).unwrap();
    assert_korean(&status);
    assert!(status.contains("낡은 포인터입니다"), "{status}");
    click(&mut h, "GlobalUnlock");
    let status = h.state().status_text(Lang::Ko).unwrap();
    assert_korean(&status);
    assert!(status.contains("ERROR_NOT_LOCKED"), "{status}");
    click(&mut h, "메모리 부족");
    assert_korean(&h.state().status_text(Lang::Ko).unwrap());
}

#[test]
fn the_demo_shows_a_move_a_stale_pointer_and_a_discarded_block() {
    let mut lab = GlobalLabForm::default();
    lab.demo();
    let rows = lab.rows();
    assert!(rows.iter().any(|r| r.discarded()), "a discarded block");
    assert!(rows.iter().any(|r| r.lock_count > 0), "a locked block");
    assert!(rows.iter().any(|r| r.kept_is_stale()), "a stale pointer");
    assert!(!lab.moved().is_empty(), "the moved highlight");
    assert!(
        lab.status_text(Lang::En)
            .is_some_and(|s| s.contains("is a stale pointer") && s.contains("handle 6's bytes")),
        "{:?}",
        lab.status_text(Lang::En)
    );
}
