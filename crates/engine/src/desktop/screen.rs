//! Pictures of what is on the screen, for the docs and the tests: a
//! window's pixels or the whole X screen (every window on it), saved as PNG
//! files.

use std::path::Path;

/// Writes `size` RGBA pixels as a PNG.
pub fn save_png(out: &Path, size: [usize; 2], rgba: &[u8]) -> Result<(), String> {
    image::save_buffer(
        out,
        rgba,
        size[0] as u32,
        size[1] as u32,
        image::ExtendedColorType::Rgba8,
    )
    .map_err(|e| format!("writing {}: {e}", out.display()))
}

/// Saves the whole X screen as a PNG.
#[cfg(target_os = "linux")]
pub fn capture_screen(out: &Path) -> Result<(), String> {
    let image = super::placement::x11::capture_screen().map_err(|e| e.to_string())?;
    save_png(
        out,
        [image.width as usize, image.height as usize],
        &image.rgba,
    )
}

/// Saves the whole X screen (every window on it) as a PNG.
#[cfg(not(target_os = "linux"))]
pub fn capture_screen(_out: &Path) -> Result<(), String> {
    Err("capturing the screen needs X11 (Linux)".into())
}
