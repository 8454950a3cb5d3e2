//! The sync engine: after every regular configuration every service
//! re-synchronises its replicated state through one barrier, in the manner
//! of corosync's sync (init, process, activate, abort).
//!
//! The rules, as every node applies them in agreed order:
//! - **Start.** On a regular configuration of ring `R` every node asks each
//!   service, in registry order, for its share of state
//!   ([`Service::sync_init`]), multicasts each piece tagged with `R` and the
//!   service (a piece over [`CHUNK_BYTES`] goes as several chunks, so no
//!   message nears Totem's limit), then one barrier tagged with `R`. These
//!   messages are never refused: the router parks them when the send queue
//!   is full.
//! - **Process.** A piece of the current round, from a member, is handed
//!   (whole, once its last chunk arrives) to its service
//!   ([`Service::sync_receive`]). Pieces and barriers of another round are
//!   ignored.
//! - **Activate.** When the barrier of every member of `R` has been
//!   delivered (each node sends its pieces before its barrier, so every
//!   piece has arrived too), every service applies its merge rule and emits
//!   what the configuration change causes ([`Service::sync_activate`]), in
//!   registry order; the round is over.
//! - **Hold.** Meanwhile the ordered messages of a service with replicated
//!   state ([`Service::replicated`]) are held and applied, in their agreed
//!   order, right after activate; requests that need synchronised state
//!   ([`Service::needs_sync`]) answer the service's busy reply (TRY_AGAIN)
//!   from before the first round completes until activate. This is decided
//!   here, for every service.
//! - **Abort.** A new configuration during a round aborts it
//!   ([`Service::sync_abort`]: drop what was received, back to the state
//!   before the round), applies the messages held so far (they were ordered
//!   before the new configuration, so their effect is part of the state the
//!   new round synchronises) or, if the service says [`Held::Drop`], drops
//!   them on every node alike and hands each to
//!   [`Service::held_dropped`] (its origin answers it busy); then starts
//!   the round of the new ring.
//!
//! A service learns at [`Service::sync_init`] ([`Round`]) the ring of its
//! last completed round, which members came with it from its previous ring
//! (Totem's transitional configuration: they delivered the same messages
//! there) and whether a round was cut short since: enough to decide alike
//! on every node who must send state.
//!
//! Each service's merge rule is written in its module docs. CLM, CPG and
//! CKPT synchronise here; EVS and CFG have no replicated state.

use super::codec::{self, DecodeError};
use super::contract::{NodeId, Output, RingId, Service};
use crate::ipc::ServiceId;
use std::collections::{BTreeMap, BTreeSet};

/// The router's id for the engine's own cluster messages (no library
/// service has it).
pub const SYNC_ID: ServiceId = ServiceId(0);

/// The largest piece of state sent in one message; larger pieces are
/// chunked (Totem's limit is 1 MiB, and smaller messages keep the ring
/// fair to other traffic).
pub const CHUNK_BYTES: usize = 64 * 1024;

const PIECE: u8 = 1;
const BARRIER: u8 = 2;

/// A round as a service sees it at [`Service::sync_init`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Round<'a> {
    /// The new ring and its members.
    pub ring: RingId,
    pub members: &'a [NodeId],
    /// The ring of the last round this node completed and its members
    /// (`None` before the first).
    pub old_ring: Option<RingId>,
    pub old_members: &'a [NodeId],
    /// The members that came into the new ring from this node's previous
    /// ring together with it (Totem's transitional configuration): they
    /// delivered the same messages of that ring.
    pub transitional: &'a [NodeId],
    /// Whether this node's previous ring is `old_ring`: its round there
    /// completed and no round was cut short since.
    pub settled: bool,
    /// Whether that old ring was quorate (`None` without a `quorum { }`
    /// section, or before the first round). A service puts it in its
    /// pieces: where its merge rule would pick a side, a quorate side wins
    /// (the other refused every change while it was apart).
    pub old_quorate: Option<bool>,
}

