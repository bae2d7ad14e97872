//! The `memlab global` script: steps separated by `;`, each parsed before
//! the first runs, with a message naming what is wrong. Sizes take `K` and
//! `M` (1024-based).

use memlab_engine::global::{Handle, Kind, Operation};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Step {
    /// GlobalAlloc(kind | GMEM_ZEROINIT if true, size).
    Alloc(Kind, u64, bool),
    Lock(Handle),
    Unlock(Handle),
    /// GlobalReAlloc(h, size, GMEM_MOVEABLE if true).
    Realloc(Handle, u64, bool),
    /// GlobalReAlloc(h, 0, GMEM_MODIFY | GMEM_MOVEABLE if the first |
    /// GMEM_DISCARDABLE if the second).
    Modify(Handle, bool, bool),
    Free(Handle),
    Compact,
    LowMemory,
    Discard(Handle),
    Size(Handle),
    Flags(Handle),
    /// GlobalHandle of an address, or of the pointer kept from a handle.
    HandleOf(Target),
    /// A read through the pointer kept from a handle's last lock.
    Read(Handle),
}

/// What `handle` looks up: an address, or a handle's kept pointer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Target {
    Address(usize),
    Kept(Handle),
}

impl Step {
    pub(super) fn operation(&self) -> Operation {
        match self {
            Self::Alloc(..) => Operation::Alloc,
            Self::Lock(_) => Operation::Lock,
            Self::Unlock(_) => Operation::Unlock,
            Self::Realloc(..) => Operation::ReAlloc,
            Self::Modify(..) => Operation::Modify,
            Self::Free(_) => Operation::Free,
            Self::Compact => Operation::Compact,
            Self::LowMemory => Operation::LowMemory,
            Self::Discard(_) => Operation::Discard,
            Self::Size(_) => Operation::Size,
            Self::Flags(_) => Operation::Flags,
            Self::HandleOf(_) => Operation::Handle,
            Self::Read(_) => Operation::ReadKept,
        }
    }
}

/// A size: `4096`, `64K`, `1M`.
fn size(word: Option<&str>, what: &str) -> Result<u64, String> {
    let word = word.ok_or_else(|| format!("missing {what}"))?;
    let bad = || format!("expected {what} such as 100, 64K or 1M, got {word:?}");
    let (digits, shift) = match word.as_bytes().last() {
        Some(b'k' | b'K') => (&word[..word.len() - 1], 10),
        Some(b'm' | b'M') => (&word[..word.len() - 1], 20),
        _ => (word, 0),
    };
    let n: u64 = digits.parse().map_err(|_| bad())?;
    n.checked_mul(1 << shift).ok_or_else(bad)
}

fn handle(word: Option<&str>) -> Result<Handle, String> {
    let word = word.ok_or("missing a handle number")?;
    match word.trim_start_matches('#').parse() {
        Ok(n) if n > 0 => Ok(Handle(n)),
        _ => Err(format!(
            "expected a handle number (1, 2, ...), got {word:?}"
        )),
    }
}

fn kind(word: Option<&str>) -> Result<Kind, String> {
    let word = word.ok_or("missing the kind: fixed, moveable or discardable")?;
    match word.to_ascii_lowercase().as_str() {
        "fixed" => Ok(Kind::Fixed),
        "moveable" | "movable" => Ok(Kind::Moveable),
        "discardable" => Ok(Kind::Discardable),
        _ => Err(format!(
            "expected fixed, moveable or discardable, got {word:?}"
        )),
    }
}

