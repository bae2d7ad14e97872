//! The Global/Local form's GMEM_ZEROINIT box and its GMEM_MODIFY row,
//! driven through the UI (egui_kittest) on memlab's Linux model: a block
//! allocated with GMEM_ZEROINIT reads zeros through its pointer, and
//! GlobalReAlloc(GMEM_MODIFY | GMEM_DISCARDABLE) makes a movable block
//! discardable so that "Low memory" empties it; in English and Korean.

use crate::common;

use egui_kittest::Harness;
use memlab::forms::global::GlobalLabForm;
use memlab::forms::global::messages::GlobalNote;
use memlab_engine::global::{AtAddress, GlobalError, Handle, Kind, Outcome};
use memlab_engine::i18n::Lang;
use memlab_engine::i18n::testing::assert_korean;

use common::ui::{click, lab_harness, type_into};

fn global_lab(lang: Lang) -> Harness<'static, GlobalLabForm> {
    lab_harness(GlobalLabForm::default(), lang, [1100.0, 1200.0])
}

fn alloc(h: &mut Harness<'_, GlobalLabForm>, kind: &str, bytes_label: &str, bytes: &str) {
    click(h, kind);
    type_into(h, bytes_label, bytes);
    h.key_press(egui::Key::Enter);
    h.step();
    h.step();
    click(h, "GlobalAlloc");
}

fn kind_of(h: &Harness<'_, GlobalLabForm>, handle: u32) -> Kind {
    h.state()
        .rows()
        .into_iter()
        .find(|r| r.handle == Handle(handle))
        .unwrap_or_else(|| panic!("no handle {handle}"))
        .kind
}

#[test]
fn zeroinit_reads_zeros_and_modify_makes_a_block_discardable() {
    let mut h = global_lab(Lang::En);
    h.step();
    click(&mut h, "GMEM_ZEROINIT");
    alloc(&mut h, "GMEM_MOVEABLE", "Bytes", "64");
    click(&mut h, "GlobalLock");
    click(&mut h, "Read through p");
    match h.state().note() {
        Some(GlobalNote::Done {
            outcome:
                Outcome::ReadKept {
                    stale: false,
                    now: AtAddress::Block { bytes, .. },
                    ..
                },
            ..
        }) => assert_eq!(bytes, &vec![0; 16]),
        other => panic!("not a read of the block: {other:?}"),
    }
    click(&mut h, "GlobalUnlock");

    // GMEM_DISCARDABLE is ticked by default: the block becomes discardable.
    assert_eq!(kind_of(&h, 1), Kind::Moveable);
    click(&mut h, "GlobalReAlloc(GMEM_MODIFY)");
    assert_eq!(kind_of(&h, 1), Kind::Discardable);
    let status = h.state().status_text(Lang::En).expect("a status");
    assert!(status.contains("now discardable"), "{status}");
    click(&mut h, "Low memory");
    assert!(h.state().rows()[0].discarded());

    // A fixed block made discardable is refused, in the status line.
    click(&mut h, "GMEM_ZEROINIT");
    alloc(&mut h, "GMEM_FIXED", "Bytes", "32");
    click(&mut h, "GlobalReAlloc(GMEM_MODIFY)");
    assert!(matches!(
        h.state().note(),
        Some(GlobalNote::Failed {
            error: GlobalError::ModifyFixed(Handle(2)),
            ..
        })
    ));
    // With GMEM_MOVEABLE it becomes a movable (and discardable) block.
    click(&mut h, "+ GMEM_MOVEABLE");
    click(&mut h, "GlobalReAlloc(GMEM_MODIFY)");
    assert_eq!(kind_of(&h, 2), Kind::Discardable);
}

#[test]
fn the_modify_row_reads_in_korean() {
    let mut h = global_lab(Lang::Ko);
    h.step();
    alloc(&mut h, "GMEM_FIXED", "바이트", "32");
    click(&mut h, "GlobalReAlloc(GMEM_MODIFY)");
    let status = h.state().status_text(Lang::Ko).expect("a status");
    assert_korean(&status);
    assert!(status.contains("GMEM_FIXED"), "{status}");
    click(&mut h, "+ GMEM_MOVEABLE");
    click(&mut h, "GlobalReAlloc(GMEM_MODIFY)");
    let status = h.state().status_text(Lang::Ko).expect("a status");
    assert_korean(&status);
    assert!(status.contains("이제 버릴 수 있음"), "{status}");
}
