//! The engine's rules (corosync exec/sync.c: a round ends at the barrier of
//! every member; a new configuration aborts the round; held messages follow
//! activate), over nodes that share one agreed order.

use super::*;
use crate::ipc::AisVersion;
use crate::services::contract::{Effect, Handling, HostView, Reply};
use crate::services::testkit::Bus;
use std::sync::{Arc, Mutex};

/// What a test service saw, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seen {
    Init(RingId, Option<RingId>),
    Piece(NodeId, Vec<u8>),
    Activate,
    Abort,
    Delivered(NodeId, Vec<u8>),
}

type Log = Arc<Mutex<Vec<Seen>>>;

/// A service with replicated state: its piece is its node id repeated
/// `piece_len` times; request 1 needs synchronised state, request 2 not.
struct Probe {
    id: u16,
    me: NodeId,
    piece_len: usize,
    log: Log,
}

impl Service<u32> for Probe {
    fn id(&self) -> ServiceId {
        ServiceId(self.id)
    }
    fn version(&self) -> AisVersion {
        AisVersion::new(0, 0, 0)
    }
    fn disconnected(&mut self, _: u32) -> Output<u32> {
        Vec::new()
    }
    fn request(&mut self, _: u32, _: u16, _: &[u8], _: &dyn HostView) -> Handling<u32> {
        Handling::reply(Reply::status(1))
    }
    fn delivered(&mut self, sender: NodeId, data: &[u8], _: u64) -> Output<u32> {
        self.log.lock().unwrap().push(Seen::Delivered(sender, data.to_vec()));
        vec![Effect::Multicast(data.to_vec())]
    }
    fn replicated(&self) -> bool {
        true
    }
    fn needs_sync(&self, _: u32, msg: u16, _: &[u8]) -> bool {
        msg == 1
    }
    fn sync_init(&mut self, round: &Round<'_>) -> Vec<Vec<u8>> {
        self.log.lock().unwrap().push(Seen::Init(round.ring, round.old_ring));
        vec![vec![self.me as u8; self.piece_len]]
    }
    fn sync_receive(&mut self, sender: NodeId, piece: &[u8]) {
        self.log.lock().unwrap().push(Seen::Piece(sender, piece.to_vec()));
    }
    fn sync_activate(&mut self, _: u64) -> Output<u32> {
        self.log.lock().unwrap().push(Seen::Activate);
        vec![Effect::Multicast(b"activated".to_vec())]
    }
    fn sync_abort(&mut self) -> Held {
        self.log.lock().unwrap().push(Seen::Abort);
        Held::Apply
    }
}

/// A message on the bus: the engine's, or the probe's.
#[derive(Debug, Clone)]
enum Msg {
    Sync(Vec<u8>),
    Probe(Vec<u8>),
}

struct Node {
    engine: SyncEngine,
    services: Vec<Box<dyn Service<u32>>>,
    log: Log,
    /// What the engine had carried out, per slot, in order.
    effects: Vec<(usize, Output<u32>)>,
}

struct Net {
    nodes: BTreeMap<NodeId, Node>,
    bus: Bus<Msg>,
}

const PROBE: u16 = 77;

impl Net {
    fn new(ids: &[NodeId], piece_len: usize) -> Net {
        let nodes = ids
            .iter()
            .map(|&id| {
                let log = Log::default();
                let probe = Probe {
                    id: PROBE,
                    me: id,
                    piece_len,
                    log: log.clone(),
                };
                let node = Node {
                    engine: SyncEngine::new(),
                    services: vec![Box::new(probe)],
                    log,
                    effects: Vec::new(),
                };
                (id, node)
            })
            .collect();
        Net {
            nodes,
            bus: Bus::default(),
        }
    }

    fn node(&mut self, id: NodeId) -> &mut Node {
        self.nodes.get_mut(&id).unwrap()
    }

