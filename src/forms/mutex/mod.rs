//! The book's mutex (§9, `LockMap` / `UnlockMap`) three ways, as a lab of
//! its own: pick the lock, take it, release it, have a child process take
//! it and die (SIGKILL, TerminateProcess: "Crash while holding"), and watch what every
//! window then gets: acquired (told "the previous owner died" where the
//! lock can tell), timed out, or stuck until reset.
//!
//! A lab of its own rather than a panel of the file-mapping lab: the lesson
//! runs with several windows side by side, and each window then shows just
//! the lock, the buttons and the results, without scrolling past the views
//! of a mapping; it guards its own small mapping, not the lab's file.
//!
//! Every wait runs off the UI thread (`handle`), so a stuck lock shows as
//! stuck, with Reset, and never freezes the window.

mod handle;
// The help names the calls as made: Linux's say what each became there.
#[cfg(not(windows))]
pub(crate) mod help;
#[cfg(windows)]
#[path = "help_windows.rs"]
pub(crate) mod help;
mod messages;
// What this OS's locks do, in the form's own sentences.
#[cfg_attr(not(windows), path = "words_linux.rs")]
#[cfg_attr(windows, path = "words_windows.rs")]
mod words;

use std::collections::VecDeque;
use std::path::PathBuf;
use std::time::Duration;

use eframe::egui;
use serde::{Deserialize, Serialize};

use crate::forms::Lab;
use crate::forms::widgets::{
    InputNote, Job, Level, NumberInput, Poll, Status, show_line, show_note, status_log, text_field,
};
use crate::lab_id::LabId;
use handle::{Action, Handle, Looked};
use memlab_engine::i18n::{Lang, Localized, Tr};
use memlab_engine::mutex::{
    AMOUNT, AcquireResult, BOOK_TIMEOUT, DEFAULT_NAME, Look, MutexKind, MutexState, TOTAL,
};
pub use messages::MutexNote;

/// Log lines kept.
const LOG_LINES: usize = 50;
/// Lines of the log in sight.
const LOG_ROWS: f32 = 6.0;
/// Longest wait the form accepts, in milliseconds (ten times the book's).
const MAX_TIMEOUT_MS: u32 = 10_000;

/// The wait field's rule, for its note when a typed value is not taken.
struct TimeoutRule;

impl Localized for TimeoutRule {
    fn localized(&self, lang: Lang) -> String {
        match lang {
            Lang::En => format!("the wait is 0 to {MAX_TIMEOUT_MS} ms"),
            Lang::Ko => format!("제한 시간은 0~{MAX_TIMEOUT_MS} ms입니다"),
        }
    }
}

/// The lock kinds, as the form remembers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum KindChoice {
    #[default]
    File,
    RawSync,
    Robust,
}

impl From<KindChoice> for MutexKind {
    fn from(kind: KindChoice) -> Self {
        match kind {
            KindChoice::File => Self::FileLock,
            KindChoice::RawSync => Self::RawSync,
            KindChoice::Robust => Self::Robust,
        }
    }
}

/// What a finished job hands back: the lock it opened (if it had to), the
/// log lines, and the lock's state right after (so the state line does not
/// wait for the watcher's next look).
struct Done {
    opened: Option<Handle>,
    notes: Vec<MutexNote>,
    state: Option<Looked>,
}

/// The mutex lab.
#[derive(Serialize, Deserialize)]
#[serde(default)]
pub struct MutexLab {
    pub kind: KindChoice,
    /// The lock's name (the book's `MutexName`).
    pub name: String,
    /// `LockMap`'s wait (the book's REQUEST_TIMEOUT).
    pub timeout_ms: u32,
    /// memlab's program, for "Crash while holding" (None: this program).
    #[serde(skip)]
    program: Option<PathBuf>,
    #[serde(skip)]
    lock: Option<Handle>,
    #[serde(skip)]
    job: Option<(Action, Job<Done>)>,
    #[serde(skip)]
    queue: VecDeque<Action>,
    #[serde(skip)]
    log: VecDeque<Status>,
    /// The last wait's result, for the stuck notice.
    #[serde(skip)]
    last: Option<AcquireResult>,
    /// The name as typed; it becomes `name` on Enter or with the next action.
    #[serde(skip)]
    name_field: String,
    /// Why the typed wait was not taken as typed.
    #[serde(skip)]
    timeout_note: Option<InputNote>,
    /// The lock that could not be opened (not tried again by itself).
    #[serde(skip)]
    failed: Option<(KindChoice, String)>,
}

