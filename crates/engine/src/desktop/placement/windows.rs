//! The work area on Windows: `SystemParametersInfoW(SPI_GETWORKAREA)`.

use windows_sys::Win32::Foundation::RECT;
use windows_sys::Win32::UI::WindowsAndMessaging::{SPI_GETWORKAREA, SystemParametersInfoW};

use super::Rect;

/// The primary monitor's work area (the screen without the taskbar).
pub fn work_area() -> Option<Rect> {
    let mut area = RECT {
        left: 0,
        top: 0,
        right: 0,
        bottom: 0,
    };
    // SAFETY: SPI_GETWORKAREA writes one RECT, which `area` is.
    let ok = unsafe { SystemParametersInfoW(SPI_GETWORKAREA, 0, (&raw mut area).cast(), 0) };
    let width = u32::try_from(area.right - area.left).ok()?;
    let height = u32::try_from(area.bottom - area.top).ok()?;
    (ok != 0 && width > 0 && height > 0).then(|| Rect::new(area.left, area.top, width, height))
}
