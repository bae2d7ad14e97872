//! The file-mapping lab (§8) on Windows, run under wine by
//! `.ci/windows/test` (and on a real Windows by `cargo test`), on the
//! book's calls, through real `memlab.exe` processes and the engine: a
//! second process refused by the share mode 0 (`ERROR_SHARING_VIOLATION`),
//! `CreateFileMappingW` growing the file and taking the file's size for
//! 0,0, `MapViewOfFile` refusing an offset off the 64 KiB granularity
//! (`ERROR_MAPPED_ALIGNMENT`), `SetEndOfFile` refused while a view is
//! mapped here or in another process (`ERROR_USER_MAPPED_FILE`), and
//! `--json` naming the Win32 call of every step.
//!
//! Every wait is for an event (a line printed by the other process), with
//! a generous deadline; nothing sleeps and then asserts.
#![cfg(windows)]

mod wine;
use wine::{
    DEADLINE, Killed, Retrying, json_lines, lines_of, memlab, run, screenshot_colours, text,
};

use std::path::{Path, PathBuf};
use std::process::Stdio;

use memlab_engine::filemap::{
    Access, Disposition, FileMapError, FileMapSession, OpenRequest, Sharing,
};
use serde_json::Value;

/// A file of this test alone, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Self {
        let path = std::env::temp_dir().join(format!(
            "memlab-winfilemap-{tag}-{}.bin",
            std::process::id()
        ));
        let _ = std::fs::remove_file(&path);
        Self(path)
    }

    fn with_len(tag: &str, len: usize) -> Self {
        let file = Self::new(tag);
        std::fs::write(&file.0, vec![b'.'; len]).expect("the test's file");
        file
    }

    fn arg(&self) -> &str {
        self.0.to_str().expect("a UTF-8 temp path")
    }

    fn len(&self) -> u64 {
        std::fs::metadata(&self.0).expect("the file").len()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A `memlab.exe filemap ... --hold 600 --json` that has mapped its views
/// (it printed its "hold" line); killed when dropped.
fn hold(args: &[&str]) -> Killed {
    let mut child = memlab()
        .args(["filemap"])
        .args(args)
        .args(["--hold", "600", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn_retrying()
        .expect("memlab.exe filemap --hold");
    let lines = lines_of(child.stdout.take().expect("piped"));
    let holder = Killed(child);
    let mut seen = Vec::new();
    loop {
        match lines.recv_timeout(DEADLINE) {
            Ok(line) if line.contains("\"step\":\"hold\"") => return holder,
            Ok(line) => seen.push(line),
            Err(e) => panic!("no hold line within {DEADLINE:?} ({e}); saw {seen:?}"),
        }
    }
}

/// The JSON steps a successful `memlab.exe filemap --json` printed.
fn json_steps(args: &[&str]) -> Vec<Value> {
    let out = run(&[&["filemap"], args, &["--json"]].concat());
    assert!(out.status.success(), "{}", text(&out.stderr));
    json_lines(&out.stdout)
}

fn step<'a>(steps: &'a [Value], name: &str) -> &'a Value {
    steps
        .iter()
        .find(|s| s["step"] == name)
        .unwrap_or_else(|| panic!("no {name:?} step in {steps:?}"))
}

fn open(path: &Path, sharing: Sharing) -> Result<FileMapSession, FileMapError> {
    let request = OpenRequest {
        access: Access::ReadWrite,
        sharing,
        disposition: Disposition::OpenOrCreate,
    };
    FileMapSession::open(path, request).map(|(session, _)| session)
}

#[test]
fn a_second_memlab_exe_is_refused_by_share_mode_0_with_error_sharing_violation() {
    let file = Scratch::with_len("share0", 4096);
    let holder = hold(&[file.arg(), "--size", "0", "--view", "0:0"]);
    for extra in [&[][..], &["--share"][..]] {
        let out = run(&[&["filemap", file.arg(), "--size", "0"], extra].concat());
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "busy: {err}");
        assert!(
            err.contains("CreateFileW refused it with ERROR_SHARING_VIOLATION (32)"),
            "{extra:?}: {err}"
        );
        assert!(text(&out.stdout).is_empty(), "no step was done");
    }
    // The engine gets the same refusal, as a value.
    match open(&file.0, Sharing::Exclusive) {
        Err(FileMapError::SharingViolation { path, asked }) => {
            assert_eq!((path, asked), (file.0.clone(), Sharing::Exclusive));
        }
        other => panic!("expected ERROR_SHARING_VIOLATION, got {other:?}"),
    }
    drop(holder);
    // The holder's death closed its handle: the file opens again.
    let out = run(&["filemap", file.arg(), "--size", "0"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn two_instances_that_share_open_the_same_file_and_see_each_others_writes() {
    let file = Scratch::with_len("shared", 65536);
    let _holder = hold(&[file.arg(), "--share", "--size", "0", "--view", "0:0"]);
    let steps = json_steps(&[
        file.arg(),
        "--share",
        "--size",
        "0",
        "--view",
        "0:0",
        "--write",
        "100",
        "from the second",
    ]);
    assert!(
        step(&steps, "open")["os_call"]
            .as_str()
            .is_some_and(|c| c.contains("FILE_SHARE_READ | FILE_SHARE_WRITE")),
        "{steps:?}"
    );
    assert_eq!(step(&steps, "write")["through_file"], "from the second");
}

#[test]
fn create_file_mapping_grows_the_file_and_size_0_0_is_the_files_size() {
    let file = Scratch::with_len("grow", 4096);
    let steps = json_steps(&[file.arg(), "--size", "200000"]);
    let mapping = step(&steps, "mapping");
    assert_eq!(
        mapping["os_call"],
        "CreateFileMappingW(file, NULL, PAGE_READWRITE, 0, 200000, NULL)"
    );
    assert_eq!(mapping["file_len_before"], 4096);
    assert_eq!(mapping["file_len_after"], 200000);
    assert_eq!(mapping["change"], "grown");
    assert_eq!(file.len(), 200000, "Windows grew the file");

    let steps = json_steps(&[file.arg(), "--size", "0", "--view", "0:0"]);
    let mapping = step(&steps, "mapping");
    assert_eq!(
        mapping["os_call"],
        "CreateFileMappingW(file, NULL, PAGE_READWRITE, 0, 0, NULL)"
    );
    assert_eq!(mapping["size"], 200000);
    assert_eq!(mapping["change"], "unchanged");
    assert_eq!(step(&steps, "view")["len"], 200000);
    assert_eq!(file.len(), 200000);

    // More than 4 GiB: the size's high DWORD, as the book passes it.
    let big = 5u64 << 30;
    assert_eq!(
        create_mapping_call(big),
        "CreateFileMappingW(file, NULL, PAGE_READWRITE, 1, 1073741824, NULL)"
    );
}

fn create_mapping_call(requested: u64) -> String {
    memlab_engine::filemap::Step::CreateMapping {
        requested,
        access: Access::ReadWrite,
        grows: None,
    }
    .os_call()
}

#[test]
fn map_view_of_file_refuses_an_offset_off_the_64_kib_granularity() {
    let file = Scratch::with_len("align", 3 * 65536);
    // The real call, through the engine.
    let mut session = open(&file.0, Sharing::Exclusive).expect("the test's file opens");
    session.create_mapping(0).expect("CreateFileMappingW");
    match session.map_view(4096, 100) {
        Err(FileMapError::MappedAlignment {
            offset,
            granularity,
        }) => assert_eq!((offset, granularity), (4096, 65536)),
        other => panic!("expected ERROR_MAPPED_ALIGNMENT, got {other:?}"),
    }
    let view = session
        .map_view(65536, 100)
        .expect("an aligned offset maps");
    assert_eq!((view.offset, view.len), (65536, 100));
    assert!(view.unaligned.is_none());
    drop(session);

    // The command refuses it before it creates or grows anything.
    let fresh = Scratch::new("align-cli");
    let out = run(&[
        "filemap",
        fresh.arg(),
        "--size",
        "128K",
        "--view",
        "4096:100",
    ]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("MapViewOfFile refused offset 4096")
            && err.contains("ERROR_MAPPED_ALIGNMENT (1132)"),
        "{err}"
    );
    assert!(!fresh.0.exists(), "nothing was created");
}

#[test]
fn set_end_of_file_is_refused_with_error_user_mapped_file_while_a_view_is_mapped() {
    let file = Scratch::with_len("eof", 65536);
    let mut session = open(&file.0, Sharing::Exclusive).expect("the test's file opens");
    session.create_mapping(0).expect("CreateFileMappingW");
    let view = session.map_view(0, 0).expect("MapViewOfFile");
    // Even with the mapping's handle closed, the view keeps the file mapped.
    session.close_mapping().expect("CloseHandle(mapping)");
    match session.set_end_of_file(4096) {
        Err(
            e @ FileMapError::UserMappedFile {
                own_views: 1,
                mapping_open: false,
                ..
            },
        ) => {
            assert!(
                e.to_string().contains("ERROR_USER_MAPPED_FILE (1224)"),
                "{e}"
            );
        }
        other => panic!("expected ERROR_USER_MAPPED_FILE, got {other:?}"),
    }
    assert_eq!(file.len(), 65536, "nothing was cut");
    session.unmap_view(view.view).expect("UnmapViewOfFile");
    let eof = session
        .set_end_of_file(4096)
        .expect("allowed once unmapped");
    assert_eq!((eof.before, eof.after), (65536, 4096));
    drop(session);
    assert_eq!(file.len(), 4096);
}

#[test]
fn set_end_of_file_is_refused_while_another_process_maps_the_file() {
    let file = Scratch::with_len("eof-other", 65536);
    let _holder = hold(&[file.arg(), "--share", "--size", "0", "--view", "0:0"]);
    let out = run(&[
        "filemap",
        file.arg(),
        "--share",
        "--size",
        "0",
        "--set-eof",
        "100",
    ]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "busy: {err}");
    assert!(
        err.contains("ERROR_USER_MAPPED_FILE (1224): another process maps it"),
        "{err}"
    );
    assert_eq!(file.len(), 65536, "nothing was cut");
}

#[test]
fn every_step_in_json_names_the_win32_call_it_made_in_the_books_order() {
    let file = Scratch::new("json");
    let steps = json_steps(&[
        file.arg(),
        "--size",
        "128K",
        "--view",
        "0:0",
        "--view",
        "64K:100",
        "--write",
        "65540",
        "hi",
        "--flush",
        "--set-eof",
        "100",
    ]);
    let calls: Vec<(&str, &str)> = steps
        .iter()
        .map(|s| (s["step"].as_str().unwrap(), s["os_call"].as_str().unwrap()))
        .collect();
    assert_eq!(
        calls,
        [
            (
                "open",
                "CreateFileW(path, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL)"
            ),
            (
                "mapping",
                "CreateFileMappingW(file, NULL, PAGE_READWRITE, 0, 131072, NULL)"
            ),
            (
                "view",
                "MapViewOfFile(mapping, FILE_MAP_WRITE, 0, 0, 131072)"
            ),
            (
                "view",
                "MapViewOfFile(mapping, FILE_MAP_WRITE, 0, 65536, 100)"
            ),
            (
                "write",
                "WriteProcessMemory(GetCurrentProcess(), view + offset, bytes, 2)"
            ),
            ("flush", "FlushViewOfFile(view, length)"),
            ("flush", "FlushViewOfFile(view, length)"),
            ("unmap", "UnmapViewOfFile(view)"),
            ("unmap", "UnmapViewOfFile(view)"),
            ("close mapping", "CloseHandle(mapping)"),
            (
                "set end of file",
                "SetFilePointerEx(file, 100, NULL, FILE_BEGIN) + SetEndOfFile(file)"
            ),
            ("close file", "CloseHandle(file)"),
        ]
    );
    assert_eq!(steps[0]["created"], true);
    let write = step(&steps, "write");
    assert_eq!(
        (write["view"].as_u64(), write["equal"].as_bool()),
        (Some(1), Some(true))
    );
    assert_eq!(write["through_file"], "hi");
    assert_eq!(step(&steps, "set end of file")["after"], 100);
    assert_eq!(file.len(), 100);
}

/// The lab is in the window's list: `screenshot --lab filemap --demo`
/// renders it (glow, in wine's virtual desktop) after its demo's steps
/// (open shared, a 64 KiB mapping, two views at offset 0, two writes, a
/// flush), and saves the app's own picture.
#[test]
fn screenshot_renders_the_file_mapping_lab_after_its_demo() {
    let colours = screenshot_colours("filemap", "ko", true, (960, 800));
    assert!(colours > 20, "only {colours} colours");
}

/// Windows' documentation asks for the views unmapped *and* the mapping
/// closed before `SetEndOfFile`; wine refuses it with only the mapping
/// open, and memlab says which of its own is in the way.
#[test]
fn set_end_of_file_is_refused_while_only_the_mapping_is_open() {
    let file = Scratch::with_len("eof-mapping", 65536);
    let mut session = open(&file.0, Sharing::Exclusive).expect("the test's file opens");
    session.create_mapping(0).expect("CreateFileMappingW");
    match session.set_end_of_file(4096) {
        Err(
            e @ FileMapError::UserMappedFile {
                own_views: 0,
                mapping_open: true,
                ..
            },
        ) => assert!(
            e.to_string()
                .ends_with("its mapping is still open here: close it first"),
            "{e}"
        ),
        other => panic!("expected ERROR_USER_MAPPED_FILE, got {other:?}"),
    }
    session.close_mapping().expect("CloseHandle(mapping)");
    let eof = session
        .set_end_of_file(4096)
        .expect("allowed once the mapping is closed");
    assert_eq!((eof.before, eof.after), (65536, 4096));
}
