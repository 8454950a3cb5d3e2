//! The checkpoints as every node holds them, and what each ordered message
//! does to them. No I/O: the same messages in the same order give the same
//! checkpoints, sections, reference counts and results on every node.
//!
//! Local (per-node, not replicated) are only the retention timers' start
//! times and the expirations already asked for: they decide *when* the lowest
//! node of the ring multicasts a deletion, never *what* is deleted.

use super::pieces::Pieces;
use super::sync::{OpenRef, Piece, Received, Side};
use super::wire::{CkptMsg, NodeId, RingId, Uid, WriteElem};
use crate::services::contract::{MergeLoss, MergeSide, Round};
use ais_proto::ckpt::{
    self as p, CreationAttributes, Descriptor, ErrorIndex, IterationPage, Message, ReadData, ReadElement, ReadReply,
    SectionDescriptor, SectionIdReply, TrackElement,
};
use ais_proto::status;
use std::collections::{BTreeMap, BTreeSet, HashMap};

pub use super::limits::{CkptLimits, MAX_CHECKPOINTS, MAX_SECTIONS_TOTAL, MAX_STORE_BYTES};
/// What one section costs besides its id and data, for [`MAX_STORE_BYTES`].
const SECTION_OVERHEAD: u64 = 64;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub data: Vec<u8>,
    /// Absolute `SaTimeT`; [`p::TIME_END`] never expires.
    pub expiration: i64,
    pub last_update: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub name: Vec<u8>,
    pub unlinked: bool,
    pub attrs: CreationAttributes,
    /// False for a collocated checkpoint of an asynchronous update option until
    /// `saCkptActiveReplicaSet`: its data can't be read or written until then.
    pub active_replica: bool,
    pub sections: BTreeMap<Vec<u8>, Section>,
    /// Open references per node.
    pub refs: BTreeMap<NodeId, u32>,
    /// Next candidate for a generated section id.
    pub next_generated: u64,
    /// Bumped each time the checkpoint becomes unreferenced (or its retention
    /// changes meanwhile): a retention expiry names the epoch it was armed in.
    pub epoch: u64,
    /// Bytes of section data (`memoryUsed`), kept up to date.
    pub used: u64,
    /// Changes applied to this checkpoint since its creation (the creation
    /// is the first), the same on every replica: of two copies that meet at
    /// a merge, the one with more wins.
    pub changes: u64,
}

impl Checkpoint {
    pub fn refcount(&self) -> u64 {
        self.refs.values().map(|&n| n as u64).sum()
    }

    /// `memoryUsed`: the bytes of section data.
    pub fn memory_used(&self) -> u64 {
        self.used
    }

    fn cost(&self) -> u64 {
        self.sections
            .iter()
            .map(|(id, s)| id.len() as u64 + s.data.len() as u64 + SECTION_OVERHEAD)
            .sum()
    }
}

/// The result of a change for the client that asked for it (`req` on `sender`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub sender: NodeId,
    pub req: u64,
    pub status: u32,
    /// The response payload, encoded.
    pub payload: Vec<u8>,
    /// A successful open: the checkpoint and its attributes.
    pub opened: Option<(Uid, CreationAttributes)>,
}

/// What a delivery or a synchronisation produced.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Applied {
    pub outcomes: Vec<Outcome>,
    /// This node's references moved to another checkpoint by a merge (its copy
    /// lost to one of the same name).
    pub remaps: Vec<(Uid, Uid)>,
    /// What the applied changes did to sections, in order (only while
    /// [`CkptState::report_changes`] is on): for the track callbacks.
    pub changes: Vec<Change>,
}

/// What one applied change did to a checkpoint's sections: the ranges written
/// (offset, length), or offset 0 and size 0 for a deleted section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub uid: Uid,
    pub elements: Vec<TrackElement>,
}

pub struct CkptState {
    me: NodeId,
    ckpts: BTreeMap<Uid, Checkpoint>,
    names: BTreeMap<Vec<u8>, Uid>,
    /// Sections with an expiration time, by time.
    expiries: BTreeSet<(i64, Uid, Vec<u8>)>,
    sections_total: u64,
    store_bytes: u64,
    /// The members of the ring (the lowest asks for deletions).
    members: Vec<NodeId>,
    /// A sync round has completed.
    synced: bool,
    /// The pieces of the round running now.
    round: Option<Received>,
    // Local only.
    /// Unreferenced checkpoints: since when (monotonic), and when their
    /// retention ends (none for `SA_TIME_END`), indexed by that time in `due`.
    idle: HashMap<Uid, (u64, Option<u64>)>,
    due: BTreeSet<(u64, Uid)>,
    retention_asked: BTreeSet<(Uid, u64)>,
    expiry_asked: BTreeSet<(Uid, Vec<u8>, i64)>,
    /// Whether applied changes are described in [`Applied::changes`].
    reporting: bool,
    changed: Vec<Change>,
    limits: CkptLimits,
    /// Pieces of large changes, staged until their last piece.
    pieces: Pieces,
    /// The copies that lost the last merge, until [`CkptState::take_losses`].
    losses: Vec<MergeLoss>,
}

/// A checkpoint's active replica at creation (as openais set it): all are
/// active except a collocated one with an asynchronous update option, which
/// waits for `saCkptActiveReplicaSet`.
fn initially_active(flags: u32) -> bool {
    let asynchronous = flags & (p::WR_ACTIVE_REPLICA | p::WR_ACTIVE_REPLICA_WEAK) != 0;
    !(asynchronous && flags & p::CHECKPOINT_COLLOCATED != 0)
}

