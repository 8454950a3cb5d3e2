//! The services as the daemon's ordering task runs them: cluster events and
//! IPC events in, replies, callbacks and cluster messages out.
//!
//! Every cluster message a service multicasts starts with its service id
//! (u16, big-endian), so each delivery reaches the service that sent it.

use super::clm::node::NodeInfo;
use super::clm::service::ClmService;
use super::cpg::service::CpgService;
use super::{Effect, Reply};
use crate::daemon::{ClusterEvent, HostCtx, ServiceHost};
use crate::ipc::{self, AisVersion, Client, ConnId, ServiceId};
use ais_totem::{ConfKind, Guarantee};
use bytes::{BufMut, Bytes, BytesMut};
use std::collections::HashMap;

/// The CLM version this executive implements (B.04.01 includes B.01.01).
pub const CLM_VERSION: AisVersion = AisVersion::new(b'B', 4, 1);

pub struct Host {
    clm: ClmService<ConnId>,
    cpg: CpgService<ConnId>,
    clients: HashMap<ConnId, Client>,
}

impl Host {
    /// `me` is this node's CLM record.
    pub fn new(me: NodeInfo) -> Host {
        let node = me.node_id;
        Host {
            clm: ClmService::new(me),
            cpg: CpgService::new(node),
            clients: HashMap::new(),
        }
    }

    /// The services and versions the IPC server offers (CFG has no AIS
    /// version: it is this executive's own).
    pub fn services() -> Vec<(ServiceId, AisVersion)> {
        let own = AisVersion::new(0, 0, 0);
        vec![
            (ServiceId::CLM, CLM_VERSION),
            (ServiceId::CPG, own),
            (ServiceId::CFG, own),
        ]
    }

    /// Carries out a service's effects; false if a multicast could not be
    /// queued (the request that caused it answers TRY_AGAIN).
    fn apply(&mut self, ctx: &mut HostCtx<'_>, service: ServiceId, effects: Vec<Effect<ConnId>>) -> bool {
        let mut all_sent = true;
        for e in effects {
            match e {
                Effect::Multicast(data) => {
                    let mut b = BytesMut::with_capacity(2 + data.len());
                    b.put_u16(service.0);
                    b.put_slice(&data);
                    if let Err(e) = ctx.submit(b.freeze(), Guarantee::Agreed) {
                        log::warn!(target: "SERV", "{service}: can't multicast: {e}");
                        all_sent = false;
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
}

impl ServiceHost for Host {
    type Request = ipc::Event;

    fn on_event(&mut self, ctx: &mut HostCtx<'_>, event: &ClusterEvent) {
        match event {
            ClusterEvent::ConfChange(c) if c.kind == ConfKind::Regular => {
                let fx = self.clm.configuration(c.ring_id.seq, &c.members);
                self.apply(ctx, ServiceId::CLM, fx);
                let fx = self.cpg.configuration(&c.members);
                self.apply(ctx, ServiceId::CPG, fx);
            }
            ClusterEvent::ConfChange(_) => {}
            ClusterEvent::Deliver(d) => {
                if d.data.len() < 2 {
                    return;
                }
                let service = ServiceId(u16::from_be_bytes([d.data[0], d.data[1]]));
                let fx = match service {
                    ServiceId::CLM => self.clm.delivered(d.sender, &d.data[2..]),
                    ServiceId::CPG => self.cpg.delivered(d.sender, &d.data[2..]),
                    _ => return,
                };
                self.apply(ctx, service, fx);
            }
        }
    }

    fn on_request(&mut self, ctx: &mut HostCtx<'_>, request: ipc::Event) {
        match request {
            ipc::Event::Connected(client) => {
                if client.service() == ServiceId::CPG {
                    self.cpg.connected(client.conn(), client.cred().pid.unwrap_or(0) as u32);
                }
                self.clients.insert(client.conn(), client);
            }
            ipc::Event::Request(r) if r.service == ServiceId::CPG => {
                let (mut reply, fx) = self.cpg.request(r.conn, r.msg, &r.payload);
                if !self.apply(ctx, ServiceId::CPG, fx) {
                    reply = Reply::status(ais_proto::status::TRY_AGAIN);
                }
                r.responder.respond(reply.status, reply.payload);
            }
            ipc::Event::Request(r) if r.service == ServiceId::CLM => {
                let (reply, fx) = self.clm.request(r.conn, r.msg, &r.payload);
                r.responder.respond(reply.status, reply.payload);
                self.apply(ctx, ServiceId::CLM, fx);
            }
            ipc::Event::Request(r) if r.service == ServiceId::CFG && r.msg == ais_proto::cfg::RING_STATUS => {
                r.responder.respond(ais_proto::status::OK, ring_status(ctx).encode());
            }
            ipc::Event::Request(r) => {
                r.responder.respond(ais_proto::status::NOT_SUPPORTED, Bytes::new());
            }
            ipc::Event::Disconnected { conn, service } => {
                self.clients.remove(&conn);
                if service == ServiceId::CLM {
                    self.clm.disconnected(conn);
                } else if service == ServiceId::CPG {
                    let fx = self.cpg.disconnected(conn);
                    self.apply(ctx, service, fx);
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
