//! The Global/Local lab's notes (what the last button did, or the rule it
//! broke), kept as data and rendered in the frame's language.

use memlab_engine::global::{GlobalError, Handle, Operation, Outcome};
use memlab_engine::i18n::{Lang, Localized};

/// What a size input must be.
pub(super) struct SizeRule;

impl Localized for SizeRule {
    fn localized(&self, lang: Lang) -> String {
        lang.pick(
            "0 to 16777216 bytes (16 MiB, memlab's global heap)",
            "0에서 16777216바이트 (16 MiB, memlab의 글로벌 힙)까지",
        )
        .into()
    }
}

/// What the last button did.
#[derive(Debug, Clone)]
pub enum GlobalNote {
    /// A call and what it did (on a handle, if it takes one).
    Done {
        op: Operation,
        handle: Option<Handle>,
        outcome: Outcome,
    },
    /// A call that broke a Win32 rule or was refused.
    Failed {
        op: Operation,
        handle: Option<Handle>,
        error: GlobalError,
    },
    /// A button that needs a handle, with none chosen.
    ChooseHandle,
}

/// `GlobalLock(handle 3)`, or the operation alone.
fn call(op: Operation, handle: Option<Handle>, lang: Lang) -> String {
    let name = match (op, lang) {
        (Operation::Compact, Lang::Ko) => "시스템의 압축",
        (Operation::LowMemory, Lang::Ko) => "시스템의 메모리 부족",
        _ => op.win32(),
    };
    match (op, handle) {
        (Operation::ReadKept, Some(h)) => match lang {
            Lang::En => format!("*p, the pointer kept from {h}"),
            Lang::Ko => format!("*p, {}에서 받아 둔 포인터", h.localized(lang)),
        },
        (_, Some(h)) => format!("{name}({})", h.localized(lang)),
        (_, None) => name.to_string(),
    }
}

impl Localized for GlobalNote {
    fn localized(&self, lang: Lang) -> String {
        match self {
            Self::Done {
                op,
                handle,
                outcome,
            } => format!("{}: {}", call(*op, *handle, lang), outcome.localized(lang)),
            Self::Failed { op, handle, error } => {
                let text = error.localized(lang);
                // Most errors name their call already.
                if text.starts_with(op.win32()) {
                    text
                } else {
                    format!("{}: {text}", call(*op, *handle, lang))
                }
            }
            Self::ChooseHandle => lang
                .pick(
                    "Choose a handle first (click its row or its block)",
                    "먼저 핸들을 고르세요 (줄이나 블록을 누르세요)",
                )
                .into(),
        }
    }
}
