//! The lock service's cluster messages and its sync piece, through the one
//! codec ([`crate::services::codec`]): bounds-checked, never panicking, one
//! encoding per message.

use super::table::{mode, Lock, LockKey, Owner, Resource, Table, Via};
use crate::services::codec::{self, DecodeError, EncodeError, Reader, Writer};
use crate::services::contract::RingId;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

const OPEN: u8 = 1;
const CLOSE: u8 = 2;
const LOCK: u8 = 3;
const UNLOCK: u8 = 4;
const EXPIRE: u8 = 5;
const PURGE: u8 = 6;
const RELEASE: u8 = 7;
const TABLE: u8 = 8;

/// One cluster message, applied by every node in agreed order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LckMsg {
    Open {
        owner: Owner,
        open: u64,
        name: Vec<u8>,
        create: bool,
        via: Via,
    },
    Close {
        owner: Owner,
        open: u64,
        name: Vec<u8>,
        via: Via,
    },
    Lock {
        name: Vec<u8>,
        lock: Lock,
        no_queue: bool,
    },
    Unlock {
        owner: Owner,
        key: LockKey,
        via: Via,
    },
    /// A synchronous request's time ran out on its node.
    Expire {
        key: LockKey,
    },
    Purge {
        owner: Owner,
        open: u64,
        name: Vec<u8>,
        via: Via,
    },
    /// A handle finalized or its process died.
    Release {
        owner: Owner,
    },
    /// A node's table at the start of a sync round, with the ring it was kept
    /// in and whether that ring was quorate.
    Table {
        old_ring: Option<RingId>,
        old_quorate: Option<bool>,
        table: Table,
    },
}

fn put_owner(w: &mut Writer, o: Owner) {
    w.u32(o.node).u64(o.handle);
}

fn owner(r: &mut Reader<'_>) -> Result<Owner, DecodeError> {
    Ok(Owner {
        node: r.u32()?,
        handle: r.u64()?,
    })
}

fn put_key(w: &mut Writer, k: LockKey) {
    w.u32(k.node).u64(k.id);
}

fn key(r: &mut Reader<'_>) -> Result<LockKey, DecodeError> {
    Ok(LockKey {
        node: r.u32()?,
        id: r.u64()?,
    })
}

fn put_via(w: &mut Writer, v: Via) {
    match v {
        Via::Sync(t) => w.u8(0).u64(t),
        Via::Async(i) => w.u8(1).u64(i),
    };
}

fn via(r: &mut Reader<'_>) -> Result<Via, DecodeError> {
    match r.u8()? {
        0 => Ok(Via::Sync(r.u64()?)),
        1 => Ok(Via::Async(r.u64()?)),
        _ => Err(DecodeError::Invalid("LCK reply kind")),
    }
}

/// The smallest encoded lock, for bounding counts.
const LOCK_MIN: usize = 12 + 1 + 8 + 4 + 1 + 8 + 9;

fn put_lock(w: &mut Writer, l: &Lock) {
    put_key(w, l.key);
    match l.owner {
        Some(o) => {
            w.bool(true);
            put_owner(w, o);
        }
        None => {
            w.bool(false);
        }
    }
    w.u64(l.open).u32(l.mode).bool(l.orphan).u64(l.waiter_signal);
    put_via(w, l.via);
}

fn lock(r: &mut Reader<'_>) -> Result<Lock, DecodeError> {
    let key = key(r)?;
    let owner = if r.bool()? { Some(owner(r)?) } else { None };
    Ok(Lock {
        key,
        owner,
        open: r.u64()?,
        mode: mode(r.u32()?).ok_or(DecodeError::Invalid("LCK lock mode"))?,
        orphan: r.bool()?,
        waiter_signal: r.u64()?,
        via: via(r)?,
    })
}

fn put_table(w: &mut Writer, t: &Table) -> Result<(), EncodeError> {
    w.count(t.resources.len())?;
    for (name, res) in &t.resources {
        w.name(name)?;
        w.count(res.opens.len())?;
        for (o, open) in &res.opens {
            put_owner(w, *o);
            w.u64(*open);
        }
        for list in [&res.granted, &Vec::from(res.queue.clone())] {
            w.count(list.len())?;
            for l in list {
                put_lock(w, l);
            }
        }
    }
    Ok(())
}

