//! The file-mapping lab's errors and notes in the user's language (English
//! is their `Display`; Korean is written here). No egui: the form, the
//! command line's tests and anything else can render them.

use std::io;

use crate::core::filemap::{
    FileMapError, Holder, MappingCreated, Op, RawCall, ReadOnlyWhy, Unaligned,
};
use crate::core::mutex::{
    AcquireReport, AcquireResult, CrashProblem, MutexError, MutexKind, MutexState, ResetOutcome,
};
use crate::i18n::{Lang, Localized};

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

/// An OS error number in Korean (the OS's own text is English).
fn errno_ko(errno: i32) -> String {
    let what = match errno {
        libc::ENOENT => "파일이나 디렉터리가 없음",
        libc::EACCES | libc::EPERM => "권한 없음",
        libc::ENOSPC => "장치에 남은 공간 없음",
        libc::EDQUOT => "디스크 할당량 초과",
        libc::EROFS => "읽기 전용 파일 시스템",
        libc::EIO => "입출력 오류",
        libc::EINVAL => "잘못된 인자",
        libc::ENOMEM => "메모리 부족",
        libc::EBUSY => "사용 중",
        libc::ETIMEDOUT => "시간 초과",
        libc::EDEADLK => "교착 상태",
        libc::EFBIG => "파일이 너무 큼",
        libc::EISDIR => "디렉터리임",
        libc::ENOTDIR => "디렉터리가 아님",
        _ => "시스템 오류",
    };
    format!("{what} (오류 번호 {errno})")
}

fn io_ko(e: &io::Error) -> String {
    match e.raw_os_error() {
        Some(errno) => errno_ko(errno),
        None => match e.kind() {
            io::ErrorKind::PermissionDenied => "권한 없음 (이 사용자 전용 폴더가 아님)".into(),
            io::ErrorKind::AlreadyExists => "이미 있지만 디렉터리가 아님".into(),
            io::ErrorKind::TimedOut => "시간 초과".into(),
            io::ErrorKind::NotFound => "없음".into(),
            _ => "시스템 오류".into(),
        },
    }
}

fn holder_ko(holder: Option<&Holder>) -> String {
    match holder {
        Some(h) if h.is_memlab() => format!("memlab PID {}", h.pid),
        Some(h) => format!("PID {} ({})", h.pid, h.program),
        None => "다른 프로세스".into(),
    }
}

fn pid_ko(pid: Option<u32>) -> String {
    pid.map_or_else(|| "알 수 없는 프로세스".into(), |p| format!("PID {p}"))
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
                "{}: {}이(가) 사용 중입니다. memlab은 매핑할 파일을 독점으로 엽니다{}",
                path.display(),
                holder_ko(holder.as_ref()),
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
                "디스크가 가득 찼습니다: {}을(를) {file_len}에서 {requested} 바이트로 늘릴 공간이 없습니다. \
                 파일은 {file_len} 바이트 그대로입니다",
                path.display()
            ),
            E::TooLarge { requested } => format!(
                "{requested} 바이트는 이 시스템에서 한 파일에 담거나 매핑할 수 있는 크기를 넘습니다"
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
                "파일 바이트 {offset}..{}을(를) 모두 담은 뷰가 없습니다",
                offset + len
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
            E::ViewClosed { view } => format!("뷰 #{view}은(는) 매핑 해제되었습니다"),
            E::NoSuchView { view } => format!("뷰 #{view}은(는) 없습니다"),
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
                "오프셋 {}은(는) 할당 단위(여기서는 {} 바이트, Windows는 64 KiB)의 배수가 아닙니다: \
                 memmap2는 말없이 {}(내림)부터 매핑하고 {inside} 바이트 안쪽을 가리킵니다. \
                 같은 오프셋으로 mmap을 직접 호출하면 {}",
                self.offset,
                self.granularity,
                self.mapped_from,
                raw(false)
            ),
        }
    }
}

impl Localized for MutexKind {
    fn localized(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.to_string(),
            Lang::Ko => match self {
                Self::FileLock => "memlab 파일 잠금".into(),
                Self::RawSync => "raw_sync 뮤텍스".into(),
                Self::Robust => "견고한(robust) pthread 뮤텍스".into(),
            },
        }
    }
}

