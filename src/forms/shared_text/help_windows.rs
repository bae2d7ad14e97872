//! What the shared text lab teaches on Windows: the book's calls, made as
//! the book makes them (the Linux build's help says what each became there).

use crate::forms::{Call, LabHelp};
use memlab_engine::i18n::Tr;

pub(crate) static HELP: LabHelp = LabHelp {
    section: Tr::new(
        "§5 shared memory = file mapping, and §10 form 2: the shared string (SampleMMF)",
        "§5 공유 메모리 = 파일 매핑, §10 두 번째 폼: 공유 문자열 (SampleMMF)",
    ),
    calls: &[
        Call {
            win32: "CreateFileMapping($FFFFFFFF, nil, PAGE_READWRITE, 0, CharLen + 1, 'SampleMMF')",
            here: Tr::new(
                "The same call: CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, \
                 520, \"Local\\memlab.SampleMMF\"), memory backed by the paging file, in the \
                 session's Local\\ namespace (per user). GetLastError() = ERROR_ALREADY_EXISTS \
                 means another instance made it: this one joins; otherwise it is the creator and \
                 writes the sample string. A name may start with Global\\ (it needs the privilege \
                 SeCreateGlobalPrivilege; without it memlab says so).",
                "같은 호출입니다: CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, \
                 520, \"Local\\memlab.SampleMMF\"). 페이징 파일을 쓰는 메모리이며, 세션의 Local\\ 이름 \
                 공간(사용자별)에 있습니다. GetLastError()가 ERROR_ALREADY_EXISTS이면 다른 인스턴스가 \
                 만든 것이라 연결만 하고, 아니면 만든 쪽이 되어 샘플 문자열을 씁니다. 이름을 Global\\로 \
                 시작할 수도 있습니다(SeCreateGlobalPrivilege 권한이 필요하며, 없으면 memlab이 \
                 알려 줍니다).",
            ),
        },
        Call {
            win32: "MapViewOfFile",
            here: Tr::new(
                "The same call: MapViewOfFile(mapping, FILE_MAP_ALL_ACCESS, 0, 0, 520). The mapping \
                 handle stays open as long as the view: the object's name lives while any instance \
                 holds a handle.",
                "같은 호출입니다: MapViewOfFile(mapping, FILE_MAP_ALL_ACCESS, 0, 0, 520). 매핑 \
                 핸들은 뷰가 있는 동안 열어 둡니다. 어느 인스턴스든 핸들을 쥐고 있는 동안 객체의 이름이 \
                 살아 있습니다.",
            ),
        },
        Call {
            win32: "UnmapViewOfFile + CloseHandle",
            here: Tr::new(
                "The same calls, when the window closes. When the last handle closes, Windows frees \
                 the object: the next instance creates it afresh, with the sample string.",
                "창을 닫을 때 같은 호출을 합니다. 마지막 핸들이 닫히면 Windows가 객체를 없애므로, \
                 다음 인스턴스는 샘플 문자열과 함께 새로 만듭니다.",
            ),
        },
        Call {
            win32: "CreateMutex + WaitForSingleObject(REQUEST_TIMEOUT = 1000) / ReleaseMutex",
            here: Tr::new(
                "The same calls: CreateMutexW(NULL, FALSE, \"Local\\memlab.SampleMMF.LockMap\"), \
                 WaitForSingleObject(LockMap, 1000), ReleaseMutex. WAIT_TIMEOUT shows the book's \
                 1000 ms timeout and the holder's PID; WAIT_ABANDONED (its holder ended while \
                 holding it) is shown with the next load or save. Who is attached: one named mutex \
                 per slot (…SampleMMF.slot.N), held by each instance.",
                "같은 호출입니다: CreateMutexW(NULL, FALSE, \"Local\\memlab.SampleMMF.LockMap\"), \
                 WaitForSingleObject(LockMap, 1000), ReleaseMutex. WAIT_TIMEOUT이면 책의 1000 ms \
                 제한 시간과 잠금을 잡은 PID를 보여 주고, WAIT_ABANDONED(잡은 프로세스가 놓지 않고 \
                 끝남)는 다음 불러오기나 저장하기에서 알려 줍니다. 연결된 인스턴스는 자리마다 하나인 \
                 이름 있는 뮤텍스(…SampleMMF.slot.N)를 각 인스턴스가 쥐고 있는 것으로 압니다.",
            ),
        },
    ],
    try_these: &[
        Tr::new(
            "Open a second window (or run `memlab shared watch` in a terminal), Save here and Load \
             there; then tick Live and watch the other window follow.",
            "창을 하나 더 열고(또는 터미널에서 `memlab shared watch`), 여기서 저장하기를 누른 뒤 \
             저쪽에서 불러오기를 누르세요. 그다음 실시간을 켜고 다른 창이 따라오는 것을 보세요.",
        ),
        Tr::new(
            "Run `memlab shared hold --seconds 60`, then press Load: the form waits, then shows the \
             book's 1000 ms timeout and the holder's PID. End the holder in Task Manager and Load \
             again: WAIT_ABANDONED.",
            "`memlab shared hold --seconds 60`을 실행하고 불러오기를 누르세요. 폼이 기다리다가 책의 \
             1000 ms 제한 시간과 잠금을 잡은 PID를 보여 줍니다. 작업 관리자에서 그 프로세스를 끝내고 \
             다시 불러오면 WAIT_ABANDONED가 보입니다.",
        ),
        Tr::new(
            "Close every window, then open one: the text is the sample again (the object died with \
             its last handle). Or type more than 100 bytes of Hangul: Save keeps whole characters only.",
            "창을 모두 닫았다가 하나를 여세요. 문자열이 다시 샘플입니다(마지막 핸들과 함께 객체가 \
             없어졌습니다). 또는 한글을 100바이트 넘게 입력해 보세요. 저장하기는 온전한 글자만 \
             남깁니다.",
        ),
    ],
};
