//! The service over the in-memory cluster (`testkit`): requests from handles on
//! different nodes, answered on their origin, with every node's table alike.

use super::*;
use crate::services::testkit::Cluster;
use ais_proto::lck::{lock_status, Lock, Open, Opened, Unlock, EX, PR};

type Lck = LckService<u8>;

fn cluster(nodes: &[NodeId]) -> Cluster<Lck, u8> {
    Cluster::configured(nodes, |n| {
        LckService::new(n, Limits::default(), WallClock::new(|| 1_000))
    })
}

fn open(c: &mut Cluster<Lck, u8>, node: NodeId, conn: u8, name: &[u8]) -> u64 {
    let o = Open {
        invocation: 0,
        name: name.to_vec(),
        flags: msg::RESOURCE_CREATE,
    };
    let r = c.call(node, conn, msg::OPEN, &o.encode().unwrap());
    assert_eq!(r.status, status::OK);
    Opened::decode(&r.payload).unwrap().resource
}

fn lock_req(resource: u64, mode: u32, flags: u32) -> Vec<u8> {
    Lock {
        resource,
        invocation: 0,
        mode,
        flags,
        waiter_signal: 77,
        timeout: 1_000_000_000,
    }
    .encode()
    .unwrap()
}

fn digests_agree(c: &Cluster<Lck, u8>) {
    digests_agree_on(c, &c.nodes.keys().copied().collect::<Vec<_>>());
}

fn digests_agree_on(c: &Cluster<Lck, u8>, members: &[NodeId]) {
    let d: Vec<_> = members.iter().map(|n| c.nodes[n].digest()).collect();
    assert!(d.windows(2).all(|w| w[0] == w[1]), "digests differ: {d:?}");
}

/// Two nodes contend for EX (§3.6.1): the second waits, its holder gets a waiter
/// callback, and unlocking on the first node grants the second on its own node.
#[test]
fn ex_contention_across_nodes_grants_the_waiter_on_unlock() {
    let mut c = cluster(&[1, 2]);
    c.connect(1, 10, 100);
    c.connect(2, 20, 200);
    let r1 = open(&mut c, 1, 10, b"res");
    let r2 = open(&mut c, 2, 20, b"res");
    let a = c.call(1, 10, msg::LOCK, &lock_req(r1, EX, 0));
    let a = Locked::decode(&a.payload).unwrap();
    assert_eq!(a.status, lock_status::GRANTED);
    let Handling::Ordered { message, token, .. } = c.handle(2, 20, msg::LOCK, &lock_req(r2, EX, 0)) else {
        panic!("a lock is ordered");
    };
    c.multicast(2, message);
    c.run();
    assert!(c.answer(2, token).is_none(), "the EX waits");
    let cbs = c.take_callbacks();
    assert_eq!(cbs.len(), 1);
    assert_eq!((cbs[0].node, cbs[0].msg), (1, msg::WAITER_CALLBACK));
    assert_eq!(msg::Waiter::decode(&cbs[0].payload).unwrap().waiter_signal, 77);
    let u = Unlock {
        lock_id: a.lock_id,
        invocation: 0,
    };
    assert_eq!(c.call(1, 10, msg::UNLOCK, &u.encode().unwrap()).status, status::OK);
    let b = Locked::decode(&c.answer(2, token).expect("granted").payload).unwrap();
    assert_eq!(b.status, lock_status::GRANTED);
    digests_agree(&c);
    // Unlocking again: NOT_EXIST (§3.6.3).
    assert_eq!(
        c.call(1, 10, msg::UNLOCK, &u.encode().unwrap()).status,
        status::NOT_EXIST
    );
}

/// The timeout of saLckResourceLock: the requester's node sends EXPIRE when the time
/// has run out; the request answers SA_AIS_ERR_TIMEOUT and is never granted anywhere.
#[test]
fn a_synchronous_lock_times_out_in_agreed_order() {
    let clock = std::sync::Arc::new(std::sync::atomic::AtomicI64::new(0));
    let k = clock.clone();
    let mut c: Cluster<Lck, u8> = Cluster::configured(&[1, 2], move |n| {
        let k = k.clone();
        LckService::new(
            n,
            Limits::default(),
            WallClock::new(move || k.load(std::sync::atomic::Ordering::SeqCst)),
        )
    });
    c.connect(1, 10, 100);
    c.connect(2, 20, 200);
    let r1 = open(&mut c, 1, 10, b"res");
    let r2 = open(&mut c, 2, 20, b"res");
    c.call(1, 10, msg::LOCK, &lock_req(r1, EX, 0));
    let Handling::Ordered { message, token, .. } = c.handle(2, 20, msg::LOCK, &lock_req(r2, PR, 0)) else {
        panic!("ordered");
    };
    c.multicast(2, message);
    c.run();
    assert_eq!(c.node(2).next_deadline(0), Some(1_000_000_000));
    clock.store(1_000_000_000, std::sync::atomic::Ordering::SeqCst);
    c.tick(2);
    assert_eq!(c.answer(2, token).unwrap().status, status::TIMEOUT);
    assert_eq!(c.node(1).table().lock_count(), 1);
    digests_agree(&c);
}