fn locks(r: &mut Reader<'_>) -> Result<Vec<Lock>, DecodeError> {
    let n = r.count(LOCK_MIN)?;
    (0..n).map(|_| lock(r)).collect()
}

fn table(r: &mut Reader<'_>) -> Result<Table, DecodeError> {
    let mut resources = BTreeMap::new();
    for _ in 0..r.count(3)? {
        let name = r.name()?.to_vec();
        let mut opens = BTreeSet::new();
        for _ in 0..r.count(20)? {
            let o = (owner(r)?, r.u64()?);
            // In order and once each, as they are written: one encoding per table.
            if opens.last().is_some_and(|l| *l >= o) {
                return Err(DecodeError::Invalid("LCK opens out of order"));
            }
            opens.insert(o);
        }
        let granted = locks(r)?;
        let queue: VecDeque<Lock> = locks(r)?.into();
        let res = Resource { opens, granted, queue };
        if resources.last_key_value().is_some_and(|(l, _)| *l >= name) {
            return Err(DecodeError::Invalid("LCK resources out of order"));
        }
        resources.insert(name, res);
    }
    let t = Table::with_resources(resources);
    let locks: usize = t.resources.values().map(|r| r.granted.len() + r.queue.len()).sum();
    if locks != t.lock_count() {
        return Err(DecodeError::Invalid("LCK lock listed twice"));
    }
    Ok(t)
}

impl LckMsg {
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        let mut w;
        match self {
            LckMsg::Open {
                owner,
                open,
                name,
                create,
                via,
            } => {
                w = codec::writer(OPEN);
                put_owner(&mut w, *owner);
                w.u64(*open).name(name)?.bool(*create);
                put_via(&mut w, *via);
            }
            LckMsg::Close { owner, open, name, via } | LckMsg::Purge { owner, open, name, via } => {
                w = codec::writer(if matches!(self, LckMsg::Close { .. }) {
                    CLOSE
                } else {
                    PURGE
                });
                put_owner(&mut w, *owner);
                w.u64(*open).name(name)?;
                put_via(&mut w, *via);
            }
            LckMsg::Lock { name, lock, no_queue } => {
                w = codec::writer(LOCK);
                w.name(name)?;
                put_lock(&mut w, lock);
                w.bool(*no_queue);
            }
            LckMsg::Unlock { owner, key, via } => {
                w = codec::writer(UNLOCK);
                put_owner(&mut w, *owner);
                put_key(&mut w, *key);
                put_via(&mut w, *via);
            }
            LckMsg::Expire { key } => {
                w = codec::writer(EXPIRE);
                put_key(&mut w, *key);
            }
            LckMsg::Release { owner } => {
                w = codec::writer(RELEASE);
                put_owner(&mut w, *owner);
            }
            LckMsg::Table {
                old_ring,
                old_quorate,
                table,
            } => {
                w = codec::writer(TABLE);
                match old_ring {
                    Some(r) => w.bool(true).u32(r.rep).u64(r.seq),
                    None => w.bool(false),
                };
                w.u8(match old_quorate {
                    None => 0,
                    Some(false) => 1,
                    Some(true) => 2,
                });
                put_table(&mut w, table)?;
            }
        }
        Ok(w.into_vec())
    }

    pub fn decode(b: &[u8]) -> Result<LckMsg, DecodeError> {
        let (kind, mut r) = codec::open(b)?;
        let r = &mut r;
        let m = match kind {
            OPEN => LckMsg::Open {
                owner: owner(r)?,
                open: r.u64()?,
                name: r.name()?.to_vec(),
                create: r.bool()?,
                via: via(r)?,
            },
            CLOSE | PURGE => {
                let (owner, open, name, via) = (owner(r)?, r.u64()?, r.name()?.to_vec(), via(r)?);
                if kind == CLOSE {
                    LckMsg::Close { owner, open, name, via }
                } else {
                    LckMsg::Purge { owner, open, name, via }
                }
            }
            LOCK => LckMsg::Lock {
                name: r.name()?.to_vec(),
                lock: lock(r)?,
                no_queue: r.bool()?,
            },
            UNLOCK => LckMsg::Unlock {
                owner: owner(r)?,
                key: key(r)?,
                via: via(r)?,
            },
            EXPIRE => LckMsg::Expire { key: key(r)? },
            RELEASE => LckMsg::Release { owner: owner(r)? },
            TABLE => LckMsg::Table {
                old_ring: if r.bool()? {
                    Some(RingId {
                        rep: r.u32()?,
                        seq: r.u64()?,
                    })
                } else {
                    None
                },
                old_quorate: match r.u8()? {
                    0 => None,
                    1 => Some(false),
                    2 => Some(true),
                    _ => return Err(DecodeError::Invalid("LCK quorum state")),
                },
                table: table(r)?,
            },
            _ => return Err(DecodeError::Invalid("LCK message kind")),
        };
        let rest = r.remaining();
        if rest != 0 {
            return Err(DecodeError::Trailing(rest));
        }
        Ok(m)
    }
}

