//! `memlab bench` and `memlab sweep` through the real binary (which installs
//! the dispatcher as its global allocator).

// Linux only, for now: the Windows suite is tests/windows.rs (docs/windows.md).
#![cfg(target_os = "linux")]

mod common;

use std::time::{Duration, Instant};

use common::{Running, run, stderr, stdout};

fn bench_json(args: &[&str]) -> serde_json::Value {
    let mut all = vec!["bench", "--json"];
    all.extend_from_slice(args);
    let out = run(&all);
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    serde_json::from_str(&stdout(&out)).expect("one JSON object")
}

#[test]
fn bench_json_has_the_fields_and_sane_values() {
    for manager in ["default", "heap", "mimalloc"] {
        let v = bench_json(&["--manager", manager, "--size-kb", "4"]);
        assert_eq!(v["manager"], manager);
        assert_eq!(v["size_kb"], 4);
        assert_eq!(v["iterations"], 1000, "the book's default");
        assert_eq!(v["iterations_done"], 1000);
        assert_eq!(v["touch"], false);
        assert_eq!(v["cancelled"], false);
        assert_eq!(v["heap_fallbacks"], 0);
        assert_eq!(v["dispatcher_installed"], true);
        let ms = v["ms"].as_f64().expect("ms");
        let ns = v["ns_per_pair"].as_f64().expect("ns_per_pair");
        assert!(ms > 0.0 && ms < 10_000.0, "{v}");
        assert!((ns - ms * 1e6 / 1000.0).abs() < 1e-3 * ns, "{v}");
        assert!(v["minor_faults"].is_u64(), "{v}");
        assert!(v["major_faults"].is_u64(), "{v}");
    }
}

#[test]
fn touching_4_mb_blocks_causes_page_faults() {
    let v = bench_json(&["--size-kb", "4096", "--iterations", "10", "--touch"]);
    assert_eq!(v["touch"], true);
    assert_eq!(v["iterations"], 10);
    // The first 4 MB block is a fresh mapping (above glibc's initial 128 KiB
    // mmap threshold): each of its 1024 pages faults once when touched.
    let minor = v["minor_faults"].as_u64().expect("minor_faults");
    assert!(minor >= 1000, "{v}");
    for manager in ["heap", "mimalloc"] {
        let v = bench_json(&[
            "--manager",
            manager,
            "--size-kb",
            "4096",
            "--iterations",
            "10",
            "--touch",
        ]);
        assert!(v["minor_faults"].as_u64().expect("minor_faults") > 0, "{v}");
    }
}

#[test]
fn bench_defaults_to_the_books_case() {
    let v = bench_json(&[]);
    assert_eq!(
        (&v["manager"], &v["size_kb"], &v["iterations"], &v["touch"]),
        (&"default".into(), &4.into(), &1000.into(), &false.into())
    );
}

