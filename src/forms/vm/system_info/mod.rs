//! The system information lab (GetSystemInfo, GlobalMemoryStatusEx): the
//! facts of `memlab sysinfo`, each beside the Win32 field it stands for and
//! where Linux keeps it. The facts are read on a worker ([`Job`]), on
//! opening and on Refresh.

pub(crate) mod help;

use eframe::egui::{self, RichText};
use serde::{Deserialize, Serialize};

use crate::forms::Lab;
use crate::forms::vm::messages::VmNote;
use crate::forms::widgets::{Job, Poll, Status, show_status};
use crate::lab_id::LabId;
use memlab_engine::format::format_bytes;
use memlab_engine::i18n::{Lang, Localized};
use memlab_engine::vm::ReadError;
use memlab_engine::vm::pages::MAX_PAGES;
use memlab_engine::vm::system::{self, Limit, SystemFacts, WINDOWS_ALLOCATION_GRANULARITY};

/// Widest layout first: at this width or more the facts are a table.
const TABLE_WIDTH: f32 = 760.0;

/// The book's Windows: the application's 2 GB ended here.
const WIN32_HIGHEST: u64 = 0x7FFE_FFFF;

/// One fact: its name, its value, the Win32 field and where Linux keeps it.
struct Fact {
    name: &'static str,
    value: String,
    win32: &'static str,
    source: &'static str,
}

/// The system information lab.
#[derive(Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SystemInfoForm {
    #[serde(skip)]
    job: Option<Job<Result<SystemFacts, ReadError>>>,
    #[serde(skip)]
    facts: Option<SystemFacts>,
    #[serde(skip)]
    status: Option<Status>,
}

impl SystemInfoForm {
    /// The facts shown, once read.
    pub fn facts(&self) -> Option<&SystemFacts> {
        self.facts.as_ref()
    }

    fn refresh(&mut self, ctx: &egui::Context) {
        match Job::start("sysinfo reader", ctx, |_| system::facts()) {
            Ok(job) => self.job = Some(job),
            Err(e) => self.status = Some(Status::error(VmNote::WorkerNotStarted(e))),
        }
    }

    fn poll(&mut self) {
        let Some(job) = &self.job else { return };
        match job.poll() {
            Poll::Running => {}
            Poll::Done(result) => {
                self.job = None;
                match result {
                    Ok(facts) => {
                        self.facts = Some(facts);
                        self.status = None;
                    }
                    Err(e) => self.status = Some(Status::error(e)),
                }
            }
            Poll::Lost => {
                self.job = None;
                self.status = Some(Status::error(VmNote::WorkerLost));
            }
        }
    }
}

fn limit_value(l: Limit, lang: Lang) -> String {
    let one =
        |v: Option<u64>| v.map_or_else(|| lang.pick("unlimited", "무제한").into(), format_bytes);
    format!(
        "{} ({} {})",
        one(l.soft),
        lang.pick("hard", "최대"),
        one(l.hard)
    )
}