/// One message of every kind (tests and fuzz seeds).
pub fn seeds() -> Vec<Vec<u8>> {
    use ais_proto::lck::{EX, PR};
    let owner = Owner { node: 2, handle: 7 };
    let l = |id, mode, owner| Lock {
        key: LockKey { node: 2, id },
        owner,
        open: 3,
        mode,
        orphan: owner.is_none(),
        waiter_signal: 5,
        via: Via::Async(9),
    };
    let mut t = Table::default();
    let mut res = Resource::default();
    res.opens.insert((owner, 3));
    res.granted.push(l(1, PR, None));
    res.queue.push_back(l(2, EX, Some(owner)));
    t.resources.insert(b"res".to_vec(), res);
    let t = Table::with_resources(t.resources);
    [
        LckMsg::Open {
            owner,
            open: 3,
            name: b"res".to_vec(),
            create: true,
            via: Via::Sync(1),
        },
        LckMsg::Close {
            owner,
            open: 3,
            name: b"res".to_vec(),
            via: Via::Sync(2),
        },
        LckMsg::Lock {
            name: b"res".to_vec(),
            lock: l(4, EX, Some(owner)),
            no_queue: true,
        },
        LckMsg::Unlock {
            owner,
            key: LockKey { node: 2, id: 4 },
            via: Via::Async(8),
        },
        LckMsg::Expire {
            key: LockKey { node: 2, id: 4 },
        },
        LckMsg::Purge {
            owner,
            open: 3,
            name: b"res".to_vec(),
            via: Via::Sync(3),
        },
        LckMsg::Release { owner },
        LckMsg::Table {
            old_ring: Some(RingId { rep: 1, seq: 8 }),
            old_quorate: Some(true),
            table: t,
        },
    ]
    .iter()
    .filter_map(|m| m.encode().ok())
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_round_trips_and_refuses_cuts_and_trailing_bytes() {
        let seeds = seeds();
        assert_eq!(seeds.len(), 8);
        for b in seeds {
            let m = LckMsg::decode(&b).unwrap();
            assert_eq!(m.encode().unwrap(), b);
            for n in 0..b.len() {
                assert!(LckMsg::decode(&b[..n]).is_err(), "cut at {n}");
            }
            let mut long = b.clone();
            long.push(0);
            assert!(LckMsg::decode(&long).is_err());
        }
    }

    #[test]
    fn a_lock_of_an_undefined_mode_is_refused() {
        let mut b = seeds()[2].clone();
        // name "res": version, kind, u16 len, 3 bytes; key 12; owner flag 1 + 12; open 8.
        let at = 2 + 2 + 3 + 12 + 1 + 12 + 8;
        b[at..at + 4].copy_from_slice(&3u32.to_be_bytes());
        assert!(LckMsg::decode(&b).is_err());
    }
}
