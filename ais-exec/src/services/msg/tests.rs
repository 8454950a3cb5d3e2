//! MSG over the test cluster (`services/testkit.rs`): several nodes' services
//! over one agreed order, the sync engine included. Section numbers are those of
//! SAI-AIS-MSG-B.03.01.

use super::limits::MsgLimits;
use super::service::MsgService;
use crate::services::clock::WallClock;
use crate::services::contract::{Handling, Reply, Service, Token};
use crate::services::testkit::Cluster;
use ais_proto::msg::{self as m, err, Attributes, Body, Message};
use ais_proto::status;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

type C = u8;

struct T {
    c: Cluster<MsgService<C>, C>,
    clock: Arc<AtomicI64>,
}

const Q: &[u8] = b"safMq=q";

fn attrs(flags: u32, size: u64, retention: i64) -> Attributes {
    Attributes {
        flags,
        size: [size; 4],
        retention,
    }
}

fn cluster_with(ids: &[u32], limits: MsgLimits) -> T {
    let clock = Arc::new(AtomicI64::new(1_000_000_000));
    let k = clock.clone();
    let wall = WallClock::new(move || k.load(Ordering::SeqCst));
    let c = Cluster::configured(ids, |id| MsgService::new(id, wall.clone(), limits));
    T { c, clock }
}

fn cluster(ids: &[u32]) -> T {
    cluster_with(ids, MsgLimits::default())
}

impl T {
    fn call(&mut self, node: u32, conn: C, id: u16, payload: Vec<u8>) -> Reply {
        self.c.call(node, conn, id, &payload)
    }

    fn open(&mut self, node: u32, conn: C, a: Option<Attributes>, flags: u32) -> u32 {
        let o = m::Open {
            name: Q.to_vec(),
            attributes: a,
            flags,
            invocation: None,
        };
        self.call(node, conn, m::OPEN, o.encode().unwrap()).status
    }

    fn send(&mut self, node: u32, conn: C, priority: u8, data: &[u8]) -> u32 {
        let s = m::Send {
            destination: Q.to_vec(),
            invocation: None,
            body: Body {
                r#type: 1,
                version: 2,
                priority,
                sender_name: None,
                data: data.to_vec(),
            },
        };
        self.call(node, conn, m::SEND, s.encode().unwrap()).status
    }

    fn get_request(timeout: i64, room: u64) -> Vec<u8> {
        m::Get {
            name: Q.to_vec(),
            room,
            timeout,
        }
        .encode()
        .unwrap()
    }

    /// A get that returns at once (timeout 0): its status and data.
    fn get(&mut self, node: u32, conn: C) -> (u32, Vec<u8>) {
        let r = self.call(node, conn, m::GET, Self::get_request(0, u64::MAX));
        let data = m::Got::decode(&r.payload).map(|g| g.body.data).unwrap_or_default();
        (r.status, data)
    }

    /// A get ordered but not run: its token.
    fn start_get(&mut self, node: u32, conn: C, timeout: i64) -> Token {
        match self.c.handle(node, conn, m::GET, &Self::get_request(timeout, u64::MAX)) {
            Handling::Ordered { message, token, .. } => {
                self.c.multicast(node, message);
                self.c.run();
                token
            }
            Handling::Now(r, _) => panic!("get answered at once: {r:?}"),
        }
    }

    fn status(&mut self, node: u32, conn: C) -> (u32, Option<m::Status>) {
        let r = self.call(node, conn, m::STATUS, m::QueueName(Q.to_vec()).encode().unwrap());
        (r.status, m::Status::decode(&r.payload).ok())
    }

    fn named(&mut self, node: u32, conn: C, id: u16) -> u32 {
        self.call(node, conn, id, m::QueueName(Q.to_vec()).encode().unwrap())
            .status
    }

    fn digests_agree(&self) -> bool {
        let d: Vec<_> = self.c.nodes.values().map(|s| s.digest()).collect();
        d.windows(2).all(|w| w[0] == w[1])
    }
}

