//! The LCK workload of the service simulator: a client that opens two
//! resources, takes PR and EX locks on them (some with NO_QUEUE, each
//! synchronous request with a short timeout, so a waiter also leaves the
//! queue by an ordered EXPIRE), unlocks them and closes resources, while the
//! scenario's faults kill nodes, partition and heal the ring. The lock tables
//! are replicated state: the checker's digest rule compares them once the
//! ring is quiet, so every node must have applied the same grants, releases
//! of nodes gone and merges alike.

use crate::checker::{Property, Violation};
use crate::fake::Shared;
use crate::history::{History, Inc, ReqId};
use ais_exec::ipc::ConnId;
use ais_proto::lck as l;
use ais_proto::message::Message;
use ais_proto::status;
use ais_totem::{ms, RingId};
use ais_totem_sim::rng::Rng;
use std::collections::{BTreeMap, HashMap};

/// The resources the clients contend for.
const RESOURCES: [&[u8]; 2] = [b"lck-0", b"lck-1"];

/// A lock a client was told it holds: granted on `inc` while it was in
/// regular configuration `ring`, from `from` until the client asked to
/// unlock it or close its resource (`until`) or its connection closed.
#[derive(Debug, Clone)]
pub struct Held {
    pub inc: Inc,
    pub conn: ConnId,
    pub lock_id: u64,
    pub resource: Vec<u8>,
    pub mode: u32,
    pub ring: RingId,
    pub from: u64,
    pub until: Option<u64>,
    /// Taken with `SA_LCK_LOCK_ORPHAN`: it outlives its connection.
    pub orphan: bool,
}

/// A lock request the client had answered (granted or not): the checker's
/// FIFO rule ([`fifo`]) orders it by its delivery on each node.
#[derive(Debug, Clone)]
pub struct Asked {
    pub req: ReqId,
    pub resource: Vec<u8>,
    pub mode: u32,
    pub granted: bool,
}

/// The checker's LCK rule ([`Property::LockConflict`]): two locks granted
/// in one configuration, to live connections, never conflict (PR with PR
/// only) while both are held. A lock granted in another configuration (a
/// partition, or before a merge that dropped it) is not compared: those are
/// the failure and merge rules of saLck(3), which the unit tests check.
pub fn check(h: &History, out: &mut Vec<Violation>) {
    gone(h, out);
    fifo(h, out);
    let end = |x: &Held| {
        let closed = h
            .conns
            .iter()
            .find(|c| c.inc == x.inc && c.conn == x.conn)
            .and_then(|c| c.closed);
        [x.until, closed].into_iter().flatten().min().unwrap_or(u64::MAX)
    };
    for (i, a) in h.locks.iter().enumerate() {
        for b in &h.locks[i + 1..] {
            let conflict = a.mode == l::EX || b.mode == l::EX;
            let same = a.resource == b.resource && a.ring == b.ring && (a.inc, a.conn) != (b.inc, b.conn);
            if conflict && same && a.from < end(b) && b.from < end(a) {
                out.push(Violation {
                    property: Property::LockConflict,
                    detail: format!(
                        "ring {}:{}: {} held by node {} conn {} and by node {} conn {} at once (modes {} and {})",
                        a.ring.rep,
                        a.ring.seq,
                        String::from_utf8_lossy(&a.resource),
                        h.incarnations[a.inc],
                        a.conn.0,
                        h.incarnations[b.inc],
                        b.conn.0,
                        a.mode,
                        b.mode
                    ),
                });
            }
        }
    }
}

/// [`Property::LockOfGoneConn`] (saLck(3) on a process that ends: its locks
/// are released, or orphaned if taken with `SA_LCK_LOCK_ORPHAN`): a lock is
/// granted only to a connection that is open; once it closed (or its node's
/// incarnation ended, which closes it) no grant to it is reported. An
/// orphan lock is not the connection's, so it is not checked.
fn gone(h: &History, out: &mut Vec<Violation>) {
    for x in h.locks.iter().filter(|x| !x.orphan) {
        let conn = h.conns.iter().find(|c| c.inc == x.inc && c.conn == x.conn);
        let open = conn.is_some_and(|c| c.opened < x.from && c.closed.is_none_or(|t| x.from < t));
        if !open {
            out.push(Violation {
                property: Property::LockOfGoneConn,
                detail: format!(
                    "lock {} on {} granted to node {} conn {} at {}, which is gone (closed at {:?})",
                    x.lock_id,
                    String::from_utf8_lossy(&x.resource),
                    h.incarnations[x.inc],
                    x.conn.0,
                    x.from,
                    conn.and_then(|c| c.closed)
                ),
            });
        }
    }
}

