//! The page lab's operation log: each operation as asked, what it did or
//! why it was refused, its Win32 call and what that became here, and how
//! it moved RSS and the commit charge. Newest first.

use std::collections::VecDeque;

use eframe::egui::{self, RichText};

use super::controls::calls;
use super::messages::costs_moved;
use super::worker::{Done, Report};
use crate::forms::widgets::{Level, show_line};
use memlab_engine::i18n::{Lang, Localized};

/// Reports kept.
const KEPT: usize = 200;

/// How a report is shown: refused operations as errors, access violations
/// and dead children as warnings (they are the lesson, not a failure).
fn level(report: &Report) -> Level {
    match &report.result {
        Err(_) => Level::Error,
        Ok(Done::Read {
            violation: Some(_), ..
        })
        | Ok(Done::Written {
            violation: Some(_), ..
        }) => Level::Warn,
        // A child that died of its access: a signal or an exception.
        Ok(Done::Child { end, .. }) if end.died() => Level::Warn,
        Ok(_) => Level::Info,
    }
}

/// One report: its sentence, then its calls and costs, weaker but at the
/// same size (readable from the back of a room).
pub fn report_ui(ui: &mut egui::Ui, report: &Report, lang: Lang) {
    show_line(ui, level(report), report.localized(lang));
    let mut detail = calls(report.request.operation());
    if let Some(moved) = costs_moved(report, lang) {
        detail.push_str(" · ");
        detail.push_str(&moved);
    }
    ui.add(egui::Label::new(RichText::new(detail).weak()).wrap());
}

/// The last [`KEPT`] reports.
#[derive(Default)]
pub struct OperationLog {
    reports: VecDeque<Report>,
}

impl OperationLog {
    pub fn push(&mut self, report: Report) {
        if self.reports.len() == KEPT {
            self.reports.pop_front();
        }
        self.reports.push_back(report);
    }

    pub fn last(&self) -> Option<&Report> {
        self.reports.back()
    }

    /// Oldest first.
    pub fn reports(&self) -> impl Iterator<Item = &Report> {
        self.reports.iter()
    }

    /// A collapsible "Operations (n)", newest first, in a scroll area.
    pub fn ui(&mut self, ui: &mut egui::Ui, lang: Lang) {
        egui::CollapsingHeader::new(format!(
            "{} ({})",
            lang.pick("Operations", "작업 기록"),
            self.reports.len()
        ))
        .id_salt("page-lab-log")
        .default_open(true)
        .show(ui, |ui| {
            if self.reports.is_empty() {
                ui.weak(super::os_text::LOG_EMPTY.get(lang));
                return;
            }
            if ui.small_button(lang.pick("Clear", "지우기")).clicked() {
                self.reports.clear();
                return;
            }
            egui::ScrollArea::vertical()
                .id_salt("page-lab-log-scroll")
                .max_height(180.0)
                .auto_shrink([false, true])
                .show(ui, |ui| {
                    for report in self.reports.iter().rev() {
                        report_ui(ui, report, lang);
                        ui.add_space(2.0);
                    }
                });
        });
    }
}