/// saLck(3) failure rule: the holder's node leaves; the waiter on another node is
/// granted at the end of the sync round, and every remaining node agrees.
#[test]
fn the_holders_node_leaving_grants_the_waiter() {
    let mut c = cluster(&[1, 2, 3]);
    c.connect(1, 10, 100);
    c.connect(2, 20, 200);
    let r1 = open(&mut c, 1, 10, b"res");
    let r2 = open(&mut c, 2, 20, b"res");
    c.call(1, 10, msg::LOCK, &lock_req(r1, EX, msg::LOCK_ORPHAN));
    c.call(1, 10, msg::LOCK, &lock_req(r1, PR, 0)); // DEADLOCK: waits for itself
    let r = open(&mut c, 1, 10, b"other");
    c.call(1, 10, msg::LOCK, &lock_req(r, EX, 0));
    let Handling::Ordered { message, token, .. } = c.handle(2, 20, msg::LOCK, &lock_req(r2, EX, 0)) else {
        panic!("ordered");
    };
    c.multicast(2, message);
    c.run();
    assert!(c.answer(2, token).is_none());
    c.configure(&[2, 3]);
    // The ORPHAN lock of node 1 stays, orphaned: the waiter still waits until purged.
    assert!(c.answer(2, token).is_none());
    assert_eq!(
        c.call(2, 20, msg::PURGE, &ResourceId(r2).encode().unwrap()).status,
        status::OK
    );
    let b = Locked::decode(&c.answer(2, token).expect("granted after purge").payload).unwrap();
    assert_eq!(b.status, lock_status::GRANTED);
    // Node 1's lock on "other" went with it; the resource is gone.
    assert!(!c.node(2).table().resources.contains_key(&b"other"[..]));
    digests_agree_on(&c, &[2, 3]);
}

/// A handle finalized (or its process dead): its locks go on every node.
#[test]
fn a_finalized_handle_releases_its_locks() {
    let mut c = cluster(&[1, 2]);
    c.connect(1, 10, 100);
    c.connect(2, 20, 200);
    let r1 = open(&mut c, 1, 10, b"res");
    let r2 = open(&mut c, 2, 20, b"res");
    c.call(1, 10, msg::LOCK, &lock_req(r1, EX, 0));
    let Handling::Ordered { message, token, .. } = c.handle(2, 20, msg::LOCK, &lock_req(r2, EX, 0)) else {
        panic!("ordered");
    };
    c.multicast(2, message);
    c.run();
    c.disconnect(1, 10);
    assert_eq!(
        Locked::decode(&c.answer(2, token).unwrap().payload).unwrap().status,
        lock_status::GRANTED
    );
    digests_agree(&c);
}

/// Async lock (§3.6.2): the lock id at once, the grant as a callback.
#[test]
fn an_async_lock_answers_its_id_then_calls_back() {
    let mut c = cluster(&[1, 2]);
    c.connect(2, 20, 200);
    let r = open(&mut c, 2, 20, b"res");
    let mut req = Lock::decode(&lock_req(r, PR, 0)).unwrap();
    req.invocation = 55;
    let rep = c.call(2, 20, msg::LOCK_ASYNC, &req.encode().unwrap());
    let id = msg::LockId::decode(&rep.payload).unwrap().0;
    let cbs = c.take_callbacks();
    let g = msg::GrantCallback::decode(&cbs[0].payload).unwrap();
    assert_eq!(
        (g.invocation, g.lock_id, g.status, g.error),
        (55, id, lock_status::GRANTED, status::OK)
    );
}

