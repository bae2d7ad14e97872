//! The status line under an action: what happened, as information, a
//! warning or an error, in the theme's own colours (`ui.visuals()`), so it
//! reads well on light and dark backgrounds alike.

use eframe::egui;

use crate::i18n::{Lang, Localized, Tr};

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
/// high that keeps the newest in sight; `empty` says what will appear there.
pub fn status_log<'a>(
    ui: &mut egui::Ui,
    lang: Lang,
    id: &str,
    rows: f32,
    log: impl ExactSizeIterator<Item = &'a Status>,
    empty: Tr,
) {
    let height = ui.text_style_height(&egui::TextStyle::Body) * rows;
    egui::Frame::group(ui.style()).show(ui, |ui| {
        egui::ScrollArea::vertical()
            .id_salt(id)
            .max_height(height)
            .min_scrolled_height(height)
            .auto_shrink([false, false])
            .stick_to_bottom(true)
            .show(ui, |ui| {
                if log.len() == 0 {
                    ui.weak(empty.get(lang));
                }
                for status in log {
                    status.ui(ui, lang);
                }
            });
    });
}
