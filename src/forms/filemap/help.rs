//! What the file-mapping lab teaches: §8's calls and what each became here,
//! and things to try.

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
                "open, then flock(LOCK_EX) on the file itself, so a second memlab is told \"in use by memlab PID N\" (the PID comes from /proc/locks). \"Share with other instances\" takes LOCK_SH instead. The kernel drops the lock when its holder dies.",
                "파일을 연 뒤 그 파일에 flock(LOCK_EX)을 겁니다. 그래서 두 번째 memlab은 \"memlab PID N이 사용 중\"이라는 말을 듣습니다(PID는 /proc/locks에서 읽음). \"다른 인스턴스와 공유\"를 켜면 LOCK_SH를 겁니다. 잡은 프로세스가 죽으면 커널이 잠금을 풉니다.",
            ),
        },
        Call {
            win32: "CreateFileMapping(file, nil, PAGE_READWRITE, sizeHigh, sizeLow, nil)",
            here: Tr::new(
                "Linux has no mapping object: a size check, and for a larger size posix_fallocate grows the file with its blocks reserved, so a full disk is an error now, not a SIGBUS later. Size 0 means the file's size; on an empty file that is Windows' ERROR_FILE_INVALID.",
                "Linux에는 매핑 객체가 없습니다. 크기를 검사하고, 더 큰 크기면 posix_fallocate로 블록까지 확보하며 파일을 늘립니다. 그래서 디스크가 가득 차면 나중의 SIGBUS가 아니라 지금 오류가 납니다. 크기 0은 파일 크기이며, 빈 파일이면 Windows의 ERROR_FILE_INVALID와 같습니다.",
            ),
        },
        Call {
            win32: "MapViewOfFile(Ex)(mapping, FILE_MAP_WRITE, offsetHigh, offsetLow, bytes)",
            here: Tr::new(
                "memmap2's MmapOptions::offset/len/map_raw, that is mmap(MAP_SHARED). Offsets must be multiples of the page size here (64 KiB on Windows); memmap2 silently rounds an unaligned one down, and the raw mmap with the same offset, really called, fails with EINVAL. MapViewOfFileEx's base address is mmap's first argument, which memlab leaves to the kernel.",
                "memmap2의 MmapOptions::offset/len/map_raw, 곧 mmap(MAP_SHARED)입니다. 오프셋은 여기서는 페이지 크기의 배수여야 합니다(Windows는 64 KiB). memmap2는 배수가 아닌 오프셋을 말없이 내림하고, 같은 오프셋으로 mmap을 직접 부르면 EINVAL로 실패합니다. MapViewOfFileEx의 기준 주소는 mmap의 첫 인자이며, memlab은 커널에 맡깁니다.",
            ),
        },
        Call {
            win32: "reading and writing through the view's pointer",
            here: Tr::new(
                "copies through process_vm_readv/process_vm_writev on memlab itself, after a check of the file's length: a file shortened by someone else is the message \"the file was shortened to N bytes by someone else\", never a SIGBUS. Beside each view, the same bytes by an ordinary pread: equal, since views and reads share one page cache.",
                "파일 길이를 확인한 뒤 memlab 자신에게 process_vm_readv/process_vm_writev로 복사합니다. 누군가 파일을 줄였다면 SIGBUS가 아니라 \"누군가 파일을 N 바이트로 줄였습니다\"라는 메시지가 됩니다. 각 뷰 옆에는 같은 바이트를 보통의 pread로 읽어 보여 줍니다. 뷰와 읽기가 같은 페이지 캐시를 쓰므로 똑같습니다.",
            ),
        },
        Call {
            win32: "FlushViewOfFile",
            here: Tr::new(
                "memmap2's flush_range, that is msync(MS_SYNC), timed.",
                "memmap2의 flush_range, 곧 msync(MS_SYNC)이며 걸린 시간을 잽니다.",
            ),
        },
        Call {
            win32: "UnmapViewOfFile, CloseHandle(mapping), CloseHandle(file)",
            here: Tr::new(
                "munmap; the mapping's \"handle\" only stops new views; views outlive both handles and keep the file open and locked, as on Windows. Anything used after it was closed is refused by name.",
                "munmap입니다. 매핑 \"핸들\"을 닫으면 새 뷰만 못 만듭니다. Windows처럼 뷰는 두 핸들보다 오래 살며 파일을 연 채 잠가 둡니다. 닫은 것을 쓰면 무엇이 닫혔는지 밝히며 거절합니다.",
            ),
        },
        Call {
            win32: "SetFilePointer + SetEndOfFile",
            here: Tr::new(
                "ftruncate (set_len), refused while a view or the mapping is open, as Windows refuses with ERROR_USER_MAPPED_FILE.",
                "ftruncate(set_len)입니다. Windows가 ERROR_USER_MAPPED_FILE로 거절하듯, 뷰나 매핑이 열려 있으면 거절합니다.",
            ),
        },
    ],
    try_these: &[
        Tr::new(
            "Create, Create mapping (64K), then map a view at 0 and another at 4096. Go to offset 0x1000 in the first, type hex digits into the second: both views and the file read change at once. Then map a view at offset 100 and read both answers for the unaligned offset.",
            "만들기, 매핑 만들기(64K)를 누른 뒤 0과 4096에 뷰를 하나씩 매핑하세요. 첫 뷰에서 0x1000으로 이동하고 둘째 뷰에 16진수를 입력하면, 두 뷰와 파일 읽기가 한꺼번에 바뀝니다. 그다음 오프셋 100에 뷰를 매핑해 배수가 아닌 오프셋에 대한 두 가지 답을 읽어 보세요.",
        ),
        Tr::new(
            "Open a second window on the same file: it is refused with this window's PID. Tick \"Share with other instances\" in both and open again: what one types appears in the other's view live.",
            "같은 파일로 창을 하나 더 열어 보세요. 이 창의 PID와 함께 거절됩니다. 두 창 모두 \"다른 인스턴스와 공유\"를 켜고 다시 열면, 한쪽에서 입력한 것이 다른 쪽 뷰에 바로 나타납니다.",
        ),
        Tr::new(
            "Shorten the mapped file from a terminal (`truncate -s 100 FILE`): the views say the file was shortened and show what is gone, and memlab keeps running. Then Unmap, Close mapping and Set end of file; try Flush on the unmapped view.",
            "터미널에서 매핑된 파일을 줄여 보세요(`truncate -s 100 파일`). 뷰가 파일이 줄었다고 알리고 사라진 부분을 보여 주며, memlab은 계속 돌아갑니다. 그다음 매핑 해제, 매핑 닫기, 파일 끝 설정을 하고, 해제한 뷰에서 플러시를 눌러 보세요.",
        ),
    ],
};
