//! The allocation benchmark form (the book's ExamTst2): a block size in KB, a
//! Run button that times GetMem/FreeMem pairs and shows the milliseconds in
//! its caption, a history of runs, and a sweep over block sizes with a
//! log-log plot, the crossovers and CSV export.
//!
//! The UI thread never runs a benchmark: a worker thread does (one job at a
//! time, so two runs never disturb each other's timing) and reports its
//! progress through atomics; the form repaints while a job runs and goes
//! idle again when it ends.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::ops::RangeInclusive;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use eframe::egui::{self, Color32, RichText};
use egui_plot::{
    AxisHints, Corner, GridMark, Legend, Line, LineStyle, Plot, PlotPoint, PlotPoints, Text, VLine,
};
use serde::{Deserialize, Serialize};

use crate::core::alloc::ManagerKind;
use crate::core::alloc::bench::{
    self, BenchError, BenchResult, BenchSpec, DEFAULT_ITERATIONS, MAX_SIZE_KB,
};
use crate::core::alloc::sweep::{self, Crossover, SweepReport, SweepSpec};
use crate::core::alloc::sysinfo::SystemInfo;
use crate::i18n::Lang;

/// A crossover counts when the new leader is faster by more than this (5 %),
/// so managers within noise of each other do not flip-flop.
pub const CROSSOVER_MARGIN: f64 = 0.05;
/// Largest iteration count the form accepts.
pub const MAX_ITERATIONS: u32 = 100_000_000;
/// Largest repeat count of the sweep in the form.
const MAX_REPEATS: u32 = 99;
/// Runs kept in the history table.
const HISTORY_MAX: usize = 500;
/// A long run is split into chunks so that Cancel is noticed within about this
/// long (the core reports progress once per 1 % of a run).
const CANCEL_LATENCY: Duration = Duration::from_millis(50);
/// Pairs of the first chunk: the book's run, timed exactly as one `bench::run`.
const FIRST_CHUNK: u32 = DEFAULT_ITERATIONS;

pub(crate) const GREEN: Color32 = Color32::from_rgb(0x2e, 0x9d, 0x4e);
pub(crate) const ORANGE: Color32 = Color32::from_rgb(0xd0, 0x8a, 0x00);
pub(crate) const RED: Color32 = Color32::from_rgb(0xe0, 0x40, 0x40);

/// One colour per manager, the same in every plot.
pub(crate) fn manager_color(kind: ManagerKind) -> Color32 {
    match kind {
        ManagerKind::Default => Color32::from_rgb(0x1f, 0x77, 0xb4),
        ManagerKind::Heap => Color32::from_rgb(0xe6, 0x6b, 0x00),
        ManagerKind::Mimalloc => Color32::from_rgb(0x2c, 0xa0, 0x2c),
    }
}

/// `4 KB`, `4 MB` (sizes are powers of two, or any whole number of KB).
pub fn format_size_kb(kb: u32) -> String {
    if kb >= 1024 && kb.is_multiple_of(1024) {
        format!("{} MB", kb / 1024)
    } else {
        format!("{kb} KB")
    }
}

/// Nanoseconds with a unit that keeps 3 or 4 significant digits.
pub fn format_ns(ns: f64) -> String {
    if ns < 1e3 {
        format!("{ns:.1} ns")
    } else if ns < 1e6 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{:.2} ms", ns / 1e6)
    }
}

/// Bytes in B, KiB, MiB or GiB.
pub fn format_bytes(bytes: u64) -> String {
    const K: f64 = 1024.0;
    let b = bytes as f64;
    if b < K {
        format!("{bytes} B")
    } else if b < K * K {
        format!("{:.1} KiB", b / K)
    } else if b < K * K * K {
        format!("{:.2} MiB", b / (K * K))
    } else {
        format!("{:.2} GiB", b / (K * K * K))
    }
}

/// `between 2 KB and 4 KB: mimalloc → default`.
pub fn crossover_text(c: &Crossover) -> String {
    crossover_text_in(c, Lang::En)
}

fn crossover_text_in(c: &Crossover, lang: Lang) -> String {
    let (below, from) = (format_size_kb(c.below_kb), format_size_kb(c.from_kb));
    match lang {
        Lang::En => format!(
            "between {below} and {from}: {} → {}",
            c.faster_below, c.faster_from
        ),
        Lang::Ko => format!(
            "{below}와 {from} 사이: {} → {}",
            c.faster_below, c.faster_from
        ),
    }
}

/// Why a typed number was not taken as it was.
#[derive(Clone, Debug, PartialEq)]
enum InputNote {
    Clamped { typed: String, to: u32 },
    Rounded { typed: String, to: u32 },
    NotANumber { typed: String, kept: u32 },
}

/// What a number field is, for its messages.
#[derive(Clone, Copy)]
enum Field {
    Size,
    Iterations,
    Repeats,
}

