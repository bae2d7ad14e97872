//! The system information lab's facts, in the chapter's order: the rows
//! both OSes have are built here once; what differs (where each figure is
//! kept or which call read it, and the rows one OS has alone) is in
//! `linux.rs` and `windows.rs`.

#[cfg_attr(windows, path = "windows.rs")]
#[cfg_attr(not(windows), path = "linux.rs")]
mod os;

pub(super) use os::{INTRO, SOURCE_HEADER};

use super::Fact;
use memlab_engine::format::format_bytes;
use memlab_engine::i18n::{Lang, Tr};
use memlab_engine::vm::system::SystemFacts;

/// The book's Windows: the application's 2 GB ended here.
const WIN32_HIGHEST: u64 = 0x7FFE_FFFF;

/// Where this OS keeps each fact both OSes show (on Windows: the call
/// that read it).
pub(super) struct Sources {
    pub page_size: &'static str,
    pub lowest: &'static str,
    pub highest: &'static str,
    pub total_virtual: &'static str,
    pub processors: &'static str,
    pub physical: &'static str,
    pub available: &'static str,
    pub commit_charge: &'static str,
    pub commit_limit: &'static str,
}

/// What an OS adds to the facts both have: its sources, the words of the
/// rows it says its own way, and its own rows.
pub(super) struct OsFacts {
    pub sources: Sources,
    /// After the total virtual memory: how it is measured.
    pub total_virtual: Tr,
    /// Before the processors' count (Linux: "online").
    pub processors: Tr,
    /// After the commit limit: what it is made of.
    pub commit_limit: Tr,
}

fn unknown(lang: Lang) -> String {
    lang.pick("unknown", "알 수 없음").to_owned()
}

/// The facts in the chapter's order, in `lang`.
pub(super) fn facts_list(f: &SystemFacts, lang: Lang) -> Vec<Fact> {
    let os = &os::FACTS;
    let s = &os.sources;
    let user_space = f.highest_address as u64 + 1;
    let mut list = vec![
        Fact {
            name: lang.pick("Page size", "페이지 크기"),
            value: format!(
                "{} {} ({})",
                f.page_size,
                lang.pick("bytes", "바이트"),
                format_bytes(f.page_size as u64)
            ),
            win32: "SYSTEM_INFO.dwPageSize",
            source: s.page_size,
        },
        os::granularity(f, lang),
        Fact {
            name: lang.pick("Lowest application address", "가장 낮은 응용 프로그램 주소"),
            value: format!("{:#x}", f.lowest_address),
            win32: "SYSTEM_INFO.lpMinimumApplicationAddress",
            source: s.lowest,
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
            source: s.highest,
        },
        Fact {
            name: lang.pick("Total virtual memory", "전체 가상 메모리"),
            value: format!(
                "{} ({})",
                format_bytes(f.total_virtual),
                os.total_virtual.get(lang)
            ),
            win32: "MEMORYSTATUSEX.ullTotalVirtual",
            source: s.total_virtual,
        },
        Fact {
            name: lang.pick("Processors", "프로세서"),
            value: match lang {
                Lang::En => format!(
                    "{}{}, {} available to memlab ({})",
                    f.processors, os.processors.en, f.processors_available, f.arch
                ),
                Lang::Ko => format!(
                    "{}{}개, memlab이 쓸 수 있는 것 {}개 ({})",
                    os.processors.ko, f.processors, f.processors_available, f.arch
                ),
            },
            win32: "SYSTEM_INFO.dwNumberOfProcessors, wProcessorArchitecture",
            source: s.processors,
        },
        Fact {
            name: lang.pick("Physical memory", "물리 메모리"),
            value: format_bytes(f.physical_total),
            win32: "MEMORYSTATUSEX.ullTotalPhys",
            source: s.physical,
        },
        Fact {
            name: lang.pick("Physical memory available", "사용 가능한 물리 메모리"),
            value: f
                .physical_available
                .map_or_else(|| unknown(lang), format_bytes),
            win32: "MEMORYSTATUSEX.ullAvailPhys",
            source: s.available,
        },
        Fact {
            name: lang.pick("Commit charge", "커밋 양"),
            value: format_bytes(f.commit_charge),
            win32: "PERFORMANCE_INFORMATION.CommitTotal",
            source: s.commit_charge,
        },
        Fact {
            name: lang.pick("Commit limit", "커밋 한도"),
            value: f.commit_limit.map_or_else(
                || unknown(lang),
                |l| {
                    let why = os.commit_limit.get(lang);
                    if why.is_empty() {
                        format_bytes(l)
                    } else {
                        format!("{} ({why})", format_bytes(l))
                    }
                },
            ),
            win32: "PERFORMANCE_INFORMATION.CommitLimit",
            source: s.commit_limit,
        },
    ];
    list.extend(os::own_facts(f, lang));
    list
}
