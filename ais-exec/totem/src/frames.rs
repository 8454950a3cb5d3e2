//! The frames a node holds for one ring, indexed by sequence number, with its
//! all-received-up-to (aru) point.

use crate::types::NodeId;
use bytes::Bytes;
use std::collections::VecDeque;

/// How far beyond the freed point a frame may lie and still be accepted.
/// Flow control keeps real frames far inside this; anything beyond is a
/// corrupt or hostile sequence number and would otherwise cost memory.
pub const ACCEPT_WINDOW: u64 = 65_536;

/// One frame as held for delivery and retransmission.
#[derive(Debug, Clone)]
pub struct Stored {
    pub sender: NodeId,
    pub safe: bool,
    /// Carries application chunks (false for recovery frames and fillers).
    pub app: bool,
    /// The packed chunks.
    pub payload: Bytes,
    /// The datagram, for retransmission on this ring (empty for frames that
    /// arrived re-sent from an earlier ring: they are re-encoded if needed).
    pub raw: Bytes,
}

pub struct FrameStore {
    /// Sequence number of `slots[0]`; everything below is freed.
    base: u64,
    slots: VecDeque<Option<Stored>>,
    aru: u64,
    high: u64,
}

impl FrameStore {
    pub fn new() -> FrameStore {
        FrameStore {
            base: 1,
            slots: VecDeque::new(),
            aru: 0,
            high: 0,
        }
    }

    /// Highest `s` such that every frame up to `s` has been received.
    pub fn aru(&self) -> u64 {
        self.aru
    }

    /// Highest sequence number received.
    pub fn high(&self) -> u64 {
        self.high
    }

    /// Stores a frame; false when it was already held, freed, or out of range.
    pub fn insert(&mut self, seq: u64, frame: Stored) -> bool {
        if seq < self.base || seq <= self.aru || seq >= self.base + ACCEPT_WINDOW {
            return false;
        }
        let idx = (seq - self.base) as usize;
        if idx >= self.slots.len() {
            self.slots.resize(idx + 1, None);
        }
        if self.slots[idx].is_some() {
            return false;
        }
        self.slots[idx] = Some(frame);
        self.high = self.high.max(seq);
        while self.aru < self.high {
            match self.slots.get((self.aru + 1 - self.base) as usize) {
                Some(Some(_)) => self.aru += 1,
                _ => break,
            }
        }
        true
    }

    pub fn get(&self, seq: u64) -> Option<&Stored> {
        if seq < self.base {
            return None;
        }
        self.slots.get((seq - self.base) as usize)?.as_ref()
    }

    pub fn contains(&self, seq: u64) -> bool {
        self.get(seq).is_some()
    }

    /// Forgets every frame up to `seq` (all members hold them and they have
    /// been delivered). Never frees beyond the aru.
    pub fn free_up_to(&mut self, seq: u64) {
        let seq = seq.min(self.aru);
        while self.base <= seq {
            self.slots.pop_front();
            self.base += 1;
        }
    }

    /// Sequence numbers in `(from, to]` this store lacks, at most `limit`.
    pub fn missing(&self, from: u64, to: u64, limit: usize) -> impl Iterator<Item = u64> + '_ {
        (from.max(self.aru) + 1..=to)
            .filter(move |s| !self.contains(*s))
            .take(limit)
    }
}

impl Default for FrameStore {
    fn default() -> Self {
        FrameStore::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f() -> Stored {
        Stored {
            sender: 1,
            safe: false,
            app: true,
            payload: Bytes::new(),
            raw: Bytes::new(),
        }
    }

    #[test]
    fn aru_follows_the_contiguous_prefix() {
        let mut s = FrameStore::new();
        assert!(s.insert(2, f()));
        assert_eq!((s.aru(), s.high()), (0, 2));
        assert!(!s.insert(2, f()));
        assert!(s.insert(1, f()));
        assert_eq!(s.aru(), 2);
        assert!(s.insert(5, f()));
        assert_eq!(s.missing(0, 6, 10).collect::<Vec<_>>(), vec![3, 4, 6]);
        s.free_up_to(10);
        assert!(!s.contains(1) && !s.contains(2) && s.contains(5));
        assert!(!s.insert(1, f()), "freed frames stay freed");
        assert!(!s.insert(ACCEPT_WINDOW + 3, f()), "absurd sequence numbers are refused");
    }
}
