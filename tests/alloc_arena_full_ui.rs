//! The memory managers panel when mimalloc's arena is full: it counts the
//! allocations the default manager served instead, in English and Korean.
//!
//! A test binary of its own: it fills this process's 1 GiB mimalloc arena
//! (with untouched 64 MiB blocks, so no RAM is used), which would turn other
//! tests' mimalloc runs into fallbacks.

// Linux only, for now: the Windows suite is tests/windows.rs (docs/windows.md).
#![cfg(target_os = "linux")]

mod common;

use std::alloc::{GlobalAlloc, Layout};

use egui_kittest::Harness;
use memlab::forms::alloc::memory_managers::MemoryManagersPanel;
use memlab_engine::alloc::{ManagerKind, dispatcher};
use memlab_engine::i18n::Lang;

use common::ui::{lab_harness, shows};

fn panel(lang: Lang) -> Harness<'static, MemoryManagersPanel> {
    lab_harness(MemoryManagersPanel::default(), lang, [1000.0, 1200.0])
}

#[test]
fn a_full_mimalloc_arena_is_counted_in_the_panel() {
    let d = dispatcher();
    let mut h = panel(Lang::En);
    h.step();
    assert!(
        shows(&h, "mimalloc fallbacks: none"),
        "an arena never full says so"
    );

    let layout = Layout::from_size_align(64 << 20, 16).unwrap();
    let mut blocks = Vec::new();
    while d.mimalloc_fallbacks() == 0 {
        assert!(
            blocks.len() < 64,
            "4 GiB through mimalloc and its 1 GiB arena never full"
        );
        // SAFETY: the layout's size is not zero; each block is freed below
        // through the same dispatcher.
        let p = unsafe { d.alloc_with(ManagerKind::Mimalloc, layout) };
        assert!(
            !p.is_null(),
            "the default manager serves a full arena's block"
        );
        blocks.push(p);
    }
    let fallbacks = d.mimalloc_fallbacks();

    let mut h = panel(Lang::En);
    h.step();
    assert!(
        shows(
            &h,
            &format!("mimalloc fallbacks: {fallbacks}. The mimalloc arena was full")
        ),
        "the panel counts the fallbacks"
    );
    assert!(
        shows(&h, "Heap fallbacks: none"),
        "the heap's own line stays"
    );
    let mut h = panel(Lang::Ko);
    h.step();
    assert!(
        shows(
            &h,
            &format!("mimalloc 대체 할당: {fallbacks}회. mimalloc 아레나가 가득 차서")
        ),
        "the same in Korean"
    );

    for p in blocks {
        // SAFETY: allocated above by this dispatcher with this layout.
        unsafe { d.dealloc(p, layout) };
    }
}
