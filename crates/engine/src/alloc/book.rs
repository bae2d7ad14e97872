//! The book's experiment (§7, ExamTst2) as a table: its claim, which of
//! memlab's managers plays which of the book's parts, what was measured,
//! whether that agrees, and why.
//!
//! The book ran 1000 GetMem/FreeMem pairs of 4 KB and of 4 MB once with
//! Delphi 4's own memory manager and once with `SampleMgr`, which forwards
//! to HeapAlloc/HeapFree on the process heap, and concluded: Delphi's
//! manager is far faster for small blocks, HeapAlloc for large ones.
//!
//! Here mimalloc plays Delphi's manager (a sub-allocator with free lists
//! per size class, built for many small blocks) and `default` plays
//! HeapAlloc: it is the process's own heap, and on Windows it *is*
//! HeapAlloc(GetProcessHeap()). The private heap (`heap`, like HeapCreate)
//! is shown beside them.

use serde::Serialize;

use super::ManagerKind;
use super::measure::Measurement;
use crate::i18n::{Lang, Tr};

/// The manager that plays Delphi 4's own memory manager.
pub const DELPHI_ROLE: ManagerKind = ManagerKind::Mimalloc;
/// The manager that plays `SampleMgr`'s HeapAlloc(GetProcessHeap()).
pub const HEAPALLOC_ROLE: ManagerKind = ManagerKind::Default;

/// One of the book's two cases.
#[derive(Clone, Copy, Debug)]
pub struct BookCase {
    /// Block size in KB.
    pub size_kb: u32,
    /// The manager the book found faster at this size.
    pub book_faster: ManagerKind,
    /// The book's claim, in memlab's words.
    pub claim: Tr,
    /// Why the managers measure as they do here.
    pub why: Tr,
}

/// The book's two cases, 4 KB and 4 MB.
pub const CASES: [BookCase; 2] = [
    BookCase {
        size_kb: 4,
        book_faster: DELPHI_ROLE,
        claim: Tr::new(
            "Delphi's manager is far faster than HeapAlloc for small blocks",
            "작은 블록에서는 델파이의 관리자가 HeapAlloc보다 훨씬 빠르다",
        ),
        why: WHY_4_KB,
    },
    BookCase {
        size_kb: 4096,
        book_faster: HEAPALLOC_ROLE,
        claim: Tr::new(
            "HeapAlloc is faster than Delphi's manager for large blocks",
            "큰 블록에서는 HeapAlloc이 델파이의 관리자보다 빠르다",
        ),
        why: WHY_4_MB,
    },
];

#[cfg(not(windows))]
const WHY_4_KB: Tr = Tr::new(
    "4 KB is above glibc's tcache (1032 bytes), so default takes its bin path; in a fresh process the block is cut from the top of the heap and merged back on free, without a lock taken by anyone else or a system call: about as fast as mimalloc's free list for the 4 KB size class. The book's gap came from Delphi 4's sub-allocator against a call into the NT heap; glibc's path is far shorter, so both read some tens of ns here.",
    "4 KB는 glibc의 tcache(1032바이트)보다 커서 default는 bin 경로를 탑니다. 새 프로세스에서는 힙 꼭대기에서 블록을 잘라 주고 해제하면 다시 합치며, 다른 스레드와 다투는 잠금도 시스템 호출도 없습니다. 그래서 mimalloc의 4 KB 크기 등급 free 리스트와 거의 같은 속도입니다. 책의 차이는 델파이 4의 하위 할당자와 NT 힙 호출 사이의 차이였고, glibc의 경로는 훨씬 짧아서 여기서는 둘 다 수십 ns입니다.",
);
#[cfg(windows)]
const WHY_4_KB: Tr = Tr::new(
    "default is HeapAlloc(GetProcessHeap()) itself: the NT heap serves 4 KB from its free lists (or the low-fragmentation heap) after taking the heap's lock. mimalloc serves it from a thread-local free list of its size class, with no lock: the book's case.",
    "default는 HeapAlloc(GetProcessHeap()) 그 자체입니다: NT 힙은 힙의 잠금을 잡은 뒤 4 KB를 free 리스트(또는 저단편화 힙)에서 내줍니다. mimalloc은 크기 등급별 스레드 로컬 free 리스트에서 잠금 없이 내줍니다: 책의 경우와 같습니다.",
);

