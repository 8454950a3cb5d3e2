//! The services as the daemon's ordering task runs them: cluster events and
//! IPC events in, replies, callbacks and cluster messages out.
//!
//! Every cluster message a service multicasts starts with its service id
//! (u16, big-endian), so each delivery reaches the service that sent it.

use super::ckpt::service::{CkptService, Handling};
use super::ckpt::wire::RingId;
use super::clm::node::NodeInfo;
use super::clm::service::ClmService;
use super::cpg::service::CpgService;
use super::evs::service::EvsService;
use super::{Effect, Reply};
use crate::daemon::{ClusterEvent, HostCtx, ServiceHost};
use crate::ipc::{self, AisVersion, Client, ConnId, ServiceId};
use ais_totem::{ConfKind, Guarantee};
use bytes::{BufMut, Bytes, BytesMut};
use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

/// The CLM version this executive implements (B.04.01 includes B.01.01).
pub const CLM_VERSION: AisVersion = AisVersion::new(b'B', 4, 1);
/// The CKPT version this executive implements (B.02.03 includes B.01.01).
pub const CKPT_VERSION: AisVersion = AisVersion::new(b'B', 2, 3);

/// Flow control. Requests are taken only while the core's send queue is under
/// these bounds (meanwhile they wait in the IPC sockets). Requests sent without a
/// reply (multicasts) are paced by credits ([`ais_proto::credit`]): a connection is
/// credited for what it sent unless it, or a local member of the group it sends to,
/// has more than [`CALLBACK_HIGH_WATER`] of callbacks unread; its library then
/// answers `TRY_AGAIN`. So nothing is queued without a bound and nothing is dropped.
const QUEUE_HIGH_BYTES: usize = 4 << 20;
const QUEUE_HIGH_MESSAGES: usize = 16 << 10;
/// Callback bytes a group member may have waiting before senders are held. What
/// was credited before still arrives (up to the 8 MiB window of each local
/// sender, plus the core's queue and remote senders' messages), inside the IPC
/// server's per-connection callback limit (256 MiB), which is only the last
/// resort against a reader that stopped.
const CALLBACK_HIGH_WATER: usize = 4 << 20;
/// A member whose callbacks stay backed up this long is disconnected: one process
/// that stops reading must not hold up every sender for good.
const STALL_LIMIT: Duration = Duration::from_secs(10);

/// Credits of one connection: payload bytes of `NO_REPLY` requests taken, and
/// the total last credited.
#[derive(Default)]
struct Credit {
    taken: u64,
    credited: u64,
}

pub struct Host {
    clm: ClmService<ConnId>,
    cpg: CpgService<ConnId>,
    evs: EvsService<ConnId>,
    ckpt: CkptService<ConnId, ipc::Responder>,
    clients: HashMap<ConnId, Client>,
    /// Multicasts that cannot be refused (of requests that expect no reply,
    /// of disconnections and configuration changes) waiting, in order, for
    /// room in the core's queue; no request is taken until they are queued.
    parked: VecDeque<Bytes>,
    /// Since when each backed-up group member has been over the high water.
    stalled: HashMap<ConnId, Instant>,
    credits: HashMap<ConnId, Credit>,
    /// Some connection is owed a credit that is held back.
    withheld: bool,
}

impl Host {
    /// `me` is this node's CLM record.
    pub fn new(me: NodeInfo) -> Host {
        let node = me.node_id;
        Host {
            clm: ClmService::new(me),
            cpg: CpgService::new(node),
            evs: EvsService::new(node),
            ckpt: CkptService::new(node),
            clients: HashMap::new(),
            parked: VecDeque::new(),
            stalled: HashMap::new(),
            credits: HashMap::new(),
            withheld: false,
        }
    }

    /// The CPG groups with a local member whose callbacks are backed up, and the
    /// backed-up members themselves (of CPG groups, or of any EVS group);
    /// disconnects one that has been for [`STALL_LIMIT`].
    fn backed_up(&mut self) -> (Vec<Vec<u8>>, Vec<ConnId>) {
        let now = Instant::now();
        let (mut groups, mut conns) = (Vec::new(), Vec::new());
        let members = self.cpg.members_conns().map(|(c, g)| (c, Some(g)));
        let evs_members = self.evs.members_conns().map(|c| (c, None));
        for (conn, group) in members.chain(evs_members) {
            let Some(client) = self.clients.get(&conn) else {
                continue;
            };
            if client.callback_backlog() <= CALLBACK_HIGH_WATER {
                continue;
            }
            let since = *self.stalled.entry(conn).or_insert(now);
            if now.duration_since(since) >= STALL_LIMIT {
                log::warn!(target: "SERV", "{conn} has not read its callbacks for {STALL_LIMIT:?}; disconnecting it");
                client.disconnect();
            }
            groups.extend(group.map(|g| g.to_vec()));
            conns.push(conn);
        }
        self.stalled.retain(|c, _| conns.contains(c));
        (groups, conns)
    }