impl Default for MutexLab {
    fn default() -> Self {
        Self {
            kind: KindChoice::File,
            name: DEFAULT_NAME.into(),
            timeout_ms: BOOK_TIMEOUT.as_millis() as u32,
            program: None,
            lock: None,
            job: None,
            queue: VecDeque::new(),
            log: VecDeque::new(),
            last: None,
            name_field: String::new(),
            timeout_note: None,
            failed: None,
        }
    }
}

impl MutexLab {
    /// A lab on the lock `name`, crashing holders with `program` (tests
    /// give each its own name and memlab's binary).
    pub fn with_name(name: &str, program: Option<PathBuf>) -> Self {
        Self {
            name: name.into(),
            program,
            ..Self::default()
        }
    }

    fn push_log(&mut self, note: MutexNote) {
        let status = if note.is_error() {
            Status::error(note)
        } else if matches!(
            note,
            MutexNote::Acquire(r) if !r.result.acquired()
        ) {
            Status::warn(note)
        } else {
            Status::info(note)
        };
        if self.log.len() == LOG_LINES {
            self.log.pop_front();
        }
        self.log.push_back(status);
    }

    /// The lock the buttons act on, if it is the one chosen now.
    fn current(&self) -> Option<&Handle> {
        self.lock
            .as_ref()
            .filter(|h| h.kind == self.kind.into() && h.name == self.name)
    }

    /// Starts the next queued action, opening the chosen lock first if the
    /// one open is another; with nothing queued, opens the chosen lock to
    /// show who holds it.
    fn start_next(&mut self, ctx: &egui::Context) {
        if self.job.is_some() {
            return;
        }
        let chosen = (self.kind, self.name.clone());
        if self.queue.is_empty()
            && self.current().is_none()
            && self.failed.as_ref() != Some(&chosen)
        {
            self.queue.push_back(Action::Open);
        }
        let Some(action) = self.queue.pop_front() else {
            return;
        };
        let mutex = self.current().map(|h| h.mutex.clone());
        if mutex.is_none()
            && let Some(old) = self.lock.take()
        {
            old.close();
        }
        let (kind, name, program) = (self.kind.into(), self.name.clone(), self.program.clone());
        let repaint = ctx.clone();
        let job = Job::start("mutex action", ctx, move |_| {
            let (mutex, opened) = match mutex {
                Some(mutex) => (mutex, None),
                None => match Handle::open(&name, kind, &repaint) {
                    Ok(handle) => (handle.mutex.clone(), Some(handle)),
                    Err(e) => {
                        return Done {
                            opened: None,
                            notes: vec![MutexNote::Failed(e)],
                            state: None,
                        };
                    }
                },
            };
            let notes = handle::run(action, &mutex, program);
            let state = Some(handle::look(&mutex));
            Done {
                opened,
                notes,
                state,
            }
        });
        match job {
            Ok(job) => self.job = Some((action, job)),
            Err(_) => self.push_log(MutexNote::Lost),
        }
    }

    fn poll(&mut self, ctx: &egui::Context) {
        let polled = self.job.as_ref().map(|(_, job)| job.poll());
        match polled {
            None | Some(Poll::Running) => {}
            Some(Poll::Done(done)) => {
                self.job = None;
                if let Some(handle) = done.opened {
                    let opened = MutexNote::Opened {
                        kind: handle.kind,
                        name: handle.name.clone(),
                    };
                    if let Some(old) = self.lock.replace(handle) {
                        old.close();
                    }
                    self.push_log(opened);
                }
                if let (Some(lock), Some(state)) = (&self.lock, done.state) {
                    lock.show(state);
                }
                for note in done.notes {
                    match &note {
                        MutexNote::Acquire(report) => self.last = Some(report.result),
                        MutexNote::Reset(_) => self.last = None,
                        MutexNote::Failed(_) if self.current().is_none() => {
                            self.failed = Some((self.kind, self.name.clone()));
                        }
                        _ => {}
                    }
                    self.push_log(note);
                }
            }
            Some(Poll::Lost) => {
                self.job = None;
                self.push_log(MutexNote::Lost);
            }
        }
        self.start_next(ctx);
    }

