//! The checkpoint service as the executive runs it: client requests become
//! ordered cluster messages, answered once they are delivered here; reads,
//! status and iteration are answered from the local replica. No I/O: the host
//! carries out the effects and the replies.

use super::state::{check_attributes, sync_status, Applied, Change, CkptState, Outcome};
use super::wire::{CkptMsg, NodeId, Uid, WriteElem};
use crate::ipc::{AisVersion, ServiceId};
use crate::services::clock::{self, WallClock};
use crate::services::contract::{
    Effect, Handling, Held, HostView, MergeLoss, Output, Peer, Reply, Round, Service, Token,
};
use crate::services::registry::Setup;
use ais_proto::ckpt::{self as p, Message};
use ais_proto::status;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::hash::Hash;

/// The CKPT version this executive implements (B.02.03 includes B.01.01).
pub const CKPT_VERSION: AisVersion = AisVersion::new(b'B', 2, 3);

use super::limits::CkptLimits;
pub use super::limits::MAX_OPENS_PER_CONN;

/// Pieced requests one connection may have in flight at once
/// (`SA_AIS_ERR_NO_RESOURCES` beyond).
pub const MAX_PIECED_PER_CONN: usize = 16;

/// A pieced request in flight from one connection: its request number and
/// the index its next piece must have.
struct PiecedOp {
    req: u64,
    next: u32,
}

enum Kind<C> {
    /// OPEN, with whether it is for reading.
    Open(bool),
    /// OPEN_ASYNC: the invocation, and whether it is for reading.
    OpenAsync(u64, bool),
    SyncAsync(u64),
    /// CLOSE: the checkpoint id, forgotten when the close was asked for, and
    /// what to restore if its message could not be queued.
    Close(u64, OpenHandle<C>, bool),
    /// The last PIECE of a pieced request: if it cannot be sent, the pieces
    /// staged before it are dropped everywhere.
    LastPiece,
    Plain,
}

struct Pending<C> {
    conn: C,
    kind: Kind<C>,
}

struct OpenHandle<C> {
    conn: C,
    uid: Uid,
    /// Opened with `SA_CKPT_CHECKPOINT_READ`: tracking reports only these.
    read: bool,
}

/// What one connection tracks (B.02.03 `saCkptTrack`, `saCkptCheckpointTrack`).
#[derive(Default)]
struct Tracking {
    /// Every checkpoint id of the connection, now and opened later.
    all: bool,
    /// These checkpoint ids.
    ids: BTreeSet<u64>,
}

pub struct CkptService<C> {
    me: NodeId,
    state: CkptState,
    conns: HashMap<C, BTreeSet<u64>>,
    opens: HashMap<u64, OpenHandle<C>>,
    next_id: u64,
    next_req: u64,
    pending: HashMap<u64, Pending<C>>,
    /// The connections tracking checkpoints (local to this node).
    tracking: HashMap<C, Tracking>,
    /// Pieced requests in flight, by connection and its operation number.
    pieced: HashMap<(C, u64), PiecedOp>,
    /// Pieced requests a sync round cut (their staged pieces are dropped
    /// everywhere): the next piece of one is answered TRY_AGAIN.
    interrupted: HashSet<(C, u64)>,
    max_opens_per_conn: usize,
    wall: WallClock,
}

fn reply(st: u32) -> Reply {
    Reply::status(st)
}

fn encoded<M: Message>(m: &M) -> Vec<u8> {
    m.encode().unwrap_or_default()
}

impl<C: Copy + Eq + Hash + Send> CkptService<C> {
    pub fn new(me: NodeId) -> CkptService<C> {
        // Request numbers name the checkpoints they create, for good: starting
        // from the clock keeps them unique across restarts of this node.
        let start = (clock::system_now().max(0) as u64).max(1);
        CkptService {
            me,
            state: CkptState::new(me),
            conns: HashMap::new(),
            opens: HashMap::new(),
            next_id: 1,
            next_req: start,
            pending: HashMap::new(),
            tracking: HashMap::new(),
            pieced: HashMap::new(),
            interrupted: HashSet::new(),
            max_opens_per_conn: MAX_OPENS_PER_CONN,
            wall: WallClock::default(),
        }
    }

