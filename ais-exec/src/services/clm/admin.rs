//! Administrative operations on CLM nodes (B.04.01 §3.2, §4.4): lock, unlock
//! and shut down a node, with the tracking steps around them.
//!
//! - lock: the VALIDATE step to the trackers that asked for it; each answers
//!   OK or REJECTED (any REJECTED or ERROR: the ABORTED step to them and the
//!   operation fails, the node stays unlocked); then the START step to the
//!   START_STEP trackers, which answer when ready (or the time supervision
//!   runs out); then the node leaves the membership (the COMPLETED step, the
//!   node as LEFT, to every tracker).
//! - shutdown: as lock without the VALIDATE step; the node is locked after.
//! - unlock: the node is a member again (JOINED to every tracker).
//!
//! Every executive runs this machine on the same messages in agreed order:
//! `Begin` (from the node the administrator asked), `Vote` (each node's
//! verdict once its own trackers have answered a step) and `State` (the
//! locked nodes, after each configuration, before the node's record).
//!
//! Replicated state: the locked nodes and the running operation (origin,
//! sequence, operation, target, phase, the nodes whose vote is missing). The
//! rest is this node's: its trackers' outstanding invocations, its deadline,
//! and the request's token on the origin.
//!
//! Re-synchronisation: a ring change ends a running operation on every node
//! alike (one still validating is aborted and the origin answers TRY_AGAIN;
//! one in its start step completes), so only the locked nodes cross it: each
//! member multicasts them (`State`) before its node record, and every member
//! takes the union, so the view completes with every member's locks known.
//! When partitions merge, a lock held on either side wins. Locks are kept by
//! the cluster, not on disk: a locked node that restarts while another
//! executive runs learns of its lock from the others' `State`; a whole
//! cluster that restarts starts unlocked.

use crate::services::codec::{self, DecodeError};
use crate::services::contract::Token;
use ais_proto::clm::{self as msg, AdminRequest};
use ais_proto::status;
use ais_totem::NodeId;
use std::collections::{BTreeSet, HashMap};
use std::hash::Hash;

/// How long a step waits for its trackers when the request names no time.
pub const DEFAULT_SUPERVISION_NS: u64 = 10_000_000_000;
/// Most locked nodes one `State` carries (a cluster has fewer nodes).
const MAX_LOCKED: usize = 4096;

/// The cluster messages of administrative operations (CLM's kinds 2-4; 1
/// is the node record).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminMsg {
    /// The sender starts operation `seq` (its own numbering).
    Begin { seq: u64, request: AdminRequest },
    /// The sender's trackers answered `phase` of operation (origin, seq).
    Vote {
        origin: NodeId,
        seq: u64,
        phase: u32,
        ok: bool,
    },
    /// The nodes the sender holds locked (its part of the re-synchronisation).
    State { locked: Vec<NodeId> },
}

const BEGIN: u8 = 2;
const VOTE: u8 = 3;
const STATE: u8 = 4;

impl AdminMsg {
    pub fn encode(&self) -> Vec<u8> {
        match self {
            AdminMsg::Begin { seq, request } => {
                let mut w = codec::writer(BEGIN);
                w.u64(*seq)
                    .u32(request.operation)
                    .u32(request.node_id)
                    .u64(request.supervision_ns);
                w.into_vec()
            }
            AdminMsg::Vote { origin, seq, phase, ok } => {
                let mut w = codec::writer(VOTE);
                w.u32(*origin).u64(*seq).u32(*phase).bool(*ok);
                w.into_vec()
            }
            AdminMsg::State { locked } => {
                let mut w = codec::writer(STATE);
                w.u32(locked.len() as u32);
                for id in locked {
                    w.u32(*id);
                }
                w.into_vec()
            }
        }
    }

