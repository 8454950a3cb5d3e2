//! The LCK service as the executive runs it: a request that changes the lock
//! table becomes an ordered cluster message; every node applies it to its
//! [`Table`]; the node that took the request answers it (or sends the
//! callback) when it is applied. A synchronous lock's timeout runs here, on
//! the requester's node, and ends the request with an ordered EXPIRE, so no
//! node grants it afterwards.

use super::table::{mode, Event, Limits, LockKey, Owner, Table, Via};
use super::wire::LckMsg;
use crate::ipc::{AisVersion, ServiceId};
use crate::services::clock::WallClock;
use crate::services::contract::{digest_of, Effect, Handling, Held, HostView, NodeId, Reply, Round, Service, Token};
use crate::services::registry::Setup;
use ais_proto::lck::{self as msg, Locked, ResourceId};
use ais_proto::{status, Message};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::Hash;

/// Most resources one handle may have open (`SA_AIS_ERR_NO_RESOURCES` beyond):
/// what a client can make the executive hold is bounded.
pub const MAX_OPENS_PER_HANDLE: usize = 1024;

/// One library handle on this node.
struct Conn {
    handle: u64,
    /// Its opens: open id → resource name.
    opens: HashMap<u64, Vec<u8>>,
}

/// A sync round in progress: the tables received, by the ring they were kept in.
#[derive(Default)]
struct Merging {
    members: Vec<NodeId>,
    /// Ordered so that a quorate old ring comes first (a side that was not
    /// quorate granted nothing new and takes the quorate side's table), then
    /// the lowest old ring, nodes new to any ring last.
    tables: BTreeMap<(u8, bool, Option<crate::services::contract::RingId>), Table>,
}

pub struct LckService<C> {
    me: NodeId,
    table: Table,
    wall: WallClock,
    /// Handles, open ids, lock ids and tokens: unique on this node across
    /// restarts (seeded from the wall clock in microseconds).
    next: u64,
    conns: HashMap<C, Conn>,
    by_handle: HashMap<u64, C>,
    /// Synchronous lock requests waiting on this node: (deadline, lock id).
    timers: BTreeSet<(i64, u64)>,
    deadline_of: HashMap<u64, i64>,
    merging: Option<Merging>,
}

impl<C: Copy + Eq + Hash + Send> LckService<C> {
    pub fn new(me: NodeId, limits: Limits, wall: WallClock) -> LckService<C> {
        let next = (wall.now() / 1000).max(1) as u64;
        LckService {
            me,
            table: Table::new(limits),
            wall,
            next,
            conns: HashMap::new(),
            by_handle: HashMap::new(),
            timers: BTreeSet::new(),
            deadline_of: HashMap::new(),
            merging: None,
        }
    }

    /// This service as the registry builds it.
    pub fn from_setup(s: &Setup) -> Self {
        LckService::new(s.me.node_id, Limits::default(), s.wall.clone())
    }

    /// The replicated table (tests and the simulator).
    pub fn table(&self) -> &Table {
        &self.table
    }

    fn next(&mut self) -> u64 {
        self.next += 1;
        self.next
    }

    fn owner(&self, c: &Conn) -> Owner {
        Owner {
            node: self.me,
            handle: c.handle,
        }
    }

    fn ordered(&mut self, m: LckMsg, token: u64, accepted: Option<Reply>) -> Handling<C> {
        match m.encode() {
            Ok(message) => Handling::Ordered {
                message,
                token: Token(token),
                accepted,
            },
            Err(_) => Handling::status(status::INVALID_PARAM),
        }
    }

