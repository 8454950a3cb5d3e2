//! The LCK workload of the service simulator: a client that opens two
//! resources, takes PR and EX locks on them (some with NO_QUEUE, each
//! synchronous request with a short timeout, so a waiter also leaves the
//! queue by an ordered EXPIRE), unlocks them and closes resources, while the
//! scenario's faults kill nodes, partition and heal the ring. The lock tables
//! are replicated state: the checker's digest rule compares them once the
//! ring is quiet, so every node must have applied the same grants, releases
//! of nodes gone and merges alike.

use ais_proto::lck as l;
use ais_proto::message::Message;
use ais_proto::status;
use ais_totem::ms;
use ais_totem_sim::rng::Rng;
use std::collections::BTreeMap;

/// The resources the clients contend for.
const RESOURCES: [&[u8]; 2] = [b"lck-0", b"lck-1"];

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
}

/// One request: its message id and payload.
pub struct Ask {
    pub msg: u16,
    pub payload: Vec<u8>,
}

fn enc<M: Message>(m: &M) -> Vec<u8> {
    m.encode().expect("the simulator's requests are within bounds")
}

impl LckClient {
    /// The client's next request.
    pub fn step(&mut self, rng: &mut Rng) -> Ask {
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
            self.pending = Some((name, id));
            return Ask {
                msg: l::CLOSE,
                payload: enc(&l::ResourceId(id)),
            };
        }
        let m = l::Lock {
            resource: id,
            invocation: 0,
            mode: if rng.chance(0.5) { l::PR } else { l::EX },
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
    pub fn answered(&mut self, msg: u16, st: u32, payload: &[u8]) {
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
                if let (Some((_, id)), Ok(k)) = (pending, l::Locked::decode(payload)) {
                    if k.status == l::lock_status::GRANTED {
                        self.held.push((id, k.lock_id));
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
