//! What the address-space map teaches: the chapter's address space (§1)
//! and VirtualQuery (§3), walked over the whole process as Sysinternals
//! VMMap does, what that became on Linux, and things to try.

use crate::forms::{Call, LabHelp};
use memlab_engine::i18n::Tr;

/// What one refresh reads, for its status line ("... read and named in").
pub(crate) const READ: Tr = Tr::new("smaps read", "smaps 읽기");

/// The line under the heading, for memlab's own map.
pub(crate) const INTRO_SELF: Tr = Tr::new(
    "Every region of memlab's own address space, with memlab's objects named: the private heap, the shared text mapping, the page lab's reservations, the threads' stacks and the bundled font.",
    "memlab 자신의 주소 공간의 모든 영역입니다. 전용 힙, 공유 문자열 매핑, 페이지 실험실의 예약, 스레드 스택, 내장 글꼴처럼 memlab의 객체에는 이름을 붙였습니다.",
);

/// The line under the heading, for another process's map.
pub(crate) const INTRO_OTHER: Tr = Tr::new(
    "Every region of another process's address space, as seen from outside: its files and shared memory by path, its threads' stacks, glibc's malloc arenas, and, in another memlab window, its shared text and the bundled font. A page lab reservation there shows by its address and size.",
    "다른 프로세스의 주소 공간의 모든 영역을 밖에서 본 모습입니다. 파일과 공유 메모리는 경로로, 스레드 스택과 glibc의 malloc 아레나, 그리고 다른 memlab 창이면 그 공유 문자열과 내장 글꼴에 이름을 붙였습니다. 그 창의 페이지 실험실 예약은 주소와 크기로 찾습니다.",
);

pub(crate) static HELP: LabHelp = LabHelp {
    section: Tr::new(
        "§1 the process's address space, and §3 VirtualQuery walked over all of it (as Sysinternals VMMap does)",
        "§1 프로세스의 주소 공간, §3 그 전체를 VirtualQuery로 훑기 (Sysinternals VMMap처럼)",
    ),
    calls: &[
        Call {
            win32: "VirtualQueryEx, region after region",
            here: Tr::new(
                "one read of /proc/self/smaps on a worker thread: every mapping with its addresses, protection, file, and its resident, private, shared and locked bytes; the gaps between mappings are the free regions",
                "작업 스레드에서 /proc/self/smaps를 한 번 읽습니다: 매핑마다 주소, 보호, 파일, 그리고 RAM에 있는 양, 전용, 공유, 잠긴 바이트를 얻습니다. 매핑 사이의 빈틈이 빈 영역입니다",
            ),
        },
        Call {
            win32: "MEM_IMAGE / MEM_MAPPED / MEM_PRIVATE",
            here: Tr::new(
                "a file mapped executable somewhere is an image, any other file a mapped file, /dev/shm and shared anonymous memory shareable, private anonymous memory private data, or reserved when it is PROT_NONE",
                "어딘가에 실행 가능으로 매핑된 파일은 이미지, 그 밖의 파일은 매핑된 파일, /dev/shm과 공유 익명 메모리는 공유 가능, 전용 익명 메모리는 전용 데이터, PROT_NONE이면 예약됨입니다",
            ),
        },
        Call {
            win32: "HeapCreate / GetProcessHeap",
            here: Tr::new(
                "[heap] (brk, glibc's main arena) and memlab's private heap, a 1 GiB reservation of which talc commits a part; both are shown as heap",
                "[heap](brk, glibc의 주 아레나)과 memlab의 전용 힙(talc가 일부를 커밋하는 1 GiB 예약)은 모두 힙으로 보입니다",
            ),
        },
        Call {
            win32: "thread stacks",
            here: Tr::new(
                "Linux no longer labels thread stacks in the maps: memlab finds each one by its thread's stack pointer (/proc/self/task/*/syscall)",
                "리눅스는 이제 맵에 스레드 스택 표시를 하지 않습니다. memlab은 스레드의 스택 포인터(/proc/self/task/*/syscall)로 각 스택을 찾습니다",
            ),
        },
    ],
    try_these: &[
        Tr::new(
            "Refresh, reserve 64 pages in the page lab, come back and Refresh: the new reservation appears in the changes, named after the page lab.",
            "새로 고친 뒤 페이지 실험실에서 64페이지를 예약하고 돌아와 다시 새로 고치세요. 새 예약이 변경 목록에 페이지 실험실 이름으로 나타납니다.",
        ),
        Tr::new(
            "Tick memlab's objects only: the private heap, the shared text mapping, the page lab's reservations, the threads' stacks and the image that holds the bundled font.",
            "\"memlab의 객체만\"을 켜 보세요. 전용 힙, 공유 문자열 매핑, 페이지 실험실의 예약, 스레드 스택, 내장 글꼴이 든 이미지가 보입니다.",
        ),
        Tr::new(
            "Switch the strip to a linear scale: memlab's whole address space is two thin slivers in 128 TiB of free space, where the book's Windows had 2 GB.",
            "띠를 선형 눈금으로 바꿔 보세요. memlab의 주소 공간 전체가 128 TiB의 빈 공간 속 가는 두 줄뿐입니다. 책의 윈도우는 2 GB였습니다.",
        ),
    ],
};
