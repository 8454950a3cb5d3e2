//! The lock table every node holds alike: resources, their granted locks and
//! their FIFO queues, changed only by operations applied in agreed order, so
//! that every node reaches the same grants (SAI-AIS-LCK-B.03.01 §3.1, §3.6).
//!
//! Pure: no clock, no connection. Each operation returns the [`Event`]s it
//! causes (a request decided, a holder to tell that someone waits); the
//! service turns those of its own handles into answers and callbacks.
//!
//! Grant rule: a request is granted when nothing waits ahead of it and it is
//! compatible with every granted lock (PR with PR; EX with nothing). Waiters
//! are granted from the head of the queue only, so none is overtaken.

use ais_proto::lck::{lock_status, EX, PR};
use ais_proto::status;
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

pub type NodeId = u32;

/// One library handle, cluster-wide: its node and the number its executive gave it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Owner {
    pub node: NodeId,
    pub handle: u64,
}

/// A lock, cluster-wide: the node that took the request and its `SaLckLockIdT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LockKey {
    pub node: NodeId,
    pub id: u64,
}

/// How the requester waits for the answer: a synchronous call (the router's
/// token on its node) or a callback with the application's invocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Via {
    Sync(u64),
    Async(u64),
}

/// A lock request or a granted lock.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Lock {
    pub key: LockKey,
    /// `None` once orphaned: its holder is gone and it was taken with `SA_LCK_LOCK_ORPHAN`.
    pub owner: Option<Owner>,
    /// The owner's open of the resource it was requested through.
    pub open: u64,
    /// `SA_LCK_PR_LOCK_MODE` or `SA_LCK_EX_LOCK_MODE`.
    pub mode: u32,
    /// `SA_LCK_LOCK_ORPHAN` was given.
    pub orphan: bool,
    pub waiter_signal: u64,
    pub via: Via,
}

impl Lock {
    fn conflicts(&self, mode: u32) -> bool {
        self.mode == EX || mode == EX
    }
}

/// One resource.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Resource {
    /// Who has it open (owner, open id).
    pub opens: BTreeSet<(Owner, u64)>,
    /// In the order they were granted.
    pub granted: Vec<Lock>,
    /// Waiting, first come first.
    pub queue: VecDeque<Lock>,
}

impl Resource {
    fn is_unused(&self) -> bool {
        self.opens.is_empty() && self.granted.is_empty() && self.queue.is_empty()
    }
}

/// What an operation caused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A lock request is decided: `error` `SA_AIS_OK` with a `SaLckLockStatusT`, or an
    /// error (`SA_AIS_ERR_TIMEOUT`, `SA_AIS_ERR_BAD_HANDLE` when its open was closed).
    LockDone { lock: Lock, status: u32, error: u32 },
    /// `holder` is asked, with `signal`, to give up `held` (someone requests `requested`).
    Waiter {
        holder: Owner,
        held: Lock,
        requested: u32,
        signal: u64,
    },
}

/// The table's bounds (saLckLimitGet reports `max_locks`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Locks granted and waiting, cluster-wide.
    pub max_locks: usize,
    /// Resources, cluster-wide.
    pub max_resources: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_locks: 16_384,
            max_resources: 4_096,
        }
    }
}

/// The table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table {
    pub resources: BTreeMap<Vec<u8>, Resource>,
    pub limits: Limits,
    /// Where each lock is (granted or waiting).
    at: HashMap<LockKey, Vec<u8>>,
}

impl Table {
    pub fn new(limits: Limits) -> Table {
        Table {
            limits,
            ..Table::default()
        }
    }

    /// A table of these resources (a sync piece), default limits.
    pub fn with_resources(resources: BTreeMap<Vec<u8>, Resource>) -> Table {
        let mut t = Table {
            resources,
            ..Table::default()
        };
        t.reindex();
        t
    }

    /// Locks granted and waiting.
    pub fn lock_count(&self) -> usize {
        self.at.len()
    }

    /// The resource a lock is on.
    pub fn resource_of(&self, key: LockKey) -> Option<&[u8]> {
        self.at.get(&key).map(Vec::as_slice)
    }

    /// The granted lock `key`, if it is.
    pub fn granted(&self, key: LockKey) -> Option<&Lock> {
        let r = self.resources.get(self.at.get(&key)?)?;
        r.granted.iter().find(|l| l.key == key)
    }

    /// The waiting request `key`, if it is.
    pub fn waiting(&self, key: LockKey) -> Option<&Lock> {
        let r = self.resources.get(self.at.get(&key)?)?;
        r.queue.iter().find(|l| l.key == key)
    }

