//! The benchmark form's own sentences in English and Korean: its notes on
//! a run, a sweep or an export, the line beside Run, and the rules of its
//! number fields (with the form's largest iteration count).

use std::io;
use std::path::PathBuf;

use memlab_engine::alloc::ManagerKind;
use memlab_engine::alloc::bench::{BenchResult, MAX_SIZE_KB};
use memlab_engine::alloc::sweep::MAX_REPEATS;
use memlab_engine::format::{format_ms, format_ns, format_size_kb};
use memlab_engine::i18n::{Lang, Localized};

/// Largest iteration count the form accepts.
pub const MAX_ITERATIONS: u32 = 100_000_000;

/// The rule of one number field of the benchmark form, for its notes.
#[derive(Clone, Copy, Debug)]
pub enum NumberRule {
    Size,
    Iterations,
    Repeats,
}

impl Localized for NumberRule {
    fn localized(&self, lang: Lang) -> String {
        match (self, lang) {
            (Self::Size, Lang::En) => format!("size must be 1 to {MAX_SIZE_KB} KB"),
            (Self::Size, Lang::Ko) => format!("크기는 1~{MAX_SIZE_KB} KB여야 합니다"),
            (Self::Iterations, Lang::En) => format!("iterations must be 1 to {MAX_ITERATIONS}"),
            (Self::Iterations, Lang::Ko) => {
                format!("반복 횟수는 1~{MAX_ITERATIONS} 사이여야 합니다")
            }
            (Self::Repeats, Lang::En) => format!("repeats must be 1 to {MAX_REPEATS}"),
            (Self::Repeats, Lang::Ko) => {
                format!("반복 측정 횟수는 1~{MAX_REPEATS} 사이여야 합니다")
            }
        }
    }
}

/// What the benchmark form says about a run, a sweep or an export.
#[derive(Debug)]
pub enum BenchNote {
    /// A run without warm-up, the first with its manager and size since a
    /// switch: the manager's start-up is in its time.
    Cold {
        manager: ManagerKind,
        size_kb: u32,
    },
    /// Cancel was pressed during the untimed warm-up: nothing was measured.
    WarmUpCancelled,
    /// Cancel was pressed during a run.
    Cancelled {
        done: u32,
        total: u32,
    },
    /// The private heap was full for some pairs (served by the default manager).
    HeapFull {
        fallbacks: u64,
    },
    /// The mimalloc arena was full for some pairs (served by the default
    /// manager).
    MimallocArenaFull {
        fallbacks: u64,
    },
    /// The worker ended without a result (it panicked).
    WorkerLost,
    /// No thread could be started for the run.
    WorkerNotStarted(io::Error),
    /// Cancel was pressed during a sweep; the sizes done are shown.
    SweepCancelled {
        sizes_done: usize,
        sizes: usize,
    },
    CsvWritten(PathBuf),
    CsvNotWritten {
        path: PathBuf,
        error: io::Error,
    },
}

impl Localized for BenchNote {
    fn localized(&self, lang: Lang) -> String {
        match (self, lang) {
            (Self::Cold { manager, size_kb }, Lang::En) => format!(
                "Cold run: the first with {manager} at {} since the manager or size changed, so its time includes the manager's start-up (mimalloc reserving its first memory, the heap committing its first pages). Tick \"Warm up first\" to leave that out: one untimed round runs before the timed one.",
                format_size_kb(*size_kb)
            ),
            (Self::Cold { manager, size_kb }, Lang::Ko) => format!(
                "콜드 실행: 관리자나 크기를 바꾼 뒤 {manager}로 {}를 처음 실행했으므로 관리자의 시작 비용(mimalloc이 처음 메모리를 잡는 일, 힙이 처음 페이지를 커밋하는 일)이 시간에 들어 있습니다. \"먼저 예열\"을 켜면 시간을 재기 전에 한 번 더 돌려 그 비용을 뺍니다.",
                format_size_kb(*size_kb)
            ),
            (Self::WarmUpCancelled, Lang::En) => {
                "Cancelled during the untimed warm-up: nothing was measured".into()
            }
            (Self::WarmUpCancelled, Lang::Ko) => {
                "시간을 재기 전 예열 중에 취소되어 측정한 것이 없습니다".into()
            }
            (Self::Cancelled { done, total }, Lang::En) => {
                format!("Cancelled after {done} / {total} pairs")
            }
            (Self::Cancelled { done, total }, Lang::Ko) => {
                format!("취소됨: {done} / {total}쌍 완료")
            }
            (Self::HeapFull { fallbacks }, Lang::En) => format!(
                "The private heap was full: {fallbacks} blocks were served by the default manager instead"
            ),
            (Self::HeapFull { fallbacks }, Lang::Ko) => {
                format!("전용 힙이 가득 참: {fallbacks}개 블록을 대신 기본 관리자가 할당했습니다")
            }
            (Self::MimallocArenaFull { fallbacks }, Lang::En) => format!(
                "The mimalloc arena was full: {fallbacks} blocks were served by the default manager instead"
            ),
            (Self::MimallocArenaFull { fallbacks }, Lang::Ko) => format!(
                "mimalloc 아레나가 가득 참: {fallbacks}개 블록을 대신 기본 관리자가 할당했습니다"
            ),
            (Self::WorkerLost, Lang::En) => "the benchmark worker stopped without a result".into(),
            (Self::WorkerLost, Lang::Ko) => "벤치마크 작업 스레드가 결과 없이 끝났습니다".into(),
            (Self::WorkerNotStarted(e), Lang::En) => format!("cannot start the worker thread: {e}"),
            (Self::WorkerNotStarted(e), Lang::Ko) => {
                format!("작업 스레드를 시작할 수 없습니다: {}", e.localized(lang))
            }
            (Self::SweepCancelled { sizes_done, sizes }, Lang::En) => {
                format!("Cancelled; sizes measured: {sizes_done} / {sizes} (partial results below)")
            }
            (Self::SweepCancelled { sizes_done, sizes }, Lang::Ko) => {
                format!("취소됨; 측정한 크기: {sizes_done} / {sizes} (아래는 일부 결과)")
            }
            (Self::CsvWritten(path), Lang::En) => format!("Written to {}", path.display()),
            (Self::CsvWritten(path), Lang::Ko) => format!("저장함: {}", path.display()),
            (Self::CsvNotWritten { path, error }, Lang::En) => {
                format!("Cannot write {}: {error}", path.display())
            }
            (Self::CsvNotWritten { path, error }, Lang::Ko) => {
                format!("쓸 수 없음: {}: {}", path.display(), error.localized(lang))
            }
        }
    }
}

