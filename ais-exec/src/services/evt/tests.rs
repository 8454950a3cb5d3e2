//! EVT against the SA Forum behaviour, several nodes over the testkit's agreed-order bus.

use super::delivery::DeliveryQueue;
use super::service::EvtService;
use crate::services::clock::WallClock;
use crate::services::contract::Service;
use crate::services::testkit::Cluster;
use ais_proto::evt::{self as msg, *};
use ais_proto::{status, Message};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

type Net = Cluster<EvtService<u8>, u8>;

const T0: i64 = 1_700_000_000_000_000_000;
const SEC: i64 = 1_000_000_000;

fn net(ids: &[u32], members: &[u32], q: DeliveryQueue) -> (Net, Arc<AtomicI64>) {
    let clock = Arc::new(AtomicI64::new(T0));
    let c = clock.clone();
    let wall = WallClock::new(move || c.load(Ordering::SeqCst));
    let mut n = Net::new(ids, |id| EvtService::new(id, q, wall.clone()));
    n.configure(members);
    (n, clock)
}

fn open(n: &mut Net, node: u32, conn: u8, open_id: u32, name: &[u8], flags: u8) -> u32 {
    let o = Open {
        open_id,
        name: name.to_vec(),
        flags,
    };
    n.call(node, conn, msg::OPEN, &o.encode().unwrap()).status
}

fn publish(n: &mut Net, node: u32, conn: u8, open_id: u32, priority: u8, retention: i64, pattern: &[u8]) -> (u32, u64) {
    let p = Publish {
        open_id,
        attributes: Attributes {
            priority,
            retention,
            publisher: b"p".to_vec(),
            patterns: vec![pattern.to_vec()],
        },
        data: pattern.to_vec(),
    };
    let r = n.call(node, conn, msg::PUBLISH, &p.encode().unwrap());
    (r.status, EventId::decode(&r.payload).map_or(0, |e| e.0))
}

fn subscribe(n: &mut Net, node: u32, conn: u8, open_id: u32, sub_id: u32, filters: Vec<Filter>) -> u32 {
    let s = Subscribe {
        open_id,
        sub_id,
        filters,
    };
    n.call(node, conn, msg::SUBSCRIBE, &s.encode().unwrap()).status
}

fn prefix(p: &[u8]) -> Filter {
    Filter {
        kind: PREFIX_FILTER,
        pattern: p.to_vec(),
    }
}

/// Pulls every queued event of `conn` as its library does, `max` at a time.
fn drain_by(n: &mut Net, node: u32, conn: u8, max: u32) -> Vec<Delivery> {
    let mut out = Vec::new();
    loop {
        let r = n.call(node, conn, msg::NEXT, &Next { max }.encode().unwrap());
        if r.status != status::OK {
            assert_eq!(r.status, status::NOT_EXIST);
            return out;
        }
        let Deliveries(list) = Deliveries::decode(&r.payload).unwrap();
        assert!(!list.is_empty() && list.len() <= max as usize);
        out.extend(list);
    }
}

fn drain(n: &mut Net, node: u32, conn: u8) -> Vec<Delivery> {
    drain_by(n, node, conn, 1)
}

const PS: u8 = CHANNEL_CREATE | CHANNEL_PUBLISHER | CHANNEL_SUBSCRIBER;

