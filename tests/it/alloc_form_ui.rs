//! The allocation benchmark form and the memory managers panel driven
//! through their UI (egui_kittest): type a size, Run, Cancel, switch managers.
//!
//! The form measures in a fresh process of memlab's binary (the real one,
//! which installs the dispatcher as its global allocator); this test binary
//! does not install it, so switching the active manager here only changes
//! what `dispatcher().active()` says.

use crate::common;

use std::time::{Duration, Instant};

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use memlab::forms::Lab;
use memlab::forms::alloc::bench::AllocBenchForm;
use memlab::forms::alloc::memory_managers::MemoryManagersPanel;
use memlab_engine::alloc::{ManagerKind, dispatcher};
use memlab_engine::format::format_ms;
use memlab_engine::format::format_ns;
use memlab_engine::i18n::Lang;

use common::ui::{lab_harness, shows, type_into, type_number, wait_until_for};

fn bench_form(lang: Lang) -> Harness<'static, AllocBenchForm> {
    let form = AllocBenchForm::default().with_measuring_exe(env!("CARGO_BIN_EXE_memlab"));
    lab_harness(form, lang, [1100.0, 1400.0])
}

fn managers_panel(lang: Lang) -> Harness<'static, MemoryManagersPanel> {
    lab_harness(MemoryManagersPanel::default(), lang, [1000.0, 1200.0])
}

#[test]
fn a_run_shows_the_median_and_spread_and_adds_a_history_row() {
    let mut h = bench_form(Lang::En);
    h.step();
    assert_eq!(h.get_by_label("Size (KB)").value().as_deref(), Some("4"));
    type_number(&mut h, "Size (KB)", "8");
    assert_eq!(h.state().size_kb, 8);
    h.get_by_label("Run").click();
    wait_until_for(&mut h, "a history row", 120, |h| {
        h.state().history().len() == 1
    });
    h.step();
    h.step();
    let row = h.state().history()[0].result.clone();
    assert_eq!((row.size_kb, row.manager), (8, ManagerKind::Default));
    assert!(row.isolated, "measured in a fresh process");
    assert!(row.samples >= 10 && row.pairs_per_sample >= 1, "{row:?}");
    assert!(row.min_ns_per_pair <= row.median_ns_per_pair);
    assert!(row.median_ns_per_pair <= row.max_ns_per_pair);
    assert!(shows(&h, "8 KB"), "the history table shows the size");
    assert!(shows(&h, "#1"), "the history table has a row");
    // The median and its spread, beside Run and in the row.
    let median = format_ns(row.median_ns_per_pair);
    let quartiles = format!(
        "{} – {}",
        format_ns(row.q1_ns_per_pair),
        format_ns(row.q3_ns_per_pair)
    );
    let min_max = format!(
        "{} – {}",
        format_ns(row.min_ns_per_pair),
        format_ns(row.max_ns_per_pair)
    );
    assert!(shows(&h, &median), "no median {median}");
    assert!(shows(&h, &quartiles), "no quartiles {quartiles}");
    assert!(shows(&h, &min_max), "no min-max {min_max}");
    assert!(shows(
        &h,
        &format!("{} × {}", row.samples, row.pairs_per_sample)
    ));
    assert!(
        shows(&h, "fresh process"),
        "the row says where it was measured"
    );
    // The book's button: its caption shows 1000 pairs at the median.
    let caption = format!("Run ({})", format_ms(row.ms_per_1000_pairs));
    assert!(shows(&h, &caption), "no button {caption:?}");
    h.check_accessibility();

    // A second run with another manager adds a second row.
    h.get_by_role_and_label(Role::RadioButton, "mimalloc")
        .click();
    h.step();
    h.get_by_label(&caption).click();
    wait_until_for(&mut h, "a second row", 120, |h| {
        h.state().history().len() == 2
    });
    assert_eq!(h.state().history()[1].result.manager, ManagerKind::Mimalloc);
}

