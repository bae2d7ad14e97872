//! The page lab's worker: one thread owns the lab's [`PageLab`] and runs the
//! operations the form asks for, in order; after each batch it sends back
//! what each did and a fresh [`View`] (the page tables, `mincore`, the
//! kernel's charge flags, RSS and the commit charge, the selected page's
//! VirtualQuery). The UI thread never touches the reservations, so a large
//! `mlock`, a `fork` or a map snapshot never stalls a frame.
//!
//! [`Engine`] is the work itself, without the thread: the screenshot demo
//! drives one directly before the window opens.

use std::io;
use std::ops::Range;
use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};

use eframe::egui;

use crate::core::vm::child::ChildEnd;
use crate::core::vm::maps::{Landmarks, Region, Snapshot};
use crate::core::vm::pages::{
    Access, AccessViolation, Decommit, Page, PageError, PageLab, PageQuery, Protection,
    ReservationId,
};
use crate::core::vm::system::{self, Costs};
use crate::core::vm::{Operation, ReadError};
use crate::forms::widgets::StoppingThreads;

/// An operation on a range of pages of one reservation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeOp {
    Commit,
    Decommit(Decommit),
    Protect(Protection),
    Lock,
    Unlock,
    /// Read the first byte of each page, through the probe.
    Read,
    /// Write this byte to the first byte of each page, through the probe.
    Write(u8),
    /// A child process reads (or writes) the first page with a plain access.
    Child {
        write: bool,
    },
}

impl RangeOp {
    pub fn operation(self) -> Operation {
        match self {
            Self::Commit => Operation::Commit,
            Self::Decommit(how) => how.operation(),
            Self::Protect(_) => Operation::Protect,
            Self::Lock => Operation::Lock,
            Self::Unlock => Operation::Unlock,
            Self::Read => Operation::ReadByte,
            Self::Write(_) => Operation::WriteByte,
            Self::Child { .. } => Operation::TouchInChild,
        }
    }
}

/// What the form asks the worker to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Reserve {
        pages: usize,
    },
    Range {
        id: ReservationId,
        pages: Range<usize>,
        op: RangeOp,
    },
    Release {
        id: ReservationId,
    },
    /// Stop showing a released reservation.
    Forget {
        id: ReservationId,
    },
    /// The page whose VirtualQuery facts each view carries.
    Select {
        id: ReservationId,
        page: usize,
    },
    /// Only a new view (the live numbers).
    Refresh,
}

/// An operation as it was asked, for the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    Reserve {
        pages: usize,
    },
    Range {
        id: ReservationId,
        pages: Range<usize>,
        op: RangeOp,
    },
    Release {
        id: ReservationId,
    },
}

impl Request {
    pub fn operation(&self) -> Operation {
        match self {
            Self::Reserve { .. } => Operation::Reserve,
            Self::Range { op, .. } => op.operation(),
            Self::Release { .. } => Operation::Release,
        }
    }
}

/// What an operation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Done {
    Reserved {
        id: ReservationId,
        base: usize,
    },
    /// Commit, decommit, lock, unlock: the pages changed as asked.
    Changed,
    Protected {
        old: Protection,
    },
    /// The first byte of each page read from the range's start, up to the
    /// first page that would have faulted.
    Read {
        values: Vec<u8>,
        violation: Option<AccessViolation>,
    },
    /// `value` written to `pages` pages from the range's start, up to the
    /// first page that would have faulted.
    Written {
        value: u8,
        pages: usize,
        violation: Option<AccessViolation>,
    },
    Child {
        page: usize,
        end: ChildEnd,
    },
    Released {
        pages: usize,
    },
}

/// One line of the operation log.
#[derive(Debug, Clone)]
pub struct Report {
    /// 1, 2, 3, ... in this form.
    pub number: u64,
    pub request: Request,
    pub result: Result<Done, PageError>,
    /// RSS and commit charge before and after (None if /proc failed).
    pub costs: Option<(Costs, Costs)>,
}

/// One reservation as the form draws it.
#[derive(Debug, Clone)]
pub struct ReservationView {
    pub id: ReservationId,
    pub base: usize,
    /// memlab's page table (all free once released).
    pub pages: Vec<Page>,
    /// In RAM (`mincore`).
    pub resident: Vec<bool>,
    /// In the commit charge (the kernel's `ac` flag of the page's mapping).
    pub charged: Vec<bool>,
    pub released: bool,
}

/// VirtualQuery of the selected page: memlab's table and `mincore`, and
/// the kernel's mapping that holds it (smaps).
#[derive(Debug, Clone)]
pub struct Facts {
    pub query: Result<PageQuery, PageError>,
    pub kernel: Option<Region>,
}