impl Localized for MutexError {
    fn localized(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return self.to_string();
        }
        let k = |kind: &MutexKind| kind.localized(Lang::Ko);
        use MutexError as E;
        match self {
            E::BadName { name, .. } => format!(
                "잘못된 뮤텍스 이름 {name:?}: 비어 있거나, 100 바이트를 넘거나, '/', '\\', NUL, 제어 문자가 있거나, '.' 또는 '..'입니다"
            ),
            E::TimedOut {
                kind,
                waited_ms,
                holder,
            } => format!(
                "{waited_ms} ms 기다렸지만 시간 초과: {}을(를) {}이(가) 잡고 있습니다",
                k(kind),
                pid_ko(*holder)
            ),
            E::Stuck {
                kind,
                waited_ms,
                dead_holder,
            } => format!(
                "{waited_ms} ms 기다렸지만 시간 초과: {}이(가) 멈췄습니다. PID {dead_holder}이(가) \
                 잡은 채 죽었는데 이 잠금은 기다리는 쪽에 알리지 못합니다 (견고하지 않음). 초기화하세요",
                k(kind)
            ),
            E::AlreadyHeld { kind } => {
                format!("이 인스턴스가 이미 {}을(를) 잡고 있습니다", k(kind))
            }
            E::NotHeld { kind } => format!("이 인스턴스는 {}을(를) 잡고 있지 않습니다", k(kind)),
            E::ResetRefused { kind, pid } => format!(
                "{}을(를) 초기화할 수 없습니다: PID {pid}이(가) 살아 있고 잡고 있습니다",
                k(kind)
            ),
            E::NotRecoverable => {
                "견고한 뮤텍스를 복구할 수 없습니다 (소유자가 죽은 뒤 일관성 복구 없이 \
                 풀렸습니다): 초기화하세요"
                    .into()
            }
            E::Pthread { call, errno } => format!("{call} 실패: {}", errno_ko(*errno)),
            E::RawSync { message } => {
                match message
                    .rsplit(':')
                    .next()
                    .and_then(|n| n.trim().parse().ok())
                {
                    Some(errno) => format!("raw_sync 오류: {}", errno_ko(errno)),
                    None => "raw_sync 오류".into(),
                }
            }
            E::CrashFailed { problem, status } => match problem {
                CrashProblem::NotKilled => format!(
                    "잠금을 잡은 자식 프로세스가 신호 없이 끝났습니다 (종료 코드 {})",
                    status.map_or_else(|| "없음".into(), |c| c.to_string())
                ),
                CrashProblem::TooSlow => {
                    "잠금을 잡은 자식 프로세스가 10초 안에 끝나지 않아 강제로 종료했습니다".into()
                }
            },
            E::OwnerGone => "잠금을 맡은 스레드가 사라졌습니다".into(),
            E::Io { source, .. } => format!("뮤텍스 파일 입출력 실패: {}", io_ko(source)),
        }
    }
}

impl Localized for AcquireReport {
    fn localized(&self, lang: Lang) -> String {
        let ms = self.waited.as_millis();
        let kind = self.kind.localized(lang);
        let mut text = match (lang, self.result) {
            (Lang::En, AcquireResult::Acquired) => format!("acquired {kind} after {ms} ms"),
            (Lang::En, AcquireResult::AcquiredOwnerDied { previous }) => format!(
                "acquired {kind} after {ms} ms; the previous owner ({}) died holding it (WAIT_ABANDONED)",
                previous.map_or_else(|| "PID unknown".into(), |p| format!("PID {p}"))
            ),
            (Lang::En, AcquireResult::TimedOut { holder }) => format!(
                "timed out after {ms} ms: held by {}",
                holder.map_or_else(|| "an unknown process".into(), |p| format!("PID {p}"))
            ),
            (Lang::En, AcquireResult::Stuck { dead_holder }) => format!(
                "stuck: timed out after {ms} ms, and its holder PID {dead_holder} is dead: only a reset frees it"
            ),
            (Lang::Ko, AcquireResult::Acquired) => format!("{ms} ms 만에 {kind}을(를) 잡았습니다"),
            (Lang::Ko, AcquireResult::AcquiredOwnerDied { previous }) => format!(
                "{ms} ms 만에 {kind}을(를) 잡았습니다. 이전 소유자({})가 잡은 채 죽었습니다 (WAIT_ABANDONED)",
                pid_ko(previous)
            ),
            (Lang::Ko, AcquireResult::TimedOut { holder }) => format!(
                "{ms} ms 기다렸지만 시간 초과: {}이(가) 잡고 있습니다",
                pid_ko(holder)
            ),
            (Lang::Ko, AcquireResult::Stuck { dead_holder }) => format!(
                "멈춤: {ms} ms 기다렸지만 시간 초과, 잡고 있던 PID {dead_holder}은(는) 죽었습니다. 초기화해야만 풀립니다"
            ),
        };
        if self.deadline_bug {
            text += lang.pick(
                " (raw_sync's timed wait failed at once with EINVAL, its deadline bug: memlab polled instead)",
                " (raw_sync의 시간 제한 대기가 EINVAL로 곧바로 실패했습니다: 마감 시각 계산 결함. memlab이 대신 폴링했습니다)",
            );
        }
        text
    }
}