/// [`Property::LockOvertaken`] (saLck(3): waiters are granted in the order
/// they were queued): request A, queued on a resource before request B, is
/// not overtaken by B unless A ended first. Everything is read on B's node
/// B, whose timeline orders the messages both nodes delivered (Totem's
/// agreed order, so one configuration's history):
/// - A's request was delivered on B's node before B's;
/// - both waited: a recorded delivery came on each one's node between its
///   request's delivery and its answer (or its connection's close), so
///   neither was answered while its own request was delivered;
/// - B was granted on its node before that node delivered M, the last
///   message A's node delivered before A's answer (or close). What ended A
///   (its grant, expiry, unlock or holder gone) came at or after M in the
///   agreed order, so B was granted while A still waited.
///
/// Messages the history does not record (EXPIRE, releases of a connection)
/// only make this see less, never more.
pub fn fifo(h: &History, out: &mut Vec<Violation>) {
    let mut delivered: HashMap<(ReqId, Inc), u64> = HashMap::new();
    let mut on: HashMap<Inc, Vec<(u64, ReqId)>> = HashMap::new();
    for d in &h.deliveries {
        delivered.entry((d.req, d.inc)).or_insert(d.at);
        on.entry(d.inc).or_default().push((d.at, d.req));
    }
    for list in on.values_mut() {
        list.sort_unstable();
    }
    let answered: HashMap<ReqId, u64> = h.answers.iter().rev().map(|a| (a.req, a.at)).collect();
    let between = |inc: Inc, from: u64, to: u64| -> Option<ReqId> {
        let list = on.get(&inc)?;
        list.iter().rev().find(|&&(t, _)| from < t && t < to).map(|&(_, r)| r)
    };
    // Each request's node, when it ended, and the last message its node
    // delivered before then, if it waited.
    let waited = |x: &Asked| -> Option<(Inc, u64, ReqId)> {
        let r = &h.requests[x.req];
        let closed = h
            .conns
            .iter()
            .find(|c| c.inc == r.inc && c.conn == r.conn)
            .and_then(|c| c.closed);
        let end = [answered.get(&x.req).copied(), closed].into_iter().flatten().min()?;
        let queued = *delivered.get(&(x.req, r.inc))?;
        Some((r.inc, end, between(r.inc, queued, end)?))
    };
    for a in &h.lock_asks {
        let Some((ia, end_a, last_a)) = waited(a) else { continue };
        for b in h.lock_asks.iter().filter(|b| b.granted && b.resource == a.resource) {
            let Some((ib, granted_b, _)) = waited(b) else { continue };
            let conflict = a.mode == l::EX || b.mode == l::EX;
            let (Some(&qa), Some(&qb), Some(&m)) = (
                delivered.get(&(a.req, ib)),
                delivered.get(&(b.req, ib)),
                delivered.get(&(last_a, ib)),
            ) else {
                continue;
            };
            if ia != ib && conflict && qa < qb && granted_b < m {
                out.push(Violation {
                    property: Property::LockOvertaken,
                    detail: format!(
                        "{}: request {} (node {}) queued before request {} (node {}), which was granted at {} while it waited (until {})",
                        String::from_utf8_lossy(&a.resource),
                        a.req,
                        h.incarnations[ia],
                        b.req,
                        h.incarnations[ib],
                        granted_b,
                        end_a
                    ),
                });
            }
        }
    }
}

/// What an LCK client holds: its opens (name to id) and granted locks
/// (resource id, lock id).
#[derive(Default)]
pub struct LckClient {
    pub opened: BTreeMap<Vec<u8>, u64>,
    pub held: Vec<(u64, u64)>,
    /// The name being opened or the resource being closed or unlocked in.
    pending: Option<(Vec<u8>, u64)>,
    /// The lock being released.
    unlocking: Option<u64>,
    /// The mode and flags of the lock being requested.
    mode: u32,
    flags: u32,
}

/// Where an answer came: the recorder, the client's incarnation and
/// connection, and its node's configuration.
#[derive(Clone, Copy)]
pub struct Where<'a> {
    pub rec: &'a Shared,
    pub inc: Inc,
    pub conn: ConnId,
    pub ring: RingId,
    pub req: ReqId,
}

/// One request: its message id and payload.
pub struct Ask {
    pub msg: u16,
    pub payload: Vec<u8>,
}

/// The client of `inc` gives up the locks `which` picks (it asked to unlock them).
fn release(rec: &Shared, inc: Inc, which: impl Fn(&Held) -> bool) {
    let mut r = rec.borrow_mut();
    let at = r.tick();
    for h in r.h.locks.iter_mut().filter(|h| h.inc == inc && h.until.is_none()) {
        if which(h) {
            h.until = Some(at);
        }
    }
}

fn enc<M: Message>(m: &M) -> Vec<u8> {
    m.encode().expect("the simulator's requests are within bounds")
}

