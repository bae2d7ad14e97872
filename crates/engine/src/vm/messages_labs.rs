//! The child's values in Korean: how a child died (the page lab's values
//! are in `messages_pages`, the map's in `messages_maps`). The tests here
//! check every value of the virtual-memory labs, the page lab's and the
//! map's included (on Linux; Windows' own in `child/windows.rs`).

use super::child::ChildEnd;
use crate::i18n::{Lang, Localized};

impl Localized for ChildEnd {
    fn localized(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return self.to_string();
        }
        match *self {
            Self::Signaled { signal } => format!(
                "자식 프로세스가 {}({signal})로 죽었습니다. memlab은 그대로 살아 있습니다",
                self.cause_name().unwrap_or_default()
            ),
            Self::Exception { status } => format!(
                "자식 프로세스가 {}({status:#010X})로 죽었습니다. memlab은 그대로 살아 있습니다",
                self.cause_name().unwrap_or_default()
            ),
            Self::Exited { code } => {
                format!("접근이 성공했습니다: 자식 프로세스가 코드 {code}로 끝났습니다")
            }
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use crate::vm::Operation;
    use crate::vm::ReadError;
    use crate::vm::maps::{MapError, Owner, RegionType};
    use crate::vm::pages::{AccessViolation, PageError, PageState, Protection, ReservationId};
    use crate::vm::system::Overcommit;

    /// Every variant once. The match below has no wildcard, so a new
    /// variant does not compile until it is added here too.
    fn every_page_error() -> Vec<PageError> {
        let id = ReservationId(3);
        let all = vec![
            PageError::ZeroPages,
            PageError::TooManyPages {
                requested: 70000,
                max: 65536,
            },
            PageError::NoSuchReservation { id },
            PageError::Released { id },
            PageError::EmptyRange { range: 4..4 },
            PageError::OutOfRange {
                id,
                range: 0..40,
                pages: 16,
            },
            PageError::ProtectReserved { id, page: 5 },
            PageError::LockNotCommitted { id, page: 5 },
            PageError::LockNoAccess { id, page: 5 },
            PageError::NotLocked { id, page: 5 },
            PageError::LockLimit {
                bytes: 1 << 20,
                limit: Some(65536),
                locked: 0,
                errno: libc::ENOMEM,
            },
            PageError::LockLimit {
                bytes: 1 << 20,
                limit: None,
                locked: 4096,
                errno: libc::EPERM,
            },
            PageError::AddressSpace {
                bytes: 1 << 28,
                limit: Some(1 << 27),
            },
            PageError::CommitRefused { bytes: 1 << 28 },
        ];
        let mut all: Vec<PageError> = all
            .into_iter()
            .chain(Operation::ALL.into_iter().map(|op| PageError::Os {
                op,
                errno: libc::EINVAL,
            }))
            .collect();
        all.push(PageError::Os {
            op: Operation::Lock,
            errno: 12345,
        });
        for e in &all {
            match e {
                PageError::ZeroPages
                | PageError::TooManyPages { .. }
                | PageError::NoSuchReservation { .. }
                | PageError::Released { .. }
                | PageError::EmptyRange { .. }
                | PageError::OutOfRange { .. }
                | PageError::ProtectReserved { .. }
                | PageError::LockNotCommitted { .. }
                | PageError::LockNoAccess { .. }
                | PageError::NotLocked { .. }
                | PageError::LockLimit { .. }
                | PageError::AddressSpace { .. }
                | PageError::CommitRefused { .. }
                | PageError::Os { .. } => {}
            }
        }
        all
    }

    fn every_other_value() -> Vec<Box<dyn Localized>> {
        let id = ReservationId(1);
        let mut out: Vec<Box<dyn Localized>> = Vec::new();
        for state in [PageState::Free, PageState::Reserved, PageState::Committed] {
            out.push(Box::new(state));
            for protection in Protection::ALL {
                out.push(Box::new(protection));
                for write in [false, true] {
                    out.push(Box::new(AccessViolation {
                        id,
                        page: 2,
                        address: 0x7f00_0000_2000,
                        write,
                        state,
                        protection,
                    }));
                }
            }
        }
        for kind in RegionType::ALL {
            out.push(Box::new(kind));
        }
        out.push(Box::new(ChildEnd::Signaled {
            signal: libc::SIGSEGV,
        }));
        out.push(Box::new(ChildEnd::Signaled {
            signal: libc::SIGBUS,
        }));
        out.push(Box::new(ChildEnd::Exited { code: 0 }));
        out.push(Box::new(ReadError {
            file: "/proc/self/smaps",
            errno: Some(libc::EACCES),
        }));
        out.push(Box::new(ReadError {
            file: "/proc/meminfo",
            errno: None,
        }));
        for name in crate::alloc::own_regions()
            .iter()
            .map(|r| r.name)
            .chain(["private heap (talc)", "mimalloc arena"])
        {
            out.push(Box::new(Owner::Manager { name }));
        }
        out.push(Box::new(Owner::SharedText {
            name: "demo".into(),
        }));
        out.push(Box::new(Owner::PageLab { id, pages: 64 }));
        out.push(Box::new(Owner::ThreadStack {
            tid: 42,
            thread: "worker".into(),
        }));
        out.push(Box::new(Owner::BundledFont {
            offset: 0x1000,
            len: 4 << 20,
        }));
        out.push(Box::new(Owner::MallocArena));
        for e in [
            MapError::NoProcess { pid: 42 },
            MapError::NotYours {
                pid: 1,
                owner: 0,
                you: 1000,
            },
            MapError::Unreadable {
                pid: 7,
                errno: Some(libc::EACCES),
            },
            MapError::Unreadable {
                pid: 7,
                errno: None,
            },
        ] {
            out.push(Box::new(e));
        }
        for mode in [Overcommit::Heuristic, Overcommit::Always, Overcommit::Never] {
            out.push(Box::new(mode));
        }
        out
    }

    /// Code words that may appear in Korean text (call names are not
    /// translated). Anything else in Latin letters of 4+ letters, all lower
    /// case, is an English word.
    const CODE_WORDS: &[&str] = &[
        "mmap",
        "mprotect",
        "madvise",
        "mlock",
        "munlock",
        "munmap",
        "mincore",
        "fork",
        "waitpid",
        "errno",
        "proc",
        "self",
        "smaps",
        "meminfo",
        "memlab",
        "talc",
        "mimalloc",
        "glibc",
        "malloc",
        "demo",
        "worker",
        "include_bytes",
        "addr",
        "overcommit_memory",
        "getpid",
        "sysconf",
        "getrlimit",
        "process_vm_readv",
        "process_vm_writev",
    ];

    fn english_in(text: &str) -> Option<String> {
        let words: Vec<&str> = text
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .filter(|w| !w.is_empty())
            .collect();
        let plain = |w: &str| w.len() >= 2 && w.chars().all(|c| c.is_ascii_lowercase());
        // Two plain English words in a row, separated by one space, is prose.
        for pair in text.split(|c: char| !(c.is_ascii_alphabetic() || c == ' ')) {
            let run: Vec<&str> = pair.split(' ').filter(|w| !w.is_empty()).collect();
            if pair.contains(' ') && run.len() >= 2 && run.iter().all(|w| plain(w)) {
                return Some(pair.trim().into());
            }
        }
        words
            .into_iter()
            .find(|w| {
                w.len() >= 4 && w.chars().all(|c| c.is_ascii_lowercase()) && !CODE_WORDS.contains(w)
            })
            .map(str::to_owned)
    }

    #[test]
    fn korean_renderings_have_no_english_sentence() {
        let hangul = |s: &str| s.chars().any(|c| ('\u{AC00}'..='\u{D7A3}').contains(&c));
        let mut texts: Vec<(String, String)> = every_page_error()
            .iter()
            .map(|e| (format!("{e:?}"), e.localized(Lang::Ko)))
            .collect();
        texts.extend(
            every_other_value()
                .iter()
                .map(|v| (v.localized(Lang::En), v.localized(Lang::Ko))),
        );
        for (what, ko) in &texts {
            assert!(hangul(ko), "{what}: no Korean in {ko:?}");
            assert_eq!(english_in(ko), None, "{what}: English in {ko:?}");
        }
        // The checker itself finds English.
        assert!(english_in("예약 #1 was released").is_some());
        assert!(english_in("한도: unlimited").is_some());
        assert_eq!(english_in("mmap(NULL, len, PROT_NONE) 실패"), None);
    }

    #[test]
    fn english_renderings_are_the_core_display() {
        for e in every_page_error() {
            assert_eq!(e.localized(Lang::En), e.to_string());
            assert!(!e.to_string().is_empty());
        }
        let e = PageError::OutOfRange {
            id: ReservationId(2),
            range: 0..40,
            pages: 16,
        };
        assert_eq!(
            e.to_string(),
            "pages 0..40 are outside reservation #2, which has pages 0..16"
        );
    }
}
