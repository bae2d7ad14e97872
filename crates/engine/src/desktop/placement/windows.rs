//! The work area on Windows: the monitor that holds a point
//! (`MonitorFromPoint`) and its work area (`GetMonitorInfoW`'s `rcWork`:
//! the monitor without the taskbar), or the primary monitor's
//! (`SystemParametersInfoW(SPI_GETWORKAREA)`) when no monitor is named.

use windows_sys::Win32::Foundation::{POINT, RECT};
use windows_sys::Win32::Graphics::Gdi::{
    GetMonitorInfoW, MONITOR_DEFAULTTONEAREST, MONITOR_DEFAULTTONULL, MONITOR_FROM_FLAGS,
    MONITORINFO, MonitorFromPoint,
};
use windows_sys::Win32::UI::WindowsAndMessaging::{
    GetCursorPos, SPI_GETWORKAREA, SystemParametersInfoW,
};

use super::Rect;

const NO_RECT: RECT = RECT {
    left: 0,
    top: 0,
    right: 0,
    bottom: 0,
};

fn rect(r: RECT) -> Option<Rect> {
    let width = u32::try_from(r.right - r.left).ok()?;
    let height = u32::try_from(r.bottom - r.top).ok()?;
    (width > 0 && height > 0).then(|| Rect::new(r.left, r.top, width, height))
}

/// The primary monitor's work area.
fn primary_work_area() -> Option<Rect> {
    let mut area = NO_RECT;
    // SAFETY: SPI_GETWORKAREA writes one RECT, which `area` is.
    let ok = unsafe { SystemParametersInfoW(SPI_GETWORKAREA, 0, (&raw mut area).cast(), 0) };
    if ok == 0 { None } else { rect(area) }
}

/// The work area of the monitor `flags` picks for `point`.
fn monitor_work_area(point: (i32, i32), flags: MONITOR_FROM_FLAGS) -> Option<Rect> {
    let point = POINT {
        x: point.0,
        y: point.1,
    };
    // SAFETY: plain call; a null monitor is "none", checked below.
    let monitor = unsafe { MonitorFromPoint(point, flags) };
    if monitor.is_null() {
        return None;
    }
    let mut info = MONITORINFO {
        cbSize: size_of::<MONITORINFO>() as u32,
        rcMonitor: NO_RECT,
        rcWork: NO_RECT,
        dwFlags: 0,
    };
    // SAFETY: a monitor handle Windows just gave, and a MONITORINFO with
    // its cbSize set, as the call requires.
    let ok = unsafe { GetMonitorInfoW(monitor, &mut info) };
    if ok == 0 { None } else { rect(info.rcWork) }
}

/// The work area of the monitor nearest `near` (the pointer's when
/// `None`), or the primary monitor's if Windows does not say.
pub fn work_area(near: Option<(i32, i32)>) -> Option<Rect> {
    let near = near.or_else(|| {
        let mut point = POINT { x: 0, y: 0 };
        // SAFETY: writes one POINT, which `point` is.
        let ok = unsafe { GetCursorPos(&mut point) };
        (ok != 0).then_some((point.x, point.y))
    });
    near.and_then(|p| monitor_work_area(p, MONITOR_DEFAULTTONEAREST))
        .or_else(primary_work_area)
}

/// The work area of the monitor that holds `point`, if one does.
pub fn work_area_at(point: (i32, i32)) -> Option<Rect> {
    monitor_work_area(point, MONITOR_DEFAULTTONULL)
}