    /// A regular configuration on each member; the engine messages queue.
    fn configure(&mut self, ring: RingId, members: &[NodeId]) {
        for &m in members {
            let n = self.nodes.get_mut(&m).unwrap();
            let acts = n.engine.configuration(&mut n.services[..], ring, members, &[], 0);
            for a in acts {
                match a {
                    Action::Send(b) => self.bus.send(m, members, Msg::Sync(b)),
                    Action::Effects(slot, fx) => n.effects.push((slot, fx)),
                }
            }
        }
    }

    /// Delivers the next queued message to its recipients.
    fn step(&mut self) -> bool {
        let Some((sender, to, m)) = self.bus.queue.pop_front() else {
            return false;
        };
        for id in to {
            let n = self.nodes.get_mut(&id).unwrap();
            match &m {
                Msg::Sync(b) => {
                    for a in n.engine.delivered(&mut n.services[..], sender, b, 0) {
                        if let Action::Effects(slot, fx) = a {
                            n.effects.push((slot, fx));
                        }
                    }
                }
                Msg::Probe(b) => {
                    if !n.engine.hold(&n.services[..], 0, sender, b) {
                        let fx = n.services[0].delivered(sender, b, 0);
                        n.effects.push((0, fx));
                    }
                }
            }
        }
        true
    }

    fn run(&mut self) {
        while self.step() {}
    }

    fn seen(&mut self, id: NodeId) -> Vec<Seen> {
        std::mem::take(&mut *self.node(id).log.lock().unwrap())
    }
}

fn ring(rep: NodeId, seq: u64) -> RingId {
    RingId { rep, seq }
}

#[test]
fn a_round_completes_only_when_every_members_barrier_has_arrived() {
    let mut net = Net::new(&[1, 2, 3], 4);
    net.configure(ring(1, 4), &[1, 2, 3]);
    // Each node sent one piece and one barrier: six messages.
    assert_eq!(net.bus.queue.len(), 6);
    for _ in 0..5 {
        net.step();
        assert!(net.nodes.values().all(|n| !n.engine.is_synced()));
    }
    assert!(
        !net.node(1).log.lock().unwrap().contains(&Seen::Activate),
        "not before the last barrier"
    );
    net.step();
    for id in [1, 2, 3] {
        assert!(net.node(id).engine.is_synced());
        let seen = net.seen(id);
        assert_eq!(seen.last(), Some(&Seen::Activate));
        let pieces: Vec<NodeId> = seen
            .iter()
            .filter_map(|s| match s {
                Seen::Piece(from, _) => Some(*from),
                _ => None,
            })
            .collect();
        assert_eq!(pieces, vec![1, 2, 3], "every member's piece, in agreed order");
    }
    // The next round knows the ring this node last completed.
    net.configure(ring(1, 8), &[1, 2]);
    assert_eq!(net.seen(1), vec![Seen::Init(ring(1, 8), Some(ring(1, 4)))]);
}

#[test]
fn a_barrier_of_another_ring_or_a_stranger_does_not_complete_a_round() {
    let mut net = Net::new(&[1, 2], 0);
    net.configure(ring(1, 4), &[1, 2]);
    let stale = SyncMsg::Barrier { ring: ring(1, 0) }.encode();
    let n = net.node(1);
    assert!(n.engine.delivered(&mut n.services[..], 2, &stale, 0).is_empty());
    let mine = SyncMsg::Barrier { ring: ring(1, 4) }.encode();
    assert!(n.engine.delivered(&mut n.services[..], 9, &mine, 0).is_empty());
    assert!(n.engine.delivered(&mut n.services[..], 1, &mine, 0).is_empty());
    assert!(!n.engine.is_synced());
    assert_eq!(n.engine.delivered(&mut n.services[..], 2, &mine, 0).len(), 1);
    assert!(n.engine.is_synced());
}

