//! The mutex lab's own log lines in English and Korean. The engine's
//! errors, states and reports render themselves (`memlab_engine::mutex`'s
//! `Localized` impls).

use memlab_engine::i18n::{Lang, Localized};
use memlab_engine::mutex::{
    AcquireReport, CrashedHolder, GuardedData, MutexError, MutexKind, ResetReport,
};

/// What the mutex lab did, as its log shows it.
#[derive(Debug)]
pub enum MutexNote {
    /// The lock of this kind was opened (its small mapping joined).
    Opened {
        kind: MutexKind,
        name: String,
    },
    /// `LockMap`'s wait and what it gave.
    Acquire(AcquireReport),
    /// A move of the guarded data, made while holding the lock.
    Moved(GuardedData),
    /// `UnlockMap`.
    Released {
        kind: MutexKind,
    },
    /// "Crash while holding": a child took the lock and was killed.
    Crashed(CrashedHolder),
    Reset(ResetReport),
    Failed(MutexError),
    /// A job's thread ended without a result.
    Lost,
}

impl MutexNote {
    pub fn is_error(&self) -> bool {
        matches!(self, Self::Failed(_) | Self::Lost)
    }
}

impl Localized for MutexNote {
    fn localized(&self, lang: Lang) -> String {
        let ko = lang == Lang::Ko;
        let amount = memlab_engine::mutex::AMOUNT;
        match self {
            Self::Opened { kind, name } if ko => format!(
                "CreateMutex('{name}'): 엶 ({}, 전용 작은 매핑)",
                kind.localized(lang)
            ),
            Self::Opened { kind, name } => format!(
                "CreateMutex('{name}'): opened {} (on its own small mapping)",
                kind.localized(lang)
            ),
            Self::Acquire(report) => {
                format!("WaitForSingleObject: {}", report.localized(lang))
            }
            Self::Moved(data) if ko => {
                format!(
                    "잡은 동안 데이터 고치기: {amount}을 옮김 ({})",
                    data.localized(lang)
                )
            }
            Self::Moved(data) => format!("while holding it: moved {amount} ({data})"),
            Self::Released { kind } if ko => {
                format!("ReleaseMutex: 놓음 ({})", kind.localized(lang))
            }
            Self::Released { kind } => format!("ReleaseMutex: released {}", kind.localized(lang)),
            Self::Crashed(crash) => crash.localized(lang),
            Self::Reset(report) => format!(
                "{}: {}",
                lang.pick("reset", "초기화"),
                report.localized(lang)
            ),
            Self::Failed(e) => e.localized(lang),
            Self::Lost => lang
                .pick(
                    "the lock's job ended without a result",
                    "잠금 작업이 결과 없이 끝났습니다",
                )
                .into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use memlab_engine::i18n::testing::assert_korean;
    use memlab_engine::mutex::{AcquireResult, ResetOutcome};

    fn log_lines() -> Vec<MutexNote> {
        let all = vec![
            MutexNote::Opened {
                kind: MutexKind::Robust,
                name: "LockMap".into(),
            },
            MutexNote::Acquire(AcquireReport {
                kind: MutexKind::Robust,
                result: AcquireResult::Acquired,
                waited: Duration::from_millis(3),
                deadline_bug: false,
                panicked: false,
                found: Some(GuardedData::fresh()),
                rolled_back: false,
            }),
            MutexNote::Moved(GuardedData::fresh()),
            MutexNote::Released {
                kind: MutexKind::FileLock,
            },
            MutexNote::Crashed(CrashedHolder {
                pid: 77,
                // SIGKILL (9 on every Unix; never on Windows, which shows None).
                signal: Some(9),
            }),
            MutexNote::Crashed(CrashedHolder {
                pid: 77,
                signal: None,
            }),
            MutexNote::Reset(ResetReport {
                kind: MutexKind::RawSync,
                outcome: ResetOutcome::WasFree,
                repaired: None,
            }),
            MutexNote::Failed(MutexError::NotRecoverable),
            MutexNote::Lost,
        ];
        for note in &all {
            match note {
                MutexNote::Opened { .. }
                | MutexNote::Acquire(_)
                | MutexNote::Moved(_)
                | MutexNote::Released { .. }
                | MutexNote::Crashed(_)
                | MutexNote::Reset(_)
                | MutexNote::Failed(_)
                | MutexNote::Lost => {}
            }
        }
        all
    }

    #[test]
    fn every_log_line_reads_in_korean() {
        for note in log_lines() {
            assert_korean(&note.localized(Lang::Ko));
            assert!(!note.localized(Lang::En).is_empty());
        }
    }
}
