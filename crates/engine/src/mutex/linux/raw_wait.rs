//! raw_sync's timed wait on Linux, around its deadline bug, and the real
//! CLOCK_REALTIME deadline the robust mutex's timed lock takes.

use std::time::{Duration, Instant};

use raw_sync::Timeout;
use raw_sync::locks::LockImpl;

use crate::mutex::MutexError;

/// Pause between two attempts when raw_sync's timed wait cannot be used.
pub(super) const POLL: Duration = Duration::from_millis(1);

/// raw_sync's timed wait, and memlab's way around its deadline bug: when it
/// fails at once with EINVAL, poll with a zero timeout (a valid deadline)
/// until `timeout` has passed. `(taken, hit_the_bug)`.
pub(super) fn raw_sync_wait(
    mutex: &dyn LockImpl,
    timeout: Duration,
    start: Instant,
) -> Result<(bool, bool), MutexError> {
    let mut bug = false;
    let mut wait = timeout;
    loop {
        match mutex.try_lock(Timeout::Val(wait)) {
            Ok(guard) => {
                // Kept until `release`.
                std::mem::forget(guard);
                return Ok((true, bug));
            }
            Err(e) => {
                let message = e.to_string();
                match raw_sync_errno(&message) {
                    Some(libc::EINVAL) if start.elapsed() < timeout => {
                        bug = true;
                        wait = Duration::ZERO;
                    }
                    Some(libc::ETIMEDOUT) if bug && start.elapsed() < timeout => {
                        std::thread::sleep(POLL.min(timeout.saturating_sub(start.elapsed())));
                    }
                    Some(libc::ETIMEDOUT | libc::EINVAL) => return Ok((false, bug)),
                    _ => return Err(MutexError::RawSync { message }),
                }
            }
        }
    }
}

/// raw_sync reports errors as text ending in the pthread error number.
fn raw_sync_errno(message: &str) -> Option<i32> {
    message.rsplit(':').next()?.trim().parse().ok()
}

/// Now + `timeout` on CLOCK_REALTIME, nanoseconds carried into seconds
/// (the carry raw_sync forgets).
pub(super) fn realtime_deadline(timeout: Duration) -> libc::timespec {
    let now = rustix::time::clock_gettime(rustix::time::ClockId::Realtime);
    // Both terms are below 1e9, so the sum fits a 32-bit c_long too.
    let nanos = now.tv_nsec as libc::c_long + timeout.subsec_nanos() as libc::c_long;
    libc::timespec {
        tv_sec: now.tv_sec as libc::time_t
            + timeout.as_secs() as libc::time_t
            + (nanos / 1_000_000_000) as libc::time_t,
        tv_nsec: nanos % 1_000_000_000,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_sync_errors_give_their_number() {
        assert_eq!(raw_sync_errno("Failed to acquire mutex : 22"), Some(22));
        assert_eq!(raw_sync_errno("something else"), None);
    }

    #[test]
    fn deadlines_carry_nanoseconds() {
        let d = realtime_deadline(Duration::from_millis(999));
        assert!((0..1_000_000_000).contains(&d.tv_nsec));
    }
}
