//! The map's values in Korean: region types, the map's errors and the
//! owners of memlab's regions (their English is their `Display`).

use super::maps::{MapError, Owner, RegionType, unreadable_what_ko};
use super::sys::error_label as errno_label;
use crate::format::format_bytes;
use crate::i18n::Particle::{Object, Subject, Topic};
use crate::i18n::{Lang, Localized, josa, particle_for};

impl Localized for RegionType {
    fn localized(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.name().into(),
            Lang::Ko => match self {
                Self::Image => "이미지",
                Self::MappedFile => "매핑된 파일",
                Self::Shareable => "공유 가능",
                Self::Heap => "힙",
                Self::Stack => "스택",
                Self::PrivateData => "전용 데이터",
                Self::Reserved => "예약됨",
                Self::Free => "빈 공간",
            }
            .into(),
        }
    }
}

impl Localized for MapError {
    fn localized(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return self.to_string();
        }
        match self {
            Self::Read(e) => e.localized(lang),
            Self::NoProcess { pid } => {
                format!(
                    "프로세스 {pid}{} 없습니다 (끝났을 수 있습니다)",
                    particle_for(&pid.to_string(), Subject)
                )
            }
            Self::NotYours { pid, owner, you } => format!(
                "프로세스 {} 사용자 ID {owner}의 것이며 내 것(사용자 ID {you})이 아닙니다. 맵은 내 프로세스만 보여 줍니다",
                josa(pid, Topic)
            ),
            Self::Unreadable {
                pid,
                errno: Some(errno),
            } => {
                let what = unreadable_what_ko(*pid);
                format!(
                    "{what}{} 읽을 수 없습니다 ({})",
                    particle_for(&what, Object),
                    errno_label(*errno)
                )
            }
            Self::Unreadable { pid, errno: None } => {
                format!("{}의 내용을 이해할 수 없습니다", unreadable_what_ko(*pid))
            }
        }
    }
}

impl Localized for Owner {
    fn localized(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return self.to_string();
        }
        match self {
            Self::Manager { name } => match *name {
                "private heap (talc)" => "전용 힙 (talc)".into(),
                "mimalloc arena" => "mimalloc 아레나".into(),
                other => (*other).into(),
            },
            Self::SharedText { name } => format!("공유 문자열 매핑 \"{name}\""),
            Self::PageLab { id, pages } => format!("페이지 실험실의 예약 {id} ({pages}페이지)"),
            Self::ThreadStack { tid, thread } => format!("스레드 {tid}({thread})의 스택"),
            Self::BundledFont { offset, len } => format!(
                "내장 글꼴이 들어 있음: +{offset:#x}부터 {} (include_bytes!로 실행 파일에 포함, 따로 된 영역은 없음)",
                format_bytes(*len)
            ),
            Self::MallocArena => "glibc의 malloc 아레나: 스레드의 힙, 64 MiB 예약".into(),
        }
    }
}
