//! The ShareMem lab driven through its UI (egui_kittest): the two buttons
//! run the real exchanges (the library loaded into this test process, the
//! child being memlab's own executable); each step shows with both sides'
//! AllocMemCount, the refused foreign free and the child's end show;
//! English and Korean.

use crate::common;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use memlab::forms::Lab;
use memlab::forms::sharemem::ShareMemLab;
use memlab_engine::i18n::Lang;
use memlab_engine::i18n::testing::assert_korean;
use memlab_engine::sharemem::{Mode, Step};

use common::ui::{lab_harness, shows, text_containing, wait_until};

fn sharemem_lab(lang: Lang) -> Harness<'static, ShareMemLab> {
    lab_harness(
        ShareMemLab::with_memlab_exe(common::BIN),
        lang,
        [1100.0, 1400.0],
    )
}

/// Presses `button` and steps until the exchange it started has ended.
fn exchange(h: &mut Harness<'_, ShareMemLab>, button: &str, mode: Mode) {
    h.get_by_label(button).click();
    h.step();
    wait_until(h, button, |h| {
        !h.state().running() && h.state().last(mode).is_some()
    });
    h.step();
}

#[test]
fn both_exchanges_run_from_their_buttons_in_english() {
    let mut h = sharemem_lab(Lang::En);
    h.step();
    assert!(
        shows(&h, "Library:"),
        "the library found before any exchange"
    );
    exchange(&mut h, "With ShareMem", Mode::Shared);
    let shared = h
        .state()
        .last(Mode::Shared)
        .expect("ran")
        .as_ref()
        .expect("the shared exchange");
    let counts: Vec<_> = shared
        .steps
        .iter()
        .map(|s| (s.counts.library, s.counts.program))
        .collect();
    assert_eq!(counts, [(0, 0), (0, 0), (1, 1), (0, 0), (1, 1), (0, 0)]);
    assert!(shows(&h, "With ShareMem: one manager, the program's"));
    assert!(shows(&h, "the library freed the program's string"));
    assert!(shows(&h, "handed the library the program's manager"));
    assert!(shows(&h, "the program freed"));
    assert!(shows(&h, "program 1"), "the program's count shown");

    exchange(&mut h, "Without ShareMem", Mode::Separate);
    let separate = h
        .state()
        .last(Mode::Separate)
        .expect("ran")
        .as_ref()
        .expect("the separate exchange");
    assert!(
        separate
            .steps
            .iter()
            .any(|s| matches!(s.step, Step::ProgramRefused { .. }))
    );
    let child = separate.child().expect("the child's report");
    assert!(child.crashed(), "{child:?}");
    assert!(shows(&h, "is not a block of this program's manager"));
    assert!(
        separate
            .steps
            .iter()
            .any(|s| matches!(s.step, Step::LibraryRefused { .. }))
    );
    assert!(shows(&h, "is not a block of the library's own manager"));
    assert!(shows(&h, "was killed by SIGABRT"));
    assert!(shows(&h, "The child's stderr:"));
    assert!(shows(&h, "free(): invalid"));
    // The shared exchange's results stay shown beside it.
    assert!(shows(&h, "the program freed"));
}

#[test]
fn the_lab_reads_in_korean() {
    let mut h = sharemem_lab(Lang::Ko);
    h.step();
    exchange(&mut h, "ShareMem 사용", Mode::Shared);
    exchange(&mut h, "ShareMem 없음", Mode::Separate);
    for part in [
        "라이브러리에 프로그램의 메모리 관리자를 넘겼습니다",
        "프로그램이 자기 관리자로",
        "프로그램의 FreeMem이 거절했습니다",
        "라이브러리의 FreeMem이 거절했습니다",
        "프로그램의 문자열",
        "자식 프로세스(pid",
    ] {
        let text = text_containing(&h, part);
        assert!(!text.is_empty(), "no {part:?} shown");
        assert_korean(&text);
    }
    // The program's string is quoted as it is (English data), so that
    // line is looked for, not read as Korean.
    assert!(shows(
        &h,
        "프로그램이 문자열을 자기 관리자에서 받아 라이브러리에 넘겼습니다"
    ));
    assert!(shows(&h, "SIGABRT 시그널(번호 6)을 받고 죽었습니다"));
    assert!(shows(&h, "ShareMem 사용: 관리자 하나, 프로그램의 것"));
    assert!(shows(&h, "ShareMem 없음: 각자 자기 메모리 관리자"));
}

#[test]
fn the_demo_runs_both_exchanges() {
    let mut lab = ShareMemLab::with_memlab_exe(common::BIN);
    lab.demo();
    assert!(lab.settled());
    for mode in [Mode::Shared, Mode::Separate] {
        let outcome = lab.last(mode).expect("ran");
        assert!(outcome.is_ok(), "{mode:?}: {outcome:?}");
    }
}
