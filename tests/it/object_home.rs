//! Where an account's objects live (issue 14.9): in the account's own
//! runtime folder `/run/user/UID` where the system gives it one, so that no
//! other account can plant a file under one of its names; elsewhere in
//! /dev/shm, where an error about a planted name says how to free it.
//! Every instance of the account finds the same objects whatever its
//! environment. Each test runs in a private mount namespace (`unshare -m`)
//! with its own tmpfs on /run and /dev/shm, acting as `nobody`, so the
//! machine's real folders are never touched; that needs root, which CI has.

#![cfg(target_os = "linux")]

use crate::common;

use std::process::Command;

use common::{BIN, SAMPLE, is_root, run_command, stderr, stdout};

/// Runs `script` as root in a private mount namespace with fresh tmpfs
/// folders on /run (holding an empty /run/user) and /dev/shm; memlab's binary is `$M` (`$1`), the
/// book's sample string `$2`, and `nobody CMD...` runs a command as the
/// account nobody.
fn in_private_namespace(script: &str) -> (String, String) {
    assert!(
        is_root(),
        "needs root to make a mount namespace and act as nobody (CI runs as root)"
    );
    let prelude = r#"
        set -u
        M=$1
        # A tmpfs of its own on /run (where a machine without logins may have
        # no /run/user to mount on), then the folder logind would make.
        mount -t tmpfs -o mode=0755 tmpfs /run || exit 90
        mkdir -m 0755 /run/user || exit 90
        mount -t tmpfs -o mode=1777 tmpfs /dev/shm || exit 91
        nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"; }
        # This run's own scratch files (/tmp is the machine's), readable by nobody.
        T=$(mktemp -d) && chmod 0755 "$T" || exit 93
        trap 'rm -rf "$T"' EXIT
        # Waits (10 s at most) for a line in a file.
        wait_for() { i=0; until grep -q "$1" "$2" 2>/dev/null; do
            i=$((i+1)); [ $i -gt 200 ] && { echo "never saw $1"; cat "$2"; exit 92; }
            sleep 0.05; done; }
    "#;
    let mut command = Command::new("unshare");
    command
        .args(["--mount", "--propagation", "private", "--", "sh", "-c"])
        .arg(format!("{prelude}\n{script}"))
        .args(["sh", BIN, SAMPLE]);
    let out = run_command(command);
    let (said, err) = (stdout(&out), stderr(&out));
    assert!(out.status.success(), "{said}\n{err}");
    (said, err)
}

/// The lines of `said` after `marker` up to the next marker line ("== ").
fn section<'a>(said: &'a str, marker: &str) -> Vec<&'a str> {
    said.lines()
        .skip_while(|l| *l != marker)
        .skip(1)
        .take_while(|l| !l.starts_with("== "))
        .collect()
}

