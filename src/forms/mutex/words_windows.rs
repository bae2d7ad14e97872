//! The mutex form's sentences that name Windows' locks and calls.

use memlab_engine::i18n::{Lang, Tr};
use memlab_engine::mutex::MutexKind;

pub(super) const INTRO: Tr = Tr::new(
    "The book guards a mapping with a named mutex and a 1000 ms wait. Take the lock here, have a child take it and end by TerminateProcess, and watch what each kind of lock gives the windows still waiting.",
    "책은 이름 있는 뮤텍스와 1000 ms 대기로 매핑을 지킵니다. 여기서 잠금을 잡아 보고, 자식 프로세스가 잠금을 잡은 채 TerminateProcess로 끝나게 한 뒤, 잠금 종류마다 기다리던 창들이 무엇을 얻는지 보세요.",
);

pub(super) const CRASH_TIP: Tr = Tr::new(
    "A child memlab takes this lock, begins a move and ends itself with TerminateProcess half-way, still holding it",
    "자식 memlab 프로세스가 이 잠금을 잡고 이체를 시작한 뒤, 절반만 하고 잡은 채 TerminateProcess로 스스로 끝납니다",
);

pub(super) const RESET_TIP: Tr = Tr::new(
    "Take the lock without waiting and put its data right (refused while a live process holds it); Windows frees or abandons a dead holder's lock by itself",
    "기다리지 않고 잠금을 잡아 데이터를 바로잡습니다 (살아 있는 프로세스가 잡고 있으면 거절). 죽은 프로세스의 잠금은 Windows가 알아서 풀거나 버려진 상태로 만듭니다",
);

/// What a lock of `kind` does when its holder is killed.
pub(super) fn what_happens(kind: MutexKind, lang: Lang) -> &'static str {
    match kind {
        MutexKind::FileLock => lang.pick(
            "LockFileEx: when its holder dies, Windows frees it: the next waiter gets it, but cannot be told the owner died.",
            "LockFileEx: 잡은 프로세스가 죽으면 Windows가 풀어 줍니다. 다음에 기다리는 쪽이 잡지만, 소유자가 죽었다는 사실은 알 수 없습니다.",
        ),
        MutexKind::RawSync => lang.pick(
            "A Win32 mutex underneath, but raw_sync panics on WAIT_ABANDONED: memlab catches the panic; a program that does not, dies.",
            "속은 Win32 뮤텍스지만 raw_sync는 WAIT_ABANDONED에서 패닉을 일으킵니다. memlab은 패닉을 잡지만, 잡지 않는 프로그램은 죽습니다.",
        ),
        MutexKind::Robust => lang.pick(
            "The book's lock: the next waiter gets it with WAIT_ABANDONED, told the previous owner died.",
            "책의 잠금: 다음에 기다리는 쪽이 WAIT_ABANDONED와 함께 잡으며, 이전 소유자가 죽었다는 말을 듣습니다.",
        ),
    }
}
