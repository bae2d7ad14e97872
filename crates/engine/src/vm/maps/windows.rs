//! Windows' half of the map: the walk VMMap does, `VirtualQueryEx` from the
//! lowest to the highest application address, one region per run of pages
//! with the same state (free, reserved, committed), type (image, mapped,
//! private) and protection; image and mapped-file names from
//! `K32GetMappedFileNameW`; what is in RAM from one `QueryWorkingSetEx`
//! over the committed pages. In memlab itself its own objects are named as
//! on Linux (the managers' reservations, the page lab's, the bundled font,
//! this thread's stack) and the process heaps (`GetProcessHeaps`) are
//! heap. Another process is opened by PID (`OpenProcess`); the roster is
//! `K32EnumProcesses`, the processes this account may open.

use std::ffi::c_void;
use std::time::Instant;

/// A charged region in `Region::smaps_line` (committed pages are charged).
pub(super) const CHARGED: &str = "charged (MEM_COMMIT)";

use windows_sys::Win32::Foundation::{CloseHandle, GetLastError, HANDLE};
use windows_sys::Win32::System::Memory::{
    GetProcessHeaps, MEM_COMMIT, MEM_FREE, MEM_IMAGE, MEM_MAPPED, MEM_RESERVE,
    MEMORY_BASIC_INFORMATION, PAGE_EXECUTE, PAGE_EXECUTE_READ, PAGE_EXECUTE_READWRITE,
    PAGE_EXECUTE_WRITECOPY, PAGE_GUARD, PAGE_NOACCESS, PAGE_NOCACHE, PAGE_READONLY, PAGE_READWRITE,
    PAGE_WRITECOMBINE, PAGE_WRITECOPY, VirtualQueryEx,
};
use windows_sys::Win32::System::ProcessStatus::{
    K32EnumProcesses, K32GetMappedFileNameW, K32GetModuleBaseNameW, K32QueryWorkingSetEx,
    PSAPI_WORKING_SET_EX_INFORMATION,
};
use windows_sys::Win32::System::SystemInformation::{GetSystemInfo, SYSTEM_INFO};
use windows_sys::Win32::System::Threading::{
    GetCurrentProcess, GetCurrentThreadId, OpenProcess, PROCESS_QUERY_INFORMATION, PROCESS_VM_READ,
};

use super::super::ReadError;
use super::super::pages::live_reservations;
use super::{Landmarks, MapError, MapTarget, Owner, Region, RegionType, Snapshot, totals};
use crate::desktop::instances;

/// `ERROR_INVALID_PARAMETER`: what OpenProcess says of a PID no process has.
const NO_SUCH_PROCESS: u32 = 87;

/// The most committed pages whose residence one snapshot asks about (1 GiB
/// of 4 KiB pages); past it the RAM columns stay 0.
const MAX_QUERIED_PAGES: usize = 1 << 18;

/// What a failure to read another process's map names.
pub(super) fn unreadable_what(pid: u32) -> String {
    format!("process {pid} (OpenProcess + VirtualQueryEx)")
}

/// The same, in the Korean messages.
pub(in crate::vm) fn unreadable_what_ko(pid: u32) -> String {
    format!("프로세스 {pid}(OpenProcess + VirtualQueryEx)")
}

fn last_error() -> u32 {
    // SAFETY: no preconditions; reads this thread's last error.
    unsafe { GetLastError() }
}

/// A process handle opened for the walk, closed when dropped.
struct Opened(HANDLE);

impl Drop for Opened {
    fn drop(&mut self) {
        // SAFETY: a handle OpenProcess returned, closed once here.
        unsafe { CloseHandle(self.0) };
    }
}

fn open(pid: u32) -> Result<Opened, u32> {
    // SAFETY: no pointers; a null handle is checked below.
    let h = unsafe { OpenProcess(PROCESS_QUERY_INFORMATION | PROCESS_VM_READ, 0, pid) };
    if h.is_null() {
        Err(last_error())
    } else {
        Ok(Opened(h))
    }
}

