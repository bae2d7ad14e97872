//! The file-mapping lab's session, shared between the UI thread and the
//! step that runs off it: each step of the book (which may grow a file,
//! flush a large view, or wait on a slow disk) runs as a [`Job`]; the UI
//! thread only takes quick looks (`try_read`), so it never waits for one.

use std::path::PathBuf;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, TryLockError};

use super::messages::{FileStep, StepNote};
use memlab_engine::filemap::{FileMapSession, MappingState, OpenRequest, ViewInfo};

/// The session, shared with the step running off the UI thread and the monitor.
pub(super) type Shared = Arc<RwLock<FileMapSession>>;

/// A quick, non-blocking look at the session: `None` while a step changes it.
pub(super) fn peek(session: &Shared) -> Option<RwLockReadGuard<'_, FileMapSession>> {
    match session.try_read() {
        Ok(guard) => Some(guard),
        Err(TryLockError::Poisoned(e)) => Some(e.into_inner()),
        Err(TryLockError::WouldBlock) => None,
    }
}

/// A step of the walk-through, to run off the UI thread.
pub(super) enum Request {
    /// `CreateFile`; the previous session (if any) is closed first, so that
    /// reopening the same file is not refused by this very instance.
    Open {
        path: PathBuf,
        request: OpenRequest,
        previous: Option<Shared>,
    },
    /// A step on the open session.
    On(Step),
}

/// A step on an open session.
pub(super) enum Step {
    CreateMapping(u64),
    MapView { offset: u64, len: u64 },
    Flush(u32),
    Unmap(u32),
    CloseMapping,
    CloseFile,
    SetEndOfFile(u64),
}

impl Request {
    pub(super) fn step(&self) -> FileStep {
        match self {
            Self::Open { .. } => FileStep::Open,
            Self::On(Step::CreateMapping(_)) => FileStep::CreateMapping,
            Self::On(Step::MapView { .. }) => FileStep::MapView,
            Self::On(Step::Flush(_)) => FileStep::Flush,
            Self::On(Step::Unmap(_)) => FileStep::Unmap,
            Self::On(Step::CloseMapping) => FileStep::CloseMapping,
            Self::On(Step::CloseFile) => FileStep::CloseFile,
            Self::On(Step::SetEndOfFile(_)) => FileStep::SetEndOfFile,
        }
    }
}

/// What a step gives back: a new session, and the log line.
pub(super) struct Reply {
    pub opened: Option<Shared>,
    pub note: StepNote,
}

/// Runs `request` on `session` (None: no file was ever opened).
pub(super) fn run(request: Request, session: Option<Shared>) -> Reply {
    let which = request.step();
    let failed = |error| Reply {
        opened: None,
        note: StepNote::Failed { step: which, error },
    };
    let step = match request {
        Request::Open {
            path,
            request,
            previous,
        } => {
            // Unmaps its views and closes its file (the lock goes with it).
            drop(previous);
            return match FileMapSession::open(&path, request) {
                Ok((session, opened)) => Reply {
                    opened: Some(Arc::new(RwLock::new(session))),
                    note: StepNote::Opened(opened),
                },
                Err(error) => failed(error),
            };
        }
        Request::On(step) => step,
    };
    let Some(session) = session else {
        return Reply {
            opened: None,
            note: StepNote::NoFile { step: which },
        };
    };
    let mut session = session.write().unwrap_or_else(PoisonError::into_inner);
    let note = match step {
        Step::CreateMapping(size) => session.create_mapping(size).map(StepNote::MappingCreated),
        Step::MapView { offset, len } => session.map_view(offset, len).map(StepNote::ViewMapped),
        Step::Flush(view) => session.flush_view(view).map(StepNote::Flushed),
        Step::Unmap(view) => session
            .unmap_view(view)
            .map(|()| StepNote::Unmapped { view }),
        Step::CloseMapping => session.close_mapping().map(|()| StepNote::MappingClosed),
        Step::CloseFile => session.close_file().map(|()| StepNote::FileClosed {
            views_left: session.views().len(),
        }),
        Step::SetEndOfFile(size) => session.set_end_of_file(size).map(StepNote::EndOfFile),
    };
    match note {
        Ok(note) => Reply { opened: None, note },
        Err(error) => failed(error),
    }
}

/// What the form shows of the session, refreshed whenever it can be read.
#[derive(Debug, Clone, Default)]
pub(super) struct Snapshot {
    pub file_open: bool,
    /// The file's size now (None once the file and every view are closed).
    pub file_len: Option<u64>,
    pub mapping: Option<MappingState>,
    pub views: Vec<ViewInfo>,
}

impl Snapshot {
    pub(super) fn of(session: &FileMapSession) -> Self {
        Self {
            file_open: session.is_file_open(),
            file_len: session.file_len().ok(),
            mapping: Some(session.mapping()),
            views: session.views(),
        }
    }
}