#[test]
#[ignore = "needs root: a mount namespace of its own and the account nobody (.ci/test runs it as root)"]
fn a_private_runtime_folder_holds_every_object_and_nobody_can_plant_a_name() {
    let script = r#"
        mkdir -m 0700 /run/user/65534 && chown 65534:65534 /run/user/65534
        # Root plants, under nobody's names in /dev/shm, what another
        # account could: a file, a symlink, a named pipe, a folder.
        echo planted > /dev/shm/memlab.65534.names
        ln -s /etc/passwd /dev/shm/memlab-mutex.65534.LockMap
        mkfifo /dev/shm/memlab-windows.65534
        mkdir /dev/shm/memlab.65534.SampleMMF
        ls -l /dev/shm > "$T/planted.before"
        # A desktop instance (its own XDG_RUNTIME_DIR) keeps the string.
        (cd /tmp && exec setpriv --reuid=65534 --regid=65534 --clear-groups -- \
            env XDG_RUNTIME_DIR=/tmp "$M" shared --name names watch) > "$T/watch.out" 2>&1 &
        WATCH=$!
        wait_for "$2" "$T/watch.out"
        echo "== info from a shell without XDG_RUNTIME_DIR"
        (cd / && nobody env -u XDG_RUNTIME_DIR "$M" shared --name names info) \
            | sed 's/.*"path":"\([^"]*\)".*"attached":\(\[[^]]*\]\).*/\1 \2/'
        echo "== save from a third place"
        (cd /usr && nobody env XDG_RUNTIME_DIR=/nonexistent "$M" shared --name names save "from a third place"; echo "exit $?")
        echo "== the book's own names, planted in /dev/shm"
        nobody "$M" shared load; echo "exit $?"
        nobody "$M" mutex status | head -1; echo "exit $?"
        nobody "$M" arrange; echo "exit $?"
        echo "== the folder while attached"
        ls -A /run/user/65534
        echo "== the end"
        wait_for "from a third place" "$T/watch.out"
        kill -TERM $WATCH; wait $WATCH; echo "watch exit $?"
        nobody "$M" mutex remove >/dev/null; echo "remove exit $?"
        echo "== the folder afterwards"
        ls -A /run/user/65534
        echo "== the planted names"
        ls -l /dev/shm | diff "$T/planted.before" - && echo unchanged
    "#;
    let (said, err) = in_private_namespace(script);
    let info = section(&said, "== info from a shell without XDG_RUNTIME_DIR");
    assert_eq!(info.len(), 1, "{said}\n{err}");
    let (path, attached) = info[0].split_once(' ').unwrap();
    assert_eq!(path, "/run/user/65534/memlab.65534.names", "{said}");
    assert_eq!(
        attached.matches("\"index\"").count(),
        2,
        "the holder and this instance, one object: {said}"
    );
    assert_eq!(
        section(&said, "== save from a third place"),
        ["from a third place", "exit 0"],
        "{said}\n{err}"
    );
    let book = section(&said, "== the book's own names, planted in /dev/shm");
    assert_eq!(
        book,
        [
            SAMPLE,
            "exit 0",
            "memlab's file lock \"LockMap\": free",
            "exit 0",
            "exit 1"
        ],
        "{said}\n{err}"
    );
    assert!(
        err.contains("memlab: error: no memlab window of this account is open"),
        "arrange found the roster in the folder, not the planted pipe: {err}"
    );
    assert!(!err.contains("another account") && !err.contains("another kind of object"));
    assert_eq!(
        section(&said, "== the folder while attached"),
        ["memlab-mutex.65534.LockMap", "memlab.65534.names"],
        "{said}"
    );
    assert!(said.contains("watch exit 0"), "{said}\n{err}");
    assert!(said.contains("remove exit 0"), "{said}\n{err}");
    assert!(
        section(&said, "== the folder afterwards").is_empty(),
        "nothing left behind: {said}"
    );
    assert_eq!(
        section(&said, "== the planted names"),
        ["unchanged"],
        "{said}"
    );
}

#[test]
#[ignore = "needs root: a mount namespace of its own and the account nobody (.ci/test runs it as root)"]
fn without_a_private_folder_a_planted_name_is_refused_with_the_way_out() {
    let script = r#"
        # A runtime folder others may read is not private: /dev/shm it is.
        mkdir -m 0755 /run/user/65534 && chown 65534:65534 /run/user/65534
        echo planted > /dev/shm/memlab.65534.names
        ln -s /etc/passwd /dev/shm/memlab-mutex.65534.LockMap
        echo "== planted file"
        nobody "$M" shared --name names load; echo "exit $?"
        echo "== planted symlink"
        nobody "$M" mutex status; echo "exit $?"
        echo "== another name"
        nobody "$M" shared --name other save ok; echo "exit $?"
        ls -A /run/user/65534 /dev/shm
    "#;
    let (said, err) = in_private_namespace(script);
    assert_eq!(section(&said, "== planted file"), ["exit 2"], "{said}");
    assert_eq!(section(&said, "== planted symlink"), ["exit 2"], "{said}");
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("memlab: error"))
        .collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(
        lines[0].contains("/dev/shm/memlab.65534.names belongs to another account (uid 0; you are uid 65534)")
            && lines[0].ends_with(
                "to free the name an administrator must remove it (sudo rm -r '/dev/shm/memlab.65534.names'), or use another name"
            ),
        "{err}"
    );
    assert!(
        lines[1].contains("/dev/shm/memlab-mutex.65534.LockMap is a symbolic link")
            && lines[1].ends_with(
                "an administrator must remove it (sudo rm -r '/dev/shm/memlab-mutex.65534.LockMap'), or use another name"
            ),
        "{err}"
    );
    let other = section(&said, "== another name");
    assert_eq!(other[..2], ["ok", "exit 0"], "{said}");
}
