//! The desktop's errors and reports in Korean (their English is their
//! `Display`): the roster's and the settings' errors, and what came of
//! arranging the windows.

use super::instances::{ArrangeReport, InstancesError, list};
use super::settings::{NotAFile, SettingsError};
use crate::i18n::Particle::{Object, Topic};
use crate::i18n::{Lang, Localized, josa};

impl Localized for ArrangeReport {
    fn localized(&self, lang: Lang) -> String {
        if lang == Lang::En {
            let text = self.to_string();
            let mut chars = text.chars();
            return chars
                .next()
                .map(|first| first.to_uppercase().chain(chars).collect())
                .unwrap_or_default();
        }
        let (placed, asked) = (self.placed.len(), self.asked());
        let mut text = if placed == asked {
            format!("창 {placed}개를 나란히 놓았습니다")
        } else {
            format!("창 {asked}개 중 {placed}개를 나란히 놓았습니다")
        };
        if !self.not_moved.is_empty() {
            text += &format!(
                "; 창 관리자가 {}을 옮기지 않았습니다",
                list(&self.not_moved)
            );
        }
        if !self.refused.is_empty() {
            text += &format!(
                "; 창 관리자가 창이 자리를 정하게 두지 않습니다: {}",
                list(&self.refused)
            );
        }
        if !self.silent.is_empty() {
            text += &format!("; 답하지 않은 창: {}", list(&self.silent));
        }
        if !self.on_wayland.is_empty() {
            text += &format!(
                "; 네이티브 Wayland 창이라 자리를 정할 수 없는 창: {}",
                list(&self.on_wayland)
            );
        }
        text
    }
}

impl Localized for InstancesError {
    fn localized(&self, lang: Lang) -> String {
        match (self, lang) {
            (_, Lang::En) => self.to_string(),
            (Self::NoWindows, Lang::Ko) => "이 계정의 memlab 창이 열려 있지 않습니다".into(),
            (Self::OnlyWayland { windows }, Lang::Ko) => format!(
                "이 데스크톱의 memlab 창 {windows}개가 모두 네이티브 Wayland 창이라 자리를 정할 수 없습니다 (--wayland 없이 띄우면 X11 창이 되어 배치할 수 있습니다)"
            ),
            (Self::Object(e), Lang::Ko) => e.localized(lang),
            (Self::Read { path, source }, Lang::Ko) => {
                format!(
                    "{} 읽을 수 없습니다: {}",
                    josa(path.display(), Object),
                    source.localized(lang)
                )
            }
            (Self::Write { path, source }, Lang::Ko) => {
                format!(
                    "{}에 쓸 수 없습니다: {}",
                    path.display(),
                    source.localized(lang)
                )
            }
        }
    }
}

impl Localized for SettingsError {
    fn localized(&self, lang: Lang) -> String {
        match (self, lang) {
            (_, Lang::En) => self.to_string(),
            (Self::Read { path, source }, Lang::Ko) => {
                format!(
                    "{} 읽을 수 없습니다: {}",
                    josa(path.display(), Object),
                    source.localized(lang)
                )
            }
            (
                Self::Parse {
                    path, line, column, ..
                },
                Lang::Ko,
            ) => format!(
                "{} memlab 설정 파일의 형식이 아닙니다 ({line}행 {column}열). 설정을 바꿀 때까지 그대로 둡니다",
                josa(path.display(), Topic)
            ),
            (Self::NotAFile { path, found }, Lang::Ko) => format!(
                "{} memlab 설정 파일이 아닙니다 ({}). 설정을 바꿀 때까지 그대로 둡니다",
                josa(path.display(), Topic),
                found.localized(lang)
            ),
            (Self::Write { path, source }, Lang::Ko) => {
                format!(
                    "{}에 쓸 수 없습니다: {}",
                    path.display(),
                    source.localized(lang)
                )
            }
        }
    }
}

impl Localized for NotAFile {
    fn localized(&self, lang: Lang) -> String {
        match (self, lang) {
            (_, Lang::En) => self.to_string(),
            (Self::Symlink, Lang::Ko) => "심볼릭 링크".into(),
            (Self::Directory, Lang::Ko) => "폴더".into(),
            (Self::Fifo, Lang::Ko) => "FIFO".into(),
            (Self::Socket, Lang::Ko) => "소켓".into(),
            (Self::Device, Lang::Ko) => "장치".into(),
            (Self::TooLarge { size, max }, Lang::Ko) => {
                format!("{size}바이트로, 설정 파일에 허용되는 {max}바이트보다 큽니다")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::testing::english_words;

    #[test]
    fn a_settings_file_that_is_not_ours_reads_in_korean() {
        let parse = serde_json::from_str::<u32>("x").unwrap_err();
        let ko = SettingsError::Parse {
            path: "/s/settings.json".into(),
            line: 1,
            column: 1,
            source: Box::new(parse),
        }
        .localized(Lang::Ko);
        assert!(
            english_words(&ko, &["s", "settings", "json", "memlab"]).is_empty(),
            "{ko}"
        );
    }
}
