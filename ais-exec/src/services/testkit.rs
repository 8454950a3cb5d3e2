//! One in-process cluster for the services' tests: N nodes, each running one
//! service, over an in-memory bus ([`Bus`]) that delivers every multicast to
//! the members of the ring it was sent in, in one agreed order. Requests
//! follow the router's contract: answered now, or ordered (multicast, then
//! answered when the service answers their token on the origin node). Each
//! node runs the sync engine as the router does: every regular
//! configuration starts a round, held messages and busy requests included.
//! The state machines beneath the services are tested over the same [`Bus`].

use super::contract::{Effect, Handling, HostView, NodeId, Output, Peer, Reply, RingId, Service, Token};
use super::sync::{Action, One, SyncEngine};
use ais_proto::cfg::RingStatus;
use std::collections::{BTreeMap, VecDeque};

/// Tests have no ring to report on.
pub struct NoHost;

impl HostView for NoHost {
    fn ring_status(&self) -> RingStatus {
        RingStatus {
            node_id: 0,
            state: String::new(),
            ring_rep: 0,
            ring_seq: 0,
            members: Vec::new(),
            counters: Vec::new(),
        }
    }
}

/// Totem's agreed order, for tests: one queue of messages, each with its
/// sender and the nodes it reaches (the members of the ring it was sent in).
pub struct Bus<M> {
    pub queue: VecDeque<(NodeId, Vec<NodeId>, M)>,
}

impl<M> Default for Bus<M> {
    fn default() -> Self {
        Bus { queue: VecDeque::new() }
    }
}

impl<M> Bus<M> {
    pub fn send(&mut self, sender: NodeId, to: &[NodeId], m: M) {
        self.queue.push_back((sender, to.to_vec(), m));
    }

    /// Delivers every message in order, to each of its recipients:
    /// `deliver(recipient, sender, message)` returns what the recipient
    /// multicasts in turn (to the same nodes, behind what is queued).
    pub fn run(&mut self, mut deliver: impl FnMut(NodeId, NodeId, &M) -> Vec<M>) {
        while let Some((sender, to, m)) = self.queue.pop_front() {
            for &id in &to {
                for x in deliver(id, sender, &m) {
                    self.queue.push_back((id, to.clone(), x));
                }
            }
        }
    }
}

/// A callback as a node's service sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Callback<C> {
    pub node: NodeId,
    pub conn: C,
    pub msg: u16,
    pub status: u32,
    pub payload: Vec<u8>,
}

/// A message on the cluster's bus: the sync engine's or the service's.
#[derive(Debug, Clone)]
enum Wire {
    Sync(Vec<u8>),
    Service(Vec<u8>),
}

pub struct Cluster<S, C> {
    pub nodes: BTreeMap<NodeId, S>,
    engines: BTreeMap<NodeId, SyncEngine>,
    /// The last ring configured; a node not configured yet reaches these.
    members: Vec<NodeId>,
    /// Each node's ring and its members: what the node multicasts reaches
    /// these (the other side of a partition does not hear it).
    rings: BTreeMap<NodeId, (RingId, Vec<NodeId>)>,
    ring_seq: u64,
    /// Multicasts in agreed order.
    bus: Bus<Wire>,
    /// Every callback sent, in order.
    pub callbacks: Vec<Callback<C>>,
    answers: BTreeMap<(NodeId, Token), Reply>,
    /// The clock the services are given (monotonic nanoseconds).
    pub now: u64,
}

impl<S: Service<C>, C: Copy> Cluster<S, C> {
    /// Nodes `ids`, not configured yet (the bus reaches all of them).
    pub fn new(ids: &[NodeId], make: impl Fn(NodeId) -> S) -> Cluster<S, C> {
        Cluster {
            nodes: ids.iter().map(|&id| (id, make(id))).collect(),
            engines: ids.iter().map(|&id| (id, SyncEngine::new())).collect(),
            members: ids.to_vec(),
            rings: BTreeMap::new(),
            ring_seq: 0,
            bus: Bus::default(),
            callbacks: Vec::new(),
            answers: BTreeMap::new(),
            now: 0,
        }
    }

    /// Nodes `ids` in one ring (representative the lowest, sequence 4).
    pub fn configured(ids: &[NodeId], make: impl Fn(NodeId) -> S) -> Cluster<S, C> {
        let mut c = Cluster::new(ids, make);
        c.configure(ids);
        c
    }

