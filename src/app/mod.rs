//! The app around the labs: the shell drawn in every window (`shell`), one
//! window as eframe runs it (`window`), where it goes on the screen
//! (`placement`), starting more windows (`launch`), pictures of the real app
//! (`screenshot`), and a clean end even when the window system fails
//! (`crash`) or the X server goes away (`x11_lost`). Each window's title
//! tells side-by-side instances apart.

mod crash;
mod launch;
mod messages;
mod placement;
mod screenshot;
mod shell;
mod window;
#[cfg(target_os = "linux")]
mod x11_lost;

use std::process::ExitCode;

use eframe::egui;

use crate::cli::{Failure, ShotArgs};
use crate::lab_id::LabId;
use memlab_engine::desktop::instances::{Backend, Role, WindowDisplay, WindowInstance};
use memlab_engine::desktop::placement::{DEFAULT_INNER, MIN_INNER};
use memlab_engine::desktop::screen::PictureError;
use memlab_engine::desktop::settings::{self, SettingsStore, SharedSettings};
use memlab_engine::error::{ErrorKind, HasKind};
use screenshot::{Screenshot, ShotResult};
pub use shell::{ContentExtent, MemlabApp, NOTICE_LASTS};
use window::Window;

/// How the window is opened (`memlab [--instances N] [--lab ID] [--wayland]`).
#[derive(Debug, Clone, Default)]
pub struct WindowArgs {
    /// Windows to open in all (this one included), then arrange.
    pub instances: Option<u32>,
    /// The lab to show first.
    pub lab: Option<LabId>,
    /// Native Wayland even where XWayland is there (windows cannot then be
    /// arranged or put back in their places).
    pub wayland: bool,
}

/// Why a window could not be opened, or could not take its picture.
#[derive(Debug, thiserror::Error)]
pub enum WindowError {
    /// Neither an X server nor a Wayland compositor was named: said in
    /// memlab's words before winit says it with its source path.
    #[error("no display: set DISPLAY or WAYLAND_DISPLAY, or use the command line: memlab --help")]
    NoDisplay,
    #[error("cannot open the window: {0}")]
    Open(#[source] eframe::Error),
    #[error("the window closed before the screenshot was taken")]
    ClosedEarly,
    #[error(transparent)]
    Picture(#[from] PictureError),
}

impl HasKind for WindowError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::NoDisplay => ErrorKind::Unavailable,
            Self::Open(_) | Self::ClosedEarly => ErrorKind::Os,
            Self::Picture(e) => e.kind(),
        }
    }
}

/// Whether a window system is named in the environment (on Linux: an X
/// display or a Wayland socket; elsewhere there always is one).
fn has_display() -> bool {
    if !cfg!(target_os = "linux") {
        return true;
    }
    ["DISPLAY", "WAYLAND_DISPLAY", "WAYLAND_SOCKET"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()))
}

fn title(number: Option<usize>) -> String {
    let pid = std::process::id();
    match number {
        Some(n) => format!("memlab — instance {n} — PID {pid}"),
        None => format!("memlab — PID {pid}"),
    }
}

fn options(
    title: String,
    place: Option<(egui::Pos2, egui::Vec2)>,
    display: Option<&WindowDisplay>,
) -> eframe::NativeOptions {
    let mut viewport = egui::ViewportBuilder::default()
        .with_title(title)
        .with_app_id("memlab")
        .with_inner_size(DEFAULT_INNER)
        .with_min_inner_size(MIN_INNER);
    if let Some((position, size)) = place {
        viewport = viewport
            .with_position(position)
            .with_inner_size(size.max(egui::Vec2::from(MIN_INNER)));
    }
    eframe::NativeOptions {
        viewport,
        renderer: eframe::Renderer::Glow,
        // Each window's place is kept under its number (see `placement`).
        persist_window: false,
        event_loop_builder: display.map(|d| on_backend(d.backend)),
        ..Default::default()
    }
}

/// Makes winit use `backend`, whatever it would prefer (Wayland, where both
/// `WAYLAND_DISPLAY` and `DISPLAY` are set).
fn on_backend(backend: Backend) -> eframe::EventLoopBuilderHook {
    Box::new(move |builder| {
        #[cfg(target_os = "linux")]
        {
            use winit::platform::wayland::EventLoopBuilderExtWayland;
            use winit::platform::x11::EventLoopBuilderExtX11;
            match backend {
                Backend::X11 => {
                    builder.with_x11();
                }
                Backend::Wayland => {
                    builder.with_wayland();
                }
                Backend::Win32 => {}
            }
        }
        #[cfg(not(target_os = "linux"))]
        let _ = (builder, backend);
    })
}

/// Ctrl+C, SIGTERM and SIGHUP close the window like its close button, so
/// that the labs detach properly (the last instance removes the mapping).
/// Until now they were held (`memlab_engine::os::signals`): one that came meanwhile
/// closes the window as soon as it opens.
fn close_on_signal(ctx: &egui::Context) {
    let ctx = ctx.clone();
    let result = memlab_engine::os::signals::on_signal(move || {
        ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        ctx.request_repaint();
    });
    if let Err(e) = result {
        eprintln!("memlab: cannot catch Ctrl+C ({e}); it will end memlab without detaching");
    }
}

