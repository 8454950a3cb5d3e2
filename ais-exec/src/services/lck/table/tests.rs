//! The grant logic against SAI-AIS-LCK-B.03.01 (§3.1 lock modes and queueing, §3.6
//! lock requests and their statuses, §3.6.5 purge) and the failure rules of saLck(3).

use super::*;

const A: Owner = Owner { node: 1, handle: 1 };
const B: Owner = Owner { node: 2, handle: 2 };
const C: Owner = Owner { node: 3, handle: 3 };
const D: Owner = Owner { node: 3, handle: 4 };

fn table() -> Table {
    let mut t = Table::new(Limits::default());
    for o in [A, B, C, D] {
        for r in [&b"r"[..], b"s"] {
            t.open(o, 1, r, true).unwrap();
        }
    }
    t
}

fn req(owner: Owner, id: u64, mode: u32) -> Lock {
    Lock {
        key: LockKey { node: owner.node, id },
        owner: Some(owner),
        open: 1,
        mode,
        orphan: false,
        waiter_signal: id * 10,
        via: Via::Sync(id),
    }
}

/// The statuses the table decided, in order: (lock id, status or error).
fn decided(events: &[Event]) -> Vec<(u64, u32)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::LockDone { lock, status, error } if *error == status::OK => Some((lock.key.id, *status)),
            Event::LockDone { lock, error, .. } => Some((lock.key.id, 1000 + error)),
            _ => None,
        })
        .collect()
}

const G: u32 = lock_status::GRANTED;

#[test]
fn open_without_create_of_a_missing_resource_is_not_exist_3_5_1() {
    let mut t = Table::new(Limits::default());
    assert_eq!(t.open(A, 1, b"x", false), Err(status::NOT_EXIST));
    assert_eq!(t.open(A, 1, b"x", true), Ok(()));
    assert_eq!(t.open(B, 1, b"x", false), Ok(()));
}

#[test]
fn resources_beyond_the_limit_are_no_resources() {
    let mut t = Table::new(Limits {
        max_locks: 10,
        max_resources: 1,
    });
    t.open(A, 1, b"x", true).unwrap();
    assert_eq!(t.open(A, 2, b"y", true), Err(status::NO_RESOURCES));
}

/// §3.1: PR locks are shared; an EX lock waits for them; further PR requests queue
/// behind the EX (FIFO, no overtaking).
#[test]
fn pr_is_shared_ex_waits_and_later_pr_does_not_overtake() {
    let mut t = table();
    assert_eq!(decided(&t.lock(b"r", req(A, 1, PR), false)), [(1, G)]);
    assert_eq!(decided(&t.lock(b"r", req(B, 2, PR), false)), [(2, G)]);
    let ev = t.lock(b"r", req(C, 3, EX), false);
    assert!(decided(&ev).is_empty(), "EX waits");
    // Both PR holders hear of the waiter, with its signal.
    let told: Vec<(Owner, u64)> = ev
        .iter()
        .filter_map(|e| match e {
            Event::Waiter { holder, signal, .. } => Some((*holder, *signal)),
            _ => None,
        })
        .collect();
    assert_eq!(told, [(A, 30), (B, 30)]);
    assert!(
        decided(&t.lock(b"r", req(D, 4, PR), false)).is_empty(),
        "PR queues behind EX"
    );
    assert_eq!(decided(&t.unlock(A, LockKey { node: 1, id: 1 }).unwrap()), []);
    assert_eq!(decided(&t.unlock(B, LockKey { node: 2, id: 2 }).unwrap()), [(3, G)]);
    assert_eq!(decided(&t.unlock(C, LockKey { node: 3, id: 3 }).unwrap()), [(4, G)]);
    t.check().unwrap();
}

/// §3.6.1: SA_LCK_LOCK_NO_QUEUE answers SA_LCK_LOCK_NOT_QUEUED when it cannot be granted.
#[test]
fn no_queue_is_not_queued() {
    let mut t = table();
    t.lock(b"r", req(A, 1, EX), false);
    assert_eq!(
        decided(&t.lock(b"r", req(B, 2, PR), true)),
        [(2, lock_status::NOT_QUEUED)]
    );
    assert_eq!(t.lock_count(), 1);
}

/// §3.6.1: a second EX request through the same resource handle that holds an EX lock
/// is SA_LCK_LOCK_DUPLICATE_EX.
#[test]
fn a_second_ex_through_one_open_is_duplicate_ex() {
    let mut t = table();
    t.lock(b"r", req(A, 1, EX), false);
    assert_eq!(
        decided(&t.lock(b"r", req(A, 2, EX), false)),
        [(2, lock_status::DUPLICATE_EX)]
    );
}

