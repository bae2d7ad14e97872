//! `memlab sharemem` through the real binary, with the real library
//! (crates/sharemem-dll, built with memlab) loaded at run time and, for
//! `--separate`, a real child process: with the shared manager the
//! library's string is a block of memlab's private heap, memlab frees it,
//! and both sides' AllocMemCount move together; without it the string lies
//! in the library's own arena, memlab's dispatcher refuses it, and the
//! child that frees it for real dies of glibc's abort with its message.
//! Both exit 0. A library that is missing or not memlab's is a clear error
//! with exit code 1; a command without its mode is a usage error (2).

use crate::common;

use std::path::Path;

use serde_json::Value;

use common::{memlab, run, run_command, stderr, stdout};

fn exchange(flag: &str) -> Value {
    let out = run(&["sharemem", flag, "--json"]);
    assert!(
        out.status.success(),
        "sharemem {flag}: {:?}\n{}",
        out.status,
        stderr(&out)
    );
    serde_json::from_str(stdout(&out).trim()).expect("one JSON object")
}

fn steps(v: &Value) -> Vec<&str> {
    v["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| s["step"].as_str().expect("a step's name"))
        .collect()
}

/// (library, program) AllocMemCount after each step.
fn counts(v: &Value) -> Vec<(u64, u64)> {
    v["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| {
            let c = &s["counts"];
            (
                c["library"].as_u64().expect("library"),
                c["program"].as_u64().expect("program"),
            )
        })
        .collect()
}

fn within(address: u64, range: &Value) -> bool {
    let start = range["start"].as_u64().expect("start");
    let len = range["len"].as_u64().expect("len");
    address >= start && address < start + len
}

#[test]
fn with_the_shared_manager_each_side_frees_the_other_s_string() {
    let v = exchange("--shared");
    assert_eq!(v["mode"], "shared");
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
    let made = &v["steps"][2];
    assert_eq!(made["text"], "Hello from the library");
    assert_eq!(made["owner"], "program");
    let address = made["address"].as_u64().expect("address");
    assert!(within(address, &v["program_heap"]), "{v}");
    assert!(!within(address, &v["library_arena"]), "{v}");
    assert_eq!(v["steps"][3]["address"], made["address"]);
    // The other way: the program's string, freed by the library.
    let program_made = &v["steps"][4];
    assert_eq!(program_made["text"], "Hello from the program");
    let address = program_made["address"].as_u64().expect("address");
    assert!(within(address, &v["program_heap"]), "{v}");
    assert_eq!(v["steps"][5]["address"], program_made["address"]);
    // One manager: both sides count the same block, 0, 1, 0, both ways.
    assert_eq!(counts(&v), [(0, 0), (0, 0), (1, 1), (0, 0), (1, 1), (0, 0)]);
    for s in v["steps"].as_array().expect("steps") {
        assert_eq!(s["counts"]["library_own"], 0, "{s}");
    }
    let library = v["library"].as_str().expect("library");
    assert!(
        library.ends_with(memlab_engine::sharemem::LIBRARY_FILE),
        "{library}"
    );
}

#[test]
fn without_it_each_manager_refuses_the_other_s_block_and_a_child_dies_freeing_one() {
    let v = exchange("--separate");
    assert_eq!(v["mode"], "separate");
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
    let made = &v["steps"][2];
    assert_eq!(made["owner"], "library");
    let address = made["address"].as_u64().expect("address");
    assert!(within(address, &v["library_arena"]), "{v}");
    assert!(!within(address, &v["program_heap"]), "{v}");
    let refusal = &v["steps"][3]["refusal"];
    assert_eq!(refusal["error"], "foreign_block");
    assert_eq!(refusal["address"], made["address"]);
    // The other way: the library's own manager refuses the program's
    // string, which lies outside its arena, and the program frees it.
    let program_made = &v["steps"][5];
    let theirs = program_made["address"].as_u64().expect("address");
    assert!(within(theirs, &v["program_heap"]), "{v}");
    assert!(!within(theirs, &v["library_arena"]), "{v}");
    let refusal = &v["steps"][6]["refusal"];
    assert_eq!(refusal["error"], "foreign_to_library", "{v}");
    assert_eq!(refusal["address"], program_made["address"]);
    assert_eq!(v["steps"][7]["address"], program_made["address"]);
    // Two managers: each side counts only its own block; a refused free
    // changes nothing; the right manager's free takes the block back.
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
    assert_ne!(child["pid"], 0);
    assert!(child["address"].is_u64(), "{child}");
    // glibc checks the chunk's size field before freeing and aborts.
    assert_eq!(child["ended"]["how"], "signal", "{child}");
    assert_eq!(child["ended"]["name"], "SIGABRT", "{child}");
    assert_eq!(child["survived"], false, "{child}");
    let message = child["stderr"].as_str().expect("stderr");
    assert!(
        message.contains("free(): invalid"),
        "glibc's message: {message:?}"
    );
}