/// Creation attributes are equal for `saCkptCheckpointOpen` with CREATE when
/// all but the retention duration are (which `RetentionDurationSet` changes).
fn same_attributes(a: &CreationAttributes, b: &CreationAttributes) -> bool {
    CreationAttributes {
        retention_duration: 0,
        ..*a
    } == CreationAttributes {
        retention_duration: 0,
        ..*b
    }
}

/// The checks of creation attributes that need no state (SA Forum CKPT
/// B.02.03 §3.6.1 `saCkptCheckpointOpen`): exactly one update option, no
/// unknown flag, at least one section, and `checkpointSize` no larger than
/// `maxSections * maxSectionSize`.
pub fn check_attributes(a: &CreationAttributes) -> Result<(), u32> {
    let options = a.creation_flags & (p::WR_ALL_REPLICAS | p::WR_ACTIVE_REPLICA | p::WR_ACTIVE_REPLICA_WEAK);
    let known = p::WR_ALL_REPLICAS | p::WR_ACTIVE_REPLICA | p::WR_ACTIVE_REPLICA_WEAK | p::CHECKPOINT_COLLOCATED;
    if options.count_ones() != 1 || a.creation_flags & !known != 0 {
        return Err(status::INVALID_PARAM);
    }
    if a.max_sections == 0 || a.retention_duration < 0 {
        return Err(status::INVALID_PARAM);
    }
    if (a.checkpoint_size as u128) > a.max_sections as u128 * a.max_section_size as u128 {
        return Err(status::INVALID_PARAM);
    }
    Ok(())
}

fn outcome(sender: NodeId, req: u64, status: u32) -> Outcome {
    Outcome {
        sender,
        req,
        status,
        payload: Vec::new(),
        opened: None,
    }
}

fn enc<M: Message>(m: &M) -> Vec<u8> {
    m.encode().unwrap_or_default()
}

impl CkptState {
    pub fn new(me: NodeId) -> CkptState {
        CkptState {
            me,
            ckpts: BTreeMap::new(),
            names: BTreeMap::new(),
            expiries: BTreeSet::new(),
            sections_total: 0,
            store_bytes: 0,
            members: Vec::new(),
            synced: false,
            round: None,
            idle: HashMap::new(),
            due: BTreeSet::new(),
            retention_asked: BTreeSet::new(),
            expiry_asked: BTreeSet::new(),
            reporting: false,
            changed: Vec::new(),
            limits: CkptLimits::default(),
            pieces: Pieces::default(),
            losses: Vec::new(),
        }
    }

    /// A digest of the replicated checkpoints ([`Service::digest`]): names,
    /// attributes, sections, references; `None` mid-synchronisation. The
    /// idle times and asked expiries are this node's own and left out.
    ///
    /// [`Service::digest`]: crate::services::Service::digest
    pub fn digest(&self) -> Option<u64> {
        use std::hash::Hash;
        if !self.is_synced() {
            return None;
        }
        Some(crate::services::contract::digest_of(|h| {
            self.names.hash(h);
            for (uid, c) in &self.ckpts {
                uid.hash(h);
                c.name.hash(h);
                c.unlinked.hash(h);
                let a = &c.attrs;
                (a.creation_flags, a.checkpoint_size, a.retention_duration).hash(h);
                (a.max_sections, a.max_section_size, a.max_section_id_size).hash(h);
                c.active_replica.hash(h);
                for (id, s) in &c.sections {
                    (id, &s.data, s.expiration, s.last_update).hash(h);
                }
                c.refs.hash(h);
                (c.next_generated, c.epoch, c.used, c.changes).hash(h);
            }
        }))
    }

    /// The executive's limits (the same on every node).
    pub fn set_limits(&mut self, limits: CkptLimits) {
        self.limits = limits;
    }

    /// Bytes of pieced changes staged now.
    pub fn staged_bytes(&self) -> u64 {
        self.pieces.total()
    }

    /// Pieced changes staged now.
    pub fn staged_changes(&self) -> usize {
        self.pieces.changes()
    }

    /// Whether the checkpoints are settled (requests wait otherwise).
    pub fn is_synced(&self) -> bool {
        self.synced && self.round.is_none()
    }

    pub fn checkpoint(&self, uid: Uid) -> Option<&Checkpoint> {
        self.ckpts.get(&uid)
    }

    pub fn checkpoints(&self) -> &BTreeMap<Uid, Checkpoint> {
        &self.ckpts
    }

    /// The linked checkpoint of that name.
    pub fn by_name(&self, name: &[u8]) -> Option<Uid> {
        self.names.get(name).copied()
    }

    /// A message delivered in agreed order (the sync engine holds them
    /// while a round runs); `now` is the local monotonic clock (for
    /// retention timers only).
    pub fn deliver(&mut self, sender: NodeId, msg: CkptMsg, now: u64) -> Applied {
        Applied {
            outcomes: self.apply(sender, msg, now).into_iter().collect(),
            changes: std::mem::take(&mut self.changed),
            ..Applied::default()
        }
    }

    // ---- synchronisation (the sync engine's round) ----

