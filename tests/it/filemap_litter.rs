//! `memlab filemap` leaves nothing in /dev/shm: the change stamp of a file
//! (`memlab-filemap.UID.DEV-INO`) goes with its last instance, and one left
//! by an instance killed outright (SIGKILL, a window killed) goes with the
//! next instance, on whatever file, instead of staying forever once its
//! file is gone. Only the names of this test's own files are looked at.

use crate::common;
use common::InDir;

use std::time::Duration;

use common::{Running, run, stderr};

#[test]
fn a_stamp_left_by_a_killed_instance_goes_with_the_next_one() {
    let dir = common::temp_dir("litter");
    let gone = dir.file("gone.bin");
    let gone_arg = dir.arg("gone.bin");
    let mut holder = Running::start(&[
        "filemap", &gone_arg, "--size", "8K", "--view", "0:0", "--hold", "600",
    ]);
    let mut seen = Vec::new();
    while let Some(line) = holder.line(Duration::from_secs(20)) {
        let holding = line.starts_with("holding for");
        seen.push(line);
        if holding {
            break;
        }
    }
    assert!(
        seen.last().is_some_and(|l| l.starts_with("holding for")),
        "{seen:?}"
    );
    let stamp = common::filemap_stamp_of(&gone);
    assert!(stamp.exists(), "{} while in use", stamp.display());

    // Killed outright, it cannot leave; then its file goes, so no instance
    // of that file comes back to take the stamp over.
    holder.signal(libc::SIGKILL);
    let _ = holder.wait(Duration::from_secs(30));
    assert!(stamp.exists(), "a killed instance leaves its stamp");
    // Made before the other goes, so that it cannot get the same inode
    // (and so the same stamp, which it would take over and remove).
    let other = dir.file("other.bin");
    std::fs::write(&other, b"").unwrap();
    std::fs::remove_file(&gone).unwrap();

    let out = run(&["filemap", &dir.arg("other.bin"), "--size", "4K"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        !stamp.exists(),
        "{} left behind by the killed instance",
        stamp.display()
    );
    assert!(
        !common::filemap_stamp_of(&other).exists(),
        "the instance that ran left its own stamp"
    );
}
