//! The simulator: many Totem instances in one process, a virtual clock and a
//! seeded network that drops, duplicates, reorders, delays and partitions
//! datagrams, with nodes crashing, pausing, leaving and restarting. A run has
//! a fault phase, then a healed phase in which the nodes must form one ring
//! and deliver what is sent.

use crate::checker::{check, Violation};
use crate::history::*;
use crate::net::{Fault, Network};
use crate::rng::Rng;
use crate::scenario::Scenario;
use crate::timeline::Timeline;
use ais_totem::{ms, Dest, Guarantee, NodeId, Options, Output, State, SubmitError, Time, Totem};
use bytes::Bytes;
use std::collections::{HashMap, HashSet};

/// The result of one seeded run.
#[derive(Debug)]
pub struct Outcome {
    pub seed: u64,
    pub nodes: usize,
    pub violations: Vec<Violation>,
    pub events: u64,
    pub delivered: u64,
    pub submitted: u64,
    pub rings_formed: u64,
    pub sim_time: Time,
    /// How long after healing one ring of all nodes formed.
    pub formed_after: Option<Time>,
    /// The token timeout of the run (the unit of the liveness bound).
    pub token: Time,
}

/// Datagrams a paused process's socket buffers before it drops more.
const PAUSED_INBOX: usize = 512;
/// A run that needs more events than this is stuck.
const EVENT_BUDGET: u64 = 40_000_000;

enum Ev {
    Datagram { to: usize, data: Bytes },
    Timer { node: usize },
    Submit { node: usize },
    Fault,
    Heal,
    Probe,
    Resume { node: usize },
    Restart { node: usize },
}

struct Node {
    id: NodeId,
    totem: Option<Totem>,
    /// Its "disk": the highest ring sequence number it stored, which
    /// survives its restarts. Stored at once when the core asks: outputs are
    /// handled in order and a crash falls between calls, never inside one.
    ring_seq_stored: u64,
    /// Index of its current incarnation in the history.
    inc: usize,
    paused: bool,
    inbox: Vec<Bytes>,
    timer_at: Option<Time>,
    counter: u64,
    /// Own messages submitted and not yet delivered back.
    own_pending: u64,
    /// Post-formation messages delivered.
    post_delivered: usize,
}

struct Sim {
    sc: Scenario,
    rng: Rng,
    net: Network,
    now: Time,
    queue: Timeline<Ev>,
    nodes: Vec<Node>,
    index_of: HashMap<NodeId, usize>,
    history: History,
    submitting: bool,
    healed_at: Option<Time>,
    formed_at: Option<Time>,
    post: HashSet<MsgId>,
    done: bool,
    /// Frames delivered (all nodes) at the last probe, and when that last grew.
    progress: (u64, Time),
    trace: bool,
    events: u64,
    delivered: u64,
    submitted: u64,
}