#[test]
fn a_configuration_during_a_round_aborts_it_and_the_new_round_wins() {
    let mut net = Net::new(&[1, 2, 3], 2);
    net.configure(ring(1, 4), &[1, 2, 3]);
    // Node 1's piece and barrier and node 2's piece arrive; then node 3
    // leaves before the round completes. What is left of the old round is
    // still delivered (as Totem would, before the new configuration).
    for _ in 0..3 {
        net.step();
    }
    net.configure(ring(1, 8), &[1, 2]);
    net.run();
    for id in [1, 2] {
        assert!(net.node(id).engine.is_synced());
        let seen = net.seen(id);
        let abort = seen
            .iter()
            .position(|s| *s == Seen::Abort)
            .expect("the round was aborted");
        let after: Vec<Seen> = seen[abort + 1..].to_vec();
        assert_eq!(
            after,
            vec![
                Seen::Init(ring(1, 8), None),
                Seen::Piece(1, vec![1, 1]),
                Seen::Piece(2, vec![2, 2]),
                Seen::Activate,
            ],
            "only the new round's pieces, then one activate"
        );
        assert_eq!(seen.iter().filter(|s| **s == Seen::Activate).count(), 1);
    }
}

#[test]
fn messages_held_during_a_round_are_applied_after_activate_in_order() {
    let mut net = Net::new(&[1, 2], 0);
    net.configure(ring(1, 4), &[1, 2]);
    net.run();
    net.seen(1);
    net.node(1).effects.clear();
    net.configure(ring(1, 8), &[1, 2]);
    // Node 1's piece, then two service messages, then the rest.
    net.step();
    net.bus.queue.insert(1, (2, vec![1, 2], Msg::Probe(b"m1".to_vec())));
    net.bus.queue.insert(2, (1, vec![1, 2], Msg::Probe(b"m2".to_vec())));
    net.step();
    net.step();
    net.step();
    assert!(
        !net.seen(1).iter().any(|s| matches!(s, Seen::Delivered(..))),
        "held during the round"
    );
    net.run();
    let seen = net.seen(1);
    assert_eq!(
        &seen[seen.len() - 3..],
        &[
            Seen::Activate,
            Seen::Delivered(2, b"m1".to_vec()),
            Seen::Delivered(1, b"m2".to_vec())
        ]
    );
    // Their effects follow activate's, in the same order.
    let fx: Vec<Output<u32>> = net.node(1).effects.drain(..).map(|(_, fx)| fx).collect();
    assert_eq!(
        fx,
        vec![
            vec![Effect::Multicast(b"activated".to_vec())],
            vec![Effect::Multicast(b"m1".to_vec())],
            vec![Effect::Multicast(b"m2".to_vec())],
        ]
    );
    // Outside a round nothing is held.
    net.bus.send(2, &[1, 2], Msg::Probe(b"m3".to_vec()));
    net.run();
    assert_eq!(net.seen(1), vec![Seen::Delivered(2, b"m3".to_vec())]);
}

#[test]
fn messages_held_by_an_aborted_round_are_applied_before_the_next_round_starts() {
    let mut net = Net::new(&[1, 2], 0);
    net.configure(ring(1, 4), &[1, 2]);
    net.bus.send(2, &[1, 2], Msg::Probe(b"m1".to_vec()));
    net.step();
    net.bus.queue.retain(|(_, _, m)| matches!(m, Msg::Probe(_)));
    net.run();
    assert!(net.seen(1).iter().all(|s| !matches!(s, Seen::Delivered(..))));
    net.configure(ring(1, 8), &[1, 2]);
    let seen = net.seen(1);
    assert_eq!(
        seen,
        vec![
            Seen::Abort,
            Seen::Delivered(2, b"m1".to_vec()),
            Seen::Init(ring(1, 8), None)
        ]
    );
}

#[test]
fn requests_that_need_synchronised_state_answer_busy_until_activate() {
    let mut net = Net::new(&[1, 2], 0);
    let busy = |net: &mut Net, msg: u16| {
        let n = net.node(1);
        n.engine.refuses(&n.services[..], 0, 5, msg, &[])
    };
    assert!(busy(&mut net, 1), "before the first round completes");
    assert!(!busy(&mut net, 2), "a request that needs no synced state");
    net.configure(ring(1, 4), &[1, 2]);
    assert!(busy(&mut net, 1));
    net.run();
    assert!(!busy(&mut net, 1));
    net.configure(ring(1, 8), &[1, 2]);
    assert!(busy(&mut net, 1), "during every round");
    assert!(!busy(&mut net, 2));
    net.run();
    assert!(!busy(&mut net, 1));
}

