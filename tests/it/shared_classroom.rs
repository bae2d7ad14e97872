//! The shared string on a real lab machine (issue 6): several environments,
//! several accounts, hostile neighbours, a full /dev/shm, and the loose ends.
//! Each test runs the real binary in several processes; acting as another
//! account (`nobody`, 65534) needs root, which CI has.

use crate::common;
use common::InDir;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use common::*;

const WAIT: Duration = Duration::from_secs(10);
const NOBODY: u32 = 65534;
/// How long the race and truncation tests keep at it.
const ORDEAL: Duration = Duration::from_secs(10);

/// Removes a file when dropped, even when a test fails.
struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn json(output: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(output)))
}

fn shared_args<'a>(name: &'a str, args: &[&'a str]) -> Vec<&'a str> {
    let mut all = vec!["shared", "--name", name];
    all.extend_from_slice(args);
    all
}

/// Asserts that a process ended by itself, not by a signal (SIGBUS is 135).
fn assert_no_signal(what: &str, status: std::process::ExitStatus) {
    assert_eq!(status.signal(), None, "{what} died of a signal: {status:?}");
}

/// Problem 1: an instance started from the desktop (`XDG_RUNTIME_DIR` set),
/// one from a shell without it and one from a third working directory share
/// one object and one roster; nobody takes the live object for a stale one.
#[test]
fn two_environments_and_a_third_directory_share_one_object() {
    let name = unique("envs");
    let (xdg, here, there) = (
        common::temp_dir("xdg"),
        common::temp_dir("wd1"),
        common::temp_dir("wd2"),
    );
    let mut desktop = memlab(&shared_args(&name, &["watch"]));
    desktop
        .env("XDG_RUNTIME_DIR", xdg.path())
        .current_dir(here.path());
    let desktop = Running::command(desktop);
    desktop.expect_line(SAMPLE, WAIT);

    let mut ssh = memlab(&shared_args(&name, &["info"]));
    ssh.env_remove("XDG_RUNTIME_DIR").current_dir("/");
    let info = json(&run_command(ssh));
    assert_eq!(info["attached"].as_array().unwrap().len(), 2, "{info}");
    assert_eq!(info["origin"]["kind"], "joined", "{info}");
    assert!(object_path(&name).exists(), "the info run removed nothing");

    let mut ide = memlab(&shared_args(&name, &["save", "from a third place"]));
    ide.env("XDG_RUNTIME_DIR", "/nonexistent")
        .current_dir(there.path());
    let saved = run_command(ide);
    assert!(saved.status.success(), "{}", stderr(&saved));
    assert!(!stderr(&saved).contains("created"), "{}", stderr(&saved));
    desktop.expect_line("from a third place", WAIT);
    assert!(object_path(&name).exists());
    assert!(
        xdg.entries().is_empty(),
        "nothing in the runtime folder: {:?}",
        xdg.entries()
    );
    drop(desktop);
    cleanup(&name);
}

/// Writes `bytes` to `path` as the account nobody, with `mode`.
fn plant_as_nobody(path: &Path, bytes: &[u8], mode: u32) {
    let mut child = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .args([
            "sh",
            "-c",
            "umask 077 && cat > \"$1\" && chmod \"$2\" \"$1\"",
            "sh",
        ])
        .arg(path)
        .arg(format!("{mode:o}"))
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(bytes).unwrap();
    assert!(child.wait().unwrap().success(), "planting {path:?}");
    let meta = std::fs::metadata(path).unwrap();
    assert_eq!((meta.uid(), meta.mode() & 0o7777), (NOBODY, mode));
}

/// Valid memlab bytes holding `text`, taken from a real object of `name`.
fn valid_bytes(name: &str, text: &str) -> Vec<u8> {
    let keeper = Running::shared(name, &["watch"]);
    keeper.expect_line(SAMPLE, WAIT);
    assert!(shared(name, &["save", text]).status.success());
    let bytes = std::fs::read(object_path(name)).unwrap();
    drop(keeper);
    std::fs::remove_file(object_path(name)).unwrap();
    bytes
}

/// Every command on a name whose object another account planted is
/// refused with that account's uid; the object is never adopted, changed
/// or removed.
fn planted_object_is_refused(tag: &str, mode: u32) {
    let name = unique(tag);
    let object = object_path(&name);
    let bytes = valid_bytes(&name, "written by another account");
    plant_as_nobody(&object, &bytes, mode);
    let commands: [&[&str]; 5] = [
        &["load"],
        &["save", "mine"],
        &["info"],
        &["reset"],
        &["watch"],
    ];
    for args in commands {
        let out = shared(&name, args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains(&format!(
                "belongs to another account (uid {NOBODY}; you are uid {})",
                euid()
            )),
            "{args:?}: {err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    let meta = std::fs::metadata(&object).unwrap();
    assert_eq!((meta.uid(), meta.mode() & 0o7777), (NOBODY, mode));
    assert_eq!(
        std::fs::read(&object).unwrap(),
        bytes,
        "not one byte changed"
    );
    std::fs::remove_file(&object).unwrap();
}

/// Problem 2: another account plants a valid, world-writable object under
/// this account's name; memlab refuses it and leaves its bytes unchanged.
#[test]
#[ignore = "needs root: acts as another account (.ci/test runs it as root)"]
fn another_accounts_planted_0666_object_is_refused_with_its_bytes_unchanged() {
    planted_object_is_refused("planted666", 0o666);
}

/// Problem 2: root is no exception: another account's private (0600)
/// object under root's name is refused, never adopted nor removed.
#[test]
#[ignore = "needs root: acts as another account (.ci/test runs it as root)"]
fn root_refuses_another_accounts_private_object_and_never_removes_it() {
    planted_object_is_refused("planted600", 0o600);
}

/// Problem 2: two accounts use the same name at once, each with its own
/// string; neither blocks nor reaches the other.
#[test]
#[ignore = "needs root: acts as another account (.ci/test runs it as root)"]
fn two_accounts_use_one_name_at_once_each_with_its_own_string() {
    let name = unique("accounts");
    let as_root = |args: &[&str]| run(&shared_args(&name, args));
    let as_nobody = |args: &[&str]| run_command(memlab_as_nobody(&shared_args(&name, args)));
    let mut root_watch = Running::shared(&name, &["watch"]);
    root_watch.expect_line(SAMPLE, WAIT);
    let mut nobody_watch = Running::command(memlab_as_nobody(&shared_args(&name, &["watch"])));
    nobody_watch.expect_line(SAMPLE, WAIT);
    for (uid, path) in [
        (0, object_path(&name)),
        (NOBODY, object_path_of(NOBODY, &name)),
    ] {
        let meta = std::fs::metadata(&path).unwrap();
        assert_eq!((meta.uid(), meta.mode() & 0o7777), (uid, 0o600), "{path:?}");
    }

    assert!(as_root(&["save", "root's string"]).status.success());
    let saved = as_nobody(&["save", "nobody's string"]);
    assert!(saved.status.success(), "{}", stderr(&saved));
    root_watch.expect_line("root's string", WAIT);
    nobody_watch.expect_line("nobody's string", WAIT);
    assert_eq!(stdout(&as_root(&["load"])), "root's string");
    assert_eq!(stdout(&as_nobody(&["load"])), "nobody's string");
    for info in [json(&as_root(&["info"])), json(&as_nobody(&["info"]))] {
        assert_eq!(info["attached"].as_array().unwrap().len(), 2, "{info}");
    }

    for watcher in [&mut root_watch, &mut nobody_watch] {
        watcher.signal(libc::SIGTERM);
        assert!(watcher.wait(WAIT).success());
    }
    assert!(!object_path(&name).exists());
    assert!(!object_path_of(NOBODY, &name).exists());
}

/// What a file is: its bytes, length and modification time.
fn fingerprint(root: &Path) -> BTreeMap<PathBuf, (Vec<u8>, u64, SystemTime)> {
    let mut all = BTreeMap::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            if meta.is_dir() {
                dirs.push(path.clone());
                all.insert(path, (Vec::new(), 0, meta.modified().unwrap()));
            } else {
                let bytes = std::fs::read(&path).unwrap();
                all.insert(path, (bytes, meta.len(), meta.modified().unwrap()));
            }
        }
    }
    all
}

const SWAPPER_ENV: &str = "MEMLAB_CLASSROOM_SWAPPER";

/// The attacker of the race test, run as nobody: swaps its folder
/// `memlab` with a symlink to the victim (`renameat2(RENAME_EXCHANGE)`) and
/// plants symlinks under root's object name in /dev/shm, in a loop.
fn swapper(args: &str) -> ! {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    let (runtime, planted) = args.split_once('\n').unwrap();
    let (real, link) = (format!("{runtime}/memlab"), format!("{runtime}/swap"));
    let victim_file = std::fs::read_link(&link).unwrap().join("precious");
    // libtest has printed the test's name on this line already.
    println!("\nswapping");
    loop {
        renameat_with(
            CWD,
            real.as_str(),
            CWD,
            link.as_str(),
            RenameFlags::EXCHANGE,
        )
        .expect("swap the folder and the symlink");
        let _ = std::os::unix::fs::symlink(&victim_file, planted);
        std::thread::yield_now();
        let _ = std::fs::remove_file(planted);
    }
}

/// Problem 3: root runs memlab with another account's runtime folder (as
/// `sudo -E` does) while that account swaps a folder for a symlink to a
/// root-owned one in a loop, and plants symlinks under root's object name
/// in /dev/shm: for 10 s no file outside is touched and nothing dies.
#[test]
#[ignore = "needs root: acts as another account (.ci/test runs it as root)"]
fn the_symlink_swap_race_touches_nothing_outside_the_folder() {
    if let Ok(args) = std::env::var(SWAPPER_ENV) {
        swapper(&args);
    }
    let base = common::temp_dir("race");
    std::fs::set_permissions(base.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    // The victim: root's files where the old lock folder kept its files.
    let victim = base.path().join("victim");
    for dir in ["", "maps", "maps/x", "instances"] {
        std::fs::create_dir_all(victim.join(dir)).unwrap();
    }
    for file in [
        "precious",
        "gate",
        "data",
        "slot.00",
        "maps/x/gate",
        "instances/slot.00",
    ] {
        std::fs::write(victim.join(file), b"root's precious bytes\n").unwrap();
    }
    let before = fingerprint(&victim);
    // The attacker's runtime folder, with a real folder and a symlink to swap.
    let runtime = base.path().join("runtime");
    std::fs::create_dir(&runtime).unwrap();
    std::fs::create_dir(runtime.join("memlab")).unwrap();
    std::os::unix::fs::symlink(&victim, runtime.join("swap")).unwrap();
    for path in [
        runtime.clone(),
        runtime.join("memlab"),
        runtime.join("swap"),
    ] {
        std::os::unix::fs::lchown(&path, Some(NOBODY), Some(NOBODY)).unwrap();
    }
    std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700)).unwrap();

    let name = unique("race");
    let planted_name = unique("race-planted");
    let planted = object_path(&planted_name);
    // Dropped after the attacker (declared before it): removes its last symlink.
    let _planted = RemoveOnDrop(planted.clone());
    let mut attacker = Command::new("setpriv");
    attacker
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(std::env::current_exe().unwrap())
        .args([
            "--exact",
            &common::test_path(
                module_path!(),
                "the_symlink_swap_race_touches_nothing_outside_the_folder",
            ),
            "--include-ignored",
        ])
        .args(["--nocapture", "--test-threads=1"])
        .env(
            SWAPPER_ENV,
            format!("{}\n{}", runtime.display(), planted.display()),
        );
    let attacker = Running::command(attacker);
    attacker.expect_line("swapping", WAIT);

    let keeper = {
        let mut watch = memlab(&shared_args(&name, &["watch"]));
        watch.env("XDG_RUNTIME_DIR", &runtime);
        Running::command(watch)
    };
    keeper.expect_line(SAMPLE, WAIT);
    let started = Instant::now();
    let mut rounds = 0;
    let mut refused = 0;
    while started.elapsed() < ORDEAL {
        for args in [&["save", "x"][..], &["load"], &["info"]] {
            let mut command = memlab(&shared_args(&name, args));
            command.env("XDG_RUNTIME_DIR", &runtime);
            let out = run_command(command);
            assert_no_signal("memlab", out.status);
            assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        }
        let mut command = memlab(&shared_args(&planted_name, &["load"]));
        command.env("XDG_RUNTIME_DIR", &runtime);
        let out = run_command(command);
        assert_no_signal("memlab", out.status);
        match out.status.code() {
            Some(0) => {}
            Some(2) => {
                assert!(stderr(&out).contains("symbolic link"), "{}", stderr(&out));
                refused += 1;
            }
            other => panic!("exit {other:?}: {}", stderr(&out)),
        }
        rounds += 1;
    }
    drop(attacker);
    drop(keeper);
    eprintln!("{rounds} rounds in {ORDEAL:?}; the planted symlink was refused {refused} times");
    assert_eq!(
        fingerprint(&victim),
        before,
        "a file outside the folder was touched"
    );
    cleanup(&name);
}

