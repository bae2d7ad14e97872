//! The shell around the labs, driven through its UI (egui_kittest): every
//! lab's help above it, the lab picker of narrow windows, and the Window
//! menu's text size, zoom and language.

// Linux only, for now: the Windows suite is tests/windows.rs (docs/windows.md).
#![cfg(target_os = "linux")]

mod common;

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use memlab::app::MemlabApp;
use memlab::lab_id::LabId;
use memlab_engine::desktop::settings::TextSize;
use memlab_engine::i18n::Lang;

use common::ui::shows;

/// The shell in a window of `size` points, on a mapping of its own.
fn shell(size: [f32; 2], lab: LabId, lang: Lang) -> (Harness<'static, MemlabApp>, String) {
    let mapping = common::unique("shell");
    let mut app = MemlabApp::with_mapping(&mapping);
    app.select(lab);
    app.set_lang(lang);
    let mut h = Harness::builder()
        .with_size(size)
        .with_context_setup(memlab::fonts::install)
        .build_ui_state(|ui, app: &mut MemlabApp| app.shell_ui(ui), app);
    h.step();
    h.step();
    (h, mapping)
}

fn close(mut h: Harness<'static, MemlabApp>, mapping: &str) {
    h.state_mut().shutdown();
    common::cleanup(mapping);
}

#[test]
fn every_lab_has_help_in_both_languages() {
    let mut app = MemlabApp::default();
    for (id, help) in app.lab_helps() {
        let help = help.unwrap_or_else(|| panic!("lab {id} has no help"));
        let section = help.section;
        assert!(!section.en.is_empty() && !section.ko.is_empty(), "{id}");
        assert!(section.en.contains('§'), "{id}: no chapter section");
        assert!(!help.calls.is_empty(), "{id}: no Win32 calls");
        for call in help.calls {
            assert!(!call.win32.is_empty(), "{id}");
            assert!(!call.here.en.is_empty() && !call.here.ko.is_empty(), "{id}");
        }
        assert!(
            help.try_these.len() >= 3,
            "{id}: fewer than three things to try"
        );
        for step in help.try_these {
            assert!(!step.en.is_empty() && !step.ko.is_empty(), "{id}");
        }
    }
}

/// The shell shows each lab's help, collapsed, above the lab; opened, it
/// gives the chapter's section, the Win32 calls and things to try.
#[test]
fn every_lab_shows_its_help_above_it_in_both_languages() {
    for (lang, header, try_this) in [
        (Lang::En, "From the book to this lab", "Try this"),
        (Lang::Ko, "책에서 이 실습으로", "해 볼 것"),
    ] {
        let ids = MemlabApp::default().lab_ids();
        let helps = MemlabApp::default().lab_helps();
        for (id, (_, help)) in ids.iter().zip(helps) {
            let help = help.expect("checked above");
            let (mut h, mapping) = shell([1200.0, 900.0], *id, lang);
            let first_call = help.calls[0].win32;
            assert!(!shows(&h, try_this), "{id}: closed at first");
            h.get_by_label(header).click();
            h.step();
            h.step();
            for part in [help.section.get(lang), first_call, try_this] {
                assert!(shows(&h, part), "{lang:?} {id}: no {part:?} in the help");
            }
            h.check_accessibility();
            close(h, &mapping);
        }
    }
}

/// A narrow window has no room for the list of labs: a drop-down in the bar
/// picks them, next to the Window menu.
#[test]
fn a_narrow_window_picks_labs_from_the_bar() {
    let (mut h, mapping) = shell([240.0, 180.0], LabId::Shared, Lang::En);
    assert!(h.query_by_label("Labs").is_none(), "no side list");
    h.get_by_role_and_label(Role::ComboBox, "Lab").click();
    h.run();
    h.get_by_label("Allocation benchmark").click();
    h.step();
    h.step();
    assert_eq!(h.state().settings().lab, "alloc-bench");
    assert!(
        shows(&h, "Allocation benchmark (ExamTst2)"),
        "the lab is shown"
    );
    close(h, &mapping);

    let (h, mapping) = shell([958.0, 516.0], LabId::Shared, Lang::En);
    assert!(
        h.query_by_label("Labs").is_some(),
        "a wide window lists them"
    );
    assert!(h.query_by_role_and_label(Role::ComboBox, "Lab").is_none());
    close(h, &mapping);
}

