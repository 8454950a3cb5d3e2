//! The MSG service as the executive runs it: every change to a queue becomes
//! an ordered cluster message ([`MsgWire`]) applied to every node's replica
//! ([`Queues`]); the origin answers its request (or sends its callback) when
//! the change is applied there. Status and limits are answered from the local
//! replica. Blocked gets wait in the replica as the queue's waiters, so a send
//! delivered anywhere hands its message to the first of them on every node
//! alike; their timeouts run on the origin, which orders a GET_TIMEOUT.

use super::limits::MsgLimits;
use super::merge::{self, Piece};
use super::queues::{Handle, NodeId, Outcome, Queues};
use super::wire::MsgWire;
use crate::ipc::{AisVersion, ServiceId};
use crate::services::clock::WallClock;
use crate::services::contract::{
    digest_of, Effect, Handling, Held, HostView, Output, Peer, Reply, RingId, Round, Service, Token,
};
use crate::services::registry::Setup;
use ais_proto::msg::{self as m, Message};
use ais_proto::status;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::{Hash, Hasher};

/// What the origin does when its request's change is applied.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Then {
    /// Answer the kept responder.
    Answer,
    /// `saMsgQueueOpenAsync`: the OPENED callback.
    Opened(u64),
    /// `saMsgMessageSendAsync`: the DELIVERED callback if asked for.
    Delivered { invocation: u64, ack: bool },
    /// A get that may block: its queue, its `SaTimeT` deadline and whether its
    /// timeout was ordered already.
    Get {
        name: Vec<u8>,
        deadline: i64,
        timed_out: bool,
    },
}

struct Pending<C> {
    conn: C,
    then: Then,
}

pub struct MsgService<C> {
    me: NodeId,
    wall: WallClock,
    limits: MsgLimits,
    queues: Queues,
    /// Each local handle's number, the `conn` of its [`Handle`]; numbers start from
    /// the wall clock at start-up so a restarted executive never reuses one.
    conns: HashMap<C, u64>,
    by_number: HashMap<u64, C>,
    next_number: u64,
    pending: HashMap<u64, Pending<C>>,
    next_token: u64,
    /// The ring's members: the lowest orders retention expiries.
    members: Vec<NodeId>,
    expiries_sent: BTreeSet<(Vec<u8>, i64)>,
    /// This round's pieces by sender, and the members of the round.
    pieces: BTreeMap<NodeId, Piece>,
    round_members: Vec<NodeId>,
}

impl<C: Copy + Eq + Hash + Send> MsgService<C> {
    pub fn new(me: NodeId, wall: WallClock, limits: MsgLimits) -> MsgService<C> {
        let start = wall.now().max(0) as u64;
        MsgService {
            me,
            wall,
            limits,
            queues: Queues::default(),
            conns: HashMap::new(),
            by_number: HashMap::new(),
            next_number: start,
            pending: HashMap::new(),
            next_token: 1,
            members: vec![me],
            expiries_sent: BTreeSet::new(),
            pieces: BTreeMap::new(),
            round_members: Vec::new(),
        }
    }

    /// This service as the registry builds it.
    pub fn from_setup(s: &Setup) -> Self {
        MsgService::new(s.me.node_id, s.wall.clone(), MsgLimits::default())
    }

    /// The replica (tests and the simulator's digest).
    pub fn queues(&self) -> &Queues {
        &self.queues
    }

    fn ordered(&mut self, conn: C, then: Then, build: impl FnOnce(u64) -> MsgWire) -> Handling<C> {
        let token = self.next_token;
        self.next_token += 1;
        let Ok(message) = build(token).encode() else {
            return Handling::status(status::INVALID_PARAM);
        };
        let accepted = match then {
            Then::Opened(_) | Then::Delivered { .. } => Some(Reply::status(status::OK)),
            _ => None,
        };
        self.pending.insert(token, Pending { conn, then });
        Handling::Ordered {
            message,
            token: Token(token),
            accepted,
        }
    }

