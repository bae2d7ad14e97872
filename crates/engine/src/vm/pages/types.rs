//! The page lab's values: page states and protections, the table's
//! entries, the answers of queries and accesses, and [`PageError`].

use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::error::{ErrorKind, HasKind};
use crate::vm::Operation;

pub use crate::vm::MAX_PAGES;

/// A reservation's number, unique in the process (`#1`, `#2`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct ReservationId(pub u32);

impl std::fmt::Display for ReservationId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// A page's state, as Win32 names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PageState {
    Free,
    Reserved,
    Committed,
}

impl PageState {
    pub fn name(self) -> &'static str {
        match self {
            Self::Free => "free",
            Self::Reserved => "reserved",
            Self::Committed => "committed",
        }
    }
}

/// A page's protection (reserved pages are no-access). `Deserialize`: a
/// form remembers the protection last chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Protection {
    NoAccess,
    ReadOnly,
    ReadWrite,
}

impl Protection {
    pub const ALL: [Self; 3] = [Self::NoAccess, Self::ReadOnly, Self::ReadWrite];

    pub fn name(self) -> &'static str {
        match self {
            Self::NoAccess => "no access",
            Self::ReadOnly => "read-only",
            Self::ReadWrite => "read-write",
        }
    }

    /// The Win32 constant.
    pub fn win32(self) -> &'static str {
        match self {
            Self::NoAccess => "PAGE_NOACCESS",
            Self::ReadOnly => "PAGE_READONLY",
            Self::ReadWrite => "PAGE_READWRITE",
        }
    }

    /// The mprotect flags it became.
    pub fn posix(self) -> &'static str {
        match self {
            Self::NoAccess => "PROT_NONE",
            Self::ReadOnly => "PROT_READ",
            Self::ReadWrite => "PROT_READ|PROT_WRITE",
        }
    }
}

/// One page of memlab's page table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Page {
    pub state: PageState,
    pub protection: Protection,
    /// Locked in RAM (`mlock`).
    pub locked: bool,
}

impl Page {
    pub(super) const RESERVED: Self = Self {
        state: PageState::Reserved,
        protection: Protection::NoAccess,
        locked: false,
    };
    /// What a released page is.
    pub const FREE: Self = Self {
        state: PageState::Free,
        protection: Protection::NoAccess,
        locked: false,
    };
}

/// The two decommits Linux can do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decommit {
    /// `mmap(MAP_FIXED, PROT_NONE)` over the range: RAM and charge go back.
    Remap,
    /// `madvise(MADV_DONTNEED)` + `mprotect(PROT_NONE)`: RAM goes back, the
    /// charge stays until the range is re-mapped or released.
    DontNeed,
}

impl Decommit {
    pub fn operation(self) -> Operation {
        match self {
            Self::Remap => Operation::Decommit,
            Self::DontNeed => Operation::DecommitKeepCharge,
        }
    }
}

/// Why the lab refused or failed an operation. Data, not sentences: the
/// window shows it in the user's language (`Localized`), the CLI prints `Display`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PageError {
    #[error("a reservation needs at least 1 page")]
    ZeroPages,
    #[error("{requested} pages is more than the lab's limit of {max} pages per reservation")]
    TooManyPages { requested: usize, max: usize },
    #[error("there is no reservation {id}")]
    NoSuchReservation { id: ReservationId },
    #[error("reservation {id} was released; its pages are free")]
    Released { id: ReservationId },
    #[error("the range {}..{} has no pages (ranges are half-open: 0..4 is pages 0 to 3)", range.start, range.end)]
    EmptyRange { range: Range<usize> },
    #[error("pages {}..{} are outside reservation {id}, which has pages 0..{pages}", range.start, range.end)]
    OutOfRange {
        id: ReservationId,
        range: Range<usize>,
        pages: usize,
    },
    #[error("page {page} of {id} is reserved, not committed: VirtualProtect needs committed pages")]
    ProtectReserved { id: ReservationId, page: usize },
    #[error("page {page} of {id} is not committed: VirtualLock needs committed pages")]
    LockNotCommitted { id: ReservationId, page: usize },
    #[error("page {page} of {id} is no-access: VirtualLock needs pages that can be read")]
    LockNoAccess { id: ReservationId, page: usize },
    #[error("page {page} of {id} is not locked")]
    NotLocked { id: ReservationId, page: usize },
    /// On Windows `limit` is the minimum working set, and `locked` 0
    /// (Windows does not say how much a process has locked).
    #[error("{}", super::sys::lock_limit_text(*bytes, *limit, *locked, *errno))]
    LockLimit {
        bytes: u64,
        limit: Option<u64>,
        locked: u64,
        errno: i32,
    },
    #[error("{}", super::sys::address_space_text(*bytes, *limit))]
    AddressSpace { bytes: u64, limit: Option<u64> },
    #[error("{}", super::sys::commit_refused_text(*bytes))]
    CommitRefused { bytes: u64 },
    #[error("{} failed: {}", op.os_call(), super::sys::os_error_text(*errno))]
    Os { op: Operation, errno: i32 },
}

impl HasKind for PageError {
    fn kind(&self) -> ErrorKind {
        use ErrorKind as K;
        match self {
            Self::NoSuchReservation { .. } => K::NotFound,
            Self::ZeroPages
            | Self::TooManyPages { .. }
            | Self::Released { .. }
            | Self::EmptyRange { .. }
            | Self::OutOfRange { .. }
            | Self::ProtectReserved { .. }
            | Self::LockNotCommitted { .. }
            | Self::LockNoAccess { .. }
            | Self::NotLocked { .. } => K::Usage,
            // Valid requests past a limit of the system.
            Self::LockLimit { .. } | Self::AddressSpace { .. } | Self::CommitRefused { .. } => {
                K::NoSpace
            }
            Self::Os { .. } => K::Os,
        }
    }
}

/// A read or write through the probe that cannot fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "access", rename_all = "snake_case")]
pub enum Access {
    Read { value: u8 },
    Written { value: u8 },
    Violation(AccessViolation),
}

/// The access a Win32 program would have died of, as a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AccessViolation {
    pub id: ReservationId,
    pub page: usize,
    pub address: usize,
    pub write: bool,
    pub state: PageState,
    pub protection: Protection,
}

impl std::fmt::Display for AccessViolation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = match (self.state, self.protection) {
            (PageState::Committed, p) => format!("committed, {}", p.name()),
            (s, _) => format!("{} / no access", s.name()),
        };
        write!(
            f,
            "access violation {} {:#x}: page {} is {what}",
            if self.write { "writing" } else { "reading" },
            self.address,
            self.page,
        )
    }
}

/// VirtualQuery's answer for one page (addresses and sizes in bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PageQuery {
    pub id: ReservationId,
    pub page: usize,
    /// BaseAddress: the page's address.
    pub base_address: usize,
    /// AllocationBase: the reservation's address.
    pub allocation_base: usize,
    /// RegionSize: this page and the following ones with the same state,
    /// protection and lock.
    pub region_size: usize,
    pub region_pages: usize,
    pub state: PageState,
    pub protection: Protection,
    pub locked: bool,
    /// In RAM now (`mincore`).
    pub resident: bool,
}

/// A run of pages with the same state, protection and lock (what walking a
/// reservation with VirtualQuery gives).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PageRun {
    pub pages: Range<usize>,
    pub page: Page,
}

/// A live reservation of some page lab, for the address-space map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LabRegion {
    pub id: ReservationId,
    pub start: usize,
    pub len: usize,
    pub pages: usize,
}
