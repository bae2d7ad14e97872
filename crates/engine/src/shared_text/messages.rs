//! The shared string's values in Korean (their English is their
//! `Display`, the same words as the command line): its errors, how an
//! instance came to the object, and the lock's state.

use std::io;

use super::{CorruptReason, LockState, Origin, SharedError};
use crate::i18n::Particle::{Subject, Topic};
use crate::i18n::{Lang, Localized, josa};

impl Localized for SharedError {
    fn localized(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return self.to_string();
        }
        match self {
            Self::BadName { name, reason } => {
                format!(
                    "매핑 이름 {} 쓸 수 없습니다: {}",
                    josa(format!("{name:?}"), Topic),
                    reason.localized(lang)
                )
            }
            Self::BadPath { path, reason } => format!(
                "파일 경로 {}의 파일 이름을 쓸 수 없습니다: {}",
                path.display(),
                reason.localized(lang)
            ),
            Self::ForeignFile { path, reason } => format!(
                "{} memlab의 공유 문자열 파일이 아닙니다 ({}). 그대로 두었습니다. \
                 다른 파일이나 빈 파일을 고르세요",
                josa(path.display(), Topic),
                reason.localized(lang)
            ),
            Self::Object(e) => e.localized(lang),
            Self::LockTimeout { waited_ms, holder } => format!(
                "{waited_ms} ms 동안 잠금을 얻지 못했습니다. 잡고 있는 프로세스: {}",
                holder.localized(lang)
            ),
            Self::Corrupt { name, reason } => {
                format!(
                    "매핑 {} 손상되었습니다: {}",
                    josa(format!("{name:?}"), Subject),
                    reason.localized(lang)
                )
            }
            Self::NulInText => {
                "문자열에 NUL 문자가 있어 저장하지 않았습니다 (매핑 안에서는 문자열이 거기서 끝납니다)"
                    .into()
            }
            Self::Removed { name } => format!(
                "누군가 매핑 {name:?}의 객체를 지웠습니다. 이 창은 옛 메모리를 그대로 쓰고 있어, \
                 새로 연결하는 인스턴스는 이 창의 문자열을 볼 수 없습니다"
            ),
            Self::FileNotOnWindowsYet => "공유 문자열을 파일에 두는 방식은 아직 Windows에서 지원되지 않습니다. 이름 있는 매핑(SampleMMF)을 쓰세요"
                .into(),
            Self::Io { op, name, source } => format!(
                "매핑 {name:?}: {} 실패 - {}",
                op.localized(lang),
                os_error_ko(source)
            ),
        }
    }
}

impl Localized for CorruptReason {
    fn localized(&self, lang: Lang) -> String {
        match (lang, *self) {
            (Lang::En, reason) => reason.to_string(),
            (Lang::Ko, Self::TooSmall { size, need }) => {
                format!("객체가 {size}바이트로, memlab 구조에 필요한 {need}바이트보다 작습니다")
            }
            (Lang::Ko, Self::BadMagic(magic)) => format!("매직 번호가 틀립니다 ({magic:#018x})"),
            (Lang::Ko, Self::BadVersion { found, expected }) => {
                format!("구조 버전이 {found}입니다 (기대값 {expected})")
            }
            (Lang::Ko, Self::BadCapacity { found, expected }) => {
                format!("용량이 {found}입니다 (기대값 {expected})")
            }
            (Lang::Ko, Self::BadActive(index)) => {
                format!("활성 버퍼 번호가 {index}입니다 (0 또는 1이어야 함)")
            }
            (Lang::Ko, Self::NoTerminator { within }) => {
                format!("{within}바이트 안에 문자열 끝(NUL)이 없습니다")
            }
            (Lang::Ko, Self::Unreadable) => "바이트를 읽을 수 없었습니다".into(),
        }
    }
}

impl Localized for Origin {
    fn localized(&self, lang: Lang) -> String {
        match (lang, self) {
            (Lang::En, origin) => origin.to_string(),
            (Lang::Ko, Self::Created) => "매핑을 새로 만듦".into(),
            (Lang::Ko, Self::Joined) => "기존 매핑에 연결".into(),
            (Lang::Ko, Self::OpenedFile) => {
                "저장된 파일을 엶: 열고 있던 다른 인스턴스가 없었고, 파일 내용은 그대로 둠".into()
            }
            (Lang::Ko, Self::RecoveredStale { reason: None, .. }) => {
                "남아 있던 매핑 복구: 연결을 끊지 못하고 끝난 인스턴스들이 남긴 것으로, \
                 문자열이 올바라 그대로 둠"
                    .into()
            }
            (
                Lang::Ko,
                Self::RecoveredStale {
                    reason: Some(reason),
                    ..
                },
            ) => format!(
                "남아 있던 매핑 복구: 끝난 인스턴스들이 남긴 것으로, 올바르지 않아({}) 샘플 문자열로 다시 씀",
                reason.localized(lang)
            ),
        }
    }
}

impl Localized for LockState {
    fn localized(&self, lang: Lang) -> String {
        match (lang, self) {
            (Lang::En, lock) => lock.to_string(),
            (Lang::Ko, Self::Free) => "사용 가능".into(),
            (
                Lang::Ko,
                Self::Held {
                    holder,
                    held_ms: Some(ms),
                },
            ) => format!("잡혀 있음: {}, {ms} ms째", holder.localized(lang)),
            (
                Lang::Ko,
                Self::Held {
                    holder,
                    held_ms: None,
                },
            ) => format!(
                "잡혀 있음: {}, 언제부터인지는 기록하지 않음",
                holder.localized(lang)
            ),
            (Lang::Ko, Self::Abandoned { pid }) => format!(
                "비어 있음. 헤더에 잡은 프로세스로 적힌 PID {pid}, 실행 중이 아님: 쓰던 중 끝남"
            ),
        }
    }
}

/// An OS error in Korean, with its number (the OS's own text is English).
fn os_error_ko(e: &io::Error) -> String {
    e.localized(Lang::Ko)
}