    /// saLckResourceOpen (§3.5.1): an existing resource, or a new one with
    /// `SA_LCK_RESOURCE_CREATE` (`SA_AIS_ERR_NOT_EXIST` without it,
    /// `SA_AIS_ERR_NO_RESOURCES` beyond the resource limit).
    pub fn open(&mut self, owner: Owner, open: u64, name: &[u8], create: bool) -> Result<(), u32> {
        if !self.resources.contains_key(name) {
            if !create {
                return Err(status::NOT_EXIST);
            }
            if self.resources.len() >= self.limits.max_resources {
                return Err(status::NO_RESOURCES);
            }
        }
        self.resources
            .entry(name.to_vec())
            .or_default()
            .opens
            .insert((owner, open));
        Ok(())
    }

    /// A lock request (saLckResourceLock §3.6.1, saLckResourceLockAsync §3.6.2).
    /// Decided at once (GRANTED, NOT_QUEUED with `SA_LCK_LOCK_NO_QUEUE`,
    /// ORPHANED when an orphan lock conflicts, DUPLICATE_EX for a second EX
    /// through one open, NO_MORE at the lock limit, DEADLOCK when waiting would
    /// close a cycle of the wait-for graph), or queued: then each holder of a
    /// conflicting lock hears of it through a waiter event.
    pub fn lock(&mut self, name: &[u8], lock: Lock, no_queue: bool) -> Vec<Event> {
        let done = |lock: Lock, status: u32| {
            vec![Event::LockDone {
                lock,
                status,
                error: status::OK,
            }]
        };
        let Some(owner) = lock.owner else { return Vec::new() };
        if self.at.contains_key(&lock.key) {
            // A replay of a request already applied: nothing new.
            return Vec::new();
        }
        let Some(r) = self.resources.get(name) else {
            return vec![Event::LockDone {
                lock,
                status: 0,
                error: status::BAD_HANDLE,
            }];
        };
        if !r.opens.contains(&(owner, lock.open)) {
            return vec![Event::LockDone {
                lock,
                status: 0,
                error: status::BAD_HANDLE,
            }];
        }
        if r.granted.iter().any(|g| g.owner.is_none() && g.conflicts(lock.mode)) {
            return done(lock, lock_status::ORPHANED);
        }
        if lock.mode == EX
            && r.granted
                .iter()
                .any(|g| g.mode == EX && g.owner == Some(owner) && g.open == lock.open)
        {
            return done(lock, lock_status::DUPLICATE_EX);
        }
        if self.at.len() >= self.limits.max_locks {
            return done(lock, lock_status::NO_MORE);
        }
        let grantable = r.queue.is_empty() && !r.granted.iter().any(|g| g.conflicts(lock.mode));
        if grantable {
            let r = self.resources.get_mut(name).expect("looked up above");
            r.granted.push(lock.clone());
            self.at.insert(lock.key, name.to_vec());
            return done(lock, lock_status::GRANTED);
        }
        if no_queue {
            return done(lock, lock_status::NOT_QUEUED);
        }
        let blockers = blockers(r, r.queue.len(), &lock);
        if blockers.contains(&owner) || self.reaches(&blockers, owner) {
            return done(lock, lock_status::DEADLOCK);
        }
        let events = r
            .granted
            .iter()
            .filter(|g| g.conflicts(lock.mode))
            .filter_map(|g| {
                Some(Event::Waiter {
                    holder: g.owner?,
                    held: g.clone(),
                    requested: lock.mode,
                    signal: lock.waiter_signal,
                })
            })
            .collect();
        let r = self.resources.get_mut(name).expect("looked up above");
        self.at.insert(lock.key, name.to_vec());
        r.queue.push_back(lock);
        events
    }

    /// Whether some owner in `from` waits, directly or through others, for `target`.
    fn reaches(&self, from: &BTreeSet<Owner>, target: Owner) -> bool {
        let graph = self.wait_for();
        let mut seen = BTreeSet::new();
        let mut todo: Vec<Owner> = from.iter().copied().collect();
        while let Some(o) = todo.pop() {
            if o == target {
                return true;
            }
            if seen.insert(o) {
                if let Some(next) = graph.get(&o) {
                    todo.extend(next.iter().copied());
                }
            }
        }
        false
    }

    /// The cluster-wide wait-for graph: each owner with a waiting request waits
    /// for the holders of the locks that conflict with it and for the owners
    /// of the requests ahead of it.
    pub fn wait_for(&self) -> BTreeMap<Owner, BTreeSet<Owner>> {
        let mut g: BTreeMap<Owner, BTreeSet<Owner>> = BTreeMap::new();
        for r in self.resources.values() {
            for (i, w) in r.queue.iter().enumerate() {
                let Some(o) = w.owner else { continue };
                g.entry(o).or_default().extend(blockers(r, i, w));
            }
        }
        g
    }

