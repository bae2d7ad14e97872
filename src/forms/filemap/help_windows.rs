//! What the file-mapping lab teaches on Windows: §8's calls, made as the
//! book makes them, and things to try.

use crate::forms::{Call, LabHelp};
use memlab_engine::i18n::Tr;

pub(crate) static HELP: LabHelp = LabHelp {
    section: Tr::new(
        "§8 file mapping, step by step (and §5: views of one file are coherent)",
        "§8 파일 매핑, 한 단계씩 (그리고 §5: 한 파일의 뷰들은 서로 일관됨)",
    ),
    calls: &[
        Call {
            win32: "CreateFile(..., share mode 0, OPEN_EXISTING / OPEN_ALWAYS)",
            here: Tr::new(
                "CreateFileW with GENERIC_READ | GENERIC_WRITE and share mode 0, as the book advises: while memlab has the file open, any other process that opens it is refused by Windows with ERROR_SHARING_VIOLATION (32), shown as such. \"Share with other instances\" passes FILE_SHARE_READ | FILE_SHARE_WRITE instead. Windows does not say who holds a file.",
                "책이 권하는 대로 GENERIC_READ | GENERIC_WRITE와 공유 모드 0으로 CreateFileW를 부릅니다. memlab이 파일을 연 동안 다른 프로세스가 열려고 하면 Windows가 ERROR_SHARING_VIOLATION(32)으로 거절하고, memlab은 그대로 보여 줍니다. \"다른 인스턴스와 공유\"를 켜면 FILE_SHARE_READ | FILE_SHARE_WRITE를 넘깁니다. Windows는 누가 파일을 잡고 있는지 알려 주지 않습니다.",
            ),
        },
        Call {
            win32: "CreateFileMapping(file, nil, PAGE_READWRITE, sizeHigh, sizeLow, nil)",
            here: Tr::new(
                "CreateFileMappingW, as written: size 0,0 is the file's size (on an empty file that is ERROR_FILE_INVALID), a size larger than the file grows the file (Windows does it, and a full disk fails here with ERROR_DISK_FULL), a smaller one maps only that part.",
                "그대로 CreateFileMappingW입니다. 크기 0,0은 파일 크기이고(빈 파일이면 ERROR_FILE_INVALID), 파일보다 큰 크기는 파일을 늘리며(Windows가 늘리고, 디스크가 가득 차면 여기서 ERROR_DISK_FULL로 실패), 더 작은 크기는 그 부분만 매핑합니다.",
            ),
        },
        Call {
            win32: "MapViewOfFile(Ex)(mapping, FILE_MAP_WRITE, offsetHigh, offsetLow, bytes)",
            here: Tr::new(
                "MapViewOfFile, as written. Offsets must be multiples of the allocation granularity (64 KiB, GetSystemInfo's dwAllocationGranularity): any other is refused by Windows with ERROR_MAPPED_ALIGNMENT (1132). MapViewOfFileEx's base address is left to Windows.",
                "그대로 MapViewOfFile입니다. 오프셋은 할당 단위(64 KiB, GetSystemInfo의 dwAllocationGranularity)의 배수여야 하며, 다른 오프셋은 Windows가 ERROR_MAPPED_ALIGNMENT(1132)로 거절합니다. MapViewOfFileEx의 기준 주소는 Windows에 맡깁니다.",
            ),
        },
        Call {
            win32: "reading and writing through the view's pointer",
            here: Tr::new(
                "copies through ReadProcessMemory/WriteProcessMemory on memlab itself, so a page that cannot be read in is an error message, never an exception. Beside each view, the same bytes by an ordinary ReadFile: equal, since views and reads share one cache.",
                "memlab 자신에게 ReadProcessMemory/WriteProcessMemory로 복사합니다. 그래서 읽어 들일 수 없는 페이지는 예외가 아니라 오류 메시지가 됩니다. 각 뷰 옆에는 같은 바이트를 보통의 ReadFile로 읽어 보여 줍니다. 뷰와 읽기가 같은 캐시를 쓰므로 똑같습니다.",
            ),
        },
        Call {
            win32: "FlushViewOfFile",
            here: Tr::new(
                "FlushViewOfFile on the whole view, timed.",
                "뷰 전체에 FlushViewOfFile을 부르며 걸린 시간을 잽니다.",
            ),
        },
        Call {
            win32: "UnmapViewOfFile, CloseHandle(mapping), CloseHandle(file)",
            here: Tr::new(
                "UnmapViewOfFile and CloseHandle of the mapping: views outlive the mapping's handle, as the book says. memlab closes the file's handle once its last view is unmapped, so the file read beside the views keeps working. Anything used after it was closed is refused by name.",
                "UnmapViewOfFile과 매핑의 CloseHandle입니다. 책에서 말하듯 뷰는 매핑 핸들보다 오래 삽니다. memlab은 마지막 뷰를 매핑 해제할 때 파일 핸들을 닫으므로, 뷰 옆의 파일 읽기는 계속 됩니다. 닫은 것을 쓰면 무엇이 닫혔는지 밝히며 거절합니다.",
            ),
        },
        Call {
            win32: "SetFilePointer + SetEndOfFile",
            here: Tr::new(
                "SetFilePointerEx + SetEndOfFile, as written: while a view of the file is mapped, or its mapping open, here or in another process, Windows refuses it with ERROR_USER_MAPPED_FILE (1224), and memlab says which of its own is in the way.",
                "그대로 SetFilePointerEx + SetEndOfFile입니다. 여기서든 다른 프로세스에서든 파일의 뷰가 매핑되어 있거나 매핑이 열려 있으면 Windows가 ERROR_USER_MAPPED_FILE(1224)로 거절하며, memlab은 자기 쪽에서 무엇이 걸리는지 알려 줍니다.",
            ),
        },
    ],
    try_these: &[
        Tr::new(
            "Create, Create mapping (192K), then map a view at 0 and another at 64K. Go to offset 0x10000 in the first, type hex digits into the second: both views and the file read change at once. Then map a view at offset 4096 and read Windows' answer.",
            "만들기, 매핑 만들기(192K)를 누른 뒤 0과 64K에 뷰를 하나씩 매핑하세요. 첫 뷰에서 0x10000으로 이동하고 둘째 뷰에 16진수를 입력하면, 두 뷰와 파일 읽기가 한꺼번에 바뀝니다. 그다음 오프셋 4096에 뷰를 매핑해 Windows의 답을 읽어 보세요.",
        ),
        Tr::new(
            "Open a second window on the same file: Windows refuses it (ERROR_SHARING_VIOLATION). Tick \"Share with other instances\" in both and open again: what one types appears in the other's view.",
            "같은 파일로 창을 하나 더 열어 보세요. Windows가 거절합니다(ERROR_SHARING_VIOLATION). 두 창 모두 \"다른 인스턴스와 공유\"를 켜고 다시 열면, 한쪽에서 입력한 것이 다른 쪽 뷰에 나타납니다.",
        ),
        Tr::new(
            "With a view mapped, press Set end of file: Windows refuses it (ERROR_USER_MAPPED_FILE). Unmap every view and try again; then try Flush on the unmapped view.",
            "뷰를 매핑한 채 파일 끝 설정을 누르세요. Windows가 거절합니다(ERROR_USER_MAPPED_FILE). 모든 뷰를 매핑 해제하고 다시 해 보세요. 그다음 해제한 뷰에서 플러시를 눌러 보세요.",
        ),
    ],
};
