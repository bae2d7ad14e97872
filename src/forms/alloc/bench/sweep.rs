//! The sweep panel: every chosen manager over 1 KB .. 64 MB, a log-log plot
//! of the medians with the crossovers marked, the explanation beside it, and
//! CSV export.

use eframe::egui::{self, Color32, RichText};
use egui_plot::{
    AxisHints, Corner, GridMark, Legend, Line, LineStyle, Plot, PlotPoint, PlotPoints, Text, VLine,
};
use serde::{Deserialize, Serialize};

use super::messages::{BenchNote, NumberRule};
use super::{Outcome, explanation};
use crate::forms::alloc::colors::manager_color;
use crate::forms::widgets::{
    InputNote, Job, NumberInput, Status, show_note, show_status, side_by_side, text_field,
};
use memlab_engine::alloc::ManagerKind;
use memlab_engine::alloc::bench::{BenchError, MAX_SIZE_KB};
use memlab_engine::alloc::sweep::{self as alloc_sweep, SweepReport, SweepSpec};
use memlab_engine::alloc::sweep::{CROSSOVER_MARGIN, MAX_REPEATS};
use memlab_engine::alloc::sysinfo::SystemInfo;
use memlab_engine::format::{format_ns, format_size_kb};
use memlab_engine::i18n::{Lang, Localized};

/// The sweep's settings (remembered) and its last report.
#[derive(Serialize, Deserialize)]
#[serde(default)]
pub struct SweepPanel {
    /// Managers in the sweep.
    pub managers: Vec<ManagerKind>,
    /// Repeats per size (the median is plotted).
    pub repeats: u32,
    /// Touch every page of each block.
    pub touch: bool,
    /// Where Export CSV writes.
    pub csv_path: String,
    #[serde(skip)]
    repeats_note: Option<InputNote>,
    #[serde(skip)]
    report: Option<SweepReport>,
    #[serde(skip)]
    status: Option<Status>,
    #[serde(skip)]
    csv_status: Option<Status>,
}

impl Default for SweepPanel {
    fn default() -> Self {
        Self {
            managers: ManagerKind::ALL.to_vec(),
            repeats: 5,
            touch: false,
            csv_path: "memlab-sweep.csv".to_owned(),
            repeats_note: None,
            report: None,
            status: None,
            csv_status: None,
        }
    }
}

impl SweepPanel {
    /// The last sweep, if any.
    pub fn report(&self) -> Option<&SweepReport> {
        self.report.as_ref()
    }

    /// Shows `status` under the Run sweep button (None clears it).
    pub(super) fn set_status(&mut self, status: Option<Status>) {
        self.status = status;
    }

    /// Takes a finished sweep: its report, or why there is none.
    pub(super) fn finish(&mut self, result: Result<SweepReport, BenchError>) {
        match result {
            Ok(report) => {
                self.status = report.cancelled.then(|| {
                    Status::warn(BenchNote::SweepCancelled {
                        sizes_done: report.rows.len() / report.spec.managers.len().max(1),
                        sizes: report.spec.sizes_kb.len(),
                    })
                });
                self.csv_status = None;
                self.report = Some(report);
            }
            Err(e) => self.status = Some(Status::error(e)),
        }
    }

    fn spec(&self) -> SweepSpec {
        SweepSpec {
            managers: self.managers.clone(),
            repeats: self.repeats,
            touch: self.touch,
            ..SweepSpec::default()
        }
    }

    /// Draws the panel. `busy`: some job runs (one at a time); `running`:
    /// the sweep's own job, for its progress. Returns the sweep to start
    /// when Run sweep was pressed.
    pub(super) fn ui(
        &mut self,
        ui: &mut egui::Ui,
        lang: Lang,
        busy: bool,
        running: Option<&Job<Outcome>>,
    ) -> Option<SweepSpec> {
        self.settings_row(ui, lang);
        let mut start = None;
        ui.horizontal_wrapped(|ui| {
            let button = egui::Button::new(lang.pick("Run sweep", "스윕 실행"))
                .min_size(egui::vec2(120.0, 0.0));
            if ui
                .add_enabled(!busy && !self.managers.is_empty(), button)
                .clicked()
            {
                start = Some(self.spec());
            }
            match running {
                Some(job) => job.progress_ui(ui, lang, lang.pick("measurements", "회 측정")),
                None => {
                    ui.weak(lang.pick(
                        "1 KB to 64 MB, every manager chosen: 17 sizes × managers × repeats; 1000 pairs up to 256 KB, then 256 MiB of blocks per measurement",
                        "1 KB부터 64 MB까지 고른 관리자 모두: 17개 크기 × 관리자 × 반복; 256 KB까지는 1000쌍, 그 위로는 측정마다 256 MiB 분량",
                    ));
                }
            }
        });
        show_status(ui, lang, self.status.as_ref());
        side_by_side(
            ui,
            260.0,
            0.58,
            |ui| self.plot(ui, lang),
            |ui| {
                egui::ScrollArea::vertical()
                    .id_salt("alloc-explanation")
                    .max_height(250.0)
                    .show(ui, |ui| explanation::ui(ui, lang));
            },
        );
        self.crossovers(ui, lang);
        self.csv_row(ui, lang);
        start
    }

