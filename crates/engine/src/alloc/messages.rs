//! The allocation engine's values in Korean (their English is their
//! `Display`, what the command line prints): the benchmark's errors, an
//! unknown manager's name, crossovers, and what each manager is.

use std::borrow::Cow;

use super::bench::{BenchError, MAX_SIZE_KB};
use super::isolated::MeasureError;
use super::sweep::{Crossover, crossover_text};
use super::{ManagerKind, UnknownManager};
use crate::format::format_size_kb;
use crate::i18n::{Lang, Localized};

impl Localized for BenchError {
    fn localized(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return self.to_string();
        }
        match self {
            Self::SizeOutOfRange(got) => {
                format!("크기는 1~{MAX_SIZE_KB} KB여야 합니다 (입력: {got})")
            }
            Self::ZeroIterations => "반복 횟수는 1 이상이어야 합니다 (입력: 0)".into(),
            Self::SamplesOutOfRange(got) => format!(
                "표본 수는 {}~{}이어야 합니다 (입력: {got})",
                super::measure::MIN_SAMPLES,
                super::measure::MAX_SAMPLES
            ),
            Self::AllocFailed { manager, size_kb } => format!(
                "{manager} 관리자가 {} 블록을 할당하지 못했습니다",
                format_size_kb(*size_kb)
            ),
            Self::NoManagers => "메모리 관리자를 하나 이상 고르세요".into(),
            Self::ZeroRepeats => "반복 측정 횟수는 1 이상이어야 합니다 (입력: 0)".into(),
            Self::NoSizes => "블록 크기를 하나 이상 고르세요".into(),
            Self::TooManyRepeats { got, max } => {
                format!("반복 측정 횟수는 최대 {max}회입니다 (입력: {got})")
            }
            Self::SweepTooLarge {
                pairs,
                bytes,
                max_pairs,
                max_bytes,
            } => format!(
                "이 스윕은 할당/해제 {pairs}쌍, 모두 {} GiB를 할당하게 됩니다. 한도는 {max_pairs}쌍, {} GiB입니다",
                bytes >> 30,
                max_bytes >> 30
            ),
        }
    }
}

impl Localized for MeasureError {
    fn localized(&self, lang: Lang) -> String {
        let last_line = |stderr: &str| {
            stderr
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .map(|l| format!(" ({})", l.trim()))
                .unwrap_or_default()
        };
        match (self, lang) {
            (_, Lang::En) => self.to_string(),
            (Self::Bench(e), Lang::Ko) => e.localized(lang),
            (Self::Spawn { exe, error }, Lang::Ko) => format!(
                "측정 프로세스 {}를 시작할 수 없습니다: {error}",
                exe.display()
            ),
            (Self::Killed { signal, stderr }, Lang::Ko) => format!(
                "측정 프로세스가 끝나기 전에 시그널 {signal}로 종료되었습니다{}",
                last_line(stderr)
            ),
            (Self::Exited { code, stderr }, Lang::Ko) => format!(
                "측정 프로세스가 끝나기 전에 종료 코드 {code}로 끝났습니다{}",
                last_line(stderr)
            ),
            (Self::Silent { secs }, Lang::Ko) => {
                format!("측정 프로세스가 {secs}초 동안 아무 말이 없어 멈췄습니다")
            }
            (Self::Garbled { line }, Lang::Ko) => {
                format!("측정 프로세스가 예상하지 못한 내용을 썼습니다: {line:?}")
            }
        }
    }
}

impl Localized for UnknownManager {
    fn localized(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.to_string(),
            Lang::Ko => format!(
                "알 수 없는 메모리 관리자 {:?} (default, heap, mimalloc 중 하나여야 합니다)",
                self.0
            ),
        }
    }
}

impl Localized for Crossover {
    fn localized(&self, lang: Lang) -> String {
        match lang {
            Lang::En => crossover_text(self),
            Lang::Ko => format!(
                "{}와 {} 사이: {} 다음에 {}",
                format_size_kb(self.below_kb),
                format_size_kb(self.from_kb),
                self.faster_below,
                self.faster_from
            ),
        }
    }
}

