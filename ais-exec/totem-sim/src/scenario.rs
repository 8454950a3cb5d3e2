//! A scenario's parameters, all drawn from its seed so that different seeds
//! stress different mixtures of faults.

use crate::rng::Rng;
use ais_totem::{ms, NodeId, Time, TotemConfig};

#[derive(Debug, Clone)]
pub struct Scenario {
    pub seed: u64,
    pub node_ids: Vec<NodeId>,
    pub totem: TotemConfig,
    /// One-way network delay: base plus a uniform jitter (reordering).
    pub latency: (Time, Time),
    pub drop_p: f64,
    pub dup_p: f64,
    /// Mean time between fault actions during the fault phase.
    pub fault_interval: Time,
    pub fault_phase: Time,
    /// Mean time between submissions of one node.
    pub submit_interval: Time,
    /// Share of messages asking for safe delivery.
    pub safe_share: f64,
    /// Share of messages that are large (fragmented).
    pub large_share: f64,
    pub largest: usize,
    /// Relative weights of crash, pause, partition, one-way cut, leave, heal.
    pub weights: [u32; 6],
}

impl Scenario {
    pub fn from_seed(seed: u64, min_nodes: usize, max_nodes: usize) -> Scenario {
        let mut r = Rng::new(seed);
        let n = r.range(min_nodes as u64, max_nodes as u64) as usize;
        // Distinct, scattered node ids: ring order must not depend on them
        // being small or dense.
        let mut node_ids: Vec<NodeId> = Vec::with_capacity(n);
        while node_ids.len() < n {
            let id = if r.chance(0.5) {
                r.range(1, 64) as NodeId
            } else {
                r.range(1, u32::MAX as u64) as NodeId
            };
            if !node_ids.contains(&id) {
                node_ids.push(id);
            }
        }
        // Scaled-down timeouts keep simulated time (and events) small; some
        // seeds run the defaults.
        let token = *r.pick(&[100u32, 150, 200, 300, 1000]);
        let mut totem = TotemConfig::from_token(token, r.range(2, 5) as u32);
        totem.join = (token / 20).max(5);
        totem.merge = (token / 5).max(20);
        totem.window_size = *r.pick(&[20u32, 50, 50, 100]);
        totem.max_messages = (*r.pick(&[5u32, 17, 17, 30])).min(totem.window_size);
        totem.miss_count_const = r.range(1, 5) as u32;
        totem.seqno_unchanged_const = r.range(3, 30) as u32;
        totem.fail_recv_const = r.range(50, 2500) as u32;
        totem.netmtu = *r.pick(&[1500u32, 1500, 9000, 600]);
        let base = r.range(20, 500) * 1000;
        let latency = (base, base * r.range(0, 3));
        let token_ns = ms(token as u64);
        Scenario {
            seed,
            node_ids,
            latency,
            drop_p: *r.pick(&[0.0, 0.001, 0.01, 0.05, 0.15]),
            dup_p: *r.pick(&[0.0, 0.0, 0.01, 0.05]),
            fault_interval: token_ns * r.range(1, 8),
            fault_phase: token_ns * r.range(8, 25),
            submit_interval: ms(r.range(1, 40)),
            safe_share: *r.pick(&[0.0, 0.3, 0.5, 1.0]),
            large_share: *r.pick(&[0.0, 0.01, 0.05]),
            largest: *r.pick(&[4_000usize, 40_000, 200_000]),
            weights: [
                r.range(0, 4) as u32,
                r.range(0, 4) as u32,
                r.range(0, 4) as u32,
                r.range(0, 2) as u32,
                r.range(0, 2) as u32,
                r.range(1, 4) as u32,
            ],
            totem,
        }
    }
}
