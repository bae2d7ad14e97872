//! The `memlab vm` script: steps separated by `;`, each parsed before the
//! first runs, with a message naming what is wrong.

use std::ops::Range;

use memlab_engine::vm::Operation;
use memlab_engine::vm::pages::{Decommit, Protection};

/// A page range as written: `3`, `0..4`, `2..`, `..4` or `..`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Pages {
    start: Option<usize>,
    end: Option<usize>,
}

impl Pages {
    pub(super) fn resolve(self, len: usize) -> Range<usize> {
        self.start.unwrap_or(0)..self.end.unwrap_or(len)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Step {
    Reserve(usize),
    Commit(Pages),
    Decommit(Pages, Decommit),
    Protect(Pages, Protection),
    Lock(Pages),
    Unlock(Pages),
    Read(usize),
    Write(usize, u8),
    Release,
    Query(Option<usize>),
    Crash(usize, bool),
    Use(u32),
    Map,
}

impl Step {
    pub(super) fn operation(&self) -> Option<Operation> {
        Some(match self {
            Self::Reserve(_) => Operation::Reserve,
            Self::Commit(_) => Operation::Commit,
            Self::Decommit(_, how) => how.operation(),
            Self::Protect(..) => Operation::Protect,
            Self::Lock(_) => Operation::Lock,
            Self::Unlock(_) => Operation::Unlock,
            Self::Read(_) => Operation::ReadByte,
            Self::Write(..) => Operation::WriteByte,
            Self::Release => Operation::Release,
            Self::Query(_) => Operation::Query,
            Self::Crash(..) => Operation::TouchInChild,
            Self::Map => Operation::AddressSpaceMap,
            Self::Use(_) => return None,
        })
    }
}

fn number(word: Option<&str>, what: &str) -> Result<usize, String> {
    let word = word.ok_or_else(|| format!("missing {what}"))?;
    word.parse()
        .map_err(|_| format!("expected {what}, got {word:?}"))
}

fn pages(word: Option<&str>) -> Result<Pages, String> {
    let word = word.ok_or("missing page range (e.g. 0..4)")?;
    let bad = || format!("expected a page range such as 3 or 0..4, got {word:?}");
    let part = |s: &str| -> Result<Option<usize>, String> {
        if s.is_empty() {
            Ok(None)
        } else {
            s.parse().map(Some).map_err(|_| bad())
        }
    };
    match word.split_once("..") {
        Some((a, b)) => Ok(Pages {
            start: part(a)?,
            end: part(b)?,
        }),
        None => {
            let page: usize = word.parse().map_err(|_| bad())?;
            Ok(Pages {
                start: Some(page),
                end: Some(page.saturating_add(1)),
            })
        }
    }
}

fn protection(word: Option<&str>) -> Result<Protection, String> {
    match word {
        Some("na" | "noaccess" | "no-access") => Ok(Protection::NoAccess),
        Some("ro" | "readonly" | "read-only") => Ok(Protection::ReadOnly),
        Some("rw" | "readwrite" | "read-write") => Ok(Protection::ReadWrite),
        Some(other) => Err(format!("expected na, ro or rw, got {other:?}")),
        None => Err("missing protection: na, ro or rw".into()),
    }
}

fn byte(word: &str) -> Result<u8, String> {
    match word.strip_prefix("0x") {
        Some(hex) => u8::from_str_radix(hex, 16),
        None => word.parse(),
    }
    .map_err(|_| format!("expected a byte 0..=255, got {word:?}"))
}

pub(super) fn parse_step(text: &str) -> Result<Step, String> {
    let mut words = text.split_whitespace();
    let op = words.next().unwrap_or_default().to_ascii_lowercase();
    let step = match op.as_str() {
        "reserve" => Step::Reserve(number(words.next(), "a page count")?),
        "commit" => Step::Commit(pages(words.next())?),
        "decommit" => {
            let range = pages(words.next())?;
            match words.next() {
                None => Step::Decommit(range, Decommit::Remap),
                Some("dontneed") => Step::Decommit(range, Decommit::DontNeed),
                Some(other) => return Err(format!("expected dontneed or nothing, got {other:?}")),
            }
        }
        "protect" => Step::Protect(pages(words.next())?, protection(words.next())?),
        "lock" => Step::Lock(pages(words.next())?),
        "unlock" => Step::Unlock(pages(words.next())?),
        "read" => Step::Read(number(words.next(), "a page number")?),
        "write" => Step::Write(
            number(words.next(), "a page number")?,
            words.next().map_or(Ok(1), byte)?,
        ),
        "release" => Step::Release,
        "query" => Step::Query(
            words
                .next()
                .map(|w| number(Some(w), "a page number"))
                .transpose()?,
        ),
        "crash" => Step::Crash(
            number(words.next(), "a page number")?,
            match words.next() {
                None | Some("write") => true,
                Some("read") => false,
                Some(other) => return Err(format!("expected read or write, got {other:?}")),
            },
        ),
        "use" => {
            let word = words.next();
            Step::Use(number(
                word.map(|w| w.trim_start_matches('#')),
                "a reservation number",
            )? as u32)
        }
        "map" => Step::Map,
        other => {
            return Err(format!(
                "unknown step {other:?} (reserve, commit, decommit, protect, lock, unlock, read, \
                 write, query, crash, release, use, map)"
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
        let all = |p| Pages {
            start: Some(p),
            end: Some(p + 1),
        };
        assert_eq!(parse_step("reserve 16"), Ok(Step::Reserve(16)));
        assert_eq!(
            parse_step("commit 0..4"),
            Ok(Step::Commit(Pages {
                start: Some(0),
                end: Some(4)
            }))
        );
        assert_eq!(
            parse_step("decommit .. dontneed"),
            Ok(Step::Decommit(
                Pages {
                    start: None,
                    end: None
                },
                Decommit::DontNeed
            ))
        );
        assert_eq!(
            parse_step("protect 2 ro"),
            Ok(Step::Protect(all(2), Protection::ReadOnly))
        );
        assert_eq!(parse_step("write 1 0xff"), Ok(Step::Write(1, 255)));
        assert_eq!(parse_step("crash 3 read"), Ok(Step::Crash(3, false)));
        assert_eq!(parse_step("use #2"), Ok(Step::Use(2)));
        assert_eq!(parse_step("query"), Ok(Step::Query(None)));
        assert_eq!(
            Pages {
                start: Some(2),
                end: None
            }
            .resolve(16),
            2..16
        );
        for (bad, why) in [
            ("reserve", "missing a page count"),
            ("reserve -1", "expected a page count, got \"-1\""),
            (
                "commit 0-4",
                "expected a page range such as 3 or 0..4, got \"0-4\"",
            ),
            ("protect 0..2 rx", "expected na, ro or rw, got \"rx\""),
            ("write 1 256", "expected a byte 0..=255, got \"256\""),
            ("lock 0..2 now", "unexpected \"now\""),
            ("frobnicate", "unknown step \"frobnicate\""),
        ] {
            let e = parse_step(bad).unwrap_err();
            assert!(e.starts_with(why), "{bad}: {e}");
        }
    }
}