    /// The executive's checkpoint limits (the same on every node).
    pub fn with_limits(me: NodeId, limits: CkptLimits) -> CkptService<C> {
        let mut s = CkptService::new(me);
        s.state.set_limits(limits);
        s.max_opens_per_conn = limits.max_opens_per_conn;
        s
    }

    /// Replaces the `SaTimeT` clock (tests).
    pub fn set_wall_clock(&mut self, f: impl Fn() -> i64 + Send + Sync + 'static) {
        self.wall = WallClock::new(f);
    }

    /// This service as the registry builds it.
    pub fn from_setup(s: &Setup) -> Self {
        let mut svc = CkptService::with_limits(s.me.node_id, s.ckpt);
        svc.wall = s.wall.clone();
        svc
    }

    pub fn state(&self) -> &CkptState {
        &self.state
    }

    fn multicast(&self, m: &CkptMsg) -> Option<Effect<C>> {
        match m.encode() {
            Ok(b) => Some(Effect::Multicast(b)),
            Err(e) => {
                log::warn!(target: "CKPT", "can't encode a cluster message: {e}");
                None
            }
        }
    }

    fn absorb(&mut self, a: Applied, _now: u64, out: &mut Output<C>) {
        for (from, to) in a.remaps {
            for h in self.opens.values_mut() {
                if h.uid == from {
                    h.uid = to;
                }
            }
        }
        for o in a.outcomes {
            if o.sender == self.me {
                self.outcome(o, out);
            }
        }
        for c in a.changes {
            self.report(c, out);
        }
    }

    /// A TRACK_CALLBACK for every local checkpoint id of `c.uid` tracked and
    /// opened for reading.
    fn report(&self, c: Change, out: &mut Output<C>) {
        for (conn, t) in &self.tracking {
            let Some(ids) = self.conns.get(conn) else { continue };
            for &id in ids {
                let tracked = t.all || t.ids.contains(&id);
                if tracked && self.opens.get(&id).is_some_and(|h| h.read && h.uid == c.uid) {
                    let cb = p::TrackCallback {
                        ckpt_id: id,
                        elements: c.elements.clone(),
                    };
                    out.push(Effect::Callback {
                        conn: *conn,
                        msg: p::TRACK_CALLBACK,
                        status: status::OK,
                        payload: encoded(&cb),
                    });
                }
            }
        }
    }

    /// Changes are described by the state only while someone tracks.
    fn tracking_changed(&mut self) {
        self.tracking.retain(|_, t| t.all || !t.ids.is_empty());
        self.state.report_changes(!self.tracking.is_empty());
    }

    /// TRACK, TRACK_STOP, CHECKPOINT_TRACK, CHECKPOINT_TRACK_STOP: local to
    /// this node, answered at once.
    fn track(&mut self, conn: C, msg: u16, payload: &[u8]) -> u32 {
        let id = match msg {
            p::TRACK | p::TRACK_STOP => {
                if !payload.is_empty() {
                    return status::INVALID_PARAM;
                }
                None
            }
            _ => {
                let Ok(p::CkptId(id)) = p::CkptId::decode(payload) else {
                    return status::INVALID_PARAM;
                };
                if self.uid_of(conn, id).is_none() {
                    return status::BAD_HANDLE;
                }
                Some(id)
            }
        };
        let t = self.tracking.entry(conn).or_default();
        let st = match (msg, id) {
            (p::TRACK, _) => {
                t.all = true;
                status::OK
            }
            (p::TRACK_STOP, _) => {
                if std::mem::take(&mut t.all) {
                    status::OK
                } else {
                    status::NOT_EXIST
                }
            }
            (p::CHECKPOINT_TRACK, Some(id)) => {
                t.ids.insert(id);
                status::OK
            }
            (_, Some(id)) => {
                if t.ids.remove(&id) {
                    status::OK
                } else {
                    status::NOT_EXIST
                }
            }
            _ => status::INVALID_PARAM,
        };
        self.tracking_changed();
        st
    }

