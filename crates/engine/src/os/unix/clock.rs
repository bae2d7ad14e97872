//! The CPU time this process has used: `clock_gettime(CLOCK_PROCESS_CPUTIME_ID)`.

use std::time::Duration;

/// CPU time used so far by all threads of this process.
pub fn process_cpu_time() -> Duration {
    // SAFETY: all-zero is a valid timespec; clock_gettime only writes it.
    let mut ts: libc::timespec = unsafe { std::mem::zeroed() };
    // SAFETY: a valid clock id and a pointer to a live timespec.
    if unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) } != 0 {
        return Duration::ZERO;
    }
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}
