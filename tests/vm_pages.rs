//! The page lab against the kernel's own view: every operation's effect is
//! read back from /proc/self/smaps, mincore and /proc/meminfo, parsed here
//! without memlab's code; refused operations are checked with their
//! messages; the faulting child dies while this process lives on.

// Linux only, for now: the Windows suite is tests/windows.rs (docs/windows.md).
#![cfg(target_os = "linux")]

use std::collections::HashMap;

use memlab_engine::vm::child::ChildEnd;
use memlab_engine::vm::maps::{Landmarks, Snapshot};
use memlab_engine::vm::pages::{
    Access, Decommit, PageError, PageLab, PageState, Protection, ReservationId, live_reservations,
};

const PAGE: usize = 4096;

/// The smaps entry (header fields and `Key: value` lines) of the mapping
/// holding `addr`, or None if nothing maps it.
fn smaps_at(addr: usize) -> Option<HashMap<String, String>> {
    let text = std::fs::read_to_string("/proc/self/smaps").unwrap();
    let mut current: Option<HashMap<String, String>> = None;
    let mut found = None;
    for line in text.lines() {
        let first = line.split_whitespace().next().unwrap_or_default();
        if let Some((a, b)) = first.split_once('-')
            && let (Ok(a), Ok(b)) = (usize::from_str_radix(a, 16), usize::from_str_radix(b, 16))
        {
            if found.is_some() {
                break;
            }
            let mut entry = HashMap::new();
            entry.insert("start".into(), a.to_string());
            entry.insert("end".into(), b.to_string());
            entry.insert(
                "perms".into(),
                line.split_whitespace().nth(1).unwrap().into(),
            );
            if (a..b).contains(&addr) {
                found = Some(());
            }
            current = Some(entry);
        } else if let Some(entry) = current.as_mut()
            && let Some((k, v)) = line.split_once(':')
        {
            entry.insert(k.trim().into(), v.trim().into());
        }
    }
    found.and(current)
}

/// A smaps size field in bytes.
fn smaps_kb(entry: &HashMap<String, String>, key: &str) -> usize {
    entry[key].trim_end_matches(" kB").parse::<usize>().unwrap() * 1024
}

fn committed_as() -> i64 {
    let text = std::fs::read_to_string("/proc/meminfo").unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("Committed_AS:"))
        .unwrap();
    line.split_whitespace()
        .nth(1)
        .unwrap()
        .parse::<i64>()
        .unwrap()
        * 1024
}

fn mincore(addr: usize, pages: usize) -> Vec<bool> {
    let mut vec = vec![0u8; pages];
    // SAFETY: a page-aligned range the test's lab keeps mapped; one byte per page.
    let rc = unsafe { libc::mincore(addr as *mut libc::c_void, pages * PAGE, vec.as_mut_ptr()) };
    assert_eq!(rc, 0);
    vec.into_iter().map(|b| b & 1 == 1).collect()
}

/// Runs `op` and gives the change of `Committed_AS` across it (other
/// processes move it too: the window is kept as short as possible).
fn charge_delta(op: impl FnOnce()) -> i64 {
    let before = committed_as();
    op();
    committed_as() - before
}

/// 64 MiB: large against what other processes change in a few microseconds.
const BIG: usize = 16384;
const BIG_BYTES: i64 = (BIG * PAGE) as i64;
const NOISE: i64 = 8 << 20;

fn near(delta: i64, want: i64) -> bool {
    (delta - want).abs() < NOISE
}