    fn settings_row(&mut self, ui: &mut egui::Ui, lang: Lang) {
        ui.horizontal_wrapped(|ui| {
            ui.label(lang.pick("Managers", "관리자"));
            for kind in ManagerKind::ALL {
                let mut on = self.managers.contains(&kind);
                if ui.checkbox(&mut on, kind.name()).changed() {
                    self.managers.retain(|&k| k != kind);
                    if on {
                        self.managers.push(kind);
                        self.managers.sort();
                    }
                }
            }
            ui.add(NumberInput::new(
                lang.pick("Repeats (median)", "반복 측정 (중앙값)"),
                &mut self.repeats,
                1..=MAX_REPEATS,
                &mut self.repeats_note,
            ));
            ui.checkbox(
                &mut self.touch,
                lang.pick("Touch pages in the sweep", "스윕에서 페이지에 쓰기"),
            );
        });
        show_note(ui, lang, self.repeats_note.as_ref(), &NumberRule::Repeats);
    }

    fn crossovers(&self, ui: &mut egui::Ui, lang: Lang) {
        let Some(report) = &self.report else { return };
        let crossings = alloc_sweep::crossovers_with_margin(&report.rows, CROSSOVER_MARGIN);
        ui.label(RichText::new(lang.pick("Crossovers", "교차점")).strong());
        if crossings.is_empty() {
            ui.weak(lang.pick(
                "none: one manager leads at every size (within 5 %)",
                "없음: 모든 크기에서 한 관리자가 앞섭니다 (5 % 이내)",
            ));
        }
        for (i, c) in crossings.iter().enumerate() {
            ui.label(format!("{}. {}", i + 1, c.localized(lang)));
        }
    }

