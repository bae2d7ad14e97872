//! errno values in Korean.

/// "Permission denied" and its Korean, for tests.
#[cfg(test)]
pub const ACCESS_DENIED: (i32, &str) = (libc::EACCES, "권한이 없습니다");

/// What `errno` means, in Korean.
pub fn what_ko(errno: i32) -> &'static str {
    match errno {
        libc::ENOENT => "경로나 대상이 없습니다",
        libc::EACCES | libc::EPERM => "권한이 없습니다",
        libc::EEXIST => "이미 있습니다",
        libc::ENOTDIR => "디렉터리가 아닌 경로가 있습니다",
        libc::EISDIR => "디렉터리입니다",
        libc::EROFS => "읽기 전용 파일 시스템입니다",
        libc::ENOSPC => "저장 공간이 가득 찼습니다",
        libc::EDQUOT => "디스크 할당량을 넘었습니다",
        libc::EINVAL => "잘못된 인자입니다",
        libc::ENOMEM => "메모리가 모자랍니다",
        libc::EBUSY | libc::EAGAIN => "자원이 사용 중입니다",
        libc::ETIMEDOUT => "시간이 초과되었습니다",
        libc::EINTR => "중단되었습니다",
        libc::EDEADLK => "교착 상태입니다",
        libc::EFBIG => "파일이 너무 큽니다",
        libc::EMFILE | libc::ENFILE => "열린 파일이 너무 많습니다",
        libc::ELOOP => "심볼릭 링크입니다",
        libc::EFAULT => "잘못된 주소입니다",
        libc::EIO => "입출력 오류입니다",
        libc::EOPNOTSUPP => "지원되지 않습니다",
        _ => "운영체제 오류입니다",
    }
}
