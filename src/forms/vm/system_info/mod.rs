//! The system information lab (GetSystemInfo, GlobalMemoryStatusEx): the
//! facts of `memlab sysinfo`, each beside the Win32 field it stands for and
//! where Linux keeps it. The facts are read on a worker ([`Job`]), on
//! opening and on Refresh.

// The facts and the help name where each figure comes from, so they are
// per OS: Linux's say what each Win32 call became there.
mod facts;
#[cfg(not(windows))]
pub(crate) mod help;
#[cfg(windows)]
#[path = "help_windows.rs"]
pub(crate) mod help;

use eframe::egui::{self, RichText};
use serde::{Deserialize, Serialize};

use crate::forms::Lab;
use crate::forms::vm::messages::VmNote;
use crate::forms::widgets::{Job, Poll, Status, show_status};
use crate::lab_id::LabId;
use facts::{INTRO, SOURCE_HEADER, facts_list};
use memlab_engine::i18n::Lang;
use memlab_engine::vm::ReadError;
use memlab_engine::vm::system::{self, SystemFacts};

/// Widest layout first: at this width or more the facts are a table.
const TABLE_WIDTH: f32 = 760.0;

/// One fact: its name, its value, the Win32 field and where this OS keeps
/// it (on Windows: the call that read it).
struct Fact {
    name: &'static str,
    value: String,
    win32: &'static str,
    source: &'static str,
}

/// The system information lab.
#[derive(Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SystemInfoForm {
    #[serde(skip)]
    job: Option<Job<Result<SystemFacts, ReadError>>>,
    #[serde(skip)]
    facts: Option<SystemFacts>,
    #[serde(skip)]
    status: Option<Status>,
}

impl SystemInfoForm {
    /// The facts shown, once read.
    pub fn facts(&self) -> Option<&SystemFacts> {
        self.facts.as_ref()
    }

    fn refresh(&mut self, ctx: &egui::Context) {
        match Job::start("sysinfo reader", ctx, |_| system::facts()) {
            Ok(job) => self.job = Some(job),
            Err(e) => self.status = Some(Status::error(VmNote::WorkerNotStarted(e))),
        }
    }

    fn poll(&mut self) {
        let Some(job) = &self.job else { return };
        match job.poll() {
            Poll::Running => {}
            Poll::Done(result) => {
                self.job = None;
                match result {
                    Ok(facts) => {
                        self.facts = Some(facts);
                        self.status = None;
                    }
                    Err(e) => self.status = Some(Status::error(e)),
                }
            }
            Poll::Lost => {
                self.job = None;
                self.status = Some(Status::error(VmNote::WorkerLost));
            }
        }
    }
}

/// A fact's value, in monospace; in Korean in the body font, since Hangul
/// has no monospace face here and the monospace spaces between its words
/// would read as gaps.
fn value_text(value: &str, lang: Lang) -> RichText {
    match lang {
        Lang::En => RichText::new(value).monospace(),
        Lang::Ko => RichText::new(value),
    }
}

/// A wide window: one row per fact; the value last, so that it wraps in
/// the width left.
fn facts_table(ui: &mut egui::Ui, facts: &[Fact], lang: Lang) {
    egui::Grid::new("sysinfo-facts")
        .num_columns(3)
        .striped(true)
        .spacing([16.0, 6.0])
        .show(ui, |ui| {
            ui.strong(lang.pick("Fact", "항목"));
            ui.strong(SOURCE_HEADER.get(lang));
            ui.strong(lang.pick("Value", "값"));
            ui.end_row();
            for f in facts {
                ui.add(egui::Label::new(f.name).extend());
                ui.vertical(|ui| {
                    ui.add(egui::Label::new(RichText::new(f.win32).monospace()).extend());
                    ui.add(egui::Label::new(RichText::new(f.source).weak()).extend());
                });
                ui.add(egui::Label::new(value_text(&f.value, lang)).wrap());
                ui.end_row();
            }
        });
}

/// A narrow window: each fact stacked, every line wrapping.
fn facts_stacked(ui: &mut egui::Ui, facts: &[Fact], lang: Lang) {
    for f in facts {
        ui.add(egui::Label::new(RichText::new(f.name).strong()).wrap());
        ui.add(egui::Label::new(value_text(&f.value, lang)).wrap());
        ui.add(egui::Label::new(RichText::new(f.win32).monospace()).wrap());
        ui.add(egui::Label::new(RichText::new(f.source).weak()).wrap());
        ui.add_space(6.0);
    }
}

impl Lab for SystemInfoForm {
    fn id(&self) -> LabId {
        LabId::Sysinfo
    }

    fn title(&self, lang: Lang) -> &'static str {
        lang.pick("System information", "시스템 정보")
    }

    fn ui(&mut self, ui: &mut egui::Ui, lang: Lang) {
        if self.job.is_none() && self.facts.is_none() && self.status.is_none() {
            self.refresh(ui.ctx());
        }
        self.poll();
        ui.heading(lang.pick(
            "System information (GetSystemInfo)",
            "시스템 정보 (GetSystemInfo)",
        ));
        ui.add(egui::Label::new(INTRO.get(lang)).wrap());
        ui.add_space(4.0);
        ui.horizontal_wrapped(|ui| {
            let refresh = egui::Button::new(lang.pick("Refresh", "새로 고침"))
                .min_size(egui::vec2(110.0, 0.0));
            if ui.add_enabled(self.job.is_none(), refresh).clicked() {
                self.refresh(ui.ctx());
            }
            if self.job.is_some() {
                ui.spinner();
            }
        });
        show_status(ui, lang, self.status.as_ref());
        ui.add_space(4.0);
        let Some(f) = &self.facts else {
            return;
        };
        let facts = facts_list(f, lang);
        if ui.available_width() >= TABLE_WIDTH {
            facts_table(ui, &facts, lang);
        } else {
            facts_stacked(ui, &facts, lang);
        }
    }

    fn settled(&self) -> bool {
        self.job.is_none() && (self.facts.is_some() || self.status.is_some())
    }

    fn shutdown(&mut self) {
        drop(self.job.take());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn korean_facts_have_no_english_words() {
        let facts = system::facts().unwrap();
        let allowed = [
            "KiB",
            "MiB",
            "GiB",
            "TiB",
            "x86",
            "aarch64",
            "memlab",
            "root",
            "CAP",
            "IPC",
            "LOCK",
            "2",
            // RAM, written so in Korean too, and the calls the Windows facts name.
            "RAM",
            "VirtualLock",
            "SetProcessWorkingSetSize",
        ];
        for f in facts_list(&facts, Lang::Ko) {
            let words: Vec<String> =
                memlab_engine::i18n::testing::english_words(&f.value, &allowed)
                    .into_iter()
                    // Addresses in hex.
                    .filter(|w| !w.starts_with("0x"))
                    .collect();
            assert!(words.is_empty(), "{}: {:?} in {:?}", f.name, words, f.value);
            assert!(!f.name.is_ascii(), "{} is not in Korean", f.name);
        }
    }
}
