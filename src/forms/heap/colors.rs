//! The heap lab's colours: busy blocks, free blocks, committed and
//! reserved memory in the strips and their legend. Mid-tones that read on
//! light and dark backgrounds alike; reserved memory is the page lab's
//! reserved grey, so a student sees the same thing in both labs.

use eframe::egui::{self, Color32};

/// A live block.
pub const BUSY: Color32 = Color32::from_rgb(0x1f, 0x77, 0xb4);
/// The block the buttons act on.
pub const SELECTED: Color32 = Color32::from_rgb(0xe6, 0x6b, 0x00);
/// A block HeapValidate found damaged.
pub const DAMAGED: Color32 = Color32::from_rgb(0xd6, 0x27, 0x28);
/// A free block inside committed memory.
pub const FREE: Color32 = Color32::from_rgb(0x2c, 0xa0, 0x2c);
/// Reserved, not committed.
pub const RESERVED: Color32 = Color32::from_rgb(0x8c, 0x8c, 0x8c);

/// The thin line between neighbouring blocks: the theme's background.
pub fn gap(ui: &egui::Ui) -> Color32 {
    ui.visuals().extreme_bg_color
}