/// One pass of reserve, commit, touch, both decommits and release, each
/// checked against the kernel; the commit-charge steps return their deltas.
fn charge_pass() -> [i64; 5] {
    let mut lab = PageLab::new();
    let mut id = ReservationId(0);
    let reserve = charge_delta(|| id = lab.reserve(BIG).unwrap());
    let base = lab.get(id).unwrap().base();
    let e = smaps_at(base).unwrap();
    assert_eq!(e["perms"], "---p");
    assert!(
        !e["VmFlags"].split(' ').any(|f| f == "ac"),
        "reserved: not charged"
    );
    let commit = charge_delta(|| lab.commit(id, 0..BIG).unwrap());
    let e = smaps_at(base).unwrap();
    assert_eq!(e["perms"], "rw-p");
    assert!(
        e["VmFlags"].split(' ').any(|f| f == "ac"),
        "committed: charged"
    );
    assert_eq!(
        smaps_kb(&e, "Rss"),
        0,
        "commit alone brings nothing into RAM"
    );
    // Touching every page raises the RSS, not the charge.
    let touch = charge_delta(|| {
        for page in 0..BIG {
            assert_eq!(
                lab.write_byte(id, page, 7).unwrap(),
                Access::Written { value: 7 }
            );
        }
    });
    let e = smaps_at(base).unwrap();
    assert_eq!(smaps_kb(&e, "Rss"), BIG * PAGE);
    assert!(mincore(base, BIG).iter().all(|&r| r));
    // MADV_DONTNEED: RAM back, charge kept (the mapping was written to).
    let dontneed = charge_delta(|| lab.decommit(id, 0..BIG, Decommit::DontNeed).unwrap());
    let e = smaps_at(base).unwrap();
    assert_eq!((e["perms"].as_str(), smaps_kb(&e, "Rss")), ("---p", 0));
    assert!(e["VmFlags"].split(' ').any(|f| f == "ac"), "still charged");
    assert!(mincore(base, BIG).iter().all(|&r| !r));
    let snapshot = Snapshot::take(Landmarks::default()).unwrap();
    assert!(snapshot.charged(&lab, id).unwrap().iter().all(|&c| c));
    // The real decommit gives the charge back.
    let remap = charge_delta(|| lab.decommit(id, 0..BIG, Decommit::Remap).unwrap());
    let e = smaps_at(base).unwrap();
    assert!(!e["VmFlags"].split(' ').any(|f| f == "ac"));
    let snapshot = Snapshot::take(Landmarks::default()).unwrap();
    assert!(snapshot.charged(&lab, id).unwrap().iter().all(|&c| !c));
    assert!(
        lab.get(id)
            .unwrap()
            .pages()
            .iter()
            .all(|p| p.state == PageState::Reserved)
    );
    lab.release(id).unwrap();
    assert!(smaps_at(base).is_none(), "released: unmapped");
    [reserve, commit, touch, dontneed, remap]
}

#[test]
fn the_commit_charge_moves_as_the_chapter_says() {
    let want = [0, BIG_BYTES, 0, 0, -BIG_BYTES];
    // Other processes move Committed_AS too: a pass whose deltas are off by
    // more than the noise band is repeated (each pass checks everything else).
    let mut passes = Vec::new();
    for _ in 0..5 {
        let got = charge_pass();
        if got.iter().zip(want).all(|(&g, w)| near(g, w)) {
            return;
        }
        passes.push(got);
    }
    panic!("reserve/commit/touch/dontneed/decommit deltas {passes:?}, wanted about {want:?}");
}

