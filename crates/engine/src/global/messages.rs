//! The Global/Local lab's values in Korean (their English is their
//! `Display`, what the command line prints): handle numbers, kinds, what
//! each step did and every error. The English of a step's outcome and of
//! what a kept pointer finds is here too, beside its Korean.

use std::fmt;

use super::{
    ARENA_BYTES, AtAddress, GRANULE, GlobalError, Handle, Kind, MAX_HANDLES, Move, Outcome,
};
use crate::format::format_bytes;
use crate::i18n::Particle::{Object, Subject, Topic};
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
            Self::ModifyFixed(h) => format!(
                "GlobalReAlloc(GMEM_MODIFY): {} GMEM_FIXED입니다: 이동 가능한 블록만 버릴 수 있게 \
                 됩니다 (GMEM_MOVEABLE도 주면 이동 가능해집니다)",
                josa(ko(h), Topic)
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
            Self::Os { call, code, .. } => format!("{call} 실패: {}", errno_ko(*code as i32)),
        }
    }
}

/// The moves of a compaction, `handle N moved 0x.. -> 0x..` joined by `; `.
fn moves(moved: &[Move], lang: Lang) -> String {
    moved
        .iter()
        .map(|m| match lang {
            Lang::En => format!("{} moved {:#x} -> {:#x}", m.handle, m.from, m.to),
            Lang::Ko => format!(
                "{} 이동 {:#x} -> {:#x}",
                m.handle.localized(lang),
                m.from,
                m.to
            ),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn handles(list: &[Handle], lang: Lang) -> String {
    list.iter()
        .map(|h| h.localized(lang))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What a kept pointer finds, in words.
impl fmt::Display for AtAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.localized(Lang::En))
    }
}

impl Localized for AtAddress {
    fn localized(&self, lang: Lang) -> String {
        match (self, lang) {
            (
                Self::Block {
                    handle,
                    offset,
                    bytes,
                },
                Lang::En,
            ) => format!(
                "{handle}'s bytes (offset {offset}): {:?}",
                String::from_utf8_lossy(bytes)
            ),
            (
                Self::Block {
                    handle,
                    offset,
                    bytes,
                },
                Lang::Ko,
            ) => format!(
                "{}의 바이트 (오프셋 {offset}): {:?}",
                handle.localized(lang),
                String::from_utf8_lossy(bytes)
            ),
            (Self::Header { handle }, Lang::En) => {
                format!("{handle}'s header, the heap's own bytes")
            }
            (Self::Header { handle }, Lang::Ko) => {
                format!("{}의 헤더 (힙 자신의 바이트)", handle.localized(lang))
            }
            (Self::Free, Lang::En) => {
                "free space of the heap: no block there now (the next GlobalAlloc may put one there)"
                    .into()
            }
            (Self::Free, Lang::Ko) => {
                "힙의 빈 공간: 지금은 블록이 없습니다 (다음 GlobalAlloc이 그 자리에 블록을 둘 수 있습니다)"
                    .into()
            }
            (Self::Outside, Lang::En) => "not memlab's global heap at all".into(),
            (Self::Outside, Lang::Ko) => "memlab의 글로벌 힙 바깥입니다".into(),
            (Self::NotOurs, Lang::En) => "no block of memlab's is there now: the process heap may \
                                          have given those bytes to anything else of the process \
                                          (Rust's own allocations come from the same heap)"
                .into(),
            (Self::NotOurs, Lang::Ko) => "지금 그 자리에는 memlab의 블록이 없습니다: 프로세스 힙이 \
                                          그 바이트를 프로세스의 다른 무엇에든 주었을 수 있습니다 \
                                          (Rust 자신의 할당도 같은 힙에서 옵니다)"
                .into(),
        }
    }
}

/// What a step did, in one line (what the command line prints under the step).
impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.localized(Lang::En))
    }
}