    fn controls(&mut self, ui: &mut egui::Ui, lang: Lang) {
        let before = self.kind;
        ui.horizontal_wrapped(|ui| {
            ui.label(lang.pick("Lock", "잠금"));
            for choice in [KindChoice::File, KindChoice::RawSync, KindChoice::Robust] {
                let kind = MutexKind::from(choice);
                ui.radio_value(&mut self.kind, choice, kind.localized(lang));
            }
        });
        if self.kind != before {
            self.last = None;
        }
        ui.horizontal_wrapped(|ui| {
            let field = text_field(ui, lang.pick("Name", "이름"), &mut self.name_field, 160.0);
            if field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                self.name = self.name_field.clone();
            }
            ui.add(NumberInput::new(
                lang.pick("Timeout (ms)", "제한 시간 (ms)"),
                &mut self.timeout_ms,
                0..=MAX_TIMEOUT_MS,
                &mut self.timeout_note,
            ));
        });
        show_note(ui, lang, self.timeout_note.as_ref(), &TimeoutRule);
        ui.horizontal_wrapped(|ui| {
            let timeout = Duration::from_millis(u64::from(self.timeout_ms));
            let buttons = [
                (
                    Action::Take(timeout),
                    lang.pick("Take (LockMap)", "잡기 (LockMap)"),
                    lang.pick(
                        "CreateMutex + WaitForSingleObject: wait up to the timeout, then move 100 between the accounts while holding it",
                        "CreateMutex + WaitForSingleObject: 제한 시간까지 기다린 뒤, 잡은 채로 계좌 사이에서 100을 옮깁니다",
                    ),
                ),
                (
                    Action::Release,
                    lang.pick("Release (UnlockMap)", "놓기 (UnlockMap)"),
                    lang.pick("ReleaseMutex", "ReleaseMutex"),
                ),
                (
                    Action::Crash,
                    lang.pick("Crash while holding", "잡은 채 죽기"),
                    words::CRASH_TIP.get(lang),
                ),
                (
                    Action::Reset,
                    lang.pick("Reset", "초기화"),
                    words::RESET_TIP.get(lang),
                ),
            ];
            for (action, text, hover) in buttons {
                if ui.button(text).on_hover_text(hover).clicked() {
                    self.name = self.name_field.clone();
                    self.failed = None;
                    self.queue.push_back(action);
                    ui.ctx().request_repaint();
                }
            }
        });
    }

    /// Who holds the lock now and the data it guards, and what the chosen
    /// kind does when its holder dies (or, when it is stuck, that only Reset
    /// frees it).
    fn state_lines(&self, ui: &mut egui::Ui, lang: Lang) {
        let state = self.current().and_then(Handle::state);
        let (level, text) = match &state {
            None => (
                Level::Info,
                lang.pick(
                    "not opened yet: press a button",
                    "아직 열지 않음: 버튼을 누르세요",
                )
                .to_owned(),
            ),
            Some(Ok(look)) => {
                let level = match look.state {
                    MutexState::Stuck { .. }
                    | MutexState::Abandoned { .. }
                    | MutexState::NotRecoverable => Level::Warn,
                    MutexState::Corrupt { .. } => Level::Error,
                    _ => Level::Info,
                };
                (level, look.state.localized(lang))
            }
            Some(Err(e)) => (Level::Error, e.localized(lang)),
        };
        show_line(
            ui,
            level,
            format!("{} {text}", lang.pick("State:", "상태:")),
        );
        if let Some(Ok(look)) = &state {
            // Half-written with nobody writing it: the dead holder's harm.
            let harmed = look.data.is_some_and(|d| {
                d.half_written()
                    && !(d.step != 0
                        && matches!(look.state, MutexState::HeldHere | MutexState::Held { .. }))
            });
            show_line(
                ui,
                if harmed { Level::Warn } else { Level::Info },
                format!(
                    "{} {}",
                    lang.pick("Guarded data:", "지키는 데이터:"),
                    look.localized(lang)
                ),
            );
        }
        let stuck = matches!(
            state,
            Some(Ok(Look {
                state: MutexState::Stuck { .. },
                ..
            }))
        ) || matches!(self.last, Some(AcquireResult::Stuck { .. }));
        if stuck {
            show_line(
                ui,
                Level::Warn,
                lang.pick(
                    "Stuck: its holder died and this lock cannot tell anyone. Every wait times out until Reset.",
                    "멈춤: 잡고 있던 프로세스가 죽었는데 이 잠금은 아무에게도 알리지 못합니다. 초기화할 때까지 모든 대기가 시간 초과됩니다.",
                ),
            );
        } else {
            ui.weak(words::what_happens(self.kind.into(), lang));
        }
    }

    /// The action running (with the milliseconds waited), or "ready".
    fn working_line(&self, ui: &mut egui::Ui, lang: Lang) {
        ui.horizontal(|ui| match &self.job {
            Some((action, job)) => {
                ui.spinner();
                let what = match action {
                    Action::Open => lang.pick("CreateMutex: opening", "CreateMutex: 여는 중"),
                    Action::Take(_) => lang.pick(
                        "WaitForSingleObject: waiting",
                        "WaitForSingleObject: 기다리는 중",
                    ),
                    Action::Release => {
                        lang.pick("ReleaseMutex: releasing", "ReleaseMutex: 놓는 중")
                    }
                    Action::Crash => lang.pick(
                        "crash while holding: waiting for the child",
                        "잡은 채 죽기: 자식 프로세스를 기다리는 중",
                    ),
                    Action::Reset => lang.pick("resetting", "초기화하는 중"),
                };
                ui.label(format!("{what}, {} ms", job.elapsed().as_millis()));
            }
            None => {
                ui.weak(lang.pick("Ready", "준비됨"));
            }
        });
    }

    fn log_ui(&self, ui: &mut egui::Ui, lang: Lang) {
        let empty = Tr::new(
            "What each wait gets appears here.",
            "대기할 때마다 얻은 결과가 여기에 나옵니다.",
        );
        status_log(ui, lang, "mutex-log", LOG_ROWS, self.log.iter(), empty);
    }
}

