//! The file-mapping engine's values in Korean (their English is their
//! `Display`, what the command line prints): its errors, a mapping made,
//! an unaligned view, a byte count that cannot be read.

use std::io;

use super::FileHolder;
use super::{
    ByteCountError, FileMapError, MappingCreated, Op, RawCall, ReadOnlyWhy, Sharing, Unaligned,
};
use crate::i18n::Particle::{Object, Subject, Topic};
use crate::i18n::{Lang, Localized, errno_ko, josa};

fn op_ko(op: Op) -> &'static str {
    match op {
        Op::Open => "열기",
        Op::Lock => "잠그기",
        Op::Stat => "크기 읽기",
        Op::Grow => "늘리기",
        Op::Map => "매핑",
        Op::ReadView => "뷰 읽기",
        Op::WriteView => "뷰 쓰기",
        Op::ReadFile => "파일 읽기",
        Op::Flush => "플러시",
        Op::SetEndOfFile => "파일 끝 설정",
        Op::DataDir => "데이터 폴더 만들기",
    }
}

fn io_ko(e: &io::Error) -> String {
    e.localized(Lang::Ko)
}

fn holder_ko(holder: Option<&FileHolder>) -> String {
    match holder {
        Some(h) if h.is_memlab() => format!("memlab PID {}", h.pid),
        Some(h) => format!("PID {} ({})", h.pid, h.program),
        None => "다른 프로세스".into(),
    }
}