#[test]
fn protect_lock_and_accesses_follow_the_kernel() {
    let mut lab = PageLab::new();
    let id = lab.reserve(16).unwrap();
    let base = lab.get(id).unwrap().base();
    lab.commit(id, 0..8).unwrap();
    assert_eq!(
        lab.write_byte(id, 2, 42).unwrap(),
        Access::Written { value: 42 }
    );
    assert_eq!(lab.read_byte(id, 2).unwrap(), Access::Read { value: 42 });
    // Read-only: reads work, a write is a violation with the page's facts.
    assert_eq!(
        lab.protect(id, 2..3, Protection::ReadOnly).unwrap(),
        Protection::ReadWrite
    );
    assert_eq!(smaps_at(base + 2 * PAGE).unwrap()["perms"], "r--p");
    assert_eq!(lab.read_byte(id, 2).unwrap(), Access::Read { value: 42 });
    let Access::Violation(v) = lab.write_byte(id, 2, 1).unwrap() else {
        panic!("writing a read-only page must be refused");
    };
    assert_eq!(
        (v.page, v.write, v.state, v.protection),
        (2, true, PageState::Committed, Protection::ReadOnly)
    );
    assert_eq!(
        v.to_string(),
        format!(
            "access violation writing {:#x}: page 2 is committed, read-only",
            base + 2 * PAGE
        )
    );
    // No access, and reserved: reads are violations too.
    lab.protect(id, 3..4, Protection::NoAccess).unwrap();
    assert_eq!(smaps_at(base + 3 * PAGE).unwrap()["perms"], "---p");
    assert!(matches!(
        lab.read_byte(id, 3).unwrap(),
        Access::Violation(_)
    ));
    let Access::Violation(v) = lab.read_byte(id, 12).unwrap() else {
        panic!("reading a reserved page must be refused");
    };
    assert_eq!(
        v.to_string(),
        format!(
            "access violation reading {:#x}: page 12 is reserved / no access",
            base + 12 * PAGE
        )
    );
    // Lock brings the pages in and smaps counts them as locked.
    lab.lock(id, 4..8).unwrap();
    let e = smaps_at(base + 4 * PAGE).unwrap();
    assert_eq!(smaps_kb(&e, "Locked"), 4 * PAGE);
    assert!(e["VmFlags"].split(' ').any(|f| f == "lo"));
    assert_eq!(mincore(base + 4 * PAGE, 4), vec![true; 4]);
    assert!(lab.get(id).unwrap().pages()[4..8].iter().all(|p| p.locked));
    lab.unlock(id, 4..8).unwrap();
    assert_eq!(smaps_kb(&smaps_at(base + 4 * PAGE).unwrap(), "Locked"), 0);
    // VirtualQuery: the run of equal pages from the one asked about.
    let q = lab.query(id, 4).unwrap();
    assert_eq!(
        (
            q.base_address,
            q.allocation_base,
            q.region_pages,
            q.region_size
        ),
        (base + 4 * PAGE, base, 4, 4 * PAGE)
    );
    assert_eq!(
        (q.state, q.protection, q.resident),
        (PageState::Committed, Protection::ReadWrite, true)
    );
    let q = lab.query(id, 8).unwrap();
    assert_eq!(
        (q.state, q.region_pages, q.resident),
        (PageState::Reserved, 8, false)
    );
    let runs = lab.runs(id).unwrap();
    let spans: Vec<_> = runs.iter().map(|r| r.pages.clone()).collect();
    assert_eq!(spans, vec![0..2, 2..3, 3..4, 4..8, 8..16]);
    assert_eq!(lab.resident(id).unwrap(), mincore(base, 16));
    // The lab's charge flags are the kernel's, page by page, whatever the
    // kernel decided for pages made read-only before or after a write.
    lab.commit(id, 8..16).unwrap();
    lab.write_byte(id, 14, 1).unwrap();
    lab.protect(id, 10..12, Protection::ReadOnly).unwrap();
    lab.protect(id, 14..16, Protection::ReadOnly).unwrap();
    let snapshot = Snapshot::take(Landmarks::default()).unwrap();
    let charged = snapshot.charged(&lab, id).unwrap();
    for (page, &c) in charged.iter().enumerate() {
        let flags = &smaps_at(base + page * PAGE).unwrap()["VmFlags"];
        assert_eq!(
            c,
            flags.split(' ').any(|f| f == "ac"),
            "page {page}: {flags}"
        );
    }
    assert!(
        charged[14],
        "a written mapping stays charged when made read-only"
    );
}