/// 3.6.1 saMsgQueueOpen: a queue is opened by one process at a time (BUSY), a
/// missing queue needs SA_MSG_QUEUE_CREATE (NOT_EXIST), creation attributes that
/// differ from the queue's are EXIST, flags beyond the defined ones BAD_FLAGS.
#[test]
fn open_creates_once_and_a_second_opener_is_busy() {
    let mut t = cluster(&[1, 2, 3]);
    for n in [1, 2] {
        t.c.connect(n, 1, 10);
    }
    assert_eq!(t.open(1, 1, None, 0), status::NOT_EXIST);
    assert_eq!(t.open(1, 1, Some(attrs(0, 100, 0)), 0), status::INVALID_PARAM);
    assert_eq!(
        t.open(1, 1, Some(attrs(0, 100, 0)), 8 | m::OPEN_CREATE),
        status::BAD_FLAGS
    );
    assert_eq!(t.open(1, 1, Some(attrs(2, 100, 0)), m::OPEN_CREATE), status::BAD_FLAGS);
    assert_eq!(t.open(1, 1, Some(attrs(0, 100, 0)), m::OPEN_CREATE), status::OK);
    assert_eq!(t.open(2, 1, None, 0), err::BUSY);
    assert_eq!(t.named(1, 1, m::CLOSE), status::OK);
    assert_eq!(t.open(2, 1, Some(attrs(0, 99, 0)), m::OPEN_CREATE), status::EXIST);
    assert_eq!(t.open(2, 1, Some(attrs(0, 100, 0)), m::OPEN_CREATE), status::OK);
    assert!(t.digests_agree());
}

/// 3.8.3 saMsgMessageGet: the highest priority first, FIFO within one; 3.8.1
/// saMsgMessageSend: QUEUE_FULL when the message's priority area has no room,
/// whatever the others have.
#[test]
fn get_takes_highest_priority_first_and_each_area_fills_alone() {
    let mut t = cluster(&[1, 2, 3]);
    t.c.connect(1, 1, 10);
    t.c.connect(2, 2, 20);
    t.c.connect(3, 3, 30);
    assert_eq!(t.open(1, 1, Some(attrs(0, 6, 0)), m::OPEN_CREATE), status::OK);
    assert_eq!(t.send(2, 2, 3, b"low1"), status::OK);
    assert_eq!(t.send(3, 3, 0, b"hi1"), status::OK);
    assert_eq!(t.send(2, 2, 3, b"lo"), status::OK);
    assert_eq!(t.send(3, 3, 3, b"x"), err::QUEUE_FULL);
    assert_eq!(t.send(3, 3, 0, b"hi2"), status::OK);
    assert_eq!(t.send(3, 3, 1, b"mid"), status::OK);
    let (st, s) = t.status(3, 3);
    assert_eq!(st, status::OK);
    let s = s.unwrap();
    assert_eq!((s.usage[0].used, s.usage[0].messages, s.usage[3].used), (6, 2, 6));
    let mut got = Vec::new();
    loop {
        let (st, d) = t.get(1, 1);
        if st != status::OK {
            assert_eq!(st, status::TIMEOUT);
            break;
        }
        got.push(d);
    }
    assert_eq!(got, [&b"hi1"[..], b"hi2", b"mid", b"low1", b"lo"]);
    assert!(t.digests_agree());
    // Only the opener gets.
    assert_eq!(t.get(2, 2).0, status::BAD_HANDLE);
}

/// 3.8.3: a buffer too small for the message is NO_SPACE and the message stays.
#[test]
fn a_get_without_room_is_no_space_and_keeps_the_message() {
    let mut t = cluster(&[1, 2]);
    t.c.connect(1, 1, 10);
    assert_eq!(t.open(1, 1, Some(attrs(0, 100, 0)), m::OPEN_CREATE), status::OK);
    assert_eq!(t.send(1, 1, 0, b"twelve bytes"), status::OK);
    let r = t.call(1, 1, m::GET, T::get_request(0, 4));
    assert_eq!(
        (r.status, m::Size::decode(&r.payload)),
        (err::NO_SPACE, Ok(m::Size(12)))
    );
    assert_eq!(t.get(1, 1), (status::OK, b"twelve bytes".to_vec()));
}

/// 3.8.3: a get blocks until a message arrives or its timeout passes (TIMEOUT);
/// 3.8.5 saMsgMessageCancel ends the blocked gets with INTERRUPT, and is NOT_EXIST
/// when none is pending.
#[test]
fn blocking_get_is_woken_by_a_send_times_out_or_is_cancelled() {
    let mut t = cluster(&[1, 2]);
    t.c.connect(1, 1, 10);
    t.c.connect(2, 2, 20);
    assert_eq!(t.open(1, 1, Some(attrs(0, 100, 0)), m::OPEN_CREATE), status::OK);
    let tok = t.start_get(1, 1, 1_000_000);
    assert_eq!(t.c.answer(1, tok), None);
    assert_eq!(t.send(2, 2, 2, b"wake"), status::OK);
    let r = t.c.answer(1, tok).expect("answered by the send");
    assert_eq!(
        (r.status, m::Got::decode(&r.payload).unwrap().body.data),
        (status::OK, b"wake".to_vec())
    );

    let tok = t.start_get(1, 1, 1_000);
    t.clock.fetch_add(999, Ordering::SeqCst);
    t.c.tick(1);
    assert_eq!(t.c.answer(1, tok), None);
    t.clock.fetch_add(1, Ordering::SeqCst);
    t.c.tick(1);
    assert_eq!(t.c.answer(1, tok).map(|r| r.status), Some(status::TIMEOUT));

    assert_eq!(t.named(1, 1, m::CANCEL), status::NOT_EXIST);
    let a = t.start_get(1, 1, i64::MAX);
    let b = t.start_get(1, 1, i64::MAX);
    assert_eq!(t.named(1, 1, m::CANCEL), status::OK);
    assert_eq!(t.c.answer(1, a).map(|r| r.status), Some(err::INTERRUPT));
    assert_eq!(t.c.answer(1, b).map(|r| r.status), Some(err::INTERRUPT));
    assert_eq!(t.send(2, 2, 0, b"kept"), status::OK);
    assert_eq!(t.get(1, 1), (status::OK, b"kept".to_vec()));
}

