//! The page lab (VirtualAlloc and friends, the chapter's §1 and §3): reserve
//! pages of memlab's own address space, commit, decommit, protect, lock,
//! read and write them, and watch each page's state in a grid, beside the
//! process's RSS and the system's commit charge.
//!
//! The reservations live on a worker thread (`worker`), which runs the
//! operations in order and sends back a fresh view after each batch; while
//! the form is shown, the worker also looks again every second or so and
//! sends a view only when something in it changed, so the costs are live,
//! an idle lab is not redrawn, and nothing slow runs on the UI thread.
//! The reservations are real ones of this process: the address-space map
//! names them.

mod controls;
mod facts;
mod grid;
// The help names the calls as made on each OS.
#[cfg(not(windows))]
pub(crate) mod help;
#[cfg(windows)]
#[path = "help_windows.rs"]
pub(crate) mod help;
mod log;
mod messages;
// The words that name the OS's calls, per OS.
#[cfg_attr(windows, path = "os_text/windows.rs")]
#[cfg_attr(not(windows), path = "os_text/linux.rs")]
mod os_text;
mod worker;

use std::time::Duration;

use eframe::egui;
use serde::{Deserialize, Serialize};

pub use controls::Controls;
use log::{OperationLog, report_ui};
use worker::{Command, Done, Engine, RangeOp, Request, ReservationView, View, Worker};

use crate::forms::Lab;
use crate::forms::vm::messages::VmNote;
use crate::forms::widgets::{LiveRefresh, Status, show_status};
use crate::lab_id::LabId;
use memlab_engine::i18n::{Lang, Localized};
use memlab_engine::vm::Operation;
use memlab_engine::vm::pages::{Decommit, PageState, Protection, ReservationId};

/// How often, at most, the worker looks for changes in the view (costs,
/// residency, charge flags) while the lab is shown...
const LIVE: Duration = Duration::from_secs(1);
/// ...and the share of one core its redraws may use, so less often when a
/// frame is expensive (an idle window is meant to stay under 1 %).
const LIVE_BUDGET: f64 = 0.006;
/// From this width up, the costs and facts stand beside the grid (at the
/// normal text size: both grow with the text)...
const SIDE_BY_SIDE: f32 = 700.0;
/// ...in this width, or this share of a wider window's, up to [`SIDE_MAX`]
/// (on a full screen, the costs' values then hold on one line)...
const SIDE: f32 = 290.0;
const SIDE_SHARE: f32 = 0.3;
const SIDE_MAX: f32 = 440.0;
/// egui's body text size, which [`SIDE`] is made for.
const BODY_SIZE: f32 = 12.5;
/// Pages of the screenshot demo's reservation.
const DEMO_PAGES: usize = 512;

/// The page lab.
#[derive(Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PageLabForm {
    pub controls: Controls,
    /// The demo's lab, until the worker takes it over.
    #[serde(skip)]
    engine: Option<Engine>,
    #[serde(skip)]
    worker: Option<Worker>,
    /// The worker thread could not start: say so once, do not retry.
    #[serde(skip)]
    start_failed: bool,
    #[serde(skip)]
    view: Option<View>,
    /// Paces the worker's looks for changes.
    #[serde(skip)]
    live: Option<LiveRefresh>,
    /// The reservation the grid shows.
    #[serde(skip)]
    selected: Option<ReservationId>,
    /// The page whose facts the worker was last asked for.
    #[serde(skip)]
    sent_select: Option<(ReservationId, usize)>,
    /// Where the last click or drag on the grid began.
    #[serde(skip)]
    anchor: Option<usize>,
    #[serde(skip)]
    log: OperationLog,
    #[serde(skip)]
    status: Option<Status>,
}

impl PageLabForm {
    /// The latest view, once the worker sent one.
    pub fn view_pages(&self) -> Option<Vec<(ReservationId, Vec<PageState>)>> {
        self.view.as_ref().map(|v| {
            v.reservations
                .iter()
                .map(|r| (r.id, r.pages.iter().map(|p| p.state).collect()))
                .collect()
        })
    }

    /// The reservation the grid shows.
    pub fn selected(&self) -> Option<ReservationId> {
        self.selected
    }

