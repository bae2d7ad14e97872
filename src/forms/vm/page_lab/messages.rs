//! The page lab's sentences in the user's language: each operation's report
//! (what was asked, what it did or why it was refused) and the costs it
//! moved. The errors, access violations and child endings render
//! themselves (`memlab_engine::vm`).

use memlab_engine::format::format_bytes;
use memlab_engine::i18n::Particle::{Direction, Object};
use memlab_engine::i18n::{Lang, Localized, josa};
use memlab_engine::vm::pages::{Decommit, PageState};

use super::worker::{Done, RangeOp, Report, Request};

/// `+4.0 KiB`, `-256.0 MiB`, `+0 B`.
pub fn signed_bytes(delta: i64) -> String {
    let sign = if delta < 0 { '-' } else { '+' };
    format!("{sign}{}", format_bytes(delta.unsigned_abs()))
}

/// What was asked, e.g. "commit, pages 0..4 of #1".
fn request_text(request: &Request, lang: Lang) -> String {
    match (request, lang) {
        (Request::Reserve { pages }, Lang::En) => format!("reserve {pages} pages"),
        (Request::Reserve { pages }, Lang::Ko) => format!("{pages}페이지 예약"),
        (Request::Release { id }, Lang::En) => format!("release {id}"),
        (Request::Release { id }, Lang::Ko) => format!("예약 {id} 해제"),
        (Request::Range { id, pages, op }, Lang::En) => {
            let what = match op {
                RangeOp::Commit => "commit".to_owned(),
                RangeOp::Decommit(Decommit::Remap) => "decommit".to_owned(),
                RangeOp::Decommit(Decommit::DontNeed) => {
                    super::os_text::KEEP_CHARGE.get(lang).to_owned()
                }
                RangeOp::Protect(p) => format!("protect as {}", p.name()),
                RangeOp::Lock => "lock".to_owned(),
                RangeOp::Unlock => "unlock".to_owned(),
                RangeOp::Read => "read a byte of each page".to_owned(),
                RangeOp::Write(v) => format!("write {v} to each page"),
                RangeOp::Child { write: false } => "read in a child process".to_owned(),
                RangeOp::Child { write: true } => "write in a child process".to_owned(),
            };
            format!("{what}, pages {}..{} of {id}", pages.start, pages.end)
        }
        (Request::Range { id, pages, op }, Lang::Ko) => {
            let what = match op {
                RangeOp::Commit => "커밋".to_owned(),
                RangeOp::Decommit(Decommit::Remap) => "커밋 해제".to_owned(),
                RangeOp::Decommit(Decommit::DontNeed) => {
                    super::os_text::KEEP_CHARGE.get(lang).to_owned()
                }
                RangeOp::Protect(p) => {
                    format!("보호를 {} 변경", josa(p.localized(lang), Direction))
                }
                RangeOp::Lock => "잠금".to_owned(),
                RangeOp::Unlock => "잠금 해제".to_owned(),
                RangeOp::Read => "페이지마다 1바이트 읽기".to_owned(),
                RangeOp::Write(v) => format!("페이지마다 {v} 쓰기"),
                RangeOp::Child { write: false } => "자식 프로세스에서 읽기".to_owned(),
                RangeOp::Child { write: true } => "자식 프로세스에서 쓰기".to_owned(),
            };
            format!(
                "{what}, 예약 {id}의 {}..{}번 페이지",
                pages.start, pages.end
            )
        }
    }
}

