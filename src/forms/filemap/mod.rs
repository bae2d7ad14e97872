//! The file-mapping lab (book §8): a real file mapped step by step, each
//! step a button, every view a small hex editor beside an ordinary read of
//! the same bytes. The steps run off the UI thread (`session`), the views
//! draw only the rows in sight (`hex`), and a monitor thread repaints when
//! another instance or program changes what is shown (`monitor`).

// The help names the calls as made: Linux's say what each became there.
#[cfg(not(windows))]
pub(crate) mod help;
#[cfg(windows)]
#[path = "help_windows.rs"]
pub(crate) mod help;
mod hex;
mod messages;
mod monitor;
mod session;
mod steps;
mod views;
// The calls this OS makes, in the form's own sentences.
#[cfg_attr(not(windows), path = "words_linux.rs")]
#[cfg_attr(windows, path = "words_windows.rs")]
mod words;

use std::collections::{BTreeMap, VecDeque};

use eframe::egui;
use serde::{Deserialize, Serialize};

use crate::forms::Lab;
use crate::forms::widgets::{Job, Poll, Status};
use crate::lab_id::LabId;
use memlab_engine::filemap::{self, FileMapSession};
use memlab_engine::i18n::Lang;
use messages::{FileStep, StepNote};
use monitor::Monitor;
use session::{Reply, Request, Shared, Snapshot, Step, peek};
use views::{ViewAction, ViewPanel};

/// Log lines kept.
const LOG_LINES: usize = 50;

/// What waits to run after the current step (the screenshot demo).
enum Queued {
    Request(Request),
    Write { view: u32, at: u64, bytes: Vec<u8> },
}

/// The file-mapping lab.
#[derive(Serialize, Deserialize)]
#[serde(default)]
pub struct FileMapLab {
    /// The file (empty: the demo file in the data folder).
    pub path: String,
    /// Share the file with other instances instead of opening it exclusively.
    pub share: bool,
    /// Open it read-only (GENERIC_READ).
    pub read_only: bool,
    /// CreateFileMapping's size, as typed (0 = the file's size).
    pub mapping_size: String,
    /// MapViewOfFile's offset and length, as typed (length 0 = to the end).
    pub view_offset: String,
    pub view_len: String,
    /// SetEndOfFile's size, as typed.
    pub eof_size: String,
    #[serde(skip)]
    session: Option<Shared>,
    #[serde(skip)]
    snapshot: Snapshot,
    #[serde(skip)]
    job: Option<(FileStep, Job<Reply>)>,
    #[serde(skip)]
    log: VecDeque<Status>,
    #[serde(skip)]
    panels: BTreeMap<u32, ViewPanel>,
    #[serde(skip)]
    monitor: Option<Monitor>,
    #[serde(skip)]
    queue: VecDeque<Queued>,
    /// Scroll the log and views into sight once the demo has run.
    #[serde(skip)]
    reveal: bool,
}

impl Default for FileMapLab {
    fn default() -> Self {
        Self {
            path: String::new(),
            share: false,
            read_only: false,
            mapping_size: "64K".into(),
            view_offset: "0".into(),
            view_len: "0".into(),
            eof_size: "4K".into(),
            session: None,
            snapshot: Snapshot::default(),
            job: None,
            log: VecDeque::new(),
            panels: BTreeMap::new(),
            monitor: None,
            queue: VecDeque::new(),
            reveal: false,
        }
    }
}

impl FileMapLab {
    /// A lab on the file `path` (tests give each its own).
    pub fn with_path(path: &std::path::Path) -> Self {
        Self {
            path: path.display().to_string(),
            ..Self::default()
        }
    }

    fn note(&mut self, note: StepNote) {
        let status = if note.is_error() {
            Status::error(note)
        } else {
            Status::info(note)
        };
        self.push_log(status);
    }

    fn push_log(&mut self, status: Status) {
        if self.log.len() == LOG_LINES {
            self.log.pop_front();
        }
        self.log.push_back(status);
    }

    /// Runs `request` after the steps before it.
    fn enqueue(&mut self, request: Request, ctx: &egui::Context) {
        self.queue.push_back(Queued::Request(request));
        ctx.request_repaint();
    }

    /// Starts `request` off the UI thread (one step at a time).
    fn start(&mut self, request: Request, ctx: &egui::Context) {
        let step = request.step();
        let request = match request {
            Request::Open { path, request, .. } => {
                // The old session goes with the step, which closes it first.
                self.monitor = None;
                self.panels.clear();
                self.snapshot = Snapshot::default();
                Request::Open {
                    path,
                    request,
                    previous: self.session.take(),
                }
            }
            other => other,
        };
        let session = self.session.clone();
        match Job::start("filemap step", ctx, move |_| session::run(request, session)) {
            Ok(job) => self.job = Some((step, job)),
            Err(_) => self.note(StepNote::Lost { step }),
        }
    }

    /// Takes a finished step's result, then starts what is queued.
    fn poll(&mut self, ctx: &egui::Context) {
        let polled = self.job.as_ref().map(|(step, job)| (*step, job.poll()));
        match polled {
            None | Some((_, Poll::Running)) => {}
            Some((_, Poll::Done(reply))) => {
                self.job = None;
                self.finish(reply, ctx);
            }
            Some((step, Poll::Lost)) => {
                self.job = None;
                self.note(StepNote::Lost { step });
            }
        }
        while self.job.is_none()
            && let Some(next) = self.queue.pop_front()
        {
            match next {
                Queued::Request(request) => self.start(request, ctx),
                Queued::Write { view, at, bytes } => self.write(view, at, &bytes),
            }
        }
    }