    /// The operations so far, in English (oldest first).
    pub fn log_lines(&self) -> Vec<String> {
        self.log.reports().map(|r| r.localized(Lang::En)).collect()
    }

    /// Is an operation still running or queued?
    pub fn busy(&self) -> bool {
        self.worker.as_ref().is_some_and(Worker::busy)
    }

    /// The demo with a reservation of `pages` pages (at least 64): committed,
    /// touched, read-only, no-access, locked and still-charged pages, a child
    /// process killed by an access violation, and a second reservation.
    pub fn demo_with(&mut self, pages: usize) {
        let pages = pages.max(64);
        let mut engine = Engine::default();
        let mut run = |log: &mut OperationLog, command| {
            let report = engine.handle(command)?;
            let done = report.result.clone().ok();
            log.push(report);
            done
        };
        let Some(Done::Reserved { id, .. }) = run(&mut self.log, Command::Reserve { pages }) else {
            return;
        };
        if let Some(Done::Reserved { id: second, .. }) =
            run(&mut self.log, Command::Reserve { pages: 64 })
        {
            let commit = Command::Range {
                id: second,
                pages: 0..16,
                op: RangeOp::Commit,
            };
            run(&mut self.log, commit);
        }
        // Parts of the first reservation, in 512ths.
        let at = |n: usize| pages * n / 512;
        let range = |from: usize, to: usize| at(from)..at(to);
        let steps = [
            (range(0, 320), RangeOp::Commit),
            (range(0, 96), RangeOp::Write(42)),
            (range(64, 128), RangeOp::Protect(Protection::ReadOnly)),
            (range(128, 160), RangeOp::Protect(Protection::NoAccess)),
            (range(192, 256), RangeOp::Lock),
            (range(256, 288), RangeOp::Write(7)),
            (range(256, 288), RangeOp::Decommit(Decommit::DontNeed)),
            (range(70, 71), RangeOp::Write(1)),
            (range(70, 71), RangeOp::Child { write: true }),
        ];
        for (pages, op) in steps {
            run(&mut self.log, Command::Range { id, pages, op });
        }
        self.selected = Some(id);
        self.controls.select(range(64, 68));
        self.engine = Some(engine);
    }

    fn send(&mut self, command: Command) {
        let sent = self.worker.as_mut().is_some_and(|w| w.send(command));
        if !sent && self.worker.is_some() {
            self.lost();
        }
    }

    fn lost(&mut self) {
        self.worker = None;
        self.view = None;
        self.status = Some(Status::error(VmNote::WorkerLost));
    }

    fn ensure_worker(&mut self, ctx: &egui::Context) {
        if self.worker.is_some() || self.start_failed {
            return;
        }
        let engine = self.engine.take().unwrap_or_default();
        match Worker::start(engine, ctx) {
            Ok(worker) => {
                self.worker = Some(worker);
                self.sent_select = None;
                self.send(Command::Refresh);
            }
            Err(e) => {
                self.start_failed = true;
                self.status = Some(Status::error(VmNote::WorkerNotStarted(e)));
            }
        }
    }

    /// Takes the worker's replies: reports into the log, the newest view.
    fn poll(&mut self) {
        let Some(worker) = &mut self.worker else {
            return;
        };
        let Some(replies) = worker.replies() else {
            self.lost();
            return;
        };
        for reply in replies {
            for report in reply.reports {
                if let (Request::Reserve { pages }, Ok(Done::Reserved { id, .. })) =
                    (&report.request, &report.result)
                {
                    // Show the new reservation, with a range inside it.
                    self.selected = Some(*id);
                    if self.controls.range().end > *pages {
                        let count = (self.controls.count as usize).min(*pages);
                        self.controls.select(0..count);
                    }
                }
                self.log.push(report);
            }
            self.view = Some(reply.view);
        }
        if let Some(view) = &self.view
            && !view
                .reservations
                .iter()
                .any(|r| Some(r.id) == self.selected)
        {
            self.selected = view.reservations.last().map(|r| r.id);
        }
    }

