//! What the page lab teaches on Windows: the chapter's page states (§1)
//! and virtual memory functions (§3), each called as the book calls it, and
//! things to try.

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
                "called as the book does, with NULL for the address: Windows puts the reservation on a multiple of the 64 KiB allocation granularity; address space only, nothing charged",
                "책과 같이 주소를 NULL로 호출합니다. 윈도우는 예약을 할당 단위 64 KiB의 배수 위치에 둡니다. 주소 공간만 잡고 커밋 양에는 넣지 않습니다",
            ),
        },
        Call {
            win32: "VirtualAlloc(MEM_COMMIT, PAGE_READWRITE)",
            here: Tr::new(
                "called on the chosen pages of the reservation: they count in the commit charge; RAM comes only when a page is first touched",
                "예약에서 고른 페이지에 호출합니다. 페이지가 커밋 양에 들어갑니다. RAM은 페이지를 처음 건드릴 때에야 씁니다",
            ),
        },
        Call {
            win32: "VirtualFree(MEM_DECOMMIT)",
            here: Tr::new(
                "called on the chosen pages (reserved ones among them are fine): RAM and charge go back. \"Decommit, keep charge\" is VirtualAlloc(MEM_RESET) + VirtualProtect(PAGE_NOACCESS): the RAM may go, the charge stays; MEM_RESET wants committed pages, and Windows refuses reserved ones with ERROR_INVALID_ADDRESS",
                "고른 페이지에 호출합니다(그중 예약된 페이지가 있어도 됩니다). RAM과 커밋 양이 돌아옵니다. \"커밋 해제, 커밋 양 유지\"는 VirtualAlloc(MEM_RESET) + VirtualProtect(PAGE_NOACCESS)로, RAM은 돌려줄 수 있지만 커밋 양은 남습니다. MEM_RESET은 커밋된 페이지만 받으므로 예약된 페이지에는 윈도우가 ERROR_INVALID_ADDRESS로 거부합니다",
            ),
        },
        Call {
            win32: "VirtualProtect",
            here: Tr::new(
                "called with PAGE_NOACCESS, PAGE_READONLY or PAGE_READWRITE on committed pages; it returns the old protection, which the log shows",
                "커밋된 페이지에 PAGE_NOACCESS, PAGE_READONLY, PAGE_READWRITE로 호출합니다. 돌려받은 이전 보호 속성을 기록에 보여 줍니다",
            ),
        },
        Call {
            win32: "VirtualLock / VirtualUnlock",
            here: Tr::new(
                "SetProcessWorkingSetSize first raises the minimum and maximum working set by the length, since Windows locks no more than the minimum allows; past it VirtualLock fails with ERROR_WORKING_SET_QUOTA",
                "먼저 SetProcessWorkingSetSize로 최소·최대 작업 집합을 그 길이만큼 늘립니다. 윈도우는 최소 작업 집합이 허락하는 만큼만 잠그기 때문입니다. 넘으면 VirtualLock이 ERROR_WORKING_SET_QUOTA로 실패합니다",
            ),
        },
        Call {
            win32: "*p (reading or writing a byte)",
            here: Tr::new(
                "VirtualQuery, then ReadProcessMemory / WriteProcessMemory on memlab itself where the access is allowed: the access violation is a message. \"Touch in a child process\" starts memlab.exe again (CreateProcessW); it opens memlab (OpenProcess), asks VirtualQueryEx, reads or writes the page with ReadProcessMemory / WriteProcessMemory, or makes the faulting access on a page of its own in the same state and dies of STATUS_ACCESS_VIOLATION (0xC0000005)",
                "VirtualQuery로 확인한 뒤 접근이 허락되면 memlab 자신에게 ReadProcessMemory / WriteProcessMemory를 호출합니다. 접근 위반은 메시지가 됩니다. \"자식 프로세스에서 접근\"은 memlab.exe를 하나 더 띄웁니다(CreateProcessW). 자식은 memlab을 열고(OpenProcess) VirtualQueryEx로 묻고, ReadProcessMemory / WriteProcessMemory로 읽거나 쓰거나, 같은 상태의 자기 페이지에서 폴트가 나는 접근을 하고 STATUS_ACCESS_VIOLATION(0xC0000005)으로 죽습니다",
            ),
        },
        Call {
            win32: "VirtualFree(MEM_RELEASE)",
            here: Tr::new(
                "called with the reservation's base and size 0: the whole reservation goes, its pages are free again",
                "예약의 시작 주소와 크기 0으로 호출합니다. 예약 전체가 사라지고 그 페이지들은 다시 빈 주소가 됩니다",
            ),
        },
        Call {
            win32: "VirtualQuery",
            here: Tr::new(
                "memlab's page table answers as VirtualQuery does (its tests compare the two page by page); QueryWorkingSetEx says which pages are in RAM",
                "memlab의 페이지 표가 VirtualQuery와 같은 답을 냅니다(테스트가 페이지마다 둘을 비교합니다). RAM에 있는 페이지는 QueryWorkingSetEx가 알려 줍니다",
            ),
        },
    ],
    try_these: &[
        Tr::new(
            "Reserve 16384 pages (64 MiB): the commit charge does not move. All pages, Commit: it rises by 64 MiB and the working set does not. Write a byte: now the working set rises. Decommit: both come back.",
            "16384페이지(64 MiB)를 예약하세요. 커밋 양은 그대로입니다. 모든 페이지를 커밋하면 커밋 양이 64 MiB 늘지만 작업 집합은 그대로입니다. 바이트를 쓰면 이제 작업 집합이 늘어납니다. 커밋 해제하면 둘 다 돌아옵니다.",
        ),
        Tr::new(
            "Commit and write a few pages, then Decommit, keep charge: the pages are reserved again with an amber band, their RAM may go but not their charge. Decommit them once more to give it back.",
            "몇 페이지를 커밋하고 쓴 다음 \"커밋 해제, 커밋 양 유지\"를 누르세요. 페이지는 다시 예약됨이 되고 주황색 띠가 붙습니다. RAM은 돌려줄 수 있지만 커밋 양은 아닙니다. 한 번 더 커밋 해제하면 돌려줍니다.",
        ),
        Tr::new(
            "Protect a committed page as read-only and write a byte to it: an access violation, as a message. Then Touch in a child process with write: the child dies of STATUS_ACCESS_VIOLATION and memlab lives on. On a read-write page the child's write lands in memlab: read the byte back.",
            "커밋된 페이지를 읽기 전용으로 바꾸고 바이트를 써 보세요. 접근 위반이 메시지로 나옵니다. 그다음 \"자식 프로세스에서 접근\"을 쓰기로 하면 자식은 STATUS_ACCESS_VIOLATION으로 죽고 memlab은 살아 있습니다. 읽기/쓰기 페이지라면 자식이 쓴 값이 memlab에 들어옵니다. 바이트를 다시 읽어 보세요.",
        ),
    ],
};