    fn plot(&self, ui: &mut egui::Ui, lang: Lang) {
        let Some(report) = &self.report else {
            ui.weak(lang.pick(
                "Run a sweep to see ns per pair over block size (log-log).",
                "스윕을 실행하면 블록 크기에 따른 쌍당 ns가 (로그-로그로) 그려집니다.",
            ));
            return;
        };
        let crossings = alloc_sweep::crossovers_with_margin(&report.rows, CROSSOVER_MARGIN);
        let logs = || {
            report
                .rows
                .iter()
                .map(|r| r.median_ns_per_pair.max(1.0).log10())
        };
        let max_y = logs().fold(1.0, f64::max);
        let min_y = logs().fold(max_y, f64::min);
        Plot::new("alloc-sweep-plot")
            .height(210.0)
            .legend(Legend::default().position(Corner::LeftTop))
            .allow_zoom(false)
            .allow_drag(false)
            .allow_scroll(false)
            .allow_boxed_zoom(false)
            .y_axis_label(lang.pick("ns per pair", "쌍당 ns"))
            .custom_x_axes(vec![
                AxisHints::new_x()
                    .label(lang.pick("block size", "블록 크기"))
                    .label_spacing(30.0..=40.0)
                    .formatter(|mark: GridMark, _| {
                        if mark.value.fract() == 0.0 && (0.0..=16.0).contains(&mark.value) {
                            format_size_kb(1 << mark.value as u32)
                        } else {
                            String::new()
                        }
                    }),
            ])
            .x_grid_spacer(|input| {
                // A line per size, labels every other size, thick at 1 KB and 1 MB.
                let (lo, hi) = (input.bounds.0.ceil() as i64, input.bounds.1.floor() as i64);
                (lo..=hi)
                    .map(|v| GridMark {
                        value: v as f64,
                        step_size: match v {
                            0 | 10 => 10.0,
                            v if v % 2 == 0 => 2.0,
                            _ => 1.0,
                        },
                    })
                    .collect()
            })
            .y_grid_spacer(|input| decade_marks(input.bounds, 1.0, 3.0))
            .y_axis_formatter(|mark: GridMark, _| {
                if mark.value.fract() == 0.0 {
                    format_ns(10f64.powf(mark.value))
                        .replace(".0 ", " ")
                        .replace(".00 ", " ")
                } else {
                    String::new()
                }
            })
            .label_formatter(|pos| {
                let p = match pos {
                    egui_plot::HoverPosition::NearDataPoint { position, .. } => *position,
                    egui_plot::HoverPosition::Elsewhere { position } => *position,
                };
                let kb = 2f64.powf(p.x).round().clamp(1.0, f64::from(MAX_SIZE_KB)) as u32;
                let name = match pos {
                    egui_plot::HoverPosition::NearDataPoint { plot_name, .. } => {
                        format!("{plot_name}\n")
                    }
                    _ => String::new(),
                };
                Some(format!(
                    "{name}{}: {}",
                    format_size_kb(kb),
                    format_ns(10f64.powf(p.y))
                ))
            })
            .include_y(min_y.floor())
            .include_y(max_y.ceil())
            .include_x(0.0)
            .include_x(16.0)
            .show(ui, |plot| {
                for &kind in &report.spec.managers {
                    let points: Vec<[f64; 2]> = report
                        .rows
                        .iter()
                        .filter(|r| r.manager == kind)
                        .map(|r| {
                            [
                                f64::from(r.size_kb).log2(),
                                r.median_ns_per_pair.max(1.0).log10(),
                            ]
                        })
                        .collect();
                    plot.line(
                        Line::new(kind.name(), PlotPoints::from(points))
                            .color(manager_color(kind))
                            .width(2.0),
                    );
                }
                let label = lang.pick("crossover", "교차점");
                for (i, c) in crossings.iter().enumerate() {
                    let x = (f64::from(c.below_kb).log2() + f64::from(c.from_kb).log2()) / 2.0;
                    plot.vline(
                        VLine::new(label, x)
                            .color(Color32::GRAY)
                            .style(LineStyle::dashed_dense()),
                    );
                    // Body text, as the list it numbers (egui_plot's default
                    // is the small style: 9 px, unreadable from the back row).
                    plot.text(Text::new(
                        label,
                        PlotPoint::new(x, max_y.ceil() - 0.1),
                        RichText::new((i + 1).to_string()).text_style(egui::TextStyle::Body),
                    ));
                }
            });
    }

    fn csv_row(&mut self, ui: &mut egui::Ui, lang: Lang) {
        ui.horizontal_wrapped(|ui| {
            text_field(
                ui,
                lang.pick("CSV file", "CSV 파일"),
                &mut self.csv_path,
                320.0,
            );
            let can = self.report.is_some() && !self.csv_path.trim().is_empty();
            if ui
                .add_enabled(
                    can,
                    egui::Button::new(lang.pick("Export CSV", "CSV로 내보내기")),
                )
                .clicked()
            {
                self.export_csv();
            }
        });
        show_status(ui, lang, self.csv_status.as_ref());
    }

    fn export_csv(&mut self) {
        let Some(report) = &self.report else { return };
        let path = std::path::PathBuf::from(self.csv_path.trim());
        let shown = std::path::absolute(&path).unwrap_or_else(|_| path.clone());
        let csv = alloc_sweep::to_csv(report, &SystemInfo::collect());
        self.csv_status = Some(match std::fs::write(&path, csv) {
            Ok(()) => Status::info(BenchNote::CsvWritten(shown)),
            Err(error) => Status::error(BenchNote::CsvNotWritten { path: shown, error }),
        });
    }
}

/// Grid marks at whole numbers (thin) and every `major`-th whole number (thick),
/// for axes that hold log values.
fn decade_marks(bounds: (f64, f64), minor: f64, major: f64) -> Vec<GridMark> {
    // Only marks inside the plot: egui_plot labels every mark it is given.
    let (lo, hi) = (bounds.0.ceil() as i64, bounds.1.floor() as i64);
    (lo..=hi)
        .map(|v| {
            let value = v as f64;
            let step_size = if (value / major).fract() == 0.0 {
                major
            } else {
                minor
            };
            GridMark { value, step_size }
        })
        .collect()
}
