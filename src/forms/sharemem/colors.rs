//! The ShareMem lab's colours: the library's side and the program's side of
//! each count, and what a crashed child is. Mid-tones that read on light
//! and dark backgrounds alike.

use eframe::egui::Color32;

/// The library's AllocMemCount.
pub const LIBRARY: Color32 = Color32::from_rgb(0x94, 0x67, 0xbd);
/// The program's AllocMemCount.
pub const PROGRAM: Color32 = Color32::from_rgb(0x1f, 0x77, 0xb4);
