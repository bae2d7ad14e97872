//! What the heap lab teaches: the chapter's §4 (heap functions), what each
//! call became on Linux, and things to try.

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
                "memlab's model on real memory: mmap(PROT_NONE) of the maximum (reserved: no commit charge), mprotect(PROT_READ|PROT_WRITE) of the initial size (committed: charged). Maximum 0 = growable: memlab reserves 1 MiB and more ranges later",
                "실제 메모리 위의 memlab 모형: 최대 크기를 mmap(PROT_NONE) (예약: 커밋 양 없음), 초기 크기를 mprotect(PROT_READ|PROT_WRITE) (커밋: 커밋 양에 들어감). 최대 크기 0 = 커지는 힙: memlab이 1 MiB를 예약하고 나중에 범위를 더 예약합니다",
            ),
        },
        Call {
            win32: "HeapAlloc(HEAP_ZERO_MEMORY) / HeapFree",
            here: Tr::new(
                "a block with a 16-byte header and tail check bytes, first fit in memlab's block table; when nothing fits, mprotect commits more pages inside the range. A fixed heap that is full says \"memory is short\" (STATUS_NO_MEMORY). Blocks never move; HeapFree joins free neighbours and keeps the pages committed",
                "16바이트 헤더와 꼬리 검사 바이트가 붙은 블록을 memlab의 블록 표에서 처음 맞는 자리에 둡니다. 맞는 자리가 없으면 mprotect로 범위 안의 페이지를 더 커밋합니다. 가득 찬 고정 힙은 \"메모리가 부족합니다\"(STATUS_NO_MEMORY)라고 답합니다. 블록은 움직이지 않고, HeapFree는 이웃한 빈 블록을 합치며 페이지는 커밋된 채로 둡니다",
            ),
        },
        Call {
            win32: "HeapSize / HeapReAlloc",
            here: Tr::new(
                "the size in the block's header; HeapReAlloc grows into the free bytes after the block, else moves it (copy, free). With HEAP_REALLOC_IN_PLACE_ONLY it fails instead of moving",
                "블록 헤더에 적힌 크기. HeapReAlloc은 블록 뒤의 빈 바이트로 커지고, 안 되면 블록을 옮깁니다(복사 후 해제). HEAP_REALLOC_IN_PLACE_ONLY를 주면 옮기는 대신 실패합니다",
            ),
        },
        Call {
            win32: "HeapValidate / HeapCompact / HeapWalk",
            here: Tr::new(
                "every header and tail check byte read back (the overrun button writes 8 bytes past a block's end); the largest free block; memlab's table in address order: busy, free and uncommitted ranges",
                "모든 헤더와 꼬리 검사 바이트를 다시 읽습니다(넘쳐 쓰기 단추는 블록 끝 너머에 8바이트를 씁니다). 가장 큰 빈 블록. 주소 순서의 memlab 블록 표: 사용 중, 빈 블록, 커밋 안 된 범위",
            ),
        },
        Call {
            win32: "HeapDestroy",
            here: Tr::new(
                "munmap of every range: the commit charge (Committed_AS) and the RAM go back at once, as the figures show",
                "모든 범위를 munmap: 커밋 양(Committed_AS)과 RAM이 한꺼번에 돌아옵니다. 수치에서 볼 수 있습니다",
            ),
        },
        Call {
            win32: "GetProcessHeap",
            here: Tr::new(
                "glibc's malloc heap; its counters are mallinfo2(). Checked against the kernel: each heap's sizes in /proc/self/smaps",
                "glibc의 malloc 힙이며, 그 수치는 mallinfo2()입니다. 커널과 맞춰 봅니다: 각 힙의 크기를 /proc/self/smaps에서",
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
            "Overrun a block, then HeapValidate: the damaged block turns red. Then HeapDestroy and read the commit charge and RSS drop",
            "블록을 넘쳐 쓰고 HeapValidate를 누르세요. 손상된 블록이 빨갛게 됩니다. 그다음 HeapDestroy로 커밋 양과 RSS가 줄어드는 것을 보세요",
        ),
    ],
};
