//! One memlab window as eframe runs it: the shell, the labs' saved state,
//! the settings shared with the other windows (applied here as soon as
//! another window changes them), this window's number and place, and (for
//! `memlab screenshot`) the picture to take.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use eframe::egui;

use super::launch::{self, Started};
use super::messages::Notice;
use super::placement::{self, WindowPlace};
use super::screenshot::Screenshot;
use super::shell::{MemlabApp, ShellAction};
use crate::forms::widgets::Status;
use memlab_engine::desktop::instances::{self, Desktop, WindowInstance};
use memlab_engine::desktop::settings::{SettingsStore, SharedSettings};

/// How often the labs' state is written while the window is open (as
/// eframe's storage did), besides when it closes.
const SAVE_EVERY: Duration = Duration::from_secs(30);
/// How long the answers to this window's request to arrange are awaited.
const ANSWERS_WITHIN: Duration = Duration::from_secs(15);

/// What came of an arrangement, from the thread that waited for it, and
/// whether to say so when all went well.
type Answers = (
    Result<instances::ArrangeReport, instances::InstancesError>,
    bool,
);
/// A notice that comes later, from a thread.
type LateNotice = Arc<Mutex<Option<Answers>>>;

/// The eframe app of one window.
pub(super) struct Window {
    app: MemlabApp,
    /// This window's number and place; `None` for a screenshot, or when the
    /// roster could not be joined.
    place: Option<WindowPlace>,
    /// Where settings and places are kept (`None`: remember nothing).
    store: Option<SettingsStore>,
    /// The shared settings as last read or written.
    saved_settings: SharedSettings,
    /// The labs' state as last written, and when.
    saved_labs: Option<String>,
    last_save: Instant,
    /// Native Wayland (`--wayland`): windows it starts are too.
    wayland: bool,
    /// A zoom another window set, until egui has applied it here (the
    /// context reports the old one until the next pass).
    following_zoom: Option<f32>,
    late_notice: LateNotice,
    screenshot: Option<Screenshot>,
    /// A screenshot's place on the roster (numbered like any window, but
    /// not placed).
    _numbered: Option<WindowInstance>,
}

impl Window {
    /// A window of its own on the roster (if `instance`), remembering its
    /// settings in `store`.
    pub(super) fn new(
        app: MemlabApp,
        instance: Option<WindowInstance>,
        store: Option<SettingsStore>,
        wayland: bool,
        ctx: &egui::Context,
    ) -> Self {
        ctx.set_zoom_factor(app.settings().zoom());
        Self {
            saved_settings: app.settings().clone(),
            app,
            place: instance.map(|i| WindowPlace::new(i, ctx)),
            store,
            saved_labs: None,
            last_save: Instant::now(),
            wayland,
            following_zoom: None,
            late_notice: LateNotice::default(),
            screenshot: None,
            _numbered: None,
        }
    }

    /// A window that takes its picture and closes, remembering nothing.
    pub(super) fn for_screenshot(
        app: MemlabApp,
        instance: Option<WindowInstance>,
        shot: Screenshot,
        ctx: &egui::Context,
    ) -> Self {
        let mut window = Self::new(app, None, None, false, ctx);
        window.screenshot = Some(shot);
        window._numbered = instance;
        window
    }

    fn act(&mut self, action: ShellAction, ctx: &egui::Context) {
        let notice = match action {
            // The new window opens on the lab this one shows, and then the
            // windows arrange themselves so that it is not on top of one.
            ShellAction::NewWindow => {
                let started = Started {
                    lab: Some(self.app.selected_id()),
                    wayland: self.wayland,
                };
                match launch::spawn_window(&started) {
                    Ok(pid) => {
                        if self.place.is_some() {
                            self.arrange_later(vec![pid], ctx, false);
                        }
                        Status::info(Notice::Started { pid })
                    }
                    Err(e) => Status::error(Notice::NotStarted(e)),
                }
            }
            ShellAction::Arrange if self.place.is_none() => Status::error(Notice::NoRoster),
            ShellAction::Arrange => {
                let area = placement::area_for_request(ctx);
                match instances::request_arrange(&Desktop::from_env(), area) {
                    Ok(request) => {
                        let windows = request.asked.len();
                        let (late, ctx) = (self.late_notice.clone(), ctx.clone());
                        let waiting = std::thread::Builder::new()
                            .name("arrange answers".into())
                            .spawn(move || {
                                let outcome = instances::wait_arranged(&request, ANSWERS_WITHIN);
                                post(&late, &ctx, (outcome, true));
                            });
                        if let Err(e) = waiting {
                            eprintln!("memlab: cannot wait for the windows' answers: {e}");
                        }
                        Status::info(Notice::Arranging { windows })
                    }
                    Err(e) => Status::error(Notice::NotArranged(e)),
                }
            }
        };
        self.app.set_notice(Some(notice));
    }

    /// Once the windows `pids` are open, arranges every window of the
    /// display; the notice says what came of it if something went wrong
    /// (or always, if `always`).
    fn arrange_later(&self, pids: Vec<u32>, ctx: &egui::Context, always: bool) {
        let (late, ctx) = (self.late_notice.clone(), ctx.clone());
        launch::arrange_in_background(pids, move |outcome| {
            post(&late, &ctx, (outcome, always));
        });
    }