/// The line beside Run: what the last run measured.
pub struct LastRun(pub BenchResult);

impl Localized for LastRun {
    fn localized(&self, lang: Lang) -> String {
        let r = &self.0;
        let faults = match (r.minor_faults, r.major_faults, lang) {
            (Some(minor), Some(major), Lang::En) => {
                format!("page faults: {minor} minor, {major} major")
            }
            (Some(minor), Some(major), Lang::Ko) => {
                format!("페이지 폴트: 마이너 {minor}, 메이저 {major}")
            }
            (_, _, Lang::En) => "page faults: not available on this OS".into(),
            (_, _, Lang::Ko) => "페이지 폴트: 이 OS에서는 알 수 없음".into(),
        };
        let (size, ms, per_pair) = (
            format_size_kb(r.size_kb),
            format_ms(r.ms),
            format_ns(r.ns_per_pair),
        );
        match lang {
            Lang::En => format!(
                "Last run: {}, {size} × {} pairs{}: {ms}, {per_pair} per pair; {faults}",
                r.manager,
                r.iterations_done,
                if r.touch { ", pages touched" } else { "" },
            ),
            Lang::Ko => format!(
                "마지막 실행: {}, {size} × {}쌍{}: {ms}, 쌍당 {per_pair}; {faults}",
                r.manager,
                r.iterations_done,
                if r.touch { ", 페이지에 씀" } else { "" },
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use memlab_engine::i18n::testing::english_words;

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

    fn run(cancelled: bool, faults: Option<u64>) -> BenchResult {
        BenchResult {
            manager: ManagerKind::Mimalloc,
            size_kb: 4096,
            iterations: 1000,
            iterations_done: 1000,
            touch: true,
            ms: 1.5,
            ns_per_pair: 1500.0,
            minor_faults: faults,
            major_faults: faults,
            heap_fallbacks: 0,
            mimalloc_fallbacks: 0,
            cancelled,
        }
    }

    #[test]
    fn notes_runs_and_rules_read_in_korean() {
        let denied = || io::Error::from_raw_os_error(libc::EACCES);
        let notes = [
            BenchNote::Cancelled {
                done: 10,
                total: 100,
            },
            BenchNote::HeapFull { fallbacks: 3 },
            BenchNote::MimallocArenaFull { fallbacks: 3 },
            BenchNote::Cold {
                manager: ManagerKind::Mimalloc,
                size_kb: 4,
            },
            BenchNote::WarmUpCancelled,
            BenchNote::WorkerLost,
            BenchNote::WorkerNotStarted(io::Error::from(io::ErrorKind::OutOfMemory)),
            BenchNote::SweepCancelled {
                sizes_done: 2,
                sizes: 17,
            },
            BenchNote::CsvWritten("/tmp/a.csv".into()),
            BenchNote::CsvNotWritten {
                path: "/tmp/a.csv".into(),
                error: denied(),
            },
        ];
        for note in &notes {
            assert_korean(&note.localized(Lang::Ko));
        }
        for r in [run(false, Some(3)), run(true, None)] {
            assert_korean(&LastRun(r).localized(Lang::Ko));
        }
        for rule in [
            NumberRule::Size,
            NumberRule::Iterations,
            NumberRule::Repeats,
        ] {
            assert_korean(&rule.localized(Lang::Ko));
        }
    }

    #[test]
    fn input_notes_read_in_korean_after_each_rule() {
        use crate::forms::widgets::InputNote;
        let notes = [
            InputNote::Clamped {
                typed: "0".into(),
                to: 1,
            },
            InputNote::Rounded {
                typed: "4.6".into(),
                to: 5,
            },
            InputNote::NotANumber {
                typed: "abc".into(),
                kept: 4,
            },
        ];
        for note in &notes {
            for rule in [
                NumberRule::Size,
                NumberRule::Iterations,
                NumberRule::Repeats,
            ] {
                assert_korean(&note.localized_with(&rule, Lang::Ko));
            }
        }
    }
}
