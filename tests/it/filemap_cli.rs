//! `memlab filemap` as a class would run it: real processes and real files.
//! The steps printed in order, a second process refused while the first
//! holds the file (and allowed when both share), a file shortened by
//! `truncate` while memlab maps it, every bad path (nonexistent, directory,
//! read-only, no permission as user nobody, a full disk in a tiny tmpfs) and
//! the default demo file in the per-user data folder.

#![cfg(target_os = "linux")]

use crate::common;
use common::InDir;

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{BIN, Running, run, stderr, stdout};

/// Waits for a stdout line starting with `prefix`.
fn wait_for(proc: &Running, prefix: &str) -> String {
    let mut seen = Vec::new();
    while let Some(line) = proc.line(Duration::from_secs(20)) {
        if line.starts_with(prefix) {
            return line;
        }
        seen.push(line);
    }
    panic!("no line starting with {prefix:?}; saw {seen:?}");
}

/// Ends a holding `memlab filemap` as a user would (Ctrl+C, SIGTERM), so
/// that it leaves as it should: dropping a `Running` kills it outright,
/// and a killed instance cannot remove its change stamp.
fn end(mut proc: Running) {
    proc.signal(libc::SIGTERM);
    let status = proc.wait(Duration::from_secs(30));
    assert!(status.success(), "{status:?}");
}

