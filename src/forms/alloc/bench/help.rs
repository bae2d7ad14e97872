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
                "the dispatcher's benchmark loop: the manager chosen below allocates the block and, after the loop has held it, frees it; the loop knows which manager served it, so it skips the address lookup every other free of the program makes, and it counts its pairs once per batch (together 1 to 2 ns a pair less than alloc_with and dealloc, so the figure is the manager's)",
                "디스패처의 벤치마크 루프: 아래에서 고른 관리자가 블록을 할당하고, 루프가 잡고 있던 뒤에 해제합니다. 루프는 어느 관리자가 내주었는지 알므로 프로그램의 다른 해제가 하는 주소 조회를 건너뛰고, 쌍의 집계는 묶음마다 한 번 합니다(합쳐서 alloc_with와 dealloc보다 쌍마다 1~2 ns 적으므로, 수치는 관리자의 것입니다)",
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
                "std::time::Instant, a monotonic clock read in nanoseconds (GetTickCount counts milliseconds in steps of 10 to 16 ms). The book timed one run of 1000 pairs (about 0.03 ms of 4 KB pairs, far below a shared machine's noise); memlab runs an untimed warm-up that calibrates the pairs per sample, then at least 10 samples of about 50 ms each, in a fresh process of its own (memlab bench-child), and shows their median with the quartiles, min-max and outliers; the caption is 1000 pairs at the median",
                "std::time::Instant: 나노초 단위로 읽는 단조 시계입니다 (GetTickCount는 10~16 ms 단위로 밀리초를 셉니다). 책은 1000쌍을 한 번 쟀습니다(4 KB 쌍이면 약 0.03 ms로, 여럿이 쓰는 컴퓨터의 잡음보다 훨씬 작습니다). memlab은 시간을 재지 않는 예열로 표본당 쌍의 수를 맞춘 뒤, 약 50 ms짜리 표본을 10개 이상 자기만의 새 프로세스(memlab bench-child)에서 재고, 그 중앙값을 사분위, 최소-최대, 이상치와 함께 보여 줍니다. 버튼 글자는 중앙값으로 계산한 1000쌍의 시간입니다",
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
            "Press Measure the book's cases under The book's experiment: is the book's conclusion (its own manager fast for small blocks, HeapAlloc for large ones) still true here? The table says which manager plays which part, and why the result differs where it does.",
            "책의 실험에서 책의 경우 재기를 눌러 보세요. 책의 결론(작은 블록은 델파이 관리자, 큰 블록은 HeapAlloc이 빠름)이 여기서도 맞나요? 표는 어느 관리자가 어느 역할인지, 결과가 다르면 왜 다른지 알려 줍니다.",
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