    pub fn decode(b: &[u8]) -> Result<AdminMsg, DecodeError> {
        let (kind, mut r) = codec::open(b)?;
        let m = match kind {
            BEGIN => {
                let seq = r.u64()?;
                let (operation, node_id, supervision_ns) = (r.u32()?, r.u32()?, r.u64()?);
                if !(msg::ADMIN_UNLOCK..=msg::ADMIN_SHUTDOWN).contains(&operation) {
                    return Err(DecodeError::Invalid("CLM administrative operation"));
                }
                AdminMsg::Begin {
                    seq,
                    request: AdminRequest {
                        operation,
                        node_id,
                        supervision_ns,
                    },
                }
            }
            VOTE => AdminMsg::Vote {
                origin: r.u32()?,
                seq: r.u64()?,
                phase: r.u32()?,
                ok: r.bool()?,
            },
            STATE => {
                let n = r.u32()? as usize;
                if n > MAX_LOCKED {
                    return Err(DecodeError::Invalid("locked node count"));
                }
                let mut locked = Vec::with_capacity(n);
                for _ in 0..n {
                    locked.push(r.u32()?);
                }
                AdminMsg::State { locked }
            }
            _ => return Err(DecodeError::Invalid("CLM message kind")),
        };
        r.finish()?;
        Ok(m)
    }
}

/// What the machine asks the CLM service to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action<C> {
    /// Send `step` about `target` (with `change`) to tracker `conn`;
    /// `invocation` 0 when no response is expected.
    Step {
        conn: C,
        invocation: u64,
        step: u32,
        supervision_ns: u64,
        target: NodeId,
        change: u32,
    },
    /// `target` left (locked) or joined (unlocked) the membership: the
    /// COMPLETED step to every tracker.
    Completed {
        target: NodeId,
        joined: bool,
    },
    Multicast(Vec<u8>),
    /// Answer the origin's request.
    Answer {
        token: Token,
        status: u32,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Validate,
    Start,
}

impl Phase {
    fn step(self) -> u32 {
        match self {
            Phase::Validate => msg::STEP_VALIDATE,
            Phase::Start => msg::STEP_START,
        }
    }
}

/// The running operation, the same on every node.
#[derive(Debug, Clone)]
struct Running {
    origin: NodeId,
    seq: u64,
    request: AdminRequest,
    phase: Phase,
    /// The nodes whose vote on this phase has not arrived.
    waiting: BTreeSet<NodeId>,
}

impl Running {
    fn supervision(&self) -> u64 {
        match self.request.supervision_ns {
            0 => DEFAULT_SUPERVISION_NS,
            t => t,
        }
    }

    /// The change the steps report for the target.
    fn change(&self) -> u32 {
        if self.request.operation == msg::ADMIN_SHUTDOWN {
            msg::NODE_SHUTDOWN
        } else {
            super::view::Change::Left as u32
        }
    }
}

/// This node's part of the current step.
#[derive(Debug)]
struct LocalStep<C> {
    /// Invocations its trackers have not answered, and whose they are.
    pending: HashMap<u64, C>,
    deadline: u64,
    voted: bool,
}

/// Which local trackers want which steps (from [`super::track::Trackers`]).
pub struct StepTrackers<C> {
    pub validate: Vec<C>,
    pub start: Vec<C>,
}

pub struct Admin<C> {
    me: NodeId,
    locked: BTreeSet<NodeId>,
    running: Option<Running>,
    local: Option<LocalStep<C>>,
    /// Trackers sent the VALIDATE step of the running operation (ABORTED goes
    /// to them).
    validated: Vec<C>,
    /// The origin's requests, by sequence.
    tokens: HashMap<u64, Token>,
    next_seq: u64,
    next_invocation: u64,
}

impl<C: Copy + Eq + Hash> Admin<C> {
    pub fn new(me: NodeId) -> Admin<C> {
        Admin {
            me,
            locked: BTreeSet::new(),
            running: None,
            local: None,
            validated: Vec::new(),
            tokens: HashMap::new(),
            next_seq: 1,
            next_invocation: 1,
        }
    }

    /// Whether `id` is locked out of the membership.
    pub fn is_locked(&self, id: NodeId) -> bool {
        self.locked.contains(&id)
    }

    /// The locked nodes (the replicated state, with [`Admin::running_target`]).
    pub fn locked(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.locked.iter().copied()
    }

    /// The node the running operation is about, if one runs.
    pub fn running_target(&self) -> Option<NodeId> {
        self.running.as_ref().map(|r| r.request.node_id)
    }

