//! Who holds a lock, as a classroom names it: "window #3 (PID 42)" for a
//! memlab window of the roster, "PID 42" for another process, and what is
//! only claimed (a PID in an object's header) told from what the kernel
//! confirmed (see `os::claims`).

use std::fmt;

use serde::Serialize;

use crate::i18n::{Lang, Localized};

/// A process named as holding a lock, and how memlab knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "known", rename_all = "snake_case")]
pub enum Holder {
    /// Running: the lock itself names it (its thread, or the kernel's lock
    /// table) and the process table has it. `window` is its memlab window's
    /// number, when it is one.
    Running { pid: u32, window: Option<usize> },
    /// Not running any more: the PID the object recorded for the very thread
    /// the lock names as its dead owner.
    Died { pid: u32 },
    /// Only the object's header names this PID; nothing confirms it.
    Named { pid: u32 },
    /// Nothing says who.
    Unknown,
}

impl Holder {
    /// A running process, with its window number if it is a memlab window.
    pub fn running(pid: u32) -> Self {
        Self::Running {
            pid,
            window: window_of(pid),
        }
    }

    /// The PID, confirmed or not.
    pub fn pid(&self) -> Option<u32> {
        match *self {
            Self::Running { pid, .. } | Self::Died { pid } | Self::Named { pid } => Some(pid),
            Self::Unknown => None,
        }
    }
}

/// In English, as a noun: "window #3 (PID 42)", "PID 42", "PID 42 (as the
/// header names it; not confirmed)", "an unknown process".
impl fmt::Display for Holder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Running {
                pid,
                window: Some(n),
            } => write!(f, "window #{n} (PID {pid})"),
            Self::Running { pid, window: None } | Self::Died { pid } => write!(f, "PID {pid}"),
            Self::Named { pid } => write!(f, "PID {pid} (as the header names it; not confirmed)"),
            Self::Unknown => write!(f, "an unknown process"),
        }
    }
}

/// The memlab window number of process `pid`, as the windows' roster knows it.
pub fn window_of(pid: u32) -> Option<usize> {
    super::instances::open_windows()
        .ok()?
        .into_iter()
        .find(|w| w.pid == Some(pid))
        .map(|w| w.number)
}

/// A holder in Korean, as a noun: "창 #3 (PID 42)", "PID 42", "PID 42
/// (헤더에 적힌 값, 확인되지 않음)", "알 수 없는 프로세스".
impl Localized for Holder {
    fn localized(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return self.to_string();
        }
        match *self {
            Holder::Running {
                pid,
                window: Some(n),
            } => format!("창 #{n} (PID {pid})"),
            Holder::Running { pid, window: None } | Holder::Died { pid } => format!("PID {pid}"),
            Holder::Named { pid } => format!("PID {pid} (헤더에 적힌 값, 확인되지 않음)"),
            Holder::Unknown => "알 수 없는 프로세스".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holders_read_as_what_is_known() {
        let window = Holder::Running {
            pid: 42,
            window: Some(3),
        };
        assert_eq!(window.to_string(), "window #3 (PID 42)");
        assert_eq!(Holder::Died { pid: 42 }.to_string(), "PID 42");
        assert!(
            Holder::Named { pid: 1 }
                .to_string()
                .contains("as the header names it")
        );
        assert_eq!(Holder::Unknown.pid(), None);
    }
}
