//! The benchmark's history: one row per run, newest on top, so managers and
//! sizes can be compared side by side.

use eframe::egui;

use crate::core::alloc::bench::BenchResult;
use crate::core::format::format_size_kb;
use crate::forms::widgets::{Level, header_row, manager_color, show_line};
use crate::i18n::Lang;

/// Runs kept in the history table.
const HISTORY_MAX: usize = 500;

/// The runs so far (the last [`HISTORY_MAX`]).
#[derive(Default)]
pub struct HistoryTable {
    runs: Vec<BenchResult>,
}

impl HistoryTable {
    /// Oldest first.
    pub fn runs(&self) -> &[BenchResult] {
        &self.runs
    }

    pub fn last(&self) -> Option<&BenchResult> {
        self.runs.last()
    }

    pub fn push(&mut self, run: BenchResult) {
        if self.runs.len() >= HISTORY_MAX {
            self.runs.remove(0);
        }
        self.runs.push(run);
    }

    /// A collapsible "History (n)" with a Clear button and the table.
    pub fn ui(&mut self, ui: &mut egui::Ui, lang: Lang) {
        egui::CollapsingHeader::new(format!(
            "{} ({})",
            lang.pick("History", "기록"),
            self.runs.len()
        ))
        .id_salt("alloc-history")
        .default_open(true)
        .show(ui, |ui| {
            if !self.runs.is_empty()
                && ui
                    .small_button(lang.pick("Clear history", "기록 지우기"))
                    .clicked()
            {
                self.runs.clear();
            }
            egui::ScrollArea::vertical()
                .id_salt("alloc-history-scroll")
                .max_height(120.0)
                .show(ui, |ui| self.table(ui, lang));
        });
    }

    fn table(&self, ui: &mut egui::Ui, lang: Lang) {
        if self.runs.is_empty() {
            ui.weak(lang.pick(
                "No runs yet. Each run adds a row here, to compare managers side by side.",
                "아직 실행 기록이 없습니다. 실행할 때마다 여기에 한 줄씩 쌓여 관리자끼리 비교할 수 있습니다.",
            ));
            return;
        }
        egui::Grid::new("alloc-history-grid")
            .striped(true)
            .num_columns(10)
            .min_col_width(40.0)
            .show(ui, |ui| {
                header_row(
                    ui,
                    &[
                        "#",
                        lang.pick("manager", "관리자"),
                        lang.pick("size", "크기"),
                        lang.pick("pairs", "반복"),
                        lang.pick("touch", "쓰기"),
                        "ms",
                        lang.pick("ns / pair", "ns / 쌍"),
                        lang.pick("minor faults", "마이너 폴트"),
                        lang.pick("major faults", "메이저 폴트"),
                        lang.pick("note", "비고"),
                    ],
                );
                for (i, r) in self.runs.iter().enumerate().rev() {
                    row(ui, lang, i + 1, r);
                }
            });
    }
}

fn row(ui: &mut egui::Ui, lang: Lang, number: usize, r: &BenchResult) {
    let faults = |f: Option<u64>| f.map_or_else(|| "-".to_owned(), |n| n.to_string());
    ui.label(format!("#{number}"));
    ui.colored_label(manager_color(r.manager), r.manager.name());
    ui.label(format_size_kb(r.size_kb));
    ui.label(r.iterations.to_string());
    ui.label(if r.touch {
        lang.pick("yes", "예")
    } else {
        lang.pick("no", "아니요")
    });
    ui.monospace(format!("{:.3}", r.ms));
    ui.monospace(format!("{:.1}", r.ns_per_pair));
    ui.monospace(faults(r.minor_faults));
    ui.monospace(faults(r.major_faults));
    let mut notes = Vec::new();
    if r.cancelled {
        notes.push(format!(
            "{} {}/{}",
            lang.pick("cancelled", "취소됨"),
            r.iterations_done,
            r.iterations
        ));
    }
    if r.heap_fallbacks > 0 {
        notes.push(format!(
            "{} {}",
            r.heap_fallbacks,
            lang.pick("heap fallbacks", "힙 대체 할당")
        ));
    }
    if notes.is_empty() {
        ui.label("");
    } else {
        show_line(ui, Level::Warn, notes.join(", "));
    }
    ui.end_row();
}