    /// An administrator's request on this node: the message to order, its
    /// token kept until the operation ends here.
    pub fn request(&mut self, request: AdminRequest, token: Token) -> Vec<u8> {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.tokens.insert(seq, token);
        AdminMsg::Begin { seq, request }.encode()
    }

    /// The request's message could not be queued.
    pub fn refused(&mut self, token: Token) {
        self.tokens.retain(|_, t| *t != token);
    }

    fn answer(&mut self, origin: NodeId, seq: u64, status: u32) -> Vec<Action<C>> {
        if origin != self.me {
            return Vec::new();
        }
        match self.tokens.remove(&seq) {
            Some(token) => vec![Action::Answer { token, status }],
            None => Vec::new(),
        }
    }

    /// One of the machine's messages in agreed order. `members` are the
    /// nodes of the complete view (None while it is incomplete).
    pub fn delivered(
        &mut self,
        sender: NodeId,
        m: AdminMsg,
        members: Option<&[NodeId]>,
        trackers: &StepTrackers<C>,
        now: u64,
    ) -> Vec<Action<C>> {
        match m {
            AdminMsg::Begin { seq, request } => self.begin(sender, seq, request, members, trackers, now),
            AdminMsg::Vote { origin, seq, phase, ok } => {
                let Some(r) = self.running.as_mut() else {
                    return Vec::new();
                };
                if r.origin != origin || r.seq != seq || r.phase.step() != phase || !r.waiting.contains(&sender) {
                    return Vec::new();
                }
                if !ok {
                    return self.abort(status::FAILED_OPERATION);
                }
                r.waiting.remove(&sender);
                if !r.waiting.is_empty() {
                    return Vec::new();
                }
                match r.phase {
                    Phase::Validate => {
                        r.phase = Phase::Start;
                        r.waiting = members.unwrap_or(&[]).iter().copied().collect();
                        self.start_local(Phase::Start, &trackers.start, now)
                    }
                    Phase::Start => self.complete(),
                }
            }
            AdminMsg::State { locked } => {
                self.locked.extend(locked);
                Vec::new()
            }
        }
    }

    fn begin(
        &mut self,
        origin: NodeId,
        seq: u64,
        request: AdminRequest,
        members: Option<&[NodeId]>,
        trackers: &StepTrackers<C>,
        now: u64,
    ) -> Vec<Action<C>> {
        let target = request.node_id;
        let Some(members) = members else {
            return self.answer(origin, seq, status::TRY_AGAIN);
        };
        if self.running.is_some() {
            return self.answer(origin, seq, status::TRY_AGAIN);
        }
        let locked = self.locked.contains(&target);
        if !locked && !members.contains(&target) {
            return self.answer(origin, seq, status::NOT_EXIST);
        }
        if request.operation == msg::ADMIN_UNLOCK {
            if !locked {
                return self.answer(origin, seq, status::NO_OP);
            }
            self.locked.remove(&target);
            let mut out = vec![Action::Completed { target, joined: true }];
            out.extend(self.answer(origin, seq, status::OK));
            return out;
        }
        if locked {
            return self.answer(origin, seq, status::NO_OP);
        }
        let phase = if request.operation == msg::ADMIN_LOCK {
            Phase::Validate
        } else {
            Phase::Start
        };
        self.running = Some(Running {
            origin,
            seq,
            request,
            phase,
            waiting: members.iter().copied().collect(),
        });
        self.validated.clear();
        let conns = match phase {
            Phase::Validate => &trackers.validate,
            Phase::Start => &trackers.start,
        };
        self.start_local(phase, conns, now)
    }

    /// Sends `phase`'s step to this node's trackers `conns`; votes at once if
    /// there are none.
    fn start_local(&mut self, phase: Phase, conns: &[C], now: u64) -> Vec<Action<C>> {
        let Some(r) = self.running.clone() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut pending = HashMap::new();
        for &conn in conns {
            let invocation = self.next_invocation;
            self.next_invocation += 1;
            pending.insert(invocation, conn);
            out.push(Action::Step {
                conn,
                invocation,
                step: phase.step(),
                supervision_ns: r.supervision(),
                target: r.request.node_id,
                change: r.change(),
            });
        }
        if phase == Phase::Validate {
            self.validated = conns.to_vec();
        }
        self.local = Some(LocalStep {
            pending,
            deadline: now.saturating_add(r.supervision()),
            voted: false,
        });
        out.extend(self.vote_if_done());
        out
    }

