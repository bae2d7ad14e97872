//! The shell: one window listing the labs, showing the selected one, with a
//! language switch; its title tells side-by-side instances apart.

use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use eframe::egui;
use serde::{Deserialize, Serialize};

use crate::core::slots::Roster;
use crate::forms::Lab;
#[cfg(target_os = "linux")]
use crate::forms::address_map::AddressMapForm;
use crate::forms::alloc_bench::AllocBenchForm;
#[cfg(target_os = "linux")]
use crate::forms::filemap::FileMapLab;
use crate::forms::memory_managers::MemoryManagersPanel;
#[cfg(target_os = "linux")]
use crate::forms::mutex_lab::MutexLab;
#[cfg(target_os = "linux")]
use crate::forms::page_lab::PageLabForm;
use crate::forms::shared_text::SharedTextForm;
#[cfg(target_os = "linux")]
use crate::forms::system_info::SystemInfoForm;
use crate::i18n::Lang;

/// What the window remembers between runs.
#[derive(Default, Serialize, Deserialize)]
#[serde(default)]
pub struct MemlabApp {
    selected: String,
    /// None until the user picks one: then the system locale decides.
    lang: Option<Lang>,
    shared: SharedTextForm,
    alloc_bench: AllocBenchForm,
    memory_managers: MemoryManagersPanel,
    #[cfg(target_os = "linux")]
    system_info: SystemInfoForm,
    #[cfg(target_os = "linux")]
    page_lab: PageLabForm,
    #[cfg(target_os = "linux")]
    address_map: AddressMapForm,
    #[cfg(target_os = "linux")]
    filemap: FileMapLab,
    #[cfg(target_os = "linux")]
    mutex: MutexLab,
}

impl MemlabApp {
    /// The labs, in the order the shell lists them.
    fn labs(&mut self) -> Vec<&mut dyn Lab> {
        vec![
            &mut self.shared,
            &mut self.alloc_bench,
            &mut self.memory_managers,
            #[cfg(target_os = "linux")]
            &mut self.system_info,
            #[cfg(target_os = "linux")]
            &mut self.page_lab,
            #[cfg(target_os = "linux")]
            &mut self.address_map,
            #[cfg(target_os = "linux")]
            &mut self.filemap,
            #[cfg(target_os = "linux")]
            &mut self.mutex,
        ]
    }

    pub fn lang(&self) -> Lang {
        self.lang.unwrap_or_else(Lang::from_system)
    }

    /// Shows the lab with this id.
    pub fn select(&mut self, id: &str) -> Result<(), String> {
        let ids: Vec<&str> = self.labs().iter().map(|l| l.id()).collect();
        if ids.contains(&id) {
            self.selected = id.to_owned();
            Ok(())
        } else {
            Err(format!("no lab {id:?}; labs: {}", ids.join(", ")))
        }
    }

    pub fn set_lang(&mut self, lang: Lang) {
        self.lang = Some(lang);
    }

    /// The selected lab (the first one if the saved id is unknown).
    fn selected_lab(&mut self) -> &mut dyn Lab {
        let selected = self.selected.clone();
        let labs = self.labs();
        let index = labs.iter().position(|l| l.id() == selected).unwrap_or(0);
        labs.into_iter()
            .nth(index)
            .expect("the shell has at least one lab")
    }

    /// True once the selected lab shows what it will show.
    pub fn settled(&mut self) -> bool {
        self.selected_lab().settled()
    }

    /// Draws the whole shell into `ui`.
    pub fn shell_ui(&mut self, ui: &mut egui::Ui) {
        let lang = self.lang();
        egui::Panel::top("memlab-top").show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.strong("memlab");
                ui.weak(lang.pick(
                    "memory management, live",
                    "메모리 관리 기법과 메모리 맵 파일, 실습",
                ));
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    for candidate in [Lang::Ko, Lang::En] {
                        if ui
                            .selectable_label(lang == candidate, candidate.native_name())
                            .clicked()
                        {
                            self.lang = Some(candidate);
                        }
                    }
                });
            });
        });
        let selected = self.selected_lab().id();
        egui::Panel::left("memlab-labs")
            .resizable(false)
            .show(ui, |ui| {
                ui.add_space(4.0);
                ui.label(lang.pick("Labs", "실습"));
                let mut pick = None;
                for lab in self.labs() {
                    if ui
                        .selectable_label(lab.id() == selected, lab.title(lang))
                        .clicked()
                    {
                        pick = Some(lab.id());
                    }
                }
                if let Some(id) = pick {
                    self.selected = id.to_owned();
                }
            });
        egui::CentralPanel::default().show(ui, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| self.selected_lab().ui(ui, lang));
        });
    }

    fn shutdown(&mut self) {
        for lab in self.labs() {
            lab.shutdown();
        }
    }
}

/// The eframe app: the shell, its saved state, and this instance's slot.
struct Window {
    app: MemlabApp,
    _instance: Option<Roster>,
    screenshot: Option<Screenshot>,
}

