//! The ShareMem lab (the chapter's §6): memlab and a library it loads at
//! run time exchange a string, with one shared memory manager or each with
//! its own; each step is listed with both sides' AllocMemCount after it,
//! and, without ShareMem, what happened to the child process that freed
//! the library's string with the program's manager.
//!
//! The work is `memlab_engine::sharemem`'s. An exchange loads a library and
//! may wait for a child process, so it runs on a thread of its own
//! ([`Job`]); the window keeps drawing meanwhile.

mod colors;
pub(crate) mod help;

use std::path::PathBuf;

use eframe::egui::{self, RichText};

use crate::forms::Lab;
use crate::forms::widgets::code;
use crate::forms::widgets::job::{Job, Poll};
use crate::forms::widgets::status::{Level, show_line};
use crate::lab_id::LabId;
use memlab_engine::i18n::{Lang, Localized};
use memlab_engine::sharemem::{self, Exchange, Mode, ShareMemError};

/// What an exchange gave.
type Outcome = Result<Exchange, ShareMemError>;

/// The ShareMem lab.
#[derive(Default)]
pub struct ShareMemLab {
    /// The memlab executable the child runs (see [`memlab_exe`]).
    memlab_exe: Option<PathBuf>,
    /// The last exchange with the shared manager.
    shared: Option<Outcome>,
    /// The last exchange with separate managers.
    separate: Option<Outcome>,
    /// The modes run, the latest first (it is shown first).
    order: Vec<Mode>,
    /// The exchange running now.
    job: Option<(Mode, Job<Outcome>)>,
}

/// The memlab executable: the running program if it is memlab, else (a
/// test binary in `target/<profile>/deps/`) the memlab one folder up, as
/// cargo builds it.
pub fn memlab_exe() -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("memlab"));
    let memlab = format!("memlab{}", std::env::consts::EXE_SUFFIX);
    if exe.file_name().is_some_and(|n| n == memlab.as_str()) {
        return exe;
    }
    match exe.parent().and_then(|deps| deps.parent()) {
        Some(dir) if dir.join(&memlab).is_file() => dir.join(memlab),
        _ => exe,
    }
}

impl ShareMemLab {
    /// A lab whose child process is `exe` (memlab's executable).
    pub fn with_memlab_exe(exe: impl Into<PathBuf>) -> Self {
        Self {
            memlab_exe: Some(exe.into()),
            ..Self::default()
        }
    }

    fn exe(&self) -> PathBuf {
        self.memlab_exe.clone().unwrap_or_else(memlab_exe)
    }

    /// The last exchange in `mode`, if one ran.
    pub fn last(&self, mode: Mode) -> Option<&Outcome> {
        match mode {
            Mode::Shared => self.shared.as_ref(),
            Mode::Separate => self.separate.as_ref(),
        }
    }

    /// True while an exchange runs.
    pub fn running(&self) -> bool {
        self.job.is_some()
    }

    /// Runs an exchange now, on this thread (the demo).
    pub fn run_now(&mut self, mode: Mode) {
        let outcome = sharemem::run(mode, &self.exe());
        self.keep(mode, outcome);
    }

    fn keep(&mut self, mode: Mode, outcome: Outcome) {
        self.order.retain(|&m| m != mode);
        self.order.insert(0, mode);
        match mode {
            Mode::Shared => self.shared = Some(outcome),
            Mode::Separate => self.separate = Some(outcome),
        }
    }

    fn start(&mut self, ctx: &egui::Context, mode: Mode) {
        let exe = self.exe();
        match Job::start("sharemem", ctx, move |_| sharemem::run(mode, &exe)) {
            Ok(job) => self.job = Some((mode, job)),
            Err(e) => self.keep(
                mode,
                Err(ShareMemError::Child {
                    exe: PathBuf::from("(thread)"),
                    message: e.to_string(),
                }),
            ),
        }
    }

    fn poll(&mut self) {
        let Some((mode, job)) = &self.job else {
            return;
        };
        let mode = *mode;
        match job.poll() {
            Poll::Running => {}
            Poll::Done(outcome) => {
                self.job = None;
                self.keep(mode, outcome);
            }
            Poll::Lost => {
                self.job = None;
                self.keep(
                    mode,
                    Err(ShareMemError::Child {
                        exe: PathBuf::from("(thread)"),
                        message: "the exchange's thread panicked".into(),
                    }),
                );
            }
        }
    }

    fn buttons_ui(&mut self, ui: &mut egui::Ui, lang: Lang) {
        let idle = self.job.is_none();
        let mut start = None;
        ui.horizontal_wrapped(|ui| {
            for (mode, label, hint) in [
                (
                    Mode::Shared,
                    lang.pick("With ShareMem", "ShareMem 사용"),
                    lang.pick(
                        "The library is handed memlab's manager first; memlab frees its string.",
                        "라이브러리에 memlab의 관리자를 먼저 넘깁니다. memlab이 그 문자열을 해제합니다.",
                    ),
                ),
                (
                    Mode::Separate,
                    lang.pick("Without ShareMem", "ShareMem 없음"),
                    lang.pick(
                        "The library keeps its own manager; memlab's FreeMem gets a foreign block.",
                        "라이브러리가 자기 관리자를 씁니다. memlab의 FreeMem이 남의 블록을 받습니다.",
                    ),
                ),
            ] {
                if ui
                    .add_enabled(idle, egui::Button::new(label))
                    .on_hover_text(hint)
                    .clicked()
                {
                    start = Some(mode);
                }
            }
            if !idle {
                ui.spinner();
                ui.label(lang.pick("running…", "실행 중…"));
            }
        });
        if let Some(mode) = start {
            self.start(ui.ctx(), mode);
        }
    }

