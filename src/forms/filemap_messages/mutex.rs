//! The book mutex's errors and notes in Korean (English is their `Display`).

use super::{errno_ko, io_ko, pid_ko};
use crate::core::mutex::{
    AcquireReport, AcquireResult, CrashProblem, MutexError, MutexKind, MutexState, ResetOutcome,
};
use crate::i18n::Particle::{Object, Subject, Topic};
use crate::i18n::{Lang, Localized, josa};

impl Localized for MutexKind {
    fn localized(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.to_string(),
            Lang::Ko => match self {
                Self::FileLock => "memlab 파일 잠금".into(),
                Self::RawSync => "raw_sync 뮤텍스".into(),
                Self::Robust => "견고한(robust) pthread 뮤텍스".into(),
            },
        }
    }
}

impl Localized for MutexError {
    fn localized(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return self.to_string();
        }
        let k = |kind: &MutexKind| kind.localized(Lang::Ko);
        use MutexError as E;
        match self {
            E::BadName { name, reason } => {
                format!(
                    "잘못된 뮤텍스 이름 {name:?}: {}",
                    reason.localized(Lang::Ko)
                )
            }
            E::Object(e) => e.localized(Lang::Ko),
            E::TimedOut {
                kind,
                waited_ms,
                holder,
            } => format!(
                "{waited_ms} ms 기다렸지만 시간 초과: {} {} 잡고 있습니다",
                josa(k(kind), Object),
                josa(pid_ko(*holder), Subject)
            ),
            E::Stuck {
                kind,
                waited_ms,
                dead_holder,
            } => format!(
                "{waited_ms} ms 기다렸지만 시간 초과: {} 멈췄습니다. {} \
                 잡은 채 죽었는데 이 잠금은 기다리는 쪽에 알리지 못합니다 (견고하지 않음). 초기화하세요",
                josa(k(kind), Subject),
                josa(format!("PID {dead_holder}"), Subject)
            ),
            E::AlreadyHeld { kind } => {
                format!("이 인스턴스가 이미 {} 잡고 있습니다", josa(k(kind), Object))
            }
            E::NotHeld { kind } => {
                format!("이 인스턴스는 {} 잡고 있지 않습니다", josa(k(kind), Object))
            }
            E::ResetRefused { kind, pid } => format!(
                "{} 초기화할 수 없습니다: {} 살아 있고 잡고 있습니다",
                josa(k(kind), Object),
                josa(format!("PID {pid}"), Subject)
            ),
            E::InUse { name, others } => format!(
                "잠금 {} 다른 인스턴스 {others}개가 쓰고 있어 지우지 않았습니다",
                josa(format!("\"{name}\""), Topic)
            ),
            E::NotRecoverable => {
                "견고한 뮤텍스를 복구할 수 없습니다 (소유자가 죽은 뒤 일관성 복구 없이 \
                 풀렸습니다): 초기화하세요"
                    .into()
            }
            E::Pthread { call, errno } => format!("{call} 실패: {}", errno_ko(*errno)),
            E::RawSync { message } => {
                match message
                    .rsplit(':')
                    .next()
                    .and_then(|n| n.trim().parse().ok())
                {
                    Some(errno) => format!("raw_sync 오류: {}", errno_ko(errno)),
                    None => "raw_sync 오류".into(),
                }
            }
            E::CrashFailed { problem, status } => match problem {
                CrashProblem::NotKilled => format!(
                    "잠금을 잡은 자식 프로세스가 신호 없이 끝났습니다 (종료 코드 {})",
                    status.map_or_else(|| "없음".into(), |c| c.to_string())
                ),
                CrashProblem::TooSlow => {
                    "잠금을 잡은 자식 프로세스가 10초 안에 끝나지 않아 강제로 종료했습니다".into()
                }
            },
            E::OwnerGone => "잠금을 맡은 스레드가 사라졌습니다".into(),
            E::Io { source, .. } => format!("뮤텍스 파일 입출력 실패: {}", io_ko(source)),
        }
    }
}