#[test]
fn the_warm_up_is_shown_and_cancel_stops_a_long_run() {
    let mut h = bench_form(Lang::En);
    h.step();
    // 64 MB touched, 1000 samples: minutes, so Cancel comes first.
    type_number(&mut h, "Size (KB)", "65536");
    type_number(&mut h, "Samples", "1000");
    h.get_by_label("Touch every page").click();
    h.step();
    assert_eq!(
        (h.state().size_kb, h.state().samples, h.state().touch),
        (65536, 1000, true)
    );
    h.get_by_label("Run").click();
    wait_until_for(&mut h, "the warm-up shown", 60, |h| {
        h.state().running() && shows(h, "warming up (not timed)")
    });
    wait_until_for(&mut h, "the samples counted", 120, |h| {
        h.state().running() && shows(h, "/ 1000 samples")
    });
    // The window stays responsive: a frame that waited for the run would
    // wait for all of it (minutes), so ten frames within a minute, a
    // deadline no loaded machine reaches, show none waits.
    let t0 = Instant::now();
    for _ in 0..10 {
        h.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        t0.elapsed() < Duration::from_secs(60),
        "frames are not blocked"
    );
    assert!(h.state().running());
    h.get_by_label("Cancel").click();
    // A minute is the deadline of a hang, not a latency figure.
    wait_until_for(&mut h, "the run to stop", 60, |h| !h.state().running());
    h.step();
    h.step();
    assert!(h.state().history().is_empty(), "nothing kept");
    assert!(shows(&h, "Cancelled: the measuring process was stopped"));
}

/// The book's Run button, whatever its caption says.
fn run_button<'h>(h: &'h Harness<'static, AllocBenchForm>) -> egui_kittest::Node<'h> {
    h.query_all_by_role(Role::Button)
        .find(|b| {
            b.accesskit_node()
                .label()
                .is_some_and(|l| l == "Run" || l.starts_with("Run ("))
        })
        .expect("the Run button")
}

/// The caption keeps two digits of even a tiny time, and the Run button
/// stays where it is whichever manager is chosen.
#[test]
fn captions_keep_their_digits_and_run_stays_put() {
    let mut h = bench_form(Lang::En);
    h.step();
    let run_at = |h: &Harness<'static, AllocBenchForm>| run_button(h).rect();
    let before = run_at(&h);
    for kind in [
        ManagerKind::Heap,
        ManagerKind::Mimalloc,
        ManagerKind::Default,
    ] {
        h.get_by_role_and_label(Role::RadioButton, kind.name())
            .click();
        h.step();
        h.step();
        assert_eq!(run_at(&h), before, "Run moved with {kind:?}");
    }
    type_number(&mut h, "Size (KB)", "1");
    h.get_by_label("Run").click();
    wait_until_for(&mut h, "a run", 120, |h| h.state().history().len() == 1);
    h.step();
    h.step();
    let ms = h.state().history()[0].result.ms_per_1000_pairs;
    // Well under a millisecond (tens of ns a pair): the caption still
    // keeps two significant digits.
    assert!(ms > 0.0, "{ms} ms");
    let caption = format!("Run ({})", format_ms(ms));
    assert!(shows(&h, &caption), "no {caption:?}");
    let shown: f64 = caption
        .trim_start_matches("Run (")
        .trim_end_matches(" ms)")
        .parse()
        .unwrap();
    assert!(shown > 0.0, "{caption} reads as zero");
    assert!(
        (shown - ms).abs() <= ms * 0.1,
        "{caption} is not {ms} ms to two digits"
    );
}

#[test]
fn out_of_range_sizes_are_clamped_and_the_form_says_why() {
    let mut h = bench_form(Lang::En);
    h.step();
    type_number(&mut h, "Size (KB)", "70000");
    assert_eq!(h.state().size_kb, 65536);
    assert!(
        shows(&h, "size must be 1 to 65536 KB; clamped to 65536"),
        "no clamp message"
    );
    assert_eq!(
        h.get_by_label("Size (KB)").value().as_deref(),
        Some("65536")
    );
    type_number(&mut h, "Size (KB)", "0");
    assert_eq!(h.state().size_kb, 1);
    assert!(shows(&h, "clamped to 1"));
    type_number(&mut h, "Size (KB)", "abc");
    assert_eq!(h.state().size_kb, 1, "kept");
    assert!(shows(&h, "is not a number"));
    type_number(&mut h, "Size (KB)", "16");
    assert_eq!(h.state().size_kb, 16);
    assert!(!shows(&h, "size must be"), "the note goes away");
    type_number(&mut h, "Samples", "3");
    assert_eq!(h.state().samples, 10);
    assert!(shows(&h, "samples must be 10 to 1000"));
}

