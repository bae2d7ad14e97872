//! The windows' table, as bytes, and what a request and its answers mean:
//! the same on every OS (the layout is in the module above). Linux keeps
//! the bytes in a shared object read with `pread` (`table`), Windows in a
//! named mapping of the paging file (`windows`); both build requests and
//! reports here, so that `arrange` means the same everywhere.

use std::time::Duration;

use super::*;

/// The window system of an entry without the Wayland bit: the OS's own,
/// where windows choose their places (X11 on Linux, the Windows desktop).
#[cfg(not(windows))]
const PLACING: Backend = Backend::X11;
#[cfg(windows)]
const PLACING: Backend = Backend::Win32;

/// Bytes of the table object.
pub const TABLE_SIZE: u64 = 8192;
pub(super) const MAGIC: &[u8; 8] = b"MLWIN001";
pub(super) const HEADER_LEN: usize = 64;
pub(super) const REQUEST_AT: usize = 8;
pub(super) const SETTINGS_AT: usize = 40;
pub(super) const SLOTS_AT: u64 = 64;
pub(super) const SLOT_LEN: usize = 64;
pub(super) const FLAGS_AT: usize = 4;
pub(super) const NAME_AT: usize = 5;
pub(super) const ANSWER_AT: usize = 52;
pub(super) const LEN_BITS: u8 = 0x3f;
pub(super) const NOT_ARRANGED: u8 = 0x40;
pub(super) const WAYLAND: u8 = 0x80;
/// How long a request waits for windows to rebuild damaged entries.
pub(super) const REBUILD_WITHIN: Duration = Duration::from_secs(3);

/// An answer as the table stores it.
impl Outcome {
    pub(super) fn code(self) -> u8 {
        match self {
            Self::Placed => 1,
            Self::NotMoved => 2,
            Self::Refused => 3,
        }
    }

    pub(super) fn from_code(code: u8) -> Option<Self> {
        match code {
            1 => Some(Self::Placed),
            2 => Some(Self::NotMoved),
            3 => Some(Self::Refused),
            _ => None,
        }
    }
}

/// A request as stored in the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Request {
    pub(super) generation: u64,
    pub(super) slots: u64,
    pub(super) area: Option<Rect>,
}

pub(super) const REQUEST_LEN: usize = 32;

impl Request {
    pub(super) fn to_bytes(self) -> [u8; REQUEST_LEN] {
        let mut bytes = [0u8; REQUEST_LEN];
        bytes[..8].copy_from_slice(&self.generation.to_le_bytes());
        bytes[8..16].copy_from_slice(&self.slots.to_le_bytes());
        if let Some(area) = self.area {
            bytes[16..20].copy_from_slice(&area.x.to_le_bytes());
            bytes[20..24].copy_from_slice(&area.y.to_le_bytes());
            bytes[24..28].copy_from_slice(&area.width.to_le_bytes());
            bytes[28..32].copy_from_slice(&area.height.to_le_bytes());
        }
        bytes
    }

    pub(super) fn from_bytes(bytes: &[u8]) -> Self {
        let u64_at = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8"));
        let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4"));
        let area = Rect::new(u32_at(16) as i32, u32_at(20) as i32, u32_at(24), u32_at(28));
        Self {
            generation: u64_at(0),
            slots: u64_at(8),
            area: (area.width > 0 && area.height > 0).then_some(area),
        }
    }
}

/// The table's first bytes.
pub(super) struct Header {
    pub(super) magic_ok: bool,
    pub(super) request: Request,
    pub(super) settings: u64,
}

impl Header {
    pub(super) fn from_bytes(bytes: &[u8; HEADER_LEN]) -> Self {
        Self {
            magic_ok: &bytes[..8] == MAGIC,
            request: Request::from_bytes(&bytes[REQUEST_AT..REQUEST_AT + REQUEST_LEN]),
            settings: u64::from_le_bytes(
                bytes[SETTINGS_AT..SETTINGS_AT + 8].try_into().expect("8"),
            ),
        }
    }
}

/// A window's entry in the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Entry {
    pub(super) pid: u32,
    pub(super) display: WindowDisplay,
    pub(super) role: Role,
    /// The last request answered: its generation and the answer.
    pub(super) answer: Option<(u64, Outcome)>,
}

impl Entry {
    pub(super) fn to_bytes(&self) -> [u8; SLOT_LEN] {
        let mut bytes = [0u8; SLOT_LEN];
        bytes[..4].copy_from_slice(&self.pid.to_le_bytes());
        let name = self.display.stored_name();
        let mut flags = name.len() as u8;
        if self.display.backend == Backend::Wayland {
            flags |= WAYLAND;
        }
        if self.role == Role::Screenshot {
            flags |= NOT_ARRANGED;
        }
        bytes[FLAGS_AT] = flags;
        bytes[NAME_AT..NAME_AT + name.len()].copy_from_slice(name);
        if let Some((generation, outcome)) = self.answer {
            bytes[ANSWER_AT..ANSWER_AT + 8].copy_from_slice(&generation.to_le_bytes());
            bytes[ANSWER_AT + 8] = outcome.code();
        }
        bytes
    }

