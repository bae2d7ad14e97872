//! Linux's half of the map: /proc/PID/smaps read by procfs, each mapping
//! given a VMMap type and (where it is one of memlab's) an owner, threads'
//! stacks found by their stack pointers, glibc's malloc arenas by their
//! shape, the free gaps between mappings; and the roster of this account's
//! processes (/proc).

use std::collections::HashSet;
use std::time::Instant;

/// A charged region in `Region::smaps_line` (smaps' `ac` flag).
pub(super) const CHARGED: &str = "charged (ac)";

use procfs::process::{MMPermissions, MMapPath, MemoryMap, Process, VmFlags};

use super::super::pages::live_reservations;
use super::super::{ReadError, system};
use super::{Landmarks, MapError, MapTarget, Owner, Region, RegionType, Snapshot, totals};
use crate::desktop::instances;

/// What a failure to read another process's map names.
pub(super) fn unreadable_what(pid: u32) -> String {
    format!("/proc/{pid}/smaps")
}

/// The same, in the Korean messages.
pub(in crate::vm) fn unreadable_what_ko(pid: u32) -> String {
    unreadable_what(pid)
}

/// Reads /proc/self/smaps and names what it can.
pub(super) fn take(landmarks: Landmarks) -> Result<Snapshot, ReadError> {
    let started = Instant::now();
    let myself = Process::myself().map_err(|e| ReadError::new("/proc/self", &e))?;
    let maps = myself
        .smaps()
        .map_err(|e| ReadError::new("/proc/self/smaps", &e))?;
    let stacks = thread_stack_pointers(&myself);
    let regions = classify(&maps.0, &stacks, landmarks, Whose::Mine);
    Ok(snapshot_of(std::process::id(), regions, started))
}

/// The map of process `pid` of this account (this process's own, named
/// the same way, when `pid` is this process).
pub(super) fn take_of(pid: u32, landmarks: Landmarks) -> Result<Snapshot, MapError> {
    if pid == std::process::id() {
        return Ok(take(landmarks)?);
    }
    let started = Instant::now();
    let process = own_process(pid)?;
    let maps = process.smaps().map_err(|e| match e {
        procfs::ProcError::NotFound(_) => MapError::NoProcess { pid },
        e => MapError::Unreadable {
            pid,
            errno: ReadError::new("/proc/PID/smaps", &e).errno,
        },
    })?;
    let stacks = thread_stack_pointers(&process);
    let font = landmarks.font.and_then(font_in_image);
    let regions = classify(&maps.0, &stacks, landmarks, Whose::Other { font });
    Ok(snapshot_of(pid, regions, started))
}

/// The snapshot of `regions` of process `pid`, with the free gaps and
/// the totals.
fn snapshot_of(pid: u32, mut regions: Vec<Region>, started: Instant) -> Snapshot {
    let page = region::page::size() as u64;
    let lowest = system::lowest_address(page as usize) as u64;
    name_malloc_arenas(&mut regions);
    let top = regions
        .iter()
        .map(Region::end)
        .filter(|&end| end < system::KERNEL_HALF)
        .max()
        .unwrap_or(1 << 47);
    let end = system::user_space_end(top, page);
    regions = with_free_gaps(regions, lowest, end);
    let totals = totals(&regions);
    let largest_free = totals
        .iter()
        .find(|t| t.kind == RegionType::Free)
        .map_or(0, |t| t.largest);
    Snapshot {
        pid,
        regions,
        totals,
        largest_free,
        lowest_address: lowest,
        highest_address: end - 1,
        took_us: started.elapsed().as_micros() as u64,
    }
}

fn bytes(m: &MemoryMap, key: &str) -> u64 {
    m.extension.map.get(key).copied().unwrap_or(0)
}

/// (stack pointer, tid, thread name) of every thread blocked in the kernel
/// (/proc/self/task/TID/syscall; a running thread shows no pointer).
fn thread_stack_pointers(myself: &Process) -> Vec<(u64, i32, String)> {
    let Ok(tasks) = myself.tasks() else {
        return Vec::new();
    };
    tasks
        .flatten()
        .filter_map(|t| {
            let procfs::process::Syscall::Blocked { stack_pointer, .. } = t.syscall().ok()? else {
                return None;
            };
            let name = t.stat().map(|s| s.comm).unwrap_or_default();
            Some((stack_pointer, t.tid, name))
        })
        .collect()
}

/// Where the bundled font lies in memlab's executable: its file (device,
/// inode) and offset there, the same in every process running this binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FontInImage {
    dev: (i32, i32),
    inode: u64,
    file_offset: u64,
    len: u64,
}