#[cfg(not(windows))]
const WHY_4_MB: Tr = Tr::new(
    "4 MB is above glibc's first mmap threshold (128 KiB): the first block is a mapping of its own, and freeing it raises the threshold to 4 MB (it grows up to 32 MiB), so every later block comes from the heap's top without a system call. mimalloc gives a block this large a segment of its own (its huge-object path): a few hundred ns a pair. So default, in HeapAlloc's part, wins at 4 MB as in the book, though by glibc's moving threshold, not by the NT heap's design.",
    "4 MB는 glibc의 처음 mmap 임계값(128 KiB)보다 커서 첫 블록은 따로 매핑되고, 그것을 해제하면 임계값이 4 MB로 올라갑니다(최대 32 MiB). 그래서 그다음 블록부터는 시스템 호출 없이 힙 꼭대기에서 나옵니다. mimalloc은 이만큼 큰 블록에 세그먼트를 따로 줍니다(거대 객체 경로): 한 쌍에 수백 ns. 그래서 HeapAlloc 역할의 default가 책처럼 4 MB에서 이기지만, 이유는 NT 힙의 설계가 아니라 glibc의 움직이는 임계값입니다.",
);
#[cfg(windows)]
const WHY_4_MB: Tr = Tr::new(
    "4 MB is above the NT heap's VirtualAlloc threshold (about 508 KB on 64-bit Windows): HeapAlloc reserves and commits a region of its own for it and HeapFree releases it, a system call each. mimalloc keeps a freed huge segment for a short while and reuses it. Compare with the figures measured here: under wine the NT heap is wine's own.",
    "4 MB는 NT 힙의 VirtualAlloc 임계값(64비트 Windows에서 약 508 KB)보다 커서 HeapAlloc은 영역을 따로 예약하고 커밋하며 HeapFree는 그것을 돌려줍니다: 각각 시스템 호출 한 번. mimalloc은 해제한 거대 세그먼트를 잠시 보관했다가 재사용합니다. 여기서 잰 값과 비교해 보세요: wine에서는 NT 힙이 wine 자신의 것입니다.",
);

/// What the measurements say of a case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// One of the two managers was not measured at this size yet.
    NotMeasured,
    /// The book's faster manager is faster, beyond the spread (its third
    /// quartile below the other's first).
    Agrees,
    /// The quartiles overlap: no winner beyond the noise.
    WithinSpread,
    /// The other manager is faster, beyond the spread.
    Differs,
}

impl Verdict {
    /// The verdict's words.
    pub fn text(self, lang: Lang) -> &'static str {
        match self {
            Self::NotMeasured => lang.pick("not measured yet", "아직 재지 않음"),
            Self::Agrees => lang.pick("agrees with the book", "책과 같음"),
            Self::WithinSpread => lang.pick(
                "no winner: the quartiles overlap",
                "승자 없음: 사분위 범위가 겹침",
            ),
            Self::Differs => lang.pick("differs from the book", "책과 다름"),
        }
    }
}

impl BookCase {
    /// The latest untouched measurement of `manager` at this case's size
    /// among `runs` (oldest first).
    pub fn latest<'a>(
        &self,
        runs: impl DoubleEndedIterator<Item = &'a Measurement>,
        manager: ManagerKind,
    ) -> Option<&'a Measurement> {
        runs.rev()
            .find(|m| m.manager == manager && m.size_kb == self.size_kb && !m.touch)
    }

    /// The verdict of Delphi's part (`delphi`) against HeapAlloc's (`heapalloc`).
    pub fn verdict(
        &self,
        delphi: Option<&Measurement>,
        heapalloc: Option<&Measurement>,
    ) -> Verdict {
        let (Some(d), Some(h)) = (delphi, heapalloc) else {
            return Verdict::NotMeasured;
        };
        let (fast, slow) = if self.book_faster == DELPHI_ROLE {
            (d, h)
        } else {
            (h, d)
        };
        if fast.q3_ns_per_pair < slow.q1_ns_per_pair {
            Verdict::Agrees
        } else if slow.q3_ns_per_pair < fast.q1_ns_per_pair {
            Verdict::Differs
        } else {
            Verdict::WithinSpread
        }
    }
}