    /// One of this node's changes that an interrupted synchronisation
    /// discarded: a close is sent again (it must happen); anything else is
    /// answered TRY_AGAIN.
    fn dropped(&mut self, m: CkptMsg, out: &mut Output<C>) {
        let req = match &m {
            CkptMsg::Close { .. } => {
                out.extend(self.multicast(&m));
                return;
            }
            CkptMsg::Open { req, .. }
            | CkptMsg::Unlink { req, .. }
            | CkptMsg::RetentionSet { req, .. }
            | CkptMsg::ActiveReplicaSet { req, .. }
            | CkptMsg::SectionCreate { req, .. }
            | CkptMsg::SectionDelete { req, .. }
            | CkptMsg::ExpirationSet { req, .. }
            | CkptMsg::Write { req, .. }
            | CkptMsg::Overwrite { req, .. }
            | CkptMsg::Synchronize { req, .. }
            | CkptMsg::Piece { last: true, req, .. } => *req,
            _ => return,
        };
        let payload = match &m {
            CkptMsg::Write { .. } | CkptMsg::Piece { kind: p::WRITE, .. } => self.busy(p::WRITE).payload,
            _ => Vec::new(),
        };
        self.outcome(
            Outcome {
                sender: self.me,
                req,
                status: status::TRY_AGAIN,
                payload,
                opened: None,
            },
            out,
        );
    }

    fn outcome(&mut self, o: Outcome, out: &mut Output<C>) {
        let Some(pend) = self.pending.remove(&o.req) else {
            return;
        };
        let alive = self.conns.contains_key(&pend.conn);
        match pend.kind {
            Kind::Open(read) | Kind::OpenAsync(_, read) => {
                let opened = o.opened.filter(|_| o.status == status::OK);
                let mut result = None;
                if let Some((uid, attrs)) = opened {
                    if alive {
                        let id = self.next_id;
                        self.next_id += 1;
                        self.opens.insert(
                            id,
                            OpenHandle {
                                conn: pend.conn,
                                uid,
                                read,
                            },
                        );
                        self.conns.entry(pend.conn).or_default().insert(id);
                        result = Some(p::Opened { ckpt_id: id, attrs });
                    } else {
                        // Nobody to hand it to: give the reference back.
                        out.extend(self.multicast(&CkptMsg::Close { req: 0, uid }));
                    }
                }
                if let Kind::OpenAsync(invocation, _) = pend.kind {
                    let cb = p::OpenCallback {
                        invocation,
                        opened: result,
                    };
                    out.push(Effect::Callback {
                        conn: pend.conn,
                        msg: p::OPEN_CALLBACK,
                        status: o.status,
                        payload: cb.encode(),
                    });
                } else {
                    let payload = result.map(|x| encoded(&x)).unwrap_or_default();
                    out.push(Effect::Answer {
                        token: Token(o.req),
                        reply: Reply {
                            status: o.status,
                            payload,
                        },
                    });
                }
            }
            Kind::SyncAsync(invocation) => out.push(Effect::Callback {
                conn: pend.conn,
                msg: p::SYNCHRONIZE_CALLBACK,
                status: o.status,
                payload: encoded(&p::SyncCallback { invocation }),
            }),
            Kind::Close(..) | Kind::LastPiece | Kind::Plain => out.push(Effect::Answer {
                token: Token(o.req),
                reply: Reply {
                    status: o.status,
                    payload: o.payload,
                },
            }),
        }
    }

    fn uid_of(&self, conn: C, id: u64) -> Option<Uid> {
        self.opens.get(&id).filter(|h| h.conn == conn).map(|h| h.uid)
    }

    /// An ordered request: its cluster message, answered under its number.
    fn send(
        &mut self,
        conn: C,
        kind: Kind<C>,
        accepted: Option<Reply>,
        make: impl FnOnce(u64) -> CkptMsg,
    ) -> Handling<C> {
        let req = self.next_req;
        self.next_req += 1;
        match make(req).encode() {
            Ok(message) => {
                self.pending.insert(req, Pending { conn, kind });
                Handling::Ordered {
                    message,
                    token: Token(req),
                    accepted,
                }
            }
            Err(_) => Handling::status(status::INVALID_PARAM),
        }
    }