    /// A sync round starts ([`Round`]): this node's pieces. Every member
    /// sends its side and its own references; a member sends its
    /// checkpoints too when it is a side of its own (its last round was cut
    /// short, or it has none yet) or when it is the lowest of the members
    /// that came with it from its previous ring and others joined them.
    pub fn sync_init(&mut self, round: &Round<'_>) -> Vec<Vec<u8>> {
        self.members = round.members.to_vec();
        self.members.sort_unstable();
        // Pieces of a node that left can never be completed (the others go
        // at activate).
        self.pieces.keep_senders(round.members);
        self.retention_asked.clear();
        self.expiry_asked.clear();
        self.round = Some(Received::default());
        let side = match round.old_ring {
            Some(ring) if round.settled => Side { ring, alone: 0 },
            Some(ring) => Side { ring, alone: self.me },
            None => Side {
                ring: RingId { rep: self.me, seq: 0 },
                alone: self.me,
            },
        };
        let joined = round.members.iter().any(|m| !round.transitional.contains(m));
        let lowest = round.transitional.iter().min().is_none_or(|&m| m == self.me);
        let sends = side.alone != 0 || (joined && lowest);
        let opens = self
            .ckpts
            .iter()
            .filter_map(|(uid, c)| {
                let count = *c.refs.get(&self.me)?;
                (count > 0).then(|| OpenRef {
                    uid: *uid,
                    name: if c.unlinked { Vec::new() } else { c.name.clone() },
                    count,
                })
            })
            .collect();
        let mut pieces = vec![Piece::Refs { side, sends, opens }];
        if sends {
            for (uid, c) in &self.ckpts {
                let mut ckpt = c.clone();
                ckpt.refs.clear();
                pieces.push(Piece::Copy {
                    uid: *uid,
                    ckpt,
                    idle: c.refcount() == 0,
                });
            }
        }
        pieces
            .iter()
            .filter_map(|p| match p.encode() {
                Ok(b) => Some(b),
                Err(e) => {
                    log::warn!(target: "CKPT", "can't encode a sync piece: {e}");
                    None
                }
            })
            .collect()
    }

    /// A piece of the running round from `sender`.
    pub fn sync_receive(&mut self, sender: NodeId, piece: &[u8]) {
        if let Some(r) = &mut self.round {
            r.add(sender, piece);
        }
    }

    /// The copies that lost the last merge (once).
    pub fn take_losses(&mut self) -> Vec<MergeLoss> {
        std::mem::take(&mut self.losses)
    }

    /// The round was cut short: what it received is dropped; the
    /// checkpoints are as before it.
    pub fn sync_abort(&mut self) {
        self.round = None;
    }

    /// Every member's pieces are in: merge, rebuild the references.
    ///
    /// The merge rule (saCkpt(3), PARTITIONS): every copy of every side
    /// competes; copies are taken by their change count, highest first,
    /// then by side (lowest old representative first), and a copy is kept
    /// unless a copy of the same checkpoint (identity) or, for a linked
    /// one, of the same name was kept already. So a checkpoint changed on
    /// one side only keeps that side's changes, of two that both changed
    /// the one with more changes wins, a tie goes to the side whose old
    /// ring had the lowest representative, and a checkpoint only one side
    /// held is kept. References are then counted afresh from every member's
    /// own (nodes that left have none); a reference to a copy that lost
    /// goes to the winner of the same name. Staged pieces of large changes
    /// are dropped: their senders' sides staged different ones.
    pub fn sync_activate(&mut self, now: u64) -> Applied {
        let Some(mut rx) = self.round.take() else {
            return Applied::default();
        };
        // Only this merge's losses are kept (nobody but a simulator reads them).
        self.losses.clear();
        let mut own = std::mem::take(&mut self.ckpts);
        let mut candidates: Vec<(Side, Uid, Checkpoint, bool)> = Vec::new();
        let sides = rx.sides();
        for (side, nodes) in &sides {
            match rx.sender_of(nodes) {
                Some(sender) => {
                    for (uid, (c, idle)) in rx.copies.remove(&sender).unwrap_or_default() {
                        candidates.push((*side, uid, c, idle));
                    }
                }
                None if nodes.contains(&self.me) => {
                    // The members of one side alone, with nobody new: every
                    // one of them holds these same checkpoints.
                    for (uid, c) in std::mem::take(&mut own) {
                        let idle = c.refcount() == 0;
                        candidates.push((*side, uid, c, idle));
                    }
                }
                None => {
                    log::warn!(target: "CKPT", "no checkpoints came from the side of nodes {nodes:?}");
                }
            }
        }
        candidates.sort_by(|a, b| b.2.changes.cmp(&a.2.changes).then(a.0.cmp(&b.0)).then(a.1.cmp(&b.1)));
        let mut merged: BTreeMap<Uid, Checkpoint> = BTreeMap::new();
        let mut names: BTreeMap<Vec<u8>, Uid> = BTreeMap::new();
        let mut was_idle: BTreeMap<Uid, bool> = BTreeMap::new();
        let mut kept: BTreeMap<Uid, Side> = BTreeMap::new();
        let side_of = |side: &Side, changes: u64| MergeSide {
            members: sides.get(side).cloned().unwrap_or_default(),
            rep: side.ring.rep,
            seq: side.ring.seq,
            alone: side.alone,
            changes,
        };
        for (side, uid, c, idle) in candidates {
            let winner = if merged.contains_key(&uid) {
                Some(uid)
            } else if !c.unlinked {
                names.get(&c.name).copied()
            } else {
                None
            };
            if let Some(w) = winner {
                if let (Some(wc), Some(ws)) = (merged.get(&w), kept.get(&w)) {
                    if ws != &side {
                        self.losses.push(MergeLoss {
                            name: c.name.clone(),
                            loser: side_of(&side, c.changes),
                            winner: side_of(ws, wc.changes),
                        });
                    }
                }
                continue;
            }
            kept.insert(uid, side);
            if !c.unlinked {
                names.insert(c.name.clone(), uid);
            }
            was_idle.insert(uid, idle);
            merged.insert(uid, c);
        }
        for c in merged.values_mut() {
            c.refs.clear();
        }
        let mut out = Applied::default();
        for (node, (_, _, opens)) in &rx.refs {
            for o in opens {
                let target = if merged.contains_key(&o.uid) {
                    Some(o.uid)
                } else if !o.name.is_empty() {
                    names.get(&o.name).copied()
                } else {
                    None
                };
                let Some(t) = target else { continue };
                if let Some(c) = merged.get_mut(&t) {
                    *c.refs.entry(*node).or_default() += o.count;
                }
                if *node == self.me && t != o.uid {
                    out.remaps.push((o.uid, t));
                }
            }
        }
        merged.retain(|_, c| !(c.unlinked && c.refcount() == 0));
        let mut idle = Vec::new();
        for (uid, c) in merged.iter_mut() {
            if c.refcount() == 0 {
                if !was_idle.get(uid).copied().unwrap_or(true) {
                    c.epoch += 1;
                }
                idle.push((*uid, self.idle.get(uid).map_or(now, |x| x.0)));
            }
        }
        self.idle.clear();
        self.due.clear();
        self.ckpts = merged;
        for (uid, since) in idle {
            self.set_idle(uid, since);
        }
        self.names = names;
        self.reindex();
        self.pieces.clear();
        self.synced = true;
        out
    }

