//! Every sentence the shared text form shows, rendered from data in the
//! user's language: the core's errors, origins and lock states (through
//! `Localized`) and the form's own status lines. English is the core's
//! `Display`, the same words as the command line.

use std::io;

use crate::core::shared_text::{CorruptReason, LockState, NameProblem, Origin, SharedError};
use crate::core::shm_object::{Fix, IoOp, ObjectError, ObjectKind};
use crate::i18n::Particle::{Subject, Topic};
use crate::i18n::josa;
use crate::i18n::{Lang, Localized};

/// How a status line reads: as news, a warning or an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Level {
    Info,
    Warn,
    Error,
}

/// The status line's content, kept as data so that it follows a switch of
/// language.
#[derive(Debug)]
pub(super) enum Status {
    /// `window`: this window's number (as in its title); `slot`: its place
    /// on the mapping's roster, shown when it has no window number.
    Attached {
        window: Option<usize>,
        slot: usize,
        origin: Origin,
    },
    Loaded {
        lossy: bool,
        recovered_from: Option<u32>,
    },
    Saved {
        kept: usize,
        asked: Option<usize>,
        recovered_from: Option<u32>,
    },
    Reset,
    Failed(SharedError),
}

impl Status {
    pub(super) fn level(&self) -> Level {
        match self {
            Self::Failed(_) => Level::Error,
            Self::Loaded {
                lossy,
                recovered_from,
            } if *lossy || recovered_from.is_some() => Level::Warn,
            Self::Saved {
                asked,
                recovered_from,
                ..
            } if asked.is_some() || recovered_from.is_some() => Level::Warn,
            Self::Attached { .. } | Self::Loaded { .. } | Self::Saved { .. } | Self::Reset => {
                Level::Info
            }
        }
    }

    pub(super) fn text(&self, lang: Lang) -> String {
        let ko = lang == Lang::Ko;
        let took_over = |from: &Option<u32>| match (from, ko) {
            (None, _) => String::new(),
            (Some(pid), false) => format!(
                " (took over the lock: the header named PID {pid} as its holder, and no process {pid} is running)"
            ),
            (Some(pid), true) => {
                format!(" (잠금을 넘겨받음: 헤더에 잡은 프로세스로 적힌 PID {pid}, 실행 중이 아님)")
            }
        };
        match self {
            Self::Attached {
                window: Some(window),
                origin,
                ..
            } => format!(
                "{} {window} ({})",
                lang.pick("Attached as instance", "연결됨: 인스턴스"),
                origin.localized(lang)
            ),
            Self::Attached {
                window: None,
                slot,
                origin,
            } => match lang {
                Lang::En => format!(
                    "Attached in slot {slot} of the mapping ({})",
                    origin.localized(lang)
                ),
                Lang::Ko => format!("연결됨: 매핑의 자리 {slot} ({})", origin.localized(lang)),
            },
            Self::Loaded {
                lossy,
                recovered_from,
            } => {
                let loaded = if *lossy {
                    lang.pick(
                        "Loaded; the bytes were not valid UTF-8 and are shown with replacement marks",
                        "불러옴: UTF-8이 아닌 바이트는 대체 문자로 표시됨",
                    )
                } else {
                    lang.pick("Loaded", "불러옴")
                };
                format!("{loaded}{}", took_over(recovered_from))
            }
            Self::Saved {
                kept,
                asked,
                recovered_from,
            } => {
                let saved = match (asked, ko) {
                    (None, _) => lang.pick("Saved", "저장됨").to_owned(),
                    (Some(asked), false) => format!(
                        "Saved, cut to fit: {kept} / {asked} bytes kept (whole characters only)"
                    ),
                    (Some(asked), true) => {
                        format!("저장됨, 잘림: {kept} / {asked} 바이트만 저장 (글자 단위)")
                    }
                };
                format!("{saved}{}", took_over(recovered_from))
            }
            Self::Reset => lang.pick("Mapping reset", "매핑을 초기화함").into(),
            Self::Failed(e) => e.localized(lang),
        }
    }
}

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
            Self::Io { op, name, source } => format!(
                "매핑 {name:?}: {} 실패 - {}",
                op.localized(lang),
                os_error_ko(source)
            ),
        }
    }
}