/// saLckResourceOpen without SA_LCK_RESOURCE_CREATE of an unknown name: NOT_EXIST;
/// undefined flags: BAD_FLAGS; a lock on a resource id never opened: BAD_HANDLE.
#[test]
fn open_and_lock_errors() {
    let mut c = cluster(&[1]);
    c.connect(1, 10, 100);
    let mut o = Open {
        invocation: 0,
        name: b"none".to_vec(),
        flags: 0,
    };
    assert_eq!(c.call(1, 10, msg::OPEN, &o.encode().unwrap()).status, status::NOT_EXIST);
    o.flags = 4;
    assert_eq!(c.call(1, 10, msg::OPEN, &o.encode().unwrap()).status, status::BAD_FLAGS);
    assert_eq!(
        c.call(1, 10, msg::LOCK, &lock_req(99, PR, 0)).status,
        status::BAD_HANDLE
    );
    let r = open(&mut c, 1, 10, b"x");
    assert_eq!(
        c.call(1, 10, msg::LOCK, &lock_req(r, 3, 0)).status,
        status::INVALID_PARAM
    );
    assert_eq!(c.call(1, 10, msg::LOCK, &lock_req(r, PR, 8)).status, status::BAD_FLAGS);
    let lim = c.call(1, 10, msg::LIMIT, &msg::LimitId(1).encode().unwrap());
    assert_eq!(
        msg::LimitValue::decode(&lim.payload).unwrap().0,
        Limits::default().max_locks as u64
    );
    assert_eq!(
        c.call(1, 10, msg::LIMIT, &msg::LimitId(2).encode().unwrap()).status,
        status::INVALID_PARAM
    );
}

/// The merge rule of saLck(3): two partitions each grant EX on one resource; after
/// they heal the lower old ring's grant stands, the other is dropped, and all agree.
#[test]
fn a_healed_partition_keeps_one_ex_grant() {
    use crate::services::contract::RingId;
    let mut c = cluster(&[1, 2]);
    c.connect(1, 10, 100);
    c.connect(2, 20, 200);
    let r1 = open(&mut c, 1, 10, b"res");
    let r2 = open(&mut c, 2, 20, b"res");
    // Split: each side alone (rings with node 1 and node 2 as representative).
    c.configure_ring(RingId { rep: 1, seq: 8 }, &[1]);
    let a = c.call(1, 10, msg::LOCK, &lock_req(r1, EX, 0));
    assert_eq!(Locked::decode(&a.payload).unwrap().status, lock_status::GRANTED);
    c.configure_ring(RingId { rep: 2, seq: 8 }, &[2]);
    let b = c.call(2, 20, msg::LOCK, &lock_req(r2, EX, 0));
    assert_eq!(Locked::decode(&b.payload).unwrap().status, lock_status::GRANTED);
    c.configure_ring(RingId { rep: 1, seq: 12 }, &[1, 2]);
    digests_agree(&c);
    let t = c.node(2).table();
    t.check().unwrap();
    let granted = &t.resources[&b"res"[..]].granted;
    assert_eq!(granted.len(), 1);
    assert_eq!(granted[0].key.node, 1);
}

/// Quorum's merge rule (saLck(3) MERGE RULE): the side that was quorate wins
/// the merge even when its ring is not the lowest; here the side of node 2 was
/// quorate and the EX it granted stands, node 1's is dropped.
#[test]
fn a_healed_partition_keeps_the_quorate_sides_grant() {
    use crate::services::contract::RingId;
    let mut c = cluster(&[1, 2]);
    c.connect(1, 10, 100);
    c.connect(2, 20, 200);
    let r1 = open(&mut c, 1, 10, b"res");
    let r2 = open(&mut c, 2, 20, b"res");
    c.set_quorate(1, Some(false));
    c.configure_ring(RingId { rep: 1, seq: 8 }, &[1]);
    let a = c.call(1, 10, msg::LOCK, &lock_req(r1, EX, 0));
    assert_eq!(Locked::decode(&a.payload).unwrap().status, lock_status::GRANTED);
    c.set_quorate(2, Some(true));
    c.configure_ring(RingId { rep: 2, seq: 8 }, &[2]);
    let b = c.call(2, 20, msg::LOCK, &lock_req(r2, EX, 0));
    assert_eq!(Locked::decode(&b.payload).unwrap().status, lock_status::GRANTED);
    c.set_quorate(1, Some(true));
    c.set_quorate(2, Some(true));
    c.configure_ring(RingId { rep: 1, seq: 12 }, &[1, 2]);
    digests_agree(&c);
    let t = c.node(1).table();
    t.check().unwrap();
    let granted = &t.resources[&b"res"[..]].granted;
    assert_eq!(granted.len(), 1);
    assert_eq!(granted[0].key.node, 2);
}
