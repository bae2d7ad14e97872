//! `memlab sysinfo`: GetSystemInfo and the memory figures as text or JSON.
//! The JSON is the engine's `SystemFacts` on every OS; the text names
//! where each figure comes from, so it is per OS (`linux.rs`, `windows.rs`).

use std::io::Write;

use super::Failure;
use memlab_engine::vm::MAX_PAGES;
use memlab_engine::vm::system::{self, WINDOWS_ALLOCATION_GRANULARITY};

#[cfg(target_os = "linux")]
mod linux;
#[cfg(windows)]
mod windows;
#[cfg(target_os = "linux")]
use linux as sys;
#[cfg(windows)]
use windows as sys;

/// Runs `memlab sysinfo`.
pub(super) fn run_sysinfo(json: bool) -> Result<(), Failure> {
    let f = system::facts()?;
    let line = if json {
        let mut v = serde_json::to_value(&f).map_err(|e| Failure::failed(e.to_string()))?;
        v["windows_allocation_granularity"] = WINDOWS_ALLOCATION_GRANULARITY.into();
        v["max_pages_per_reservation"] = MAX_PAGES.into();
        v.to_string()
    } else {
        sys::sysinfo_text(&f)
    };
    let _ = writeln!(std::io::stdout().lock(), "{line}");
    Ok(())
}