/// 3.6.3 saMsgQueueClose keeps the queue and its messages; a non-persistent queue
/// is deleted once its retention time has passed after the close (3.6.5), a
/// persistent one lives until unlinked (3.6.6).
#[test]
fn close_keeps_messages_and_retention_deletes_non_persistent_queues() {
    let mut t = cluster(&[1, 2]);
    t.c.connect(1, 1, 10);
    t.c.connect(2, 2, 20);
    assert_eq!(t.open(1, 1, Some(attrs(0, 100, 5_000)), m::OPEN_CREATE), status::OK);
    assert_eq!(t.send(2, 2, 1, b"a"), status::OK);
    assert_eq!(t.named(1, 1, m::CLOSE), status::OK);
    assert_eq!(t.named(1, 1, m::CLOSE), status::BAD_HANDLE);
    let closed_at = t.clock.load(Ordering::SeqCst);
    assert_eq!(t.status(2, 2).1.unwrap().close_time, closed_at);
    assert_eq!(t.send(2, 2, 1, b"b"), status::OK);
    assert_eq!(t.open(2, 2, None, 0), status::OK);
    assert_eq!(t.get(2, 2), (status::OK, b"a".to_vec()));
    assert_eq!(t.named(2, 2, m::CLOSE), status::OK);
    t.clock.fetch_add(4_999, Ordering::SeqCst);
    t.c.tick(1);
    assert_eq!(t.status(2, 2).0, status::OK);
    t.clock.fetch_add(1, Ordering::SeqCst);
    t.c.tick(1);
    assert_eq!(t.status(2, 2).0, status::NOT_EXIST);
    assert!(t.digests_agree());

    assert_eq!(
        t.open(1, 1, Some(attrs(m::QUEUE_PERSISTENT, 100, 5)), m::OPEN_CREATE),
        status::OK
    );
    let ret = m::Retention {
        name: Q.to_vec(),
        retention: 1,
    };
    assert_eq!(
        t.call(1, 1, m::RETENTION, ret.encode().unwrap()).status,
        err::BAD_OPERATION
    );
    assert_eq!(t.named(1, 1, m::CLOSE), status::OK);
    t.clock.fetch_add(1_000_000, Ordering::SeqCst);
    t.c.tick(1);
    assert_eq!(t.status(2, 2).0, status::OK);
    assert_eq!(t.named(2, 2, m::UNLINK), status::OK);
    assert_eq!(t.status(2, 2).0, status::NOT_EXIST);
    assert_eq!(t.named(2, 2, m::UNLINK), status::NOT_EXIST);
}

/// 3.6.6 saMsgQueueUnlink of an open queue: gone for everybody else at once,
/// deleted at its close. 3.6.1: SA_MSG_QUEUE_EMPTY discards the messages.
#[test]
fn unlink_while_open_and_open_empty() {
    let mut t = cluster(&[1, 2]);
    t.c.connect(1, 1, 10);
    t.c.connect(2, 2, 20);
    assert_eq!(t.open(1, 1, Some(attrs(0, 100, 0)), m::OPEN_CREATE), status::OK);
    assert_eq!(t.send(2, 2, 1, b"a"), status::OK);
    assert_eq!(t.named(1, 1, m::CLOSE), status::OK);
    assert_eq!(t.open(2, 2, None, m::OPEN_EMPTY), status::OK);
    assert_eq!(t.get(2, 2).0, status::TIMEOUT);
    assert_eq!(t.named(1, 1, m::UNLINK), status::OK);
    assert_eq!(t.send(1, 1, 1, b"a"), status::NOT_EXIST);
    assert_eq!(t.named(2, 2, m::CLOSE), status::OK);
    assert!(t.c.nodes.values().all(|s| s.queues().map.is_empty()));
}