    fn answer(&mut self, conn: C, msg_id: u16, payload: &[u8]) -> Result<Handling<C>, u32> {
        let bad = |_| status::INVALID_PARAM;
        let c = self.conns.get(&conn).ok_or(status::BAD_HANDLE)?;
        let owner = self.owner(c);
        let opened = |id: u64| c.opens.get(&id).cloned().ok_or(status::BAD_HANDLE);
        match msg_id {
            msg::OPEN | msg::OPEN_ASYNC => {
                let o = msg::Open::decode(payload).map_err(bad)?;
                if o.flags & !msg::RESOURCE_CREATE != 0 {
                    return Err(status::BAD_FLAGS);
                }
                if c.opens.len() >= MAX_OPENS_PER_HANDLE {
                    return Err(status::NO_RESOURCES);
                }
                let (open, token) = (self.next(), self.next());
                let (via, accepted) = match msg_id {
                    msg::OPEN => (Via::Sync(token), None),
                    _ => (Via::Async(o.invocation), Some(Reply::status(status::OK))),
                };
                let m = LckMsg::Open {
                    owner,
                    open,
                    name: o.name,
                    create: o.flags & msg::RESOURCE_CREATE != 0,
                    via,
                };
                Ok(self.ordered(m, token, accepted))
            }
            msg::CLOSE | msg::PURGE => {
                let ResourceId(open) = ResourceId::decode(payload).map_err(bad)?;
                let name = opened(open)?;
                let token = self.next();
                let via = Via::Sync(token);
                let m = match msg_id {
                    msg::CLOSE => LckMsg::Close { owner, open, name, via },
                    _ => LckMsg::Purge { owner, open, name, via },
                };
                Ok(self.ordered(m, token, None))
            }
            msg::LOCK | msg::LOCK_ASYNC => {
                let l = msg::Lock::decode(payload).map_err(bad)?;
                let name = opened(l.resource)?;
                let lock_mode = mode(l.mode).ok_or(status::INVALID_PARAM)?;
                if l.flags & !(msg::LOCK_NO_QUEUE | msg::LOCK_ORPHAN) != 0 {
                    return Err(status::BAD_FLAGS);
                }
                let (id, token) = (self.next(), self.next());
                let (via, accepted) = match msg_id {
                    msg::LOCK => {
                        if l.timeout < 0 {
                            return Err(status::INVALID_PARAM);
                        }
                        let deadline = self.wall.now().saturating_add(l.timeout);
                        self.timers.insert((deadline, id));
                        self.deadline_of.insert(id, deadline);
                        (Via::Sync(token), None)
                    }
                    _ => {
                        let r = msg::LockId(id).encode().map_err(|_| status::LIBRARY)?;
                        (
                            Via::Async(l.invocation),
                            Some(Reply {
                                status: status::OK,
                                payload: r,
                            }),
                        )
                    }
                };
                let lock = super::table::Lock {
                    key: LockKey { node: self.me, id },
                    owner: Some(owner),
                    open: l.resource,
                    mode: lock_mode,
                    orphan: l.flags & msg::LOCK_ORPHAN != 0,
                    waiter_signal: l.waiter_signal,
                    via,
                };
                let m = LckMsg::Lock {
                    name,
                    lock,
                    no_queue: l.flags & msg::LOCK_NO_QUEUE != 0,
                };
                Ok(self.ordered(m, token, accepted))
            }
            msg::UNLOCK | msg::UNLOCK_ASYNC => {
                let u = msg::Unlock::decode(payload).map_err(bad)?;
                let key = LockKey {
                    node: self.me,
                    id: u.lock_id,
                };
                if self.table.granted(key).and_then(|l| l.owner) != Some(owner) {
                    return Err(status::NOT_EXIST);
                }
                let token = self.next();
                let (via, accepted) = match msg_id {
                    msg::UNLOCK => (Via::Sync(token), None),
                    _ => (Via::Async(u.invocation), Some(Reply::status(status::OK))),
                };
                Ok(self.ordered(LckMsg::Unlock { owner, key, via }, token, accepted))
            }
            msg::LIMIT => {
                let msg::LimitId(id) = msg::LimitId::decode(payload).map_err(bad)?;
                if id != msg::MAX_NUM_LOCKS_ID {
                    return Err(status::INVALID_PARAM);
                }
                let v = msg::LimitValue(self.table.limits.max_locks as u64);
                Ok(Handling::reply(Reply {
                    status: status::OK,
                    payload: v.encode().map_err(|_| status::LIBRARY)?,
                }))
            }
            _ => Err(status::NOT_SUPPORTED),
        }
    }

    /// The answer or callback to a request of a handle of this node.
    fn reply(&self, owner: Owner, via: Via, cb_msg: u16, reply: Reply, callback: Vec<u8>) -> Option<Effect<C>> {
        if owner.node != self.me {
            return None;
        }
        match via {
            Via::Sync(t) => Some(Effect::Answer { token: Token(t), reply }),
            Via::Async(_) => Some(Effect::Callback {
                conn: *self.by_handle.get(&owner.handle)?,
                msg: cb_msg,
                status: status::OK,
                payload: callback,
            }),
        }
    }