    fn answer(&mut self, conn: C, msg_id: u16, payload: &[u8]) -> Handling<C> {
        let Some(&number) = self.conns.get(&conn) else {
            return Handling::status(status::BAD_HANDLE);
        };
        let wall = self.wall.now();
        let bad = Handling::status(status::INVALID_PARAM);
        let queue = |p: &[u8]| m::QueueName::decode(p).map(|q| q.0);
        match msg_id {
            m::LIMIT => {
                let Ok(l) = m::Limit::decode(payload) else { return bad };
                match self.limits.get(l.id) {
                    Some(value) => Handling::reply(Reply {
                        status: status::OK,
                        payload: m::Limit { id: l.id, value }.encode().unwrap_or_default(),
                    }),
                    None if (1..=7).contains(&l.id) => Handling::status(status::NOT_SUPPORTED),
                    None => bad,
                }
            }
            m::STATUS => {
                let Ok(name) = queue(payload) else { return bad };
                match self.queues.visible(&name) {
                    Some(q) => Handling::reply(Reply {
                        status: status::OK,
                        payload: q.status().encode().unwrap_or_default(),
                    }),
                    None => Handling::status(status::NOT_EXIST),
                }
            }
            m::OPEN => {
                let Ok(o) = m::Open::decode(payload) else { return bad };
                let then = o.invocation.map_or(Then::Answer, Then::Opened);
                self.ordered(conn, then, |token| MsgWire::Open {
                    token,
                    conn: number,
                    name: o.name,
                    attributes: o.attributes,
                    flags: o.flags,
                })
            }
            m::CLOSE => {
                let Ok(name) = queue(payload) else { return bad };
                self.ordered(conn, Then::Answer, |token| MsgWire::Close {
                    token,
                    conn: number,
                    name,
                    time: wall,
                })
            }
            m::RETENTION => {
                let Ok(r) = m::Retention::decode(payload) else {
                    return bad;
                };
                self.ordered(conn, Then::Answer, |token| MsgWire::Retention {
                    token,
                    conn: number,
                    name: r.name,
                    retention: r.retention,
                })
            }
            m::UNLINK => {
                let Ok(name) = queue(payload) else { return bad };
                self.ordered(conn, Then::Answer, |token| MsgWire::Unlink { token, name })
            }
            m::SEND => {
                let Ok(s) = m::Send::decode(payload) else { return bad };
                if s.body.priority as usize >= m::PRIORITIES {
                    return bad;
                }
                if s.body.data.len() as u64 > self.limits.max_message_size {
                    return Handling::status(status::TOO_BIG);
                }
                let then = match s.invocation {
                    Some((invocation, flags)) => Then::Delivered {
                        invocation,
                        ack: flags & m::DELIVERED_ACK != 0,
                    },
                    None => Then::Answer,
                };
                self.ordered(conn, then, |token| MsgWire::Send {
                    token,
                    name: s.destination,
                    time: wall,
                    body: s.body,
                })
            }
            m::GET => {
                let Ok(g) = m::Get::decode(payload) else { return bad };
                if g.timeout < 0 {
                    return bad;
                }
                let waiting = self
                    .pending
                    .values()
                    .filter(|p| p.conn == conn && matches!(p.then, Then::Get { .. }))
                    .count();
                if waiting >= self.limits.max_waiters_per_handle {
                    return Handling::status(status::NO_RESOURCES);
                }
                let then = Then::Get {
                    name: g.name.clone(),
                    deadline: wall.saturating_add(g.timeout),
                    timed_out: false,
                };
                self.ordered(conn, then, |token| MsgWire::Get {
                    token,
                    conn: number,
                    name: g.name,
                    room: g.room,
                    wait: g.timeout > 0,
                })
            }
            m::CANCEL => {
                let Ok(name) = queue(payload) else { return bad };
                self.ordered(conn, Then::Answer, |token| MsgWire::Cancel {
                    token,
                    conn: number,
                    name,
                })
            }
            _ => Handling::status(status::NOT_SUPPORTED),
        }
    }

    /// The effects of the outcomes that concern this node.
    fn outcomes(&mut self, outcomes: Vec<Outcome>) -> Output<C> {
        let mut out = Vec::new();
        for o in outcomes {
            match o {
                Outcome::Answer {
                    node,
                    token,
                    status,
                    payload,
                } if node == self.me => {
                    let Some(p) = self.pending.remove(&token) else { continue };
                    if !self.conns.contains_key(&p.conn) {
                        continue;
                    }
                    out.extend(self.finish(p, token, status, payload));
                }
                Outcome::Received { opener, name } if opener.node == self.me => {
                    if let Some(&conn) = self.by_number.get(&opener.conn) {
                        out.push(Effect::Callback {
                            conn,
                            msg: m::RECEIVED,
                            status: status::OK,
                            payload: m::QueueName(name).encode().unwrap_or_default(),
                        });
                    }
                }
                _ => {}
            }
        }
        out
    }

