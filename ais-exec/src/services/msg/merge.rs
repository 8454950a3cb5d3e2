//! MSG's part in the sync engine: the piece each node sends and the merge rule
//! applied at activate (written in saMsg(3), MERGE AND FAILURE).
//!
//! Every node sends one piece: whether it is fresh (no completed round: it just
//! started, holds nothing, and nothing it once opened is still open), the ring it
//! comes from, its `SaTimeT`, and, unless fresh, every queue with its messages. At
//! activate:
//! 1. for each queue name, the copy of the side whose old ring had the lowest
//!    representative wins (fresh nodes come last); a queue one side alone held is
//!    kept;
//! 2. a queue whose opener's node left, or restarted, is closed at the lowest
//!    member's `SaTimeT` with its messages intact (its retention starts), and blocked
//!    gets of nodes that left are dropped;
//! 3. a queue unlinked while open and now closed is deleted.

use super::queues::{Handle, NodeId, Queue, Queues, Stored, Waiter};
use super::wire::{attributes, body, put_attributes, put_body};
use crate::services::codec::{self, DecodeError, EncodeError, Reader, Writer};
use ais_proto::msg::PRIORITIES;
use std::collections::{BTreeMap, VecDeque};

const PIECE: u8 = 64;

/// One node's piece of a round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    pub fresh: bool,
    /// The old ring's representative (`u32::MAX` when fresh).
    pub old_rep: NodeId,
    pub wall: i64,
    /// Every queue (none from a fresh node).
    pub queues: Option<BTreeMap<Vec<u8>, Queue>>,
}

fn put_queue(w: &mut Writer, name: &[u8], q: &Queue) -> Result<(), EncodeError> {
    w.name(name)?;
    put_attributes(w, &q.attributes);
    w.bool(q.opener.is_some());
    if let Some(h) = q.opener {
        w.u32(h.node).u64(h.conn);
    }
    w.bool(q.receive_callback).i64(q.close_time).bool(q.unlinked);
    w.count(q.waiters.len())?;
    for x in &q.waiters {
        w.u32(x.node).u64(x.token).u64(x.room);
    }
    for area in &q.areas {
        w.count(area.len())?;
        for s in area {
            w.i64(s.send_time);
            put_body(w, &s.body)?;
        }
    }
    Ok(())
}

fn queue(r: &mut Reader<'_>) -> Result<(Vec<u8>, Queue), DecodeError> {
    let name = r.name()?.to_vec();
    let mut q = Queue::new(attributes(r)?);
    if r.bool()? {
        q.opener = Some(Handle {
            node: r.u32()?,
            conn: r.u64()?,
        });
    }
    q.receive_callback = r.bool()?;
    q.close_time = r.i64()?;
    q.unlinked = r.bool()?;
    let n = r.count(20)?;
    let mut waiters = VecDeque::with_capacity(n);
    for _ in 0..n {
        waiters.push_back(Waiter {
            node: r.u32()?,
            token: r.u64()?,
            room: r.u64()?,
        });
    }
    q.waiters = waiters;
    for p in 0..PRIORITIES {
        let n = r.count(22)?;
        for _ in 0..n {
            let send_time = r.i64()?;
            let b = body(r)?;
            if b.priority as usize != p {
                return Err(DecodeError::Invalid("MSG message priority"));
            }
            q.used[p] += b.data.len() as u64;
            q.areas[p].push_back(Stored { send_time, body: b });
        }
    }
    Ok((name, q))
}

impl Piece {
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        let mut w = codec::writer(PIECE);
        w.bool(self.fresh)
            .u32(self.old_rep)
            .i64(self.wall)
            .bool(self.queues.is_some());
        if let Some(qs) = &self.queues {
            w.count(qs.len())?;
            for (n, q) in qs {
                put_queue(&mut w, n, q)?;
            }
        }
        Ok(w.into_vec())
    }

    pub fn decode(b: &[u8]) -> Result<Piece, DecodeError> {
        let (kind, mut r) = codec::open(b)?;
        if kind != PIECE {
            return Err(DecodeError::Invalid("MSG sync piece kind"));
        }
        let (fresh, old_rep, wall) = (r.bool()?, r.u32()?, r.i64()?);
        let queues = if r.bool()? {
            let n = r.count(40)?;
            let mut qs = BTreeMap::new();
            for _ in 0..n {
                let (name, q) = queue(&mut r)?;
                // One encoding: names in increasing order, each once.
                if qs.last_key_value().is_some_and(|(last, _)| *last >= name) {
                    return Err(DecodeError::Invalid("MSG queue order"));
                }
                qs.insert(name, q);
            }
            Some(qs)
        } else {
            None
        };
        r.finish()?;
        Ok(Piece {
            fresh,
            old_rep,
            wall,
            queues,
        })
    }
}

