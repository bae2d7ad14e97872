//! `ManagerKind`: the names of the memory managers memlab can switch between.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{ErrorKind, HasKind};

/// One of the memory managers the [`Dispatcher`](super::Dispatcher) can route to.
///
/// Serialised (serde, `Display`, `FromStr`) as `"default"`, `"heap"`, `"mimalloc"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[repr(u8)]
pub enum ManagerKind {
    /// The platform allocator (`std::alloc::System`).
    Default = 0,
    /// memlab's private heap (reserved address range + talc), like Win32 `HeapCreate`.
    Heap = 1,
    /// Microsoft's mimalloc.
    Mimalloc = 2,
}

/// Error of [`ManagerKind::from_str`]: the name as given.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown memory manager {0:?} (expected default, heap or mimalloc)")]
pub struct UnknownManager(pub String);

impl ManagerKind {
    /// All managers, in display order.
    pub const ALL: [ManagerKind; 3] = [Self::Default, Self::Heap, Self::Mimalloc];

    /// The serde/`Display` name.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Default => "default",
            Self::Heap => "heap",
            Self::Mimalloc => "mimalloc",
        }
    }

    /// A sentence for the UI saying what this manager is on this build.
    pub const fn describe(self) -> &'static str {
        match self {
            Self::Default => DEFAULT_DESCRIPTION,
            Self::Heap => {
                "private heap: one reserved address range (1 GiB by default), pages committed \
                 as it grows, blocks handed out by the talc allocator (like Win32 \
                 HeapCreate/HeapAlloc); falls back to the default manager when full"
            }
            Self::Mimalloc => {
                "mimalloc (Microsoft) in an arena memlab reserves (1 GiB of address space, \
                 pages committed by mimalloc as it grows); falls back to the default manager \
                 when full"
            }
        }
    }

    /// Index 0..3, used for per-manager arrays.
    #[inline]
    pub(crate) const fn index(self) -> usize {
        self as usize
    }

    /// Inverse of `self as u8`; anything unknown maps to `Default`.
    #[inline]
    pub(crate) const fn from_u8(v: u8) -> Self {
        match v {
            1 => Self::Heap,
            2 => Self::Mimalloc,
            _ => Self::Default,
        }
    }
}

impl HasKind for UnknownManager {
    fn kind(&self) -> ErrorKind {
        ErrorKind::Usage
    }
}

// What `std::alloc::System` really is on this target.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const DEFAULT_DESCRIPTION: &str = "system allocator: glibc malloc (ptmalloc2)";
#[cfg(all(target_os = "linux", target_env = "musl"))]
const DEFAULT_DESCRIPTION: &str = "system allocator: musl malloc";
#[cfg(any(target_os = "macos", target_os = "ios"))]
const DEFAULT_DESCRIPTION: &str = "system allocator: macOS libmalloc";
#[cfg(windows)]
const DEFAULT_DESCRIPTION: &str = "system allocator: HeapAlloc(GetProcessHeap())";
#[cfg(not(any(
    all(target_os = "linux", any(target_env = "gnu", target_env = "musl")),
    target_os = "macos",
    target_os = "ios",
    windows
)))]
const DEFAULT_DESCRIPTION: &str = "system allocator: the C library's malloc";

impl fmt::Display for ManagerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ManagerKind {
    type Err = UnknownManager;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        Self::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(t))
            .ok_or_else(|| UnknownManager(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for k in ManagerKind::ALL {
            assert_eq!(k.to_string().parse::<ManagerKind>(), Ok(k));
            assert_eq!(ManagerKind::from_u8(k as u8), k);
            let json = serde_json::to_string(&k).unwrap();
            assert_eq!(json, format!("\"{}\"", k.name()));
            assert_eq!(serde_json::from_str::<ManagerKind>(&json).unwrap(), k);
            assert!(!k.describe().is_empty());
        }
        assert_eq!(
            " MiMalloc ".parse::<ManagerKind>(),
            Ok(ManagerKind::Mimalloc)
        );
        let err = "jemalloc".parse::<ManagerKind>().unwrap_err();
        assert!(err.to_string().contains("jemalloc"));
    }
}
