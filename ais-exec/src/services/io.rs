//! What the router ([`super::router`]) needs of the world around it, as
//! three small traits: a library handle ([`Handle`]), the way back for one
//! request ([`Respond`]) and the ordering task's context ([`Host`]).
//!
//! The daemon's types implement them (the IPC server's [`Client`] and
//! [`Responder`], the driver's [`HostCtx`]); a simulator implements them
//! with fakes, so the same router and services run without tokio or
//! sockets. Each method is the one the router called on the real type
//! before, with the same meaning.

use super::contract::HostView;
use crate::daemon::{HostCtx, SubmitError};
use crate::ipc::{self, AisVersion, CallbackError, Client, ConnId, Responder, ServiceId};
use ais_totem::Guarantee;
use bytes::Bytes;

/// The ordering task's handle on one library connection.
pub trait Handle {
    fn conn(&self) -> ConnId;
    fn service(&self) -> ServiceId;
    /// The process behind it (0 when the kernel did not say).
    fn pid(&self) -> u32;
    /// Its user id, when the kernel said (administrative requests need root).
    fn uid(&self) -> Option<u32>;
    /// The AIS version the handle was opened with.
    fn version(&self) -> AisVersion;
    /// Queues a callback frame ([`Client::callback`]).
    fn callback(&self, msg: u16, status: u32, payload: Bytes) -> Result<(), CallbackError>;
    /// Credits `total` payload bytes of `NO_REPLY` requests ([`Client::credit`]).
    fn credit(&self, total: u64);
    /// Closes the connection; its `Disconnected` follows.
    fn disconnect(&self);
    /// Callback bytes queued and not yet read.
    fn callback_backlog(&self) -> usize;
}

/// The way back to the client for one request.
pub trait Respond {
    fn conn(&self) -> ConnId;
    /// Whether the client waits for a response.
    fn expects_reply(&self) -> bool;
    fn respond(self, status: u32, payload: Bytes);
}

/// What the router sees of the ordering task while it runs.
pub trait Host: HostView {
    /// Submits a cluster message; `TryAgain` when the core's queue is full.
    fn submit(&mut self, data: Bytes, guarantee: Guarantee) -> Result<(), SubmitError>;
    /// The core's clock (monotonic nanoseconds).
    fn now(&self) -> u64;
    /// The core's send queue: bytes and messages not yet sent.
    fn queue_sizes(&self) -> (usize, usize);
}

/// What local connections send to the router ([`ipc::Event`] over any
/// handle and responder).
#[derive(Debug)]
pub enum Event<H, R> {
    Connected(H),
    Request(Request<R>),
    Disconnected { conn: ConnId, service: ServiceId },
}

/// One request frame ([`ipc::Request`] over any responder).
#[derive(Debug)]
pub struct Request<R> {
    pub conn: ConnId,
    pub service: ServiceId,
    pub msg: u16,
    pub payload: Bytes,
    pub responder: R,
}

impl From<ipc::Event> for Event<Client, Responder> {
    fn from(e: ipc::Event) -> Self {
        match e {
            ipc::Event::Connected(c) => Event::Connected(c),
            ipc::Event::Request(r) => Event::Request(Request {
                conn: r.conn,
                service: r.service,
                msg: r.msg,
                payload: r.payload,
                responder: r.responder,
            }),
            ipc::Event::Disconnected { conn, service } => Event::Disconnected { conn, service },
        }
    }
}

impl Handle for Client {
    fn conn(&self) -> ConnId {
        Client::conn(self)
    }
    fn service(&self) -> ServiceId {
        Client::service(self)
    }
    fn pid(&self) -> u32 {
        self.cred().pid.unwrap_or(0) as u32
    }
    fn uid(&self) -> Option<u32> {
        Some(self.cred().uid)
    }
    fn version(&self) -> AisVersion {
        Client::version(self)
    }
    fn callback(&self, msg: u16, status: u32, payload: Bytes) -> Result<(), CallbackError> {
        Client::callback(self, msg, status, payload)
    }
    fn credit(&self, total: u64) {
        Client::credit(self, total)
    }
    fn disconnect(&self) {
        Client::disconnect(self)
    }
    fn callback_backlog(&self) -> usize {
        Client::callback_backlog(self)
    }
}

impl Respond for Responder {
    fn conn(&self) -> ConnId {
        Responder::conn(self)
    }
    fn expects_reply(&self) -> bool {
        Responder::expects_reply(self)
    }
    fn respond(self, status: u32, payload: Bytes) {
        Responder::respond(self, status, payload)
    }
}

impl Host for HostCtx<'_> {
    fn submit(&mut self, data: Bytes, guarantee: Guarantee) -> Result<(), SubmitError> {
        HostCtx::submit(self, data, guarantee)
    }
    fn now(&self) -> u64 {
        HostCtx::now(self)
    }
    fn queue_sizes(&self) -> (usize, usize) {
        let t = self.totem();
        (t.queued_bytes(), t.queued())
    }
}

/// What the CFG service reports of the ring (`ais-cfgtool -s`), read from
/// the driver's context.
impl HostView for HostCtx<'_> {
    fn ring_status(&self) -> ais_proto::cfg::RingStatus {
        let t = self.totem();
        let (ring, members) = t.ring();
        let st = t.stats();
        let counters = [
            ("frames_sent", st.frames_sent),
            ("frames_received", st.frames_received),
            ("frames_retransmitted", st.frames_retransmitted),
            ("tokens_received", st.tokens_received),
            ("tokens_retransmitted", st.tokens_retransmitted),
            ("datagrams_rejected", st.datagrams_rejected),
            ("dropped_bad_digest", self.security_dropped().bad),
            ("dropped_replayed", self.security_dropped().replayed),
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
}