    /// Gives up the pieced request `key`, if in flight: every node drops
    /// what it staged of it.
    fn abandon(&mut self, key: (C, u64), out: &mut Output<C>) {
        if let Some(op) = self.pieced.remove(&key) {
            out.extend(self.multicast(&CkptMsg::PieceAbort { req: op.req }));
        }
    }

    /// PIECE: one piece of a large WRITE, OVERWRITE or SECTION_CREATE, sent
    /// on as one ordered cluster message at once (nothing is kept here but
    /// the sequence): the last is answered once the whole change is applied.
    fn piece(&mut self, conn: C, payload: &[u8], wall: i64) -> Handling<C> {
        let Ok(pc) = p::Piece::decode(payload) else {
            return Handling::status(status::INVALID_PARAM);
        };
        if !matches!(pc.kind, p::WRITE | p::OVERWRITE | p::SECTION_CREATE) {
            return Handling::status(status::INVALID_PARAM);
        }
        let key = (conn, pc.operation);
        let mut out = Output::new();
        let fail = |st, out| Handling::Now(error_reply(pc.kind, st), out);
        if self.interrupted.remove(&key) && pc.index > 0 {
            return fail(status::TRY_AGAIN, out);
        }
        if pc.index == 0 {
            self.abandon(key, &mut out);
        }
        let uid = self.uid_of(conn, pc.ckpt_id);
        let Some(uid) = uid else {
            self.abandon(key, &mut out);
            return fail(status::BAD_HANDLE, out);
        };
        if pc.data.len() > p::MAX_PIECE_DATA {
            self.abandon(key, &mut out);
            return fail(status::TOO_BIG, out);
        }
        if pc.index == 0 {
            if self.pieced.keys().filter(|(c, _)| *c == conn).count() >= MAX_PIECED_PER_CONN {
                return fail(status::NO_RESOURCES, out);
            }
            let req = self.next_req;
            self.next_req += 1;
            self.pieced.insert(key, PiecedOp { req, next: 0 });
        }
        let req = match self.pieced.get_mut(&key) {
            Some(op) if op.next == pc.index => {
                op.next += 1;
                op.req
            }
            _ => {
                self.abandon(key, &mut out);
                return fail(status::INVALID_PARAM, out);
            }
        };
        let m = CkptMsg::Piece {
            req,
            uid,
            kind: pc.kind,
            wall,
            index: pc.index,
            last: pc.last,
            data: pc.data,
        };
        let Ok(message) = m.encode() else {
            self.abandon(key, &mut out);
            return fail(status::INVALID_PARAM, out);
        };
        let accepted = if pc.last {
            self.pieced.remove(&key);
            self.pending.insert(
                req,
                Pending {
                    conn,
                    kind: Kind::LastPiece,
                },
            );
            None
        } else {
            Some(reply(status::OK))
        };
        Handling::Ordered {
            message,
            token: Token(req),
            accepted,
        }
    }

    /// CLOSE: the checkpoint id is forgotten at once (no later request may
    /// use it), and given back if the close cannot be queued.
    fn close(&mut self, conn: C, id: u64) -> Handling<C> {
        if self.uid_of(conn, id).is_none() {
            return Handling::status(status::BAD_HANDLE);
        }
        let Some(h) = self.opens.remove(&id) else {
            return Handling::status(status::BAD_HANDLE);
        };
        let uid = h.uid;
        if let Some(ids) = self.conns.get_mut(&conn) {
            ids.remove(&id);
        }
        let tracked = self.tracking.get_mut(&conn).is_some_and(|t| t.ids.remove(&id));
        if tracked {
            self.tracking_changed();
        }
        self.send(conn, Kind::Close(id, h, tracked), None, |req| CkptMsg::Close {
            req,
            uid,
        })
    }
}

impl<C: Copy + Eq + Hash + Send> Service<C> for CkptService<C> {
    fn digest(&self) -> Option<u64> {
        self.state.digest()
    }