/// What the engine does with the ordered messages it held during a round
/// cut short by another configuration ([`Service::sync_abort`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Held {
    /// Apply them, in order, to the state before the round.
    Apply,
    /// Drop them on every node; each is handed to
    /// [`Service::held_dropped`] so that its origin answers it.
    Drop,
}

/// What the router carries out for the engine, in order.
#[derive(Debug, PartialEq, Eq)]
pub enum Action<C> {
    /// Multicast this engine message (under [`SYNC_ID`]); never refused.
    Send(Vec<u8>),
    /// Carry out the effects of the service in this registry slot.
    Effects(usize, Output<C>),
}

/// One engine message.
#[derive(Debug, Clone, PartialEq, Eq)]
enum SyncMsg {
    /// A chunk of a service's piece; `more`: chunks of it follow.
    Piece {
        ring: RingId,
        service: u16,
        more: bool,
        data: Vec<u8>,
    },
    Barrier {
        ring: RingId,
    },
}

fn put_ring(w: &mut codec::Writer, r: RingId) {
    w.u32(r.rep).u64(r.seq);
}

fn ring(r: &mut codec::Reader<'_>) -> Result<RingId, DecodeError> {
    Ok(RingId {
        rep: r.u32()?,
        seq: r.u64()?,
    })
}

impl SyncMsg {
    fn encode(&self) -> Vec<u8> {
        match self {
            SyncMsg::Piece {
                ring,
                service,
                more,
                data,
            } => {
                let mut w = codec::writer(PIECE);
                put_ring(&mut w, *ring);
                w.u16(*service).bool(*more);
                // A chunk is at most CHUNK_BYTES, so its length fits.
                let _ = w.blob(data);
                w.into_vec()
            }
            SyncMsg::Barrier { ring } => {
                let mut w = codec::writer(BARRIER);
                put_ring(&mut w, *ring);
                w.into_vec()
            }
        }
    }

    fn decode(b: &[u8]) -> Result<SyncMsg, DecodeError> {
        let (kind, mut r) = codec::open(b)?;
        let m = match kind {
            PIECE => SyncMsg::Piece {
                ring: ring(&mut r)?,
                service: r.u16()?,
                more: r.bool()?,
                data: r.blob()?.to_vec(),
            },
            BARRIER => SyncMsg::Barrier { ring: ring(&mut r)? },
            _ => return Err(DecodeError::Invalid("sync message kind")),
        };
        r.finish()?;
        Ok(m)
    }
}

/// The round running now.
struct Running {
    ring: RingId,
    quorate: Option<bool>,
    members: Vec<NodeId>,
    barriers: BTreeSet<NodeId>,
    /// Chunks of pieces not complete yet, by sender and service.
    partial: BTreeMap<(NodeId, u16), Vec<u8>>,
    /// Ordered messages held until activate: slot, sender, message.
    held: Vec<(usize, NodeId, Vec<u8>)>,
}

/// The engine of one node.
#[derive(Default)]
pub struct SyncEngine {
    /// The ring of the last completed round, and its members.
    synced: Option<(RingId, Vec<NodeId>)>,
    /// Whether the ring of the last completed round was quorate.
    synced_quorate: Option<bool>,
    /// Whether the ring whose configuration comes next is quorate.
    next_quorate: Option<bool>,
    round: Option<Running>,
    /// A round was cut short since the last one completed.
    aborted: bool,
}

/// The services the engine drives, by registry slot: the router's
/// registry, or one service alone in tests.
pub trait Services<C> {
    fn count(&self) -> usize;
    fn at(&self, slot: usize) -> &dyn Service<C>;
    fn at_mut(&mut self, slot: usize) -> &mut dyn Service<C>;
}

impl<C> Services<C> for [Box<dyn Service<C>>] {
    fn count(&self) -> usize {
        self.len()
    }
    fn at(&self, slot: usize) -> &dyn Service<C> {
        &*self[slot]
    }
    fn at_mut(&mut self, slot: usize) -> &mut dyn Service<C> {
        &mut *self[slot]
    }
}

