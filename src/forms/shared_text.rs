//! The shared text form (SampleMMF): an edit box with Load and Save over a
//! named mapping, live following, and an info panel.
//!
//! The UI thread never touches the mapping: a worker thread runs Load, Save
//! and Reset (each may wait up to a second for the lock) and a monitor thread
//! polls the change counter and the info facts, asking for a repaint only
//! when something changed, so an idle window does not repaint.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use eframe::egui::{self, Color32};
use serde::{Deserialize, Serialize};

use crate::core::clock::format_unix_ms;
use crate::core::shared_text::{
    CHAR_LEN, DEFAULT_NAME, Loaded, LockState, Origin, Saved, SharedError, SharedInfo, SharedText,
    fit_to_capacity, validate_name,
};
use crate::i18n::Lang;

/// How often live mode looks at the change counter.
const LIVE_POLL: Duration = Duration::from_millis(10);
/// How often the info facts are refreshed.
const INFO_POLL: Duration = Duration::from_millis(250);

#[derive(Serialize, Deserialize)]
#[serde(default)]
pub struct SharedTextForm {
    /// The mapping's name.
    pub name: String,
    /// Follow other instances' saves.
    pub live: bool,
    #[serde(skip)]
    name_field: String,
    #[serde(skip)]
    text: String,
    #[serde(skip)]
    conn: Option<Connection>,
    #[serde(skip)]
    status: Option<Status>,
    #[serde(skip)]
    pending: Option<(Job, Instant)>,
    #[serde(skip)]
    info: Option<SharedInfo>,
    #[serde(skip)]
    corrupt: bool,
    /// The change counter of this form's own last save, so live mode does
    /// not echo it back over what the user typed since.
    #[serde(skip)]
    own_save: Option<u64>,
}

