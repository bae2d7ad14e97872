//! The heap lab driven through its UI (egui_kittest): heaps made and
//! filled with the form's own fields and buttons on real memory of this
//! test process, checked against the kernel's smaps; "memory is short",
//! an overrun found by HeapValidate, a block picked in the strip, and
//! HeapDestroy's drop; in English and Korean.

use crate::common;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use memlab::forms::Lab;
use memlab::forms::heap::HeapLabForm;
use memlab::forms::heap::messages::{Growth, HeapNote};
use memlab_engine::heap::{HeapError, HeapId};
use memlab_engine::i18n::Lang;
use memlab_engine::i18n::testing::assert_korean;

use common::ui::{click, lab_harness, shows, type_number};

fn heap_lab(lang: Lang) -> Harness<'static, HeapLabForm> {
    lab_harness(HeapLabForm::default(), lang, [1100.0, 1400.0])
}

#[test]
fn create_and_fill_a_fixed_heap_until_memory_is_short() {
    let _alone = common::alone();
    let mut h = heap_lab(Lang::En);
    h.step();
    type_number(&mut h, "Initial KiB", "16");
    type_number(&mut h, "Maximum KiB (0 = growable)", "64");
    click(&mut h, "HeapCreate");
    let heaps = h.state().heaps();
    assert_eq!(heaps.len(), 1);
    let id = heaps[0].id;
    assert_eq!(
        (heaps[0].reserved, heaps[0].committed),
        (64 << 10, 16 << 10)
    );
    let k = h.state().kernel_view(id).expect("measured");
    assert_eq!(
        (k.reserved, k.committed, k.charged),
        (64 << 10, 16 << 10, 16 << 10)
    );
    assert!(shows(
        &h,
        "HeapCreate: heap 1: 64.0 KiB reserved, 16.0 KiB committed"
    ));

    type_number(&mut h, "Bytes", "20000");
    click(&mut h, "HeapAlloc");
    let s = &h.state().heaps()[0];
    assert_eq!(s.blocks.len(), 1);
    assert!(s.committed > 16 << 10, "it committed more: {}", s.committed);
    assert_eq!(h.state().kernel_view(id).unwrap().committed, s.committed);

    // 20000 bytes more, past the maximum: the book's "memory is short".
    for _ in 0..3 {
        click(&mut h, "HeapAlloc");
    }
    assert!(
        matches!(
            h.state().note(),
            Some(HeapNote::Failed(HeapError::NoMemory { .. }))
        ),
        "{:?}",
        h.state().status_text(Lang::En)
    );
    assert!(shows(
        &h,
        "HeapAlloc: memory is short (STATUS_NO_MEMORY): heap 1 is fixed"
    ));
    let s = &h.state().heaps()[0];
    // Three blocks of 20032 bytes (header and tail check included) on 15
    // committed pages; a fourth would not fit even with the last page.
    assert_eq!((s.reserved, s.committed), (64 << 10, 60 << 10));
    assert_eq!(h.state().kernel_view(id).unwrap().committed, 60 << 10);
    assert_eq!(
        s.blocks.len(),
        3,
        "three blocks of 20000 bytes fit in 64 KiB, not four"
    );
    // The heap still works: free the chosen block.
    click(&mut h, "HeapFree");
    assert_eq!(h.state().heaps()[0].blocks.len(), 2);
    h.state_mut().shutdown();
}

#[test]
fn an_overrun_is_found_by_validate_and_free_refuses_the_block() {
    let _alone = common::alone();
    let mut h = heap_lab(Lang::En);
    h.step();
    click(&mut h, "HeapCreate");
    type_number(&mut h, "Bytes", "10000");
    type_number(&mut h, "Count", "3");
    click(&mut h, "HeapAlloc");
    let s = h.state().heaps()[0].clone();
    let second = s.blocks[1].id;
    assert_eq!(
        h.state().block(),
        Some(s.blocks[2].id),
        "the last block made is chosen"
    );
    // Pick the second block in the strip: a click on the middle of its part.
    let strip = h.get_by_label("heap 1 strip, range 1").rect();
    let entry = s.walk.iter().find(|e| e.block == Some(second)).unwrap();
    let scale = strip.width() / s.segments[0].reserved as f32;
    let middle = (entry.start() - s.segments[0].base) as f32 + entry.span() as f32 / 2.0;
    let at = egui::pos2(strip.left() + middle * scale, strip.center().y);
    h.hover_at(at);
    h.drag_at(at);
    h.drop_at(at);
    h.step();
    h.step();
    assert_eq!(
        h.state().block(),
        Some(second),
        "a click on the strip picks the block under it"
    );
    assert!(shows(&h, "block 2"));
    click(&mut h, "Overrun it");
    assert!(shows(&h, "wrote 8 bytes past the end of block 2"));
    click(&mut h, "HeapValidate");
    assert!(shows(
        &h,
        "HeapValidate: FALSE, heap 1 is damaged: block 2 (tail check overwritten)"
    ));
    click(&mut h, "HeapFree");
    assert!(matches!(
        h.state().note(),
        Some(HeapNote::Failed(HeapError::Damaged { block, .. })) if *block == second
    ));
    assert_eq!(h.state().heaps()[0].blocks.len(), 3, "nothing was freed");
    h.state_mut().shutdown();
}

