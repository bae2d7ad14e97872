//! The calls the form names on Windows: the book's own.

use memlab_engine::i18n::Lang;

/// What "Flush" calls, after the step's Win32 name in its log line:
/// nothing, the call is the one named.
pub(super) const FLUSH_NOTE: &str = "";
/// The ordinary read each view is compared with.
pub(super) const READ_CALL: &str = "ReadFile";

/// The rule for a view's offset and length, under the Map view step.
pub(super) fn view_rule(lang: Lang, granularity: u64) -> String {
    match lang {
        Lang::En => format!(
            "Length 0 = to the end of the mapping. Offsets are multiples of the allocation granularity ({granularity} bytes, GetSystemInfo's dwAllocationGranularity): MapViewOfFile refuses any other with ERROR_MAPPED_ALIGNMENT. Each view below is read and written through its pointer, as the book does."
        ),
        Lang::Ko => format!(
            "길이 0은 매핑 끝까지입니다. 오프셋은 할당 단위({granularity} 바이트, GetSystemInfo의 dwAllocationGranularity)의 배수여야 하며, MapViewOfFile은 다른 오프셋을 ERROR_MAPPED_ALIGNMENT로 거절합니다. 아래의 각 뷰는 책에서처럼 포인터로 읽고 씁니다."
        ),
    }
}

/// Where the screenshot demo maps its second view: at 0, like the first
/// (Windows refuses an offset off the 64 KiB granularity), so the two
/// views show the same bytes.
pub(super) const DEMO_SECOND_VIEW: u64 = 0;
