//! How sizes, times and byte counts are written, the same in the window and
//! on the command line (units are not translated).

/// `4 KB`, `4 MB` (sizes are powers of two, or any whole number of KB).
pub fn format_size_kb(kb: u32) -> String {
    if kb >= 1024 && kb.is_multiple_of(1024) {
        format!("{} MB", kb / 1024)
    } else {
        format!("{kb} KB")
    }
}

/// Nanoseconds with a unit that keeps 3 or 4 significant digits.
pub fn format_ns(ns: f64) -> String {
    if ns < 1e3 {
        format!("{ns:.1} ns")
    } else if ns < 1e6 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{:.2} ms", ns / 1e6)
    }
}

/// Milliseconds with enough digits to read at least two of them: 412 ms,
/// 41.2 ms, 4.1 ms, 0.41 ms, 0.041 ms (never "0.0 ms").
pub fn format_ms(ms: f64) -> String {
    let decimals = if !ms.is_finite() || ms <= 0.0 {
        1
    } else if ms >= 100.0 {
        0
    } else {
        (1 - ms.log10().floor() as i32).clamp(1, 6) as usize
    };
    format!("{ms:.decimals$} ms")
}

/// The binary units of [`format_bytes`], each 1024 times the one before.
const BYTE_UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

/// The binary unit a byte count reads best in: (bytes per unit, unit name),
/// the largest unit the count has at least one of (B up to PiB). Also used
/// to pick one unit for a whole plot axis.
pub fn byte_unit(bytes: u64) -> (f64, &'static str) {
    let mut index = 0;
    let mut per_unit = 1u64;
    while index + 1 < BYTE_UNITS.len() && bytes / per_unit >= 1024 {
        per_unit *= 1024;
        index += 1;
    }
    (per_unit as f64, BYTE_UNITS[index])
}

/// A byte count for people, the one way memlab writes one (window and
/// command line alike): whole bytes below 1 KiB, then one decimal in the
/// largest binary unit it has at least one of: `512 B`, `1.5 KiB`,
/// `256.0 MiB`, `128.0 TiB`.
pub fn format_bytes(bytes: u64) -> String {
    match byte_unit(bytes) {
        (_, "B") => format!("{bytes} B"),
        (per_unit, unit) => format!("{:.1} {unit}", bytes as f64 / per_unit),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(format_size_kb(4), "4 KB");
        assert_eq!(format_size_kb(4096), "4 MB");
        assert_eq!(format_size_kb(1536), "1536 KB");
        assert_eq!(format_ns(52.04), "52.0 ns");
        assert_eq!(format_ns(1520.0), "1.52 µs");
        assert_eq!(format_ns(2.5e6), "2.50 ms");
        assert_eq!(byte_unit(0), (1.0, "B"));
        assert_eq!(byte_unit(2 << 20), ((1u64 << 20) as f64, "MiB"));
        assert_eq!(byte_unit(u64::MAX).1, "PiB");
    }

    #[test]
    fn bytes_read_one_way() {
        assert_eq!(format_bytes(0), "0 B");
        assert_eq!(format_bytes(512), "512 B");
        assert_eq!(format_bytes(1023), "1023 B");
        assert_eq!(format_bytes(1536), "1.5 KiB");
        assert_eq!(format_bytes(4096), "4.0 KiB");
        assert_eq!(format_bytes(3 << 20), "3.0 MiB");
        assert_eq!(format_bytes(256 << 20), "256.0 MiB");
        assert_eq!(format_bytes(3 << 30), "3.0 GiB");
        // The user part of a 47-bit address space.
        assert_eq!(format_bytes(128 << 40), "128.0 TiB");
        assert_eq!(format_bytes(u64::MAX), "16384.0 PiB");
    }

    #[test]
    fn milliseconds_keep_two_digits_at_least() {
        assert_eq!(format_ms(412.34), "412 ms");
        assert_eq!(format_ms(41.234), "41.2 ms");
        assert_eq!(format_ms(4.1234), "4.1 ms");
        assert_eq!(format_ms(0.41234), "0.41 ms");
        assert_eq!(format_ms(0.041234), "0.041 ms");
        assert_eq!(format_ms(0.0000412), "0.000041 ms");
        assert_eq!(format_ms(0.0), "0.0 ms");
    }
}
