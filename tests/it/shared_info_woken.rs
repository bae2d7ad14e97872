//! The shared text form's info panel shows what other processes do as soon
//! as they do it (issue 18), without looking on a clock: its monitor sleeps
//! until a save, a hold taken or given back, an instance arriving or leaving
//! wakes it. The forms here look on their own only once an hour, so a panel
//! that showed any of these late, on its next round, times out here.

use crate::common;

use std::time::Duration;

use egui_kittest::Harness;
use memlab::forms::Lab;
use memlab::forms::shared_text::SharedTextForm;
use memlab_engine::i18n::Lang;

use common::ui::{shows, text_of, wait_until};
use common::{Running, SAMPLE, unique};

const HOUR: Duration = Duration::from_secs(3600);

fn form(name: &str, live: bool) -> Harness<'static, SharedTextForm> {
    let mut form = SharedTextForm::with_name(name).checking_every(HOUR);
    form.live = live;
    Harness::builder()
        .with_size([900.0, 800.0])
        .with_context_setup(memlab::fonts::install)
        .build_ui_state(
            move |ui, form: &mut SharedTextForm| form.ui(ui, Lang::En),
            form,
        )
}

/// The PID `memlab shared info` names as the last writer.
fn last_writer(name: &str) -> u64 {
    let info = common::stdout(&common::shared(name, &["info"]));
    let json: serde_json::Value = serde_json::from_str(&info).unwrap();
    json["last_writer_pid"].as_u64().expect("a last writer")
}

fn follows_another_process(live: bool) {
    let name = unique(if live { "ui-woken-live" } else { "ui-woken" });
    let mut one = form(&name, live);
    wait_until(&mut one, "the sample string", |h| {
        text_of(h, "Text") == SAMPLE
    });
    let me = format!("PID {} (", std::process::id());
    wait_until(&mut one, "the info panel", |h| shows(h, &me));

    // A save by another process: its PID as the last writer.
    for round in 0..3 {
        let text = format!("saved elsewhere {round}");
        let saved = common::shared(&name, &["save", &text]);
        assert!(saved.status.success(), "{saved:?}");
        let writer = format!("PID {},", last_writer(&name));
        wait_until(&mut one, "the other process's save in the panel", |h| {
            shows(h, &writer)
        });
        if live {
            wait_until(&mut one, "the saved text", |h| text_of(h, "Text") == text);
        }
    }

    // Another process holds the lock, then gives it back (SIGTERM).
    let holder = Running::shared(&name, &["hold", "--seconds", "3600"]);
    let line = holder.line(Duration::from_secs(20)).expect("holder holds");
    assert!(line.starts_with("holding"), "{line}");
    let held = format!("held by PID {}", holder.pid());
    wait_until(&mut one, "the hold in the panel", |h| shows(h, &held));
    holder.signal(libc::SIGTERM);
    wait_until(&mut one, "the lock free in the panel", |h| {
        !shows(h, &held) && shows(h, "free")
    });
    drop(holder);

    // Another process arrives, then leaves.
    let watcher = Running::shared(&name, &["watch"]);
    let _ = watcher
        .line(Duration::from_secs(20))
        .expect("the watch's first line");
    let other = format!("PID {} (no window)", watcher.pid());
    wait_until(&mut one, "the arrival in the panel", |h| shows(h, &other));
    watcher.signal(libc::SIGTERM);
    wait_until(&mut one, "the departure in the panel", |h| {
        !shows(h, &other)
    });
    drop(watcher);

    one.state_mut().shutdown();
    drop(one);
    common::cleanup(&name);
}

#[test]
fn the_info_panel_shows_other_processes_at_once_live_off() {
    follows_another_process(false);
}

#[test]
fn the_info_panel_and_live_show_other_processes_at_once() {
    follows_another_process(true);
}

/// What nothing announces shows at the once-a-second look: an instance
/// killed (SIGKILL: its PID stays in the object, only its slot's lock goes)
/// leaves the panel, although the object's bytes did not change.
#[test]
fn a_killed_instance_leaves_the_panel_at_the_next_look() {
    let name = unique("ui-woken-killed");
    let mut form = SharedTextForm::with_name(&name).checking_every(Duration::from_secs(1));
    form.live = true;
    let mut one = Harness::builder()
        .with_size([900.0, 800.0])
        .with_context_setup(memlab::fonts::install)
        .build_ui_state(
            move |ui, form: &mut SharedTextForm| form.ui(ui, Lang::En),
            form,
        );
    wait_until(&mut one, "the sample string", |h| {
        text_of(h, "Text") == SAMPLE
    });
    let mut watcher = Running::shared(&name, &["watch"]);
    let _ = watcher
        .line(Duration::from_secs(20))
        .expect("the watch's first line");
    let other = format!("PID {} (no window)", watcher.pid());
    wait_until(&mut one, "the arrival in the panel", |h| shows(h, &other));
    watcher.signal(libc::SIGKILL);
    let _ = watcher.wait(Duration::from_secs(20));
    wait_until(&mut one, "the killed instance gone from the panel", |h| {
        !shows(h, &other)
    });
    one.state_mut().shutdown();
    drop(one);
    common::cleanup(&name);
}