    /// Live numbers: while the lab is shown (this runs only then), the
    /// worker follows the view and answers when it changed; its answer
    /// repaints the window, and the next frame asks again.
    fn keep_live(&mut self) {
        if self
            .worker
            .as_ref()
            .is_some_and(|w| !w.busy() && !w.following())
        {
            let every = self
                .live
                .get_or_insert_with(|| LiveRefresh::new(LIVE, LIVE_BUDGET))
                .next_period();
            self.send(Command::Follow { every });
        }
    }

    /// Asks for the facts of the page the range starts on, when it changed.
    fn sync_selection(&mut self) {
        let wanted = self.selected.map(|id| (id, self.controls.from as usize));
        if wanted != self.sent_select
            && let Some((id, page)) = wanted
        {
            self.sent_select = wanted;
            self.send(Command::Select { id, page });
        }
    }

    /// Reserve, Release and Forget, then the reservations as tabs.
    fn reservations_ui(&mut self, ui: &mut egui::Ui, lang: Lang) -> Vec<Command> {
        let mut commands = Vec::new();
        let list: Vec<(ReservationId, usize, bool)> =
            self.view.as_ref().map_or_else(Vec::new, |v| {
                v.reservations
                    .iter()
                    .map(|r| (r.id, r.pages.len(), r.released))
                    .collect()
            });
        let shown = list.iter().find(|r| Some(r.0) == self.selected).copied();
        ui.horizontal_wrapped(|ui| {
            commands.extend(self.controls.reserve_ui(ui, lang));
            let release = egui::Button::new(lang.pick("Release", "해제"));
            let calls = controls::calls(Operation::Release);
            if ui
                .add_enabled(shown.is_some(), release)
                .on_hover_text(&calls)
                .on_disabled_hover_text(&calls)
                .clicked()
                && let Some((id, ..)) = shown
            {
                commands.push(Command::Release { id });
            }
            let forget = egui::Button::new(lang.pick("Forget released", "해제된 예약 지우기"));
            if ui.add_enabled(shown.is_some_and(|r| r.2), forget).clicked()
                && let Some((id, ..)) = shown
            {
                commands.push(Command::Forget { id });
            }
        });
        self.controls.reserve_note(ui, lang);
        ui.horizontal_wrapped(|ui| {
            ui.label(lang.pick("Reservations", "예약 목록"));
            if list.is_empty() {
                ui.weak(lang.pick("none yet", "아직 없음"));
            }
            for &(id, pages, released) in &list {
                let text = match (released, lang) {
                    (false, Lang::En) => format!("{id} · {pages} pages"),
                    (false, Lang::Ko) => format!("{id} · {pages}페이지"),
                    (true, Lang::En) => format!("{id} · released"),
                    (true, Lang::Ko) => format!("{id} · 해제됨"),
                };
                if ui
                    .selectable_label(self.selected == Some(id), text)
                    .clicked()
                {
                    self.selected = Some(id);
                }
            }
            if let Some(r) = self.shown() {
                ui.weak(format!("({} {:#x})", lang.pick("at", "주소"), r.base));
            }
        });
        commands
    }

    fn shown(&self) -> Option<&ReservationView> {
        let view = self.view.as_ref()?;
        view.reservations
            .iter()
            .find(|r| Some(r.id) == self.selected)
    }

    /// The last operation (or the worker's trouble), under the buttons.
    fn status_ui(&self, ui: &mut egui::Ui, lang: Lang) {
        show_status(ui, lang, self.status.as_ref());
        // Room for a report of two lines and its calls, so that the grid
        // below does not jump as reports of different lengths come and go.
        let room = ui.text_style_height(&egui::TextStyle::Body) * 2.0
            + ui.text_style_height(&egui::TextStyle::Small)
            + ui.spacing().item_spacing.y * 2.0;
        ui.horizontal_top(|ui| {
            ui.set_min_height(room);
            // The spinner keeps its place whether it turns or not.
            let (rect, _) = ui.allocate_exact_size(egui::vec2(16.0, 16.0), egui::Sense::hover());
            if self.busy() {
                egui::Spinner::new().paint_at(ui, rect);
            }
            ui.vertical(|ui| match self.log.last() {
                Some(report) => report_ui(ui, report, lang),
                None => {
                    ui.weak(lang.pick(
                        "Reserve some pages to begin: nothing is committed yet, so nothing is charged.",
                        "먼저 페이지를 예약하세요. 아직 아무것도 커밋하지 않았으니 커밋 양도 그대로입니다.",
                    ));
                }
            });
        });
    }

