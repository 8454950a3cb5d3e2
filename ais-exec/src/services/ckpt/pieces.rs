//! The pieces of changes too large for one cluster message, staged on every
//! node until the last one is delivered, so that the whole change is applied
//! at once (SA Forum CKPT B.02.03 §3.6.3: a write is atomic; a reader never
//! sees a prefix). Every node sees the same pieces in the same order, so every
//! node stages, refuses and drops the same ones.
//!
//! A change is keyed by its sender and request number; its pieces must come
//! numbered 0, 1, 2, … for the same checkpoint and kind. A piece out of
//! sequence (one was lost with an interrupted synchronisation) drops what was
//! staged, and the last piece then answers `SA_AIS_ERR_TRY_AGAIN`. Staging
//! past a limit (per sender, in all, or the store's room) frees the change's
//! bytes and marks it refused: its last piece answers
//! `SA_AIS_ERR_NO_RESOURCES`.

use super::limits::CkptLimits;
use super::wire::{NodeId, Uid};
use ais_proto::status;
use std::collections::BTreeMap;

/// What a change's pieces are for: its checkpoint and IPC request kind.
pub type Target = (Uid, u16);

struct Staged {
    target: Target,
    /// The index the next piece must have.
    next: u32,
    bytes: Vec<u8>,
    /// Past a limit: the bytes are freed, the last piece answers NO_RESOURCES.
    refused: bool,
}

#[derive(Default)]
pub struct Pieces {
    staged: BTreeMap<(NodeId, u64), Staged>,
    by_sender: BTreeMap<NodeId, u64>,
    total: u64,
}

impl Pieces {
    /// Bytes staged for every sender together.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Stages one piece. `None` until the last piece; then the change's whole
    /// bytes, or the status that answers it. `room` is what the store has
    /// left (staged bytes count against it).
    #[allow(clippy::too_many_arguments)]
    pub fn stage(
        &mut self,
        sender: NodeId,
        req: u64,
        target: Target,
        index: u32,
        last: bool,
        data: Vec<u8>,
        limits: &CkptLimits,
        room: u64,
    ) -> Option<Result<Vec<u8>, u32>> {
        let key = (sender, req);
        if index == 0 {
            self.drop_one(sender, req);
            self.staged.insert(
                key,
                Staged {
                    target,
                    next: 0,
                    bytes: Vec::new(),
                    refused: false,
                },
            );
        }
        let in_sequence = self
            .staged
            .get(&key)
            .is_some_and(|s| s.next == index && s.target == target);
        if !in_sequence {
            self.drop_one(sender, req);
            return last.then_some(Err(status::TRY_AGAIN));
        }
        let n = data.len() as u64;
        let mine = self.by_sender.get(&sender).copied().unwrap_or(0);
        let over =
            mine + n > limits.max_staged_per_node || self.total + n > limits.max_staged_total || self.total + n > room;
        let s = self.staged.get_mut(&key)?;
        s.next = s.next.wrapping_add(1);
        if !s.refused {
            if over {
                s.refused = true;
                let freed = std::mem::take(&mut s.bytes).len() as u64;
                self.uncount(sender, freed);
            } else {
                s.bytes.extend_from_slice(&data);
                self.total += n;
                *self.by_sender.entry(sender).or_default() += n;
            }
        }
        if !last {
            return None;
        }
        let s = self.staged.remove(&key)?;
        self.uncount(sender, s.bytes.len() as u64);
        Some(if s.refused {
            Err(status::NO_RESOURCES)
        } else {
            Ok(s.bytes)
        })
    }

    /// Drops the staged pieces of `req` from `sender`.
    pub fn drop_one(&mut self, sender: NodeId, req: u64) {
        if let Some(s) = self.staged.remove(&(sender, req)) {
            self.uncount(sender, s.bytes.len() as u64);
        }
    }

    /// Drops the staged pieces of every sender not among `members`.
    pub fn keep_senders(&mut self, members: &[NodeId]) {
        let gone: Vec<(NodeId, u64)> = self
            .staged
            .keys()
            .filter(|(n, _)| !members.contains(n))
            .copied()
            .collect();
        for (n, r) in gone {
            self.drop_one(n, r);
        }
    }

    /// Drops every staged piece.
    pub fn clear(&mut self) {
        *self = Pieces::default();
    }

    /// Changes staged now.
    pub fn changes(&self) -> usize {
        self.staged.len()
    }

