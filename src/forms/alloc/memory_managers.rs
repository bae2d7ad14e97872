//! The "Memory managers" panel: which manager serves the whole program's new
//! allocations (switchable, like Delphi's SetMemoryManager), each manager's
//! AllocMemCount/AllocMemSize, the private heap's numbers (HeapWalk's), and a plot
//! of live bytes over the last two minutes.
//!
//! The numbers are live: while the panel is shown it repaints a few times a
//! second, less often when frames are expensive ([`LiveRefresh`]: under
//! 1.5 % of a core for the redraws), and only then. A sampler thread
//! records live bytes every 250 ms into a bounded ring, so the plot also
//! covers the time the panel was hidden.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use eframe::egui::{self, RichText};
use egui_plot::{AxisHints, GridMark, Legend, Line, Plot, PlotPoints};
use serde::{Deserialize, Serialize};

use super::colors::manager_color;
use crate::forms::widgets::{
    Level, LiveRefresh, StoppingThreads, header_row, show_line, side_by_side, steady_text, wide,
};
use crate::forms::{Call, Lab, LabHelp};
use crate::lab_id::LabId;
use memlab_engine::alloc::messages::manager_description;
use memlab_engine::alloc::{self, HeapStatus, ManagerKind, Snapshot, dispatcher};
use memlab_engine::format::{byte_unit, format_bytes};
use memlab_engine::i18n::{Lang, Localized, Tr};

/// Sampling period, and the shortest time between repaints.
const PERIOD: Duration = Duration::from_millis(250);
/// Share of one core the live redraws may take.
const REDRAW_BUDGET: f64 = 0.015;
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
    /// Why the sampling thread could not start (the plot then stays still).
    failed: Option<std::io::Error>,
    _thread: StoppingThreads,
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
        let mut thread = StoppingThreads::new();
        let failed = {
            let ring = ring.clone();
            thread.spawn("memory-managers sampler", move |stop| {
                // Raising the stop ends the wait at once.
                while !stop.wait(PERIOD) {
                    let s = sample(start);
                    if let Ok(mut r) = ring.lock() {
                        if r.len() >= RING {
                            r.pop_front();
                        }
                        r.push_back(s);
                    }
                }
            })
        }
        .err();
        Self {
            ring,
            start,
            failed,
            _thread: thread,
        }
    }

    fn samples(&self) -> Vec<Sample> {
        self.ring
            .lock()
            .map(|r| r.iter().copied().collect())
            .unwrap_or_default()
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
    #[serde(skip)]
    refresh: Option<LiveRefresh>,
}

impl Lab for MemoryManagersPanel {
    fn id(&self) -> LabId {
        LabId::MemoryManagers
    }