    pub(super) fn from_bytes(bytes: &[u8]) -> Self {
        let pid = u32::from_le_bytes(bytes[..4].try_into().expect("4 bytes"));
        let flags = bytes[FLAGS_AT];
        let len = usize::from(flags & LEN_BITS).min(DISPLAY_MAX);
        let name = String::from_utf8_lossy(&bytes[NAME_AT..NAME_AT + len]).into_owned();
        let generation = u64::from_le_bytes(bytes[ANSWER_AT..ANSWER_AT + 8].try_into().expect("8"));
        Self {
            pid,
            display: WindowDisplay {
                backend: if flags & WAYLAND != 0 {
                    Backend::Wayland
                } else {
                    PLACING
                },
                name,
            },
            role: if flags & NOT_ARRANGED != 0 {
                Role::Screenshot
            } else {
                Role::Window
            },
            answer: Outcome::from_code(bytes[ANSWER_AT + 8]).map(|o| (generation, o)),
        }
    }

    /// True if the entry names a live process: a window's entry as it
    /// wrote it, or one damaged (zeroed, scribbled) that it will rewrite.
    pub(super) fn plausible(&self, process_exists: impl Fn(u32) -> bool) -> bool {
        self.pid != 0 && self.pid <= i32::MAX as u32 && process_exists(self.pid)
    }
}

/// The window of `slot` as its entry says (no PID if the entry names no
/// live process: damaged, or not yet written).
pub(super) fn open_window(
    slot: usize,
    entry: Entry,
    process_exists: impl Fn(u32) -> bool,
) -> OpenWindow {
    OpenWindow {
        number: slot + 1,
        pid: entry.plausible(process_exists).then_some(entry.pid),
        display: entry.display,
        role: entry.role,
        answer: entry.answer,
    }
}

/// The request to write for `windows` (the open ones, read under the
/// gate) on `desktop`, after the last one in `header`: `None` while some
/// entry is damaged and `may_wait` (its window will rewrite it soon).
pub(super) fn plan_request(
    windows: Vec<OpenWindow>,
    header: &Header,
    desktop: &Desktop,
    area: Option<Rect>,
    may_wait: bool,
) -> Result<Option<(Request, ArrangeRequest)>, InstancesError> {
    let damaged = windows.iter().any(|w| w.pid.is_none());
    if damaged && may_wait {
        return Ok(None);
    }
    let ours: Vec<OpenWindow> = windows
        .into_iter()
        .filter(|w| w.role == Role::Window && desktop.shows(&w.display))
        .collect();
    let (on_wayland, asked): (Vec<_>, Vec<_>) = ours
        .into_iter()
        .partition(|w| w.display.backend == Backend::Wayland);
    if asked.is_empty() {
        return Err(match on_wayland.len() {
            0 => InstancesError::NoWindows,
            windows => InstancesError::OnlyWayland { windows },
        });
    }
    let mask = asked
        .iter()
        .fold(0u64, |mask, w| mask | 1 << (w.number - 1));
    // Newer than the last request and than every answer in the table:
    // after a truncation the count starts again, and an answer to an older
    // request must not pass for this one's.
    let answered: Vec<u64> = asked
        .iter()
        .chain(&on_wayland)
        .filter_map(|w| w.answer.map(|(generation, _)| generation))
        .collect();
    let mut generation = answered
        .iter()
        .fold(header.request.generation, |a, &b| a.max(b))
        .wrapping_add(1);
    while answered.contains(&generation) {
        generation = generation.wrapping_add(1);
    }
    let request = Request {
        generation,
        slots: mask,
        area,
    };
    Ok(Some((
        request,
        ArrangeRequest {
            generation,
            asked,
            on_wayland,
            area,
        },
    )))
}

/// What the open windows `now` answered to `request` so far.
pub(super) fn report_of(request: &ArrangeRequest, now: &[OpenWindow]) -> ArrangeReport {
    let mut report = ArrangeReport {
        area: request.area,
        placed: Vec::new(),
        not_moved: Vec::new(),
        refused: Vec::new(),
        silent: Vec::new(),
        on_wayland: request.on_wayland.clone(),
    };
    for asked in &request.asked {
        // Closed meanwhile (or its number taken by another window).
        let Some(window) = now
            .iter()
            .find(|w| w.number == asked.number && w.pid == asked.pid)
        else {
            continue;
        };
        match window.answer {
            // Equal, not newer: generations are bytes anyone can write.
            Some((generation, outcome)) if generation == request.generation => match outcome {
                Outcome::Placed => report.placed.push(asked.clone()),
                Outcome::NotMoved => report.not_moved.push(asked.clone()),
                Outcome::Refused => report.refused.push(asked.clone()),
            },
            _ => report.silent.push(asked.clone()),
        }
    }
    report
}

/// A request, in the rank of a window in `slot` if it names it.
pub(super) fn arrangement_for(request: &Request, slot: usize) -> Option<Arrangement> {
    (request.slots & (1 << slot) != 0).then(|| Arrangement {
        generation: request.generation,
        rank: (request.slots & ((1u64 << slot) - 1)).count_ones() as usize,
        count: request.slots.count_ones() as usize,
        area: request.area,
    })
}

pub(super) fn slot_offset(slot: usize) -> u64 {
    SLOTS_AT + (SLOT_LEN * slot) as u64
}
