//! The services as the daemon's ordering task runs them: one generic router
//! over the [`registry`](super::registry). Cluster events and IPC events
//! in; replies, callbacks and cluster messages out. It knows no service by
//! name: everything service-specific goes through [`Service`].
//!
//! Every cluster message starts with its service id (u16, big-endian), so
//! each delivery reaches the service that sent it; the sync engine's own
//! messages have [`SYNC_ID`]. The engine ([`super::sync`]) is told of every
//! regular configuration, holds replicated services' deliveries during a
//! round, and decides which requests answer busy meanwhile.

use super::contract::{self, Effect, Handling, HostView, MergeLoss, Output, Peer, Reply, RingId, Service, Token};
use super::flow::{self, Flow, Receiver};
use super::io::{Event, Handle, Host, Request, Respond};
use super::quorum::{Change, Quorum, QuorumConfig};
use super::sync::{Action, SyncEngine, SYNC_ID};
use crate::daemon::{ClusterEvent, HostCtx, ServiceHost};
use crate::ipc::{self, AisVersion, Client, ConnId, Responder, ServiceId};
use ais_totem::{ConfKind, Guarantee};
use bytes::{BufMut, Bytes, BytesMut};
use std::collections::HashMap;
use std::time::Instant;

/// One registered service, by its place in the registry.
type Slot = usize;

/// The router over the daemon's connections ([`Client`], [`Responder`])
/// by default; a simulator gives it fakes of its own ([`super::io`]).
pub struct Router<H = Client, R = Responder> {
    services: Vec<Box<dyn Service>>,
    /// Each open handle, and the service it belongs to.
    clients: HashMap<ConnId, (Slot, H)>,
    /// Responders of ordered requests, until their service answers.
    pending: HashMap<(Slot, Token), R>,
    flow: Flow<ConnId>,
    sync: SyncEngine,
    /// `quorum { }`: while not quorate, ordered requests (changes of
    /// replicated state) are refused. `None`: every partition goes on.
    quorum: Option<Quorum>,
}

/// What a service's request sees of the host: the host, and the quorum the
/// router keeps.
struct View<'a> {
    host: &'a dyn HostView,
    quorum: Option<&'a Quorum>,
}

impl HostView for View<'_> {
    fn ring_status(&self) -> ais_proto::cfg::RingStatus {
        self.host.ring_status()
    }

    fn quorum_status(&self) -> ais_proto::cfg::QuorumStatus {
        let ring = self.host.ring_status();
        let mut out = ais_proto::cfg::QuorumStatus {
            node_id: ring.node_id,
            ring_rep: ring.ring_rep,
            ring_seq: ring.ring_seq,
            ..Default::default()
        };
        if let Some(q) = self.quorum {
            let st = q.status();
            out.configured = true;
            out.quorate = st.quorate;
            out.total_votes = st.total_votes;
            out.expected_votes = st.expected_votes;
            out.quorum = st.quorum;
            out.two_node = st.two_node;
            out.waiting_for_all = st.waiting_for_all;
            out.members = st.members;
        }
        out
    }
}

impl<H: Handle, R: Respond> Router<H, R> {
    pub fn new(services: Vec<Box<dyn Service>>) -> Router<H, R> {
        Router {
            services,
            clients: HashMap::new(),
            pending: HashMap::new(),
            flow: Flow::default(),
            sync: SyncEngine::new(),
            quorum: None,
        }
    }

    /// Computes quorum from `config` (openais.conf's `quorum { }`); not
    /// quorate until the first membership says otherwise.
    pub fn with_quorum(mut self, config: Option<QuorumConfig>) -> Router<H, R> {
        self.quorum = config.map(Quorum::new);
        self
    }

    /// Whether changes of replicated state are taken: quorate, or no
    /// quorum configured.
    pub fn quorate(&self) -> bool {
        self.quorum.as_ref().is_none_or(Quorum::is_quorate)
    }

