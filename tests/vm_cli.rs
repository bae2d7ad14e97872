//! `memlab vm`, `memlab sysinfo` and `memlab maps` through the real binary:
//! scripts with their expected page strips, JSON for scripts, bad steps
//! (exit 2, the step named), the lock limit and the address-space limit as
//! an ordinary process meets them (exit 1, the limit named).

// Linux only, for now: the Windows suite is tests/windows.rs (docs/windows.md).
#![cfg(target_os = "linux")]

mod common;

use std::os::unix::process::CommandExt;
use std::process::{Command, Output, Stdio};

use common::{BIN, run, stderr, stdout};

/// The lines of each step's block (`[n] ...` starts one), without the
/// numbers that change from run to run (addresses, kB).
fn blocks(text: &str) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = Vec::new();
    for line in text.lines().skip(1) {
        if line.starts_with('[') {
            out.push(vec![line.to_owned()]);
        } else if let Some(b) = out.last_mut() {
            b.push(line.trim().to_owned());
        }
    }
    out
}

fn strip(block: &[String]) -> (&str, &str) {
    let pages = block.iter().find(|l| l.starts_with("page 0 ")).unwrap();
    let ram = block.iter().find(|l| l.starts_with("in RAM ")).unwrap();
    (
        pages.trim_start_matches("page 0").trim(),
        ram.trim_start_matches("in RAM").trim(),
    )
}