impl Localized for AcquireReport {
    fn localized(&self, lang: Lang) -> String {
        let ms = self.waited.as_millis();
        let kind = self.kind.localized(lang);
        let mut text = match (lang, self.result) {
            (Lang::En, AcquireResult::Acquired) => format!("acquired {kind} after {ms} ms"),
            (Lang::En, AcquireResult::AcquiredOwnerDied { previous }) => format!(
                "acquired {kind} after {ms} ms; the previous owner ({}) died holding it (WAIT_ABANDONED)",
                previous.map_or_else(|| "PID unknown".into(), |p| format!("PID {p}"))
            ),
            (Lang::En, AcquireResult::TimedOut { holder }) => format!(
                "timed out after {ms} ms: held by {}",
                holder.map_or_else(|| "an unknown process".into(), |p| format!("PID {p}"))
            ),
            (Lang::En, AcquireResult::Stuck { dead_holder }) => format!(
                "stuck: timed out after {ms} ms, and its holder PID {dead_holder} is dead: only a reset frees it"
            ),
            (Lang::Ko, AcquireResult::Acquired) => {
                format!("{ms} ms 만에 {} 잡았습니다", josa(&kind, Object))
            }
            (Lang::Ko, AcquireResult::AcquiredOwnerDied { previous }) => format!(
                "{ms} ms 만에 {} 잡았습니다. 이전 소유자({})가 잡은 채 죽었습니다 (WAIT_ABANDONED)",
                josa(&kind, Object),
                pid_ko(previous)
            ),
            (Lang::Ko, AcquireResult::TimedOut { holder }) => format!(
                "{ms} ms 기다렸지만 시간 초과: {} 잡고 있습니다",
                josa(pid_ko(holder), Subject)
            ),
            (Lang::Ko, AcquireResult::Stuck { dead_holder }) => format!(
                "멈춤: {ms} ms 기다렸지만 시간 초과, 잡고 있던 {} 죽었습니다. 초기화해야만 풀립니다",
                josa(format!("PID {dead_holder}"), Topic)
            ),
        };
        if self.deadline_bug {
            text += lang.pick(
                " (raw_sync's timed wait failed at once with EINVAL, its deadline bug: memlab polled instead)",
                " (raw_sync의 시간 제한 대기가 EINVAL로 곧바로 실패했습니다: 마감 시각 계산 결함. memlab이 대신 폴링했습니다)",
            );
        }
        text
    }
}

impl Localized for MutexState {
    fn localized(&self, lang: Lang) -> String {
        match (lang, *self) {
            (Lang::En, Self::Free) => "free".into(),
            (Lang::En, Self::HeldHere) => "held by this instance".into(),
            (Lang::En, Self::Held { pid }) => format!(
                "held by {}",
                pid.map_or_else(|| "an unknown process".into(), |p| format!("PID {p}"))
            ),
            (Lang::En, Self::Abandoned { pid }) => {
                format!("abandoned: PID {pid} died holding it; the next waiter gets it, told so")
            }
            (Lang::En, Self::Stuck { pid }) => {
                format!("stuck: PID {pid} died holding it; only a reset frees it")
            }
            (Lang::Ko, Self::Free) => "비어 있음".into(),
            (Lang::Ko, Self::HeldHere) => "이 인스턴스가 잡고 있음".into(),
            (Lang::Ko, Self::Held { pid }) => {
                format!("{} 잡고 있음", josa(pid_ko(pid), Subject))
            }
            (Lang::Ko, Self::Abandoned { pid }) => format!(
                "버려짐: {} 잡은 채 죽었습니다. 다음에 기다리는 쪽이 그 사실을 듣고 잡습니다",
                josa(format!("PID {pid}"), Subject)
            ),
            (Lang::Ko, Self::Stuck { pid }) => {
                format!(
                    "멈춤: {} 잡은 채 죽었습니다. 초기화해야만 풀립니다",
                    josa(format!("PID {pid}"), Subject)
                )
            }
        }
    }
}

impl Localized for ResetOutcome {
    fn localized(&self, lang: Lang) -> String {
        match (lang, *self) {
            (Lang::En, Self::NothingToReset) => {
                "nothing to reset: the kernel frees a file lock when its holder dies".into()
            }
            (Lang::En, Self::WasFree) => "the lock was free; nothing changed".into(),
            (Lang::En, Self::Reinitialised { dead_holder }) => format!(
                "re-initialised (its holder {} was dead)",
                dead_holder.map_or_else(|| "PID unknown".into(), |p| format!("PID {p}"))
            ),
            (Lang::Ko, Self::NothingToReset) => {
                "초기화할 것이 없습니다: 파일 잠금은 잡은 프로세스가 죽으면 커널이 풉니다".into()
            }
            (Lang::Ko, Self::WasFree) => "잠금이 비어 있어 바꾼 것이 없습니다".into(),
            (Lang::Ko, Self::Reinitialised { dead_holder }) => format!(
                "다시 초기화했습니다 (잡고 있던 {} 죽었습니다)",
                josa(pid_ko(dead_holder), Topic)
            ),
        }
    }
}