/// §3.6.1: SA_LCK_LOCK_NO_MORE when the lock limit is reached.
#[test]
fn the_lock_limit_answers_no_more() {
    let mut t = table();
    t.limits.max_locks = 1;
    t.lock(b"r", req(A, 1, PR), false);
    assert_eq!(
        decided(&t.lock(b"r", req(B, 2, PR), false)),
        [(2, lock_status::NO_MORE)]
    );
}

/// Deadlock detection (SA_LCK_OPT_DEADLOCK_DETECTION): A holds r and waits for s, B
/// holds s; B's request for r would close the cycle and is answered DEADLOCK; A's
/// request stays queued.
#[test]
fn a_request_closing_a_wait_for_cycle_is_deadlock() {
    let mut t = table();
    t.lock(b"r", req(A, 1, EX), false);
    t.lock(b"s", req(B, 2, EX), false);
    assert!(decided(&t.lock(b"s", req(A, 3, EX), false)).is_empty());
    assert_eq!(
        decided(&t.lock(b"r", req(B, 4, EX), false)),
        [(4, lock_status::DEADLOCK)]
    );
    assert!(t.waiting(LockKey { node: 1, id: 3 }).is_some());
    // A three-owner cycle through a waiter ahead in a queue.
    // C waits for A on r, then on s for B and for A's request ahead: no cycle.
    t.lock(b"r", req(C, 5, PR), false);
    assert_eq!(decided(&t.lock(b"s", req(C, 6, PR), false)), []);
    t.check().unwrap();
}

/// A PR holder whose second PR request queues behind an EX waiter waits for that
/// waiter, which waits for it: DEADLOCK.
#[test]
fn a_pr_holder_queueing_behind_an_ex_waiting_for_it_is_deadlock() {
    let mut t = table();
    t.lock(b"r", req(A, 1, PR), false);
    t.lock(b"r", req(C, 2, EX), false);
    assert_eq!(
        decided(&t.lock(b"r", req(A, 3, PR), false)),
        [(3, lock_status::DEADLOCK)]
    );
}

/// An owner that holds PR and asks EX on the same resource would wait for itself.
#[test]
fn waiting_for_ones_own_lock_is_deadlock() {
    let mut t = table();
    t.lock(b"r", req(A, 1, PR), false);
    assert_eq!(
        decided(&t.lock(b"r", req(A, 2, EX), false)),
        [(2, lock_status::DEADLOCK)]
    );
}

/// The timeout of saLckResourceLock: the waiter leaves the queue (TIMEOUT) and the PR
/// behind it is granted; an expiry that arrives after the grant changes nothing.
#[test]
fn an_expired_waiter_leaves_the_queue_and_is_never_granted() {
    let mut t = table();
    t.lock(b"r", req(A, 1, PR), false);
    t.lock(b"r", req(B, 2, EX), false);
    t.lock(b"r", req(C, 3, PR), false);
    let ev = t.expire(LockKey { node: 2, id: 2 });
    assert_eq!(decided(&ev), [(2, 1000 + status::TIMEOUT), (3, G)]);
    assert!(t.expire(LockKey { node: 3, id: 3 }).is_empty());
    t.unlock(A, LockKey { node: 1, id: 1 }).unwrap();
    assert!(t.granted(LockKey { node: 2, id: 2 }).is_none());
}

#[test]
fn unlocking_a_lock_not_held_is_not_exist() {
    let mut t = table();
    t.lock(b"r", req(A, 1, EX), false);
    assert_eq!(t.unlock(B, LockKey { node: 1, id: 1 }), Err(status::NOT_EXIST));
    assert_eq!(t.unlock(A, LockKey { node: 1, id: 9 }), Err(status::NOT_EXIST));
}

/// saLck(3) failure rules: a handle gone releases its locks, cancels its requests, and
/// the next waiters are granted in order; an ORPHAN lock becomes orphaned, blocks
/// conflicting requests with SA_LCK_LOCK_ORPHANED (§3.6.1) until saLckLockPurge.
#[test]
fn a_gone_holder_releases_and_orphan_locks_stay_until_purged() {
    let mut t = table();
    t.lock(b"r", req(A, 1, EX), false);
    t.lock(b"r", req(B, 2, EX), false);
    let ev = t.release(A);
    assert_eq!(decided(&ev), [(2, G)]);
    let mut o = req(B, 3, EX);
    o.orphan = true;
    assert_eq!(decided(&t.lock(b"s", o, false)), [(3, G)]);
    t.lock(b"s", req(C, 4, PR), false); // waits behind the orphan-flagged lock
    let ev = t.release(B);
    // B's lock on r goes, its ORPHAN lock on s stays, orphaned; C still waits.
    assert!(decided(&ev).is_empty());
    assert_eq!(t.granted(LockKey { node: 2, id: 3 }).unwrap().owner, None);
    assert_eq!(
        decided(&t.lock(b"s", req(D, 5, PR), false)),
        [(5, lock_status::ORPHANED)]
    );
    assert_eq!(decided(&t.purge(C, 1, b"s").unwrap()), [(4, G)]);
    t.check().unwrap();
}