/// Finds `font` in this process's own mapping of its executable (read once:
/// the executable does not move).
fn font_in_image(font: &'static [u8]) -> Option<FontInImage> {
    static FOUND: std::sync::OnceLock<Option<FontInImage>> = std::sync::OnceLock::new();
    *FOUND.get_or_init(|| {
        let at = font.as_ptr() as u64;
        let maps = Process::myself().ok()?.maps().ok()?;
        let m = maps
            .0
            .iter()
            .find(|m| (m.address.0..m.address.1).contains(&at))?;
        Some(FontInImage {
            dev: m.dev,
            inode: m.inode,
            file_offset: m.offset + (at - m.address.0),
            len: font.len() as u64,
        })
    })
}

/// Whose map is classified: memlab's objects are found in this process by
/// their addresses; in another, only what the map itself shows.
#[derive(Debug, Clone, Copy)]
enum Whose {
    Mine,
    Other { font: Option<FontInImage> },
}

/// Gives every mapping a type and, where it is one of memlab's, an owner.
fn classify(
    maps: &[MemoryMap],
    stacks: &[(u64, i32, String)],
    marks: Landmarks,
    whose: Whose,
) -> Vec<Region> {
    let images: HashSet<&std::path::Path> = maps
        .iter()
        .filter(|m| m.perms.contains(MMPermissions::EXECUTE))
        .filter_map(|m| match &m.pathname {
            MMapPath::Path(p) => Some(p.as_path()),
            _ => None,
        })
        .collect();
    let (own, lab, font, font_in_image) = match whose {
        Whose::Mine => (
            crate::alloc::own_regions(),
            live_reservations(),
            marks
                .font
                .map(|f| (f.as_ptr() as u64, f.len() as u64))
                .filter(|(_, len)| *len > 0),
            None,
        ),
        Whose::Other { font } => (Vec::new(), Vec::new(), None, font),
    };
    let mut out: Vec<Region> = maps
        .iter()
        .map(|m| {
            let (start, end) = m.address;
            let shared_map = m.perms.contains(MMPermissions::SHARED);
            let no_access = !m
                .perms
                .intersects(MMPermissions::READ | MMPermissions::WRITE | MMPermissions::EXECUTE);
            let (mut kind, path) = match &m.pathname {
                MMapPath::Path(p) => {
                    let text = p.to_string_lossy().into_owned();
                    let kind = if text.starts_with("/dev/shm/")
                        || crate::os::shm_object::object_file_name_in(&text).is_some()
                        || text.starts_with("/memfd:")
                        || text.starts_with("/dev/zero")
                    {
                        RegionType::Shareable
                    } else if images.contains(p.as_path()) {
                        RegionType::Image
                    } else {
                        RegionType::MappedFile
                    };
                    (kind, text)
                }
                MMapPath::Heap => (RegionType::Heap, "[heap]".into()),
                MMapPath::Stack => (RegionType::Stack, "[stack]".into()),
                MMapPath::TStack(tid) => (RegionType::Stack, format!("[stack:{tid}]")),
                MMapPath::Vdso => (RegionType::Image, "[vdso]".into()),
                MMapPath::Vvar => (RegionType::Image, "[vvar]".into()),
                MMapPath::Vsyscall => (RegionType::Image, "[vsyscall]".into()),
                MMapPath::Vsys(key) => (RegionType::Shareable, format!("/SYSV{key:08x}")),
                // procfs strips the brackets of other kernel names.
                MMapPath::Other(name) if name.starts_with("anon:") => {
                    (private_kind(no_access), format!("[{name}]"))
                }
                MMapPath::Other(name) if name.starts_with("anon_shmem:") => {
                    (RegionType::Shareable, format!("[{name}]"))
                }
                MMapPath::Other(name) => (RegionType::Image, format!("[{name}]")),
                MMapPath::Anonymous | MMapPath::Rollup if shared_map => {
                    (RegionType::Shareable, String::new())
                }
                MMapPath::Anonymous | MMapPath::Rollup => (private_kind(no_access), String::new()),
            };
            let overlaps = |s: usize, len: usize| (s as u64) < end && start < (s + len) as u64;
            let mut owner = None;
            if let Some(o) = own.iter().find(|o| overlaps(o.start, o.len)) {
                kind = RegionType::Heap;
                owner = Some(Owner::Manager { name: o.name });
            } else if let Some(l) = lab.iter().find(|l| overlaps(l.start, l.len)) {
                owner = Some(Owner::PageLab {
                    id: l.id,
                    pages: l.pages,
                });
            } else if let Some(name) = crate::shared_text::name_from_object_path(&path) {
                owner = Some(Owner::SharedText {
                    name: name.to_owned(),
                });
            } else if let Some((tid, thread)) = stacks
                .iter()
                .find(|(sp, _, _)| (start..end).contains(sp))
                .map(|(_, tid, name)| (*tid, name.clone()))
            {
                kind = RegionType::Stack;
                owner = Some(Owner::ThreadStack { tid, thread });
            } else if let Some((f, len)) = font.filter(|(f, _)| (start..end).contains(f)) {
                owner = Some(Owner::BundledFont {
                    offset: f - start,
                    len,
                });
            } else if let Some(image) = font_in_image.filter(|i| {
                (i.dev, i.inode) == (m.dev, m.inode)
                    && (m.offset..m.offset + (end - start)).contains(&i.file_offset)
            }) {
                // The same executable in another process: the font lies at
                // the same file offset.
                owner = Some(Owner::BundledFont {
                    offset: image.file_offset - m.offset,
                    len: image.len,
                });
            }
            Region {
                start,
                size: end - start,
                kind,
                protection: m.perms.as_str(),
                path,
                owner,
                committed: if no_access { 0 } else { end - start },
                resident: bytes(m, "Rss"),
                private: bytes(m, "Private_Clean") + bytes(m, "Private_Dirty"),
                shared: bytes(m, "Shared_Clean") + bytes(m, "Shared_Dirty"),
                locked: bytes(m, "Locked"),
                swap: bytes(m, "Swap"),
                charged: m.extension.vm_flags.contains(VmFlags::AC),
            }
        })
        .collect();
    // A thread stack's guard page (no access, just below it) is part of it.
    for i in 1..out.len() {
        let (below, above) = out.split_at_mut(i);
        let (guard, stack) = (&mut below[i - 1], &above[0]);
        if let Some(Owner::ThreadStack { .. }) = &stack.owner
            && guard.end() == stack.start
            && guard.kind == RegionType::Reserved
            && guard.owner.is_none()
        {
            guard.kind = RegionType::Stack;
            guard.owner = stack.owner.clone();
        }
    }
    out
}

