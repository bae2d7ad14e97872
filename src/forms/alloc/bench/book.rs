//! The book's experiment (§7) as a table under the history: for 4 KB and
//! 4 MB, the book's claim, what mimalloc (Delphi's part) and default
//! (HeapAlloc's part) measured with their spread, the verdict, and why.
//! The figures are the latest untouched measurements in the history; the
//! button measures all that the table needs.

use eframe::egui;

use super::Run;
use crate::forms::widgets::header_row;
use memlab_engine::alloc::ManagerKind;
use memlab_engine::alloc::book::{CASES, DELPHI_ROLE, HEAPALLOC_ROLE, Verdict, roles};
use memlab_engine::alloc::measure::Measurement;
use memlab_engine::format::{format_ns, format_size_kb};
use memlab_engine::i18n::Lang;

/// A median with its quartiles, or a dash.
pub fn cell(m: Option<&Measurement>) -> String {
    m.map_or_else(
        || "–".to_owned(),
        |m| {
            format!(
                "{} ({} – {})",
                format_ns(m.median_ns_per_pair),
                format_ns(m.q1_ns_per_pair),
                format_ns(m.q3_ns_per_pair)
            )
        },
    )
}

/// The table; returns true when "Measure the book's cases" was clicked
/// (enabled only when `idle`).
pub fn ui(ui: &mut egui::Ui, lang: Lang, runs: &[Run], idle: bool) -> bool {
    let mut clicked = false;
    egui::CollapsingHeader::new(lang.pick("The book's experiment", "책의 실험"))
        .id_salt("alloc-book")
        .default_open(true)
        .show(ui, |ui| {
            ui.add(egui::Label::new(roles(lang)).wrap());
            clicked = ui
                .add_enabled(
                    idle,
                    egui::Button::new(lang.pick(
                        "Measure the book's cases (4 KB and 4 MB, every manager)",
                        "책의 경우 재기 (4 KB와 4 MB, 모든 관리자)",
                    )),
                )
                .clicked();
            let measured = || runs.iter().map(|r| &r.result);
            egui::ScrollArea::horizontal()
                .id_salt("alloc-book-scroll")
                .show(ui, |ui| {
                    egui::Grid::new("alloc-book-grid")
                        .striped(true)
                        .num_columns(6)
                        .show(ui, |ui| {
                            header_row(
                                ui,
                                &[
                                    lang.pick("size", "크기"),
                                    lang.pick("the book says", "책의 주장"),
                                    lang.pick("mimalloc (Delphi's part)", "mimalloc (델파이 역할)"),
                                    lang.pick("default (HeapAlloc's part)", "default (HeapAlloc 역할)"),
                                    lang.pick("heap (HeapCreate)", "heap (HeapCreate)"),
                                    lang.pick("here", "여기서는"),
                                ],
                            );
                            for case in &CASES {
                                let delphi = case.latest(measured(), DELPHI_ROLE);
                                let heapalloc = case.latest(measured(), HEAPALLOC_ROLE);
                                let heap = case.latest(measured(), ManagerKind::Heap);
                                let verdict = case.verdict(delphi, heapalloc);
                                ui.label(format_size_kb(case.size_kb));
                                ui.add(egui::Label::new(case.claim.get(lang)).wrap());
                                ui.monospace(cell(delphi));
                                ui.monospace(cell(heapalloc));
                                ui.monospace(cell(heap));
                                let text = egui::RichText::new(verdict.text(lang));
                                ui.label(match verdict {
                                    Verdict::Agrees => text.strong(),
                                    Verdict::Differs => text.strong().color(ui.visuals().warn_fg_color),
                                    Verdict::WithinSpread | Verdict::NotMeasured => text.weak(),
                                });
                                ui.end_row();
                            }
                        });
                });
            ui.label(lang.pick(
                "Median ns per alloc/free pair, quartiles in brackets; the verdict needs the quartiles apart.",
                "alloc/free 한 쌍의 중앙값(ns), 괄호 안은 사분위입니다. 판정은 사분위 범위가 떨어져 있어야 납니다.",
            ));
            for case in &CASES {
                ui.add(
                    egui::Label::new(format!(
                        "• {}: {}",
                        format_size_kb(case.size_kb),
                        case.why.get(lang)
                    ))
                    .wrap(),
                );
            }
        });
    clicked
}
