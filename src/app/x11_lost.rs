//! A lost X server (it ended: a logout, a dropped `ssh -X`) does not end
//! memlab before it detaches. Xlib calls its I/O error handler and then,
//! by default, `exit()`, which runs no destructor: the shared text's object
//! and the window's roster slot would stay behind in `/dev/shm`. libX11 1.7
//! and later let a program replace that `exit()` for a display
//! (`XSetIOErrorExitHandler`): memlab's leaves every roster it is on (the
//! last instance removing its object, as a normal close would), says so in
//! one line and ends with exit code 1.
//!
//! It does not return to Xlib: tried, winit then either spun on the dead
//! connection's descriptor (30 % of a core, for good) or Mesa died of
//! SIGSEGV on a reply that never came, and unwinding out of Xlib's C
//! frames would run GL teardown on a dead display too.
//!
//! winit opens libX11 itself (through x11-dl); the library is found again
//! with `dlopen(RTLD_NOLOAD)`, never loaded a second time.

use std::ffi::{CStr, c_char, c_int, c_void};
use std::sync::OnceLock;

use winit::raw_window_handle::{HasDisplayHandle, RawDisplayHandle};

/// The display whose connection was lost, once it was (said once).
static LOST: OnceLock<String> = OnceLock::new();

type IoErrorHandler = unsafe extern "C" fn(*mut c_void) -> c_int;
type IoErrorExitHandler = unsafe extern "C" fn(*mut c_void, *mut c_void);
type SetIoErrorHandler = unsafe extern "C" fn(Option<IoErrorHandler>) -> Option<IoErrorHandler>;
type SetIoErrorExitHandler =
    unsafe extern "C" fn(*mut c_void, Option<IoErrorExitHandler>, *mut c_void);

/// Replaces Xlib's `exit()` on a lost connection for the window `cc` opens
/// on X11 (nothing on Wayland). Says so on stderr if it cannot.
pub fn watch(cc: &eframe::CreationContext<'_>) {
    let display = match cc.display_handle().map(|h| h.as_raw()) {
        Ok(RawDisplayHandle::Xlib(handle)) => handle.display,
        _ => return,
    };
    let Some(display) = display else { return };
    let library = c"libX11.so.6";
    // SAFETY: dlopen with RTLD_NOLOAD only finds a library already loaded
    // (winit's); the handle is never closed, so the library stays.
    let lib = unsafe { libc::dlopen(library.as_ptr(), libc::RTLD_NOW | libc::RTLD_NOLOAD) };
    if lib.is_null() {
        return;
    }
    let symbol = |name: &CStr| {
        // SAFETY: `lib` is a valid handle and `name` a C string.
        unsafe { libc::dlsym(lib, name.as_ptr()) }
    };
    let set_exit = symbol(c"XSetIOErrorExitHandler");
    let set_handler = symbol(c"XSetIOErrorHandler");
    if set_exit.is_null() || set_handler.is_null() {
        eprintln!(
            "memlab: this libX11 has no XSetIOErrorExitHandler (1.7 or later has): if the X server goes away, memlab ends without detaching"
        );
        return;
    }
    // SAFETY: the symbols are libX11's functions with these C signatures
    // (Xlib.h); `display` is winit's live Display, and the handlers are
    // `extern "C"` functions that live as long as the program.
    unsafe {
        let set_exit: SetIoErrorExitHandler = std::mem::transmute(set_exit);
        let set_handler: SetIoErrorHandler = std::mem::transmute(set_handler);
        set_handler(Some(on_io_error));
        set_exit(
            display.as_ptr(),
            Some(instead_of_exit),
            std::ptr::null_mut(),
        );
    }
}

/// Xlib's I/O error handler: the message, once (Xlib's own would print its
/// own and nothing else).
unsafe extern "C" fn on_io_error(display: *mut c_void) -> c_int {
    let name = display_name(display);
    if LOST.set(name.clone()).is_ok() {
        // One write, so that windows sharing a log never mix their lines.
        let line = format!(
            "memlab: error: the connection to the X server {name:?} was lost; memlab detached and ended\n"
        );
        let _ = std::io::Write::write_all(&mut std::io::stderr(), line.as_bytes());
    }
    0
}

/// Called by Xlib instead of `exit()`: leaves every roster, then ends.
unsafe extern "C" fn instead_of_exit(display: *mut c_void, _data: *mut c_void) {
    // SAFETY: the same call Xlib makes first; harmless if it already did.
    unsafe { on_io_error(display) };
    memlab_engine::os::slots::leave_all();
    // SAFETY: _exit ends the process at once, as Xlib's exit() would have,
    // without running atexit handlers in a process whose display is gone.
    unsafe { libc::_exit(1) }
}

/// `DisplayString(display)`: the name the connection was opened with.
fn display_name(display: *mut c_void) -> String {
    type DisplayString = unsafe extern "C" fn(*mut c_void) -> *mut c_char;
    // SAFETY: as in `watch`; XDisplayString only reads the Display, which
    // outlives the error handler's call.
    unsafe {
        let lib = libc::dlopen(c"libX11.so.6".as_ptr(), libc::RTLD_NOW | libc::RTLD_NOLOAD);
        let f = if lib.is_null() {
            std::ptr::null_mut()
        } else {
            libc::dlsym(lib, c"XDisplayString".as_ptr())
        };
        if f.is_null() || display.is_null() {
            return std::env::var("DISPLAY").unwrap_or_default();
        }
        let f: DisplayString = std::mem::transmute(f);
        let name = f(display);
        if name.is_null() {
            return String::new();
        }
        CStr::from_ptr(name).to_string_lossy().into_owned()
    }
}
