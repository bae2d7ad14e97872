//! The Global/Local lab's colours: the three kinds of block in the strip
//! and the highlight of a block that moved. Mid-tones that read on light
//! and dark backgrounds alike.

use eframe::egui::Color32;

/// A GMEM_FIXED block.
pub const FIXED: Color32 = Color32::from_rgb(0x94, 0x67, 0xbd);
/// A GMEM_MOVEABLE block.
pub const MOVEABLE: Color32 = Color32::from_rgb(0x1f, 0x77, 0xb4);
/// A GMEM_DISCARDABLE block.
pub const DISCARDABLE: Color32 = Color32::from_rgb(0x2c, 0xa0, 0x2c);
/// A block the last compaction or GlobalReAlloc moved: its row's address
/// and its frame in the strip.
pub const MOVED: Color32 = Color32::from_rgb(0xe6, 0x6b, 0x00);
/// A locked block's frame in the strip (it cannot move).
pub const LOCKED: Color32 = Color32::from_rgb(0xd6, 0x27, 0x28);
/// Free space of the heap.
pub const FREE: Color32 = Color32::from_rgb(0x8c, 0x8c, 0x8c);
