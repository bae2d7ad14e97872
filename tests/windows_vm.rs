//! The virtual-memory labs on Windows, run under wine by
//! `.ci/windows/test` (and on a real Windows by `cargo test`), through real
//! `memlab.exe` processes: `sysinfo` on GetSystemInfo, GlobalMemoryStatusEx
//! and GetPerformanceInfo, and the system information lab in a real window.
#![cfg(windows)]

mod wine;
use wine::{Retrying, memlab, run, screenshot_colours, text};

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
    let colours = screenshot_colours("sysinfo", "ko", false, (900, 700));
    assert!(colours > 20, "only {colours} colours");
}

fn of_type<'a>(
    regions: &'a [serde_json::Value],
    t: &'a str,
) -> impl Iterator<Item = &'a serde_json::Value> {
    regions.iter().filter(move |r| r["type"] == t)
}

/// `maps --json`: the VirtualQueryEx walk covers user space without a gap,
/// names images by K32GetMappedFileNameW, gives Win32 protections, and
/// names memlab's own regions (the bundled font, this thread's stack, the
/// process heaps).
#[test]
fn maps_json_is_the_virtualquery_walk_with_memlabs_regions_named() {
    let out = run(&["maps", "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_str(&text(&out.stdout)).unwrap();
    let regions = v["regions"].as_array().unwrap();
    assert!(regions.len() > 20, "{} regions", regions.len());
    assert_eq!(number(&v, "lowest_address"), 0x10000);
    assert_eq!(number(&regions[0], "start"), 0x10000);
    let mut end = 0x10000;
    for r in regions {
        assert_eq!(number(r, "start"), end, "a gap or an overlap before {r}");
        end += number(r, "size");
    }
    assert_eq!(end, number(&v, "highest_address") + 1);
    // Free address space is one block between two used ones.
    for pair in regions.windows(2) {
        assert!(
            pair[0]["type"] != "free" || pair[1]["type"] != "free",
            "{pair:?}"
        );
    }
    let exe = env!("CARGO_BIN_EXE_memlab")
        .rsplit(['/', '\\'])
        .next()
        .unwrap();
    let images: Vec<&str> = of_type(regions, "image")
        .filter_map(|r| r["path"].as_str())
        .collect();
    assert!(
        images.iter().all(|p| !p.starts_with("\\??\\")),
        "{images:?}"
    );
    for name in ["ntdll.dll", "kernel32.dll", exe] {
        let name = name.to_lowercase();
        assert!(
            images.iter().any(|p| p.to_lowercase().ends_with(&name)),
            "no image {name} in {images:?}"
        );
    }
    assert!(of_type(regions, "image").any(|r| r["owner"]["kind"] == "bundled_font"));
    assert!(of_type(regions, "stack").any(|r| r["owner"]["kind"] == "thread_stack"));
    assert!(of_type(regions, "heap").count() > 0);
    assert!(of_type(regions, "free").count() > 0);
    let protections: Vec<&str> = regions
        .iter()
        .filter_map(|r| r["protection"].as_str())
        .collect();
    for p in ["PAGE_READONLY", "PAGE_READWRITE", "PAGE_EXECUTE_READ"] {
        assert!(protections.contains(&p), "no {p} in {protections:?}");
    }
    // Free and reserved pages are charged nothing; committed ones are.
    for r in regions {
        let committed = r["protection"] != "";
        assert_eq!(r["charged"], committed, "{r}");
    }
    assert!(number(&v, "largest_free") > 1 << 40);
    // Something of the committed pages is in RAM.
    let resident: u64 = v["totals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| number(t, "resident"))
        .sum();
    assert!(resident > 0, "{}", v["totals"]);
}

#[test]
fn maps_text_names_the_calls_and_the_largest_free_block() {
    let out = run(&["maps"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let t = text(&out.stdout);
    let first = t.lines().next().unwrap_or_default();
    assert!(
        first.starts_with(
            "VirtualQueryEx (VMMap) -> VirtualQueryEx + K32GetMappedFileNameW + \
             QueryWorkingSetEx of memlab itself: "
        ),
        "{first}"
    );
    assert!(t.contains("largest free block: "), "{t}");
    assert!(t.contains("holds the bundled font"), "{t}");
    assert!(!t.contains("/proc"), "{t}");
}

/// Another process by PID (OpenProcess + VirtualQueryEx): a second
/// memlab.exe holding a shared text's lock; a PID no process has is a
/// usage error.
#[test]
fn maps_of_another_process_by_pid() {
    use std::io::BufRead;
    use std::process::Stdio;
    let name = format!("winvm-maps-{}", std::process::id());
    let mut other = memlab()
        .args(["shared", "--name", &name, "hold", "--seconds", "60"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn_retrying()
        .expect("a second memlab.exe");
    let mut line = String::new();
    std::io::BufReader::new(other.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.starts_with("holding"), "{line}");
    let pid = other.id().to_string();
    let out = run(&["maps", "--pid", &pid, "--json"]);
    let _ = other.kill();
    let _ = other.wait();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_str(&text(&out.stdout)).unwrap();
    assert_eq!(v["pid"].as_u64(), Some(u64::from(other.id())));
    let regions = v["regions"].as_array().unwrap();
    assert!(
        of_type(regions, "image").any(|r| r["path"]
            .as_str()
            .is_some_and(|p| p.to_lowercase().ends_with("ntdll.dll"))),
        "no ntdll.dll in PID {pid}"
    );
    // Its objects are not this process's: none is named.
    assert!(regions.iter().all(|r| r["owner"].is_null()));

    let out = run(&["maps", "--pid", "4000000000"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("there is no process 4000000000"));

    let out = run(&["maps", "--list", "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let list: Vec<serde_json::Value> = serde_json::from_str(&text(&out.stdout)).unwrap();
    assert_eq!(list[0]["this"], true, "{list:?}");
    assert!(
        list[0]["name"]
            .as_str()
            .is_some_and(|n| n.to_lowercase().starts_with("memlab")),
        "{list:?}"
    );
}

/// The map is in the window's list: `screenshot --lab address-map` renders
/// it (the walk, the strip, the table and the totals) in Korean.
#[test]
fn screenshot_renders_the_address_map() {
    let colours = screenshot_colours("address-map", "ko", false, (1100, 800));
    assert!(colours > 20, "only {colours} colours");
}
