//! The "Memory managers" panel: which manager serves the whole program's new
//! allocations (switchable, like Delphi's SetMemoryManager), each manager's
//! AllocMemCount/AllocMemSize, the private heap's GetHeapStatus, and a plot
//! of live bytes over the last two minutes.
//!
//! The numbers are live: while the panel is shown it repaints every 250 ms
//! (and only then). A sampler thread records live bytes every 250 ms into a
//! bounded ring, so the plot also covers the time the panel was hidden.

use std::collections::VecDeque;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use eframe::egui::{self, RichText};
use egui_plot::{AxisHints, GridMark, Legend, Line, Plot, PlotPoints};
use serde::{Deserialize, Serialize};

use super::alloc_bench::{GREEN, ORANGE, format_bytes, manager_color};
use crate::core::alloc::{self, HeapStatus, ManagerKind, Snapshot, dispatcher};
use crate::i18n::Lang;

/// Sampling and repaint period.
const PERIOD: Duration = Duration::from_millis(250);
/// Samples kept: two minutes.
const RING: usize = 480;

#[derive(Clone, Copy)]
struct Sample {
    /// Seconds since the sampler started.
    t: f64,
    live_bytes: [u64; 3],
}

type Ring = Arc<Mutex<VecDeque<Sample>>>;

/// Records live bytes per manager every [`PERIOD`]; stops when dropped.
struct Sampler {
    ring: Ring,
    start: Instant,
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

fn sample(start: Instant) -> Sample {
    let s = dispatcher().snapshot();
    Sample {
        t: start.elapsed().as_secs_f64(),
        live_bytes: ManagerKind::ALL.map(|k| s.get(k).live_bytes),
    }
}

impl Sampler {
    fn start() -> Self {
        let ring: Ring = Arc::new(Mutex::new(VecDeque::with_capacity(RING + 1)));
        let start = Instant::now();
        if let Ok(mut r) = ring.lock() {
            r.push_back(sample(start));
        }
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = {
            let ring = ring.clone();
            std::thread::Builder::new()
                .name("memory-managers sampler".into())
                .spawn(move || {
                    // The sender is dropped to stop: the wait ends at once.
                    while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(PERIOD) {
                        let s = sample(start);
                        if let Ok(mut r) = ring.lock() {
                            if r.len() >= RING {
                                r.pop_front();
                            }
                            r.push_back(s);
                        }
                    }
                })
                .ok()
        };
        Self {
            ring,
            start,
            stop: Some(stop),
            thread,
        }
    }

    fn samples(&self) -> Vec<Sample> {
        self.ring
            .lock()
            .map(|r| r.iter().copied().collect())
            .unwrap_or_default()
    }
}

impl Drop for Sampler {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The memory managers panel.
#[derive(Default, Serialize, Deserialize)]
#[serde(default)]
pub struct MemoryManagersPanel {
    #[serde(skip)]
    installed: Option<bool>,
    #[serde(skip)]
    sampler: Option<Sampler>,
    #[serde(skip)]
    demo_since: Option<Instant>,
}

impl MemoryManagersPanel {
    /// Stops the sampler thread.
    pub fn shutdown(&mut self) {
        drop(self.sampler.take());
    }

    /// True once a few samples are in (for screenshots).
    pub fn settled(&self) -> bool {
        let samples = if self.demo_since.is_some() { 12 } else { 4 };
        self.sampler
            .as_ref()
            .is_some_and(|s| s.ring.lock().is_ok_and(|r| r.len() >= samples))
    }

