//! The shared text form (SampleMMF): an edit box with Load and Save over a
//! named mapping, live following, and an info panel. The work runs on the
//! threads of `worker`; this module is the form itself.

mod backing;
// The help names the calls as made: Linux's say what each became there.
#[cfg(not(windows))]
pub(crate) mod help;
#[cfg(windows)]
#[path = "help_windows.rs"]
pub(crate) mod help;
mod info;
mod messages;
mod worker;

use std::time::{Duration, Instant};

use eframe::egui;
use serde::{Deserialize, Serialize};

use crate::forms::Lab;
use crate::forms::widgets::{field_width, text_field};
use crate::lab_id::LabId;
use memlab_engine::desktop::instances::OpenWindow;
use memlab_engine::i18n::{Lang, Localized};
use memlab_engine::shared_text::{
    CHAR_LEN, DEFAULT_NAME, Loaded, SharedError, SharedInfo, WATCH_LIVENESS, fit_to_capacity,
    validate_name,
};
use messages::{Level, Status};
use worker::{Connection, Event, Job, JobKind};

#[derive(Serialize, Deserialize)]
#[serde(default)]
pub struct SharedTextForm {
    /// The mapping's name.
    pub name: String,
    /// Follow other instances' saves.
    pub live: bool,
    /// Shared memory or a file.
    pub backing: backing::BackingChoice,
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
    /// Someone removed the object this form is attached to.
    #[serde(skip)]
    removed: bool,
    /// The change counter of this form's own last save, so live mode does
    /// not echo it back over what the user typed since.
    #[serde(skip)]
    own_save: Option<u64>,
    /// The text was typed in since it was last loaded or saved: Live does
    /// not replace it, it offers what another window saved instead.
    #[serde(skip)]
    edited: bool,
    /// What another window saved while this one had unsaved typing.
    #[serde(skip)]
    incoming: Option<Loaded>,
    /// The account's open windows, to name attached instances by the
    /// numbers in their titles.
    #[serde(skip)]
    windows: Vec<OpenWindow>,
    /// The text field takes the keyboard when the form first shows, as the
    /// book's Edit did: type, then Enter saves.
    #[serde(skip)]
    focus_text: bool,
    /// The longest the info panel goes without a look while nothing
    /// announces a change (what no write announces: the name removed, a
    /// killed instance's slot).
    #[serde(skip)]
    check_every: Duration,
}

impl Default for SharedTextForm {
    fn default() -> Self {
        Self::with_name(DEFAULT_NAME)
    }
}

