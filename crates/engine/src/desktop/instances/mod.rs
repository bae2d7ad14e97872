//! This account's memlab windows: each one's number, their PIDs and
//! displays, the requests to arrange them, which every window sees and
//! carries out itself (no window can move another process's window), each
//! window's answer to a request, and word that the shared settings changed.
//!
//! Built on the roster of `slots`: the windows attach to one object,
//! `/dev/shm/memlab-windows.<uid>` on Linux, whose slot locks say which
//! windows are open whatever their environment, and whose slot index is the
//! window's number. The object's bytes are a small table, read and written
//! with `pread`/`pwrite` (never mapped, so a truncated object cannot raise
//! SIGBUS). On Windows the same table is a named mapping,
//! `Local\memlab-windows`, with one named mutex per slot (`windows`):
//!
//! | bytes | what |
//! |---|---|
//! | 0..8 | `MLWIN001` |
//! | 8..16 | arrange request: generation (u64 LE), raised by each request |
//! | 16..24 | arrange request: the slots to arrange (bit i = slot i) |
//! | 24..40 | arrange request: the work area (x, y i32; width, height u32; width 0: none) |
//! | 40..48 | settings generation (u64 LE), raised when a window changed the shared settings |
//! | 64 + 64 i .. +4 | slot i: the window's PID (u32 LE) |
//! | +4 | slot i: its display's name length (bits 0-5), not arranged (bit 6: a screenshot), Wayland (bit 7) |
//! | +5 .. +52 | slot i: its display's name (`DISPLAY` or `WAYLAND_DISPLAY`) |
//! | +52 .. +60 | slot i: the generation of the last request it answered (u64 LE) |
//! | +60 | slot i: its answer (1 in its tile, 2 not moved, 3 the window manager lets no window choose its place) |
//!
//! A request is written under the roster's gate, with the slots held at
//! that moment on the requester's X display (windows on another X server or
//! on native Wayland are not on this screen, or cannot be placed), so every
//! window of it computes its tile from the same list. Nothing in the table
//! is believed blindly: a window rewrites its own entry (and the magic)
//! whenever they differ from what it wrote, so a truncated or scribbled
//! table is rebuilt within a poll, and a window clamps a requested area to
//! a monitor of its screen (`app::placement`).

use std::path::PathBuf;

use super::placement::Rect;
use crate::error::{ErrorKind, HasKind};
use crate::os::shm_object::ObjectError;

// The roster and its table: the bytes and what requests mean are one
// (`layout`); Linux keeps them in the shared object above, Windows in a
// named mapping `Local\memlab-windows` with one named mutex per slot.
#[cfg(any(target_os = "linux", windows))]
mod layout;
#[cfg(target_os = "linux")]
mod table;
#[cfg(windows)]
mod windows;

#[cfg(any(target_os = "linux", windows))]
pub use layout::TABLE_SIZE;
#[cfg(target_os = "linux")]
pub use table::{
    TableWatcher, WindowInstance, announce_settings, open_windows, request_arrange, wait_arranged,
};
#[cfg(windows)]
pub use windows::{
    TableWatcher, WindowInstance, announce_settings, open_windows, request_arrange, wait_arranged,
};

/// The display name of a window on Windows: the session's desktop (the
/// roster is the session's, so every window on it shares that desktop).
const WINDOWS_DESKTOP: &str = "Windows desktop";

/// Longest display name kept (longer ones are cut; they still compare).
const DISPLAY_MAX: usize = 47;

/// Why the windows' table could not be used.
#[derive(Debug, thiserror::Error)]
pub enum InstancesError {
    /// `memlab arrange` with no window open.
    #[error("no memlab window of this account is open")]
    NoWindows,
    /// Every window of this desktop runs on native Wayland.
    #[error(
        "the {windows} memlab window(s) of this desktop run on native Wayland, where a window cannot choose its place (started without --wayland they run on X11 and can be arranged)"
    )]
    OnlyWayland { windows: usize },
    #[error(transparent)]
    Object(#[from] ObjectError),
    #[error("reading {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("writing {}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl HasKind for InstancesError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::NoWindows => ErrorKind::Unavailable,
            // Native Wayland windows cannot choose their place.
            Self::OnlyWayland { .. } => ErrorKind::Unsupported,
            Self::Object(e) => e.kind(),
            Self::Read { .. } | Self::Write { .. } => ErrorKind::Os,
        }
    }
}

