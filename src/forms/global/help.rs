//! What the Global/Local lab teaches: the chapter's §2 (global and local
//! memory), what each call became on Linux, and things to try.

use crate::forms::{Call, LabHelp};
use memlab_engine::i18n::Tr;

/// The form's first lines: what this heap is on this OS.
pub(crate) const INTRO: Tr = Tr::new(
    "Linux has no GlobalAlloc: this is memlab's model of the Win32 global heap, on real memory of this process. LocalAlloc, LocalLock and the other Local calls are the same heap on Win32, so this lab is both. Compact and Low memory do what Windows 3.1 did by itself. Click a row to choose a handle.",
    "리눅스에는 GlobalAlloc이 없습니다. 이것은 이 프로세스의 실제 메모리 위에 만든 memlab의 Win32 글로벌 힙 모형입니다. Win32에서 LocalAlloc, LocalLock 같은 Local 함수도 같은 힙이므로 이 실험실은 둘 다입니다. 압축과 메모리 부족은 윈도우 3.1이 스스로 하던 일을 합니다. 줄을 눌러 핸들을 고르세요.",
);

/// What "Compact" does here.
pub(crate) const COMPACT: Tr = Tr::new(
    "Unlocked movable blocks slide down; fixed and locked blocks stay",
    "잠기지 않은 이동 가능한 블록이 아래로 옮겨지고, 고정 블록과 잠긴 블록은 그대로입니다",
);

/// What "Low memory" does here.
pub(crate) const LOW_MEMORY: Tr = Tr::new(
    "Unlocked discardable blocks are emptied; their handles stay",
    "잠기지 않은 버릴 수 있는 블록을 비웁니다. 핸들은 남습니다",
);

