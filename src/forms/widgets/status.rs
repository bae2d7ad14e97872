//! The status line under an action: what happened, as information, a
//! warning or an error, in the theme's own colours (`ui.visuals()`), so it
//! reads well on light and dark backgrounds alike.

use eframe::egui;

use memlab_engine::i18n::{Lang, Localized, Tr};

/// How a line is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// Plain text colour.
    Info,
    /// The theme's warning colour.
    Warn,
    /// The theme's error colour.
    Error,
}

impl Level {
    /// The text colour for this level in `ui`'s theme.
    pub fn color(self, ui: &egui::Ui) -> egui::Color32 {
        let visuals = ui.visuals();
        match self {
            Self::Info => visuals.text_color(),
            Self::Warn => visuals.warn_fg_color,
            Self::Error => visuals.error_fg_color,
        }
    }
}

/// One line of text at `level`.
pub fn show_line(ui: &mut egui::Ui, level: Level, text: impl Into<String>) -> egui::Response {
    let color = level.color(ui);
    ui.colored_label(color, text.into())
}

/// A message kept as data and rendered in the language of the frame that
/// shows it, so switching language also switches what is already shown.
pub struct Status {
    level: Level,
    message: Box<dyn Localized>,
}

impl Status {
    pub fn info(message: impl Localized + 'static) -> Self {
        Self::new(Level::Info, message)
    }

    pub fn warn(message: impl Localized + 'static) -> Self {
        Self::new(Level::Warn, message)
    }

    pub fn error(message: impl Localized + 'static) -> Self {
        Self::new(Level::Error, message)
    }

    fn new(level: Level, message: impl Localized + 'static) -> Self {
        Self {
            level,
            message: Box::new(message),
        }
    }

    /// Information, a warning or an error.
    pub fn level(&self) -> Level {
        self.level
    }

    /// The message in `lang`.
    pub fn text(&self, lang: Lang) -> String {
        self.message.localized(lang)
    }

    pub fn ui(&self, ui: &mut egui::Ui, lang: Lang) -> egui::Response {
        show_line(ui, self.level, self.text(lang))
    }
}

/// Shows `status` if there is one.
pub fn show_status(ui: &mut egui::Ui, lang: Lang, status: Option<&Status>) {
    if let Some(status) = status {
        status.ui(ui, lang);
    }
}

/// A log of status lines, oldest first, in a box `rows` lines of body text
/// high that keeps the newest in sight unless the user scrolled up in it
/// (scrolling back to the end follows the log again); `empty` says what will
/// appear there.
///
/// The box follows the log itself rather than with egui's `stick_to_bottom`,
/// which lost the end when a line arrived now and then (a scroll bar that
/// appears rewraps the lines) and, when it held, showed the new line only on
/// the frame after, which nothing asked for: the newest step stayed out of
/// sight.
pub fn status_log<'a>(
    ui: &mut egui::Ui,
    lang: Lang,
    id: &str,
    rows: f32,
    log: impl ExactSizeIterator<Item = &'a Status>,
    empty: Tr,
) {
    let height = ui.text_style_height(&egui::TextStyle::Body) * rows;
    let memory = ui.make_persistent_id(("status-log-follow", id));
    // Following the newest line; lines and offset seen last frame.
    let (following, seen, last_offset) = ui
        .data(|d| d.get_temp::<(bool, usize, f32)>(memory))
        .unwrap_or((true, 0, 0.0));
    let count = log.len();
    egui::Frame::group(ui.style()).show(ui, |ui| {
        let output = egui::ScrollArea::vertical()
            .id_salt(id)
            .max_height(height)
            .min_scrolled_height(height)
            .auto_shrink([false, false])
            // A jump to the newest line is done at once, not animated.
            .animated(false)
            .show_viewport(ui, |ui, viewport| {
                // The user scrolled up (wheel or bar): stop following.
                let follow = following && viewport.min.y >= last_offset - 0.5;
                if count == 0 {
                    ui.weak(empty.get(lang));
                }
                for status in log {
                    status.ui(ui, lang);
                }
                if follow {
                    ui.scroll_to_cursor(Some(egui::Align::BOTTOM));
                }
                follow
            });
        let follow = output.inner;
        let end = (output.content_size.y - output.inner_rect.height()).max(0.0);
        let offset = output.state.clamped_offset().y;
        let at_end = offset >= end - 1.0;
        ui.data_mut(|d| d.insert_temp(memory, (follow || at_end, count, offset)));
        // The jump shows on the next frame: make sure there is one.
        if follow && (count != seen || !at_end) {
            ui.ctx().request_repaint();
        }
    });
}
