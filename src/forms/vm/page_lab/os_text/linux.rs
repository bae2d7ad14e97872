//! The page lab's words that name Linux's calls (Windows' are in
//! `windows.rs`): the intro, the child's note, where a figure of
//! the query comes from.

use memlab_engine::i18n::Tr;
use memlab_engine::vm::pages::Protection;

/// The lab's first paragraph.
pub const INTRO: Tr = Tr::new(
    "Reserve pages of memlab's own address space, then commit, protect, lock, touch, decommit and release them. Each page's state is memlab's own table (Linux keeps no committed flag), checked against mincore and smaps.",
    "memlab 자신의 주소 공간에서 페이지를 예약한 뒤 커밋, 보호 변경, 잠금, 접근, 커밋 해제, 해제를 해 보세요. 페이지 상태는 memlab의 페이지 표(리눅스에는 커밋 표시가 없음)이며 mincore와 smaps로 확인합니다.",
);

/// The hover text of "Touch in a child process".
pub const CHILD: Tr = Tr::new(
    "A fork of memlab does the plain access, and dies of it as a Win32 program would.",
    "memlab을 fork한 자식이 보통의 접근을 하고, Win32 프로그램처럼 그 때문에 죽습니다.",
);

/// "Decommit, keep charge" as a request in the log.
pub const KEEP_CHARGE: Tr = Tr::new(
    "decommit with MADV_DONTNEED (keeps the charge)",
    "MADV_DONTNEED로 커밋 해제 (커밋 양은 그대로)",
);

/// What a protection became here (the radio buttons' hover).
pub fn protection_here(p: Protection) -> &'static str {
    p.posix()
}

/// The count of pages in RAM, and where it comes from.
pub const RESIDENT_COUNT: Tr = Tr::new("in RAM (mincore)", "RAM에 있음 (mincore)");

/// A region in the commit charge, in Korean (the English is the engine's
/// `Region::smaps_line`).
pub const CHARGED_KO: &str = "커밋 양에 포함 (ac)";

/// The empty log's line.
pub const LOG_EMPTY: Tr = Tr::new(
    "Each operation adds a line here: what it did, its Win32 call, what that became on Linux, and how RSS and the commit charge moved.",
    "작업마다 여기에 한 줄씩 쌓입니다: 한 일, Win32 호출, 리눅스에서 바뀐 모습, 그리고 RSS와 커밋 양의 변화.",
);

/// memlab's memory in RAM, as the log names it, and as the costs' row.
pub const RSS: Tr = Tr::new("RSS", "RSS");
pub const RSS_ROW: Tr = Tr::new("RSS (memlab)", "RSS (memlab)");

/// The call that says whether a page is in RAM.
pub const RESIDENT_CALL: &str = "mincore";

/// The row of the kernel's own view of the page's region.
pub const KERNEL_ROW: &str = "smaps";
