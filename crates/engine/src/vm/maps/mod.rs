//! The address-space map, in the style of Sysinternals VMMap, for memlab
//! itself or another process of this account (`target`): every region of
//! /proc/PID/smaps with a VMMap type, the free gaps between them, totals per
//! type, memlab's own objects named (another memlab window's too, where the
//! map shows them: its shared text, its threads' stacks, the bundled font),
//! glibc's per-thread malloc arenas named by their shape, and the diff
//! between two snapshots.
//!
//! A [`Snapshot`] is plain data: take it on a worker thread, draw it on the
//! UI thread. Taking one reads smaps once (a few hundred regions: about a
//! millisecond, see `benches/vm.rs`).

use serde::Serialize;

mod diff;
#[cfg(target_os = "linux")]
mod linux;
mod target;
#[cfg(windows)]
mod windows;

/// This OS's half of the map: how it is read, and the roster of processes.
#[cfg(target_os = "linux")]
use linux as sys;
#[cfg(windows)]
use windows as sys;

use super::ReadError;
use super::pages::{PageError, PageLab, ReservationId};
pub use diff::{Change, Field, MapDiff, diff};
pub use sys::map_targets;
pub(super) use sys::unreadable_what_ko;
pub use target::{MapError, MapTarget};

/// VMMap's types, as they exist on Linux.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RegionType {
    /// An executable or shared library (any mapping of a file that is
    /// mapped executable somewhere), and the kernel's [vdso]/[vvar].
    Image,
    /// Any other mapped file.
    MappedFile,
    /// Shared memory: /dev/shm objects, memfd, System V, shared anonymous.
    Shareable,
    /// The brk heap and memory managers' reservations (the private heap).
    Heap,
    /// The main stack and the threads' stacks (with their guard pages).
    Stack,
    /// Private anonymous memory with some access.
    PrivateData,
    /// Private anonymous memory with no access (`PROT_NONE`).
    Reserved,
    /// Address space nothing uses.
    Free,
}

impl RegionType {
    pub const ALL: [Self; 8] = [
        Self::Image,
        Self::MappedFile,
        Self::Shareable,
        Self::Heap,
        Self::Stack,
        Self::PrivateData,
        Self::Reserved,
        Self::Free,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Image => "image",
            Self::MappedFile => "mapped file",
            Self::Shareable => "shareable",
            Self::Heap => "heap",
            Self::Stack => "stack",
            Self::PrivateData => "private data",
            Self::Reserved => "reserved",
            Self::Free => "free",
        }
    }
}

/// One of memlab's own objects, found in the map.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Owner {
    /// A memory manager's reservation (`crate::alloc::own_regions`).
    Manager { name: &'static str },
    /// A shared text mapping, `memlab.UID.NAME` in the account's object folder.
    SharedText { name: String },
    /// A page lab reservation.
    PageLab { id: ReservationId, pages: usize },
    /// A thread's stack (found by the thread's stack pointer).
    ThreadStack { tid: i32, thread: String },
    /// The region holds the bundled font (`include_bytes!` puts it in the
    /// executable's read-only data, so it has no region of its own).
    BundledFont { offset: u64, len: u64 },
    /// A heap of one of glibc's per-thread malloc arenas: 64 MiB of address
    /// space reserved at a 64 MiB boundary (HEAP_MAX_SIZE), its start
    /// committed and growing as the arena's threads allocate.
    MallocArena,
}

impl std::fmt::Display for Owner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Manager { name } => write!(f, "{name}"),
            Self::SharedText { name } => write!(f, "shared text mapping {name:?}"),
            Self::PageLab { id, pages } => write!(f, "page lab reservation {id} ({pages} pages)"),
            Self::ThreadStack { tid, thread } => write!(f, "stack of thread {tid} ({thread})"),
            Self::BundledFont { offset, len } => write!(
                f,
                "holds the bundled font: {len} bytes at +{offset:#x} (include_bytes!, not a region of its own)"
            ),
            Self::MallocArena => write!(f, "glibc malloc arena: a thread's heap, 64 MiB reserved"),
        }
    }
}

/// One region of the address space. Sizes in bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Region {
    pub start: u64,
    pub size: u64,
    #[serde(rename = "type")]
    pub kind: RegionType,
    /// As the kernel shows it, e.g. `rw-p` (`""` for free gaps).
    pub protection: String,
    /// The file, or a kernel name such as `[heap]`; `""` if anonymous.
    pub path: String,
    pub owner: Option<Owner>,
    /// Accessible (not `PROT_NONE`): what VMMap calls committed.
    pub committed: u64,
    /// In RAM (smaps `Rss`).
    pub resident: u64,
    /// Only this process's (`Private_Clean + Private_Dirty`).
    pub private: u64,
    /// Shared with others (`Shared_Clean + Shared_Dirty`).
    pub shared: u64,
    pub locked: u64,
    pub swap: u64,
    /// Counted in the commit charge (the kernel's `ac` flag).
    pub charged: bool,
}

