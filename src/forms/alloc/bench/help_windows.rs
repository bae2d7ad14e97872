//! The benchmark lab's help on Windows: the book's ExamTst2 (§7, with §6's
//! SampleMgr), the calls as made there, and which manager plays which role
//! of the book's experiment (the Linux build's help says what each became
//! there).

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
                "std::time::Instant (QueryPerformanceCounter), read in nanoseconds (GetTickCount counts milliseconds in steps of 10 to 16 ms). The book timed one run of 1000 pairs (about 0.03 ms of 4 KB pairs, far below a shared machine's noise); memlab runs an untimed warm-up that calibrates the pairs per sample, then at least 10 samples of about 50 ms each, in a fresh process of its own (memlab bench-child), and shows their median with the quartiles, min-max and outliers; the caption is 1000 pairs at the median",
                "std::time::Instant(QueryPerformanceCounter): 나노초 단위로 읽습니다 (GetTickCount는 10~16 ms 단위로 밀리초를 셉니다). 책은 1000쌍을 한 번 쟀습니다(4 KB 쌍이면 약 0.03 ms로, 여럿이 쓰는 컴퓨터의 잡음보다 훨씬 작습니다). memlab은 시간을 재지 않는 예열로 표본당 쌍의 수를 맞춘 뒤, 약 50 ms짜리 표본을 10개 이상 자기만의 새 프로세스(memlab bench-child)에서 재고, 그 중앙값을 사분위, 최소-최대, 이상치와 함께 보여 줍니다. 버튼 글자는 중앙값으로 계산한 1000쌍의 시간입니다",
            ),
        },
        Call {
            win32: "HeapAlloc / HeapFree (SampleMgr)",
            here: Tr::new(
                "the default manager: Rust's System allocator is HeapAlloc(GetProcessHeap()) / HeapFree, the very calls of the book's SampleMgr",
                "default 관리자: Rust의 System 할당자가 바로 HeapAlloc(GetProcessHeap()) / HeapFree이며, 책의 SampleMgr과 같은 호출입니다",
            ),
        },
        Call {
            win32: "VirtualAlloc(MEM_RESERVE / MEM_COMMIT)",
            here: Tr::new(
                "the heap manager: memlab's private heap reserves 1 GiB with VirtualAlloc(MEM_RESERVE) and commits it as it grows with VirtualAlloc(MEM_COMMIT), blocks cut by talc, as Delphi's own manager sub-allocates from VirtualAlloc; mimalloc plays the same role with its small-block free lists",
                "heap 관리자: memlab의 전용 힙은 VirtualAlloc(MEM_RESERVE)로 1 GiB를 예약하고 커질 때마다 VirtualAlloc(MEM_COMMIT)으로 커밋하며, 블록은 talc가 나눕니다. 델파이의 메모리 관리자가 VirtualAlloc에서 잘게 나눠 주던 것과 같은 역할이고, mimalloc도 작은 블록 free 리스트로 같은 역할을 합니다",
            ),
        },
    ],
    try_these: &[
        Tr::new(
            "Press Measure the book's cases under The book's experiment: is the book's conclusion (its own manager fast for small blocks, HeapAlloc for large ones) still true here? The table says which manager plays which part, and why the result differs where it does.",
            "책의 실험에서 책의 경우 재기를 눌러 보세요. 책의 결론(작은 블록은 델파이 관리자, 큰 블록은 HeapAlloc이 빠름)이 여기서도 맞나요? 표는 어느 관리자가 어느 역할인지, 결과가 다르면 왜 다른지 알려 줍니다.",
        ),
        Tr::new(
            "Compare default (the process heap, SampleMgr's HeapAlloc) with heap and mimalloc at 1 KB and at 64 MB: where does each win?",
            "1 KB와 64 MB에서 default(프로세스 힙, SampleMgr의 HeapAlloc)를 heap, mimalloc과 비교해 보세요. 어느 쪽이 어디서 이기나요?",
        ),
        Tr::new(
            "Run the sweep, read where the crossovers fall, and export the CSV to compare machines.",
            "스윕을 실행해 교차점이 어디인지 보고, CSV로 내보내 다른 컴퓨터와 비교해 보세요.",
        ),
    ],
};