impl Localized for FileMapError {
    fn localized(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return self.to_string();
        }
        use FileMapError as E;
        match self {
            E::NotFound { path } => format!("{}: 파일이 없습니다", path.display()),
            E::IsADirectory { path } => {
                format!("{}: 파일이 아니라 디렉터리입니다", path.display())
            }
            E::NotRegularFile { path } => format!(
                "{}: 일반 파일이 아닙니다 (장치, 파이프, 소켓은 여기서 매핑할 수 없습니다)",
                path.display()
            ),
            E::ReadOnly { path, why } => format!(
                "{}: 읽기 전용입니다 ({}). 읽기 전용으로 열고 크기 0(파일 크기)으로 매핑하세요",
                path.display(),
                match why {
                    ReadOnlyWhy::NoWriteBit => "쓰기 권한 비트 없음",
                    ReadOnlyWhy::FileSystem => "읽기 전용 파일 시스템",
                }
            ),
            E::PermissionDenied { path, uid } => {
                format!("{}: 열 권한이 없습니다 (사용자 ID {uid})", path.display())
            }
            E::InUse {
                path,
                holder,
                holder_shares,
            } => format!(
                "{}: {} 사용 중입니다. memlab은 매핑할 파일을 독점으로 엽니다{}",
                path.display(),
                josa(holder_ko(holder.as_ref()), Subject),
                if *holder_shares {
                    " (다른 인스턴스들이 공유 모드로 열어 두었습니다)"
                } else {
                    " (공유 모드 0)"
                }
            ),
            E::EmptyFile { path } => format!(
                "{}: 빈 파일입니다. 크기 0은 \"파일 크기만큼\"이라는 뜻이라 매핑할 것이 없습니다. \
                 크기를 주면 파일이 그만큼 늘어납니다 (Windows도 같은 오류: ERROR_FILE_INVALID, 1006)",
                path.display()
            ),
            E::DiskFull {
                path,
                file_len,
                requested,
            } => format!(
                "디스크가 가득 찼습니다: {} {file_len}에서 {requested} 바이트로 늘릴 공간이 없습니다. \
                 파일은 {file_len} 바이트 그대로입니다",
                josa(path.display(), Object)
            ),
            E::TooLarge { requested } => format!(
                "{requested} 바이트는 이 시스템에서 한 파일에 담거나 매핑할 수 있는 크기를 넘습니다"
            ),
            E::FileSizeLimit {
                path,
                requested,
                limit,
            } => format!(
                "{}: {requested} 바이트는 이 프로세스의 파일 크기 한도(ulimit -f: {limit} 바이트)를 \
                 넘습니다. 아무것도 쓰지 않았습니다",
                path.display()
            ),
            E::RangeOverflow { offset, len } => format!(
                "파일 오프셋 {offset}에서 {len} 바이트는 파일이 가질 수 있는 가장 큰 오프셋을 넘습니다"
            ),
            E::SystemPath { path } => format!(
                "{} 없습니다. memlab은 /dev나 /proc, /sys 아래에는 파일을 만들지 않습니다",
                josa(path.display(), Subject)
            ),
            E::CannotCreate { path } => format!(
                "{} 없고 만들 수도 없습니다: 파일 시스템이 읽기 전용으로 마운트되어 있습니다",
                josa(path.display(), Subject)
            ),
            E::MappedElsewhere { path, pid } => format!(
                "다른 memlab 인스턴스({})가 {} 매핑하고 있습니다: 어느 프로세스든 파일을 매핑하고 있는 동안 \
                 SetEndOfFile은 거절됩니다 (Windows: ERROR_USER_MAPPED_FILE)",
                pid.map_or_else(|| "PID 알 수 없음".into(), |p| format!("PID {p}")),
                josa(path.display(), Object)
            ),
            E::FileShortened {
                file_len,
                start,
                end,
            } => format!(
                "누군가 파일을 {file_len} 바이트로 줄였습니다: {start}..{end} 바이트가 사라졌습니다"
            ),
            E::Unbacked { view, file_offset } => format!(
                "뷰 #{view}: 파일 오프셋 {file_offset}의 페이지에 닿을 수 없습니다 \
                 (디스크 저장 공간이 없음: 가득 찼나요?)"
            ),
            E::ViewOutOfRange {
                offset,
                len,
                mapping_size,
            } => format!(
                "오프셋 {offset}, 길이 {len} 바이트의 뷰는 {mapping_size} 바이트 매핑 안에 들어가지 않습니다"
            ),
            E::OutsideView {
                view,
                at,
                len,
                view_len,
            } => format!(
                "{at}..{} 바이트는 뷰 #{view}({view_len} 바이트) 밖입니다",
                at + len
            ),
            E::NoViewAt { offset, len } => format!(
                "파일 바이트 {offset}..{} 모두 담은 뷰가 없습니다",
                josa(offset + len, Object)
            ),
            E::ReadOnlyAccess { op } => format!(
                "파일을 읽기 전용으로 열었습니다: {}에는 읽기/쓰기 권한이 필요합니다",
                op_ko(*op)
            ),
            E::MappingOpen { size } => {
                format!("{size} 바이트 매핑이 이미 열려 있습니다: 먼저 닫으세요")
            }
            E::NoMapping => "매핑이 없습니다: 먼저 만드세요".into(),
            E::MappingClosed => "매핑을 닫았습니다: 뷰를 더 만들려면 새 매핑을 만드세요".into(),
            E::FileClosed => "파일을 닫았습니다: 다시 여세요".into(),
            E::ViewClosed { view } => format!("뷰 #{} 매핑 해제되었습니다", josa(view, Topic)),
            E::NoSuchView { view } => format!("뷰 #{} 없습니다", josa(view, Topic)),
            E::StillMapped {
                views,
                mapping_open,
            } => format!(
                "아직 매핑된 뷰 {views}개{}: 파일 끝을 설정하기 전에 뷰를 해제하고 매핑을 닫으세요 \
                 (Windows: ERROR_USER_MAPPED_FILE)",
                if *mapping_open {
                    "와 열린 매핑"
                } else {
                    ""
                }
            ),
            E::NoDataDir => {
                "사용자 데이터 폴더가 없습니다: XDG_DATA_HOME도 HOME도 설정되지 않았습니다".into()
            }
            E::NoAppData => "사용자 데이터 폴더가 없습니다: APPDATA가 설정되지 않았습니다".into(),
            E::SharingViolation { path, asked } => format!(
                "{}: 다른 프로세스가 열어 두었습니다{}. CreateFileW가 ERROR_SHARING_VIOLATION(32)으로 거절했습니다",
                path.display(),
                match asked {
                    Sharing::Exclusive => {
                        " (memlab은 매핑할 파일을 독점으로, 곧 공유 모드 0으로 엽니다)"
                    }
                    Sharing::Shared => " (그 프로세스가 독점으로, 곧 공유 모드 0으로 열었습니다)",
                }
            ),
            E::MappedAlignment {
                offset,
                granularity,
            } => format!(
                "MapViewOfFile이 오프셋 {} 거절했습니다: 할당 단위({granularity} 바이트)의 배수가 아닙니다. \
                 ERROR_MAPPED_ALIGNMENT(1132)",
                josa(offset, Object)
            ),
            E::UserMappedFile {
                path,
                own_views,
                mapping_open,
            } => format!(
                "{}에 대한 SetEndOfFile이 ERROR_USER_MAPPED_FILE(1224)로 거절되었습니다: {}",
                path.display(),
                if *own_views > 0 {
                    format!("여기서 매핑한 뷰 {own_views}개가 아직 있습니다. 먼저 매핑 해제하세요")
                } else if *mapping_open {
                    "여기서 만든 매핑이 아직 열려 있습니다. 먼저 닫으세요".to_owned()
                } else {
                    "다른 프로세스가 매핑하고 있습니다".to_owned()
                }
            ),
            E::Io { op, path, source } => {
                format!("{} {} 실패: {}", path.display(), op_ko(*op), io_ko(source))
            }
        }
    }
}

