//! The ShareMem lab's values in English (their `Display`, what the command
//! line prints) and Korean (`Localized`, for the window): each step of an
//! exchange, how the child ended, and every error.

use std::fmt;

use super::{ChildReport, Ended, LIBRARY_ENV, LIBRARY_FILE, Mode, Owner, ShareMemError, Step};
use crate::i18n::Particle::{Direction, Object, Subject, Topic};
use crate::i18n::{Lang, Localized, josa};

fn range(start: usize, len: usize) -> String {
    format!("{start:#x}..{:#x}", start + len)
}

impl fmt::Display for Owner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Program => "the program's manager (memlab's private heap)",
            Self::Library => "the library's own manager (its arena)",
        })
    }
}

impl Localized for Owner {
    fn localized(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.to_string(),
            Lang::Ko => match self {
                Self::Program => "프로그램의 메모리 관리자 (memlab의 전용 힙)",
                Self::Library => "라이브러리 자신의 메모리 관리자 (그 아레나)",
            }
            .into(),
        }
    }
}

impl Localized for Mode {
    fn localized(&self, lang: Lang) -> String {
        match (self, lang) {
            (Self::Shared, Lang::En) => "With ShareMem: one manager, the program's",
            (Self::Shared, Lang::Ko) => "ShareMem 사용: 관리자 하나, 프로그램의 것",
            (Self::Separate, Lang::En) => "Without ShareMem: each with its own manager",
            (Self::Separate, Lang::Ko) => "ShareMem 없음: 각자 자기 메모리 관리자",
        }
        .into()
    }
}

impl fmt::Display for Ended {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Signal { number, name } => write!(f, "was killed by {name} (signal {number})"),
            Self::Exited { code: 0, .. } => f.write_str("exited normally (status 0)"),
            Self::Exited {
                code,
                name: Some(name),
            } => write!(f, "ended with {name} ({code:#x})"),
            Self::Exited { code, name: None } => write!(f, "exited with status {code}"),
            Self::TimedOut => f.write_str("did not end in time and was killed"),
        }
    }
}

impl Localized for Ended {
    fn localized(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.to_string(),
            Lang::Ko => match self {
                Self::Signal { number, name } => {
                    format!("{name} 시그널(번호 {number})을 받고 죽었습니다")
                }
                Self::Exited { code: 0, .. } => "정상 종료했습니다 (상태 0)".into(),
                Self::Exited {
                    code,
                    name: Some(name),
                } => format!("{name} 상태({code:#x})로 끝났습니다"),
                Self::Exited { code, name: None } => {
                    format!(
                        "{} 끝났습니다",
                        josa(format!("종료 상태 {code}"), Direction)
                    )
                }
                Self::TimedOut => "제때 끝나지 않아 memlab이 종료시켰습니다".into(),
            },
        }
    }
}

