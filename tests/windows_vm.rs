//! The virtual-memory labs on Windows, run under wine by
//! `.ci/windows/test` (and on a real Windows by `cargo test`), through real
//! `memlab.exe` processes: `sysinfo` on GetSystemInfo, GlobalMemoryStatusEx
//! and GetPerformanceInfo, and the system information lab in a real window.
#![cfg(windows)]

use std::process::{Command, Output};

fn memlab() -> Command {
    Command::new(env!("CARGO_BIN_EXE_memlab"))
}

fn run(args: &[&str]) -> Output {
    memlab().args(args).output().expect("memlab.exe runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn number(v: &serde_json::Value, key: &str) -> u64 {
    v[key]
        .as_u64()
        .unwrap_or_else(|| panic!("{key} is not a number in {v}"))
}

#[test]
fn sysinfo_json_has_the_page_size_and_the_64_kib_granularity() {
    let out = run(&["sysinfo", "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_str(&text(&out.stdout)).unwrap();
    assert_eq!(v["page_size"], 4096);
    assert_eq!(v["allocation_granularity"], 65536);
    assert_eq!(v["windows_allocation_granularity"], 65536);
    // The first 64 KiB are never handed out; a 64-bit process has far more
    // than the book's 2 GiB.
    assert_eq!(number(&v, "lowest_address"), 0x10000);
    let highest = number(&v, "highest_address");
    assert!(highest > 1 << 32, "{highest:#x}");
    assert!(number(&v, "total_virtual") > 1 << 32);
    assert_eq!(v["arch"], std::env::consts::ARCH);
    assert!(number(&v, "processors") >= 1);
    let total = number(&v, "physical_total");
    assert!(total > 0 && number(&v, "physical_available") <= total);
    // GetPerformanceInfo's commit charge and limit.
    let charge = number(&v, "commit_charge");
    assert!(charge > 0 && number(&v, "commit_limit") >= charge, "{v}");
    // No overcommit modes on Windows; the lock limit is the working set.
    assert!(v["overcommit"].is_null(), "{v}");
    let (min, max) = (
        number(&v["lock_limit"], "soft"),
        number(&v["lock_limit"], "hard"),
    );
    assert!(0 < min && min <= max, "working set {min}..{max}");
}

#[test]
fn sysinfo_text_names_the_calls_made_and_the_fields_read() {
    let out = run(&["sysinfo"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let t = text(&out.stdout);
    let first = t.lines().next().unwrap_or_default();
    assert_eq!(
        first,
        "GetSystemInfo + GlobalMemoryStatusEx -> GetSystemInfo + GlobalMemoryStatusEx + \
         GetPerformanceInfo + GetProcessWorkingSetSize",
    );
    for needle in [
        "page size               4096 bytes (dwPageSize)",
        "allocation granularity  65536 bytes (64.0 KiB, dwAllocationGranularity)",
        "lowest address          0x10000 (lpMinimumApplicationAddress)",
        "(GetPerformanceInfo: CommitTotal, CommitLimit",
        "(GetProcessWorkingSetSize)",
    ] {
        assert!(t.contains(needle), "no {needle:?} in\n{t}");
    }
    assert!(!t.contains("Linux") && !t.contains("/proc"), "{t}");
}

/// The lab is in the window's list: `screenshot --lab sysinfo` renders it
/// (glow, in wine's virtual desktop) and saves the app's own picture.
#[test]
fn screenshot_renders_the_system_information_lab() {
    let out = std::env::temp_dir().join(format!("memlab-winvm-{}.png", std::process::id()));
    let _ = std::fs::remove_file(&out);
    let shot = memlab()
        .args(["screenshot", "--lab", "sysinfo", "--lang", "ko"])
        .args(["--size", "900x700", "--out"])
        .arg(&out)
        .output()
        .expect("memlab.exe screenshot");
    assert!(shot.status.success(), "{}", text(&shot.stderr));
    let picture = image::open(&out).expect("a PNG").to_rgba8();
    std::fs::remove_file(&out).unwrap();
    assert_eq!(picture.dimensions(), (900, 700));
    let mut colours: Vec<[u8; 4]> = picture.pixels().map(|p| p.0).collect();
    colours.sort_unstable();
    colours.dedup();
    assert!(colours.len() > 20, "only {} colours", colours.len());
}
