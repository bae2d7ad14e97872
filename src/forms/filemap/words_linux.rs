//! The calls the form names on Linux, where the book's became others.

use memlab_engine::i18n::Lang;

/// What "Flush" calls, after the step's Win32 name in its log line.
pub(super) const FLUSH_NOTE: &str = " (msync)";
/// The ordinary read each view is compared with.
pub(super) const READ_CALL: &str = "pread";

/// The rule for a view's offset and length, under the Map view step.
pub(super) fn view_rule(lang: Lang, granularity: u64) -> String {
    match lang {
        Lang::En => format!(
            "Length 0 = to the end of the mapping. Offsets are multiples of the allocation granularity: {granularity} bytes here (the page size), 64 KiB on Windows. An unaligned offset is shown both ways: memmap2 rounds it down, the raw mmap call fails. Each view below is read and written through its pointer, as the book does."
        ),
        Lang::Ko => format!(
            "길이 0은 매핑 끝까지입니다. 오프셋은 할당 단위의 배수입니다: 여기서는 {granularity} 바이트(페이지 크기), Windows는 64 KiB. 배수가 아닌 오프셋은 두 가지로 보여 줍니다: memmap2는 내림하고, mmap을 직접 부르면 실패합니다. 아래의 각 뷰는 책에서처럼 포인터로 읽고 씁니다."
        ),
    }
}

/// Where the screenshot demo maps its second view: 16 bytes in, an offset
/// off the granularity, so the picture shows both answers to it.
pub(super) const DEMO_SECOND_VIEW: u64 = 16;