impl Default for SharedTextForm {
    fn default() -> Self {
        Self::with_name(DEFAULT_NAME)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Status {
    Info(String),
    Warn(String),
    Error(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JobKind {
    Load,
    Save,
    Reset,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Job {
    Load,
    Save(String),
    Reset,
}

impl Job {
    fn kind(&self) -> JobKind {
        match self {
            Self::Load => JobKind::Load,
            Self::Save(_) => JobKind::Save,
            Self::Reset => JobKind::Reset,
        }
    }
}

enum Event {
    Opened { origin: Origin, instance: usize },
    OpenFailed(String),
    Loaded(Loaded),
    Saved(Saved),
    ResetDone,
    Failed { corrupt: bool, message: String },
    Live(Loaded),
    Info(Box<SharedInfo>),
}

/// The threads serving one attachment; dropping it detaches.
struct Connection {
    jobs: Sender<Job>,
    events: Receiver<Event>,
    live: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl Connection {
    fn start(name: &str, live: bool, ctx: &egui::Context) -> Self {
        let (jobs, job_rx) = mpsc::channel();
        let (event_tx, events) = mpsc::channel();
        let live = Arc::new(AtomicBool::new(live));
        let stop = Arc::new(AtomicBool::new(false));
        let worker = {
            let (name, ctx, live, stop) =
                (name.to_owned(), ctx.clone(), live.clone(), stop.clone());
            std::thread::Builder::new()
                .name("shared-text worker".into())
                .spawn(move || worker(&name, &job_rx, &event_tx, &ctx, live, stop))
        };
        Self {
            jobs,
            events,
            live,
            stop,
            threads: worker.into_iter().collect(),
        }
    }
}

impl Drop for Connection {
    /// Stops the threads and waits (briefly) for them to detach from the mapping.
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let (jobs, _) = mpsc::channel();
        drop(std::mem::replace(&mut self.jobs, jobs));
        let deadline = Instant::now() + Duration::from_secs(2);
        for thread in self.threads.drain(..) {
            while !thread.is_finished() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(5));
            }
            if thread.is_finished() {
                let _ = thread.join();
            }
        }
    }
}

fn send(events: &Sender<Event>, ctx: &egui::Context, event: Event) {
    if events.send(event).is_ok() {
        ctx.request_repaint();
    }
}

fn worker(
    name: &str,
    jobs: &Receiver<Job>,
    events: &Sender<Event>,
    ctx: &egui::Context,
    live: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
) {
    let shared = match SharedText::open(name) {
        Ok(shared) => Arc::new(shared),
        Err(e) => return send(events, ctx, Event::OpenFailed(e.to_string())),
    };
    let opened = Event::Opened {
        origin: shared.origin().clone(),
        instance: shared.instance_number(),
    };
    send(events, ctx, opened);
    let monitor = {
        let (shared, events, ctx) = (shared.clone(), events.clone(), ctx.clone());
        std::thread::Builder::new()
            .name("shared-text monitor".into())
            .spawn(move || monitor(&shared, &events, &ctx, &live, &stop))
    };
    let run = |job: Job| {
        let event = match job {
            Job::Load => shared.load().map(Event::Loaded),
            Job::Save(text) => shared.save(&text).map(Event::Saved),
            Job::Reset => shared.reset().map(|()| Event::ResetDone),
        };
        let event = event.unwrap_or_else(|e| Event::Failed {
            corrupt: matches!(e, SharedError::Corrupt { .. }),
            message: e.to_string(),
        });
        send(events, ctx, event);
    };
    // As in the book, the form shows the shared string when it opens.
    run(Job::Load);
    while let Ok(job) = jobs.recv() {
        run(job);
    }
    if let Ok(monitor) = monitor {
        let _ = monitor.join();
    }
}

fn monitor(
    shared: &SharedText,
    events: &Sender<Event>,
    ctx: &egui::Context,
    live: &AtomicBool,
    stop: &AtomicBool,
) {
    let mut seen_counter = shared.change_counter();
    let mut was_live = false;
    let mut last_info: Option<SharedInfo> = None;
    let mut next_info = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        let is_live = live.load(Ordering::Relaxed);
        let counter = shared.change_counter();
        if is_live && (counter != seen_counter || !was_live) {
            match shared.load() {
                Ok(loaded) => {
                    seen_counter = Some(loaded.change_counter);
                    send(events, ctx, Event::Live(loaded));
                }
                Err(e) => {
                    seen_counter = counter;
                    let corrupt = matches!(e, SharedError::Corrupt { .. });
                    let message = e.to_string();
                    send(events, ctx, Event::Failed { corrupt, message });
                }
            }
        } else if !is_live {
            seen_counter = counter;
        }
        was_live = is_live;
        if Instant::now() >= next_info {
            next_info = Instant::now() + INFO_POLL;
            if let Ok(info) = shared.info()
                && last_info.as_ref() != Some(&info)
            {
                last_info = Some(info.clone());
                send(events, ctx, Event::Info(Box::new(info)));
            }
        }
        std::thread::sleep(LIVE_POLL);
    }
}

impl SharedTextForm {
    /// A form on the mapping `name` (tests give each its own).
    pub fn with_name(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            live: false,
            name_field: name.to_owned(),
            text: String::new(),
            conn: None,
            status: None,
            pending: None,
            info: None,
            corrupt: false,
            own_save: None,
        }
    }

    fn connect(&mut self, ctx: &egui::Context) {
        if let Some(old) = self.conn.take() {
            // Its worker may be waiting up to a second for the lock: let it
            // finish and detach off the UI thread.
            let _ = std::thread::Builder::new()
                .name("shared-text detach".into())
                .spawn(move || drop(old));
        }
        self.info = None;
        self.pending = Some((Job::Load, Instant::now()));
        self.corrupt = false;
        self.own_save = None;
        self.conn = Some(Connection::start(&self.name, self.live, ctx));
    }

    fn submit(&mut self, job: Job) {
        if let Some(conn) = &self.conn
            && conn.jobs.send(job.clone()).is_ok()
        {
            self.pending = Some((job, Instant::now()));
        }
    }

    fn handle(&mut self, event: Event, lang: Lang) {
        match event {
            Event::Opened { origin, instance } => {
                let how = origin_text(&origin, lang);
                let status = format!(
                    "{} {instance} ({how})",
                    lang.pick("Attached as instance", "연결됨: 인스턴스")
                );
                self.status = Some(Status::Info(status));
            }
            Event::OpenFailed(message) => {
                self.pending = None;
                self.status = Some(Status::Error(message));
                self.conn = None;
            }
            Event::Loaded(loaded) => {
                self.pending = None;
                let status = if loaded.lossy {
                    Status::Warn(
                        lang.pick(
                            "Loaded; the bytes were not valid UTF-8 and are shown with replacement marks",
                            "불러옴: UTF-8이 아닌 바이트는 대체 문자로 표시됨",
                        )
                        .into(),
                    )
                } else {
                    Status::Info(lang.pick("Loaded", "불러옴").into())
                };
                self.text = loaded.text;
                self.corrupt = false;
                self.status = Some(with_recovery(status, loaded.recovered_from));
            }
            Event::Saved(saved) => {
                self.pending = None;
                self.own_save = Some(saved.change_counter);
                let status = match saved.truncated_from {
                    Some(asked) => Status::Warn(format!(
                        "{} {} / {asked} {}",
                        lang.pick("Saved, cut to fit:", "저장됨, 잘림:"),
                        saved.stored.len(),
                        lang.pick(
                            "bytes kept (whole characters only)",
                            "바이트만 저장 (글자 단위)"
                        ),
                    )),
                    None => Status::Info(lang.pick("Saved", "저장됨").into()),
                };
                self.text = saved.stored;
                self.status = Some(with_recovery(status, saved.recovered_from));
            }
            Event::ResetDone => {
                self.pending = None;
                self.corrupt = false;
                self.status = Some(Status::Info(
                    lang.pick("Mapping reset", "매핑을 초기화함").into(),
                ));
                self.submit(Job::Load);
            }
            Event::Failed { corrupt, message } => {
                self.pending = None;
                self.corrupt |= corrupt;
                self.status = Some(Status::Error(message));
            }
            Event::Live(loaded) => {
                if Some(loaded.change_counter) != self.own_save {
                    self.text = loaded.text;
                }
            }
            Event::Info(info) => {
                self.corrupt = info.problem.is_some();
                self.info = Some(*info);
            }
        }
    }

    /// True once connected and the first load has finished.
    pub fn settled(&self) -> bool {
        self.conn.is_some() && self.pending.is_none() && self.info.is_some()
    }

    /// Detaches from the mapping (the last instance to leave removes it).
    pub fn shutdown(&mut self) {
        drop(self.conn.take());
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, lang: Lang) {
        if self.conn.is_none() && self.status.is_none() {
            // First frame (perhaps with a name restored from the last run).
            self.name_field = self.name.clone();
            self.connect(ui.ctx());
        }
        let events: Vec<Event> = self
            .conn
            .as_ref()
            .map(|c| c.events.try_iter().collect())
            .unwrap_or_default();
        for event in events {
            self.handle(event, lang);
        }

        ui.heading(lang.pick("Shared text (SampleMMF)", "공유 문자열 (SampleMMF)"));
        ui.label(lang.pick(
            "Every running memlab attached to the same mapping name shares one string. Save here, Load in another window.",
            "같은 이름의 매핑에 연결된 모든 memlab 인스턴스가 한 문자열을 공유합니다. 여기서 저장하고 다른 창에서 불러오세요.",
        ));
        ui.add_space(6.0);
        self.name_row(ui, lang);
        ui.add_space(4.0);
        self.text_row(ui, lang);
        self.status_line(ui, lang);
        ui.separator();
        egui::CollapsingHeader::new(lang.pick("Mapping info", "매핑 정보"))
            .default_open(true)
            .show(ui, |ui| self.info_panel(ui, lang));
    }

    fn name_row(&mut self, ui: &mut egui::Ui, lang: Lang) {
        ui.horizontal(|ui| {
            let label = ui.label(lang.pick("Mapping name", "매핑 이름"));
            let field = ui
                .add(egui::TextEdit::singleline(&mut self.name_field).desired_width(180.0))
                .labelled_by(label.id);
            let enter = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            let open = ui.button(lang.pick("Open", "열기")).clicked();
            if open || (enter && self.name_field != self.name) {
                match validate_name(&self.name_field) {
                    Ok(()) => {
                        self.name = self.name_field.clone();
                        self.connect(ui.ctx());
                    }
                    Err(e) => self.status = Some(Status::Error(e.to_string())),
                }
            }
        });
    }

    fn text_row(&mut self, ui: &mut egui::Ui, lang: Lang) {
        let busy = self.pending.is_some() || self.conn.is_none();
        ui.horizontal(|ui| {
            let label = ui.label(lang.pick("Text", "문자열"));
            ui.add(
                egui::TextEdit::singleline(&mut self.text)
                    .desired_width(360.0)
                    .font(egui::TextStyle::Heading),
            )
            .labelled_by(label.id);
        });
        let used = self.text.len();
        let fits = fit_to_capacity(&self.text).len();
        let counter = format!("{used} / {CHAR_LEN} {}", lang.pick("bytes", "바이트"));
        ui.horizontal(|ui| {
            if ui
                .add_enabled(!busy, egui::Button::new(lang.pick("Load", "불러오기")))
                .clicked()
            {
                self.submit(Job::Load);
            }
            if ui
                .add_enabled(!busy, egui::Button::new(lang.pick("Save", "저장하기")))
                .clicked()
            {
                self.submit(Job::Save(self.text.clone()));
            }
            let live = ui
                .checkbox(&mut self.live, lang.pick("Live", "실시간"))
                .on_hover_text(lang.pick(
                    "Follow other instances' saves as they happen",
                    "다른 인스턴스가 저장하면 바로 따라갑니다",
                ));
            if live.changed()
                && let Some(conn) = &self.conn
            {
                conn.live.store(self.live, Ordering::Relaxed);
            }
            if fits < used {
                ui.colored_label(
                    Color32::from_rgb(0xd0, 0x8a, 0x00),
                    format!(
                        "{counter}: {} {fits}",
                        lang.pick("Save will keep", "저장 시 유지:")
                    ),
                );
            } else {
                ui.weak(counter);
            }
        });
    }

    fn status_line(&mut self, ui: &mut egui::Ui, lang: Lang) {
        if let Some((job, since)) = &self.pending {
            let waited = since.elapsed().as_millis();
            let what = match job.kind() {
                JobKind::Load => lang.pick("Loading", "불러오는 중"),
                JobKind::Save => lang.pick("Saving", "저장하는 중"),
                JobKind::Reset => lang.pick("Resetting", "초기화하는 중"),
            };
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(format!(
                    "{what}: {} {waited} ms",
                    lang.pick("waiting for the lock", "잠금 대기")
                ));
            });
            ui.ctx().request_repaint_after(Duration::from_millis(50));
        } else if let Some(status) = &self.status {
            let (color, text) = match status {
                Status::Info(t) => (Color32::from_rgb(0x2e, 0x9d, 0x4e), t),
                Status::Warn(t) => (Color32::from_rgb(0xd0, 0x8a, 0x00), t),
                Status::Error(t) => (Color32::from_rgb(0xe0, 0x40, 0x40), t),
            };
            ui.colored_label(color, text);
        }
        if self.corrupt {
            ui.horizontal(|ui| {
                ui.colored_label(
                    Color32::from_rgb(0xe0, 0x40, 0x40),
                    lang.pick(
                        "The mapping's bytes are not valid. Reset rewrites it with the sample string.",
                        "매핑의 바이트가 올바르지 않습니다. 초기화하면 샘플 문자열로 다시 씁니다.",
                    ),
                );
                if ui
                    .add_enabled(
                        self.pending.is_none(),
                        egui::Button::new(lang.pick("Reset mapping", "매핑 초기화")),
                    )
                    .clicked()
                {
                    self.submit(Job::Reset);
                }
            });
        }
    }

    fn info_panel(&self, ui: &mut egui::Ui, lang: Lang) {
        let Some(info) = &self.info else {
            ui.weak(lang.pick("No mapping attached", "연결된 매핑 없음"));
            return;
        };
        egui::Grid::new("shared-info")
            .num_columns(2)
            .striped(true)
            .show(ui, |ui| {
                let mut row = |key: &str, value: String| {
                    ui.label(key);
                    ui.add(egui::Label::new(egui::RichText::new(value).monospace()).wrap());
                    ui.end_row();
                };
                row(lang.pick("Name", "이름"), info.name.clone());
                row(lang.pick("OS object", "OS 객체"), info.os_object.clone());
                row(
                    lang.pick("Size", "크기"),
                    format!(
                        "{} {} ({CHAR_LEN} + 1 {})",
                        info.size,
                        lang.pick("bytes", "바이트"),
                        lang.pick("bytes of text, twice", "바이트 문자열 버퍼 2개")
                    ),
                );
                let attached = info
                    .attached
                    .iter()
                    .map(|a| {
                        let pid = a.pid.map_or("?".into(), |p| p.to_string());
                        let me = if a.index + 1 == info.this_instance {
                            lang.pick(" (this)", " (이 창)")
                        } else {
                            ""
                        };
                        format!("#{} PID {pid}{me}", a.index + 1)
                    })
                    .collect::<Vec<_>>()
                    .join(", ");
                row(lang.pick("Attached now", "연결된 인스턴스"), attached);
                row(
                    lang.pick("This instance", "이 인스턴스"),
                    format!(
                        "#{} ({})",
                        info.this_instance,
                        origin_text(&info.origin, lang)
                    ),
                );
                row(
                    lang.pick("Change counter", "변경 횟수"),
                    info.change_counter.to_string(),
                );
                let writer = match (info.last_writer_pid, info.last_write_unix_ms) {
                    (Some(pid), Some(ms)) => format!("PID {pid}, {}", format_unix_ms(ms)),
                    _ => "-".into(),
                };
                row(lang.pick("Last writer", "마지막으로 쓴 프로세스"), writer);
                row(lang.pick("Lock", "잠금"), lock_text(&info.lock, lang));
                if let Some(problem) = &info.problem {
                    row(lang.pick("Problem", "문제"), problem.clone());
                }
            });
        ui.add_space(4.0);
        egui::CollapsingHeader::new(lang.pick("Bytes (hex)", "바이트 (16진수)"))
            .default_open(false)
            .show(ui, |ui| {
                ui.monospace(hex_dump(&info.bytes));
            });
    }
}