impl Localized for MutexState {
    fn localized(&self, lang: Lang) -> String {
        match (lang, *self) {
            (Lang::En, Self::Free) => "free".into(),
            (Lang::En, Self::HeldHere) => "held by this instance".into(),
            (Lang::En, Self::Held { pid }) => format!(
                "held by {}",
                pid.map_or_else(|| "an unknown process".into(), |p| format!("PID {p}"))
            ),
            (Lang::En, Self::Abandoned { pid }) => {
                format!("abandoned: PID {pid} died holding it; the next waiter gets it, told so")
            }
            (Lang::En, Self::Stuck { pid }) => {
                format!("stuck: PID {pid} died holding it; only a reset frees it")
            }
            (Lang::Ko, Self::Free) => "비어 있음".into(),
            (Lang::Ko, Self::HeldHere) => "이 인스턴스가 잡고 있음".into(),
            (Lang::Ko, Self::Held { pid }) => format!("{}이(가) 잡고 있음", pid_ko(pid)),
            (Lang::Ko, Self::Abandoned { pid }) => format!(
                "버려짐: PID {pid}이(가) 잡은 채 죽었습니다. 다음에 기다리는 쪽이 그 사실을 듣고 잡습니다"
            ),
            (Lang::Ko, Self::Stuck { pid }) => {
                format!("멈춤: PID {pid}이(가) 잡은 채 죽었습니다. 초기화해야만 풀립니다")
            }
        }
    }
}