/// 3.6.1 SA_MSG_QUEUE_RECEIVE_CALLBACK: the opener is told of each message;
/// saMsgQueueOpenAsync and saMsgMessageSendAsync answer through callbacks.
#[test]
fn received_opened_and_delivered_callbacks() {
    let mut t = cluster(&[1, 2]);
    t.c.connect(1, 1, 10);
    t.c.connect(2, 2, 20);
    let o = m::Open {
        name: Q.to_vec(),
        attributes: Some(attrs(0, 4, 0)),
        flags: m::OPEN_CREATE | m::OPEN_RECEIVE_CALLBACK,
        invocation: Some(77),
    };
    assert_eq!(t.call(1, 1, m::OPEN, o.encode().unwrap()).status, status::OK);
    let cb = t.c.take_callbacks();
    assert_eq!(cb.len(), 1);
    assert_eq!((cb[0].node, cb[0].msg), (1, m::OPENED));
    assert_eq!(
        m::Opened::decode(&cb[0].payload),
        Ok(m::Opened {
            invocation: 77,
            error: status::OK
        })
    );
    for (inv, data) in [(5u64, &b"abc"[..]), (6, b"de")] {
        let s = m::Send {
            destination: Q.to_vec(),
            invocation: Some((inv, m::DELIVERED_ACK)),
            body: Body {
                data: data.to_vec(),
                ..Body::default()
            },
        };
        assert_eq!(t.call(2, 2, m::SEND, s.encode().unwrap()).status, status::OK);
    }
    // Each node's callbacks in order (the nodes deliver in turn).
    let cb = t.c.take_callbacks();
    let on = |n| cb.iter().filter(|c| c.node == n).collect::<Vec<_>>();
    let (one, two) = (on(1), on(2));
    assert_eq!(
        one.iter().map(|c| (c.conn, c.msg)).collect::<Vec<_>>(),
        [(1, m::RECEIVED)]
    );
    assert_eq!(m::QueueName::decode(&one[0].payload), Ok(m::QueueName(Q.to_vec())));
    let acks: Vec<_> = two
        .iter()
        .map(|c| (c.conn, c.msg, m::Opened::decode(&c.payload).unwrap()))
        .collect();
    let ack = |invocation, error| m::Opened { invocation, error };
    assert_eq!(
        acks,
        [
            (2, m::DELIVERED, ack(5, status::OK)),
            (2, m::DELIVERED, ack(6, err::QUEUE_FULL))
        ]
    );
}

/// req. Failures: the opener's node fails; the queue is closed with every message
/// it acknowledged, and a survivor opens it and gets them in order.
#[test]
fn the_openers_node_failing_closes_the_queue_with_its_messages() {
    let mut t = cluster(&[1, 2, 3]);
    t.c.connect(1, 1, 10);
    t.c.connect(2, 2, 20);
    t.c.connect(3, 3, 30);
    assert_eq!(t.open(1, 1, Some(attrs(0, 100, 1_000_000)), m::OPEN_CREATE), status::OK);
    let _blocked = t.start_get(1, 1, i64::MAX);
    // The first wakes the blocked get; the rest stay.
    for (n, d) in [(2, &b"0"[..]), (2, b"1"), (3, b"2"), (2, b"3")] {
        assert_eq!(t.send(n, n as u8, 2, d), status::OK);
    }
    t.c.configure(&[2, 3]);
    let s = t.status(3, 3).1.unwrap();
    assert_eq!(s.usage[2].messages, 3);
    assert_ne!(s.close_time, 0);
    assert!(t.c.nodes[&2].queues().map[Q].waiters.is_empty());
    assert_eq!(t.open(3, 3, None, 0), status::OK);
    let got: Vec<_> = (0..3).map(|_| t.get(3, 3).1).collect();
    assert_eq!(got, [&b"1"[..], b"2", b"3"]);
    assert!(
        t.c.nodes
            .iter()
            .filter(|(n, _)| **n != 1)
            .map(|(_, s)| s.digest())
            .collect::<std::collections::BTreeSet<_>>()
            .len()
            == 1
    );
}

