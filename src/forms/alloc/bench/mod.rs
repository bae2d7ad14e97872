//! The allocation benchmark form (the book's ExamTst2): a block size in KB
//! and a Run button that times GetMem/FreeMem pairs and shows the
//! milliseconds in its caption; below it the history of runs
//! (`HistoryTable`) and the sweep over block sizes ([`SweepPanel`]).
//!
//! A manager's first use costs more than its steady state (mimalloc
//! reserves its first memory, the heap commits its first pages), so by
//! default an untimed round runs first, as the sweep does; without it, the
//! first run after the manager or size changed is marked cold.
//!
//! The UI thread never runs a benchmark: one [`Job`] at a time does (so two
//! runs never disturb each other's timing), calling `bench::run` or
//! `sweep::run` of the engine, whose progress callback also carries Cancel.

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
use memlab_engine::alloc::bench::{self, BenchError, BenchSpec, DEFAULT_ITERATIONS, MAX_SIZE_KB};
use memlab_engine::alloc::messages::manager_description;
use memlab_engine::alloc::sweep::{self as alloc_sweep, SweepReport, SweepSpec};
use memlab_engine::format::format_ms;
use memlab_engine::i18n::{Lang, Localized};
use messages::{BenchNote, LastRun, MAX_ITERATIONS, NumberRule};

/// Pairs of the untimed warm-up round, at most (the sweep's number).
pub const WARM_UP_PAIRS: u32 = 100;
/// Bytes the warm-up allocates in all, at most: one pair of the largest
/// block, whose touched pages cost ~90 ms.
const WARM_UP_BYTES: u64 = 64 << 20;

/// What a finished job hands back.
enum Outcome {
    Bench(Result<Run, BenchError>),
    /// Cancel was pressed during the warm-up.
    WarmUpCancelled,
    Sweep(Result<SweepReport, BenchError>),
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
    Bench(BenchSpec),
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
    /// Alloc/free pairs.
    pub iterations: u32,
    /// Touch every page of each block.
    pub touch: bool,
    /// Run an untimed round first, so the manager's start-up is not timed.
    pub warm_up: bool,
    /// The sweep's settings and results.
    pub sweep: SweepPanel,
    #[serde(skip)]
    size_note: Option<InputNote>,
    #[serde(skip)]
    iterations_note: Option<InputNote>,
    #[serde(skip)]
    history: HistoryTable,
    #[serde(skip)]
    job: Option<(JobKind, Job<Outcome>)>,
    #[serde(skip)]
    status: Option<Status>,
    #[serde(skip)]
    queue: VecDeque<Queued>,
    /// Manager and size of the last run started: a run without warm-up is
    /// cold when they changed.
    #[serde(skip)]
    last_started: Option<(ManagerKind, u32)>,
}

impl Default for AllocBenchForm {
    fn default() -> Self {
        Self {
            size_kb: 4,
            manager: ManagerKind::Default,
            iterations: DEFAULT_ITERATIONS,
            touch: false,
            warm_up: true,
            sweep: SweepPanel::default(),
            size_note: None,
            iterations_note: None,
            history: HistoryTable::default(),
            job: None,
            status: None,
            queue: VecDeque::new(),
            last_started: None,
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

    fn spec(&self) -> BenchSpec {
        BenchSpec {
            manager: self.manager,
            size_kb: self.size_kb,
            iterations: self.iterations,
            touch: self.touch,
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

    fn start_bench(&mut self, spec: BenchSpec, ctx: &egui::Context) {
        let warmed = self.warm_up;
        let key = (spec.manager, spec.size_kb);
        let cold = !warmed && self.last_started != Some(key);
        self.status = spec
            .validate()
            .map_err(Status::error)
            .and_then(|()| {
                self.start_job(JobKind::Bench, ctx, move |progress| {
                    if warmed {
                        let fit = (WARM_UP_BYTES / spec.size_bytes().max(1) as u64).max(1);
                        let warm = BenchSpec {
                            iterations: spec.iterations.min(WARM_UP_PAIRS).min(fit as u32),
                            ..spec
                        };
                        match bench::run(&warm, &|_, _| progress(0, spec.iterations)) {
                            Err(e) => return Outcome::Bench(Err(e)),
                            Ok(r) if r.cancelled => return Outcome::WarmUpCancelled,
                            Ok(_) => {}
                        }
                    }
                    Outcome::Bench(bench::run(&spec, progress).map(|result| Run {
                        result,
                        cold,
                        warmed,
                    }))
                })
            })
            .err();
        if self.job.is_some() {
            self.last_started = Some(key);
        }
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
            Outcome::Bench(Ok(run)) => {
                let r = &run.result;
                self.status = if r.cancelled {
                    Some(Status::warn(BenchNote::Cancelled {
                        done: r.iterations_done,
                        total: r.iterations,
                    }))
                } else if r.heap_fallbacks > 0 {
                    Some(Status::warn(BenchNote::HeapFull {
                        fallbacks: r.heap_fallbacks,
                    }))
                } else if r.mimalloc_fallbacks > 0 {
                    Some(Status::warn(BenchNote::MimallocArenaFull {
                        fallbacks: r.mimalloc_fallbacks,
                    }))
                } else if run.cold {
                    Some(Status::warn(BenchNote::Cold {
                        manager: r.manager,
                        size_kb: r.size_kb,
                    }))
                } else {
                    None
                };
                self.history.push(run);
            }
            Outcome::WarmUpCancelled => {
                self.status = Some(Status::warn(BenchNote::WarmUpCancelled))
            }
            Outcome::Bench(Err(e)) => self.status = Some(Status::error(e)),
            Outcome::Sweep(result) => self.sweep.finish(result),
        }
    }

    /// Size, iterations, touch, warm-up, manager, Run with its progress or
    /// last result, the status line and the history. Rows wrap; nothing
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
                lang.pick("Iterations", "반복 횟수"),
                &mut self.iterations,
                1..=MAX_ITERATIONS,
                &mut self.iterations_note,
            ));
            ui.checkbox(
                &mut self.touch,
                lang.pick("Touch every page", "모든 페이지에 쓰기"),
            )
            .on_hover_text(lang.pick(
                "Write one byte per page of each block, so the OS really has to provide the pages",
                "블록의 페이지마다 1바이트를 써서 운영체제가 실제로 페이지를 내주게 합니다",
            ));
            ui.checkbox(&mut self.warm_up, lang.pick("Warm up first", "먼저 예열"))
                .on_hover_text(lang.pick(
                    "One untimed round before the timed one, so the manager's start-up is not in the time",
                    "시간을 재기 전에 한 번 돌려, 관리자의 시작 비용이 시간에 들어가지 않게 합니다",
                ));
        });
        show_note(ui, lang, self.size_note.as_ref(), &NumberRule::Size);
        show_note(
            ui,
            lang,
            self.iterations_note.as_ref(),
            &NumberRule::Iterations,
        );
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
            let caption = match self.history.last() {
                Some(last) => format!(
                    "{} ({})",
                    lang.pick("Run", "실행"),
                    format_ms(last.result.ms)
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
                job.progress_ui(ui, lang, lang.pick("pairs", "쌍"));
            } else if let Some(last) = self.history.last() {
                ui.label(LastRun(last.result).localized(lang));
            }
        });
        show_status(ui, lang, self.status.as_ref());
        self.history.ui(ui, lang);
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
        for size_kb in [4, 4096] {
            for manager in ManagerKind::ALL {
                self.queue
                    .push_back(Queued::Bench(BenchSpec::new(manager, size_kb)));
            }
        }
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
