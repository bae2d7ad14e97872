//! The page lab's words that name Windows' calls (Linux's are in
//! `linux.rs`): the intro, the child's note, where a figure of the query
//! comes from.

use memlab_engine::i18n::Tr;
use memlab_engine::vm::pages::Protection;

/// The lab's first paragraph.
pub const INTRO: Tr = Tr::new(
    "Reserve pages of memlab's own address space, then commit, protect, lock, touch, decommit and release them: each button makes the Win32 call it names. The table of pages is checked against VirtualQuery; what is in RAM is QueryWorkingSetEx's answer.",
    "memlab 자신의 주소 공간에서 페이지를 예약한 뒤 커밋, 보호 변경, 잠금, 접근, 커밋 해제, 해제를 해 보세요. 버튼마다 이름 그대로의 Win32 함수를 호출합니다. 페이지 표는 VirtualQuery로 확인하고, RAM에 있는지는 QueryWorkingSetEx가 알려 줍니다.",
);

/// The hover text of "Touch in a child process".
pub const CHILD: Tr = Tr::new(
    "memlab.exe is started again (CreateProcessW): it reads or writes this page with ReadProcessMemory / WriteProcessMemory where a plain access would work, and where it would fault, it faults and dies of STATUS_ACCESS_VIOLATION as a Win32 program would.",
    "memlab.exe를 하나 더 띄웁니다(CreateProcessW). 보통의 접근이 되는 페이지는 ReadProcessMemory / WriteProcessMemory로 읽거나 쓰고, 폴트가 날 페이지에서는 Win32 프로그램처럼 실제로 폴트를 내고 STATUS_ACCESS_VIOLATION으로 죽습니다.",
);

/// "Decommit, keep charge" as a request in the log.
pub const KEEP_CHARGE: Tr = Tr::new(
    "decommit with MEM_RESET (keeps the charge)",
    "MEM_RESET으로 커밋 해제 (커밋 양은 그대로)",
);

/// What a protection is as Windows names it (the radio buttons' hover).
pub fn protection_here(p: Protection) -> &'static str {
    p.win32()
}

/// The count of pages in RAM, and where it comes from.
pub const RESIDENT_COUNT: Tr = Tr::new(
    "in RAM (QueryWorkingSetEx)",
    "RAM에 있음 (QueryWorkingSetEx)",
);

/// A region in the commit charge, in Korean (the English is the engine's
/// `Region::smaps_line`).
pub const CHARGED_KO: &str = "커밋 양에 포함 (MEM_COMMIT)";

/// The empty log's line.
pub const LOG_EMPTY: Tr = Tr::new(
    "Each operation adds a line here: what it did, the Win32 calls made, and how the working set and the commit charge moved.",
    "작업마다 여기에 한 줄씩 쌓입니다: 한 일, 호출한 Win32 함수, 그리고 작업 집합과 커밋 양의 변화.",
);

/// memlab's memory in RAM (its working set), as the log names it, and as
/// the costs' row.
pub const RSS: Tr = Tr::new("working set", "작업 집합");
pub const RSS_ROW: Tr = Tr::new("Working set (memlab)", "작업 집합 (memlab)");

/// The call that says whether a page is in RAM.
pub const RESIDENT_CALL: &str = "QueryWorkingSetEx";

/// The row of Windows' own view of the page's region.
pub const KERNEL_ROW: &str = "VirtualQuery";
