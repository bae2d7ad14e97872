//! Why the sweep's curves bend, in memlab's words: the text beside the plot.

use eframe::egui::{self, RichText};

use memlab_engine::i18n::{Lang, Tr};

const POINTS: [Tr; 6] = [
    Tr::new(
        "glibc (default) takes small blocks from its heap arenas, but a block at or above its mmap threshold gets a mapping of its own, which free hands straight back with munmap: two system calls per pair. The threshold starts at 128 KiB; when such a mapped block is freed, glibc raises it to that block's size (M_MMAP_THRESHOLD grows up to 32 MiB on 64-bit), so a repeated 1 MB block soon stays in the heap, while 64 MB is always mapped and unmapped.",
        "glibc(default)는 작은 블록을 힙 아레나에서 내주지만, mmap 임계값 이상인 블록은 따로 매핑을 만들고 free 때 munmap으로 바로 돌려줍니다: 쌍마다 시스템 호출 두 번. 임계값은 128 KiB에서 시작하고, 그렇게 매핑된 블록이 해제되면 그 크기로 올라갑니다(M_MMAP_THRESHOLD는 64비트에서 32 MiB까지). 그래서 반복되는 1 MB 블록은 곧 힙에 머물지만 64 MB는 매번 매핑하고 해제합니다.",
    ),
    Tr::new(
        "Touching pages: a fresh mapping costs almost nothing until it is used; the first write to each 4 KiB page is a minor page fault in which the kernel supplies a zeroed page. With touching, a block that is mapped anew every time costs one fault per page, so time grows with the size; memory that is reused stays mapped and faults no more.",
        "페이지에 쓰기: 새 매핑은 쓰기 전까지는 거의 비용이 없고, 4 KiB 페이지마다 첫 쓰기가 마이너 페이지 폴트가 되어 커널이 0으로 채운 페이지를 내줍니다. 쓰기를 켜면 매번 새로 매핑되는 블록은 페이지마다 폴트가 나서 크기에 비례해 느려지고, 재사용되는 메모리는 이미 매핑되어 있어 폴트가 더 나지 않습니다.",
    ),
    Tr::new(
        "Small-block caches: glibc's per-thread tcache keeps freed blocks of up to 1032 bytes, so 1 KB is handed back at once while 2 KB takes the slower bin path. mimalloc keeps thread-local free lists per size class and, like Delphi 4's own manager (the book's §6), is built for many small blocks: fast and flat up to 256 KB. Above that its large-block path costs hundreds of ns here, and what it frees goes back to the OS only after a short delay, so a tight loop reuses it without faults.",
        "작은 블록 캐시: glibc의 스레드별 tcache는 1032바이트까지의 해제된 블록을 보관하므로 1 KB는 곧바로 다시 나오고 2 KB는 더 느린 bin 경로를 탑니다. mimalloc은 크기 등급별 스레드 로컬 free 리스트를 두며, 델파이 4의 메모리 관리자(책의 6절)처럼 작은 블록을 많이 다루도록 만들어졌습니다: 256 KB까지 빠르고 평평합니다. 그보다 크면 큰 블록 경로가 여기서 수백 ns 걸리고, 해제한 메모리는 잠시 뒤에야 운영체제에 돌려주므로 빠른 반복에서는 폴트 없이 재사용됩니다.",
    ),
    Tr::new(
        "Why 4 KB is slower in the sweep than in a freshly started program: glibc serves a 4 KB block, larger than its tcache limit (1032 bytes), from its bins. In a process that has just started, the block is cut from the top of the heap and merged back into it on free (about 17 ns a pair). In a process that has been running there are free chunks below the top: the block is carved from one of them and, on free, merged with its free neighbour, two unlinks a pair, about 30 ns. A bare loop inside memlab's process measures the same, and the benchmark's loop adds next to nothing to it. That is what glibc really costs in a heap in use. mimalloc keeps free lists per size class, so its cost does not depend on that history. That is why Run measures in a fresh process of its own, while the sweep runs in this window's process, whose heap is in use.",
        "왜 스윕에서는 4 KB가 새로 시작한 프로그램보다 느린가: glibc는 tcache 한도(1032바이트)보다 큰 4 KB 블록을 bin에서 내줍니다. 막 시작한 프로세스에서는 힙 꼭대기에서 잘라 주고 해제하면 다시 합칩니다(한 쌍에 약 17 ns). 한동안 실행된 프로세스에서는 꼭대기 아래에 빈 조각들이 있어, 블록을 그중 하나에서 잘라 내고 해제할 때 옆의 빈 조각과 합칩니다. 한 쌍마다 unlink가 두 번 일어나 약 30 ns가 됩니다. memlab 프로세스 안의 맨 루프도 같은 값을 재며, 벤치마크 루프가 여기에 더하는 것은 거의 없습니다. 이것은 사용 중인 힙에서 glibc가 실제로 치르는 비용입니다. mimalloc은 크기별 free 리스트를 두므로 이런 이력에 좌우되지 않습니다. 그래서 실행 버튼은 자기만의 새 프로세스에서 재고, 스윕은 힙을 이미 쓰고 있는 이 창의 프로세스에서 잽니다.",
    ),
    Tr::new(
        "The private heap (heap) commits pages once as it grows and never gives them back, like a Win32 heap made with HeapCreate: after the first block of a size every later one reuses committed, already-faulted memory, so touching adds no faults, even at 64 MB.",
        "전용 힙(heap)은 커질 때 페이지를 한 번 커밋하고 돌려주지 않습니다(HeapCreate로 만든 Win32 힙처럼). 그래서 같은 크기의 첫 블록 이후에는 이미 커밋되고 폴트가 끝난 메모리를 재사용하므로, 64 MB에서도 쓰기가 폴트를 늘리지 않습니다.",
    ),
    Tr::new(
        "A crossover (dashed line) is where the fastest manager changes: one regime hands over to the next.",
        "교차점(점선)은 가장 빠른 관리자가 바뀌는 곳, 즉 한 방식에서 다른 방식으로 넘어가는 지점입니다.",
    ),
];

/// The heading and one bullet per reason.
pub fn ui(ui: &mut egui::Ui, lang: Lang) {
    ui.label(RichText::new(lang.pick("Why the curves bend", "곡선이 꺾이는 이유")).strong());
    for point in &POINTS {
        ui.label(format!("• {}", point.get(lang)));
    }
}

#[cfg(test)]
mod tests {
    use super::POINTS;

    /// FastMM came years after Delphi 4: the book's manager is Delphi 4's own.
    #[test]
    fn the_explanation_compares_with_the_books_manager() {
        for point in &POINTS {
            assert!(!point.en.contains("FastMM"), "{}", point.en);
            assert!(!point.ko.contains("FastMM"), "{}", point.ko);
        }
        assert!(
            POINTS
                .iter()
                .any(|p| p.en.contains("Delphi 4's own manager"))
        );
    }
}
