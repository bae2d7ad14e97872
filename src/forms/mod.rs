//! The labs' windows, grouped as the book and the engine group them
//! (`alloc`, `vm`, `global`, `heap`, `filemap`, `mutex`, `shared_text`,
//! `sharemem`), each group with its
//! own strings and colours; `widgets` holds the pieces every lab uses. UI
//! only: the work is done by `memlab_engine`.

pub mod alloc;
pub mod filemap;
pub mod global;
pub mod heap;
pub mod mutex;
pub mod shared_text;
pub mod sharemem;
pub mod vm;
pub mod widgets;

#[cfg(all(test, target_os = "linux"))]
mod help_docs;

use eframe::egui;

use crate::lab_id::LabId;
use memlab_engine::i18n::{Lang, Tr};

/// What a lab teaches, for its help panel: the chapter's section it shows,
/// the Win32 calls it stands for and what each became on this OS, and a few
/// things to try.
#[derive(Debug, Clone, Copy)]
pub struct LabHelp {
    /// The section of the chapter, e.g. "§10, form 2: the shared string (SampleMMF)".
    pub section: Tr,
    /// Each Win32 call of the section and what it became here.
    pub calls: &'static [Call],
    /// Things to try, in order (three or so).
    pub try_these: &'static [Tr],
}

/// One Win32 call and what memlab does for it on this OS.
#[derive(Debug, Clone, Copy)]
pub struct Call {
    /// The Win32 name, e.g. `CreateFileMapping`.
    pub win32: &'static str,
    /// What it became here, e.g. "shm_open + ftruncate + posix_fallocate".
    pub here: Tr,
}

/// One lab of the shell, as in egui's demo: a name, a UI, optional per-frame work.
pub trait Lab {
    /// Its id, used on the command line (`memlab --lab ID`) and in saved state.
    fn id(&self) -> LabId;
    /// The title shown in the shell's list.
    fn title(&self, lang: Lang) -> &'static str;
    /// Draws the lab, following the layout rule of `widgets::layout` (it
    /// must read from 240 points wide up; `tests/it/layout.rs` checks).
    fn ui(&mut self, ui: &mut egui::Ui, lang: Lang);
    /// True once the lab shows what it will show (for screenshots).
    fn settled(&self) -> bool {
        true
    }
    /// Fills the lab with example results, for screenshots (`memlab screenshot --demo`).
    fn demo(&mut self) {}
    /// Releases OS resources before the process ends.
    fn shutdown(&mut self) {}
    /// The lab's help: chapter section, Win32 calls, things to try (its
    /// entry in [`help`]); the shell shows it above the lab, so the lab does
    /// not draw it itself.
    fn help(&self) -> Option<&'static LabHelp> {
        Some(help(self.id()))
    }
}

/// Every lab's help, by its id: the one place that says what each lab
/// teaches and what each Win32 call became here. The window shows it above
/// the lab, and the docs pages (`docs/labs/<id>.md`) are generated from it
/// (`help_docs` checks them). The match is exhaustive, so a new lab without
/// help does not compile.
pub fn help(id: LabId) -> &'static LabHelp {
    match id {
        LabId::Shared => &shared_text::help::HELP,
        LabId::AllocBench => &alloc::bench::help::HELP,
        LabId::MemoryManagers => &alloc::memory_managers::HELP,
        LabId::Sysinfo => &vm::system_info::help::HELP,
        LabId::Global => &global::help::HELP,
        LabId::PageLab => &vm::page_lab::help::HELP,
        LabId::AddressMap => &vm::address_map::help::HELP,
        LabId::Heap => &heap::help::HELP,
        LabId::Filemap => &filemap::help::HELP,
        LabId::Mutex => &mutex::help::HELP,
        LabId::Sharemem => &sharemem::help::HELP,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every lab's help, on this OS (Windows has its own for the labs whose
    /// calls it makes as the book does), reads in Korean: each text has
    /// Hangul, and none is the English one left as it was.
    #[test]
    fn every_lab_s_help_is_in_korean_on_this_os() {
        let hangul = |s: &str| s.chars().any(|c| ('가'..='힣').contains(&c));
        for &id in LabId::all() {
            let help = help(id);
            let texts = std::iter::once(help.section)
                .chain(help.calls.iter().map(|c| c.here))
                .chain(help.try_these.iter().copied());
            for tr in texts {
                assert!(hangul(tr.ko), "{id}: no Korean in {:?}", tr.ko);
                assert_ne!(tr.ko, tr.en, "{id}: not translated");
            }
        }
    }
}
