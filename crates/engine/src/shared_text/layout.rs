//! The bytes of the shared string's object, and their validation.
//!
//! | offset | bytes | field |
//! |---:|---:|---|
//! | 0 | 8 | magic `memlabST` |
//! | 8 | 4 | layout version |
//! | 12 | 4 | capacity (`CHAR_LEN`) |
//! | 16 | 8 | change counter |
//! | 24 | 8 | time of the last save (ms since 1970) |
//! | 32 | 8 | since when the lock is held (ms since 1970) |
//! | 40 | 4 | PID holding the lock for a write, 0 if none |
//! | 44 | 4 | PID of the last writer |
//! | 48 | 4 | index of the active text buffer (0 or 1) |
//! | 52 | 4 | PID of the creator |
//! | 56 | 2 × 101 | two text buffers, NUL-terminated |
//! | 264 | 4 × 64 | PID of each slot's holder |
//!
//! Another process (even a hostile one) may write any byte at any time, so
//! the object is always read whole into an [`Image`] and validated there;
//! nothing is ever read from the mapping twice.

use std::fmt;

use serde::Serialize;

use crate::os::slots::MAX_SLOTS;

/// The book's `CharLen`: bytes of text, a terminator comes on top.
pub const CHAR_LEN: usize = 100;
pub(super) const TEXT_BUF: usize = CHAR_LEN + 1;
pub(super) const MAGIC: u64 = u64::from_le_bytes(*b"memlabST");
const VERSION: u32 = 2;

pub(super) const MAGIC_AT: usize = 0;
const VERSION_AT: usize = 8;
const CAPACITY_AT: usize = 12;
pub(super) const COUNTER_AT: usize = 16;
const WRITTEN_AT: usize = 24;
pub(super) const LOCK_SINCE_AT: usize = 32;
pub(super) const HOLDER_AT: usize = 40;
const WRITER_AT: usize = 44;
const ACTIVE_AT: usize = 48;
const CREATOR_AT: usize = 52;
const TEXT_AT: usize = 56;
pub(super) const PIDS_AT: usize = 264;
/// The header fields a save rewrites, after its text: counter to creator.
pub(super) const SAVE_FIELDS: std::ops::Range<usize> = COUNTER_AT..TEXT_AT;

/// Bytes of the mapping object.
pub const MAPPING_SIZE: usize = PIDS_AT + 4 * MAX_SLOTS;

/// What a byte of the object is for, as a hex view that explains the bytes
/// marks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteRole {
    /// Magic, version, capacity, change counter, times and the PIDs of the
    /// holder, last writer and creator (offsets 0..48 and 52..56).
    Header,
    /// Which text buffer holds the string now (0 or 1; offsets 48..52).
    ActiveIndex,
    /// Text buffer 0 or 1: `CHAR_LEN` bytes of text and the NUL that ends it.
    Text(usize),
    /// Not used (alignment before the PIDs).
    Unused,
    /// The PID of each attached instance's slot (4 bytes each).
    SlotPids,
}

/// Bytes of the header, before the text buffers.
pub const HEADER_LEN: usize = TEXT_AT;

/// What the byte at `offset` is for.
pub fn byte_role(offset: usize) -> ByteRole {
    match offset {
        o if (ACTIVE_AT..ACTIVE_AT + 4).contains(&o) => ByteRole::ActiveIndex,
        o if o < TEXT_AT => ByteRole::Header,
        o if Image::text_range(0).contains(&o) => ByteRole::Text(0),
        o if Image::text_range(1).contains(&o) => ByteRole::Text(1),
        o if o < PIDS_AT => ByteRole::Unused,
        _ => ByteRole::SlotPids,
    }
}

/// The first byte of `role` (the end of the object if none has it).
pub fn byte_role_start(role: ByteRole) -> usize {
    (0..MAPPING_SIZE)
        .find(|&o| byte_role(o) == role)
        .unwrap_or(MAPPING_SIZE)
}

/// The active buffer's index as the bytes say it (None for a short image
/// or a value other than 0 and 1).
pub fn active_index(bytes: &[u8]) -> Option<usize> {
    let raw = bytes.get(ACTIVE_AT..ACTIVE_AT + 4)?;
    match u32::from_ne_bytes(raw.try_into().ok()?) {
        i @ (0 | 1) => Some(i as usize),
        _ => None,
    }
}

/// Why the object's bytes are not memlab's layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CorruptReason {
    /// The object is shorter than the layout (someone truncated it).
    TooSmall {
        size: u64,
        need: u64,
    },
    BadMagic(u64),
    BadVersion {
        found: u32,
        expected: u32,
    },
    BadCapacity {
        found: u32,
        expected: u32,
    },
    BadActive(u32),
    /// The active text has no NUL within its buffer.
    NoTerminator {
        within: usize,
    },
    /// Reading its bytes failed (an I/O error).
    Unreadable,
}

