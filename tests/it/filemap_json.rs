//! `memlab filemap --json` on Linux: one object per step, in the book's
//! order, each naming the call Linux made for it (`os_call`), with the
//! step's figures; the text output is `filemap_cli`'s.

use crate::common;

use common::{run, stderr, stdout};
use serde_json::Value;

/// A file of this test alone, removed when dropped.
struct Scratch(std::path::PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn every_step_is_one_json_object_naming_the_linux_call_it_made() {
    let file = Scratch(
        std::env::temp_dir().join(format!("memlab-filemap-json-{}.bin", std::process::id())),
    );
    let _ = std::fs::remove_file(&file.0);
    let path = file.0.to_str().expect("a UTF-8 temp path");
    let out = run(&[
        "filemap",
        path,
        "--size",
        "16K",
        "--view",
        "0:0",
        "--view",
        "100:50",
        "--write",
        "120",
        "hi",
        "--flush",
        "--set-eof",
        "100",
        "--json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let steps: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?} is not JSON: {e}")))
        .collect();
    let calls: Vec<(&str, &str)> = steps
        .iter()
        .map(|s| (s["step"].as_str().unwrap(), s["os_call"].as_str().unwrap()))
        .collect();
    assert_eq!(
        calls,
        [
            ("open", "open(O_RDWR | O_CREAT) + flock(LOCK_EX | LOCK_NB)"),
            ("mapping", "fallocate(0, 16384)"),
            (
                "view",
                "mmap(NULL, 16384, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)"
            ),
            (
                "view",
                "mmap(NULL, 50, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 100)"
            ),
            ("write", "process_vm_writev (memlab's own view)"),
            ("flush", "msync(MS_SYNC)"),
            ("flush", "msync(MS_SYNC)"),
            ("unmap", "munmap"),
            ("unmap", "munmap"),
            (
                "close mapping",
                "(no mapping object on Linux: no new views)"
            ),
            ("set end of file", "ftruncate(100)"),
            (
                "close file",
                "close (the views keep the file open and locked)"
            ),
        ]
    );
    assert_eq!(steps[0]["created"], true);
    assert_eq!(steps[1]["file_len_after"], 16384);
    // memmap2 rounded the unaligned offset down; the raw mmap refused it.
    let unaligned = &steps[3]["unaligned"];
    assert_eq!(unaligned["mapped_from"], 0, "{unaligned}");
    assert_eq!(unaligned["raw_call"]["failed"], libc::EINVAL, "{unaligned}");
    assert_eq!(steps[4]["through_file"], "hi");
    assert_eq!(steps[4]["equal"], true);
    assert_eq!(steps[10]["after"], 100);
    assert_eq!(std::fs::metadata(&file.0).unwrap().len(), 100);
}
