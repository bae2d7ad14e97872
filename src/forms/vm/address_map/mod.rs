//! The address-space map of memlab itself, or, as VMMap picks a process, of
//! another process of this account (memlab's other windows first, by their
//! instance numbers), in the style of Sysinternals VMMap: totals per type,
//! the largest free block, a strip of the whole address space, every region
//! with memlab's own objects named (the page lab's reservations among them:
//! the labs share this process), and what changed between refreshes.
//!
//! A refresh reads /proc/PID/smaps and diffs it with the previous one on
//! the lab's own thread (`refresher`), on demand or once a second while the
//! lab is shown; the UI thread only draws the snapshot it was given, and
//! "every second" redraws the window once a second, no more (a spinner
//! appears only for a refresh that takes long).

mod changes;
// What the walk became is per OS (Linux: smaps; Windows: VirtualQueryEx).
#[cfg(not(windows))]
pub(crate) mod help;
#[cfg(windows)]
#[path = "help_windows.rs"]
pub(crate) mod help;
mod refresher;
mod strip;
mod summary;
mod table;

use std::sync::Arc;
use std::time::{Duration, Instant};

use eframe::egui::{self, RichText};
use serde::{Deserialize, Serialize};

pub use strip::Scale;

use crate::forms::Lab;
use crate::forms::vm::messages::VmNote;
use crate::forms::widgets::{LiveRefresh, Poll, Status, show_status};
use crate::lab_id::LabId;
use changes::ShapeChange;
use memlab_engine::i18n::{Lang, Localized};
use memlab_engine::vm::Operation;
use memlab_engine::vm::maps::{MapTarget, Region, RegionType, Snapshot, map_targets};
use memlab_engine::vm::pages::PageLab;
use refresher::{Ask, Refresher};

/// The call the map stands for, and what it is made with here.
const MAP: Operation = Operation::AddressSpaceMap;

/// The period of "every second".
const PERIOD: Duration = Duration::from_secs(1);
/// "Every second" may cost this share of one core (a refresh and the frame
/// that shows it); where a frame costs more, the refreshes space out.
const EVERY_BUDGET: f64 = 0.015;
/// A refresh shows its spinner only once it has taken this long (a spinner
/// redraws the window every frame while it turns).
const SPINNER_AFTER: Duration = Duration::from_millis(300);

/// A region's path and memlab's name for it, in the user's language.
pub(crate) fn region_name(r: &Region, lang: Lang) -> String {
    match (&r.owner, r.path.is_empty()) {
        (Some(o), true) => o.localized(lang),
        (Some(o), false) => format!("{} ({})", r.path, o.localized(lang)),
        (None, _) => r.path.clone(),
    }
}

/// The demo's steps: a reservation made between two refreshes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Demo {
    /// Waiting for the first snapshot, then reserve 64 pages and refresh.
    Reserve,
    /// Waiting for the second snapshot.
    Show,
}

/// The address-space map lab.
#[derive(Default, Serialize, Deserialize)]
#[serde(default)]
pub struct AddressMapForm {
    /// Refresh once a second while the lab is shown.
    pub every_second: bool,
    pub scale: Scale,
    pub hide_free: bool,
    /// Only the regions memlab named.
    pub only_memlab: bool,
    #[serde(skip)]
    refresher: Option<Refresher>,
    #[serde(skip)]
    snapshot: Option<Arc<Snapshot>>,
    #[serde(skip)]
    took: Duration,
    #[serde(skip)]
    refreshes: u64,
    /// Refresh was asked for while one ran: another follows it.
    #[serde(skip)]
    again: bool,
    #[serde(skip)]
    change: Option<ShapeChange>,
    #[serde(skip)]
    ram_only: usize,
    /// The region picked in the strip, the changes or the table (its start).
    #[serde(skip)]
    selected: Option<u64>,
    /// Bring the selected region into the table's view on the next frame.
    #[serde(skip)]
    scroll_to: bool,
    #[serde(skip)]
    status: Option<Status>,
    #[serde(skip)]
    demo: Option<Demo>,
    #[serde(skip)]
    demo_lab: Option<PageLab>,
    /// The process shown (None: this one).
    #[serde(skip)]
    target: Option<u32>,
    /// The processes the picker offers, read when it is opened.
    #[serde(skip)]
    targets: Vec<MapTarget>,
    #[serde(skip)]
    refresh_started: Option<Instant>,
    /// How often the thread was told to refresh (None: only when asked).
    #[serde(skip)]
    told_every: Option<Duration>,
    /// Spaces "every second" out where frames are expensive.
    #[serde(skip)]
    budget: Option<LiveRefresh>,
}