    fn reindex(&mut self) {
        self.expiries.clear();
        self.sections_total = 0;
        self.store_bytes = 0;
        for c in self.ckpts.values_mut() {
            c.used = c.sections.values().map(|s| s.data.len() as u64).sum();
        }
        for (uid, c) in &self.ckpts {
            self.sections_total += c.sections.len() as u64;
            self.store_bytes += c.cost();
            for (id, s) in &c.sections {
                if s.expiration != p::TIME_END {
                    self.expiries.insert((s.expiration, *uid, id.clone()));
                }
            }
        }
    }

    // ---- timers ----

    fn lowest(&self) -> bool {
        self.members.first() == Some(&self.me)
    }

    /// Deletions due at `now` (monotonic) / `wall` (`SaTimeT`), to multicast:
    /// only the lowest node of the ring asks, each once.
    pub fn tick(&mut self, now: u64, wall: i64) -> Vec<CkptMsg> {
        let mut out = Vec::new();
        if !self.is_synced() || !self.lowest() {
            return out;
        }
        for (due, uid) in &self.due {
            if *due > now {
                break;
            }
            let Some(c) = self.ckpts.get(uid) else { continue };
            if self.retention_asked.insert((*uid, c.epoch)) {
                out.push(CkptMsg::RetentionExpire {
                    uid: *uid,
                    epoch: c.epoch,
                });
            }
        }
        for (exp, uid, id) in &self.expiries {
            if *exp > wall {
                break;
            }
            if self.expiry_asked.insert((*uid, id.clone(), *exp)) {
                out.push(CkptMsg::SectionExpire {
                    uid: *uid,
                    section: id.clone(),
                    expiration: *exp,
                });
            }
        }
        out
    }

    /// When [`tick`](Self::tick) next has something to do (monotonic), if this
    /// node is the one that asks.
    pub fn next_deadline(&self, now: u64, wall: i64) -> Option<u64> {
        if !self.is_synced() || !self.lowest() {
            return None;
        }
        let mut best: Option<u64> = None;
        let mut consider = |t: u64| best = Some(best.map_or(t, |b| b.min(t)));
        if let Some((due, _)) = self.due.iter().find(|(_, u)| {
            self.ckpts
                .get(u)
                .is_some_and(|c| !self.retention_asked.contains(&(*u, c.epoch)))
        }) {
            consider(*due);
        }
        if let Some((exp, _, _)) = self
            .expiries
            .iter()
            .find(|(e, u, id)| !self.expiry_asked.contains(&(*u, id.clone(), *e)))
        {
            consider(now.saturating_add(exp.saturating_sub(wall).max(0) as u64));
        }
        best
    }

    // ---- changes ----

    /// Describe the changes applied from now on in [`Applied::changes`] (the
    /// service turns it on while a client tracks checkpoints).
    pub fn report_changes(&mut self, on: bool) {
        self.reporting = on;
        if !on {
            self.changed.clear();
        }
    }

    fn note(&mut self, uid: Uid, elements: impl FnOnce() -> Vec<TrackElement>) {
        if self.reporting {
            self.changed.push(Change {
                uid,
                elements: elements(),
            });
        }
    }

    fn note_deleted(&mut self, uid: Uid, id: &[u8]) {
        self.note(uid, || {
            vec![TrackElement {
                section: id.to_vec(),
                offset: 0,
                size: 0,
            }]
        });
    }

    fn delete(&mut self, uid: Uid) {
        if let Some(c) = self.ckpts.remove(&uid) {
            if !c.unlinked && self.names.get(&c.name) == Some(&uid) {
                self.names.remove(&c.name);
            }
            self.sections_total -= c.sections.len() as u64;
            self.store_bytes -= c.cost();
            for (id, s) in &c.sections {
                self.expiries.remove(&(s.expiration, uid, id.clone()));
            }
        }
        self.clear_idle(uid);
    }

    fn became_idle(&mut self, uid: Uid, now: u64) {
        if let Some(c) = self.ckpts.get_mut(&uid) {
            c.epoch += 1;
            self.set_idle(uid, now);
        }
    }

    /// Starts `uid`'s retention at `since` (replacing a running one).
    fn set_idle(&mut self, uid: Uid, since: u64) {
        self.clear_idle(uid);
        let Some(c) = self.ckpts.get(&uid) else { return };
        let d = c.attrs.retention_duration;
        let due = (d != p::TIME_END).then(|| since.saturating_add(d.max(0) as u64));
        if let Some(t) = due {
            self.due.insert((t, uid));
        }
        self.idle.insert(uid, (since, due));
    }