/// Runs one scenario and checks its history.
pub fn run(sc: &Scenario) -> Outcome {
    let mut rng = Rng::new(sc.seed ^ 0xA11CE);
    let net = rng.fork();
    let n = sc.node_ids.len();
    let mut sim = Sim {
        sc: sc.clone(),
        rng,
        net: Network::new(sc, n, net),
        now: 0,
        queue: Timeline::default(),
        nodes: Vec::with_capacity(n),
        index_of: sc.node_ids.iter().enumerate().map(|(i, &id)| (id, i)).collect(),
        history: History::default(),
        submitting: true,
        healed_at: None,
        formed_at: None,
        post: HashSet::new(),
        done: false,
        progress: (0, 0),
        trace: std::env::var_os("TOTEM_SIM_TRACE").is_some(),
        events: 0,
        delivered: 0,
        submitted: 0,
    };
    for &id in &sc.node_ids {
        sim.nodes.push(Node {
            id,
            totem: None,
            ring_seq_stored: 0,
            inc: 0,
            paused: false,
            inbox: Vec::new(),
            timer_at: None,
            counter: 0,
            own_pending: 0,
            post_delivered: 0,
        });
    }
    for i in 0..n {
        // Staggered starts.
        let at = sim.rng.range(0, ms(sc.totem.token as u64 * 2));
        sim.push(at, Ev::Restart { node: i });
        let at = sim.rng.range(0, sc.submit_interval * n as u64);
        sim.push(at, Ev::Submit { node: i });
    }
    if sc.weights.iter().sum::<u32>() > 0 {
        let at = sim.rng.range(0, sc.fault_interval);
        sim.push(at, Ev::Fault);
    }
    sim.push(sc.fault_phase, Ev::Heal);
    let mut stuck = false;
    while let Some((time, ev)) = sim.queue.pop() {
        sim.now = time;
        sim.events += 1;
        if sim.events > EVENT_BUDGET {
            stuck = true;
            break;
        }
        if sim.trace && sim.events.is_multiple_of(1_000_000) {
            println!(
                "{:>9.3} {} events, queue {}",
                sim.now as f64 / 1e6,
                sim.events,
                sim.queue.len()
            );
        }
        sim.handle(ev);
        if sim.done {
            break;
        }
    }
    let bound = ms(sc.totem.token as u64 * 10);
    sim.history.liveness = Some(Liveness {
        healed_at: sim.healed_at.unwrap_or(sc.fault_phase),
        bound,
        formed_at: sim.formed_at,
        after_formation: sim.post.iter().copied().collect(),
        survivors: sim
            .nodes
            .iter()
            .filter(|n| n.totem.is_some())
            .map(|n| sim.history.incarnations[n.inc].id)
            .collect(),
    });
    let mut violations = check(&sim.history);
    if stuck {
        violations.push(Violation {
            property: 7,
            detail: format!("run exceeded {EVENT_BUDGET} events"),
        });
    }
    let rings_formed = sim
        .nodes
        .iter()
        .filter_map(|n| n.totem.as_ref())
        .map(|t| t.stats().rings_formed)
        .sum();
    Outcome {
        seed: sc.seed,
        nodes: n,
        violations,
        events: sim.events,
        delivered: sim.delivered,
        submitted: sim.submitted,
        rings_formed,
        sim_time: sim.now,
        formed_after: sim.formed_at.map(|f| f - sim.healed_at.unwrap_or(0)),
        token: ms(sc.totem.token as u64),
    }
}

impl Sim {
    fn push(&mut self, time: Time, ev: Ev) {
        self.queue.push(time, ev);
    }

    fn token(&self) -> Time {
        ms(self.sc.totem.token as u64)
    }

    fn up(&self, i: usize) -> bool {
        self.nodes[i].totem.is_some() && !self.nodes[i].paused
    }

