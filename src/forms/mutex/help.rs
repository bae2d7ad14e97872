//! What the mutex lab teaches: §9's LockMap / UnlockMap, the Win32 calls
//! and what each became here, and things to try.

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
                "one of three locks named after MutexName, on a small mapping of their own: memlab's file lock (flock on a lock file), raw_sync's process-shared mutex, or a robust process-shared pthread mutex (PTHREAD_MUTEX_ROBUST).",
                "MutexName 이름의 세 잠금 가운데 하나이며, 전용 작은 매핑 위에 있습니다: memlab의 파일 잠금(잠금 파일에 flock), raw_sync의 프로세스 공유 뮤텍스, 또는 견고한(robust) 프로세스 공유 pthread 뮤텍스(PTHREAD_MUTEX_ROBUST).",
            ),
        },
        Call {
            win32: "WaitForSingleObject(mutex, REQUEST_TIMEOUT = 1000)",
            here: Tr::new(
                "flock tried until the deadline; pthread_mutex_timedlock with a real deadline (robust); raw_sync's timed wait, whose deadline bug (EINVAL after about 2 µs) memlab notices and replaces with polling. WAIT_ABANDONED is the robust mutex's EOWNERDEAD, followed by pthread_mutex_consistent; the file lock is freed by the kernel but cannot tell; raw_sync's stays locked (stuck).",
                "flock을 마감 시각까지 거듭 시도하고, 견고한 뮤텍스는 실제 마감 시각으로 pthread_mutex_timedlock을 부릅니다. raw_sync의 시간 제한 대기에는 마감 시각 결함(약 2 µs 뒤 EINVAL)이 있어 memlab이 알아채고 폴링으로 바꿉니다. WAIT_ABANDONED는 견고한 뮤텍스의 EOWNERDEAD이며 그 뒤에 pthread_mutex_consistent를 부릅니다. 파일 잠금은 커널이 풀지만 알려 주지 못하고, raw_sync의 뮤텍스는 잠긴 채 남습니다(멈춤).",
            ),
        },
        Call {
            win32: "ReleaseMutex + CloseHandle",
            here: Tr::new(
                "flock(LOCK_UN), pthread_mutex_unlock or raw_sync's release, on the same thread that locked (a pthread mutex belongs to a thread: each lock has a thread of its own, so the window never waits).",
                "flock(LOCK_UN), pthread_mutex_unlock 또는 raw_sync의 해제이며, 잠근 바로 그 스레드에서 부릅니다(pthread 뮤텍스는 스레드의 것이라 잠금마다 전용 스레드가 있고, 그래서 창은 기다리지 않습니다).",
            ),
        },
        Call {
            win32: "a process that dies holding the mutex",
            here: Tr::new(
                "\"Crash while holding\" starts memlab as a child (memlab mutex crash), which takes the lock, begins a move of the guarded data (takes 100 from one account) and kills itself with SIGKILL before giving it to the other: no destructor runs, as in a real crash, and the data is left half-written.",
                "\"잡은 채 죽기\"는 memlab을 자식 프로세스로 띄우며(memlab mutex crash), 자식은 잠금을 잡고 지키는 데이터의 이체를 시작한 뒤(한 계좌에서 100을 뺀 뒤) 다른 계좌에 더하기 전에 SIGKILL로 스스로 죽습니다. 실제 충돌처럼 정리 코드는 하나도 돌지 않고, 데이터는 반쯤 쓰인 채 남습니다.",
            ),
        },
    ],
    try_these: &[
        Tr::new(
            "Open this lab in two windows. Take the lock in one; Take in the other times out after 1000 ms and names the holder. Release, and Take again.",
            "이 실습을 창 두 개에 여세요. 한쪽에서 잡기를 누르면, 다른 쪽의 잡기는 1000 ms 뒤 시간 초과되며 잡은 PID를 알려 줍니다. 놓기를 누른 뒤 다시 잡아 보세요.",
        ),
        Tr::new(
            "Pick the robust mutex and press Crash while holding: the guarded data is short by 100 (half-written). Take: acquired, told the previous owner died (WAIT_ABANDONED), and memlab undoes the half move before trusting the data. Do the same with memlab's file lock: acquired, but nobody is told, and the data stays wrong.",
            "견고한 뮤텍스를 고르고 잡은 채 죽기를 누르세요. 지키는 데이터의 합계가 100 모자랍니다(반쯤 쓰임). 잡기를 누르면 잡히면서 이전 소유자가 죽었다는 말을 듣고(WAIT_ABANDONED), memlab이 데이터를 믿기 전에 절반짜리 이체를 되돌립니다. memlab 파일 잠금으로 같은 일을 하면 잡히기는 하지만 아무도 그 사실을 듣지 못하고, 데이터는 틀린 채로 남습니다.",
        ),
        Tr::new(
            "Pick raw_sync's mutex and crash while holding: every Take, in every window, times out: stuck. Reset re-initialises it; Take works again.",
            "raw_sync 뮤텍스를 고르고 잡은 채 죽기를 누르세요. 모든 창의 모든 잡기가 시간 초과됩니다: 멈춤. 초기화하면 다시 초기화되어 잡기가 다시 됩니다.",
        ),
    ],
};
