//! The heap lab's values in Korean (their English is their `Display`, what
//! the command line prints): heap and block numbers, HeapWalk's kinds, the
//! damage HeapValidate finds, and every error.

use super::{
    BlockId, DamageKind, HeapError, HeapId, MAX_BLOCKS, MAX_COMMIT, MAX_HEAPS, MAX_RESERVE,
    WalkKind,
};
use crate::format::format_bytes;
use crate::i18n::Particle::{Object, Subject, Topic};
use crate::i18n::{Lang, Localized, errno_ko, josa};

impl Localized for HeapId {
    fn localized(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.to_string(),
            Lang::Ko => format!("힙 {}", self.0),
        }
    }
}

impl Localized for BlockId {
    fn localized(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.to_string(),
            Lang::Ko => format!("블록 {}", self.0),
        }
    }
}

impl Localized for WalkKind {
    fn localized(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.name().into(),
            Lang::Ko => match self {
                Self::Busy => "사용 중",
                Self::Free => "빈 블록",
                Self::Uncommitted => "커밋 안 됨",
            }
            .into(),
        }
    }
}

impl Localized for DamageKind {
    fn localized(&self, lang: Lang) -> String {
        match (self, lang) {
            (Self::Header, Lang::En) => "header".into(),
            (Self::Tail, Lang::En) => "tail check".into(),
            (Self::Header, Lang::Ko) => "헤더".into(),
            (Self::Tail, Lang::Ko) => "꼬리 검사 바이트".into(),
        }
    }
}

impl Localized for HeapError {
    fn localized(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return self.to_string();
        }
        let ko = |id: &dyn Localized| id.localized(Lang::Ko);
        match self {
            Self::NoSuchHeap(h) => format!(
                "{} 없습니다 (만든 적이 없거나 HeapDestroy로 파괴됨)",
                josa(ko(h), Subject)
            ),
            Self::NoSuchBlock { heap, block } => format!(
                "{}에 {} 없습니다 (할당한 적이 없거나 HeapFree로 해제됨)",
                ko(heap),
                josa(ko(block), Subject)
            ),
            Self::InitialAboveMaximum { initial, maximum } => format!(
                "HeapCreate: 초기 크기({})가 최대 크기({})보다 큽니다",
                format_bytes(*initial),
                format_bytes(*maximum)
            ),
            Self::HeapTooLarge { bytes } => format!(
                "HeapCreate: memlab은 {} 이하의 힙만 만듭니다 (요청: {})",
                format_bytes(MAX_RESERVE),
                format_bytes(*bytes)
            ),
            Self::CommitLimit {
                call,
                bytes,
                committed,
            } => format!(
                "{call}: memlab의 힙은 모두 합쳐 {}까지만 커밋할 수 있고 지금 {} 커밋되어 있어서, {} 더는 거절합니다",
                format_bytes(MAX_COMMIT),
                format_bytes(*committed),
                format_bytes(*bytes)
            ),
            Self::TooManyHeaps => {
                format!("memlab은 힙을 {MAX_HEAPS}개까지만 둡니다: 먼저 하나를 파괴하세요")
            }
            Self::TooManyBlocks { heap } => format!(
                "memlab은 힙 하나에 블록을 {MAX_BLOCKS}개까지만 둡니다: 먼저 {}의 블록을 해제하세요",
                ko(heap)
            ),
            Self::NoMemory {
                heap,
                bytes,
                maximum,
                largest_free,
            } => {
                let why = if *maximum == 0 {
                    format!(
                        "memlab의 한도 {}를 넘어 커질 수 없고",
                        format_bytes(MAX_RESERVE)
                    )
                } else {
                    format!("최대 크기 {}에 고정되어 있고", format_bytes(*maximum))
                };
                format!(
                    "HeapAlloc: 메모리가 부족합니다 (STATUS_NO_MEMORY): {} {why} {} 빈 블록이 \
                     없습니다 (가장 큰 빈 블록 {})",
                    josa(ko(heap), Topic),
                    format_bytes(*bytes),
                    format_bytes(*largest_free)
                )
            }
            Self::NotInPlace { heap, block, bytes } => format!(
                "HeapReAlloc(HEAP_REALLOC_IN_PLACE_ONLY): {}의 {} 제자리에서 {}로 커질 수 \
                 없습니다 (뒤의 바이트가 비어 있지 않음): STATUS_NO_MEMORY, 블록은 그대로입니다",
                ko(heap),
                josa(ko(block), Topic),
                format_bytes(*bytes)
            ),
            Self::Damaged {
                call,
                heap,
                block,
                address,
                what,
            } => format!(
                "{call}: {}의 {}(주소 {address:#x})의 {} 덮어써져 손상되었습니다: 윈도우가 힙 \
                 손상 시 프로세스를 멈추듯, 힙이 이 블록을 거절합니다",
                ko(heap),
                ko(block),
                josa(what.localized(Lang::Ko), Subject)
            ),
            Self::Overrun { call, heap, at } => format!(
                "{call}: memlab이 {}에서 블록 끝을 넘어 썼으므로(주소 {at:#x}) 더는 그 힙을 바꾸는 \
                 함수를 부르지 않습니다: 윈도우는 힙 손상을 찾으면 프로세스를 끝냅니다 \
                 (STATUS_HEAP_CORRUPTION). HeapValidate로 읽을 수는 있고, HeapDestroy로 돌려줍니다",
                ko(heap)
            ),
            Self::ReserveRefused { bytes, errno, .. } => format!(
                "HeapCreate: 메모리가 부족합니다: 시스템이 {} 예약을 거절했습니다 ({})",
                format_bytes(*bytes),
                errno_ko(*errno)
            ),
            Self::CommitRefused { bytes } => format!(
                "메모리가 부족합니다: 시스템이 {} 더 커밋하기를 거절했습니다 (커밋 한도 또는 RLIMIT_AS)",
                format_bytes(*bytes)
            ),
            Self::Os { call, errno, .. } => {
                format!("{call} 실패: {}", errno_ko(*errno))
            }
            Self::Read { file, reason } => {
                format!("{} 읽을 수 없습니다: {reason}", josa(file, Object))
            }
        }
    }
}
