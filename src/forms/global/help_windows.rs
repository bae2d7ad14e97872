//! What the Global/Local lab teaches on Windows: the chapter's §2 on the
//! real GlobalAlloc family, each call named as memlab makes it, where
//! Windows answers otherwise than the book's Windows 3.1, and things to try.

use crate::forms::{Call, LabHelp};
use memlab_engine::i18n::Tr;

/// The form's first lines: what this heap is on this OS.
pub(crate) const INTRO: Tr = Tr::new(
    "These are the real GlobalAlloc, GlobalLock, GlobalReAlloc... of Windows, on the process heap; the table shows what GlobalFlags, GlobalSize and GlobalLock answer. LocalAlloc, LocalLock and the other Local calls are the same heap on Win32, so this lab is both. Win32 no longer moves or discards blocks by itself: Compact and Low memory are memlab asking for it. Click a row to choose a handle.",
    "윈도우의 진짜 GlobalAlloc, GlobalLock, GlobalReAlloc 등을 프로세스 힙에서 부릅니다. 표는 GlobalFlags, GlobalSize, GlobalLock이 돌려준 값입니다. Win32에서 LocalAlloc, LocalLock 같은 Local 함수도 같은 힙이므로 이 실험실은 둘 다입니다. Win32는 더 이상 블록을 스스로 옮기거나 버리지 않으므로, 압축과 메모리 부족은 memlab이 그렇게 해 달라고 부르는 것입니다. 줄을 눌러 핸들을 고르세요.",
);

/// What "Compact" does here.
pub(crate) const COMPACT: Tr = Tr::new(
    "GlobalReAlloc(h, GlobalSize(h), GMEM_MOVEABLE) of each unlocked movable block: the heap may move it; fixed and locked blocks are not asked",
    "잠기지 않은 이동 가능한 블록마다 GlobalReAlloc(h, GlobalSize(h), GMEM_MOVEABLE)을 부릅니다: 힙이 옮길 수도 있습니다. 고정 블록과 잠긴 블록에는 부르지 않습니다",
);

/// What "Low memory" does here.
pub(crate) const LOW_MEMORY: Tr = Tr::new(
    "GlobalDiscard of each unlocked discardable block; their handles stay",
    "잠기지 않은 버릴 수 있는 블록마다 GlobalDiscard를 부릅니다. 핸들은 남습니다",
);