    fn clear_idle(&mut self, uid: Uid) {
        if let Some((_, Some(t))) = self.idle.remove(&uid) {
            self.due.remove(&(t, uid));
        }
    }

    /// One more change applied to `uid` ([`Checkpoint::changes`]).
    fn bump(&mut self, uid: Uid) {
        if let Some(c) = self.ckpts.get_mut(&uid) {
            c.changes += 1;
        }
    }

    fn remove_section(&mut self, uid: Uid, id: &[u8]) {
        if let Some(c) = self.ckpts.get_mut(&uid) {
            if let Some(s) = c.sections.remove(id) {
                c.used -= s.data.len() as u64;
                self.sections_total -= 1;
                self.store_bytes -= id.len() as u64 + s.data.len() as u64 + SECTION_OVERHEAD;
                self.expiries.remove(&(s.expiration, uid, id.to_vec()));
            }
        }
    }

    fn apply(&mut self, sender: NodeId, msg: CkptMsg, now: u64) -> Option<Outcome> {
        match msg {
            CkptMsg::Open {
                req,
                name,
                attrs,
                create,
            } => Some(self.open(sender, req, name, attrs, create, now)),
            CkptMsg::Close { req, uid } => {
                let st = match self.ckpts.get_mut(&uid) {
                    None => status::BAD_HANDLE,
                    Some(c) => {
                        if let Some(n) = c.refs.get_mut(&sender) {
                            *n = n.saturating_sub(1);
                            if *n == 0 {
                                c.refs.remove(&sender);
                            }
                        }
                        if c.refcount() == 0 {
                            if c.unlinked {
                                self.delete(uid);
                            } else {
                                self.became_idle(uid, now);
                            }
                        }
                        status::OK
                    }
                };
                (req != 0).then(|| outcome(sender, req, st))
            }
            CkptMsg::Unlink { req, name } => {
                let st = match self.names.remove(&name) {
                    None => status::NOT_EXIST,
                    Some(uid) => {
                        let idle = match self.ckpts.get_mut(&uid) {
                            Some(c) => {
                                c.unlinked = true;
                                c.changes += 1;
                                c.refcount() == 0
                            }
                            None => false,
                        };
                        if idle {
                            self.delete(uid);
                        }
                        status::OK
                    }
                };
                Some(outcome(sender, req, st))
            }
            CkptMsg::RetentionSet { req, uid, duration } => {
                let st = match self.ckpts.get_mut(&uid) {
                    None => status::BAD_HANDLE,
                    Some(c) if c.unlinked => p::ERR_BAD_OPERATION,
                    Some(_) if duration < 0 => status::INVALID_PARAM,
                    Some(c) => {
                        c.attrs.retention_duration = duration;
                        c.changes += 1;
                        if c.refcount() == 0 {
                            // The retention restarts with the new duration.
                            self.became_idle(uid, now);
                        }
                        status::OK
                    }
                };
                Some(outcome(sender, req, st))
            }
            CkptMsg::ActiveReplicaSet { req, uid } => {
                let st = match self.ckpts.get_mut(&uid) {
                    None => status::BAD_HANDLE,
                    Some(c) => {
                        let f = c.attrs.creation_flags;
                        if f & p::CHECKPOINT_COLLOCATED == 0
                            || f & (p::WR_ACTIVE_REPLICA | p::WR_ACTIVE_REPLICA_WEAK) == 0
                        {
                            p::ERR_BAD_OPERATION
                        } else {
                            c.active_replica = true;
                            c.changes += 1;
                            status::OK
                        }
                    }
                };
                Some(outcome(sender, req, st))
            }
            CkptMsg::SectionCreate {
                req,
                uid,
                section,
                expiration,
                wall,
                data,
            } => Some(self.section_create(sender, req, uid, section, expiration, wall, data)),
            CkptMsg::SectionDelete { req, uid, section } => {
                let st = self.section_check(uid, &section).map(|_| {
                    self.remove_section(uid, &section);
                    self.bump(uid);
                    self.note_deleted(uid, &section);
                });
                Some(outcome(sender, req, st.err().unwrap_or(status::OK)))
            }
            CkptMsg::ExpirationSet {
                req,
                uid,
                section,
                expiration,
            } => {
                let st = match self.section_check(uid, &section) {
                    Err(e) => e,
                    Ok(()) => {
                        if let Some(s) = self.ckpts.get_mut(&uid).and_then(|c| c.sections.get_mut(&section)) {
                            self.expiries.remove(&(s.expiration, uid, section.clone()));
                            s.expiration = expiration;
                            if expiration != p::TIME_END {
                                self.expiries.insert((expiration, uid, section.clone()));
                            }
                        }
                        self.bump(uid);
                        status::OK
                    }
                };
                Some(outcome(sender, req, st))
            }
            CkptMsg::Write {
                req,
                uid,
                wall,
                elements,
            } => {
                let ranges: Vec<TrackElement> = if self.reporting {
                    elements
                        .iter()
                        .map(|e| TrackElement {
                            section: e.section.clone(),
                            offset: e.offset,
                            size: e.data.len() as u64,
                        })
                        .collect()
                } else {
                    Vec::new()
                };
                let (st, index) = self.write(uid, wall, elements);
                if st == status::OK {
                    self.note(uid, || ranges);
                }
                Some(Outcome {
                    payload: enc(&ErrorIndex(index)),
                    ..outcome(sender, req, st)
                })
            }
            CkptMsg::Overwrite {
                req,
                uid,
                wall,
                section,
                data,
            } => {
                let range = TrackElement {
                    section: if self.reporting { section.clone() } else { Vec::new() },
                    offset: 0,
                    size: data.len() as u64,
                };
                let st = self.overwrite(uid, wall, section, data);
                if st == status::OK {
                    self.note(uid, || vec![range]);
                }
                Some(outcome(sender, req, st))
            }
            CkptMsg::Synchronize { req, uid } => {
                let st = match self.ckpts.get(&uid) {
                    None => status::BAD_HANDLE,
                    Some(c) => sync_status(c),
                };
                Some(outcome(sender, req, st))
            }
            CkptMsg::RetentionExpire { uid, epoch } => {
                self.retention_asked.remove(&(uid, epoch));
                let due = self
                    .ckpts
                    .get(&uid)
                    .is_some_and(|c| c.refcount() == 0 && !c.unlinked && c.epoch == epoch);
                if due {
                    self.delete(uid);
                }
                None
            }
            CkptMsg::Piece {
                req,
                uid,
                kind,
                wall,
                index,
                last,
                data,
            } => {
                let room = self.limits.max_store_bytes.saturating_sub(self.store_bytes);
                let whole = self
                    .pieces
                    .stage(sender, req, (uid, kind), index, last, data, &self.limits, room)?;
                let msg = match whole {
                    Ok(bytes) => assemble(req, uid, kind, wall, &bytes),
                    Err(st) => Err(st),
                };
                match msg {
                    Ok(m) => self.apply(sender, m, now),
                    Err(st) => Some(Outcome {
                        payload: if kind == p::WRITE {
                            enc(&ErrorIndex(0))
                        } else {
                            Vec::new()
                        },
                        ..outcome(sender, req, st)
                    }),
                }
            }
            CkptMsg::PieceAbort { req } => {
                self.pieces.drop_one(sender, req);
                None
            }
            CkptMsg::SectionExpire {
                uid,
                section,
                expiration,
            } => {
                self.expiry_asked.remove(&(uid, section.clone(), expiration));
                let due = self
                    .ckpts
                    .get(&uid)
                    .and_then(|c| c.sections.get(&section))
                    .is_some_and(|s| s.expiration == expiration);
                if due {
                    self.remove_section(uid, &section);
                    self.bump(uid);
                    self.note_deleted(uid, &section);
                }
                None
            }
        }
    }

