//! The benchmark lab's help: the book's ExamTst2 (§7, with §6's SampleMgr),
//! the calls it used and what each became here, and three things to try.

use crate::forms::{Call, LabHelp};
use memlab_engine::i18n::Tr;

pub(crate) static HELP: LabHelp = LabHelp {
    section: Tr::new(
        "§7, form 1: the allocation benchmark (ExamTst2), against §6's SampleMgr",
        "§7, 폼 1: 메모리 할당 벤치마크 (ExamTst2), §6의 SampleMgr과 비교",
    ),
    calls: &[
        Call {
            win32: "GetMem(P, Size)",
            here: Tr::new(
                "the dispatcher's alloc_with(manager, layout): the manager chosen below allocates, and the block is counted like any other allocation of the program",
                "디스패처의 alloc_with(manager, layout): 아래에서 고른 관리자가 할당하고, 프로그램의 다른 할당처럼 집계됩니다",
            ),
        },
        Call {
            win32: "FreeMem(P)",
            here: Tr::new(
                "dealloc(P, layout): Rust hands the size back on free, where Delphi's FreeMem got only the pointer and its manager had to find the size itself",
                "dealloc(P, layout): Rust는 해제할 때 크기를 함께 넘깁니다. 델파이의 FreeMem은 포인터만 받아서 관리자가 크기를 스스로 알아내야 했습니다",
            ),
        },
        Call {
            win32: "GetTickCount",
            here: Tr::new(
                "std::time::Instant, a monotonic clock read in nanoseconds (GetTickCount counts milliseconds in steps of 10 to 16 ms); it is paused while progress is reported",
                "std::time::Instant: 나노초 단위로 읽는 단조 시계입니다 (GetTickCount는 10~16 ms 단위로 밀리초를 셉니다). 진행 상황을 알리는 동안에는 시간을 재지 않습니다",
            ),
        },
        Call {
            win32: "HeapAlloc / HeapFree (SampleMgr)",
            here: Tr::new(
                "the heap manager: memlab's private heap (talc in one reserved address range), chosen with a radio button instead of a unit listed first in the program's uses clause",
                "heap 관리자: memlab의 전용 힙(예약한 주소 범위 하나 안의 talc)입니다. 프로그램 uses 절 맨 앞에 유닛을 두는 대신 라디오 버튼으로 고릅니다",
            ),
        },
        Call {
            win32: "VirtualAlloc / VirtualFree",
            here: Tr::new(
                "mmap / munmap, which glibc (default) calls for every block from its mmap threshold up (128 KiB at first; see the sweep's explanation)",
                "mmap / munmap: glibc(default)는 mmap 임계값(처음에는 128 KiB) 이상인 블록마다 이것을 부릅니다 (스윕의 설명 참고)",
            ),
        },
    ],
    try_these: &[
        Tr::new(
            "Run 4 KB (book) with each manager, then 4 MB (book): is the book's conclusion (its own manager fast for small blocks, HeapAlloc for large ones) still true here?",
            "관리자마다 4 KB (책)로 실행한 다음 4 MB (책)로 실행해 보세요. 책의 결론(작은 블록은 델파이 관리자, 큰 블록은 HeapAlloc이 빠름)이 여기서도 맞나요?",
        ),
        Tr::new(
            "Tick Touch every page, set 65536 KB and compare the minor faults of default and heap: a fresh mapping every time against committed memory reused.",
            "모든 페이지에 쓰기를 켜고 65536 KB로 default와 heap의 마이너 폴트를 비교해 보세요. 매번 새로 매핑하는 쪽과 커밋된 메모리를 재사용하는 쪽의 차이입니다.",
        ),
        Tr::new(
            "Run the sweep, read where the crossovers fall, and export the CSV to compare machines.",
            "스윕을 실행해 교차점이 어디인지 보고, CSV로 내보내 다른 컴퓨터와 비교해 보세요.",
        ),
    ],
};