/// The merged table of a round from every member's piece (`pieces` by sender), or
/// `None` if no piece carried queues (keep what this node has). Also gives the
/// `SaTimeT` the closes of this round take.
pub fn merge(pieces: &BTreeMap<NodeId, Piece>, members: &[NodeId]) -> (Option<Queues>, Option<i64>) {
    let time = members.iter().min().and_then(|m| pieces.get(m)).map(|p| p.wall);
    let mut copies: Vec<(bool, NodeId, NodeId, &BTreeMap<Vec<u8>, Queue>)> = pieces
        .iter()
        .filter_map(|(&sender, p)| Some((p.fresh, p.old_rep, sender, p.queues.as_ref()?)))
        .collect();
    if copies.is_empty() {
        return (None, time);
    }
    copies.sort_by_key(|&(fresh, rep, sender, _)| (fresh, rep, sender));
    let mut merged = Queues::default();
    for (_, _, _, qs) in copies {
        for (name, q) in qs {
            merged.map.entry(name.clone()).or_insert_with(|| q.clone());
        }
    }
    (Some(merged), time)
}

/// Rules 2 and 3: closes the queues whose opener's node is gone or restarted.
pub fn settle(qs: &mut Queues, members: &[NodeId], restarted: &[NodeId], time: i64) {
    let gone = |n: NodeId| !members.contains(&n) || restarted.contains(&n);
    qs.map.retain(|_, q| {
        if q.opener.is_some_and(|h| gone(h.node)) {
            q.opener = None;
            q.receive_callback = false;
            q.close_time = time;
        }
        q.waiters.retain(|w| !gone(w.node));
        if q.opener.is_none() {
            // A closed queue has no blocked gets.
            q.waiters.clear();
        }
        !(q.unlinked && q.opener.is_none())
    });
    qs.recount();
}

#[cfg(test)]
mod tests {
    use super::*;
    use ais_proto::msg::{Attributes, Body};

    fn queue_with(opener: Option<Handle>, data: &[&[u8]]) -> Queue {
        let mut q = Queue::new(Attributes {
            flags: 0,
            size: [100; 4],
            retention: 5,
        });
        q.opener = opener;
        for d in data {
            let body = Body {
                priority: 1,
                data: d.to_vec(),
                ..Body::default()
            };
            q.used[1] += d.len() as u64;
            q.areas[1].push_back(Stored { send_time: 1, body });
        }
        q
    }

    #[test]
    fn a_piece_round_trips_and_refuses_cuts() {
        let mut qs = BTreeMap::new();
        let mut q = queue_with(Some(Handle { node: 2, conn: 3 }), &[b"a", b"bc"]);
        q.waiters.push_back(Waiter {
            node: 2,
            token: 9,
            room: 4,
        });
        qs.insert(b"q".to_vec(), q);
        let p = Piece {
            fresh: false,
            old_rep: 1,
            wall: 7,
            queues: Some(qs),
        };
        let b = p.encode().unwrap();
        assert_eq!(Piece::decode(&b), Ok(p));
        for n in 0..b.len() {
            assert!(Piece::decode(&b[..n]).is_err(), "cut at {n}");
        }
    }

    /// saMsg(3) MERGE AND FAILURE: the side whose old ring had the lowest
    /// representative wins a queue both held; a queue one side held is kept.
    #[test]
    fn the_lowest_old_ring_wins_and_one_sided_queues_are_kept() {
        let piece = |rep, qs: Vec<(&[u8], Queue)>| Piece {
            fresh: false,
            old_rep: rep,
            wall: 100 + rep as i64,
            queues: Some(qs.into_iter().map(|(n, q)| (n.to_vec(), q)).collect()),
        };
        let mut pieces = BTreeMap::new();
        pieces.insert(
            3,
            piece(
                3,
                vec![(b"both", queue_with(None, &[b"three"])), (b"b", queue_with(None, &[]))],
            ),
        );
        pieces.insert(
            1,
            piece(
                1,
                vec![(b"both", queue_with(None, &[b"one"])), (b"a", queue_with(None, &[]))],
            ),
        );
        let (merged, time) = merge(&pieces, &[1, 3]);
        let merged = merged.unwrap();
        assert_eq!(time, Some(101));
        assert_eq!(merged.map.keys().collect::<Vec<_>>(), vec![&b"a"[..], b"b", b"both"]);
        assert_eq!(merged.map[&b"both"[..]].areas[1][0].body.data, b"one");
    }

    /// req. Failures: the opener's node failing closes its queue with its messages
    /// intact; its close time is the round's.
    #[test]
    fn a_departed_opener_closes_its_queue_with_messages_kept() {
        let mut qs = Queues::default();
        qs.map
            .insert(b"q".to_vec(), queue_with(Some(Handle { node: 2, conn: 1 }), &[b"x"]));
        qs.map
            .insert(b"r".to_vec(), queue_with(Some(Handle { node: 1, conn: 1 }), &[]));
        settle(&mut qs, &[1, 3], &[], 55);
        let q = &qs.map[&b"q"[..]];
        assert_eq!((q.opener, q.close_time, q.areas[1].len()), (None, 55, 1));
        assert!(qs.map[&b"r"[..]].opener.is_some());
        assert_eq!(qs.held, 1 + super::super::limits::MsgLimits::MESSAGE_OVERHEAD);
    }
}
