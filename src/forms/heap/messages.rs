//! The heap lab's notes (what the last button did, or the rule it broke),
//! kept as data and rendered in the frame's language.

use memlab_engine::format::format_bytes;
use memlab_engine::heap::{BlockId, Damage, Fragmented, HeapError, HeapId, Realloc};
use memlab_engine::i18n::Particle::{Object, Subject, Topic};
use memlab_engine::i18n::{Lang, Localized, josa};

/// What a size input must be.
pub(super) struct SizeRule(pub &'static str, pub &'static str);

impl Localized for SizeRule {
    fn localized(&self, lang: Lang) -> String {
        lang.pick(self.0, self.1).into()
    }
}

/// How a heap made room for a block no free block could hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Growth {
    /// It committed this many more bytes inside its reserved range.
    Committed(u64),
    /// It reserved another range of this many bytes (a growable heap).
    Reserved(u64),
}

/// What the last button did.
#[derive(Debug, Clone)]
pub enum HeapNote {
    Created {
        heap: HeapId,
        reserved: u64,
        committed: u64,
    },
    Allocated {
        heap: HeapId,
        blocks: Vec<BlockId>,
        size: u64,
        zero: bool,
    },
    Freed {
        heap: HeapId,
        block: BlockId,
    },
    Size {
        block: BlockId,
        bytes: u64,
    },
    Reallocated {
        block: BlockId,
        bytes: u64,
        how: Realloc,
    },
    Overrun {
        block: BlockId,
        at: usize,
    },
    Valid {
        heap: HeapId,
    },
    Invalid {
        heap: HeapId,
        damage: Vec<Damage>,
    },
    Compacted {
        heap: HeapId,
        largest: u64,
    },
    Fragmented {
        heap: HeapId,
        done: Fragmented,
    },
    Destroyed {
        heap: HeapId,
        committed: u64,
        rss_drop_kb: i64,
        charge_drop_kb: i64,
    },
    /// A block larger than the largest free block, allocated to show what
    /// the heap does then.
    BigBlock {
        heap: HeapId,
        bytes: u64,
        largest_free: u64,
        total_free: u64,
        grew: Growth,
    },
    Failed(HeapError),
    /// No heap or no block chosen for a button that needs one.
    ChooseHeap,
    ChooseBlock,
}

fn ko(value: &dyn Localized) -> String {
    value.localized(Lang::Ko)
}

fn list(blocks: &[BlockId]) -> String {
    match blocks {
        [] => String::new(),
        [one] => one.0.to_string(),
        [first, .., last] => format!("{}–{}", first.0, last.0),
    }
}

