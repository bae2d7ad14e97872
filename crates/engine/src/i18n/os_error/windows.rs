//! Win32 error codes (`GetLastError`) in Korean.

use windows_sys::Win32::Foundation::{
    ERROR_ACCESS_DENIED, ERROR_ALREADY_EXISTS, ERROR_DISK_FULL, ERROR_FILE_EXISTS,
    ERROR_FILE_NOT_FOUND, ERROR_HANDLE_DISK_FULL, ERROR_INVALID_HANDLE, ERROR_INVALID_NAME,
    ERROR_INVALID_PARAMETER, ERROR_LOCK_VIOLATION, ERROR_MAPPED_ALIGNMENT, ERROR_NOT_ENOUGH_MEMORY,
    ERROR_NOT_LOCKED, ERROR_OUTOFMEMORY, ERROR_PATH_NOT_FOUND, ERROR_SHARING_VIOLATION,
    ERROR_TOO_MANY_OPEN_FILES, ERROR_USER_MAPPED_FILE, ERROR_WORKING_SET_QUOTA, WAIT_TIMEOUT,
};

/// `ERROR_ACCESS_DENIED` and its Korean, for tests.
#[cfg(test)]
pub const ACCESS_DENIED: (i32, &str) = (ERROR_ACCESS_DENIED as i32, "액세스가 거부되었습니다");

/// What the Win32 error `code` means, in Korean.
pub fn what_ko(code: i32) -> &'static str {
    match code as u32 {
        ERROR_FILE_NOT_FOUND => "파일이나 개체가 없습니다",
        ERROR_PATH_NOT_FOUND => "경로가 없습니다",
        ERROR_ACCESS_DENIED => "액세스가 거부되었습니다",
        ERROR_INVALID_HANDLE => "잘못된 핸들입니다 (다른 종류의 개체일 수 있습니다)",
        ERROR_NOT_ENOUGH_MEMORY | ERROR_OUTOFMEMORY => "메모리가 모자랍니다",
        ERROR_TOO_MANY_OPEN_FILES => "열린 파일이 너무 많습니다",
        ERROR_SHARING_VIOLATION => "다른 프로세스가 파일을 쓰고 있습니다 (공유 위반)",
        ERROR_LOCK_VIOLATION => "다른 프로세스가 파일의 일부를 잠갔습니다",
        ERROR_NOT_LOCKED => "잠기지 않은 범위입니다",
        ERROR_DISK_FULL | ERROR_HANDLE_DISK_FULL => "디스크가 가득 찼습니다",
        ERROR_FILE_EXISTS | ERROR_ALREADY_EXISTS => "이미 있습니다",
        ERROR_INVALID_PARAMETER => "잘못된 인자입니다",
        ERROR_INVALID_NAME => "잘못된 이름입니다",
        WAIT_TIMEOUT => "시간이 초과되었습니다",
        ERROR_MAPPED_ALIGNMENT => "오프셋이 할당 단위(64 KiB)의 배수가 아닙니다",
        ERROR_USER_MAPPED_FILE => "매핑된 뷰가 열려 있는 파일입니다",
        ERROR_WORKING_SET_QUOTA => "작업 집합 한도를 넘었습니다",
        _ => "운영체제 오류입니다",
    }
}