impl Localized for MappingCreated {
    fn localized(&self, lang: Lang) -> String {
        let grown = self.file_len_after > self.file_len_before;
        let part = self.size < self.file_len_after;
        match lang {
            Lang::En => format!(
                "mapping of {} bytes (asked {}); file {} -> {} bytes{}",
                self.size,
                self.requested,
                self.file_len_before,
                self.file_len_after,
                if grown {
                    ": grown to the mapping's size"
                } else if part {
                    ": only the first part is mapped"
                } else {
                    ""
                }
            ),
            Lang::Ko => format!(
                "{} 바이트 매핑 (요청 {}); 파일 {} -> {} 바이트{}",
                self.size,
                self.requested,
                self.file_len_before,
                self.file_len_after,
                if grown {
                    ": 매핑 크기만큼 늘어남"
                } else if part {
                    ": 앞부분만 매핑됨"
                } else {
                    ""
                }
            ),
        }
    }
}

impl Localized for Unaligned {
    fn localized(&self, lang: Lang) -> String {
        let inside = self.offset - self.mapped_from;
        let raw = |en: bool| match self.raw_mmap {
            RawCall::Failed { errno } if en => {
                format!("fails: {}", io::Error::from_raw_os_error(errno))
            }
            RawCall::Failed { errno } => format!("실패합니다: {}", errno_ko(errno)),
            RawCall::Succeeded if en => "succeeds".into(),
            RawCall::Succeeded => "성공합니다".into(),
        };
        match lang {
            Lang::En => format!(
                "offset {} is not a multiple of the granularity ({} bytes here, 64 KiB on Windows): \
                 memmap2 silently mapped from {} (rounded down) and points {inside} bytes in; \
                 the raw mmap call with offset {} {}",
                self.offset,
                self.granularity,
                self.mapped_from,
                self.offset,
                raw(true)
            ),
            Lang::Ko => format!(
                "오프셋 {} 할당 단위(여기서는 {} 바이트, Windows는 64 KiB)의 배수가 아닙니다: \
                 memmap2는 말없이 {}(내림)부터 매핑하고 {inside} 바이트 안쪽을 가리킵니다. \
                 같은 오프셋으로 mmap을 직접 호출하면 {}",
                josa(self.offset, Topic),
                self.granularity,
                self.mapped_from,
                raw(false)
            ),
        }
    }
}

impl Localized for ByteCountError {
    fn localized(&self, lang: Lang) -> String {
        match (lang, self) {
            (Lang::En, e) => e.to_string(),
            (Lang::Ko, Self::NotACount { text }) => {
                format!(
                    "{} 바이트 수가 아닙니다 (예: 4096, 64K, 1M, 0x1000)",
                    josa(format!("{text:?}"), Topic)
                )
            }
            (Lang::Ko, Self::TooLarge { text }) => {
                format!("{} 너무 큽니다", josa(format!("{text:?}"), Topic))
            }
        }
    }
}