    /// The sequence of the last ring configured.
    pub fn ring_seq(&self) -> u64 {
        self.ring_seq
    }

    /// The members of `node`'s ring.
    pub fn ring_of(&self, node: NodeId) -> Vec<NodeId> {
        self.reach(node)
    }

    /// Node `id` restarts: a new service and a new sync engine (no round
    /// completed), not configured yet.
    pub fn restart(&mut self, id: NodeId, service: S) {
        self.add_node(id, service);
    }

    /// Adds node `id`, running `service`, not configured yet.
    pub fn add_node(&mut self, id: NodeId, service: S) {
        self.nodes.insert(id, service);
        self.engines.insert(id, SyncEngine::new());
    }

    pub fn node(&mut self, id: NodeId) -> &mut S {
        self.nodes.get_mut(&id).expect("a node of the cluster")
    }

    /// A new ring of `members` (the next sequence, the lowest as
    /// representative), run until nothing is left to deliver.
    pub fn configure(&mut self, members: &[NodeId]) {
        let ring = RingId {
            rep: *members.iter().min().expect("a member"),
            seq: self.ring_seq + 4,
        };
        self.configure_ring(ring, members);
    }

    /// A regular configuration of `members` on ring `ring`, run.
    pub fn configure_ring(&mut self, ring: RingId, members: &[NodeId]) {
        self.start_ring(ring, members);
        self.run();
    }

    /// A regular configuration, delivered to each member but not run.
    /// Members that were in the same ring before came into it together
    /// (Totem's transitional configuration); the others joined.
    pub fn start_ring(&mut self, ring: RingId, members: &[NodeId]) {
        self.ring_seq = ring.seq;
        self.members = members.to_vec();
        let joined: BTreeMap<NodeId, Vec<NodeId>> = members
            .iter()
            .map(|&m| {
                let ring_of = |x: &NodeId| self.rings.get(x).map(|r| r.0);
                let mine = ring_of(&m);
                let j = members
                    .iter()
                    .filter(|&x| *x != m && (mine.is_none() || ring_of(x) != mine))
                    .copied()
                    .collect();
                (m, j)
            })
            .collect();
        for &m in members {
            self.rings.insert(m, (ring, members.to_vec()));
        }
        for &m in members {
            let now = self.now;
            let out = self.node(m).configuration(ring, members, now);
            self.take(m, out);
            let (node, engine) = self.parts(m);
            let actions = engine.configuration(&mut One(node), ring, members, &joined[&m], now);
            self.carry(m, actions);
        }
    }

    fn parts(&mut self, id: NodeId) -> (&mut S, &mut SyncEngine) {
        let node = self.nodes.get_mut(&id).expect("a node of the cluster");
        (node, self.engines.get_mut(&id).expect("a node of the cluster"))
    }

    /// Carries out what node `node`'s sync engine asked for.
    fn carry(&mut self, node: NodeId, actions: Vec<Action<C>>) {
        for a in actions {
            match a {
                Action::Send(d) => self.bus.send(node, &self.reach(node), Wire::Sync(d)),
                Action::Effects(_, out) => self.take(node, out),
            }
        }
    }

    /// Whether the ring `node` is configured into next is quorate (what the
    /// router tells its sync engine before each configuration).
    pub fn set_quorate(&mut self, node: NodeId, quorate: Option<bool>) {
        self.parts(node).1.set_quorate(quorate);
    }

    /// Whether `node`'s sync engine holds synchronised state.
    pub fn is_synced(&self, node: NodeId) -> bool {
        self.engines[&node].is_synced()
    }

    /// The nodes a multicast of `node` reaches: the members of its ring.
    fn reach(&self, node: NodeId) -> Vec<NodeId> {
        self.rings
            .get(&node)
            .map_or_else(|| self.members.clone(), |r| r.1.clone())
    }

    /// Queues a multicast from `node` as if its router had sent it.
    pub fn multicast(&mut self, node: NodeId, data: Vec<u8>) {
        self.bus.send(node, &self.reach(node), Wire::Service(data));
    }

    /// The length of each message queued, in order.
    pub fn queued_lens(&self) -> Vec<usize> {
        self.bus
            .queue
            .iter()
            .map(|(_, _, w)| match w {
                Wire::Sync(d) | Wire::Service(d) => d.len(),
            })
            .collect()
    }

