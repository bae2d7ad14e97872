//! The mutex form's sentences that name Linux's locks and calls.

use memlab_engine::i18n::{Lang, Tr};
use memlab_engine::mutex::MutexKind;

pub(super) const INTRO: Tr = Tr::new(
    "The book guards a mapping with a named mutex and a 1000 ms wait. Take the lock here, have a child take it and die by SIGKILL, and watch what each kind of lock gives the windows still waiting.",
    "책은 이름 있는 뮤텍스와 1000 ms 대기로 매핑을 지킵니다. 여기서 잠금을 잡아 보고, 자식 프로세스가 잠금을 잡은 채 SIGKILL로 죽게 한 뒤, 잠금 종류마다 기다리던 창들이 무엇을 얻는지 보세요.",
);

pub(super) const CRASH_TIP: Tr = Tr::new(
    "A child memlab takes this lock, begins a move and is killed with SIGKILL half-way, still holding it",
    "자식 memlab 프로세스가 이 잠금을 잡고 이체를 시작한 뒤, 절반만 하고 잡은 채 SIGKILL로 죽습니다",
);

pub(super) const RESET_TIP: Tr = Tr::new(
    "Re-initialise a lock whose holder died (refused while a live process holds it)",
    "잡은 프로세스가 죽은 잠금을 다시 초기화합니다 (살아 있는 프로세스가 잡고 있으면 거절)",
);

/// What a lock of `kind` does when its holder is killed.
pub(super) fn what_happens(kind: MutexKind, lang: Lang) -> &'static str {
    match kind {
        MutexKind::FileLock => lang.pick(
            "When its holder dies, the kernel frees it: the next waiter gets it, but cannot be told the owner died.",
            "잡은 프로세스가 죽으면 커널이 풀어 줍니다. 다음에 기다리는 쪽이 잡지만, 소유자가 죽었다는 사실은 알 수 없습니다.",
        ),
        MutexKind::RawSync => lang.pick(
            "Not robust: when its holder dies it stays locked for good; every wait times out (stuck) until Reset.",
            "견고하지 않음: 잡은 프로세스가 죽으면 영영 잠긴 채로 남아, 초기화할 때까지 모든 대기가 시간 초과(멈춤)됩니다.",
        ),
        MutexKind::Robust => lang.pick(
            "Robust: the next waiter gets it and is told the previous owner died (EOWNERDEAD, Win32's WAIT_ABANDONED).",
            "견고함: 다음에 기다리는 쪽이 잡으며, 이전 소유자가 죽었다는 말을 듣습니다 (EOWNERDEAD, Win32의 WAIT_ABANDONED).",
        ),
    }
}