impl Localized for HeapNote {
    fn localized(&self, lang: Lang) -> String {
        let en = lang == Lang::En;
        match self {
            Self::Created {
                heap,
                reserved,
                committed,
            } => {
                if en {
                    format!(
                        "HeapCreate: {heap}: {} reserved, {} committed",
                        format_bytes(*reserved),
                        format_bytes(*committed)
                    )
                } else {
                    format!(
                        "HeapCreate: {}: {} 예약, {} 커밋",
                        ko(heap),
                        format_bytes(*reserved),
                        format_bytes(*committed)
                    )
                }
            }
            Self::Allocated {
                heap,
                blocks,
                size,
                zero,
            } => {
                let n = blocks.len();
                let zero_en = if *zero {
                    " (HEAP_ZERO_MEMORY: zeroed)"
                } else {
                    ""
                };
                let zero_ko = if *zero {
                    " (HEAP_ZERO_MEMORY: 0으로 채움)"
                } else {
                    ""
                };
                if en {
                    let s = if n == 1 { "" } else { "s" };
                    format!(
                        "HeapAlloc: {n} block{s} of {} in {heap} (block {}){zero_en}",
                        format_bytes(*size),
                        list(blocks)
                    )
                } else {
                    format!(
                        "HeapAlloc: {}에 {} 블록 {n}개 (블록 {}){zero_ko}",
                        ko(heap),
                        format_bytes(*size),
                        list(blocks)
                    )
                }
            }
            Self::Freed { heap, block } => {
                if en {
                    format!("HeapFree: {block} of {heap} is free; its pages stay committed")
                } else {
                    format!(
                        "HeapFree: {}의 {} 비었습니다. 페이지는 커밋된 채로 남습니다",
                        ko(heap),
                        josa(ko(block), Subject)
                    )
                }
            }
            Self::Size { block, bytes } => {
                if en {
                    format!("HeapSize: {block} is {bytes} bytes")
                } else {
                    format!("HeapSize: {}의 크기는 {bytes}바이트입니다", ko(block))
                }
            }
            Self::Reallocated { block, bytes, how } => match (how, en) {
                (Realloc::InPlace, true) => {
                    format!("HeapReAlloc: {block} is {bytes} bytes, at the same address")
                }
                (Realloc::InPlace, false) => {
                    format!(
                        "HeapReAlloc: {} 같은 주소에서 {bytes}바이트가 되었습니다",
                        josa(ko(block), Topic)
                    )
                }
                (Realloc::Moved { from }, true) => format!(
                    "HeapReAlloc: {block} is {bytes} bytes and moved (from {from:#x}): a pointer kept from before is stale"
                ),
                (Realloc::Moved { from }, false) => format!(
                    "HeapReAlloc: {} {bytes}바이트가 되어 옮겨졌습니다 ({from:#x}에서): 전에 받아 둔 포인터는 이제 틀립니다",
                    josa(ko(block), Topic)
                ),
            },
            Self::Overrun { block, at } => {
                if en {
                    format!(
                        "wrote 8 bytes past the end of {block}, at {at:#x}: nothing stopped it. Now try HeapValidate"
                    )
                } else {
                    format!(
                        "{}의 끝 너머 {at:#x}에 8바이트를 썼습니다. 아무것도 막지 않았습니다. 이제 HeapValidate를 눌러 보세요",
                        ko(block)
                    )
                }
            }
            Self::Valid { heap } => {
                if en {
                    format!("HeapValidate: TRUE, every block of {heap} is sound")
                } else {
                    format!("HeapValidate: TRUE, {}의 모든 블록이 온전합니다", ko(heap))
                }
            }
            Self::Invalid { heap, damage } => {
                let what: Vec<String> = damage
                    .iter()
                    .map(|d| {
                        let block = match (d.block, en) {
                            (Some(b), true) => b.to_string(),
                            (Some(b), false) => ko(&b),
                            (None, true) => "a free block".into(),
                            (None, false) => "빈 블록".into(),
                        };
                        if en {
                            format!("{block} ({} overwritten)", d.what.localized(lang))
                        } else {
                            format!("{block} ({} 덮어써짐)", d.what.localized(lang))
                        }
                    })
                    .collect();
                if en {
                    format!(
                        "HeapValidate: FALSE, {heap} is damaged: {}",
                        what.join(", ")
                    )
                } else {
                    format!(
                        "HeapValidate: FALSE, {} 손상되었습니다: {}",
                        josa(ko(heap), Subject),
                        what.join(", ")
                    )
                }
            }
            Self::Compacted { heap, largest } => {
                if en {
                    format!(
                        "HeapCompact: the largest free block of {heap} is {}",
                        format_bytes(*largest)
                    )
                } else {
                    format!(
                        "HeapCompact: {}에서 가장 큰 빈 블록은 {}입니다",
                        ko(heap),
                        format_bytes(*largest)
                    )
                }
            }
            Self::Fragmented { heap, done } => {
                if en {
                    format!(
                        "fragmented {heap}: {} blocks of {} allocated, every other one freed ({}). Compare the largest free block with the total",
                        done.allocated,
                        format_bytes(done.block_size),
                        done.freed
                    )
                } else {
                    format!(
                        "{} 조각냈습니다: {} 블록 {}개를 할당하고 하나 걸러 {}개를 해제했습니다. 가장 큰 빈 블록과 전체를 비교해 보세요",
                        josa(ko(heap), Object),
                        format_bytes(done.block_size),
                        done.allocated,
                        done.freed
                    )
                }
            }
            Self::Destroyed {
                heap,
                committed,
                rss_drop_kb,
                charge_drop_kb,
            } => {
                if en {
                    format!(
                        "HeapDestroy: {heap} and its {} committed went back at once: commit charge {:+} kB, RSS {:+} kB",
                        format_bytes(*committed),
                        -charge_drop_kb,
                        -rss_drop_kb
                    )
                } else {
                    format!(
                        "HeapDestroy: {} 파괴했습니다. 커밋된 {} 전부가 한꺼번에 돌아갔습니다: 커밋 양 {:+} kB, RSS {:+} kB",
                        josa(ko(heap), Object),
                        format_bytes(*committed),
                        -charge_drop_kb,
                        -rss_drop_kb
                    )
                }
            }
            Self::BigBlock {
                heap,
                bytes,
                largest_free,
                total_free,
                grew,
            } => {
                let (b, l, t) = (
                    format_bytes(*bytes),
                    format_bytes(*largest_free),
                    format_bytes(*total_free),
                );
                match (grew, en) {
                    (Growth::Committed(n), true) => format!(
                        "HeapAlloc of {b} in {heap}: no free block holds it (the largest is {l}, though {t} is free in all), so the heap committed {} more",
                        format_bytes(*n)
                    ),
                    (Growth::Reserved(n), true) => format!(
                        "HeapAlloc of {b} in {heap}: no free block holds it (the largest is {l}, though {t} is free in all), so the heap reserved another range of {}",
                        format_bytes(*n)
                    ),
                    (Growth::Committed(n), false) => format!(
                        "{}에 {b} HeapAlloc: 들어갈 빈 블록이 없습니다 (가장 큰 빈 블록 {l}, 빈 크기 합계 {t}). 그래서 힙이 {} 더 커밋했습니다",
                        ko(heap),
                        format_bytes(*n)
                    ),
                    (Growth::Reserved(n), false) => format!(
                        "{}에 {b} HeapAlloc: 들어갈 빈 블록이 없습니다 (가장 큰 빈 블록 {l}, 빈 크기 합계 {t}). 그래서 힙이 범위를 하나 더 예약했습니다 ({})",
                        ko(heap),
                        format_bytes(*n)
                    ),
                }
            }
            Self::Failed(e) => e.localized(lang),
            Self::ChooseHeap => lang
                .pick(
                    "Create a heap first, or pick one.",
                    "먼저 힙을 만들거나 고르세요.",
                )
                .into(),
            Self::ChooseBlock => lang
                .pick(
                    "Pick a block first: click it in the strip, or allocate one.",
                    "먼저 블록을 고르세요: 띠에서 누르거나 하나 할당하세요.",
                )
                .into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use memlab_engine::heap::{DamageKind, HeapLab};
    use memlab_engine::i18n::testing::assert_korean;

    /// Every note reads in Korean (and its English is not empty).
    #[test]
    fn every_note_reads_in_korean() {
        // Real values from a real heap: a fragment and a validation.
        let mut lab = HeapLab::new();
        let h = lab.create(64 << 10, 0).unwrap();
        let done = lab.fragment(h).unwrap();
        let b = lab.state(h).unwrap().blocks[0].id;
        lab.overrun(h, b).unwrap();
        let damage = lab.validate(h).unwrap();
        // Linux's model checks its tail bytes; on Windows the write hits
        // the next entry's header.
        let hit = if cfg!(windows) {
            DamageKind::Header
        } else {
            DamageKind::Tail
        };
        assert_eq!(damage[0].what, hit);
        let notes = [
            HeapNote::Created {
                heap: h,
                reserved: 1 << 20,
                committed: 64 << 10,
            },
            HeapNote::Allocated {
                heap: h,
                blocks: vec![b],
                size: 100,
                zero: true,
            },
            HeapNote::Allocated {
                heap: h,
                blocks: vec![b, BlockId(9)],
                size: 100,
                zero: false,
            },
            HeapNote::Freed { heap: h, block: b },
            HeapNote::Size {
                block: b,
                bytes: 100,
            },
            HeapNote::Reallocated {
                block: b,
                bytes: 200,
                how: Realloc::InPlace,
            },
            HeapNote::Reallocated {
                block: b,
                bytes: 200,
                how: Realloc::Moved { from: 0x1000 },
            },
            HeapNote::Overrun {
                block: b,
                at: 0x1064,
            },
            HeapNote::Valid { heap: h },
            HeapNote::Invalid { heap: h, damage },
            HeapNote::Compacted {
                heap: h,
                largest: 4096,
            },
            HeapNote::Fragmented { heap: h, done },
            HeapNote::Destroyed {
                heap: h,
                committed: 1 << 20,
                rss_drop_kb: 1024,
                charge_drop_kb: 1024,
            },
            HeapNote::BigBlock {
                heap: h,
                bytes: 5000,
                largest_free: 3000,
                total_free: 30000,
                grew: Growth::Committed(8192),
            },
            HeapNote::BigBlock {
                heap: h,
                bytes: 5 << 20,
                largest_free: 3000,
                total_free: 30000,
                grew: Growth::Reserved(8 << 20),
            },
            HeapNote::Failed(HeapError::TooManyHeaps),
            HeapNote::ChooseHeap,
            HeapNote::ChooseBlock,
        ];
        for note in notes {
            assert_korean(&note.localized(Lang::Ko));
            assert!(!note.localized(Lang::En).is_empty());
        }
    }
}