/// Problem 4: a full /dev/shm (a 16 KiB tmpfs in a private mount namespace)
/// gives a clear error, no SIGBUS, and leaves nothing; a /dev/shm others
/// may write without the sticky bit is refused, its mode shown as chmod
/// spells it.
#[test]
#[ignore = "needs root: acts as another account (.ci/test runs it as root)"]
fn a_full_dev_shm_is_a_clear_error_and_an_unsafe_one_is_refused() {
    let script = r#"
        mount -t tmpfs -o size=16k,mode=1777 tmpfs /dev/shm || exit 90
        head -c 1048576 /dev/zero > /dev/shm/fill 2>/dev/null
        "$0" shared --name full save hi; echo "save exit $?"
        "$0" shared --name full load; echo "load exit $?"
        echo "left: $(ls -A /dev/shm)"
        umount /dev/shm
        mount -t tmpfs -o size=1m,mode=0777 tmpfs /dev/shm || exit 91
        "$0" shared --name open load; echo "unsafe exit $?"
    "#;
    let mut command = Command::new("unshare");
    command
        .args([
            "--mount",
            "--propagation",
            "private",
            "--",
            "sh",
            "-c",
            script,
        ])
        .arg(BIN);
    let out = run_command(command);
    let (said, err) = (stdout(&out), stderr(&out));
    assert!(out.status.success(), "{said}\n{err}");
    assert_eq!(
        said.lines().collect::<Vec<_>>(),
        ["save exit 1", "load exit 1", "left: fill", "unsafe exit 1"],
        "{err}"
    );
    let no_space =
        "memlab: error: no space left in /dev/shm for a shared memory object of 520 bytes";
    let unsafe_folder =
        "memlab: error: /dev/shm is not a safe folder for shared memory (owner uid 0, mode 0777)";
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 3, "{err}");
    assert_eq!(lines[..2], [no_space, no_space], "{err}");
    assert!(lines[2].starts_with(unsafe_folder), "{err}");
}

