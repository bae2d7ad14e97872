//! The page lab on Windows, run under wine by `.ci/windows/test` (and on a
//! real Windows by `cargo test`): `memlab.exe vm` scripts in real
//! processes, each step on the Win32 call it names, and the touch from a
//! child process (`memlab.exe vm-child`), which reads and writes the
//! parent's pages through ReadProcessMemory / WriteProcessMemory or dies of
//! STATUS_ACCESS_VIOLATION.
#![cfg(windows)]

mod wine;
use wine::{json_lines, run, screenshot_colours, text};

use memlab_engine::vm::child::ChildEnd;
use memlab_engine::vm::pages::{Access, PageLab, Protection};
use serde_json::Value;

/// STATUS_ACCESS_VIOLATION: the exit status of a process an unhandled
/// access violation ended.
const ACCESS_VIOLATION: u32 = 0xC000_0005;

/// Runs `memlab.exe vm --json SCRIPT`, which must succeed: one object per step.
fn steps(script: &str) -> Vec<Value> {
    let out = run(&["vm", "--json", script]);
    assert!(
        out.status.success(),
        "{script}: {:?}\n{}",
        out.status,
        text(&out.stderr)
    );
    json_lines(&out.stdout)
}

/// Each page's (state, protection) after a step.
fn pages(step: &Value) -> Vec<(String, String)> {
    step["pages"]
        .as_array()
        .expect("pages")
        .iter()
        .map(|p| {
            (
                p["state"].as_str().unwrap().to_owned(),
                p["protection"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn vm_runs_each_step_on_the_win32_call_it_names() {
    let s = steps(
        "reserve 20; commit 2..6; protect 3 ro; lock 4..6; unlock 4..6; write 2 7; read 2; \
         query 3; decommit 2..4; decommit 4..6 dontneed; release",
    );
    assert_eq!(s.len(), 11);
    let calls: Vec<&str> = s.iter().map(|v| v["os_call"].as_str().unwrap()).collect();
    assert_eq!(
        calls,
        [
            "VirtualAlloc(NULL, len, MEM_RESERVE, PAGE_NOACCESS)",
            "VirtualAlloc(addr, len, MEM_COMMIT, PAGE_READWRITE)",
            "VirtualProtect",
            "SetProcessWorkingSetSize + VirtualLock",
            "VirtualUnlock",
            "VirtualQuery + WriteProcessMemory(GetCurrentProcess())",
            "VirtualQuery + ReadProcessMemory(GetCurrentProcess())",
            "QueryWorkingSetEx",
            "VirtualFree(addr, len, MEM_DECOMMIT)",
            "VirtualAlloc(MEM_RESET) + VirtualProtect(PAGE_NOACCESS)",
            "VirtualFree(base, 0, MEM_RELEASE)",
        ]
    );
    // The reservation's base is on the 64 KiB allocation granularity.
    let base = s[0]["result"]["base"].as_str().unwrap();
    let base = usize::from_str_radix(base.trim_start_matches("0x"), 16).unwrap();
    assert_eq!(base % 65536, 0, "{base:#x}");
    assert_eq!(s[0]["result"]["pages"], 20);
    let rw = ("committed".to_owned(), "read_write".to_owned());
    let reserved = ("reserved".to_owned(), "no_access".to_owned());
    let after_protect = pages(&s[2]);
    assert_eq!(after_protect[2], rw);
    assert_eq!(
        after_protect[3],
        ("committed".to_owned(), "read_only".to_owned())
    );
    assert_eq!(after_protect[6], reserved);
    assert_eq!(s[2]["result"]["old"], "read_write");
    // Locked pages are in RAM (QueryWorkingSetEx says so).
    let locked = &s[3]["pages"][4];
    assert_eq!(
        (&locked["locked"], &locked["resident"]),
        (&true.into(), &true.into())
    );
    assert_eq!(s[6]["result"]["access"]["access"], "read");
    assert_eq!(s[6]["result"]["access"]["value"], 7);
    // The query answers as VirtualQuery would: one read-only page, its
    // reservation's base.
    let q = &s[7]["result"]["query"];
    assert_eq!(q["allocation_base"], base);
    assert_eq!(
        (&q["region_pages"], &q["protection"]),
        (&1.into(), &"read_only".into())
    );
    assert!(pages(&s[9])[2..6].iter().all(|p| *p == reserved));
    assert!(pages(&s[10]).iter().all(|(state, _)| state == "free"));
}

/// A child process (`memlab.exe vm-child`, started with CreateProcessW)
/// reads and writes the parent's pages through ReadProcessMemory /
/// WriteProcessMemory, and dies of STATUS_ACCESS_VIOLATION where a plain
/// access would fault: memlab lives on and says so.
#[test]
fn a_child_touches_the_parents_pages_or_dies_of_an_access_violation() {
    let s = steps(
        "reserve 8; commit 0..3; protect 1 ro; protect 2 na; crash 0 write; read 0; \
         crash 0 read; crash 1 read; crash 1 write; crash 2 read; crash 5 read; crash 5 write; \
         read 1",
    );
    let child = |i: usize| &s[i]["result"]["end"];
    assert_eq!(s[4]["result"]["kind"], "child");
    assert_eq!(child(4)["ended"], "exited", "{}", s[4]);
    assert_eq!(child(4)["code"], 0);
    // The child's WriteProcessMemory landed in this process's page.
    assert_eq!(s[5]["result"]["access"]["value"], 1, "{}", s[5]);
    assert_eq!(child(6)["ended"], "exited");
    assert_eq!(child(7)["ended"], "exited", "a read-only page reads");
    for i in [8, 9, 10, 11] {
        assert_eq!(child(i)["ended"], "exception", "step {}: {}", i + 1, s[i]);
        assert_eq!(child(i)["status"], ACCESS_VIOLATION, "step {}", i + 1);
    }
    // The read-only page was not written by the child that died.
    assert_eq!(s[12]["result"]["access"]["value"], 0);
    // The text names the exception and the child's calls.
    let out = run(&["vm", "reserve 2; crash 1 write"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let t = text(&out.stdout);
    assert!(
        t.contains(
            "child process writing page 1: the child process died of \
             STATUS_ACCESS_VIOLATION (0xC0000005); memlab lives on"
        ),
        "{t}"
    );
    assert!(
        t.contains("CreateProcessW(memlab.exe vm-child) + OpenProcess + VirtualQueryEx"),
        "{t}"
    );
}

/// The engine's own call, from this test process: the child it starts is
/// memlab.exe (found beside the test's folder), and its write is seen here.
#[test]
fn the_engine_starts_memlab_exe_as_the_child() {
    let mut lab = PageLab::new();
    let id = lab.reserve(4).unwrap();
    lab.commit(id, 0..2).unwrap();
    lab.protect(id, 1..2, Protection::NoAccess).unwrap();
    assert_eq!(
        lab.touch_in_child(id, 0, true),
        Ok(ChildEnd::Exited { code: 0 })
    );
    assert_eq!(lab.read_byte(id, 0), Ok(Access::Read { value: 1 }));
    let end = lab.touch_in_child(id, 1, false).unwrap();
    assert_eq!(
        end,
        ChildEnd::Exception {
            status: ACCESS_VIOLATION
        }
    );
    assert!(end.died());
    assert_eq!(end.cause_name(), Some("STATUS_ACCESS_VIOLATION"));
}

/// Errors: Windows' own refusals come with their Win32 name and code (exit
/// code 1); memlab's checks of the book's rules are usage errors (exit
/// code 2); the hidden child refuses bad arguments.
#[test]
fn win32_errors_are_named_with_their_codes() {
    // MEM_RESET wants committed pages: Windows refuses reserved ones.
    let out = run(&["vm", "reserve 4; decommit 0..4 dontneed"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains(
            "step 2 \"decommit 0..4 dontneed\": VirtualAlloc(MEM_RESET) + \
             VirtualProtect(PAGE_NOACCESS) failed: ERROR_INVALID_ADDRESS (487)"
        ),
        "{err}"
    );
    let out = run(&["vm", "reserve 4; protect 0 ro"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("VirtualProtect needs committed pages"),
        "{}",
        text(&out.stderr)
    );
    let out = run(&["vm", "reserve 70000"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    // The child of a process that is gone: OpenProcess fails, and the
    // child says so by its exit code, ERROR_INVALID_PARAMETER (87).
    let out = run(&["vm-child", "0", "0x10000", "read"]);
    assert_eq!(out.status.code(), Some(87), "{}", text(&out.stderr));
    let out = run(&["vm-child", "1", "nowhere", "read"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
}

/// The page lab is in the window's list on Windows: `screenshot --lab
/// page-lab --demo` renders it (glow, in wine's virtual desktop) after the
/// demo's steps, the child's fault among them, and saves the app's own
/// picture.
#[test]
fn screenshot_renders_the_page_lab_with_its_demo() {
    let help = run(&["screenshot", "--help"]);
    assert!(
        text(&help.stdout).contains("page-lab"),
        "{}",
        text(&help.stdout)
    );
    let colours = screenshot_colours("page-lab", "ko", true, (900, 700));
    assert!(colours > 20, "only {colours} colours");
}