fn origin_text(origin: &Origin, lang: Lang) -> String {
    match origin {
        Origin::Created => lang.pick("created the mapping", "매핑을 새로 만듦").into(),
        Origin::Joined => lang.pick("joined the mapping", "기존 매핑에 연결").into(),
        Origin::RecoveredStale { note, .. } => format!(
            "{}: {note}",
            lang.pick("recovered a stale mapping", "남아 있던 매핑 복구")
        ),
    }
}

fn lock_text(lock: &LockState, lang: Lang) -> String {
    match (lang, lock) {
        (Lang::Ko, LockState::Free) => "사용 가능".into(),
        (Lang::Ko, LockState::Held { pid, held_ms }) => format!(
            "{}이(가) {held_ms} ms째 잡고 있음",
            pid.map_or("알 수 없는 PID".into(), |p| format!("PID {p}"))
        ),
        (Lang::Ko, LockState::Abandoned { pid }) => {
            format!("PID {pid}이(가) 잡은 채 종료됨 (다음 작업이 회수)")
        }
        (Lang::En, lock) => lock.to_string(),
    }
}

fn with_recovery(status: Status, recovered_from: Option<u32>) -> Status {
    match (recovered_from, status) {
        (Some(pid), Status::Info(text) | Status::Warn(text)) => Status::Warn(format!(
            "{text} (took over the lock from PID {pid}, which died holding it)"
        )),
        (_, status) => status,
    }
}

/// Offset, 16 bytes in hex, and their printable ASCII, per row.
fn hex_dump(bytes: &[u8]) -> String {
    bytes
        .chunks(16)
        .enumerate()
        .map(|(row, chunk)| {
            let hex: Vec<String> = chunk.iter().map(|b| format!("{b:02x}")).collect();
            let ascii: String = chunk
                .iter()
                .map(|&b| {
                    if b.is_ascii_graphic() || b == b' ' {
                        b as char
                    } else {
                        '.'
                    }
                })
                .collect();
            format!("{:04x}  {:<47}  {ascii}", row * 16, hex.join(" "))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

impl super::Lab for SharedTextForm {
    fn id(&self) -> &'static str {
        "shared"
    }

    fn title(&self, lang: Lang) -> &'static str {
        lang.pick("Shared text (SampleMMF)", "공유 문자열 (SampleMMF)")
    }

    fn ui(&mut self, ui: &mut egui::Ui, lang: Lang) {
        SharedTextForm::ui(self, ui, lang);
    }

    fn settled(&self) -> bool {
        SharedTextForm::settled(self)
    }

    fn shutdown(&mut self) {
        SharedTextForm::shutdown(self);
    }
}
