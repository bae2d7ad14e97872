//! Every error and outcome of the Global/Local lab reads in Korean.

use super::*;

#[test]
fn every_error_reads_in_korean() {
    let h = Handle(3);
    let errors = [
        GlobalError::NoSuchHandle(h),
        GlobalError::StaleHandle(h),
        GlobalError::NotLocked {
            handle: h,
            fixed: true,
        },
        GlobalError::NotLocked {
            handle: h,
            fixed: false,
        },
        GlobalError::LockDiscarded(h),
        GlobalError::LockCountFull(h),
        GlobalError::FreeLocked {
            handle: h,
            lock_count: 2,
        },
        GlobalError::DiscardLocked {
            handle: h,
            lock_count: 1,
        },
        GlobalError::DiscardFixed(h),
        GlobalError::CannotMove {
            handle: h,
            bytes: 10,
            lock_count: 1,
        },
        GlobalError::NotEnoughMemory {
            call: "GlobalAlloc",
            bytes: 10,
            largest_free: 0,
        },
        GlobalError::TooLarge {
            call: "GlobalAlloc",
            bytes: 1 << 30,
        },
        GlobalError::TooManyHandles,
        GlobalError::NoBlockAt(0x1000),
        GlobalError::NothingKept(h),
        GlobalError::ModifyFixed(h),
        GlobalError::Os {
            call: "GlobalAlloc",
            code: 8,
            message: "Not enough memory resources are available".into(),
        },
        GlobalError::Map {
            bytes: 1,
            errno: libc::ENOMEM,
            message: "Cannot allocate memory".into(),
        },
    ];
    for e in errors {
        assert_korean(&e.localized(Lang::Ko));
        assert_eq!(e.localized(Lang::En), e.to_string());
    }
}

#[test]
fn every_outcome_reads_in_korean() {
    let h = Handle(2);
    let mv = Move {
        handle: h,
        from: 0x2000,
        to: 0x1000,
    };
    let block = AtAddress::Block {
        handle: h,
        offset: 0,
        bytes: b"BB".to_vec(),
    };
    let outcomes = [
        Outcome::Allocated {
            handle: h,
            hglobal: 0x1000,
            moved: vec![mv],
            discarded: vec![Handle(1)],
        },
        Outcome::Locked {
            pointer: 0x1000,
            lock_count: 1,
        },
        Outcome::Unlocked { lock_count: 0 },
        Outcome::Size {
            bytes: 112,
            requested: 100,
        },
        Outcome::Reallocated {
            from: None,
            to: 0x1000,
            size: 16,
        },
        Outcome::Reallocated {
            from: Some(0x1000),
            to: 0x1000,
            size: 16,
        },
        Outcome::Reallocated {
            from: Some(0x2000),
            to: 0x1000,
            size: 16,
        },
        Outcome::Modified {
            hglobal: 0x1000,
            now: Kind::Discardable,
            flags: GMEM_DISCARDABLE,
        },
        Outcome::Size {
            bytes: 100,
            requested: 100,
        },
        Outcome::ReadKept {
            pointer: 0x1000,
            stale: true,
            now: AtAddress::NotOurs,
        },
        Outcome::HandleOf {
            address: 0x1000,
            handle: h,
            hglobal: 0x1000,
        },
        Outcome::Freed,
        Outcome::FreedLocked { lock_count: 2 },
        Outcome::Discarded,
        Outcome::Compacted { moved: vec![] },
        Outcome::Compacted { moved: vec![mv] },
        Outcome::LowMemory {
            discarded: vec![],
            bytes: 0,
        },
        Outcome::LowMemory {
            discarded: vec![h],
            bytes: 32,
        },
        Outcome::ReadKept {
            pointer: 0x1000,
            stale: false,
            now: block,
        },
        Outcome::ReadKept {
            pointer: 0x1000,
            stale: true,
            now: AtAddress::Free,
        },
        Outcome::ReadKept {
            pointer: 0x1000,
            stale: true,
            now: AtAddress::Header { handle: h },
        },
        Outcome::ReadKept {
            pointer: 0x1000,
            stale: true,
            now: AtAddress::Outside,
        },
    ];
    for o in outcomes {
        assert_korean(&o.localized(Lang::Ko));
        assert_eq!(o.localized(Lang::En), o.to_string());
    }
}