/// SAI-AIS-EVT-B.01.01 3.3 (event delivery): every subscriber in the cluster receives
/// the matching events of a channel in the same order, whichever node published them;
/// event ids are node << 32 | a counter above the 1,000 reserved ones (openais).
#[test]
fn subscribers_on_every_node_see_publishers_events_in_one_order() {
    let (mut n, _) = net(&[1, 2, 3], &[1, 2, 3], DeliveryQueue::default());
    for node in [1, 2, 3] {
        n.connect(node, 1, 100);
        assert_eq!(open(&mut n, node, 1, 5, b"ch", PS), status::OK);
        assert_eq!(subscribe(&mut n, node, 1, 5, 9, vec![prefix(b"ev")]), status::OK);
    }
    let mut ids = Vec::new();
    for i in 0..6u8 {
        let node = 1 + u32::from(i % 2);
        let (st, id) = publish(&mut n, node, 1, 5, 1, 0, &[b'e', b'v', i]);
        assert_eq!(st, status::OK);
        assert_eq!(id >> 32, u64::from(node));
        assert!(id & 0xffff_ffff > EVENTID_RESERVED);
        ids.push(id);
    }
    let (st, _) = publish(&mut n, 1, 1, 5, 1, 0, b"other");
    assert_eq!(st, status::OK);
    // Pulled one at a time, in batches of 4, all at once: the same order.
    let seen: Vec<Vec<u64>> = [(1, 1), (2, 4), (3, MAX_BATCH + 1)]
        .iter()
        .map(|&(node, max)| drain_by(&mut n, node, 1, max).iter().map(|d| d.event.id).collect())
        .collect();
    assert_eq!(seen[0], ids, "the filter kept the unmatched event out");
    assert_eq!(seen[1], ids);
    assert_eq!(seen[2], ids);
    let cbs = n.take_callbacks();
    assert!(cbs.iter().all(|c| c.msg == msg::AVAILABLE));
}

/// 3.6.1 retentionTime: a retained event reaches a later subscription and a node that
/// joins later, survives its publisher's node failing, and expires at its publish time
/// plus its retention time, not restarted by the sync.
#[test]
fn retained_events_reach_late_subscribers_and_joiners_and_expire_from_publish_time() {
    let (mut n, clock) = net(&[1, 2, 3], &[1, 2], DeliveryQueue::default());
    n.connect(1, 1, 100);
    assert_eq!(open(&mut n, 1, 1, 1, b"ch", PS), status::OK);
    let (_, kept) = publish(&mut n, 1, 1, 1, 2, 10 * SEC, b"kept");
    publish(&mut n, 1, 1, 1, 2, 0, b"gone");
    // Node 3 joins 4 s later, and node 1 (the publisher's) then fails.
    clock.store(T0 + 4 * SEC, Ordering::SeqCst);
    n.configure(&[1, 2, 3]);
    n.configure(&[2, 3]);
    for node in [2, 3] {
        n.connect(node, 2, 200);
        assert_eq!(open(&mut n, node, 2, 1, b"ch", CHANNEL_SUBSCRIBER), status::OK);
        assert_eq!(subscribe(&mut n, node, 2, 1, 4, vec![]), status::OK);
        let got = drain(&mut n, node, 2);
        assert_eq!(got.len(), 1);
        assert_eq!((got[0].sub_id, got[0].event.id), (4, kept));
        assert_eq!(got[0].event.publish_time, T0);
    }
    assert_eq!(
        n.node(2).next_deadline(0),
        Some(6 * SEC as u64),
        "10 s from publish, 4 s gone"
    );
    assert_eq!(n.node(2).digest(), n.node(3).digest());
    clock.store(T0 + 10 * SEC, Ordering::SeqCst);
    n.tick(2);
    n.tick(3);
    assert_eq!(n.node(3).next_deadline(0), None);
    assert_eq!(subscribe(&mut n, 3, 2, 1, 5, vec![]), status::OK);
    assert!(drain(&mut n, 3, 2).is_empty(), "expired");
}