/// The shared settings, with `--lab` applied.
fn starting_settings(store: Option<&SettingsStore>, lab: Option<LabId>) -> SharedSettings {
    let mut settings = match store.map(SettingsStore::load_shared) {
        Some(Ok(settings)) => settings,
        Some(Err(e)) => {
            eprintln!("memlab: {e}");
            SharedSettings::default()
        }
        None => SharedSettings::default(),
    };
    if let Some(lab) = lab {
        settings.lab = lab.to_string();
    }
    settings
}

/// The labs as they were left (defaults if never saved, or unreadable).
fn saved_labs(store: Option<&SettingsStore>) -> MemlabApp {
    let Some(store) = store else {
        return MemlabApp::default();
    };
    match store.load_labs() {
        Ok(Some(text)) => ron::from_str(&text).unwrap_or_else(|e| {
            eprintln!(
                "memlab: {} holds labs memlab cannot read ({e}); they start afresh",
                store.labs_path().display()
            );
            MemlabApp::default()
        }),
        Ok(None) => MemlabApp::default(),
        Err(e) => {
            eprintln!("memlab: {e}");
            MemlabApp::default()
        }
    }
}

/// Opens the window (and, with `--instances`, more) and runs until it is
/// closed.
pub fn run_window(args: &WindowArgs) -> ExitCode {
    crash::install_hook();
    crash::guarded(|| open_window(args))
}

fn open_window(args: &WindowArgs) -> ExitCode {
    if !has_display() {
        return Failure::from(WindowError::NoDisplay).report();
    }
    let store = settings::data_dir().map(SettingsStore::new);
    let settings = starting_settings(store.as_ref(), args.lab);
    let display = WindowDisplay::for_window(args.wayland);
    let instance = match display
        .as_ref()
        .map(|d| WindowInstance::join(d, Role::Window))
    {
        Some(Ok(instance)) => Some(instance),
        Some(Err(e)) => {
            eprintln!("memlab: this window has no instance number: {e}");
            None
        }
        None => None,
    };
    let number = instance.as_ref().map(WindowInstance::number);
    // Windows that choose their places (X11, Windows): put back where they were.
    let on_x11 = display
        .as_ref()
        .is_some_and(|d| matches!(d.backend, Backend::X11 | Backend::Win32));
    let place = store
        .as_ref()
        .zip(number)
        .and_then(|(store, n)| placement::restored(store, n, on_x11));
    let app = saved_labs(store.as_ref());
    if let Some(n) = args.instances.filter(|&n| n > 1) {
        let started = launch::Started {
            lab: args.lab,
            wayland: args.wayland,
        };
        if let Err(e) = launch::spawn_and_arrange(n - 1, &started) {
            eprintln!("memlab: {e}");
        }
    }
    let wayland = args.wayland;
    let result = eframe::run_native(
        "memlab",
        options(title(number), place, display.as_ref()),
        Box::new(move |cc| {
            #[cfg(target_os = "linux")]
            x11_lost::watch(cc);
            crate::fonts::install(&cc.egui_ctx);
            close_on_signal(&cc.egui_ctx);
            let mut app = app;
            app.set_settings(settings);
            Ok(Box::new(Window::new(
                app,
                instance,
                store,
                wayland,
                &cc.egui_ctx,
            )))
        }),
    );
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => Failure::from(WindowError::Open(e)).report(),
    }
}

/// Opens a window on one lab with fresh state, saves a PNG once it has
/// settled, and exits. It takes an instance number, as any window, but
/// remembers nothing and is not arranged.
pub fn screenshot(args: &ShotArgs) -> Result<(), Failure> {
    open_screenshot(args).map_err(Failure::from)
}

fn open_screenshot(args: &ShotArgs) -> Result<(), WindowError> {
    if !has_display() {
        return Err(WindowError::NoDisplay);
    }
    let mut app = MemlabApp::default();
    app.select(args.lab);
    app.set_settings(SharedSettings {
        lang: Some(args.lang),
        zoom: args.zoom,
        lab: args.lab.to_string(),
        text_size: args.text_size,
    });
    if args.demo {
        app.demo();
    }
    let result = ShotResult::default();
    let display = WindowDisplay::for_window(false);
    let instance = display
        .as_ref()
        .and_then(|d| WindowInstance::join(d, Role::Screenshot).ok());
    let mut options = options(
        title(instance.as_ref().map(WindowInstance::number)),
        None,
        display.as_ref(),
    );
    options.viewport = options.viewport.with_inner_size(args.size);
    let shot = Screenshot::new(&args.out, result.clone());
    eframe::run_native(
        "memlab-screenshot",
        options,
        Box::new(move |cc| {
            #[cfg(target_os = "linux")]
            x11_lost::watch(cc);
            crate::fonts::install(&cc.egui_ctx);
            cc.egui_ctx.set_theme(egui::Theme::Light);
            Ok(Box::new(Window::for_screenshot(
                app,
                instance,
                shot,
                &cc.egui_ctx,
            )))
        }),
    )
    .map_err(WindowError::Open)?;
    let outcome = result.lock().map(|mut r| r.take()).unwrap_or(None);
    outcome
        .ok_or(WindowError::ClosedEarly)?
        .map_err(WindowError::from)
}

/// The ids of the shell's labs, in order.
pub fn lab_ids() -> Vec<LabId> {
    MemlabApp::default().lab_ids()
}