impl SharedTextForm {
    /// A form on the mapping `name` (tests give each its own).
    pub fn with_name(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            live: false,
            backing: backing::BackingChoice::default(),
            name_field: name.to_owned(),
            text: String::new(),
            conn: None,
            status: None,
            pending: None,
            info: None,
            corrupt: false,
            removed: false,
            own_save: None,
            edited: false,
            incoming: None,
            windows: Vec::new(),
            focus_text: true,
            check_every: WATCH_LIVENESS,
        }
    }

    /// Sets the longest the info panel (and Live) go without a look while
    /// nothing announces a change (a second by default). A test sets an
    /// hour, so that only a wake-up can show what another instance did.
    pub fn checking_every(mut self, every: Duration) -> Self {
        self.check_every = every;
        self
    }

    fn connect(&mut self, ctx: &egui::Context) {
        if let Some(old) = self.conn.take() {
            old.detach_in_background();
        }
        self.info = None;
        self.pending = Some((Job::Load, Instant::now()));
        self.corrupt = false;
        self.removed = false;
        self.own_save = None;
        self.incoming = None;
        let backing = self.backing.backing(&self.name);
        self.conn = Some(Connection::start(backing, self.live, self.check_every, ctx));
    }

    fn submit(&mut self, job: Job) {
        if let Some(conn) = &self.conn
            && conn.jobs.send(job.clone()).is_ok()
        {
            self.pending = Some((job, Instant::now()));
        }
    }

    fn handle(&mut self, event: Event) {
        match event {
            Event::Opened {
                origin,
                slot,
                window,
            } => {
                self.status = Some(Status::Attached {
                    window,
                    slot,
                    origin,
                });
            }
            Event::OpenFailed(e) => {
                self.pending = None;
                self.status = Some(Status::Failed(e));
                self.conn = None;
            }
            Event::Loaded(loaded) => {
                self.pending = None;
                self.status = Some(Status::Loaded {
                    lossy: loaded.lossy,
                    recovered_from: loaded.recovered_from,
                    wait_abandoned: loaded.wait_abandoned,
                });
                self.text = loaded.text;
                self.corrupt = false;
                self.edited = false;
                self.incoming = None;
            }
            Event::Saved(saved) => {
                self.pending = None;
                self.own_save = Some(saved.change_counter);
                self.status = Some(Status::Saved {
                    kept: saved.stored.len(),
                    asked: saved.truncated_from,
                    recovered_from: saved.recovered_from,
                    wait_abandoned: saved.wait_abandoned,
                });
                self.text = saved.stored;
                self.edited = false;
                self.incoming = None;
            }
            Event::ResetDone => {
                self.pending = None;
                self.corrupt = false;
                self.status = Some(Status::Reset);
                self.submit(Job::Load);
            }
            Event::Failed(e) => {
                self.pending = None;
                self.corrupt |= matches!(e, SharedError::Corrupt { .. });
                self.status = Some(Status::Failed(e));
            }
            Event::Live(loaded) => {
                if Some(loaded.change_counter) == self.own_save || loaded.text == self.text {
                    self.incoming = None;
                } else if self.edited {
                    self.incoming = Some(loaded);
                } else {
                    self.text = loaded.text;
                    self.incoming = None;
                }
            }
            Event::Removed => self.removed = true,
            Event::Info(info) => {
                self.corrupt = info.problem.is_some();
                self.removed |= info.removed;
                self.info = Some(*info);
            }
            Event::Windows(windows) => self.windows = windows,
        }
    }

    fn name_row(&mut self, ui: &mut egui::Ui, lang: Lang) {
        ui.horizontal_wrapped(|ui| {
            let label = lang.pick("Mapping name", "매핑 이름");
            let field = text_field(ui, label, &mut self.name_field, 180.0);
            let enter = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            let open = ui.button(lang.pick("Open", "열기")).clicked();
            if open || (enter && self.name_field != self.name) {
                match validate_name(&self.name_field) {
                    Ok(()) => {
                        self.name = self.name_field.clone();
                        self.connect(ui.ctx());
                    }
                    Err(e) => self.status = Some(Status::Failed(e)),
                }
            }
        });
    }

    fn text_row(&mut self, ui: &mut egui::Ui, lang: Lang) {
        let busy = self.pending.is_some() || self.conn.is_none();
        let mut save = false;
        ui.horizontal_wrapped(|ui| {
            let label = ui.label(lang.pick("Text", "문자열"));
            let width = field_width(ui, 360.0);
            let field = ui
                .add(
                    egui::TextEdit::singleline(&mut self.text)
                        .desired_width(width)
                        .font(egui::TextStyle::Heading),
                )
                .labelled_by(label.id)
                .on_hover_text(lang.pick("Enter saves", "Enter를 누르면 저장합니다"));
            if std::mem::take(&mut self.focus_text) {
                field.request_focus();
            }
            if field.changed() {
                self.edited = true;
            }
            // Enter saves, as the Save button does.
            save = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        });
        let used = self.text.len();
        let fits = fit_to_capacity(&self.text).len();
        let counter = format!("{used} / {CHAR_LEN} {}", lang.pick("bytes", "바이트"));
        ui.horizontal_wrapped(|ui| {
            if ui
                .add_enabled(!busy, egui::Button::new(lang.pick("Load", "불러오기")))
                .clicked()
            {
                self.submit(Job::Load);
            }
            save |= ui
                .add_enabled(!busy, egui::Button::new(lang.pick("Save", "저장하기")))
                .clicked();
            if save && !busy {
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
                conn.set_live(self.live);
            }
            if fits < used {
                ui.colored_label(
                    ui.visuals().warn_fg_color,
                    format!(
                        "{counter}: {} {fits}",
                        lang.pick("Save will keep", "저장 시 유지:")
                    ),
                );
            } else {
                ui.weak(counter);
            }
        });
        self.incoming_row(ui, lang);
    }

    /// What another window saved while this one has unsaved typing, with a
    /// button to take it.
    fn incoming_row(&mut self, ui: &mut egui::Ui, lang: Lang) {
        let Some(incoming) = &self.incoming else {
            return;
        };
        let mut take = false;
        ui.horizontal_wrapped(|ui| {
            status_label(
                ui,
                Level::Warn,
                format!(
                    "{} «{}»",
                    lang.pick(
                        "Another window saved (your typing is kept):",
                        "다른 창이 저장했습니다 (입력한 내용은 그대로 둡니다):"
                    ),
                    incoming.text
                ),
            );
            take = ui
                .button(lang.pick("Load it", "그것을 불러오기"))
                .on_hover_text(lang.pick(
                    "Replace your typing with what the other window saved",
                    "입력한 내용을 다른 창이 저장한 문자열로 바꿉니다",
                ))
                .clicked();
        });
        if take && let Some(incoming) = self.incoming.take() {
            self.text = incoming.text;
            self.edited = false;
        }
    }

    fn status_line(&mut self, ui: &mut egui::Ui, lang: Lang) {
        if let Some((job, since)) = &self.pending {
            let waited = since.elapsed().as_millis();
            let what = match job.kind() {
                JobKind::Load => lang.pick("Loading", "불러오는 중"),
                JobKind::Save => lang.pick("Saving", "저장하는 중"),
                JobKind::Reset => lang.pick("Resetting", "초기화하는 중"),
            };
            ui.horizontal_wrapped(|ui| {
                ui.spinner();
                ui.label(format!(
                    "{what}: {} {waited} ms",
                    lang.pick("waiting for the lock", "잠금 대기")
                ));
            });
            ui.ctx().request_repaint_after(Duration::from_millis(50));
        } else if let Some(status) = &self.status {
            status_label(ui, status.level(), status.text(lang));
        }
        if self.corrupt {
            ui.horizontal_wrapped(|ui| {
                status_label(
                    ui,
                    Level::Error,
                    lang.pick(
                        "The mapping's bytes are not valid. Reset rewrites it with the sample string.",
                        "매핑의 바이트가 올바르지 않습니다. 초기화하면 샘플 문자열로 다시 씁니다.",
                    )
                    .into(),
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
        if self.removed {
            let gone = SharedError::Removed {
                name: self.name.clone(),
            };
            status_label(ui, Level::Warn, gone.localized(lang));
            if ui
                .button(lang.pick("Re-attach", "다시 연결"))
                .on_hover_text(lang.pick(
                    "Attach to the object now under this name (a new one if there is none)",
                    "지금 이 이름을 가진 객체에 연결합니다 (없으면 새로 만듦)",
                ))
                .clicked()
            {
                self.connect(ui.ctx());
            }
        }
    }
}

/// One status line, coloured from the theme so both themes read well.
fn status_label(ui: &mut egui::Ui, level: Level, text: String) {
    let color = match level {
        Level::Info => ui.visuals().text_color(),
        Level::Warn => ui.visuals().warn_fg_color,
        Level::Error => ui.visuals().error_fg_color,
    };
    ui.colored_label(color, text);
}

impl Lab for SharedTextForm {
    fn id(&self) -> LabId {
        LabId::Shared
    }

    fn title(&self, lang: Lang) -> &'static str {
        lang.pick("Shared text (SampleMMF)", "공유 문자열 (SampleMMF)")
    }

    fn ui(&mut self, ui: &mut egui::Ui, lang: Lang) {
        if self.conn.is_none() && self.status.is_none() {
            // First frame (perhaps with a name restored from the last run).
            self.name_field = self.name.clone();
            self.open_backing(ui.ctx());
        }
        let events: Vec<Event> = self
            .conn
            .as_ref()
            .map(|c| c.events.try_iter().collect())
            .unwrap_or_default();
        for event in events {
            self.handle(event);
        }

        // The mapping this form has open (the book's form was SampleMMF).
        ui.heading(format!(
            "{}: {}",
            lang.pick("Shared text", "공유 문자열"),
            self.name
        ));
        ui.label(lang.pick(
            "Every running memlab attached to the same mapping name shares one string. Save here, Load in another window.",
            "같은 이름의 매핑에 연결된 모든 memlab 인스턴스가 한 문자열을 공유합니다. 여기서 저장하고 다른 창에서 불러오세요.",
        ));
        ui.add_space(6.0);
        self.backing_rows(ui, lang);
        ui.add_space(4.0);
        self.text_row(ui, lang);
        self.status_line(ui, lang);
        backing::in_use_line(ui, self.info.as_ref(), lang);
        ui.separator();
        egui::CollapsingHeader::new(lang.pick("Mapping info", "매핑 정보"))
            .default_open(true)
            .show(ui, |ui| {
                info::info_panel(ui, self.info.as_ref(), &self.windows, lang);
            });
    }

    /// True once connected and the first load has finished.
    fn settled(&self) -> bool {
        self.conn.is_some() && self.pending.is_none() && self.info.is_some()
    }

    /// Detaches from the mapping (the last instance to leave removes it).
    fn shutdown(&mut self) {
        drop(self.conn.take());
    }
}
