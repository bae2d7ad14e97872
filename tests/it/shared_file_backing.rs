//! The shared text kept in a file instead of shared memory: the string
//! survives every instance closing, across real processes and in the form.
#![cfg(target_os = "linux")]

use crate::common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use memlab::forms::Lab;
use memlab::forms::shared_text::SharedTextForm;
use memlab_engine::i18n::Lang;

use common::ui::{shows, text_of, type_into, wait_until};
use common::{Running, SAMPLE, run, stderr, stdout, unique};

/// A folder of this test's own; removed when dropped.
struct Folder(PathBuf);

impl Folder {
    fn new(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("memlab-{}", unique(tag)));
        std::fs::create_dir(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for Folder {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn shared_file(path: &Path, args: &[&str]) -> std::process::Output {
    let mut all = vec!["shared", "--file", path.to_str().unwrap()];
    all.extend_from_slice(args);
    run(&all)
}

#[test]
fn a_saved_string_survives_every_process_closing() {
    let folder = Folder::new("fb-cli");
    let path = folder.0.join("text.mmf");
    let saved = shared_file(&path, &["save", "모든 창이 닫혀도 남습니다"]);
    assert!(saved.status.success(), "{}", stderr(&saved));
    assert!(
        stderr(&saved).contains("created the mapping"),
        "{}",
        stderr(&saved)
    );
    // That process has ended: no instance is attached, the file stays.
    assert!(path.exists());
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let loaded = shared_file(&path, &["load"]);
    assert!(loaded.status.success(), "{}", stderr(&loaded));
    assert_eq!(stdout(&loaded), "모든 창이 닫혀도 남습니다");

    // A watcher follows saves from other processes, then leaves; still kept.
    let watcher = Running::start(&["shared", "--file", path.to_str().unwrap(), "watch"]);
    watcher.expect_line("모든 창이 닫혀도 남습니다", Duration::from_secs(10));
    let saved = shared_file(&path, &["save", "live through a file"]);
    assert!(saved.status.success(), "{}", stderr(&saved));
    watcher.expect_line("live through a file", Duration::from_secs(10));
    let info = shared_file(&path, &["info"]);
    let json: serde_json::Value = serde_json::from_str(&stdout(&info)).unwrap();
    assert_eq!(json["backing"]["kind"], "file");
    assert_eq!(json["attached"].as_array().unwrap().len(), 2, "{json}");
    let mut watcher = watcher;
    watcher.signal(libc::SIGTERM);
    assert!(watcher.wait(Duration::from_secs(10)).success());
    assert_eq!(
        stdout(&shared_file(&path, &["load"])),
        "live through a file"
    );
}

#[test]
fn a_file_of_something_else_is_refused_and_kept() {
    let folder = Folder::new("fb-foreign");
    let path = folder.0.join("thesis.txt");
    std::fs::write(&path, "chapter one\n".repeat(100)).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    for args in [&["load"][..], &["save", "overwrite?"], &["reset"]] {
        let out = shared_file(&path, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("is not a shared text file of memlab"),
            "{}",
            stderr(&out)
        );
    }
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "chapter one\n".repeat(100)
    );
    let both = run(&[
        "shared",
        "--name",
        "x",
        "--file",
        path.to_str().unwrap(),
        "load",
    ]);
    assert_eq!(both.status.code(), Some(2), "{}", stderr(&both));
}

fn form(name: &str, file: &Path, lang: Lang) -> Harness<'static, SharedTextForm> {
    let form = SharedTextForm::with_name(name).with_backing_file(file);
    Harness::builder()
        .with_size([900.0, 800.0])
        .with_context_setup(memlab::fonts::install)
        .build_ui_state(move |ui, form: &mut SharedTextForm| form.ui(ui, lang), form)
}

#[test]
fn the_form_keeps_its_string_in_a_file_after_it_closes() {
    let name = unique("fb-form");
    let folder = Folder::new("fb-form");
    let path = folder.0.join("form.mmf");
    let mut one = form(&name, &path, Lang::En);
    wait_until(&mut one, "shared memory first", |h| {
        shows(h, "In use: shared memory") && text_of(h, "Text") == SAMPLE
    });
    one.get_by_label("File").click();
    let in_use = format!("In use: file {}", path.display());
    wait_until(&mut one, "the file in use", |h| shows(h, &in_use));
    assert_eq!(text_of(&one, "Backing file"), path.display().to_string());
    type_into(&mut one, "Text", "파일이 기억합니다");
    one.get_by_label("Save").click();
    wait_until(&mut one, "Saved", |h| shows(h, "Saved"));
    one.state_mut().shutdown();
    drop(one);
    assert!(path.exists(), "kept after the only instance closed");

    // A new window, in Korean: shared memory has the sample, the file the text.
    let mut two = form(&name, &path, Lang::Ko);
    wait_until(&mut two, "the sample in shared memory", |h| {
        text_of(h, "문자열") == SAMPLE && shows(h, "사용 중: 공유 메모리")
    });
    two.get_by_label("파일").click();
    wait_until(&mut two, "the text kept in the file", |h| {
        text_of(h, "문자열") == "파일이 기억합니다" && shows(h, "사용 중: 파일")
    });
    assert!(shows(&two, "저장된 파일을 엶"), "the origin, in Korean");

    // A bad path is refused in the form; the attached file is kept.
    type_into(&mut two, "저장 파일", &format!("{}/", folder.0.display()));
    two.get_by_label("열기").click();
    wait_until(&mut two, "the bad path in Korean", |h| {
        shows(h, "파일 이름을 쓸 수 없습니다")
    });
    two.state_mut().shutdown();
    assert_eq!(stdout(&shared_file(&path, &["load"])), "파일이 기억합니다");
}