fn system_info() -> SYSTEM_INFO {
    // SAFETY: a zeroed plain-data struct that GetSystemInfo fills.
    let mut si: SYSTEM_INFO = unsafe { std::mem::zeroed() };
    // SAFETY: a live struct to fill; the call cannot fail.
    unsafe { GetSystemInfo(&mut si) };
    si
}

pub(super) fn take(landmarks: Landmarks) -> Result<Snapshot, ReadError> {
    let started = Instant::now();
    // SAFETY: no preconditions; the pseudo-handle needs no closing.
    let me = unsafe { GetCurrentProcess() };
    walk(me, std::process::id(), Some(landmarks), started)
}

pub(super) fn take_of(pid: u32, landmarks: Landmarks) -> Result<Snapshot, MapError> {
    if pid == std::process::id() {
        return Ok(take(landmarks)?);
    }
    let started = Instant::now();
    let process = open(pid).map_err(|e| match e {
        NO_SUCH_PROCESS => MapError::NoProcess { pid },
        e => MapError::Unreadable {
            pid,
            errno: Some(e as i32),
        },
    })?;
    walk(process.0, pid, None, started).map_err(|e| MapError::Unreadable {
        pid,
        errno: e.errno,
    })
}

/// One answer of VirtualQueryEx.
struct Block {
    start: u64,
    size: u64,
    allocation: u64,
    state: u32,
    kind: u32,
    protect: u32,
}

/// Every region from the lowest to the highest application address.
fn query_all(process: HANDLE, lowest: u64, highest: u64) -> Result<Vec<Block>, ReadError> {
    let mut out = Vec::new();
    let mut at = lowest;
    while at <= highest {
        // SAFETY: a zeroed plain-data struct for the call to fill.
        let mut mbi: MEMORY_BASIC_INFORMATION = unsafe { std::mem::zeroed() };
        let size = std::mem::size_of::<MEMORY_BASIC_INFORMATION>();
        // SAFETY: any address of the process may be queried; a live struct
        // of the size given.
        let got = unsafe { VirtualQueryEx(process, at as *const c_void, &mut mbi, size) };
        if got == 0 {
            if out.is_empty() {
                return Err(ReadError {
                    file: "VirtualQueryEx",
                    errno: Some(last_error() as i32),
                });
            }
            break;
        }
        let start = mbi.BaseAddress as u64;
        let end = (start + mbi.RegionSize as u64).min(highest + 1);
        if end <= at {
            break;
        }
        // Free address space is one block however it is answered.
        if let Some(last) = out.last_mut().filter(|b: &&mut Block| {
            b.state == MEM_FREE && mbi.State == MEM_FREE && b.start + b.size == start
        }) {
            last.size = end - last.start;
            at = end;
            continue;
        }
        out.push(Block {
            start,
            size: end - start,
            allocation: mbi.AllocationBase as u64,
            state: mbi.State,
            kind: mbi.Type,
            protect: mbi.Protect,
        });
        at = end;
    }
    Ok(out)
}

/// The protection as Win32 names it, e.g. `PAGE_READWRITE|PAGE_GUARD`
/// (`""` for free and reserved pages, which have none).
fn protection(b: &Block) -> String {
    if b.state != MEM_COMMIT {
        return String::new();
    }
    let base = match b.protect & 0xff {
        PAGE_NOACCESS => "PAGE_NOACCESS",
        PAGE_READONLY => "PAGE_READONLY",
        PAGE_READWRITE => "PAGE_READWRITE",
        PAGE_WRITECOPY => "PAGE_WRITECOPY",
        PAGE_EXECUTE => "PAGE_EXECUTE",
        PAGE_EXECUTE_READ => "PAGE_EXECUTE_READ",
        PAGE_EXECUTE_READWRITE => "PAGE_EXECUTE_READWRITE",
        PAGE_EXECUTE_WRITECOPY => "PAGE_EXECUTE_WRITECOPY",
        _ => return format!("{:#x}", b.protect),
    };
    let mut text = base.to_owned();
    for (flag, name) in [
        (PAGE_GUARD, "PAGE_GUARD"),
        (PAGE_NOCACHE, "PAGE_NOCACHE"),
        (PAGE_WRITECOMBINE, "PAGE_WRITECOMBINE"),
    ] {
        if b.protect & flag != 0 {
            text.push('|');
            text.push_str(name);
        }
    }
    text
}