#[test]
fn bench_prints_a_human_line_without_json() {
    let out = run(&[
        "bench",
        "--manager",
        "heap",
        "--size-kb",
        "64",
        "--iterations",
        "50",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(
        text.starts_with("heap: 50 pairs of 64 KB, touch no: "),
        "{text}"
    );
    assert!(text.contains(" per pair, page faults "), "{text}");
}

#[test]
fn bad_input_is_one_error_line_and_exit_code_2() {
    let cases: &[(&[&str], &str)] = &[
        (&["--size-kb", "0"], "size must be 1 to 65536 KB, got 0"),
        (
            &["--size-kb", "65537"],
            "size must be 1 to 65536 KB, got 65537",
        ),
        (&["--size-kb", "-1"], "size must be 1 to 65536 KB, got -1"),
        (&["--size-kb", "abc"], "invalid value 'abc' for '--size-kb"),
        (&["--size-kb", "4.5"], "invalid value '4.5' for '--size-kb"),
        (
            &["--size-kb", "4", "--iterations", "0"],
            "iterations must be at least 1, got 0",
        ),
        (
            &["--size-kb", "4", "--iterations", "-3"],
            "iterations must be at least 1, got -3",
        ),
        (
            &["--size-kb", "4", "--manager", "foo"],
            "unknown memory manager \"foo\"",
        ),
        (&["--size-kb"], "a value is required for '--size-kb <KB>'"),
    ];
    for (args, message) in cases {
        let mut all = vec!["bench"];
        all.extend_from_slice(args);
        let out = run(&all);
        assert!(out.stdout.is_empty(), "{args:?}");
        assert_one_error_line(&out, args, message);
    }
}

#[test]
fn bad_sweep_input_is_one_error_line_and_exit_code_2() {
    let cases: &[(&[&str], &str)] = &[
        (&["--repeats", "0"], "repeats must be at least 1, got 0"),
        (&["--repeats", "-2"], "repeats must be at least 1, got -2"),
        (
            &["--managers", "default,foo"],
            "unknown memory manager \"foo\"",
        ),
        (&["--managers", ","], "choose at least one memory manager"),
        (
            &["--max-size-kb", "0"],
            "--max-size-kb must be 1 to 65536, got 0",
        ),
        (
            &["--iterations", "0"],
            "iterations must be at least 1, got 0",
        ),
        // Sweeps that would run for days (or overflow a u32 count) are
        // refused at once, with the limit.
        (
            &["--repeats", "100000000"],
            "repeats must be at most 1000, got 100000000",
        ),
        (
            &["--iterations", "1", "--repeats", "4294967295"],
            "repeats must be at most 1000, got 4294967295",
        ),
        (
            &["--repeats", "99999999999"],
            "repeats must be at most 1000, got 99999999999",
        ),
        (
            &["--repeats", "1000", "--iterations", "100000"],
            "the sweep would do 5100000000 alloc/free pairs",
        ),
        (
            &["--repeats", "2", "--iterations", "4294967295"],
            "the limits are 4000000000 pairs and 16384 GiB",
        ),
        (
            &["--repeats", "1000", "--iterations", "10000", "--touch"],
            "the limits are 4000000000 pairs and 16384 GiB",
        ),
    ];
    for (args, message) in cases {
        let mut all = vec!["sweep"];
        all.extend_from_slice(args);
        let t = Instant::now();
        let out = run(&all);
        assert_one_error_line(&out, args, message);
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "{args:?}: {:?}",
            t.elapsed()
        );
    }
}

/// The memlab process has installed its SIGINT handler (`SigCgt` in /proc).
fn catches_sigint(pid: u32) -> bool {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("SigCgt:"))
        .and_then(|mask| u64::from_str_radix(mask.trim(), 16).ok())
        .is_some_and(|mask| mask & (1 << (libc::SIGINT - 1)) != 0)
}

/// Resident memory of a process, in bytes.
fn rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS");
    kb * 1024
}

/// Starts `memlab sweep ARGS` and waits until it is sweeping (its SIGINT
/// handler is in place, then a little more).
fn sweeping(args: &[&str]) -> Running {
    let mut all = vec!["sweep"];
    all.extend_from_slice(args);
    let mut sweep = Running::start(&all);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !catches_sigint(sweep.pid()) {
        if let Some(status) = sweep.child.try_wait().unwrap() {
            let err = sweep.stderr_lines(Duration::from_secs(1));
            panic!("{args:?} ended ({status}) before sweeping: {err:?}");
        }
        assert!(Instant::now() < deadline, "{args:?}: no SIGINT handler");
        std::thread::sleep(Duration::from_millis(5));
    }
    std::thread::sleep(Duration::from_millis(300));
    sweep
}

