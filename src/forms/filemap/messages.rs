//! The file-mapping form's own sentences: the walk-through's log lines
//! (each step named by the Win32 call it stands for, then what it did or
//! why it was refused) and the notes of a view's editor, in both
//! languages. The engine's values render themselves
//! (`memlab_engine::filemap`'s `Localized` impls).

use std::time::Duration;

use super::words::{FLUSH_NOTE, READ_CALL};
use memlab_engine::filemap::{
    Access, ByteCountError, EndOfFile, FileMapError, Flushed, MappingCreated, Opened, Sharing,
    ViewMapped,
};
use memlab_engine::i18n::{Lang, Localized};

/// A step of the book's §8, as the Win32 call it stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileStep {
    Open,
    CreateMapping,
    MapView,
    Write,
    Flush,
    Unmap,
    CloseMapping,
    CloseFile,
    SetEndOfFile,
}

impl FileStep {
    /// The Win32 call (the same in both languages); a write through a view
    /// is no call at all, just a store through the view's pointer.
    pub fn name(self, lang: Lang) -> &'static str {
        match self {
            Self::Open => "CreateFile",
            Self::CreateMapping => "CreateFileMapping",
            Self::MapView => "MapViewOfFile",
            Self::Write => lang.pick("writing through the view", "뷰에 쓰기"),
            Self::Flush => "FlushViewOfFile",
            Self::Unmap => "UnmapViewOfFile",
            Self::CloseMapping => "CloseHandle(mapping)",
            Self::CloseFile => "CloseHandle(file)",
            Self::SetEndOfFile => "SetFilePointer + SetEndOfFile",
        }
    }

    /// The step's number in the book's order (§8); a write through a view
    /// is part of step 3 and has none of its own.
    pub fn number(self) -> Option<u8> {
        match self {
            Self::Open => Some(1),
            Self::CreateMapping => Some(2),
            Self::MapView => Some(3),
            Self::Write => None,
            Self::Flush => Some(4),
            Self::Unmap => Some(5),
            Self::CloseMapping => Some(6),
            Self::SetEndOfFile => Some(7),
            Self::CloseFile => Some(8),
        }
    }

    /// "2. CreateFileMapping": the number and the call.
    pub fn numbered(self, lang: Lang) -> String {
        match self.number() {
            Some(n) => format!("{n}. {}", self.name(lang)),
            None => self.name(lang).to_owned(),
        }
    }
}

/// What a step did.
#[derive(Debug)]
pub enum StepNote {
    Opened(Opened),
    MappingCreated(MappingCreated),
    ViewMapped(ViewMapped),
    Flushed(Flushed),
    Unmapped {
        view: u32,
    },
    MappingClosed,
    /// The file handle is closed; `views_left` views still keep it open.
    FileClosed {
        views_left: usize,
    },
    EndOfFile(EndOfFile),
    /// The step was refused or failed.
    Failed {
        step: FileStep,
        error: FileMapError,
    },
    /// A size or offset field did not hold a byte count.
    BadNumber {
        step: FileStep,
        error: ByteCountError,
    },
    /// The step's thread ended without a result.
    Lost {
        step: FileStep,
    },
    /// No file was opened yet.
    NoFile {
        step: FileStep,
    },
}

impl StepNote {
    pub fn step(&self) -> FileStep {
        match self {
            Self::Opened(_) => FileStep::Open,
            Self::MappingCreated(_) => FileStep::CreateMapping,
            Self::ViewMapped(_) => FileStep::MapView,
            Self::Flushed(_) => FileStep::Flush,
            Self::Unmapped { .. } => FileStep::Unmap,
            Self::MappingClosed => FileStep::CloseMapping,
            Self::FileClosed { .. } => FileStep::CloseFile,
            Self::EndOfFile(_) => FileStep::SetEndOfFile,
            Self::Failed { step, .. }
            | Self::BadNumber { step, .. }
            | Self::Lost { step }
            | Self::NoFile { step } => *step,
        }
    }

    pub fn is_error(&self) -> bool {
        matches!(
            self,
            Self::Failed { .. } | Self::BadNumber { .. } | Self::Lost { .. } | Self::NoFile { .. }
        )
    }
}

/// Milliseconds with enough digits for a flush of one page.
fn ms(took: Duration) -> String {
    format!("{:.3} ms", took.as_secs_f64() * 1000.0)
}

