//! The book mutex's values in Korean (their English is their `Display`,
//! what the command line prints): its errors, states and reports. The
//! Korean puts a holder (a PID, a window) after a colon or in parentheses,
//! so no particle depends on a number.

use super::{
    AcquireReport, AcquireResult, BlockProblem, CrashProblem, CrashedHolder, GuardedData, Holder,
    Look, MutexError, MutexKind, MutexState, ResetOutcome, ResetReport, TOTAL,
};
use crate::i18n::{Lang, Localized, errno_ko};

impl Localized for MutexKind {
    fn localized(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.to_string(),
            Lang::Ko => match self {
                Self::FileLock => "memlab 파일 잠금".into(),
                Self::RawSync => "raw_sync 뮤텍스".into(),
                Self::Robust => super::sys::ROBUST_NAME.1.into(),
            },
        }
    }
}

/// The accounts in Korean: "A계좌 900 + B계좌 100 = 1000".
fn data_ko(data: &GuardedData) -> String {
    format!("A계좌 {} + B계좌 {} = {}", data.a, data.b, data.total())
}

/// The accounts as a sentence's part: English as their `Display`
/// ("A 900 + B 100 = 1000"), Korean with the accounts' Korean names.
impl Localized for GuardedData {
    fn localized(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.to_string(),
            Lang::Ko => data_ko(self),
        }
    }
}

/// A holder that died, in Korean: "PID 5", "헤더에 적힌 PID 5 (확인되지
/// 않음)", "알 수 없음".
fn dead_ko(holder: Holder) -> String {
    match holder {
        Holder::Died { pid } | Holder::Running { pid, .. } => format!("PID {pid}"),
        Holder::Named { pid } => format!("헤더에 적힌 PID {pid} (확인되지 않음)"),
        Holder::Unknown => "알 수 없음".into(),
    }
}

impl Localized for BlockProblem {
    fn localized(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return self.to_string();
        }
        match *self {
            Self::TooSmall { size, need } => {
                format!("객체 크기 {size}바이트: 잠금 블록에 필요한 {need}바이트보다 작습니다")
            }
            Self::Magic(magic) => format!("매직 번호가 틀립니다 ({magic:#018x})"),
            Self::Version { found, expected } => {
                format!("구조 버전 {found}: 기대값은 {expected}")
            }
            Self::MutexType { found, expected } => format!(
                "뮤텍스의 종류 값 {found:#x}: memlab이 만든 값({expected:#x})이 아닙니다 (바이트를 덮어씀)"
            ),
            Self::LockWord { value } => {
                format!("뮤텍스의 잠금 값 {value:#x}: 뮤텍스가 가질 수 없는 상태입니다")
            }
            Self::Owner { value } => {
                format!("뮤텍스의 소유자 칸 값 {value}: 그 자리에 올 수 없는 스레드입니다")
            }
            Self::Unreadable => "바이트를 읽을 수 없었습니다".into(),
            Self::Vanished => "작업 도중 페이지가 사라졌습니다 (객체가 잘림)".into(),
            Self::ChangedUnderHolder => {
                "잡고 있는 동안 바이트가 더는 이 인스턴스를 소유자로 가리키지 않습니다 \
                 (덮어쓰였거나 다시 초기화됨)"
                    .into()
            }
        }
    }
}