impl eframe::App for Window {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.app.shell_ui(ui);
        let settled = self.app.settled();
        if let Some(shot) = &mut self.screenshot {
            shot.step(ui.ctx(), settled);
        }
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        if self.screenshot.is_none() {
            eframe::set_value(storage, eframe::APP_KEY, &self.app);
        }
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        self.app.shutdown();
    }
}

type ShotResult = std::sync::Arc<std::sync::Mutex<Option<Result<(), String>>>>;

struct Screenshot {
    out: std::path::PathBuf,
    started: Instant,
    requested: bool,
    result: ShotResult,
}

impl Screenshot {
    fn step(&mut self, ctx: &egui::Context, settled: bool) {
        if self.result.lock().is_ok_and(|r| r.is_some()) {
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            return;
        }
        // Let the lab settle, then give the UI a moment to lay out its final frame.
        let waited = self.started.elapsed();
        let ready = settled && waited > Duration::from_millis(800);
        if !self.requested && (ready || waited > Duration::from_secs(10)) {
            self.requested = true;
            let (out, result, repaint) = (self.out.clone(), self.result.clone(), ctx.clone());
            ctx.request_screenshot(move |image| {
                if let Ok(mut slot) = result.lock() {
                    *slot = Some(save_png(&out, &image));
                }
                repaint.request_repaint();
            });
        }
        ctx.request_repaint_after(Duration::from_millis(50));
    }
}

fn save_png(out: &Path, image: &egui::ColorImage) -> Result<(), String> {
    let [w, h] = image.size;
    let bytes: Vec<u8> = image.pixels.iter().flat_map(|p| p.to_array()).collect();
    image::save_buffer(
        out,
        &bytes,
        w as u32,
        h as u32,
        image::ExtendedColorType::Rgba8,
    )
    .map_err(|e| format!("writing {}: {e}", out.display()))
}

fn claim_instance() -> Option<Roster> {
    Roster::join_windows().ok()
}

fn options(title: String) -> eframe::NativeOptions {
    eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title(title)
            .with_inner_size([980.0, 640.0])
            .with_min_inner_size([640.0, 420.0]),
        renderer: eframe::Renderer::Glow,
        ..Default::default()
    }
}

fn title(instance: &Option<Roster>) -> String {
    let pid = std::process::id();
    match instance {
        Some(slot) => format!("memlab — instance {} — PID {pid}", slot.index() + 1),
        None => format!("memlab — PID {pid}"),
    }
}

/// Ctrl+C, SIGTERM and SIGHUP close the window like its close button, so
/// that the labs detach properly (the last instance removes the mapping).
fn close_on_signal(ctx: &egui::Context) {
    let ctx = ctx.clone();
    let result = ctrlc::set_handler(move || {
        ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        ctx.request_repaint();
    });
    if let Err(e) = result {
        eprintln!("memlab: cannot catch Ctrl+C ({e}); it will end memlab without detaching");
    }
}

/// Opens the window and runs until it is closed.
pub fn run_window() -> ExitCode {
    let instance = claim_instance();
    let result = eframe::run_native(
        "memlab",
        options(title(&instance)),
        Box::new(move |cc| {
            crate::fonts::install(&cc.egui_ctx);
            close_on_signal(&cc.egui_ctx);
            let app = cc
                .storage
                .and_then(|s| eframe::get_value(s, eframe::APP_KEY))
                .unwrap_or_default();
            Ok(Box::new(Window {
                app,
                _instance: instance,
                screenshot: None,
            }))
        }),
    );
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("memlab: error: cannot open the window: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Opens the window on one lab with fresh state, saves a PNG once it has settled, and exits.
pub fn screenshot(out: &Path, lab: &str, lang: &str, demo: bool) -> Result<(), String> {
    let lang =
        Lang::from_code(lang).ok_or_else(|| format!("no language {lang:?}; use en or ko"))?;
    let mut app = MemlabApp::default();
    app.select(lab)?;
    app.set_lang(lang);
    if demo {
        app.selected_lab().demo();
    }
    let instance = claim_instance();
    let result = ShotResult::default();
    let mut options = options(title(&instance));
    options.persist_window = false;
    let shot = Screenshot {
        out: out.to_path_buf(),
        started: Instant::now(),
        requested: false,
        result: result.clone(),
    };
    eframe::run_native(
        "memlab-screenshot",
        options,
        Box::new(move |cc| {
            crate::fonts::install(&cc.egui_ctx);
            cc.egui_ctx.set_theme(egui::Theme::Light);
            Ok(Box::new(Window {
                app,
                _instance: instance,
                screenshot: Some(shot),
            }))
        }),
    )
    .map_err(|e| format!("cannot open the window: {e}"))?;
    let outcome = result.lock().map(|mut r| r.take()).unwrap_or(None);
    outcome.unwrap_or_else(|| Err("the window closed before the screenshot was taken".into()))
}