impl Localized for StepNote {
    fn localized(&self, lang: Lang) -> String {
        let ko = lang == Lang::Ko;
        let what = match self {
            Self::Opened(o) => {
                let access = match (o.access, ko) {
                    (Access::ReadWrite, false) => "read-write",
                    (Access::ReadOnly, false) => "read-only",
                    (Access::ReadWrite, true) => "읽기/쓰기",
                    (Access::ReadOnly, true) => "읽기 전용",
                };
                let sharing = match (o.sharing, ko) {
                    (Sharing::Exclusive, false) => "exclusive (share mode 0)",
                    (Sharing::Shared, false) => "shared with other instances",
                    (Sharing::Exclusive, true) => "독점 (공유 모드 0)",
                    (Sharing::Shared, true) => "다른 인스턴스와 공유",
                };
                match (ko, o.created) {
                    (false, created) => format!(
                        "{} ({}, {} bytes; {access}, {sharing})",
                        o.path.display(),
                        if created { "created" } else { "existing" },
                        o.len
                    ),
                    (true, created) => format!(
                        "{} ({}, {} 바이트; {access}, {sharing})",
                        o.path.display(),
                        if created {
                            "새로 만듦"
                        } else {
                            "있던 파일"
                        },
                        o.len
                    ),
                }
            }
            Self::MappingCreated(m) => m.localized(lang),
            Self::ViewMapped(v) => {
                let mut text = if ko {
                    format!(
                        "뷰 #{}: 오프셋 {}, {} 바이트, 주소 {:#x}",
                        v.view, v.offset, v.len, v.address
                    )
                } else {
                    format!(
                        "view #{} at offset {}, {} bytes, address {:#x}",
                        v.view, v.offset, v.len, v.address
                    )
                };
                if let Some(unaligned) = &v.unaligned {
                    text += "; ";
                    text += &unaligned.localized(lang);
                }
                text
            }
            Self::Flushed(f) if ko => format!(
                "뷰 #{}의 {} 바이트를 {}에 디스크로 내보냄{FLUSH_NOTE}",
                f.view,
                f.bytes,
                ms(f.took)
            ),
            Self::Flushed(f) => format!(
                "view #{}: {} bytes written to the file in {}{FLUSH_NOTE}",
                f.view,
                f.bytes,
                ms(f.took)
            ),
            Self::Unmapped { view } if ko => format!("뷰 #{view} 매핑 해제"),
            Self::Unmapped { view } => format!("view #{view} unmapped"),
            Self::MappingClosed => lang
                .pick(
                    "the mapping is closed: mapped views keep working, no new ones",
                    "매핑을 닫음: 매핑된 뷰는 계속 쓸 수 있고, 새 뷰는 만들 수 없음",
                )
                .into(),
            Self::FileClosed { views_left: 0 } => {
                lang.pick("the file is closed", "파일을 닫음").into()
            }
            Self::FileClosed { views_left } if ko => format!(
                "파일 핸들을 닫음: 매핑된 뷰 {views_left}개가 해제될 때까지 파일은 열린 채 잠겨 있음"
            ),
            Self::FileClosed { views_left } => format!(
                "the file handle is closed: the file stays open and locked until its {views_left} mapped view(s) are unmapped"
            ),
            Self::EndOfFile(e) if ko => {
                format!("파일 크기 {} -> {} 바이트", e.before, e.after)
            }
            Self::EndOfFile(e) => format!("file size {} -> {} bytes", e.before, e.after),
            Self::Failed { error, .. } => error.localized(lang),
            Self::BadNumber { error, .. } => error.localized(lang),
            Self::Lost { .. } => lang
                .pick(
                    "the step's thread ended without a result",
                    "단계를 맡은 스레드가 결과 없이 끝났습니다",
                )
                .into(),
            Self::NoFile { .. } => lang
                .pick(
                    "no file is open: press Open or Create first",
                    "연 파일이 없습니다: 먼저 열기나 만들기를 누르세요",
                )
                .into(),
        };
        format!("{}: {what}", self.step().numbered(lang))
    }
}

/// What a view panel says about the bytes in sight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewNote {
    /// The ordinary read of the bytes in sight against the view.
    Compared {
        bytes: usize,
        differ: usize,
        missing: usize,
    },
    /// Where typing goes.
    Cursor {
        view_offset: u64,
        file_offset: u64,
        hex: bool,
    },
    NoCursor,
    /// The view's last flush.
    Flushed(Flushed),
    NotFlushed,
}

