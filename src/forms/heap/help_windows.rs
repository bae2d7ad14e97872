//! What the heap lab teaches on Windows: the chapter's §4 on the real heap
//! functions, each named as memlab calls it, and things to try.

use crate::forms::{Call, LabHelp};
use memlab_engine::i18n::Tr;

pub(crate) static HELP: LabHelp = LabHelp {
    section: Tr::new(
        "§4 heap functions: HeapCreate reserves the maximum as one block of pages and commits the initial size; the heap commits more as it grows, and gives everything back only at HeapDestroy",
        "§4 힙 함수: HeapCreate는 최대 크기를 연속된 페이지 블록으로 예약하고 초기 크기를 커밋합니다. 힙은 커지면서 더 커밋하고, HeapDestroy에서야 모두 돌려줍니다",
    ),
    calls: &[
        Call {
            win32: "HeapCreate(0, initial, maximum)",
            here: Tr::new(
                "called as written (no HEAP_GENERATE_EXCEPTIONS: a full heap answers NULL, never an exception). Maximum 0 = growable (HEAP_GROWABLE): the heap reserves more ranges itself, and a big block gets a VirtualAlloc of its own",
                "그대로 부릅니다 (HEAP_GENERATE_EXCEPTIONS 없이: 가득 찬 힙은 예외 대신 NULL을 돌려줍니다). 최대 크기 0 = 커지는 힙(HEAP_GROWABLE): 힙이 스스로 범위를 더 예약하고, 큰 블록은 따로 VirtualAlloc을 받습니다",
            ),
        },
        Call {
            win32: "HeapAlloc(HEAP_ZERO_MEMORY) / HeapFree",
            here: Tr::new(
                "called as written. A fixed heap that is full returns NULL: the book's \"memory is short\" (STATUS_NO_MEMORY). On 64-bit Windows a fixed heap's block must also stay under about 1 MiB, whatever its maximum",
                "그대로 부릅니다. 가득 찬 고정 힙은 NULL을 돌려줍니다: 책의 \"메모리가 부족합니다\"(STATUS_NO_MEMORY). 64비트 윈도우에서 고정 힙의 블록은 최대 크기와 상관없이 약 1 MiB보다 작아야 합니다",
            ),
        },
        Call {
            win32: "HeapSize / HeapReAlloc",
            here: Tr::new(
                "called as written; HeapReAlloc with HEAP_REALLOC_IN_PLACE_ONLY fails instead of moving the block",
                "그대로 부릅니다. HEAP_REALLOC_IN_PLACE_ONLY를 준 HeapReAlloc은 블록을 옮기는 대신 실패합니다",
            ),
        },
        Call {
            win32: "HeapValidate / HeapCompact / HeapWalk",
            here: Tr::new(
                "HeapValidate(heap, 0, NULL). The overrun button writes 8 bytes past the block's end, just before the next entry's data: that entry's header (checked committed with VirtualQuery first); after it memlab calls nothing that changes that heap, since Windows ends a process whose heap it finds corrupt. HeapCompact as written; HeapWalk gives the strips: regions, busy and free blocks, uncommitted ranges",
                "HeapValidate(heap, 0, NULL). 넘쳐 쓰기 단추는 블록 끝 너머, 다음 항목의 데이터 바로 앞, 곧 그 항목의 헤더에 8바이트를 씁니다 (먼저 VirtualQuery로 커밋되었는지 봅니다). 그 뒤로 memlab은 그 힙을 바꾸는 함수를 부르지 않습니다: 윈도우는 힙 손상을 찾으면 프로세스를 끝냅니다. HeapCompact는 그대로, HeapWalk로 띠를 그립니다: 영역, 사용 중 블록과 빈 블록, 커밋 안 된 범위",
            ),
        },
        Call {
            win32: "HeapDestroy",
            here: Tr::new(
                "called as written: every range goes back at once. The kernel's view is VirtualQuery (reserved, committed, private) and QueryWorkingSetEx (in RAM); the commit charge is GetPerformanceInfo's CommitTotal (under wine it is the host's used memory, not a commit charge)",
                "그대로 부릅니다: 모든 범위가 한꺼번에 돌아옵니다. 커널의 모습은 VirtualQuery(예약, 커밋, 전용)와 QueryWorkingSetEx(RAM에 있는 것)이고, 커밋 양은 GetPerformanceInfo의 CommitTotal입니다 (wine에서는 커밋 양이 아니라 호스트가 쓰는 메모리입니다)",
            ),
        },
        Call {
            win32: "GetProcessHeap",
            here: Tr::new(
                "the heap Rust's System allocator uses (memlab's default memory manager); its counters come from HeapWalk under HeapLock",
                "Rust의 System 할당자(memlab의 기본 메모리 관리자)가 쓰는 힙이며, 그 수치는 HeapLock을 건 HeapWalk에서 얻습니다",
            ),
        },
    ],
    try_these: &[
        Tr::new(
            "Create a heap of 64 KiB initial, 256 KiB maximum; allocate until it says memory is short. Watch the committed part grow inside the reserved strip",
            "초기 64 KiB, 최대 256 KiB 힙을 만들고 메모리가 부족하다고 할 때까지 할당해 보세요. 예약된 띠 안에서 커밋된 부분이 커지는 것을 보세요",
        ),
        Tr::new(
            "\"Fragment it\", then compare the largest free block with the total free: allocate a block bigger than the largest gap and see the heap commit more instead",
            "\"조각내기\"를 누른 뒤 가장 큰 빈 블록과 전체 빈 크기를 비교하세요. 가장 큰 틈보다 큰 블록을 할당하면 힙이 대신 더 커밋합니다",
        ),
        Tr::new(
            "Overrun a block, then HeapValidate: it answers FALSE and names the entry whose header was hit. Then HeapDestroy and read the working set drop",
            "블록을 넘쳐 쓰고 HeapValidate를 누르세요. FALSE를 돌려주고 헤더가 덮인 항목을 알려 줍니다. 그다음 HeapDestroy로 작업 집합이 줄어드는 것을 보세요",
        ),
    ],
};