/// The file an image or mapped view shows (an NT path such as
/// `\Device\HarddiskVolume3\Windows\System32\ntdll.dll`), `""` if none.
fn mapped_file_name(process: HANDLE, addr: u64) -> String {
    let mut buf = [0u16; 1024];
    // SAFETY: a live buffer of the length given, in u16s.
    let n = unsafe {
        K32GetMappedFileNameW(
            process,
            addr as *const c_void,
            buf.as_mut_ptr(),
            buf.len() as u32,
        )
    };
    let name = String::from_utf16_lossy(&buf[..(n as usize).min(buf.len())]);
    let name = name.trim_end_matches(['\0', ' ']);
    // Wine answers with the DOS path behind `\??\`; Windows with the device's.
    name.strip_prefix("\\??\\").unwrap_or(name).to_owned()
}

/// (resident, private, shared, locked) bytes of each block, from one
/// QueryWorkingSetEx over its committed pages (zeros if it fails, or for
/// the pages past [`MAX_QUERIED_PAGES`]).
fn in_ram(process: HANDLE, blocks: &[Block], page: u64) -> Vec<[u64; 4]> {
    let mut info: Vec<PSAPI_WORKING_SET_EX_INFORMATION> = Vec::new();
    let mut owners = Vec::new();
    'blocks: for (i, b) in blocks.iter().enumerate() {
        if b.state != MEM_COMMIT {
            continue;
        }
        for p in 0..b.size / page {
            if info.len() == MAX_QUERIED_PAGES {
                break 'blocks;
            }
            info.push(PSAPI_WORKING_SET_EX_INFORMATION {
                VirtualAddress: (b.start + p * page) as *mut c_void,
                ..Default::default()
            });
            owners.push(i);
        }
    }
    let mut out = vec![[0; 4]; blocks.len()];
    let cb = (info.len() * std::mem::size_of::<PSAPI_WORKING_SET_EX_INFORMATION>()) as u32;
    if info.is_empty() {
        return out;
    }
    // SAFETY: an array of `info.len()` entries of the size given.
    if unsafe { K32QueryWorkingSetEx(process, info.as_mut_ptr().cast(), cb) } == 0 {
        return out;
    }
    for (entry, &i) in info.iter().zip(&owners) {
        // SAFETY: the union's two members are the same bits.
        let flags = unsafe { entry.VirtualAttributes.Flags };
        if flags & 1 == 0 {
            continue;
        }
        let shared = flags & (1 << 15) != 0;
        let locked = flags & (1 << 22) != 0;
        let o = &mut out[i];
        o[0] += page;
        o[if shared { 2 } else { 1 }] += page;
        if locked {
            o[3] += page;
        }
    }
    out
}

/// The process heaps of this process (their handles are their first
/// allocations' bases).
fn process_heaps() -> Vec<u64> {
    let mut heaps: Vec<HANDLE> = vec![std::ptr::null_mut(); 64];
    loop {
        // SAFETY: a live array of the length given.
        let n = unsafe { GetProcessHeaps(heaps.len() as u32, heaps.as_mut_ptr()) } as usize;
        if n <= heaps.len() {
            return heaps[..n].iter().map(|&h| h as u64).collect();
        }
        heaps.resize(n, std::ptr::null_mut());
    }
}

