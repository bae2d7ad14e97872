//! The allocation benchmark form (the book's ExamTst2): a block size in KB
//! and a Run button that measures GetMem/FreeMem pairs and shows the
//! milliseconds for the book's 1000 pairs in its caption; below it the
//! median with its spread, the history of measurements (`HistoryTable`),
//! the book's experiment as a table (`book`) and the sweep over block
//! sizes ([`SweepPanel`]).
//!
//! A measurement is an instrument's (`memlab_engine::alloc::measure`): an
//! untimed warm-up that calibrates the pairs per sample, then samples of
//! about 50 ms each, the median and spread reported; it runs in a fresh
//! child process (`memlab_engine::alloc::isolated`) so that the heap this
//! window has used does not bias it.
//!
//! The UI thread never runs a benchmark: one [`Job`] at a time does (so two
//! runs never disturb each other's timing), waiting for the child or
//! calling `sweep::run` of the engine, whose progress callback also
//! carries Cancel.

mod book;
mod explanation;
// The help names the calls as made: Linux's say what each became there.
#[cfg(not(windows))]
pub(crate) mod help;
#[cfg(windows)]
#[path = "help_windows.rs"]
pub(crate) mod help;
mod history;
mod messages;
mod sweep;

use std::collections::VecDeque;
use std::path::PathBuf;

use eframe::egui;
use serde::{Deserialize, Serialize};

pub use history::Run;
pub use sweep::SweepPanel;

use history::HistoryTable;

use crate::forms::Lab;
use crate::forms::widgets::{
    InputNote, Job, NumberInput, Poll, Status, show_note, show_status, steady_text,
};
use crate::lab_id::LabId;
use memlab_engine::alloc::ManagerKind;
use memlab_engine::alloc::bench::{BenchError, MAX_SIZE_KB};
use memlab_engine::alloc::isolated::{MeasureError, measure_isolated};
use memlab_engine::alloc::measure::{MAX_SAMPLES, MIN_SAMPLES, MeasureSpec, Phase};
use memlab_engine::alloc::messages::manager_description;
use memlab_engine::alloc::sweep::{self as alloc_sweep, SweepReport, SweepSpec};
use memlab_engine::format::format_ms;
use memlab_engine::i18n::{Lang, Localized};
use messages::{BenchNote, LastRun, NumberRule};

/// What a finished job hands back.
enum Outcome {
    /// A measurement, `None` when Cancel was pressed.
    Bench(Result<Option<Run>, MeasureError>),
    Sweep(Result<SweepReport, BenchError>),
}