impl AddressMapForm {
    /// The snapshot shown, once there is one.
    pub fn snapshot(&self) -> Option<&Snapshot> {
        self.snapshot.as_deref()
    }

    /// Refreshes so far.
    pub fn refreshes(&self) -> u64 {
        self.refreshes
    }

    fn refreshing(&self) -> bool {
        self.refresher.as_ref().is_some_and(Refresher::pending)
    }

    /// The process whose map is shown.
    pub fn target_pid(&self) -> u32 {
        self.target.unwrap_or_else(std::process::id)
    }

    /// Shows the map of process `pid` (this one for its own PID) from the
    /// next refresh on.
    pub fn show_process(&mut self, pid: u32) {
        let target = (pid != std::process::id()).then_some(pid);
        if target != self.target {
            self.target = target;
            self.snapshot = None;
            self.change = None;
            self.ram_only = 0;
            self.selected = None;
            self.status = None;
        }
    }

    /// The period "every second" asks of the thread now (None: off).
    fn every(&self) -> Option<Duration> {
        self.every_second.then(|| {
            self.budget
                .as_ref()
                .map_or(PERIOD, LiveRefresh::period)
                .max(PERIOD)
        })
    }

    /// Starts a refresh unless one runs (and the thread first, if need be).
    fn refresh(&mut self, ctx: &egui::Context) {
        if self.refreshing() {
            self.again = true;
            return;
        }
        self.tell(ctx, true);
    }

    /// Tells the thread the process, the snapshot shown and the period,
    /// refreshing at once if `now`.
    fn tell(&mut self, ctx: &egui::Context, now: bool) {
        if self.refresher.is_none() {
            match Refresher::start(ctx) {
                Ok(r) => self.refresher = Some(r),
                Err(e) => {
                    self.status = Some(Status::error(VmNote::WorkerNotStarted(e)));
                    return;
                }
            }
        }
        let every = self.every();
        let ask = Ask {
            pid: self.target_pid(),
            before: self.snapshot.clone(),
            now,
            every,
        };
        if now {
            self.refresh_started = Some(Instant::now());
            // The spinner's turn, if the refresh is still running by then.
            ctx.request_repaint_after(SPINNER_AFTER);
        }
        self.told_every = every;
        if let Some(r) = &mut self.refresher
            && !r.request(ask)
        {
            self.refresher = None;
            self.status = Some(Status::error(VmNote::WorkerLost));
        }
    }

    fn poll(&mut self, ctx: &egui::Context) {
        let Some(polled) = self.refresher.as_mut().and_then(Refresher::poll) else {
            return;
        };
        let result = match polled {
            Poll::Running => return,
            Poll::Done(result) => result.map_err(Status::error),
            Poll::Lost => {
                self.refresher = None;
                Err(Status::error(VmNote::WorkerLost))
            }
        };
        match result {
            // The answer for a process no longer shown (the picker moved on
            // and asked for its own).
            Ok(r) if r.snapshot.pid != self.target_pid() => {}
            Ok(r) => {
                self.refreshes += 1;
                if self.every_second {
                    // What this refresh and the last frame cost sets the
                    // next period (at least a second).
                    self.budget
                        .get_or_insert_with(|| LiveRefresh::new(PERIOD, EVERY_BUDGET))
                        .next_period();
                }
                if let Some(diff) = r.diff {
                    let (change, ram_only) =
                        changes::split(diff, (self.refreshes - 1, self.refreshes));
                    if change.is_some() {
                        self.change = change;
                    }
                    self.ram_only = ram_only;
                }
                self.snapshot = Some(r.snapshot);
                self.took = r.took;
                self.status = None;
                self.step_demo(ctx);
                if std::mem::take(&mut self.again) {
                    self.refresh(ctx);
                }
            }
            Err(status) => {
                self.status = Some(status);
                self.demo = None;
            }
        }
    }

    /// The demo: after the first snapshot, reserve 64 pages (a page lab of
    /// the demo's own), commit and touch some, and refresh again.
    fn step_demo(&mut self, ctx: &egui::Context) {
        match self.demo {
            Some(Demo::Reserve) => {
                let mut lab = PageLab::new();
                if let Ok(id) = lab.reserve(64) {
                    let _ = lab.commit(id, 0..16);
                    for page in 0..8 {
                        let _ = lab.write_byte(id, page, 1);
                    }
                    self.selected = lab.get(id).ok().map(|r| r.base() as u64);
                    self.scroll_to = true;
                }
                self.demo_lab = Some(lab);
                self.demo = Some(Demo::Show);
                self.refresh(ctx);
            }
            Some(Demo::Show) => self.demo = None,
            None => {}
        }
    }