/// Which manager plays which of the book's parts, in `lang`.
pub fn roles(lang: Lang) -> &'static str {
    #[cfg(not(windows))]
    return lang.pick(
        "mimalloc plays Delphi 4's own manager (free lists per size class, built for small blocks); default (glibc malloc) plays SampleMgr's HeapAlloc(GetProcessHeap()), the process's own heap; on Windows default is HeapAlloc(GetProcessHeap()) itself. heap (a private heap like HeapCreate's) is shown beside them.",
        "mimalloc이 델파이 4의 메모리 관리자 역할(크기 등급별 free 리스트, 작은 블록용)을, default(glibc malloc)가 SampleMgr의 HeapAlloc(GetProcessHeap()) 역할, 곧 프로세스 자신의 힙을 맡습니다. Windows에서는 default가 HeapAlloc(GetProcessHeap()) 그 자체입니다. heap(HeapCreate 같은 전용 힙)은 곁에 함께 보입니다.",
    );
    #[cfg(windows)]
    return lang.pick(
        "mimalloc plays Delphi 4's own manager (free lists per size class, built for small blocks); default is HeapAlloc(GetProcessHeap()) itself, SampleMgr's call. heap (a private heap like HeapCreate's) is shown beside them.",
        "mimalloc이 델파이 4의 메모리 관리자 역할(크기 등급별 free 리스트, 작은 블록용)을 맡고, default는 SampleMgr가 부르는 HeapAlloc(GetProcessHeap()) 그 자체입니다. heap(HeapCreate 같은 전용 힙)은 곁에 함께 보입니다.",
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(manager: ManagerKind, size_kb: u32, q1: f64, q3: f64) -> Measurement {
        Measurement {
            manager,
            size_kb,
            touch: false,
            warm_up_pairs: 1,
            warm_up_ms: 100.0,
            pairs_per_sample: 1000,
            samples: 10,
            median_ns_per_pair: (q1 + q3) / 2.0,
            min_ns_per_pair: q1,
            max_ns_per_pair: q3,
            q1_ns_per_pair: q1,
            q3_ns_per_pair: q3,
            outliers: 0,
            ms_per_1000_pairs: 0.0,
            sample_ns_per_pair: vec![],
            minor_faults: None,
            major_faults: None,
            heap_fallbacks: 0,
            mimalloc_fallbacks: 0,
            isolated: true,
        }
    }

    #[test]
    fn verdicts_follow_the_quartiles() {
        let [small, large] = CASES;
        let fast_mi = m(ManagerKind::Mimalloc, 4, 10.0, 11.0);
        let slow_default = m(ManagerKind::Default, 4, 15.0, 16.0);
        assert_eq!(
            small.verdict(Some(&fast_mi), Some(&slow_default)),
            Verdict::Agrees
        );
        // At 4 MB the book has HeapAlloc's part faster: the same figures differ.
        assert_eq!(
            large.verdict(Some(&fast_mi), Some(&slow_default)),
            Verdict::Differs
        );
        let close = m(ManagerKind::Default, 4, 10.5, 12.0);
        assert_eq!(
            small.verdict(Some(&fast_mi), Some(&close)),
            Verdict::WithinSpread
        );
        assert_eq!(small.verdict(None, Some(&close)), Verdict::NotMeasured);
    }

    #[test]
    fn the_latest_untouched_run_of_the_size_counts() {
        let old = m(ManagerKind::Mimalloc, 4, 1.0, 2.0);
        let other_size = m(ManagerKind::Mimalloc, 8, 3.0, 4.0);
        let touched = Measurement {
            touch: true,
            ..m(ManagerKind::Mimalloc, 4, 5.0, 6.0)
        };
        let runs = [old.clone(), other_size, touched];
        assert_eq!(
            CASES[0].latest(runs.iter(), ManagerKind::Mimalloc),
            Some(&old)
        );
        assert_eq!(CASES[0].latest(runs.iter(), ManagerKind::Default), None);
    }
}