impl LckClient {
    /// The client's next request.
    pub fn step(&mut self, rng: &mut Rng, rec: &Shared, inc: Inc) -> Ask {
        let roll = rng.range(0, 99);
        if self.opened.is_empty() || roll < 8 {
            let name = rng.pick(&RESOURCES).to_vec();
            self.pending = Some((name.clone(), 0));
            let m = l::Open {
                invocation: 0,
                name,
                flags: l::RESOURCE_CREATE,
            };
            return Ask {
                msg: l::OPEN,
                payload: enc(&m),
            };
        }
        if !self.held.is_empty() && roll < 45 {
            let &(_, id) = rng.pick(&self.held);
            self.unlocking = Some(id);
            release(rec, inc, |h| h.lock_id == id);
            let m = l::Unlock {
                lock_id: id,
                invocation: 0,
            };
            return Ask {
                msg: l::UNLOCK,
                payload: enc(&m),
            };
        }
        let opened: Vec<(Vec<u8>, u64)> = self.opened.iter().map(|(n, i)| (n.clone(), *i)).collect();
        let (name, id) = rng.pick(&opened).clone();
        if roll < 52 {
            let mine: Vec<u64> = self.held.iter().filter(|&&(r, _)| r == id).map(|&(_, k)| k).collect();
            release(rec, inc, |h| mine.contains(&h.lock_id));
            self.pending = Some((name, id));
            return Ask {
                msg: l::CLOSE,
                payload: enc(&l::ResourceId(id)),
            };
        }
        self.mode = if rng.chance(0.5) { l::PR } else { l::EX };
        self.flags = if rng.chance(0.3) { l::LOCK_NO_QUEUE } else { 0 };
        let m = l::Lock {
            resource: id,
            invocation: 0,
            mode: self.mode,
            flags: self.flags,
            waiter_signal: 0,
            timeout: rng.range(ms(5), ms(80)) as i64,
        };
        self.pending = Some((name, id));
        Ask {
            msg: l::LOCK,
            payload: enc(&m),
        }
    }