/// A few values, then how many more.
fn values_text(values: &[u8], lang: Lang) -> String {
    const SHOWN: usize = 8;
    let mut text = values
        .iter()
        .take(SHOWN)
        .map(u8::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    if values.len() > SHOWN {
        let more = values.len() - SHOWN;
        text.push_str(&match lang {
            Lang::En => format!(", … ({more} more)"),
            Lang::Ko => format!(", … ({more}개 더)"),
        });
    }
    text
}

impl Localized for Done {
    fn localized(&self, lang: Lang) -> String {
        match (self, lang) {
            (Self::Reserved { id, base }, Lang::En) => {
                format!("{id} at {base:#x}, nothing committed")
            }
            (Self::Reserved { id, base }, Lang::Ko) => {
                format!(
                    "{} {base:#x}에 예약했습니다. 커밋된 페이지는 없습니다",
                    josa(id, Object)
                )
            }
            (Self::Changed, Lang::En) => "done".into(),
            (Self::Changed, Lang::Ko) => "완료".into(),
            (Self::Protected { old }, Lang::En) => {
                format!("done; the old protection was {}", old.name())
            }
            (Self::Protected { old }, Lang::Ko) => {
                format!("완료. 이전 보호는 {}였습니다", old.localized(lang))
            }
            (Self::Read { values, violation }, _) => {
                let read = match lang {
                    Lang::En => {
                        format!("read {} pages: {}", values.len(), values_text(values, lang))
                    }
                    Lang::Ko => {
                        format!("{}페이지 읽음: {}", values.len(), values_text(values, lang))
                    }
                };
                match violation {
                    Some(v) if values.is_empty() => v.localized(lang),
                    Some(v) => format!("{read}; {}", v.localized(lang)),
                    None => read,
                }
            }
            (
                Self::Written {
                    value,
                    pages,
                    violation,
                },
                _,
            ) => {
                let wrote = match lang {
                    Lang::En => format!("wrote {value} to {pages} pages"),
                    Lang::Ko => format!("{pages}페이지에 {} 썼습니다", josa(value, Object)),
                };
                match violation {
                    Some(v) if *pages == 0 => v.localized(lang),
                    Some(v) => format!("{wrote}; {}", v.localized(lang)),
                    None => wrote,
                }
            }
            (Self::Child { page, end }, Lang::En) => {
                format!("page {page}: {}", end.localized(lang))
            }
            (Self::Child { page, end }, Lang::Ko) => {
                format!("{page}번 페이지: {}", end.localized(lang))
            }
            (Self::Released { pages }, Lang::En) => {
                format!("its {pages} pages are {} now", PageState::Free.name())
            }
            (Self::Released { pages }, Lang::Ko) => {
                format!(
                    "그 {pages}페이지는 이제 {}입니다",
                    PageState::Free.localized(lang)
                )
            }
        }
    }
}

impl Localized for Report {
    /// `[3] commit, pages 0..4 of #1: done`
    fn localized(&self, lang: Lang) -> String {
        let outcome = match &self.result {
            Ok(done) => done.localized(lang),
            Err(e) => e.localized(lang),
        };
        format!(
            "[{}] {}: {outcome}",
            self.number,
            request_text(&self.request, lang)
        )
    }
}

/// What an operation moved: RSS and the system's commit charge.
pub fn costs_moved(report: &Report, lang: Lang) -> Option<String> {
    let (before, after) = report.costs?;
    let rss = signed_bytes(after.rss as i64 - before.rss as i64);
    let charge = signed_bytes(after.commit_charge as i64 - before.commit_charge as i64);
    let memory = super::os_text::RSS.get(lang);
    Some(match lang {
        Lang::En => format!("{memory} {rss}, commit charge {charge}"),
        Lang::Ko => format!("{memory} {rss}, 커밋 양 {charge}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use memlab_engine::vm::child::ChildEnd;
    use memlab_engine::vm::pages::{AccessViolation, PageError, Protection, ReservationId};
    use memlab_engine::vm::system::Costs;

    fn report(request: Request, result: Result<Done, PageError>) -> Report {
        let costs = |rss, commit_charge| Costs {
            rss,
            commit_charge,
            commit_limit: None,
        };
        Report {
            number: 7,
            request,
            result,
            costs: Some((costs(8192, 1 << 20), costs(4096, (1 << 20) + 65536))),
        }
    }

    fn every_report() -> Vec<Report> {
        let id = ReservationId(2);
        let violation = AccessViolation {
            id,
            page: 3,
            address: 0x7f00_0000_3000,
            write: true,
            state: PageState::Reserved,
            protection: Protection::NoAccess,
        };
        let range = |op| Request::Range {
            id,
            pages: 0..4,
            op,
        };
        let ops = [
            RangeOp::Commit,
            RangeOp::Decommit(Decommit::Remap),
            RangeOp::Decommit(Decommit::DontNeed),
            RangeOp::Protect(Protection::ReadOnly),
            RangeOp::Lock,
            RangeOp::Unlock,
            RangeOp::Read,
            RangeOp::Write(7),
            RangeOp::Child { write: false },
            RangeOp::Child { write: true },
        ];
        let dones = [
            Done::Reserved {
                id,
                base: 0x7f00_0000_0000,
            },
            Done::Changed,
            Done::Protected {
                old: Protection::ReadWrite,
            },
            Done::Read {
                values: vec![7; 12],
                violation: Some(violation),
            },
            Done::Read {
                values: vec![],
                violation: Some(violation),
            },
            Done::Written {
                value: 7,
                pages: 3,
                violation: Some(violation),
            },
            Done::Written {
                value: 7,
                pages: 4,
                violation: None,
            },
            Done::Child {
                page: 3,
                end: ChildEnd::Signaled {
                    signal: libc::SIGSEGV,
                },
            },
            Done::Child {
                page: 3,
                end: ChildEnd::Exception {
                    status: 0xC000_0005,
                },
            },
            Done::Released { pages: 64 },
        ];
        let mut out: Vec<Report> = ops
            .into_iter()
            .map(|op| report(range(op), Ok(Done::Changed)))
            .collect();
        // Windows has no signals: its child ends by an exception.
        let this_os = |d: &Done| {
            !(cfg!(windows)
                && matches!(
                    d,
                    Done::Child {
                        end: ChildEnd::Signaled { .. },
                        ..
                    }
                ))
        };
        out.extend(
            dones
                .into_iter()
                .filter(this_os)
                .map(|d| report(Request::Reserve { pages: 64 }, Ok(d))),
        );
        out.push(report(
            Request::Release { id },
            Err(PageError::Released { id }),
        ));
        out
    }

    #[test]
    fn reports_read_in_both_languages() {
        let hangul = |s: &str| s.chars().any(|c| ('\u{AC00}'..='\u{D7A3}').contains(&c));
        for r in every_report() {
            let (en, ko) = (r.localized(Lang::En), r.localized(Lang::Ko));
            assert!(en.starts_with("[7] "), "{en}");
            assert!(hangul(&ko), "{ko}");
            let words = memlab_engine::i18n::testing::english_words(
                &ko,
                &[
                    "MADV",
                    "DONTNEED",
                    "SIGSEGV",
                    "MEM",
                    "RESET",
                    "STATUS",
                    "ACCESS",
                    "VIOLATION",
                    "0xC0000005",
                    "RSS",
                    "KiB",
                    "memlab",
                    "0x7f0000000000",
                    "0x7f0000003000",
                ],
            );
            assert!(words.is_empty(), "English in {ko:?}: {words:?}");
            let moved = costs_moved(&r, Lang::Ko).unwrap();
            let memory = super::super::os_text::RSS.get(Lang::Ko);
            assert_eq!(moved, format!("{memory} -4.0 KiB, 커밋 양 +64.0 KiB"));
        }
        let read = report(
            Request::Reserve { pages: 1 },
            Ok(Done::Read {
                values: (0..10).collect(),
                violation: None,
            }),
        );
        assert_eq!(
            read.localized(Lang::En),
            "[7] reserve 1 pages: read 10 pages: 0, 1, 2, 3, 4, 5, 6, 7, … (2 more)"
        );
    }
}
