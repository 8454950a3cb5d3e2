//! The core's own outputs, on a few nodes wired to each other directly.

use super::*;
use crate::wire::Packet;

/// Nodes whose datagrams reach every other node at once, and what each
/// output so far.
struct Net {
    nodes: Vec<Totem>,
    outputs: Vec<Vec<Output>>,
    now: Time,
}

impl Net {
    fn new(ids: &[NodeId], stored: u64) -> Net {
        let cfg = TotemConfig::from_token(1000, 4);
        let nodes = ids
            .iter()
            .map(|&id| {
                let opts = Options {
                    seed: u64::from(id),
                    ..Options::default()
                };
                Totem::new(cfg.clone(), id, stored, opts, 0).unwrap()
            })
            .collect();
        Net {
            nodes,
            outputs: vec![Vec::new(); ids.len()],
            now: 0,
        }
    }

    /// Runs for `ms` milliseconds of core time, 1 ms at a time.
    fn run(&mut self, ms_total: u64) {
        for _ in 0..ms_total {
            self.now += ms(1);
            let now = self.now;
            for t in &mut self.nodes {
                if t.next_timeout().is_some_and(|d| d <= now) {
                    t.handle_timeout(now);
                }
            }
            // Deliver until quiet.
            loop {
                let mut wire = Vec::new();
                for (i, t) in self.nodes.iter_mut().enumerate() {
                    while let Some(o) = t.poll_output() {
                        if let Output::Transmit { dest, data } = &o {
                            wire.push((i, *dest, data.clone()));
                        }
                        self.outputs[i].push(o);
                    }
                }
                if wire.is_empty() {
                    break;
                }
                for (from, dest, data) in wire {
                    for (j, t) in self.nodes.iter_mut().enumerate() {
                        let to_it = match dest {
                            Dest::All => j != from,
                            Dest::Node(id) => t.node_id() == id,
                        };
                        if to_it {
                            t.handle_datagram(now, &data);
                        }
                    }
                }
            }
        }
    }
}

/// A node never uses a ring sequence number it has not asked to be stored
/// first: every datagram it sends and every configuration it installs names
/// a ring whose number an earlier `PersistRingSeq` covers (the guarantee
/// the daemon's ring sequence file gives across restarts).
#[test]
fn ring_sequence_is_persisted_before_use() {
    let mut net = Net::new(&[1, 2, 3], 40);
    net.run(3000);
    for (i, outs) in net.outputs.iter().enumerate() {
        assert_eq!(
            outs.first(),
            Some(&Output::PersistRingSeq(44)),
            "node {i}: the first output stores the number past the stored one"
        );
        let mut stored = 0u64;
        let mut installed = 0;
        for o in outs {
            match o {
                Output::PersistRingSeq(seq) => {
                    assert!(*seq >= stored, "node {i}: stored numbers never go back");
                    stored = *seq;
                }
                Output::Transmit { data, .. } => {
                    let p = Packet::decode(data).unwrap();
                    assert!(
                        p.ring_id.seq <= stored,
                        "node {i} sent on ring {:?} with only {stored} stored",
                        p.ring_id
                    );
                }
                Output::ConfChange(c) => {
                    assert!(
                        c.ring_id.seq <= stored,
                        "node {i} installed {:?} with {stored} stored",
                        c.ring_id
                    );
                    if c.kind == ConfKind::Regular {
                        installed = c.members.len();
                    }
                }
                _ => {}
            }
        }
        assert_eq!(installed, 3, "node {i} ends in the ring of all three");
        assert!(stored > 44, "node {i} stored the ring it formed");
    }
}
