//! The UI's two languages. Korean labels of the book's forms are the book's own.

mod os_error;
mod particle;

use serde::{Deserialize, Serialize};

pub use particle::{Particle, josa, particle_for};

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
/// The engine's errors and reports carry data, not sentences; each renders
/// itself through this trait (English and Korean), next to its type, and
/// the window shows that, while the command line prints their English
/// `Display`. The forms' own notes implement it too.
pub trait Localized {
    fn localized(&self, lang: Lang) -> String;
}

/// An OS error number in Korean (the OS's own text is English), with the
/// number: an errno on Unix, a Win32 error code on Windows (`os_error`).
pub fn errno_ko(errno: i32) -> String {
    format!("{} (OS 오류 {errno})", os_error::what_ko(errno))
}

/// An OS error (a file that cannot be written, a thread that cannot start):
/// English as the OS says it; Korean from its number, or from its kind when
/// it has none.
impl Localized for std::io::Error {
    fn localized(&self, lang: Lang) -> String {
        use std::io::ErrorKind as K;
        if lang == Lang::En {
            return self.to_string();
        }
        if let Some(errno) = self.raw_os_error() {
            return errno_ko(errno);
        }
        match self.kind() {
            K::NotFound => "경로나 대상이 없습니다",
            K::PermissionDenied => "권한이 없습니다",
            K::AlreadyExists => "이미 있습니다",
            K::NotADirectory => "디렉터리가 아닌 경로가 있습니다",
            K::IsADirectory => "디렉터리입니다",
            K::ReadOnlyFilesystem => "읽기 전용 파일 시스템입니다",
            K::StorageFull => "저장 공간이 가득 찼습니다",
            K::QuotaExceeded => "디스크 할당량을 넘었습니다",
            K::InvalidInput | K::InvalidFilename => "잘못된 이름이나 값입니다",
            K::OutOfMemory => "메모리가 모자랍니다",
            K::WouldBlock | K::ResourceBusy => "자원이 사용 중입니다",
            K::TimedOut => "시간이 초과되었습니다",
            K::Interrupted => "중단되었습니다",
            _ => "입출력 오류입니다",
        }
        .to_owned()
    }
}

/// Checks the tests of both crates make of Korean text (the app crate's
/// tests turn on the `testing` feature).
#[cfg(any(test, feature = "testing"))]
pub mod testing {
    /// The ASCII words of `text` that are not in `allowed` (case-insensitive):
    /// what a test of a Korean renderer looks for, since numbers, units, paths,
    /// crate and manager names may stay ASCII but English sentences may not.
    pub fn english_words(text: &str, allowed: &[&str]) -> Vec<String> {
        text.split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| w.len() > 1 && w.chars().any(|c| c.is_ascii_alphabetic()))
            .filter(|w| !allowed.iter().any(|a| a.eq_ignore_ascii_case(w)))
            .map(str::to_owned)
            .collect()
    }

    /// Words that only an English sentence would contain.
    const ENGLISH: &[&str] = &[
        "the", "is", "a", "an", "to", "of", "and", "not", "was", "it", "by", "in", "no", "with",
        "failed", "bytes", "file", "view", "lock", "held", "error", "denied", "such",
    ];

    /// Fails unless `text` reads as Korean: some Hangul, no particle written
    /// both ways, no English sentence word, no three English words in a row.
    pub fn assert_korean(text: &str) {
        assert!(
            text.chars().any(|c| ('가'..='힣').contains(&c)),
            "no Hangul in {text:?}"
        );
        // Particles are chosen from the word before them, never both forms.
        for both in ["을(를)", "이(가)", "은(는)", "(으)로", "과(와)"] {
            assert!(!text.contains(both), "{both:?} in {text:?}");
        }
        let mut run = 0;
        for token in text.split_whitespace() {
            let word = token.trim_matches(|c: char| c.is_ascii_punctuation());
            assert!(
                !ENGLISH.contains(&word.to_ascii_lowercase().as_str()),
                "English word {word:?} in {text:?}"
            );
            let english = !word.is_empty() && word.chars().all(|c| c.is_ascii_alphabetic());
            run = if english { run + 1 } else { 0 };
            assert!(run < 3, "three English words in a row in {text:?}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{assert_korean, english_words};
    use super::*;

    #[test]
    fn os_errors_read_in_korean_with_their_number() {
        let (code, text) = os_error::ACCESS_DENIED;
        let denied = std::io::Error::from_raw_os_error(code);
        let ko = denied.localized(Lang::Ko);
        assert_eq!(ko, format!("{text} (OS 오류 {code})"));
        assert!(english_words(&ko, &["OS"]).is_empty(), "{ko}");
        assert_eq!(denied.localized(Lang::En), denied.to_string());
        let plain = std::io::Error::new(std::io::ErrorKind::StorageFull, "disk full");
        assert_eq!(plain.localized(Lang::Ko), "저장 공간이 가득 찼습니다");
    }

    #[test]
    fn english_words_skips_allowed_and_single_letters() {
        assert_eq!(
            english_words(
                "mimalloc 4 KB: 쌍당 3.1 ns, a b, Win32",
                &["mimalloc", "kb", "ns", "Win32"]
            ),
            Vec::<String>::new()
        );
        assert_eq!(
            english_words("크기 must be 1", &[]),
            vec!["must".to_owned(), "be".to_owned()]
        );
    }

    #[test]
    fn the_check_catches_english() {
        let caught = std::panic::catch_unwind(|| assert_korean("파일: the file was shortened"));
        assert!(caught.is_err());
    }
}
