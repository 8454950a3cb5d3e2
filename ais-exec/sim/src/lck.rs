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
use crate::history::{History, Inc};
use ais_exec::ipc::ConnId;
use ais_proto::lck as l;
use ais_proto::message::Message;
use ais_proto::status;
use ais_totem::{ms, RingId};
use ais_totem_sim::rng::Rng;
use std::collections::BTreeMap;

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
}

/// The checker's LCK rule ([`Property::LockConflict`]): two locks granted
/// in one configuration, to live connections, never conflict (PR with PR
/// only) while both are held. A lock granted in another configuration (a
/// partition, or before a merge that dropped it) is not compared: those are
/// the failure and merge rules of saLck(3), which the unit tests check.
pub fn check(h: &History, out: &mut Vec<Violation>) {
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
    /// The mode of the lock being requested.
    mode: u32,
}

/// Where an answer came: the recorder, the client's incarnation and
/// connection, and its node's configuration.
#[derive(Clone, Copy)]
pub struct Where<'a> {
    pub rec: &'a Shared,
    pub inc: Inc,
    pub conn: ConnId,
    pub ring: RingId,
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
        let m = l::Lock {
            resource: id,
            invocation: 0,
            mode: self.mode,
            flags: if rng.chance(0.3) { l::LOCK_NO_QUEUE } else { 0 },
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
        let Where { rec, inc, conn, ring } = *at;
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
        }
    }

    fn violations(locks: Vec<Held>) -> usize {
        let h = History {
            incarnations: vec![1],
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
}
