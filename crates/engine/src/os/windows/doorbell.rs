//! What ringing a [`Doorbell`](crate::os::Doorbell) does on Windows besides
//! counting: nothing. The waits it ends (the shared text form's monitor,
//! the windows' table watcher) wait on a named event or sleep, a fraction
//! of a second at a time, and look at the bell in between.

use std::sync::atomic::AtomicU32;

/// Nothing to wake: the waiter sees the count at its next look.
pub(in crate::os) fn wake_bell(_word: &AtomicU32) {}
