//! The walk-through's buttons, numbered in the book's order (§8: 1
//! CreateFile, 2 CreateFileMapping, 3 MapViewOfFile, 4 FlushViewOfFile and
//! 5 UnmapViewOfFile on each view, 6 CloseHandle of the mapping, 7
//! SetFilePointer + SetEndOfFile, 8 CloseHandle of the file: the end of file
//! is set while the file is still open), the state of the file, mapping and
//! views, the step running, and the log.
//!
//! Every row wraps, and nothing sits after a text whose length changes, so
//! no button moves when a result comes in. Buttons are never disabled: a
//! click while a step runs waits its turn, and a step that cannot be done
//! says why (the refusal is the lesson).

use eframe::egui;

use super::messages::{FileStep, StepNote};
use super::session::{Request, Step};
use super::{FileMapLab, Queued};
use crate::forms::widgets::{status_log, text_field};
use memlab_engine::filemap::{
    Access, Disposition, MappingState, OpenRequest, Sharing, granularity, parse_byte_count,
};
use memlab_engine::i18n::{Lang, Particle, Tr, josa};

/// Lines of the log in sight.
const LOG_ROWS: f32 = 5.0;

impl FileMapLab {
    /// `CreateFile`'s access and share mode from the options.
    pub(super) fn open_request(&self, disposition: Disposition) -> OpenRequest {
        OpenRequest {
            access: if self.read_only {
                Access::ReadOnly
            } else {
                Access::ReadWrite
            },
            sharing: if self.share {
                Sharing::Shared
            } else {
                Sharing::Exclusive
            },
            disposition,
        }
    }

    /// Queues `step` with the byte count typed in a field, or logs why not.
    fn with_count(&mut self, step: FileStep, text: &str, make: impl FnOnce(u64) -> Step) {
        match parse_byte_count(text) {
            Ok(n) => self.queue.push_back(Queued::Request(Request::On(make(n)))),
            Err(error) => self.note(StepNote::BadNumber { step, error }),
        }
    }

    pub(super) fn steps_ui(&mut self, ui: &mut egui::Ui, lang: Lang) {
        step_title(ui, FileStep::Open, lang);
        ui.horizontal_wrapped(|ui| {
            // A path can be long: as much of the row as there is.
            text_field(ui, lang.pick("File", "파일"), &mut self.path, 640.0);
        });
        ui.horizontal_wrapped(|ui| {
            let open = ui
                .button(lang.pick("Open", "열기"))
                .on_hover_text(lang.pick(
                    "CreateFile(OPEN_EXISTING): the file must exist",
                    "CreateFile(OPEN_EXISTING): 파일이 있어야 합니다",
                ));
            let create = ui
                .button(lang.pick("Create", "만들기"))
                .on_hover_text(lang.pick(
                    "CreateFile(OPEN_ALWAYS): an empty file is made if there is none",
                    "CreateFile(OPEN_ALWAYS): 파일이 없으면 빈 파일을 만듭니다",
                ));
            ui.checkbox(
                &mut self.share,
                lang.pick("Share with other instances", "다른 인스턴스와 공유"),
            )
            .on_hover_text(lang.pick(
                "Off: share mode 0, as the book advises (a second memlab is refused). On: several instances map the file on purpose.",
                "끄면 책의 권고대로 공유 모드 0입니다(두 번째 memlab은 거절됨). 켜면 여러 인스턴스가 일부러 같은 파일을 매핑합니다.",
            ));
            ui.checkbox(&mut self.read_only, lang.pick("Read-only", "읽기 전용"));
            for (clicked, disposition) in [
                (open.clicked(), Disposition::OpenExisting),
                (create.clicked(), Disposition::OpenOrCreate),
            ] {
                if clicked {
                    let request = Request::Open {
                        path: self.path.trim().into(),
                        request: self.open_request(disposition),
                        previous: None,
                    };
                    self.queue.push_back(Queued::Request(request));
                }
            }
        });
        ui.add_space(4.0);
        step_title(ui, FileStep::CreateMapping, lang);
        ui.horizontal_wrapped(|ui| {
            let label = lang.pick("Mapping size", "매핑 크기");
            text_field(ui, label, &mut self.mapping_size, 80.0);
            let button = egui::Button::new(lang.pick("Create mapping", "매핑 만들기"));
            if ui.add(button).clicked() {
                let text = self.mapping_size.clone();
                self.with_count(FileStep::CreateMapping, &text, Step::CreateMapping);
            }
        });
        ui.weak(lang.pick(
            "0 = the file's size; a larger size grows the file first; a smaller one maps only its start. Sizes: 4096, 64K, 1M, 0x1000.",
            "0은 파일 크기만큼입니다. 더 크면 먼저 파일을 늘리고, 더 작으면 앞부분만 매핑합니다. 크기 예: 4096, 64K, 1M, 0x1000.",
        ));
        ui.add_space(4.0);
        step_title(ui, FileStep::MapView, lang);
        ui.horizontal_wrapped(|ui| {
            let label = lang.pick("View offset", "뷰 오프셋");
            text_field(ui, label, &mut self.view_offset, 80.0);
            text_field(ui, lang.pick("Length", "길이"), &mut self.view_len, 80.0);
            let button = egui::Button::new(lang.pick("Map view", "뷰 매핑"));
            if ui.add(button).clicked() {
                let (offset, len) = (self.view_offset.clone(), self.view_len.clone());
                match parse_byte_count(&len) {
                    Ok(len) => self.with_count(FileStep::MapView, &offset, |offset| {
                        Step::MapView { offset, len }
                    }),
                    Err(error) => self.note(StepNote::BadNumber {
                        step: FileStep::MapView,
                        error,
                    }),
                }
            }
        });
        let rule = super::words::view_rule(lang, granularity());
        ui.weak(rule);
        ui.add_space(4.0);
        let (flush, unmap) = (
            FileStep::Flush.numbered(lang),
            FileStep::Unmap.numbered(lang),
        );
        ui.strong(match lang {
            Lang::En => format!("{flush} and {unmap}: each view's own buttons, below"),
            Lang::Ko => format!("{} {unmap}: 아래 각 뷰의 버튼", josa(flush, Particle::With)),
        });
        ui.add_space(4.0);
        step_title(ui, FileStep::CloseMapping, lang);
        ui.horizontal_wrapped(|ui| {
            let close_mapping = egui::Button::new(lang.pick("Close mapping", "매핑 닫기"));
            if ui.add(close_mapping).clicked() {
                self.queue
                    .push_back(Queued::Request(Request::On(Step::CloseMapping)));
            }
        });
        ui.add_space(4.0);
        // Before the file is closed: SetEndOfFile needs its handle.
        step_title(ui, FileStep::SetEndOfFile, lang);
        ui.horizontal_wrapped(|ui| {
            let label = lang.pick("New end of file", "새 파일 끝");
            text_field(ui, label, &mut self.eof_size, 80.0);
            let button = egui::Button::new(lang.pick("Set end of file", "파일 끝 설정"));
            if ui.add(button).clicked() {
                let text = self.eof_size.clone();
                self.with_count(FileStep::SetEndOfFile, &text, Step::SetEndOfFile);
            }
        });
        ui.add_space(4.0);
        step_title(ui, FileStep::CloseFile, lang);
        ui.horizontal_wrapped(|ui| {
            let close_file = egui::Button::new(lang.pick("Close file", "파일 닫기"));
            if ui.add(close_file).clicked() {
                self.queue
                    .push_back(Queued::Request(Request::On(Step::CloseFile)));
            }
        });
        if !self.queue.is_empty() {
            ui.ctx().request_repaint();
        }
        ui.add_space(4.0);
        if self.reveal && self.job.is_none() && self.queue.is_empty() {
            self.reveal = false;
            ui.scroll_to_cursor(Some(egui::Align::TOP));
        }
        ui.label(self.state_text(lang));
        self.working_line(ui, lang);
        self.log_ui(ui, lang);
    }

