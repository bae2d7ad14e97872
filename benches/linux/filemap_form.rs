//! The `filemap_form` benchmark's body (Linux only, for now: docs/windows.md).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use memlab::forms::Lab;
use memlab::forms::filemap::FileMapLab;
use memlab_engine::i18n::Lang;

/// Frames measured per case.
const FRAMES: usize = 400;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn step_until(
    h: &mut Harness<'_, FileMapLab>,
    what: &str,
    done: impl Fn(&Harness<'_, FileMapLab>) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done(h) {
        assert!(Instant::now() < deadline, "no {what}");
        h.step();
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn shows(h: &Harness<'_, FileMapLab>, part: &str) -> bool {
    h.query_all_by_label_contains(part).next().is_some()
}

fn type_into(h: &mut Harness<'_, FileMapLab>, label: &str, text: &str) {
    h.get_by_label(label).focus();
    h.step();
    h.key_combination_modifiers(egui::Modifiers::COMMAND, &[egui::Key::A]);
    h.get_by_label(label).type_text(text);
    h.step();
}

/// A lab with one view of `size` bytes, its grid given the keyboard.
fn lab_with_view(dir: &TempDir, size: &str) -> Harness<'static, FileMapLab> {
    let path = dir.0.join(format!("view-{size}.bin"));
    let mut h = Harness::builder()
        .with_size([1100.0, 1400.0])
        .with_context_setup(memlab::fonts::install)
        .build_ui_state(
            |ui, lab: &mut FileMapLab| {
                egui::ScrollArea::vertical().show(ui, |ui| lab.ui(ui, Lang::En));
            },
            FileMapLab::with_path(&path),
        );
    h.get_by_label("Create").click();
    h.step();
    step_until(&mut h, "file", |h| shows(h, "CreateFile: "));
    type_into(&mut h, "Mapping size", size);
    h.get_by_label("Create mapping").click();
    h.step();
    step_until(&mut h, "mapping", |h| {
        shows(h, "CreateFileMapping: mapping")
    });
    h.get_by_label("Map view").click();
    h.step();
    step_until(&mut h, "view", |h| {
        h.query_all_by_role(Role::Grid).count() == 1
    });
    type_into(&mut h, "Go to offset", "0");
    h.key_press(egui::Key::Enter);
    h.step();
    h.step();
    h
}

/// Frames while paging down and typing a hex digit every fourth frame.
fn measure(what: &str, h: &mut Harness<'_, FileMapLab>) {
    let mut frames = Vec::with_capacity(FRAMES);
    for i in 0..FRAMES + 50 {
        if i % 4 == 0 {
            h.get_all_by_role(Role::Grid).next().unwrap().type_text("a");
        } else {
            h.key_press(egui::Key::PageDown);
        }
        let start = Instant::now();
        h.step();
        if i >= 50 {
            frames.push(start.elapsed());
        }
    }
    frames.sort();
    println!(
        "{what}: {} frames, p50 {:?}, p95 {:?}, p99 {:?}, max {:?}",
        frames.len(),
        percentile(&frames, 0.5),
        percentile(&frames, 0.95),
        percentile(&frames, 0.99),
        frames[frames.len() - 1]
    );
}

pub fn main() {
    let base = std::env::var_os("MEMLAB_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let dir = TempDir(base.join(format!("memlab-bench-form-{}", std::process::id())));
    std::fs::create_dir_all(&dir.0).unwrap();
    for size in ["64M", "4K"] {
        let mut h = lab_with_view(&dir, size);
        measure(
            &format!("file-mapping lab, a {size} view paged and typed into"),
            &mut h,
        );
        h.state_mut().shutdown();
    }
}
