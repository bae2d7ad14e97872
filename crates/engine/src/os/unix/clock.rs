//! The CPU time this process has used: `clock_gettime(CLOCK_PROCESS_CPUTIME_ID)`.

use std::time::Duration;

/// CPU time used so far by all threads of this process.
pub fn process_cpu_time() -> Duration {
    let ts = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}