/// Walks `process` (this process's, named, when `mine` has its landmarks).
fn walk(
    process: HANDLE,
    pid: u32,
    mine: Option<Landmarks>,
    started: Instant,
) -> Result<Snapshot, ReadError> {
    let si = system_info();
    let page = u64::from(si.dwPageSize);
    let lowest = si.lpMinimumApplicationAddress as u64;
    let highest = si.lpMaximumApplicationAddress as u64;
    let blocks = query_all(process, lowest, highest)?;
    let ram = in_ram(process, &blocks, page);
    let (own, lab, font, heaps, stack) = match mine {
        Some(marks) => {
            let here = 0u8;
            let sp = std::hint::black_box(&here) as *const u8 as u64;
            let stack_base = blocks
                .iter()
                .find(|b| (b.start..b.start + b.size).contains(&sp))
                .map(|b| b.allocation);
            (
                crate::alloc::own_regions(),
                live_reservations(),
                marks
                    .font
                    .map(|f| (f.as_ptr() as u64, f.len() as u64))
                    .filter(|(_, len)| *len > 0),
                process_heaps(),
                stack_base,
            )
        }
        None => (Vec::new(), Vec::new(), None, Vec::new(), None),
    };
    let mut names: std::collections::HashMap<u64, String> = std::collections::HashMap::new();
    let regions: Vec<Region> = blocks
        .iter()
        .zip(&ram)
        .map(|(b, &[resident, private, shared, locked])| {
            let (start, end) = (b.start, b.start + b.size);
            if b.state == MEM_FREE {
                return Region::bare(start, b.size, RegionType::Free);
            }
            let committed = b.state == MEM_COMMIT;
            let path = if b.kind == MEM_IMAGE || b.kind == MEM_MAPPED {
                names
                    .entry(b.allocation)
                    .or_insert_with(|| mapped_file_name(process, b.allocation))
                    .clone()
            } else {
                String::new()
            };
            let mut kind = match b.kind {
                MEM_IMAGE => RegionType::Image,
                MEM_MAPPED if path.is_empty() => RegionType::Shareable,
                MEM_MAPPED => RegionType::MappedFile,
                _ if b.state == MEM_RESERVE => RegionType::Reserved,
                _ => RegionType::PrivateData,
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
            } else if stack == Some(b.allocation) {
                kind = RegionType::Stack;
                owner = Some(Owner::ThreadStack {
                    // SAFETY: no preconditions.
                    tid: unsafe { GetCurrentThreadId() } as i32,
                    thread: std::thread::current().name().unwrap_or_default().into(),
                });
            } else if let Some((f, len)) = font.filter(|(f, _)| (start..end).contains(f)) {
                owner = Some(Owner::BundledFont {
                    offset: f - start,
                    len,
                });
            } else if heaps.contains(&b.allocation) {
                kind = RegionType::Heap;
            }
            let accessible = committed && b.protect & 0xff != PAGE_NOACCESS;
            Region {
                start,
                size: b.size,
                kind,
                protection: protection(b),
                path,
                owner,
                committed: if accessible { b.size } else { 0 },
                resident,
                private,
                shared,
                locked,
                swap: 0,
                charged: committed,
            }
        })
        .collect();
    let totals = totals(&regions);
    let largest_free = totals
        .iter()
        .find(|t| t.kind == RegionType::Free)
        .map_or(0, |t| t.largest);
    Ok(Snapshot {
        pid,
        regions,
        totals,
        largest_free,
        lowest_address: lowest,
        highest_address: highest,
        took_us: started.elapsed().as_micros() as u64,
    })
}

/// The executable's name of process `pid`, if this account may open it.
fn name_of(pid: u32) -> Option<String> {
    let process = open(pid).ok()?;
    let mut buf = [0u16; 260];
    // SAFETY: an open process handle and a live buffer of the length given;
    // a null module is the executable.
    let n = unsafe {
        K32GetModuleBaseNameW(
            process.0,
            std::ptr::null_mut(),
            buf.as_mut_ptr(),
            buf.len() as u32,
        )
    };
    (n > 0).then(|| String::from_utf16_lossy(&buf[..(n as usize).min(buf.len())]))
}

