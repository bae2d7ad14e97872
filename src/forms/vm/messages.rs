//! What the virtual-memory forms' own machinery says, in the user's
//! language (the engine's values render themselves: see
//! `memlab_engine::vm`'s `Localized` impls).

use memlab_engine::i18n::{Lang, Localized};

/// What the labs' own machinery says (not the engine's).
#[derive(Debug)]
pub enum VmNote {
    /// No thread could be started for a lab's work.
    WorkerNotStarted(std::io::Error),
    /// A lab's worker ended without an answer (it panicked).
    WorkerLost,
}

impl Localized for VmNote {
    fn localized(&self, lang: Lang) -> String {
        match (self, lang) {
            (Self::WorkerNotStarted(e), Lang::En) => format!("cannot start the worker thread: {e}"),
            (Self::WorkerNotStarted(e), Lang::Ko) => {
                format!("작업 스레드를 시작할 수 없습니다: {}", e.localized(lang))
            }
            (Self::WorkerLost, Lang::En) => {
                "the lab's worker thread stopped without an answer".into()
            }
            (Self::WorkerLost, Lang::Ko) => "실습의 작업 스레드가 답 없이 끝났습니다".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use memlab_engine::i18n::testing::assert_korean;

    #[test]
    fn notes_read_in_korean() {
        for note in [
            VmNote::WorkerLost,
            VmNote::WorkerNotStarted(std::io::Error::from(std::io::ErrorKind::OutOfMemory)),
        ] {
            assert_korean(&note.localized(Lang::Ko));
            assert!(!note.localized(Lang::En).is_empty());
        }
    }
}