    /// Sends the credits that are due and not held back.
    fn grant_credits(&mut self) {
        let due = |c: &Credit| c.taken - c.credited >= ais_proto::credit::BATCH;
        if !self.withheld && !self.credits.values().any(due) {
            return;
        }
        let (groups, slow) = self.backed_up();
        self.withheld = false;
        for (conn, c) in self.credits.iter_mut() {
            if c.taken == c.credited {
                continue;
            }
            // An EVS message names its groups itself: any backed-up EVS
            // member holds every EVS sender back.
            let held = slow.contains(conn)
                || self
                    .cpg
                    .group_of(*conn)
                    .is_some_and(|g| groups.iter().any(|x| x.as_slice() == g))
                || (self.evs.has(*conn) && slow.iter().any(|s| self.evs.has(*s)));
            if held {
                self.withheld = true;
                continue;
            }
            if due(c) {
                if let Some(client) = self.clients.get(conn) {
                    client.credit(c.taken);
                }
                c.credited = c.taken;
            }
        }
    }

    /// Queues a service message behind any parked ones; gives it back when
    /// it cannot be queued now.
    fn multicast(&mut self, ctx: &mut HostCtx<'_>, service: ServiceId, data: &[u8]) -> Result<(), Bytes> {
        let mut b = BytesMut::with_capacity(2 + data.len());
        b.put_u16(service.0);
        b.put_slice(data);
        let b = b.freeze();
        if !self.parked.is_empty() {
            return Err(b);
        }
        Self::submit(ctx, b)
    }

    fn submit(ctx: &mut HostCtx<'_>, b: Bytes) -> Result<(), Bytes> {
        match ctx.submit(b.clone(), Guarantee::Agreed) {
            Ok(()) => Ok(()),
            Err(crate::daemon::SubmitError::TryAgain) => Err(b),
            Err(e) => {
                log::warn!(target: "SERV", "can't multicast {} bytes: {e}", b.len());
                Ok(())
            }
        }
    }

    /// The services and versions the IPC server offers (CFG has no AIS
    /// version: it is this executive's own).
    pub fn services() -> Vec<(ServiceId, AisVersion)> {
        let own = AisVersion::new(0, 0, 0);
        vec![
            (ServiceId::CLM, CLM_VERSION),
            (ServiceId::CKPT, CKPT_VERSION),
            (ServiceId::CPG, own),
            (ServiceId::EVS, own),
            (ServiceId::CFG, own),
        ]
    }

    /// Carries out a service's effects; false if a multicast could not be
    /// queued (the request that caused it answers TRY_AGAIN). `must_send`:
    /// nothing can be refused (a request that expects no answer, a
    /// disconnection, a configuration change), so a multicast that does not
    /// fit is parked instead.
    fn apply(
        &mut self,
        ctx: &mut HostCtx<'_>,
        service: ServiceId,
        effects: Vec<Effect<ConnId>>,
        must_send: bool,
    ) -> bool {
        let mut all_sent = true;
        for e in effects {
            match e {
                Effect::Multicast(data) => {
                    if let Err(b) = self.multicast(ctx, service, &data) {
                        if must_send {
                            // Nobody to answer TRY_AGAIN to: hold it, and
                            // take no request until it is queued.
                            self.parked.push_back(b);
                        } else {
                            log::warn!(target: "SERV", "{service}: send queue full; request refused");
                            all_sent = false;
                        }
                    }
                }
                Effect::Callback {
                    conn,
                    msg,
                    status,
                    payload,
                } => {
                    let Some(client) = self.clients.get(&conn) else {
                        continue;
                    };
                    if let Err(e) = client.callback(msg, status, Bytes::from(payload)) {
                        if e == ipc::CallbackError::Full {
                            // A client that does not read its callbacks is
                            // disconnected rather than allowed to hold memory.
                            log::warn!(target: "SERV", "{service}: {conn} does not read its callbacks; disconnecting it");
                            client.disconnect();
                        }
                    }
                }
            }
        }
        all_sent
    }

