//! Colours that mean the same thing in every lab.

use eframe::egui::Color32;

use crate::core::alloc::ManagerKind;

/// One colour per manager, the same in every plot and table; mid-tones that
/// read on light and dark backgrounds alike.
pub fn manager_color(kind: ManagerKind) -> Color32 {
    match kind {
        ManagerKind::Default => Color32::from_rgb(0x1f, 0x77, 0xb4),
        ManagerKind::Heap => Color32::from_rgb(0xe6, 0x6b, 0x00),
        ManagerKind::Mimalloc => Color32::from_rgb(0x2c, 0xa0, 0x2c),
    }
}
