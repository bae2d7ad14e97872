//! The shared text form driven through its UI (egui_kittest): click by label,
//! type, read values; two forms on one mapping behave like two windows.

use crate::common;

use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use memlab::forms::Lab;
use memlab::forms::shared_text::SharedTextForm;
use memlab_engine::desktop::instances::{Role, WindowDisplay, WindowInstance};
use memlab_engine::i18n::Lang;

use common::ui::{shows, text_of, type_into, wait_until};
use common::{Running, SAMPLE, unique};

fn form(name: &str, lang: Lang) -> Harness<'static, SharedTextForm> {
    Harness::builder()
        .with_size([900.0, 800.0])
        .with_context_setup(memlab::fonts::install)
        .build_ui_state(
            move |ui, form: &mut SharedTextForm| form.ui(ui, lang),
            SharedTextForm::with_name(name),
        )
}

#[test]
fn typed_korean_saved_in_one_form_loads_in_the_other() {
    let name = unique("ui-two");
    let mut one = form(&name, Lang::En);
    let mut two = form(&name, Lang::Ko);
    wait_until(&mut one, "the sample string", |h| {
        text_of(h, "Text") == SAMPLE
    });
    wait_until(&mut two, "the sample string", |h| {
        text_of(h, "문자열") == SAMPLE
    });

    type_into(&mut one, "Text", "안녕하세요 memlab");
    assert_eq!(text_of(&one, "Text"), "안녕하세요 memlab");
    one.get_by_label("Save").click();
    wait_until(&mut one, "Saved", |h| shows(h, "Saved"));

    two.get_by_label("불러오기").click();
    wait_until(&mut two, "the loaded text", |h| {
        text_of(h, "문자열") == "안녕하세요 memlab"
    });

    // And back, with the book's Korean button labels.
    type_into(&mut two, "문자열", "저장 테스트");
    two.get_by_label("저장하기").click();
    wait_until(&mut two, "저장됨", |h| shows(h, "저장됨"));
    one.get_by_label("Load").click();
    wait_until(&mut one, "the text saved in Korean", |h| {
        text_of(h, "Text") == "저장 테스트"
    });
    assert!(shows(&one, "Attached now"), "the info panel is shown");
}

#[test]
fn too_long_text_is_cut_on_a_character_boundary_and_the_form_says_so() {
    let name = unique("ui-long");
    let mut one = form(&name, Lang::En);
    wait_until(&mut one, "the sample string", |h| {
        text_of(h, "Text") == SAMPLE
    });
    type_into(&mut one, "Text", &"한".repeat(40));
    assert!(
        shows(&one, "Save will keep 99"),
        "the form warns before saving"
    );
    one.get_by_label("Save").click();
    wait_until(&mut one, "the cut notice", |h| {
        shows(h, "Saved, cut to fit: 99 / 120")
    });
    assert_eq!(text_of(&one, "Text"), "한".repeat(33));
}

#[test]
fn live_mode_follows_another_instance_without_clicking_load() {
    let name = unique("ui-live");
    let mut one = form(&name, Lang::En);
    let mut two = form(&name, Lang::En);
    wait_until(&mut one, "the sample string", |h| {
        text_of(h, "Text") == SAMPLE
    });
    wait_until(&mut two, "the sample string", |h| {
        text_of(h, "Text") == SAMPLE
    });
    two.get_by_label("Live").click();
    two.step();

    let saved = common::shared(&name, &["save", "from another process"]);
    assert!(saved.status.success());
    wait_until(&mut two, "the live update", |h| {
        text_of(h, "Text") == "from another process"
    });
    assert_eq!(text_of(&one, "Text"), SAMPLE, "without Live, nothing moves");
}

