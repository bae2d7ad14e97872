//! The windows' roster on Windows: not ported yet. A window there has no
//! instance number (its title shows its PID), `memlab arrange` and the
//! windows' answers say [`InstancesError::NotOnWindowsYet`], and the list
//! of open windows is empty. The port will put the table in a named
//! mapping with `os::slots`' slot mutexes, as the shared text does.

use std::time::Duration;

use super::*;

/// A window on the roster: none exists on Windows yet (the type has no
/// value, so code that would use one cannot run).
#[derive(Debug)]
pub struct WindowInstance {
    never: std::convert::Infallible,
}

impl WindowInstance {
    pub fn join(_display: &WindowDisplay, _role: Role) -> Result<Self, InstancesError> {
        Err(InstancesError::NotOnWindowsYet)
    }

    pub fn number(&self) -> usize {
        match self.never {}
    }

    pub fn poll(&mut self) -> Result<Polled, InstancesError> {
        match self.never {}
    }

    pub fn answer(&mut self, _generation: u64, _outcome: Outcome) -> Result<(), InstancesError> {
        match self.never {}
    }
}

pub fn request_arrange(
    _desktop: &Desktop,
    _area: Option<Rect>,
) -> Result<ArrangeRequest, InstancesError> {
    Err(InstancesError::NotOnWindowsYet)
}

pub fn wait_arranged(
    _request: &ArrangeRequest,
    _timeout: Duration,
) -> Result<ArrangeReport, InstancesError> {
    Err(InstancesError::NotOnWindowsYet)
}

/// No window reads a table on Windows yet: nothing to tell.
pub fn announce_settings() -> Result<(), InstancesError> {
    Ok(())
}

/// No window is on a roster on Windows yet.
pub fn open_windows() -> Result<Vec<OpenWindow>, InstancesError> {
    Ok(Vec::new())
}