    fn id(&self) -> ServiceId {
        ServiceId::CKPT
    }

    fn version(&self) -> AisVersion {
        CKPT_VERSION
    }

    /// TRY_AGAIN in the shape of `msg`'s response.
    fn busy(&self, msg: u16) -> Reply {
        error_reply(msg, status::TRY_AGAIN)
    }

    fn connected(&mut self, conn: C, _: Peer) -> Output<C> {
        self.conns.entry(conn).or_default();
        Vec::new()
    }

    /// A handle went away: close every checkpoint it had open.
    fn disconnected(&mut self, conn: C) -> Vec<Effect<C>> {
        let ids = self.conns.remove(&conn).unwrap_or_default();
        if self.tracking.remove(&conn).is_some() {
            self.tracking_changed();
        }
        let mut out = Vec::new();
        self.interrupted.retain(|(c, _)| *c != conn);
        let ops: Vec<(C, u64)> = self.pieced.keys().filter(|(c, _)| *c == conn).copied().collect();
        for key in ops {
            self.abandon(key, &mut out);
        }
        for id in ids {
            if let Some(h) = self.opens.remove(&id) {
                out.extend(self.multicast(&CkptMsg::Close { req: 0, uid: h.uid }));
            }
        }
        out
    }

    /// Every change is ordered: held while the checkpoints re-synchronise.
    fn replicated(&self) -> bool {
        true
    }

    /// Everything but tracking (local) and requests on handles this
    /// service does not know (BAD_HANDLE at once) waits for synchronised
    /// checkpoints.
    fn needs_sync(&self, conn: C, msg: u16, _: &[u8]) -> bool {
        self.conns.contains_key(&conn) && !is_track(msg)
    }

    /// This node's side, references and (when it transfers them) its
    /// checkpoints. Pieced requests in flight cannot complete across the
    /// round (every node drops the staged pieces at activate): their next
    /// piece is answered TRY_AGAIN.
    fn sync_init(&mut self, round: &Round<'_>) -> Vec<Vec<u8>> {
        self.interrupted = self.pieced.drain().map(|(k, _)| k).collect();
        self.state.sync_init(round)
    }

    fn sync_receive(&mut self, sender: NodeId, piece: &[u8]) {
        self.state.sync_receive(sender, piece);
    }

    /// The merge (saCkpt(3), PARTITIONS).
    fn sync_activate(&mut self, now: u64) -> Output<C> {
        let applied = self.state.sync_activate(now);
        let mut out = Output::new();
        self.absorb(applied, now, &mut out);
        out
    }

    /// A round cut short drops the changes held during it, on every node
    /// alike: their origins answer TRY_AGAIN, closes are sent again.
    fn sync_abort(&mut self) -> Held {
        self.state.sync_abort();
        Held::Drop
    }

    fn merge_losses(&mut self) -> Vec<MergeLoss> {
        self.state.take_losses()
    }

    fn held_dropped(&mut self, sender: NodeId, data: &[u8]) -> Output<C> {
        let mut out = Output::new();
        if sender == self.me {
            if let Ok(m) = CkptMsg::decode(data) {
                self.dropped(m, &mut out);
            }
        }
        out
    }

    /// A checkpoint message delivered in agreed order.
    fn delivered(&mut self, sender: NodeId, data: &[u8], now: u64) -> Output<C> {
        let mut out = Output::new();
        let Ok(m) = CkptMsg::decode(data) else {
            log::warn!(target: "CKPT", "undecodable message from node {sender} ignored");
            return out;
        };
        let applied = self.state.deliver(sender, m, now);
        self.absorb(applied, now, &mut out);
        out
    }

    /// Deletions (retention, section expiration) due now, to multicast.
    fn tick(&mut self, now: u64) -> Vec<Effect<C>> {
        let wall = self.wall.now();
        let msgs = self.state.tick(now, wall);
        msgs.iter().filter_map(|m| self.multicast(m)).collect()
    }

    /// When [`tick`](Self::tick) next has something to do (monotonic nanoseconds).
    fn next_deadline(&self, now: u64) -> Option<u64> {
        self.state.next_deadline(now, self.wall.now())
    }