impl Localized for Outcome {
    fn localized(&self, lang: Lang) -> String {
        let ko = lang == Lang::Ko;
        match self {
            Self::Allocated {
                handle,
                hglobal,
                moved,
                discarded,
            } => {
                let mut s = format!("{} = {hglobal:#x}", handle.localized(lang));
                if !moved.is_empty() {
                    s.push_str(&match lang {
                        Lang::En => {
                            format!("; no room, so the heap compacted: {}", moves(moved, lang))
                        }
                        Lang::Ko => {
                            format!("; 자리가 없어 힙을 압축했습니다: {}", moves(moved, lang))
                        }
                    });
                }
                if !discarded.is_empty() {
                    s.push_str(&match lang {
                        Lang::En => {
                            format!("; discarded to make room: {}", handles(discarded, lang))
                        }
                        Lang::Ko => format!("; 자리를 만들려고 버림: {}", handles(discarded, lang)),
                    });
                }
                s
            }
            Self::Locked {
                pointer,
                lock_count,
            } => match lang {
                Lang::En => format!("pointer {pointer:#x}, lock count {lock_count}"),
                Lang::Ko => format!("포인터 {pointer:#x}, 잠금 계수 {lock_count}"),
            },
            Self::Unlocked { lock_count } => match lang {
                Lang::En => format!("lock count {lock_count}"),
                Lang::Ko => format!("잠금 계수 {lock_count}"),
            },
            Self::Size { bytes, requested } if *bytes == requested.div_ceil(GRANULE) * GRANULE => {
                match lang {
                    Lang::En => format!(
                        "GlobalSize: {bytes} bytes ({requested} asked, rounded up to {GRANULE})"
                    ),
                    Lang::Ko => format!(
                        "GlobalSize: {bytes}바이트 (요청 {requested}, {GRANULE}의 배수로 올림)"
                    ),
                }
            }
            Self::Size { bytes, requested } => match lang {
                Lang::En => format!("GlobalSize: {bytes} bytes ({requested} asked)"),
                Lang::Ko => format!("GlobalSize: {bytes}바이트 (요청 {requested})"),
            },
            Self::Reallocated {
                from: None,
                to,
                size,
            } => match lang {
                Lang::En => format!(
                    "memory again at {to:#x} ({size} bytes, zeroed: the old contents are lost)"
                ),
                Lang::Ko => format!(
                    "{to:#x}에 다시 메모리를 받았습니다 ({size}바이트, 0으로 채움: 예전 내용은 사라졌습니다)"
                ),
            },
            Self::Reallocated {
                from: Some(from),
                to,
                size,
            } if from == to => match lang {
                Lang::En => format!("in place at {to:#x}, now {size} bytes"),
                Lang::Ko => format!("{to:#x} 제자리에서, 이제 {size}바이트"),
            },
            Self::Reallocated {
                from: Some(from),
                to,
                size,
            } => match lang {
                Lang::En => format!("moved {from:#x} -> {to:#x}, now {size} bytes"),
                Lang::Ko => format!("이동 {from:#x} -> {to:#x}, 이제 {size}바이트"),
            },
            Self::Flags { flags } => format!("GlobalFlags: {flags:#06x}"),
            Self::Modified {
                hglobal,
                now: kind,
                flags,
            } => match lang {
                Lang::En => format!(
                    "now {}: GlobalFlags {flags:#06x}, HGLOBAL {hglobal:#x}",
                    kind.localized(lang)
                ),
                Lang::Ko => format!(
                    "이제 {}: GlobalFlags {flags:#06x}, HGLOBAL {hglobal:#x}",
                    kind.localized(lang)
                ),
            },
            Self::HandleOf {
                address,
                handle,
                hglobal,
            } => match lang {
                Lang::En => format!("{address:#x} is the start of {handle} (HGLOBAL {hglobal:#x})"),
                Lang::Ko => format!(
                    "{address:#x}는 {}의 시작 주소입니다 (HGLOBAL {hglobal:#x})",
                    handle.localized(lang)
                ),
            },
            Self::Freed => lang
                .pick(
                    "freed: the handle is invalid from now on",
                    "해제했습니다: 이제부터 이 핸들은 무효입니다",
                )
                .into(),
            Self::FreedLocked { lock_count } => match lang {
                Lang::En => format!(
                    "freed although locked (lock count {lock_count}): Windows frees a locked \
                     block; the handle is invalid from now on"
                ),
                Lang::Ko => format!(
                    "잠겨 있었는데도(잠금 계수 {lock_count}) 해제했습니다: 윈도우는 잠긴 블록도 \
                     해제합니다. 이제부터 이 핸들은 무효입니다"
                ),
            },
            Self::Discarded => lang
                .pick(
                    "discarded: no memory, the handle still valid",
                    "버렸습니다: 메모리는 없고 핸들은 여전히 유효합니다",
                )
                .into(),
            Self::Compacted { moved } if moved.is_empty() => lang
                .pick("nothing could move", "움직일 수 있는 블록이 없었습니다")
                .into(),
            Self::Compacted { moved } => moves(moved, lang),
            Self::LowMemory { discarded, .. } if discarded.is_empty() => lang
                .pick(
                    "no unlocked discardable block to discard",
                    "버릴 수 있는, 잠기지 않은 블록이 없습니다",
                )
                .into(),
            Self::LowMemory { discarded, bytes } => match lang {
                Lang::En => format!(
                    "discarded {} ({} back to the heap)",
                    handles(discarded, lang),
                    format_bytes(*bytes)
                ),
                Lang::Ko => format!(
                    "{} 버렸습니다 (힙으로 {} 돌아옴)",
                    josa(handles(discarded, lang), Object),
                    format_bytes(*bytes)
                ),
            },
            Self::ReadKept {
                pointer,
                stale: false,
                now,
            } => {
                if ko {
                    format!("*{pointer:#x} (아직 그 블록): {}", now.localized(lang))
                } else {
                    format!("*{pointer:#x} (still the block): {now}")
                }
            }
            Self::ReadKept {
                pointer,
                stale: true,
                now,
            } => {
                if ko {
                    format!(
                        "*{pointer:#x}는 낡은 포인터입니다 (블록이 움직였거나 없어짐). 읽으면: {}",
                        now.localized(lang)
                    )
                } else {
                    format!(
                        "*{pointer:#x} is a stale pointer (the block moved or is gone); it would read {now}"
                    )
                }
            }
        }
    }
}