    /// Answers and callbacks for the table's events that concern this node.
    fn effects(&mut self, events: Vec<Event>) -> Vec<Effect<C>> {
        let mut out = Vec::new();
        for e in events {
            match e {
                Event::LockDone {
                    lock,
                    status: st,
                    error,
                } => {
                    let Some(owner) = lock.owner else { continue };
                    if lock.key.node == self.me {
                        if let Some(d) = self.deadline_of.remove(&lock.key.id) {
                            self.timers.remove(&(d, lock.key.id));
                        }
                    }
                    let reply = if error == status::OK {
                        Reply {
                            status: status::OK,
                            payload: Locked {
                                lock_id: lock.key.id,
                                status: st,
                            }
                            .encode()
                            .unwrap_or_default(),
                        }
                    } else {
                        Reply::status(error)
                    };
                    let inv = match lock.via {
                        Via::Async(i) => i,
                        Via::Sync(_) => 0,
                    };
                    let cb = msg::GrantCallback {
                        invocation: inv,
                        lock_id: lock.key.id,
                        status: if error == status::OK { st } else { 0 },
                        error,
                    };
                    let cb = cb.encode().unwrap_or_default();
                    out.extend(self.reply(owner, lock.via, msg::GRANT_CALLBACK, reply, cb));
                }
                Event::Waiter {
                    holder,
                    held,
                    requested,
                    signal,
                } => {
                    if holder.node != self.me {
                        continue;
                    }
                    let Some(&conn) = self.by_handle.get(&holder.handle) else {
                        continue;
                    };
                    let w = msg::Waiter {
                        waiter_signal: signal,
                        lock_id: held.key.id,
                        mode_held: held.mode,
                        mode_requested: requested,
                    };
                    out.push(Effect::Callback {
                        conn,
                        msg: msg::WAITER_CALLBACK,
                        status: status::OK,
                        payload: w.encode().unwrap_or_default(),
                    });
                }
            }
        }
        out
    }

    /// The answer to a simple request (close, purge, unlock): OK or an error.
    fn done(&self, owner: Owner, via: Via, cb_msg: u16, r: Result<(), u32>) -> Option<Effect<C>> {
        let error = r.err().unwrap_or(status::OK);
        let inv = match via {
            Via::Async(i) => i,
            Via::Sync(_) => 0,
        };
        let cb = msg::UnlockCallback { invocation: inv, error };
        self.reply(
            owner,
            via,
            cb_msg,
            Reply::status(error),
            cb.encode().unwrap_or_default(),
        )
    }

    fn apply(&mut self, m: LckMsg) -> Vec<Effect<C>> {
        match m {
            LckMsg::Open {
                owner,
                open,
                name,
                create,
                via,
            } => {
                let r = self.table.open(owner, open, &name, create);
                if owner.node == self.me && r.is_ok() {
                    if let Some(c) = self.by_handle.get(&owner.handle).and_then(|k| self.conns.get_mut(k)) {
                        c.opens.insert(open, name);
                    }
                }
                let error = r.err().unwrap_or(status::OK);
                let ok = error == status::OK;
                let reply = match ok {
                    true => Reply {
                        status: status::OK,
                        payload: msg::Opened { resource: open }.encode().unwrap_or_default(),
                    },
                    false => Reply::status(error),
                };
                let inv = match via {
                    Via::Async(i) => i,
                    Via::Sync(_) => 0,
                };
                let cb = msg::OpenCallback {
                    invocation: inv,
                    resource: if ok { open } else { 0 },
                    error,
                };
                self.reply(owner, via, msg::OPEN_CALLBACK, reply, cb.encode().unwrap_or_default())
                    .into_iter()
                    .collect()
            }
            LckMsg::Close { owner, open, name, via } => {
                let r = self.table.close(owner, open, &name);
                if owner.node == self.me {
                    if let Some(c) = self.by_handle.get(&owner.handle).and_then(|k| self.conns.get_mut(k)) {
                        c.opens.remove(&open);
                    }
                }
                let (r, events) = split(r);
                let mut out = self.effects(events);
                out.extend(self.done(owner, via, 0, r));
                out
            }
            LckMsg::Purge { owner, open, name, via } => {
                let (r, events) = split(self.table.purge(owner, open, &name));
                let mut out = self.effects(events);
                out.extend(self.done(owner, via, 0, r));
                out
            }
            LckMsg::Lock { name, lock, no_queue } => {
                let events = self.table.lock(&name, lock, no_queue);
                self.effects(events)
            }
            LckMsg::Unlock { owner, key, via } => {
                let (r, events) = split(self.table.unlock(owner, key));
                let mut out = self.effects(events);
                out.extend(self.done(owner, via, msg::UNLOCK_CALLBACK, r));
                out
            }
            LckMsg::Expire { key } => {
                let events = self.table.expire(key);
                self.effects(events)
            }
            LckMsg::Release { owner } => {
                let events = self.table.release(owner);
                self.effects(events)
            }
            LckMsg::Table { .. } => Vec::new(),
        }
    }
}

fn split(r: Result<Vec<Event>, u32>) -> (Result<(), u32>, Vec<Event>) {
    match r {
        Ok(e) => (Ok(()), e),
        Err(s) => (Err(s), Vec::new()),
    }
}

impl<C: Copy + Eq + Hash + Send> Service<C> for LckService<C> {
    fn id(&self) -> ServiceId {
        ServiceId::LCK
    }

    fn version(&self) -> AisVersion {
        AisVersion::new(b'B', 3, 1)
    }