    /// A client request.
    fn request(&mut self, conn: C, msg: u16, payload: &[u8], _: &dyn HostView) -> Handling<C> {
        let now_reply = Handling::reply;
        let write_err = |st: u32| Handling::reply(error_reply(p::WRITE, st));
        let read_err = |st: u32| Handling::reply(error_reply(p::READ, st));
        if !self.conns.contains_key(&conn) {
            return now_reply(reply(status::BAD_HANDLE));
        }
        if is_track(msg) {
            return now_reply(reply(self.track(conn, msg, payload)));
        }
        let wall = self.wall.now();
        match msg {
            p::OPEN | p::OPEN_ASYNC => {
                let (open, invocation) = if msg == p::OPEN {
                    match p::Open::decode(payload) {
                        Ok(o) => (o, None),
                        Err(_) => return now_reply(reply(status::INVALID_PARAM)),
                    }
                } else {
                    match p::OpenAsync::decode(payload) {
                        Ok(o) => (o.open, Some(o.invocation)),
                        Err(_) => return now_reply(reply(status::INVALID_PARAM)),
                    }
                };
                if let Err(e) = check_open(&open) {
                    return now_reply(reply(e));
                }
                if self.conns.get(&conn).map_or(0, |s| s.len()) >= self.max_opens_per_conn {
                    return now_reply(reply(status::NO_RESOURCES));
                }
                let create = open.open_flags & p::OPEN_CREATE != 0;
                let read = open.open_flags & p::OPEN_READ != 0;
                let (kind, accepted) = match invocation {
                    Some(i) => (Kind::OpenAsync(i, read), Some(reply(status::OK))),
                    None => (Kind::Open(read), None),
                };
                self.send(conn, kind, accepted, |req| CkptMsg::Open {
                    req,
                    name: open.name,
                    attrs: open.attrs,
                    create,
                })
            }
            p::CLOSE => {
                let Ok(p::CkptId(id)) = p::CkptId::decode(payload) else {
                    return now_reply(reply(status::INVALID_PARAM));
                };
                self.close(conn, id)
            }
            p::UNLINK => {
                let Ok(u) = p::Unlink::decode(payload) else {
                    return now_reply(reply(status::INVALID_PARAM));
                };
                if u.name.is_empty() {
                    return now_reply(reply(status::INVALID_PARAM));
                }
                self.send(conn, Kind::Plain, None, |req| CkptMsg::Unlink { req, name: u.name })
            }
            p::RETENTION_SET => {
                let Ok(r) = p::RetentionSet::decode(payload) else {
                    return now_reply(reply(status::INVALID_PARAM));
                };
                let Some(uid) = self.uid_of(conn, r.ckpt_id) else {
                    return now_reply(reply(status::BAD_HANDLE));
                };
                if r.retention_duration < 0 {
                    return now_reply(reply(status::INVALID_PARAM));
                }
                self.send(conn, Kind::Plain, None, |req| CkptMsg::RetentionSet {
                    req,
                    uid,
                    duration: r.retention_duration,
                })
            }
            p::ACTIVE_REPLICA_SET => {
                let Ok(p::CkptId(id)) = p::CkptId::decode(payload) else {
                    return now_reply(reply(status::INVALID_PARAM));
                };
                let Some(uid) = self.uid_of(conn, id) else {
                    return now_reply(reply(status::BAD_HANDLE));
                };
                self.send(conn, Kind::Plain, None, |req| CkptMsg::ActiveReplicaSet { req, uid })
            }
            p::STATUS_GET => {
                let Ok(p::CkptId(id)) = p::CkptId::decode(payload) else {
                    return now_reply(reply(status::INVALID_PARAM));
                };
                let Some(uid) = self.uid_of(conn, id) else {
                    return now_reply(reply(status::BAD_HANDLE));
                };
                match self.state.status(uid) {
                    Ok(d) => now_reply(Reply {
                        status: status::OK,
                        payload: encoded(&d),
                    }),
                    Err(e) => now_reply(reply(e)),
                }
            }
            p::SECTION_CREATE => {
                if payload.len() > p::MAX_UPDATE_PAYLOAD {
                    return now_reply(reply(status::TOO_BIG));
                }
                let Ok(s) = p::SectionCreate::decode(payload) else {
                    return now_reply(reply(status::INVALID_PARAM));
                };
                let Some(uid) = self.uid_of(conn, s.ckpt_id) else {
                    return now_reply(reply(status::BAD_HANDLE));
                };
                self.send(conn, Kind::Plain, None, |req| CkptMsg::SectionCreate {
                    req,
                    uid,
                    section: s.section,
                    expiration: s.expiration_time,
                    wall,
                    data: s.data,
                })
            }
            p::SECTION_DELETE => {
                let Ok(s) = p::SectionRef::decode(payload) else {
                    return now_reply(reply(status::INVALID_PARAM));
                };
                let Some(uid) = self.uid_of(conn, s.ckpt_id) else {
                    return now_reply(reply(status::BAD_HANDLE));
                };
                self.send(conn, Kind::Plain, None, |req| CkptMsg::SectionDelete {
                    req,
                    uid,
                    section: s.section,
                })
            }
            p::SECTION_EXPIRATION_SET => {
                let Ok(s) = p::ExpirationSet::decode(payload) else {
                    return now_reply(reply(status::INVALID_PARAM));
                };
                let Some(uid) = self.uid_of(conn, s.ckpt_id) else {
                    return now_reply(reply(status::BAD_HANDLE));
                };
                self.send(conn, Kind::Plain, None, |req| CkptMsg::ExpirationSet {
                    req,
                    uid,
                    section: s.section,
                    expiration: s.expiration_time,
                })
            }
            p::ITERATE => {
                let Ok(it) = p::Iterate::decode(payload) else {
                    return now_reply(reply(status::INVALID_PARAM));
                };
                let Some(uid) = self.uid_of(conn, it.ckpt_id) else {
                    return now_reply(reply(status::BAD_HANDLE));
                };
                match self
                    .state
                    .iterate(uid, it.sections_chosen, it.expiration_time, it.after.as_deref())
                {
                    Ok(page) => now_reply(Reply {
                        status: status::OK,
                        payload: encoded(&page),
                    }),
                    Err(e) => now_reply(reply(e)),
                }
            }
            p::WRITE => {
                if payload.len() > p::MAX_UPDATE_PAYLOAD {
                    return write_err(status::TOO_BIG);
                }
                let Ok(w) = p::Write::decode(payload) else {
                    return write_err(status::INVALID_PARAM);
                };
                let Some(uid) = self.uid_of(conn, w.ckpt_id) else {
                    return write_err(status::BAD_HANDLE);
                };
                let elements = w.elements.into_iter().map(WriteElem::from).collect();
                self.send(conn, Kind::Plain, None, |req| CkptMsg::Write {
                    req,
                    uid,
                    wall,
                    elements,
                })
            }
            p::OVERWRITE => {
                if payload.len() > p::MAX_UPDATE_PAYLOAD {
                    return now_reply(reply(status::TOO_BIG));
                }
                let Ok(o) = p::Overwrite::decode(payload) else {
                    return now_reply(reply(status::INVALID_PARAM));
                };
                let Some(uid) = self.uid_of(conn, o.ckpt_id) else {
                    return now_reply(reply(status::BAD_HANDLE));
                };
                self.send(conn, Kind::Plain, None, |req| CkptMsg::Overwrite {
                    req,
                    uid,
                    wall,
                    section: o.section,
                    data: o.data,
                })
            }
            p::READ => {
                let Ok(r) = p::Read::decode(payload) else {
                    return read_err(status::INVALID_PARAM);
                };
                let Some(uid) = self.uid_of(conn, r.ckpt_id) else {
                    return read_err(status::BAD_HANDLE);
                };
                let (st, rr) = self.state.read(uid, &r.elements);
                now_reply(Reply {
                    status: st,
                    payload: encoded(&rr),
                })
            }
            p::SYNCHRONIZE | p::SYNCHRONIZE_ASYNC => {
                let (id, invocation) = if msg == p::SYNCHRONIZE {
                    match p::CkptId::decode(payload) {
                        Ok(p::CkptId(id)) => (id, None),
                        Err(_) => return now_reply(reply(status::INVALID_PARAM)),
                    }
                } else {
                    match p::SynchronizeAsync::decode(payload) {
                        Ok(s) => (s.ckpt_id, Some(s.invocation)),
                        Err(_) => return now_reply(reply(status::INVALID_PARAM)),
                    }
                };
                let Some(uid) = self.uid_of(conn, id) else {
                    return now_reply(reply(status::BAD_HANDLE));
                };
                let st = self.state.checkpoint(uid).map_or(status::BAD_HANDLE, sync_status);
                if st != status::OK {
                    return now_reply(reply(st));
                }
                // Every replica is written as the change is ordered: a
                // synchronisation completes once the changes ordered before
                // it have been applied, i.e. when its own message arrives.
                let (kind, accepted) = match invocation {
                    Some(i) => (Kind::SyncAsync(i), Some(reply(status::OK))),
                    None => (Kind::Plain, None),
                };
                self.send(conn, kind, accepted, |req| CkptMsg::Synchronize { req, uid })
            }
            p::PIECE => self.piece(conn, payload, wall),
            _ => now_reply(reply(status::NOT_SUPPORTED)),
        }
    }

