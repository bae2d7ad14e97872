//! The labs' windows: UI only; the work is done by `crate::core`.

pub mod alloc_bench;
pub mod memory_managers;
pub mod shared_text;

use eframe::egui;

use crate::i18n::Lang;

/// One lab of the shell, as in egui's demo: a name, a UI, optional per-frame work.
pub trait Lab {
    /// Stable id, used on the command line (`memlab screenshot --lab ID`) and in saved state.
    fn id(&self) -> &'static str;
    /// The title shown in the shell's list.
    fn title(&self, lang: Lang) -> &'static str;
    /// Draws the lab.
    fn ui(&mut self, ui: &mut egui::Ui, lang: Lang);
    /// True once the lab shows what it will show (for screenshots).
    fn settled(&self) -> bool {
        true
    }
    /// Fills the lab with example results, for screenshots (`memlab screenshot --demo`).
    fn demo(&mut self) {}
    /// Releases OS resources before the process ends.
    fn shutdown(&mut self) {}
}