/// glibc's HEAP_MAX_SIZE on 64-bit: each heap of a per-thread arena is
/// this much address space, reserved at a multiple of it.
const MALLOC_HEAP: u64 = 64 << 20;

/// Names glibc's per-thread malloc arenas, by their shape: anonymous
/// private memory from a 64 MiB boundary, committed (read-write) at its
/// start and reserved (no access) after it, 64 MiB in all. Nothing of
/// memlab's is taken for one (a page lab reservation keeps its name).
fn name_malloc_arenas(regions: &mut [Region]) {
    let anonymous = |r: &Region| r.path.is_empty() && r.owner.is_none();
    let mut i = 0;
    while i < regions.len() {
        let first = &regions[i];
        let starts_heap = anonymous(first)
            && first.start.is_multiple_of(MALLOC_HEAP)
            && first.protection == "rw-p"
            && first.size <= MALLOC_HEAP;
        if !starts_heap {
            i += 1;
            continue;
        }
        let end = first.start + MALLOC_HEAP;
        // The rest of the 64 MiB: reserved, contiguous, anonymous (the last
        // part may run on past it, merged with a neighbour by the kernel).
        let mut j = i + 1;
        let mut covered = first.end();
        while covered < end
            && let Some(r) = regions.get(j)
            && r.start == covered
            && anonymous(r)
            && r.protection == "---p"
        {
            covered = r.end();
            j += 1;
        }
        if covered >= end && (j > i + 1 || first.size == MALLOC_HEAP) {
            for r in &mut regions[i..j] {
                r.kind = RegionType::Heap;
                r.owner = Some(Owner::MallocArena);
            }
            i = j;
        } else {
            i += 1;
        }
    }
}

fn private_kind(no_access: bool) -> RegionType {
    if no_access {
        RegionType::Reserved
    } else {
        RegionType::PrivateData
    }
}

/// Adds a Free region for every gap of user space between `lowest` and `top`.
fn with_free_gaps(regions: Vec<Region>, lowest: u64, top: u64) -> Vec<Region> {
    let mut out = Vec::with_capacity(regions.len() * 2 + 1);
    let mut cursor = lowest;
    let free = |start: u64, end: u64| Region::bare(start, end - start, RegionType::Free);
    for r in regions {
        let start = r.start.min(top);
        if start > cursor {
            out.push(free(cursor, start));
        }
        cursor = cursor.max(r.end());
        out.push(r);
    }
    if top > cursor {
        // Before any kernel-half region such as [vsyscall].
        let at = out.partition_point(|r| r.start < top);
        out.insert(at, free(cursor, top));
    }
    out
}