impl InputNote {
    fn text(&self, field: Field, lang: Lang) -> String {
        let rule = match (field, lang) {
            (Field::Size, Lang::En) => format!("size must be 1 to {MAX_SIZE_KB} KB"),
            (Field::Size, Lang::Ko) => format!("크기는 1~{MAX_SIZE_KB} KB여야 합니다"),
            (Field::Iterations, Lang::En) => format!("iterations must be 1 to {MAX_ITERATIONS}"),
            (Field::Iterations, Lang::Ko) => format!("반복 횟수는 1~{MAX_ITERATIONS}이어야 합니다"),
            (Field::Repeats, Lang::En) => format!("repeats must be 1 to {MAX_REPEATS}"),
            (Field::Repeats, Lang::Ko) => format!("반복 측정 횟수는 1~{MAX_REPEATS}이어야 합니다"),
        };
        match (self, lang) {
            (Self::Clamped { typed, to }, Lang::En) => {
                format!("{rule}; clamped to {to} (typed {typed})")
            }
            (Self::Clamped { typed, to }, Lang::Ko) => {
                format!("{rule}. {to}(으)로 맞췄습니다 (입력: {typed})")
            }
            (Self::Rounded { typed, to }, Lang::En) => {
                format!("whole numbers only; {typed} rounded to {to}")
            }
            (Self::Rounded { typed, to }, Lang::Ko) => {
                format!("정수만 됩니다. {typed}을(를) {to}(으)로 반올림했습니다")
            }
            (Self::NotANumber { typed, kept }, Lang::En) => {
                format!("{typed:?} is not a number; kept {kept}")
            }
            (Self::NotANumber { typed, kept }, Lang::Ko) => {
                format!("{typed:?}은(는) 숫자가 아닙니다. {kept}을(를) 유지합니다")
            }
        }
    }
}

/// Parses like egui's DragValue (spaces ignored, U+2212 as minus), rounding
/// to a whole number.
fn parse_number(text: &str) -> Option<f64> {
    let clean: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| if c == '−' { '-' } else { c })
        .collect();
    clean
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .map(f64::round)
}

/// What a typed text becomes in `range`, and the note to show (None: taken as typed).
fn classify(text: &str, range: &RangeInclusive<u32>, current: u32) -> Option<InputNote> {
    let typed = text.trim().to_owned();
    let Some(rounded) = parse_number(text) else {
        return Some(InputNote::NotANumber {
            typed,
            kept: current,
        });
    };
    let (lo, hi) = (f64::from(*range.start()), f64::from(*range.end()));
    if rounded < lo || rounded > hi {
        let to = rounded.clamp(lo, hi) as u32;
        return Some(InputNote::Clamped { typed, to });
    }
    let exact = typed.replace(['−', ' '], "").parse::<f64>().ok();
    if exact.is_some_and(|v| v.fract() != 0.0) {
        return Some(InputNote::Rounded {
            typed,
            to: rounded as u32,
        });
    }
    None
}

/// A labelled DragValue over `range` that remembers why a typed value was
/// clamped, rounded or refused (`note`), until the next accepted value.
fn number_field(
    ui: &mut egui::Ui,
    label: &str,
    value: &mut u32,
    range: RangeInclusive<u32>,
    note: &mut Option<InputNote>,
    suffix: &str,
) -> egui::Response {
    let typed: RefCell<Option<String>> = RefCell::new(None);
    let label = ui.label(label);
    let before = *value;
    let response = {
        let typed = &typed;
        let mut drag = egui::DragValue::new(value)
            .range(range.clone())
            .speed(1.0)
            .custom_parser(move |text| {
                *typed.borrow_mut() = Some(text.to_owned());
                parse_number(text)
            });
        if !suffix.is_empty() {
            drag = drag.suffix(suffix.to_owned());
        }
        ui.add(drag).labelled_by(label.id)
    };
    if let Some(text) = typed.into_inner() {
        *note = classify(&text, &range, before);
    } else if response.dragged() && *value != before {
        *note = None;
    }
    response
}

#[derive(Debug, Clone, PartialEq)]
enum Status {
    Info(String),
    Warn(String),
    Error(String),
}

fn show_status(ui: &mut egui::Ui, status: &Status) {
    let (color, text) = match status {
        Status::Info(t) => (GREEN, t),
        Status::Warn(t) => (ORANGE, t),
        Status::Error(t) => (RED, t),
    };
    ui.colored_label(color, text);
}

