//! The simulated network and the faults a scenario draws: who can reach
//! whom (partitions, one-way cuts), and when a datagram arrives, if at all
//! (latency and jitter, loss and duplication while faults are on).

use crate::rng::Rng;
use crate::scenario::Scenario;
use ais_totem::{Dest, NodeId, Time};
use std::collections::{HashMap, HashSet};

/// One fault action of a scenario's mix ([`Scenario::weights`], in this order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    Crash,
    Pause,
    Partition,
    OneWayCuts,
    /// A clean leave, then the crash.
    Leave,
    Heal,
}

impl Fault {
    const ALL: [Fault; 6] = [
        Fault::Crash,
        Fault::Pause,
        Fault::Partition,
        Fault::OneWayCuts,
        Fault::Leave,
        Fault::Heal,
    ];

    /// Draws an action by the scenario's weights (their sum must not be 0).
    pub fn pick(rng: &mut Rng, weights: &[u32; 6]) -> Fault {
        let total: u32 = weights.iter().sum();
        let mut pick = rng.range(0, total as u64 - 1) as u32;
        for (k, w) in weights.iter().enumerate() {
            if pick < *w {
                return Fault::ALL[k];
            }
            pick -= w;
        }
        Fault::Crash
    }
}

pub struct Network {
    /// Each node's side of the partition: nodes reach those of their side.
    groups: Vec<u8>,
    one_way: HashSet<(usize, usize)>,
    /// Loss and duplication only while faults are on.
    pub faults_on: bool,
    rng: Rng,
    latency: (Time, Time),
    drop_p: f64,
    dup_p: f64,
}

impl Network {
    /// `n` nodes, all connected; `rng` draws losses, duplicates and delays.
    pub fn new(sc: &Scenario, n: usize, rng: Rng) -> Network {
        Network {
            groups: vec![0; n],
            one_way: HashSet::new(),
            faults_on: true,
            rng,
            latency: sc.latency,
            drop_p: sc.drop_p,
            dup_p: sc.dup_p,
        }
    }

    pub fn blocked(&self, from: usize, to: usize) -> bool {
        self.groups[from] != self.groups[to] || self.one_way.contains(&(from, to))
    }

    /// Where and when a datagram sent at `now` from node `from` to `dest`
    /// arrives: `arrive(time, node)` once per copy (a duplicate first), for
    /// each node it reaches, in node order. `index_of` maps ids to nodes.
    pub fn send(
        &mut self,
        now: Time,
        from: usize,
        dest: Dest,
        index_of: &HashMap<NodeId, usize>,
        mut arrive: impl FnMut(Time, usize),
    ) {
        let targets: Vec<usize> = match dest {
            Dest::All => (0..self.groups.len()).filter(|&j| j != from).collect(),
            Dest::Node(id) => match index_of.get(&id) {
                Some(&j) if j != from => vec![j],
                _ => vec![],
            },
        };
        let (base, jitter) = self.latency;
        for to in targets {
            if self.blocked(from, to) {
                continue;
            }
            if self.faults_on && self.rng.chance(self.drop_p) {
                continue;
            }
            let at = now + base + self.rng.range(0, jitter);
            if self.faults_on && self.rng.chance(self.dup_p) {
                arrive(at + self.rng.range(0, 2 * base + jitter), to);
            }
            arrive(at, to);
        }
    }

    /// Splits the nodes into 2 or 3 sides, drawn from `rng`.
    pub fn partition(&mut self, rng: &mut Rng) {
        let parts = rng.range(2, 3);
        for g in self.groups.iter_mut() {
            *g = (rng.next_u64() % parts) as u8;
        }
    }

    /// Cuts some links one way, drawn from `rng`.
    pub fn cut_one_way(&mut self, rng: &mut Rng) {
        let n = self.groups.len() as u64;
        for _ in 0..rng.range(1, n) {
            let a = rng.range(0, n - 1) as usize;
            let b = rng.range(0, n - 1) as usize;
            if a != b {
                self.one_way.insert((a, b));
            }
        }
    }

    /// Every node reaches every other again.
    pub fn heal(&mut self) {
        self.groups.iter_mut().for_each(|g| *g = 0);
        self.one_way.clear();
    }
}