/// Everything the form shows, as of one moment.
#[derive(Debug, Clone)]
pub struct View {
    pub page_size: usize,
    pub reservations: Vec<ReservationView>,
    pub costs: Result<Costs, ReadError>,
    pub facts: Option<Facts>,
    /// The map could not be read, so the charge flags are unknown.
    pub map_error: Option<ReadError>,
}

/// A batch's answer: what each operation did and the view after them.
pub struct Reply {
    /// The last command handled (commands are numbered from 1).
    pub handled: u64,
    pub reports: Vec<Report>,
    pub view: View,
}

/// A released reservation the form still shows (its pages free).
#[derive(Debug)]
struct Released {
    id: ReservationId,
    base: usize,
    pages: usize,
}

/// The page lab and what the form shows of it.
#[derive(Debug, Default)]
pub struct Engine {
    lab: PageLab,
    released: Vec<Released>,
    selected: Option<(ReservationId, usize)>,
    reports: u64,
}

impl Engine {
    /// Runs one command; operations return their report.
    pub fn handle(&mut self, command: Command) -> Option<Report> {
        let request = match command {
            Command::Reserve { pages } => Request::Reserve { pages },
            Command::Range { id, pages, op } => Request::Range { id, pages, op },
            Command::Release { id } => Request::Release { id },
            Command::Forget { id } => {
                self.released.retain(|r| r.id != id);
                return None;
            }
            Command::Select { id, page } => {
                self.selected = Some((id, page));
                return None;
            }
            Command::Refresh => return None,
        };
        let before = system::costs().ok();
        let result = self.run(&request);
        let after = system::costs().ok();
        self.reports += 1;
        Some(Report {
            number: self.reports,
            request,
            result,
            costs: before.zip(after),
        })
    }

    fn run(&mut self, request: &Request) -> Result<Done, PageError> {
        let lab = &mut self.lab;
        match *request {
            Request::Reserve { pages } => {
                let id = lab.reserve(pages)?;
                Ok(Done::Reserved {
                    id,
                    base: lab.get(id)?.base(),
                })
            }
            Request::Release { id } => {
                let (base, pages) = lab.get(id).map(|r| (r.base(), r.pages().len()))?;
                lab.release(id)?;
                self.released.push(Released { id, base, pages });
                Ok(Done::Released { pages })
            }
            Request::Range { id, ref pages, op } => {
                let range = pages.clone();
                match op {
                    RangeOp::Commit => lab.commit(id, range).map(|()| Done::Changed),
                    RangeOp::Decommit(how) => lab.decommit(id, range, how).map(|()| Done::Changed),
                    RangeOp::Protect(p) => {
                        lab.protect(id, range, p).map(|old| Done::Protected { old })
                    }
                    RangeOp::Lock => lab.lock(id, range).map(|()| Done::Changed),
                    RangeOp::Unlock => lab.unlock(id, range).map(|()| Done::Changed),
                    RangeOp::Read => read_range(lab, id, range),
                    RangeOp::Write(value) => write_range(lab, id, range, value),
                    RangeOp::Child { write } => {
                        let page = range.start;
                        let end = lab.touch_in_child(id, page, write)?;
                        Ok(Done::Child { page, end })
                    }
                }
            }
        }
    }

    /// The view now: tables, residency, charge flags, costs, the facts.
    pub fn view(&self) -> View {
        let live = self.lab.reservations();
        let snapshot = if live.is_empty() {
            None
        } else {
            Some(Snapshot::take(Landmarks::default()))
        };
        let map = snapshot.as_ref().and_then(|s| s.as_ref().ok());
        let mut reservations: Vec<ReservationView> = live
            .iter()
            .map(|r| {
                let id = r.id();
                let n = r.pages().len();
                ReservationView {
                    id,
                    base: r.base(),
                    pages: r.pages().to_vec(),
                    resident: self.lab.resident(id).unwrap_or_else(|_| vec![false; n]),
                    charged: map
                        .and_then(|m| self.lab.charged(id, m).ok())
                        .unwrap_or_else(|| vec![false; n]),
                    released: false,
                }
            })
            .collect();
        reservations.extend(self.released.iter().map(|r| ReservationView {
            id: r.id,
            base: r.base,
            pages: vec![Page::FREE; r.pages],
            resident: vec![false; r.pages],
            charged: vec![false; r.pages],
            released: true,
        }));
        reservations.sort_by_key(|r| r.id);
        let facts = self.selected.map(|(id, page)| {
            let query = self.lab.query(id, page);
            let kernel = match (&query, map) {
                (Ok(q), Some(m)) => m.region_at(q.base_address as u64).cloned(),
                _ => None,
            };
            Facts { query, kernel }
        });
        View {
            page_size: self.lab.page_size(),
            reservations,
            costs: system::costs(),
            facts,
            map_error: snapshot.and_then(Result::err),
        }
    }
}