    fn title(&self, lang: Lang) -> &'static str {
        lang.pick("Memory managers", "메모리 관리자")
    }

    /// Stops the sampler thread.
    fn shutdown(&mut self) {
        drop(self.sampler.take());
    }

    /// True once a few samples are in (for screenshots).
    fn settled(&self) -> bool {
        let samples = if self.demo_since.is_some() { 12 } else { 4 };
        self.sampler
            .as_ref()
            .is_some_and(|s| s.ring.lock().is_ok_and(|r| r.len() >= samples))
    }

    /// Makes the private heap the active manager, as a user would with the
    /// radio buttons, so that a screenshot shows it growing.
    fn demo(&mut self) {
        dispatcher().set_active(ManagerKind::Heap);
        self.demo_since = Some(Instant::now());
    }

    fn ui(&mut self, ui: &mut egui::Ui, lang: Lang) {
        let installed = *self.installed.get_or_insert_with(alloc::is_installed);
        let sampler = self.sampler.get_or_insert_with(Sampler::start);
        // Live numbers: refresh while shown (this runs only while the lab is shown).
        self.refresh
            .get_or_insert_with(|| LiveRefresh::new(PERIOD, REDRAW_BUDGET))
            .schedule(ui.ctx());
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
            show_line(
                ui,
                Level::Info,
                lang.pick(
                    "The dispatcher is this program's global allocator: every allocation is routed and counted.",
                    "디스패처가 이 프로그램의 전역 할당자입니다: 모든 할당이 전달되고 집계됩니다.",
                ),
            );
        } else {
            show_line(
                ui,
                Level::Warn,
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
                    .on_hover_text(manager_description(kind, lang))
                    .changed()
                {
                    d.set_active(kind);
                }
            }
        });
        // The description of each manager takes the room of the longest,
        // so nothing below moves when the choice changes.
        let descriptions = ManagerKind::ALL.map(|k| manager_description(k, lang));
        let shown = ManagerKind::ALL
            .iter()
            .position(|&k| k == active)
            .unwrap_or(0);
        steady_text(ui, &descriptions, shown);
        ui.add_space(6.0);
        side_by_side(
            ui,
            300.0,
            0.55,
            |ui| {
                ui.label(
                    RichText::new(lang.pick(
                        "Counters (AllocMemCount / AllocMemSize)",
                        "카운터 (AllocMemCount / AllocMemSize)",
                    ))
                    .strong(),
                );
                wide(ui, "mm-counters-scroll", |ui| {
                    counters_table(ui, &snap, lang)
                });
                fallback_line(ui, ManagerKind::Heap, snap.heap_fallbacks, lang);
                fallback_line(ui, ManagerKind::Mimalloc, snap.mimalloc_fallbacks, lang);
            },
            |ui| {
                ui.label(
                    RichText::new(lang.pick(
                        "Private heap (HeapCreate; its numbers as HeapWalk counts them)",
                        "전용 힙 (HeapCreate; HeapWalk로 세는 값)",
                    ))
                    .strong(),
                );
                wide(ui, "mm-heap-scroll", |ui| {
                    heap_table(ui, &heap, d.heap().max_bytes(), lang);
                });
            },
        );
        ui.add_space(6.0);
        ui.label(
            RichText::new(lang.pick(
                "Live bytes over the last 2 minutes",
                "최근 2분간의 사용 중인 바이트",
            ))
            .strong(),
        );
        live_plot(ui, &sampler.samples(), sampler.start, lang);
        if let Some(e) = &sampler.failed {
            show_line(ui, Level::Warn, SamplerNotStarted(e).localized(lang));
        }
    }
}