impl ChildReport {
    /// What the child's run means, in one sentence.
    pub fn verdict(&self, lang: Lang) -> String {
        let ended = self.ended.localized(lang);
        match (lang, self.crashed(), self.survived, self.reused) {
            (Lang::En, true, _, _) => format!(
                "The child process {ended}: the program's manager was given a block it never gave out."
            ),
            (Lang::Ko, true, _, _) => format!(
                "자식 프로세스는 {ended}: 프로그램의 메모리 관리자가 자기가 준 적 없는 블록을 받았습니다."
            ),
            (Lang::En, false, true, Some(true)) => format!(
                "The child process {ended}, but nothing visible happened at the free: the program's manager \
                 took the library's block into its free list and handed it out again (the memory is now corrupt)."
            ),
            (Lang::Ko, false, true, Some(true)) => format!(
                "자식 프로세스는 {ended}. 해제할 때 눈에 보이는 일은 없었지만, 프로그램의 관리자가 라이브러리의 \
                 블록을 자기 빈 목록에 넣고 다시 내주었습니다 (메모리가 이제 망가졌습니다)."
            ),
            (Lang::En, false, true, _) => format!(
                "The child process {ended}: nothing visible happened at the free, but the program's manager was \
                 given a block it never gave out (its memory may now be corrupt)."
            ),
            (Lang::Ko, false, true, _) => format!(
                "자식 프로세스는 {ended}. 해제할 때 눈에 보이는 일은 없었지만, 프로그램의 관리자가 자기가 준 적 \
                 없는 블록을 받았습니다 (메모리가 망가졌을 수 있습니다)."
            ),
            (Lang::En, false, false, _) => format!("The child process {ended}."),
            (Lang::Ko, false, false, _) => format!("자식 프로세스는 {ended}."),
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Loaded { path } => write!(f, "loaded the library {}", path.display()),
            Self::HandedManager => f.write_str(
                "handed the library the program's manager (SetMemoryManager with GetMem, FreeMem, \
                 AllocMemCount, as ShareMem does with borlndmm.dll)",
            ),
            Self::KeptOwnManager => f.write_str("the library keeps its own manager (no ShareMem)"),
            Self::Made {
                address,
                text,
                owner,
            } => write!(
                f,
                "the library made the string {text:?} at {address:#x}, a block of {owner}"
            ),
            Self::ProgramFreed { address } => write!(
                f,
                "the program freed {address:#x} with its manager: the dispatcher found it in its private heap"
            ),
            Self::ProgramRefused { refusal } => {
                write!(f, "the program's FreeMem refused: {refusal}")
            }
            Self::LibraryFreed { address } => write!(
                f,
                "the library freed {address:#x} with its own manager (the right one: nothing leaks)"
            ),
            Self::ProgramMade { address, text } => write!(
                f,
                "the program made the string {text:?} at {address:#x} with its manager and handed it to the library"
            ),
            Self::LibraryFreedProgramString { address } => write!(
                f,
                "the library freed the program's string {address:#x} with its manager, the program's \
                 (ShareMem): the right one"
            ),
            Self::LibraryRefused { refusal } => {
                write!(f, "the library's FreeMem refused: {refusal}")
            }
            Self::ProgramFreedOwn { address } => write!(
                f,
                "the program freed its own string {address:#x} (the right manager: nothing leaks)"
            ),
            Self::ChildFreed { report } => {
                write!(
                    f,
                    "a child process (pid {}) freed such a string ",
                    report.pid
                )?;
                if let Some(a) = report.address {
                    write!(f, "({a:#x}) ")?;
                }
                write!(
                    f,
                    "with the program's manager for real. {}",
                    report.verdict(Lang::En)
                )
            }
        }
    }
}

impl Localized for Step {
    fn localized(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return self.to_string();
        }
        match self {
            Self::Loaded { path } => format!("라이브러리를 불러왔습니다: {}", path.display()),
            Self::HandedManager => {
                "라이브러리에 프로그램의 메모리 관리자를 넘겼습니다 (ShareMem이 \
                                    borlndmm.dll의 함수로 하듯 GetMem, FreeMem, AllocMemCount로 \
                                    SetMemoryManager)"
                    .into()
            }
            Self::KeptOwnManager => {
                "라이브러리는 자기 메모리 관리자를 그대로 씁니다 (ShareMem 없음)".into()
            }
            Self::Made {
                address,
                text,
                owner,
            } => format!(
                "라이브러리가 문자열을 만들었습니다: {text:?}, 주소 {address:#x}, {}의 블록",
                owner.localized(lang)
            ),
            Self::ProgramFreed { address } => format!(
                "프로그램이 자기 관리자로 {} 해제했습니다: 디스패처가 전용 힙에서 찾았습니다",
                josa(format!("{address:#x}"), Object)
            ),
            Self::ProgramRefused { refusal } => {
                format!(
                    "프로그램의 FreeMem이 거절했습니다: {}",
                    refusal.localized(lang)
                )
            }
            Self::LibraryFreed { address } => format!(
                "라이브러리가 자기 관리자로 {} 해제했습니다 (올바른 관리자: 새는 것이 없습니다)",
                josa(format!("{address:#x}"), Object)
            ),
            Self::ProgramMade { address, text } => format!(
                "프로그램이 문자열을 자기 관리자에서 받아 라이브러리에 넘겼습니다: {text:?}, 주소 {address:#x}"
            ),
            Self::LibraryFreedProgramString { address } => format!(
                "라이브러리가 프로그램의 문자열 {} 자기 관리자, 곧 프로그램의 관리자(ShareMem)로 \
                 해제했습니다: 올바른 관리자입니다",
                josa(format!("{address:#x}"), Object)
            ),
            Self::LibraryRefused { refusal } => format!(
                "라이브러리의 FreeMem이 거절했습니다: {}",
                refusal.localized(lang)
            ),
            Self::ProgramFreedOwn { address } => format!(
                "프로그램이 자기 문자열 {} 해제했습니다 (올바른 관리자: 새는 것이 없습니다)",
                josa(format!("{address:#x}"), Object)
            ),
            Self::ChildFreed { report } => {
                let at = report
                    .address
                    .map_or(String::new(), |a| format!(" ({a:#x})"));
                format!(
                    "자식 프로세스(pid {})가 그런 문자열{at}을 프로그램의 관리자로 정말 해제했습니다: {}",
                    report.pid,
                    report.verdict(lang)
                )
            }
        }
    }
}

