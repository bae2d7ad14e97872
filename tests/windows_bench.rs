//! The isolated allocation benchmark on Windows (issue 18), under wine by
//! `.ci/windows/test --test windows_bench` (and on a real Windows by `cargo
//! test`): `memlab.exe bench` measures in a fresh `memlab.exe bench-child`
//! started by CreateProcess (what `std::process::Command` is there), and a
//! measuring process ended by TerminateProcess (`taskkill /F`) is a typed
//! error, not a hang.
#![cfg(windows)]

mod wine;
use wine::Retrying;

use std::cell::Cell;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use memlab_engine::alloc::ManagerKind;
use memlab_engine::alloc::isolated::{MeasureError, measure_isolated_with};
use memlab_engine::alloc::measure::{MeasureSpec, Phase};

fn memlab_exe() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_memlab"))
}

#[test]
fn bench_measures_every_manager_in_a_fresh_process() {
    for manager in ["default", "heap", "mimalloc"] {
        let out = Command::new(memlab_exe())
            .args(["bench", "--json", "--size-kb", "4", "--manager", manager])
            .output_retrying()
            .expect("memlab.exe runs");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{manager}: {err}");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
        assert_eq!(v["manager"], manager);
        assert_eq!(v["isolated"], true, "{v}");
        assert_eq!(v["dispatcher_installed"], true, "{v}");
        let f = |k: &str| v[k].as_f64().unwrap_or_else(|| panic!("no {k}: {v}"));
        assert!(f("min_ns_per_pair") > 0.0, "{v}");
        assert!(f("min_ns_per_pair") <= f("median_ns_per_pair"), "{v}");
        assert!(f("median_ns_per_pair") <= f("max_ns_per_pair"), "{v}");
        assert!(v["samples"].as_u64().unwrap() >= 10, "{v}");
        assert!(v["pairs_per_sample"].as_u64().unwrap() >= 1, "{v}");
    }
}

#[test]
fn a_terminated_measuring_process_is_a_typed_error() {
    let spec = MeasureSpec {
        touch: true,
        samples: 1000,
        ..MeasureSpec::new(ManagerKind::Default, 65536)
    };
    let pid = Cell::new(0);
    let killed = Cell::new(false);
    let err = measure_isolated_with(
        memlab_exe(),
        &spec,
        Duration::from_secs(120),
        &|p| pid.set(p),
        &|phase| {
            if matches!(phase, Phase::Sample { .. }) && !killed.replace(true) {
                let out = Command::new("taskkill")
                    .args(["/F", "/PID", &pid.get().to_string()])
                    .output_retrying()
                    .expect("taskkill runs");
                assert!(out.status.success(), "{out:?}");
            }
            true
        },
    )
    .unwrap_err();
    assert!(killed.get());
    assert!(
        matches!(err, MeasureError::Exited { .. }),
        "Windows has no signals: an exit code: {err:?}"
    );
    assert!(
        err.to_string()
            .starts_with("the measuring process exited with code "),
        "{err}"
    );
}

/// The memory managers' demo makes the private heap the program's
/// allocator (egui's allocations included) and draws: it hung under wine
/// until the dispatcher asked region its page size before a switch
/// (tests/crate_defects_region_windows.rs). Waited for with a deadline, so
/// a hang fails the test instead of stopping the suite.
#[test]
fn the_memory_managers_demo_draws_with_the_private_heap_active() {
    let out = std::env::temp_dir().join(format!("memlab-winmgr-{}.png", std::process::id()));
    let _ = std::fs::remove_file(&out);
    let child = Command::new(memlab_exe())
        .args(["screenshot", "--lab", "memory-managers", "--demo"])
        .args(["--size", "900x600", "--out"])
        .arg(&out)
        .spawn_retrying()
        .expect("memlab.exe screenshot");
    let mut child = wine::Killed(child);
    let deadline = std::time::Instant::now() + wine::DEADLINE;
    let status = loop {
        if let Some(status) = child.0.try_wait().expect("wait") {
            break status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the demo did not finish within {:?}",
            wine::DEADLINE
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
    let picture = image::open(&out).expect("a PNG").to_rgba8();
    std::fs::remove_file(&out).unwrap();
    assert_eq!(picture.dimensions(), (900, 600));
}