enum Outcome {
    Bench(Result<BenchResult, BenchError>),
    Sweep(Result<SweepReport, BenchError>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum JobKind {
    Bench,
    Sweep,
}

/// (done, total) packed in one atomic, so the UI never reads a torn pair.
#[derive(Default)]
struct Progress(AtomicU64);

impl Progress {
    fn set(&self, done: u32, total: u32) {
        self.0.store(
            (u64::from(done) << 32) | u64::from(total),
            Ordering::Relaxed,
        );
    }
    fn get(&self) -> (u32, u32) {
        let v = self.0.load(Ordering::Relaxed);
        ((v >> 32) as u32, v as u32)
    }
}

/// A benchmark or sweep running on its worker thread.
struct Job {
    kind: JobKind,
    cancel: Arc<AtomicBool>,
    progress: Arc<Progress>,
    outcome: Receiver<Outcome>,
    thread: Option<JoinHandle<()>>,
    started: Instant,
}

impl Job {
    fn start(
        kind: JobKind,
        ctx: &egui::Context,
        work: impl FnOnce(&dyn Fn(u32, u32) -> bool) -> Outcome + Send + 'static,
    ) -> Result<Self, String> {
        let cancel = Arc::new(AtomicBool::new(false));
        let progress = Arc::new(Progress::default());
        let (tx, outcome) = mpsc::channel();
        let thread = {
            let (cancel, progress, ctx) = (cancel.clone(), progress.clone(), ctx.clone());
            std::thread::Builder::new()
                .name("alloc-bench worker".into())
                .spawn(move || {
                    let report = |done: u32, total: u32| {
                        progress.set(done, total);
                        !cancel.load(Ordering::Relaxed)
                    };
                    let result = work(&report);
                    let _ = tx.send(result);
                    ctx.request_repaint();
                })
                .map_err(|e| format!("cannot start the worker thread: {e}"))?
        };
        Ok(Self {
            kind,
            cancel,
            progress,
            outcome,
            thread: Some(thread),
            started: Instant::now(),
        })
    }
}

impl Drop for Job {
    /// Cancels and waits (briefly) for the worker; it checks the flag every
    /// few tens of milliseconds.
    fn drop(&mut self) {
        self.cancel.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let deadline = Instant::now() + Duration::from_secs(2);
            while !thread.is_finished() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(5));
            }
            if thread.is_finished() {
                let _ = thread.join();
            }
        }
    }
}

/// `bench::run` in chunks, so that Cancel is noticed within [`CANCEL_LATENCY`]
/// even when one pair takes milliseconds (64 MB with touching) and the core's
/// progress steps (1 % of a run) would be far apart. The first chunk is the
/// book's 1000 pairs, timed exactly as one run; later chunks are sized from
/// the measured time per pair. Times, pairs and faults add up over chunks.
pub fn run_cancellable(
    spec: &BenchSpec,
    progress: &dyn Fn(u32, u32) -> bool,
) -> Result<BenchResult, BenchError> {
    spec.validate()?;
    let total = spec.iterations;
    let mut chunk = total.min(FIRST_CHUNK);
    let mut sum: Option<BenchResult> = None;
    let mut done = 0u32;
    loop {
        let part = BenchSpec {
            iterations: chunk,
            ..*spec
        };
        let r = bench::run(&part, &|d, _| progress(done + d, total))?;
        done += r.iterations_done;
        let cancelled = r.cancelled;
        sum = Some(match sum {
            None => r,
            Some(s) => add_results(&s, &r),
        });
        if cancelled || done >= total {
            break;
        }
        if !progress(done, total) {
            if let Some(s) = &mut sum {
                s.cancelled = true;
            }
            break;
        }
        let per_pair_ns = sum.map_or(1.0, |s| s.ns_per_pair).max(1.0);
        let pairs_per_step = (CANCEL_LATENCY.as_nanos() as f64 / per_pair_ns).max(1.0);
        let next = (pairs_per_step * 100.0).min(f64::from(total - done));
        chunk = (next as u32).max(1);
    }
    let mut r = sum.ok_or(BenchError::ZeroIterations)?;
    r.iterations = total;
    r.iterations_done = done;
    r.ns_per_pair = if done == 0 {
        0.0
    } else {
        r.ms * 1e6 / f64::from(done)
    };
    Ok(r)
}

fn add_results(a: &BenchResult, b: &BenchResult) -> BenchResult {
    let add = |x: Option<u64>, y: Option<u64>| x.zip(y).map(|(x, y)| x + y);
    BenchResult {
        iterations_done: a.iterations_done + b.iterations_done,
        ms: a.ms + b.ms,
        ns_per_pair: (a.ms + b.ms) * 1e6
            / f64::from((a.iterations_done + b.iterations_done).max(1)),
        minor_faults: add(a.minor_faults, b.minor_faults),
        major_faults: add(a.major_faults, b.major_faults),
        heap_fallbacks: a.heap_fallbacks + b.heap_fallbacks,
        cancelled: a.cancelled || b.cancelled,
        ..*a
    }
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
    /// Managers in the sweep.
    pub sweep_managers: Vec<ManagerKind>,
    /// Repeats per size in the sweep.
    pub sweep_repeats: u32,
    /// Touch pages in the sweep.
    pub sweep_touch: bool,
    /// Where Export CSV writes.
    pub csv_path: String,
    #[serde(skip)]
    size_note: Option<InputNote>,
    #[serde(skip)]
    iterations_note: Option<InputNote>,
    #[serde(skip)]
    repeats_note: Option<InputNote>,
    #[serde(skip)]
    history: Vec<BenchResult>,
    #[serde(skip)]
    job: Option<Job>,
    #[serde(skip)]
    status: Option<Status>,
    #[serde(skip)]
    sweep: Option<SweepReport>,
    #[serde(skip)]
    sweep_status: Option<Status>,
    #[serde(skip)]
    csv_status: Option<Status>,
    #[serde(skip)]
    queue: VecDeque<Queued>,
}

