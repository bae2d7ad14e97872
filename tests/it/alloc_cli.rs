//! `memlab bench` and `memlab sweep` through the real binary (which installs
//! the dispatcher as its global allocator).

use crate::common;

use std::time::{Duration, Instant};

use common::{Running, run, stderr, stdout};

fn bench_json(args: &[&str]) -> serde_json::Value {
    let mut all = vec!["bench", "--json"];
    all.extend_from_slice(args);
    let out = run(&all);
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    serde_json::from_str(&stdout(&out)).expect("one JSON object")
}

/// The fields `memlab bench --json` promises (issue 18), consistent.
fn assert_consistent(v: &serde_json::Value) {
    let f = |k: &str| v[k].as_f64().unwrap_or_else(|| panic!("no {k}: {v}"));
    let (min, q1, median, q3, max) = (
        f("min_ns_per_pair"),
        f("q1_ns_per_pair"),
        f("median_ns_per_pair"),
        f("q3_ns_per_pair"),
        f("max_ns_per_pair"),
    );
    assert!(
        0.0 < min && min <= q1 && q1 <= median && median <= q3 && q3 <= max,
        "{v}"
    );
    let samples = v["samples"].as_u64().expect("samples");
    assert!(samples >= 10, "{v}");
    let each = v["sample_ns_per_pair"].as_array().expect("every sample");
    assert_eq!(each.len() as u64, samples, "{v}");
    assert!(v["pairs_per_sample"].as_u64().expect("pairs_per_sample") >= 1);
    assert!(v["outliers"].as_u64().expect("outliers") <= samples);
    assert!(v["warm_up_pairs"].as_u64().expect("warm_up_pairs") >= 1);
    // The book's caption, from the median.
    let caption = f("ms_per_1000_pairs");
    assert!(
        (caption - median * 1000.0 / 1e6).abs() <= 1e-9 * caption.max(1.0),
        "{v}"
    );
}

#[test]
fn bench_json_has_the_fields_of_a_calibrated_measurement() {
    let mut pairs = Vec::new();
    for manager in ["default", "heap", "mimalloc"] {
        for size in ["4", "4096"] {
            let v = bench_json(&["--manager", manager, "--size-kb", size]);
            assert_eq!(v["manager"], manager);
            assert_eq!(v["size_kb"].to_string(), size);
            assert_eq!(v["touch"], false);
            assert_eq!(v["heap_fallbacks"], 0);
            assert_eq!(v["isolated"], true, "measured in a fresh process");
            assert_eq!(v["dispatcher_installed"], true);
            assert!(v["minor_faults"].is_u64(), "{v}");
            assert_consistent(&v);
            pairs.push((manager, size, v["pairs_per_sample"].as_u64().unwrap()));
        }
    }
    // Calibrated: a sample of 4 KB pairs holds more pairs than one of 4 MB
    // touched pairs (each a thousand page faults).
    let touched = bench_json(&["--size-kb", "4096", "--touch"]);
    assert_consistent(&touched);
    let small = pairs
        .iter()
        .find(|p| p.0 == "default" && p.1 == "4")
        .unwrap()
        .2;
    let large = touched["pairs_per_sample"].as_u64().unwrap();
    assert!(
        small > 10 * large,
        "4 KB: {small} pairs, 4 MB touched: {large}"
    );
}

#[test]
fn samples_can_be_asked_for_and_are_bounded() {
    let v = bench_json(&["--size-kb", "64", "--samples", "12"]);
    assert_eq!(v["samples"], 12);
    assert_consistent(&v);
    let v = bench_json(&["--size-kb", "64", "--in-process"]);
    assert_eq!(v["isolated"], false);
    assert_consistent(&v);
}

#[test]
fn touching_4_mb_blocks_causes_page_faults() {
    // The warm-up's pairs of the first 4 MB blocks fault their pages; the
    // samples after it fault more only where the manager hands memory
    // back: glibc maps the first block above its 128 KiB threshold.
    let v = bench_json(&["--size-kb", "4096", "--touch", "--manager", "default"]);
    assert_eq!(v["touch"], true);
    assert_consistent(&v);
    for manager in ["default", "heap", "mimalloc"] {
        let v = bench_json(&["--manager", manager, "--size-kb", "4096", "--touch"]);
        assert!(v["minor_faults"].is_u64(), "{v}");
    }
}

#[test]
fn bench_defaults_to_the_books_case() {
    let v = bench_json(&[]);
    assert_eq!(
        (&v["manager"], &v["size_kb"], &v["touch"], &v["samples"]),
        (&"default".into(), &4.into(), &false.into(), &10.into())
    );
}