    /// Makes the private heap the active manager, as a user would with the
    /// radio buttons, so that a screenshot shows it growing.
    pub fn demo(&mut self) {
        dispatcher().set_active(ManagerKind::Heap);
        self.demo_since = Some(Instant::now());
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, lang: Lang) {
        let installed = *self.installed.get_or_insert_with(alloc::is_installed);
        let sampler = self.sampler.get_or_insert_with(Sampler::start);
        // Live numbers: refresh while shown (this runs only while the lab is shown).
        ui.ctx().request_repaint_after(PERIOD);
        let d = dispatcher();
        let snap = d.snapshot();
        let heap = d.heap_status();

        ui.heading(lang.pick("Memory managers", "메모리 관리자"));
        ui.label(lang.pick(
            "Like Delphi's SetMemoryManager: choose the manager that serves every new allocation of this program, egui's included. A block is always freed by the manager that allocated it, so switching at any moment loses nothing.",
            "델파이의 SetMemoryManager처럼, 이 프로그램(egui 포함)의 모든 새 할당을 맡을 관리자를 고릅니다. 블록은 언제나 그것을 할당한 관리자가 해제하므로 언제 바꿔도 잃는 것이 없습니다.",
        ));
        ui.add_space(4.0);
        if installed {
            ui.colored_label(
                GREEN,
                lang.pick(
                    "The dispatcher is this program's global allocator: every allocation is routed and counted.",
                    "디스패처가 이 프로그램의 전역 할당자입니다: 모든 할당이 전달되고 집계됩니다.",
                ),
            );
        } else {
            ui.colored_label(
                ORANGE,
                lang.pick(
                    "The dispatcher is not this process's global allocator (e.g. a test harness): switching only affects allocations made through it explicitly, and only those are counted.",
                    "디스패처가 이 프로세스의 전역 할당자가 아닙니다(예: 테스트 하네스): 전환은 디스패처를 직접 거치는 할당에만 적용되고, 그것만 집계됩니다.",
                ),
            );
        }
        ui.add_space(4.0);
        let mut active = snap.active;
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new(lang.pick("Active manager", "사용 중인 관리자")).strong());
            for kind in ManagerKind::ALL {
                if ui
                    .radio_value(&mut active, kind, kind.name())
                    .on_hover_text(super::manager_description(kind, lang))
                    .changed()
                {
                    d.set_active(kind);
                }
            }
        });
        ui.weak(super::manager_description(active, lang));
        ui.add_space(6.0);
        ui.columns(2, |cols| {
            cols[0].label(
                RichText::new(lang.pick(
                    "Counters (AllocMemCount / AllocMemSize)",
                    "카운터 (AllocMemCount / AllocMemSize)",
                ))
                .strong(),
            );
            counters_table(&mut cols[0], &snap, lang);
            fallback_line(&mut cols[0], snap.heap_fallbacks, lang);
            cols[1].label(
                RichText::new(lang.pick("Private heap (GetHeapStatus)", "전용 힙 (GetHeapStatus)"))
                    .strong(),
            );
            heap_table(&mut cols[1], &heap, d.heap().max_bytes(), lang);
        });
        ui.add_space(6.0);
        ui.label(
            RichText::new(lang.pick(
                "Live bytes over the last 2 minutes",
                "최근 2분간의 사용 중인 바이트",
            ))
            .strong(),
        );
        live_plot(ui, &sampler.samples(), sampler.start, lang);
    }
}

fn counters_table(ui: &mut egui::Ui, snap: &Snapshot, lang: Lang) {
    egui::Grid::new("mm-counters")
        .striped(true)
        .num_columns(5)
        .show(ui, |ui| {
            for head in [
                lang.pick("manager", "관리자"),
                lang.pick("live blocks", "사용 중인 블록"),
                lang.pick("live bytes", "사용 중인 바이트"),
                lang.pick("allocations", "할당 횟수"),
                lang.pick("frees", "해제 횟수"),
            ] {
                ui.strong(head);
            }
            ui.end_row();
            for kind in ManagerKind::ALL {
                let c = snap.get(kind);
                let name = if kind == snap.active {
                    format!("{} {}", kind.name(), lang.pick("(active)", "(사용 중)"))
                } else {
                    kind.name().to_owned()
                };
                ui.colored_label(manager_color(kind), name);
                ui.monospace(c.live_blocks.to_string());
                ui.monospace(format_bytes(c.live_bytes))
                    .on_hover_text(format!("{} B", c.live_bytes));
                ui.monospace(c.total_allocations.to_string());
                ui.monospace(c.total_frees.to_string());
                ui.end_row();
            }
            ui.strong(lang.pick("total", "합계"));
            ui.monospace(snap.total_live_blocks().to_string());
            ui.monospace(format_bytes(snap.total_live_bytes()));
            ui.end_row();
        });
}

fn fallback_line(ui: &mut egui::Ui, fallbacks: u64, lang: Lang) {
    if fallbacks == 0 {
        ui.weak(lang.pick(
            "Heap fallbacks: none; the private heap has never been full.",
            "힙 대체 할당: 없음. 전용 힙이 가득 찬 적이 없습니다.",
        ));
    } else {
        ui.colored_label(
            ORANGE,
            match lang {
                Lang::En => format!(
                    "Heap fallbacks: {fallbacks}. The private heap was full, and those allocations were served by the default manager instead (memlab never aborts because a manager ran out)."
                ),
                Lang::Ko => format!(
                    "힙 대체 할당: {fallbacks}회. 전용 힙이 가득 차서 그 할당은 기본 관리자가 대신 맡았습니다(관리자의 메모리가 모자라도 memlab은 중단되지 않습니다)."
                ),
            },
        );
    }
}