/// Problem 4: another process truncates the object in a loop for 10 s
/// while `watch` follows it and `load` and `save` run again and again:
/// every one ends by itself (0, or 4 for the corrupt bytes), none by a
/// signal, and a reset brings the string back.
#[test]
fn a_truncation_loop_kills_no_watch_load_or_save() {
    let name = unique("truncate");
    let mut watcher = Running::shared(&name, &["watch"]);
    watcher.expect_line(SAMPLE, WAIT);
    let object = std::fs::OpenOptions::new()
        .write(true)
        .open(object_path(&name))
        .unwrap();
    let valid = std::fs::read(object_path(&name)).unwrap();
    let stop = std::sync::atomic::AtomicBool::new(false);
    let mut codes: BTreeMap<i32, u32> = BTreeMap::new();
    std::thread::scope(|s| {
        s.spawn(|| {
            use std::os::unix::fs::FileExt;
            let mut cuts = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                for size in [0, 10, 300, 4096, 0] {
                    object.set_len(size).unwrap();
                    std::thread::sleep(Duration::from_micros(100));
                    cuts += 1;
                }
                // Valid bytes for a while, so that loads and saves also
                // succeed, and are cut short in the middle.
                object.write_all_at(&valid, 0).unwrap();
                object.set_len(valid.len() as u64).unwrap();
                std::thread::sleep(Duration::from_millis(2));
            }
            eprintln!("{cuts} truncations");
        });
        let _stop = common::StopOnDrop(&stop);
        let started = Instant::now();
        let mut i = 0;
        while started.elapsed() < ORDEAL {
            for args in [&["load"][..], &["save", &format!("value {i}")]] {
                let out = shared(&name, args);
                assert_no_signal("memlab", out.status);
                let code = out.status.code().unwrap();
                assert!(
                    code == 0 || code == 4,
                    "{args:?} exit {code}: {}",
                    stderr(&out)
                );
                *codes.entry(code).or_default() += 1;
            }
            i += 1;
        }
    });
    eprintln!("exit codes of load and save: {codes:?}");
    assert!(watcher.child.try_wait().unwrap().is_none(), "watch died");
    assert!(shared(&name, &["reset"]).status.success());
    assert!(
        shared(&name, &["save", "after the ordeal"])
            .status
            .success()
    );
    watcher.expect_line("after the ordeal", WAIT);
    watcher.signal(libc::SIGTERM);
    let status = watcher.wait(WAIT);
    assert!(status.success(), "{status:?}");
    assert!(!object_path(&name).exists());
}