impl Localized for ResetOutcome {
    fn localized(&self, lang: Lang) -> String {
        match (lang, *self) {
            (Lang::En, Self::NothingToReset) => {
                "nothing to reset: the kernel frees a file lock when its holder dies".into()
            }
            (Lang::En, Self::WasFree) => "the lock was free; nothing changed".into(),
            (Lang::En, Self::Reinitialised { dead_holder }) => format!(
                "re-initialised (its holder {} was dead)",
                dead_holder.map_or_else(|| "PID unknown".into(), |p| format!("PID {p}"))
            ),
            (Lang::Ko, Self::NothingToReset) => {
                "초기화할 것이 없습니다: 파일 잠금은 잡은 프로세스가 죽으면 커널이 풉니다".into()
            }
            (Lang::Ko, Self::WasFree) => "잠금이 비어 있어 바꾼 것이 없습니다".into(),
            (Lang::Ko, Self::Reinitialised { dead_holder }) => format!(
                "다시 초기화했습니다 (잡고 있던 {}은(는) 죽었습니다)",
                pid_ko(dead_holder)
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::time::Duration;

    use super::*;

    /// Every FileMapError variant once; the match below has no wildcard, so
    /// a new variant does not compile until it is added here.
    fn file_errors() -> Vec<FileMapError> {
        let path = PathBuf::from("/tmp/데모.bin");
        let io = || io::Error::from_raw_os_error(libc::ENOSPC);
        use FileMapError as E;
        let all = vec![
            E::NotFound { path: path.clone() },
            E::IsADirectory { path: path.clone() },
            E::NotRegularFile { path: path.clone() },
            E::ReadOnly {
                path: path.clone(),
                why: ReadOnlyWhy::NoWriteBit,
            },
            E::ReadOnly {
                path: path.clone(),
                why: ReadOnlyWhy::FileSystem,
            },
            E::PermissionDenied {
                path: path.clone(),
                uid: 65534,
            },
            E::InUse {
                path: path.clone(),
                holder: Some(Holder {
                    pid: 42,
                    program: "memlab".into(),
                }),
                holder_shares: false,
            },
            E::InUse {
                path: path.clone(),
                holder: Some(Holder {
                    pid: 43,
                    program: "cat".into(),
                }),
                holder_shares: true,
            },
            E::InUse {
                path: path.clone(),
                holder: None,
                holder_shares: false,
            },
            E::EmptyFile { path: path.clone() },
            E::DiskFull {
                path: path.clone(),
                file_len: 5,
                requested: 4 << 20,
            },
            E::TooLarge {
                requested: u64::MAX,
            },
            E::FileShortened {
                file_len: 100,
                start: 100,
                end: 8192,
            },
            E::Unbacked {
                view: 1,
                file_offset: 4096,
            },
            E::ViewOutOfRange {
                offset: 0,
                len: 10,
                mapping_size: 5,
            },
            E::OutsideView {
                view: 2,
                at: 5,
                len: 10,
                view_len: 8,
            },
            E::NoViewAt {
                offset: 9000,
                len: 3,
            },
            E::ReadOnlyAccess { op: Op::WriteView },
            E::MappingOpen { size: 4096 },
            E::NoMapping,
            E::MappingClosed,
            E::FileClosed,
            E::ViewClosed { view: 3 },
            E::NoSuchView { view: 9 },
            E::StillMapped {
                views: 2,
                mapping_open: true,
            },
            E::NoDataDir,
            E::Io {
                op: Op::Flush,
                path: path.clone(),
                source: io(),
            },
            E::Io {
                op: Op::DataDir,
                path,
                source: io::Error::new(
                    io::ErrorKind::PermissionDenied,
                    "not a private directory of this user",
                ),
            },
        ];
        for e in &all {
            match e {
                E::NotFound { .. }
                | E::IsADirectory { .. }
                | E::NotRegularFile { .. }
                | E::ReadOnly { .. }
                | E::PermissionDenied { .. }
                | E::InUse { .. }
                | E::EmptyFile { .. }
                | E::DiskFull { .. }
                | E::TooLarge { .. }
                | E::FileShortened { .. }
                | E::Unbacked { .. }
                | E::ViewOutOfRange { .. }
                | E::OutsideView { .. }
                | E::NoViewAt { .. }
                | E::ReadOnlyAccess { .. }
                | E::MappingOpen { .. }
                | E::NoMapping
                | E::MappingClosed
                | E::FileClosed
                | E::ViewClosed { .. }
                | E::NoSuchView { .. }
                | E::StillMapped { .. }
                | E::NoDataDir
                | E::Io { .. } => {}
            }
        }
        all
    }

    fn mutex_errors() -> Vec<MutexError> {
        use MutexError as E;
        let all = vec![
            E::BadName {
                name: "a/b".into(),
                reason: "it contains '/'",
            },
            E::TimedOut {
                kind: MutexKind::FileLock,
                waited_ms: 1000,
                holder: Some(7),
            },
            E::TimedOut {
                kind: MutexKind::Robust,
                waited_ms: 1000,
                holder: None,
            },
            E::Stuck {
                kind: MutexKind::RawSync,
                waited_ms: 1000,
                dead_holder: 8,
            },
            E::AlreadyHeld {
                kind: MutexKind::Robust,
            },
            E::NotHeld {
                kind: MutexKind::RawSync,
            },
            E::ResetRefused {
                kind: MutexKind::RawSync,
                pid: 9,
            },
            E::NotRecoverable,
            E::Pthread {
                call: "pthread_mutex_timedlock",
                errno: libc::EINVAL,
            },
            E::RawSync {
                message: "Failed to acquire mutex : 22".into(),
            },
            E::RawSync {
                message: "Failed to initialize pthread_mutexattr_t".into(),
            },
            E::CrashFailed {
                problem: CrashProblem::NotKilled,
                status: Some(3),
            },
            E::CrashFailed {
                problem: CrashProblem::TooSlow,
                status: None,
            },
            E::OwnerGone,
            E::Io {
                context: "opening the gate",
                source: io::Error::from_raw_os_error(libc::EACCES),
            },
        ];
        for e in &all {
            match e {
                E::BadName { .. }
                | E::TimedOut { .. }
                | E::Stuck { .. }
                | E::AlreadyHeld { .. }
                | E::NotHeld { .. }
                | E::ResetRefused { .. }
                | E::NotRecoverable
                | E::Pthread { .. }
                | E::RawSync { .. }
                | E::CrashFailed { .. }
                | E::OwnerGone
                | E::Io { .. } => {}
            }
        }
        all
    }

    fn notes() -> Vec<Box<dyn Localized>> {
        let report = |result, deadline_bug| AcquireReport {
            kind: MutexKind::Robust,
            result,
            waited: Duration::from_millis(1000),
            deadline_bug,
        };
        vec![
            Box::new(MappingCreated {
                requested: 8192,
                size: 8192,
                file_len_before: 0,
                file_len_after: 8192,
            }),
            Box::new(MappingCreated {
                requested: 100,
                size: 100,
                file_len_before: 8192,
                file_len_after: 8192,
            }),
            Box::new(Unaligned {
                offset: 100,
                granularity: 4096,
                mapped_from: 0,
                raw_mmap: RawCall::Failed {
                    errno: libc::EINVAL,
                },
            }),
            Box::new(Unaligned {
                offset: 100,
                granularity: 4096,
                mapped_from: 0,
                raw_mmap: RawCall::Succeeded,
            }),
            Box::new(report(AcquireResult::Acquired, true)),
            Box::new(report(
                AcquireResult::AcquiredOwnerDied { previous: Some(5) },
                false,
            )),
            Box::new(report(AcquireResult::TimedOut { holder: None }, false)),
            Box::new(report(AcquireResult::Stuck { dead_holder: 5 }, false)),
            Box::new(MutexState::Free),
            Box::new(MutexState::HeldHere),
            Box::new(MutexState::Held { pid: Some(3) }),
            Box::new(MutexState::Abandoned { pid: 3 }),
            Box::new(MutexState::Stuck { pid: 3 }),
            Box::new(ResetOutcome::NothingToReset),
            Box::new(ResetOutcome::WasFree),
            Box::new(ResetOutcome::Reinitialised { dead_holder: None }),
            Box::new(MutexKind::FileLock),
            Box::new(MutexKind::RawSync),
            Box::new(MutexKind::Robust),
        ]
    }

    /// Words that only an English sentence would contain.
    const ENGLISH: &[&str] = &[
        "the", "is", "a", "an", "to", "of", "and", "not", "was", "it", "by", "in", "no", "with",
        "failed", "bytes", "file", "view", "lock", "held", "error", "denied", "such",
    ];

    fn assert_korean(text: &str) {
        assert!(
            text.chars().any(|c| ('가'..='힣').contains(&c)),
            "no Hangul in {text:?}"
        );
        let mut run = 0;
        for token in text.split_whitespace() {
            let word = token.trim_matches(|c: char| c.is_ascii_punctuation());
            assert!(
                !ENGLISH.contains(&word.to_ascii_lowercase().as_str()),
                "English word {word:?} in {text:?}"
            );
            let english = !word.is_empty() && word.chars().all(|c| c.is_ascii_alphabetic());
            run = if english { run + 1 } else { 0 };
            assert!(run < 3, "three English words in a row in {text:?}");
        }
    }

    #[test]
    fn every_error_and_note_reads_in_korean_without_english_sentences() {
        for e in file_errors() {
            let ko = e.localized(Lang::Ko);
            assert_korean(&ko);
            assert_eq!(e.localized(Lang::En), e.to_string());
        }
        for e in mutex_errors() {
            assert_korean(&e.localized(Lang::Ko));
            assert_eq!(e.localized(Lang::En), e.to_string());
        }
        for note in notes() {
            assert_korean(&note.localized(Lang::Ko));
            assert!(!note.localized(Lang::En).is_empty());
        }
    }

    #[test]
    fn the_check_catches_english() {
        let caught = std::panic::catch_unwind(|| assert_korean("파일: the file was shortened"));
        assert!(caught.is_err());
    }
}