/// saEvtEventRetentionTimeClear is ordered: it removes the event everywhere; a second
/// clear, or of an unknown event, is NOT_EXIST; reserved ids are INVALID_PARAM.
#[test]
fn retention_clear_is_ordered_and_checked() {
    let (mut n, _) = net(&[1, 2], &[1, 2], DeliveryQueue::default());
    n.connect(1, 1, 100);
    n.connect(2, 1, 100);
    open(&mut n, 1, 1, 1, b"ch", PS);
    open(&mut n, 2, 1, 1, b"ch", PS);
    let (_, id) = publish(&mut n, 1, 1, 1, 0, SEC, b"x");
    let clear = |id| {
        Clear {
            open_id: 1,
            event_id: id,
        }
        .encode()
        .unwrap()
    };
    assert_eq!(n.call(2, 1, msg::CLEAR, &clear(id)).status, status::OK);
    assert_eq!(n.call(1, 1, msg::CLEAR, &clear(id)).status, status::NOT_EXIST);
    assert_eq!(
        n.call(1, 1, msg::CLEAR, &clear(EVENTID_LOST)).status,
        status::INVALID_PARAM
    );
    assert_eq!(subscribe(&mut n, 1, 1, 1, 1, vec![]), status::OK);
    assert!(drain(&mut n, 1, 1).is_empty());
    assert_eq!(n.node(1).digest(), n.node(2).digest());
}

/// 3.5.3 saEvtChannelUnlink with open counts kept cluster-wide: the channel outlives the
/// unlink while open anywhere; the opens of a failed node go with it; a new CREATE makes
/// a new channel of the name, whose events the old channel's subscribers do not get.
#[test]
fn unlink_and_open_counts_hold_across_a_node_failure() {
    let (mut n, _) = net(&[1, 2], &[1, 2], DeliveryQueue::default());
    n.connect(1, 1, 100);
    n.connect(2, 1, 100);
    assert_eq!(open(&mut n, 1, 1, 1, b"ch", CHANNEL_SUBSCRIBER), status::NOT_EXIST);
    assert_eq!(open(&mut n, 1, 1, 1, b"ch", PS), status::OK);
    assert_eq!(open(&mut n, 1, 1, 1, b"ch", PS), status::EXIST, "open id in use");
    assert_eq!(open(&mut n, 2, 1, 1, b"ch", CHANNEL_PUBLISHER), status::OK);
    assert_eq!(subscribe(&mut n, 1, 1, 1, 1, vec![]), status::OK);
    let unlink = ChannelName(b"ch".to_vec()).encode().unwrap();
    assert_eq!(n.call(2, 1, msg::UNLINK, &unlink).status, status::OK);
    assert_eq!(n.call(2, 1, msg::UNLINK, &unlink).status, status::NOT_EXIST);
    // The unlinked channel still carries node 2's events to node 1's subscriber.
    assert_eq!(publish(&mut n, 2, 1, 1, 0, 0, b"a").0, status::OK);
    assert_eq!(drain(&mut n, 1, 1).len(), 1);
    // A new channel of the name.
    assert_eq!(open(&mut n, 2, 1, 2, b"ch", PS), status::OK);
    assert_eq!(publish(&mut n, 2, 1, 2, 0, 0, b"b").0, status::OK);
    assert!(drain(&mut n, 1, 1).is_empty());
    // Node 1 fails: its open goes, node 2 still holds the unlinked channel.
    n.configure(&[2]);
    assert!(n.node(2).digest().is_some());
    assert_eq!(publish(&mut n, 2, 1, 1, 0, 0, b"c").0, status::OK);
    assert_eq!(
        n.call(2, 1, msg::CLOSE, &OpenId(1).encode().unwrap()).status,
        status::OK
    );
    assert_eq!(
        n.call(2, 1, msg::CLOSE, &OpenId(1).encode().unwrap()).status,
        status::BAD_HANDLE
    );
    assert_eq!(publish(&mut n, 2, 1, 1, 0, 0, b"d").0, status::BAD_HANDLE);
}