/// Problem 5: 200 names used and left leave nothing behind: no object in
/// /dev/shm, nothing in the runtime folder, no lock folder in /tmp.
#[test]
fn two_hundred_names_leave_no_litter() {
    let prefix = unique("litter");
    let xdg = common::temp_dir("litter-xdg");
    let ours_in_shm = || {
        std::fs::read_dir(objects_folder_of(euid()))
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .contains(&prefix)
            })
            .count()
    };
    let tmp_lock_folder = std::env::temp_dir().join(format!("memlab-{}", euid()));
    let tmp_before = std::fs::read_dir(&tmp_lock_folder).map(|d| d.count()).ok();
    assert_eq!(ours_in_shm(), 0);
    std::thread::scope(|s| {
        for worker in 0..4 {
            let (prefix, xdg) = (&prefix, &xdg);
            s.spawn(move || {
                for i in (worker..200).step_by(4) {
                    let name = format!("{prefix}-{i}");
                    let mut save = memlab(&shared_args(&name, &["save", "here a moment"]));
                    save.env("XDG_RUNTIME_DIR", xdg.path());
                    let out = run_command(save);
                    assert!(out.status.success(), "{}", stderr(&out));
                }
            });
        }
    });
    assert_eq!(ours_in_shm(), 0, "objects left in /dev/shm");
    assert!(
        xdg.entries().is_empty(),
        "left in the runtime folder: {:?}",
        xdg.entries()
    );
    let tmp_after = std::fs::read_dir(&tmp_lock_folder).map(|d| d.count()).ok();
    assert_eq!(tmp_after, tmp_before, "{tmp_lock_folder:?} changed");
}