    /// A regular configuration of `members`: the new quorum, logged when
    /// it changes, and told to the sync engine for the rounds to come.
    fn quorum_configuration(&mut self, members: &[ais_totem::NodeId]) {
        let Some(q) = &mut self.quorum else { return };
        let change = q.configuration(members);
        let st = q.status();
        match change {
            Some(Change::Gained) => {
                log::warn!(target: "QUORUM", "quorum gained: {} of {} expected votes (quorum {})", st.total_votes, st.expected_votes, st.quorum)
            }
            Some(Change::Lost) => {
                log::warn!(target: "QUORUM", "quorum lost: {} of {} expected votes (quorum {}); changes of replicated state refused", st.total_votes, st.expected_votes, st.quorum)
            }
            None => {
                log::info!(target: "QUORUM", "{}quorate: {} of {} expected votes{}", if st.quorate { "" } else { "not " }, st.total_votes, st.expected_votes, if st.waiting_for_all { " (waiting for all)" } else { "" })
            }
        }
        self.sync.set_quorate(Some(st.quorate));
    }

    /// The answer to an ordered request while not quorate: UNAVAILABLE
    /// where the handle's version defines it, TRY_AGAIN otherwise, in the
    /// shape of the request's response.
    fn refusal(&self, slot: Slot, conn: ConnId, msg: u16) -> Reply {
        let version = self.clients.get(&conn).map(|(_, h)| h.version());
        let status = match version {
            Some(v) if contract::defines_unavailable(v) => ais_proto::status::UNAVAILABLE,
            _ => ais_proto::status::TRY_AGAIN,
        };
        self.services[slot].refuse(msg, status)
    }

    /// The services and versions the IPC server offers.
    pub fn versions(&self) -> Vec<(ServiceId, AisVersion)> {
        self.services.iter().map(|s| (s.id(), s.version())).collect()
    }

    /// Each service's [`Service::digest`] of its replicated state.
    pub fn digests(&self) -> Vec<(ServiceId, Option<u64>)> {
        // Replicated state is settled only between sync rounds.
        let synced = self.sync.is_synced();
        self.services
            .iter()
            .map(|s| (s.id(), s.digest().filter(|_| synced)))
            .collect()
    }

    /// Each service's [`Service::merge_losses`] since the last call.
    pub fn merge_losses(&mut self) -> Vec<(ServiceId, MergeLoss)> {
        let mut out = Vec::new();
        for s in &mut self.services {
            let id = s.id();
            out.extend(s.merge_losses().into_iter().map(|l| (id, l)));
        }
        out
    }

    fn slot(&self, id: ServiceId) -> Option<Slot> {
        self.services.iter().position(|s| s.id() == id)
    }

    /// Queues a cluster message behind any parked ones; gives it back when
    /// it cannot be queued now.
    fn multicast(&mut self, ctx: &mut impl Host, id: ServiceId, data: &[u8]) -> Result<(), Bytes> {
        let mut b = BytesMut::with_capacity(2 + data.len());
        b.put_u16(id.0);
        b.put_slice(data);
        let b = b.freeze();
        if self.flow.has_parked() {
            return Err(b);
        }
        submit(ctx, b)
    }

