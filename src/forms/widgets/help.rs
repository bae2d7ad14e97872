//! A lab's help ([`LabHelp`]), collapsed under its heading: the chapter's
//! section, each Win32 call and what it became here, things to try.

use eframe::egui::{self, RichText};

use crate::forms::LabHelp;
use memlab_engine::i18n::Lang;

/// The help panel; closed until opened, so the lab itself stays in view.
pub fn lab_help(ui: &mut egui::Ui, help: &LabHelp, lang: Lang) {
    egui::CollapsingHeader::new(lang.pick("From the book to this lab", "책에서 이 실습으로"))
        .id_salt(("lab-help", help.section.en))
        .default_open(false)
        .show(ui, |ui| {
            ui.label(RichText::new(help.section.get(lang)).strong());
            ui.add_space(4.0);
            ui.label(
                RichText::new(lang.pick(
                    "Win32 calls and what they became here",
                    "Win32 호출과 여기서 바뀐 모습",
                ))
                .strong(),
            );
            for call in help.calls {
                ui.horizontal_wrapped(|ui| {
                    ui.label(RichText::new(call.win32).monospace().strong());
                    ui.label(call.here.get(lang));
                });
            }
            ui.add_space(4.0);
            ui.label(RichText::new(lang.pick("Try this", "해 볼 것")).strong());
            for (i, step) in help.try_these.iter().enumerate() {
                ui.label(format!("{}. {}", i + 1, step.get(lang)));
            }
        });
}
