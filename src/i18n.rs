//! The UI's two languages. Korean labels of the book's forms are the book's own.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Lang {
    #[default]
    En,
    Ko,
}

impl Lang {
    /// Korean when the system locale is Korean, English otherwise.
    pub fn from_system() -> Self {
        match sys_locale::get_locale() {
            Some(locale) if locale.to_ascii_lowercase().starts_with("ko") => Self::Ko,
            _ => Self::En,
        }
    }

    /// Parses `en` / `ko` (as given on the command line).
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "en" => Some(Self::En),
            "ko" => Some(Self::Ko),
            _ => None,
        }
    }

    /// The language's own name, for the switch.
    pub fn native_name(self) -> &'static str {
        match self {
            Self::En => "English",
            Self::Ko => "한국어",
        }
    }

    /// Picks the string for this language.
    pub fn pick(self, en: &'static str, ko: &'static str) -> &'static str {
        match self {
            Self::En => en,
            Self::Ko => ko,
        }
    }
}

/// A fixed text in both languages (for tables of text such as a lab's help).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tr {
    pub en: &'static str,
    pub ko: &'static str,
}

impl Tr {
    pub const fn new(en: &'static str, ko: &'static str) -> Self {
        Self { en, ko }
    }

    /// The text in `lang`.
    pub fn get(&self, lang: Lang) -> &'static str {
        lang.pick(self.en, self.ko)
    }
}

/// A value the window shows as a sentence in the user's language.
///
/// Core errors and notes carry data, not sentences; each form renders them
/// through this trait (English and Korean), while the command line prints
/// their English `Display`.
pub trait Localized {
    fn localized(&self, lang: Lang) -> String;
}
