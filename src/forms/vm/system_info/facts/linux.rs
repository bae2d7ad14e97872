//! The system information lab's facts on Linux: where Linux keeps each
//! Win32 figure, and the rows Linux has alone (overcommit, rlimits).

use super::super::Fact;
use super::{OsFacts, Sources, unknown};
use memlab_engine::format::format_bytes;
use memlab_engine::i18n::{Lang, Localized, Tr};
use memlab_engine::vm::MAX_PAGES;
use memlab_engine::vm::system::{Limit, SystemFacts, WINDOWS_ALLOCATION_GRANULARITY};

/// What the lab shows, said above the facts.
pub(in super::super) const INTRO: Tr = Tr::new(
    "What GetSystemInfo and GlobalMemoryStatusEx tell a Win32 program, as Linux tells it: each fact beside the Win32 field it stands for and where Linux keeps it.",
    "GetSystemInfo와 GlobalMemoryStatusEx가 Win32 프로그램에 알려 주는 것을 리눅스에서 읽은 값입니다. 항목마다 해당하는 Win32 필드와 리눅스에서 읽는 곳을 함께 보여 줍니다.",
);

/// The header of the table's second column.
pub(in super::super) const SOURCE_HEADER: Tr = Tr::new(
    "Win32 field · where Linux keeps it",
    "Win32 필드 · 리눅스에서 읽는 곳",
);

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

pub(in super::super) const FACTS: OsFacts = OsFacts {
    sources: Sources {
        page_size: "sysconf(_SC_PAGESIZE)",
        lowest: "/proc/sys/vm/mmap_min_addr",
        highest: "/proc/self/maps ([stack])",
        total_virtual: "highest - lowest application address",
        processors: "sysconf(_SC_NPROCESSORS_ONLN), sched_getaffinity",
        physical: "/proc/meminfo MemTotal",
        available: "/proc/meminfo MemAvailable",
        commit_charge: "/proc/meminfo Committed_AS",
        commit_limit: "/proc/meminfo CommitLimit",
    },
    total_virtual: Tr::new(
        "the user part of the address space, lowest to highest address; the book's Windows: 2 GiB",
        "주소 공간의 사용자 부분, 가장 낮은 주소부터 가장 높은 주소까지; 책의 윈도우: 2 GiB",
    ),
    processors: Tr::new(" online", "켜진 것 "),
    commit_limit: Tr::new("", ""),
};

/// Linux has none: any page may start a mapping.
pub(super) fn granularity(f: &SystemFacts, lang: Lang) -> Fact {
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
    }
}

/// Overcommit, the rlimits and the page lab's limit.
pub(super) fn own_facts(f: &SystemFacts, lang: Lang) -> Vec<Fact> {
    vec![
        Fact {
            name: lang.pick("Overcommit mode", "오버커밋 모드"),
            value: f
                .overcommit
                .map_or_else(|| unknown(lang), |o| o.localized(lang)),
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
