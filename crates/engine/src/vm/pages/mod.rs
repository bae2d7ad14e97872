//! The page lab: VirtualAlloc and friends on reservations of memlab's own
//! address space, with memlab's own page table.
//!
//! Linux keeps no per-page "committed" flag that a program can read (mincore
//! says 0 both for a reserved page and for a committed page never touched),
//! so the lab's table is the truth for Free / Reserved / Committed,
//! protection and locked; the tests check every operation against the
//! kernel's own view (smaps, mincore, `Committed_AS`). Each step names its
//! Win32 call and the call it became ([`Operation`](super::Operation)); why
//! each became what it did is said once, in the page lab's help (the app's
//! `src/forms/vm/page_lab/help.rs`, quoted by `docs/labs/page-lab.md`).
//!
//! Whether a page is in the commit charge is the kernel's decision per
//! mapping (its `ac` flag in smaps), not a rule memlab could keep in its
//! table: on this kernel (6.18) `mprotect` to read-only or no-access drops
//! the charge of a mapping that was never touched, and keeps it once one of
//! its pages was written. [`PageLab::charged`] reads it from a map snapshot.
//!
//! The table is a plain slice ([`Reservation::pages`]): a grid of 65536
//! cells reads it every frame for nothing; [`PageLab::resident`] is one
//! `mincore` call for the whole reservation.

mod types;

// The calls themselves, one file per OS behind the same functions.
#[cfg(target_os = "linux")]
mod linux;
#[cfg(windows)]
mod windows;
#[cfg(target_os = "linux")]
use linux as sys;
/// The Korean of the errors that name an OS's own call or limit
/// (`messages_pages`).
pub(in crate::vm) use sys::{address_space_ko, commit_refused_ko, lock_limit_ko};
#[cfg(windows)]
use windows as sys;

use std::collections::BTreeSet;
use std::ops::Range;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};

pub use types::{
    Access, AccessViolation, Decommit, LabRegion, MAX_PAGES, Page, PageError, PageQuery, PageRun,
    PageState, Protection, ReservationId,
};

use super::Operation;
use super::child::ChildEnd;

static NEXT_ID: AtomicU32 = AtomicU32::new(1);
static LIVE: Mutex<Vec<LabRegion>> = Mutex::new(Vec::new());