#[cfg(test)]
mod tests {
    use super::HELP;
    use crate::forms::vm::page_lab::os_text;

    /// The help and the lab's own words name the Win32 calls memlab makes
    /// on Windows, in both languages, and none of Linux's.
    #[test]
    fn the_words_name_the_calls_made_on_windows_and_none_of_linux() {
        let texts: Vec<(&str, &str)> = HELP
            .calls
            .iter()
            .map(|c| c.here)
            .chain(HELP.try_these.iter().copied())
            .chain([
                os_text::INTRO,
                os_text::CHILD,
                os_text::KEEP_CHARGE,
                os_text::LOG_EMPTY,
                os_text::RSS_ROW,
            ])
            .map(|tr| (tr.en, tr.ko))
            .collect();
        for linux in [
            "mmap",
            "mprotect",
            "madvise",
            "mlock",
            "munmap",
            "mincore",
            "smaps",
            "fork",
            "SIGSEGV",
            "process_vm",
            "RLIMIT",
            "RSS",
            "Linux",
            "리눅스",
        ] {
            for (en, ko) in &texts {
                assert!(
                    !en.contains(linux) && !ko.contains(linux),
                    "{linux}: {en} / {ko}"
                );
            }
        }
        for call in [
            "VirtualAlloc(MEM_RESET)",
            "VirtualProtect(PAGE_NOACCESS)",
            "SetProcessWorkingSetSize",
            "ERROR_WORKING_SET_QUOTA",
            "QueryWorkingSetEx",
            "CreateProcessW",
            "OpenProcess",
            "VirtualQueryEx",
            "ReadProcessMemory",
            "WriteProcessMemory",
            "STATUS_ACCESS_VIOLATION",
        ] {
            assert!(texts.iter().any(|(en, _)| en.contains(call)), "{call} (en)");
            assert!(texts.iter().any(|(_, ko)| ko.contains(call)), "{call} (ko)");
        }
    }
}
