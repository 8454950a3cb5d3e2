//! The one shape every service has: a sans-IO replicated state machine that
//! the router ([`super::router`]) feeds and whose [`Output`] it carries out.
//!
//! A service never sees a socket, a clock or the host's responder type. Its
//! inputs, all on the ordering task, one at a time:
//! - [`Service::connected`] / [`Service::disconnected`]: a library handle
//!   opened or went away;
//! - [`Service::request`]: a library request, answered at once
//!   ([`Handling::Now`]) or *ordered* ([`Handling::Ordered`]): the service
//!   names a cluster message and a [`Token`]; the router multicasts the
//!   message and keeps the request's responder under the token, and the
//!   service answers the token ([`Effect::Answer`]) when the change has been
//!   applied on this node (the origin). If the router cannot queue the
//!   message it answers the request with the service's [`Service::busy`]
//!   reply and tells the service with [`Service::refused`];
//! - [`Service::delivered`]: one of its cluster messages, in agreed order,
//!   on every node;
//! - [`Service::configuration`]: a regular configuration, before its sync
//!   round starts (what a service reports about the ring itself);
//! - [`Service::sync_init`] / [`Service::sync_receive`] /
//!   [`Service::sync_activate`] / [`Service::sync_abort`]: the
//!   re-synchronisation of its replicated state after every regular
//!   configuration, driven by the sync engine ([`super::sync`]), which
//!   also holds its ordered messages ([`Service::replicated`]) and answers
//!   busy to requests that need synchronised state ([`Service::needs_sync`])
//!   until the round completes;
//! - [`Service::tick`] / [`Service::next_deadline`]: timers of its own.
//!
//! Flow control needs to know which handles receive a group's traffic and
//! which group a handle sends to: [`Service::flow_receivers`] and
//! [`Service::flow_group`] say so without the router knowing any service.

use crate::ipc::{AisVersion, ConnId, ServiceId};
use ais_proto::status;

pub use super::sync::{Held, Round};

pub use ais_totem::NodeId;

/// A ring's identity (representative, sequence).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct RingId {
    pub rep: NodeId,
    pub seq: u64,
}

/// A reply to a request: the status for the frame header and the payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u32,
    pub payload: Vec<u8>,
}

impl Reply {
    /// A reply with a status and no payload.
    pub fn status(status: u32) -> Reply {
        Reply {
            status,
            payload: Vec::new(),
        }
    }
}

/// Names an ordered request until the service answers it. Unique within
/// one service for as long as the request is pending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Token(pub u64);

/// What the process behind a new handle is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Peer {
    /// Its process id (0 when the kernel did not say).
    pub pid: u32,
    /// Its user id as the kernel reported it (None when unknown: not root).
    /// Administrative requests (CLM lock/unlock/shutdown) need uid 0.
    pub uid: Option<u32>,
}

/// One thing a service asks the router to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect<C = ConnId> {
    /// Multicast this cluster message to every executive, in agreed order.
    Multicast(Vec<u8>),
    /// Send a callback frame on `conn`'s dispatch channel.
    Callback {
        conn: C,
        msg: u16,
        status: u32,
        payload: Vec<u8>,
    },
    /// Answer the ordered request kept under `token` (on its origin node).
    Answer { token: Token, reply: Reply },
}

/// What every service method returns: effects, carried out in order.
pub type Output<C = ConnId> = Vec<Effect<C>>;

/// What becomes of a request.
#[derive(Debug)]
pub enum Handling<C = ConnId> {
    /// Answer now, after carrying out `output`. If a multicast in it cannot
    /// be queued the request is answered [`Service::busy`] instead (a
    /// request that expects no reply has it parked instead).
    Now(Reply, Output<C>),
    /// Multicast `message`; once it is queued answer `accepted` at once if
    /// given (the result comes later as a callback), otherwise keep the
    /// responder under `token` for the service's [`Effect::Answer`].
    Ordered {
        message: Vec<u8>,
        token: Token,
        accepted: Option<Reply>,
    },
}

impl<C> Handling<C> {
    /// An answer now with nothing else to do.
    pub fn reply(r: Reply) -> Handling<C> {
        Handling::Now(r, Vec::new())
    }

    /// An answer now of `status` alone.
    pub fn status(s: u32) -> Handling<C> {
        Handling::reply(Reply::status(s))
    }

    /// The immediate answer and its effects (tests of requests that are
    /// never ordered).
    #[cfg(test)]
    pub fn now(self) -> (Reply, Output<C>) {
        match self {
            Handling::Now(r, o) => (r, o),
            Handling::Ordered { .. } => panic!("the request was ordered, not answered"),
        }
    }
}

/// A read-only view of the host, for the services that report on it.
pub trait HostView {
    /// The ring as this node's protocol sees it (`ais-cfgtool -s`).
    fn ring_status(&self) -> ais_proto::cfg::RingStatus;
    /// This node's quorum (`ais-quorumtool -s`); the router fills it in.
    fn quorum_status(&self) -> ais_proto::cfg::QuorumStatus {
        ais_proto::cfg::QuorumStatus::default()
    }
}

/// Whether a handle of AIS version `v` knows `SA_AIS_ERR_UNAVAILABLE`
/// (31): the B.03-era specifications define it (CKPT from B.02.03; EVT,
/// LCK, MSG B.03.01; CLM B.04.01); B.01 handles and the services without
/// an AIS version get `SA_AIS_ERR_TRY_AGAIN` instead.
pub fn defines_unavailable(v: AisVersion) -> bool {
    v.release_code == b'B' && (v.major, v.minor) >= (2, 3)
}