/// The processes whose map can be read: memlab's windows first (none are
/// on a roster on Windows yet), this process, then every process this
/// account can open for reading, by PID.
pub fn map_targets() -> Vec<MapTarget> {
    let me = std::process::id();
    let mut targets: Vec<MapTarget> = instances::open_windows()
        .unwrap_or_default()
        .into_iter()
        .filter_map(|w| {
            let pid = w.pid?;
            Some(MapTarget {
                pid,
                name: name_of(pid).unwrap_or_default(),
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
                name: name_of(me).unwrap_or_default(),
                window: None,
                this: true,
            },
        );
    }
    let mut pids = vec![0u32; 4096];
    let mut needed = 0u32;
    // SAFETY: a live array of the size given in bytes and a live count.
    let ok = unsafe { K32EnumProcesses(pids.as_mut_ptr(), (pids.len() * 4) as u32, &mut needed) };
    if ok == 0 {
        return targets;
    }
    pids.truncate(needed as usize / 4);
    pids.sort_unstable();
    for pid in pids {
        if pid == 0 || targets.iter().any(|t| t.pid == pid) {
            continue;
        }
        if let Some(name) = name_of(pid) {
            targets.push(MapTarget {
                pid,
                name,
                window: None,
                this: false,
            });
        }
    }
    targets
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_walk_covers_user_space_and_names_memlabs_own_regions() {
        use crate::vm::pages::PageLab;
        let mut lab = PageLab::new();
        let id = lab.reserve(16).expect("VirtualAlloc(MEM_RESERVE)");
        lab.commit(id, 0..4).expect("VirtualAlloc(MEM_COMMIT)");
        let font: &'static [u8] = b"not really a font, but static bytes";
        let s = Snapshot::take(Landmarks { font: Some(font) }).unwrap();
        // Contiguous from the lowest to the highest application address.
        assert_eq!(s.regions[0].start, s.lowest_address);
        assert_eq!(s.regions.last().unwrap().end(), s.highest_address + 1);
        for w in s.regions.windows(2) {
            assert_eq!(w[0].end(), w[1].start, "{:?} {:?}", w[0], w[1]);
        }
        let base = lab.get(id).unwrap().address_of(0) as u64;
        let committed = s.region_at(base).unwrap();
        assert_eq!(committed.protection, "PAGE_READWRITE");
        assert_eq!(committed.size, 4 * 4096);
        assert!(matches!(
            committed.owner,
            Some(Owner::PageLab { pages: 16, .. })
        ));
        let reserved = s.region_at(base + 4 * 4096).unwrap();
        assert_eq!(
            (reserved.kind, reserved.committed),
            (RegionType::Reserved, 0)
        );
        assert!(matches!(reserved.owner, Some(Owner::PageLab { .. })));
        assert!(s.charged(&lab, id).unwrap()[..4].iter().all(|&c| c));
        assert!(!s.charged(&lab, id).unwrap()[4]);
        // This thread's stack, the font's bytes, and ntdll's image by name.
        let here = 0u8;
        let sp = std::hint::black_box(&here) as *const u8 as u64;
        assert_eq!(s.region_at(sp).unwrap().kind, RegionType::Stack);
        let f = s.region_at(font.as_ptr() as u64).unwrap();
        assert!(matches!(f.owner, Some(Owner::BundledFont { .. })), "{f:?}");
        assert_eq!(f.kind, RegionType::Image);
        assert!(
            s.regions.iter().any(
                |r| r.kind == RegionType::Image && r.path.to_lowercase().ends_with("ntdll.dll")
            ),
            "no ntdll.dll image"
        );
        assert!(s.total(RegionType::Free).size > 1 << 40);
    }

    #[test]
    fn another_process_that_cannot_be_read_is_named_in_both_languages() {
        use crate::i18n::{Lang, Localized};
        let e = Snapshot::take_of(4_000_000_000, Landmarks::default()).unwrap_err();
        assert_eq!(e, MapError::NoProcess { pid: 4_000_000_000 });
        let e = MapError::Unreadable {
            pid: 4,
            errno: Some(5),
        };
        let en = e.localized(Lang::En);
        assert!(
            en.starts_with("cannot read process 4 (OpenProcess + VirtualQueryEx): "),
            "{en}"
        );
        let ko = e.localized(Lang::Ko);
        assert!(
            ko.starts_with("프로세스 4(OpenProcess + VirtualQueryEx)를 읽을 수 없습니다")
                && ko.contains("ERROR_ACCESS_DENIED, Win32 오류 5"),
            "{ko}"
        );
    }
}
