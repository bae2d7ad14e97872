//! The system information lab's facts on Windows: each beside the Win32
//! field it was read from and the call that read it.

use super::Fact;
use memlab_engine::format::format_bytes;
use memlab_engine::i18n::{Lang, Tr};
use memlab_engine::vm::system::SystemFacts;

/// The book's Windows: the application's 2 GB ended here.
const WIN32_HIGHEST: u64 = 0x7FFE_FFFF;

/// What the lab shows, said above the facts.
pub(super) const INTRO: Tr = Tr::new(
    "What GetSystemInfo, GlobalMemoryStatusEx and GetPerformanceInfo tell memlab, as read just now: each fact beside the Win32 field it comes from and the call that read it.",
    "GetSystemInfo, GlobalMemoryStatusEx, GetPerformanceInfo가 memlab에 알려 준 값을 방금 읽은 그대로 보여 줍니다. 항목마다 값이 나온 Win32 필드와 그것을 읽은 호출을 함께 보여 줍니다.",
);

/// The header of the table's second column.
pub(super) const SOURCE_HEADER: Tr = Tr::new("Win32 field · the call", "Win32 필드 · 호출");

/// The facts in the chapter's order, in `lang` (without Linux's row of
/// the page lab's limit: the page lab is not on Windows yet).
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
            source: "GetSystemInfo",
        },
        Fact {
            name: lang.pick("Allocation granularity", "할당 단위"),
            value: f
                .allocation_granularity
                .map_or_else(unknown, |g| match lang {
                    Lang::En => format!(
                        "{g} bytes ({}): every reservation starts on a multiple of it",
                        format_bytes(g as u64)
                    ),
                    Lang::Ko => format!(
                        "{g} 바이트 ({}): 예약은 언제나 이 값의 배수에서 시작합니다",
                        format_bytes(g as u64)
                    ),
                }),
            win32: "SYSTEM_INFO.dwAllocationGranularity",
            source: "GetSystemInfo",
        },
        Fact {
            name: lang.pick("Lowest application address", "가장 낮은 응용 프로그램 주소"),
            value: format!("{:#x}", f.lowest_address),
            win32: "SYSTEM_INFO.lpMinimumApplicationAddress",
            source: "GetSystemInfo",
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
            source: "GetSystemInfo",
        },
        Fact {
            name: lang.pick("Total virtual memory", "전체 가상 메모리"),
            value: match lang {
                Lang::En => format!(
                    "{} (the user part of the address space; the book's Windows: 2 GiB)",
                    format_bytes(f.total_virtual)
                ),
                Lang::Ko => format!(
                    "{} (주소 공간의 사용자 부분; 책의 윈도우: 2 GiB)",
                    format_bytes(f.total_virtual)
                ),
            },
            win32: "MEMORYSTATUSEX.ullTotalVirtual",
            source: "GlobalMemoryStatusEx",
        },
        Fact {
            name: lang.pick("Processors", "프로세서"),
            value: match lang {
                Lang::En => format!(
                    "{}, {} available to memlab ({})",
                    f.processors, f.processors_available, f.arch
                ),
                Lang::Ko => format!(
                    "{}개, memlab이 쓸 수 있는 것 {}개 ({})",
                    f.processors, f.processors_available, f.arch
                ),
            },
            win32: "SYSTEM_INFO.dwNumberOfProcessors, wProcessorArchitecture",
            source: "GetSystemInfo",
        },
        Fact {
            name: lang.pick("Physical memory", "물리 메모리"),
            value: format_bytes(f.physical_total),
            win32: "MEMORYSTATUSEX.ullTotalPhys",
            source: "GlobalMemoryStatusEx",
        },
        Fact {
            name: lang.pick("Physical memory available", "사용 가능한 물리 메모리"),
            value: f.physical_available.map_or_else(unknown, format_bytes),
            win32: "MEMORYSTATUSEX.ullAvailPhys",
            source: "GlobalMemoryStatusEx",
        },
        Fact {
            name: lang.pick("Commit charge", "커밋 양"),
            value: format_bytes(f.commit_charge),
            win32: "PERFORMANCE_INFORMATION.CommitTotal",
            source: "GetPerformanceInfo",
        },
        Fact {
            name: lang.pick("Commit limit", "커밋 한도"),
            value: f.commit_limit.map_or_else(unknown, |l| match lang {
                Lang::En => format!(
                    "{} (RAM plus the paging files: a commit past it fails)",
                    format_bytes(l)
                ),
                Lang::Ko => format!(
                    "{} (RAM과 페이징 파일의 합: 이를 넘는 커밋은 실패합니다)",
                    format_bytes(l)
                ),
            }),
            win32: "PERFORMANCE_INFORMATION.CommitLimit",
            source: "GetPerformanceInfo",
        },
        Fact {
            name: lang.pick("Working set", "작업 집합"),
            value: {
                let one = |v: Option<u64>| v.map_or_else(unknown, format_bytes);
                let (min, max) = (one(f.lock_limit.soft), one(f.lock_limit.hard));
                match lang {
                    Lang::En => format!(
                        "minimum {min}, maximum {max}; VirtualLock holds a little less than the minimum, SetProcessWorkingSetSize raises it"
                    ),
                    Lang::Ko => format!(
                        "최소 {min}, 최대 {max}; VirtualLock은 최소보다 조금 적게 잠글 수 있고, SetProcessWorkingSetSize로 늘립니다"
                    ),
                }
            },
            win32: "SetProcessWorkingSetSize (VirtualLock)",
            source: "GetProcessWorkingSetSize",
        },
    ]
}