/// Problem 5: `stress` ended by SIGINT, SIGTERM or SIGHUP stops, prints its
/// summary and removes its object.
#[test]
fn stress_stopped_by_int_term_or_hup_cleans_up() {
    for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
        let name = unique(&format!("stress{signal}"));
        let mut stress = Running::shared(&name, &["stress", "--saves", "100000000"]);
        let deadline = Instant::now() + WAIT;
        while !object_path(&name).exists() {
            assert!(Instant::now() < deadline, "stress never attached");
            std::thread::sleep(Duration::from_millis(10));
        }
        std::thread::sleep(Duration::from_millis(200));
        stress.signal(signal);
        let status = stress.wait(WAIT);
        assert!(status.success(), "signal {signal}: {status:?}");
        let summary: serde_json::Value =
            serde_json::from_str(&stress.line(WAIT).expect("a summary")).unwrap();
        assert_eq!(summary["stopped"], true, "{summary}");
        assert_eq!(summary["torn"], 0, "{summary}");
        assert!(
            !object_path(&name).exists(),
            "signal {signal} left the object"
        );
    }
}

/// Problem 5: `watch | head -n1` ends: watch notices that nobody reads
/// its output any more, detaches and exits.
#[test]
fn watch_exits_when_its_output_is_closed() {
    let name = unique("pipe");
    let mut watch = memlab(&shared_args(&name, &["watch"]))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(watch.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert_eq!(first.trim_end(), SAMPLE);
    // The reader is dropped: the pipe's reading end is closed, as by head.
    // (A deadline only for a watch that never ends: generous.)
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = watch.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = watch.kill();
            panic!("watch kept running with nobody reading");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}");
    assert!(
        !object_path(&name).exists(),
        "it detached as the last instance"
    );
}

