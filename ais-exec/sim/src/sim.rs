//! One seeded run: N nodes, each the real Totem core and the real router
//! with the real services, over a simulated network with totem-sim's
//! scenario of faults (loss, duplication, reordering, partitions and heals,
//! one-way cuts, pauses, crashes, leaves and restarts), and clients on
//! every node: CKPT (open, section create, write, overwrite, read, close,
//! unlink, with and without retention), CPG (join, leave, multicast,
//! membership), CLM (tracking, node queries), EVT (open, subscribe,
//! publish with and without retention, pull, clear, close, unlink) and LCK
//! (open, lock, unlock, close: `lck.rs`), each through its own fake
//! connection, closed and reopened now and then.
//!
//! Faults stop at the scenario's heal; the clients stop asking too. Once
//! the nodes form one ring and everything sent is delivered, each node's
//! service digests are taken, and a fresh client on one survivor reads back
//! every section written to the checkpoints that are kept for good.

use crate::checker::{check, Violation};
use crate::evt::{self as evtsim, EvtClient};
use crate::fake::{FakeHandle, FakeResponder, Recorder, Shared, SimHost};
use crate::history::*;
use ais_exec::daemon::ClusterEvent;
use ais_exec::ipc::{ConnId, ServiceId};
use ais_exec::services::clm::node::{NodeInfo, AF_INET};
use ais_exec::services::clock::WallClock;
use ais_exec::services::io::{Event, Request as IoRequest};
use ais_exec::services::registry::{self, Setup};
use ais_exec::services::router::Router;
use ais_exec::services::Service;
use ais_proto::ckpt as p;
use ais_proto::codec::Writer;
use ais_proto::message::Message;
use ais_proto::{clm, cpg, status};
use ais_totem::{ms, Dest, NodeId, Options, Output, State, Time, Totem};
use ais_totem_sim::net::{Fault, Network};
use ais_totem_sim::rng::Rng;
use ais_totem_sim::timeline::Timeline;
use ais_totem_sim::Scenario;
use bytes::Bytes;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;
use std::sync::atomic::{AtomicI64, Ordering as AtomicOrdering};
use std::sync::Arc;

/// The result of one run.
#[derive(Debug)]
pub struct Outcome {
    pub seed: u64,
    pub nodes: usize,
    pub violations: Vec<Violation>,
    pub requests: usize,
    pub sim_time: Time,
}

/// `SaTimeT` at simulated time 0 (the services' wall clock).
const EPOCH: i64 = 1_700_000_000_000_000_000;
/// A run that needs more events than this is stuck.
const EVENT_BUDGET: u64 = 5_000_000;
/// Checkpoint names: kept ones (retention forever, never unlinked: their
/// acknowledged writes are read back) and temporary ones (short retention,
/// unlinked now and then).
const KEEP: [&[u8]; 2] = [b"keep-0", b"keep-1"];
const TEMP: [&[u8]; 2] = [b"temp-0", b"temp-1"];
const GROUPS: [&[u8]; 2] = [b"g0", b"g1"];
/// Every write sets a section's whole data: this many bytes.
const DATA: usize = 16;

enum Ev {
    Datagram { to: usize, data: Bytes },
    Timer { node: usize },
    Client { node: usize, client: usize, inc: Inc },
    Fault,
    Heal,
    Probe,
    Resume { node: usize },
    Restart { node: usize },
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Ckpt,
    Cpg,
    Clm,
    Evt,
    Lck,
    Msg,
    /// The reader at the end.
    Verify,
}

/// A client: one connection at a time, one request at a time.
struct Client {
    kind: Kind,
    conn: Option<ConnId>,
    waiting: Option<(ReqId, u16)>,
    /// CKPT: open checkpoints (name to id) and this client's sections.
    opened: BTreeMap<Vec<u8>, u64>,
    sections: Vec<(Vec<u8>, Vec<u8>)>,
    made: u64,
    /// CPG: the group joined.
    group: Option<Vec<u8>>,
    /// Verify: what is left to read.
    script: Vec<(Vec<u8>, Vec<Vec<u8>>)>,
    /// The checkpoint being opened or closed, the group being joined.
    pending_name: Option<Vec<u8>>,
    evt: EvtClient,
    lck: crate::lck::LckClient,
}

impl Client {
    fn new(kind: Kind) -> Client {
        Client {
            kind,
            conn: None,
            waiting: None,
            opened: BTreeMap::new(),
            sections: Vec::new(),
            made: 0,
            group: None,
            script: Vec::new(),
            pending_name: None,
            evt: EvtClient::default(),
            lck: Default::default(),
        }
    }

    fn service(&self) -> ServiceId {
        match self.kind {
            Kind::Ckpt | Kind::Verify => ServiceId::CKPT,
            Kind::Cpg => ServiceId::CPG,
            Kind::Clm => ServiceId::CLM,
            Kind::Evt => ServiceId::EVT,
            Kind::Lck => ServiceId::LCK,
            Kind::Msg => ServiceId::MSG,
        }
    }
}

struct Live {
    totem: Totem,
    router: Router<FakeHandle, FakeResponder>,
    clients: Vec<Client>,
}

