//! The isolated measurement (issue 18) and its measuring process: a child
//! killed mid-run, one that hangs, one that exits early or writes what is
//! not memlab's, each a typed error within the deadline, never a hang; and
//! a child that really is memlab's binary measuring the way the form names
//! the managers. The misbehaving children are small shell scripts standing
//! where memlab's executable would.

use crate::common;

use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::time::Duration;

use memlab_engine::alloc::ManagerKind;
use memlab_engine::alloc::isolated::{MeasureError, measure_isolated, measure_isolated_with};
use memlab_engine::alloc::measure::{MeasureSpec, Phase};

fn memlab_exe() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_memlab"))
}

/// An executable shell script `body` in `dir`.
fn script(dir: &Path, body: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("fake-memlab");
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// Is `pid` still a process (not even a zombie)?
fn exists(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

#[test]
fn each_manager_is_measured_in_a_fresh_memlab_process() {
    for manager in ManagerKind::ALL {
        let phases = Cell::new((false, 0u32));
        let pid = Cell::new(0);
        let m = measure_isolated_with(
            memlab_exe(),
            &MeasureSpec::new(manager, 4),
            Duration::from_secs(60),
            &|p| pid.set(p),
            &|phase| {
                let (warm, samples) = phases.get();
                match phase {
                    Phase::WarmUp => phases.set((true, samples)),
                    Phase::Sample { done, .. } => phases.set((warm, samples.max(done))),
                }
                true
            },
        )
        .unwrap()
        .expect("not cancelled");
        assert_eq!((m.manager, m.size_kb, m.isolated), (manager, 4, true));
        assert!(m.samples >= 10 && m.min_ns_per_pair > 0.0, "{m:?}");
        assert_eq!(
            phases.get(),
            (true, m.samples),
            "warm-up, then every sample"
        );
        // The fallbacks are counted per manager by the dispatcher: in the
        // child, as in the window, each pair went to the manager named.
        assert_eq!((m.heap_fallbacks, m.mimalloc_fallbacks), (0, 0));
        assert!(
            pid.get() != std::process::id() && !exists(pid.get()),
            "reaped"
        );
    }
}

#[test]
fn a_child_killed_mid_run_is_a_typed_error() {
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
        Duration::from_secs(60),
        &|p| pid.set(p),
        &|phase| {
            // Once it measures its samples.
            if matches!(phase, Phase::Sample { .. }) && !killed.replace(true) {
                // SAFETY: kill(2) on our own child, not reaped yet.
                assert_eq!(unsafe { libc::kill(pid.get() as i32, libc::SIGKILL) }, 0);
            }
            true
        },
    )
    .unwrap_err();
    assert!(killed.get());
    assert_eq!(
        err,
        MeasureError::Killed {
            signal: 9,
            stderr: String::new()
        }
    );
    assert_eq!(
        err.to_string(),
        "the measuring process was killed by signal 9 before it finished"
    );
}

#[test]
fn a_silent_child_is_stopped_at_the_deadline() {
    let dir = common::temp_dir("isolated-silent");
    let exe = script(dir.path(), "exec sleep 600");
    let pid = Cell::new(0);
    let err = measure_isolated_with(
        &exe,
        &MeasureSpec::new(ManagerKind::Default, 4),
        Duration::from_secs(1),
        &|p| pid.set(p),
        &|_| true,
    )
    .unwrap_err();
    assert_eq!(err, MeasureError::Silent { secs: 1 });
    assert!(!exists(pid.get()), "killed and reaped");
}

#[test]
fn cancel_kills_the_child() {
    let pid = Cell::new(0);
    let asked = Cell::new(0);
    let spec = MeasureSpec {
        samples: 1000,
        ..MeasureSpec::new(ManagerKind::Mimalloc, 4)
    };
    let r = measure_isolated_with(
        memlab_exe(),
        &spec,
        Duration::from_secs(60),
        &|p| pid.set(p),
        &|_| {
            asked.set(asked.get() + 1);
            asked.get() < 5
        },
    );
    assert_eq!(r, Ok(None), "cancelled");
    assert!(!exists(pid.get()), "killed and reaped");
}

#[test]
fn a_child_that_exits_early_or_writes_nonsense_is_a_typed_error() {
    let dir = common::temp_dir("isolated-bad");
    let spec = MeasureSpec::new(ManagerKind::Default, 4);
    let exe = script(dir.path(), "echo 'out of cheese' >&2; exit 3");
    assert_eq!(
        measure_isolated(&exe, &spec, &|_| true),
        Err(MeasureError::Exited {
            code: 3,
            stderr: "out of cheese\n".into()
        })
    );
    let err = measure_isolated(&exe, &spec, &|_| true).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the measuring process exited with code 3 before it finished (out of cheese)"
    );
    let exe = script(dir.path(), "echo 'hello'; exec sleep 600");
    assert_eq!(
        measure_isolated(&exe, &spec, &|_| true),
        Err(MeasureError::Garbled {
            line: "hello".into()
        })
    );
}