/// A joining node receives every queue and message (the sync piece); a process
/// that dies closes its queues.
#[test]
fn a_joining_node_gets_the_queues_and_a_dead_process_closes_its_own() {
    let mut t = cluster(&[1, 2, 3]);
    t.c.connect(1, 1, 10);
    assert_eq!(t.open(1, 1, Some(attrs(0, 100, 0)), m::OPEN_CREATE), status::OK);
    assert_eq!(t.send(1, 1, 0, b"x"), status::OK);
    t.c.configure(&[1, 2]);
    t.c.configure(&[1, 2, 3]);
    assert!(t.digests_agree());
    assert_eq!(t.c.nodes[&3].queues().map[Q].areas[0].len(), 1);
    t.c.disconnect(1, 1);
    t.c.connect(3, 3, 30);
    assert_eq!(t.open(3, 3, None, 0), status::OK);
    assert_eq!(t.get(3, 3), (status::OK, b"x".to_vec()));
}

/// saMsg(3) MERGE AND FAILURE: after a partition each side kept its own queue;
/// at the merge the side with the lowest old representative wins the one both
/// held, and a queue one side created is kept.
#[test]
fn a_merge_keeps_the_lowest_sides_copy_and_one_sided_queues() {
    let mut t = cluster(&[1, 2, 3, 4]);
    t.c.connect(1, 1, 10);
    t.c.connect(3, 3, 30);
    assert_eq!(t.open(1, 1, Some(attrs(0, 100, 0)), m::OPEN_CREATE), status::OK);
    t.c.configure(&[1, 2]);
    t.c.configure(&[3, 4]);
    assert_eq!(t.send(3, 3, 0, b"on the high side"), status::OK);
    let other = m::Open {
        name: b"other".to_vec(),
        attributes: Some(attrs(0, 10, 0)),
        flags: m::OPEN_CREATE,
        invocation: None,
    };
    assert_eq!(t.call(3, 3, m::OPEN, other.encode().unwrap()).status, status::OK);
    t.c.configure(&[1, 2, 3, 4]);
    assert!(t.digests_agree());
    let qs = t.c.nodes[&4].queues();
    assert_eq!(qs.map[Q].areas[0].len(), 0);
    assert!(qs.map[Q].opener.is_some());
    assert!(qs.map[&b"other"[..]].opener.is_some());
}

/// saMsgLimitGet and the bounds: the number of queues, the message size.
#[test]
fn limits_are_reported_and_enforced() {
    let limits = MsgLimits {
        max_queues: 1,
        ..MsgLimits::default()
    };
    let mut t = cluster_with(&[1], limits);
    t.c.connect(1, 1, 10);
    let r = t.call(
        1,
        1,
        m::LIMIT,
        m::Limit {
            id: m::LIMIT_MAX_NUM_QUEUES,
            value: 0,
        }
        .encode()
        .unwrap(),
    );
    assert_eq!((r.status, m::Limit::decode(&r.payload).unwrap().value), (status::OK, 1));
    let r = t.call(1, 1, m::LIMIT, m::Limit { id: 99, value: 0 }.encode().unwrap());
    assert_eq!(r.status, status::INVALID_PARAM);
    assert_eq!(
        t.open(1, 1, Some(attrs(0, 1 << 30, 0)), m::OPEN_CREATE),
        status::INVALID_PARAM
    );
    assert_eq!(t.open(1, 1, Some(attrs(0, 1 << 20, 0)), m::OPEN_CREATE), status::OK);
    let o = m::Open {
        name: b"two".to_vec(),
        attributes: Some(attrs(0, 1, 0)),
        flags: m::OPEN_CREATE,
        invocation: None,
    };
    assert_eq!(t.call(1, 1, m::OPEN, o.encode().unwrap()).status, status::NO_RESOURCES);
    let big = vec![0; m::MAX_MESSAGE_SIZE as usize + 1];
    assert_eq!(t.send(1, 1, 0, &big), status::TOO_BIG);
}

/// A node that restarts comes back fresh: every node, itself included, closes the
/// queues its earlier incarnation had open (their messages stay), so the replicas
/// agree.
#[test]
fn a_restarted_nodes_earlier_queues_are_closed_everywhere() {
    let mut t = cluster(&[1, 2]);
    t.c.connect(1, 1, 10);
    assert_eq!(t.open(1, 1, Some(attrs(0, 100, 0)), m::OPEN_CREATE), status::OK);
    assert_eq!(t.send(1, 1, 0, b"x"), status::OK);
    let k = t.clock.clone();
    let wall = WallClock::new(move || k.load(Ordering::SeqCst));
    t.c.restart(1, MsgService::new(1, wall, MsgLimits::default()));
    t.c.configure(&[1, 2]);
    assert!(t.digests_agree());
    let q = &t.c.nodes[&2].queues().map[Q];
    assert_eq!((q.opener, q.areas[0].len()), (None, 1));
    t.c.connect(1, 3, 30);
    assert_eq!(t.open(1, 3, None, 0), status::OK);
}