    /// This node's vote once every local tracker answered.
    fn vote_if_done(&mut self) -> Vec<Action<C>> {
        match &self.local {
            Some(l) if !l.voted && l.pending.is_empty() => self.vote(true),
            _ => Vec::new(),
        }
    }

    fn vote(&mut self, ok: bool) -> Vec<Action<C>> {
        let (Some(r), Some(l)) = (&self.running, self.local.as_mut()) else {
            return Vec::new();
        };
        if l.voted {
            return Vec::new();
        }
        l.voted = true;
        let m = AdminMsg::Vote {
            origin: r.origin,
            seq: r.seq,
            phase: r.phase.step(),
            ok,
        };
        vec![Action::Multicast(m.encode())]
    }

    /// The validate step failed (or the ring changed during it): ABORTED to
    /// the trackers that validated, the origin answers `status`.
    fn abort(&mut self, status: u32) -> Vec<Action<C>> {
        let Some(r) = self.running.take() else {
            return Vec::new();
        };
        self.local = None;
        let mut out: Vec<Action<C>> = std::mem::take(&mut self.validated)
            .into_iter()
            .map(|conn| Action::Step {
                conn,
                invocation: 0,
                step: msg::STEP_ABORTED,
                supervision_ns: 0,
                target: r.request.node_id,
                change: r.change(),
            })
            .collect();
        out.extend(self.answer(r.origin, r.seq, status));
        out
    }

    /// The start step is over: the node leaves the membership, locked.
    fn complete(&mut self) -> Vec<Action<C>> {
        let Some(r) = self.running.take() else {
            return Vec::new();
        };
        self.local = None;
        self.validated.clear();
        self.locked.insert(r.request.node_id);
        let mut out = vec![Action::Completed {
            target: r.request.node_id,
            joined: false,
        }];
        out.extend(self.answer(r.origin, r.seq, status::OK));
        out
    }

    /// A tracker's saClmResponse_4. INVALID_PARAM for an invocation `conn`
    /// was not given (or no longer waits) or a response out of range.
    pub fn response(&mut self, conn: C, invocation: u64, response: u32) -> Result<Vec<Action<C>>, u32> {
        if !(msg::RESPONSE_OK..=msg::RESPONSE_ERROR).contains(&response) {
            return Err(status::INVALID_PARAM);
        }
        let phase = self.running.as_ref().map(|r| r.phase);
        let Some(l) = self.local.as_mut() else {
            return Err(status::INVALID_PARAM);
        };
        if l.pending.get(&invocation) != Some(&conn) {
            return Err(status::INVALID_PARAM);
        }
        l.pending.remove(&invocation);
        // Only the validate step can be refused; in the start step an answer
        // says the tracker is ready, whatever it is.
        if phase == Some(Phase::Validate) && response != msg::RESPONSE_OK {
            return Ok(self.vote(false));
        }
        Ok(self.vote_if_done())
    }

    /// A handle went away: it answers nothing any more.
    pub fn disconnected(&mut self, conn: C) -> Vec<Action<C>> {
        self.validated.retain(|c| *c != conn);
        if let Some(l) = self.local.as_mut() {
            l.pending.retain(|_, c| *c != conn);
        }
        self.vote_if_done()
    }

    /// The step's time supervision ran out: a start step proceeds; a
    /// validate step nobody answered in time is refused (nothing may be taken
    /// out without every validating tracker's consent).
    pub fn tick(&mut self, now: u64) -> Vec<Action<C>> {
        let due = matches!(&self.local, Some(l) if !l.voted && now >= l.deadline);
        if !due {
            return Vec::new();
        }
        let ok = self.running.as_ref().map(|r| r.phase) == Some(Phase::Start);
        if let Some(l) = self.local.as_mut() {
            l.pending.clear();
        }
        self.vote(ok)
    }

    pub fn next_deadline(&self) -> Option<u64> {
        match &self.local {
            Some(l) if !l.voted => Some(l.deadline),
            _ => None,
        }
    }