pub(super) fn parse_step(text: &str) -> Result<Step, String> {
    let mut words = text.split_whitespace();
    let op = words.next().unwrap_or_default().to_ascii_lowercase();
    let step = match op.as_str() {
        "alloc" => {
            let kind = kind(words.next())?;
            let size = size(words.next(), "a size")?;
            let zeroinit = match words.next() {
                None => false,
                Some(w) if w.eq_ignore_ascii_case("zeroinit") => true,
                Some(w) => return Err(format!("expected zeroinit or nothing, got {w:?}")),
            };
            Step::Alloc(kind, size, zeroinit)
        }
        "modify" => {
            let h = handle(words.next())?;
            let (mut moveable, mut discardable) = (false, false);
            for w in words.by_ref() {
                match w.to_ascii_lowercase().as_str() {
                    "moveable" | "movable" if !moveable => moveable = true,
                    "discardable" if !discardable => discardable = true,
                    _ => {
                        return Err(format!(
                            "expected moveable, discardable, both or nothing, got {w:?}"
                        ));
                    }
                }
            }
            Step::Modify(h, moveable, discardable)
        }
        "lock" => Step::Lock(handle(words.next())?),
        "unlock" => Step::Unlock(handle(words.next())?),
        "realloc" => {
            let h = handle(words.next())?;
            let size = size(words.next(), "a new size")?;
            let moveable = match words.next() {
                None => false,
                Some(w) if w.eq_ignore_ascii_case("moveable") => true,
                Some(w) => return Err(format!("expected moveable or nothing, got {w:?}")),
            };
            Step::Realloc(h, size, moveable)
        }
        "free" => Step::Free(handle(words.next())?),
        "compact" => Step::Compact,
        "lowmem" => Step::LowMemory,
        "discard" => Step::Discard(handle(words.next())?),
        "size" => Step::Size(handle(words.next())?),
        "flags" => Step::Flags(handle(words.next())?),
        "handle" => match words.next() {
            Some(w) if w.starts_with("0x") => Step::HandleOf(Target::Address(
                usize::from_str_radix(&w[2..], 16).map_err(|_| {
                    format!("expected an address such as 0x7f0000001000, got {w:?}")
                })?,
            )),
            w => Step::HandleOf(Target::Kept(handle(w)?)),
        },
        "read" => Step::Read(handle(words.next())?),
        "" => return Err("empty step".into()),
        other => {
            return Err(format!(
                "unknown step {other:?} (alloc, lock, unlock, realloc, modify, free, compact, \
                 lowmem, discard, size, flags, handle, read)"
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
            parse_step("alloc moveable 100"),
            Ok(Step::Alloc(Kind::Moveable, 100, false))
        );
        assert_eq!(
            parse_step("ALLOC Discardable 4k"),
            Ok(Step::Alloc(Kind::Discardable, 4096, false))
        );
        assert_eq!(
            parse_step("alloc fixed 1M"),
            Ok(Step::Alloc(Kind::Fixed, 1 << 20, false))
        );
        assert_eq!(
            parse_step("alloc fixed 64 zeroinit"),
            Ok(Step::Alloc(Kind::Fixed, 64, true))
        );
        assert_eq!(
            parse_step("modify 2 discardable"),
            Ok(Step::Modify(Handle(2), false, true))
        );
        assert_eq!(
            parse_step("modify 1 discardable moveable"),
            Ok(Step::Modify(Handle(1), true, true))
        );
        assert_eq!(
            parse_step("modify 3"),
            Ok(Step::Modify(Handle(3), false, false))
        );
        assert_eq!(parse_step("lock #2"), Ok(Step::Lock(Handle(2))));
        assert_eq!(
            parse_step("realloc 1 8K"),
            Ok(Step::Realloc(Handle(1), 8192, false))
        );
        assert_eq!(
            parse_step("realloc 1 8K moveable"),
            Ok(Step::Realloc(Handle(1), 8192, true))
        );
        assert_eq!(parse_step("lowmem"), Ok(Step::LowMemory));
        assert_eq!(
            parse_step("handle 0x1000"),
            Ok(Step::HandleOf(Target::Address(0x1000)))
        );
        assert_eq!(
            parse_step("handle 3"),
            Ok(Step::HandleOf(Target::Kept(Handle(3))))
        );
        for (bad, why) in [
            ("alloc", "missing the kind"),
            (
                "alloc big 10",
                "expected fixed, moveable or discardable, got \"big\"",
            ),
            ("alloc fixed", "missing a size"),
            (
                "alloc fixed 10G",
                "expected a size such as 100, 64K or 1M, got \"10G\"",
            ),
            ("alloc fixed -1", "expected a size"),
            ("alloc fixed 99999999999999M", "expected a size"),
            ("lock", "missing a handle number"),
            ("lock 0", "expected a handle number (1, 2, ...), got \"0\""),
            (
                "realloc 1 10 fast",
                "expected moveable or nothing, got \"fast\"",
            ),
            ("handle 0xZZ", "expected an address"),
            (
                "alloc fixed 10 zero",
                "expected zeroinit or nothing, got \"zero\"",
            ),
            ("modify", "missing a handle number"),
            (
                "modify 1 fixed",
                "expected moveable, discardable, both or nothing, got \"fixed\"",
            ),
            ("modify 1 discardable discardable", "expected moveable"),
            ("compact now", "unexpected \"now\""),
            ("frobnicate", "unknown step \"frobnicate\""),
        ] {
            let e = parse_step(bad).unwrap_err();
            assert!(e.starts_with(why), "{bad}: {e}");
        }
    }
}