    /// Refresh, every second, and what the last refresh cost.
    fn toolbar(&mut self, ui: &mut egui::Ui, lang: Lang) {
        ui.horizontal_wrapped(|ui| {
            let button = egui::Button::new(lang.pick("Refresh", "새로 고침"))
                .min_size(egui::vec2(110.0, 0.0));
            // Always enabled (a click during a refresh waits for it), so it
            // does not flicker once a second.
            if ui
                .add(button)
                .on_hover_text(format!("{} -> {}", MAP.win32(), MAP.os_call()))
                .clicked()
            {
                self.refresh(ui.ctx());
            }
            ui.checkbox(&mut self.every_second, lang.pick("Every second", "1초마다"));
            // The spinner keeps its place whether it turns or not; it turns
            // only for a refresh that takes long (it redraws every frame).
            let (rect, _) = ui.allocate_exact_size(egui::vec2(16.0, 16.0), egui::Sense::hover());
            if self
                .refresh_started
                .is_some_and(|started| self.refreshing() && started.elapsed() >= SPINNER_AFTER)
            {
                egui::Spinner::new().paint_at(ui, rect);
            }
        });
        self.process_picker(ui, lang);
        // On a line of its own: its length changes, the controls stay put.
        if let Some(s) = &self.snapshot {
            let used = s
                .regions
                .iter()
                .filter(|r| r.kind != RegionType::Free)
                .count();
            let (read, all) = (s.took_us as f64 / 1000.0, self.took.as_secs_f64() * 1000.0);
            let mut line = match lang {
                Lang::En => format!(
                    "refresh {}: {used} regions, {} and named in {read:.1} ms, {all:.1} ms in all",
                    self.refreshes,
                    help::READ.en
                ),
                Lang::Ko => format!(
                    "새로 고침 {}번: 영역 {used}개, {}와 이름 붙이기 {read:.1} ms, 전체 {all:.1} ms",
                    self.refreshes,
                    help::READ.ko
                ),
            };
            // Spaced out by the budget: say so.
            if let Some(every) = self.every().filter(|e| *e > PERIOD + PERIOD / 20) {
                line += &match lang {
                    Lang::En => format!(
                        "; every {:.1} s here, to stay under {:.1} % of a core",
                        every.as_secs_f64(),
                        EVERY_BUDGET * 100.0
                    ),
                    Lang::Ko => format!(
                        "; 여기서는 한 코어의 {:.1} % 아래로 두려고 {:.1}초마다",
                        EVERY_BUDGET * 100.0,
                        every.as_secs_f64()
                    ),
                };
            }
            ui.weak(line);
        }
    }

    /// Which process: this window, memlab's other windows by number, then
    /// the account's other processes (read when the list is opened).
    fn process_picker(&mut self, ui: &mut egui::Ui, lang: Lang) {
        if self.targets.is_empty() {
            // Once, so that this window is named by its number at once.
            self.targets = map_targets();
        }
        let pid = self.target_pid();
        let shown = self.targets.iter().find(|t| t.pid == pid).map_or_else(
            || target_label(&MapTarget::bare(pid), lang),
            |t| target_label(t, lang),
        );
        let mut picked = None;
        ui.horizontal_wrapped(|ui| {
            let label = ui.label(lang.pick("Process", "프로세스"));
            let width = (ui.available_width() - ui.spacing().item_spacing.x).clamp(80.0, 360.0);
            let combo = egui::ComboBox::from_id_salt("address-map-target")
                .selected_text(shown)
                .width(width)
                .truncate()
                .show_ui(ui, |ui| {
                    for t in &self.targets {
                        if ui
                            .selectable_label(t.pid == pid, target_label(t, lang))
                            .clicked()
                        {
                            picked = Some(t.pid);
                        }
                    }
                });
            let response = combo.response.labelled_by(label.id);
            if response.clicked() {
                self.targets = map_targets();
            }
        });
        if let Some(pid) = picked {
            self.show_process(pid);
            self.refresh(ui.ctx());
        }
    }

    /// The regions the table shows, as indices into the snapshot.
    fn rows(&self, snapshot: &Snapshot) -> Vec<usize> {
        snapshot
            .regions
            .iter()
            .enumerate()
            .filter(|(_, r)| !(self.hide_free && r.kind == RegionType::Free))
            .filter(|(_, r)| !self.only_memlab || r.owner.is_some())
            .map(|(i, _)| i)
            .collect()
    }

    fn pick(&mut self, start: Option<u64>) {
        if let Some(start) = start {
            self.selected = Some(start);
            self.scroll_to = true;
        }
    }
}

impl Lab for AddressMapForm {
    fn id(&self) -> LabId {
        LabId::AddressMap
    }

