//! The ShareMem lab on Windows, run under wine by `.ci/windows/test --test
//! windows_sharemem` (and on a real Windows by `cargo test`): memlab.exe
//! loads memlab_sharemem.dll with LoadLibraryW; with the shared manager the
//! library's string is a block of memlab's private heap (VirtualAlloc'd),
//! memlab frees it and both AllocMemCounts go 0, 1, 0; without it memlab's
//! dispatcher refuses the DLL's block, and a child memlab.exe frees one
//! with the program's manager (HeapFree on the process heap): the report
//! says how that child ended, whatever the system made of it.
#![cfg(windows)]

mod wine;
use wine::run;

use serde_json::Value;

fn exchange(flag: &str) -> Value {
    let out = run(&["sharemem", flag, "--json"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "sharemem {flag}: {:?}\n{stderr}",
        out.status
    );
    serde_json::from_slice(&out.stdout).expect("one JSON object")
}

fn steps(v: &Value) -> Vec<&str> {
    v["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| s["step"].as_str().expect("a step's name"))
        .collect()
}

fn counts(v: &Value) -> Vec<(u64, u64)> {
    v["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| {
            (
                s["counts"]["library"].as_u64().expect("library"),
                s["counts"]["program"].as_u64().expect("program"),
            )
        })
        .collect()
}

#[test]
fn the_shared_exchange_works_with_the_dll() {
    let v = exchange("--shared");
    assert!(
        v["library"]
            .as_str()
            .expect("library")
            .ends_with("memlab_sharemem.dll"),
        "{v}"
    );
    assert_eq!(
        steps(&v),
        [
            "loaded",
            "handed_manager",
            "made",
            "program_freed",
            "program_made",
            "library_freed_program_string"
        ]
    );
    assert_eq!(v["steps"][2]["owner"], "program");
    assert_eq!(counts(&v), [(0, 0), (0, 0), (1, 1), (0, 0), (1, 1), (0, 0)]);
}

#[test]
fn the_separate_exchange_reports_what_the_foreign_free_did() {
    let v = exchange("--separate");
    assert_eq!(
        steps(&v),
        [
            "loaded",
            "kept_own_manager",
            "made",
            "program_refused",
            "library_freed",
            "program_made",
            "library_refused",
            "program_freed_own",
            "child_freed"
        ]
    );
    assert_eq!(v["steps"][2]["owner"], "library");
    assert_eq!(v["steps"][3]["refusal"]["error"], "foreign_block");
    assert_eq!(v["steps"][6]["refusal"]["error"], "foreign_to_library");
    assert_eq!(
        counts(&v),
        [
            (0, 0),
            (0, 0),
            (1, 0),
            (1, 0),
            (0, 0),
            (0, 1),
            (0, 1),
            (0, 0),
            (0, 0)
        ]
    );
    let child = &v["steps"][8]["report"];
    assert!(
        child["address"].is_u64(),
        "the child made its string: {child}"
    );
    let how = child["ended"]["how"].as_str().expect("how it ended");
    assert!(
        how == "exited",
        "a Windows process exits with a status: {child}"
    );
    // Either the system ended it (a status such as STATUS_HEAP_CORRUPTION)
    // or it lived past the free and said so.
    let code = child["ended"]["code"].as_i64().expect("its status");
    assert!(
        code != 0 || child["survived"] == true,
        "ended 0 without getting past the free: {child}"
    );
    let text = String::from_utf8_lossy(&run(&["sharemem", "--separate"]).stdout).into_owned();
    assert!(text.contains("a child process (pid"), "{text}");
}
