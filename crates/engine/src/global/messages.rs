//! The Global/Local lab's values in Korean (their English is their
//! `Display`, what the command line prints): handle numbers, kinds and
//! every error.

use super::{ARENA_BYTES, GlobalError, Handle, Kind, MAX_HANDLES};
use crate::format::format_bytes;
use crate::i18n::Particle::{Subject, Topic};
use crate::i18n::{Lang, Localized, errno_ko, josa};

impl Localized for Handle {
    fn localized(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.to_string(),
            Lang::Ko => format!("핸들 {}", self.0),
        }
    }
}

impl Localized for Kind {
    fn localized(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.name().into(),
            Lang::Ko => match self {
                Self::Fixed => "고정",
                Self::Moveable => "이동 가능",
                Self::Discardable => "버릴 수 있음",
            }
            .into(),
        }
    }
}

impl Localized for GlobalError {
    fn localized(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return self.to_string();
        }
        let ko = |h: &Handle| h.localized(Lang::Ko);
        match self {
            Self::NoSuchHandle(h) => format!(
                "{} 할당된 적이 없습니다 (ERROR_INVALID_HANDLE)",
                josa(ko(h), Topic)
            ),
            Self::StaleHandle(h) => format!(
                "{} GlobalFree로 해제되었습니다: 이미 무효가 된 핸들을 쓰고 있습니다 (ERROR_INVALID_HANDLE)",
                josa(ko(h), Topic)
            ),
            Self::NotLocked { handle, fixed } => format!(
                "GlobalUnlock: {} 잠겨 있지 않습니다 (ERROR_NOT_LOCKED): {}",
                josa(ko(handle), Topic),
                if *fixed {
                    "GMEM_FIXED 블록의 잠금 계수는 늘 0입니다"
                } else {
                    "잠금 계수가 이미 0입니다. GlobalUnlock은 GlobalLock과 짝이 맞아야 합니다"
                }
            ),
            Self::LockDiscarded(h) => format!(
                "GlobalLock이 NULL을 돌려주었습니다: {} 버려졌습니다. GlobalReAlloc으로 다시 메모리를 주세요",
                josa(ko(h), Topic)
            ),
            Self::LockCountFull(h) => format!(
                "GlobalLock: {}의 잠금 계수가 최대치 255입니다 (GMEM_LOCKCOUNT)",
                ko(h)
            ),
            Self::FreeLocked { handle, lock_count } => format!(
                "GlobalFree: {} 잠겨 있습니다 (잠금 계수 {lock_count}): 잠긴 블록은 해제하지 않습니다. \
                 먼저 GlobalUnlock 하세요",
                josa(ko(handle), Topic)
            ),
            Self::DiscardLocked { handle, lock_count } => format!(
                "GlobalDiscard: {} 잠겨 있습니다 (잠금 계수 {lock_count}): 잠기지 않은 블록만 버릴 수 있습니다",
                josa(ko(handle), Topic)
            ),
            Self::DiscardFixed(h) => format!(
                "GlobalDiscard: {} GMEM_FIXED 블록입니다: 이동 가능한 블록만 버릴 수 있습니다",
                josa(ko(h), Topic)
            ),
            Self::CannotMove {
                handle,
                bytes,
                lock_count,
            } => format!(
                "GlobalReAlloc: {} 제자리에서 {}로 커질 수 없고, {} (ERROR_NOT_ENOUGH_MEMORY)",
                josa(ko(handle), Topic),
                format_bytes(*bytes),
                if *lock_count > 0 {
                    format!(
                        "잠긴 블록(잠금 계수 {lock_count})은 GMEM_MOVEABLE 없이 움직일 수 없습니다"
                    )
                } else {
                    "GMEM_FIXED 블록은 GMEM_MOVEABLE 없이 움직일 수 없습니다".to_string()
                }
            ),
            Self::NotEnoughMemory {
                call,
                bytes,
                largest_free,
            } => format!(
                "{call}: 메모리가 부족합니다 (ERROR_NOT_ENOUGH_MEMORY): memlab의 글로벌 힙 {}에 \
                 압축하고 버린 뒤에도 {} 자리가 없습니다 (가장 큰 빈 공간 {})",
                format_bytes(ARENA_BYTES as u64),
                format_bytes(*bytes),
                format_bytes(*largest_free)
            ),
            Self::TooLarge { call, bytes } => format!(
                "{call}: memlab의 글로벌 힙은 모두 {}입니다. {} 들어갈 수 없습니다",
                format_bytes(ARENA_BYTES as u64),
                josa(format_bytes(*bytes), Subject)
            ),
            Self::TooManyHandles => {
                format!("memlab은 핸들을 {MAX_HANDLES}개까지만 둡니다: 먼저 몇 개를 해제하세요")
            }
            Self::NoBlockAt(address) => format!(
                "GlobalHandle: {address:#x}는 글로벌 힙 블록의 시작 주소가 아닙니다 (ERROR_INVALID_HANDLE)"
            ),
            Self::NothingKept(h) => format!(
                "{}에서 받아 둔 포인터가 없습니다: 먼저 잠그세요 (GlobalLock이 포인터를 줍니다)",
                ko(h)
            ),
            Self::Map { bytes, errno, .. } => format!(
                "memlab의 글로벌 힙({})을 매핑할 수 없습니다: {}",
                format_bytes(*bytes as u64),
                errno_ko(*errno)
            ),
        }
    }
}