/// The facts in the chapter's order, in `lang`.
fn facts_list(f: &SystemFacts, lang: Lang) -> Vec<Fact> {
    let unknown = || lang.pick("unknown", "알 수 없음").to_owned();
    let user_space = f.highest_address as u64 + 1;
    vec![
        Fact {
            name: lang.pick("Page size", "페이지 크기"),
            value: format!(
                "{} {} ({})",
                f.page_size,
                lang.pick("bytes", "바이트"),
                format_bytes(f.page_size as u64)
            ),
            win32: "SYSTEM_INFO.dwPageSize",
            source: "sysconf(_SC_PAGESIZE)",
        },
        Fact {
            name: lang.pick("Allocation granularity", "할당 단위"),
            value: match lang {
                Lang::En => format!(
                    "none on Linux: a mapping may start on any page ({} bytes); Windows: {}",
                    f.page_size,
                    format_bytes(WINDOWS_ALLOCATION_GRANULARITY as u64)
                ),
                Lang::Ko => format!(
                    "리눅스에는 없음: 매핑은 어느 페이지({} 바이트)에서나 시작할 수 있습니다. 윈도우: {}",
                    f.page_size,
                    format_bytes(WINDOWS_ALLOCATION_GRANULARITY as u64)
                ),
            },
            win32: "SYSTEM_INFO.dwAllocationGranularity",
            source: "mmap",
        },
        Fact {
            name: lang.pick("Lowest application address", "가장 낮은 응용 프로그램 주소"),
            value: format!("{:#x}", f.lowest_address),
            win32: "SYSTEM_INFO.lpMinimumApplicationAddress",
            source: "/proc/sys/vm/mmap_min_addr",
        },
        Fact {
            name: lang.pick(
                "Highest application address",
                "가장 높은 응용 프로그램 주소",
            ),
            value: match lang {
                Lang::En => format!(
                    "{:#x} ({} of user space; the book's Windows: {WIN32_HIGHEST:#X}, 2 GiB)",
                    f.highest_address,
                    format_bytes(user_space),
                ),
                Lang::Ko => format!(
                    "{:#x} (사용자 공간 {}; 책의 윈도우: {WIN32_HIGHEST:#X}, 2 GiB)",
                    f.highest_address,
                    format_bytes(user_space),
                ),
            },
            win32: "SYSTEM_INFO.lpMaximumApplicationAddress",
            source: "/proc/self/maps ([stack])",
        },
        Fact {
            name: lang.pick("Total virtual memory", "전체 가상 메모리"),
            value: match lang {
                Lang::En => format!(
                    "{} (the user part of the address space, lowest to highest address; the book's Windows: 2 GiB)",
                    format_bytes(f.total_virtual)
                ),
                Lang::Ko => format!(
                    "{} (주소 공간의 사용자 부분, 가장 낮은 주소부터 가장 높은 주소까지; 책의 윈도우: 2 GiB)",
                    format_bytes(f.total_virtual)
                ),
            },
            win32: "MEMORYSTATUSEX.ullTotalVirtual",
            source: "highest - lowest application address",
        },
        Fact {
            name: lang.pick("Processors", "프로세서"),
            value: match lang {
                Lang::En => format!(
                    "{} online, {} available to memlab ({})",
                    f.processors, f.processors_available, f.arch
                ),
                Lang::Ko => format!(
                    "켜진 것 {}개, memlab이 쓸 수 있는 것 {}개 ({})",
                    f.processors, f.processors_available, f.arch
                ),
            },
            win32: "SYSTEM_INFO.dwNumberOfProcessors, wProcessorArchitecture",
            source: "sysconf(_SC_NPROCESSORS_ONLN), sched_getaffinity",
        },
        Fact {
            name: lang.pick("Physical memory", "물리 메모리"),
            value: format_bytes(f.physical_total),
            win32: "MEMORYSTATUSEX.ullTotalPhys",
            source: "/proc/meminfo MemTotal",
        },
        Fact {
            name: lang.pick("Physical memory available", "사용 가능한 물리 메모리"),
            value: f.physical_available.map_or_else(unknown, format_bytes),
            win32: "MEMORYSTATUSEX.ullAvailPhys",
            source: "/proc/meminfo MemAvailable",
        },
        Fact {
            name: lang.pick("Commit charge", "커밋 양"),
            value: format_bytes(f.commit_charge),
            win32: "PERFORMANCE_INFORMATION.CommitTotal",
            source: "/proc/meminfo Committed_AS",
        },
        Fact {
            name: lang.pick("Commit limit", "커밋 한도"),
            value: f.commit_limit.map_or_else(unknown, format_bytes),
            win32: "PERFORMANCE_INFORMATION.CommitLimit",
            source: "/proc/meminfo CommitLimit",
        },
        Fact {
            name: lang.pick("Overcommit mode", "오버커밋 모드"),
            value: f.overcommit.map_or_else(unknown, |o| o.localized(lang)),
            win32: "-",
            source: "/proc/sys/vm/overcommit_memory",
        },
        Fact {
            name: lang.pick("Lock limit", "잠금 한도"),
            value: format!(
                "{}; {}",
                limit_value(f.lock_limit, lang),
                lang.pick(
                    "root (CAP_IPC_LOCK) is not held to it",
                    "root(CAP_IPC_LOCK)에는 적용되지 않음"
                )
            ),
            win32: "SetProcessWorkingSetSize (VirtualLock)",
            source: "getrlimit(RLIMIT_MEMLOCK)",
        },
        Fact {
            name: lang.pick("Address-space limit", "주소 공간 한도"),
            value: limit_value(f.address_space_limit, lang),
            win32: "-",
            source: "getrlimit(RLIMIT_AS)",
        },
        Fact {
            name: lang.pick("Page lab's limit", "페이지 실험실 한도"),
            value: {
                let bytes = format_bytes((MAX_PAGES * f.page_size) as u64);
                match lang {
                    Lang::En => format!("{MAX_PAGES} pages per reservation ({bytes})"),
                    Lang::Ko => format!("예약 하나에 {MAX_PAGES}페이지 ({bytes})"),
                }
            },
            win32: "-",
            source: "memlab",
        },
    ]
}