    fn uncount(&mut self, sender: NodeId, n: u64) {
        self.total -= n;
        if let Some(b) = self.by_sender.get_mut(&sender) {
            *b -= n;
            if *b == 0 {
                self.by_sender.remove(&sender);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Target = (Uid { node: 1, seq: 1 }, 12);

    fn limits(per_node: u64, total: u64) -> CkptLimits {
        CkptLimits {
            max_staged_per_node: per_node,
            max_staged_total: total,
            ..CkptLimits::default()
        }
    }

    #[test]
    fn the_last_piece_gives_the_whole_change_and_frees_it() {
        let mut p = Pieces::default();
        let l = limits(100, 100);
        assert_eq!(p.stage(1, 7, T, 0, false, b"ab".to_vec(), &l, 100), None);
        assert_eq!(p.stage(1, 7, T, 1, false, b"cd".to_vec(), &l, 100), None);
        assert_eq!((p.changes(), p.total()), (1, 4));
        assert_eq!(
            p.stage(1, 7, T, 2, true, b"e".to_vec(), &l, 100),
            Some(Ok(b"abcde".to_vec()))
        );
        assert_eq!((p.changes(), p.total()), (0, 0));
    }

    #[test]
    fn out_of_sequence_or_another_target_drops_and_the_last_answers_try_again() {
        let mut p = Pieces::default();
        let l = limits(100, 100);
        p.stage(1, 7, T, 0, false, b"ab".to_vec(), &l, 100);
        assert_eq!(p.stage(1, 7, T, 2, false, b"x".to_vec(), &l, 100), None);
        assert_eq!((p.changes(), p.total()), (0, 0));
        assert_eq!(
            p.stage(1, 7, T, 3, true, b"x".to_vec(), &l, 100),
            Some(Err(status::TRY_AGAIN))
        );
        p.stage(1, 8, T, 0, false, b"ab".to_vec(), &l, 100);
        let other = (T.0, 13);
        assert_eq!(
            p.stage(1, 8, other, 1, true, b"x".to_vec(), &l, 100),
            Some(Err(status::TRY_AGAIN))
        );
        assert_eq!((p.changes(), p.total()), (0, 0));
    }

    #[test]
    fn past_a_limit_the_bytes_are_freed_and_the_last_answers_no_resources() {
        let mut p = Pieces::default();
        // Per sender: node 1 may stage 4, all nodes 6, the store has room for 100.
        let l = limits(4, 6);
        p.stage(1, 1, T, 0, false, b"abc".to_vec(), &l, 100);
        p.stage(2, 1, T, 0, false, b"abc".to_vec(), &l, 100);
        assert_eq!(p.total(), 6);
        // Node 1 past its own limit; node 2's change is untouched.
        assert_eq!(p.stage(1, 1, T, 1, false, b"de".to_vec(), &l, 100), None);
        assert_eq!(p.total(), 3);
        assert_eq!(
            p.stage(1, 1, T, 2, true, b"f".to_vec(), &l, 100),
            Some(Err(status::NO_RESOURCES))
        );
        // In all: node 3 finds no room left beside node 2's 3 bytes and a new 4.
        p.stage(3, 1, T, 0, false, b"ab".to_vec(), &l, 100);
        assert_eq!(
            p.stage(3, 1, T, 1, true, b"cd".to_vec(), &l, 100),
            Some(Err(status::NO_RESOURCES))
        );
        // The store's room counts too.
        assert_eq!(
            p.stage(4, 1, T, 0, true, b"ab".to_vec(), &l, 4),
            Some(Err(status::NO_RESOURCES))
        );
        assert_eq!(
            p.stage(2, 1, T, 1, true, b"".to_vec(), &l, 100),
            Some(Ok(b"abc".to_vec()))
        );
        assert_eq!((p.changes(), p.total()), (0, 0));
    }

    #[test]
    fn a_sender_that_left_has_its_pieces_dropped() {
        let mut p = Pieces::default();
        let l = limits(100, 100);
        p.stage(1, 1, T, 0, false, b"ab".to_vec(), &l, 100);
        p.stage(2, 1, T, 0, false, b"cd".to_vec(), &l, 100);
        p.keep_senders(&[2, 3]);
        assert_eq!((p.changes(), p.total()), (1, 2));
        assert_eq!(p.stage(1, 1, T, 1, true, vec![], &l, 100), Some(Err(status::TRY_AGAIN)));
    }
}