/// The window system a window runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An X server, XWayland included: windows choose their places.
    X11,
    /// A Wayland compositor, natively: the compositor places windows.
    Wayland,
    /// The Windows desktop of this session: windows choose their places.
    Win32,
}

/// The display a window shows on: its window system and that system's
/// name for it (`DISPLAY` for X11, `WAYLAND_DISPLAY` for Wayland).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowDisplay {
    pub backend: Backend,
    pub name: String,
}

impl WindowDisplay {
    pub fn x11(name: impl Into<String>) -> Self {
        Self {
            backend: Backend::X11,
            name: name.into(),
        }
    }

    pub fn wayland(name: impl Into<String>) -> Self {
        Self {
            backend: Backend::Wayland,
            name: name.into(),
        }
    }

    /// Where a memlab window of this environment goes: X11 wherever there
    /// is an X server (`DISPLAY`), XWayland included, so that windows can
    /// be tiled and put back where they were; native Wayland when asked
    /// for (`native_wayland`) and available, or when there is no X server.
    /// `None` without either.
    pub fn for_window(native_wayland: bool) -> Option<Self> {
        if cfg!(windows) {
            // One desktop per session, as the roster (`Local\`) is.
            return Some(Self {
                backend: Backend::Win32,
                name: WINDOWS_DESKTOP.into(),
            });
        }
        let desktop = Desktop::from_env();
        match (desktop.x11, desktop.wayland) {
            (_, Some(wayland)) if native_wayland => Some(Self::wayland(wayland)),
            (Some(x11), _) => Some(Self::x11(x11)),
            (None, Some(wayland)) => Some(Self::wayland(wayland)),
            (None, None) => None,
        }
    }

    /// The name as stored: cut to [`DISPLAY_MAX`] bytes.
    fn stored_name(&self) -> &[u8] {
        &self.name.as_bytes()[..self.name.len().min(DISPLAY_MAX)]
    }

    /// True if `other` names the same display (compared as stored).
    fn same(&self, other: &WindowDisplay) -> bool {
        self.backend == other.backend && self.stored_name() == other.stored_name()
    }
}

/// The displays of the desktop this process runs in (its environment's
/// `DISPLAY` and `WAYLAND_DISPLAY`): the windows `arrange` concerns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Desktop {
    pub x11: Option<String>,
    pub wayland: Option<String>,
}

impl Desktop {
    pub fn from_env() -> Self {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        Self {
            x11: var("DISPLAY"),
            wayland: var("WAYLAND_DISPLAY"),
        }
    }

    /// True if `display` is one of this desktop's.
    pub fn shows(&self, display: &WindowDisplay) -> bool {
        let name = match display.backend {
            Backend::X11 => &self.x11,
            Backend::Wayland => &self.wayland,
            // The session's one desktop, wherever the roster is the session's.
            Backend::Win32 => return cfg!(windows),
        };
        name.as_ref().is_some_and(|n| {
            display.same(&WindowDisplay {
                backend: display.backend,
                name: n.clone(),
            })
        })
    }
}

/// What a window is on the roster for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A window of its own: numbered and arranged.
    Window,
    /// `memlab screenshot`: numbered, never arranged.
    Screenshot,
}

/// How a window answered a request to arrange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It reached its tile.
    Placed,
    /// It asked to move, and the window system kept it elsewhere.
    NotMoved,
    /// The window manager is one that lets no X11 window choose its place
    /// (weston's, for XWayland), so it did not ask.
    Refused,
}

