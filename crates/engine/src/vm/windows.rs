//! Windows' half of the virtual-memory module: the Win32 call each
//! operation is made with, and Win32 error names.

use super::Operation;

/// The Win32 call `op` is made with on Windows.
pub(super) fn os_call(op: Operation) -> &'static str {
    match op {
        Operation::Reserve => "VirtualAlloc(NULL, len, MEM_RESERVE, PAGE_NOACCESS)",
        Operation::Commit => "VirtualAlloc(addr, len, MEM_COMMIT, PAGE_READWRITE)",
        Operation::Decommit => "VirtualFree(addr, len, MEM_DECOMMIT)",
        Operation::DecommitKeepCharge => "VirtualAlloc(MEM_RESET) + VirtualProtect(PAGE_NOACCESS)",
        Operation::Protect => "VirtualProtect",
        Operation::Lock => "SetProcessWorkingSetSize + VirtualLock",
        Operation::Unlock => "VirtualUnlock",
        Operation::ReadByte => "VirtualQuery + ReadProcessMemory(GetCurrentProcess())",
        Operation::WriteByte => "VirtualQuery + WriteProcessMemory(GetCurrentProcess())",
        Operation::Release => "VirtualFree(base, 0, MEM_RELEASE)",
        // The table answers as VirtualQuery would (the tests check it
        // against VirtualQuery); what is in RAM comes from the call.
        Operation::Query => "QueryWorkingSetEx",
        Operation::TouchInChild => {
            "CreateProcessW(memlab.exe vm-child) + OpenProcess + VirtualQueryEx + \
             ReadProcessMemory / WriteProcessMemory, or *p (STATUS_ACCESS_VIOLATION)"
        }
        Operation::SystemInfo => {
            "GetSystemInfo + GlobalMemoryStatusEx + GetPerformanceInfo + GetProcessWorkingSetSize"
        }
        Operation::AddressSpaceMap => "VirtualQueryEx + K32GetMappedFileNameW + QueryWorkingSetEx",
    }
}

/// The name of a Win32 error that memory calls return, e.g.
/// `ERROR_NOT_ENOUGH_MEMORY`.
pub fn error_name(code: i32) -> Option<&'static str> {
    Some(match code {
        2 => "ERROR_FILE_NOT_FOUND",
        5 => "ERROR_ACCESS_DENIED",
        6 => "ERROR_INVALID_HANDLE",
        8 => "ERROR_NOT_ENOUGH_MEMORY",
        87 => "ERROR_INVALID_PARAMETER",
        122 => "ERROR_INSUFFICIENT_BUFFER",
        158 => "ERROR_NOT_LOCKED",
        299 => "ERROR_PARTIAL_COPY",
        487 => "ERROR_INVALID_ADDRESS",
        998 => "ERROR_NOACCESS",
        1453 => "ERROR_WORKING_SET_QUOTA",
        1455 => "ERROR_COMMITMENT_LIMIT",
        _ => return None,
    })
}

/// A Win32 error as the Korean messages name it:
/// `ERROR_INVALID_PARAMETER, Win32 오류 87`.
pub(super) fn error_label(code: i32) -> String {
    match error_name(code) {
        Some(name) => format!("{name}, Win32 오류 {code}"),
        None => format!("Win32 오류 {code}"),
    }
}

#[cfg(test)]
mod tests {
    use crate::i18n::{Lang, Localized};
    use crate::vm::ReadError;

    #[test]
    fn a_failed_query_names_the_call_and_the_error_in_both_languages() {
        let e = ReadError {
            file: "GetPerformanceInfo",
            errno: Some(87),
        };
        let en = e.localized(Lang::En);
        assert!(en.starts_with("cannot read GetPerformanceInfo: "), "{en}");
        let ko = e.localized(Lang::Ko);
        assert!(
            ko.contains("GetPerformanceInfo")
                && ko.contains("ERROR_INVALID_PARAMETER, Win32 오류 87"),
            "{ko}"
        );
        assert!(ko.contains("읽을 수 없습니다"), "{ko}");
    }
}