fn counters_table(ui: &mut egui::Ui, snap: &Snapshot, lang: Lang) {
    egui::Grid::new("mm-counters")
        .striped(true)
        .num_columns(5)
        .show(ui, |ui| {
            header_row(
                ui,
                &[
                    lang.pick("manager", "관리자"),
                    lang.pick("live blocks", "사용 중인 블록"),
                    lang.pick("live bytes", "사용 중인 바이트"),
                    lang.pick("allocations", "할당 횟수"),
                    lang.pick("frees", "해제 횟수"),
                ],
            );
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

/// How many allocations a full manager passed to the default manager:
/// `kind` is the private heap or mimalloc (its arena).
fn fallback_line(ui: &mut egui::Ui, kind: ManagerKind, fallbacks: u64, lang: Lang) {
    let text = match (kind, fallbacks == 0, lang) {
        (ManagerKind::Mimalloc, true, Lang::En) => {
            "mimalloc fallbacks: none; its arena has never been full.".to_owned()
        }
        (ManagerKind::Mimalloc, true, Lang::Ko) => {
            "mimalloc 대체 할당: 없음. mimalloc 아레나가 가득 찬 적이 없습니다.".to_owned()
        }
        (ManagerKind::Mimalloc, false, Lang::En) => format!(
            "mimalloc fallbacks: {fallbacks}. The mimalloc arena was full, and those allocations were served by the default manager instead."
        ),
        (ManagerKind::Mimalloc, false, Lang::Ko) => format!(
            "mimalloc 대체 할당: {fallbacks}회. mimalloc 아레나가 가득 차서 그 할당은 기본 관리자가 대신 맡았습니다."
        ),
        (_, true, Lang::En) => {
            "Heap fallbacks: none; the private heap has never been full.".to_owned()
        }
        (_, true, Lang::Ko) => "힙 대체 할당: 없음. 전용 힙이 가득 찬 적이 없습니다.".to_owned(),
        (_, false, Lang::En) => format!(
            "Heap fallbacks: {fallbacks}. The private heap was full, and those allocations were served by the default manager instead (memlab never aborts because a manager ran out)."
        ),
        (_, false, Lang::Ko) => format!(
            "힙 대체 할당: {fallbacks}회. 전용 힙이 가득 차서 그 할당은 기본 관리자가 대신 맡았습니다(관리자의 메모리가 모자라도 memlab은 중단되지 않습니다)."
        ),
    };
    if fallbacks == 0 {
        ui.weak(text);
    } else {
        show_line(ui, Level::Warn, text);
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
    let (div, unit) = byte_unit(max);
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

/// The panel's help: the book's §6, Delphi's memory manager.
pub(crate) static HELP: LabHelp = LabHelp {
    section: Tr::new(
        "§6: Delphi's memory manager (TMemoryManager, SetMemoryManager, GetHeapStatus)",
        "§6: 델파이의 메모리 관리자 (TMemoryManager, SetMemoryManager, GetHeapStatus)",
    ),
    calls: &[
        Call {
            win32: "GetMemoryManager / SetMemoryManager",
            here: Tr::new(
                "the dispatcher's active / set_active (the radio buttons): memlab's #[global_allocator] sends every new allocation to the chosen manager; switching is safe at any moment because each block is freed by the manager that owns its address",
                "디스패처의 active / set_active (라디오 버튼): memlab의 #[global_allocator]가 모든 새 할당을 고른 관리자에게 보냅니다. 블록은 언제나 그 주소를 가진 관리자가 해제하므로 언제 바꿔도 안전합니다",
            ),
        },
        Call {
            win32: "GetMem / FreeMem / ReallocMem",
            here: Tr::new(
                "alloc / dealloc / realloc of Rust's GlobalAlloc, through the dispatcher; a realloc stays with the block's manager while it is active, otherwise the block moves to the active one",
                "디스패처를 거치는 Rust GlobalAlloc의 alloc / dealloc / realloc입니다. realloc은 블록의 관리자가 사용 중이면 그 관리자가 맡고, 아니면 블록을 사용 중인 관리자로 옮깁니다",
            ),
        },
        Call {
            win32: "AllocMemCount / AllocMemSize",
            here: Tr::new(
                "the counters table: live blocks and live bytes per manager, kept exactly by the dispatcher",
                "카운터 표: 관리자별 사용 중인 블록 수와 바이트 수이며, 디스패처가 정확히 셉니다",
            ),
        },
        Call {
            win32: "GetHeapStatus",
            here: Tr::new(
                "the status of Delphi's own manager (THeapStatus: its address space, committed, allocated and free bytes), not of a HeapCreate heap; memlab's managers keep no such record, so the counters table's live blocks and bytes per manager stand in for it",
                "델파이 자체 메모리 관리자의 상태(THeapStatus: 주소 공간, 커밋, 할당, 여유 바이트)이며 HeapCreate 힙의 상태가 아닙니다. memlab의 관리자들에는 그런 기록이 없어, 카운터 표의 관리자별 사용 중인 블록과 바이트가 그 자리를 대신합니다",
            ),
        },
        Call {
            win32: "HeapWalk",
            here: Tr::new(
                "the private heap's table: reserved, committed, uncommitted, allocated, free and overhead bytes of the HeapCreate-like heap, from talc's counters (Win32 gets them by walking the heap's blocks)",
                "전용 힙 표: HeapCreate 같은 힙의 예약, 커밋, 미커밋, 할당됨, 여유, 부가 공간 바이트이며 talc의 카운터에서 읽습니다 (Win32에서는 힙의 블록을 차례로 훑어 얻습니다)",
            ),
        },
        Call {
            win32: "HeapCreate",
            here: Tr::new(
                "the private heap reserves one address range on first use (an inaccessible mapping, through the region crate) and commits it with mprotect, 1 MiB or more at a time, as it grows; committed pages are never given back",
                "전용 힙은 처음 쓸 때 주소 범위 하나를 예약하고(region 크레이트로 만든 접근 불가 매핑), 커질 때마다 mprotect로 1 MiB 이상씩 커밋합니다. 커밋한 페이지는 돌려주지 않습니다",
            ),
        },
        Call {
            win32: "HeapAlloc / HeapFree",
            here: Tr::new(
                "talc hands out and takes back blocks inside that range; when it is full, the default manager serves the block instead (a heap fallback, counted)",
                "talc가 그 범위 안에서 블록을 내주고 돌려받습니다. 가득 차면 기본 관리자가 대신 할당합니다 (힙 대체 할당으로 집계)",
            ),
        },
    ],
    try_these: &[
        Tr::new(
            "Choose heap: the window's own allocations now go to the private heap; watch its live bytes and its committed size grow.",
            "heap을 골라 보세요. 이 창의 할당이 이제 전용 힙으로 갑니다. 사용 중인 바이트와 커밋 크기가 늘어나는 것을 보세요.",
        ),
        Tr::new(
            "Choose default again: the heap's live blocks fall as their owners free them, while its committed size stays, as a Win32 heap's does.",
            "다시 default를 골라 보세요. 전용 힙의 블록은 해제되면서 줄지만, 커밋 크기는 Win32 힙처럼 그대로 남습니다.",
        ),
        Tr::new(
            "Run the benchmark lab with the heap manager at 65536 KB, then come back: committed has grown by the block and stays, and the heap's allocations counted every pair.",
            "벤치마크 실습에서 heap 관리자로 65536 KB를 실행한 뒤 돌아와 보세요. 커밋이 블록만큼 늘어난 채로 남고, 힙의 할당 횟수가 쌍마다 늘어 있습니다.",
        ),
    ],
};

/// The memory managers panel could not start its sampling thread.
pub struct SamplerNotStarted<'a>(pub &'a std::io::Error);

impl Localized for SamplerNotStarted<'_> {
    fn localized(&self, lang: Lang) -> String {
        match lang {
            Lang::En => format!(
                "cannot start the sampling thread, the plot stays still: {}",
                self.0
            ),
            Lang::Ko => format!(
                "표본 수집 스레드를 시작할 수 없어 그래프가 멈춰 있습니다: {}",
                self.0.localized(lang)
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{HELP, SamplerNotStarted};
    use memlab_engine::i18n::testing::assert_korean;
    use memlab_engine::i18n::{Lang, Localized};

    #[test]
    fn a_sampler_that_cannot_start_says_so_in_korean() {
        let oom = std::io::Error::from(std::io::ErrorKind::OutOfMemory);
        assert_korean(&SamplerNotStarted(&oom).localized(Lang::Ko));
    }

    /// GetHeapStatus is the status of Delphi's own manager; a HeapCreate
    /// heap's numbers are what HeapWalk counts.
    #[test]
    fn the_help_gives_each_call_its_own_meaning() {
        let call = |name: &str| {
            HELP.calls
                .iter()
                .find(|c| c.win32 == name)
                .unwrap_or_else(|| panic!("no {name} in the help"))
        };
        let status = call("GetHeapStatus").here.en;
        assert!(status.contains("Delphi's own manager"), "{status}");
        assert!(status.contains("not of a HeapCreate heap"), "{status}");
        assert!(call("HeapWalk").here.en.contains("private heap's table"));
    }
}