/// A fact's value, in monospace; in Korean in the body font, since Hangul
/// has no monospace face here and the monospace spaces between its words
/// would read as gaps.
fn value_text(value: &str, lang: Lang) -> RichText {
    match lang {
        Lang::En => RichText::new(value).monospace(),
        Lang::Ko => RichText::new(value),
    }
}

/// A wide window: one row per fact; the value last, so that it wraps in
/// the width left.
fn facts_table(ui: &mut egui::Ui, facts: &[Fact], lang: Lang) {
    egui::Grid::new("sysinfo-facts")
        .num_columns(3)
        .striped(true)
        .spacing([16.0, 6.0])
        .show(ui, |ui| {
            ui.strong(lang.pick("Fact", "항목"));
            ui.strong(lang.pick(
                "Win32 field · where Linux keeps it",
                "Win32 필드 · 리눅스에서 읽는 곳",
            ));
            ui.strong(lang.pick("Value", "값"));
            ui.end_row();
            for f in facts {
                ui.add(egui::Label::new(f.name).extend());
                ui.vertical(|ui| {
                    ui.add(egui::Label::new(RichText::new(f.win32).monospace()).extend());
                    ui.add(egui::Label::new(RichText::new(f.source).weak()).extend());
                });
                ui.add(egui::Label::new(value_text(&f.value, lang)).wrap());
                ui.end_row();
            }
        });
}

/// A narrow window: each fact stacked, every line wrapping.
fn facts_stacked(ui: &mut egui::Ui, facts: &[Fact], lang: Lang) {
    for f in facts {
        ui.add(egui::Label::new(RichText::new(f.name).strong()).wrap());
        ui.add(egui::Label::new(value_text(&f.value, lang)).wrap());
        ui.add(egui::Label::new(RichText::new(f.win32).monospace()).wrap());
        ui.add(egui::Label::new(RichText::new(f.source).weak()).wrap());
        ui.add_space(6.0);
    }
}

impl Lab for SystemInfoForm {
    fn id(&self) -> LabId {
        LabId::Sysinfo
    }

    fn title(&self, lang: Lang) -> &'static str {
        lang.pick("System information", "시스템 정보")
    }

    fn ui(&mut self, ui: &mut egui::Ui, lang: Lang) {
        if self.job.is_none() && self.facts.is_none() && self.status.is_none() {
            self.refresh(ui.ctx());
        }
        self.poll();
        ui.heading(lang.pick(
            "System information (GetSystemInfo)",
            "시스템 정보 (GetSystemInfo)",
        ));
        ui.add(
            egui::Label::new(lang.pick(
                "What GetSystemInfo and GlobalMemoryStatusEx tell a Win32 program, as Linux tells it: each fact beside the Win32 field it stands for and where Linux keeps it.",
                "GetSystemInfo와 GlobalMemoryStatusEx가 Win32 프로그램에 알려 주는 것을 리눅스에서 읽은 값입니다. 항목마다 해당하는 Win32 필드와 리눅스에서 읽는 곳을 함께 보여 줍니다.",
            ))
            .wrap(),
        );
        ui.add_space(4.0);
        ui.horizontal_wrapped(|ui| {
            let refresh = egui::Button::new(lang.pick("Refresh", "새로 고침"))
                .min_size(egui::vec2(110.0, 0.0));
            if ui.add_enabled(self.job.is_none(), refresh).clicked() {
                self.refresh(ui.ctx());
            }
            if self.job.is_some() {
                ui.spinner();
            }
        });
        show_status(ui, lang, self.status.as_ref());
        ui.add_space(4.0);
        let Some(f) = &self.facts else {
            return;
        };
        let facts = facts_list(f, lang);
        if ui.available_width() >= TABLE_WIDTH {
            facts_table(ui, &facts, lang);
        } else {
            facts_stacked(ui, &facts, lang);
        }
    }

    fn settled(&self) -> bool {
        self.job.is_none() && (self.facts.is_some() || self.status.is_some())
    }

    fn shutdown(&mut self) {
        drop(self.job.take());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn korean_facts_have_no_english_words() {
        let facts = system::facts().unwrap();
        let allowed = [
            "KiB", "MiB", "GiB", "TiB", "x86", "aarch64", "memlab", "root", "CAP", "IPC", "LOCK",
            "2",
        ];
        for f in facts_list(&facts, Lang::Ko) {
            let words: Vec<String> =
                memlab_engine::i18n::testing::english_words(&f.value, &allowed)
                    .into_iter()
                    // Addresses in hex.
                    .filter(|w| !w.starts_with("0x"))
                    .collect();
            assert!(words.is_empty(), "{}: {:?} in {:?}", f.name, words, f.value);
            assert!(!f.name.is_ascii(), "{} is not in Korean", f.name);
        }
    }
}
