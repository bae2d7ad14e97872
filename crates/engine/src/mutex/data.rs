//! The data the book's lock guards, as a class can watch it go wrong: two
//! accounts holding 1000 between them, and holders that move 100 from one
//! to the other in two steps (take from one, then give to the other) while
//! they hold the lock. A holder killed between the steps leaves the total
//! short by 100: the half-written data that Win32's WAIT_ABANDONED (a robust
//! mutex's EOWNERDEAD) warns the next holder about, and that a lock which
//! cannot tell (memlab's file lock) hands over in silence.

use serde::Serialize;

/// What the two accounts hold between them when nothing is half-written.
pub const TOTAL: i64 = 1000;
/// What one move takes from one account and gives to the other.
pub const AMOUNT: i64 = 100;
/// Bytes of one record in the block.
pub(super) const DATA_LEN: usize = 32;

/// One lock's guarded data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct GuardedData {
    pub a: i64,
    pub b: i64,
    /// Moves completed.
    pub moves: u64,
    /// 1 while a move has taken from one account and not yet given to the
    /// other; 0 otherwise.
    pub step: u32,
    /// The PID that began the last move, as the data records it (a claim).
    pub writer: u32,
}

impl GuardedData {
    /// A new lock's data: everything in A.
    pub fn fresh() -> Self {
        Self {
            a: TOTAL,
            b: 0,
            moves: 0,
            step: 0,
            writer: 0,
        }
    }

    pub fn total(&self) -> i64 {
        self.a.wrapping_add(self.b)
    }

    /// A move was begun and not finished, or the accounts do not add up.
    pub fn half_written(&self) -> bool {
        self.step != 0 || self.total() != TOTAL
    }

    /// The next move goes from A to B (even moves) or back (odd ones), so
    /// that the accounts stay between 0 and `TOTAL`.
    fn takes_from_a(&self) -> bool {
        self.moves.is_multiple_of(2)
    }

    /// The first step of a move by `pid`: taken from one account, not yet given.
    pub(super) fn begun(&self, pid: u32) -> Self {
        let mut next = *self;
        if self.takes_from_a() {
            next.a = self.a.wrapping_sub(AMOUNT);
        } else {
            next.b = self.b.wrapping_sub(AMOUNT);
        }
        next.step = 1;
        next.writer = pid;
        next
    }

    /// The second step: given to the other account; the move is done.
    pub(super) fn finished(&self) -> Self {
        let mut next = *self;
        if self.takes_from_a() {
            next.b = self.b.wrapping_add(AMOUNT);
        } else {
            next.a = self.a.wrapping_add(AMOUNT);
        }
        next.step = 0;
        next.moves = self.moves.wrapping_add(1);
        next
    }

    /// The data put right: a half-done move undone (what a holder told
    /// WAIT_ABANDONED should do before trusting the data); data that does
    /// not add up for another reason starts again from `fresh`.
    pub fn repaired(&self) -> Self {
        if self.step == 0 {
            return Self {
                moves: self.moves,
                ..Self::fresh()
            };
        }
        let mut back = *self;
        if self.takes_from_a() {
            back.a = self.a.wrapping_add(AMOUNT);
        } else {
            back.b = self.b.wrapping_add(AMOUNT);
        }
        back.step = 0;
        if back.total() != TOTAL {
            return Self {
                moves: self.moves,
                ..Self::fresh()
            };
        }
        back
    }

    pub(super) fn to_bytes(self) -> [u8; DATA_LEN] {
        let mut bytes = [0; DATA_LEN];
        bytes[0..8].copy_from_slice(&self.a.to_ne_bytes());
        bytes[8..16].copy_from_slice(&self.b.to_ne_bytes());
        bytes[16..24].copy_from_slice(&self.moves.to_ne_bytes());
        bytes[24..28].copy_from_slice(&self.step.to_ne_bytes());
        bytes[28..32].copy_from_slice(&self.writer.to_ne_bytes());
        bytes
    }

    pub(super) fn from_bytes(bytes: &[u8]) -> Self {
        let at = |i: usize| -> [u8; 8] { bytes[i..i + 8].try_into().expect("8 bytes") };
        let at4 = |i: usize| -> [u8; 4] { bytes[i..i + 4].try_into().expect("4 bytes") };
        Self {
            a: i64::from_ne_bytes(at(0)),
            b: i64::from_ne_bytes(at(8)),
            moves: u64::from_ne_bytes(at(16)),
            step: u32::from_ne_bytes(at4(24)),
            writer: u32::from_ne_bytes(at4(28)),
        }
    }
}

/// "A 900 + B 100 = 1000".
impl std::fmt::Display for GuardedData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "A {} + B {} = {}", self.a, self.b, self.total())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves_keep_the_total_and_a_half_move_does_not() {
        let start = GuardedData::fresh();
        assert!(!start.half_written());
        let half = start.begun(7);
        assert!(half.half_written());
        assert_eq!(
            (half.a, half.b, half.total(), half.writer),
            (900, 0, 900, 7)
        );
        let done = half.finished();
        assert_eq!((done.a, done.b, done.moves), (900, 100, 1));
        assert!(!done.half_written());
        let back = done.begun(8).finished();
        assert_eq!((back.a, back.b, back.moves), (1000, 0, 2), "and back again");
        assert_eq!(half.repaired().total(), TOTAL);
        assert_eq!(half.repaired().a, 1000);
        assert_eq!(GuardedData::from_bytes(&done.to_bytes()), done);
        let garbage = GuardedData::from_bytes(&[0xff; DATA_LEN]);
        assert!(garbage.half_written());
        assert!(!garbage.repaired().half_written());
        assert_eq!(done.to_string(), "A 900 + B 100 = 1000");
    }
}