impl fmt::Display for CorruptReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::TooSmall { size, need } => write!(
                f,
                "the object is {size} bytes, smaller than the {need} bytes of memlab's layout"
            ),
            Self::BadMagic(magic) => write!(f, "bad magic number {magic:#018x}"),
            Self::BadVersion { found, expected } => {
                write!(f, "layout version {found}, expected {expected}")
            }
            Self::BadCapacity { found, expected } => {
                write!(f, "capacity {found}, expected {expected}")
            }
            Self::BadActive(index) => write!(f, "active buffer index {index}, expected 0 or 1"),
            Self::NoTerminator { within } => write!(f, "no terminator within {within} bytes"),
            Self::Unreadable => write!(f, "its bytes could not be read"),
        }
    }
}

/// In JSON (`memlab shared info`) a reason is its English sentence.
impl Serialize for CorruptReason {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A copy of the whole object, taken in one read.
#[derive(Clone, PartialEq, Eq)]
pub(super) struct Image(pub(super) [u8; MAPPING_SIZE]);

impl Image {
    /// A new object's bytes: the sample in buffer 0, written by `pid` at `now_ms`.
    pub(super) fn fresh(sample: &str, pid: u32, now_ms: u64, counter: u64) -> Self {
        let mut image = Self([0; MAPPING_SIZE]);
        image.set_u64(MAGIC_AT, MAGIC);
        image.set_u32(VERSION_AT, VERSION);
        image.set_u32(CAPACITY_AT, CHAR_LEN as u32);
        image.set_u64(COUNTER_AT, counter);
        image.set_u64(WRITTEN_AT, now_ms);
        image.set_u32(WRITER_AT, pid);
        image.set_u32(CREATOR_AT, pid);
        image.set_text(0, sample.as_bytes());
        image
    }

    fn u32_at(&self, at: usize) -> u32 {
        u32::from_ne_bytes(self.0[at..at + 4].try_into().expect("4 bytes"))
    }

    fn u64_at(&self, at: usize) -> u64 {
        u64::from_ne_bytes(self.0[at..at + 8].try_into().expect("8 bytes"))
    }

    fn set_u32(&mut self, at: usize, value: u32) {
        self.0[at..at + 4].copy_from_slice(&value.to_ne_bytes());
    }

    fn set_u64(&mut self, at: usize, value: u64) {
        self.0[at..at + 8].copy_from_slice(&value.to_ne_bytes());
    }

    pub(super) fn counter(&self) -> u64 {
        self.u64_at(COUNTER_AT)
    }

    pub(super) fn holder(&self) -> Option<u32> {
        nonzero(self.u32_at(HOLDER_AT))
    }

    pub(super) fn lock_since_ms(&self) -> u64 {
        self.u64_at(LOCK_SINCE_AT)
    }

    pub(super) fn last_writer(&self) -> Option<u32> {
        nonzero(self.u32_at(WRITER_AT))
    }

    pub(super) fn last_write_ms(&self) -> Option<u64> {
        Some(self.u64_at(WRITTEN_AT)).filter(|&ms| ms != 0)
    }

    pub(super) fn slot_pid(&self, slot: usize) -> Option<u32> {
        nonzero(self.u32_at(PIDS_AT + 4 * slot))
    }

    /// Where text buffer `index` lies in the object.
    pub(super) fn text_range(index: usize) -> std::ops::Range<usize> {
        let start = TEXT_AT + index * TEXT_BUF;
        start..start + TEXT_BUF
    }

    /// The bytes of buffer `index` before its terminator.
    pub(super) fn text(&self, index: usize) -> &[u8] {
        let buf = &self.0[Self::text_range(index)];
        let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
        &buf[..end]
    }

    /// Fills buffer `index` with `bytes` (at most `CHAR_LEN`) and NULs.
    pub(super) fn set_text(&mut self, index: usize, bytes: &[u8]) {
        let buf = &mut self.0[Self::text_range(index)];
        buf.fill(0);
        buf[..bytes.len()].copy_from_slice(bytes);
    }

    /// Records a completed save of buffer `index` by `pid`; the lock is
    /// free again once these fields are written.
    pub(super) fn commit_save(&mut self, index: usize, pid: u32, now_ms: u64) -> u64 {
        let counter = self.counter().wrapping_add(1);
        self.set_u32(ACTIVE_AT, index as u32);
        self.set_u64(COUNTER_AT, counter);
        self.set_u32(WRITER_AT, pid);
        self.set_u64(WRITTEN_AT, now_ms);
        self.set_u32(HOLDER_AT, 0);
        counter
    }