#[test]
fn the_issues_script_prints_the_expected_pages() {
    let out = run(&[
        "vm",
        "reserve 16; commit 0..4; protect 2 ro; write 1; write 2; lock 0..2; decommit 0..4; query",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.starts_with("pages: '-' reserved,"),
        "legend first: {text}"
    );
    let b = blocks(&text);
    let want = [
        ("reserve 16", "----------------", "................"),
        ("commit 0..4", "wwww------------", "................"),
        ("protect 2 ro", "wwrw------------", "................"),
        ("write 1", "wwrw------------", ".*.............."),
        ("write 2", "wwrw------------", ".*.............."),
        ("lock 0..2", "WWrw------------", "**.............."),
        ("decommit 0..4", "----------------", "................"),
        ("query", "----------------", "................"),
    ];
    assert_eq!(b.len(), want.len(), "{text}");
    for (i, (block, (step, pages, ram))) in b.iter().zip(want).enumerate() {
        assert!(
            block[0].starts_with(&format!("[{}] {step}: ", i + 1)),
            "{block:?}"
        );
        assert_eq!(strip(block), (pages, ram), "step {step}: {block:?}");
        assert!(block.last().unwrap().starts_with("RSS "), "{block:?}");
    }
    assert!(b[0][0].ends_with("VirtualAlloc(MEM_RESERVE, PAGE_NOACCESS) -> mmap(NULL, len, PROT_NONE, MAP_PRIVATE|MAP_ANONYMOUS)"));
    assert!(
        b[1][0].ends_with(
            "VirtualAlloc(MEM_COMMIT, PAGE_READWRITE) -> mprotect(PROT_READ|PROT_WRITE)"
        )
    );
    assert!(
        b[6][0].ends_with("-> mmap(addr, len, PROT_NONE, MAP_FIXED|MAP_PRIVATE|MAP_ANONYMOUS)")
    );
    assert_eq!(b[2][1], "old protection: read-write");
    assert_eq!(b[3][1], "wrote 1 to page 1");
    assert!(
        b[4][1].starts_with("access violation writing 0x")
            && b[4][1].ends_with(": page 2 is committed, read-only"),
        "{:?}",
        b[4]
    );
    assert_eq!(b[7][1], "pages 0..16: reserved, no access");
}

#[test]
fn madvise_keeps_the_charge_and_the_child_dies_of_sigsegv() {
    let out = run(&[
        "vm",
        "reserve 8; commit ..; write 0; decommit 0..4 dontneed; read 0; crash 1; crash 6 read; decommit ..; release",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let b = blocks(&stdout(&out));
    // Written, then madvise'd: RAM gone, pages reserved, still charged ('~').
    assert_eq!(strip(&b[3]), ("~~~~wwww", "........"));
    assert_eq!(
        b[4][1].split(": ").nth(1),
        Some("page 0 is reserved / no access")
    );
    assert_eq!(
        b[5][1],
        "child process writing page 1: the child process died of SIGSEGV (11); memlab lives on"
    );
    assert_eq!(
        b[6][1],
        "child process reading page 6: the access worked: the child process exited with 0"
    );
    // The real decommit: no charge left.
    assert_eq!(strip(&b[7]), ("--------", "........"));
    assert_eq!(b[8][1], "#1 released: its 8 pages are free");
    assert_eq!(strip(&b[8]), ("........", "........"));
}

fn json_lines(script: &str) -> Vec<serde_json::Value> {
    let out = run(&["vm", "--json", script]);
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect()
}

#[test]
fn json_has_one_object_per_step_with_pages_and_costs() {
    let steps = json_lines("reserve 4; commit 1..3; protect 2 na; release");
    assert_eq!(steps.len(), 4);
    let states = |v: &serde_json::Value| -> Vec<(String, String)> {
        v["pages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["state"].as_str().unwrap().to_owned(),
                    p["protection"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let s = |a: &str, b: &str| (a.to_owned(), b.to_owned());
    assert_eq!(steps[0]["step"], "reserve 4");
    assert_eq!(
        steps[0]["win32"],
        "VirtualAlloc(MEM_RESERVE, PAGE_NOACCESS)"
    );
    assert_eq!(states(&steps[0]), vec![s("reserved", "no_access"); 4]);
    assert_eq!(
        states(&steps[1]),
        vec![
            s("reserved", "no_access"),
            s("committed", "read_write"),
            s("committed", "read_write"),
            s("reserved", "no_access")
        ]
    );
    assert_eq!(states(&steps[2])[2], s("committed", "no_access"));
    assert_eq!(steps[2]["result"]["old"], "read_write");
    assert_eq!(states(&steps[3]), vec![s("free", "no_access"); 4]);
    for v in &steps {
        assert!(v["commit_charge_kb"].as_i64().unwrap() > 0, "{v}");
        assert!(v["rss_kb"].as_i64().unwrap() > 0, "{v}");
    }
}

#[test]
fn json_commit_charge_follows_commit_and_decommit() {
    // 64 MiB: far above what other processes change between two reads;
    // still, a run disturbed by them is repeated.
    let mut seen = Vec::new();
    for _ in 0..5 {
        let steps = json_lines("reserve 16384; commit ..; decommit ..");
        let d: Vec<i64> = steps
            .iter()
            .map(|v| v["commit_charge_delta_kb"].as_i64().unwrap())
            .collect();
        if d[0].abs() < 8192 && (d[1] - 65536).abs() < 8192 && (d[2] + 65536).abs() < 8192 {
            return;
        }
        seen.push(d);
    }
    panic!("commit charge deltas (kB) of reserve/commit/decommit: {seen:?}");
}

fn assert_error(out: &Output, code: i32, message: &str) {
    assert_eq!(out.status.code(), Some(code), "{}", stderr(out));
    let err = stderr(out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert_eq!(err.trim_end(), format!("memlab: error: {message}"));
}

#[test]
fn bad_steps_are_named_and_exit_2() {
    // Parse errors: nothing runs, nothing is printed.
    for (script, message) in [
        (
            "reserve 4; comit 0..2",
            "step 2 \"comit 0..2\": unknown step \"comit\" (reserve, commit, decommit, protect, lock, unlock, read, write, query, crash, release, use, map)",
        ),
        (
            "reserve x",
            "step 1 \"reserve x\": expected a page count, got \"x\"",
        ),
        (
            "reserve 4; protect 0..2 rx",
            "step 2 \"protect 0..2 rx\": expected na, ro or rw, got \"rx\"",
        ),
        (" ; ", "the script has no steps"),
    ] {
        let out = run(&["vm", script]);
        assert!(out.stdout.is_empty(), "{script}: {}", stdout(&out));
        assert_error(&out, 2, message);
    }
    // Refused steps: the steps before them ran and were printed.
    for (script, message) in [
        (
            "reserve 0",
            "step 1 \"reserve 0\": a reservation needs at least 1 page",
        ),
        (
            "reserve 65537",
            "step 1 \"reserve 65537\": 65537 pages is more than the lab's limit of 65536 pages per reservation",
        ),
        (
            "commit 0..4",
            "step 1 \"commit 0..4\": no reservation yet: begin with `reserve N`",
        ),
        (
            "reserve 4; commit 2..9",
            "step 2 \"commit 2..9\": pages 2..9 are outside reservation #1, which has pages 0..4",
        ),
        (
            "reserve 4; protect 1 ro",
            "step 2 \"protect 1 ro\": page 1 of #1 is reserved, not committed: VirtualProtect needs committed pages",
        ),
        (
            "reserve 4; lock 0..2",
            "step 2 \"lock 0..2\": page 0 of #1 is not committed: VirtualLock needs committed pages",
        ),
        (
            "reserve 4; release; commit 0..4",
            "step 3 \"commit 0..4\": reservation #1 was released; its pages are free",
        ),
        (
            "reserve 4; use 7",
            "step 2 \"use 7\": there is no reservation #7",
        ),
    ] {
        let out = run(&["vm", script]);
        assert_error(&out, 2, message);
        let printed = blocks(&stdout(&out)).len();
        assert_eq!(printed, script.split(';').count() - 1, "{script}");
    }
}

/// Runs memlab under `setpriv ARGS`, with RLIMIT_MEMLOCK lowered first.
fn as_ordinary(setpriv: &[&str], memlock: u64, args: &[&str]) -> Output {
    let mut cmd = Command::new("setpriv");
    cmd.args(setpriv)
        .arg(BIN)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: setrlimit is async-signal-safe; it only lowers a limit of the
    // child about to exec.
    unsafe {
        cmd.pre_exec(move || {
            let rl = libc::rlimit {
                rlim_cur: memlock,
                rlim_max: memlock,
            };
            if libc::setrlimit(libc::RLIMIT_MEMLOCK, &rl) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    cmd.output().expect("run setpriv (util-linux)")
}

#[test]
fn locking_past_rlimit_memlock_is_enomem_with_the_limit() {
    let script = "reserve 64; commit ..; lock 0..8; lock ..";
    let message = "step 4 \"lock ..\": mlock refused 262144 bytes (ENOMEM): the lock limit \
                   RLIMIT_MEMLOCK is 65536 bytes, 32768 bytes are locked already";
    // Root without CAP_IPC_LOCK is held to the limit...
    let out = as_ordinary(
        &["--bounding-set=-ipc_lock", "--inh-caps=-ipc_lock"],
        65536,
        &["vm", script],
    );
    assert_error(&out, 1, message);
    // ...and so is another account.
    let out = as_ordinary(
        &["--reuid=65534", "--regid=65534", "--clear-groups"],
        65536,
        &["vm", script],
    );
    assert_error(&out, 1, message);
    // The first lock, within the limit, worked and was printed.
    assert_eq!(
        strip(&blocks(&stdout(&out))[2]).0,
        format!("{}{}", "W".repeat(8), "w".repeat(56))
    );
}

#[test]
fn reserving_past_rlimit_as_is_refused_with_the_limit() {
    let limit: u64 = 200 << 20;
    let mut cmd = Command::new(BIN);
    cmd.args(["vm", "reserve 1; reserve 65536"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: setrlimit is async-signal-safe; it only lowers a limit of the
    // child about to exec.
    unsafe {
        cmd.pre_exec(move || {
            let rl = libc::rlimit {
                rlim_cur: limit,
                rlim_max: limit,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &rl) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let out = cmd.output().unwrap();
    assert_error(
        &out,
        1,
        "step 2 \"reserve 65536\": cannot reserve 268435456 bytes of address space: mmap \
         returned ENOMEM (address-space limit RLIMIT_AS: 209715200 bytes)",
    );
}

#[test]
fn sysinfo_reports_the_page_size_and_the_limits() {
    let out = run(&["sysinfo", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["page_size"], 4096);
    assert!(v["allocation_granularity"].is_null(), "none on Linux");
    assert_eq!(v["windows_allocation_granularity"], 65536);
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap();
    let total_kb: u64 = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .unwrap()
        .trim()
        .trim_end_matches(" kB")
        .parse()
        .unwrap();
    assert_eq!(v["physical_total"].as_u64(), Some(total_kb * 1024));
    assert!(v["commit_charge"].as_u64().unwrap() > 0);
    assert!(v["lock_limit"].get("soft").is_some());
    let text = stdout(&run(&["sysinfo"]));
    assert!(
        text.contains("page size               4096 bytes"),
        "{text}"
    );
    assert!(
        text.contains("allocation granularity  none on Linux"),
        "{text}"
    );
    // ullTotalVirtual is the size of the user address space, not RLIMIT_AS.
    let (lowest, highest) = (
        v["lowest_address"].as_u64().unwrap(),
        v["highest_address"].as_u64().unwrap(),
    );
    assert_eq!(v["total_virtual"].as_u64(), Some(highest + 1 - lowest));
    let line = |needle: &str| {
        text.lines()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no line with {needle:?} in {text}"))
            .to_owned()
    };
    assert!(
        line("ullTotalVirtual").starts_with("total virtual"),
        "{text}"
    );
    assert!(!line("RLIMIT_AS").contains("ullTotalVirtual"), "{text}");
}

#[test]
fn maps_lists_regions_with_types_and_memlabs_objects() {
    let out = run(&["maps", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let regions = v["regions"].as_array().unwrap();
    assert!(regions.len() > 10);
    for r in regions {
        assert!(r["start"].is_u64() && r["size"].is_u64(), "{r}");
        assert!(r["type"].is_string() && r["path"].is_string(), "{r}");
    }
    let exe = std::fs::canonicalize(BIN).unwrap();
    fn of_type<'a>(
        regions: &'a [serde_json::Value],
        t: &'a str,
    ) -> impl Iterator<Item = &'a serde_json::Value> {
        regions.iter().filter(move |r| r["type"] == t)
    }
    let of_type = |t| of_type(regions, t);
    assert!(of_type("image").any(|r| r["path"] == exe.to_string_lossy().as_ref()));
    assert!(of_type("image").any(|r| r["owner"]["kind"] == "bundled_font"));
    assert!(of_type("stack").any(|r| r["path"] == "[stack]"));
    assert!(of_type("free").count() > 0);
    let text = stdout(&run(&["maps"]));
    assert!(text.contains("largest free block: "), "{text}");
    assert!(text.contains("holds the bundled font"), "{text}");
}

#[test]
fn maps_of_another_memlab_process_by_pid() {
    // A memlab process holding the shared text: its map, read from this
    // memlab, names the mapping and the bundled font (the same executable).
    let name = common::unique("vm-cli-other");
    // The holder's object is removed whatever happens.
    struct Cleanup(String);
    impl Drop for Cleanup {
        fn drop(&mut self) {
            let _ = common::shared(&self.0, &["info"]);
        }
    }
    let _cleanup = Cleanup(name.clone());
    let holder = common::Running::shared(&name, &["hold", "--seconds", "30"]);
    let line = holder
        .line(std::time::Duration::from_secs(20))
        .expect("holds");
    assert!(line.starts_with("holding"), "{line}");
    let pid = holder.pid().to_string();
    let out = run(&["maps", "--pid", &pid, "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["pid"].as_u64(), Some(u64::from(holder.pid())));
    let regions = v["regions"].as_array().unwrap();
    assert!(
        regions
            .iter()
            .any(|r| r["owner"]["kind"] == "shared_text" && r["owner"]["name"] == name.as_str()),
        "the shared text of PID {pid}"
    );
    assert!(regions.iter().any(|r| r["owner"]["kind"] == "bundled_font"));
    let text = stdout(&run(&["maps", "--pid", &pid]));
    assert!(
        text.lines()
            .next()
            .unwrap()
            .contains(&format!("of PID {pid}")),
        "{text}"
    );
    drop(holder);

    // A process that is not there, a window that is not open: usage errors.
    let out = run(&["maps", "--pid", "4000000000"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("there is no process 4000000000"));
    let out = run(&["maps", "--window", "63"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no memlab window #63"),
        "{}",
        stderr(&out)
    );

    // The list: memlab's windows first (by number), this process among them
    // or first, then the account's other processes by PID.
    let out = run(&["maps", "--list", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let list: Vec<serde_json::Value> = serde_json::from_str(&stdout(&out)).unwrap();
    let windows: Vec<u64> = list
        .iter()
        .take_while(|t| !t["window"].is_null() || t["this"] == true)
        .filter_map(|t| t["window"].as_u64())
        .collect();
    assert!(windows.windows(2).all(|w| w[0] < w[1]), "{list:?}");
    assert_eq!(list.iter().filter(|t| t["this"] == true).count(), 1);
    let rest: Vec<u64> = list
        .iter()
        .skip_while(|t| !t["window"].is_null() || t["this"] == true)
        .map(|t| t["pid"].as_u64().unwrap())
        .collect();
    assert!(rest.windows(2).all(|w| w[0] < w[1]), "by PID: {rest:?}");
    assert!(
        list.iter()
            .all(|t| t["window"].is_null() || !t["name"].is_null())
    );
}
