//! The benchmark's history: one row per run, newest on top, so managers and
//! sizes can be compared side by side. Cold runs and cancelled runs say so.

use eframe::egui;

use crate::forms::alloc::colors::manager_color;
use crate::forms::widgets::{Level, header_row, show_line};
use memlab_engine::alloc::bench::BenchResult;
use memlab_engine::format::{format_ms, format_ns, format_size_kb};
use memlab_engine::i18n::Lang;

/// Runs kept in the history table.
const HISTORY_MAX: usize = 500;

/// One run of the form: what the engine measured, and how it was started.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Run {
    pub result: BenchResult,
    /// Not warmed up, and the first with its manager and size since either
    /// changed: the manager's start-up is in its time.
    pub cold: bool,
    /// An untimed round ran before the timed one.
    pub warmed: bool,
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
                        lang.pick("per pair", "쌍당"),
                        lang.pick("minor faults", "마이너 폴트"),
                        lang.pick("major faults", "메이저 폴트"),
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
    let faults = |f: Option<u64>| f.map_or_else(|| "-".to_owned(), |n| n.to_string());
    ui.label(format!("#{number}"));
    ui.colored_label(manager_color(r.manager), r.manager.name());
    ui.label(format_size_kb(r.size_kb));
    // A cancelled run did fewer pairs than asked: both are shown, and its
    // time per pair is over the pairs it did.
    if r.cancelled {
        ui.label(format!("{} / {}", r.iterations_done, r.iterations));
    } else {
        ui.label(r.iterations.to_string());
    }
    ui.label(if r.touch {
        lang.pick("yes", "예")
    } else {
        lang.pick("no", "아니요")
    });
    ui.monospace(format_ms(r.ms).trim_end_matches(" ms"));
    ui.monospace(format_ns(r.ns_per_pair));
    ui.monospace(faults(r.minor_faults));
    ui.monospace(faults(r.major_faults));
    let mut notes = Vec::new();
    if run.cold {
        notes.push(
            lang.pick("cold: start-up included", "콜드: 시작 비용 포함")
                .to_owned(),
        );
    }
    if r.cancelled {
        notes.push(lang.pick("cancelled", "취소됨").to_owned());
    }
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
        ui.weak(if run.warmed {
            lang.pick("warmed up", "예열함")
        } else {
            ""
        });
    } else {
        show_line(ui, Level::Warn, notes.join(", "));
    }
    ui.end_row();
}