impl Default for AllocBenchForm {
    fn default() -> Self {
        Self {
            size_kb: 4,
            manager: ManagerKind::Default,
            iterations: DEFAULT_ITERATIONS,
            touch: false,
            sweep_managers: ManagerKind::ALL.to_vec(),
            sweep_repeats: 5,
            sweep_touch: false,
            csv_path: "memlab-sweep.csv".to_owned(),
            size_note: None,
            iterations_note: None,
            repeats_note: None,
            history: Vec::new(),
            job: None,
            status: None,
            sweep: None,
            sweep_status: None,
            csv_status: None,
            queue: VecDeque::new(),
        }
    }
}

impl AllocBenchForm {
    /// The runs so far, oldest first.
    pub fn history(&self) -> &[BenchResult] {
        &self.history
    }

    /// The last sweep, if any.
    pub fn sweep_report(&self) -> Option<&SweepReport> {
        self.sweep.as_ref()
    }

    /// Is a benchmark or sweep running?
    pub fn running(&self) -> bool {
        self.job.is_some()
    }

    /// True when nothing runs and nothing is queued.
    pub fn settled(&self) -> bool {
        self.job.is_none() && self.queue.is_empty()
    }

    /// Queues the book's cases and a quick sweep, to show a filled form (screenshots).
    pub fn demo(&mut self) {
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
    pub fn shutdown(&mut self) {
        self.queue.clear();
        drop(self.job.take());
    }

    fn spec(&self) -> BenchSpec {
        BenchSpec {
            manager: self.manager,
            size_kb: self.size_kb,
            iterations: self.iterations,
            touch: self.touch,
        }
    }

    fn start_bench(&mut self, spec: BenchSpec, ctx: &egui::Context) {
        if let Err(e) = spec.validate() {
            self.status = Some(Status::Error(e.to_string()));
            return;
        }
        match Job::start(JobKind::Bench, ctx, move |progress| {
            Outcome::Bench(run_cancellable(&spec, progress))
        }) {
            Ok(job) => {
                self.status = None;
                self.job = Some(job);
            }
            Err(e) => self.status = Some(Status::Error(e)),
        }
    }

    fn start_sweep(&mut self, spec: SweepSpec, ctx: &egui::Context) {
        if let Err(e) = spec.validate() {
            self.sweep_status = Some(Status::Error(e.to_string()));
            return;
        }
        match Job::start(JobKind::Sweep, ctx, move |progress| {
            Outcome::Sweep(sweep::run(&spec, progress))
        }) {
            Ok(job) => {
                self.sweep_status = None;
                self.job = Some(job);
            }
            Err(e) => self.sweep_status = Some(Status::Error(e)),
        }
    }

    fn poll(&mut self, ctx: &egui::Context, lang: Lang) {
        let outcome = match &self.job {
            Some(job) => match job.outcome.try_recv() {
                Ok(outcome) => Some(outcome),
                Err(mpsc::TryRecvError::Empty) => None,
                Err(mpsc::TryRecvError::Disconnected) => {
                    self.job = None;
                    self.status = Some(Status::Error(
                        lang.pick(
                            "the benchmark worker stopped without a result",
                            "벤치마크 작업 스레드가 결과 없이 끝났습니다",
                        )
                        .into(),
                    ));
                    None
                }
            },
            None => None,
        };
        if let Some(outcome) = outcome {
            self.job = None;
            self.finish(outcome, lang);
        }
        if self.job.is_none()
            && let Some(next) = self.queue.pop_front()
        {
            match next {
                Queued::Bench(spec) => self.start_bench(spec, ctx),
                Queued::Sweep(spec) => self.start_sweep(spec, ctx),
            }
        }
        if self.job.is_some() {
            ctx.request_repaint_after(Duration::from_millis(30));
        }
    }

    fn finish(&mut self, outcome: Outcome, lang: Lang) {
        match outcome {
            Outcome::Bench(Ok(r)) => {
                self.status = if r.cancelled {
                    Some(Status::Warn(format!(
                        "{} {} / {} {}",
                        lang.pick("Cancelled after", "취소됨:"),
                        r.iterations_done,
                        r.iterations,
                        lang.pick("pairs", "쌍 완료")
                    )))
                } else if r.heap_fallbacks > 0 {
                    Some(Status::Warn(format!(
                        "{} {} {}",
                        lang.pick("The private heap was full:", "전용 힙이 가득 참:"),
                        r.heap_fallbacks,
                        lang.pick(
                            "blocks were served by the default manager instead",
                            "개 블록을 대신 기본 관리자가 할당했습니다"
                        )
                    )))
                } else {
                    None
                };
                if self.history.len() >= HISTORY_MAX {
                    self.history.remove(0);
                }
                self.history.push(r);
            }
            Outcome::Bench(Err(e)) => self.status = Some(Status::Error(e.to_string())),
            Outcome::Sweep(Ok(report)) => {
                self.sweep_status = if report.cancelled {
                    let sizes = report.rows.len() / report.spec.managers.len().max(1);
                    Some(Status::Warn(format!(
                        "{} {sizes} / {} {}",
                        lang.pick("Cancelled; sizes measured:", "취소됨; 측정한 크기:"),
                        report.spec.sizes_kb.len(),
                        lang.pick("(partial results below)", "(아래는 일부 결과)")
                    )))
                } else {
                    None
                };
                self.csv_status = None;
                self.sweep = Some(report);
            }
            Outcome::Sweep(Err(e)) => self.sweep_status = Some(Status::Error(e.to_string())),
        }
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, lang: Lang) {
        self.poll(ui.ctx(), lang);
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
        egui::CollapsingHeader::new(lang.pick(
            "Sweep: 1 KB to 64 MB, every manager",
            "스윕: 1 KB부터 64 MB까지, 모든 관리자",
        ))
        .id_salt("alloc-sweep")
        .default_open(true)
        .show(ui, |ui| self.sweep_section(ui, lang));
    }

    fn bench_section(&mut self, ui: &mut egui::Ui, lang: Lang) {
        let busy = self.job.is_some();
        ui.horizontal(|ui| {
            number_field(
                ui,
                lang.pick("Size (KB)", "크기 (KB)"),
                &mut self.size_kb,
                1..=MAX_SIZE_KB,
                &mut self.size_note,
                "",
            );
            for (kb, text) in [
                (4, lang.pick("4 KB (book)", "4 KB (책)")),
                (4096, lang.pick("4 MB (book)", "4 MB (책)")),
            ] {
                if ui.button(text).clicked() {
                    self.size_kb = kb;
                    self.size_note = None;
                }
            }
            ui.add_space(12.0);
            number_field(
                ui,
                lang.pick("Iterations", "반복 횟수"),
                &mut self.iterations,
                1..=MAX_ITERATIONS,
                &mut self.iterations_note,
                "",
            );
            ui.checkbox(
                &mut self.touch,
                lang.pick("Touch every page", "모든 페이지에 쓰기"),
            )
            .on_hover_text(lang.pick(
                "Write one byte per page of each block, so the OS really has to provide the pages",
                "블록의 페이지마다 1바이트를 써서 운영체제가 실제로 페이지를 내주게 합니다",
            ));
        });
        for note in [&self.size_note, &self.iterations_note]
            .into_iter()
            .zip([Field::Size, Field::Iterations])
            .filter_map(|(n, f)| n.as_ref().map(|n| (n, f)))
            .map(|(n, f)| n.text(f, lang))
        {
            ui.colored_label(RED, note);
        }
        ui.horizontal_wrapped(|ui| {
            ui.label(lang.pick("Memory manager", "메모리 관리자"));
            for kind in ManagerKind::ALL {
                ui.radio_value(&mut self.manager, kind, kind.name())
                    .on_hover_text(super::manager_description(kind, lang));
            }
            ui.add_space(8.0);
            ui.weak(super::manager_description(self.manager, lang));
        });
        ui.add_space(4.0);
        ui.horizontal_wrapped(|ui| {
            let caption = match self.history.last() {
                Some(last) => format!("{} ({:.1} ms)", lang.pick("Run", "실행"), last.ms),
                None => lang.pick("Run", "실행").to_owned(),
            };
            let run = ui.add_enabled(!busy, egui::Button::new(caption));
            if run.clicked() {
                let spec = self.spec();
                self.start_bench(spec, ui.ctx());
            }
            if self.job.as_ref().is_some_and(|j| j.kind == JobKind::Bench) {
                self.progress_row(ui, lang, lang.pick("pairs", "쌍"));
            } else if let Some(last) = self.history.last() {
                ui.label(summary(last, lang));
            }
        });
        if let Some(status) = &self.status {
            show_status(ui, status);
        }
        egui::CollapsingHeader::new(format!(
            "{} ({})",
            lang.pick("History", "기록"),
            self.history.len()
        ))
        .id_salt("alloc-history")
        .default_open(true)
        .show(ui, |ui| {
            if !self.history.is_empty()
                && ui
                    .small_button(lang.pick("Clear history", "기록 지우기"))
                    .clicked()
            {
                self.history.clear();
            }
            egui::ScrollArea::vertical()
                .id_salt("alloc-history-scroll")
                .max_height(120.0)
                .show(ui, |ui| self.history_table(ui, lang));
        });
    }

    /// Progress bar, elapsed time and Cancel, for the running job.
    fn progress_row(&mut self, ui: &mut egui::Ui, lang: Lang, unit: &str) {
        let Some(job) = &self.job else { return };
        let (done, total) = job.progress.get();
        let fraction = if total == 0 {
            0.0
        } else {
            done as f32 / total as f32
        };
        let cancelling = job.cancel.load(Ordering::Relaxed);
        ui.add(
            egui::ProgressBar::new(fraction)
                .desired_width(260.0)
                .text(format!("{done} / {total} {unit}")),
        );
        ui.label(format!("{:.1} s", job.started.elapsed().as_secs_f64()));
        let text = if cancelling {
            lang.pick("Cancelling…", "취소하는 중…")
        } else {
            lang.pick("Cancel", "취소")
        };
        if ui
            .add_enabled(!cancelling, egui::Button::new(text))
            .clicked()
        {
            job.cancel.store(true, Ordering::Relaxed);
        }
    }

    fn history_table(&mut self, ui: &mut egui::Ui, lang: Lang) {
        if self.history.is_empty() {
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
                for head in [
                    "#",
                    lang.pick("manager", "관리자"),
                    lang.pick("size", "크기"),
                    lang.pick("pairs", "반복"),
                    lang.pick("touch", "쓰기"),
                    "ms",
                    lang.pick("ns / pair", "ns / 쌍"),
                    lang.pick("minor faults", "minor 폴트"),
                    lang.pick("major faults", "major 폴트"),
                    lang.pick("note", "비고"),
                ] {
                    ui.strong(head);
                }
                ui.end_row();
                let faults = |f: Option<u64>| f.map_or_else(|| "-".to_owned(), |n| n.to_string());
                for (i, r) in self.history.iter().enumerate().rev() {
                    ui.label(format!("#{}", i + 1));
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
                        ui.colored_label(ORANGE, notes.join(", "));
                    }
                    ui.end_row();
                }
            });
    }

    fn sweep_section(&mut self, ui: &mut egui::Ui, lang: Lang) {
        let busy = self.job.is_some();
        ui.horizontal(|ui| {
            ui.label(lang.pick("Managers", "관리자"));
            for kind in ManagerKind::ALL {
                let mut on = self.sweep_managers.contains(&kind);
                if ui.checkbox(&mut on, kind.name()).changed() {
                    self.sweep_managers.retain(|&k| k != kind);
                    if on {
                        self.sweep_managers.push(kind);
                        self.sweep_managers.sort();
                    }
                }
            }
            ui.add_space(12.0);
            number_field(
                ui,
                lang.pick("Repeats (median)", "반복 측정 (중앙값)"),
                &mut self.sweep_repeats,
                1..=MAX_REPEATS,
                &mut self.repeats_note,
                "",
            );
            ui.checkbox(
                &mut self.sweep_touch,
                lang.pick("Touch pages in the sweep", "스윕에서 페이지에 쓰기"),
            );
        });
        if let Some(note) = &self.repeats_note {
            ui.colored_label(RED, note.text(Field::Repeats, lang));
        }
        ui.horizontal(|ui| {
            if ui
                .add_enabled(
                    !busy && !self.sweep_managers.is_empty(),
                    egui::Button::new(lang.pick("Run sweep", "스윕 실행")),
                )
                .clicked()
            {
                let spec = SweepSpec {
                    managers: self.sweep_managers.clone(),
                    repeats: self.sweep_repeats,
                    touch: self.sweep_touch,
                    ..SweepSpec::default()
                };
                self.start_sweep(spec, ui.ctx());
            }
            if self.job.as_ref().is_some_and(|j| j.kind == JobKind::Sweep) {
                self.progress_row(ui, lang, lang.pick("measurements", "회 측정"));
            } else {
                ui.weak(lang.pick(
                    "17 sizes × managers × repeats; 1000 pairs up to 256 KB, then 256 MiB of blocks per measurement",
                    "17개 크기 × 관리자 × 반복; 256 KB까지는 1000쌍, 그 위로는 측정마다 256 MiB 분량",
                ));
            }
        });
        if let Some(status) = &self.sweep_status {
            show_status(ui, status);
        }
        let width = ui.available_width();
        ui.horizontal_top(|ui| {
            ui.allocate_ui(egui::vec2(width * 0.58, 0.0), |ui| {
                self.sweep_plot(ui, lang);
            });
            ui.vertical(|ui| {
                ui.set_max_width(width * 0.42 - 12.0);
                egui::ScrollArea::vertical()
                    .id_salt("alloc-explanation")
                    .max_height(250.0)
                    .show(ui, |ui| explanation(ui, lang));
            });
        });
        if let Some(report) = &self.sweep {
            let crossings = sweep::crossovers_with_margin(&report.rows, CROSSOVER_MARGIN);
            ui.label(RichText::new(lang.pick("Crossovers", "교차점")).strong());
            if crossings.is_empty() {
                ui.weak(lang.pick(
                    "none: one manager leads at every size (within 5 %)",
                    "없음: 모든 크기에서 한 관리자가 앞섭니다 (5 % 이내)",
                ));
            }
            for (i, c) in crossings.iter().enumerate() {
                ui.label(format!("{}. {}", i + 1, crossover_text_in(c, lang)));
            }
        }
        self.csv_row(ui, lang);
    }

    fn sweep_plot(&self, ui: &mut egui::Ui, lang: Lang) {
        let Some(report) = &self.sweep else {
            ui.weak(lang.pick(
                "Run a sweep to see ns per pair over block size (log-log).",
                "스윕을 실행하면 블록 크기에 따른 쌍당 ns가 (로그-로그로) 그려집니다.",
            ));
            return;
        };
        let crossings = sweep::crossovers_with_margin(&report.rows, CROSSOVER_MARGIN);
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
                    plot.text(Text::new(
                        label,
                        PlotPoint::new(x, max_y.ceil() - 0.1),
                        (i + 1).to_string(),
                    ));
                }
            });
    }

    fn csv_row(&mut self, ui: &mut egui::Ui, lang: Lang) {
        ui.horizontal(|ui| {
            let label = ui.label(lang.pick("CSV file", "CSV 파일"));
            ui.add(egui::TextEdit::singleline(&mut self.csv_path).desired_width(320.0))
                .labelled_by(label.id);
            let can = self.sweep.is_some() && !self.csv_path.trim().is_empty();
            if ui
                .add_enabled(
                    can,
                    egui::Button::new(lang.pick("Export CSV", "CSV로 내보내기")),
                )
                .clicked()
                && let Some(report) = &self.sweep
            {
                let path = std::path::PathBuf::from(self.csv_path.trim());
                let shown = std::path::absolute(&path).unwrap_or_else(|_| path.clone());
                let csv = sweep::to_csv(report, &SystemInfo::collect());
                self.csv_status = Some(match std::fs::write(&path, csv) {
                    Ok(()) => Status::Info(format!(
                        "{} {}",
                        lang.pick("Written to", "저장함:"),
                        shown.display()
                    )),
                    Err(e) => Status::Error(format!(
                        "{} {}: {e}",
                        lang.pick("Cannot write", "쓸 수 없음:"),
                        shown.display()
                    )),
                });
            }
        });
        if let Some(status) = &self.csv_status {
            show_status(ui, status);
        }
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

fn summary(r: &BenchResult, lang: Lang) -> String {
    let faults = match (r.minor_faults, r.major_faults) {
        (Some(minor), Some(major)) => match lang {
            Lang::En => format!("page faults: {minor} minor, {major} major"),
            Lang::Ko => format!("페이지 폴트: minor {minor}, major {major}"),
        },
        _ => lang
            .pick(
                "page faults: not available on this OS",
                "페이지 폴트: 이 OS에서는 알 수 없음",
            )
            .to_owned(),
    };
    match lang {
        Lang::En => format!(
            "Last run: {}, {} × {} pairs{}: {:.3} ms, {} per pair; {faults}",
            r.manager,
            format_size_kb(r.size_kb),
            r.iterations_done,
            if r.touch { ", pages touched" } else { "" },
            r.ms,
            format_ns(r.ns_per_pair)
        ),
        Lang::Ko => format!(
            "마지막 실행: {}, {} × {}쌍{}: {:.3} ms, 쌍당 {}; {faults}",
            r.manager,
            format_size_kb(r.size_kb),
            r.iterations_done,
            if r.touch { ", 페이지에 씀" } else { "" },
            r.ms,
            format_ns(r.ns_per_pair)
        ),
    }
}

/// Why the curves bend, in memlab's words.
fn explanation(ui: &mut egui::Ui, lang: Lang) {
    ui.label(RichText::new(lang.pick("Why the curves bend", "곡선이 꺾이는 이유")).strong());
    let points: [(&str, &str); 5] = [
        (
            "glibc (default) takes small blocks from its heap arenas, but a block at or above its mmap threshold gets a mapping of its own, which free hands straight back with munmap: two system calls per pair. The threshold starts at 128 KiB; when such a mapped block is freed, glibc raises it to that block's size (M_MMAP_THRESHOLD grows up to 32 MiB on 64-bit), so a repeated 1 MB block soon stays in the heap, while 64 MB is always mapped and unmapped.",
            "glibc(default)는 작은 블록을 힙 아레나에서 내주지만, mmap 임계값 이상인 블록은 따로 매핑을 만들고 free 때 munmap으로 바로 돌려줍니다: 쌍마다 시스템 호출 두 번. 임계값은 128 KiB에서 시작하고, 그렇게 매핑된 블록이 해제되면 그 크기로 올라갑니다(M_MMAP_THRESHOLD는 64비트에서 32 MiB까지). 그래서 반복되는 1 MB 블록은 곧 힙에 머물지만 64 MB는 매번 매핑하고 해제합니다.",
        ),
        (
            "Touching pages: a fresh mapping costs almost nothing until it is used; the first write to each 4 KiB page is a minor page fault in which the kernel supplies a zeroed page. With touching, a block that is mapped anew every time costs one fault per page, so time grows with the size; memory that is reused stays mapped and faults no more.",
            "페이지에 쓰기: 새 매핑은 쓰기 전까지는 거의 비용이 없고, 4 KiB 페이지마다 첫 쓰기가 minor 페이지 폴트가 되어 커널이 0으로 채운 페이지를 내줍니다. 쓰기를 켜면 매번 새로 매핑되는 블록은 페이지마다 폴트가 나서 크기에 비례해 느려지고, 재사용되는 메모리는 이미 매핑되어 있어 폴트가 더 나지 않습니다.",
        ),
        (
            "Small-block caches: glibc's per-thread tcache keeps freed blocks of up to 1032 bytes, so 1 KB is handed back at once while 2 KB takes the slower bin path. mimalloc keeps thread-local free lists per size class, much like Delphi's FastMM: fast and flat up to 256 KB. Above that its large-block path costs hundreds of ns here, and what it frees goes back to the OS only after a short delay, so a tight loop reuses it without faults.",
            "작은 블록 캐시: glibc의 스레드별 tcache는 1032바이트까지의 해제된 블록을 보관하므로 1 KB는 곧바로 다시 나오고 2 KB는 더 느린 bin 경로를 탑니다. mimalloc은 크기 등급별 스레드 로컬 free 리스트를 둡니다(델파이의 FastMM과 비슷): 256 KB까지 빠르고 평평합니다. 그보다 크면 큰 블록 경로가 여기서 수백 ns 걸리고, 해제한 메모리는 잠시 뒤에야 운영체제에 돌려주므로 빠른 반복에서는 폴트 없이 재사용됩니다.",
        ),
        (
            "The private heap (heap) commits pages once as it grows and never gives them back, like a Win32 heap made with HeapCreate: after the first block of a size every later one reuses committed, already-faulted memory, so touching adds no faults, even at 64 MB.",
            "전용 힙(heap)은 커질 때 페이지를 한 번 커밋하고 돌려주지 않습니다(HeapCreate로 만든 Win32 힙처럼). 그래서 같은 크기의 첫 블록 이후에는 이미 커밋되고 폴트가 끝난 메모리를 재사용하므로, 64 MB에서도 쓰기가 폴트를 늘리지 않습니다.",
        ),
        (
            "A crossover (dashed line) is where the fastest manager changes: one regime hands over to the next.",
            "교차점(점선)은 가장 빠른 관리자가 바뀌는 곳, 즉 한 방식에서 다른 방식으로 넘어가는 지점입니다.",
        ),
    ];
    for (en, ko) in points {
        ui.label(format!("• {}", lang.pick(en, ko)));
    }
}

impl super::Lab for AllocBenchForm {
    fn id(&self) -> &'static str {
        "alloc-bench"
    }

    fn title(&self, lang: Lang) -> &'static str {
        lang.pick("Allocation benchmark", "메모리 할당 벤치마크")
    }

    fn ui(&mut self, ui: &mut egui::Ui, lang: Lang) {
        AllocBenchForm::ui(self, ui, lang);
    }

    fn settled(&self) -> bool {
        AllocBenchForm::settled(self)
    }

    fn demo(&mut self) {
        AllocBenchForm::demo(self);
    }

    fn shutdown(&mut self) {
        AllocBenchForm::shutdown(self);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_values_are_classified() {
        let r = 1..=MAX_SIZE_KB;
        assert_eq!(classify("64", &r, 4), None);
        assert_eq!(
            classify("70000", &r, 4),
            Some(InputNote::Clamped {
                typed: "70000".into(),
                to: 65536
            })
        );
        assert_eq!(
            classify("-3", &r, 4),
            Some(InputNote::Clamped {
                typed: "-3".into(),
                to: 1
            })
        );
        assert_eq!(
            classify("4.6", &r, 4),
            Some(InputNote::Rounded {
                typed: "4.6".into(),
                to: 5
            })
        );
        assert_eq!(
            classify("abc", &r, 4),
            Some(InputNote::NotANumber {
                typed: "abc".into(),
                kept: 4
            })
        );
        let note = classify("0", &r, 4).unwrap();
        assert_eq!(
            note.text(Field::Size, Lang::En),
            "size must be 1 to 65536 KB; clamped to 1 (typed 0)"
        );
    }

    #[test]
    fn formats() {
        assert_eq!(format_size_kb(4), "4 KB");
        assert_eq!(format_size_kb(4096), "4 MB");
        assert_eq!(format_size_kb(1536), "1536 KB");
        assert_eq!(format_ns(52.04), "52.0 ns");
        assert_eq!(format_ns(1520.0), "1.52 µs");
        assert_eq!(format_ns(2.5e6), "2.50 ms");
        assert_eq!(format_bytes(512), "512 B");
        assert_eq!(format_bytes(3 << 20), "3.00 MiB");
    }

    #[test]
    fn chunked_run_adds_up_and_cancels() {
        let spec = BenchSpec {
            iterations: 2500,
            ..BenchSpec::new(ManagerKind::Default, 1)
        };
        let r = run_cancellable(&spec, &|_, _| true).unwrap();
        assert_eq!(
            (r.iterations, r.iterations_done, r.cancelled),
            (2500, 2500, false)
        );
        assert!(r.ms > 0.0);
        assert!((r.ns_per_pair - r.ms * 1e6 / 2500.0).abs() < 1e-6);
        // bench::run asks for cancel by run time (every 25 ms), so cancel a long run.
        let spec = BenchSpec {
            iterations: 100_000_000,
            ..spec
        };
        let r = run_cancellable(&spec, &|done, _| done < 1200).unwrap();
        assert!(r.cancelled);
        assert!(r.iterations_done >= 1000 && r.iterations_done < 100_000_000);
        assert_eq!(r.iterations, 100_000_000);
    }
}