/// Where this window falls in an arrangement: `rank` of `count` windows,
/// counted in slot order, in the work area the requester saw (each window
/// uses its own monitor's when the requester could not tell).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arrangement {
    pub generation: u64,
    pub rank: usize,
    pub count: usize,
    pub area: Option<Rect>,
}

/// An open window, as the table knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenWindow {
    /// Shown to people (1-based), as in the window title.
    pub number: usize,
    pub pid: Option<u32>,
    /// Its display, as its window system names it.
    pub display: WindowDisplay,
    pub role: Role,
    answer: Option<(u64, Outcome)>,
}

impl OpenWindow {
    /// A window as the roster lists it, that has answered no request.
    pub fn new(number: usize, pid: Option<u32>, display: WindowDisplay) -> Self {
        Self {
            number,
            pid,
            display,
            role: Role::Window,
            answer: None,
        }
    }
}

impl std::fmt::Display for OpenWindow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.pid {
            Some(pid) => write!(f, "#{} (PID {pid})", self.number),
            None => write!(f, "#{}", self.number),
        }
    }
}

/// What one poll of the table found for a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Polled {
    /// A new request naming this window.
    pub arrangement: Option<Arrangement>,
    /// Another window changed the shared settings since the last poll.
    pub settings_changed: bool,
    /// This window's entry or the table's magic was damaged and rewritten.
    pub rebuilt: bool,
}

/// A request made: which windows were asked, and which could not be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArrangeRequest {
    pub generation: u64,
    /// The windows asked to arrange themselves, in rank order.
    pub asked: Vec<OpenWindow>,
    /// This desktop's windows on native Wayland: not asked, since a window
    /// there cannot choose its place.
    pub on_wayland: Vec<OpenWindow>,
    pub area: Option<Rect>,
}

/// What came of a request: each asked window's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArrangeReport {
    pub area: Option<Rect>,
    pub placed: Vec<OpenWindow>,
    /// Windows the window system did not move to their tiles.
    pub not_moved: Vec<OpenWindow>,
    /// Windows whose window manager lets no window choose its place.
    pub refused: Vec<OpenWindow>,
    /// Windows that gave no answer in time (busy, or hung).
    pub silent: Vec<OpenWindow>,
    /// This desktop's windows on native Wayland, not asked.
    pub on_wayland: Vec<OpenWindow>,
}

impl ArrangeReport {
    /// True if every window of the desktop is in its tile.
    pub fn complete(&self) -> bool {
        self.not_moved.is_empty()
            && self.refused.is_empty()
            && self.silent.is_empty()
            && self.on_wayland.is_empty()
    }

    /// How many windows were asked (those closed meanwhile not counted).
    pub fn asked(&self) -> usize {
        self.placed.len() + self.not_moved.len() + self.refused.len() + self.silent.len()
    }
}

/// Lists windows as `#2 (PID 10), #3 (PID 11)`.
pub fn list(windows: &[OpenWindow]) -> String {
    windows
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

impl std::fmt::Display for ArrangeReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let asked = self.asked();
        let placed = self.placed.len();
        if placed == asked {
            write!(f, "arranged {placed} window(s)")?;
        } else {
            write!(f, "arranged {placed} of {asked} window(s)")?;
        }
        match self.area {
            Some(a) => write!(f, " in {}x{}+{}+{}", a.width, a.height, a.x, a.y)?,
            None => write!(f, ", each on its own monitor")?,
        }
        if !self.not_moved.is_empty() {
            write!(
                f,
                "; the window manager kept {} where they were",
                list(&self.not_moved)
            )?;
        }
        if !self.refused.is_empty() {
            write!(
                f,
                "; the window manager lets no window choose its place ({})",
                list(&self.refused)
            )?;
        }
        if !self.silent.is_empty() {
            write!(f, "; no answer from {}", list(&self.silent))?;
        }
        if !self.on_wayland.is_empty() {
            write!(
                f,
                "; {} run on native Wayland, where a window cannot choose its place",
                list(&self.on_wayland)
            )?;
        }
        Ok(())
    }
}