    fn finish(&self, p: Pending<C>, token: u64, status: u32, payload: Vec<u8>) -> Option<Effect<C>> {
        let callback = |msg, invocation| Effect::Callback {
            conn: p.conn,
            msg,
            status: status::OK,
            payload: m::Opened {
                invocation,
                error: status,
            }
            .encode()
            .unwrap_or_default(),
        };
        match p.then {
            Then::Answer | Then::Get { .. } => Some(Effect::Answer {
                token: Token(token),
                reply: Reply { status, payload },
            }),
            Then::Opened(invocation) => Some(callback(m::OPENED, invocation)),
            Then::Delivered { invocation, ack: true } => Some(callback(m::DELIVERED, invocation)),
            Then::Delivered { ack: false, .. } => None,
        }
    }

    fn multicast(m: &MsgWire) -> Option<Effect<C>> {
        m.encode().ok().map(Effect::Multicast)
    }

    fn lowest_member(&self) -> bool {
        self.members.iter().min() == Some(&self.me)
    }
}

impl<C: Copy + Eq + Hash + Send> Service<C> for MsgService<C> {
    fn id(&self) -> ServiceId {
        ServiceId::MSG
    }

    /// B.03.01, granted as openais did.
    fn version(&self) -> AisVersion {
        AisVersion::new(b'B', 3, 1)
    }

    fn connected(&mut self, conn: C, _peer: Peer) -> Output<C> {
        self.next_number += 1;
        self.conns.insert(conn, self.next_number);
        self.by_number.insert(self.next_number, conn);
        Vec::new()
    }

    /// A process that goes away closes its queues (their messages stay).
    fn disconnected(&mut self, conn: C) -> Output<C> {
        let Some(number) = self.conns.remove(&conn) else {
            return Vec::new();
        };
        self.by_number.remove(&number);
        self.pending.retain(|_, p| p.conn != conn);
        let time = self.wall.now();
        let names = self.queues.opened_by(Handle {
            node: self.me,
            conn: number,
        });
        names
            .into_iter()
            .filter_map(|name| {
                Self::multicast(&MsgWire::Close {
                    token: 0,
                    conn: number,
                    name,
                    time,
                })
            })
            .collect()
    }

    fn request(&mut self, conn: C, msg_id: u16, payload: &[u8], _: &dyn HostView) -> Handling<C> {
        self.answer(conn, msg_id, payload)
    }

    fn refused(&mut self, token: Token) -> Output<C> {
        self.pending.remove(&token.0);
        Vec::new()
    }

    fn delivered(&mut self, sender: NodeId, data: &[u8], _now: u64) -> Output<C> {
        let Ok(msg) = MsgWire::decode(data) else {
            log::warn!(target: "MSG", "undecodable message from node {sender} dropped");
            return Vec::new();
        };
        let outcomes = self.queues.apply(sender, msg, &self.limits);
        self.outcomes(outcomes)
    }

    fn configuration(&mut self, _ring: RingId, members: &[NodeId], _now: u64) -> Output<C> {
        self.members = members.to_vec();
        self.expiries_sent.clear();
        Vec::new()
    }

    fn replicated(&self) -> bool {
        true
    }

    /// Everything but the limits reads or changes the queues.
    fn needs_sync(&self, _conn: C, msg_id: u16, _payload: &[u8]) -> bool {
        msg_id != m::LIMIT
    }

    fn sync_init(&mut self, round: &Round<'_>) -> Vec<Vec<u8>> {
        self.pieces.clear();
        self.round_members = round.members.to_vec();
        // Every node that completed a round sends its queues: one per old ring would
        // do only if each still held its old ring's state, and a node cannot tell
        // whether the lowest of them restarted meanwhile.
        let speaks = round.old_ring.is_some();
        let piece = Piece {
            fresh: round.old_ring.is_none(),
            old_rep: round.old_ring.map_or(u32::MAX, |r| r.rep),
            wall: self.wall.now(),
            queues: speaks.then(|| self.queues.map.clone()),
        };
        piece.encode().map(|b| vec![b]).unwrap_or_default()
    }

