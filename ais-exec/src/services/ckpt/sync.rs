//! The checkpoint service's pieces of a sync round ([`crate::services::sync`]),
//! in the services' cluster codec: version, a kind byte, then
//!
//! ```text
//! REFS  side (old ring rep u32, seq u64, alone u32: 0 or the node), sends bool,
//!       count u32, (uid, name, count u32)*
//! COPY  uid, name, unlinked bool, attributes, active replica bool,
//!       next generated id u64, epoch u64, changes u64, idle bool,
//!       count u32, (section id, expiration i64, last update i64, data)*
//! ```
//!
//! Every member sends one REFS: the side it comes from and its own open
//! references. A member that transfers its side's checkpoints says so
//! (`sends`) and sends one COPY per checkpoint (the engine chunks large
//! ones).
//!
//! A *side* is the set of members whose checkpoints are equal at the start
//! of the round: the members that came together from the ring of their last
//! completed round ([`Side::Ring`]); a member whose round was cut short
//! since holds changes nobody else may hold and is a side of its own
//! ([`Side::alone`] set).

use super::state::{Checkpoint, Section};
use super::wire::{NodeId, RingId, Uid};
use crate::services::codec::{self, DecodeError, EncodeError, Reader, Writer};
use ais_proto::ckpt::{put_section_id, section_id, CreationAttributes};
use std::collections::BTreeMap;

const REFS: u8 = 1;
const COPY: u8 = 2;

/// The side a member comes from; ordered as the merge rule's tie-break
/// takes them (lowest old representative first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Side {
    /// The ring of its last completed round (its own id and sequence 0
    /// before the first).
    pub ring: RingId,
    /// 0, or the member itself when it is a side of its own.
    pub alone: NodeId,
}

/// A node's references to one checkpoint at the start of a round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenRef {
    pub uid: Uid,
    /// The checkpoint's name when it is linked (empty once unlinked): a copy
    /// that lost a merge is found again by name.
    pub name: Vec<u8>,
    pub count: u32,
}

/// One piece of CKPT's share of a round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Refs {
        side: Side,
        sends: bool,
        opens: Vec<OpenRef>,
    },
    Copy {
        uid: Uid,
        ckpt: Checkpoint,
        /// Unreferenced on the sending side.
        idle: bool,
    },
}

fn put_uid(w: &mut Writer, u: Uid) {
    w.u32(u.node).u64(u.seq);
}

fn uid(r: &mut Reader<'_>) -> Result<Uid, DecodeError> {
    Ok(Uid {
        node: r.u32()?,
        seq: r.u64()?,
    })
}

impl Piece {
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        match self {
            Piece::Refs { side, sends, opens } => {
                let mut w = codec::writer(REFS);
                w.u32(side.ring.rep).u64(side.ring.seq).u32(side.alone).bool(*sends);
                w.count(opens.len())?;
                for o in opens {
                    put_uid(&mut w, o.uid);
                    w.name(&o.name)?;
                    w.u32(o.count);
                }
                Ok(w.into_vec())
            }
            Piece::Copy { uid, ckpt: c, idle } => {
                let mut w = codec::writer(COPY);
                put_uid(&mut w, *uid);
                w.name(&c.name)?;
                w.bool(c.unlinked);
                c.attrs.put_in(&mut w)?;
                w.bool(c.active_replica)
                    .u64(c.next_generated)
                    .u64(c.epoch)
                    .u64(c.changes)
                    .bool(*idle);
                w.count(c.sections.len())?;
                for (id, s) in &c.sections {
                    put_section_id(&mut w, id)?;
                    w.i64(s.expiration).i64(s.last_update);
                    w.blob(&s.data)?;
                }
                Ok(w.into_vec())
            }
        }
    }

    pub fn decode(b: &[u8]) -> Result<Piece, DecodeError> {
        let (kind, mut r) = codec::open(b)?;
        let p = match kind {
            REFS => {
                let side = Side {
                    ring: RingId {
                        rep: r.u32()?,
                        seq: r.u64()?,
                    },
                    alone: r.u32()?,
                };
                let sends = r.bool()?;
                let n = r.count(12 + 2 + 4)?;
                let mut opens = Vec::with_capacity(n);
                for _ in 0..n {
                    opens.push(OpenRef {
                        uid: uid(&mut r)?,
                        name: r.name()?.to_vec(),
                        count: r.u32()?,
                    });
                }
                Piece::Refs { side, sends, opens }
            }
            COPY => {
                let id = uid(&mut r)?;
                let name = r.name()?.to_vec();
                let unlinked = r.bool()?;
                let attrs = CreationAttributes::get_from(&mut r)?;
                let active_replica = r.bool()?;
                let next_generated = r.u64()?;
                let epoch = r.u64()?;
                let changes = r.u64()?;
                let idle = r.bool()?;
                let n = r.count(2 + 8 + 8 + 4)?;
                let mut sections = BTreeMap::new();
                for _ in 0..n {
                    let sid = section_id(&mut r)?;
                    let s = Section {
                        expiration: r.i64()?,
                        last_update: r.i64()?,
                        data: r.blob()?.to_vec(),
                    };
                    // In ascending order, once each: one encoding per piece.
                    if sections.last_key_value().is_some_and(|(last, _)| *last >= sid) {
                        return Err(DecodeError::Invalid("sections out of order"));
                    }
                    sections.insert(sid, s);
                }
                let used = sections.values().map(|s| s.data.len() as u64).sum();
                Piece::Copy {
                    uid: id,
                    ckpt: Checkpoint {
                        name,
                        unlinked,
                        attrs,
                        active_replica,
                        sections,
                        refs: BTreeMap::new(),
                        next_generated,
                        epoch,
                        used,
                        changes,
                    },
                    idle,
                }
            }
            _ => return Err(DecodeError::Invalid("checkpoint sync piece kind")),
        };
        r.finish()?;
        Ok(p)
    }
}