    /// The answer to the request of kind `msg`.
    pub fn answered(&mut self, msg: u16, st: u32, payload: &[u8], at: &Where<'_>) {
        let Where {
            rec,
            inc,
            conn,
            ring,
            req,
        } = *at;
        let pending = self.pending.take();
        match msg {
            l::OPEN if st == status::OK => {
                if let (Some((name, _)), Ok(o)) = (pending, l::Opened::decode(payload)) {
                    self.opened.insert(name, o.resource);
                }
            }
            l::CLOSE if st == status::OK => {
                if let Some((name, id)) = pending {
                    self.opened.remove(&name);
                    self.held.retain(|&(r, _)| r != id);
                }
            }
            l::LOCK if st == status::OK => {
                if let (Some((name, id)), Ok(k)) = (pending, l::Locked::decode(payload)) {
                    rec.borrow_mut().h.lock_asks.push(Asked {
                        req,
                        resource: name.clone(),
                        mode: self.mode,
                        granted: k.status == l::lock_status::GRANTED,
                    });
                    if k.status == l::lock_status::GRANTED {
                        self.held.push((id, k.lock_id));
                        let mut r = rec.borrow_mut();
                        let from = r.tick();
                        r.h.locks.push(Held {
                            inc,
                            conn,
                            lock_id: k.lock_id,
                            resource: name,
                            mode: self.mode,
                            ring,
                            from,
                            until: None,
                            orphan: self.flags & l::LOCK_ORPHAN != 0,
                        });
                    }
                }
            }
            // Released, or lost in a merge (NOT_EXIST): not held either way.
            l::UNLOCK => {
                if let Some(id) = self.unlocking.take() {
                    self.held.retain(|&(_, k)| k != id);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{Answer, Conn, Delivered, Request, Target};
    use ais_exec::ipc::ServiceId;

    fn held(conn: u64, mode: u32, ring: u64, from: u64, until: Option<u64>) -> Held {
        Held {
            inc: 0,
            conn: ConnId(conn),
            lock_id: conn,
            resource: b"r".to_vec(),
            mode,
            ring: RingId { rep: 1, seq: ring },
            from,
            until,
            orphan: false,
        }
    }

    /// Connection `conn` of incarnation `inc`, open from tick 0 until `closed`.
    fn conn(inc: Inc, conn: u64, closed: Option<u64>) -> Conn {
        Conn {
            inc,
            conn: ConnId(conn),
            opened: 0,
            closed,
        }
    }

    fn caught(h: &History) -> Vec<Property> {
        let mut out = Vec::new();
        check(h, &mut out);
        out.into_iter().map(|v| v.property).collect()
    }

    fn violations(locks: Vec<Held>) -> usize {
        let h = History {
            incarnations: vec![1],
            conns: vec![conn(0, 1, None), conn(0, 2, None)],
            locks,
            ..History::default()
        };
        let mut out = Vec::new();
        check(&h, &mut out);
        out.len()
    }

    #[test]
    fn conflicting_holders_in_one_configuration_are_caught() {
        assert_eq!(
            violations(vec![held(1, l::EX, 4, 1, None), held(2, l::PR, 4, 2, None)]),
            1
        );
        // One gave it up before the other was granted; PR with PR; another ring.
        assert_eq!(
            violations(vec![held(1, l::EX, 4, 1, Some(2)), held(2, l::EX, 4, 3, None)]),
            0
        );
        assert_eq!(
            violations(vec![held(1, l::PR, 4, 1, None), held(2, l::PR, 4, 2, None)]),
            0
        );
        assert_eq!(
            violations(vec![held(1, l::EX, 4, 1, None), held(2, l::EX, 8, 2, None)]),
            0
        );
    }

    // saLck(3), a process that ends: its locks are released, unless taken
    // with SA_LCK_LOCK_ORPHAN (then orphaned, held by no process).
    #[test]
    fn a_grant_to_a_connection_gone_is_caught_unless_orphan() {
        let gone = |from: u64, orphan: bool| History {
            incarnations: vec![1],
            conns: vec![conn(0, 1, Some(10))],
            locks: vec![Held {
                orphan,
                ..held(1, l::EX, 4, from, None)
            }],
            ..History::default()
        };
        assert_eq!(caught(&gone(12, false)), vec![Property::LockOfGoneConn]);
        assert!(caught(&gone(5, false)).is_empty());
        assert!(caught(&gone(12, true)).is_empty());
        // A connection the run never opened on that incarnation holds nothing.
        let elsewhere = History {
            conns: vec![conn(1, 1, None)],
            incarnations: vec![1, 2],
            ..gone(5, false)
        };
        assert_eq!(caught(&elsewhere), vec![Property::LockOfGoneConn]);
    }

    /// Node 1 (incarnation 0) asks A (request 0), node 2 (incarnation 1)
    /// then asks B (request 1) on the same resource; two more messages
    /// (requests 2 and 3) follow. Every node delivers all four in order.
    /// A is answered on node 1 at `a_at` (granted or not), B granted on
    /// node 2 at `b_at`.
    fn queue(a_mode: u32, b_mode: u32, a_at: u64, a_granted: bool, b_at: u64) -> History {
        let req = |inc: Inc, conn: u64| Request {
            inc,
            conn: ConnId(conn),
            service: ServiceId::LCK,
            msg: l::LOCK,
            at: 1,
            ordered: true,
            target: Target::None,
        };
        let deliveries = [(0, 10), (1, 11), (2, 20), (3, 30)]
            .into_iter()
            .flat_map(|(req, at)| {
                [
                    Delivered { req, inc: 0, at },
                    Delivered {
                        req,
                        inc: 1,
                        at: at + 1,
                    },
                ]
            })
            .collect();
        let answer = |req, by, at| Answer {
            req,
            by,
            status: status::OK,
            at,
        };
        let ask = |req, mode, granted| Asked {
            req,
            resource: b"r".to_vec(),
            mode,
            granted,
        };
        History {
            incarnations: vec![1, 2],
            conns: vec![conn(0, 1, None), conn(1, 2, None)],
            requests: vec![req(0, 1), req(1, 2), req(0, 1), req(1, 2)],
            deliveries,
            answers: vec![answer(0, 0, a_at), answer(1, 1, b_at)],
            lock_asks: vec![ask(0, a_mode, a_granted), ask(1, b_mode, true)],
            ..History::default()
        }
    }

    // saLck(3): lock requests that cannot be granted wait in the order they
    // were queued; a later conflicting waiter does not overtake an earlier one.
    #[test]
    fn a_waiter_overtaken_by_a_later_conflicting_one_is_caught() {
        // B granted on node 2 (22) on message 2, A only after message 3 (35).
        assert_eq!(
            caught(&queue(l::EX, l::EX, 35, true, 22)),
            vec![Property::LockOvertaken]
        );
        assert_eq!(
            caught(&queue(l::PR, l::EX, 35, true, 22)),
            vec![Property::LockOvertaken]
        );
        // A granted (or expired) on message 2, B after message 3: in order.
        assert!(caught(&queue(l::EX, l::EX, 22, true, 32)).is_empty());
        assert!(caught(&queue(l::EX, l::EX, 22, false, 32)).is_empty());
        // Both on message 3: A's grant came first in the one agreed order.
        assert!(caught(&queue(l::EX, l::EX, 31, true, 32)).is_empty());
        // PR after PR never conflicts.
        assert!(caught(&queue(l::PR, l::PR, 35, true, 22)).is_empty());
        // A answered while its own request was delivered: it never waited.
        assert!(caught(&queue(l::EX, l::EX, 10, true, 22)).is_empty());
    }
}
