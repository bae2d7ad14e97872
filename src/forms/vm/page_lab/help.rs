//! What the page lab teaches: the chapter's page states (§1) and virtual
//! memory functions (§3), what each call became on Linux, and things to try.

use crate::forms::{Call, LabHelp};
use memlab_engine::i18n::Tr;

pub(crate) static HELP: LabHelp = LabHelp {
    section: Tr::new(
        "§1 page states (free, reserved, committed) and §3 the virtual memory functions",
        "§1 페이지 상태(빈 주소, 예약됨, 커밋됨)와 §3 가상 메모리 함수",
    ),
    calls: &[
        Call {
            win32: "VirtualAlloc(MEM_RESERVE, PAGE_NOACCESS)",
            here: Tr::new(
                "mmap(PROT_NONE): address space only; the commit charge does not move",
                "mmap(PROT_NONE): 주소 공간만 잡습니다. 커밋 양은 변하지 않습니다",
            ),
        },
        Call {
            win32: "VirtualAlloc(MEM_COMMIT, PAGE_READWRITE)",
            here: Tr::new(
                "mprotect(PROT_READ|PROT_WRITE): the kernel counts the pages in the commit charge (Committed_AS); RAM comes only when a page is first touched",
                "mprotect(PROT_READ|PROT_WRITE): 커널이 페이지를 커밋 양(Committed_AS)에 넣습니다. RAM은 페이지를 처음 건드릴 때에야 씁니다",
            ),
        },
        Call {
            win32: "VirtualFree(MEM_DECOMMIT)",
            here: Tr::new(
                "mmap(MAP_FIXED, PROT_NONE) over the range, the only call that gives both the RAM and the charge back; \"Decommit, keep charge\" is madvise(MADV_DONTNEED) + mprotect(PROT_NONE), which frees the RAM but keeps the charge of pages that were written",
                "범위 위에 mmap(MAP_FIXED, PROT_NONE): RAM과 커밋 양을 모두 돌려주는 유일한 호출입니다. \"커밋 해제, 커밋 양 유지\"는 madvise(MADV_DONTNEED) + mprotect(PROT_NONE)로, RAM은 돌려주지만 쓴 적이 있는 페이지의 커밋 양은 남깁니다",
            ),
        },
        Call {
            win32: "VirtualProtect",
            here: Tr::new(
                "mprotect: PAGE_NOACCESS, PAGE_READONLY, PAGE_READWRITE become PROT_NONE, PROT_READ, PROT_READ|PROT_WRITE; committed pages only, as on Windows",
                "mprotect: PAGE_NOACCESS, PAGE_READONLY, PAGE_READWRITE가 PROT_NONE, PROT_READ, PROT_READ|PROT_WRITE가 됩니다. 윈도우처럼 커밋된 페이지에만 됩니다",
            ),
        },
        Call {
            win32: "VirtualLock / VirtualUnlock",
            here: Tr::new(
                "mlock / munlock, up to RLIMIT_MEMLOCK (root is not held to it); past it the kernel says ENOMEM",
                "mlock / munlock: RLIMIT_MEMLOCK까지 (root에는 적용되지 않음). 넘으면 커널이 ENOMEM을 돌려줍니다",
            ),
        },
        Call {
            win32: "*p (reading or writing a byte)",
            here: Tr::new(
                "process_vm_readv / process_vm_writev on memlab itself, which return EFAULT instead of raising SIGSEGV: the access violation is a message. \"Touch in a child process\" does the plain access in a fork of memlab, which dies of SIGSEGV",
                "memlab 자신에게 process_vm_readv / process_vm_writev: SIGSEGV 대신 EFAULT를 돌려주므로 접근 위반이 메시지가 됩니다. \"자식 프로세스에서 접근\"은 memlab을 fork한 자식에서 보통의 접근을 하고, 자식은 SIGSEGV로 죽습니다",
            ),
        },
        Call {
            win32: "VirtualFree(MEM_RELEASE)",
            here: Tr::new(
                "munmap of the whole reservation: its pages are free again",
                "예약 전체를 munmap: 그 페이지들은 다시 빈 주소가 됩니다",
            ),
        },
        Call {
            win32: "VirtualQuery",
            here: Tr::new(
                "memlab's own page table (Linux keeps no committed flag a program can read), mincore for residency and /proc/self/smaps for the kernel's mapping",
                "memlab의 페이지 표(리눅스에는 프로그램이 읽을 수 있는 커밋 표시가 없음), RAM에 있는지는 mincore, 커널의 매핑은 /proc/self/smaps",
            ),
        },
    ],
    try_these: &[
        Tr::new(
            "Reserve 16384 pages (64 MiB): the commit charge does not move. All pages, Commit: it rises by 64 MiB and RSS does not. Write a byte: now RSS rises. Decommit: both come back.",
            "16384페이지(64 MiB)를 예약하세요. 커밋 양은 그대로입니다. 모든 페이지를 커밋하면 커밋 양이 64 MiB 늘지만 RSS는 그대로입니다. 바이트를 쓰면 이제 RSS가 늘어납니다. 커밋 해제하면 둘 다 돌아옵니다.",
        ),
        Tr::new(
            "Commit and write a few pages, then Decommit, keep charge: the pages are reserved again with an amber band, their RAM is back but not their charge. Decommit them once more to give it back.",
            "몇 페이지를 커밋하고 쓴 다음 \"커밋 해제, 커밋 양 유지\"를 누르세요. 페이지는 다시 예약됨이 되고 주황색 띠가 붙습니다. RAM은 돌아왔지만 커밋 양은 아닙니다. 한 번 더 커밋 해제하면 돌려줍니다.",
        ),
        Tr::new(
            "Protect a committed page as read-only and write a byte to it: an access violation, as a message. Then Touch in a child process with write: the child dies of SIGSEGV and memlab lives on.",
            "커밋된 페이지를 읽기 전용으로 바꾸고 바이트를 써 보세요. 접근 위반이 메시지로 나옵니다. 그다음 \"자식 프로세스에서 접근\"을 쓰기로 하면 자식은 SIGSEGV로 죽고 memlab은 살아 있습니다.",
        ),
    ],
};