    fn handle(&mut self, ev: Ev) {
        match ev {
            Ev::Datagram { to, data } => {
                let node = &mut self.nodes[to];
                if node.totem.is_none() {
                    return;
                }
                if node.paused {
                    if node.inbox.len() < PAUSED_INBOX {
                        node.inbox.push(data);
                    }
                    return;
                }
                let now = self.now;
                node.totem.as_mut().unwrap().handle_datagram(now, &data);
                self.after_call(to);
            }
            Ev::Timer { node } => {
                self.nodes[node].timer_at = None;
                if !self.up(node) {
                    return;
                }
                let now = self.now;
                let t = self.nodes[node].totem.as_mut().unwrap();
                if t.next_timeout().is_some_and(|d| d <= now) {
                    t.handle_timeout(now);
                }
                self.after_call(node);
            }
            Ev::Submit { node } => {
                if self.submitting {
                    self.submit(node, false);
                    let next = self.now
                        + 1
                        + self
                            .rng
                            .range(0, 2 * self.sc.submit_interval * self.nodes.len() as u64 / 2);
                    self.push(next, Ev::Submit { node });
                }
            }
            Ev::Fault => {
                if self.net.faults_on {
                    self.fault();
                    let next = self.now
                        + self
                            .rng
                            .range(self.sc.fault_interval / 2, self.sc.fault_interval * 3 / 2);
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

    /// Drains a node's outputs into the network and the history, and keeps
    /// its timer scheduled.
    fn after_call(&mut self, i: usize) {
        let mut outs = Vec::new();
        let Some(t) = self.nodes[i].totem.as_mut() else { return };
        while let Some(o) = t.poll_output() {
            outs.push(o);
        }
        let next = t.next_timeout();
        for o in outs {
            self.output(i, o);
        }
        if let Some(t) = next {
            let node = &mut self.nodes[i];
            if node.timer_at.is_none_or(|s| t < s) {
                node.timer_at = Some(t);
                let t = t.max(self.now);
                self.push(t, Ev::Timer { node: i });
            }
        }
    }

    fn output(&mut self, i: usize, o: Output) {
        let now = self.now;
        let inc = self.nodes[i].inc;
        match o {
            Output::Transmit { dest, data } => self.send(i, dest, data),
            Output::Deliver(d) => {
                self.delivered += 1;
                let msg = if d.data.len() >= 8 {
                    u64::from_be_bytes(d.data[..8].try_into().unwrap())
                } else {
                    u64::MAX // cannot come from this simulator: the checker will flag it
                };
                let inc_id = self.history.incarnations[inc].id;
                if msg_origin(msg) == inc_id {
                    self.nodes[i].own_pending = self.nodes[i].own_pending.saturating_sub(1);
                }
                if self.post.contains(&msg) {
                    self.nodes[i].post_delivered += 1;
                }
                self.history.incarnations[inc].events.push(Event::Deliver {
                    time: now,
                    msg,
                    safe: d.guarantee == Guarantee::Safe,
                    frame: (d.ring_id, d.seq),
                });
            }
            Output::ConfChange(c) => {
                if self.trace {
                    println!(
                        "{:>9.3} node {} {:?} {:?} old {:?} members {:?}",
                        now as f64 / 1e6,
                        self.nodes[i].id,
                        c.kind,
                        c.ring_id,
                        c.old_ring_id,
                        c.members
                    );
                }
                self.history.incarnations[inc].events.push(Event::Conf {
                    time: now,
                    key: ConfKey {
                        kind: c.kind,
                        ring_id: c.ring_id,
                        old_ring_id: c.old_ring_id,
                    },
                    members: c.members,
                });
            }
            Output::Gather(why) => {
                if self.trace {
                    println!("{:>9.3} node {} gathers: {why}", now as f64 / 1e6, self.nodes[i].id);
                }
            }
            Output::PersistRingSeq(seq) => {
                let n = &mut self.nodes[i];
                n.ring_seq_stored = n.ring_seq_stored.max(seq);
            }
            Output::Received { ring_id, seq } => {
                let id = self.nodes[i].id;
                self.history.received.entry((ring_id, seq)).or_default().push((id, now));
            }
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

    fn submit(&mut self, i: usize, post: bool) -> bool {
        if !self.up(i) {
            return false;
        }
        let inc_id = self.history.incarnations[self.nodes[i].inc].id;
        self.nodes[i].counter += 1;
        let id = msg_id(inc_id, self.nodes[i].counter);
        let len = if self.rng.chance(self.sc.large_share) {
            self.rng.range(1000, self.sc.largest as u64) as usize
        } else {
            self.rng.range(8, 300) as usize
        };
        let mut data = vec![(id & 0xFF) as u8; len];
        data[..8].copy_from_slice(&id.to_be_bytes());
        let g = if self.rng.chance(self.sc.safe_share) {
            Guarantee::Safe
        } else {
            Guarantee::Agreed
        };
        let now = self.now;
        let r = self.nodes[i].totem.as_mut().unwrap().submit(now, Bytes::from(data), g);
        match r {
            Ok(()) => {
                self.submitted += 1;
                self.history.incarnations[self.nodes[i].inc].submitted.push(id);
                self.nodes[i].own_pending += 1;
                if post {
                    self.post.insert(id);
                }
                self.after_call(i);
                true
            }
            Err(SubmitError::QueueFull) | Err(SubmitError::TooLarge) => {
                self.nodes[i].counter -= 1;
                false
            }
        }
    }

    fn fault(&mut self) {
        let fault = Fault::pick(&mut self.rng, &self.sc.weights);
        let up: Vec<usize> = (0..self.nodes.len()).filter(|&i| self.up(i)).collect();
        let token = self.token();
        if self.trace {
            println!("{:>9.3} fault {fault:?}", self.now as f64 / 1e6);
        }
        match fault {
            Fault::Crash | Fault::Leave if !up.is_empty() => {
                let i = *self.rng.pick(&up);
                if fault == Fault::Leave {
                    let now = self.now;
                    self.nodes[i].totem.as_mut().unwrap().leave(now);
                    self.after_call(i);
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

    fn stop(&mut self, i: usize) {
        let node = &mut self.nodes[i];
        node.totem = None;
        node.paused = false;
        node.inbox.clear();
        node.own_pending = 0;
        self.history.incarnations[node.inc].ended = true;
    }

    fn restart(&mut self, i: usize) {
        if self.nodes[i].totem.is_some() {
            return;
        }
        let id = self.history.incarnations.len() as u32 + 1;
        self.history.incarnations.push(Incarnation {
            id,
            node: self.nodes[i].id,
            ..Default::default()
        });
        let opts = Options {
            seed: self.rng.next_u64(),
            observe_receptions: true,
            ..Options::default()
        };
        let node = &mut self.nodes[i];
        node.inc = self.history.incarnations.len() - 1;
        node.counter = 0;
        node.own_pending = 0;
        node.post_delivered = 0;
        node.timer_at = None;
        let totem = Totem::new(self.sc.totem.clone(), node.id, node.ring_seq_stored, opts, self.now)
            .expect("scenario configurations are valid");
        node.totem = Some(totem);
        self.after_call(i);
    }

    fn resume(&mut self, i: usize) {
        if !self.nodes[i].paused {
            return;
        }
        self.nodes[i].paused = false;
        let inbox = std::mem::take(&mut self.nodes[i].inbox);
        let now = self.now;
        for data in inbox {
            if let Some(t) = self.nodes[i].totem.as_mut() {
                t.handle_datagram(now, &data);
            }
            self.after_call(i);
        }
        if let Some(t) = self.nodes[i].totem.as_mut() {
            if t.next_timeout().is_some_and(|d| d <= now) {
                t.handle_timeout(now);
            }
        }
        self.nodes[i].timer_at = None;
        self.after_call(i);
    }

    fn heal(&mut self) {
        self.net.faults_on = false;
        self.healed_at = Some(self.now);
        self.net.heal();
        for i in 0..self.nodes.len() {
            if self.nodes[i].totem.is_none() {
                self.restart(i);
            } else if self.nodes[i].paused {
                self.resume(i);
            }
        }
        let step = self.token() / 10;
        self.push(self.now + step, Ev::Probe);
    }

    fn one_ring(&self) -> bool {
        let mut all: Vec<NodeId> = self.nodes.iter().map(|n| n.id).collect();
        all.sort_unstable();
        let mut ring = None;
        for n in &self.nodes {
            let Some(t) = &n.totem else { return false };
            if t.state() != State::Operational || !t.has_ring() {
                return false;
            }
            let (id, members) = t.ring();
            if members != all.as_slice() || ring.is_some_and(|r| r != id) {
                return false;
            }
            ring = Some(id);
        }
        true
    }

    fn probe(&mut self) {
        if self.trace {
            let states: Vec<String> = self
                .nodes
                .iter()
                .map(|n| match &n.totem {
                    Some(t) => format!("\n    {}: {}", n.id, t.describe()),
                    None => format!("{}:down", n.id),
                })
                .collect();
            println!("{:>9.3} probe {}", self.now as f64 / 1e6, states.join(" "));
        }
        let healed = self.healed_at.unwrap_or(0);
        let token = self.token();
        match self.formed_at {
            None if self.one_ring() => {
                self.formed_at = Some(self.now);
                self.progress = (0, self.now);
                self.submitting = false;
                for i in 0..self.nodes.len() {
                    for _ in 0..2 {
                        self.submit(i, true);
                    }
                }
            }
            None if self.now > healed + token * 60 => {
                self.done = true;
                return;
            }
            None => {}
            Some(_) => {
                // Wait while deliveries keep coming: a backlog queued during
                // the faults may take a while to drain. A ring that stops
                // delivering for 20 token timeouts has failed.
                let frames: u64 = self
                    .nodes
                    .iter()
                    .filter_map(|n| n.totem.as_ref())
                    .map(|t| t.stats().frames_delivered)
                    .sum();
                if frames != self.progress.0 {
                    self.progress = (frames, self.now);
                }
                let drained = self
                    .nodes
                    .iter()
                    .all(|n| n.own_pending == 0 && n.post_delivered == self.post.len());
                if drained || self.now > self.progress.1 + token * 20 {
                    self.done = true;
                    return;
                }
            }
        }
        self.push(self.now + token / 10, Ev::Probe);
    }
}