impl Region {
    /// A region of `kind` with no path, owner, protection or pages counted
    /// (a free gap, or a test's).
    pub fn bare(start: u64, size: u64, kind: RegionType) -> Self {
        Self {
            start,
            size,
            kind,
            protection: String::new(),
            path: String::new(),
            owner: None,
            committed: 0,
            resident: 0,
            private: 0,
            shared: 0,
            locked: 0,
            swap: 0,
            charged: false,
        }
    }

    pub fn end(&self) -> u64 {
        self.start + self.size
    }

    /// The kernel's facts of the region in one English line, as smaps
    /// gives them: range, protection, resident, locked, charged.
    pub fn smaps_line(&self) -> String {
        format!(
            "{:#x}-{:#x} {}, resident {}, locked {}, {}",
            self.start,
            self.end(),
            self.protection,
            crate::format::format_bytes(self.resident),
            crate::format::format_bytes(self.locked),
            if self.charged {
                sys::CHARGED
            } else {
                "not charged"
            }
        )
    }
    pub fn contains(&self, addr: u64) -> bool {
        (self.start..self.end()).contains(&addr)
    }
}

/// VMMap's summary row for one type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TypeTotal {
    #[serde(rename = "type")]
    pub kind: RegionType,
    pub size: u64,
    pub committed: u64,
    pub resident: u64,
    pub private: u64,
    pub shared: u64,
    pub locked: u64,
    pub blocks: usize,
    pub largest: u64,
}

impl TypeTotal {
    /// A row of `kind` with nothing counted yet.
    pub fn empty(kind: RegionType) -> Self {
        Self {
            kind,
            size: 0,
            committed: 0,
            resident: 0,
            private: 0,
            shared: 0,
            locked: 0,
            blocks: 0,
            largest: 0,
        }
    }
}

/// Things of memlab the engine cannot find by itself, because they belong to
/// UI modules (the engine never imports them).
#[derive(Debug, Clone, Copy, Default)]
pub struct Landmarks {
    /// The bundled font's bytes (`crate::fonts`).
    pub font: Option<&'static [u8]>,
}

/// The address space at one moment.
#[derive(Debug, Clone, Serialize)]
pub struct Snapshot {
    /// The process whose address space this is.
    pub pid: u32,
    /// Every region and free gap, by address.
    pub regions: Vec<Region>,
    /// One row per type, in [`RegionType::ALL`]'s order.
    pub totals: Vec<TypeTotal>,
    pub largest_free: u64,
    /// The user part of the address space: [lowest, highest].
    pub lowest_address: u64,
    pub highest_address: u64,
    /// How long taking it took, in microseconds.
    pub took_us: u64,
}

impl Snapshot {
    /// Reads this process's map and names what it can (Linux:
    /// /proc/self/smaps; Windows: the VirtualQuery walk).
    pub fn take(landmarks: Landmarks) -> Result<Self, ReadError> {
        sys::take(landmarks)
    }

    /// The map of process `pid` of this account (this process's own, named
    /// the same way, when `pid` is this process).
    pub fn take_of(pid: u32, landmarks: Landmarks) -> Result<Self, MapError> {
        sys::take_of(pid, landmarks)
    }

    /// The region (or free gap) holding `addr`.
    pub fn region_at(&self, addr: u64) -> Option<&Region> {
        let i = self.regions.partition_point(|r| r.end() <= addr);
        self.regions.get(i).filter(|r| r.contains(addr))
    }

    /// Which pages of the page lab's reservation `id` the kernel counts in
    /// the commit charge: the `ac` flag of the mapping each lies in (take
    /// the snapshot after the last change, e.g. on the worker thread that
    /// refreshes the map).
    pub fn charged(&self, lab: &PageLab, id: ReservationId) -> Result<Vec<bool>, PageError> {
        let r = lab.get(id)?;
        Ok((0..r.pages().len())
            .map(|page| {
                self.region_at(r.address_of(page) as u64)
                    .is_some_and(|region| region.charged)
            })
            .collect())
    }

    /// The row of one type.
    pub fn total(&self, kind: RegionType) -> TypeTotal {
        self.totals
            .iter()
            .copied()
            .find(|t| t.kind == kind)
            .expect("one row per type")
    }
}

pub(super) fn totals(regions: &[Region]) -> Vec<TypeTotal> {
    RegionType::ALL
        .iter()
        .map(|&kind| {
            let mut t = TypeTotal::empty(kind);
            for r in regions.iter().filter(|r| r.kind == kind) {
                t.size += r.size;
                t.committed += r.committed;
                t.resident += r.resident;
                t.private += r.private;
                t.shared += r.shared;
                t.locked += r.locked;
                t.blocks += 1;
                t.largest = t.largest.max(r.size);
            }
            t
        })
        .collect()
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    pub(super) fn region(start: u64, size: u64, kind: RegionType) -> Region {
        Region {
            start,
            size,
            kind,
            protection: "rw-p".into(),
            path: String::new(),
            owner: None,
            committed: size,
            resident: size / 2,
            private: size / 2,
            shared: 0,
            locked: 0,
            swap: 0,
            charged: true,
        }
    }
}