/// The Window menu sets the presenter's text size (fonts only), the zoom
/// (everything) and the language; the shell keeps them as shared settings.
#[test]
fn the_window_menu_sets_text_size_zoom_and_language() {
    let (mut h, mapping) = shell([958.0, 516.0], LabId::MemoryManagers, Lang::En);
    let body = |h: &Harness<'static, MemlabApp>| {
        h.ctx.global_style().text_styles[&egui::TextStyle::Body].size
    };
    let normal = body(&h);
    h.get_by_label("Window").click();
    h.run();
    h.get_by_label("Larger (projector)").click();
    h.step();
    h.step();
    assert_eq!(h.state().settings().text_size, TextSize::Larger);
    assert_eq!(body(&h), normal * TextSize::Larger.scale());

    h.get_by_label("Window").click();
    h.run();
    h.get_by_label("+").click();
    h.step();
    h.step();
    assert_eq!(h.ctx.zoom_factor(), 1.25);
    assert_eq!(h.state().settings().zoom, 1.25);

    h.get_by_label("Window").click();
    h.run();
    h.get_by_role_and_label(Role::RadioButton, "한국어").click();
    h.step();
    h.step();
    assert_eq!(h.state().lang(), Lang::Ko);
    assert!(shows(&h, "메모리 관리자"), "the lab speaks Korean");
    close(h, &mapping);
}

/// A message for the bar, in both languages.
struct Said(&'static str);

impl memlab_engine::i18n::Localized for Said {
    fn localized(&self, _lang: Lang) -> String {
        self.0.to_owned()
    }
}

/// "Started a new window (PID N)" does not stay in the bar: a notice that
/// only informs goes after a while, and any notice goes when the teacher
/// picks a lab (the next action); a warning stays until then.
#[test]
fn a_notice_goes_away_after_a_while_or_at_the_next_action() {
    use memlab::forms::widgets::Status;
    let (mut h, mapping) = shell([1000.0, 600.0], LabId::Sysinfo, Lang::En);
    h.state_mut()
        .set_notice(Some(Status::info(Said("Started a new window (PID 4242)"))));
    h.step();
    assert!(shows(&h, "PID 4242"), "the notice shows");
    let deadline = memlab::app::NOTICE_LASTS + std::time::Duration::from_secs(20);
    common::ui::wait_until_for(&mut h, "the notice to go", deadline.as_secs(), |h| {
        !shows(h, "PID 4242")
    });
    h.state_mut()
        .set_notice(Some(Status::warn(Said("Window 3 did not move"))));
    h.step();
    assert!(shows(&h, "did not move"));
    h.get_by_label("Memory managers").click();
    h.step();
    h.step();
    assert!(
        !shows(&h, "did not move"),
        "picking a lab is the next action"
    );
    close(h, &mapping);
}

/// Each lab opens at its own scroll position: the memory managers lab,
/// scrolled half-way down, does not make the next lab open half-way down
/// (its heading hidden), and is found where it was left.
#[test]
fn each_lab_opens_at_its_own_scroll_position() {
    let (mut h, mapping) = shell([960.0, 360.0], LabId::MemoryManagers, Lang::En);
    let top = |h: &Harness<'static, MemlabApp>| {
        let extent = h.state().content_extent().expect("drawn");
        extent.visible.min.y - extent.used.min.y
    };
    h.state_mut().scroll_lab_to(300.0);
    h.step();
    h.step();
    let scrolled = top(&h);
    assert!(scrolled > 100.0, "the lab scrolled ({scrolled})");
    for lab in [
        "Shared text (SampleMMF)",
        "Allocation benchmark",
        "System information",
    ] {
        h.get_by_label(lab).click();
        h.step();
        h.step();
        assert!(top(&h) < 1.0, "{lab} opens at its top, not at {}", top(&h));
    }
    h.get_by_label("Memory managers").click();
    h.step();
    h.step();
    assert!(
        top(&h) > 100.0,
        "the memory managers lab is scrolled where it was left ({} after {scrolled})",
        top(&h)
    );
    close(h, &mapping);
}
