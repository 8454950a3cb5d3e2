//! The core's own outputs, on a few nodes wired to each other directly.

use super::*;
use crate::wire::Packet;

/// Nodes whose datagrams reach every other node at once, and what each
/// output so far.
struct Net {
    nodes: Vec<Totem>,
    outputs: Vec<Vec<Output>>,
    now: Time,
    /// Crashed: neither runs nor receives.
    down: Vec<bool>,
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
            down: vec![false; ids.len()],
        }
    }

    /// Runs for `ms` milliseconds of core time, 1 ms at a time.
    fn run(&mut self, ms_total: u64) {
        for _ in 0..ms_total {
            self.now += ms(1);
            let now = self.now;
            for (i, t) in self.nodes.iter_mut().enumerate() {
                if !self.down[i] && t.next_timeout().is_some_and(|d| d <= now) {
                    t.handle_timeout(now);
                }
            }
            // Deliver until quiet.
            loop {
                let mut wire = Vec::new();
                for (i, t) in self.nodes.iter_mut().enumerate() {
                    if self.down[i] {
                        continue;
                    }
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
                        let to_it = !self.down[j]
                            && match dest {
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

impl Net {
    /// The reasons node `i` gave for gathering since output `from`.
    fn reasons(&self, i: usize, from: usize) -> Vec<GatherReason> {
        self.outputs[i][from..]
            .iter()
            .filter_map(|o| match o {
                Output::Gather(r) => Some(r.clone()),
                _ => None,
            })
            .collect()
    }

    /// Members of node `i`'s last regular configuration.
    fn members(&self, i: usize) -> Vec<NodeId> {
        self.outputs[i]
            .iter()
            .rev()
            .find_map(|o| match o {
                Output::ConfChange(c) if c.kind == ConfKind::Regular => Some(c.members.clone()),
                _ => None,
            })
            .unwrap_or_default()
    }
}

/// Every time the core leaves a ring to gather a new membership it says why
/// (corosync logs "The token was lost in the OPERATIONAL state.", "A
/// processor joined or left the membership...", "The consensus timeout
/// expired."), for the driver to log with the new configuration.
#[test]
fn the_reason_for_a_new_membership_is_reported() {
    let mut net = Net::new(&[1, 2, 3, 4], 0);
    // Node 4 starts late: it is off until the others formed their ring.
    net.down[3] = true;
    net.run(3000);
    for i in 0..3 {
        assert_eq!(net.reasons(i, 0).first(), Some(&GatherReason::Start), "node {i}");
        assert_eq!(net.members(i), vec![1, 2, 3]);
    }

    // A node joins: the members hear its join message.
    let mark: Vec<usize> = net.outputs.iter().map(Vec::len).collect();
    net.down[3] = false;
    net.run(3000);
    for (i, &from) in mark.iter().enumerate().take(3) {
        let r = net.reasons(i, from);
        assert!(
            matches!(
                r.first(),
                Some(GatherReason::JoinReceived(4)) | Some(GatherReason::MergeDetected { from: 4, .. })
            ),
            "node {i}: {r:?}"
        );
        assert_eq!(net.members(i), vec![1, 2, 3, 4]);
    }

    // A node crashes: the first survivor whose token timer expires reports
    // the token lost in the operational state; the others may hear its join
    // message before their own timer expires, and say so.
    let mark: Vec<usize> = net.outputs.iter().map(Vec::len).collect();
    net.down[2] = true;
    net.run(6000);
    let survivors = [0, 1, 3];
    let all: Vec<Vec<GatherReason>> = survivors.iter().map(|&i| net.reasons(i, mark[i])).collect();
    assert!(
        all.iter()
            .any(|r| r.first() == Some(&GatherReason::TokenLost(State::Operational))),
        "{all:?}"
    );
    for (r, &i) in all.iter().zip(&survivors) {
        assert!(
            matches!(
                r.first(),
                Some(GatherReason::TokenLost(State::Operational)) | Some(GatherReason::JoinReceived(_))
            ),
            "node {i}: {r:?}"
        );
        assert_eq!(net.members(i), vec![1, 2, 4]);
    }

    // A node leaves cleanly: the others got its leave message.
    let mark: Vec<usize> = net.outputs.iter().map(Vec::len).collect();
    let now = net.now;
    net.nodes[3].leave(now);
    net.run(3000);
    for i in [0, 1] {
        let r = net.reasons(i, mark[i]);
        assert_eq!(r.first(), Some(&GatherReason::LeaveReceived(4)), "node {i}: {r:?}");
        assert_eq!(net.members(i), vec![1, 2]);
    }
}
