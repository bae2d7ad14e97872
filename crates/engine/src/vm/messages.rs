//! The virtual-memory labs' values in Korean (their English is their
//! `Display`, what the command line prints): the overcommit mode and the
//! read errors of system information here; the page lab's, the map's and
//! the child's values in `messages_labs`.

use super::ReadError;
use super::sys::error_label;
use super::system::Overcommit;
use crate::i18n::Particle::Object;
use crate::i18n::{Lang, Localized, josa};

impl Localized for Overcommit {
    fn localized(&self, lang: Lang) -> String {
        let mode = self.mode();
        let what = match (self, lang) {
            (Self::Heuristic, Lang::En) => {
                "heuristic: obvious overcommits are refused, the commit limit is not enforced"
            }
            (Self::Heuristic, Lang::Ko) => {
                "추정: 터무니없는 오버커밋만 거절하고, 커밋 한도는 강제하지 않습니다"
            }
            (Self::Always, Lang::En) => "always: every commit succeeds",
            (Self::Always, Lang::Ko) => "항상 허용: 모든 커밋이 성공합니다",
            (Self::Never, Lang::En) => {
                "never: the commit charge may not pass the commit limit (as on Windows)"
            }
            (Self::Never, Lang::Ko) => {
                "허용 안 함: 커밋 양이 커밋 한도를 넘을 수 없습니다 (윈도우와 같음)"
            }
        };
        format!("{mode}, {what}")
    }
}

impl Localized for ReadError {
    fn localized(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return self.to_string();
        }
        match self.errno {
            Some(errno) => format!(
                "{} 읽을 수 없습니다 ({})",
                josa(self.file, Object),
                error_label(errno)
            ),
            None => format!("{}의 내용을 이해할 수 없습니다", self.file),
        }
    }
}