impl Lab for MutexLab {
    fn id(&self) -> LabId {
        LabId::Mutex
    }

    fn title(&self, lang: Lang) -> &'static str {
        lang.pick("Book mutex (§9 LockMap)", "책의 뮤텍스 (§9 LockMap)")
    }

    fn ui(&mut self, ui: &mut egui::Ui, lang: Lang) {
        if self.name_field.is_empty() {
            self.name_field = self.name.clone();
        }
        self.poll(ui.ctx());
        ui.heading(lang.pick(
            "The book's mutex: LockMap / UnlockMap",
            "책의 뮤텍스: LockMap / UnlockMap",
        ));
        ui.label(words::INTRO.get(lang));
        ui.label(match lang {
            Lang::En => format!(
                "What the lock guards: two accounts, A and B, holding {TOTAL} between them. Whoever takes the lock moves {AMOUNT} from one to the other in two steps (take from one, then give to the other). The crashing child dies between the steps: the total it leaves is short, and that is what WAIT_ABANDONED warns the next holder about."
            ),
            Lang::Ko => format!(
                "잠금이 지키는 데이터: A계좌와 B계좌에 합쳐서 {TOTAL}이 있습니다. 잠금을 잡은 쪽은 한 계좌에서 다른 계좌로 {AMOUNT}을 두 단계로 옮깁니다 (한쪽에서 빼고, 다른 쪽에 더하기). 죽는 자식 프로세스는 두 단계 사이에서 죽어 합계가 모자라게 남습니다. WAIT_ABANDONED가 다음 소유자에게 경고하는 것이 바로 이것입니다."
            ),
        });
        ui.add_space(4.0);
        self.controls(ui, lang);
        ui.add_space(4.0);
        self.state_lines(ui, lang);
        self.working_line(ui, lang);
        self.log_ui(ui, lang);
        ui.add_space(4.0);
        ui.strong(lang.pick("When the holder is killed", "잡은 프로세스가 죽으면"));
        for kind in MutexKind::ALL {
            ui.horizontal_wrapped(|ui| {
                ui.label(egui::RichText::new(kind.localized(lang)).strong());
                ui.label(words::what_happens(kind, lang));
            });
        }
    }

    fn settled(&self) -> bool {
        self.job.is_none() && self.queue.is_empty()
    }

    /// The robust mutex: a child crashes holding it, this window takes it
    /// (told the owner died) and releases it.
    fn demo(&mut self) {
        self.kind = KindChoice::Robust;
        self.queue
            .extend([Action::Crash, Action::Take(BOOK_TIMEOUT), Action::Release]);
    }

    /// Releases the lock if this window holds it; a wait still running is
    /// left to end on its own thread, so closing never waits for it.
    fn shutdown(&mut self) {
        self.queue.clear();
        if let Some(lock) = self.lock.take() {
            if self.job.is_some() {
                lock.close();
            } else {
                drop(lock);
            }
        }
    }
}
