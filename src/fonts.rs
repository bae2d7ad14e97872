//! The bundled Korean font (NanumGothic, OFL: see assets/), so that Hangul
//! renders on any machine, in the window and in test harnesses alike.

use std::sync::Arc;

use eframe::egui::{self, FontData, FontDefinitions, FontFamily};

const NANUM_GOTHIC: &[u8] = include_bytes!("../assets/NanumGothic.ttf");

/// The bundled font's bytes (the address-space map shows where they lie).
pub fn bundled_font() -> &'static [u8] {
    NANUM_GOTHIC
}

/// Adds NanumGothic after egui's default fonts, as a fallback for Hangul.
pub fn install(ctx: &egui::Context) {
    let mut fonts = FontDefinitions::default();
    fonts.font_data.insert(
        "NanumGothic".into(),
        Arc::new(FontData::from_static(NANUM_GOTHIC)),
    );
    for family in [FontFamily::Proportional, FontFamily::Monospace] {
        fonts
            .families
            .entry(family)
            .or_default()
            .push("NanumGothic".into());
    }
    ctx.set_fonts(fonts);
}
