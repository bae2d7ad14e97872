//! How sizes, times, byte counts and crossovers are written, the same in
//! the window and on the command line (English units, no UI).

use crate::core::alloc::sweep::Crossover;

/// A crossover counts when the new leader is faster by more than this (5 %),
/// so managers within noise of each other do not flip-flop.
pub const CROSSOVER_MARGIN: f64 = 0.05;

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

/// The binary unit a byte count reads best in: (bytes per unit, unit name).
/// Also used to pick one unit for a whole plot axis.
pub fn byte_unit(bytes: u64) -> (f64, &'static str) {
    const K: u64 = 1024;
    if bytes >= K * K * K {
        ((K * K * K) as f64, "GiB")
    } else if bytes >= K * K {
        ((K * K) as f64, "MiB")
    } else if bytes >= K {
        (K as f64, "KiB")
    } else {
        (1.0, "B")
    }
}

/// Bytes in B, KiB, MiB or GiB.
pub fn format_bytes(bytes: u64) -> String {
    match byte_unit(bytes) {
        (_, "B") => format!("{bytes} B"),
        (div, unit @ "KiB") => format!("{:.1} {unit}", bytes as f64 / div),
        (div, unit) => format!("{:.2} {unit}", bytes as f64 / div),
    }
}

/// `between 2 KB and 4 KB: from mimalloc to default` (words, not an arrow:
/// the fonts memlab ships draw no arrow; see `tests/fonts.rs`).
pub fn crossover_text(c: &Crossover) -> String {
    format!(
        "between {} and {}: from {} to {}",
        format_size_kb(c.below_kb),
        format_size_kb(c.from_kb),
        c.faster_below,
        c.faster_from
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::alloc::ManagerKind;

    #[test]
    fn formats() {
        assert_eq!(format_size_kb(4), "4 KB");
        assert_eq!(format_size_kb(4096), "4 MB");
        assert_eq!(format_size_kb(1536), "1536 KB");
        assert_eq!(format_ns(52.04), "52.0 ns");
        assert_eq!(format_ns(1520.0), "1.52 µs");
        assert_eq!(format_ns(2.5e6), "2.50 ms");
        assert_eq!(format_bytes(512), "512 B");
        assert_eq!(format_bytes(1023), "1023 B");
        assert_eq!(format_bytes(1536), "1.5 KiB");
        assert_eq!(format_bytes(3 << 20), "3.00 MiB");
        assert_eq!(format_bytes(5 << 30), "5.00 GiB");
        assert_eq!(byte_unit(0), (1.0, "B"));
        assert_eq!(byte_unit(2 << 20), ((1u64 << 20) as f64, "MiB"));
    }

    #[test]
    fn crossover_reads_as_a_range_and_a_hand_over() {
        let c = Crossover {
            below_kb: 512,
            from_kb: 1024,
            faster_below: ManagerKind::Mimalloc,
            faster_from: ManagerKind::Default,
        };
        assert_eq!(
            crossover_text(&c),
            "between 512 KB and 1 MB: from mimalloc to default"
        );
    }
}
