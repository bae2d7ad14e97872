//! What the ShareMem lab teaches: the chapter's §6 (Delphi's memory manager
//! and ShareMem), what each part became here, and things to try.

use crate::forms::{Call, LabHelp};
use memlab_engine::i18n::Tr;

pub(crate) static HELP: LabHelp = LabHelp {
    section: Tr::new(
        "§6 Delphi's memory manager: a DLL has a memory manager of its own, so a string it allocates must not be freed by the program, unless both use one manager. ShareMem, first in the uses clause, makes borlndmm.dll's manager theirs with SetMemoryManager",
        "§6 델파이의 메모리 관리자: DLL은 자기 메모리 관리자를 가지므로, DLL이 할당한 문자열을 프로그램이 해제하면 안 됩니다. 둘이 한 관리자를 쓸 때만 됩니다. uses 절 맨 앞의 ShareMem은 SetMemoryManager로 borlndmm.dll의 관리자를 둘의 관리자로 만듭니다",
    ),
    calls: &[
        Call {
            win32: "LoadLibrary / GetProcAddress (the DLL)",
            here: Tr::new(
                "memlab's own library (crates/sharemem-dll, built with memlab), loaded at run time with the libloading crate: dlopen and dlsym on Linux, LoadLibraryW and GetProcAddress on Windows. It is looked for in the deps folder beside memlab, then beside it",
                "memlab과 함께 빌드되는 memlab의 라이브러리(crates/sharemem-dll)를 실행 중에 libloading 크레이트로 불러옵니다: 리눅스에서는 dlopen과 dlsym, 윈도우에서는 LoadLibraryW와 GetProcAddress. memlab 옆의 deps 폴더에서, 그다음 memlab 옆에서 찾습니다",
            ),
        },
        Call {
            win32: "the DLL's own memory manager (GetMem / FreeMem)",
            here: Tr::new(
                "the library's own manager: the talc crate over a 1 MiB arena in the library's image, each block with a header holding its size (FreeMem takes no size), and its own AllocMemCount",
                "라이브러리 자신의 관리자: 라이브러리 이미지 안의 1 MiB 아레나 위의 talc 크레이트로, 블록마다 크기를 담은 헤더가 있고(FreeMem은 크기를 받지 않음) AllocMemCount도 따로 셉니다",
            ),
        },
        Call {
            win32: "ShareMem: SetMemoryManager with borlndmm.dll's functions",
            here: Tr::new(
                "the lab hands the library the program's GetMem, FreeMem and AllocMemCount (sm_set_memory_manager): blocks of memlab's private heap, the dispatcher's heap manager. From then on the library's strings are the program's blocks",
                "실험실은 라이브러리에 프로그램의 GetMem, FreeMem, AllocMemCount를 넘깁니다(sm_set_memory_manager): memlab의 전용 힙, 곧 디스패처의 힙 관리자 블록입니다. 그 뒤로 라이브러리의 문자열은 프로그램의 블록입니다",
            ),
        },
        Call {
            win32: "FreeMem of a block of another manager",
            here: Tr::new(
                "done safely twice: memlab's dispatcher knows its managers' address ranges and refuses the library's block without freeing it; and a child process (memlab's own exe) really frees one with the program's manager, and the lab shows how it ended (glibc aborts with its message; Windows may end it with STATUS_HEAP_CORRUPTION or say nothing)",
                "두 번, 안전하게 합니다: memlab의 디스패처는 자기 관리자들의 주소 범위를 알기에 라이브러리의 블록을 해제하지 않고 거절합니다. 그리고 자식 프로세스(memlab 자신)가 그런 블록을 프로그램의 관리자로 정말 해제하고, 실험실은 그 끝을 보여 줍니다(glibc는 메시지를 남기고 abort하고, 윈도우는 STATUS_HEAP_CORRUPTION으로 끝내거나 아무 말도 하지 않을 수 있습니다)",
            ),
        },
        Call {
            win32: "the DLL frees a string the program made",
            here: Tr::new(
                "the other way: memlab makes a string with its manager and hands it to the library, which frees it with its current manager (sm_take_string). With ShareMem that is the program's manager: freed. Without it, the library's own manager finds the pointer outside its arena and refuses it untouched, and memlab frees its string itself",
                "반대 방향: memlab이 자기 관리자로 문자열을 만들어 라이브러리에 넘기고, 라이브러리는 지금의 관리자로 그것을 해제합니다(sm_take_string). ShareMem을 쓰면 그 관리자는 프로그램의 것이므로 해제됩니다. 쓰지 않으면 라이브러리 자신의 관리자가 포인터가 자기 아레나 밖에 있음을 보고 건드리지 않은 채 거절하고, memlab이 자기 문자열을 직접 해제합니다",
            ),
        },
    ],
    try_these: &[
        Tr::new(
            "Press \"With ShareMem\": the library's string is a block of memlab's private heap, memlab frees it, and both AllocMemCounts go 0, 1, 0 together",
            "\"ShareMem 사용\"을 누르세요. 라이브러리의 문자열은 memlab 전용 힙의 블록이고, memlab이 해제하며, 두 AllocMemCount가 함께 0, 1, 0으로 움직입니다",
        ),
        Tr::new(
            "Press \"Without ShareMem\": the string lies in the library's own arena; memlab's FreeMem refuses it, and the library's count stays 1 until the library frees it itself",
            "\"ShareMem 없음\"을 누르세요. 문자열은 라이브러리 자신의 아레나에 있고, memlab의 FreeMem은 이를 거절하며, 라이브러리가 직접 해제할 때까지 라이브러리의 계수는 1로 남습니다",
        ),
        Tr::new(
            "Then read the other way, a string the program made: with ShareMem the library frees it and both counts go 1, 0; without it the library's FreeMem refuses it and the program's count stays 1 until memlab frees it",
            "이어서 반대 방향, 프로그램이 만든 문자열을 읽어 보세요. ShareMem을 쓰면 라이브러리가 해제하고 두 계수가 함께 1, 0으로 움직입니다. 쓰지 않으면 라이브러리의 FreeMem이 거절하고, memlab이 해제할 때까지 프로그램의 계수는 1로 남습니다",
        ),
        Tr::new(
            "Read what happened to the child process that freed such a string for real, and its C library's message",
            "그런 문자열을 정말 해제한 자식 프로세스에 무슨 일이 일어났는지, 그 C 라이브러리의 메시지를 읽어 보세요",
        ),
    ],
};
