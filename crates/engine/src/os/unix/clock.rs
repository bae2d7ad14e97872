//! The CPU time this process has used: `clock_gettime(CLOCK_PROCESS_CPUTIME_ID)`.

use std::time::Duration;

/// CPU time used so far by all threads of this process.
pub fn process_cpu_time() -> Duration {
    let ts = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// CPU time used so far by the calling thread (tests bound work with it:
/// it moves only while the thread runs, whatever the machine's load).
pub fn thread_cpu_time() -> Duration {
    let ts = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}