struct Node {
    id: NodeId,
    live: Option<Live>,
    ring_seq_stored: u64,
    inc: Inc,
    paused: bool,
    inbox: Vec<Bytes>,
    timer_at: Option<Time>,
    /// Its last regular configuration, and the last one whose sync round
    /// completed: LCK's checker rule compares the locks granted within one,
    /// and a grant applied when a round is cut short belongs to the ring
    /// before it.
    ring: ais_totem::RingId,
    synced_ring: ais_totem::RingId,
    /// Messages delivered since its last regular configuration: equal on
    /// every member once everything sent in the ring is delivered.
    delivered_in_ring: u64,
}

struct Sim {
    sc: Scenario,
    rng: Rng,
    net: Network,
    now: Time,
    queue: Timeline<Ev>,
    nodes: Vec<Node>,
    index_of: HashMap<NodeId, usize>,
    healed_at: Option<Time>,
    /// Verifying on this node; done when its script is.
    verifying: Option<usize>,
    done: bool,
    rec: Shared,
    wall: Arc<AtomicI64>,
    next_conn: u64,
    /// SERVICE_SIM_TRACE set: print configurations and answers as they come.
    trace: bool,
    quorum: Option<ais_exec::services::quorum::QuorumConfig>,
}

/// Runs the scenario of `seed` with `min..=max` nodes.
pub fn run(seed: u64, min: usize, max: usize) -> Outcome {
    let mut sc = Scenario::from_seed(seed, min, max);
    // Short runs: a few fault actions, then the heal.
    let token = ms(sc.totem.token as u64);
    sc.fault_phase = sc.fault_phase.min(token * 12);
    sc.fault_interval = sc.fault_interval.min(token * 3);
    let mut rng = Rng::new(seed ^ 0x5E_2F1CE);
    let net = rng.fork();
    let n = sc.node_ids.len();
    let mut sim = Sim {
        index_of: sc.node_ids.iter().enumerate().map(|(i, &id)| (id, i)).collect(),
        nodes: sc
            .node_ids
            .iter()
            .map(|&id| Node {
                id,
                live: None,
                ring_seq_stored: 0,
                inc: 0,
                paused: false,
                inbox: Vec::new(),
                timer_at: None,
                ring: Default::default(),
                synced_ring: Default::default(),
                delivered_in_ring: 0,
            })
            .collect(),
        healed_at: None,
        verifying: None,
        done: false,
        rec: Rc::new(RefCell::new(Recorder::default())),
        wall: Arc::new(AtomicI64::new(EPOCH)),
        next_conn: 1,
        trace: std::env::var_os("SERVICE_SIM_TRACE").is_some(),
        quorum: crate::quorum::config(seed, n),
        net: Network::new(&sc, n, net),
        sc,
        rng,
        now: 0,
        queue: Timeline::default(),
    };
    sim.rec.borrow_mut().h.quorum_configured = sim.quorum.is_some();
    for i in 0..n {
        let at = sim.rng.range(0, token * 2);
        sim.push(at, Ev::Restart { node: i });
    }
    if sim.sc.weights.iter().sum::<u32>() > 0 {
        let at = sim.rng.range(0, sim.sc.fault_interval);
        sim.push(at, Ev::Fault);
    }
    sim.push(sim.sc.fault_phase, Ev::Heal);
    let mut events = 0u64;
    let mut stuck = false;
    while let Some((time, ev)) = sim.queue.pop() {
        sim.now = time;
        sim.wall.store(EPOCH + sim.now as i64, AtomicOrdering::Relaxed);
        events += 1;
        if events > EVENT_BUDGET {
            stuck = true;
            break;
        }
        sim.handle(ev);
        if sim.done {
            break;
        }
    }
    let mut h = std::mem::take(&mut sim.rec.borrow_mut().h);
    h.survivors = sim.nodes.iter().filter(|n| n.live.is_some()).map(|n| n.inc).collect();
    let mut violations = check(&h);
    if stuck {
        violations.push(Violation {
            property: crate::checker::Property::Digest,
            detail: format!("run exceeded {EVENT_BUDGET} events before the cluster was quiet"),
        });
    }
    Outcome {
        seed,
        nodes: n,
        violations,
        requests: h.requests.len(),
        sim_time: sim.now,
    }
}

fn services(info: NodeInfo, wall: &Arc<AtomicI64>) -> Vec<Box<dyn Service>> {
    let w = wall.clone();
    registry::services(&Setup {
        wall: WallClock::new(move || w.load(AtomicOrdering::Relaxed)),
        ..Setup::new(info)
    })
}

fn enc<M: Message>(m: &M) -> Vec<u8> {
    m.encode().expect("the simulator's requests are within bounds")
}

/// A READ of one section's whole data.
fn read_whole(ckpt_id: u64, section: Vec<u8>) -> Vec<u8> {
    enc(&p::Read {
        ckpt_id,
        elements: vec![p::SectionRange {
            section,
            offset: 0,
            size: DATA as u64,
        }],
    })
}

fn name_payload(name: &[u8]) -> Vec<u8> {
    let mut w = Writer::new();
    w.name(name).expect("short name");
    w.into_vec()
}