/// One service alone, in slot 0.
pub struct One<'a, S>(pub &'a mut S);

impl<C, S: Service<C>> Services<C> for One<'_, S> {
    fn count(&self) -> usize {
        1
    }
    fn at(&self, _: usize) -> &dyn Service<C> {
        self.0
    }
    fn at_mut(&mut self, _: usize) -> &mut dyn Service<C> {
        self.0
    }
}

fn slot_of<C>(services: &(impl Services<C> + ?Sized), id: u16) -> Option<usize> {
    (0..services.count()).find(|&i| services.at(i).id().0 == id)
}

impl SyncEngine {
    pub fn new() -> SyncEngine {
        SyncEngine::default()
    }

    /// Whether the services hold synchronised state: a round has completed
    /// and none runs.
    pub fn is_synced(&self) -> bool {
        self.round.is_none() && self.synced.is_some()
    }

    /// The ring of the round running now.
    pub fn round(&self) -> Option<RingId> {
        self.round.as_ref().map(|r| r.ring)
    }

    /// The quorum of the ring whose [`configuration`](Self::configuration)
    /// comes next, for the rounds that follow it ([`Round::old_quorate`]).
    pub fn set_quorate(&mut self, quorate: Option<bool>) {
        self.next_quorate = quorate;
    }

    /// Whether request `msg` of `conn` to the service in `slot` must answer
    /// busy now.
    pub fn refuses<C>(
        &self,
        services: &(impl Services<C> + ?Sized),
        slot: usize,
        conn: C,
        msg: u16,
        payload: &[u8],
    ) -> bool {
        !self.is_synced() && services.at(slot).needs_sync(conn, msg, payload)
    }

    /// A regular configuration of `members`, of which `joined` did not
    /// come from this node's previous ring with it: abort the running
    /// round, start this one.
    pub fn configuration<C>(
        &mut self,
        services: &mut (impl Services<C> + ?Sized),
        ring: RingId,
        members: &[NodeId],
        joined: &[NodeId],
        now: u64,
    ) -> Vec<Action<C>> {
        let mut out = Vec::new();
        if let Some(old) = self.round.take() {
            log::info!(target: "SYNC", "round of ring {}:{} aborted by ring {}:{}", old.ring.rep, old.ring.seq, ring.rep, ring.seq);
            self.aborted = true;
            let mut apply = vec![true; services.count()];
            for (slot, a) in apply.iter_mut().enumerate() {
                *a = services.at_mut(slot).sync_abort() == Held::Apply;
            }
            let (kept, dropped): (Vec<_>, Vec<_>) = old.held.into_iter().partition(|(slot, _, _)| apply[*slot]);
            for (slot, sender, data) in dropped {
                out.push(Action::Effects(slot, services.at_mut(slot).held_dropped(sender, &data)));
            }
            release(services, kept, now, &mut out);
        }
        let (old_ring, old_members) = match &self.synced {
            Some((r, m)) => (Some(*r), m.clone()),
            None => (None, Vec::new()),
        };
        let transitional: Vec<NodeId> = members.iter().filter(|m| !joined.contains(m)).copied().collect();
        let round = Round {
            ring,
            members,
            old_ring,
            old_members: &old_members,
            transitional: &transitional,
            settled: old_ring.is_some() && !self.aborted,
            old_quorate: self.synced_quorate,
        };
        for slot in 0..services.count() {
            let s = services.at_mut(slot);
            let service = s.id().0;
            for piece in s.sync_init(&round) {
                // An empty piece still goes, as one empty chunk.
                let n = piece.len().div_ceil(CHUNK_BYTES).max(1);
                for i in 0..n {
                    let end = piece.len().min((i + 1) * CHUNK_BYTES);
                    let msg = SyncMsg::Piece {
                        ring,
                        service,
                        more: i + 1 < n,
                        data: piece[(i * CHUNK_BYTES).min(end)..end].to_vec(),
                    };
                    out.push(Action::Send(msg.encode()));
                }
            }
        }
        out.push(Action::Send(SyncMsg::Barrier { ring }.encode()));
        self.round = Some(Running {
            ring,
            quorate: self.next_quorate,
            members: members.to_vec(),
            barriers: BTreeSet::new(),
            partial: BTreeMap::new(),
            held: Vec::new(),
        });
        out
    }