/// Every live page-lab reservation of the process.
pub fn live_reservations() -> Vec<LabRegion> {
    LIVE.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// One reserved range and its page table.
#[derive(Debug)]
pub struct Reservation {
    id: ReservationId,
    base: usize,
    page_size: usize,
    pages: Vec<Page>,
}

impl Reservation {
    pub fn id(&self) -> ReservationId {
        self.id
    }
    /// The reservation's address (VirtualQuery's AllocationBase).
    pub fn base(&self) -> usize {
        self.base
    }
    /// Its length in bytes.
    pub fn len_bytes(&self) -> usize {
        self.pages.len() * self.page_size
    }
    /// The page table, one entry per page: cheap enough to read every frame.
    pub fn pages(&self) -> &[Page] {
        &self.pages
    }
    /// The address of page `page`.
    pub fn address_of(&self, page: usize) -> usize {
        self.base + page * self.page_size
    }

    fn check(&self, range: &Range<usize>) -> Result<(), PageError> {
        if range.start >= range.end {
            return Err(PageError::EmptyRange {
                range: range.clone(),
            });
        }
        if range.end > self.pages.len() {
            return Err(PageError::OutOfRange {
                id: self.id,
                range: range.clone(),
                pages: self.pages.len(),
            });
        }
        Ok(())
    }

    /// The first page of `range` that fails `ok`.
    fn first_not(&self, range: &Range<usize>, ok: impl Fn(&Page) -> bool) -> Option<usize> {
        self.pages[range.clone()]
            .iter()
            .position(|p| !ok(p))
            .map(|i| range.start + i)
    }
}

/// Several reservations and the operations of the chapter on them.
///
/// `Send`: a form may keep it behind a mutex and run the slower operations
/// (a large `mlock`, a query with smaps) on a worker thread.
#[derive(Debug)]
pub struct PageLab {
    reservations: Vec<Reservation>,
    released: BTreeSet<ReservationId>,
    page_size: usize,
}

impl Default for PageLab {
    fn default() -> Self {
        Self::new()
    }
}

impl PageLab {
    pub fn new() -> Self {
        Self {
            reservations: Vec::new(),
            released: BTreeSet::new(),
            page_size: region::page::size(),
        }
    }

    pub fn page_size(&self) -> usize {
        self.page_size
    }

    /// The live reservations, oldest first.
    pub fn reservations(&self) -> &[Reservation] {
        &self.reservations
    }

    /// One reservation, or why there is none.
    pub fn get(&self, id: ReservationId) -> Result<&Reservation, PageError> {
        match self.reservations.iter().find(|r| r.id == id) {
            Some(r) => Ok(r),
            None if self.released.contains(&id) => Err(PageError::Released { id }),
            None => Err(PageError::NoSuchReservation { id }),
        }
    }

    fn get_mut(&mut self, id: ReservationId) -> Result<&mut Reservation, PageError> {
        self.get(id)?;
        Ok(self
            .reservations
            .iter_mut()
            .find(|r| r.id == id)
            .expect("found above"))
    }

    /// VirtualAlloc(MEM_RESERVE): `pages` pages of address space, no charge.
    pub fn reserve(&mut self, pages: usize) -> Result<ReservationId, PageError> {
        if pages == 0 {
            return Err(PageError::ZeroPages);
        }
        if pages > MAX_PAGES {
            return Err(PageError::TooManyPages {
                requested: pages,
                max: MAX_PAGES,
            });
        }
        let len = pages * self.page_size;
        let base = sys::reserve(len)?;
        let id = ReservationId(NEXT_ID.fetch_add(1, Ordering::Relaxed));
        let r = Reservation {
            id,
            base,
            page_size: self.page_size,
            pages: vec![Page::RESERVED; pages],
        };
        LIVE.lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(LabRegion {
                id,
                start: r.base,
                len,
                pages,
            });
        self.reservations.push(r);
        Ok(id)
    }

    /// VirtualAlloc(MEM_COMMIT, PAGE_READWRITE): the pages become read-write
    /// and count in the commit charge (committing committed pages is fine).
    pub fn commit(&mut self, id: ReservationId, range: Range<usize>) -> Result<(), PageError> {
        let r = self.get_mut(id)?;
        r.check(&range)?;
        sys::commit(r.address_of(range.start), range.len() * r.page_size)?;
        for p in &mut r.pages[range] {
            p.state = PageState::Committed;
            p.protection = Protection::ReadWrite;
        }
        Ok(())
    }

    /// VirtualFree(MEM_DECOMMIT), either way Linux can (see [`Decommit`]).
    /// Reserved pages in the range are fine, as on Windows; the pages end
    /// reserved and unlocked.
    pub fn decommit(
        &mut self,
        id: ReservationId,
        range: Range<usize>,
        how: Decommit,
    ) -> Result<(), PageError> {
        let r = self.get_mut(id)?;
        r.check(&range)?;
        let locked = r.pages[range.clone()].iter().any(|p| p.locked);
        sys::decommit(
            r.address_of(range.start),
            range.len() * r.page_size,
            how,
            locked,
        )?;
        r.pages[range].fill(Page::RESERVED);
        Ok(())
    }

    /// VirtualProtect: committed pages only. Returns the first page's old
    /// protection, as VirtualProtect does.
    pub fn protect(
        &mut self,
        id: ReservationId,
        range: Range<usize>,
        protection: Protection,
    ) -> Result<Protection, PageError> {
        let r = self.get_mut(id)?;
        r.check(&range)?;
        if let Some(page) = r.first_not(&range, |p| p.state == PageState::Committed) {
            return Err(PageError::ProtectReserved { id, page });
        }
        let old = r.pages[range.start].protection;
        sys::protect(
            r.address_of(range.start),
            range.len() * r.page_size,
            protection,
        )?;
        for p in &mut r.pages[range] {
            p.protection = protection;
        }
        Ok(old)
    }

    /// VirtualLock: committed, accessible pages stay in RAM (`mlock`, which
    /// also brings them in). Past RLIMIT_MEMLOCK the kernel says ENOMEM.
    pub fn lock(&mut self, id: ReservationId, range: Range<usize>) -> Result<(), PageError> {
        let r = self.get_mut(id)?;
        r.check(&range)?;
        if let Some(page) = r.first_not(&range, |p| p.state == PageState::Committed) {
            return Err(PageError::LockNotCommitted { id, page });
        }
        if let Some(page) = r.first_not(&range, |p| p.protection != Protection::NoAccess) {
            return Err(PageError::LockNoAccess { id, page });
        }
        sys::lock(r.address_of(range.start), range.len() * r.page_size)?;
        for p in &mut r.pages[range] {
            p.locked = true;
        }
        Ok(())
    }

    /// VirtualUnlock: every page of the range must be locked.
    pub fn unlock(&mut self, id: ReservationId, range: Range<usize>) -> Result<(), PageError> {
        let r = self.get_mut(id)?;
        r.check(&range)?;
        if let Some(page) = r.first_not(&range, |p| p.locked) {
            return Err(PageError::NotLocked { id, page });
        }
        sys::unlock(r.address_of(range.start), range.len() * r.page_size)?;
        for p in &mut r.pages[range] {
            p.locked = false;
        }
        Ok(())
    }

    /// Reads the first byte of a page through the probe: a page that would
    /// fault gives [`Access::Violation`], never a signal.
    pub fn read_byte(&self, id: ReservationId, page: usize) -> Result<Access, PageError> {
        let r = self.get(id)?;
        r.check(&(page..page + 1))?;
        Ok(match sys::read_byte(r.address_of(page)) {
            Some(value) => Access::Read { value },
            None => Access::Violation(violation(r, page, false)),
        })
    }

    /// Writes `value` to the first byte of a page through the probe.
    pub fn write_byte(
        &mut self,
        id: ReservationId,
        page: usize,
        value: u8,
    ) -> Result<Access, PageError> {
        let r = self.get(id)?;
        r.check(&(page..page + 1))?;
        Ok(if sys::write_byte(r.address_of(page), value) {
            Access::Written { value }
        } else {
            Access::Violation(violation(r, page, true))
        })
    }

    /// The real thing: a child process reads or writes the page, and dies
    /// if a Win32 program would (Linux: a `fork` with a plain load or
    /// store; Windows: memlab.exe, through `ReadProcessMemory` /
    /// `WriteProcessMemory`, or the fault itself: see `vm::child`).
    pub fn touch_in_child(
        &self,
        id: ReservationId,
        page: usize,
        write: bool,
    ) -> Result<ChildEnd, PageError> {
        let r = self.get(id)?;
        r.check(&(page..page + 1))?;
        super::child::touch(r.address_of(page), write).map_err(|errno| PageError::Os {
            op: Operation::TouchInChild,
            errno,
        })
    }

    /// VirtualFree(MEM_RELEASE): the whole reservation goes (`munmap`).
    pub fn release(&mut self, id: ReservationId) -> Result<(), PageError> {
        self.get(id)?;
        let i = self
            .reservations
            .iter()
            .position(|r| r.id == id)
            .expect("found above");
        let r = self.reservations.remove(i);
        let unmapped = sys::release(r.base, r.len_bytes());
        LIVE.lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|l| l.id != id);
        self.released.insert(id);
        unmapped
    }

    /// Which pages are in RAM now: one `mincore` call for the reservation
    /// (Windows: `QueryWorkingSetEx`).
    pub fn resident(&self, id: ReservationId) -> Result<Vec<bool>, PageError> {
        let r = self.get(id)?;
        sys::resident(r.base, r.pages.len(), r.page_size)
    }

    /// VirtualQuery for one page: the table, plus `mincore` for residency
    /// (Windows: `QueryWorkingSetEx`).
    pub fn query(&self, id: ReservationId, page: usize) -> Result<PageQuery, PageError> {
        let r = self.get(id)?;
        r.check(&(page..page + 1))?;
        let this = r.pages[page];
        let region_pages = r.pages[page..].iter().take_while(|p| **p == this).count();
        let resident = sys::resident(r.address_of(page), 1, r.page_size)?[0];
        Ok(PageQuery {
            id,
            page,
            base_address: r.address_of(page),
            allocation_base: r.base,
            region_size: region_pages * r.page_size,
            region_pages,
            state: this.state,
            protection: this.protection,
            locked: this.locked,
            resident,
        })
    }

    /// The reservation walked as VirtualQuery would: runs of equal pages.
    pub fn runs(&self, id: ReservationId) -> Result<Vec<PageRun>, PageError> {
        let r = self.get(id)?;
        let mut runs: Vec<PageRun> = Vec::new();
        for (i, p) in r.pages.iter().enumerate() {
            match runs.last_mut() {
                Some(run) if run.page == *p => run.pages.end = i + 1,
                _ => runs.push(PageRun {
                    pages: i..i + 1,
                    page: *p,
                }),
            }
        }
        Ok(runs)
    }
}