#[test]
fn bench_prints_the_median_and_spread_without_json() {
    let out = run(&["bench", "--manager", "heap", "--size-kb", "64"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines[0].starts_with("heap: 64 KB, touch no: median "),
        "{text}"
    );
    assert!(lines[0].contains(" per pair (quartiles "), "{text}");
    assert!(lines[0].contains(", min "), "{text}");
    assert!(lines[1].contains("10 samples of "), "{text}");
    assert!(lines[1].contains("untimed warm-up"), "{text}");
    assert!(lines[1].ends_with("in a fresh process"), "{text}");
    assert!(lines[2].contains("the book's 1000 pairs: "), "{text}");
}

/// The children of `pid` (Linux's /proc/PID/task/PID/children).
fn children_of(pid: u32) -> Vec<u32> {
    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect()
}

#[test]
fn a_measuring_process_killed_mid_run_is_an_error_not_a_hang() {
    // 64 MB touched: about 0.1 s a pair, seconds in all.
    let mut bench = Running::start(&[
        "bench",
        "--size-kb",
        "65536",
        "--touch",
        "--samples",
        "1000",
        "--json",
    ]);
    // Found once it runs memlab's measuring process: between fork and exec
    // the child still shows its parent's command line.
    let is_measuring = |pid: u32| {
        std::fs::read(format!("/proc/{pid}/cmdline"))
            .unwrap_or_default()
            .split(|&b| b == 0)
            .any(|a| a == b"bench-child")
    };
    let mut child = None;
    common::desk::wait_for("the measuring process", Duration::from_secs(60), || {
        child = children_of(bench.pid())
            .into_iter()
            .find(|&pid| is_measuring(pid));
        child.is_some()
    });
    let child = child.unwrap();
    // SAFETY: kill(2) on a PID our own memlab started and has not reaped
    // (it is its parent's until then).
    assert_eq!(unsafe { libc::kill(child as i32, libc::SIGKILL) }, 0);
    let status = common::desk::wait_with_timeout(&mut bench.child, Duration::from_secs(120));
    assert_eq!(status.code(), Some(1), "exit code of a failure");
    let err = bench.stderr_until(Duration::from_secs(5), |said| {
        said.contains("the measuring process was killed by signal 9 before it finished")
    });
    assert!(
        err.contains("the measuring process was killed by signal 9 before it finished"),
        "{err}"
    );
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
            &["--size-kb", "4", "--samples", "9"],
            "samples must be 10 to 1000, got 9",
        ),
        (
            &["--size-kb", "4", "--samples", "-3"],
            "samples must be 10 to 1000, got -3",
        ),
        (
            &["--size-kb", "4", "--samples", "1001"],
            "samples must be 10 to 1000, got 1001",
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
        // Refused before any work: little CPU time (not a wall-clock bound).
        let (out, cpu) = common::run_measuring_cpu(&all);
        assert_one_error_line(&out, args, message);
        assert!(cpu < Duration::from_secs(5), "{args:?}: {cpu:?} of CPU");
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
/// handler is in place, then 300 ms of its work).
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
    // Then into its measurements: 300 ms of its own CPU time.
    sweep.wait_for_cpu(
        Duration::ZERO,
        Duration::from_millis(300),
        Duration::from_secs(60),
    );
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
        // "Within a second" of the sweep's own work: its CPU time from the
        // signal to its end, which a loaded machine does not stretch (the
        // wall clock only bounds a hang; each configuration has far more
        // than a second of work left, the last one in a single measurement).
        let at_signal = common::cpu_time(sweep.pid()).expect("the sweep's CPU time");
        sweep.signal(libc::SIGINT);
        let at_exit = sweep.cpu_time_at_exit(Duration::from_secs(60));
        let status = sweep.wait(Duration::from_secs(60));
        let took = at_exit.saturating_sub(at_signal);
        assert!(
            took < Duration::from_secs(1),
            "{args:?}: stopped after {took:?} of CPU"
        );
        assert_eq!(status.code(), Some(1), "{args:?}");
        let err = sweep.stderr_until(Duration::from_secs(10), |said| {
            said.contains("memlab: error: sweep cancelled")
        });
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
    // Measured after so much of the sweep's own work (CPU time: what the
    // wall clock gave it on an idle machine), however loaded this one is.
    let minute = Duration::from_secs(60);
    let cpu = sweep.wait_for_cpu(Duration::ZERO, Duration::from_millis(700), minute);
    let early = rss(sweep.pid());
    sweep.wait_for_cpu(cpu, Duration::from_secs(2), minute);
    let late = rss(sweep.pid());
    // Up to one 64 MB block of each manager may be resident either time.
    assert!(
        late < early + (64 << 20),
        "RSS grew from {} MiB to {} MiB in 2 s of the sweep's CPU time",
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
        let (out, cpu) = common::run_measuring_cpu(&[
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
        assert!(cpu < Duration::from_secs(5), "{path}: {cpu:?} of CPU");
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