/// The request checks of saEvtChannelOpen, saEvtEventPublish, saEvtEventSubscribe and
/// saEvtEventUnsubscribe (B.03.01 3.5 to 3.7 return values).
#[test]
fn requests_are_checked_with_the_specs_errors() {
    let (mut n, _) = net(&[1], &[1], DeliveryQueue::default());
    n.connect(1, 1, 100);
    assert_eq!(open(&mut n, 1, 1, 1, b"", PS), status::INVALID_PARAM);
    assert_eq!(open(&mut n, 1, 1, 1, b"ch", 0x8), status::BAD_FLAGS);
    assert_eq!(
        open(&mut n, 1, 1, 1, b"ch", CHANNEL_CREATE | CHANNEL_SUBSCRIBER),
        status::OK
    );
    assert_eq!(open(&mut n, 1, 1, 2, b"ch", CHANNEL_PUBLISHER), status::OK);
    assert_eq!(publish(&mut n, 1, 1, 1, 0, 0, b"x").0, status::ACCESS);
    assert_eq!(publish(&mut n, 1, 1, 7, 0, 0, b"x").0, status::BAD_HANDLE);
    assert_eq!(publish(&mut n, 1, 1, 2, 4, 0, b"x").0, status::INVALID_PARAM);
    assert_eq!(publish(&mut n, 1, 1, 2, 0, -1, b"x").0, status::INVALID_PARAM);
    assert_eq!(
        publish(&mut n, 1, 1, 2, 0, 0, &[b'x'; MAX_PATTERN_SIZE + 1]).0,
        status::TOO_BIG
    );
    let big = Publish {
        open_id: 2,
        attributes: Attributes::default(),
        data: vec![0; MAX_DATA + 1],
    };
    assert_eq!(
        n.call(1, 1, msg::PUBLISH, &big.encode().unwrap()).status,
        status::TOO_BIG
    );
    assert_eq!(subscribe(&mut n, 1, 1, 2, 1, vec![]), status::ACCESS);
    assert_eq!(subscribe(&mut n, 1, 1, 1, 1, vec![]), status::OK);
    assert_eq!(subscribe(&mut n, 1, 1, 1, 1, vec![]), status::EXIST);
    let bad = Filter {
        kind: 5,
        pattern: Vec::new(),
    };
    assert_eq!(subscribe(&mut n, 1, 1, 1, 2, vec![bad]), status::INVALID_PARAM);
    let unsub = |sub_id| SubscriptionRef { open_id: 1, sub_id }.encode().unwrap();
    assert_eq!(n.call(1, 1, msg::UNSUBSCRIBE, &unsub(1)).status, status::OK);
    assert_eq!(n.call(1, 1, msg::UNSUBSCRIBE, &unsub(1)).status, status::NOT_EXIST);
    assert_eq!(n.call(1, 1, msg::NEXT, &[1]).status, status::INVALID_PARAM);
    assert_eq!(
        n.call(1, 1, msg::NEXT, &Next { max: 0 }.encode().unwrap()).status,
        status::NOT_EXIST
    );
    assert_eq!(n.call(1, 1, 77, &[]).status, status::NOT_SUPPORTED);
    assert_eq!(n.call(1, 1, msg::OPEN, &[1]).status, status::INVALID_PARAM);
}

/// openais's event { delivery_queue_size; delivery_queue_resume }: a subscriber that
/// does not read gets one lost event and loses the lowest priority first; the publisher
/// and the other subscribers are not held up.
#[test]
fn a_slow_subscriber_overflows_alone() {
    let q = DeliveryQueue { size: 4, resume: 2 };
    let (mut n, _) = net(&[1], &[1], q);
    n.connect(1, 1, 100);
    n.connect(1, 2, 200);
    open(&mut n, 1, 1, 1, b"ch", PS);
    open(&mut n, 1, 2, 1, b"ch", CHANNEL_SUBSCRIBER);
    subscribe(&mut n, 1, 1, 1, 1, vec![]);
    subscribe(&mut n, 1, 2, 1, 3, vec![]);
    let mut fast = Vec::new();
    for i in 0..10u8 {
        let prio = if i == 9 { HIGHEST_PRIORITY } else { LOWEST_PRIORITY };
        assert_eq!(publish(&mut n, 1, 1, 1, prio, 0, &[i]).0, status::OK);
        fast.extend(drain(&mut n, 1, 1));
    }
    assert_eq!(fast.len(), 10, "the reading subscriber lost nothing");
    let slow = drain(&mut n, 1, 2);
    let ids: Vec<u64> = slow.iter().map(|d| d.event.id).collect();
    assert_eq!(ids[0], EVENTID_LOST);
    assert_eq!(slow[0].event.attributes.patterns, vec![LOST_EVENT_PATTERN.to_vec()]);
    assert_eq!(slow[0].sub_id, 3);
    assert_eq!(slow.len(), 5, "the lost event and the queue's four");
    assert_eq!(slow[1].event.data, vec![9], "the high-priority event evicted a low one");
    assert_eq!(
        slow[2..].iter().map(|d| d.event.data[0]).collect::<Vec<_>>(),
        vec![0, 1, 2]
    );
}

