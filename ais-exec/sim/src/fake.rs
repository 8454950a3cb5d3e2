//! The router's surroundings in the simulator ([`ais_exec::services::io`]):
//! connections and responders that record what is sent to them, and a host
//! context over the node's Totem core. Everything lands in one
//! [`Recorder`] (one thread, one run: `Rc<RefCell<_>>`).

use crate::history::*;
use ais_exec::daemon::SubmitError;
use ais_exec::ipc::{AisVersion, CallbackError, ConnId, ServiceId};
use ais_exec::services::contract::HostView;
use ais_exec::services::io::{Handle, Host, Respond};
use ais_proto::cfg::RingStatus;
use ais_totem::{Guarantee, NodeId, Time, Totem};
use bytes::Bytes;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

/// The run's history as it is made, and what the workload reads back.
#[derive(Default)]
pub struct Recorder {
    pub h: History,
    clock: u64,
    /// The incarnation whose router is running.
    pub current: Inc,
    /// The request being handed to it, if any.
    pub current_req: Option<ReqId>,
    /// Answers not yet taken by the workload: request, status, payload.
    pub replies: Vec<(ReqId, u32, Bytes)>,
    /// Multicasts by sender and bytes, to the request that caused them.
    sent: HashMap<(NodeId, Vec<u8>), ReqId>,
    /// Own multicasts of each incarnation not yet delivered back.
    pub own_pending: Vec<u64>,
}

pub type Shared = Rc<RefCell<Recorder>>;

impl Recorder {
    /// The next point of the run's one clock.
    pub fn tick(&mut self) -> u64 {
        self.clock += 1;
        self.clock
    }

    pub fn new_incarnation(&mut self, node: NodeId) -> Inc {
        self.h.incarnations.push(node);
        self.own_pending.push(0);
        self.h.incarnations.len() - 1
    }

    /// A multicast of `inc` (node `node`) delivered on `to`.
    pub fn delivered(&mut self, to: Inc, me: NodeId, sender: NodeId, data: &[u8]) {
        if sender == me {
            self.own_pending[to] = self.own_pending[to].saturating_sub(1);
        }
        if let Some(&req) = self.sent.get(&(sender, data.to_vec())) {
            let at = self.tick();
            self.h.deliveries.push(Delivered { req, inc: to, at });
        }
    }
}

/// A library connection as the router holds it.
pub struct FakeHandle {
    pub conn: ConnId,
    pub service: ServiceId,
    pub rec: Shared,
}

impl Handle for FakeHandle {
    fn conn(&self) -> ConnId {
        self.conn
    }
    fn service(&self) -> ServiceId {
        self.service
    }
    fn pid(&self) -> u32 {
        // One process per connection: distinct CPG members.
        self.conn.0 as u32
    }
    fn uid(&self) -> Option<u32> {
        // The workload's clients are ordinary users.
        Some(1000)
    }
    fn version(&self) -> AisVersion {
        // B.01 handles: a refusal is TRY_AGAIN, which the checker knows.
        AisVersion::new(b'B', 1, 1)
    }
    fn callback(&self, msg: u16, _status: u32, _payload: Bytes) -> Result<(), CallbackError> {
        let mut r = self.rec.borrow_mut();
        let at = r.tick();
        let inc = r.current;
        r.h.callbacks.push(Callback {
            inc,
            conn: self.conn,
            msg,
            at,
        });
        Ok(())
    }
    fn credit(&self, _total: u64) {}
    /// Never asked: these clients read every callback at once (no backlog).
    fn disconnect(&self) {}
    fn callback_backlog(&self) -> usize {
        0
    }
}

/// The way back for one request.
pub struct FakeResponder {
    pub req: ReqId,
    pub conn: ConnId,
    pub rec: Shared,
}

impl Respond for FakeResponder {
    fn conn(&self) -> ConnId {
        self.conn
    }
    fn expects_reply(&self) -> bool {
        true
    }
    fn respond(self, status: u32, payload: Bytes) {
        let mut r = self.rec.borrow_mut();
        let at = r.tick();
        let by = r.current;
        r.h.answers.push(Answer {
            req: self.req,
            by,
            status,
            at,
        });
        r.replies.push((self.req, status, payload));
    }
}

/// The host context: the node's core, at simulated time `now`.
pub struct SimHost<'a> {
    pub totem: &'a mut Totem,
    pub now: Time,
    pub rec: &'a Shared,
}

impl HostView for SimHost<'_> {
    fn ring_status(&self) -> RingStatus {
        let (ring, members) = self.totem.ring();
        RingStatus {
            node_id: self.totem.node_id(),
            state: self.totem.state().name().to_string(),
            ring_rep: ring.rep,
            ring_seq: ring.seq,
            members: members.to_vec(),
            counters: Vec::new(),
        }
    }
}

impl Host for SimHost<'_> {
    fn submit(&mut self, data: Bytes, guarantee: Guarantee) -> Result<(), SubmitError> {
        self.totem.submit(self.now, data.clone(), guarantee)?;
        let mut r = self.rec.borrow_mut();
        let inc = r.current;
        r.own_pending[inc] += 1;
        if let Some(req) = r.current_req {
            let me = self.totem.node_id();
            r.sent.insert((me, data.to_vec()), req);
        }
        Ok(())
    }
    fn now(&self) -> u64 {
        self.now
    }
    fn queue_sizes(&self) -> (usize, usize) {
        (self.totem.queued_bytes(), self.totem.queued())
    }
}
