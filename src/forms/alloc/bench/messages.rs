//! The benchmark form's own sentences in English and Korean: its notes on
//! a run, a sweep or an export, the line beside Run, and the rules of its
//! number fields (with the form's largest iteration count).

use std::io;
use std::path::PathBuf;

use memlab_engine::alloc::bench::MAX_SIZE_KB;
use memlab_engine::alloc::measure::{MAX_SAMPLES, MIN_SAMPLES, Measurement};
use memlab_engine::alloc::sweep::MAX_REPEATS;
use memlab_engine::format::{format_ms, format_ns, format_size_kb};
use memlab_engine::i18n::{Lang, Localized};

/// The rule of one number field of the benchmark form, for its notes.
#[derive(Clone, Copy, Debug)]
pub enum NumberRule {
    Size,
    Samples,
    Repeats,
}

impl Localized for NumberRule {
    fn localized(&self, lang: Lang) -> String {
        match (self, lang) {
            (Self::Size, Lang::En) => format!("size must be 1 to {MAX_SIZE_KB} KB"),
            (Self::Size, Lang::Ko) => format!("크기는 1~{MAX_SIZE_KB} KB여야 합니다"),
            (Self::Samples, Lang::En) => {
                format!("samples must be {MIN_SAMPLES} to {MAX_SAMPLES}")
            }
            (Self::Samples, Lang::Ko) => {
                format!("표본 수는 {MIN_SAMPLES}~{MAX_SAMPLES} 사이여야 합니다")
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
    /// Cancel was pressed during a measurement: nothing was kept.
    Cancelled,
    /// memlab's own executable, which measures, cannot be found.
    NoExecutable(io::Error),
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
            (Self::Cancelled, Lang::En) => {
                "Cancelled: the measuring process was stopped and nothing was kept".into()
            }
            (Self::Cancelled, Lang::Ko) => {
                "취소됨: 측정 프로세스를 멈췄고 남긴 결과는 없습니다".into()
            }
            (Self::NoExecutable(e), Lang::En) => {
                format!("cannot find memlab's own executable, which measures: {e}")
            }
            (Self::NoExecutable(e), Lang::Ko) => format!(
                "측정을 맡는 memlab 실행 파일을 찾을 수 없습니다: {}",
                e.localized(lang)
            ),
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

/// The line under Run: what the last measurement found, with its spread.
pub struct LastRun<'a>(pub &'a Measurement);

impl Localized for LastRun<'_> {
    fn localized(&self, lang: Lang) -> String {
        let r = self.0;
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
        let ns = format_ns;
        let size = format_size_kb(r.size_kb);
        match lang {
            Lang::En => format!(
                "Last run: {}, {size}{}: median {} per pair (quartiles {} – {}, min {}, max {}, {} outliers) over {} samples of {} pairs, after an untimed warm-up of {} pairs, in {}; the book's 1000 pairs: {}; {faults}",
                r.manager,
                if r.touch { ", pages touched" } else { "" },
                ns(r.median_ns_per_pair),
                ns(r.q1_ns_per_pair),
                ns(r.q3_ns_per_pair),
                ns(r.min_ns_per_pair),
                ns(r.max_ns_per_pair),
                r.outliers,
                r.samples,
                r.pairs_per_sample,
                r.warm_up_pairs,
                if r.isolated {
                    "a fresh process"
                } else {
                    "this process"
                },
                format_ms(r.ms_per_1000_pairs),
            ),
            Lang::Ko => format!(
                "마지막 실행: {}, {size}{}: 쌍당 중앙값 {} (사분위 {} – {}, 최소 {}, 최대 {}, 이상치 {}개), 표본 {}개 × {}쌍, 시간을 재지 않은 예열 {}쌍 뒤, {}에서; 책의 1000쌍: {}; {faults}",
                r.manager,
                if r.touch { ", 페이지에 씀" } else { "" },
                ns(r.median_ns_per_pair),
                ns(r.q1_ns_per_pair),
                ns(r.q3_ns_per_pair),
                ns(r.min_ns_per_pair),
                ns(r.max_ns_per_pair),
                r.outliers,
                r.samples,
                r.pairs_per_sample,
                r.warm_up_pairs,
                if r.isolated {
                    "새 프로세스"
                } else {
                    "이 프로세스"
                },
                format_ms(r.ms_per_1000_pairs),
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

    fn run(isolated: bool, faults: Option<u64>) -> Measurement {
        Measurement {
            manager: memlab_engine::alloc::ManagerKind::Mimalloc,
            size_kb: 4096,
            touch: true,
            warm_up_pairs: 30,
            warm_up_ms: 120.0,
            pairs_per_sample: 10,
            samples: 10,
            median_ns_per_pair: 1500.0,
            min_ns_per_pair: 1400.0,
            max_ns_per_pair: 1900.0,
            q1_ns_per_pair: 1450.0,
            q3_ns_per_pair: 1550.0,
            outliers: 1,
            ms_per_1000_pairs: 1.5,
            sample_ns_per_pair: vec![1500.0; 10],
            minor_faults: faults,
            major_faults: faults,
            heap_fallbacks: 0,
            mimalloc_fallbacks: 0,
            isolated,
        }
    }

    #[test]
    fn notes_runs_and_rules_read_in_korean() {
        let denied = || io::Error::from_raw_os_error(libc::EACCES);
        let notes = [
            BenchNote::Cancelled,
            BenchNote::HeapFull { fallbacks: 3 },
            BenchNote::MimallocArenaFull { fallbacks: 3 },
            BenchNote::NoExecutable(denied()),
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
            assert_korean(&LastRun(&r).localized(Lang::Ko));
        }
        for rule in [NumberRule::Size, NumberRule::Samples, NumberRule::Repeats] {
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
            for rule in [NumberRule::Size, NumberRule::Samples, NumberRule::Repeats] {
                assert_korean(&note.localized_with(&rule, Lang::Ko));
            }
        }
    }
}
