//! How many application messages per second a 3-node ring orders through the
//! protocol core, on one core, over a network that costs nothing: every
//! datagram is handed to its receivers at once. Prints figures; never fails
//! on a number.
//!
//! `cargo bench -p ais-totem` (add `-- --quick` for a short run).

use ais_totem::{Dest, Guarantee, Options, Output, Totem, TotemConfig};
use bytes::Bytes;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

struct Ring {
    nodes: Vec<Totem>,
    wire: VecDeque<(usize, Dest, Bytes)>,
    delivered: Vec<u64>,
    bytes: u64,
    now: u64,
}

impl Ring {
    fn new(cfg: &TotemConfig, n: usize) -> Ring {
        let nodes = (1..=n as u32)
            .map(|id| Totem::new(cfg.clone(), id, 0, Options::default(), 0).unwrap())
            .collect();
        let mut r = Ring {
            nodes,
            wire: VecDeque::new(),
            delivered: vec![0; n],
            bytes: 0,
            now: 0,
        };
        r.drain_all();
        r
    }

    fn drain(&mut self, i: usize) {
        while let Some(o) = self.nodes[i].poll_output() {
            match o {
                Output::Transmit { dest, data } => self.wire.push_back((i, dest, data)),
                Output::Deliver(d) => {
                    self.delivered[i] += 1;
                    self.bytes += d.data.len() as u64;
                }
                _ => {}
            }
        }
    }

    fn drain_all(&mut self) {
        for i in 0..self.nodes.len() {
            self.drain(i);
        }
    }

    /// Moves datagrams until the network is empty; the protocol clock
    /// advances a microsecond per datagram so timers behave.
    fn pump(&mut self) {
        while let Some((from, dest, data)) = self.wire.pop_front() {
            self.now += 1_000;
            for j in 0..self.nodes.len() {
                let to_j = match dest {
                    Dest::All => j != from,
                    Dest::Node(id) => self.nodes[j].node_id() == id,
                };
                if to_j {
                    self.nodes[j].handle_datagram(self.now, &data);
                    self.drain(j);
                }
            }
            if self.wire.len() < 4 {
                for j in 0..self.nodes.len() {
                    if self.nodes[j].next_timeout().is_some_and(|t| t <= self.now) {
                        self.nodes[j].handle_timeout(self.now);
                        self.drain(j);
                    }
                }
            }
        }
    }

    fn form(&mut self) {
        for _ in 0..100_000 {
            self.now += 1_000_000;
            for j in 0..self.nodes.len() {
                if self.nodes[j].next_timeout().is_some_and(|t| t <= self.now) {
                    self.nodes[j].handle_timeout(self.now);
                    self.drain(j);
                }
            }
            self.pump();
            if self
                .nodes
                .iter()
                .all(|t| t.state() == ais_totem::State::Operational && t.ring().1.len() == 3)
            {
                return;
            }
        }
        panic!("ring did not form");
    }
}

fn run(label: &str, cfg: &TotemConfig, size: usize, guarantee: Guarantee, duration: Duration) {
    let mut ring = Ring::new(cfg, 3);
    ring.form();
    let payload = Bytes::from(vec![0x5Au8; size]);
    let start = Instant::now();
    let before = ring.delivered[0];
    let bytes_before = ring.bytes;
    let mut rounds = 0u64;
    while start.elapsed() < duration {
        // Keep every sender's queue full, then let the ring work.
        for j in 0..3 {
            while ring.nodes[j].queued() < 2_000 {
                let now = ring.now;
                if ring.nodes[j].submit(now, payload.clone(), guarantee).is_err() {
                    break;
                }
            }
            ring.drain(j);
        }
        ring.pump();
        rounds += 1;
        // The pump ends when the token is held or in flight; nudge timers.
        ring.now += 200_000_000;
        for j in 0..3 {
            if ring.nodes[j].next_timeout().is_some_and(|t| t <= ring.now) {
                ring.nodes[j].handle_timeout(ring.now);
                ring.drain(j);
            }
        }
        let _ = rounds;
    }
    let secs = start.elapsed().as_secs_f64();
    let msgs = ring.delivered[0] - before;
    let total = (ring.bytes - bytes_before) as f64 / 3.0;
    println!(
        "{label:<28} {size:>6} B {:?}: {:>10.0} msgs/s ordered ({:.1} MB/s), {} messages in {:.2} s",
        guarantee,
        msgs as f64 / secs,
        total / secs / 1e6,
        msgs,
        secs
    );
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let d = Duration::from_millis(if quick { 300 } else { 2_000 });
    println!("3-node ring, zero-cost in-memory network, one thread (messages delivered at one node)");
    let defaults = TotemConfig::default();
    for &size in &[64usize, 1024] {
        run("defaults (window 50)", &defaults, size, Guarantee::Agreed, d);
    }
    run("defaults (window 50)", &defaults, 64, Guarantee::Safe, d);
    let wide = TotemConfig {
        window_size: 500,
        max_messages: 200,
        ..TotemConfig::default()
    };
    for &size in &[64usize, 1024] {
        run("window 500, max_messages 200", &wide, size, Guarantee::Agreed, d);
    }
}