    fn connected(&mut self, conn: C, _peer: crate::services::contract::Peer) -> Vec<Effect<C>> {
        let handle = self.next();
        self.conns.insert(
            conn,
            Conn {
                handle,
                opens: HashMap::new(),
            },
        );
        self.by_handle.insert(handle, conn);
        Vec::new()
    }

    /// The handle finalized or its process died: its locks are released
    /// (orphan ones orphaned) on every node, in agreed order.
    fn disconnected(&mut self, conn: C) -> Vec<Effect<C>> {
        let Some(c) = self.conns.remove(&conn) else {
            return Vec::new();
        };
        self.by_handle.remove(&c.handle);
        let owner = self.owner(&c);
        LckMsg::Release { owner }
            .encode()
            .map(Effect::Multicast)
            .into_iter()
            .collect()
    }

    fn request(&mut self, conn: C, msg_id: u16, payload: &[u8], _: &dyn HostView) -> Handling<C> {
        self.answer(conn, msg_id, payload).unwrap_or_else(Handling::status)
    }

    /// A request whose message could not be queued: its timer goes.
    fn refused(&mut self, token: Token) -> Vec<Effect<C>> {
        // The lock id of a synchronous lock is the number before its token.
        let id = token.0.wrapping_sub(1);
        if let Some(d) = self.deadline_of.remove(&id) {
            self.timers.remove(&(d, id));
        }
        Vec::new()
    }

    fn busy(&self, msg_id: u16) -> Reply {
        let _ = msg_id;
        Reply::status(status::TRY_AGAIN)
    }

    fn delivered(&mut self, _sender: NodeId, data: &[u8], _now: u64) -> Vec<Effect<C>> {
        match LckMsg::decode(data) {
            Ok(m) => self.apply(m),
            Err(_) => Vec::new(),
        }
    }

    fn replicated(&self) -> bool {
        true
    }

    fn sync_init(&mut self, round: &Round<'_>) -> Vec<Vec<u8>> {
        self.merging = Some(Merging {
            members: round.members.to_vec(),
            tables: BTreeMap::new(),
        });
        let piece = LckMsg::Table {
            old_ring: round.old_ring,
            old_quorate: round.old_quorate,
            table: self.table.clone(),
        };
        piece.encode().into_iter().collect()
    }

    fn sync_receive(&mut self, _sender: NodeId, piece: &[u8]) {
        let (
            Some(m),
            Ok(LckMsg::Table {
                old_ring,
                old_quorate,
                table,
            }),
        ) = (self.merging.as_mut(), LckMsg::decode(piece))
        else {
            return;
        };
        let quorum_rank = match old_quorate {
            Some(true) => 0,
            None => 1,
            Some(false) => 2,
        };
        // The members of one old ring hold the same table: the first copy serves.
        m.tables
            .entry((quorum_rank, old_ring.is_none(), old_ring))
            .or_insert(table);
    }

    /// The merge rule (module docs), then the release of the nodes gone.
    fn sync_activate(&mut self, _now: u64) -> Vec<Effect<C>> {
        let Some(m) = self.merging.take() else {
            return Vec::new();
        };
        let mut tables = m.tables.into_values();
        let mut merged = tables.next().unwrap_or_default();
        merged.limits = self.table.limits;
        let mut events = Vec::new();
        for t in tables {
            events.extend(merged.merge(t));
        }
        events.extend(merged.release_nodes(&m.members));
        self.table = merged;
        // This node's handles' opens follow the table.
        for c in self.conns.values_mut() {
            let handle = c.handle;
            let me = self.me;
            c.opens.retain(|open, name| {
                self.table
                    .resources
                    .get(name)
                    .is_some_and(|r| r.opens.contains(&(Owner { node: me, handle }, *open)))
            });
        }
        self.effects(events)
    }

    fn sync_abort(&mut self) -> Held {
        self.merging = None;
        Held::Apply
    }

    /// Synchronous requests whose time ran out: an ordered EXPIRE each.
    fn tick(&mut self, _now: u64) -> Vec<Effect<C>> {
        let wall = self.wall.now();
        let mut out = Vec::new();
        while let Some(&(d, id)) = self.timers.first() {
            if d > wall {
                break;
            }
            self.timers.remove(&(d, id));
            self.deadline_of.remove(&id);
            let key = LockKey { node: self.me, id };
            out.extend(LckMsg::Expire { key }.encode().map(Effect::Multicast));
        }
        out
    }

    fn next_deadline(&self, now: u64) -> Option<u64> {
        let &(d, _) = self.timers.first()?;
        let left = d.saturating_sub(self.wall.now()).max(0);
        Some(now.saturating_add(left as u64))
    }

    fn digest(&self) -> Option<u64> {
        if self.merging.is_some() {
            return None;
        }
        Some(digest_of(|h| self.table.resources.hash(h)))
    }
}

#[cfg(test)]
mod tests;
