//! Under wine, an idle window's UI thread must sleep: a way around wine
//! 8.0's lost paint count.
//!
//! winit (eframe's event loop) asks for a frame with
//! `RedrawWindow(hwnd, NULL, NULL, RDW_INTERNALPAINT)`, and its hidden
//! "thread event target" window is given one after every message it
//! handles. It waits for work with `MsgWaitForMultipleObjectsEx(..,
//! QS_ALLINPUT, MWMO_INPUTAVAILABLE)`, which returns as long as the
//! thread's queue says it holds something, `QS_PAINT` included. wine
//! 8.0 counts an internal paint in the queue's paint count and, when it
//! hands out that window's `WM_PAINT`, clears the window's internal-paint
//! flag without taking it off the count (`find_window_to_repaint` in
//! wine's `server/window.c`): `QS_PAINT` stays set for good although no
//! `WM_PAINT` is left to take, so the wait returns at once, for ever. The
//! thread then loops at 70,000-90,000 wake-ups a second
//! (`tests/windows_ui_idle.rs` shows it in a few lines of Win32, and in a
//! bare eframe window). Windows takes the paint off the count with the flag,
//! and the same wait sleeps.
//!
//! A paint asked for through the update region is counted right by wine
//! (`BeginPaint` / `ValidateRect` take it off). So [`work_around`], under
//! wine only, points memlab.exe's own import of `user32!RedrawWindow` at a
//! function that asks for an internal paint of a whole window as an
//! invalidation of its client area instead (`RDW_INVALIDATE`, without erase
//! or frame): the same one `WM_PAINT`, the same handlers (winit's validate
//! the region, eframe draws all of its window anyway). Every other call
//! passes unchanged; on Windows nothing is touched.

use std::sync::atomic::{AtomicUsize, Ordering};

use windows_sys::Win32::Foundation::{HWND, RECT};
use windows_sys::Win32::Graphics::Gdi::{
    HRGN, RDW_FRAME, RDW_INTERNALPAINT, RDW_INVALIDATE, RDW_NOERASE, RDW_NOFRAME, RDW_VALIDATE,
    REDRAW_WINDOW_FLAGS,
};
use windows_sys::Win32::System::LibraryLoader::{GetModuleHandleW, GetProcAddress};
use windows_sys::Win32::System::Memory::{PAGE_PROTECTION_FLAGS, PAGE_READWRITE, VirtualProtect};
use windows_sys::core::BOOL;

use super::wide;

/// What [`work_around`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workaround {
    /// Not under wine: nothing changed.
    NotWine,
    /// Under wine: `RedrawWindow` now goes through memlab's function.
    Installed,
    /// Under wine, installed before.
    AlreadyInstalled,
}