pub(crate) static HELP: LabHelp = LabHelp {
    section: Tr::new(
        "§2 global and local memory: GlobalAlloc and LocalAlloc are one heap on Win32. A fixed block is a pointer; a movable block is a handle that GlobalLock turns into a pointer, raising its lock count; unlocked, it may move, and a discardable one may be emptied",
        "§2 글로벌 메모리와 로컬 메모리: Win32에서 GlobalAlloc과 LocalAlloc은 같은 힙입니다. 고정 블록은 포인터이고, 이동 가능한 블록은 핸들이어서 GlobalLock으로 포인터를 얻고 잠금 계수가 올라갑니다. 잠기지 않은 블록은 옮겨질 수 있고, 버릴 수 있는 블록은 비워질 수 있습니다",
    ),
    calls: &[
        Call {
            win32: "GlobalAlloc(GMEM_FIXED / GMEM_MOVEABLE / GMEM_DISCARDABLE, GMEM_ZEROINIT) / LocalAlloc",
            here: Tr::new(
                "called as written, on the process heap (the one Rust's own allocations use). A fixed block's HGLOBAL is its pointer; a movable block's is a handle the heap keeps. memlab fills each block with its handle's letter unless GMEM_ZEROINIT asked for zeros. LocalAlloc is the same call",
                "그대로 부릅니다. 블록은 프로세스 힙(Rust 자신의 할당도 쓰는 힙)에서 옵니다. 고정 블록의 HGLOBAL은 포인터이고, 이동 가능한 블록의 HGLOBAL은 힙이 관리하는 핸들입니다. GMEM_ZEROINIT로 0을 청하지 않으면 memlab이 블록을 핸들의 글자로 채웁니다. LocalAlloc은 같은 호출입니다",
            ),
        },
        Call {
            win32: "GlobalLock / GlobalUnlock",
            here: Tr::new(
                "called as written; the lock count is GlobalFlags' low byte. GlobalUnlock at count 0 fails with ERROR_NOT_LOCKED; a fixed block's GlobalUnlock is no error and its count stays 0; GlobalLock of a discarded block returns NULL (ERROR_DISCARDED). Each row's address is read by GlobalLock then GlobalUnlock",
                "그대로 부릅니다. 잠금 계수는 GlobalFlags의 아래 바이트입니다. 계수 0에서 GlobalUnlock은 ERROR_NOT_LOCKED로 실패합니다. 고정 블록의 GlobalUnlock은 오류가 아니고 계수는 0 그대로입니다. 버려진 블록의 GlobalLock은 NULL을 돌려줍니다(ERROR_DISCARDED). 표의 주소는 GlobalLock 뒤 GlobalUnlock으로 읽습니다",
            ),
        },
        Call {
            win32: "GlobalSize / GlobalFlags / GlobalHandle",
            here: Tr::new(
                "called as written: the block's size (under wine exactly the request); the lock count with GMEM_DISCARDABLE (0x0100) and GMEM_DISCARDED (0x4000); the HGLOBAL of a pointer. GlobalHandle is asked only about addresses a call gave memlab",
                "그대로 부릅니다: 블록의 크기(wine에서는 요청한 크기 그대로), 잠금 계수와 GMEM_DISCARDABLE(0x0100), GMEM_DISCARDED(0x4000), 포인터의 HGLOBAL. GlobalHandle에는 호출이 memlab에 준 주소만 묻습니다",
            ),
        },
        Call {
            win32: "GlobalReAlloc / GlobalDiscard / GlobalFree",
            here: Tr::new(
                "called as written. Growing a locked or fixed block fails without GMEM_MOVEABLE (ERROR_NOT_ENOUGH_MEMORY) and moves it with it; a fixed block's HGLOBAL is then its new pointer. GlobalDiscard is GlobalReAlloc(h, 0, GMEM_MOVEABLE): a locked block is refused. GlobalFree frees even a locked block, as Windows documents; memlab never passes a freed HGLOBAL again (the heap hands the same value to the next block)",
                "그대로 부릅니다. 잠긴 블록이나 고정 블록을 키우는 것은 GMEM_MOVEABLE 없이는 실패하고(ERROR_NOT_ENOUGH_MEMORY), 주면 옮깁니다. 그러면 고정 블록의 HGLOBAL은 새 포인터입니다. GlobalDiscard는 GlobalReAlloc(h, 0, GMEM_MOVEABLE)이며 잠긴 블록은 거절됩니다. 윈도우 문서대로 GlobalFree는 잠긴 블록도 해제합니다. memlab은 해제한 HGLOBAL을 다시 넘기지 않습니다(힙이 같은 값을 다음 블록에 줍니다)",
            ),
        },
        Call {
            win32: "GlobalReAlloc(GMEM_MODIFY)",
            here: Tr::new(
                "GlobalReAlloc(h, 0, GMEM_MODIFY | GMEM_DISCARDABLE) makes a movable block discardable; with GMEM_MOVEABLE a fixed block becomes movable and gets a handle. Under wine, leaving GMEM_DISCARDABLE out does not undo it, and a fixed block made discardable stays as it was",
                "GlobalReAlloc(h, 0, GMEM_MODIFY | GMEM_DISCARDABLE)은 이동 가능한 블록을 버릴 수 있게 합니다. GMEM_MOVEABLE을 주면 고정 블록이 이동 가능해지고 핸들을 받습니다. wine에서는 GMEM_DISCARDABLE을 빼도 되돌아가지 않고, 고정 블록을 버릴 수 있게 하려 해도 그대로입니다",
            ),
        },
        Call {
            win32: "the system: compaction and discarding",
            here: Tr::new(
                "what Windows 3.1 did by itself; Win32 does not. \"Compact\" asks GlobalReAlloc(GMEM_MOVEABLE) with the same size of each unlocked movable block (under wine nothing moves: a heap keeps a block that still fits), \"Low memory\" calls GlobalDiscard on each unlocked discardable block",
                "윈도우 3.1이 스스로 하던 일이며 Win32는 하지 않습니다. \"압축\"은 잠기지 않은 이동 가능한 블록마다 같은 크기로 GlobalReAlloc(GMEM_MOVEABLE)을 부르고(wine에서는 아무것도 옮겨지지 않습니다: 힙은 아직 맞는 블록을 그 자리에 둡니다), \"메모리 부족\"은 잠기지 않은 버릴 수 있는 블록마다 GlobalDiscard를 부릅니다",
            ),
        },
    ],
    try_these: &[
        Tr::new(
            "Allocate a movable block, lock it, then GlobalReAlloc it to 100000 bytes: refused without GMEM_MOVEABLE, moved with it, and the pointer you kept is stale (highlighted). Read through it",
            "이동 가능한 블록을 할당해 잠근 다음 100000바이트로 GlobalReAlloc 해 보세요. GMEM_MOVEABLE이 없으면 거절되고, 있으면 옮겨지며 받아 둔 포인터는 낡은 포인터가 됩니다(강조 표시). 그 포인터로 읽어 보세요",
        ),
        Tr::new(
            "Allocate a discardable block, press Low memory, then GlobalLock it: NULL, until GlobalReAlloc gives it memory again",
            "버릴 수 있는 블록을 할당하고 메모리 부족을 누른 다음 GlobalLock 해 보세요. GlobalReAlloc으로 다시 메모리를 줄 때까지 NULL입니다",
        ),
        Tr::new(
            "Lock a block twice and GlobalFree it: Windows frees it anyway (the book's Windows 3.1 would not). Unlock a block at count 0 to see ERROR_NOT_LOCKED",
            "블록을 두 번 잠그고 GlobalFree 해 보세요. 윈도우는 그래도 해제합니다(책의 윈도우 3.1은 그러지 않았습니다). 계수 0에서 블록을 풀어 ERROR_NOT_LOCKED를 확인하세요",
        ),
    ],
};
