//! The signals that end a process (SIGINT, SIGTERM, SIGHUP), held from
//! memlab's first instruction until it can end properly.
//!
//! A command that attaches to a shared object and stops on a signal (a
//! window, `watch`, `hold`) can only detach once its handler is installed,
//! and it installs it once it knows what to stop; a signal in the
//! milliseconds before would kill it attached and leave its object behind.
//! So `main` holds them first ([`hold`]: blocked, so one that comes stays
//! pending), [`on_signal`] installs the handler and lets them through (a
//! pending one then reaches the handler), and [`release`] lets them through
//! without a handler: at the end of a command, after everything was
//! cleaned up, where a pending one ends memlab as it would have, or at the
//! start of a command that attaches to nothing.
//!
//! Only the main thread unblocks them: every thread spawned meanwhile keeps
//! them blocked, so the main thread is where they arrive. (Child processes
//! start with an empty mask: Rust's `Command` resets it.)

/// Blocks the ending signals in this thread (call it first in `main`,
/// before any thread exists, so that every thread inherits it).
pub fn hold() {
    os::set_blocked(true);
}

/// Lets the ending signals through to this thread: one held until now
/// takes effect (without a handler, it ends memlab).
pub fn release() {
    os::set_blocked(false);
}

/// Runs `handler` (on a thread of ctrlc's) for each ending signal from now
/// on, including one held until now. Once per process; if it cannot, the
/// signals are let through anyway, so that Ctrl+C still ends memlab.
pub fn on_signal(handler: impl FnMut() + Send + 'static) -> Result<(), ctrlc::Error> {
    let installed = ctrlc::set_handler(handler);
    release();
    installed
}

#[cfg(unix)]
mod os {
    /// The ending signals, as ctrlc's "termination" feature handles them.
    const ENDING: [i32; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

    pub(super) fn set_blocked(blocked: bool) {
        // SAFETY: `set` is initialised by sigemptyset before use, and
        // pthread_sigmask only reads it; no old mask is asked for.
        unsafe {
            let mut set = std::mem::zeroed::<libc::sigset_t>();
            libc::sigemptyset(&mut set);
            for signal in ENDING {
                libc::sigaddset(&mut set, signal);
            }
            let how = if blocked {
                libc::SIG_BLOCK
            } else {
                libc::SIG_UNBLOCK
            };
            libc::pthread_sigmask(how, &set, std::ptr::null_mut());
        }
    }
}

#[cfg(not(unix))]
mod os {
    /// Windows has no signal mask: Ctrl+C is handled as before.
    pub(super) fn set_blocked(_blocked: bool) {}
}