    /// An ordered message of the service in `slot`: held (true) while a
    /// round runs and the service has replicated state; otherwise the
    /// caller delivers it.
    pub fn hold<C>(
        &mut self,
        services: &(impl Services<C> + ?Sized),
        slot: usize,
        sender: NodeId,
        data: &[u8],
    ) -> bool {
        match &mut self.round {
            Some(r) if services.at(slot).replicated() => {
                r.held.push((slot, sender, data.to_vec()));
                true
            }
            _ => false,
        }
    }

    /// One of the engine's own messages, in agreed order.
    pub fn delivered<C>(
        &mut self,
        services: &mut (impl Services<C> + ?Sized),
        sender: NodeId,
        data: &[u8],
        now: u64,
    ) -> Vec<Action<C>> {
        let mut out = Vec::new();
        let Ok(m) = SyncMsg::decode(data) else {
            log::warn!(target: "SYNC", "undecodable sync message from node {sender} dropped");
            return out;
        };
        let Some(r) = &mut self.round else { return out };
        match m {
            SyncMsg::Piece {
                ring,
                service,
                more,
                data,
            } => {
                if ring != r.ring || !r.members.contains(&sender) || r.barriers.contains(&sender) {
                    return out;
                }
                let buf = r.partial.entry((sender, service)).or_default();
                buf.extend_from_slice(&data);
                if more {
                    return out;
                }
                let piece = r.partial.remove(&(sender, service)).unwrap_or_default();
                if let Some(slot) = slot_of(services, service) {
                    services.at_mut(slot).sync_receive(sender, &piece);
                }
            }
            SyncMsg::Barrier { ring } => {
                if ring != r.ring || !r.members.contains(&sender) {
                    return out;
                }
                r.barriers.insert(sender);
                if r.members.iter().all(|m| r.barriers.contains(m)) {
                    let done = self.round.take().expect("a round");
                    self.synced = Some((done.ring, done.members));
                    self.aborted = false;
                    self.synced_quorate = done.quorate;
                    for slot in 0..services.count() {
                        out.push(Action::Effects(slot, services.at_mut(slot).sync_activate(now)));
                    }
                    release(services, done.held, now, &mut out);
                }
            }
        }
        out
    }
}

/// The `cluster_decode` fuzz body's part: what decodes re-encodes to the
/// same bytes.
pub fn fuzz_decode(data: &[u8]) {
    if let Ok(m) = SyncMsg::decode(data) {
        assert_eq!(m.encode(), data, "sync message re-encoding differs");
    }
}

/// One engine message of each kind, as seeds of the fuzz target.
pub fn samples() -> Vec<Vec<u8>> {
    let ring = RingId { rep: 3, seq: 12 };
    vec![
        SyncMsg::Piece {
            ring,
            service: 2,
            more: true,
            data: vec![1, 2, 3],
        }
        .encode(),
        SyncMsg::Barrier { ring }.encode(),
    ]
}

/// Applies held messages in their order.
fn release<C>(
    services: &mut (impl Services<C> + ?Sized),
    held: Vec<(usize, NodeId, Vec<u8>)>,
    now: u64,
    out: &mut Vec<Action<C>>,
) {
    for (slot, sender, data) in held {
        out.push(Action::Effects(
            slot,
            services.at_mut(slot).delivered(sender, &data, now),
        ));
    }
}

#[cfg(test)]
mod tests;