impl Localized for ShareMemError {
    fn localized(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return self.to_string();
        }
        match self {
            Self::NotAFile { path } => format!(
                "보통 파일이 아닙니다(폴더, 장치 또는 파이프): {}. ShareMem 라이브러리({LIBRARY_FILE})가 \
                 아니므로 열지 않았습니다. {LIBRARY_ENV}에 라이브러리 파일의 경로를 주세요",
                path.display()
            ),
            Self::LibraryNotFound { searched } => format!(
                "ShareMem 라이브러리({LIBRARY_FILE})가 없습니다: 찾아본 곳: {}. memlab과 함께 빌드됩니다 \
                 (cargo build). 또는 {LIBRARY_ENV}에 그 경로를 주세요",
                if searched.is_empty() {
                    format!("(없음: {LIBRARY_ENV}가 설정되지 않았습니다)")
                } else {
                    searched
                        .iter()
                        .map(|p| p.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            ),
            Self::Load { path, message } => format!(
                "ShareMem 라이브러리 {} 불러올 수 없습니다: {message}",
                josa(path.display(), Object)
            ),
            Self::MissingSymbol { path, symbol } => format!(
                "{} memlab의 ShareMem 라이브러리가 아닙니다: {symbol} 함수가 없습니다",
                josa(path.display(), Topic)
            ),
            Self::AbiVersion {
                path,
                found,
                expected,
            } => format!(
                "ShareMem 라이브러리 {}의 ABI 버전은 {found}인데 이 memlab에는 {} 필요합니다: \
                 함께 다시 빌드하세요",
                path.display(),
                josa(expected, Subject)
            ),
            Self::NoRoom { bytes } => {
                format!("라이브러리의 메모리 관리자에 {bytes}바이트를 둘 자리가 없습니다")
            }
            Self::ProgramNoRoom { bytes } => format!(
                "프로그램의 메모리 관리자(memlab의 전용 힙)에 {bytes}바이트를 둘 자리가 없습니다"
            ),
            Self::ForeignToLibrary {
                address,
                library_arena,
            } => format!(
                "{} 라이브러리 자신의 관리자의 블록이 아닙니다: 라이브러리의 아레나 {} 밖에 있는 \
                 프로그램 관리자의 블록이므로 라이브러리는 아무것도 해제하지 않습니다",
                josa(format!("{address:#x}"), Topic),
                range(library_arena.start, library_arena.len)
            ),
            Self::ManagerInUse { shared } => format!(
                "라이브러리가 메모리 관리자 변경({})을 거절했습니다: 지금 관리자의 블록이 아직 살아 있어 \
                 엉뚱한 관리자로 돌아가게 됩니다",
                if *shared {
                    "프로그램의 것으로"
                } else {
                    "자기 것으로"
                }
            ),
            Self::ForeignBlock {
                address,
                library_arena,
                program_heap,
            } => format!(
                "{} 이 프로그램 메모리 관리자의 블록이 아닙니다: memlab의 디스패처는 그 주소가 \
                 그 관리자가 내주는 전용 힙의 범위({}) 밖에 있음을 압니다. 라이브러리 자신의 아레나 {} \
                 안에 있으므로 프로그램은 아무것도 해제하지 않습니다",
                josa(format!("{address:#x}"), Topic),
                program_heap.map_or("예약 전".to_string(), |r| range(r.start, r.len)),
                range(library_arena.start, library_arena.len)
            ),
            Self::Child { exe, message } => format!(
                "자식 프로세스({} {})가 실패했습니다: {message}",
                exe.display(),
                super::CHILD_COMMAND
            ),
        }
    }
}