    /// Drops the next queued message undelivered (lost with a failure).
    pub fn lose_next(&mut self) {
        self.bus.queue.pop_front();
    }

    /// Queues a multicast from `node` at place `at` of the agreed order
    /// (to order it among messages already queued).
    pub fn multicast_at(&mut self, at: usize, node: NodeId, data: Vec<u8>) {
        let to = self.reach(node);
        self.bus.queue.insert(at, (node, to, Wire::Service(data)));
    }

    /// Delivers every queued multicast, and what those cause, in order.
    pub fn run(&mut self) {
        while self.step() {}
    }

    /// Delivers the next queued multicast; false if none was queued.
    pub fn step(&mut self) -> bool {
        let mut outs = Vec::new();
        if !self.bus.queue.is_empty() {
            let now = self.now;
            // One message at a time: its recipients' output queues behind it.
            let (sender, to, wire) = self.bus.queue.pop_front().expect("a message");
            for id in to {
                let (node, engine) = self.parts(id);
                let actions = match &wire {
                    Wire::Sync(d) => engine.delivered(&mut One(node), sender, d, now),
                    Wire::Service(d) if engine.hold(&One(node), 0, sender, d) => Vec::new(),
                    Wire::Service(d) => vec![Action::Effects(0, node.delivered(sender, d, now))],
                };
                outs.push((id, actions));
            }
            for (id, actions) in outs.drain(..) {
                self.carry(id, actions);
            }
            return true;
        }
        false
    }

    /// Carries out what node `node`'s service asked for.
    pub fn take(&mut self, node: NodeId, out: Output<C>) {
        for e in out {
            match e {
                Effect::Multicast(d) => {
                    let to = self.reach(node);
                    self.bus.send(node, &to, Wire::Service(d))
                }
                Effect::Callback {
                    conn,
                    msg,
                    status,
                    payload,
                } => self.callbacks.push(Callback {
                    node,
                    conn,
                    msg,
                    status,
                    payload,
                }),
                Effect::Answer { token, reply } => {
                    self.answers.insert((node, token), reply);
                }
            }
        }
    }

    pub fn connect(&mut self, node: NodeId, conn: C, pid: u32) {
        self.connect_as(node, conn, Peer { pid, uid: None });
    }

    /// A handle opened by `peer` (its uid matters to administrative requests).
    pub fn connect_as(&mut self, node: NodeId, conn: C, peer: Peer) {
        let out = self.node(node).connected(conn, peer);
        self.take(node, out);
        self.run();
    }

    pub fn disconnect(&mut self, node: NodeId, conn: C) {
        let out = self.node(node).disconnected(conn);
        self.take(node, out);
        self.run();
    }

    /// A request, without running the cluster: what the router and the
    /// service decided (busy while the sync engine refuses it).
    pub fn handle(&mut self, node: NodeId, conn: C, msg: u16, payload: &[u8]) -> Handling<C> {
        let (s, engine) = self.parts(node);
        if engine.refuses(&One(&mut *s), 0, conn, msg, payload) {
            return Handling::reply(s.busy(msg));
        }
        s.request(conn, msg, payload, &NoHost)
    }

    /// A request from `conn` on `node`, run to its answer.
    pub fn call(&mut self, node: NodeId, conn: C, msg: u16, payload: &[u8]) -> Reply {
        match self.handle(node, conn, msg, payload) {
            Handling::Now(r, out) => {
                self.take(node, out);
                self.run();
                r
            }
            Handling::Ordered {
                message,
                token,
                accepted,
            } => {
                self.multicast(node, message);
                self.run();
                match accepted {
                    Some(r) => r,
                    None => self.answers.remove(&(node, token)).expect("an answer once delivered"),
                }
            }
        }
    }

    /// The answer to ordered request `token` of `node`, once the service gave it.
    pub fn answer(&mut self, node: NodeId, token: Token) -> Option<Reply> {
        self.answers.remove(&(node, token))
    }

    /// Runs `node`'s timers at the cluster's clock.
    pub fn tick(&mut self, node: NodeId) {
        let now = self.now;
        let out = self.node(node).tick(now);
        self.take(node, out);
        self.run();
    }

    /// The callbacks sent since the last call, in order.
    pub fn take_callbacks(&mut self) -> Vec<Callback<C>> {
        std::mem::take(&mut self.callbacks)
    }
}