#[test]
fn refused_operations_say_why() {
    let mut lab = PageLab::new();
    assert_eq!(lab.reserve(0), Err(PageError::ZeroPages));
    assert_eq!(
        lab.reserve(65537).unwrap_err().to_string(),
        "65537 pages is more than the lab's limit of 65536 pages per reservation"
    );
    let id = lab.reserve(16).unwrap();
    let n = id.0;
    let cases: Vec<(Result<(), PageError>, String)> = vec![
        (
            lab.commit(id, 0..40),
            format!("pages 0..40 are outside reservation #{n}, which has pages 0..16"),
        ),
        (
            lab.commit(id, 4..4),
            "the range 4..4 has no pages (ranges are half-open: 0..4 is pages 0 to 3)".into(),
        ),
        (
            lab.protect(id, 0..2, Protection::ReadOnly).map(drop),
            format!(
                "page 0 of #{n} is reserved, not committed: VirtualProtect needs committed pages"
            ),
        ),
        (
            lab.lock(id, 0..2),
            format!("page 0 of #{n} is not committed: VirtualLock needs committed pages"),
        ),
        (
            lab.unlock(id, 0..1),
            format!("page 0 of #{n} is not locked"),
        ),
        (
            lab.read_byte(id, 16).map(drop),
            format!("pages 16..17 are outside reservation #{n}, which has pages 0..16"),
        ),
    ];
    for (result, message) in cases {
        assert_eq!(result.unwrap_err().to_string(), message);
    }
    lab.commit(id, 0..4).unwrap();
    lab.protect(id, 1..2, Protection::NoAccess).unwrap();
    assert_eq!(
        lab.lock(id, 0..4).unwrap_err(),
        PageError::LockNoAccess { id, page: 1 }
    );
    assert_eq!(
        lab.protect(id, 2..6, Protection::ReadOnly).unwrap_err(),
        PageError::ProtectReserved { id, page: 4 }
    );
    // Nothing changed by a refused call.
    assert_eq!(
        lab.get(id).unwrap().pages()[2].protection,
        Protection::ReadWrite
    );
    lab.release(id).unwrap();
    assert_eq!(
        lab.commit(id, 0..4).unwrap_err().to_string(),
        format!("reservation #{n} was released; its pages are free")
    );
    assert_eq!(
        lab.release(ReservationId(u32::MAX)),
        Err(PageError::NoSuchReservation {
            id: ReservationId(u32::MAX)
        })
    );
}

#[test]
fn a_child_dies_of_the_access_violation_and_memlab_lives_on() {
    let mut lab = PageLab::new();
    let id = lab.reserve(4).unwrap();
    lab.commit(id, 0..2).unwrap();
    lab.protect(id, 1..2, Protection::ReadOnly).unwrap();
    let segv = ChildEnd::Signaled {
        signal: libc::SIGSEGV,
    };
    assert_eq!(lab.touch_in_child(id, 3, false), Ok(segv), "reserved page");
    assert_eq!(lab.touch_in_child(id, 1, true), Ok(segv), "read-only page");
    assert_eq!(
        lab.touch_in_child(id, 1, false),
        Ok(ChildEnd::Exited { code: 0 })
    );
    assert_eq!(
        lab.touch_in_child(id, 0, true),
        Ok(ChildEnd::Exited { code: 0 })
    );
    assert_eq!(
        segv.to_string(),
        "the child process died of SIGSEGV (11); memlab lives on"
    );
    // We live on, and the child's store did not reach our page.
    assert_eq!(lab.read_byte(id, 0).unwrap(), Access::Read { value: 0 });
}

#[test]
fn reservations_are_registered_for_the_map_and_dropped_with_the_lab() {
    let mut lab = PageLab::new();
    let a = lab.reserve(3).unwrap();
    let b = lab.reserve(5).unwrap();
    let (base_a, base_b) = (lab.get(a).unwrap().base(), lab.get(b).unwrap().base());
    let live = live_reservations();
    for (id, base, pages) in [(a, base_a, 3), (b, base_b, 5)] {
        let r = live.iter().find(|r| r.id == id).expect("registered");
        assert_eq!((r.start, r.len, r.pages), (base, pages * PAGE, pages));
    }
    lab.release(a).unwrap();
    assert!(!live_reservations().iter().any(|r| r.id == a));
    drop(lab);
    assert!(!live_reservations().iter().any(|r| r.id == b));
    assert!(smaps_at(base_b).is_none(), "dropping the lab unmaps");
}