    /// Checks magic, version, capacity, active index and terminator;
    /// returns the active buffer's index.
    pub(super) fn validate(&self) -> Result<usize, CorruptReason> {
        let magic = self.u64_at(MAGIC_AT);
        if magic != MAGIC {
            return Err(CorruptReason::BadMagic(magic));
        }
        let version = self.u32_at(VERSION_AT);
        if version != VERSION {
            return Err(CorruptReason::BadVersion {
                found: version,
                expected: VERSION,
            });
        }
        let capacity = self.u32_at(CAPACITY_AT);
        if capacity as usize != CHAR_LEN {
            return Err(CorruptReason::BadCapacity {
                found: capacity,
                expected: CHAR_LEN as u32,
            });
        }
        let active = self.u32_at(ACTIVE_AT);
        if active > 1 {
            return Err(CorruptReason::BadActive(active));
        }
        let active = active as usize;
        if !self.0[Self::text_range(active)].contains(&0) {
            return Err(CorruptReason::NoTerminator { within: TEXT_BUF });
        }
        Ok(active)
    }
}

fn nonzero(pid: u32) -> Option<u32> {
    (pid != 0).then_some(pid)
}

/// The holder record written when a write operation takes the lock.
pub(super) fn holder_record(pid: u32, now_ms: u64) -> [u8; 12] {
    let mut record = [0; 12];
    record[..8].copy_from_slice(&now_ms.to_ne_bytes());
    record[8..].copy_from_slice(&pid.to_ne_bytes());
    record
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_byte_has_its_role() {
        use ByteRole as R;
        assert_eq!(byte_role(0), R::Header);
        assert_eq!(byte_role(47), R::Header);
        assert_eq!(
            (byte_role(48), byte_role(51)),
            (R::ActiveIndex, R::ActiveIndex)
        );
        assert_eq!(byte_role(52), R::Header);
        assert_eq!((byte_role(56), byte_role(156)), (R::Text(0), R::Text(0)));
        assert_eq!((byte_role(157), byte_role(257)), (R::Text(1), R::Text(1)));
        assert_eq!(byte_role(258), R::Unused);
        assert_eq!(
            (byte_role(264), byte_role(MAPPING_SIZE - 1)),
            (R::SlotPids, R::SlotPids)
        );
        let mut image = Image::fresh("x", 1, 1, 1);
        assert_eq!(active_index(&image.0), Some(0));
        image.set_u32(ACTIVE_AT, 1);
        assert_eq!(active_index(&image.0), Some(1));
        image.set_u32(ACTIVE_AT, 7);
        assert_eq!(active_index(&image.0), None);
        assert_eq!(HEADER_LEN, 56);
    }

    #[test]
    fn the_layout_is_as_documented() {
        assert_eq!(LOCK_SINCE_AT + 8, HOLDER_AT, "one write records the holder");
        assert_eq!(Image::text_range(1).end, 258);
        assert!(Image::text_range(1).end <= PIDS_AT);
        assert_eq!(MAPPING_SIZE, 520);
    }

    #[test]
    fn a_fresh_image_validates_and_each_defect_is_named() {
        let image = Image::fresh("샘플", 7, 1000, 1);
        assert_eq!(image.validate(), Ok(0));
        assert_eq!(image.text(0), "샘플".as_bytes());
        assert_eq!((image.last_writer(), image.holder()), (Some(7), None));

        let mut bad = image.clone();
        bad.0[..8].copy_from_slice(b"XXXXXXXX");
        assert!(matches!(bad.validate(), Err(CorruptReason::BadMagic(_))));
        let mut bad = image.clone();
        bad.set_u32(VERSION_AT, 1);
        assert_eq!(
            bad.validate(),
            Err(CorruptReason::BadVersion {
                found: 1,
                expected: 2
            })
        );
        let mut bad = image.clone();
        bad.set_u32(ACTIVE_AT, 2);
        assert_eq!(bad.validate(), Err(CorruptReason::BadActive(2)));
        let mut bad = image.clone();
        bad.0[Image::text_range(0)].fill(b'A');
        assert_eq!(
            bad.validate(),
            Err(CorruptReason::NoTerminator { within: 101 })
        );
        assert!(
            bad.validate()
                .unwrap_err()
                .to_string()
                .contains("no terminator")
        );
    }

    #[test]
    fn a_save_flips_the_buffer_and_counts() {
        let mut image = Image::fresh("a", 1, 1, 5);
        image.set_text(1, b"bcd");
        let counter = image.commit_save(1, 9, 2);
        assert_eq!(counter, 6);
        assert_eq!(image.validate(), Ok(1));
        assert_eq!(image.text(1), b"bcd");
        assert_eq!(image.last_writer(), Some(9));
    }
}