    /// A regular configuration: a running operation ends alike on every node
    /// (validating: aborted, the origin answers TRY_AGAIN; starting:
    /// completed), then this node announces its locked nodes.
    pub fn configuration(&mut self) -> Vec<Action<C>> {
        let mut out = match self.running.as_ref().map(|r| r.phase) {
            Some(Phase::Validate) => self.abort(status::TRY_AGAIN),
            Some(Phase::Start) => self.complete(),
            None => Vec::new(),
        };
        out.push(Action::Multicast(
            AdminMsg::State {
                locked: self.locked.iter().copied().collect(),
            }
            .encode(),
        ));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::super::node::NodeInfo;
    use super::super::service::ClmService;
    use super::*;
    use crate::services::contract::{Handling, Peer, Service};
    use crate::services::testkit::{Callback, Cluster};
    use ais_proto::clm::{ClusterNode, NotificationList, StepHeader, LOCAL_NODE_ID};
    use ais_proto::{Reader, Writer};

    type Net = Cluster<ClmService<u32>, u32>;

    fn net(ids: &[u32]) -> Net {
        let make = |id: u32| {
            ClmService::new(NodeInfo::new(
                id,
                format!("10.0.0.{id}").parse().unwrap(),
                &format!("n{id}"),
                5,
                0,
            ))
        };
        let mut c = Cluster::configured(ids, make);
        // The administrator's handle on node 1 is root's.
        c.connect_as(1, 99, Peer { pid: 1, uid: Some(0) });
        c.take_callbacks();
        c
    }

    fn track(c: &mut Net, node: u32, conn: u32, flags: u8) {
        let mut w = Writer::new();
        w.u8(flags).bool(false);
        assert_eq!(c.call(node, conn, msg::TRACK_START, w.as_slice()).status, status::OK);
    }

    /// Starts an operation from the root handle; the token to fetch its answer.
    fn admin(c: &mut Net, conn: u32, operation: u32, node_id: u32, supervision_ns: u64) -> Result<Token, u32> {
        let mut w = Writer::new();
        AdminRequest {
            operation,
            node_id,
            supervision_ns,
        }
        .encode(&mut w);
        match c.handle(1, conn, msg::ADMIN, w.as_slice()) {
            Handling::Ordered { message, token, .. } => {
                c.multicast(1, message);
                c.run();
                Ok(token)
            }
            Handling::Now(r, _) => Err(r.status),
        }
    }

    fn respond(c: &mut Net, node: u32, conn: u32, invocation: u64, response: u32) -> u32 {
        let mut w = Writer::new();
        w.u64(invocation).u32(response);
        c.call(node, conn, msg::RESPONSE, w.as_slice()).status
    }

    /// A step callback: (node, conn, step, invocation, [(node id, change, member)]).
    type Seen = (u32, u32, u32, u64, Vec<(u32, u32, bool)>);

    fn steps(c: &mut Net) -> Vec<Seen> {
        let mut v: Vec<Seen> = c
            .take_callbacks()
            .into_iter()
            .filter(|cb: &Callback<u32>| cb.msg == msg::TRACK_STEP_CALLBACK)
            .map(|cb| {
                let mut r = Reader::new(&cb.payload);
                let h = StepHeader::decode(&mut r).unwrap();
                let l = NotificationList::decode(&mut r).unwrap();
                r.finish().unwrap();
                let items = l
                    .items
                    .iter()
                    .map(|n| (n.node.node_id, n.change, n.node.member))
                    .collect();
                (cb.node, cb.conn, h.step, h.invocation, items)
            })
            .collect();
        v.sort_by_key(|s| (s.0, s.1));
        v
    }

    fn member(c: &mut Net, on: u32, id: u32) -> bool {
        let mut w = Writer::new();
        w.u32(id);
        let r = c.call(on, 50, msg::NODE_GET, w.as_slice());
        assert_eq!(r.status, status::OK);
        ClusterNode::decode(&mut Reader::new(&r.payload)).unwrap().member
    }

    const LEFT: u32 = super::super::view::Change::Left as u32;
    const JOINED: u32 = super::super::view::Change::Joined as u32;
    const STEPS: u8 = msg::TRACK_VALIDATE_STEP | msg::TRACK_START_STEP;

    /// B.04.01 §3.2 (and OpenSAF's clms_imm.c): a lock is validated first; one
    /// REJECTED aborts it (ABORTED to the validating trackers), the node stays
    /// a member; the next lock, accepted, starts, and once the start step is
    /// answered the node leaves (COMPLETED, LEFT) and reports itself no
    /// member; unlock makes it JOINED again.
    #[test]
    fn lock_rejected_then_accepted_then_unlock_b0401() {
        let mut c = net(&[1, 2, 3]);
        track(&mut c, 1, 10, msg::TRACK_CHANGES_ONLY | STEPS);
        track(&mut c, 2, 20, msg::TRACK_CHANGES | msg::TRACK_VALIDATE_STEP);
        track(&mut c, 3, 30, msg::TRACK_CHANGES_ONLY);

        let token = admin(&mut c, 99, msg::ADMIN_LOCK, 2, 0).unwrap();
        let s = steps(&mut c);
        assert_eq!(s.len(), 2, "VALIDATE only to the validating trackers: {s:?}");
        assert!(s.iter().all(|x| x.2 == msg::STEP_VALIDATE && x.3 != 0));
        assert_eq!(s[0].4, vec![(2, LEFT, true)], "CHANGES_ONLY: the target alone");
        assert_eq!(s[1].4.len(), 3, "CHANGES: every member and the target");
        let (inv10, inv20) = (s[0].3, s[1].3);
        assert_eq!(
            respond(&mut c, 1, 11, inv10, msg::RESPONSE_OK),
            status::INVALID_PARAM,
            "another handle's invocation"
        );
        assert_eq!(
            respond(&mut c, 1, 10, inv10, 7),
            status::INVALID_PARAM,
            "not a SaClmResponseT"
        );
        assert_eq!(respond(&mut c, 1, 10, inv10, msg::RESPONSE_OK), status::OK);
        assert_eq!(c.answer(1, token), None, "still waiting for node 2's tracker");
        assert_eq!(respond(&mut c, 2, 20, inv20, msg::RESPONSE_REJECTED), status::OK);
        let s = steps(&mut c);
        assert_eq!(
            s.iter().map(|x| (x.1, x.2, x.3)).collect::<Vec<_>>(),
            vec![(10, msg::STEP_ABORTED, 0), (20, msg::STEP_ABORTED, 0)]
        );
        assert_eq!(c.answer(1, token).unwrap().status, status::FAILED_OPERATION);
        assert!(
            member(&mut c, 2, LOCAL_NODE_ID) && member(&mut c, 1, 2),
            "a refused lock leaves the node a member"
        );
        assert_eq!(
            respond(&mut c, 1, 10, inv10, msg::RESPONSE_OK),
            status::INVALID_PARAM,
            "answered already"
        );

        let token = admin(&mut c, 99, msg::ADMIN_LOCK, 2, 0).unwrap();
        for (node, conn, _, inv, _) in steps(&mut c) {
            assert_eq!(respond(&mut c, node, conn, inv, msg::RESPONSE_OK), status::OK);
        }
        let s = steps(&mut c);
        assert_eq!(
            s.iter().map(|x| (x.1, x.2)).collect::<Vec<_>>(),
            vec![(10, msg::STEP_START)],
            "START only to START_STEP trackers"
        );
        assert_eq!(c.answer(1, token), None);
        assert_eq!(respond(&mut c, 1, 10, s[0].3, msg::RESPONSE_OK), status::OK);
        let s = steps(&mut c);
        assert_eq!(s.len(), 3, "COMPLETED to every tracker: {s:?}");
        for x in &s {
            assert_eq!((x.2, x.3), (msg::STEP_COMPLETED, 0));
            assert!(x.4.contains(&(2, LEFT, false)));
        }
        assert_eq!(s[1].4.len(), 3, "CHANGES: the two members and the node that left");
        assert_eq!(c.answer(1, token).unwrap().status, status::OK);
        assert!(
            !member(&mut c, 2, LOCAL_NODE_ID),
            "the locked node's own CLM says it is no member"
        );
        assert!(!member(&mut c, 3, 2));
        let token = admin(&mut c, 99, msg::ADMIN_LOCK, 2, 0).unwrap();
        assert_eq!(c.answer(1, token).unwrap().status, status::NO_OP);

        let token = admin(&mut c, 99, msg::ADMIN_UNLOCK, 2, 0).unwrap();
        assert_eq!(c.answer(1, token).unwrap().status, status::OK);
        let s = steps(&mut c);
        assert_eq!(s.len(), 3);
        assert!(s
            .iter()
            .all(|x| x.2 == msg::STEP_COMPLETED && x.4.contains(&(2, JOINED, true))));
        assert!(member(&mut c, 2, LOCAL_NODE_ID));
        let token = admin(&mut c, 99, msg::ADMIN_UNLOCK, 2, 0).unwrap();
        assert_eq!(c.answer(1, token).unwrap().status, status::NO_OP);
    }

    /// B.04.01 §3.2: shutdown has no validate step and cannot be refused; the
    /// start step's time supervision lets it proceed; the node ends locked.
    #[test]
    fn shutdown_skips_validation_and_proceeds_after_the_time_supervision() {
        let mut c = net(&[1, 2]);
        track(&mut c, 2, 20, msg::TRACK_CHANGES_ONLY | STEPS);
        let token = admin(&mut c, 99, msg::ADMIN_SHUTDOWN, 2, 1_000).unwrap();
        let s = steps(&mut c);
        assert_eq!(s.len(), 1);
        assert_eq!(
            (s[0].2, s[0].4.clone()),
            (msg::STEP_START, vec![(2, msg::NODE_SHUTDOWN, true)])
        );
        assert_eq!(c.node(2).next_deadline(0), Some(1_000));
        c.now = 999;
        c.tick(2);
        assert_eq!(c.answer(1, token), None, "not yet");
        c.now = 1_000;
        c.tick(2);
        assert_eq!(c.answer(1, token).unwrap().status, status::OK);
        assert_eq!(steps(&mut c)[0].4, vec![(2, LEFT, false)]);
        assert!(!member(&mut c, 1, 2));
        let token = admin(&mut c, 99, msg::ADMIN_SHUTDOWN, 2, 0).unwrap();
        assert_eq!(c.answer(1, token).unwrap().status, status::NO_OP);
    }

    /// The response ERROR aborts a lock like REJECTED (B.04.01 saClmResponse_4);
    /// a validating tracker that goes away answers nothing and is not waited for.
    #[test]
    fn error_aborts_and_a_departed_tracker_is_not_waited_for() {
        let mut c = net(&[1, 2]);
        track(&mut c, 2, 20, msg::TRACK_CHANGES | msg::TRACK_VALIDATE_STEP);
        let token = admin(&mut c, 99, msg::ADMIN_LOCK, 2, 0).unwrap();
        let inv = steps(&mut c)[0].3;
        assert_eq!(respond(&mut c, 2, 20, inv, msg::RESPONSE_ERROR), status::OK);
        assert_eq!(c.answer(1, token).unwrap().status, status::FAILED_OPERATION);
        c.take_callbacks();
        let token = admin(&mut c, 99, msg::ADMIN_LOCK, 2, 0).unwrap();
        assert_eq!(steps(&mut c).len(), 1);
        c.disconnect(2, 20);
        assert_eq!(c.answer(1, token).unwrap().status, status::OK);
    }

    /// Unanswered validation past the supervision time refuses the lock.
    #[test]
    fn unanswered_validation_refuses_the_lock() {
        let mut c = net(&[1, 2]);
        track(&mut c, 1, 10, msg::TRACK_CHANGES | msg::TRACK_VALIDATE_STEP);
        let token = admin(&mut c, 99, msg::ADMIN_LOCK, 2, 500).unwrap();
        c.now = 500;
        c.tick(1);
        assert_eq!(c.answer(1, token).unwrap().status, status::FAILED_OPERATION);
        assert!(member(&mut c, 1, 2));
    }

    #[test]
    fn only_root_may_ask_and_only_about_known_nodes_one_at_a_time() {
        let mut c = net(&[1, 2]);
        c.connect_as(
            1,
            98,
            Peer {
                pid: 2,
                uid: Some(1000),
            },
        );
        assert_eq!(admin(&mut c, 98, msg::ADMIN_LOCK, 2, 0), Err(status::ACCESS));
        assert_eq!(
            admin(&mut c, 97, msg::ADMIN_LOCK, 2, 0),
            Err(status::ACCESS),
            "uid unknown"
        );
        let token = admin(&mut c, 99, msg::ADMIN_LOCK, 9, 0).unwrap();
        assert_eq!(c.answer(1, token).unwrap().status, status::NOT_EXIST);
        assert_eq!(
            c.handle(1, 99, msg::ADMIN, &[0, 1]).now().0.status,
            status::INVALID_PARAM
        );
        track(&mut c, 1, 10, msg::TRACK_CHANGES | msg::TRACK_VALIDATE_STEP);
        let first = admin(&mut c, 99, msg::ADMIN_LOCK, 2, 0).unwrap();
        let second = admin(&mut c, 99, msg::ADMIN_SHUTDOWN, 1, 0).unwrap();
        assert_eq!(c.answer(1, second).unwrap().status, status::TRY_AGAIN);
        assert_eq!(c.answer(1, first), None);
    }

    /// The locks survive ring changes: a locked node that restarts is still
    /// locked (another executive's State tells it) and is not reported joined.
    #[test]
    fn a_locked_node_stays_locked_across_a_restart() {
        let mut c = net(&[1, 2, 3]);
        let token = admin(&mut c, 99, msg::ADMIN_LOCK, 3, 0).unwrap();
        assert_eq!(c.answer(1, token).unwrap().status, status::OK);
        track(&mut c, 1, 10, msg::TRACK_CHANGES_ONLY);
        c.take_callbacks();
        c.configure(&[1, 2]);
        assert!(c.take_callbacks().is_empty(), "a locked node leaving is no change");
        *c.node(3) = ClmService::new(NodeInfo::new(3, "10.0.0.3".parse().unwrap(), "n3", 6, 0));
        c.configure(&[1, 2, 3]);
        assert!(c.take_callbacks().is_empty(), "nor is it joining");
        assert!(!member(&mut c, 3, LOCAL_NODE_ID), "the restarted node learnt its lock");
        let token = admin(&mut c, 99, msg::ADMIN_UNLOCK, 3, 0).unwrap();
        assert_eq!(c.answer(1, token).unwrap().status, status::OK);
        assert!(member(&mut c, 3, LOCAL_NODE_ID));
    }

    /// A ring change while validating aborts alike everywhere; the origin is
    /// told to try again.
    #[test]
    fn a_ring_change_aborts_a_validation() {
        let mut c = net(&[1, 2]);
        track(&mut c, 2, 20, msg::TRACK_CHANGES | msg::TRACK_VALIDATE_STEP);
        let token = admin(&mut c, 99, msg::ADMIN_LOCK, 2, 0).unwrap();
        c.take_callbacks();
        c.configure(&[1, 2]);
        assert_eq!(c.answer(1, token).unwrap().status, status::TRY_AGAIN);
        assert_eq!(
            steps(&mut c).iter().map(|x| x.2).collect::<Vec<_>>(),
            vec![msg::STEP_ABORTED]
        );
        assert!(member(&mut c, 1, 2));
    }

    #[test]
    fn messages_round_trip_and_refuse_every_truncation() {
        let all = [
            AdminMsg::Begin {
                seq: 3,
                request: AdminRequest {
                    operation: msg::ADMIN_LOCK,
                    node_id: 2,
                    supervision_ns: 9,
                },
            },
            AdminMsg::Vote {
                origin: 1,
                seq: 3,
                phase: msg::STEP_START,
                ok: true,
            },
            AdminMsg::State { locked: vec![2, 5] },
        ];
        for m in all {
            let b = m.encode();
            assert_eq!(AdminMsg::decode(&b), Ok(m));
            for n in 0..b.len() {
                assert!(AdminMsg::decode(&b[..n]).is_err(), "cut at {n}");
            }
        }
        let mut huge = codec::writer(STATE);
        huge.u32(u32::MAX);
        assert!(AdminMsg::decode(&huge.into_vec()).is_err());
    }
}