    fn title(&self, lang: Lang) -> &'static str {
        lang.pick("Address-space map", "주소 공간 맵")
    }

    fn ui(&mut self, ui: &mut egui::Ui, lang: Lang) {
        let ctx = ui.ctx().clone();
        if self.snapshot.is_none() && !self.refreshing() && self.status.is_none() {
            self.refresh(&ctx);
        }
        self.poll(&ctx);
        // "Every second" is the thread's clock: it wakes the window once per
        // refresh, and nothing here schedules frames. Told again only when
        // the period changes (turned on or off, or spaced out by the budget).
        let every = self.every();
        let moved = match (every, self.told_every) {
            (Some(a), Some(b)) => a.abs_diff(b) > b / 10,
            (a, b) => a.is_some() != b.is_some(),
        };
        if moved && self.snapshot.is_some() {
            let turned_on = self.told_every.is_none() && every.is_some();
            if !turned_on || !self.refreshing() {
                self.tell(&ctx, turned_on);
            }
        }
        ui.heading(lang.pick("Address-space map (like VMMap)", "주소 공간 맵 (VMMap처럼)"));
        let intro = if self.target.is_none() {
            help::INTRO_SELF.get(lang)
        } else {
            help::INTRO_OTHER.get(lang)
        };
        ui.add(egui::Label::new(intro).wrap());
        ui.add_space(4.0);
        self.toolbar(ui, lang);
        show_status(ui, lang, self.status.as_ref());
        let Some(snapshot) = self.snapshot.clone() else {
            return;
        };
        ui.separator();
        ui.label(RichText::new(lang.pick("Totals per type", "유형별 합계")).strong());
        summary::totals(ui, &snapshot, lang);
        ui.add_space(6.0);
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new(lang.pick("Address space", "주소 공간")).strong());
            ui.radio_value(
                &mut self.scale,
                Scale::Log,
                lang.pick("log scale", "로그 눈금"),
            );
            ui.radio_value(
                &mut self.scale,
                Scale::Linear,
                lang.pick("linear scale", "선형 눈금"),
            );
        });
        let clicked = strip::strip(ui, &snapshot, self.scale, self.selected, lang);
        self.pick(clicked);
        ui.add_space(6.0);
        ui.label(RichText::new(lang.pick("Changes", "변경 사항")).strong());
        let clicked = changes::changes_ui(
            ui,
            self.change.as_ref(),
            self.ram_only,
            self.refreshes,
            lang,
        );
        self.pick(clicked);
        ui.add_space(6.0);
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new(lang.pick("Regions", "영역")).strong());
            ui.checkbox(
                &mut self.hide_free,
                lang.pick("Hide free", "빈 영역 숨기기"),
            );
            ui.checkbox(
                &mut self.only_memlab,
                lang.pick("memlab's objects only", "memlab의 객체만"),
            );
        });
        let rows = self.rows(&snapshot);
        // The table's own height (it scrolls inside): 60 % of the window,
        // so that the lab scrolled to its end shows it whole with its rows.
        let max_height = (ui.ctx().content_rect().height() * 0.6).max(120.0);
        let clicked = table::regions_table(
            ui,
            &snapshot.regions,
            &rows,
            self.selected,
            self.scroll_to,
            max_height,
            lang,
        );
        self.scroll_to = false;
        if let Some(start) = clicked {
            self.selected = Some(start);
        }
    }

    fn settled(&self) -> bool {
        !self.refreshing()
            && self.demo.is_none()
            && (self.snapshot.is_some() || self.status.is_some())
    }

    /// Two refreshes with a page lab reservation made between them.
    fn demo(&mut self) {
        self.demo = Some(Demo::Reserve);
    }

    fn shutdown(&mut self) {
        drop(self.refresher.take());
        drop(self.demo_lab.take());
    }
}

/// How the picker names a process.
fn target_label(t: &MapTarget, lang: Lang) -> String {
    match (t.window, t.this, lang) {
        (Some(n), true, Lang::En) => format!("this window (#{n}, PID {})", t.pid),
        (Some(n), true, Lang::Ko) => format!("이 창 (#{n}, PID {})", t.pid),
        (Some(n), false, Lang::En) => format!("window #{n} (PID {})", t.pid),
        (Some(n), false, Lang::Ko) => format!("창 #{n} (PID {})", t.pid),
        (None, true, Lang::En) => format!("memlab itself (PID {})", t.pid),
        (None, true, Lang::Ko) => format!("memlab 자신 (PID {})", t.pid),
        (None, false, _) if t.name.is_empty() => format!("PID {}", t.pid),
        (None, false, _) => format!("PID {} {}", t.pid, t.name),
    }
}
