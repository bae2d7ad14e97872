//! The shared text's backing: shared memory (the book's page-file-backed
//! mapping, gone when the last instance closes) or a file (the book's mapping
//! of a named file, which keeps the string after every instance closes); the
//! choice, the file's path, and which backing is in use.

use eframe::egui;
use serde::{Deserialize, Serialize};

use super::SharedTextForm;
use super::messages::Status;
use crate::forms::widgets::text_field;
use memlab_engine::i18n::Lang;
use memlab_engine::shared_text::{Backing, SharedInfo, validate_file_path};

/// Which backing the form attaches to (remembered between runs).
#[derive(Default, Serialize, Deserialize)]
#[serde(default)]
pub struct BackingChoice {
    /// Keep the string in a file instead of shared memory.
    pub use_file: bool,
    /// The backing file's path.
    pub path: String,
    #[serde(skip)]
    path_field: String,
}

impl BackingChoice {
    /// The backing to attach to, with the mapping name for shared memory.
    pub fn backing(&self, name: &str) -> Backing {
        if self.use_file {
            Backing::file(&self.path)
        } else {
            Backing::memory(name)
        }
    }

    /// Fills an empty path with the default file in the data folder.
    fn default_path(&mut self) {
        if self.path.is_empty() {
            // A backing file is Linux's only, for now (docs/windows.md).
            #[cfg(target_os = "linux")]
            if let Ok(dir) = memlab_engine::filemap::data_dir() {
                /// The backing file's name in memlab's data folder.
                const DEFAULT_FILE_NAME: &str = "shared-text.mmf";
                self.path = dir.join(DEFAULT_FILE_NAME).display().to_string();
            }
        }
        if self.path_field.is_empty() {
            self.path_field = self.path.clone();
        }
    }
}

impl SharedTextForm {
    /// The file offered when File is picked (tests give each its own).
    pub fn with_backing_file(mut self, path: &std::path::Path) -> Self {
        self.backing.path = path.display().to_string();
        self
    }

    /// The backing choice, then the name or path row.
    pub(super) fn backing_rows(&mut self, ui: &mut egui::Ui, lang: Lang) {
        let before = self.backing.use_file;
        ui.horizontal_wrapped(|ui| {
            ui.label(lang.pick("Backing", "저장 위치"));
            ui.radio_value(
                &mut self.backing.use_file,
                false,
                lang.pick("Shared memory", "공유 메모리"),
            )
            .on_hover_text(lang.pick(
                "The book's mapping: gone when the last instance closes",
                "책의 매핑: 마지막 인스턴스가 닫히면 사라집니다",
            ));
            ui.radio_value(&mut self.backing.use_file, true, lang.pick("File", "파일"))
                .on_hover_text(lang.pick(
                    "A mapped file: the string stays after every instance closes",
                    "매핑한 파일: 모든 인스턴스가 닫혀도 문자열이 남습니다",
                ));
        });
        if self.backing.use_file {
            self.file_row(ui, lang);
        } else {
            self.name_row(ui, lang);
        }
        if self.backing.use_file != before {
            self.open_backing(ui.ctx());
        }
    }

    fn file_row(&mut self, ui: &mut egui::Ui, lang: Lang) {
        ui.horizontal_wrapped(|ui| {
            let label = lang.pick("Backing file", "저장 파일");
            let field = text_field(ui, label, &mut self.backing.path_field, 320.0);
            let enter = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            let open = ui.button(lang.pick("Open", "열기")).clicked();
            if open || (enter && self.backing.path_field != self.backing.path) {
                self.backing.path = self.backing.path_field.clone();
                self.open_backing(ui.ctx());
            }
        });
    }

    /// Attaches to the chosen backing, or says why its path cannot be used.
    pub(super) fn open_backing(&mut self, ctx: &egui::Context) {
        if self.backing.use_file {
            self.backing.default_path();
        }
        let backing = self.backing.backing(&self.name);
        if let Backing::File { path } = &backing
            && let Err(e) = validate_file_path(path)
        {
            self.status = Some(Status::Failed(e));
            return;
        }
        self.connect(ctx);
    }
}

/// Which backing is in use (drawn under the form's controls, so that its
/// length, which changes with the backing, moves none of them).
pub(super) fn in_use_line(ui: &mut egui::Ui, info: Option<&SharedInfo>, lang: Lang) {
    let text = match info.map(|i| (&i.backing, i)) {
        None => lang.pick("In use: -", "사용 중: -").to_owned(),
        Some((Backing::Memory { .. }, info)) => format!(
            "{} {} {}",
            lang.pick("In use: shared memory", "사용 중: 공유 메모리"),
            info.path.display(),
            lang.pick(
                "(removed when the last instance closes)",
                "(마지막 인스턴스가 닫히면 지워짐)"
            )
        ),
        Some((Backing::File { path }, _)) => format!(
            "{} {} {}",
            lang.pick("In use: file", "사용 중: 파일"),
            path.display(),
            lang.pick(
                "(kept after every instance closes)",
                "(모든 인스턴스가 닫혀도 남음)"
            )
        ),
    };
    ui.add(egui::Label::new(egui::RichText::new(text).weak()).wrap());
}
