//! The system information lab's facts on Linux: each beside the Win32
//! field it stands for and where Linux keeps it.

use super::Fact;
use memlab_engine::format::format_bytes;
use memlab_engine::i18n::{Lang, Localized, Tr};
use memlab_engine::vm::MAX_PAGES;
use memlab_engine::vm::system::{Limit, SystemFacts, WINDOWS_ALLOCATION_GRANULARITY};

/// The book's Windows: the application's 2 GB ended here.
const WIN32_HIGHEST: u64 = 0x7FFE_FFFF;

/// What the lab shows, said above the facts.
pub(super) const INTRO: Tr = Tr::new(
    "What GetSystemInfo and GlobalMemoryStatusEx tell a Win32 program, as Linux tells it: each fact beside the Win32 field it stands for and where Linux keeps it.",
    "GetSystemInfo와 GlobalMemoryStatusEx가 Win32 프로그램에 알려 주는 것을 리눅스에서 읽은 값입니다. 항목마다 해당하는 Win32 필드와 리눅스에서 읽는 곳을 함께 보여 줍니다.",
);

/// The header of the table's second column.
pub(super) const SOURCE_HEADER: Tr = Tr::new(
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

/// The facts in the chapter's order, in `lang`.
pub(super) fn facts_list(f: &SystemFacts, lang: Lang) -> Vec<Fact> {
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