    fn open(
        &mut self,
        sender: NodeId,
        req: u64,
        name: Vec<u8>,
        attrs: Option<CreationAttributes>,
        create: bool,
        _now: u64,
    ) -> Outcome {
        if let Some(uid) = self.names.get(&name).copied() {
            let Some(c) = self.ckpts.get_mut(&uid) else {
                return outcome(sender, req, status::LIBRARY);
            };
            if create && attrs.is_some_and(|a| !same_attributes(&a, &c.attrs)) {
                return outcome(sender, req, status::EXIST);
            }
            *c.refs.entry(sender).or_default() += 1;
            let attrs = c.attrs;
            self.clear_idle(uid);
            return Outcome {
                opened: Some((uid, attrs)),
                ..outcome(sender, req, status::OK)
            };
        }
        if !create {
            return outcome(sender, req, status::NOT_EXIST);
        }
        let Some(attrs) = attrs else {
            return outcome(sender, req, status::INVALID_PARAM);
        };
        if let Err(e) = check_attributes(&attrs) {
            return outcome(sender, req, e);
        }
        let uid = Uid { node: sender, seq: req };
        if self.ckpts.len() >= self.limits.max_checkpoints || self.ckpts.contains_key(&uid) {
            return outcome(sender, req, status::NO_RESOURCES);
        }
        let mut c = Checkpoint {
            name: name.clone(),
            unlinked: false,
            attrs,
            active_replica: initially_active(attrs.creation_flags),
            sections: BTreeMap::new(),
            refs: BTreeMap::from([(sender, 1)]),
            next_generated: 1,
            epoch: 0,
            used: 0,
            changes: 1,
        };
        if attrs.max_sections == 1 {
            // The default section exists from the start (B.02.03 §3.4.1).
            c.sections.insert(
                Vec::new(),
                Section {
                    data: Vec::new(),
                    expiration: p::TIME_END,
                    last_update: 0,
                },
            );
            self.sections_total += 1;
            self.store_bytes += SECTION_OVERHEAD;
        }
        self.ckpts.insert(uid, c);
        self.names.insert(name, uid);
        Outcome {
            opened: Some((uid, attrs)),
            ..outcome(sender, req, status::OK)
        }
    }