/// Problem 5: a strict umask (177) changes nothing: the object is made
/// with mode 0600 whatever the umask, and it works.
#[test]
fn a_strict_umask_changes_nothing() {
    let name = unique("umask");
    let strict = |args: &[&str]| {
        let mut command = Command::new("sh");
        command
            .args(["-c", "umask 177 && exec \"$0\" \"$@\"", BIN])
            .args(shared_args(&name, args));
        command
    };
    let watcher = Running::command(strict(&["watch"]));
    watcher.expect_line(SAMPLE, WAIT);
    let mode = std::fs::metadata(object_path(&name)).unwrap().mode() & 0o7777;
    assert_eq!(mode, 0o600);
    let saved = run_command(strict(&["save", "under umask 177"]));
    assert!(saved.status.success(), "{}", stderr(&saved));
    watcher.expect_line("under umask 177", WAIT);
    drop(watcher);
    cleanup(&name);
}

/// An instance whose object someone else removed notices and says so: a
/// plain `watch` ends with exit 1, `watch --reattach` attaches again and
/// follows the new object.
#[test]
fn an_object_removed_by_someone_else_is_noticed_and_reattached_on_request() {
    let name = unique("removed");
    // Dropped last: even a failed run leaves no object behind.
    let _cleanup = Cleanup(name.clone());
    let mut plain = Running::shared(&name, &["watch"]);
    plain.expect_line(SAMPLE, WAIT);
    let reattaching = Running::shared(&name, &["watch", "--reattach"]);
    reattaching.expect_line(SAMPLE, WAIT);
    std::fs::remove_file(object_path(&name)).unwrap();

    let status = plain.wait(WAIT);
    assert_eq!(status.code(), Some(1), "{status:?}");
    // Its stderr is read by a thread of its own: the error line may still
    // be on its way once the end is seen (it was, once, in a parallel run).
    let error = format!("memlab: error: the mapping {name:?} was removed by someone else");
    let said = plain.stderr_until(WAIT, |said| said.contains(&error));
    assert!(said.contains(&error), "{said}");
    reattaching.expect_line(SAMPLE, WAIT);
    // Written before the sample on stdout, but read apart from it.
    let said = reattaching.stderr_until(WAIT, |said| said.contains("created the mapping"));
    assert!(said.contains("was removed by someone else"), "{said}");
    assert!(said.contains("attaching again"), "{said}");
    assert!(said.contains("created the mapping"), "{said}");
    assert!(shared(&name, &["save", "the new object"]).status.success());
    reattaching.expect_line("the new object", WAIT);
    drop(reattaching);
}