#[test]
fn korean_form_runs_and_clamps() {
    let mut h = bench_form(Lang::Ko);
    h.step();
    type_number(&mut h, "크기 (KB)", "99999");
    assert!(shows(&h, "크기는 1~65536 KB여야 합니다"));
    type_number(&mut h, "크기 (KB)", "2");
    h.get_by_label("실행").click();
    wait_until_for(&mut h, "a history row", 120, |h| {
        h.state().history().len() == 1
    });
    h.step();
    h.step();
    assert!(shows(&h, "2 KB"));
    assert!(shows(&h, "마지막 실행"));
    assert!(shows(&h, "쌍당 중앙값"));
    assert!(shows(&h, "사분위"));
    h.check_accessibility();
}

/// Puts the default manager back even when an assertion fails.
struct RestoreDefault;

impl Drop for RestoreDefault {
    fn drop(&mut self) {
        dispatcher().set_active(ManagerKind::Default);
    }
}

#[test]
fn memory_managers_panel_switches_the_active_manager() {
    let _restore = RestoreDefault;
    let mut h = managers_panel(Lang::En);
    h.step();
    h.step();
    assert!(
        shows(&h, "not this process's global allocator"),
        "the test binary does not install the dispatcher, and the panel says so"
    );
    assert!(shows(&h, "Private heap (HeapCreate"));
    assert!(shows(&h, "AllocMemCount"));
    for kind in [
        ManagerKind::Heap,
        ManagerKind::Mimalloc,
        ManagerKind::Default,
    ] {
        h.get_by_role_and_label(Role::RadioButton, kind.name())
            .click();
        h.step();
        assert_eq!(dispatcher().active(), kind);
        h.step();
        assert!(shows(&h, &format!("{} (active)", kind.name())));
    }
    // The panel follows switches made elsewhere (e.g. the CLI or code).
    dispatcher().set_active(ManagerKind::Heap);
    h.step();
    assert!(shows(&h, "heap (active)"));
    dispatcher().set_active(ManagerKind::Default);
    h.step();
    h.check_accessibility();
}

#[test]
fn sweep_plots_marks_crossovers_and_exports_csv() {
    let mut h = bench_form(Lang::En);
    h.step();
    assert!(
        h.query_by_label("Export CSV").is_some(),
        "the export button is there (disabled until a sweep ran)"
    );
    type_number(&mut h, "Repeats (median)", "1");
    assert_eq!(h.state().sweep.repeats, 1);
    // Sweep only default and heap.
    h.get_by_role_and_label(Role::CheckBox, "mimalloc").click();
    h.step();
    h.get_by_label("Run sweep").click();
    wait_until_for(&mut h, "the sweep", 60, |h| {
        h.state().sweep_report().is_some()
    });
    h.step();
    h.step();
    let report = h.state().sweep_report().unwrap();
    assert!(!report.cancelled);
    assert_eq!(report.rows.len(), 17 * 2, "17 sizes x 2 managers");
    assert!(shows(&h, "Crossovers"));
    assert!(shows(&h, "Why the curves bend"));
    assert!(shows(&h, "M_MMAP_THRESHOLD"));
    h.check_accessibility();

    let path = std::env::temp_dir().join(format!("memlab-ui-sweep-{}.csv", std::process::id()));
    let field = h.get_by_label("CSV file");
    field.focus();
    h.step();
    h.key_combination_modifiers(egui::Modifiers::COMMAND, &[egui::Key::A]);
    h.get_by_label("CSV file").type_text(path.to_str().unwrap());
    h.step();
    h.get_by_label("Export CSV").click();
    h.step();
    h.step();
    assert!(shows(&h, "Written to"), "success is shown");
    let csv = std::fs::read_to_string(&path).expect("CSV written");
    assert!(csv.starts_with("# memlab allocation sweep\n"));
    assert!(csv.contains("\n1,default,1000,1,"));
    let _ = std::fs::remove_file(&path);

    // A path that cannot be written is an error in the form, not a panic.
    h.get_by_label("CSV file").focus();
    h.step();
    h.key_combination_modifiers(egui::Modifiers::COMMAND, &[egui::Key::A]);
    h.get_by_label("CSV file")
        .type_text("/nonexistent-dir/x.csv");
    h.step();
    h.get_by_label("Export CSV").click();
    h.step();
    h.step();
    assert!(shows(&h, "Cannot write /nonexistent-dir/x.csv"));
}

