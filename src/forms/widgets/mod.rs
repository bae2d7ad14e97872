//! UI pieces every lab uses, so that each form only does its own job: the
//! number input, the status line, the worker job with progress and Cancel,
//! the help panel, table headings, the layout rule and
//! its helpers (`layout`), and the repaint schedule of live displays.

pub mod help;
pub mod job;
pub mod layout;
pub mod number;
pub mod refresh;
pub mod status;
pub mod table;

pub use help::lab_help;
pub use job::{Job, Poll, Stop, StoppingThreads};
pub use layout::{
    code, facts, field_width, label_for, side_by_side, steady_text, text_field, wide,
};
pub use number::{InputNote, NumberInput, show_note};
pub use refresh::LiveRefresh;
pub use status::{Level, Status, show_line, show_status, status_log};
pub use table::header_row;