impl Localized for MutexError {
    fn localized(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return self.to_string();
        }
        let k = |kind: &MutexKind| kind.localized(Lang::Ko);
        let ko = Lang::Ko;
        use MutexError as E;
        match self {
            E::BadName { name, reason } => {
                format!("잘못된 뮤텍스 이름 {name:?}: {}", reason.localized(ko))
            }
            E::Object(e) => e.localized(ko),
            E::TimedOut {
                kind,
                waited_ms,
                holder,
            } => format!(
                "{waited_ms} ms 기다렸지만 시간 초과 ({}). 잡고 있는 프로세스: {}",
                k(kind),
                holder.localized(ko)
            ),
            E::Stuck {
                kind,
                waited_ms,
                holder,
            } => format!(
                "{waited_ms} ms 기다렸지만 시간 초과: 멈춤 ({}). 잡은 채 죽은 프로세스: {}. \
                 이 잠금은 견고하지 않아 기다리는 쪽에 알리지 못합니다. 초기화하세요",
                k(kind),
                dead_ko(*holder)
            ),
            E::Corrupt {
                kind,
                name,
                problem,
            } => format!(
                "손상된 잠금 {name:?} ({}): {}. 초기화하면 다시 만듭니다",
                k(kind),
                problem.localized(ko)
            ),
            E::LostWhileHeld {
                kind,
                name,
                problem,
            } => format!(
                "잡고 있는 동안 바뀐 잠금 {name:?} ({}): {}. 이 인스턴스는 자기 사본만 놓았습니다. \
                 초기화하세요",
                k(kind),
                problem.localized(ko)
            ),
            E::AlreadyHeld { kind } => format!("이 인스턴스가 이미 잡고 있습니다: {}", k(kind)),
            E::NotHeld { kind } => format!("이 인스턴스는 잡고 있지 않습니다: {}", k(kind)),
            E::ResetRefused { kind, holder } => format!(
                "초기화할 수 없습니다 ({}): 실행 중인 프로세스가 잡고 있습니다 ({})",
                k(kind),
                holder.localized(ko)
            ),
            E::InUse { name, others } => {
                format!("지우지 않음: 다른 인스턴스 {others}개가 쓰고 있는 잠금입니다 (\"{name}\")")
            }
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
                CrashProblem::NotKilled if cfg!(windows) => format!(
                    "잠금을 잡은 자식 프로세스가 TerminateProcess가 아니라 스스로 끝났습니다 (종료 코드 {})",
                    status.map_or_else(|| "없음".into(), |c| c.to_string())
                ),
                CrashProblem::NotKilled => format!(
                    "잠금을 잡은 자식 프로세스가 신호 없이 끝났습니다 (종료 코드 {})",
                    status.map_or_else(|| "없음".into(), |c| c.to_string())
                ),
                CrashProblem::TooSlow => {
                    "잠금을 잡은 자식 프로세스가 10초 안에 끝나지 않아 강제로 종료했습니다".into()
                }
            },
            E::OwnerGone => "잠금을 맡은 스레드가 사라졌습니다".into(),
            E::Io { source, .. } => {
                format!("뮤텍스 파일 입출력 실패: {}", source.localized(ko))
            }
        }
    }
}

impl Localized for AcquireReport {
    fn localized(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return self.to_string();
        }
        let ms = self.waited.as_millis();
        let kind = self.kind.localized(lang);
        let mut text = match self.result {
            AcquireResult::Acquired => format!("{ms} ms 만에 잡았습니다: {kind}"),
            AcquireResult::AcquiredOwnerDied { previous } => format!(
                "{ms} ms 만에 잡았습니다: {kind}. 이전 소유자가 잡은 채 죽었습니다 \
                 (죽은 소유자: {}, WAIT_ABANDONED)",
                dead_ko(previous)
            ),
            AcquireResult::TimedOut { holder } => format!(
                "{ms} ms 기다렸지만 시간 초과. 잡고 있는 프로세스: {}",
                holder.localized(lang)
            ),
            AcquireResult::Stuck { holder } => format!(
                "멈춤: {ms} ms 기다렸지만 시간 초과. 잡은 채 죽은 프로세스: {}. 초기화해야만 풀립니다",
                dead_ko(holder)
            ),
        };
        match self.found {
            Some(data) if self.rolled_back => {
                text += &format!(
                    ". 지키던 데이터가 반쯤 쓰인 채였습니다 ({}, {TOTAL}이 아님): \
                     memlab이 {} 전에 죽은 소유자의 절반짜리 이체를 되돌렸습니다",
                    data_ko(&data),
                    super::sys::TRUSTED_AGAIN.1
                );
            }
            Some(data) if data.half_written() => {
                text += &format!(
                    ". 지키던 데이터가 반쯤 쓰인 채입니다 ({}, {TOTAL}이 아님). \
                     이 잠금은 그 사실을 알려 주지 않았습니다",
                    data_ko(&data)
                );
            }
            _ => {}
        }
        if self.deadline_bug {
            text += " (raw_sync의 시간 제한 대기가 EINVAL로 곧바로 실패했습니다: 마감 시각 계산 결함. \
                     memlab이 대신 폴링했습니다)";
        }
        if self.panicked {
            text += " (raw_sync의 대기가 WAIT_ABANDONED에서 패닉을 일으켰습니다: 이 크레이트의 결함. \
                     memlab이 패닉을 잡고, 대기가 이미 잡은 뮤텍스를 그대로 쥐었습니다)";
        }
        text
    }
}

