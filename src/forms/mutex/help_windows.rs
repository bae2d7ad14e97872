//! What the mutex lab teaches on Windows: §9's LockMap / UnlockMap, with
//! the Win32 calls memlab makes there, and things to try.

use crate::forms::{Call, LabHelp};
use memlab_engine::i18n::Tr;

pub(crate) static HELP: LabHelp = LabHelp {
    section: Tr::new(
        "§9 the helpers LockMap / UnlockMap: a named mutex and a 1000 ms wait (and §8: views must be guarded)",
        "§9 도우미 LockMap / UnlockMap: 이름 있는 뮤텍스와 1000 ms 대기 (그리고 §8: 뷰는 보호해야 함)",
    ),
    calls: &[
        Call {
            win32: "CreateMutex(nil, False, MutexName)",
            here: Tr::new(
                "as the book: CreateMutexW(NULL, FALSE, \"Local\\memlab.mutex.<name>.Win32\") for the Win32 named mutex; raw_sync's mutex is a Win32 mutex too (CreateMutexExA \"mutex_<n>\", its number kept in the mapping, OpenMutexA by every instance); the file lock is LockFileEx on %TEMP%\\memlab.mutex.<name>.lock. The data they guard is a named mapping, CreateFileMappingW(INVALID_HANDLE_VALUE, ..., \"Local\\memlab.mutex.<name>\").",
                "책 그대로: Win32 이름 있는 뮤텍스는 CreateMutexW(NULL, FALSE, \"Local\\memlab.mutex.<이름>.Win32\")입니다. raw_sync의 뮤텍스도 Win32 뮤텍스이며(CreateMutexExA \"mutex_<번호>\", 번호는 매핑에 두고 인스턴스마다 OpenMutexA), 파일 잠금은 %TEMP%\\memlab.mutex.<이름>.lock 파일에 LockFileEx입니다. 잠금들이 지키는 데이터는 이름 있는 매핑 CreateFileMappingW(INVALID_HANDLE_VALUE, ..., \"Local\\memlab.mutex.<이름>\")에 있습니다.",
            ),
        },
        Call {
            win32: "WaitForSingleObject(mutex, REQUEST_TIMEOUT = 1000)",
            here: Tr::new(
                "as the book for the Win32 mutex: WAIT_OBJECT_0, WAIT_TIMEOUT, or WAIT_ABANDONED when its owner ended holding it (memlab then undoes the dead holder's half move before trusting the data). raw_sync calls WaitForSingleObject too, but panics on WAIT_ABANDONED: memlab catches the panic and keeps the mutex the wait took. LockFileEx with LOCKFILE_FAIL_IMMEDIATELY, tried until the deadline: freed by Windows when its holder dies, but nobody is told.",
                "Win32 뮤텍스는 책 그대로입니다: WAIT_OBJECT_0, WAIT_TIMEOUT, 또는 소유자가 잡은 채 끝났으면 WAIT_ABANDONED (그러면 memlab이 데이터를 믿기 전에 죽은 소유자의 절반짜리 이체를 되돌립니다). raw_sync도 WaitForSingleObject를 부르지만 WAIT_ABANDONED에서 패닉을 일으킵니다: memlab이 패닉을 잡고 대기가 잡은 뮤텍스를 그대로 쥡니다. LockFileEx는 LOCKFILE_FAIL_IMMEDIATELY로 마감 시각까지 거듭 시도합니다: 잡은 프로세스가 죽으면 Windows가 풀지만 아무도 그 사실을 듣지 못합니다.",
            ),
        },
        Call {
            win32: "ReleaseMutex + CloseHandle",
            here: Tr::new(
                "ReleaseMutex, raw_sync's release (ReleaseMutex) or UnlockFileEx, on the same thread that waited (a Win32 mutex belongs to a thread: each lock has a thread of its own, so the window never waits). Every object lives while some process holds a handle: the last instance to close takes the lock with it.",
                "ReleaseMutex, raw_sync의 해제(ReleaseMutex) 또는 UnlockFileEx이며, 기다린 바로 그 스레드에서 부릅니다(Win32 뮤텍스는 스레드의 것이라 잠금마다 전용 스레드가 있고, 그래서 창은 기다리지 않습니다). 모든 객체는 어느 프로세스든 핸들을 쥐고 있는 동안 살아 있고, 마지막 인스턴스가 닫으면 잠금도 함께 사라집니다.",
            ),
        },
        Call {
            win32: "a process that dies holding the mutex",
            here: Tr::new(
                "\"Crash while holding\" starts memlab as a child (memlab mutex crash), which takes the lock, begins a move of the guarded data (takes 100 from one account) and ends itself with TerminateProcess before giving it to the other: no destructor runs, Windows abandons the mutex, and the data is left half-written. WAIT_ABANDONED needs another handle open meanwhile (this window's): a mutex nobody else holds dies with its owner.",
                "\"잡은 채 죽기\"는 memlab을 자식 프로세스로 띄우며(memlab mutex crash), 자식은 잠금을 잡고 지키는 데이터의 이체를 시작한 뒤(한 계좌에서 100을 뺀 뒤) 다른 계좌에 더하기 전에 TerminateProcess로 스스로 끝납니다. 정리 코드는 하나도 돌지 않고, Windows가 뮤텍스를 버려진 상태로 만들며, 데이터는 반쯤 쓰인 채 남습니다. WAIT_ABANDONED를 보려면 그동안 다른 핸들(이 창의 핸들)이 열려 있어야 합니다: 아무도 쥐지 않은 뮤텍스는 소유자와 함께 사라집니다.",
            ),
        },
    ],
    try_these: &[
        Tr::new(
            "Open this lab in two windows. Take the lock in one; Take in the other times out after 1000 ms and names the holder. Release, and Take again.",
            "이 실습을 창 두 개에 여세요. 한쪽에서 잡기를 누르면, 다른 쪽의 잡기는 1000 ms 뒤 시간 초과되며 잡은 PID를 알려 줍니다. 놓기를 누른 뒤 다시 잡아 보세요.",
        ),
        Tr::new(
            "Pick the Win32 named mutex and press Crash while holding: the guarded data is short by 100 (half-written). Take: WAIT_ABANDONED, told the previous owner died, and memlab undoes the half move before trusting the data. Do the same with the file lock: acquired, but nobody is told, and the data stays wrong.",
            "Win32 이름 있는 뮤텍스를 고르고 잡은 채 죽기를 누르세요. 지키는 데이터의 합계가 100 모자랍니다(반쯤 쓰임). 잡기를 누르면 WAIT_ABANDONED로 이전 소유자가 죽었다는 말을 듣고, memlab이 데이터를 믿기 전에 절반짜리 이체를 되돌립니다. 파일 잠금으로 같은 일을 하면 잡히기는 하지만 아무도 그 사실을 듣지 못하고, 데이터는 틀린 채로 남습니다.",
        ),
        Tr::new(
            "Pick raw_sync's mutex and crash while holding, then Take: raw_sync panics on WAIT_ABANDONED; the log says memlab caught it.",
            "raw_sync 뮤텍스를 고르고 잡은 채 죽기를 누른 뒤 잡기를 누르세요. raw_sync가 WAIT_ABANDONED에서 패닉을 일으키고, memlab이 그것을 잡았다고 기록에 나옵니다.",
        ),
    ],
};