    /// The grid of the shown reservation, its legend, the costs and facts.
    fn pages_ui(&mut self, ui: &mut egui::Ui, lang: Lang) {
        let Some(view) = self.view.as_ref() else {
            ui.spinner();
            return;
        };
        let shown = view
            .reservations
            .iter()
            .find(|r| Some(r.id) == self.selected);
        let last = self.log.last();
        let max_height = (ui.ctx().content_rect().height() * 0.5).max(120.0);
        let mut picked = None;
        let mut grid = |ui: &mut egui::Ui, anchor: &mut Option<usize>| {
            if let Some(r) = shown {
                grid::legend(ui, lang);
                picked = grid::page_grid(ui, r, &self.controls.range(), anchor, max_height, lang);
            }
        };
        let text_scale = egui::TextStyle::Body.resolve(ui.style()).size / BODY_SIZE;
        let side =
            (ui.available_width() * SIDE_SHARE).clamp(SIDE * text_scale, SIDE_MAX * text_scale);
        if shown.is_none() {
            // No reservation yet: no grid, no page to query. The costs stand
            // where the grid would, at the lab's left edge, not beside an
            // empty column as wide as the window.
            facts::costs_panel(ui, view, None, last, lang);
        } else if ui.available_width() >= SIDE_BY_SIDE * text_scale {
            ui.horizontal_top(|ui| {
                let grid_width = ui.available_width() - side - ui.spacing().item_spacing.x;
                let layout = egui::Layout::top_down(egui::Align::Min);
                ui.allocate_ui_with_layout(egui::vec2(grid_width, 0.0), layout, |ui| {
                    ui.set_width(grid_width);
                    grid(ui, &mut self.anchor);
                });
                ui.allocate_ui_with_layout(egui::vec2(side, 0.0), layout, |ui| {
                    ui.set_width(side);
                    facts::costs_panel(ui, view, shown, last, lang);
                    ui.add_space(6.0);
                    facts::facts_panel(ui, view.facts.as_ref(), lang);
                });
            });
        } else {
            facts::costs_panel(ui, view, shown, last, lang);
            ui.add_space(6.0);
            grid(ui, &mut self.anchor);
            ui.add_space(6.0);
            facts::facts_panel(ui, view.facts.as_ref(), lang);
        }
        if let Some(range) = picked {
            self.controls.select(range);
        }
    }
}

impl Lab for PageLabForm {
    fn id(&self) -> LabId {
        LabId::PageLab
    }

    fn title(&self, lang: Lang) -> &'static str {
        lang.pick("Page lab (VirtualAlloc)", "페이지 실험실 (VirtualAlloc)")
    }

    fn ui(&mut self, ui: &mut egui::Ui, lang: Lang) {
        self.ensure_worker(ui.ctx());
        self.poll();
        self.keep_live();
        ui.heading(lang.pick(
            "Page lab (VirtualAlloc and friends)",
            "페이지 실험실 (VirtualAlloc과 관련 함수)",
        ));
        ui.add(egui::Label::new(os_text::INTRO.get(lang)).wrap());
        ui.add_space(4.0);
        let mut commands = self.reservations_ui(ui, lang);
        let (id, pages) = self
            .shown()
            .map_or((None, 0), |r| (Some(r.id), r.pages.len()));
        commands.extend(self.controls.operations_ui(ui, lang, id, pages));
        ui.add_space(4.0);
        self.status_ui(ui, lang);
        ui.separator();
        self.pages_ui(ui, lang);
        ui.add_space(6.0);
        self.log.ui(ui, lang);
        for command in commands {
            self.send(command);
        }
        self.sync_selection();
    }

    /// True once the worker answered everything asked.
    fn settled(&self) -> bool {
        self.engine.is_none() && self.view.is_some() && !self.busy()
    }

    fn demo(&mut self) {
        self.demo_with(DEMO_PAGES);
    }

    /// Stops the worker, which releases every reservation.
    fn shutdown(&mut self) {
        drop(self.worker.take());
        drop(self.engine.take());
    }
}