#[test]
fn sigint_stops_every_kind_of_sweep_within_a_second() {
    let configs: &[&[&str]] = &[
        // Many one-pair measurements, 64 MB ones among them (touched).
        &["--iterations", "1", "--repeats", "1000", "--touch"],
        // Long measurements: 1000 pairs of each size, touched.
        &[
            "--managers",
            "default",
            "--iterations",
            "1000",
            "--repeats",
            "1",
            "--touch",
        ],
        // The default sweep, untouched and touched, with many repeats.
        &["--repeats", "1000"],
        &["--repeats", "100", "--touch"],
        // Big measurements of small blocks.
        &[
            "--managers",
            "mimalloc,heap",
            "--max-size-kb",
            "4",
            "--iterations",
            "100000000",
            "--repeats",
            "3",
        ],
    ];
    for args in configs {
        let mut sweep = sweeping(args);
        sweep.signal(libc::SIGINT);
        let t = Instant::now();
        let status = sweep.wait(Duration::from_secs(5));
        let took = t.elapsed();
        assert!(
            took < Duration::from_secs(1),
            "{args:?}: stopped after {took:?}"
        );
        assert_eq!(status.code(), Some(1), "{args:?}");
        let err = sweep.stderr_lines(Duration::from_secs(1)).join("\n");
        assert!(
            err.contains("memlab: error: sweep cancelled"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn the_longest_sweep_allowed_keeps_its_memory_bounded() {
    // 3000 one-pair measurements of every size up to 64 MB, touched (the
    // configuration that grew by 65-90 MB/s before its repeats were limited).
    let mut sweep = sweeping(&["--iterations", "1", "--repeats", "1000", "--touch"]);
    std::thread::sleep(Duration::from_millis(700));
    let early = rss(sweep.pid());
    std::thread::sleep(Duration::from_secs(2));
    let late = rss(sweep.pid());
    // Up to one 64 MB block of each manager may be resident either time.
    assert!(
        late < early + (64 << 20),
        "RSS grew from {} MiB to {} MiB in 2 s",
        early >> 20,
        late >> 20
    );
    sweep.signal(libc::SIGINT);
    assert_eq!(sweep.wait(Duration::from_secs(5)).code(), Some(1));
}

#[test]
fn a_bad_csv_path_is_reported_before_the_sweep_starts() {
    let dir = std::env::temp_dir().join(format!("memlab-csv-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let missing = dir.join("no-such-dir").join("x.csv");
    let bad = [missing.to_str().unwrap(), dir.to_str().unwrap()];
    for path in bad {
        // A sweep of minutes: 1000 touched pairs of every size up to 64 MB.
        let t = Instant::now();
        let out = run(&[
            "sweep",
            "--managers",
            "default",
            "--touch",
            "--iterations",
            "1000",
            "--repeats",
            "1",
            "--csv",
            path,
        ]);
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "{path}: {:?}",
            t.elapsed()
        );
        assert_eq!(out.status.code(), Some(1), "{path}");
        assert!(out.stdout.is_empty(), "{path}: the sweep ran");
        let err = stderr(&out);
        assert!(
            err.starts_with(&format!("memlab: error: cannot write {path}: ")),
            "{err}"
        );
    }
    assert!(!missing.exists());
    // An existing file is opened early but replaced only by the finished sweep.
    let existing = dir.join("old.csv");
    std::fs::write(&existing, "~".repeat(100_000)).unwrap();
    let out = run(&[
        "sweep",
        "--managers",
        "default",
        "--max-size-kb",
        "2",
        "--iterations",
        "5",
        "--repeats",
        "1",
        "--csv",
        existing.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let csv = std::fs::read_to_string(&existing).unwrap();
    assert!(csv.starts_with("# memlab allocation sweep\n"), "{csv}");
    assert!(!csv.contains('~'), "old bytes left behind");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn quick_sweep_prints_a_table_and_writes_the_csv() {
    let dir = std::env::temp_dir().join(format!("memlab-sweep-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let csv_path = dir.join("sweep.csv");
    let out = run(&[
        "sweep",
        "--repeats",
        "1",
        "--max-size-kb",
        "256",
        "--iterations",
        "50",
        "--csv",
        csv_path.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("median ns per alloc/free pair"), "{text}");
    let header = text
        .lines()
        .find(|l| l.trim_start().starts_with("size"))
        .expect("table header");
    for m in ["default", "heap", "mimalloc", "fastest"] {
        assert!(header.contains(m), "{header}");
    }
    for size in ["1 KB", "2 KB", "256 KB"] {
        assert!(
            text.lines().any(|l| l.trim_start().starts_with(size)),
            "no row {size}: {text}"
        );
    }
    assert!(!text.contains("512 KB"), "stops at --max-size-kb");
    assert!(text.contains("crossovers"), "{text}");
    assert!(text.contains("default vs mimalloc:"), "{text}");

    let csv = std::fs::read_to_string(&csv_path).expect("CSV written");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "# memlab allocation sweep");
    for prefix in [
        "# cpu: ",
        "# os: ",
        "# default manager: ",
        "# mimalloc: C library ",
        "# heap: talc ",
        "# repeats: 1",
    ] {
        assert!(
            lines.iter().any(|l| l.starts_with(prefix)),
            "no {prefix:?} in {csv}"
        );
    }
    let data: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| !l.starts_with('#'))
        .collect();
    assert!(data[0].starts_with("size_kb,manager,iterations,repeats,median_ms,median_ns_per_pair"));
    assert_eq!(data.len(), 1 + 9 * 3, "9 sizes x 3 managers");
    assert!(data[1].starts_with("1,default,50,1,"), "{}", data[1]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn unwritable_csv_is_an_error() {
    let out = run(&[
        "sweep",
        "--repeats",
        "1",
        "--max-size-kb",
        "1",
        "--iterations",
        "10",
        "--managers",
        "default",
        "--csv",
        "/nonexistent-dir/x.csv",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.lines()
            .any(|l| l.starts_with("memlab: error: cannot write /nonexistent-dir/x.csv")),
        "{err}"
    );
}

/// Exit code 2 and exactly one stderr line, `memlab: error: ...` containing `message`.
fn assert_one_error_line(out: &std::process::Output, args: &[&str], message: &str) {
    assert_eq!(out.status.code(), Some(2), "{args:?}");
    let err = stderr(out);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "{args:?}: {err}");
    assert!(lines[0].starts_with("memlab: error: "), "{args:?}: {err}");
    assert!(lines[0].contains(message), "{args:?}: {err}");
}
