//! What the address-space map teaches on Windows: the chapter's address
//! space (§1) and VirtualQuery (§3), walked over the whole process as
//! Sysinternals VMMap does, with the calls memlab makes for it, and things
//! to try.

use crate::forms::{Call, LabHelp};
use memlab_engine::i18n::Tr;

/// What one refresh reads, for its status line ("... read and named in").
pub(crate) const READ: Tr = Tr::new("VirtualQueryEx walk", "VirtualQueryEx 훑기");

/// The line under the heading, for memlab's own map.
pub(crate) const INTRO_SELF: Tr = Tr::new(
    "Every region of memlab's own address space, as VirtualQueryEx answers it, with memlab's objects named: the private heap, the page lab's reservations, the stack of the thread that walks and the bundled font.",
    "VirtualQueryEx가 답하는 memlab 자신의 주소 공간의 모든 영역입니다. 전용 힙, 페이지 실험실의 예약, 훑는 스레드의 스택, 내장 글꼴처럼 memlab의 객체에는 이름을 붙였습니다.",
);

/// The line under the heading, for another process's map.
pub(crate) const INTRO_OTHER: Tr = Tr::new(
    "Every region of another process's address space, as seen from outside (OpenProcess + VirtualQueryEx): its images and mapped files by path; nothing of its own is named.",
    "다른 프로세스의 주소 공간의 모든 영역을 밖에서(OpenProcess + VirtualQueryEx) 본 모습입니다. 이미지와 매핑된 파일은 경로로 보이고, 그 프로세스의 객체에는 이름을 붙이지 않습니다.",
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
                "VirtualQueryEx from lpMinimumApplicationAddress to lpMaximumApplicationAddress on a worker thread: each answer is a run of pages with the same state (MEM_FREE, MEM_RESERVE, MEM_COMMIT), type and protection; one QueryWorkingSetEx over the committed pages gives the resident, private, shared and locked bytes",
                "작업 스레드에서 lpMinimumApplicationAddress부터 lpMaximumApplicationAddress까지 VirtualQueryEx를 부릅니다. 답 하나는 상태(MEM_FREE, MEM_RESERVE, MEM_COMMIT), 유형, 보호가 같은 페이지의 연속입니다. 커밋된 페이지 전체에 QueryWorkingSetEx를 한 번 불러 RAM에 있는 양, 전용, 공유, 잠긴 바이트를 얻습니다",
            ),
        },
        Call {
            win32: "MEM_IMAGE / MEM_MAPPED / MEM_PRIVATE",
            here: Tr::new(
                "MEM_IMAGE is an image, MEM_MAPPED a mapped file (shareable when no file backs it: the paging file), MEM_PRIVATE private data, or reserved while it is only MEM_RESERVE; K32GetMappedFileNameW names the file of an image or a view",
                "MEM_IMAGE는 이미지, MEM_MAPPED는 매핑된 파일(파일 없이 페이징 파일이 받치면 공유 가능), MEM_PRIVATE는 전용 데이터이고, MEM_RESERVE뿐이면 예약됨입니다. 이미지와 뷰의 파일 이름은 K32GetMappedFileNameW로 얻습니다",
            ),
        },
        Call {
            win32: "HeapCreate / GetProcessHeap",
            here: Tr::new(
                "GetProcessHeaps lists the process heaps: their allocations are shown as heap, as are memlab's own managers' reservations (the private heap that talc commits a part of)",
                "GetProcessHeaps로 프로세스 힙을 찾아 힙으로 보여 줍니다. memlab 관리자들의 예약(talc가 일부를 커밋하는 전용 힙)도 힙입니다",
            ),
        },
        Call {
            win32: "thread stacks",
            here: Tr::new(
                "the stack of the thread that takes the map is the allocation holding one of its locals: its guard page (PAGE_GUARD) and its reserved part show as stack too; other processes' objects are not named",
                "맵을 만드는 스레드의 스택은 그 지역 변수가 든 할당입니다. 가드 페이지(PAGE_GUARD)와 예약된 부분도 스택으로 보입니다. 다른 프로세스의 객체에는 이름을 붙이지 않습니다",
            ),
        },
    ],
    try_these: &[
        Tr::new(
            "Refresh twice: what changed between the two walks is listed under the map, region by region.",
            "두 번 새로 고치세요. 두 번의 훑기 사이에 바뀐 것이 맵 아래에 영역별로 나옵니다.",
        ),
        Tr::new(
            "Tick memlab's objects only: the private heap, this thread's stack with its guard page, and the image that holds the bundled font.",
            "\"memlab의 객체만\"을 켜 보세요. 전용 힙, 가드 페이지가 있는 이 스레드의 스택, 내장 글꼴이 든 이미지가 보입니다.",
        ),
        Tr::new(
            "Switch the strip to a linear scale: memlab's whole address space is a few thin slivers in 128 TiB of free space, where the book's Windows had 2 GB.",
            "띠를 선형 눈금으로 바꿔 보세요. memlab의 주소 공간 전체가 128 TiB의 빈 공간 속 가는 몇 줄뿐입니다. 책의 윈도우는 2 GB였습니다.",
        ),
    ],
};
