//! What the system information lab teaches: GetSystemInfo and
//! GlobalMemoryStatusEx of the chapter (§1, §3), what each became on
//! Linux, and things to try.

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
                "sysconf(_SC_PAGESIZE) and sysconf(_SC_NPROCESSORS_ONLN); the lowest address from /proc/sys/vm/mmap_min_addr; the highest from the top of user space, just above the main stack in /proc/self/maps",
                "sysconf(_SC_PAGESIZE)와 sysconf(_SC_NPROCESSORS_ONLN); 가장 낮은 주소는 /proc/sys/vm/mmap_min_addr에서, 가장 높은 주소는 /proc/self/maps에서 메인 스택 바로 위인 사용자 공간의 끝에서 얻습니다",
            ),
        },
        Call {
            win32: "dwAllocationGranularity",
            here: Tr::new(
                "nothing: Linux has no allocation granularity, a mapping may start on any page; Windows starts every reservation on a multiple of 64 KiB",
                "없음: 리눅스에는 할당 단위가 없어 매핑이 어느 페이지에서나 시작할 수 있습니다. 윈도우는 예약을 언제나 64 KiB의 배수에서 시작합니다",
            ),
        },
        Call {
            win32: "GlobalMemoryStatusEx",
            here: Tr::new(
                "/proc/meminfo: MemTotal and MemAvailable for physical memory, Committed_AS and CommitLimit for the commit charge and its limit",
                "/proc/meminfo: 물리 메모리는 MemTotal과 MemAvailable, 커밋 양과 그 한도는 Committed_AS와 CommitLimit",
            ),
        },
        Call {
            win32: "SetProcessWorkingSetSize (VirtualLock's limit)",
            here: Tr::new(
                "getrlimit(RLIMIT_MEMLOCK): how much mlock may hold; root (CAP_IPC_LOCK) is not held to it",
                "getrlimit(RLIMIT_MEMLOCK): mlock으로 잠글 수 있는 양. root(CAP_IPC_LOCK)에는 적용되지 않습니다",
            ),
        },
    ],
    try_these: &[
        Tr::new(
            "Compare the highest application address with the book's 2 GB (0x7FFEFFFF): how many times larger is this address space?",
            "가장 높은 응용 프로그램 주소를 책의 2 GB(0x7FFEFFFF)와 비교해 보세요. 이 주소 공간은 몇 배나 큰가요?",
        ),
        Tr::new(
            "Note the commit charge, commit 64 MiB in the page lab, then Refresh here: the charge grew by that much, though no RAM was used yet.",
            "커밋 양을 적어 두고 페이지 실험실에서 64 MiB를 커밋한 뒤 여기서 새로 고치세요. 아직 RAM을 쓰지 않았는데도 커밋 양이 그만큼 늘었습니다.",
        ),
        Tr::new(
            "Read the overcommit mode: in mode 0 the commit limit is only advice; in mode 2 (as on Windows) a commit past it fails.",
            "오버커밋 모드를 읽어 보세요. 모드 0에서 커밋 한도는 참고일 뿐이고, 모드 2(윈도우와 같음)에서는 한도를 넘는 커밋이 실패합니다.",
        ),
    ],
};
