//! The allocation labs' colours: one per memory manager, the same in the
//! benchmark's plots and tables and in the memory managers' panel.

use eframe::egui::Color32;

use memlab_engine::alloc::ManagerKind;

/// One colour per manager, the same in every plot and table; mid-tones that
/// read on light and dark backgrounds alike.
pub fn manager_color(kind: ManagerKind) -> Color32 {
    match kind {
        ManagerKind::Default => Color32::from_rgb(0x1f, 0x77, 0xb4),
        ManagerKind::Heap => Color32::from_rgb(0xe6, 0x6b, 0x00),
        ManagerKind::Mimalloc => Color32::from_rgb(0x2c, 0xa0, 0x2c),
    }
}
