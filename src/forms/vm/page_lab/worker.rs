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
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::time::Duration;

use eframe::egui;

use crate::forms::widgets::StoppingThreads;
use memlab_engine::vm::child::ChildEnd;
use memlab_engine::vm::maps::{Landmarks, Region, Snapshot};
use memlab_engine::vm::pages::{
    Access, AccessViolation, Decommit, Page, PageError, PageLab, PageQuery, Protection,
    ReservationId,
};
use memlab_engine::vm::system::{self, Costs};
use memlab_engine::vm::{Operation, ReadError};

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
    /// Only a new view.
    Refresh,
    /// The live numbers: look again every `every`, and answer with a new
    /// view once it differs from the last one sent (or at once when another
    /// command comes). Until then the worker is not busy and the window is
    /// not redrawn.
    Follow {
        every: Duration,
    },
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
#[derive(Debug, Clone, PartialEq)]
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
#[derive(Debug, Clone, PartialEq)]
pub struct Facts {
    pub query: Result<PageQuery, PageError>,
    pub kernel: Option<Region>,
}

/// Everything the form shows, as of one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct View {
    pub page_size: usize,
    pub reservations: Vec<ReservationView>,
    pub costs: Result<Costs, ReadError>,
    pub facts: Option<Facts>,
    /// The map could not be read, so the charge flags are unknown.
    pub map_error: Option<ReadError>,
}

/// A batch's answer: what each operation did and the view after them.
#[derive(Debug)]
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
            Command::Refresh | Command::Follow { .. } => return None,
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
                        .and_then(|m| m.charged(&self.lab, id).ok())
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

/// How a [`Command::Follow`] ended.
enum Followed {
    /// The view is not the last one sent.
    Changed(Box<View>),
    /// Another command came first.
    Command(u64, Command),
    /// The form is gone.
    Closed,
}

/// Waits for the next command, building a view every `every` meanwhile,
/// until the view differs from `last`.
fn follow(
    inbox: &Receiver<(u64, Command)>,
    engine: &Engine,
    every: Duration,
    last: Option<&View>,
) -> Followed {
    loop {
        match inbox.recv_timeout(every) {
            Ok((n, command)) => return Followed::Command(n, command),
            Err(RecvTimeoutError::Disconnected) => return Followed::Closed,
            Err(RecvTimeoutError::Timeout) => {
                let view = engine.view();
                if last != Some(&view) {
                    return Followed::Changed(Box::new(view));
                }
            }
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

/// The engine's own range errors, checked for the whole range before an
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
    /// The number of the last [`Command::Follow`] sent.
    follow: Option<u64>,
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
            let mut last: Option<View> = None;
            // Ends when the form drops its sender.
            while let Ok((mut handled, mut command)) = inbox.recv() {
                let mut reports = Vec::new();
                let mut changed = None;
                // Everything already queued runs before one view is built.
                loop {
                    if let Command::Follow { every } = command {
                        match follow(&inbox, &engine, every, last.as_ref()) {
                            Followed::Changed(view) => {
                                changed = Some(view);
                                break;
                            }
                            Followed::Command(n, next) => (handled, command) = (n, next),
                            Followed::Closed => return,
                        }
                        continue;
                    }
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
                let view = changed.map_or_else(|| engine.view(), |v| *v);
                last = Some(view.clone());
                let reply = Reply {
                    handled,
                    reports,
                    view,
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
            follow: None,
            _threads: threads,
        })
    }

    /// Queues a command; false if the worker is gone.
    pub fn send(&mut self, command: Command) -> bool {
        self.sent += 1;
        if matches!(command, Command::Follow { .. }) {
            self.follow = Some(self.sent);
        }
        self.commands.send((self.sent, command)).is_ok()
    }

    /// Is a [`Command::Follow`] waiting for a change?
    pub fn following(&self) -> bool {
        self.follow.is_some_and(|n| self.answered < n)
    }

    /// Commands sent and not answered yet, a waiting
    /// [`Command::Follow`] aside.
    pub fn busy(&self) -> bool {
        let waiting = if self.following() { 1 } else { 0 };
        self.answered + waiting < self.sent
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

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    /// The next reply, waiting up to `within`.
    fn reply(worker: &mut Worker, within: Duration) -> Option<Reply> {
        let start = Instant::now();
        while start.elapsed() < within {
            let mut replies = worker.replies().expect("the worker is alive");
            if let Some(last) = replies.pop() {
                return Some(last);
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        None
    }

    #[test]
    fn a_follow_answers_once_the_view_changes_and_is_not_busy_meanwhile() {
        let mut worker = Worker::start(Engine::default(), &egui::Context::default()).unwrap();
        assert!(worker.send(Command::Reserve { pages: 4 }));
        let reserved = reply(&mut worker, Duration::from_secs(5)).expect("reserved");
        let Some(Report {
            result: Ok(Done::Reserved { id, base }),
            ..
        }) = reserved.reports.first().cloned()
        else {
            panic!("{:?}", reserved.reports);
        };
        assert!(worker.send(Command::Range {
            id,
            pages: 0..1,
            op: RangeOp::Commit,
        }));
        let committed = reply(&mut worker, Duration::from_secs(5)).expect("committed");
        assert!(!committed.view.reservations[0].resident[0]);

        assert!(worker.send(Command::Follow {
            every: Duration::from_millis(20)
        }));
        assert!(worker.following());
        assert!(!worker.busy(), "a follow waiting for a change is not work");
        // Touch the committed page from here, behind the worker's back: only
        // a view the worker builds on its own can show it in RAM. (Other
        // tests of this process move the RSS meanwhile, which is a change
        // too: follow again until the page shows.)
        // SAFETY: page 0 is committed read-write, and nothing else uses it.
        unsafe { (base as *mut u8).write_volatile(1) };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let next = reply(&mut worker, Duration::from_secs(5)).expect("a changed view");
            assert!(next.reports.is_empty(), "{:?}", next.reports);
            assert!(!worker.following() && !worker.busy());
            if next.view.reservations[0].resident[0] {
                break;
            }
            assert!(Instant::now() < deadline, "the page never showed");
            assert!(worker.send(Command::Follow {
                every: Duration::from_millis(20)
            }));
        }
    }

    #[test]
    fn a_command_during_a_follow_is_answered_at_once() {
        let mut worker = Worker::start(Engine::default(), &egui::Context::default()).unwrap();
        assert!(worker.send(Command::Follow {
            every: Duration::from_secs(3600)
        }));
        assert!(worker.send(Command::Reserve { pages: 4 }));
        assert!(worker.busy());
        let answer = reply(&mut worker, Duration::from_secs(5)).expect("an answer");
        assert_eq!(answer.handled, 2);
        assert!(matches!(
            answer.reports[..],
            [Report {
                result: Ok(Done::Reserved { .. }),
                ..
            }]
        ));
        assert_eq!(answer.view.reservations.len(), 1);
        assert!(!worker.following() && !worker.busy());
    }
}