#[test]
fn the_steps_run_in_order_and_say_what_they_did() {
    let dir = common::temp_dir("steps");
    let path = dir.arg("steps.bin");
    let out = run(&[
        "filemap",
        &path,
        "--size",
        "64K",
        "--view",
        "0:4096",
        "--view",
        "100:200",
        "--view",
        "8K:",
        "--write",
        "8200",
        "안녕 hello",
        "--flush",
        "--set-eof",
        "100",
    ]);
    let text = stdout(&out);
    assert!(out.status.success(), "{text}\n{}", stderr(&out));
    let lines: Vec<&str> = text.lines().collect();
    let expect_prefixes = [
        "open: ",
        "mapping: 65536 bytes (asked 65536); file 0 -> 65536 bytes (grown)",
        "view #1: file offset 0, 4096 bytes at 0x",
        "view #2: file offset 100, 200 bytes at 0x",
        "view #3: file offset 8192, 57344 bytes at 0x",
        "write: 12 bytes at file offset 8200 through view #3 (view offset 8)",
        "compare: view \"안녕 hello\", ordinary file read \"안녕 hello\": equal",
        "flush: view #1, 4096 bytes in ",
        "flush: view #2, 200 bytes in ",
        "flush: view #3, 57344 bytes in ",
        "unmap: view #1",
        "unmap: view #2",
        "unmap: view #3",
        "close mapping",
        "set end of file: 65536 -> 100 bytes",
        "close file",
    ];
    assert_eq!(lines.len(), expect_prefixes.len(), "{text}");
    for (line, prefix) in lines.iter().zip(expect_prefixes) {
        assert!(
            line.starts_with(prefix),
            "{line:?} should start with {prefix:?}"
        );
    }
    assert!(
        lines[3].contains("raw mmap at offset 100 fails: Invalid argument (os error 22)"),
        "{}",
        lines[3]
    );
    assert!(lines[3].contains("memmap2 mapped from 0 (rounded down)"));
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 100);

    // The write went through to the file before it was cut; map it again.
    let out = run(&[
        "filemap", &path, "--size", "16K", "--write", "8200", "x", "--view", "8K:",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(bytes.len(), 16384);
    assert_eq!(&bytes[8200..8201], b"x");
}

#[test]
fn a_second_process_is_refused_unless_both_share() {
    let dir = common::temp_dir("exclusive");
    let path = dir.arg("held.bin");
    let holder = Running::start(&[
        "filemap", &path, "--size", "8K", "--view", "0:0", "--hold", "60",
    ]);
    wait_for(&holder, "holding for");

    let out = run(&["filemap", &path, "--size", "0"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("is in use by memlab PID {}", holder.pid())),
        "{err}"
    );
    let out = run(&["filemap", &path, "--size", "0", "--share"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "sharing needs both to share: {}",
        stderr(&out)
    );
    end(holder);

    let a = Running::start(&[
        "filemap", &path, "--size", "0", "--view", "0:0", "--share", "--hold", "60",
    ]);
    wait_for(&a, "holding for");
    let out = run(&[
        "filemap", &path, "--size", "0", "--view", "0:0", "--share", "--write", "10", "shared",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = run(&["filemap", &path, "--size", "0"]);
    let err = stderr(&out);
    assert!(
        err.contains(&format!("in use by memlab PID {}", a.pid()))
            && err.contains("other instances share it"),
        "{err}"
    );
    let stamp = common::filemap_stamp_of(std::path::Path::new(&path));
    assert!(stamp.exists(), "{} while in use", stamp.display());
    end(a);
    // The object that let them follow each other's writes goes with the last.
    assert!(!stamp.exists(), "{} left behind", stamp.display());
}

#[test]
fn a_file_shortened_while_mapped_is_reported_and_memlab_lives() {
    let dir = common::temp_dir("truncated");
    let path = dir.arg("t.bin");
    let mut memlab = Running::start(&[
        "filemap", &path, "--size", "12K", "--view", "0:0", "--hold", "1.5", "--write", "9000",
        "too late",
    ]);
    wait_for(&memlab, "holding for");
    let status = Command::new("truncate")
        .args(["-s", "100", &path])
        .status()
        .unwrap();
    assert!(status.success());
    let status = memlab.wait(Duration::from_secs(20));
    assert_eq!(status.signal(), None, "memlab was killed: {status:?}");
    assert_eq!(status.code(), Some(1));
    let err = memlab.stderr_until(Duration::from_secs(5), |said| {
        said.contains("the file was shortened to 100 bytes by someone else")
    });
    assert!(
        err.contains("the file was shortened to 100 bytes by someone else"),
        "{err}"
    );
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 100);
}

#[test]
fn bad_paths_are_clear_errors() {
    let dir = common::temp_dir("bad");
    let check = |args: &[&str], code: i32, needle: &str| {
        let out = run(args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "one line: {err}");
    };
    let missing = dir.arg("no-dir/f.bin");
    check(&["filemap", &missing, "--size", "4K"], 2, "does not exist");
    check(
        &["filemap", &dir.arg("absent"), "--size", "4K", "--existing"],
        2,
        "does not exist",
    );
    assert!(!dir.file("absent").exists());
    let d = dir.path().to_string_lossy().into_owned();
    check(&["filemap", &d, "--size", "0"], 2, "is a directory");
    let empty = dir.arg("empty");
    check(&["filemap", &empty, "--size", "0"], 2, "ERROR_FILE_INVALID");
    check(
        &["filemap", &empty, "--size", "4K", "--view", "5:4096"],
        2,
        "does not fit",
    );
    check(&["filemap", &empty, "--size", "12Q"], 2, "not a byte count");

    let ro = dir.file("ro.bin");
    std::fs::write(&ro, b"keep me").unwrap();
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o444)).unwrap();
    let ro_arg = ro.to_string_lossy().into_owned();
    check(&["filemap", &ro_arg, "--size", "0"], 2, "is read-only");
    let out = run(&[
        "filemap",
        &ro_arg,
        "--size",
        "0",
        "--read-only",
        "--view",
        "0:0",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    check(
        &[
            "filemap",
            &ro_arg,
            "--size",
            "0",
            "--read-only",
            "--view",
            "0:0",
            "--write",
            "0",
            "x",
        ],
        2,
        "opened read-only",
    );
    assert_eq!(std::fs::read(&ro).unwrap(), b"keep me");
}

#[test]
#[ignore = "needs root: runs memlab as the account nobody (.ci/test runs it as root)"]
fn no_permission_as_user_nobody() {
    let dir = common::temp_dir("perm");
    let private = dir.file("private.bin");
    std::fs::write(&private, b"root's").unwrap();
    std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", BIN])
        .args(["filemap", &private.to_string_lossy(), "--size", "0"])
        .env_remove("XDG_RUNTIME_DIR")
        .env("HOME", "/nonexistent")
        .stdin(Stdio::null())
        .output()
        .expect("run setpriv");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("no permission to open") && err.contains("user id 65534"),
        "{err}"
    );
    assert_eq!(std::fs::read(&private).unwrap(), b"root's");
}

#[test]
#[ignore = "needs root: a full tmpfs in a mount namespace of its own (.ci/test runs it as root)"]
fn a_full_disk_on_grow_is_an_error_and_loses_nothing() {
    let dir = common::temp_dir("full");
    let mount = dir.file("tiny");
    std::fs::create_dir(&mount).unwrap();
    let m = mount.to_string_lossy();
    // A 1 MiB tmpfs in a private mount namespace: growing to 4 MiB cannot fit.
    let script = format!(
        "mount -t tmpfs -o size=1m tmpfs {m} && printf 'hello' > {m}/f && \
         {BIN} filemap {m}/f --size 4M; echo rc=$?; stat -c size=%s {m}/f; cat {m}/f"
    );
    let out = Command::new("unshare")
        .args(["-m", "sh", "-c", &script])
        .stdin(Stdio::null())
        .output()
        .expect("run unshare");
    let text = String::from_utf8_lossy(&out.stdout);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}\n{err}");
    assert!(text.contains("rc=1"), "{text}\n{err}");
    assert!(
        err.contains("the disk is full") && err.contains("the file was left at 5 bytes"),
        "{err}"
    );
    assert!(text.contains("size=5"), "{text}");
    assert!(text.trim_end().ends_with("hello"), "{text}");

    // A new file that cannot grow is not left behind empty.
    let script = format!(
        "mount -t tmpfs -o size=1m tmpfs {m} && {BIN} filemap {m}/new --size 4M; \
         echo rc=$?; echo files:; ls {m}"
    );
    let out = Command::new("unshare")
        .args(["-m", "sh", "-c", &script])
        .stdin(Stdio::null())
        .output()
        .expect("run unshare");
    let text = String::from_utf8_lossy(&out.stdout);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(text.contains("rc=1"), "{text}\n{err}");
    assert!(err.contains("the disk is full"), "{err}");
    let listed = text.split("files:").nth(1).unwrap_or_default();
    assert!(
        listed.trim().is_empty(),
        "the empty new file was removed: {text}"
    );
}

#[test]
fn the_default_file_lives_in_the_private_data_folder() {
    let dir = common::temp_dir("datadir");
    let out = Command::new(BIN)
        .args([
            "filemap", "--size", "4K", "--view", "0:0", "--write", "0", "demo",
        ])
        .env("XDG_DATA_HOME", dir.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let data = dir.file("memlab");
    let demo = data.join("filemap-demo.bin");
    assert!(
        text.starts_with(&format!("open: {} (created, 0 bytes", demo.display())),
        "{text}"
    );
    let mode = std::fs::metadata(&data).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);
    assert_eq!(&std::fs::read(&demo).unwrap()[..4], b"demo");
}

/// `memlab ARGS...` with the file size limit (`ulimit -f`) at `bytes`.
fn with_file_size_limit(bytes: u64, args: &[&str]) -> std::process::Output {
    use std::os::unix::process::CommandExt;
    let mut command = Command::new(BIN);
    command.args(args);
    // SAFETY: setrlimit is async-signal-safe and only touches the child.
    unsafe {
        command.pre_exec(move || {
            let limit = libc::rlimit {
                rlim_cur: bytes,
                rlim_max: libc::RLIM_INFINITY,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    common::run_command(command)
}

/// Exit 1 (not SIGXFSZ's death), the limit named on one line.
fn assert_limit_named(out: &std::process::Output, limit: u64, what: &str) {
    let err = stderr(out);
    assert_eq!(out.status.signal(), None, "{what}: killed: {err}");
    assert_eq!(out.status.code(), Some(1), "{what}: {err}");
    assert!(
        err.contains("ulimit -f") && err.contains(&format!("{limit} bytes")),
        "{what}: {err}"
    );
}

#[test]
fn past_the_file_size_limit_memlab_says_so_and_leaves_nothing() {
    let dir = common::temp_dir("fsize");
    // A new file that would grow past the limit: refused before it is made.
    let big = dir.file("big.bin");
    let out = with_file_size_limit(102400, &["filemap", &big.to_string_lossy(), "--size", "1M"]);
    assert_limit_named(&out, 102400, "--size 1M");
    assert!(!big.exists(), "no empty file left behind");

    // An existing file set past the limit at the end: nothing done.
    let file = dir.file("64k.bin");
    std::fs::write(&file, vec![7u8; 65536]).unwrap();
    let stamp = common::filemap_stamp_of(&file);
    let out = with_file_size_limit(
        102400,
        &[
            "filemap",
            &file.to_string_lossy(),
            "--size",
            "64K",
            "--set-eof",
            "1M",
        ],
    );
    assert_limit_named(&out, 102400, "--set-eof 1M");
    assert_eq!(std::fs::metadata(&file).unwrap().len(), 65536);
    assert!(!stamp.exists(), "{} left behind", stamp.display());

    // The shared text, in shared memory and in a file, and the book mutex.
    let name = common::unique("fsize");
    let out = with_file_size_limit(0, &["shared", "--name", &name, "save", "hi"]);
    assert_limit_named(&out, 0, "shared save");
    assert!(!common::object_path(&name).exists());
    let text_file = dir.file("text.txt");
    let out = with_file_size_limit(
        0,
        &[
            "shared",
            "--file",
            &text_file.to_string_lossy(),
            "save",
            "hi",
        ],
    );
    assert_limit_named(&out, 0, "shared --file");
    assert!(!text_file.exists());
    let out = with_file_size_limit(1024, &["mutex", "--name", &name, "acquire"]);
    assert_limit_named(&out, 1024, "mutex acquire");
    let lock = format!("/dev/shm/{}", memlab_engine::mutex::object_file_name(&name));
    assert!(!std::path::Path::new(&lock).exists(), "{lock} left behind");

    // The sweep's CSV.
    let csv = dir.file("sweep.csv");
    let out = with_file_size_limit(
        0,
        &[
            "sweep",
            "--csv",
            &csv.to_string_lossy(),
            "--repeats",
            "1",
            "--max-size-kb",
            "1",
        ],
    );
    assert_limit_named(&out, 0, "sweep --csv");
    assert!(!csv.exists(), "no empty CSV left behind");
}

#[test]
fn a_second_instance_may_not_cut_a_file_the_first_maps() {
    let dir = common::temp_dir("cut");
    let path = dir.arg("cut.bin");
    let first = Running::start(&[
        "filemap", &path, "--size", "64K", "--view", "0:0", "--share", "--hold", "60",
    ]);
    wait_for(&first, "holding for");
    let out = run(&[
        "filemap",
        &path,
        "--size",
        "0",
        "--share",
        "--set-eof",
        "100",
    ]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!(
            "is mapped by another memlab instance (PID {})",
            first.pid()
        )) && err.contains("ERROR_USER_MAPPED_FILE"),
        "{err}"
    );
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 65536);
    drop(first);
    // Once it is gone (its slot with it), the end of file can be set.
    let out = run(&[
        "filemap",
        &path,
        "--size",
        "0",
        "--share",
        "--set-eof",
        "100",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 100);
}

#[test]
fn every_argument_is_checked_before_anything_is_touched() {
    let dir = common::temp_dir("args");
    let check = |args: &[&str], needle: &str, not: &str| {
        let out = run(args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(not.is_empty() || !err.contains(not), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "one line: {err}");
    };
    let new = dir.file("new.bin");
    let arg = new.to_string_lossy().into_owned();
    check(
        &["filemap", &arg, "--size", "0xffffffffffffffff"],
        "more than this system can map",
        "",
    );
    check(
        &[
            "filemap", &arg, "--size", "64K", "--view", "0:4K", "--write", "8192", "AB",
        ],
        "no mapped view holds file bytes 8192..8194",
        "",
    );
    check(
        &[
            "filemap",
            &arg,
            "--size",
            "64K",
            "--view",
            "0:0",
            "--write",
            "18446744073709551615",
            "AB",
        ],
        "run past the largest offset a file can have",
        "..1",
    );
    check(
        &[
            "filemap",
            &arg,
            "--size",
            "64K",
            "--set-eof",
            "18446744073709551615",
        ],
        "more than this system can map",
        "out of range integral type conversion",
    );
    assert!(!new.exists(), "nothing was created");

    // An existing file is not grown for a write that cannot be done.
    let old = dir.file("old.bin");
    std::fs::write(&old, vec![1u8; 65536]).unwrap();
    check(
        &[
            "filemap",
            &old.to_string_lossy(),
            "--size",
            "128K",
            "--view",
            "0:64K",
            "--write",
            "100000",
            "X",
        ],
        "no mapped view holds",
        "",
    );
    assert_eq!(std::fs::metadata(&old).unwrap().len(), 65536);

    // Nothing is created under /dev, /proc or /sys (as root, /dev/mem on a
    // machine without one would have become a regular file).
    for system in ["/dev", "/proc", "/sys"] {
        let path = format!("{system}/memlab-test-{}", std::process::id());
        check(
            &["filemap", &path, "--size", "4K"],
            "memlab creates no file under /dev, /proc or /sys",
            "",
        );
        assert!(!std::path::Path::new(&path).exists(), "{path}");
    }
}

#[test]
#[ignore = "needs root: a read-only mount in a mount namespace of its own (.ci/test runs it as root)"]
fn a_missing_file_on_a_read_only_mount_cannot_be_created() {
    let dir = common::temp_dir("romount");
    let mount = dir.file("ro");
    std::fs::create_dir(&mount).unwrap();
    let m = mount.to_string_lossy();
    let script = format!(
        "mount -t tmpfs -o ro tmpfs {m} && {BIN} filemap {m}/new.bin --size 4K; echo rc=$?"
    );
    let out = Command::new("unshare")
        .args(["-m", "sh", "-c", &script])
        .stdin(Stdio::null())
        .output()
        .expect("run unshare");
    let text = String::from_utf8_lossy(&out.stdout);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(text.contains("rc=2"), "{text}\n{err}");
    assert!(
        err.contains("does not exist and cannot be created: its file system is mounted read-only"),
        "{err}"
    );
    assert!(
        !err.contains("open it read-only"),
        "no advice for a file that is not there: {err}"
    );
}
