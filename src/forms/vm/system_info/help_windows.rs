//! What the system information lab teaches on Windows: GetSystemInfo and
//! GlobalMemoryStatusEx of the chapter (§1, §3), the calls as memlab makes
//! them, and things to try.

use crate::forms::{Call, LabHelp};
use memlab_engine::i18n::Tr;

pub(crate) static HELP: LabHelp = LabHelp {
    section: Tr::new(
        "§1 address space and page states, §3 GetSystemInfo (page size and the application's address range)",
        "§1 주소 공간과 페이지 상태, §3 GetSystemInfo (페이지 크기와 응용 프로그램 주소 범위)",
    ),
    calls: &[
        Call {
            win32: "GetSystemInfo",
            here: Tr::new(
                "called as the book does: dwPageSize, dwAllocationGranularity, lpMinimumApplicationAddress, lpMaximumApplicationAddress, dwNumberOfProcessors and wProcessorArchitecture",
                "책과 같이 호출합니다: dwPageSize, dwAllocationGranularity, lpMinimumApplicationAddress, lpMaximumApplicationAddress, dwNumberOfProcessors, wProcessorArchitecture",
            ),
        },
        Call {
            win32: "GlobalMemoryStatusEx",
            here: Tr::new(
                "called with dwLength set: ullTotalPhys and ullAvailPhys for physical memory, ullTotalVirtual for the user part of the address space",
                "dwLength를 채워 호출합니다: 물리 메모리는 ullTotalPhys와 ullAvailPhys, 주소 공간의 사용자 부분은 ullTotalVirtual",
            ),
        },
        Call {
            win32: "GetPerformanceInfo",
            here: Tr::new(
                "CommitTotal and CommitLimit (in pages of PageSize): the commit charge of the whole system and its limit, RAM plus the paging files",
                "CommitTotal과 CommitLimit (PageSize 크기의 페이지 수): 시스템 전체의 커밋 양과 그 한도, 곧 RAM과 페이징 파일의 합",
            ),
        },
        Call {
            win32: "SetProcessWorkingSetSize (VirtualLock's limit)",
            here: Tr::new(
                "GetProcessWorkingSetSize: this process's minimum and maximum working set; VirtualLock may hold a little less than the minimum, and SetProcessWorkingSetSize raises it",
                "GetProcessWorkingSetSize: 이 프로세스의 최소·최대 작업 집합. VirtualLock은 최소보다 조금 적게 잠글 수 있고, SetProcessWorkingSetSize로 늘립니다",
            ),
        },
    ],
    try_these: &[
        Tr::new(
            "Compare the highest application address with the book's 2 GB (0x7FFEFFFF): how many times larger is a 64-bit process's address space?",
            "가장 높은 응용 프로그램 주소를 책의 2 GB(0x7FFEFFFF)와 비교해 보세요. 64비트 프로세스의 주소 공간은 몇 배나 큰가요?",
        ),
        Tr::new(
            "Read the allocation granularity: 64 KiB, sixteen pages. A reservation of one page still takes 64 KiB of address space.",
            "할당 단위를 읽어 보세요. 64 KiB, 곧 16페이지입니다. 한 페이지만 예약해도 주소 공간은 64 KiB를 차지합니다.",
        ),
        Tr::new(
            "Note the commit charge and its limit, then Refresh after another program started: the charge is the whole system's, and a commit past the limit fails.",
            "커밋 양과 한도를 적어 두고, 다른 프로그램을 시작한 뒤 새로 고치세요. 커밋 양은 시스템 전체의 것이며, 한도를 넘는 커밋은 실패합니다.",
        ),
    ],
};
