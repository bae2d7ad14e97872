//! What the shell's menu actions report, and its own errors, in English
//! and Korean (the desktop's errors and reports render themselves:
//! `memlab_engine::desktop`).

use super::launch::LaunchError;
use memlab_engine::desktop::instances::{ArrangeReport, InstancesError};
use memlab_engine::desktop::settings::SettingsError;
use memlab_engine::i18n::Particle::Object;
use memlab_engine::i18n::{Lang, Localized, josa};

/// What came of a menu action.
#[derive(Debug)]
pub enum Notice {
    /// A new window's process started.
    Started {
        pid: u32,
    },
    /// This many windows were asked to arrange themselves.
    Arranging {
        windows: usize,
    },
    /// What the windows answered.
    Arranged(ArrangeReport),
    NotStarted(LaunchError),
    NotArranged(InstancesError),
    /// The window has no number (the roster could not be joined).
    NoRoster,
    Settings(SettingsError),
}

impl Localized for Notice {
    fn localized(&self, lang: Lang) -> String {
        match (self, lang) {
            (Self::Started { pid }, Lang::En) => format!("Started a new window (PID {pid})"),
            (Self::Started { pid }, Lang::Ko) => format!("새 창을 띄웠습니다 (PID {pid})"),
            (Self::Arranging { windows: 1 }, Lang::En) => {
                "This is the only window on this screen: it fills the work area".into()
            }
            (Self::Arranging { windows: 1 }, Lang::Ko) => {
                "이 화면의 창은 이것 하나뿐이라 작업 영역을 채웁니다".into()
            }
            (Self::Arranging { windows }, Lang::En) => {
                format!("Arranging {windows} windows side by side")
            }
            (Self::Arranging { windows }, Lang::Ko) => {
                format!("창 {windows}개를 나란히 놓는 중입니다")
            }
            (Self::Arranged(report), _) => report.localized(lang),
            (Self::NotStarted(e), _) => e.localized(lang),
            (Self::NotArranged(e), _) => e.localized(lang),
            (Self::NoRoster, Lang::En) => {
                "This window could not join the list of windows (see the terminal), so it cannot be arranged".into()
            }
            (Self::NoRoster, Lang::Ko) => {
                "이 창은 창 목록에 들지 못해(터미널 참고) 배치할 수 없습니다".into()
            }
            (Self::Settings(e), _) => e.localized(lang),
        }
    }
}

impl Localized for LaunchError {
    fn localized(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.to_string(),
            Lang::Ko => format!(
                "{} 실행할 수 없습니다: {}",
                josa(self.exe.display(), Object),
                self.source.localized(lang)
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use memlab_engine::desktop::settings::NotAFile;
    use memlab_engine::i18n::testing::english_words;

    #[test]
    fn every_notice_reads_in_korean() {
        let io = || std::io::Error::from_raw_os_error(libc::EACCES);
        let notices = [
            Notice::Started { pid: 42 },
            Notice::Arranging { windows: 1 },
            Notice::Arranging { windows: 4 },
            Notice::NotStarted(LaunchError {
                exe: "/usr/bin/memlab".into(),
                source: io(),
            }),
            Notice::NotArranged(InstancesError::NoWindows),
            Notice::NotArranged(InstancesError::Read {
                path: "/dev/shm/memlab-windows.0".into(),
                source: io(),
            }),
            Notice::NotArranged(InstancesError::Write {
                path: "/dev/shm/memlab-windows.0".into(),
                source: io(),
            }),
            Notice::NoRoster,
            Notice::Settings(SettingsError::Read {
                path: "/home/u/.local/share/memlab/settings.json".into(),
                source: io(),
            }),
            Notice::Settings(SettingsError::Write {
                path: "/home/u/.local/share/memlab/settings.json".into(),
                source: io(),
            }),
            Notice::NotArranged(InstancesError::OnlyWayland { windows: 2 }),
            Notice::Arranged(ArrangeReport {
                area: None,
                placed: Vec::new(),
                not_moved: Vec::new(),
                refused: Vec::new(),
                silent: Vec::new(),
                on_wayland: Vec::new(),
            }),
            Notice::Settings(SettingsError::NotAFile {
                path: "/home/u/.local/share/memlab/settings.json".into(),
                found: NotAFile::Fifo,
            }),
            Notice::Settings(SettingsError::NotAFile {
                path: "/home/u/.local/share/memlab/settings.json".into(),
                found: NotAFile::TooLarge {
                    size: 1 << 30,
                    max: 65536,
                },
            }),
        ];
        let allowed = [
            "PID", "memlab", "OS", "usr", "bin", "dev", "shm", "windows", "home", "local", "share",
            "settings", "json", "Wayland", "wayland", "X11", "FIFO",
        ];
        for notice in &notices {
            let ko = notice.localized(Lang::Ko);
            assert!(english_words(&ko, &allowed).is_empty(), "{ko}");
            assert!(!notice.localized(Lang::En).is_empty());
        }
    }
}