/// This account's processes whose map can be read: memlab's windows first,
/// by their instance numbers, then every other process of the account by
/// PID. This process is among them (a window, or first if it is none).
pub fn map_targets() -> Vec<MapTarget> {
    let me = std::process::id();
    let you = crate::os::shm_object::euid();
    let name_of = |pid: u32| {
        procfs::process::Process::new(pid as i32)
            .and_then(|p| p.stat())
            .map(|s| s.comm)
            .unwrap_or_default()
    };
    let mut targets: Vec<MapTarget> = instances::open_windows()
        .unwrap_or_default()
        .into_iter()
        .filter_map(|w| {
            let pid = w.pid?;
            Some(MapTarget {
                pid,
                name: name_of(pid),
                window: Some(w.number),
                this: pid == me,
            })
        })
        .collect();
    targets.sort_by_key(|t| t.window);
    if !targets.iter().any(|t| t.this) {
        targets.insert(
            0,
            MapTarget {
                pid: me,
                name: name_of(me),
                window: None,
                this: true,
            },
        );
    }
    let mut others: Vec<MapTarget> = procfs::process::all_processes()
        .into_iter()
        .flatten()
        .flatten()
        .filter(|p| p.uid().is_ok_and(|uid| uid == you))
        .filter_map(|p| {
            let pid = u32::try_from(p.pid).ok()?;
            let stat = p.stat().ok()?;
            // Kernel threads have no address space of their own.
            let user = stat.vsize > 0;
            (user && !targets.iter().any(|t| t.pid == pid)).then_some(MapTarget {
                pid,
                name: stat.comm,
                window: None,
                this: false,
            })
        })
        .collect();
    others.sort_by_key(|t| t.pid);
    targets.extend(others);
    targets
}

/// The owner of process `pid`, checked to be this account's.
fn own_process(pid: u32) -> Result<procfs::process::Process, MapError> {
    let gone = || MapError::NoProcess { pid };
    let process = procfs::process::Process::new(i32::try_from(pid).map_err(|_| gone())?)
        .map_err(|_| gone())?;
    let owner = process.uid().map_err(|_| gone())?;
    let you = crate::os::shm_object::euid();
    if owner != you {
        return Err(MapError::NotYours { pid, owner, you });
    }
    Ok(process)
}

#[cfg(test)]
mod tests {
    use super::super::tests::region;
    use super::*;

    #[test]
    fn mimallocs_arena_is_named() {
        use crate::alloc::{ManagerKind, dispatcher};
        use std::alloc::{GlobalAlloc, Layout};
        let layout = Layout::from_size_align(1 << 20, 16).unwrap();
        // SAFETY: a non-zero layout; freed below through the same dispatcher.
        let p = unsafe { dispatcher().alloc_with(ManagerKind::Mimalloc, layout) };
        assert!(!p.is_null());
        let snapshot = Snapshot::take(Landmarks::default()).unwrap();
        let region = snapshot
            .region_at(p as u64)
            .expect("a region holds the block");
        assert_eq!(
            (region.kind, region.owner.clone()),
            (
                RegionType::Heap,
                Some(Owner::Manager {
                    name: "mimalloc arena"
                })
            ),
            "{region:?}"
        );
        // SAFETY: allocated above with this layout, freed once.
        unsafe { dispatcher().dealloc(p, layout) };
    }

    #[test]
    fn gaps_fill_user_space_and_totals_count_them() {
        let regions = vec![
            region(0x10000, 0x1000, RegionType::Image),
            region(0x11000, 0x2000, RegionType::Heap),
            region(0x20000, 0x1000, RegionType::Stack),
            region(1 << 63, 0x1000, RegionType::Image),
        ];
        let all = with_free_gaps(regions, 0x1000, 0x40000);
        let spans: Vec<_> = all.iter().map(|r| (r.start, r.end(), r.kind)).collect();
        assert_eq!(
            spans,
            vec![
                (0x1000, 0x10000, RegionType::Free),
                (0x10000, 0x11000, RegionType::Image),
                (0x11000, 0x13000, RegionType::Heap),
                (0x13000, 0x20000, RegionType::Free),
                (0x20000, 0x21000, RegionType::Stack),
                (0x21000, 0x40000, RegionType::Free),
                (1 << 63, (1 << 63) + 0x1000, RegionType::Image),
            ]
        );
        let t = totals(&all);
        let free = t.iter().find(|t| t.kind == RegionType::Free).unwrap();
        assert_eq!((free.blocks, free.largest), (3, 0x1f000));
        let image = t.iter().find(|t| t.kind == RegionType::Image).unwrap();
        assert_eq!(
            (image.blocks, image.size, image.resident),
            (2, 0x2000, 0x1000)
        );
    }
}