    /// Carries out what the checkpoint service produced: its effects, and the
    /// replies to requests whose changes were delivered.
    fn ckpt_out(&mut self, ctx: &mut HostCtx<'_>, out: super::ckpt::service::Output<ConnId, ipc::Responder>) {
        self.apply(ctx, ServiceId::CKPT, out.effects, true);
        for (r, reply) in out.replies {
            r.respond(reply.status, reply.payload);
        }
    }

    /// A checkpoint request: answered now, or multicast and answered once delivered.
    fn ckpt_request(&mut self, ctx: &mut HostCtx<'_>, r: ipc::Request) {
        match self.ckpt.request(r.conn, r.msg, &r.payload) {
            Handling::Reply(reply, fx) => {
                r.responder.respond(reply.status, reply.payload);
                self.apply(ctx, ServiceId::CKPT, fx, false);
            }
            Handling::Multicast { data, req, accepted } => {
                if self.multicast(ctx, ServiceId::CKPT, &data).is_err() {
                    self.ckpt.refused(req);
                    let busy = super::ckpt::service::busy(r.msg);
                    r.responder.respond(busy.status, busy.payload);
                } else if let Some(a) = accepted {
                    self.ckpt.submitted(req, None);
                    r.responder.respond(a.status, a.payload);
                } else {
                    self.ckpt.submitted(req, Some(r.responder));
                }
            }
        }
    }
}

impl ServiceHost for Host {
    type Request = ipc::Event;

    fn on_event(&mut self, ctx: &mut HostCtx<'_>, event: &ClusterEvent) {
        match event {
            ClusterEvent::ConfChange(c) if c.kind == ConfKind::Regular => {
                let fx = self.clm.configuration(c.ring_id.seq, &c.members);
                self.apply(ctx, ServiceId::CLM, fx, true);
                let fx = self.cpg.configuration(c.ring_id.rep, c.ring_id.seq, &c.members);
                self.apply(ctx, ServiceId::CPG, fx, true);
                let fx = self.evs.configuration(c.ring_id.rep, c.ring_id.seq, &c.members);
                self.apply(ctx, ServiceId::EVS, fx, true);
                let ring = RingId {
                    rep: c.ring_id.rep,
                    seq: c.ring_id.seq,
                };
                let out = self.ckpt.configuration(ring, &c.members, ctx.now());
                self.ckpt_out(ctx, out);
            }
            ClusterEvent::ConfChange(_) => {}
            ClusterEvent::Deliver(d) => {
                if d.data.len() < 2 {
                    return;
                }
                let service = ServiceId(u16::from_be_bytes([d.data[0], d.data[1]]));
                if service == ServiceId::CKPT {
                    let out = self.ckpt.delivered(d.sender, &d.data[2..], ctx.now());
                    self.ckpt_out(ctx, out);
                    return;
                }
                let fx = match service {
                    ServiceId::CLM => self.clm.delivered(d.sender, &d.data[2..]),
                    ServiceId::CPG => self.cpg.delivered(d.sender, &d.data[2..]),
                    ServiceId::EVS => self.evs.delivered(d.sender, &d.data[2..]),
                    _ => return,
                };
                self.apply(ctx, service, fx, true);
            }
        }
    }

    fn ready(&mut self, ctx: &mut HostCtx<'_>) -> bool {
        // Checkpoint timers first: what they ask for queues behind any parked
        // multicasts, and asked once their deadline no longer wakes the driver.
        let fx = self.ckpt.tick(ctx.now());
        self.apply(ctx, ServiceId::CKPT, fx, true);
        while let Some(b) = self.parked.pop_front() {
            if let Err(b) = Self::submit(ctx, b) {
                self.parked.push_front(b);
                return false;
            }
        }
        self.grant_credits();
        let t = ctx.totem();
        t.queued_bytes() < QUEUE_HIGH_BYTES && t.queued() < QUEUE_HIGH_MESSAGES
    }

    fn recheck_soon(&self) -> bool {
        self.withheld
    }

    fn wake_at(&self, now: u64) -> Option<u64> {
        self.ckpt.next_deadline(now)
    }