impl Localized for ObjectError {
    fn localized(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return self.to_string();
        }
        match self {
            Self::NameTaken { path, kind, owner } => format!(
                "이름이 다른 종류의 객체에 쓰이고 있습니다 ({}: {}). memlab은 이것을 지우지 않습니다. {}",
                kind.localized(lang),
                path.display(),
                Fix::new(path, *owner).localized(lang)
            ),
            Self::Foreign { path, owner, you } => format!(
                "{}: 다른 계정(uid {owner})의 것입니다 (지금 계정은 uid {you}). \
                 memlab은 이 객체를 쓰지도, 바꾸지도, 지우지도 않습니다. {}",
                path.display(),
                Fix::new(path, Some(*owner)).localized(lang)
            ),
            Self::Exposed { path, mode } => format!(
                "{}: 다른 계정에도 열려 있습니다 (권한 {mode}). \
                 memlab은 나만 쓸 수 있는 객체(권한 0600)만 씁니다. {}",
                path.display(),
                Fix::new(path, Some(crate::core::shm_object::euid())).localized(lang)
            ),
            Self::UnsafeFolder { path, owner, mode } => format!(
                "{} 공유 메모리를 두기에 안전한 폴더가 아닙니다 (소유자 uid {owner}, 권한 {mode}). \
                 다른 계정이 객체를 지우거나 바꿔치기할 수 있습니다",
                josa(path.display(), Topic)
            ),
            Self::NoSpace { folder, needed } => format!(
                "{}에 공간이 없어 {needed}바이트짜리 공유 메모리 객체를 둘 수 없습니다",
                folder.display()
            ),
            Self::Busy { path, waited_ms } => format!(
                "{} {waited_ms} ms 동안 바빴습니다: 다른 인스턴스가 계속 연결하거나 떠나고 있습니다",
                josa(path.display(), Subject)
            ),
            Self::Full { path, max } => {
                format!("{}의 인스턴스 자리 {max}개가 모두 찼습니다", path.display())
            }
            Self::Unsettled { path, attempts } => format!(
                "연결하는 동안 {} 계속 지워지고 다시 만들어졌습니다 ({attempts}번 시도)",
                josa(path.display(), Subject)
            ),
            Self::Io { op, path, source } => format!(
                "{}: {} 실패 - {}",
                path.display(),
                op.localized(lang),
                os_error_ko(source)
            ),
        }
    }
}

impl Localized for Fix {
    fn localized(&self, lang: Lang) -> String {
        let path = self.path.display();
        match (lang, self.yours) {
            (Lang::En, _) => self.to_string(),
            (Lang::Ko, true) => {
                format!("이 이름을 다시 쓰려면 지우세요(rm -r '{path}'). 아니면 다른 이름을 쓰세요")
            }
            (Lang::Ko, false) => format!(
                "이 이름을 되찾으려면 관리자가 지워야 합니다(sudo rm -r '{path}'). 아니면 다른 이름을 쓰세요"
            ),
        }
    }
}

impl Localized for NameProblem {
    fn localized(&self, lang: Lang) -> String {
        match (lang, *self) {
            (Lang::En, problem) => problem.to_string(),
            (Lang::Ko, Self::Empty) => "비어 있습니다".into(),
            (Lang::Ko, Self::TooLong { len, max }) => {
                format!("{len}바이트로, 최대 {max}바이트보다 깁니다")
            }
            (Lang::Ko, Self::Nul) => "NUL 문자가 들어 있습니다".into(),
            (Lang::Ko, Self::Slash) => "'/' 또는 '\\'가 들어 있습니다".into(),
            (Lang::Ko, Self::DotName) => "'.'과 '..'은 이름으로 쓸 수 없습니다".into(),
            (Lang::Ko, Self::Control) => "제어 문자가 들어 있습니다".into(),
            (Lang::Ko, Self::Blank) => "공백뿐입니다".into(),
            (Lang::Ko, Self::Format { ch }) => format!(
                "보이지 않는 서식 문자(U+{:04X})가 들어 있어 다른 이름처럼 보일 수 있습니다",
                u32::from(ch)
            ),
            (Lang::Ko, Self::NotUtf8) => "UTF-8이 아닙니다".into(),
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
            ) => format!("잡혀 있음: {}", holder.localized(lang)),
            (Lang::Ko, Self::Abandoned { pid }) => format!(
                "비어 있음. 헤더에 잡은 프로세스로 적힌 PID {pid}, 실행 중이 아님: 쓰던 중 끝남"
            ),
        }
    }
}

impl Localized for ObjectKind {
    fn localized(&self, lang: Lang) -> String {
        match (lang, self) {
            (Lang::En, kind) => kind.to_string(),
            (Lang::Ko, Self::Directory) => "폴더".into(),
            (Lang::Ko, Self::Symlink) => "심볼릭 링크".into(),
            (Lang::Ko, Self::Fifo) => "이름 있는 파이프".into(),
            (Lang::Ko, Self::Socket) => "소켓".into(),
            (Lang::Ko, Self::Device) => "장치 파일".into(),
        }
    }
}

impl Localized for IoOp {
    fn localized(&self, lang: Lang) -> String {
        match (lang, self) {
            (Lang::En, op) => op.to_string(),
            (Lang::Ko, Self::OpenFolder) => "폴더 열기".into(),
            (Lang::Ko, Self::Open) => "열기".into(),
            (Lang::Ko, Self::Create) => "객체 만들기".into(),
            (Lang::Ko, Self::Reserve) => "저장 공간 확보".into(),
            (Lang::Ko, Self::Publish) => "이름 붙이기".into(),
            (Lang::Ko, Self::Remove) => "지우기".into(),
            (Lang::Ko, Self::Lock) => "잠금".into(),
            (Lang::Ko, Self::Map) => "메모리 매핑".into(),
            (Lang::Ko, Self::Inspect) => "상태 확인".into(),
        }
    }
}

/// An OS error in Korean, with its number (the OS's own text is English).
fn os_error_ko(e: &io::Error) -> String {
    e.localized(Lang::Ko)
}