/// A status is kept as data and rendered in the language of each frame: an
/// OS error from Export CSV reads in Korean (no English sentence), then in
/// English once the user switches.
#[test]
fn a_status_follows_the_language_switch() {
    let mut h = Harness::builder()
        .with_size([1100.0, 1400.0])
        .with_context_setup(memlab::fonts::install)
        .build_ui_state(
            |ui, (form, lang): &mut (AllocBenchForm, Lang)| {
                let lang = *lang;
                egui::ScrollArea::vertical().show(ui, |ui| form.ui(ui, lang));
            },
            (AllocBenchForm::default(), Lang::Ko),
        );
    h.step();
    type_number(&mut h, "반복 측정 (중앙값)", "1");
    for name in ["heap", "mimalloc"] {
        h.get_by_role_and_label(Role::CheckBox, name).click();
        h.step();
    }
    h.get_by_label("스윕 실행").click();
    wait_until_for(&mut h, "the sweep", 60, |h| {
        h.state().0.sweep_report().is_some()
    });
    type_into(&mut h, "CSV 파일", "/nonexistent-dir/x.csv");
    h.get_by_label("CSV로 내보내기").click();
    h.step();
    h.step();
    let korean = format!(
        "쓸 수 없음: /nonexistent-dir/x.csv: 경로나 대상이 없습니다 (OS 오류 {})",
        libc::ENOENT
    );
    assert!(shows(&h, &korean), "no {korean:?}");
    assert!(!shows(&h, "No such file"), "no English OS text");
    h.state_mut().1 = Lang::En;
    h.step();
    h.step();
    assert!(shows(
        &h,
        "Cannot write /nonexistent-dir/x.csv: No such file"
    ));
    assert!(!shows(&h, "쓸 수 없음"));
}

/// The book's experiment as a table (issue 18): before anything is
/// measured it says so; "Measure the book's cases" measures every manager
/// at 4 KB and 4 MB, and the table shows each one's median and quartiles
/// and a verdict on the book's claim.
#[test]
fn the_books_experiment_is_a_table_with_a_verdict() {
    use memlab_engine::alloc::book::{CASES, DELPHI_ROLE, HEAPALLOC_ROLE};
    let mut h = bench_form(Lang::En);
    h.step();
    assert!(shows(&h, "The book's experiment"));
    assert!(shows(&h, "mimalloc (Delphi's part)"));
    assert!(shows(&h, "default (HeapAlloc's part)"));
    assert!(shows(
        &h,
        "Delphi's manager is far faster than HeapAlloc for small blocks"
    ));
    assert!(shows(&h, "not measured yet"));
    h.get_by_label("Measure the book's cases (4 KB and 4 MB, every manager)")
        .click();
    wait_until_for(&mut h, "six measurements", 600, |h| {
        h.state().history().len() == 6 && !h.state().running()
    });
    h.step();
    h.step();
    let runs: Vec<_> = h
        .state()
        .history()
        .iter()
        .map(|r| r.result.clone())
        .collect();
    for case in &CASES {
        let delphi = case.latest(runs.iter(), DELPHI_ROLE).expect("measured");
        let heapalloc = case.latest(runs.iter(), HEAPALLOC_ROLE).expect("measured");
        let cell = format!(
            "{} ({} – {})",
            format_ns(delphi.median_ns_per_pair),
            format_ns(delphi.q1_ns_per_pair),
            format_ns(delphi.q3_ns_per_pair)
        );
        assert!(shows(&h, &cell), "no {cell}");
        let verdict = case.verdict(Some(delphi), Some(heapalloc)).text(Lang::En);
        assert!(shows(&h, verdict), "no verdict {verdict:?}");
    }
    assert!(!shows(&h, "not measured yet"));
    h.check_accessibility();
}