    /// The message of `token` could not be queued (answered TRY_AGAIN).
    fn refused(&mut self, token: Token) -> Output<C> {
        // A piece that could not be sent: the request is given up everywhere.
        let piece = self.pieced.iter().find(|(_, op)| op.req == token.0).map(|(k, _)| *k);
        if let Some(key) = piece {
            let mut out = Output::new();
            self.abandon(key, &mut out);
            return out;
        }
        if let Some(Pending {
            kind: Kind::LastPiece, ..
        }) = self.pending.get(&token.0)
        {
            self.pending.remove(&token.0);
            return self
                .multicast(&CkptMsg::PieceAbort { req: token.0 })
                .into_iter()
                .collect();
        }
        if let Some(Pending {
            conn,
            kind: Kind::Close(id, h, tracked),
        }) = self.pending.remove(&token.0)
        {
            // The checkpoint stays open: give its id back.
            self.opens.insert(id, h);
            self.conns.entry(conn).or_default().insert(id);
            if tracked {
                self.tracking.entry(conn).or_default().ids.insert(id);
                self.tracking_changed();
            }
        }
        Vec::new()
    }
}

/// The requests that are local to this node: tracking.
fn is_track(msg: u16) -> bool {
    matches!(
        msg,
        p::TRACK | p::TRACK_STOP | p::CHECKPOINT_TRACK | p::CHECKPOINT_TRACK_STOP
    )
}