    /// saLckResourceUnlock (§3.6.3): the holder's granted lock is released and
    /// the waiters it held back are granted. `SA_AIS_ERR_NOT_EXIST` for a lock
    /// `owner` does not hold.
    pub fn unlock(&mut self, owner: Owner, key: LockKey) -> Result<Vec<Event>, u32> {
        let name = self.at.get(&key).cloned().ok_or(status::NOT_EXIST)?;
        let r = self.resources.get_mut(&name).ok_or(status::NOT_EXIST)?;
        let i = r
            .granted
            .iter()
            .position(|l| l.key == key && l.owner == Some(owner))
            .ok_or(status::NOT_EXIST)?;
        r.granted.remove(i);
        self.at.remove(&key);
        Ok(self.regrant(&name))
    }

    /// A synchronous request's time ran out on its node: if it still waits it
    /// leaves the queue (answered `SA_AIS_ERR_TIMEOUT`) and nobody grants it.
    pub fn expire(&mut self, key: LockKey) -> Vec<Event> {
        let Some(name) = self.at.get(&key).cloned() else {
            return Vec::new();
        };
        let Some(r) = self.resources.get_mut(&name) else {
            return Vec::new();
        };
        let Some(i) = r.queue.iter().position(|l| l.key == key) else {
            return Vec::new();
        };
        let lock = r.queue.remove(i).expect("found above");
        self.at.remove(&key);
        let mut events = vec![Event::LockDone {
            lock,
            status: 0,
            error: status::TIMEOUT,
        }];
        events.extend(self.regrant(&name));
        events
    }

    /// saLckLockPurge (§3.6.5): the orphan locks of the resource go, and the
    /// waiters they held back are granted.
    pub fn purge(&mut self, owner: Owner, open: u64, name: &[u8]) -> Result<Vec<Event>, u32> {
        let r = self.resources.get_mut(name).ok_or(status::BAD_HANDLE)?;
        if !r.opens.contains(&(owner, open)) {
            return Err(status::BAD_HANDLE);
        }
        let at = &mut self.at;
        r.granted.retain(|l| {
            let keep = l.owner.is_some();
            if !keep {
                at.remove(&l.key);
            }
            keep
        });
        let events = self.regrant(name);
        self.drop_if_unused(name);
        Ok(events)
    }

    /// saLckResourceClose (§3.5.3): the open ends; its locks are released
    /// (orphan locks orphaned) and its waiting requests cancelled.
    pub fn close(&mut self, owner: Owner, open: u64, name: &[u8]) -> Result<Vec<Event>, u32> {
        let r = self.resources.get_mut(name).ok_or(status::BAD_HANDLE)?;
        if !r.opens.remove(&(owner, open)) {
            return Err(status::BAD_HANDLE);
        }
        Ok(self.release_where(|o, op| o == owner && op == open))
    }

    /// A handle finalized or its process died: every open of it ends as by
    /// [`close`](Table::close).
    pub fn release(&mut self, owner: Owner) -> Vec<Event> {
        self.release_where(|o, _| o == owner)
    }

    /// The nodes not in `members` left the configuration: every handle of
    /// theirs is released as by [`release`](Table::release).
    pub fn release_nodes(&mut self, members: &[NodeId]) -> Vec<Event> {
        self.release_where(|o, _| !members.contains(&o.node))
    }

    /// Ends the opens `gone` names: their granted locks are released (those
    /// taken with `SA_LCK_LOCK_ORPHAN` orphaned), their waiting requests
    /// cancelled (BAD_HANDLE), then each resource's waiters are granted in order.
    fn release_where(&mut self, gone: impl Fn(Owner, u64) -> bool) -> Vec<Event> {
        let mut events = Vec::new();
        let mut touched = Vec::new();
        for (name, r) in self.resources.iter_mut() {
            let is_gone = |l: &Lock| l.owner.is_some_and(|o| gone(o, l.open));
            r.opens.retain(|&(o, op)| !gone(o, op));
            let before = (r.granted.len(), r.queue.len());
            for l in r.granted.iter_mut().filter(|l| is_gone(l)) {
                if l.orphan {
                    l.owner = None;
                }
            }
            let at = &mut self.at;
            r.granted.retain(|l| {
                let keep = !is_gone(l);
                if !keep {
                    at.remove(&l.key);
                }
                keep
            });
            let mut kept = VecDeque::with_capacity(r.queue.len());
            for l in r.queue.drain(..) {
                if is_gone(&l) {
                    at.remove(&l.key);
                    events.push(Event::LockDone {
                        lock: l,
                        status: 0,
                        error: status::BAD_HANDLE,
                    });
                } else {
                    kept.push_back(l);
                }
            }
            r.queue = kept;
            if before != (r.granted.len(), r.queue.len()) || r.opens.is_empty() {
                touched.push(name.clone());
            }
        }
        for name in touched {
            events.extend(self.regrant(&name));
            self.drop_if_unused(&name);
        }
        events
    }

