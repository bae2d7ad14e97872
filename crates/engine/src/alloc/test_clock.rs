//! The calling thread's CPU time, for tests that bound how much work
//! something takes: it moves only while the thread runs, so a loaded
//! machine (which stretches the wall clock) does not break their bounds.

use std::time::Duration;

/// CPU time (user + system) the calling thread has used.
pub fn thread_cpu_time() -> Duration {
    let ts = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}