/// One piece of each kind (tests and fuzz seeds).
pub fn samples() -> Vec<Vec<u8>> {
    let u = Uid { node: 3, seq: 99 };
    let attrs = CreationAttributes {
        creation_flags: 1,
        checkpoint_size: 100,
        retention_duration: 5,
        max_sections: 2,
        max_section_size: 50,
        max_section_id_size: 8,
    };
    let ckpt = Checkpoint {
        name: b"c".to_vec(),
        unlinked: false,
        attrs,
        active_replica: true,
        sections: BTreeMap::from([(
            b"a".to_vec(),
            Section {
                data: b"abcdef".to_vec(),
                expiration: i64::MAX,
                last_update: 5,
            },
        )]),
        refs: BTreeMap::new(),
        next_generated: 3,
        epoch: 2,
        used: 6,
        changes: 7,
    };
    [
        Piece::Refs {
            side: Side {
                ring: RingId { rep: 1, seq: 8 },
                alone: 0,
            },
            sends: true,
            opens: vec![OpenRef {
                uid: u,
                name: b"c".to_vec(),
                count: 2,
            }],
        },
        Piece::Copy {
            uid: u,
            ckpt,
            idle: true,
        },
    ]
    .iter()
    .map(|p| p.encode().expect("a sample within bounds"))
    .collect()
}

/// What a round received, by sender.
#[derive(Default)]
pub struct Received {
    pub refs: BTreeMap<NodeId, (Side, bool, Vec<OpenRef>)>,
    pub copies: BTreeMap<NodeId, BTreeMap<Uid, (Checkpoint, bool)>>,
}

impl Received {
    /// Keeps a piece from `sender`; undecodable ones are dropped with a log line.
    pub fn add(&mut self, sender: NodeId, piece: &[u8]) {
        match Piece::decode(piece) {
            Ok(Piece::Refs { side, sends, opens }) => {
                self.refs.insert(sender, (side, sends, opens));
            }
            Ok(Piece::Copy { uid, ckpt, idle }) => {
                self.copies.entry(sender).or_default().insert(uid, (ckpt, idle));
            }
            Err(e) => log::warn!(target: "CKPT", "undecodable sync piece from node {sender} dropped: {e}"),
        }
    }

    /// The sides of the round and their members, in the order of the
    /// merge rule's tie-break.
    pub fn sides(&self) -> BTreeMap<Side, Vec<NodeId>> {
        let mut sides: BTreeMap<Side, Vec<NodeId>> = BTreeMap::new();
        for (node, (side, _, _)) in &self.refs {
            sides.entry(*side).or_default().push(*node);
        }
        sides
    }

    /// The member whose copies stand for `members`' side: the lowest that
    /// sent its checkpoints.
    pub fn sender_of(&self, members: &[NodeId]) -> Option<NodeId> {
        members
            .iter()
            .copied()
            .filter(|n| self.refs.get(n).is_some_and(|(_, sends, _)| *sends))
            .min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_piece_round_trips_and_every_truncation_fails() {
        for b in samples() {
            let p = Piece::decode(&b).unwrap();
            assert_eq!(p.encode().unwrap(), b);
            for n in 0..b.len() {
                assert!(Piece::decode(&b[..n]).is_err(), "{p:?} cut at {n}");
            }
            let mut longer = b.clone();
            longer.push(0);
            assert!(Piece::decode(&longer).is_err());
        }
    }
}
