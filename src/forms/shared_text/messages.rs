//! The shared text form's own status lines, in the user's language. The
//! engine's errors, origins and lock states render themselves
//! (`memlab_engine::shared_text`'s `Localized` impls).

use memlab_engine::i18n::{Lang, Localized};
use memlab_engine::shared_text::{Origin, SharedError};

/// How a status line reads: as news, a warning or an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Level {
    Info,
    Warn,
    Error,
}

/// The status line's content, kept as data so that it follows a switch of
/// language.
#[derive(Debug)]
pub(super) enum Status {
    /// `window`: this window's number (as in its title); `slot`: its place
    /// on the mapping's roster, shown when it has no window number.
    Attached {
        window: Option<usize>,
        slot: usize,
        origin: Origin,
    },
    /// `wait_abandoned`: Windows' `WAIT_ABANDONED` (see `Loaded`).
    Loaded {
        lossy: bool,
        recovered_from: Option<u32>,
        wait_abandoned: bool,
    },
    Saved {
        kept: usize,
        asked: Option<usize>,
        recovered_from: Option<u32>,
        wait_abandoned: bool,
    },
    Reset,
    Failed(SharedError),
}

impl Status {
    pub(super) fn level(&self) -> Level {
        match self {
            Self::Failed(_) => Level::Error,
            Self::Loaded {
                lossy,
                recovered_from,
                wait_abandoned,
            } if *lossy || recovered_from.is_some() || *wait_abandoned => Level::Warn,
            Self::Saved {
                asked,
                recovered_from,
                wait_abandoned,
                ..
            } if asked.is_some() || recovered_from.is_some() || *wait_abandoned => Level::Warn,
            Self::Attached { .. } | Self::Loaded { .. } | Self::Saved { .. } | Self::Reset => {
                Level::Info
            }
        }
    }

    pub(super) fn text(&self, lang: Lang) -> String {
        let ko = lang == Lang::Ko;
        let took_over = |from: &Option<u32>| match (from, ko) {
            (None, _) => String::new(),
            (Some(pid), false) => format!(
                " (took over the lock: the header named PID {pid} as its holder, and no process {pid} is running)"
            ),
            (Some(pid), true) => {
                format!(" (잠금을 넘겨받음: 헤더에 잡은 프로세스로 적힌 PID {pid}, 실행 중이 아님)")
            }
        };
        let abandoned = |abandoned: &bool| match (abandoned, ko) {
            (false, _) => "",
            (true, false) => {
                " (WaitForSingleObject(LockMap) returned WAIT_ABANDONED: the holder ended while holding the lock)"
            }
            (true, true) => {
                " (WaitForSingleObject(LockMap)가 WAIT_ABANDONED를 돌려줌: 잠금을 잡은 프로세스가 놓지 않고 끝났습니다)"
            }
        };
        match self {
            Self::Attached {
                window: Some(window),
                origin,
                ..
            } => format!(
                "{} {window} ({})",
                lang.pick("Attached as instance", "연결됨: 인스턴스"),
                origin.localized(lang)
            ),
            Self::Attached {
                window: None,
                slot,
                origin,
            } => match lang {
                Lang::En => format!(
                    "Attached in slot {slot} of the mapping ({})",
                    origin.localized(lang)
                ),
                Lang::Ko => format!("연결됨: 매핑의 자리 {slot} ({})", origin.localized(lang)),
            },
            Self::Loaded {
                lossy,
                recovered_from,
                wait_abandoned,
            } => {
                let loaded = if *lossy {
                    lang.pick(
                        "Loaded; the bytes were not valid UTF-8 and are shown with replacement marks",
                        "불러옴: UTF-8이 아닌 바이트는 대체 문자로 표시됨",
                    )
                } else {
                    lang.pick("Loaded", "불러옴")
                };
                format!(
                    "{loaded}{}{}",
                    took_over(recovered_from),
                    abandoned(wait_abandoned)
                )
            }
            Self::Saved {
                kept,
                asked,
                recovered_from,
                wait_abandoned,
            } => {
                let saved = match (asked, ko) {
                    (None, _) => lang.pick("Saved", "저장됨").to_owned(),
                    (Some(asked), false) => format!(
                        "Saved, cut to fit: {kept} / {asked} bytes kept (whole characters only)"
                    ),
                    (Some(asked), true) => {
                        format!("저장됨, 잘림: {kept} / {asked} 바이트만 저장 (글자 단위)")
                    }
                };
                format!(
                    "{saved}{}{}",
                    took_over(recovered_from),
                    abandoned(wait_abandoned)
                )
            }
            Self::Reset => lang.pick("Mapping reset", "매핑을 초기화함").into(),
            Self::Failed(e) => e.localized(lang),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use memlab_engine::i18n::testing::assert_korean;

    #[test]
    fn every_status_line_reads_in_korean() {
        let statuses = [
            Status::Attached {
                window: Some(2),
                slot: 5,
                origin: Origin::Joined,
            },
            Status::Attached {
                window: None,
                slot: 5,
                origin: Origin::Joined,
            },
            Status::Loaded {
                lossy: true,
                recovered_from: Some(4242),
                wait_abandoned: true,
            },
            Status::Saved {
                kept: 99,
                asked: Some(120),
                recovered_from: Some(4242),
                wait_abandoned: true,
            },
            Status::Reset,
            Status::Failed(SharedError::NulInText),
        ];
        for status in statuses {
            assert_korean(&status.text(Lang::Ko));
        }
    }
}
