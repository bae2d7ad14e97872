//! What the shared text lab teaches: the chapter's sections, the Win32 calls
//! of the book's form and what each became here, and things to try.

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
                "An unnamed object (open with O_TMPFILE) in the account's own folder /run/user/<uid> \
                 where the system gives one (nobody else can put a file there), else in /dev/shm; \
                 mode 0600 set with fchmod, sized with ftruncate and its storage reserved with \
                 posix_fallocate (a full folder is an error here, never a SIGBUS later), then named \
                 memlab.<uid>.SampleMMF with linkat. The uid in the name gives each account its own \
                 names in /dev/shm, like Win32's session namespace. If the name already existed \
                 (ERROR_ALREADY_EXISTS), memlab joins that object instead, and only a new object gets \
                 the sample string.",
                "시스템이 계정마다 주는 전용 폴더 /run/user/<uid>가 있으면 거기에(다른 계정은 파일을 \
                 둘 수 없습니다), 없으면 /dev/shm에 이름 없는 객체를 만들고(O_TMPFILE로 open), fchmod로 \
                 권한을 0600으로, ftruncate로 크기를 정한 뒤 posix_fallocate로 저장 공간을 미리 \
                 확보합니다(폴더가 가득 차면 여기서 오류가 나고, 나중에 SIGBUS로 죽지 않습니다). 그다음 \
                 linkat으로 memlab.<uid>.SampleMMF라는 이름을 붙입니다. 이름 속 uid 덕분에 /dev/shm에서도 \
                 계정마다 이름이 따로 있어, Win32의 세션 이름 공간과 같습니다. 이름이 이미 있으면 \
                 (ERROR_ALREADY_EXISTS) 그 객체에 연결하고, 새 객체일 때만 샘플 문자열을 씁니다.",
            ),
        },
        Call {
            win32: "OpenFileMapping",
            here: Tr::new(
                "openat relative to the checked folder's descriptor, with O_NOFOLLOW, then fstat on \
                 the descriptor: a regular file, owned by you, mode 0600. Another account's object, \
                 or one open to others, is refused and never used, changed or removed (root too).",
                "검사해 둔 폴더의 디렉터리 기술자를 기준으로 O_NOFOLLOW와 함께 openat한 뒤, 그 기술자에 \
                 fstat을 합니다: 일반 파일이고, 내 계정 소유이며, 권한이 0600이어야 합니다. 다른 계정의 \
                 객체나 남에게 열린 객체는 거절하고, 쓰지도 바꾸지도 지우지도 않습니다(root도 마찬가지).",
            ),
        },
        Call {
            win32: "MapViewOfFile",
            here: Tr::new(
                "mmap(MAP_SHARED) of that same descriptor (memmap2). Every read and write of the view \
                 copies through process_vm_readv/process_vm_writev on memlab's own process, so pages \
                 that vanish when someone truncates the object give an error, not SIGBUS.",
                "같은 기술자를 mmap(MAP_SHARED)합니다(memmap2). 뷰를 읽고 쓸 때는 언제나 memlab 자신의 \
                 프로세스에 process_vm_readv/process_vm_writev로 복사하므로, 누가 객체를 잘라 페이지가 \
                 사라져도 SIGBUS가 아니라 오류가 됩니다.",
            ),
        },
        Call {
            win32: "UnmapViewOfFile",
            here: Tr::new(
                "munmap (dropping the memmap2 view).",
                "munmap (memmap2 뷰를 버림).",
            ),
        },
        Call {
            win32: "CloseHandle",
            here: Tr::new(
                "close. Windows frees the object when its last handle closes; here the last instance \
                 to leave (no other slot lock held on the object) removes its name with unlinkat, \
                 under the gate lock, and only if the name still names its object.",
                "close. Windows는 마지막 핸들이 닫히면 객체를 없앱니다. 여기서는 마지막으로 떠나는 \
                 인스턴스가(객체에 다른 자리 잠금이 없을 때) 관문 잠금을 잡은 채, 이름이 아직 그 객체를 \
                 가리킬 때만 unlinkat으로 이름을 지웁니다.",
            ),
        },
        Call {
            win32: "CreateMutex + WaitForSingleObject(REQUEST_TIMEOUT = 1000) / ReleaseMutex",
            here: Tr::new(
                "flock on the object's own descriptor, tried again and again for up to 1000 ms. The \
                 kernel drops it when its holder dies, like Win32's abandoned mutex; the next \
                 instance says which PID died holding it. Who is attached, and the gate that orders \
                 attaching and leaving, are byte-range locks (F_OFD_SETLK) on the same descriptor.",
                "객체 자신의 기술자에 거는 flock을 최대 1000 ms 동안 거듭 시도합니다. 잡고 있던 \
                 프로세스가 죽으면 커널이 풀어 주며, 이는 Win32의 버려진(abandoned) 뮤텍스와 같습니다. \
                 다음 인스턴스가 어느 PID가 잡은 채 죽었는지 알려 줍니다. 누가 연결되어 있는지와, \
                 연결·해제 순서를 정하는 관문은 같은 기술자의 바이트 범위 잠금(F_OFD_SETLK)입니다.",
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
            "Run `memlab shared hold --seconds 10`, then press Load: the form waits, then shows the \
             book's 1000 ms timeout and the holder's PID. Kill the holder with `kill -9` and Load again.",
            "`memlab shared hold --seconds 10`을 실행하고 불러오기를 누르세요. 폼이 기다리다가 책의 \
             1000 ms 제한 시간과 잠금을 잡은 PID를 보여 줍니다. `kill -9`로 그 프로세스를 죽이고 \
             다시 불러오세요.",
        ),
        Tr::new(
            "Remove the object by hand (its path is in the info panel: `rm /dev/shm/memlab.$(id -u).SampleMMF`, \
             or under /run/user/$(id -u)): the form says \
             someone removed it and offers Re-attach. Or type more than 100 bytes of Hangul: Save \
             keeps whole characters only.",
            "객체를 직접 지워 보세요(경로는 정보 패널에 있습니다: `rm /dev/shm/memlab.$(id -u).SampleMMF` \
             또는 /run/user/$(id -u) 아래). 폼이 누군가 지웠다고 \
             알리고 다시 연결하기를 권합니다. 또는 한글을 100바이트 넘게 입력해 보세요. 저장하기는 \
             온전한 글자만 남깁니다.",
        ),
    ],
};