    fn on_request(&mut self, ctx: &mut HostCtx<'_>, request: ipc::Event) {
        if let ipc::Event::Request(r) = &request {
            if !r.responder.expects_reply() {
                // Credited back once taken ([`Host::grant_credits`]).
                self.credits.entry(r.conn).or_default().taken += r.payload.len() as u64;
            }
        }
        match request {
            ipc::Event::Connected(client) => {
                if client.service() == ServiceId::CPG {
                    self.cpg.connected(client.conn(), client.cred().pid.unwrap_or(0) as u32);
                }
                let (conn, service) = (client.conn(), client.service());
                self.clients.insert(conn, client);
                if service == ServiceId::CKPT {
                    self.ckpt.connected(conn);
                }
                if service == ServiceId::EVS {
                    // A new EVS handle hears the current configuration at once.
                    let fx = self.evs.connected(conn);
                    self.apply(ctx, service, fx, true);
                }
            }
            ipc::Event::Request(r) if r.service == ServiceId::EVS => {
                let (mut reply, fx) = self.evs.request(r.conn, r.msg, &r.payload);
                let no_reply = !r.responder.expects_reply();
                if !self.apply(ctx, ServiceId::EVS, fx, no_reply) {
                    reply = Reply::status(ais_proto::status::TRY_AGAIN);
                }
                r.responder.respond(reply.status, reply.payload);
            }
            ipc::Event::Request(r) if r.service == ServiceId::CPG => {
                let (mut reply, fx) = self.cpg.request(r.conn, r.msg, &r.payload);
                let no_reply = !r.responder.expects_reply();
                if !self.apply(ctx, ServiceId::CPG, fx, no_reply) {
                    reply = Reply::status(ais_proto::status::TRY_AGAIN);
                }
                r.responder.respond(reply.status, reply.payload);
            }
            ipc::Event::Request(r) if r.service == ServiceId::CKPT => self.ckpt_request(ctx, r),
            ipc::Event::Request(r) if r.service == ServiceId::CLM => {
                let (reply, fx) = self.clm.request(r.conn, r.msg, &r.payload);
                r.responder.respond(reply.status, reply.payload);
                self.apply(ctx, ServiceId::CLM, fx, false);
            }
            ipc::Event::Request(r) if r.service == ServiceId::CFG && r.msg == ais_proto::cfg::RING_STATUS => {
                r.responder.respond(ais_proto::status::OK, ring_status(ctx).encode());
            }
            ipc::Event::Request(r) => {
                r.responder.respond(ais_proto::status::NOT_SUPPORTED, Bytes::new());
            }
            ipc::Event::Disconnected { conn, service } => {
                self.clients.remove(&conn);
                self.credits.remove(&conn);
                if service == ServiceId::CLM {
                    self.clm.disconnected(conn);
                } else if service == ServiceId::EVS {
                    self.evs.disconnected(conn);
                } else if service == ServiceId::CPG {
                    let fx = self.cpg.disconnected(conn);
                    self.apply(ctx, service, fx, true);
                } else if service == ServiceId::CKPT {
                    let fx = self.ckpt.disconnected(conn);
                    self.apply(ctx, service, fx, true);
                }
            }
        }
    }
}

/// What `ais-cfgtool -s` shows: the ring as this node's protocol sees it.
fn ring_status(ctx: &HostCtx<'_>) -> ais_proto::cfg::RingStatus {
    let t = ctx.totem();
    let (ring, members) = t.ring();
    let st = t.stats();
    let counters = [
        ("frames_sent", st.frames_sent),
        ("frames_received", st.frames_received),
        ("frames_retransmitted", st.frames_retransmitted),
        ("tokens_received", st.tokens_received),
        ("tokens_retransmitted", st.tokens_retransmitted),
        ("datagrams_rejected", st.datagrams_rejected),
        ("dropped_bad_digest", ctx.security_dropped().bad),
        ("dropped_replayed", ctx.security_dropped().replayed),
        ("rings_formed", st.rings_formed),
        ("messages_delivered", st.messages_delivered),
    ];
    ais_proto::cfg::RingStatus {
        node_id: t.node_id(),
        state: t.state().name().to_string(),
        ring_rep: ring.rep,
        ring_seq: ring.seq,
        members: members.to_vec(),
        counters: counters.iter().map(|(n, v)| (n.to_string(), *v)).collect(),
    }
}