impl Localized for MutexState {
    fn localized(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return self.to_string();
        }
        match *self {
            Self::Free => "비어 있음".into(),
            Self::HeldHere => "이 인스턴스가 잡고 있음".into(),
            Self::Held { holder } => format!("잡혀 있음: {}", holder.localized(lang)),
            Self::Abandoned { holder } => format!(
                "버려짐: 잡은 채 죽은 프로세스는 {}. 다음에 기다리는 쪽이 그 사실을 듣고 잡습니다",
                dead_ko(holder)
            ),
            Self::Stuck { holder } => format!(
                "멈춤: 잡은 채 죽은 프로세스는 {}. 초기화해야만 풀립니다",
                dead_ko(holder)
            ),
            Self::NotRecoverable => {
                "복구 불가: 소유자가 죽은 뒤 일관성 복구 없이 풀렸습니다. 초기화해야만 풀립니다"
                    .into()
            }
            Self::Corrupt { problem } => format!(
                "손상됨: {}. 초기화하면 다시 만듭니다",
                problem.localized(lang)
            ),
        }
    }
}

/// The guarded data line: the accounts, and what is wrong with them.
impl Localized for Look {
    fn localized(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return self.to_string();
        }
        match self.data {
            None => "읽을 수 없음".into(),
            Some(data) if data.half_written() => match self.state {
                MutexState::HeldHere | MutexState::Held { .. } if data.step != 0 => {
                    format!("{}: 이체 중", data_ko(&data))
                }
                _ => format!(
                    "{}, {TOTAL}이 아님: 반쯤 쓰임 (시작된 이체가 끝나지 않음)",
                    data_ko(&data)
                ),
            },
            Some(data) => data_ko(&data),
        }
    }
}

impl Localized for ResetReport {
    fn localized(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return self.to_string();
        }
        let mut text = match self.outcome {
            ResetOutcome::NothingToReset => {
                "초기화할 것이 없습니다: 파일 잠금은 잡은 프로세스가 죽으면 커널이 풉니다".into()
            }
            ResetOutcome::WasFree => "잠금이 비어 있어 바꾼 것이 없습니다".to_owned(),
            ResetOutcome::Reinitialised { dead_holder } => format!(
                "다시 초기화했습니다 (잡은 채 죽은 프로세스: {})",
                dead_ko(dead_holder)
            ),
            ResetOutcome::Repaired { problem } => format!(
                "다시 초기화했습니다: 손상되어 있었습니다 ({})",
                problem.localized(lang)
            ),
            ResetOutcome::TookAbandoned { dead_holder } => format!(
                "잡았다가 놓았습니다 (잡은 채 죽은 프로세스: {}, WAIT_ABANDONED). \
                 Windows에서는 다시 초기화할 필요가 없습니다",
                dead_ko(dead_holder)
            ),
        };
        if let Some(data) = self.repaired {
            text += &format!(
                ". 지키던 데이터가 반쯤 쓰인 채여서({}) 바로잡았습니다({})",
                data_ko(&data),
                data_ko(&data.repaired())
            );
        }
        text
    }
}

impl Localized for CrashedHolder {
    fn localized(&self, lang: Lang) -> String {
        // SIGKILL is 9 on every Unix.
        const SIGKILL: i32 = 9;
        let sigkill = |signal| {
            if signal == SIGKILL { " (SIGKILL)" } else { "" }
        };
        match (lang, self.signal) {
            (Lang::En, Some(signal)) => format!(
                "crash while holding: child PID {} took the lock, began a move of the data and was killed by signal {signal}{}",
                self.pid,
                sigkill(signal)
            ),
            (Lang::En, None) if cfg!(windows) => format!(
                "crash while holding: child PID {} took the lock, began a move of the data and was ended by TerminateProcess",
                self.pid
            ),
            (Lang::En, None) => format!(
                "crash while holding: child PID {} took the lock and ended",
                self.pid
            ),
            (Lang::Ko, Some(signal)) => format!(
                "잡은 채 죽기: 자식 프로세스(PID {})가 잠금을 잡고 데이터 이체를 시작한 뒤 \
                 신호 {signal}{} 때문에 죽었습니다",
                self.pid,
                sigkill(signal)
            ),
            (Lang::Ko, None) if cfg!(windows) => format!(
                "잡은 채 죽기: 자식 프로세스(PID {})가 잠금을 잡고 데이터 이체를 시작한 뒤 \
                 TerminateProcess로 끝났습니다",
                self.pid
            ),
            (Lang::Ko, None) => format!(
                "잡은 채 죽기: 자식 프로세스(PID {})가 잠금을 잡은 뒤 끝났습니다",
                self.pid
            ),
        }
    }
}

#[cfg(test)]
#[path = "messages_tests.rs"]
mod tests;
