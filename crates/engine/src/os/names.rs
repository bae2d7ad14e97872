//! The one rule for the names of memlab's named objects (the shared text's
//! mapping, the book mutex, a backing file's last part): what the object
//! folder can hold and what reads as one name to a person. Every lab that
//! names an object checks it here.

use std::fmt;

use crate::i18n::{Lang, Localized};

/// Longest accepted mapping name, in bytes.
pub const MAX_NAME_LEN: usize = 100;

/// Why a mapping name is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameProblem {
    Empty,
    TooLong {
        len: usize,
        max: usize,
    },
    Nul,
    Slash,
    DotName,
    Control,
    /// Only spaces (or other white space): it looks like no name at all.
    Blank,
    /// An invisible formatting character (Unicode category Cf, e.g. U+200B
    /// zero width space, U+202E right-to-left override): the name would look
    /// like another one, or like nothing.
    Format {
        ch: char,
    },
    /// A file name that is not UTF-8 (a file path's last part).
    NotUtf8,
}

impl fmt::Display for NameProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Empty => write!(f, "it is empty"),
            Self::TooLong { len, max } => write!(f, "it is {len} bytes, longer than {max}"),
            Self::Nul => write!(f, "it contains a NUL character"),
            Self::Slash => write!(f, "it contains '/' or '\\'"),
            Self::DotName => write!(f, "'.' and '..' are not names"),
            Self::Control => write!(f, "it contains a control character"),
            Self::Blank => write!(f, "it is only white space"),
            Self::Format { ch } => write!(
                f,
                "it contains an invisible formatting character (U+{:04X}), which makes a name look like another",
                u32::from(ch)
            ),
            Self::NotUtf8 => write!(f, "it is not valid UTF-8"),
        }
    }
}

/// What is wrong with `name` as part of an object's name in /dev/shm, if anything.
pub fn name_problem(name: &str) -> Option<NameProblem> {
    if name.is_empty() {
        Some(NameProblem::Empty)
    } else if name.len() > MAX_NAME_LEN {
        Some(NameProblem::TooLong {
            len: name.len(),
            max: MAX_NAME_LEN,
        })
    } else if name.contains('\0') {
        Some(NameProblem::Nul)
    } else if name.contains('/') || name.contains('\\') {
        Some(NameProblem::Slash)
    } else if name == "." || name == ".." {
        Some(NameProblem::DotName)
    } else if name.chars().any(char::is_control) {
        Some(NameProblem::Control)
    } else if name.trim().is_empty() {
        Some(NameProblem::Blank)
    } else {
        name.chars()
            .find(|&c| {
                unicode_general_category::get_general_category(c)
                    == unicode_general_category::GeneralCategory::Format
            })
            .map(|ch| NameProblem::Format { ch })
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