/// A node leaving: every lock of its handles goes, waiters of other nodes are granted,
/// its own waiters are cancelled.
#[test]
fn a_node_leaving_releases_its_locks_and_grants_the_next_waiter() {
    let mut t = table();
    t.lock(b"r", req(A, 1, EX), false);
    t.lock(b"r", req(B, 2, EX), false);
    t.lock(b"r", req(C, 3, EX), false);
    let ev = t.release_nodes(&[2, 3]);
    assert_eq!(decided(&ev), [(2, G)]);
    let ev = t.release_nodes(&[3]);
    assert_eq!(decided(&ev), [(3, G)]);
    assert!(t.resources[&b"r"[..]].opens.iter().all(|(o, _)| o.node == 3));
}

/// Closing a resource cancels the open's waiting requests (BAD_HANDLE) and keeps other
/// opens' locks.
#[test]
fn close_releases_only_that_open() {
    let mut t = table();
    t.open(A, 2, b"r", false).unwrap();
    t.lock(b"r", req(B, 1, EX), false);
    let mut w = req(A, 2, EX);
    w.open = 2;
    t.lock(b"r", w, false);
    t.lock(b"r", req(A, 3, PR), false);
    let ev = t.close(A, 2, b"r").unwrap();
    assert_eq!(decided(&ev), [(2, 1000 + status::BAD_HANDLE)]);
    assert!(t.waiting(LockKey { node: 1, id: 3 }).is_some());
    assert_eq!(t.close(A, 2, b"r"), Err(status::BAD_HANDLE));
}

/// The merge rule of saLck(3): this side's grants win; the other side's compatible
/// grants are kept, its conflicting ones dropped, its waiters queue behind ours.
#[test]
fn merge_keeps_compatible_grants_and_queues_the_others_waiters() {
    let mut ours = table();
    let mut theirs = table();
    ours.lock(b"r", req(A, 1, EX), false);
    theirs.lock(b"r", req(B, 2, EX), false);
    theirs.lock(b"s", req(B, 3, PR), false);
    theirs.lock(b"r", req(C, 4, PR), false);
    ours.lock(b"s", req(A, 5, PR), false);
    let ev = ours.merge(theirs);
    assert!(decided(&ev).is_empty());
    assert!(ours.granted(LockKey { node: 1, id: 1 }).is_some());
    assert!(ours.granted(LockKey { node: 2, id: 2 }).is_none());
    assert!(ours.granted(LockKey { node: 2, id: 3 }).is_some());
    assert!(ours.waiting(LockKey { node: 3, id: 4 }).is_some());
    ours.check().unwrap();
}

/// The waiter callback (saLckLockWaiterCallback, §3.6.4) tells a holder that a
/// request is blocked by its lock. A waiter granted while others still wait
/// behind it is such a holder from then on: it hears of each of them, with
/// their signals, when it is granted.
#[test]
fn a_waiter_granted_while_others_wait_hears_of_them() {
    let mut t = table();
    t.lock(b"r", req(A, 1, EX), false);
    t.lock(b"r", req(B, 2, EX), false);
    t.lock(b"r", req(C, 3, PR), false);
    t.lock(b"r", req(D, 4, PR), false);
    let ev = t.unlock(A, LockKey { node: 1, id: 1 }).unwrap();
    assert_eq!(decided(&ev), [(2, G)]);
    let told: Vec<(Owner, u64, u64, u32)> = ev
        .iter()
        .filter_map(|e| match e {
            Event::Waiter {
                holder,
                held,
                requested,
                signal,
            } => Some((*holder, held.key.id, *signal, *requested)),
            _ => None,
        })
        .collect();
    assert_eq!(told, [(B, 2, 30, PR), (B, 2, 40, PR)]);
    // B unlocks: both PR are granted and nobody waits, so nobody is told.
    let ev = t.unlock(B, LockKey { node: 2, id: 2 }).unwrap();
    assert_eq!(decided(&ev), [(3, G), (4, G)]);
    assert!(!ev.iter().any(|e| matches!(e, Event::Waiter { .. })));
    t.check().unwrap();
}
