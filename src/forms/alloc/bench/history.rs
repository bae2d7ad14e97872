//! The benchmark's history: one row per measurement, newest on top, so
//! managers and sizes can be compared side by side: the median and its
//! spread (quartiles, min-max, outliers), the samples and pairs, and the
//! book's 1000 pairs in ms.

use eframe::egui;

use crate::forms::alloc::colors::manager_color;
use crate::forms::widgets::{Level, header_row, show_line};
use memlab_engine::alloc::measure::Measurement;
use memlab_engine::format::{format_ms, format_ns, format_size_kb};
use memlab_engine::i18n::Lang;

/// Runs kept in the history table.
const HISTORY_MAX: usize = 500;

/// One measurement of the form.
#[derive(Clone, Debug, PartialEq)]
pub struct Run {
    pub result: Measurement,
}

/// The runs so far (the last [`HISTORY_MAX`]).
#[derive(Default)]
pub struct HistoryTable {
    runs: Vec<Run>,
}

impl HistoryTable {
    /// Oldest first.
    pub fn runs(&self) -> &[Run] {
        &self.runs
    }

    pub fn last(&self) -> Option<&Run> {
        self.runs.last()
    }

    pub fn push(&mut self, run: Run) {
        if self.runs.len() >= HISTORY_MAX {
            self.runs.remove(0);
        }
        self.runs.push(run);
    }

    /// A collapsible "History (n)" with a Clear button and the table, which
    /// scrolls both ways inside the lab's width.
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
            egui::ScrollArea::both()
                .id_salt("alloc-history-scroll")
                .max_height(160.0)
                .auto_shrink([true, true])
                .show(ui, |ui| self.table(ui, lang));
        });
    }

    fn table(&self, ui: &mut egui::Ui, lang: Lang) {
        if self.runs.is_empty() {
            ui.add(
                egui::Label::new(
                    egui::RichText::new(lang.pick(
                        "No runs yet. Each run adds a row here, to compare managers side by side.",
                        "아직 실행 기록이 없습니다. 실행할 때마다 여기에 한 줄씩 쌓여 관리자끼리 비교할 수 있습니다.",
                    ))
                    .weak(),
                )
                .wrap(),
            );
            return;
        }
        egui::Grid::new("alloc-history-grid")
            .striped(true)
            .num_columns(11)
            .min_col_width(40.0)
            .show(ui, |ui| {
                header_row(
                    ui,
                    &[
                        "#",
                        lang.pick("manager", "관리자"),
                        lang.pick("size", "크기"),
                        lang.pick("touch", "쓰기"),
                        lang.pick("median per pair", "쌍당 중앙값"),
                        lang.pick("quartiles", "사분위"),
                        lang.pick("min – max", "최소 – 최대"),
                        lang.pick("outliers", "이상치"),
                        lang.pick("samples × pairs", "표본 × 쌍"),
                        lang.pick("1000 pairs", "1000쌍"),
                        lang.pick("note", "비고"),
                    ],
                );
                for (i, run) in self.runs.iter().enumerate().rev() {
                    row(ui, lang, i + 1, run);
                }
            });
    }
}

fn row(ui: &mut egui::Ui, lang: Lang, number: usize, run: &Run) {
    let r = &run.result;
    ui.label(format!("#{number}"));
    ui.colored_label(manager_color(r.manager), r.manager.name());
    ui.label(format_size_kb(r.size_kb));
    ui.label(if r.touch {
        lang.pick("yes", "예")
    } else {
        lang.pick("no", "아니요")
    });
    ui.monospace(format_ns(r.median_ns_per_pair));
    ui.monospace(format!(
        "{} – {}",
        format_ns(r.q1_ns_per_pair),
        format_ns(r.q3_ns_per_pair)
    ));
    ui.monospace(format!(
        "{} – {}",
        format_ns(r.min_ns_per_pair),
        format_ns(r.max_ns_per_pair)
    ));
    ui.monospace(r.outliers.to_string());
    ui.monospace(format!("{} × {}", r.samples, r.pairs_per_sample));
    ui.monospace(format_ms(r.ms_per_1000_pairs));
    let mut notes = Vec::new();
    for (fallbacks, what) in [
        (
            r.heap_fallbacks,
            lang.pick("heap fallbacks", "힙 대체 할당"),
        ),
        (
            r.mimalloc_fallbacks,
            lang.pick("mimalloc fallbacks", "mimalloc 대체 할당"),
        ),
    ] {
        if fallbacks > 0 {
            notes.push(format!("{fallbacks} {what}"));
        }
    }
    if notes.is_empty() {
        ui.weak(if r.isolated {
            lang.pick("fresh process", "새 프로세스")
        } else {
            lang.pick("this process", "이 프로세스")
        });
    } else {
        show_line(ui, Level::Warn, notes.join(", "));
    }
    ui.end_row();
}