    /// Writes the shared settings when this window changed one, keeping
    /// what other windows changed meanwhile in the fields this one did not,
    /// and tells the other windows.
    fn keep_settings(&mut self) {
        let Some(store) = &self.store else { return };
        let now = self.app.settings().clone();
        if let Some(zoom) = self.following_zoom
            && (now.zoom - zoom).abs() < 1e-4
        {
            // Another window's zoom, now applied: not this window's change.
            self.following_zoom = None;
            self.saved_settings.zoom = now.zoom;
        }
        if now == self.saved_settings {
            return;
        }
        let mut merged = store.load_shared().unwrap_or_else(|_| now.clone());
        let before = &self.saved_settings;
        if now.lang != before.lang {
            merged.lang = now.lang;
        }
        if now.zoom != before.zoom {
            merged.zoom = now.zoom;
        }
        if now.lab != before.lab {
            merged.lab.clone_from(&now.lab);
        }
        if now.text_size != before.text_size {
            merged.text_size = now.text_size;
        }
        let presented =
            (now.lang, now.zoom, now.text_size) != (before.lang, before.zoom, before.text_size);
        match store.save_shared(&merged) {
            Ok(()) if presented => {
                if let Err(e) = instances::announce_settings() {
                    eprintln!("memlab: cannot tell the other windows: {e}");
                }
            }
            Ok(()) => {}
            Err(e) => {
                eprintln!("memlab: {e}");
                self.app.set_notice(Some(Status::warn(Notice::Settings(e))));
            }
        }
        self.saved_settings = now;
    }

    /// Applies what another window changed in the presenter's settings
    /// (language, zoom, text size; each window keeps its own lab).
    fn follow_settings(&mut self, ctx: &egui::Context) {
        let changed = self
            .place
            .as_ref()
            .is_some_and(WindowPlace::take_settings_changed);
        let Some(store) = self.store.as_ref().filter(|_| changed) else {
            return;
        };
        let Ok(theirs) = store.load_shared() else {
            return;
        };
        let mut mine = self.app.settings().clone();
        mine.lang = theirs.lang;
        mine.text_size = theirs.text_size;
        self.app.set_settings(mine.clone());
        // What was read is not this window's change to write back.
        self.saved_settings.lang = mine.lang;
        self.saved_settings.text_size = mine.text_size;
        if (ctx.zoom_factor() - theirs.zoom()).abs() > 1e-4 {
            self.following_zoom = Some(theirs.zoom());
            ctx.set_zoom_factor(theirs.zoom());
        }
        ctx.request_repaint();
    }

    /// Writes the labs' state and this window's place, if they changed.
    fn save(&mut self) {
        if self.screenshot.is_some() {
            return;
        }
        let Some(store) = &self.store else { return };
        self.last_save = Instant::now();
        if let Some(place) = &mut self.place {
            place.save(store);
        }
        match ron::to_string(&self.app) {
            Ok(labs) if self.saved_labs.as_ref() != Some(&labs) => match store.save_labs(&labs) {
                Ok(()) => self.saved_labs = Some(labs),
                Err(e) => eprintln!("memlab: {e}"),
            },
            Ok(_) => {}
            Err(e) => eprintln!("memlab: cannot keep the labs' state: {e}"),
        }
    }
}

/// Hands what came of an arrangement to the window and wakes it.
fn post(late: &LateNotice, ctx: &egui::Context, answers: Answers) {
    if let Ok(mut slot) = late.lock() {
        *slot = Some(answers);
        ctx.request_repaint();
    }
}

/// The notice for what came of an arrangement: always if `always`, else
/// only when something went wrong.
fn arranged_notice(
    outcome: Result<instances::ArrangeReport, instances::InstancesError>,
    always: bool,
) -> Option<Status> {
    match outcome {
        Ok(report) if report.complete() => always.then(|| Status::info(Notice::Arranged(report))),
        Ok(report) => Some(Status::warn(Notice::Arranged(report))),
        Err(e) => Some(Status::error(Notice::NotArranged(e))),
    }
}

impl eframe::App for Window {
    /// Runs before every `ui` pass and also while the window is hidden
    /// (covered, minimised), so that a covered window still moves when the
    /// windows are arranged and still follows the shared settings.
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        if let Some(place) = &mut self.place {
            place.frame(ctx);
        }
        self.follow_settings(ctx);
        let late = self.late_notice.lock().ok().and_then(|mut n| n.take());
        if let Some(notice) = late.and_then(|(outcome, always)| arranged_notice(outcome, always)) {
            self.app.set_notice(Some(notice));
        }
        if self.last_save.elapsed() > SAVE_EVERY {
            self.save();
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.app.shell_ui(ui);
        for action in self.app.take_actions() {
            self.act(action, ui.ctx());
        }
        self.keep_settings();
        let settled = self.app.settled();
        if let Some(shot) = &mut self.screenshot {
            shot.step(ui.ctx(), settled);
        }
    }

    /// egui's own memory (zoom included) is not kept: the zoom is a shared
    /// setting, and a window's size must not depend on a stale one.
    fn persist_egui_memory(&self) -> bool {
        false
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        self.save();
        self.app.shutdown();
    }
}

impl Drop for Window {
    /// Also when unwinding from a panic: the labs detach before the roster
    /// slot (a field) is freed.
    fn drop(&mut self) {
        self.app.shutdown();
    }
}