impl Drop for PageLab {
    fn drop(&mut self) {
        for id in self.reservations.iter().map(|r| r.id).collect::<Vec<_>>() {
            let _ = self.release(id);
        }
    }
}

fn violation(r: &Reservation, page: usize, write: bool) -> AccessViolation {
    let p = r.pages[page];
    AccessViolation {
        id: r.id,
        page,
        address: r.address_of(page),
        write,
        state: p.state,
        protection: p.protection,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_can_move_the_lab_and_its_answers_to_a_worker() {
        fn send<T: Send + Sync + 'static>() {}
        send::<PageLab>();
        send::<PageQuery>();
        send::<PageError>();
    }

    #[test]
    fn runs_and_queries_walk_the_table() {
        let mut lab = PageLab::new();
        let id = lab.reserve(10).unwrap();
        lab.commit(id, 2..6).unwrap();
        lab.protect(id, 4..5, Protection::ReadOnly).unwrap();
        let runs: Vec<_> = lab
            .runs(id)
            .unwrap()
            .into_iter()
            .map(|r| (r.pages, r.page.state, r.page.protection))
            .collect();
        use PageState::*;
        use Protection::*;
        assert_eq!(
            runs,
            vec![
                (0..2, Reserved, NoAccess),
                (2..4, Committed, ReadWrite),
                (4..5, Committed, ReadOnly),
                (5..6, Committed, ReadWrite),
                (6..10, Reserved, NoAccess),
            ]
        );
        let q = lab.query(id, 3).unwrap();
        assert_eq!((q.region_pages, q.region_size), (1, lab.page_size()));
        assert_eq!(lab.resident(id).unwrap(), vec![false; 10]);
        // Decommitting reserved pages is fine, as on Windows.
        lab.decommit(id, 0..10, Decommit::Remap).unwrap();
        assert_eq!(lab.runs(id).unwrap().len(), 1);
    }
}