/// What a memory manager is, in the UI's language (the engine's text is English).
pub fn manager_description(kind: ManagerKind, lang: Lang) -> Cow<'static, str> {
    match (lang, kind) {
        (Lang::En, _) => kind.describe().into(),
        (Lang::Ko, ManagerKind::Default) => {
            // The engine names this build's C library after an English prefix.
            let library = kind.describe();
            let library = library
                .strip_prefix("system allocator: ")
                .unwrap_or(library);
            format!("시스템 할당자: {library}").into()
        }
        (Lang::Ko, ManagerKind::Heap) => "전용 힙: 주소 범위(기본 1 GiB)를 한 번 예약하고, 커지면서 페이지를 커밋하며, \
             talc 할당자로 블록을 나눠 줍니다 (Win32 HeapCreate/HeapAlloc 역할). 가득 차면 기본 관리자로 넘깁니다"
            .into(),
        (Lang::Ko, ManagerKind::Mimalloc) => "mimalloc (Microsoft): memlab이 예약한 아레나(주소 공간 1 GiB)에서 \
             할당하며, 가득 차면 기본 관리자로 대체합니다"
            .into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::testing::english_words;

    /// ASCII that may stay in Korean text: manager, crate and library names,
    /// units, and the words of the test paths.
    const ALLOWED: &[&str] = &[
        "default",
        "heap",
        "mimalloc",
        "glibc",
        "musl",
        "malloc",
        "ptmalloc2",
        "libmalloc",
        "talc",
        "memlab",
        "Microsoft",
        "Win32",
        "HeapCreate",
        "HeapAlloc",
        "GetProcessHeap",
        "KB",
        "MB",
        "GiB",
        "ms",
        "ns",
        "OS",
        "tmp",
        "csv",
        "abc",
    ];

    fn assert_korean(text: &str) {
        let english = english_words(text, ALLOWED);
        assert!(english.is_empty(), "English {english:?} in {text:?}");
        assert!(
            text.chars().any(|c| ('가'..='힣').contains(&c)),
            "no Hangul in {text:?}"
        );
    }

    fn every_bench_error() -> Vec<BenchError> {
        let all = vec![
            BenchError::SizeOutOfRange(70_000),
            BenchError::ZeroIterations,
            BenchError::SamplesOutOfRange(5),
            BenchError::AllocFailed {
                manager: ManagerKind::Heap,
                size_kb: 65536,
            },
            BenchError::NoManagers,
            BenchError::ZeroRepeats,
            BenchError::NoSizes,
            BenchError::TooManyRepeats {
                got: 100_000_000,
                max: 1000,
            },
            BenchError::SweepTooLarge {
                pairs: 5_000_000_000,
                bytes: 20 << 40,
                max_pairs: 4_000_000_000,
                max_bytes: 16 << 40,
            },
        ];
        // A new variant fails to compile here until it is added above.
        for e in &all {
            match e {
                BenchError::SizeOutOfRange(_)
                | BenchError::ZeroIterations
                | BenchError::SamplesOutOfRange(_)
                | BenchError::AllocFailed { .. }
                | BenchError::NoManagers
                | BenchError::ZeroRepeats
                | BenchError::NoSizes
                | BenchError::TooManyRepeats { .. }
                | BenchError::SweepTooLarge { .. } => {}
            }
        }
        all
    }

    #[test]
    fn every_bench_error_reads_in_korean() {
        for e in every_bench_error() {
            let ko = e.localized(Lang::Ko);
            assert_korean(&ko);
            assert_eq!(e.localized(Lang::En), e.to_string(), "English is Display");
        }
        let unknown = UnknownManager("jemalloc".into());
        let ko = unknown.localized(Lang::Ko);
        assert!(ko.contains("\"jemalloc\""), "{ko}");
        assert_korean(&ko.replace("\"jemalloc\"", ""));
    }

    #[test]
    fn measuring_process_errors_read_in_korean() {
        let all = [
            MeasureError::Bench(BenchError::ZeroIterations),
            MeasureError::Spawn {
                exe: "/tmp/memlab".into(),
                error: String::new(),
            },
            MeasureError::Killed {
                signal: 9,
                stderr: String::new(),
            },
            MeasureError::Exited {
                code: 1,
                stderr: String::new(),
            },
            MeasureError::Silent { secs: 30 },
            MeasureError::Garbled {
                line: String::new(),
            },
        ];
        for e in all {
            // A new variant fails to compile here until it is added above.
            match e {
                MeasureError::Bench(_)
                | MeasureError::Spawn { .. }
                | MeasureError::Killed { .. }
                | MeasureError::Exited { .. }
                | MeasureError::Silent { .. }
                | MeasureError::Garbled { .. } => {}
            }
            assert_korean(&e.localized(Lang::Ko).replace("\"\"", ""));
            assert_eq!(e.localized(Lang::En), e.to_string());
        }
    }

    #[test]
    fn managers_and_crossovers_read_in_korean() {
        for kind in ManagerKind::ALL {
            assert_korean(&manager_description(kind, Lang::Ko));
        }
        let crossover = Crossover {
            below_kb: 512,
            from_kb: 1024,
            faster_below: ManagerKind::Mimalloc,
            faster_from: ManagerKind::Default,
        };
        assert_eq!(
            crossover.localized(Lang::Ko),
            "512 KB와 1 MB 사이: mimalloc 다음에 default"
        );
        assert_eq!(crossover.localized(Lang::En), crossover_text(&crossover));
    }
}