/// A reply of status `st` in the shape of `msg`'s response: a WRITE's
/// carries its erroneous index and a READ's its (empty) elements, even on
/// error (as libSaCkpt decodes them).
fn error_reply(msg: u16, st: u32) -> Reply {
    Reply {
        status: st,
        payload: match msg {
            p::WRITE => encoded(&p::ErrorIndex(0)),
            p::READ => encoded(&p::ReadReply::default()),
            _ => Vec::new(),
        },
    }
}

/// The checks of an open that need no state (B.02.03 §3.6.1): a name, known
/// open flags, creation attributes exactly when creating, and consistent ones.
fn check_open(o: &p::Open) -> Result<(), u32> {
    if o.name.is_empty() {
        return Err(status::INVALID_PARAM);
    }
    if o.open_flags & !(p::OPEN_READ | p::OPEN_WRITE | p::OPEN_CREATE) != 0 {
        return Err(status::BAD_FLAGS);
    }
    let create = o.open_flags & p::OPEN_CREATE != 0;
    match (&o.attrs, create) {
        (Some(a), true) => check_attributes(a),
        (None, false) => Ok(()),
        _ => Err(status::INVALID_PARAM),
    }
}

#[cfg(test)]
#[path = "service/pieces_tests.rs"]
mod pieces_tests;
#[cfg(test)]
mod tests;