#[test]
fn pieces_larger_than_a_chunk_are_sent_in_chunks_and_received_whole() {
    let len = 3 * CHUNK_BYTES + 5;
    let mut net = Net::new(&[1, 2], len);
    net.configure(ring(1, 4), &[1, 2]);
    // Four chunks and a barrier from each node.
    assert_eq!(net.bus.queue.len(), 10);
    for (_, _, m) in &net.bus.queue {
        let Msg::Sync(b) = m else { panic!() };
        assert!(b.len() <= CHUNK_BYTES + 32, "{} bytes", b.len());
    }
    net.run();
    let seen = net.seen(2);
    assert_eq!(
        &seen[1..],
        &[
            Seen::Piece(1, vec![1; len]),
            Seen::Piece(2, vec![2; len]),
            Seen::Activate
        ]
    );
    // An empty piece still reaches every member, once.
    let mut net = Net::new(&[1], 0);
    net.configure(ring(1, 4), &[1]);
    net.run();
    assert_eq!(net.seen(1)[1], Seen::Piece(1, Vec::new()));
}

#[test]
fn engine_messages_round_trip_and_garbage_is_refused_without_panic() {
    let samples = [
        SyncMsg::Piece {
            ring: ring(3, 12),
            service: 2,
            more: true,
            data: vec![1, 2, 3],
        },
        SyncMsg::Barrier { ring: ring(3, 12) },
    ];
    for m in samples {
        let b = m.encode();
        assert_eq!(SyncMsg::decode(&b), Ok(m));
        for n in 0..b.len() {
            assert!(SyncMsg::decode(&b[..n]).is_err());
        }
    }
    assert!(SyncMsg::decode(&[codec::VERSION, 9]).is_err());
    let mut net = Net::new(&[1], 0);
    let n = net.node(1);
    assert!(n.engine.delivered(&mut n.services[..], 1, &[0xff; 40], 0).is_empty());
}

/// A round tells the services whether this node's old ring was quorate
/// (openais.conf(5), THE QUORUM BLOCK: in a merge a quorate side wins).
#[test]
fn a_round_carries_whether_the_old_ring_was_quorate() {
    struct Sees(Vec<Option<bool>>);
    impl Service<u32> for Sees {
        fn id(&self) -> ServiceId {
            ServiceId(PROBE)
        }
        fn version(&self) -> AisVersion {
            AisVersion::new(0, 0, 0)
        }
        fn disconnected(&mut self, _: u32) -> Output<u32> {
            Vec::new()
        }
        fn request(&mut self, _: u32, _: u16, _: &[u8], _: &dyn HostView) -> Handling<u32> {
            Handling::reply(Reply::status(1))
        }
        fn delivered(&mut self, _: NodeId, _: &[u8], _: u64) -> Output<u32> {
            Vec::new()
        }
        fn sync_init(&mut self, round: &Round<'_>) -> Vec<Vec<u8>> {
            self.0.push(round.old_quorate);
            Vec::new()
        }
    }
    let mut s = Sees(Vec::new());
    let mut engine = SyncEngine::new();
    // Each ring's round completes on its own messages (one node).
    for (seq, quorate) in [(4, true), (8, false), (12, false)] {
        engine.set_quorate(Some(quorate));
        let ring = RingId { rep: 1, seq };
        let sends: Vec<Vec<u8>> = engine
            .configuration(&mut One(&mut s), ring, &[1], &[], 0)
            .into_iter()
            .filter_map(|a| match a {
                Action::Send(b) => Some(b),
                Action::Effects(..) => None,
            })
            .collect();
        for b in sends {
            engine.delivered(&mut One(&mut s), 1, &b, 0);
        }
        assert!(engine.is_synced());
    }
    assert_eq!(s.0, vec![None, Some(true), Some(false)]);
}