/// A group for flow control: senders to it are held back while one of its
/// local receivers has too many callbacks unread.
pub type FlowGroup = Vec<u8>;

/// The contract of a service. `C` names a library handle (the router's
/// [`ConnId`]; tests may use plain numbers).
pub trait Service<C = ConnId>: Send {
    fn id(&self) -> ServiceId;
    /// The AIS version it implements (0.0.0 for CPG, EVS and CFG, which
    /// have none).
    fn version(&self) -> AisVersion;

    /// A handle was opened.
    fn connected(&mut self, _conn: C, _peer: Peer) -> Output<C> {
        Vec::new()
    }
    /// The handle is gone (finalized, or its process died).
    fn disconnected(&mut self, conn: C) -> Output<C>;
    /// A request from `conn`.
    fn request(&mut self, conn: C, msg: u16, payload: &[u8], host: &dyn HostView) -> Handling<C>;
    /// The message of ordered request `token` could not be queued: the
    /// router answered it [`busy`](Service::busy); forget it.
    fn refused(&mut self, _token: Token) -> Output<C> {
        Vec::new()
    }
    /// The answer to request kind `msg` when it cannot be taken now
    /// (`SA_AIS_ERR_TRY_AGAIN` in the shape that request's response has).
    fn busy(&self, _msg: u16) -> Reply {
        Reply::status(status::TRY_AGAIN)
    }
    /// The answer to request kind `msg` refused with `status` (the
    /// partition is not quorate): [`busy`](Service::busy)'s shape with
    /// that status.
    fn refuse(&self, msg: u16, status: u32) -> Reply {
        Reply {
            status,
            ..self.busy(msg)
        }
    }

    /// One of this service's cluster messages, in agreed order.
    fn delivered(&mut self, sender: NodeId, data: &[u8], now: u64) -> Output<C>;
    /// A regular configuration of `members`, before its sync round starts.
    fn configuration(&mut self, _ring: RingId, _members: &[NodeId], _now: u64) -> Output<C> {
        Vec::new()
    }

    /// Whether the service has replicated state: its ordered messages are
    /// held during a sync round and applied right after activate.
    fn replicated(&self) -> bool {
        false
    }
    /// Whether request `msg` of `conn` needs synchronised state: it answers
    /// [`busy`](Service::busy) until the first round and during every round.
    fn needs_sync(&self, _conn: C, _msg: u16, _payload: &[u8]) -> bool {
        false
    }
    /// A sync round starts: this node's share of the state, in pieces (the
    /// engine chunks large ones). Remember what merging needs.
    fn sync_init(&mut self, _round: &Round<'_>) -> Vec<Vec<u8>> {
        Vec::new()
    }
    /// A piece of the current round from member `sender` (this node too),
    /// in agreed order.
    fn sync_receive(&mut self, _sender: NodeId, _piece: &[u8]) {}
    /// Every member's pieces have arrived: merge, and emit what the
    /// configuration change causes (tracking and membership callbacks).
    fn sync_activate(&mut self, _now: u64) -> Output<C> {
        Vec::new()
    }
    /// The round was cut short by another configuration: drop what it
    /// received; the state is as before the round. Says what becomes of
    /// the ordered messages held during the round.
    fn sync_abort(&mut self) -> Held {
        Held::Apply
    }
    /// An ordered message held during a round that was cut short, dropped
    /// on every node ([`Held::Drop`]): the origin answers its request busy
    /// (or sends it again if it must happen).
    fn held_dropped(&mut self, _sender: NodeId, _data: &[u8]) -> Output<C> {
        Vec::new()
    }
    /// Timers due at `now` (monotonic nanoseconds).
    fn tick(&mut self, _now: u64) -> Output<C> {
        Vec::new()
    }
    /// When [`tick`](Service::tick) next has something to do.
    fn next_deadline(&self, _now: u64) -> Option<u64> {
        None
    }

    /// The local handles that receive callbacks for a flow group.
    fn flow_receivers(&self) -> Vec<(C, FlowGroup)> {
        Vec::new()
    }
    /// The flow group `conn` sends to, if any.
    fn flow_group(&self, _conn: C) -> Option<FlowGroup> {
        None
    }

    /// The copies that lost the merges of the rounds activated since the
    /// last call (simulators check them against the service's merge rule).
    fn merge_losses(&mut self) -> Vec<MergeLoss> {
        Vec::new()
    }

    /// A digest of the replicated state: what every member of a
    /// configuration holds alike once re-synchronised, and nothing local
    /// (connections, tracking, timers). `None` when the service keeps no
    /// replicated state, or while it re-synchronises (nothing to compare
    /// yet). Simulators and tests compare it between nodes.
    fn digest(&self) -> Option<u64> {
        None
    }
}

/// A copy of replicated state (a checkpoint, by name) that lost a merge
/// to another copy: each with the members of the side it came from, the
/// representative of that side's old ring and the changes the copy counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeLoss {
    pub name: Vec<u8>,
    pub loser: MergeSide,
    pub winner: MergeSide,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeSide {
    pub members: Vec<NodeId>,
    /// The side's old ring (representative, sequence), and the member
    /// itself for a side of one member whose round was cut short (else 0):
    /// ties go to the lowest.
    pub rep: NodeId,
    pub seq: u64,
    pub alone: NodeId,
    pub changes: u64,
}

/// A deterministic hasher for [`Service::digest`] (SipHash with fixed keys:
/// the same state gives the same digest on every node of one build).
pub fn digest_of(feed: impl FnOnce(&mut std::collections::hash_map::DefaultHasher)) -> u64 {
    use std::hash::Hasher;
    let mut h = std::collections::hash_map::DefaultHasher::new();
    feed(&mut h);
    h.finish()
}
