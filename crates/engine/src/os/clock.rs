//! Clocks: wall-clock time as milliseconds since the Unix epoch (the unit
//! stored in shared headers) shown in local time, and the CPU time this
//! process has used (to keep live displays cheap) and this thread has used
//! (tests' bounds on work).

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch (0 if the clock is before 1970).
pub fn now_unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// A stored millisecond stamp in this machine's time zone, with the zone,
/// for people to read: `2025-03-01 18:04:05.123 KST (+09:00)`.
pub fn format_unix_ms(ms: u64) -> String {
    format_in(ms, jiff::tz::TimeZone::system())
}

fn format_in(ms: u64, zone: jiff::tz::TimeZone) -> String {
    match jiff::Timestamp::from_millisecond(ms.min(i64::MAX as u64) as i64) {
        Ok(at) => at
            .to_zoned_datetime(zone)
            .strftime("%Y-%m-%d %H:%M:%S%.3f %Z (%:z)")
            .to_string(),
        Err(_) => format!("{ms} ms after 1970-01-01 UTC"),
    }
}

pub use super::sys::clock::{process_cpu_time, thread_cpu_time};

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn local_times_carry_their_zone() {
        // 2024-01-02 03:04:05.678 UTC.
        let ms = 1_704_164_645_678;
        let shown = format_unix_ms(ms);
        assert!(shown.contains(".678 "), "{shown}");
        // Whatever this machine's zone: its offset, as (+HH:MM).
        let offset = &shown[shown.len() - 8..];
        assert!(
            offset.starts_with("(+") || offset.starts_with("(-"),
            "{shown}"
        );
        assert_eq!(&offset[4..5], ":", "{shown}");
        let korea = jiff::tz::TimeZone::posix("KST-9").unwrap();
        assert_eq!(format_in(ms, korea), "2024-01-02 12:04:05.678 KST (+09:00)");
    }

    #[test]
    fn cpu_time_grows_with_work() {
        // Work until the clock moves (Windows counts in ticks of about
        // 15 ms, and a loaded machine may give this thread little time).
        let before = process_cpu_time();
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        let mut x = 0u64;
        while process_cpu_time() <= before {
            assert!(
                std::time::Instant::now() < deadline,
                "no CPU time counted in 60 s of work"
            );
            for _ in 0..100_000 {
                x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
            }
        }
    }
}