pub(crate) static HELP: LabHelp = LabHelp {
    section: Tr::new(
        "§2 global and local memory: GlobalAlloc and LocalAlloc are one heap on Win32. A fixed block is a pointer; a movable block is a handle that GlobalLock turns into a pointer, raising its lock count; unlocked, the system may move it, and discard it if it is discardable",
        "§2 글로벌 메모리와 로컬 메모리: Win32에서 GlobalAlloc과 LocalAlloc은 같은 힙입니다. 고정 블록은 포인터이고, 이동 가능한 블록은 핸들이어서 GlobalLock으로 포인터를 얻고 잠금 계수가 올라갑니다. 잠기지 않은 블록은 시스템이 옮길 수 있고, 버릴 수 있는 블록이면 버릴 수도 있습니다",
    ),
    calls: &[
        Call {
            win32: "GlobalAlloc(GMEM_FIXED / GMEM_MOVEABLE / GMEM_DISCARDABLE) / LocalAlloc",
            here: Tr::new(
                "memlab's model on real memory: a 16 MiB anonymous mapping (MAP_NORESERVE) is the heap, each block a 16-byte header and its data, first fit. A fixed block's HGLOBAL is its pointer; a movable block's is the address of its entry in memlab's handle table, which holds the block's address. LocalAlloc is the same call on Win32",
                "실제 메모리 위의 memlab 모형: 16 MiB 익명 매핑(MAP_NORESERVE)이 힙이고, 블록마다 16바이트 헤더와 데이터가 처음 맞는 자리에 놓입니다. 고정 블록의 HGLOBAL은 포인터이고, 이동 가능한 블록의 HGLOBAL은 memlab 핸들 표의 항목 주소이며 그 항목에 블록의 주소가 들어 있습니다. Win32에서 LocalAlloc은 같은 호출입니다",
            ),
        },
        Call {
            win32: "GlobalLock / GlobalUnlock",
            here: Tr::new(
                "reads the block's address from its handle-table entry and raises the lock count (at most 255); a fixed block's count stays 0. GlobalUnlock at count 0 is the ERROR_NOT_LOCKED error; locking a discarded block returns NULL",
                "핸들 표 항목에서 블록의 주소를 읽고 잠금 계수를 올립니다(최대 255). 고정 블록의 계수는 0 그대로입니다. 계수 0에서 GlobalUnlock은 ERROR_NOT_LOCKED 오류이고, 버려진 블록을 잠그면 NULL이 돌아옵니다",
            ),
        },
        Call {
            win32: "GlobalSize / GlobalFlags / GlobalHandle",
            here: Tr::new(
                "the size rounded up to 16 bytes (it may exceed the request); the lock count with GMEM_DISCARDABLE and GMEM_DISCARDED; the handle of the block whose data starts at a pointer, looked up in memlab's table",
                "16바이트 배수로 올린 크기(요청보다 클 수 있음). 잠금 계수와 GMEM_DISCARDABLE, GMEM_DISCARDED. 포인터에서 데이터가 시작하는 블록의 핸들을 memlab의 표에서 찾습니다",
            ),
        },
        Call {
            win32: "GlobalReAlloc / GlobalDiscard / GlobalFree",
            here: Tr::new(
                "grows in place if the bytes after the block are free, else moves it (memmove) if it is unlocked and movable, or with GMEM_MOVEABLE even when locked; a discarded block gets memory again, zeroed. GlobalDiscard empties an unlocked movable block and keeps its handle; GlobalFree of a locked block is refused, and a freed handle is stale",
                "블록 뒤의 바이트가 비어 있으면 제자리에서 커지고, 아니면 잠기지 않은 이동 가능한 블록일 때, 또는 GMEM_MOVEABLE을 주면 잠겨 있어도 옮깁니다(memmove). 버려진 블록은 0으로 채운 메모리를 다시 받습니다. GlobalDiscard는 잠기지 않은 이동 가능한 블록을 비우고 핸들은 남깁니다. 잠긴 블록의 GlobalFree는 거절되고, 해제한 핸들은 무효입니다",
            ),
        },
        Call {
            win32: "GMEM_ZEROINIT / GlobalReAlloc(GMEM_MODIFY)",
            here: Tr::new(
                "GMEM_ZEROINIT: the block's bytes start as zeros (without it memlab fills them with the handle's letter). GMEM_MODIFY changes a block's flags, not its size or place: GMEM_DISCARDABLE makes a movable block discardable and its absence undoes that; GMEM_MOVEABLE makes a fixed block movable (it gets a handle-table entry, its bytes stay); a fixed block cannot be discardable",
                "GMEM_ZEROINIT: 블록의 바이트가 0으로 시작합니다 (없으면 memlab이 핸들의 글자로 채웁니다). GMEM_MODIFY는 블록의 크기나 자리가 아니라 플래그를 바꿉니다: GMEM_DISCARDABLE은 이동 가능한 블록을 버릴 수 있게 하고, 빼면 되돌립니다. GMEM_MOVEABLE은 고정 블록을 이동 가능하게 합니다 (핸들 표 항목을 받고 바이트는 그대로). 고정 블록은 버릴 수 있게 될 수 없습니다",
            ),
        },
        Call {
            win32: "the system: compaction and discarding",
            here: Tr::new(
                "what Windows 3.1 did by itself and the book describes; 32-bit Windows no longer does. \"Compact\" slides unlocked movable blocks down (addresses change; fixed and locked blocks stay), \"Low memory\" empties unlocked discardable blocks, and a GlobalAlloc that does not fit compacts, then discards the least recently used",
                "윈도우 3.1이 스스로 하던 일로 책이 설명하는 것이며, 32비트 윈도우는 더 이상 하지 않습니다. \"압축\"은 잠기지 않은 이동 가능한 블록을 아래로 옮기고(주소가 바뀜, 고정 블록과 잠긴 블록은 그대로), \"메모리 부족\"은 잠기지 않은 버릴 수 있는 블록을 비우며, 들어갈 자리가 없는 GlobalAlloc은 압축한 뒤 가장 오래 전에 쓴 블록부터 버립니다",
            ),
        },
    ],
    try_these: &[
        Tr::new(
            "Allocate three movable blocks, lock and unlock the last, free the first, then Compact: the last block's address changes (highlighted) and the pointer you kept is stale. Read through it: it reads another block's bytes or free space",
            "이동 가능한 블록 세 개를 할당하고 마지막 블록을 잠갔다 풀고, 첫 블록을 해제한 다음 압축하세요. 마지막 블록의 주소가 바뀌고(강조 표시) 받아 둔 포인터는 낡은 포인터가 됩니다. 그 포인터로 읽어 보면 다른 블록의 바이트나 빈 공간을 읽습니다",
        ),
        Tr::new(
            "Lock a block and Compact: it stays put. Then GlobalReAlloc it larger, with and without GMEM_MOVEABLE",
            "블록을 잠그고 압축하면 그 블록은 그대로입니다. 그다음 GMEM_MOVEABLE을 주고, 또 주지 않고 GlobalReAlloc으로 키워 보세요",
        ),
        Tr::new(
            "Allocate a discardable block, press Low memory, then GlobalLock it: NULL, until GlobalReAlloc gives it memory again. Unlock twice, or free a locked block, to see the rules",
            "버릴 수 있는 블록을 할당하고 메모리 부족을 누른 다음 GlobalLock 해 보세요. GlobalReAlloc으로 다시 메모리를 줄 때까지 NULL입니다. 두 번 풀거나 잠긴 블록을 해제해서 규칙을 확인하세요",
        ),
    ],
};