#[test]
fn the_text_report_names_each_step_and_both_counts() {
    let out = run(&["sharemem", "--separate"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    for line in [
        "ShareMem exchange --separate",
        "[2] the library keeps its own manager (no ShareMem)",
        "    AllocMemCount: library 1, program 0 (library's own arena: 1)",
        "is not a block of this program's manager",
        "the program made the string \"Hello from the program\"",
        "the library's FreeMem refused:",
        "is not a block of the library's own manager",
        "was killed by SIGABRT (signal 6)",
        "    the child's stderr:",
    ] {
        assert!(text.contains(line), "no {line:?} in:\n{text}");
    }
    let out = run(&["sharemem", "--shared"]);
    let text = stdout(&out);
    assert!(
        text.contains("    AllocMemCount: library 1, program 1 (library's own arena: 0)"),
        "{text}"
    );
}

#[test]
fn a_missing_library_is_a_clear_error_with_exit_code_1() {
    // memlab itself, alone in a folder: no library beside it or in deps/.
    let dir = common::temp_dir("sharemem-alone");
    let alone = dir.path().join("memlab");
    std::fs::hard_link(common::BIN, &alone)
        .or_else(|_| std::fs::copy(common::BIN, &alone).map(|_| ()))
        .expect("memlab in a folder of its own");
    let mut command = std::process::Command::new(&alone);
    command
        .args(["sharemem", "--shared"])
        .env_remove(memlab_engine::sharemem::LIBRARY_ENV);
    let out = run_command(command);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    let file = memlab_engine::sharemem::LIBRARY_FILE;
    assert!(err.contains("is not there"), "{err}");
    assert!(
        err.contains(&format!("{}/deps/{file}", dir.path().display())),
        "{err}"
    );
    assert!(err.contains("MEMLAB_SHAREMEM_LIBRARY"), "{err}");
    assert!(stdout(&out).is_empty());
}

/// A device, a pipe or a folder given as the library is named for what it
/// is, and never opened (a pipe would make memlab wait for a writer).
#[test]
fn something_that_is_not_a_file_is_named_as_such_and_not_opened() {
    let dir = common::temp_dir("sharemem-odd");
    let fifo = dir.path().join("library.so");
    let c_path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: mkfifo(3) with a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
    for odd in [Path::new("/dev/zero"), dir.path(), fifo.as_path()] {
        let mut command = memlab(&["sharemem", "--separate"]);
        command.env(memlab_engine::sharemem::LIBRARY_ENV, odd);
        let out = run_command(command);
        assert_eq!(out.status.code(), Some(1), "{odd:?}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains(&format!("{} is not a regular file", odd.display())),
            "{err}"
        );
    }
}

#[test]
fn a_file_that_is_not_the_library_is_refused_with_exit_code_1() {
    let dir = common::temp_dir("sharemem-hostile");
    let junk = dir.path().join("junk.so");
    std::fs::write(&junk, b"\x7fELF not really").expect("write");
    let mut command = memlab(&["sharemem", "--separate"]);
    command.env(memlab_engine::sharemem::LIBRARY_ENV, &junk);
    let out = run_command(command);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("cannot load the ShareMem library"),
        "{}",
        stderr(&out)
    );
    // A real library that is not memlab's: no sm_ functions.
    let libm = [
        "/lib/x86_64-linux-gnu/libm.so.6",
        "/usr/lib/x86_64-linux-gnu/libm.so.6",
    ]
    .into_iter()
    .find(|p| std::path::Path::new(p).exists())
    .expect("glibc's libm");
    let mut command = memlab(&["sharemem", "--shared"]);
    command.env(memlab_engine::sharemem::LIBRARY_ENV, libm);
    let out = run_command(command);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("is not memlab's ShareMem library: it has no sm_abi_version"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_mode_is_required_and_one_only() {
    for args in [
        &["sharemem"][..],
        &["sharemem", "--shared", "--separate"][..],
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
    }
}