    fn finish(&mut self, reply: Reply, ctx: &egui::Context) {
        if let Some(session) = reply.opened {
            self.monitor = Monitor::start(session.clone(), ctx);
            self.session = Some(session);
        }
        match &reply.note {
            StepNote::ViewMapped(info) => {
                self.panels.insert(info.view, ViewPanel::new(*info));
            }
            StepNote::Unmapped { view } => {
                if let Some(panel) = self.panels.get_mut(view) {
                    panel.unmapped = true;
                }
            }
            StepNote::Flushed(flushed) => {
                if let Some(panel) = self.panels.get_mut(&flushed.view) {
                    panel.flushed = Some(*flushed);
                }
            }
            _ => {}
        }
        self.note(reply.note);
    }

    /// Bytes typed into a view, written through it (a copy through the
    /// probe: microseconds, so on the UI thread).
    fn write(&mut self, view: u32, at: u64, bytes: &[u8]) {
        let written = match self.session.as_ref().map(peek) {
            Some(Some(session)) => session.write_view(view, at, bytes).map(|_| ()),
            // A step holds the session: it is being changed under the view.
            Some(None) => return,
            None => Err(filemap::FileMapError::FileClosed),
        };
        if let Err(error) = written {
            self.note(StepNote::Failed {
                step: FileStep::Write,
                error,
            });
        }
    }

    /// The views' panels, then what they asked for.
    fn views_ui(&mut self, ui: &mut egui::Ui, lang: Lang) {
        let mut actions = Vec::new();
        let mut visible = Vec::new();
        {
            let guard = self.session.as_ref().and_then(peek);
            let session: Option<&FileMapSession> = guard.as_deref();
            for panel in self.panels.values_mut() {
                let (asked, shown) = panel.ui(ui, lang, session, self.snapshot.file_len);
                actions.extend(asked);
                if let Some((at, len)) = shown {
                    visible.push((panel.info.view, at, len));
                }
            }
        }
        if let Some(monitor) = &self.monitor
            && let Ok(mut seen) = monitor.visible.lock()
        {
            *seen = visible;
        }
        for action in actions {
            match action {
                ViewAction::Flush(view) => self.enqueue(Request::On(Step::Flush(view)), ui.ctx()),
                ViewAction::Unmap(view) => self.enqueue(Request::On(Step::Unmap(view)), ui.ctx()),
                ViewAction::Write { view, at, bytes } => {
                    self.write(view, at, &bytes);
                    ui.ctx().request_repaint();
                }
                ViewAction::BadOffset(e) => self.push_log(Status::error(e)),
            }
        }
    }
}

impl Lab for FileMapLab {
    fn id(&self) -> LabId {
        LabId::Filemap
    }

    fn title(&self, lang: Lang) -> &'static str {
        lang.pick("File mapping (§8)", "파일 매핑 (§8)")
    }

    fn ui(&mut self, ui: &mut egui::Ui, lang: Lang) {
        if self.path.is_empty() {
            match filemap::demo_file() {
                Ok(path) => self.path = path.display().to_string(),
                Err(e) => {
                    self.path = "filemap-demo.bin".into();
                    self.push_log(Status::error(e));
                }
            }
        }
        self.poll(ui.ctx());
        if let Some(session) = &self.session
            && let Some(guard) = peek(session)
        {
            self.snapshot = Snapshot::of(&guard);
        }
        ui.heading(lang.pick("File mapping, step by step", "파일 매핑, 한 단계씩"));
        ui.label(lang.pick(
            "Each button is one call of the book's walk-through, run for real on a file. Map two views of the same bytes, type into one, and watch the other and an ordinary file read change with it.",
            "버튼 하나가 책에 나온 호출 하나이며, 실제 파일에 그대로 실행됩니다. 같은 바이트를 보는 뷰 두 개를 만들고 한쪽에 입력하면, 다른 뷰와 보통의 파일 읽기도 함께 바뀌는 것을 볼 수 있습니다.",
        ));
        ui.add_space(4.0);
        self.steps_ui(ui, lang);
        ui.separator();
        self.views_ui(ui, lang);
    }

    fn settled(&self) -> bool {
        self.job.is_none() && self.queue.is_empty()
    }

    /// Opens the lab's file (the demo file unless one was chosen) shared,
    /// maps 64 KiB, two views of the same bytes (the second at an unaligned
    /// offset), writes through both, flushes.
    fn demo(&mut self) {
        if self.path.is_empty()
            && let Ok(path) = filemap::demo_file()
        {
            self.path = path.display().to_string();
        }
        self.share = true;
        self.view_offset = words::DEMO_SECOND_VIEW.to_string();
        self.view_len = "256".into();
        let open = Request::Open {
            path: self.path.clone().into(),
            request: self.open_request(filemap::Disposition::OpenOrCreate),
            previous: None,
        };
        self.queue.extend([
            Queued::Request(open),
            Queued::Request(Request::On(Step::CreateMapping(64 << 10))),
            Queued::Request(Request::On(Step::MapView {
                offset: 0,
                len: 8 << 10,
            })),
            Queued::Request(Request::On(Step::MapView {
                offset: words::DEMO_SECOND_VIEW,
                len: 256,
            })),
            Queued::Write {
                view: 1,
                at: 0,
                bytes: b"view 1 wrote me.".to_vec(),
            },
            // File offset 16, right after view 1's text, on every OS.
            Queued::Write {
                view: 2,
                at: 16 - words::DEMO_SECOND_VIEW,
                bytes: "view 2 wrote this: 샘플입니다 !".as_bytes().to_vec(),
            },
            Queued::Request(Request::On(Step::Flush(1))),
        ]);
        self.reveal = true;
    }

    /// Unmaps every view and closes the file.
    fn shutdown(&mut self) {
        self.monitor = None;
        self.panels.clear();
        self.session = None;
    }
}