impl Sim {
    fn push(&mut self, time: Time, ev: Ev) {
        self.queue.push(time, ev);
    }

    fn token(&self) -> Time {
        ms(self.sc.totem.token as u64)
    }

    fn up(&self, i: usize) -> bool {
        self.nodes[i].live.is_some() && !self.nodes[i].paused
    }

    fn handle(&mut self, ev: Ev) {
        match ev {
            Ev::Datagram { to, data } => {
                let node = &mut self.nodes[to];
                if node.live.is_none() {
                    return;
                }
                if node.paused {
                    if node.inbox.len() < 512 {
                        node.inbox.push(data);
                    }
                    return;
                }
                let now = self.now;
                node.live.as_mut().unwrap().totem.handle_datagram(now, &data);
                self.pump(to);
            }
            Ev::Timer { node } => {
                self.nodes[node].timer_at = None;
                if !self.up(node) {
                    return;
                }
                let now = self.now;
                let t = &mut self.nodes[node].live.as_mut().unwrap().totem;
                if t.next_timeout().is_some_and(|d| d <= now) {
                    t.handle_timeout(now);
                }
                self.pump(node);
            }
            Ev::Client { node, client, inc } => {
                if self.nodes[node].inc != inc || self.nodes[node].live.is_none() {
                    return;
                }
                // The workload stops at the heal; then only the reader asks.
                let verifying = self.verifying == Some(node) && client == self.clients(node).len() - 1;
                if self.up(node) && (self.net.faults_on || verifying) {
                    self.client_step(node, client);
                }
                if self.net.faults_on || verifying {
                    let gap = if verifying {
                        self.token() / 10
                    } else {
                        ms(1) + self.rng.range(0, self.sc.submit_interval * 4)
                    };
                    self.push(self.now + gap, Ev::Client { node, client, inc });
                }
            }
            Ev::Fault => {
                if self.net.faults_on {
                    self.fault();
                    let f = self.sc.fault_interval;
                    let next = self.now + self.rng.range(f / 2, f * 3 / 2);
                    if next < self.sc.fault_phase {
                        self.push(next, Ev::Fault);
                    }
                }
            }
            Ev::Heal => self.heal(),
            Ev::Probe => self.probe(),
            Ev::Resume { node } => self.resume(node),
            Ev::Restart { node } => self.restart(node),
        }
    }

    fn clients(&self, i: usize) -> &[Client] {
        self.nodes[i].live.as_ref().map_or(&[], |l| &l.clients)
    }