    /// The file, the mapping and the views, as they are now.
    fn state_text(&self, lang: Lang) -> String {
        let s = &self.snapshot;
        if self.session.is_none() {
            return lang
                .pick(
                    "No file open: press Open or Create.",
                    "연 파일이 없습니다: 열기나 만들기를 누르세요.",
                )
                .into();
        }
        let file = match (s.file_open, s.file_len) {
            (true, Some(len)) => format!(
                "{} {len} {}",
                lang.pick("file", "파일"),
                lang.pick("bytes", "바이트")
            ),
            (true, None) => lang.pick("file open", "파일 열림").into(),
            // The views keep the file open (and its bytes readable).
            (false, Some(len)) => format!(
                "{} {len} {}",
                lang.pick(
                    "file handle closed, the views keep the file open:",
                    "파일 핸들 닫힘, 뷰가 파일을 열어 둠:"
                ),
                lang.pick("bytes", "바이트")
            ),
            (false, None) => lang.pick("file handle closed", "파일 핸들 닫힘").into(),
        };
        let mapping = match s.mapping {
            Some(MappingState::Open { size }) => format!(
                "{} {size} {}",
                lang.pick("mapping", "매핑"),
                lang.pick("bytes, open", "바이트, 열림")
            ),
            Some(MappingState::Closed { size }) => format!(
                "{} {size} {}",
                lang.pick("mapping", "매핑"),
                lang.pick("bytes, closed", "바이트, 닫힘")
            ),
            Some(MappingState::None) | None => lang.pick("no mapping", "매핑 없음").into(),
        };
        format!(
            "{file} · {mapping} · {} {}",
            lang.pick("views mapped:", "매핑된 뷰:"),
            s.views.len()
        )
    }

    /// The step running, or "ready": always one line.
    fn working_line(&self, ui: &mut egui::Ui, lang: Lang) {
        ui.horizontal(|ui| match &self.job {
            Some((step, job)) => {
                ui.spinner();
                ui.label(format!(
                    "{}: {} {} ms",
                    step.numbered(lang),
                    lang.pick("working,", "작업 중,"),
                    job.elapsed().as_millis()
                ));
            }
            None => {
                ui.weak(lang.pick("Ready", "준비됨"));
            }
        });
    }

    /// The last steps, newest at the bottom, in a box of fixed height.
    fn log_ui(&self, ui: &mut egui::Ui, lang: Lang) {
        let empty = Tr::new(
            "Each step's result appears here.",
            "각 단계의 결과가 여기에 나옵니다.",
        );
        status_log(ui, lang, "filemap-log", LOG_ROWS, self.log.iter(), empty);
    }
}

/// A step's number and Win32 call, in the book's order, above its controls.
fn step_title(ui: &mut egui::Ui, step: FileStep, lang: Lang) {
    ui.strong(step.numbered(lang));
}
