//! The page lab's values in Korean: page states, protections, its errors
//! and access violations. What names an OS's own call or limit (mlock's
//! RLIMIT_MEMLOCK, VirtualLock's working set) comes from `pages`' file of
//! that OS.

use super::pages::{
    AccessViolation, PageError, PageState, Protection, address_space_ko, commit_refused_ko,
    lock_limit_ko,
};
use super::sys::error_label as errno_label;
use crate::i18n::Particle::{Subject, Topic};
use crate::i18n::{Lang, Localized, josa};

impl Localized for PageState {
    fn localized(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.name().into(),
            Lang::Ko => match self {
                Self::Free => "빈 주소",
                Self::Reserved => "예약됨",
                Self::Committed => "커밋됨",
            }
            .into(),
        }
    }
}

impl Localized for Protection {
    fn localized(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.name().into(),
            Lang::Ko => match self {
                Self::NoAccess => "접근 불가",
                Self::ReadOnly => "읽기 전용",
                Self::ReadWrite => "읽기/쓰기",
            }
            .into(),
        }
    }
}

impl Localized for PageError {
    fn localized(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return self.to_string();
        }
        match self {
            Self::ZeroPages => "예약하려면 페이지가 1개 이상 필요합니다".into(),
            Self::TooManyPages { requested, max } => {
                format!("{requested}개 페이지는 예약 하나의 한도인 {max}개보다 많습니다")
            }
            Self::NoSuchReservation { id } => format!("예약 {} 없습니다", josa(id, Subject)),
            Self::Released { id } => {
                format!(
                    "예약 {} 해제되었습니다. 그 페이지들은 이제 비어 있습니다",
                    josa(id, Topic)
                )
            }
            Self::EmptyRange { range } => format!(
                "범위 {}..{}에는 페이지가 없습니다 (끝 번호는 빠집니다: 0..4는 0~3번 페이지)",
                range.start, range.end
            ),
            Self::OutOfRange { id, range, pages } => format!(
                "{}..{}번 페이지는 예약 {id}의 범위(0..{pages})를 벗어납니다",
                range.start, range.end
            ),
            Self::ProtectReserved { id, page } => format!(
                "예약 {id}의 {page}번 페이지는 예약만 되어 있고 커밋되지 않았습니다. \
                 VirtualProtect는 커밋된 페이지에만 쓸 수 있습니다"
            ),
            Self::LockNotCommitted { id, page } => format!(
                "예약 {id}의 {page}번 페이지는 커밋되지 않았습니다. \
                 VirtualLock은 커밋된 페이지만 잠글 수 있습니다"
            ),
            Self::LockNoAccess { id, page } => format!(
                "예약 {id}의 {page}번 페이지는 접근 불가입니다. \
                 VirtualLock은 읽을 수 있는 페이지만 잠글 수 있습니다"
            ),
            Self::NotLocked { id, page } => {
                format!("예약 {id}의 {page}번 페이지는 잠겨 있지 않습니다")
            }
            Self::LockLimit {
                bytes,
                limit,
                locked,
                errno,
            } => lock_limit_ko(*bytes, *limit, *locked, *errno),
            Self::AddressSpace { bytes, limit } => address_space_ko(*bytes, *limit),
            Self::CommitRefused { bytes } => commit_refused_ko(*bytes),
            Self::Os { op, errno } => {
                format!("{} 실패 ({})", op.os_call(), errno_label(*errno))
            }
        }
    }
}

impl Localized for AccessViolation {
    fn localized(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return self.to_string();
        }
        let what = match self.state {
            PageState::Committed => format!(
                "{}, {}",
                self.state.localized(lang),
                self.protection.localized(lang)
            ),
            s => format!(
                "{} / {}",
                s.localized(lang),
                Protection::NoAccess.localized(lang)
            ),
        };
        format!(
            "접근 위반: {}번 페이지({:#x}) {} 실패. 이 페이지는 {what} 상태입니다",
            self.page,
            self.address,
            if self.write { "쓰기" } else { "읽기" },
        )
    }
}