/// The progress a job reports for a phase: the warm-up as (0, 0), which
/// the form shows as such, samples as (done, total).
fn packed(phase: Phase) -> (u32, u32) {
    match phase {
        Phase::WarmUp => (0, 0),
        Phase::Sample { done, total } => (done, total),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum JobKind {
    Bench,
    Sweep,
}

/// The running job if it is of `kind`.
fn running(job: &Option<(JobKind, Job<Outcome>)>, kind: JobKind) -> Option<&Job<Outcome>> {
    job.as_ref().filter(|(k, _)| *k == kind).map(|(_, job)| job)
}

/// What the screenshot demo still has to run.
enum Queued {
    Bench(MeasureSpec),
    Sweep(SweepSpec),
}

/// The allocation benchmark form.
#[derive(Serialize, Deserialize)]
#[serde(default)]
pub struct AllocBenchForm {
    /// Block size in KB (1..=65536).
    pub size_kb: u32,
    /// Manager under test.
    pub manager: ManagerKind,
    /// Samples per measurement ([`MIN_SAMPLES`]..=[`MAX_SAMPLES`]).
    pub samples: u32,
    /// Touch every page of each block.
    pub touch: bool,
    /// The sweep's settings and results.
    pub sweep: SweepPanel,
    #[serde(skip)]
    size_note: Option<InputNote>,
    #[serde(skip)]
    samples_note: Option<InputNote>,
    #[serde(skip)]
    history: HistoryTable,
    #[serde(skip)]
    job: Option<(JobKind, Job<Outcome>)>,
    #[serde(skip)]
    status: Option<Status>,
    #[serde(skip)]
    queue: VecDeque<Queued>,
    /// The executable that measures (memlab's own; tests give the binary).
    #[serde(skip)]
    measuring_exe: Option<PathBuf>,
}

impl Default for AllocBenchForm {
    fn default() -> Self {
        Self {
            size_kb: 4,
            manager: ManagerKind::Default,
            samples: MIN_SAMPLES,
            touch: false,
            sweep: SweepPanel::default(),
            size_note: None,
            samples_note: None,
            history: HistoryTable::default(),
            job: None,
            status: None,
            queue: VecDeque::new(),
            measuring_exe: None,
        }
    }
}

impl AllocBenchForm {
    /// The runs so far, oldest first.
    pub fn history(&self) -> &[Run] {
        self.history.runs()
    }

    /// The last sweep, if any.
    pub fn sweep_report(&self) -> Option<&SweepReport> {
        self.sweep.report()
    }

    /// Is a benchmark or sweep running?
    pub fn running(&self) -> bool {
        self.job.is_some()
    }

    /// Measure with `exe` instead of this process's own executable (tests,
    /// whose own executable is the test harness).
    pub fn with_measuring_exe(mut self, exe: impl Into<PathBuf>) -> Self {
        self.measuring_exe = Some(exe.into());
        self
    }

    fn spec(&self) -> MeasureSpec {
        MeasureSpec {
            manager: self.manager,
            size_kb: self.size_kb,
            touch: self.touch,
            samples: self.samples,
        }
    }

    fn start_job(
        &mut self,
        kind: JobKind,
        ctx: &egui::Context,
        work: impl FnOnce(&dyn Fn(u32, u32) -> bool) -> Outcome + Send + 'static,
    ) -> Result<(), Status> {
        let job = Job::start("alloc-bench worker", ctx, work)
            .map_err(|e| Status::error(BenchNote::WorkerNotStarted(e)))?;
        self.job = Some((kind, job));
        Ok(())
    }

    fn start_bench(&mut self, spec: MeasureSpec, ctx: &egui::Context) {
        let exe = match self
            .measuring_exe
            .clone()
            .map_or_else(std::env::current_exe, Ok)
        {
            Ok(exe) => exe,
            Err(e) => {
                self.status = Some(Status::error(BenchNote::NoExecutable(e)));
                return;
            }
        };
        self.status = spec
            .validate()
            .map_err(Status::error)
            .and_then(|()| {
                self.start_job(JobKind::Bench, ctx, move |progress| {
                    let measured = measure_isolated(&exe, &spec, &|phase| {
                        let (done, total) = packed(phase);
                        progress(done, total)
                    });
                    Outcome::Bench(measured.map(|m| m.map(|result| Run { result })))
                })
            })
            .err();
    }

    fn start_sweep(&mut self, spec: SweepSpec, ctx: &egui::Context) {
        let started = spec.validate().map_err(Status::error).and_then(|()| {
            self.start_job(JobKind::Sweep, ctx, move |progress| {
                Outcome::Sweep(alloc_sweep::run(&spec, progress))
            })
        });
        self.sweep.set_status(started.err());
    }

    /// Takes a finished job's result and starts the next queued one.
    fn poll(&mut self, ctx: &egui::Context) {
        let polled = self.job.as_ref().map(|(kind, job)| (*kind, job.poll()));
        match polled {
            None | Some((_, Poll::Running)) => {}
            Some((_, Poll::Done(outcome))) => {
                self.job = None;
                self.finish(outcome);
            }
            Some((kind, Poll::Lost)) => {
                self.job = None;
                let lost = Some(Status::error(BenchNote::WorkerLost));
                match kind {
                    JobKind::Bench => self.status = lost,
                    JobKind::Sweep => self.sweep.set_status(lost),
                }
            }
        }
        if self.job.is_none()
            && let Some(next) = self.queue.pop_front()
        {
            match next {
                Queued::Bench(spec) => self.start_bench(spec, ctx),
                Queued::Sweep(spec) => self.start_sweep(spec, ctx),
            }
        }
    }

    fn finish(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Bench(Ok(Some(run))) => {
                let r = &run.result;
                self.status = if r.heap_fallbacks > 0 {
                    Some(Status::warn(BenchNote::HeapFull {
                        fallbacks: r.heap_fallbacks,
                    }))
                } else if r.mimalloc_fallbacks > 0 {
                    Some(Status::warn(BenchNote::MimallocArenaFull {
                        fallbacks: r.mimalloc_fallbacks,
                    }))
                } else {
                    None
                };
                self.history.push(run);
            }
            Outcome::Bench(Ok(None)) => self.status = Some(Status::warn(BenchNote::Cancelled)),
            Outcome::Bench(Err(e)) => self.status = Some(Status::error(e)),
            Outcome::Sweep(result) => self.sweep.finish(result),
        }
    }

    /// Size, samples, touch, manager, Run with its progress or the last
    /// measurement, the status line and the history. Rows wrap; nothing
    /// moves when an option changes.
    fn bench_section(&mut self, ui: &mut egui::Ui, lang: Lang) {
        ui.horizontal_wrapped(|ui| {
            ui.add(NumberInput::new(
                lang.pick("Size (KB)", "크기 (KB)"),
                &mut self.size_kb,
                1..=MAX_SIZE_KB,
                &mut self.size_note,
            ));
            for (kb, text) in [
                (4, lang.pick("4 KB (book)", "4 KB (책)")),
                (4096, lang.pick("4 MB (book)", "4 MB (책)")),
            ] {
                if ui.button(text).clicked() {
                    self.size_kb = kb;
                    self.size_note = None;
                }
            }
        });
        ui.horizontal_wrapped(|ui| {
            ui.add(NumberInput::new(
                lang.pick("Samples", "표본 수"),
                &mut self.samples,
                MIN_SAMPLES..=MAX_SAMPLES,
                &mut self.samples_note,
            ))
            .on_hover_text(lang.pick(
                "Each sample lasts about 50 ms: its pair count is calibrated in an untimed warm-up. The median of the samples is the result; their spread shows how far to trust it.",
                "표본 하나는 약 50 ms입니다: 쌍의 수는 시간을 재지 않는 예열에서 맞춥니다. 표본들의 중앙값이 결과이고, 퍼짐은 그 값을 얼마나 믿을지 보여 줍니다.",
            ));
            ui.checkbox(
                &mut self.touch,
                lang.pick("Touch every page", "모든 페이지에 쓰기"),
            )
            .on_hover_text(lang.pick(
                "Write one byte per page of each block, so the OS really has to provide the pages",
                "블록의 페이지마다 1바이트를 써서 운영체제가 실제로 페이지를 내주게 합니다",
            ));
        });
        show_note(ui, lang, self.size_note.as_ref(), &NumberRule::Size);
        show_note(ui, lang, self.samples_note.as_ref(), &NumberRule::Samples);
        ui.horizontal_wrapped(|ui| {
            ui.label(lang.pick("Memory manager", "메모리 관리자"));
            for kind in ManagerKind::ALL {
                ui.radio_value(&mut self.manager, kind, kind.name())
                    .on_hover_text(manager_description(kind, lang));
            }
        });
        // Each manager's description takes the room of the longest, so the
        // Run button stays under the pointer when the manager changes.
        let descriptions = ManagerKind::ALL.map(|k| manager_description(k, lang));
        let shown = ManagerKind::ALL
            .iter()
            .position(|&k| k == self.manager)
            .unwrap_or(0);
        steady_text(ui, &descriptions, shown);
        ui.add_space(4.0);
        ui.horizontal_wrapped(|ui| {
            // The book's caption: ms for its 1000 pairs, at the median.
            let caption = match self.history.last() {
                Some(last) => format!(
                    "{} ({})",
                    lang.pick("Run", "실행"),
                    format_ms(last.result.ms_per_1000_pairs)
                ),
                None => lang.pick("Run", "실행").to_owned(),
            };
            // Wide enough for any caption, so what follows never moves.
            let run = egui::Button::new(caption).min_size(egui::vec2(150.0, 0.0));
            if ui.add_enabled(self.job.is_none(), run).clicked() {
                let spec = self.spec();
                self.start_bench(spec, ui.ctx());
            }
            if let Some(job) = running(&self.job, JobKind::Bench) {
                match job.progress() {
                    (_, 0) => job.progress_ui_with(
                        ui,
                        lang,
                        lang.pick("warming up (not timed)", "예열 중 (시간 재지 않음)"),
                    ),
                    _ => job.progress_ui(ui, lang, lang.pick("samples", "표본")),
                }
            }
        });
        if running(&self.job, JobKind::Bench).is_none()
            && let Some(last) = self.history.last()
        {
            ui.add(egui::Label::new(LastRun(&last.result).localized(lang)).wrap());
        }
        show_status(ui, lang, self.status.as_ref());
        self.history.ui(ui, lang);
        let idle = self.job.is_none() && self.queue.is_empty();
        if book::ui(ui, lang, self.history.runs(), idle) {
            self.queue_book_cases();
        }
    }

    /// Queues every manager at the book's two sizes, untouched.
    fn queue_book_cases(&mut self) {
        for case in &memlab_engine::alloc::book::CASES {
            for manager in ManagerKind::ALL {
                self.queue
                    .push_back(Queued::Bench(MeasureSpec::new(manager, case.size_kb)));
            }
        }
    }
}

impl Lab for AllocBenchForm {
    fn id(&self) -> LabId {
        LabId::AllocBench
    }

    fn title(&self, lang: Lang) -> &'static str {
        lang.pick("Allocation benchmark", "메모리 할당 벤치마크")
    }

    fn ui(&mut self, ui: &mut egui::Ui, lang: Lang) {
        self.poll(ui.ctx());
        ui.heading(lang.pick(
            "Allocation benchmark (ExamTst2)",
            "메모리 할당 벤치마크 (ExamTst2)",
        ));
        ui.label(lang.pick(
            "Allocates and frees a block of the given size again and again, as GetMem/FreeMem would, through the chosen memory manager, and times it.",
            "GetMem/FreeMem처럼 지정한 크기의 블록을 선택한 메모리 관리자로 할당하고 해제하기를 반복하며 시간을 잽니다.",
        ));
        ui.add_space(6.0);
        self.bench_section(ui, lang);
        ui.separator();
        let busy = self.job.is_some();
        let running = running(&self.job, JobKind::Sweep);
        let sweep = &mut self.sweep;
        let start = egui::CollapsingHeader::new(lang.pick("Sweep", "스윕"))
            .id_salt("alloc-sweep")
            .default_open(true)
            .show(ui, |ui| sweep.ui(ui, lang, busy, running))
            .body_returned
            .flatten();
        if let Some(spec) = start {
            self.start_sweep(spec, ui.ctx());
        }
    }

    /// True when nothing runs and nothing is queued.
    fn settled(&self) -> bool {
        self.job.is_none() && self.queue.is_empty()
    }

    /// Queues the book's cases and a quick sweep, to show a filled form.
    fn demo(&mut self) {
        self.queue_book_cases();
        self.queue.push_back(Queued::Sweep(SweepSpec {
            repeats: 3,
            ..SweepSpec::default()
        }));
    }

    /// Cancels a running job and waits briefly for its worker.
    fn shutdown(&mut self) {
        self.queue.clear();
        drop(self.job.take());
    }
}