/// Live never replaces unsaved typing: the form offers what the other
/// window saved, and takes it only on request.
#[test]
fn live_mode_keeps_unsaved_typing_and_offers_the_other_save() {
    let name = unique("ui-live-typing");
    let mut two = form(&name, Lang::En);
    wait_until(&mut two, "the sample string", |h| {
        text_of(h, "Text") == SAMPLE
    });
    two.get_by_label("Live").click();
    two.step();
    type_into(&mut two, "Text", "half-typed answer");
    let saved = common::shared(&name, &["save", "the teacher's text"]);
    assert!(saved.status.success());
    wait_until(&mut two, "the offer", |h| {
        shows(h, "Another window saved") && shows(h, "the teacher's text")
    });
    for _ in 0..20 {
        two.step();
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(text_of(&two, "Text"), "half-typed answer", "typing kept");
    two.get_by_label("Load it").click();
    two.step();
    two.step();
    assert_eq!(text_of(&two, "Text"), "the teacher's text");
    assert!(!shows(&two, "Another window saved"), "the offer is gone");
    // Nothing typed since: the next save is followed at once.
    let saved = common::shared(&name, &["save", "next"]);
    assert!(saved.status.success());
    wait_until(&mut two, "the live update", |h| {
        text_of(h, "Text") == "next"
    });
}

/// Enter in the text field saves, as the Save button does; the heading
/// names the mapping; the last write's time is local and says its zone.
#[test]
fn enter_saves_and_the_heading_and_times_speak_plainly() {
    let name = unique("ui-enter");
    let mut one = form(&name, Lang::En);
    wait_until(&mut one, "the sample string", |h| {
        text_of(h, "Text") == SAMPLE
    });
    assert!(
        shows(&one, &format!("Shared text: {name}")),
        "the heading names the mapping"
    );
    type_into(&mut one, "Text", "saved with Enter");
    one.key_press(egui::Key::Enter);
    wait_until(&mut one, "Saved", |h| shows(h, "Saved"));
    let loaded = common::shared(&name, &["load"]);
    assert_eq!(common::stdout(&loaded), "saved with Enter");
    // `memlab shared info` gives the stamp; the panel shows it in local time.
    let info = common::shared(&name, &["info"]);
    let json: serde_json::Value = serde_json::from_str(&common::stdout(&info)).unwrap();
    let ms = json["last_write_unix_ms"].as_u64().expect("a write time");
    let local = memlab_engine::os::clock::format_unix_ms(ms);
    assert!(local.ends_with(')') && local.contains(" ("), "{local}");
    wait_until(&mut one, "the local time", |h| shows(h, &local));
    let utc = humantime::format_rfc3339_millis(std::time::UNIX_EPOCH + Duration::from_millis(ms))
        .to_string();
    assert!(!shows(&one, &utc), "no UTC stamp {utc}");
    // Another name opened: the heading follows.
    let other = unique("ui-enter-other");
    type_into(&mut one, "Mapping name", &other);
    one.get_by_label("Open").click();
    wait_until(&mut one, "the new heading", |h| {
        shows(h, &format!("Shared text: {other}"))
    });
    one.state_mut().shutdown();
    common::cleanup(&other);
}

/// The info panel calls this instance by the number in its window's title,
/// also after another mapping is opened (where this process holds another
/// slot).
#[test]
fn the_info_panel_names_the_instance_as_the_title_does() {
    let display = unique("ui-title-display");
    let window = WindowInstance::join(&WindowDisplay::x11(display), Role::Window).unwrap();
    let number = window.number();
    // Another attachment first, so the form's slot is not the window's.
    let name = unique("ui-title");
    let holder = Running::shared(&name, &["watch"]);
    let _ = holder.line(Duration::from_secs(10));
    let mut one = form(&name, Lang::En);
    wait_until(&mut one, "the sample string", |h| {
        text_of(h, "Text") == SAMPLE || text_of(h, "Text").is_empty()
    });
    let this = format!("#{number} (");
    wait_until(&mut one, "the window's number", |h| shows(h, &this));
    assert!(shows(
        &one,
        &format!("#{number} PID {}", std::process::id())
    ));
    assert!(shows(&one, "(no window)"), "the watcher has no window");
    let other = unique("ui-title-other");
    type_into(&mut one, "Mapping name", &other);
    one.get_by_label("Open").click();
    wait_until(&mut one, "the other mapping's panel", |h| {
        shows(h, &format!("Shared text: {other}")) && shows(h, &this)
    });
    one.state_mut().shutdown();
    drop((holder, window));
    common::cleanup(&name);
    common::cleanup(&other);
}

#[test]
fn lock_held_by_another_process_shows_waiting_then_a_timeout_message() {
    let name = unique("ui-timeout");
    let mut one = form(&name, Lang::En);
    wait_until(&mut one, "the sample string", |h| {
        text_of(h, "Text") == SAMPLE
    });
    let holder = Running::shared(&name, &["hold", "--seconds", "20"]);
    let line = holder.line(Duration::from_secs(10)).expect("holder holds");
    assert!(line.starts_with("holding"), "{line}");

    one.get_by_label("Load").click();
    wait_until(&mut one, "the waiting notice", |h| {
        shows(h, "waiting for the lock")
    });
    let message = format!("lock timed out after 1000 ms; held by PID {}", holder.pid());
    wait_until(&mut one, "the timeout message", |h| shows(h, &message));
    wait_until(&mut one, "the lock in the info panel", |h| {
        shows(h, &format!("held by PID {} for", holder.pid()))
    });
    drop(holder);
}

#[test]
fn bad_mapping_name_is_refused_in_the_form() {
    let name = unique("ui-name");
    let mut one = form(&name, Lang::En);
    wait_until(&mut one, "the sample string", |h| {
        text_of(h, "Text") == SAMPLE
    });
    type_into(&mut one, "Mapping name", "bad/name");
    one.get_by_label("Open").click();
    wait_until(&mut one, "the error", |h| {
        shows(h, "bad mapping name \"bad/name\": it contains '/'")
    });
    assert_eq!(text_of(&one, "Text"), SAMPLE, "the text is kept");

    // A good name switches the form to that mapping, detaching from the old one.
    let other = unique("ui-name2");
    let saved = common::shared(&name, &["save", "old mapping"]);
    assert!(saved.status.success());
    type_into(&mut one, "Mapping name", &other);
    one.get_by_label("Open").click();
    let other_object = common::object_path(&other).display().to_string();
    wait_until(&mut one, "the new mapping in the info panel", |h| {
        shows(h, &other_object)
    });
    wait_until(&mut one, "the new mapping's sample", |h| {
        text_of(h, "Text") == SAMPLE
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    while common::object_path(&name).exists() {
        assert!(
            Instant::now() < deadline,
            "the old mapping was not detached"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn an_object_removed_by_someone_else_is_shown_and_reattached_on_request() {
    let name = unique("ui-removed");
    let mut one = form(&name, Lang::En);
    wait_until(&mut one, "the sample string", |h| {
        text_of(h, "Text") == SAMPLE
    });
    std::fs::remove_file(common::object_path(&name)).unwrap();
    let notice = format!("the mapping {name:?} was removed by someone else");
    wait_until(&mut one, "the removal notice", |h| shows(h, &notice));
    one.get_by_label("Re-attach").click();
    wait_until(&mut one, "a new object, attached", |h| {
        !shows(h, &notice) && shows(h, "created the mapping") && text_of(h, "Text") == SAMPLE
    });
    assert!(common::object_path(&name).exists());
    one.state_mut().shutdown();
    assert!(
        !common::object_path(&name).exists(),
        "the last to leave removes it"
    );
}

#[test]
fn errors_and_lock_states_read_in_korean() {
    let name = unique("ui-ko");
    let mut one = form(&name, Lang::Ko);
    wait_until(&mut one, "the sample string", |h| {
        text_of(h, "문자열") == SAMPLE
    });
    wait_until(&mut one, "the origin in Korean", |h| {
        shows(h, "매핑을 새로 만듦")
    });

    type_into(&mut one, "매핑 이름", "bad/name");
    one.get_by_label("열기").click();
    wait_until(&mut one, "the bad name in Korean", |h| {
        shows(
            h,
            "매핑 이름 \"bad/name\"은 쓸 수 없습니다: '/' 또는 '\\'가 들어 있습니다",
        )
    });

    let holder = Running::shared(&name, &["hold", "--seconds", "20"]);
    let line = holder.line(Duration::from_secs(10)).expect("holder holds");
    assert!(line.starts_with("holding"), "{line}");
    one.get_by_label("불러오기").click();
    let message = format!(
        "1000 ms 동안 잠금을 얻지 못했습니다. 잡고 있는 프로세스: PID {}",
        holder.pid()
    );
    wait_until(&mut one, "the timeout in Korean", |h| shows(h, &message));
    let lock = format!("잡혀 있음: PID {}, ", holder.pid());
    wait_until(&mut one, "the lock state in Korean", |h| {
        shows(h, &lock) && shows(h, "ms째")
    });
    drop(holder);
}

#[test]
fn the_bytes_are_explained_header_index_and_buffers_marked() {
    let name = unique("ui-bytes");
    let mut one = form(&name, Lang::En);
    wait_until(&mut one, "the sample string", |h| {
        text_of(h, "Text") == SAMPLE
    });
    wait_until(&mut one, "the size explained", |h| {
        shows(
            h,
            "520 bytes: a 56-byte header, then two text buffers of 101 bytes each (100 bytes of text and the NUL byte that ends it",
        )
    });
    // By the header's id, not its position: the info panel above it is
    // filled in by the watcher thread and may move it between frames.
    one.get_by_label("Bytes (hex)").click_accesskit();
    wait_until(&mut one, "the legend", |h| {
        shows(
            h,
            "active index, bytes 48-51: 0, so loads read text buffer 0",
        )
    });
    assert!(shows(&one, "text buffer 0, bytes 56-156 (in use)"));
    assert!(shows(
        &one,
        "text buffer 1, bytes 157-257 (not in use): the next save writes here"
    ));
    assert!(shows(&one, "PIDs of the attached instances, bytes 264-519"));
    // A save writes the idle buffer and switches the index to it.
    type_into(&mut one, "Text", "flipped");
    one.get_by_label("Save").click();
    wait_until(&mut one, "the index switched", |h| {
        shows(
            h,
            "active index, bytes 48-51: 1, so loads read text buffer 1",
        )
    });
    assert!(shows(&one, "text buffer 1, bytes 157-257 (in use)"));
    assert!(
        shows(&one, "0030  01 00 00 00"),
        "the index's bytes in the dump"
    );
    one.state_mut().shutdown();
    common::cleanup(&name);
}
