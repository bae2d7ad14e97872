//! Pictures from the real app: a window on one lab, saved as a PNG once the
//! lab has settled (`memlab screenshot`). The whole X screen, to show several
//! windows side by side (`memlab screenshot --screen`), needs no window:
//! `memlab_engine::desktop::screen`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use eframe::egui;
use memlab_engine::desktop::screen::{PictureError, save_png};

pub(super) type ShotResult = Arc<Mutex<Option<Result<(), PictureError>>>>;

/// Takes the window's picture once the lab has settled, then closes it.
pub(super) struct Screenshot {
    out: PathBuf,
    started: Instant,
    requested: bool,
    result: ShotResult,
}

impl Screenshot {
    pub(super) fn new(out: &Path, result: ShotResult) -> Self {
        Self {
            out: out.to_path_buf(),
            started: Instant::now(),
            requested: false,
            result,
        }
    }

    pub(super) fn step(&mut self, ctx: &egui::Context, settled: bool) {
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
                    *slot = Some(save_png(&out, image.size, image.as_raw()));
                }
                repaint.request_repaint();
            });
        }
        ctx.request_repaint_after(Duration::from_millis(50));
    }
}
