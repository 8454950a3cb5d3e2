//! What every node did during a run: the input of the checker.

use ais_totem::{ConfKind, NodeId, RingId, Time};
use std::collections::HashMap;

/// A message's identity: the submitting incarnation and its counter. The
/// simulator writes it into the first 8 bytes of every payload.
pub type MsgId = u64;

pub fn msg_id(incarnation: u32, counter: u64) -> MsgId {
    ((incarnation as u64) << 40) | (counter & ((1 << 40) - 1))
}

pub fn msg_origin(id: MsgId) -> u32 {
    (id >> 40) as u32
}

pub fn msg_counter(id: MsgId) -> u64 {
    id & ((1 << 40) - 1)
}

/// A frame's identity: its original ring and sequence number.
pub type FrameId = (RingId, u64);

/// How a configuration is named: a regular one by its ring; a transitional
/// one by the ring it comes from and the ring it leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConfKey {
    pub kind: ConfKind,
    pub ring_id: RingId,
    pub old_ring_id: Option<RingId>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Conf {
        time: Time,
        key: ConfKey,
        members: Vec<NodeId>,
    },
    Deliver {
        time: Time,
        msg: MsgId,
        safe: bool,
        frame: FrameId,
    },
}

/// One run of one node, from start to crash, leave, or the end of the run.
#[derive(Debug, Clone, Default)]
pub struct Incarnation {
    pub id: u32,
    pub node: NodeId,
    pub events: Vec<Event>,
    /// Ended by a crash or a leave before the end of the run.
    pub ended: bool,
    /// Messages it submitted that were accepted.
    pub submitted: Vec<MsgId>,
}

/// The healed phase, for the liveness property.
#[derive(Debug, Clone, Default)]
pub struct Liveness {
    pub healed_at: Time,
    /// How long after healing one ring must have formed.
    pub bound: Time,
    /// When every node was first seen operational in one ring of all nodes.
    pub formed_at: Option<Time>,
    /// Messages submitted after that.
    pub after_formation: Vec<MsgId>,
    /// The incarnations alive at the end, which must deliver them all.
    pub survivors: Vec<u32>,
}

#[derive(Debug, Clone, Default)]
pub struct History {
    pub incarnations: Vec<Incarnation>,
    /// When each node first held each frame.
    pub received: HashMap<FrameId, Vec<(NodeId, Time)>>,
    pub liveness: Option<Liveness>,
}