    /// Runs a node's router with `f`, inside its incarnation.
    fn with_router<T>(
        &mut self,
        i: usize,
        req: Option<ReqId>,
        f: impl FnOnce(&mut Router<FakeHandle, FakeResponder>, &mut SimHost<'_>) -> T,
    ) -> Option<T> {
        let now = self.now;
        let inc = self.nodes[i].inc;
        {
            let mut r = self.rec.borrow_mut();
            r.current = inc;
            r.current_req = req;
        }
        let live = self.nodes[i].live.as_mut()?;
        let mut host = SimHost {
            totem: &mut live.totem,
            now,
            rec: &self.rec,
        };
        let out = f(&mut live.router, &mut host);
        self.rec.borrow_mut().current_req = None;
        Some(out)
    }

    /// Carries out a node's outputs (into the network and its router) until
    /// there are none, then keeps its timers scheduled.
    fn pump(&mut self, i: usize) {
        loop {
            let mut outs = Vec::new();
            let Some(live) = self.nodes[i].live.as_mut() else {
                return;
            };
            while let Some(o) = live.totem.poll_output() {
                outs.push(o);
            }
            let busy = !outs.is_empty();
            for o in outs {
                self.output(i, o);
            }
            self.with_router(i, None, |r, host| r.ready(host));
            self.take_replies(i);
            if !busy {
                break;
            }
        }
        let Some(live) = self.nodes[i].live.as_ref() else {
            return;
        };
        let mut next = live.totem.next_timeout();
        if let Some(w) = live.router.wake_at(self.now) {
            next = Some(next.map_or(w, |t| t.min(w)));
        }
        if live.router.recheck_soon() {
            next = Some(next.map_or(self.now + ms(1), |t| t.min(self.now + ms(1))));
        }
        if let Some(t) = next {
            let node = &mut self.nodes[i];
            if node.timer_at.is_none_or(|s| t < s || s < self.now) {
                node.timer_at = Some(t);
                let t = t.max(self.now);
                self.push(t, Ev::Timer { node: i });
            }
        }
    }

    fn output(&mut self, i: usize, o: Output) {
        match o {
            Output::Transmit { dest, data } => self.send(i, dest, data),
            Output::Deliver(d) => {
                let (inc, me) = (self.nodes[i].inc, self.nodes[i].id);
                self.nodes[i].delivered_in_ring += 1;
                self.rec.borrow_mut().delivered(inc, me, d.sender, &d.data);
                self.with_router(i, None, |r, host| r.on_event(host, &ClusterEvent::Deliver(d)));
                self.record_merges(i);
            }
            Output::ConfChange(c) => {
                if c.kind == ais_totem::ConfKind::Regular {
                    self.nodes[i].delivered_in_ring = 0;
                }
                if self.trace {
                    let t = self.now as f64 / 1e6;
                    let (id, kind) = (self.nodes[i].id, c.kind);
                    println!(
                        "{t:>10.3} node {id} {kind:?} ring {:?} members {:?}",
                        c.ring_id, c.members
                    );
                }
                if c.kind == ais_totem::ConfKind::Regular {
                    self.nodes[i].ring = c.ring_id;
                }
                let rec = self.rec.clone();
                self.with_router(i, None, |r, host| {
                    r.on_event(host, &ClusterEvent::ConfChange(c));
                    rec.borrow_mut().quorum(r.quorate());
                });
            }
            Output::PersistRingSeq(seq) => {
                let n = &mut self.nodes[i];
                n.ring_seq_stored = n.ring_seq_stored.max(seq);
            }
            _ => {}
        }
    }

    /// The merge losses node `i`'s services reported.
    fn record_merges(&mut self, i: usize) {
        let inc = self.nodes[i].inc;
        let Some(live) = self.nodes[i].live.as_mut() else {
            return;
        };
        let losses = live.router.merge_losses();
        let incs = |ids: &[NodeId]| -> Vec<Inc> {
            ids.iter()
                .filter_map(|id| self.index_of.get(id).map(|&k| self.nodes[k].inc))
                .collect()
        };
        let mut r = self.rec.borrow_mut();
        for (_, loss) in losses {
            let at = r.tick();
            let (loser, winner) = (incs(&loss.loser.members), incs(&loss.winner.members));
            r.h.merges.push(Merged {
                inc,
                at,
                loss,
                loser,
                winner,
            });
        }
    }

    fn send(&mut self, from: usize, dest: Dest, data: Bytes) {
        let mut arrivals = Vec::new();
        self.net
            .send(self.now, from, dest, &self.index_of, |at, to| arrivals.push((at, to)));
        for (at, to) in arrivals {
            self.push(at, Ev::Datagram { to, data: data.clone() });
        }
    }

    // ---- clients ----

    /// Hands each answer the router gave on node `i` to its client.
    fn take_replies(&mut self, i: usize) {
        let replies = std::mem::take(&mut self.rec.borrow_mut().replies);
        let (inc, id, t) = (self.nodes[i].inc, self.nodes[i].id, self.now as f64 / 1e6);
        for (req, st, payload) in replies {
            let Some(live) = self.nodes[i].live.as_mut() else {
                return;
            };
            let Some(ci) = live
                .clients
                .iter()
                .position(|c| c.waiting.is_some_and(|(r, _)| r == req))
            else {
                continue;
            };
            let c = &mut live.clients[ci];
            let (_, msg) = c.waiting.take().unwrap();
            if self.trace {
                println!("{t:>10.3} node {id} request {req} (msg {msg}) answered {st}");
            }
            let target = self.rec.borrow().h.requests[req].target.clone();
            if c.kind == Kind::Lck {
                // The connection the request went on: a grant is the lock of that one.
                let conn = self.rec.borrow().h.requests[req].conn;
                let live = self.nodes[i].live.as_ref().expect("looked up above");
                // LCK's digest is None while its table re-synchronises.
                let synced = live
                    .router
                    .digests()
                    .iter()
                    .any(|(s, d)| *s == ServiceId::LCK && d.is_some());
                let node = &mut self.nodes[i];
                if synced {
                    node.synced_ring = node.ring;
                }
                let ring = node.synced_ring;
                let c = &mut node.live.as_mut().unwrap().clients[ci];
                let at = crate::lck::Where {
                    rec: &self.rec,
                    inc,
                    conn,
                    ring,
                    req,
                };
                c.lck.answered(msg, st, &payload, &at);
                continue;
            }
            answered(c, msg, st, &payload, target, &self.rec, inc);
        }
    }

    fn connect(&mut self, i: usize, client: usize) {
        let conn = ConnId(self.next_conn);
        self.next_conn += 1;
        let inc = self.nodes[i].inc;
        let service = self.nodes[i].live.as_ref().unwrap().clients[client].service();
        {
            let mut r = self.rec.borrow_mut();
            let at = r.tick();
            r.h.conns.push(Conn {
                inc,
                conn,
                opened: at,
                closed: None,
            });
        }
        let c = &mut self.nodes[i].live.as_mut().unwrap().clients[client];
        *c = Client {
            script: std::mem::take(&mut c.script),
            made: c.made,
            ..Client::new(c.kind)
        };
        c.conn = Some(conn);
        let h = FakeHandle {
            conn,
            service,
            rec: self.rec.clone(),
        };
        self.with_router(i, None, |r, host| r.on_request(host, Event::Connected(h)));
        self.pump(i);
    }

    fn disconnect(&mut self, i: usize, client: usize) {
        let c = &mut self.nodes[i].live.as_mut().unwrap().clients[client];
        let Some(conn) = c.conn.take() else { return };
        let service = c.service();
        c.waiting = None;
        close_conn(&self.rec, self.nodes[i].inc, conn);
        self.with_router(i, None, |r, host| {
            r.on_request(host, Event::Disconnected { conn, service })
        });
        self.pump(i);
    }

    fn ask(&mut self, i: usize, client: usize, msg: u16, payload: Vec<u8>, ordered: bool, target: Target) {
        let inc = self.nodes[i].inc;
        let c = &mut self.nodes[i].live.as_mut().unwrap().clients[client];
        let (conn, service) = (c.conn.expect("connected"), c.service());
        let req = {
            let mut r = self.rec.borrow_mut();
            let at = r.tick();
            r.h.requests.push(Request {
                inc,
                conn,
                service,
                msg,
                at,
                ordered,
                target,
            });
            r.h.requests.len() - 1
        };
        c.waiting = Some((req, msg));
        let responder = FakeResponder {
            req,
            conn,
            rec: self.rec.clone(),
        };
        let r = IoRequest {
            conn,
            service,
            msg,
            payload: Bytes::from(payload),
            responder,
        };
        self.with_router(i, Some(req), |router, host| router.on_request(host, Event::Request(r)));
        self.take_replies(i);
        self.pump(i);
    }

    /// The client's next step: connect, or one request.
    fn client_step(&mut self, i: usize, k: usize) {
        let c = &self.nodes[i].live.as_ref().unwrap().clients[k];
        if c.waiting.is_some() {
            return;
        }
        let kind = c.kind;
        if c.conn.is_none() {
            if kind != Kind::Verify || !c.script.is_empty() {
                self.connect(i, k);
            }
            return;
        }
        if kind != Kind::Verify && self.rng.chance(0.02) {
            self.disconnect(i, k);
            return;
        }
        match kind {
            Kind::Ckpt => self.ckpt_step(i, k),
            Kind::Cpg => self.cpg_step(i, k),
            Kind::Clm => self.clm_step(i, k),
            Kind::Evt => self.evt_step(i, k),
            Kind::Lck => {
                let inc = self.nodes[i].inc;
                let c = &mut self.nodes[i].live.as_mut().unwrap().clients[k];
                let a = c.lck.step(&mut self.rng, &self.rec, inc);
                let ordered = a.msg != ais_proto::lck::LIMIT;
                self.ask(i, k, a.msg, a.payload, ordered, Target::None)
            }
            Kind::Msg => self.msg_step(i, k),
            Kind::Verify => self.verify_step(i, k),
        }
    }

    fn set_pending(&mut self, i: usize, k: usize, name: Vec<u8>) {
        self.nodes[i].live.as_mut().unwrap().clients[k].pending_name = Some(name);
    }

    fn unique_data(&mut self) -> Vec<u8> {
        let mut d = self.rng.next_u64().to_be_bytes().to_vec();
        d.extend_from_slice(&self.rng.next_u64().to_be_bytes());
        d.truncate(DATA);
        d
    }

    fn ckpt_step(&mut self, i: usize, k: usize) {
        let inc = self.nodes[i].inc;
        let c = &self.nodes[i].live.as_ref().unwrap().clients[k];
        let opened: Vec<(Vec<u8>, u64)> = c.opened.iter().map(|(n, id)| (n.clone(), *id)).collect();
        let sections = c.sections.clone();
        let (made, conn) = (c.made, c.conn.map_or(0, |c| c.0));
        let roll = self.rng.range(0, 99);
        if opened.is_empty() || roll < 12 {
            let keep = self.rng.chance(0.6);
            let name = if keep {
                *self.rng.pick(&KEEP)
            } else {
                *self.rng.pick(&TEMP)
            };
            let attrs = p::CreationAttributes {
                creation_flags: p::WR_ALL_REPLICAS,
                checkpoint_size: 64 * DATA as u64,
                retention_duration: if keep { p::TIME_END } else { ms(50) as i64 },
                max_sections: 64,
                max_section_size: DATA as u64,
                max_section_id_size: 32,
            };
            let open = p::Open {
                name: name.to_vec(),
                attrs: Some(attrs),
                open_flags: p::OPEN_READ | p::OPEN_WRITE | p::OPEN_CREATE,
            };
            self.set_pending(i, k, name.to_vec());
            return self.ask(i, k, p::OPEN, enc(&open), true, Target::None);
        }
        let (name, id) = self.rng.pick(&opened).clone();
        let own: Vec<&(Vec<u8>, Vec<u8>)> = sections.iter().filter(|(n, _)| *n == name).collect();
        if own.is_empty() || roll < 25 {
            let section = format!("s{inc}-{conn}-{made}").into_bytes();
            let data = self.unique_data();
            let m = p::SectionCreate {
                ckpt_id: id,
                section: Some(section.clone()),
                expiration_time: p::TIME_END,
                data: data.clone(),
            };
            let kept = KEEP.contains(&name.as_slice());
            let t = Target::Write {
                name,
                section,
                data,
                kept,
            };
            return self.ask(i, k, p::SECTION_CREATE, enc(&m), true, t);
        }
        let section = self.rng.pick(&own).1.clone();
        let data = self.unique_data();
        let t = Target::Write {
            kept: KEEP.contains(&name.as_slice()),
            name: name.clone(),
            section: section.clone(),
            data: data.clone(),
        };
        match roll {
            25..=54 => {
                let m = p::Write {
                    ckpt_id: id,
                    elements: vec![p::WriteElement {
                        section,
                        offset: 0,
                        data,
                    }],
                };
                self.ask(i, k, p::WRITE, enc(&m), true, t)
            }
            55..=74 => {
                let m = p::Overwrite {
                    ckpt_id: id,
                    section,
                    data,
                };
                self.ask(i, k, p::OVERWRITE, enc(&m), true, t)
            }
            75..=92 => self.ask(i, k, p::READ, read_whole(id, section), false, Target::None),
            93..=96 => {
                self.set_pending(i, k, name);
                self.ask(i, k, p::CLOSE, enc(&p::CkptId(id)), false, Target::None)
            }
            _ => {
                let name = self.rng.pick(&TEMP).to_vec();
                let m = p::Unlink { name: name.clone() };
                self.ask(i, k, p::UNLINK, enc(&m), true, Target::Unlink { name })
            }
        }
    }

    fn cpg_step(&mut self, i: usize, k: usize) {
        let group = self.nodes[i].live.as_ref().unwrap().clients[k].group.clone();
        let roll = self.rng.range(0, 99);
        match group {
            None => {
                let g = self.rng.pick(&GROUPS).to_vec();
                self.set_pending(i, k, g.clone());
                self.ask(i, k, cpg::JOIN, name_payload(&g), false, Target::None);
            }
            Some(g) if roll < 10 => self.ask(i, k, cpg::LEAVE, name_payload(&g), false, Target::None),
            Some(g) if roll < 25 => self.ask(i, k, cpg::MEMBERSHIP_GET, name_payload(&g), false, Target::None),
            Some(_) => {
                let data = self.unique_data();
                let mut w = Writer::new();
                w.blob(&data).expect("short");
                self.ask(i, k, cpg::MCAST, w.into_vec(), false, Target::None);
            }
        }
    }

    fn clm_step(&mut self, i: usize, k: usize) {
        match self.rng.range(0, 9) {
            0..=2 => {
                let mut w = Writer::new();
                w.u8(clm::TRACK_CURRENT | clm::TRACK_CHANGES).bool(self.rng.chance(0.5));
                self.ask(i, k, clm::TRACK_START, w.into_vec(), false, Target::None)
            }
            3 => self.ask(i, k, clm::TRACK_STOP, Vec::new(), false, Target::None),
            _ => {
                let id = if self.rng.chance(0.5) {
                    clm::LOCAL_NODE_ID
                } else {
                    *self.rng.pick(&self.sc.node_ids.clone())
                };
                let mut w = Writer::new();
                w.u32(id);
                self.ask(i, k, clm::NODE_GET, w.into_vec(), false, Target::None)
            }
        }
    }

    fn evt_step(&mut self, i: usize, k: usize) {
        let data = self.unique_data();
        let c = &mut self.nodes[i].live.as_mut().unwrap().clients[k];
        let a = evtsim::next_request(&mut self.rng, &mut c.evt, data);
        self.ask(i, k, a.msg, a.payload, a.ordered, Target::None)
    }

    fn msg_step(&mut self, i: usize, k: usize) {
        let inc = self.nodes[i].inc;
        let c = &self.nodes[i].live.as_ref().unwrap().clients[k];
        let opened = c.opened.keys().next().cloned();
        let (conn, seq) = (c.conn.expect("connected"), c.made);
        let ask = crate::msg::step(&mut self.rng, opened.as_deref(), inc, conn, seq);
        let c = &mut self.nodes[i].live.as_mut().unwrap().clients[k];
        c.made += 1;
        c.pending_name = ask.queue;
        self.ask(i, k, ask.msg, ask.payload, true, ask.target)
    }

    /// The reader at the end: open each kept checkpoint, read its sections.
    fn verify_step(&mut self, i: usize, k: usize) {
        let c = &mut self.nodes[i].live.as_mut().unwrap().clients[k];
        let Some((name, sections)) = c.script.last().cloned() else {
            self.done = true;
            return;
        };
        match c.opened.get(&name) {
            None => {
                let open = p::Open {
                    name,
                    attrs: None,
                    open_flags: p::OPEN_READ,
                };
                self.ask(i, k, p::OPEN, enc(&open), false, Target::None)
            }
            Some(&id) => {
                // One section a read: one that is missing fails its read.
                let Some(section) = sections.last().cloned() else {
                    c.script.pop();
                    return;
                };
                self.ask(i, k, p::READ, read_whole(id, section), false, Target::None)
            }
        }
    }

    // ---- faults ----

    fn fault(&mut self) {
        let fault = Fault::pick(&mut self.rng, &self.sc.weights);
        let up: Vec<usize> = (0..self.nodes.len()).filter(|&i| self.up(i)).collect();
        let token = self.token();
        if self.trace {
            println!("{:>10.3} fault: {fault:?}", self.now as f64 / 1e6);
        }
        match fault {
            Fault::Crash | Fault::Leave if !up.is_empty() => {
                let i = *self.rng.pick(&up);
                if fault == Fault::Leave {
                    let now = self.now;
                    self.nodes[i].live.as_mut().unwrap().totem.leave(now);
                    self.pump(i);
                }
                self.stop(i);
                let at = self.now + self.rng.range(token / 5, token * 3);
                self.push(at, Ev::Restart { node: i });
            }
            Fault::Pause if !up.is_empty() => {
                let i = *self.rng.pick(&up);
                self.nodes[i].paused = true;
                let at = self.now + self.rng.range(token / 10, token * 3);
                self.push(at, Ev::Resume { node: i });
            }
            Fault::Partition => self.net.partition(&mut self.rng),
            Fault::OneWayCuts => self.net.cut_one_way(&mut self.rng),
            _ => self.net.heal(),
        }
    }

    /// A crash: the node's connections are gone with it.
    fn stop(&mut self, i: usize) {
        let node = &mut self.nodes[i];
        let Some(live) = node.live.take() else { return };
        for c in &live.clients {
            if let Some(conn) = c.conn {
                close_conn(&self.rec, node.inc, conn);
            }
        }
        node.paused = false;
        node.inbox.clear();
    }

    fn restart(&mut self, i: usize) {
        if self.nodes[i].live.is_some() {
            return;
        }
        let id = self.nodes[i].id;
        let inc = self.rec.borrow_mut().new_incarnation(id);
        if self.trace {
            println!("{:>10.3} node {id} starts", self.now as f64 / 1e6);
        }
        let opts = Options {
            seed: self.rng.next_u64(),
            ..Options::default()
        };
        let totem = Totem::new(self.sc.totem.clone(), id, self.nodes[i].ring_seq_stored, opts, self.now)
            .expect("scenario configurations are valid");
        let info = NodeInfo {
            node_id: id,
            family: AF_INET,
            address: format!("10.{}.{}.{}", id >> 16 & 255, id >> 8 & 255, id & 255),
            name: format!("node-{id}"),
            boot_timestamp: EPOCH + self.now as i64,
            initial_view: 0,
        };
        let node = &mut self.nodes[i];
        node.inc = inc;
        node.timer_at = None;
        node.live = Some(Live {
            totem,
            router: Router::new(services(info, &self.wall)).with_quorum(self.quorum.clone()),
            clients: vec![
                Client::new(Kind::Ckpt),
                Client::new(Kind::Ckpt),
                Client::new(Kind::Cpg),
                Client::new(Kind::Clm),
                Client::new(Kind::Evt),
                Client::new(Kind::Evt),
                Client::new(Kind::Lck),
                Client::new(Kind::Msg),
            ],
        });
        self.pump(i);
        if self.net.faults_on {
            let clients = self.nodes[i].live.as_ref().map_or(0, |l| l.clients.len());
            for client in 0..clients {
                let at = self.now + self.rng.range(0, self.token());
                self.push(at, Ev::Client { node: i, client, inc });
            }
        }
    }

    fn resume(&mut self, i: usize) {
        if !self.nodes[i].paused {
            return;
        }
        self.nodes[i].paused = false;
        let inbox = std::mem::take(&mut self.nodes[i].inbox);
        let now = self.now;
        for data in inbox {
            if let Some(l) = self.nodes[i].live.as_mut() {
                l.totem.handle_datagram(now, &data);
            }
            self.pump(i);
        }
        if let Some(l) = self.nodes[i].live.as_mut() {
            if l.totem.next_timeout().is_some_and(|d| d <= now) {
                l.totem.handle_timeout(now);
            }
        }
        self.nodes[i].timer_at = None;
        self.pump(i);
    }

    fn heal(&mut self) {
        self.net.faults_on = false;
        self.healed_at = Some(self.now);
        self.net.heal();
        for i in 0..self.nodes.len() {
            if self.nodes[i].live.is_none() {
                self.restart(i);
            } else if self.nodes[i].paused {
                self.resume(i);
            }
        }
        self.push(self.now + self.token() / 5, Ev::Probe);
    }

    /// Every node operational in one ring of all, nothing queued or in
    /// flight (each node delivered as many messages in the ring), no client
    /// waiting, every service settled.
    fn quiet(&self) -> bool {
        let all: Vec<NodeId> = {
            let mut v: Vec<NodeId> = self.nodes.iter().map(|n| n.id).collect();
            v.sort_unstable();
            v
        };
        let rec = self.rec.borrow();
        let mut ring = None;
        // Every message sent in the ring delivered on every member.
        let counts: Vec<u64> = self.nodes.iter().map(|n| n.delivered_in_ring).collect();
        if counts.windows(2).any(|w| w[0] != w[1]) {
            return false;
        }
        for n in &self.nodes {
            let Some(l) = &n.live else { return false };
            let t = &l.totem;
            if t.state() != State::Operational || !t.has_ring() || t.queued() > 0 {
                return false;
            }
            let (id, members) = t.ring();
            if members != all.as_slice() || ring.is_some_and(|r| r != id) {
                return false;
            }
            ring = Some(id);
            if rec.own_pending[n.inc] > 0 || l.clients.iter().any(|c| c.waiting.is_some()) {
                return false;
            }
            let settled = |s: ServiceId| l.router.digests().iter().any(|(id, d)| *id == s && d.is_some());
            if ![ServiceId::CLM, ServiceId::CPG, ServiceId::CKPT, ServiceId::MSG]
                .into_iter()
                .all(settled)
            {
                return false;
            }
        }
        true
    }

    fn probe(&mut self) {
        let healed = self.healed_at.unwrap_or(0);
        if self.verifying.is_some() {
            if self.now > healed + self.token() * 200 {
                self.done = true;
            } else {
                self.push(self.now + self.token(), Ev::Probe);
            }
            return;
        }
        let late = self.now > healed + self.token() * 100;
        if !self.quiet() && !late {
            self.push(self.now + self.token() / 5, Ev::Probe);
            return;
        }
        // The state of every node, then the reader.
        let mut r = self.rec.borrow_mut();
        for n in &self.nodes {
            let Some(l) = &n.live else { continue };
            r.h.snapshots.push(Snapshot {
                inc: n.inc,
                ring: l.totem.ring().0,
                digests: l.router.digests(),
            });
        }
        let mut script: BTreeMap<Vec<u8>, Vec<Vec<u8>>> = BTreeMap::new();
        for q in &r.h.requests {
            if let Target::Write {
                name,
                section,
                kept: true,
                ..
            } = &q.target
            {
                {
                    let s = script.entry(name.clone()).or_default();
                    if !s.contains(section) {
                        s.push(section.clone());
                    }
                }
            }
        }
        drop(r);
        let Some(v) = (0..self.nodes.len()).find(|&i| self.up(i)) else {
            self.done = true;
            return;
        };
        self.verifying = Some(v);
        let inc = self.nodes[v].inc;
        let live = self.nodes[v].live.as_mut().unwrap();
        let mut reader = Client::new(Kind::Verify);
        reader.script = script.into_iter().collect();
        live.clients.push(reader);
        let client = live.clients.len() - 1;
        self.push(self.now, Ev::Client { node: v, client, inc });
        self.push(self.now + self.token(), Ev::Probe);
    }
}

fn close_conn(rec: &Shared, inc: Inc, conn: ConnId) {
    let mut r = rec.borrow_mut();
    let at = r.tick();
    if let Some(c) = r.h.conns.iter_mut().rev().find(|c| c.inc == inc && c.conn == conn) {
        c.closed = Some(at);
    }
}

/// A client learns its answer.
fn answered(c: &mut Client, msg: u16, st: u32, payload: &[u8], target: Target, rec: &Shared, inc: Inc) {
    match (c.kind, msg) {
        (Kind::Ckpt | Kind::Verify, p::OPEN) => {
            if let (status::OK, Ok(o)) = (st, p::Opened::decode(payload)) {
                let name = match c.kind {
                    Kind::Verify => c.script.last().map(|(n, _)| n.clone()),
                    _ => c.pending_name.take(),
                };
                if let Some(n) = name {
                    c.opened.insert(n, o.ckpt_id);
                }
            } else if c.kind == Kind::Verify {
                // Not there: every section of it reads as missing.
                if let Some((name, sections)) = c.script.pop() {
                    let mut r = rec.borrow_mut();
                    for section in sections {
                        r.h.reads.push(FinalRead {
                            inc,
                            name: name.clone(),
                            section,
                            data: None,
                        });
                    }
                }
            }
        }
        (Kind::Verify, p::READ) => {
            let Some((name, sections)) = c.script.last_mut() else {
                return;
            };
            let Some(section) = sections.pop() else { return };
            let data = match st {
                status::OK => p::ReadReply::decode(payload)
                    .ok()
                    .and_then(|r| r.elements.into_iter().next())
                    .map(|e| e.data),
                _ => None,
            };
            rec.borrow_mut().h.reads.push(FinalRead {
                inc,
                name: name.clone(),
                section,
                data,
            });
        }
        (Kind::Ckpt, p::SECTION_CREATE) if st == status::OK => {
            if let Target::Write { name, section, .. } = target {
                c.sections.push((name, section));
                c.made += 1;
            }
        }
        (Kind::Ckpt, p::CLOSE) if st == status::OK => {
            if let Some(name) = c.pending_name.take() {
                c.opened.remove(&name);
                c.sections.retain(|(n, _)| *n != name);
            }
        }
        (Kind::Cpg, cpg::JOIN) if st == status::OK => c.group = c.pending_name.take(),
        (Kind::Cpg, cpg::LEAVE) if st == status::OK => c.group = None,
        (Kind::Evt, _) => {
            if let Some(conn) = c.conn {
                evtsim::answered(&mut c.evt, msg, st, payload, &mut rec.borrow_mut().h, inc, conn);
            }
        }
        (Kind::Msg, ais_proto::msg::OPEN) if st == status::OK => {
            if let Some(q) = c.pending_name.take() {
                c.opened.insert(q, 0);
            }
        }
        (Kind::Msg, ais_proto::msg::CLOSE) if st == status::OK => c.opened.clear(),
        (Kind::Msg, ais_proto::msg::GET) if st == status::OK => {
            if let (Some(queue), Some(data)) = (c.opened.keys().next(), crate::msg::got(payload)) {
                let mut r = rec.borrow_mut();
                let at = r.tick();
                r.h.msg_gets.push(crate::msg::MsgGot {
                    queue: queue.clone(),
                    data,
                    at,
                });
            }
        }
        _ => {}
    }
    c.pending_name = None;
}