fn read_range(lab: &PageLab, id: ReservationId, range: Range<usize>) -> Result<Done, PageError> {
    check_range(lab, id, &range)?;
    let mut values = Vec::with_capacity(range.len());
    for page in range {
        match lab.read_byte(id, page)? {
            Access::Read { value } | Access::Written { value } => values.push(value),
            Access::Violation(v) => {
                return Ok(Done::Read {
                    values,
                    violation: Some(v),
                });
            }
        }
    }
    Ok(Done::Read {
        values,
        violation: None,
    })
}

fn write_range(
    lab: &mut PageLab,
    id: ReservationId,
    range: Range<usize>,
    value: u8,
) -> Result<Done, PageError> {
    check_range(lab, id, &range)?;
    let mut pages = 0;
    for page in range {
        if let Access::Violation(v) = lab.write_byte(id, page, value)? {
            return Ok(Done::Written {
                value,
                pages,
                violation: Some(v),
            });
        }
        pages += 1;
    }
    Ok(Done::Written {
        value,
        pages,
        violation: None,
    })
}

/// The core's own range errors, checked for the whole range before an
/// operation made of one-page calls, so that it never stops half-way on a
/// range outside the reservation.
fn check_range(lab: &PageLab, id: ReservationId, range: &Range<usize>) -> Result<(), PageError> {
    let len = lab.get(id)?.pages().len();
    if range.is_empty() {
        Err(PageError::EmptyRange {
            range: range.clone(),
        })
    } else if range.end > len {
        Err(PageError::OutOfRange {
            id,
            range: range.clone(),
            pages: len,
        })
    } else {
        Ok(())
    }
}

/// The worker thread and its two channels. Dropping it closes the command
/// channel (the thread ends, its lab releases every reservation) and then
/// joins the thread.
pub struct Worker {
    commands: Sender<(u64, Command)>,
    replies: Receiver<Reply>,
    sent: u64,
    answered: u64,
    /// Last: dropped after the command channel closed.
    _threads: StoppingThreads,
}

impl Worker {
    /// Starts the thread with `engine` (a fresh one, or the demo's).
    pub fn start(mut engine: Engine, ctx: &egui::Context) -> io::Result<Self> {
        let (commands, inbox) = mpsc::channel::<(u64, Command)>();
        let (outbox, replies) = mpsc::channel();
        let mut threads = StoppingThreads::new();
        let ctx = ctx.clone();
        threads.spawn("page-lab worker", move |stop| {
            // Ends when the form drops its sender.
            while let Ok((mut handled, mut command)) = inbox.recv() {
                let mut reports = Vec::new();
                // Everything already queued runs before one view is built.
                loop {
                    reports.extend(engine.handle(command));
                    match inbox.try_recv() {
                        Ok((n, next)) => (handled, command) = (n, next),
                        Err(TryRecvError::Empty) => break,
                        Err(TryRecvError::Disconnected) => return,
                    }
                }
                if stop.is_raised() {
                    return;
                }
                let reply = Reply {
                    handled,
                    reports,
                    view: engine.view(),
                };
                if outbox.send(reply).is_err() {
                    return;
                }
                ctx.request_repaint();
            }
        })?;
        Ok(Self {
            commands,
            replies,
            sent: 0,
            answered: 0,
            _threads: threads,
        })
    }

    /// Queues a command; false if the worker is gone.
    pub fn send(&mut self, command: Command) -> bool {
        self.sent += 1;
        self.commands.send((self.sent, command)).is_ok()
    }

    /// Commands sent and not answered yet.
    pub fn busy(&self) -> bool {
        self.answered < self.sent
    }

    /// The replies that arrived; None if the worker is gone.
    pub fn replies(&mut self) -> Option<Vec<Reply>> {
        let mut out = Vec::new();
        loop {
            match self.replies.try_recv() {
                Ok(reply) => {
                    self.answered = reply.handled;
                    out.push(reply);
                }
                Err(TryRecvError::Empty) => return Some(out),
                Err(TryRecvError::Disconnected) if out.is_empty() => return None,
                Err(TryRecvError::Disconnected) => return Some(out),
            }
        }
    }
}