    /// The checks shared by section delete and expiration set: the checkpoint
    /// has an active replica, the section is not the default one and exists.
    fn section_check(&self, uid: Uid, id: &[u8]) -> Result<(), u32> {
        let c = self.ckpts.get(&uid).ok_or(status::BAD_HANDLE)?;
        if !c.active_replica {
            return Err(status::NOT_EXIST);
        }
        if id.is_empty() {
            return Err(status::INVALID_PARAM);
        }
        if !c.sections.contains_key(id) {
            return Err(status::NOT_EXIST);
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn section_create(
        &mut self,
        sender: NodeId,
        req: u64,
        uid: Uid,
        section: Option<Vec<u8>>,
        expiration: i64,
        wall: i64,
        data: Vec<u8>,
    ) -> Outcome {
        let err = |e| outcome(sender, req, e);
        let Some(c) = self.ckpts.get_mut(&uid) else {
            return err(status::BAD_HANDLE);
        };
        if !c.active_replica {
            return err(status::NOT_EXIST);
        }
        if c.attrs.max_sections == 1 {
            return err(status::EXIST);
        }
        if c.sections.len() as u64 >= c.attrs.max_sections as u64 {
            return err(p::ERR_NO_SPACE);
        }
        if data.len() as u64 > c.attrs.max_section_size {
            return err(status::INVALID_PARAM);
        }
        let id = match section {
            Some(id) => {
                if id.is_empty() || id.len() as u64 > c.attrs.max_section_id_size {
                    return err(status::INVALID_PARAM);
                }
                if c.sections.contains_key(&id) {
                    return err(status::EXIST);
                }
                id
            }
            None => loop {
                let id = c.next_generated.to_string().into_bytes();
                c.next_generated += 1;
                if id.len() as u64 > c.attrs.max_section_id_size {
                    return err(status::INVALID_PARAM);
                }
                if !c.sections.contains_key(&id) {
                    break id;
                }
            },
        };
        if c.memory_used() + data.len() as u64 > c.attrs.checkpoint_size {
            return err(p::ERR_NO_SPACE);
        }
        let cost = id.len() as u64 + data.len() as u64 + SECTION_OVERHEAD;
        if self.sections_total >= self.limits.max_sections_total
            || self.store_bytes + cost > self.limits.max_store_bytes
        {
            return err(status::NO_RESOURCES);
        }
        c.used += data.len() as u64;
        c.changes += 1;
        let size = data.len() as u64;
        c.sections.insert(
            id.clone(),
            Section {
                data,
                expiration,
                last_update: wall,
            },
        );
        self.sections_total += 1;
        self.store_bytes += cost;
        if expiration != p::TIME_END {
            self.expiries.insert((expiration, uid, id.clone()));
        }
        self.note(uid, || {
            vec![TrackElement {
                section: id.clone(),
                offset: 0,
                size,
            }]
        });
        Outcome {
            payload: enc(&SectionIdReply { section: id }),
            ..outcome(sender, req, status::OK)
        }
    }

    /// A vectored write, all or nothing: every element is checked (in order,
    /// each against the sizes the earlier ones leave) before any is applied;
    /// the first that fails is the erroneous index.
    fn write(&mut self, uid: Uid, wall: i64, elements: Vec<WriteElem>) -> (u32, u32) {
        let Some(c) = self.ckpts.get_mut(&uid) else {
            return (status::BAD_HANDLE, 0);
        };
        if !c.active_replica {
            return (status::NOT_EXIST, 0);
        }
        let mut sizes: BTreeMap<&[u8], u64> = BTreeMap::new();
        let mut used = c.memory_used();
        let mut store = self.store_bytes;
        for (i, e) in elements.iter().enumerate() {
            let i = i as u32;
            let Some(s) = c.sections.get(&e.section) else {
                return (status::NOT_EXIST, i);
            };
            let Some(end) = e.offset.checked_add(e.data.len() as u64) else {
                return (status::INVALID_PARAM, i);
            };
            if end > c.attrs.max_section_size {
                return (status::INVALID_PARAM, i);
            }
            let size = sizes.entry(&e.section).or_insert(s.data.len() as u64);
            if end > *size {
                used += end - *size;
                store += end - *size;
                *size = end;
            }
            if used > c.attrs.checkpoint_size {
                return (p::ERR_NO_SPACE, i);
            }
            if store > self.limits.max_store_bytes {
                return (status::NO_RESOURCES, i);
            }
        }
        for e in elements {
            if let Some(s) = c.sections.get_mut(&e.section) {
                let end = e.offset as usize + e.data.len();
                if end > s.data.len() {
                    s.data.resize(end, 0);
                }
                s.data[e.offset as usize..end].copy_from_slice(&e.data);
                s.last_update = wall;
            }
        }
        c.used = used;
        c.changes += 1;
        self.store_bytes = store;
        (status::OK, 0)
    }

    fn overwrite(&mut self, uid: Uid, wall: i64, section: Vec<u8>, data: Vec<u8>) -> u32 {
        let Some(c) = self.ckpts.get_mut(&uid) else {
            return status::BAD_HANDLE;
        };
        if !c.active_replica {
            return status::NOT_EXIST;
        }
        let used = c.memory_used();
        let Some(s) = c.sections.get_mut(&section) else {
            return status::NOT_EXIST;
        };
        if data.len() as u64 > c.attrs.max_section_size {
            return status::INVALID_PARAM;
        }
        let old = s.data.len() as u64;
        let new = data.len() as u64;
        if used - old + new > c.attrs.checkpoint_size {
            return p::ERR_NO_SPACE;
        }
        if self.store_bytes - old + new > self.limits.max_store_bytes {
            return status::NO_RESOURCES;
        }
        s.data = data;
        s.last_update = wall;
        c.used = used - old + new;
        c.changes += 1;
        self.store_bytes = self.store_bytes - old + new;
        status::OK
    }

    // ---- answers from the local replica ----

    /// `saCkptCheckpointStatusGet`.
    pub fn status(&self, uid: Uid) -> Result<Descriptor, u32> {
        let c = self.ckpts.get(&uid).ok_or(status::BAD_HANDLE)?;
        if !c.active_replica {
            return Err(status::NOT_EXIST);
        }
        Ok(Descriptor {
            attrs: c.attrs,
            number_of_sections: c.sections.len() as u32,
            memory_used: c.memory_used(),
        })
    }

    /// `saCkptCheckpointRead`: each element from `offset` up to `size` bytes
    /// or the section's end, within [`p::MAX_READ_REPLY`] in all (`more`
    /// counts what did not fit). Errors (as openais): NOT_EXIST for a missing
    /// section, INVALID_PARAM for an offset past the section's end or a size
    /// over `maxSectionSize` (other than "to the end", `u64::MAX`).
    pub fn read(&self, uid: Uid, elements: &[ReadElement]) -> (u32, ReadReply) {
        let fail = |st, i: usize| {
            (
                st,
                ReadReply {
                    erroneous_index: i as u32,
                    elements: Vec::new(),
                },
            )
        };
        let Some(c) = self.ckpts.get(&uid) else {
            return fail(status::BAD_HANDLE, 0);
        };
        if !c.active_replica {
            return fail(status::NOT_EXIST, 0);
        }
        for (i, e) in elements.iter().enumerate() {
            let Some(s) = c.sections.get(&e.section) else {
                return fail(status::NOT_EXIST, i);
            };
            if e.size != u64::MAX && e.size > c.attrs.max_section_size {
                return fail(status::INVALID_PARAM, i);
            }
            if e.offset > s.data.len() as u64 {
                return fail(status::INVALID_PARAM, i);
            }
        }
        let mut budget = p::MAX_READ_REPLY.saturating_sub(8 + elements.len() * p::READ_DATA_FIXED) as u64;
        let mut out = Vec::with_capacity(elements.len());
        for e in elements {
            let s = &c.sections[&e.section];
            let available = s.data.len() as u64 - e.offset;
            let want = e.size.min(available);
            let take = want.min(budget);
            budget -= take;
            let start = e.offset as usize;
            out.push(ReadData {
                data: s.data[start..start + take as usize].to_vec(),
                more: want - take,
            });
        }
        (
            status::OK,
            ReadReply {
                erroneous_index: 0,
                elements: out,
            },
        )
    }

    /// `saCkptSectionIterationInitialize`: the sections `chosen` picks, after
    /// `after` (ordered by id), as many as fit [`p::MAX_ITERATION_REPLY`].
    pub fn iterate(&self, uid: Uid, chosen: u32, expiration: i64, after: Option<&[u8]>) -> Result<IterationPage, u32> {
        let c = self.ckpts.get(&uid).ok_or(status::BAD_HANDLE)?;
        if !(p::SECTIONS_FOREVER..=p::SECTIONS_ANY).contains(&chosen) {
            return Err(status::INVALID_PARAM);
        }
        if !c.active_replica {
            return Err(status::NOT_EXIST);
        }
        let pick = |s: &Section| match chosen {
            p::SECTIONS_FOREVER => s.expiration == p::TIME_END,
            p::SECTIONS_LEQ_EXPIRATION_TIME => s.expiration <= expiration,
            p::SECTIONS_GEQ_EXPIRATION_TIME => s.expiration >= expiration,
            // No section is ever corrupted here.
            p::SECTIONS_CORRUPTED => false,
            _ => true,
        };
        let range = match after {
            Some(a) => c
                .sections
                .range::<[u8], _>((std::ops::Bound::Excluded(a), std::ops::Bound::Unbounded)),
            None => c.sections.range::<[u8], _>(..),
        };
        let mut page = IterationPage {
            complete: true,
            sections: Vec::new(),
        };
        let mut size = 8usize;
        for (id, s) in range.filter(|(_, s)| pick(s)) {
            let n = p::SECTION_DESCRIPTOR_FIXED + id.len();
            if !page.sections.is_empty() && size + n > p::MAX_ITERATION_REPLY {
                page.complete = false;
                break;
            }
            size += n;
            page.sections.push(SectionDescriptor {
                section: id.clone(),
                expiration_time: s.expiration,
                section_size: s.data.len() as u64,
                state: p::SECTION_VALID,
                last_update: s.last_update,
            });
        }
        Ok(page)
    }
}

/// The change a pieced request makes once whole: its IPC payload decoded as
/// `kind`, for checkpoint `uid` (the payload's own checkpoint id is the
/// origin's and is ignored). INVALID_PARAM when it does not decode.
fn assemble(req: u64, uid: Uid, kind: u16, wall: i64, bytes: &[u8]) -> Result<CkptMsg, u32> {
    let bad = |_| status::INVALID_PARAM;
    match kind {
        p::WRITE => {
            let w = p::Write::decode(bytes).map_err(bad)?;
            let elements = w.elements.into_iter().map(WriteElem::from).collect();
            Ok(CkptMsg::Write {
                req,
                uid,
                wall,
                elements,
            })
        }
        p::OVERWRITE => {
            let o = p::Overwrite::decode(bytes).map_err(bad)?;
            Ok(CkptMsg::Overwrite {
                req,
                uid,
                wall,
                section: o.section,
                data: o.data,
            })
        }
        p::SECTION_CREATE => {
            let c = p::SectionCreate::decode(bytes).map_err(bad)?;
            Ok(CkptMsg::SectionCreate {
                req,
                uid,
                section: c.section,
                expiration: c.expiration_time,
                wall,
                data: c.data,
            })
        }
        _ => Err(status::INVALID_PARAM),
    }
}

/// `saCkptCheckpointSynchronize` (as openais): BAD_OPERATION for a checkpoint
/// of `SA_CKPT_WR_ALL_REPLICAS`, NOT_EXIST without an active replica.
pub fn sync_status(c: &Checkpoint) -> u32 {
    if c.attrs.creation_flags & (p::WR_ACTIVE_REPLICA | p::WR_ACTIVE_REPLICA_WEAK) == 0 {
        p::ERR_BAD_OPERATION
    } else if !c.active_replica {
        status::NOT_EXIST
    } else {
        status::OK
    }
}

#[cfg(test)]
mod tests;
