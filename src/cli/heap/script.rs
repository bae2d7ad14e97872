//! The `memlab heap` script: steps separated by `;`, each parsed before
//! the first runs, with a message naming what is wrong. Sizes take `K`,
//! `M` and `G` (1024-based).

use memlab_engine::heap::{BlockId, HeapId, MAX_COUNT, Operation, ReallocFlags};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Step {
    Create {
        initial: u64,
        maximum: u64,
    },
    Alloc {
        heap: HeapId,
        size: u64,
        count: usize,
        zero: bool,
    },
    Free(HeapId, BlockId),
    Size(HeapId, BlockId),
    Realloc {
        heap: HeapId,
        block: BlockId,
        size: u64,
        flags: ReallocFlags,
    },
    Overrun(HeapId, BlockId),
    Validate(HeapId),
    Compact(HeapId),
    Walk(HeapId),
    Fragment(HeapId),
    Destroy(HeapId),
}

impl Step {
    pub(super) fn operation(&self) -> Operation {
        match self {
            Self::Create { .. } => Operation::Create,
            Self::Alloc { .. } => Operation::Alloc,
            Self::Free(..) => Operation::Free,
            Self::Size(..) => Operation::Size,
            Self::Realloc { .. } => Operation::Realloc,
            Self::Overrun(..) => Operation::Overrun,
            Self::Validate(_) => Operation::Validate,
            Self::Compact(_) => Operation::Compact,
            Self::Walk(_) => Operation::Walk,
            Self::Fragment(_) => Operation::Fragment,
            Self::Destroy(_) => Operation::Destroy,
        }
    }
}

/// A size: `4096`, `64K`, `1M`, `1G`.
pub(super) fn size(word: Option<&str>, what: &str) -> Result<u64, String> {
    let word = word.ok_or_else(|| format!("missing {what}"))?;
    let bad = || format!("expected {what} such as 4096, 64K or 1M, got {word:?}");
    let (digits, unit) = match word.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&word[..i], c.to_ascii_uppercase()),
        _ => (word, ' '),
    };
    let shift = match unit {
        ' ' => 0,
        'K' => 10,
        'M' => 20,
        'G' => 30,
        _ => return Err(bad()),
    };
    let n: u64 = digits.parse().map_err(|_| bad())?;
    n.checked_mul(1 << shift).ok_or_else(bad)
}

fn number(word: Option<&str>, what: &str) -> Result<u32, String> {
    let word = word.ok_or_else(|| format!("missing {what}"))?;
    match word.trim_start_matches('#').parse() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("expected {what} (1, 2, ...), got {word:?}")),
    }
}

fn heap(word: Option<&str>) -> Result<HeapId, String> {
    number(word, "a heap number").map(HeapId)
}

fn block(word: Option<&str>) -> Result<BlockId, String> {
    number(word, "a block number").map(BlockId)
}

pub(super) fn parse_step(text: &str) -> Result<Step, String> {
    let mut words = text.split_whitespace().peekable();
    let op = words.next().unwrap_or_default().to_ascii_lowercase();
    let step = match op.as_str() {
        "create" => Step::Create {
            initial: size(words.next(), "an initial size")?,
            maximum: size(words.next(), "a maximum size (0 = growable)")?,
        },
        "alloc" => {
            let heap = heap(words.next())?;
            let size = size(words.next(), "a block size")?;
            let mut count = 1;
            let mut zero = false;
            while let Some(&w) = words.peek() {
                if let Some(n) = w.strip_prefix(['x', 'X']) {
                    count = match n.parse::<usize>() {
                        Ok(c) if (1..=MAX_COUNT).contains(&c) => c,
                        _ => return Err(format!("expected a count x1 to x{MAX_COUNT}, got {w:?}")),
                    };
                } else if w.eq_ignore_ascii_case("zero") {
                    zero = true;
                } else {
                    break;
                }
                words.next();
            }
            Step::Alloc {
                heap,
                size,
                count,
                zero,
            }
        }
        "free" => Step::Free(heap(words.next())?, block(words.next())?),
        "size" => Step::Size(heap(words.next())?, block(words.next())?),
        "realloc" => {
            let heap = heap(words.next())?;
            let block = block(words.next())?;
            let size = size(words.next(), "a new size")?;
            let mut flags = ReallocFlags::default();
            while let Some(&w) = words.peek() {
                match w.to_ascii_lowercase().as_str() {
                    "inplace" | "in-place" => flags.in_place_only = true,
                    "zero" => flags.zero_memory = true,
                    _ => break,
                }
                words.next();
            }
            Step::Realloc {
                heap,
                block,
                size,
                flags,
            }
        }
        "overrun" => Step::Overrun(heap(words.next())?, block(words.next())?),
        "validate" => Step::Validate(heap(words.next())?),
        "compact" => Step::Compact(heap(words.next())?),
        "walk" => Step::Walk(heap(words.next())?),
        "fragment" => Step::Fragment(heap(words.next())?),
        "destroy" => Step::Destroy(heap(words.next())?),
        other => {
            return Err(format!(
                "unknown step {other:?} (create, alloc, free, size, realloc, overrun, validate, \
                 compact, walk, fragment, destroy)"
            ));
        }
    };
    match words.next() {
        Some(extra) => Err(format!("unexpected {extra:?}")),
        None => Ok(step),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_parse_or_say_why() {
        assert_eq!(
            parse_step("create 64K 1M"),
            Ok(Step::Create {
                initial: 64 << 10,
                maximum: 1 << 20
            })
        );
        assert_eq!(
            parse_step("create 0 0"),
            Ok(Step::Create {
                initial: 0,
                maximum: 0
            })
        );
        assert_eq!(
            parse_step("alloc 1 100 x4 zero"),
            Ok(Step::Alloc {
                heap: HeapId(1),
                size: 100,
                count: 4,
                zero: true
            })
        );
        assert_eq!(
            parse_step("ALLOC 2 4k"),
            Ok(Step::Alloc {
                heap: HeapId(2),
                size: 4096,
                count: 1,
                zero: false
            })
        );
        assert_eq!(
            parse_step("realloc 1 3 8K inplace"),
            Ok(Step::Realloc {
                heap: HeapId(1),
                block: BlockId(3),
                size: 8192,
                flags: ReallocFlags {
                    in_place_only: true,
                    zero_memory: false
                }
            })
        );
        assert_eq!(
            parse_step("free 1 2"),
            Ok(Step::Free(HeapId(1), BlockId(2)))
        );
        assert_eq!(parse_step("destroy #2"), Ok(Step::Destroy(HeapId(2))));
        for (bad, why) in [
            ("create", "missing an initial size"),
            ("create 64K", "missing a maximum size"),
            (
                "create 64Q 1M",
                "expected an initial size such as 4096, 64K or 1M, got \"64Q\"",
            ),
            ("create -1 0", "expected an initial size"),
            ("create 99999999999G 0", "expected an initial size"),
            (
                "alloc 0 16",
                "expected a heap number (1, 2, ...), got \"0\"",
            ),
            ("alloc 1 16 x0", "expected a count x1 to x10000"),
            ("alloc 1 16 x10001", "expected a count x1 to x10000"),
            ("alloc 1 16 twice", "unexpected \"twice\""),
            ("free 1", "missing a block number"),
            ("validate", "missing a heap number"),
            ("frobnicate", "unknown step \"frobnicate\""),
        ] {
            let e = parse_step(bad).unwrap_err();
            assert!(e.starts_with(why), "{bad}: {e}");
        }
    }
}