/// A handle that goes away closes its opens in the cluster: an unlinked channel only it
/// held is gone everywhere.
#[test]
fn a_finalized_handle_closes_its_channels_everywhere() {
    let (mut n, _) = net(&[1, 2], &[1, 2], DeliveryQueue::default());
    n.connect(1, 1, 100);
    n.connect(2, 1, 100);
    open(&mut n, 1, 1, 1, b"ch", PS);
    let before = n.node(2).digest();
    n.call(1, 1, msg::UNLINK, &ChannelName(b"ch".to_vec()).encode().unwrap());
    n.disconnect(1, 1);
    assert_eq!(open(&mut n, 2, 1, 1, b"ch", CHANNEL_PUBLISHER), status::NOT_EXIST);
    assert_eq!(n.node(1).digest(), n.node(2).digest());
    assert_ne!(n.node(2).digest(), before);
}

/// saEvtChannelOpenAsync: accepted at once, the result as an OPENED callback.
#[test]
fn an_asynchronous_open_answers_with_a_callback() {
    let (mut n, _) = net(&[1], &[1], DeliveryQueue::default());
    n.connect(1, 1, 100);
    let o = |flags| {
        OpenAsync {
            invocation: 77,
            open: Open {
                open_id: 3,
                name: b"ch".to_vec(),
                flags,
            },
        }
        .encode()
        .unwrap()
    };
    assert_eq!(n.call(1, 1, msg::OPEN_ASYNC, &o(CHANNEL_PUBLISHER)).status, status::OK);
    let cb = n.take_callbacks();
    assert_eq!(cb.len(), 1);
    assert_eq!(
        Opened::decode(&cb[0].payload).unwrap(),
        Opened {
            invocation: 77,
            open_id: 3,
            status: status::NOT_EXIST
        }
    );
    assert_eq!(n.call(1, 1, msg::OPEN_ASYNC, &o(PS)).status, status::OK);
    let cb = n.take_callbacks();
    assert_eq!((cb[0].msg, cb[0].status), (msg::OPENED, status::OK));
    assert_eq!(publish(&mut n, 1, 1, 3, 0, 0, b"x").0, status::OK);
}

/// Event ids are unique in the cluster (saEvtEventPublish): a node that comes back
/// learns, in the sync, the ids the cluster saw from it and assigns later ones, retained
/// events or not (openais's EVT_SET_ID_OP).
#[test]
fn a_restarted_node_does_not_reuse_its_event_ids() {
    let (mut n, clock) = net(&[1, 2], &[1, 2], DeliveryQueue::default());
    n.connect(1, 1, 100);
    open(&mut n, 1, 1, 1, b"ch", PS);
    let mut last = 0;
    for _ in 0..3 {
        last = publish(&mut n, 1, 1, 1, 0, 0, b"x").1;
    }
    // Node 1 restarts with the same clock (its counter would start where it did).
    let c = clock.clone();
    let wall = WallClock::new(move || c.load(Ordering::SeqCst));
    n.nodes.insert(1, EvtService::new(1, DeliveryQueue::default(), wall));
    n.configure(&[2]);
    n.configure(&[1, 2]);
    n.connect(1, 1, 100);
    assert_eq!(open(&mut n, 1, 1, 1, b"ch", PS), status::OK);
    let (st, id) = publish(&mut n, 1, 1, 1, 0, 0, b"y");
    assert_eq!(st, status::OK);
    assert!(id > last, "{id:x} after {last:x}");
}