/// Why the import could not be redirected (memlab then runs as before).
#[derive(Debug, thiserror::Error)]
pub enum WorkaroundError {
    #[error("this executable's headers are not those of a 64-bit PE image ({0})")]
    BadImage(&'static str),
    #[error("this executable does not import RedrawWindow from user32.dll by name")]
    NoImport,
    #[error("cannot make the import table writable: {0}")]
    Protect(std::io::Error),
}

type RedrawWindowFn =
    unsafe extern "system" fn(HWND, *const RECT, HRGN, REDRAW_WINDOW_FLAGS) -> BOOL;

/// user32's own `RedrawWindow`, once the import points elsewhere (0: not yet).
static ORIGINAL: AtomicUsize = AtomicUsize::new(0);

/// True under wine (its ntdll exports `wine_get_version`; Windows' does not).
pub fn under_wine() -> bool {
    let ntdll = wide("ntdll.dll");
    // SAFETY: a NUL-terminated UTF-16 name; ntdll is loaded in every process.
    let module = unsafe { GetModuleHandleW(ntdll.as_ptr()) };
    if module.is_null() {
        return false;
    }
    // SAFETY: a loaded module and a NUL-terminated ASCII name.
    unsafe { GetProcAddress(module, c"wine_get_version".as_ptr().cast()) }.is_some()
}

/// The flags wine counts right for the same paint: an internal paint of the
/// whole window becomes an invalidation of its client area. `None`: pass
/// the call on unchanged (a region or rectangle given, or anything but an
/// internal paint asked for).
pub fn flags_counted_right(
    flags: REDRAW_WINDOW_FLAGS,
    whole_window: bool,
) -> Option<REDRAW_WINDOW_FLAGS> {
    let plain_internal =
        flags & RDW_INTERNALPAINT != 0 && flags & (RDW_INVALIDATE | RDW_VALIDATE | RDW_FRAME) == 0;
    (whole_window && plain_internal)
        .then_some((flags & !RDW_INTERNALPAINT) | RDW_INVALIDATE | RDW_NOERASE | RDW_NOFRAME)
}

/// What memlab.exe's `RedrawWindow` import points at under wine.
unsafe extern "system" fn redraw_window(
    hwnd: HWND,
    rect: *const RECT,
    region: HRGN,
    flags: REDRAW_WINDOW_FLAGS,
) -> BOOL {
    let whole_window = rect.is_null() && region.is_null();
    let flags = flags_counted_right(flags, whole_window).unwrap_or(flags);
    let original = ORIGINAL.load(Ordering::Acquire);
    // SAFETY: set to user32's RedrawWindow before the import pointed here.
    let original: RedrawWindowFn =
        unsafe { std::mem::transmute::<usize, RedrawWindowFn>(original) };
    // SAFETY: the caller's arguments, passed on.
    unsafe { original(hwnd, rect, region, flags) }
}

/// Under wine, points this executable's import of `user32!RedrawWindow` at
/// [`redraw_window`] (see the module's text); elsewhere does nothing. Call
/// it first thing in `main`, before any window exists.
pub fn work_around() -> Result<Workaround, WorkaroundError> {
    if !under_wine() {
        return Ok(Workaround::NotWine);
    }
    if ORIGINAL.load(Ordering::Acquire) != 0 {
        return Ok(Workaround::AlreadyInstalled);
    }
    let slots = import_slots(b"user32.dll", b"RedrawWindow")?;
    for slot in slots {
        let mut old: PAGE_PROTECTION_FLAGS = 0;
        let size = std::mem::size_of::<usize>();
        // SAFETY: the slot is a pointer-sized entry of this image's import table.
        if unsafe { VirtualProtect(slot.cast(), size, PAGE_READWRITE, &mut old) } == 0 {
            return Err(WorkaroundError::Protect(std::io::Error::last_os_error()));
        }
        // SAFETY: writable now, aligned (import tables are arrays of u64),
        // and read by callers only as a whole pointer.
        let atomic = unsafe { AtomicUsize::from_ptr(slot) };
        // Every slot holds user32's RedrawWindow (the loader filled them).
        let _ = ORIGINAL.compare_exchange(
            0,
            atomic.load(Ordering::Acquire),
            Ordering::AcqRel,
            Ordering::Acquire,
        );
        atomic.store(redraw_window as RedrawWindowFn as usize, Ordering::Release);
        let mut unused: PAGE_PROTECTION_FLAGS = 0;
        // SAFETY: as above, the protection it had put back.
        unsafe { VirtualProtect(slot.cast(), size, old, &mut unused) };
    }
    Ok(Workaround::Installed)
}

/// Reads a little-endian u32 / u16 at `base + offset`.
unsafe fn u32_at(base: *const u8, offset: usize) -> u32 {
    // SAFETY: the caller's: inside the mapped image.
    unsafe { base.add(offset).cast::<u32>().read_unaligned() }
}

unsafe fn u16_at(base: *const u8, offset: usize) -> u16 {
    // SAFETY: the caller's: inside the mapped image.
    unsafe { base.add(offset).cast::<u16>().read_unaligned() }
}

/// The NUL-terminated ASCII name at `base + offset`.
unsafe fn name_at<'a>(base: *const u8, offset: usize) -> &'a [u8] {
    // SAFETY: the caller's: a NUL-terminated name inside the mapped image.
    unsafe { std::ffi::CStr::from_ptr(base.add(offset).cast()) }.to_bytes()
}

/// The import address table's entries for `function` of `dll` in this
/// executable: one per import descriptor naming that DLL (a linker may
/// keep one per import library). PE32+: the import directory is data
/// directory 1; each descriptor is 20 bytes (lookup table, -, -, DLL name,
/// address table).
fn import_slots(dll: &[u8], function: &[u8]) -> Result<Vec<*mut usize>, WorkaroundError> {
    // SAFETY: null: the executable of this process.
    let base = unsafe { GetModuleHandleW(std::ptr::null()) } as *const u8;
    if base.is_null() {
        return Err(WorkaroundError::BadImage("no module handle"));
    }
    // SAFETY: every read below is inside this process's executable image,
    // at offsets its own headers give.
    unsafe {
        if u16_at(base, 0) != 0x5A4D {
            return Err(WorkaroundError::BadImage("no MZ"));
        }
        let nt = u32_at(base, 0x3C) as usize;
        if u32_at(base, nt) != 0x0000_4550 {
            return Err(WorkaroundError::BadImage("no PE signature"));
        }
        let optional = nt + 24;
        if u16_at(base, optional) != 0x20B {
            return Err(WorkaroundError::BadImage("not PE32+"));
        }
        // DataDirectory starts at 112 in PE32+; entry 1 is the imports.
        let imports = u32_at(base, optional + 112 + 8) as usize;
        if imports == 0 {
            return Err(WorkaroundError::NoImport);
        }
        let mut slots = Vec::new();
        let mut descriptor = imports;
        loop {
            let lookup = u32_at(base, descriptor) as usize;
            let name = u32_at(base, descriptor + 12) as usize;
            let address = u32_at(base, descriptor + 16) as usize;
            if name == 0 {
                return if slots.is_empty() {
                    Err(WorkaroundError::NoImport)
                } else {
                    Ok(slots)
                };
            }
            if name_at(base, name).eq_ignore_ascii_case(dll) && lookup != 0 {
                let mut i = 0;
                loop {
                    let entry = base.add(lookup + 8 * i).cast::<u64>().read_unaligned();
                    if entry == 0 {
                        break;
                    }
                    // Bit 63: by ordinal; else the RVA of a hint and a name.
                    if entry >> 63 == 0 && name_at(base, entry as usize + 2) == function {
                        slots.push(base.add(address + 8 * i).cast_mut().cast::<usize>());
                    }
                    i += 1;
                }
            }
            descriptor += 20;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_internal_paint_of_the_whole_window_becomes_an_invalidation() {
        assert_eq!(
            flags_counted_right(RDW_INTERNALPAINT, true),
            Some(RDW_INVALIDATE | RDW_NOERASE | RDW_NOFRAME)
        );
    }

    #[test]
    fn other_calls_pass_unchanged() {
        assert_eq!(flags_counted_right(RDW_INTERNALPAINT, false), None);
        assert_eq!(flags_counted_right(RDW_INVALIDATE, true), None);
        assert_eq!(
            flags_counted_right(RDW_INTERNALPAINT | RDW_INVALIDATE, true),
            None
        );
        assert_eq!(
            flags_counted_right(RDW_INTERNALPAINT | RDW_FRAME, true),
            None
        );
    }

    #[test]
    fn an_import_is_found_by_its_dll_and_name() {
        // The engine's test binary may not import RedrawWindow at all; it
        // imports GetModuleHandleW (above) from kernel32.
        let found = import_slots(b"kernel32.dll", b"GetModuleHandleW");
        assert!(found.as_ref().is_ok_and(|s| !s.is_empty()), "{found:?}");
        let absent = import_slots(b"kernel32.dll", b"NoSuchFunctionAnywhere");
        assert!(
            matches!(absent, Err(WorkaroundError::NoImport)),
            "{absent:?}"
        );
    }
}