    /// Carries out a service's effects; false if a multicast could not be
    /// queued (the request that caused it answers busy). `must_send`:
    /// nothing can be refused (a request that expects no answer, a
    /// disconnection, a configuration change, a timer), so a multicast
    /// that does not fit is parked instead.
    fn apply(&mut self, ctx: &mut impl Host, slot: Slot, effects: Output, must_send: bool) -> bool {
        let mut all_sent = true;
        for e in effects {
            match e {
                Effect::Multicast(data) => {
                    if let Err(b) = self.multicast(ctx, self.services[slot].id(), &data) {
                        if must_send {
                            // Nobody to answer TRY_AGAIN to: hold it, and
                            // take no request until it is queued.
                            self.flow.park(b);
                        } else {
                            log::warn!(target: "SERV", "{}: send queue full; request refused", self.services[slot].id());
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
                    let Some((_, client)) = self.clients.get(&conn) else {
                        continue;
                    };
                    if let Err(e) = client.callback(msg, status, Bytes::from(payload)) {
                        if e == ipc::CallbackError::Full {
                            // A client that does not read its callbacks is
                            // disconnected rather than allowed to hold memory.
                            log::warn!(target: "SERV", "{}: {conn} does not read its callbacks; disconnecting it", self.services[slot].id());
                            client.disconnect();
                        }
                    }
                }
                Effect::Answer { token, reply } => {
                    if let Some(r) = self.pending.remove(&(slot, token)) {
                        r.respond(reply.status, reply.payload.into());
                    }
                }
            }
        }
        all_sent
    }

    fn request(&mut self, ctx: &mut impl Host, r: Request<R>) {
        let Some(slot) = self.slot(r.service) else {
            r.responder.respond(ais_proto::status::NOT_SUPPORTED, Bytes::new());
            return;
        };
        let no_reply = !r.responder.expects_reply();
        if self.sync.refuses(&self.services[..], slot, r.conn, r.msg, &r.payload) {
            let busy = self.services[slot].busy(r.msg);
            r.responder.respond(busy.status, busy.payload.into());
            return;
        }
        let view = View {
            host: &*ctx,
            quorum: self.quorum.as_ref(),
        };
        let handling = self.services[slot].request(r.conn, r.msg, &r.payload, &view);
        match handling {
            Handling::Now(reply, fx) => {
                let reply = if self.apply(ctx, slot, fx, no_reply) {
                    reply
                } else {
                    self.services[slot].busy(r.msg)
                };
                r.responder.respond(reply.status, reply.payload.into());
            }
            Handling::Ordered { token, .. } if !self.quorate() => {
                let reply = self.refusal(slot, r.conn, r.msg);
                r.responder.respond(reply.status, reply.payload.into());
                let fx = self.services[slot].refused(token);
                self.apply(ctx, slot, fx, true);
            }
            Handling::Ordered {
                message,
                token,
                accepted,
            } => match self.multicast(ctx, r.service, &message) {
                Err(_) => {
                    log::warn!(target: "SERV", "{}: send queue full; request refused", r.service);
                    let busy = self.services[slot].busy(r.msg);
                    r.responder.respond(busy.status, busy.payload.into());
                    let fx = self.services[slot].refused(token);
                    self.apply(ctx, slot, fx, true);
                }
                Ok(()) => self.accepted(slot, token, accepted, r.responder),
            },
        }
    }

    /// An ordered request's message is queued: answer it now if the service
    /// said so, or keep its responder until the service answers.
    fn accepted(&mut self, slot: Slot, token: Token, accepted: Option<Reply>, responder: R) {
        match accepted {
            Some(a) => responder.respond(a.status, a.payload.into()),
            None => {
                self.pending.insert((slot, token), responder);
            }
        }
    }

    /// Carries out what the sync engine asked for; its messages are never
    /// refused (parked when the queue is full).
    fn sync_actions(&mut self, ctx: &mut impl Host, actions: Vec<Action<ConnId>>) {
        for a in actions {
            match a {
                Action::Send(data) => {
                    if let Err(b) = self.multicast(ctx, SYNC_ID, &data) {
                        self.flow.park(b);
                    }
                }
                Action::Effects(slot, fx) => {
                    self.apply(ctx, slot, fx, true);
                }
            }
        }
    }

    /// Sends the credits that are due and not held back.
    fn grant_credits(&mut self) {
        let (clients, services) = (&self.clients, &self.services);
        let receivers = || {
            let mut list = Vec::new();
            for (slot, s) in services.iter().enumerate() {
                for (conn, group) in s.flow_receivers() {
                    if let Some((_, client)) = clients.get(&conn) {
                        list.push(Receiver {
                            conn,
                            group: (slot, group),
                            backlog: client.callback_backlog(),
                        });
                    }
                }
            }
            list
        };
        let sends_to = |conn: ConnId| {
            let (slot, _) = clients.get(&conn)?;
            Some((*slot, services[*slot].flow_group(conn)?))
        };
        let grants = self.flow.grant(Instant::now(), receivers, sends_to);
        for conn in grants.disconnect {
            if let Some((_, client)) = self.clients.get(&conn) {
                client.disconnect();
            }
        }
        for (conn, total) in grants.credits {
            if let Some((_, client)) = self.clients.get(&conn) {
                client.credit(total);
            }
        }
    }
}

fn submit(ctx: &mut impl Host, b: Bytes) -> Result<(), Bytes> {
    match ctx.submit(b.clone(), Guarantee::Agreed) {
        Ok(()) => Ok(()),
        Err(crate::daemon::SubmitError::TryAgain) => Err(b),
        Err(e) => {
            log::warn!(target: "SERV", "can't multicast {} bytes: {e}", b.len());
            Ok(())
        }
    }
}

/// The daemon's ordering task drives the router through these.
impl ServiceHost for Router {
    type Request = ipc::Event;

    fn on_event(&mut self, ctx: &mut HostCtx<'_>, event: &ClusterEvent) {
        Router::on_event(self, ctx, event)
    }

    fn ready(&mut self, ctx: &mut HostCtx<'_>) -> bool {
        Router::ready(self, ctx)
    }

    fn recheck_soon(&self) -> bool {
        Router::recheck_soon(self)
    }

    fn wake_at(&self, now: u64) -> Option<u64> {
        Router::wake_at(self, now)
    }

    fn on_request(&mut self, ctx: &mut HostCtx<'_>, request: ipc::Event) {
        Router::on_request(self, ctx, request.into())
    }
}

/// Cluster events, timers and connection events, as any host delivers them.
impl<H: Handle, R: Respond> Router<H, R> {
    pub fn on_event(&mut self, ctx: &mut impl Host, event: &ClusterEvent) {
        match event {
            ClusterEvent::ConfChange(c) if c.kind == ConfKind::Regular => {
                let ring = RingId {
                    rep: c.ring_id.rep,
                    seq: c.ring_id.seq,
                };
                for slot in 0..self.services.len() {
                    let fx = self.services[slot].configuration(ring, &c.members, ctx.now());
                    self.apply(ctx, slot, fx, true);
                }
                self.quorum_configuration(&c.members);
                let now = ctx.now();
                let actions = self
                    .sync
                    .configuration(&mut self.services[..], ring, &c.members, &c.joined, now);
                self.sync_actions(ctx, actions);
            }
            ClusterEvent::ConfChange(_) => {}
            ClusterEvent::Deliver(d) => {
                if d.data.len() < 2 {
                    return;
                }
                let id = ServiceId(u16::from_be_bytes([d.data[0], d.data[1]]));
                if id == SYNC_ID {
                    let now = ctx.now();
                    let actions = self.sync.delivered(&mut self.services[..], d.sender, &d.data[2..], now);
                    self.sync_actions(ctx, actions);
                    return;
                }
                let Some(slot) = self.slot(id) else { return };
                if self.sync.hold(&self.services[..], slot, d.sender, &d.data[2..]) {
                    return;
                }
                let fx = self.services[slot].delivered(d.sender, &d.data[2..], ctx.now());
                self.apply(ctx, slot, fx, true);
            }
        }
    }

    /// Whether requests are taken now (see [`ServiceHost::ready`]).
    pub fn ready(&mut self, ctx: &mut impl Host) -> bool {
        // Timers first: what they ask for queues behind any parked
        // multicasts, and asked once their deadline no longer wakes the driver.
        for slot in 0..self.services.len() {
            let fx = self.services[slot].tick(ctx.now());
            self.apply(ctx, slot, fx, true);
        }
        if !self.flow.unpark(|b| submit(ctx, b)) {
            return false;
        }
        self.grant_credits();
        let (bytes, messages) = ctx.queue_sizes();
        bytes < flow::QUEUE_HIGH_BYTES && messages < flow::QUEUE_HIGH_MESSAGES
    }

    pub fn recheck_soon(&self) -> bool {
        self.flow.withheld()
    }

    pub fn wake_at(&self, now: u64) -> Option<u64> {
        self.services.iter().filter_map(|s| s.next_deadline(now)).min()
    }

    pub fn on_request(&mut self, ctx: &mut impl Host, request: Event<H, R>) {
        match request {
            Event::Connected(client) => {
                let (conn, service) = (client.conn(), client.service());
                let Some(slot) = self.slot(service) else { return };
                let peer = Peer {
                    pid: client.pid(),
                    uid: client.uid(),
                };
                self.clients.insert(conn, (slot, client));
                let fx = self.services[slot].connected(conn, peer);
                self.apply(ctx, slot, fx, true);
            }
            Event::Request(r) => {
                if !r.responder.expects_reply() {
                    // Credited back once taken ([`Flow::grant`]).
                    self.flow.taken(r.conn, r.payload.len());
                }
                self.request(ctx, r);
            }
            Event::Disconnected { conn, service } => {
                self.clients.remove(&conn);
                self.flow.forget(conn);
                if let Some(slot) = self.slot(service) {
                    let fx = self.services[slot].disconnected(conn);
                    self.apply(ctx, slot, fx, true);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
