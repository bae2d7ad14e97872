//! A window that fails still leaves properly. A panic prints one line (not
//! a backtrace) and unwinds, so the labs' `shutdown` and the roster's `Drop`
//! run: the shared text is detached (the last instance removing its object)
//! and the window's slot is freed. The known case: a window destroyed from
//! outside (`xdotool windowclose`) makes winit 0.30 unwrap an X11 BadWindow
//! error in `inner_position_physical` (x11/window.rs:1200), reached from
//! egui-winit's viewport bookkeeping.

use std::panic::{AssertUnwindSafe, PanicHookInfo};
use std::process::ExitCode;
use std::sync::Mutex;

/// The main thread's panic line, said once the window has unwound: a lost
/// X server makes winit panic first and Xlib end memlab while it unwinds
/// (`x11_lost`), which says what happened instead.
static SAY_AFTER_UNWINDING: Mutex<Option<String>> = Mutex::new(None);

/// Replaces Rust's panic message (several lines, a backtrace with
/// `RUST_BACKTRACE`) by one line on stderr.
pub fn install_hook() {
    std::panic::set_hook(Box::new(|info| {
        let line = panic_line(info);
        match (std::thread::current().name(), SAY_AFTER_UNWINDING.lock()) {
            (Some("main"), Ok(mut later)) => *later = Some(line),
            _ => eprintln!("{line}"),
        }
    }));
}

/// Runs the window; a panic that escapes it ends memlab with exit code 1
/// after everything it owned was dropped.
pub fn guarded(run: impl FnOnce() -> ExitCode) -> ExitCode {
    let result = std::panic::catch_unwind(AssertUnwindSafe(run));
    if let Some(line) = SAY_AFTER_UNWINDING.lock().ok().and_then(|mut l| l.take()) {
        eprintln!("{line}");
    }
    result.unwrap_or(ExitCode::FAILURE)
}

fn panic_line(info: &PanicHookInfo<'_>) -> String {
    let payload = info.payload();
    let message = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown cause".to_owned());
    let message: String = message.split_whitespace().collect::<Vec<_>>().join(" ");
    let location = info
        .location()
        .map(|l| format!(" (at {}:{})", l.file(), l.line()))
        .unwrap_or_default();
    let thread = std::thread::current();
    match thread.name() {
        Some("main") | None => format!(
            "memlab: error: the window failed and was closed: {message}{location}; the labs detached"
        ),
        Some(name) => format!("memlab: error: thread {name:?} failed: {message}{location}"),
    }
}