    fn outcome_ui(ui: &mut egui::Ui, lang: Lang, mode: Mode, outcome: &Outcome) {
        ui.label(RichText::new(mode.localized(lang)).strong());
        let e = match outcome {
            Err(e) => {
                ui.add(
                    egui::Label::new(
                        RichText::new(e.localized(lang)).color(Level::Error.color(ui)),
                    )
                    .wrap(),
                );
                return;
            }
            Ok(e) => e,
        };
        let range = |start: usize, len: usize| format!("{start:#x}..{:#x}", start + len);
        let mut ranges = format!(
            "{} {}",
            lang.pick("Library's own arena:", "라이브러리 자신의 아레나:"),
            range(e.library_arena.start, e.library_arena.len)
        );
        if let Some(heap) = e.program_heap {
            ranges += &format!(
                " · {} {}",
                lang.pick(
                    "program's manager (memlab's private heap):",
                    "프로그램의 관리자 (memlab 전용 힙):"
                ),
                range(heap.start, heap.len)
            );
        }
        ui.add(egui::Label::new(RichText::new(ranges).weak()).wrap());
        for (i, s) in e.steps.iter().enumerate() {
            let level = match &s.step {
                sharemem::Step::ProgramRefused { .. } | sharemem::Step::LibraryRefused { .. } => {
                    Level::Warn
                }
                sharemem::Step::ChildFreed { report } if report.crashed() => Level::Error,
                _ => Level::Info,
            };
            ui.add(
                egui::Label::new(
                    RichText::new(format!("{}. {}", i + 1, s.step.localized(lang)))
                        .color(level.color(ui)),
                )
                .wrap(),
            );
            ui.horizontal_wrapped(|ui| {
                ui.label("    AllocMemCount:");
                ui.label(
                    code(format!(
                        "{} {}",
                        lang.pick("library", "라이브러리"),
                        s.counts.library
                    ))
                    .color(colors::LIBRARY),
                );
                ui.label(
                    code(format!(
                        "{} {}",
                        lang.pick("program", "프로그램"),
                        s.counts.program
                    ))
                    .color(colors::PROGRAM),
                );
                ui.weak(format!(
                    "({} {})",
                    lang.pick("library's own arena", "라이브러리 자신의 아레나"),
                    s.counts.library_own
                ));
            });
        }
        if let Some(child) = e.child()
            && !child.stderr.is_empty()
        {
            ui.label(lang.pick("The child's stderr:", "자식 프로세스의 stderr:"));
            ui.add(egui::Label::new(RichText::new(&child.stderr).monospace()).wrap());
        }
    }
}

impl Lab for ShareMemLab {
    fn id(&self) -> LabId {
        LabId::Sharemem
    }

    fn title(&self, lang: Lang) -> &'static str {
        lang.pick("ShareMem (a DLL's manager)", "ShareMem (DLL의 관리자)")
    }

    fn ui(&mut self, ui: &mut egui::Ui, lang: Lang) {
        self.poll();
        ui.heading(lang.pick(
            "ShareMem: a library with a memory manager of its own",
            "ShareMem: 자기 메모리 관리자를 가진 라이브러리",
        ));
        ui.add(
            egui::Label::new(lang.pick(
                "memlab loads its ShareMem library at run time, as a Delphi program loads a DLL. The library makes a string and memlab frees it, then the other way round: with ShareMem both use memlab's manager; without it each string is a block of one side's manager, which the other side's must not free.",
                "memlab은 델파이 프로그램이 DLL을 불러오듯 실행 중에 자기 ShareMem 라이브러리를 불러옵니다. 라이브러리가 문자열을 만들고 memlab이 해제한 다음, 반대로도 합니다. ShareMem을 쓰면 둘 다 memlab의 관리자를 쓰고, 쓰지 않으면 각 문자열은 한쪽 관리자의 블록이어서 다른 쪽 관리자가 해제하면 안 됩니다.",
            ))
            .wrap(),
        );
        ui.add_space(4.0);
        self.buttons_ui(ui, lang);
        if self.shared.is_none() && self.separate.is_none() && self.job.is_none() {
            match sharemem::locate(&self.exe()) {
                Ok(path) => {
                    ui.add(
                        egui::Label::new(
                            RichText::new(format!(
                                "{} {}",
                                lang.pick("Library:", "라이브러리:"),
                                path.display()
                            ))
                            .weak(),
                        )
                        .wrap(),
                    );
                }
                Err(e) => {
                    show_line(ui, Level::Error, e.localized(lang));
                }
            }
        }
        for mode in self.order.clone() {
            let outcome = match mode {
                Mode::Shared => self.shared.as_ref(),
                Mode::Separate => self.separate.as_ref(),
            };
            if let Some(outcome) = outcome {
                ui.separator();
                Self::outcome_ui(ui, lang, mode, outcome);
            }
        }
    }

    fn settled(&self) -> bool {
        self.job.is_none()
    }

    /// Both exchanges, as a class would run them.
    fn demo(&mut self) {
        self.run_now(Mode::Shared);
        self.run_now(Mode::Separate);
    }

    fn shutdown(&mut self) {
        drop(self.job.take());
    }
}