impl Localized for ViewNote {
    fn localized(&self, lang: Lang) -> String {
        let ko = lang == Lang::Ko;
        match *self {
            Self::Compared {
                bytes,
                differ: 0,
                missing: 0,
            } if ko => format!(
                "보통의 파일 읽기({READ_CALL})로 읽은 같은 {bytes} 바이트: 뷰와 똑같음 (같은 페이지 캐시)"
            ),
            Self::Compared {
                bytes,
                differ: 0,
                missing: 0,
            } => format!(
                "the same {bytes} bytes by an ordinary file read ({READ_CALL}): equal to the view (one page cache)"
            ),
            Self::Compared {
                bytes,
                differ,
                missing,
            } if ko => format!(
                "보통의 파일 읽기({READ_CALL})로 읽은 같은 {bytes} 바이트: {differ} 바이트가 다르고, \
                 {missing} 바이트는 파일에 없음 (강조 표시)"
            ),
            Self::Compared {
                bytes,
                differ,
                missing,
            } => format!(
                "the same {bytes} bytes by an ordinary file read ({READ_CALL}): {differ} differ and {missing} are missing from the file (highlighted)"
            ),
            Self::Cursor {
                view_offset,
                file_offset,
                hex,
            } if ko => format!(
                "커서: 뷰 오프셋 {view_offset:#x}, 파일 오프셋 {file_offset:#x}. {}",
                if hex {
                    "16진수(0-9, a-f)를 입력하면 덮어씁니다"
                } else {
                    "글자를 입력하면 UTF-8 바이트로 덮어씁니다"
                }
            ),
            Self::Cursor {
                view_offset,
                file_offset,
                hex,
            } => format!(
                "cursor: view offset {view_offset:#x}, file offset {file_offset:#x}. {}",
                if hex {
                    "Type hex digits (0-9, a-f) to overwrite"
                } else {
                    "Type text to overwrite it with its UTF-8 bytes"
                }
            ),
            Self::NoCursor => lang
                .pick(
                    "Click a byte, then type to change it; the other views and the file read change with it.",
                    "바이트를 누른 뒤 입력하면 바뀝니다. 다른 뷰와 파일 읽기도 함께 바뀝니다.",
                )
                .into(),
            Self::Flushed(f) if ko => format!(
                "마지막 플러시: {} 바이트, {}",
                f.bytes,
                ms(f.took)
            ),
            Self::Flushed(f) => format!("last flush: {} bytes in {}", f.bytes, ms(f.took)),
            Self::NotFlushed => lang
                .pick(
                    "not flushed yet: the page cache holds the writes, the disk gets them later",
                    "아직 플러시 안 함: 쓴 내용은 페이지 캐시에 있고, 디스크에는 나중에 기록됩니다",
                )
                .into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::time::Duration;

    use super::*;
    use memlab_engine::filemap::{RawCall, Unaligned};
    use memlab_engine::i18n::testing::assert_korean;

    /// Every log line of the two labs once; the matches below have no
    /// wildcard, so a new variant does not compile until it is added here.
    fn log_lines() -> Vec<Box<dyn Localized>> {
        let opened = |access, sharing, created| Opened {
            path: PathBuf::from("/tmp/데모.bin"),
            len: 4096,
            created,
            access,
            sharing,
        };
        let mapped = |unaligned| ViewMapped {
            view: 2,
            offset: 100,
            len: 4000,
            address: 0x7f00_0000_0064,
            unaligned,
        };
        let steps = vec![
            StepNote::Opened(opened(Access::ReadWrite, Sharing::Exclusive, true)),
            StepNote::Opened(opened(Access::ReadOnly, Sharing::Shared, false)),
            StepNote::MappingCreated(MappingCreated {
                requested: 0,
                size: 4096,
                file_len_before: 4096,
                file_len_after: 4096,
            }),
            StepNote::ViewMapped(mapped(None)),
            StepNote::ViewMapped(mapped(Some(Unaligned {
                offset: 100,
                granularity: 4096,
                mapped_from: 0,
                raw_mmap: RawCall::Failed {
                    errno: libc::EINVAL,
                },
            }))),
            StepNote::Flushed(Flushed {
                view: 1,
                bytes: 1 << 20,
                took: Duration::from_micros(1234),
            }),
            StepNote::Unmapped { view: 1 },
            StepNote::MappingClosed,
            StepNote::FileClosed { views_left: 0 },
            StepNote::FileClosed { views_left: 2 },
            StepNote::EndOfFile(EndOfFile {
                before: 8192,
                after: 100,
            }),
            StepNote::Failed {
                step: FileStep::Write,
                error: FileMapError::ViewClosed { view: 1 },
            },
            StepNote::BadNumber {
                step: FileStep::CreateMapping,
                error: ByteCountError::NotACount { text: "x".into() },
            },
            StepNote::Lost {
                step: FileStep::Flush,
            },
            StepNote::NoFile {
                step: FileStep::MapView,
            },
        ];
        let mut all: Vec<Box<dyn Localized>> = Vec::new();
        for note in steps {
            match note {
                StepNote::Opened(_)
                | StepNote::MappingCreated(_)
                | StepNote::ViewMapped(_)
                | StepNote::Flushed(_)
                | StepNote::Unmapped { .. }
                | StepNote::MappingClosed
                | StepNote::FileClosed { .. }
                | StepNote::EndOfFile(_)
                | StepNote::Failed { .. }
                | StepNote::BadNumber { .. }
                | StepNote::Lost { .. }
                | StepNote::NoFile { .. } => all.push(Box::new(note)),
            }
        }
        all
    }

    #[test]
    fn every_log_line_reads_in_korean() {
        for line in log_lines() {
            assert_korean(&line.localized(Lang::Ko));
            assert!(!line.localized(Lang::En).is_empty());
        }
    }
}