fn heap_table(ui: &mut egui::Ui, h: &HeapStatus, max: usize, lang: Lang) {
    if h.reserved_bytes == 0 {
        ui.weak(match lang {
            Lang::En => format!(
                "Not used yet: its {} address range is reserved on first use.",
                format_bytes(max as u64)
            ),
            Lang::Ko => format!(
                "아직 쓰이지 않음: 처음 쓸 때 {} 주소 범위를 예약합니다.",
                format_bytes(max as u64)
            ),
        });
        return;
    }
    egui::Grid::new("mm-heap")
        .striped(true)
        .num_columns(2)
        .show(ui, |ui| {
            let mut row = |key: &str, bytes: Option<usize>, text: String, help: &str| {
                ui.label(key).on_hover_text(help);
                match bytes {
                    Some(b) => ui.monospace(format_bytes(b as u64)),
                    None => ui.monospace(text),
                }
                .on_hover_text(help);
                ui.end_row();
            };
            row(
                lang.pick("reserved", "예약"),
                Some(h.reserved_bytes),
                String::new(),
                lang.pick(
                    "address space taken once, the heap's maximum",
                    "한 번 잡아 둔 주소 공간, 힙의 최대 크기",
                ),
            );
            row(
                lang.pick("committed", "커밋"),
                Some(h.committed_bytes),
                String::new(),
                lang.pick(
                    "made read-write as the heap grew; never given back",
                    "힙이 커지며 읽기/쓰기로 만든 부분, 돌려주지 않음",
                ),
            );
            row(
                lang.pick("uncommitted", "미커밋"),
                Some(h.uncommitted_bytes),
                String::new(),
                lang.pick("reserved, not yet committed", "예약만 되고 아직 커밋 안 됨"),
            );
            row(
                lang.pick("allocated", "할당됨"),
                Some(h.allocated_bytes),
                String::new(),
                lang.pick("in live blocks", "사용 중인 블록"),
            );
            row(
                lang.pick("free", "여유"),
                Some(h.free_bytes),
                String::new(),
                lang.pick(
                    "in free chunks, allocatable without committing more",
                    "빈 조각에 있어 더 커밋하지 않고 할당 가능",
                ),
            );
            row(
                lang.pick("overhead", "부가 공간"),
                Some(h.overhead_bytes),
                String::new(),
                lang.pick(
                    "talc's bins, chunk tags and padding",
                    "talc의 빈 테이블, 청크 태그, 정렬 여백",
                ),
            );
            row(
                lang.pick("fragments", "조각"),
                None,
                h.fragments.to_string(),
                lang.pick(
                    "free chunks (gaps) talc tracks",
                    "talc가 관리하는 빈 조각 수",
                ),
            );
            row(
                lang.pick("live blocks", "사용 중인 블록"),
                None,
                h.live_blocks.to_string(),
                lang.pick("according to talc", "talc 기준"),
            );
        });
}

fn live_plot(ui: &mut egui::Ui, samples: &[Sample], start: Instant, lang: Lang) {
    let now = start.elapsed().as_secs_f64();
    let max = samples
        .iter()
        .flat_map(|s| s.live_bytes)
        .max()
        .unwrap_or(0)
        .max(1);
    // One unit for the whole axis, chosen by the largest value.
    let (div, unit) = if max >= 1 << 30 {
        ((1u64 << 30) as f64, "GiB")
    } else if max >= 1 << 20 {
        ((1u64 << 20) as f64, "MiB")
    } else if max >= 1 << 10 {
        (1024.0, "KiB")
    } else {
        (1.0, "B")
    };
    Plot::new("mm-live-bytes")
        .height(170.0)
        .show_crosshair(false)
        .legend(Legend::default().position(egui_plot::Corner::LeftTop))
        .allow_zoom(false)
        .allow_drag(false)
        .allow_scroll(false)
        .allow_boxed_zoom(false)
        .include_x(-120.0)
        .include_x(0.0)
        .include_y(0.0)
        .y_axis_label(unit)
        .custom_x_axes(vec![
            AxisHints::new_x()
                .label(lang.pick("seconds ago", "초 전"))
                .label_spacing(30.0..=40.0)
                .formatter(|mark, _| format!("{:.0}", -mark.value + 0.0)),
        ])
        .x_grid_spacer(|input| {
            // A line every 10 s, thicker every 30 s.
            let (lo, hi) = (
                (input.bounds.0 / 10.0).ceil() as i64,
                (input.bounds.1 / 10.0).floor() as i64,
            );
            (lo..=hi)
                .map(|i| GridMark {
                    value: i as f64 * 10.0,
                    step_size: if i % 3 == 0 { 30.0 } else { 10.0 },
                })
                .collect()
        })
        .show(ui, |plot| {
            for (i, kind) in ManagerKind::ALL.into_iter().enumerate() {
                let points: Vec<[f64; 2]> = samples
                    .iter()
                    .map(|s| [s.t - now, s.live_bytes[i] as f64 / div])
                    .collect();
                plot.line(
                    Line::new(kind.name(), PlotPoints::from(points))
                        .color(manager_color(kind))
                        .width(2.0),
                );
            }
        });
}

impl super::Lab for MemoryManagersPanel {
    fn id(&self) -> &'static str {
        "memory-managers"
    }

    fn title(&self, lang: Lang) -> &'static str {
        lang.pick("Memory managers", "메모리 관리자")
    }

    fn ui(&mut self, ui: &mut egui::Ui, lang: Lang) {
        MemoryManagersPanel::ui(self, ui, lang);
    }

    fn settled(&self) -> bool {
        MemoryManagersPanel::settled(self)
    }

    fn demo(&mut self) {
        MemoryManagersPanel::demo(self);
    }

    fn shutdown(&mut self) {
        MemoryManagersPanel::shutdown(self);
    }
}