    fn sync_receive(&mut self, sender: NodeId, piece: &[u8]) {
        match Piece::decode(piece) {
            Ok(p) => {
                self.pieces.insert(sender, p);
            }
            Err(e) => log::warn!(target: "MSG", "sync piece from node {sender} refused: {e}"),
        }
    }

    /// The merge rule (saMsg(3), MERGE AND FAILURE; [`merge`]).
    fn sync_activate(&mut self, _now: u64) -> Output<C> {
        let pieces = std::mem::take(&mut self.pieces);
        let members = std::mem::take(&mut self.round_members);
        let (merged, time) = merge::merge(&pieces, &members);
        if let Some(q) = merged {
            self.queues = q;
        }
        // Every node closes the same queues: a fresh node's clients could not open any
        // yet (requests wait for the first round), so what it holds open is its
        // earlier incarnation's.
        let restarted: Vec<NodeId> = pieces.iter().filter(|(_, p)| p.fresh).map(|(&n, _)| n).collect();
        merge::settle(
            &mut self.queues,
            &members,
            &restarted,
            time.unwrap_or_else(|| self.wall.now()),
        );
        // This node's blocked gets that the merged replica no longer holds end here.
        let held: BTreeSet<u64> = self
            .queues
            .map
            .values()
            .flat_map(|q| q.waiters.iter())
            .filter(|w| w.node == self.me)
            .map(|w| w.token)
            .collect();
        let lost: Vec<u64> = self
            .pending
            .iter()
            .filter(|(t, p)| matches!(p.then, Then::Get { .. }) && !held.contains(t))
            .map(|(&t, _)| t)
            .collect();
        let outcomes = lost
            .into_iter()
            .map(|token| Outcome::Answer {
                node: self.me,
                token,
                status: status::TRY_AGAIN,
                payload: Vec::new(),
            })
            .collect();
        self.outcomes(outcomes)
    }

    fn sync_abort(&mut self) -> Held {
        self.pieces.clear();
        Held::Apply
    }

    /// Blocked gets past their deadline, and (on the lowest member) closed queues
    /// past their retention time, are ordered out.
    fn tick(&mut self, _now: u64) -> Output<C> {
        let wall = self.wall.now();
        let mut out = Vec::new();
        for (&token, p) in self.pending.iter_mut() {
            if let Then::Get {
                name,
                deadline,
                timed_out,
            } = &mut p.then
            {
                if !*timed_out && *deadline <= wall {
                    *timed_out = true;
                    out.extend(Self::multicast(&MsgWire::GetTimeout {
                        token,
                        name: name.clone(),
                    }));
                }
            }
        }
        if self.lowest_member() {
            for (name, q) in &self.queues.map {
                if let Some(t) = expiry(q) {
                    if t <= wall && self.expiries_sent.insert((name.clone(), q.close_time)) {
                        out.extend(Self::multicast(&MsgWire::Expire {
                            name: name.clone(),
                            close_time: q.close_time,
                        }));
                    }
                }
            }
        }
        out
    }

    fn next_deadline(&self, now: u64) -> Option<u64> {
        let gets = self.pending.values().filter_map(|p| match &p.then {
            Then::Get {
                deadline,
                timed_out: false,
                ..
            } if *deadline < i64::MAX => Some(*deadline),
            _ => None,
        });
        let expiries = self
            .queues
            .map
            .iter()
            .filter(|_| self.lowest_member())
            .filter(|(n, q)| !self.expiries_sent.contains(&((*n).clone(), q.close_time)))
            .filter_map(|(_, q)| expiry(q));
        let earliest = gets.chain(expiries).min()?;
        let left = earliest.saturating_sub(self.wall.now()).max(0);
        Some(now.saturating_add(left as u64))
    }

    fn digest(&self) -> Option<u64> {
        Some(digest_of(|h| {
            self.queues.map.hash(h);
            h.write_u64(self.queues.held);
        }))
    }
}

/// When a closed non-persistent queue's retention ends.
fn expiry(q: &super::queues::Queue) -> Option<i64> {
    (q.opener.is_none() && q.attributes.flags & m::QUEUE_PERSISTENT == 0)
        .then(|| q.close_time.saturating_add(q.attributes.retention))
}
