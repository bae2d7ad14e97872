//! The system information lab's facts on Windows: the call that read each
//! Win32 figure, and the working set's row.

use super::super::Fact;
use super::{OsFacts, Sources, unknown};
use memlab_engine::format::format_bytes;
use memlab_engine::i18n::{Lang, Tr};
use memlab_engine::vm::system::SystemFacts;

/// What the lab shows, said above the facts.
pub(in super::super) const INTRO: Tr = Tr::new(
    "What GetSystemInfo, GlobalMemoryStatusEx and GetPerformanceInfo tell memlab, as read just now: each fact beside the Win32 field it comes from and the call that read it.",
    "GetSystemInfo, GlobalMemoryStatusEx, GetPerformanceInfo가 memlab에 알려 준 값을 방금 읽은 그대로 보여 줍니다. 항목마다 값이 나온 Win32 필드와 그것을 읽은 호출을 함께 보여 줍니다.",
);

/// The header of the table's second column.
pub(in super::super) const SOURCE_HEADER: Tr =
    Tr::new("Win32 field · the call", "Win32 필드 · 호출");

pub(in super::super) const FACTS: OsFacts = OsFacts {
    sources: Sources {
        page_size: "GetSystemInfo",
        lowest: "GetSystemInfo",
        highest: "GetSystemInfo",
        total_virtual: "GlobalMemoryStatusEx",
        processors: "GetSystemInfo",
        physical: "GlobalMemoryStatusEx",
        available: "GlobalMemoryStatusEx",
        commit_charge: "GetPerformanceInfo",
        commit_limit: "GetPerformanceInfo",
    },
    total_virtual: Tr::new(
        "the user part of the address space; the book's Windows: 2 GiB",
        "주소 공간의 사용자 부분; 책의 윈도우: 2 GiB",
    ),
    processors: Tr::new("", ""),
    commit_limit: Tr::new(
        "RAM plus the paging files: a commit past it fails",
        "RAM과 페이징 파일의 합: 이를 넘는 커밋은 실패합니다",
    ),
};

/// Every reservation starts on a multiple of it.
pub(super) fn granularity(f: &SystemFacts, lang: Lang) -> Fact {
    Fact {
        name: lang.pick("Allocation granularity", "할당 단위"),
        value: f.allocation_granularity.map_or_else(
            || unknown(lang),
            |g| match lang {
                Lang::En => format!(
                    "{g} bytes ({}): every reservation starts on a multiple of it",
                    format_bytes(g as u64)
                ),
                Lang::Ko => format!(
                    "{g} 바이트 ({}): 예약은 언제나 이 값의 배수에서 시작합니다",
                    format_bytes(g as u64)
                ),
            },
        ),
        win32: "SYSTEM_INFO.dwAllocationGranularity",
        source: "GetSystemInfo",
    }
}

/// The working set (the page lab's row comes with the page lab).
pub(super) fn own_facts(f: &SystemFacts, lang: Lang) -> Vec<Fact> {
    vec![Fact {
        name: lang.pick("Working set", "작업 집합"),
        value: {
            let one = |v: Option<u64>| v.map_or_else(|| unknown(lang), format_bytes);
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
    }]
}