#[test]
fn fragment_then_destroy_shows_the_drop() {
    let _alone = common::alone();
    let mut h = heap_lab(Lang::En);
    h.step();
    type_number(&mut h, "Initial KiB", "64");
    type_number(&mut h, "Maximum KiB (0 = growable)", "0");
    click(&mut h, "HeapCreate");
    click(&mut h, "Fragment it");
    let s = h.state().heaps()[0].clone();
    assert!(
        s.largest_free < s.total_free / 4,
        "{} of {}",
        s.largest_free,
        s.total_free
    );
    let line = format!(
        "largest free block {} of {} free in",
        memlab_engine::format::format_bytes(s.largest_free),
        memlab_engine::format::format_bytes(s.total_free)
    );
    assert!(shows(&h, &line), "{line}");
    click(&mut h, "HeapCompact");
    assert!(shows(
        &h,
        "HeapCompact: the largest free block of heap 1 is"
    ));
    // A block larger than every gap, though less than all the free memory:
    // the heap commits more rather than use the gaps.
    click(&mut h, "Allocate past the largest gap");
    let after = h.state().heaps()[0].clone();
    match h.state().note() {
        Some(HeapNote::BigBlock {
            bytes,
            largest_free,
            total_free,
            grew: Growth::Committed(more),
            ..
        }) => {
            assert_eq!(*largest_free, s.largest_free);
            assert_eq!(*total_free, s.total_free);
            assert!(*bytes > s.largest_free && *bytes < s.total_free, "{bytes}");
            assert_eq!(after.committed, s.committed + more);
        }
        other => panic!("{other:?}"),
    }
    assert!(shows(&h, "no free block holds it"));
    type_number(&mut h, "Bytes", "1000000");
    click(&mut h, "HeapAlloc");
    let grown = h.state().heaps()[0].clone();
    assert!(
        grown.committed > after.committed,
        "a big block made it commit more"
    );
    click(&mut h, "HeapDestroy");
    assert!(h.state().heaps().is_empty());
    assert!(
        matches!(h.state().note(), Some(HeapNote::Destroyed { heap, committed, .. })
        if *heap == HeapId(1) && *committed == grown.committed)
    );
    assert!(shows(
        &h,
        "HeapDestroy: heap 1 and its 1.0 MiB committed went back at once: commit charge"
    ));
}

#[test]
fn the_lab_reads_in_korean() {
    let _alone = common::alone();
    let mut h = heap_lab(Lang::Ko);
    h.step();
    type_number(&mut h, "초기 KiB", "16");
    type_number(&mut h, "최대 KiB (0 = 커지는 힙)", "32");
    click(&mut h, "HeapCreate");
    type_number(&mut h, "바이트", "40000");
    click(&mut h, "HeapAlloc");
    let text = h.state().status_text(Lang::Ko).unwrap();
    assert!(text.contains("메모리가 부족합니다"), "{text}");
    assert_korean(&text);
    type_number(&mut h, "바이트", "100");
    click(&mut h, "HeapAlloc");
    assert_korean(&h.state().status_text(Lang::Ko).unwrap());
    click(&mut h, "넘쳐 쓰기");
    assert_korean(&h.state().status_text(Lang::Ko).unwrap());
    click(&mut h, "HeapValidate");
    let text = h.state().status_text(Lang::Ko).unwrap();
    assert!(text.contains("손상되었습니다"), "{text}");
    assert_korean(&text);
    click(&mut h, "조각내기");
    assert_korean(&h.state().status_text(Lang::Ko).unwrap());
    click(&mut h, "가장 큰 틈보다 크게 할당");
    let text = h.state().status_text(Lang::Ko).unwrap();
    assert!(
        text.contains("메모리가 부족합니다"),
        "a full fixed heap: {text}"
    );
    assert_korean(&text);
    click(&mut h, "HeapDestroy");
    let text = h.state().status_text(Lang::Ko).unwrap();
    assert!(text.contains("파괴했습니다"), "{text}");
    assert_korean(&text);
    assert!(shows(&h, "힙 실험실 (HeapCreate와 관련 함수)"));
    // With no heap left, the block buttons ask for one.
    assert!(shows(&h, "먼저 힙을 만드세요"));
}

/// Saved fields out of range (labs.ron is a file anyone can edit) are
/// brought into the fields' ranges when the lab is first shown.
#[test]
fn saved_fields_out_of_range_are_brought_into_range() {
    let _alone = common::alone();
    let mut form = HeapLabForm::default();
    form.size = u32::MAX;
    form.new_size = u32::MAX;
    form.count = 0;
    form.initial_kib = u32::MAX;
    let mut h = Harness::builder()
        .with_size([1100.0, 1400.0])
        .with_context_setup(memlab::fonts::install)
        .build_ui_state(|ui, lab: &mut HeapLabForm| lab.ui(ui, Lang::En), form);
    h.step();
    let f = h.state();
    assert_eq!((f.size, f.new_size, f.count), (64 << 20, 64 << 20, 1));
    assert_eq!(f.initial_kib, 4 << 20);
}