    /// Grants waiters from the head of the queue while they are compatible.
    /// Each one granted while others still wait becomes a holder they wait
    /// for, so it hears of every waiter its lock conflicts with (§3.6.4).
    fn regrant(&mut self, name: &[u8]) -> Vec<Event> {
        let mut events = Vec::new();
        let Some(r) = self.resources.get_mut(name) else {
            return events;
        };
        let mut newly = Vec::new();
        while let Some(head) = r.queue.front() {
            if r.granted.iter().any(|g| g.conflicts(head.mode)) {
                break;
            }
            let lock = r.queue.pop_front().expect("looked at above");
            r.granted.push(lock.clone());
            newly.push(lock.clone());
            events.push(Event::LockDone {
                lock,
                status: lock_status::GRANTED,
                error: status::OK,
            });
        }
        for held in &newly {
            let Some(holder) = held.owner else { continue };
            for w in r.queue.iter().filter(|w| held.conflicts(w.mode)) {
                events.push(Event::Waiter {
                    holder,
                    held: held.clone(),
                    requested: w.mode,
                    signal: w.waiter_signal,
                });
            }
        }
        events
    }

    fn drop_if_unused(&mut self, name: &[u8]) {
        if self.resources.get(name).is_some_and(Resource::is_unused) {
            self.resources.remove(name);
        }
    }

    /// Rebuilds the lock index after the resources were replaced (sync).
    pub fn reindex(&mut self) {
        self.at = self
            .resources
            .iter()
            .flat_map(|(n, r)| r.granted.iter().chain(r.queue.iter()).map(move |l| (l.key, n.clone())))
            .collect();
    }

    /// Merges the table of another partition into this one (the merge rule of
    /// saLck(3)): opens are united; a granted lock of `other` is kept only if
    /// it is compatible with every lock granted here (this side's grants win);
    /// `other`'s waiters queue behind this side's, in their order. Then every
    /// queue is granted as far as it can be.
    pub fn merge(&mut self, other: Table) -> Vec<Event> {
        for (name, theirs) in other.resources {
            let ours = self.resources.entry(name).or_default();
            ours.opens.extend(theirs.opens);
            for l in theirs.granted {
                if !self.at.contains_key(&l.key) && !ours.granted.iter().any(|g| g.conflicts(l.mode)) {
                    ours.granted.push(l.clone());
                }
            }
            for l in theirs.queue {
                if !ours.queue.iter().chain(ours.granted.iter()).any(|g| g.key == l.key) {
                    ours.queue.push_back(l);
                }
            }
        }
        self.reindex();
        let names: Vec<Vec<u8>> = self.resources.keys().cloned().collect();
        let mut events = Vec::new();
        for n in names {
            events.extend(self.regrant(&n));
        }
        events
    }

    /// Checks the table's invariants (tests and the simulator): no two granted
    /// locks conflict, a waiter at the head is blocked, the index is whole.
    pub fn check(&self) -> Result<(), String> {
        for (name, r) in &self.resources {
            let n = String::from_utf8_lossy(name);
            for (i, a) in r.granted.iter().enumerate() {
                if r.granted[i + 1..].iter().any(|b| a.conflicts(b.mode)) {
                    return Err(format!("conflicting grants on {n}"));
                }
            }
            if let Some(h) = r.queue.front() {
                if !r.granted.iter().any(|g| g.conflicts(h.mode)) {
                    return Err(format!("the head waiter of {n} could be granted"));
                }
            }
        }
        let count: usize = self.resources.values().map(|r| r.granted.len() + r.queue.len()).sum();
        if count != self.at.len() {
            return Err(format!("index of {} locks, table of {count}", self.at.len()));
        }
        Ok(())
    }
}

/// The owners request `i` of `r`'s queue (or a new one, `i` = queue length)
/// waits for: holders of conflicting granted locks, owners of requests ahead.
fn blockers(r: &Resource, i: usize, w: &Lock) -> BTreeSet<Owner> {
    let me = w.owner;
    r.granted
        .iter()
        .filter(|g| g.conflicts(w.mode))
        .filter_map(|g| g.owner)
        .chain(
            r.queue
                .iter()
                .take(i)
                .filter_map(|q| q.owner)
                .filter(|o| Some(*o) != me),
        )
        .collect()
}

/// A mode as the table knows it, or `None` for a value saLck.h does not define.
pub fn mode(m: u32) -> Option<u32> {
    (m == PR || m == EX).then_some(m)
}

#[cfg(test)]
mod tests;
