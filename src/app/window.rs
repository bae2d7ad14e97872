//! One memlab window as eframe runs it: the shell, the labs' saved state,
//! the settings shared with the other windows, this window's number and
//! place, and (for `memlab screenshot`) the picture to take.

use eframe::egui;

use super::launch;
use super::messages::Notice;
use super::placement::{self, WindowPlace};
use super::screenshot::Screenshot;
use super::shell::{MemlabApp, ShellAction};
use crate::core::instances::{self, WindowInstance};
use crate::core::settings::{SettingsStore, SharedSettings};
use crate::forms::widgets::Status;

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
        ctx: &egui::Context,
    ) -> Self {
        ctx.set_zoom_factor(app.settings().zoom());
        Self {
            saved_settings: app.settings().clone(),
            app,
            place: instance.map(|i| WindowPlace::new(i, ctx)),
            store,
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
        let mut window = Self::new(app, None, None, ctx);
        window.screenshot = Some(shot);
        window._numbered = instance;
        window
    }

    fn act(&mut self, action: ShellAction, ctx: &egui::Context) {
        let notice = match action {
            // The new window opens on the lab this one shows.
            ShellAction::NewWindow => match launch::spawn_window(Some(self.app.selected_id())) {
                Ok(pid) => Status::info(Notice::Started { pid }),
                Err(e) => Status::error(Notice::NotStarted(e)),
            },
            ShellAction::Arrange if self.place.is_none() => Status::error(Notice::NoRoster),
            ShellAction::Arrange => {
                let display = instances::current_display();
                match instances::request_arrange(&display, placement::area_for_request(ctx)) {
                    Ok(windows) => Status::info(Notice::Arranging { windows }),
                    Err(e) => Status::error(Notice::NotArranged(e)),
                }
            }
        };
        self.app.set_notice(Some(notice));
    }

    /// Writes the shared settings when this window changed one, keeping
    /// what other windows changed meanwhile in the fields this one did not.
    fn keep_settings(&mut self) {
        let Some(store) = &self.store else { return };
        let now = self.app.settings().clone();
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
        if let Err(e) = store.save_shared(&merged) {
            eprintln!("memlab: {e}");
            self.app.set_notice(Some(Status::warn(Notice::Settings(e))));
        }
        self.saved_settings = now;
    }
}

impl eframe::App for Window {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        if let Some(place) = &mut self.place {
            place.frame(ui.ctx());
        }
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

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        if self.screenshot.is_some() {
            return;
        }
        eframe::set_value(storage, eframe::APP_KEY, &self.app);
        if let (Some(place), Some(store)) = (&mut self.place, &self.store) {
            place.save(store);
        }
    }

    /// egui's own memory (zoom included) is not kept: the zoom is a shared
    /// setting, and a window's size must not depend on a stale one.
    fn persist_egui_memory(&self) -> bool {
        false
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
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
