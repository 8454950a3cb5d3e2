//! The CPG service's messages between `libcpg` and the executive. Group
//! names travel as names (u16 length + 1..=128 bytes).

use crate::codec::{DecodeError, EncodeError, Reader, Writer};

/// Request: group. Response empty.
pub const JOIN: u16 = 1;
/// Request: group. Response empty.
pub const LEAVE: u16 = 2;
/// Request: data (blob). Response empty: accepted, ordered later.
pub const MCAST: u16 = 3;
/// Request: group. Response: member list.
pub const MEMBERSHIP_GET: u16 = 4;
/// Request empty. Response: node id u32.
pub const LOCAL_GET: u16 = 5;
/// Request: iteration type u32, then a group when the type is ONE_GROUP.
/// Response: the entries (see [`encode_iteration`]).
pub const ITERATE: u16 = 6;
/// Request: model flags u32 (`CPG_MODEL_V1_DELIVER_INITIAL_TOTEM_CONF`), sent
/// once after the handle opens. Response empty.
pub const MODEL: u16 = 7;
/// Callback: group, members, left (with reasons), joined (with reasons).
pub const CONFCHG: u16 = 101;
/// Callback: group, node u32, pid u32, data (blob).
pub const DELIVER: u16 = 102;
/// Callback: ring id (representative u32, sequence u64), member node ids.
pub const TOTEM_CONFCHG: u16 = 103;

/// `cpg_iteration_type_t`.
pub const ITERATION_NAME_ONLY: u32 = 1;
pub const ITERATION_ONE_GROUP: u32 = 2;
pub const ITERATION_ALL: u32 = 3;

/// `CPG_MODEL_V1_DELIVER_INITIAL_TOTEM_CONF`.
pub const MODEL_INITIAL_TOTEM_CONF: u32 = 0x01;

/// Longest group name (`CPG_MAX_NAME_LENGTH`).
pub const MAX_GROUP: usize = 128;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Address {
    pub node: u32,
    pub pid: u32,
    /// `cpg_reason_t` (0 in plain member lists).
    pub reason: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConfChg {
    pub group: Vec<u8>,
    pub members: Vec<Address>,
    pub left: Vec<Address>,
    pub joined: Vec<Address>,
}

pub fn group(r: &mut Reader<'_>) -> Result<Vec<u8>, DecodeError> {
    let g = r.name()?;
    if g.is_empty() || g.len() > MAX_GROUP {
        return Err(DecodeError::Invalid("group name length"));
    }
    Ok(g.to_vec())
}

fn addresses(w: &mut Writer, list: &[Address]) -> Result<(), EncodeError> {
    w.count(list.len())?;
    for a in list {
        w.u32(a.node).u32(a.pid).u32(a.reason);
    }
    Ok(())
}

fn read_addresses(r: &mut Reader<'_>) -> Result<Vec<Address>, DecodeError> {
    let n = r.count(12)?;
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        v.push(Address {
            node: r.u32()?,
            pid: r.u32()?,
            reason: r.u32()?,
        });
    }
    Ok(v)
}

/// A member list (MEMBERSHIP_GET's response).
pub fn encode_members(list: &[Address]) -> Vec<u8> {
    let mut w = Writer::new();
    let _ = addresses(&mut w, list);
    w.into_vec()
}

pub fn decode_members(b: &[u8]) -> Result<Vec<Address>, DecodeError> {
    let mut r = Reader::new(b);
    let v = read_addresses(&mut r)?;
    r.finish()?;
    Ok(v)
}

/// One entry of an iteration: a group and, except for NAME_ONLY, a member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IterEntry {
    pub group: Vec<u8>,
    pub node: u32,
    pub pid: u32,
}

pub fn encode_iteration(list: &[IterEntry]) -> Vec<u8> {
    let mut w = Writer::new();
    let _ = w.count(list.len());
    for e in list {
        let _ = w.name(&e.group);
        w.u32(e.node).u32(e.pid);
    }
    w.into_vec()
}

pub fn decode_iteration(b: &[u8]) -> Result<Vec<IterEntry>, DecodeError> {
    let mut r = Reader::new(b);
    // Smallest entry: a 1-byte name with its u16 length, node, pid.
    let n = r.count(11)?;
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        v.push(IterEntry {
            group: group(&mut r)?,
            node: r.u32()?,
            pid: r.u32()?,
        });
    }
    r.finish()?;
    Ok(v)
}

/// The totem configuration a `TOTEM_CONFCHG` callback reports.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TotemConf {
    pub ring_rep: u32,
    pub ring_seq: u64,
    pub members: Vec<u32>,
}

impl TotemConf {
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.u32(self.ring_rep).u64(self.ring_seq);
        let _ = w.count(self.members.len());
        for m in &self.members {
            w.u32(*m);
        }
        w.into_vec()
    }

    pub fn decode(b: &[u8]) -> Result<TotemConf, DecodeError> {
        let mut r = Reader::new(b);
        let ring_rep = r.u32()?;
        let ring_seq = r.u64()?;
        let n = r.count(4)?;
        let mut members = Vec::with_capacity(n);
        for _ in 0..n {
            members.push(r.u32()?);
        }
        r.finish()?;
        Ok(TotemConf {
            ring_rep,
            ring_seq,
            members,
        })
    }
}

impl ConfChg {
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        let _ = w.name(&self.group);
        let _ = addresses(&mut w, &self.members);
        let _ = addresses(&mut w, &self.left);
        let _ = addresses(&mut w, &self.joined);
        w.into_vec()
    }

    pub fn decode(b: &[u8]) -> Result<ConfChg, DecodeError> {
        let mut r = Reader::new(b);
        let c = ConfChg {
            group: group(&mut r)?,
            members: read_addresses(&mut r)?,
            left: read_addresses(&mut r)?,
            joined: read_addresses(&mut r)?,
        };
        r.finish()?;
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confchg_round_trips_and_truncations_fail() {
        let a = |node, pid, reason| Address { node, pid, reason };
        let c = ConfChg {
            group: b"g".to_vec(),
            members: vec![a(1, 10, 0), a(2, 20, 0)],
            left: vec![a(3, 30, 3)],
            joined: vec![a(2, 20, 1)],
        };
        let b = c.encode();
        assert_eq!(ConfChg::decode(&b), Ok(c));
        for n in 0..b.len() {
            assert!(ConfChg::decode(&b[..n]).is_err(), "cut at {n}");
        }
        assert_eq!(decode_members(&encode_members(&[a(1, 2, 0)])), Ok(vec![a(1, 2, 0)]));
    }

    #[test]
    fn iteration_and_totem_conf_round_trip_and_truncations_fail() {
        let it = vec![
            IterEntry {
                group: b"a".to_vec(),
                node: 1,
                pid: 2,
            },
            IterEntry {
                group: b"bb".to_vec(),
                node: 0,
                pid: 0,
            },
        ];
        let b = encode_iteration(&it);
        assert_eq!(decode_iteration(&b), Ok(it));
        for n in 0..b.len() {
            assert!(decode_iteration(&b[..n]).is_err(), "cut at {n}");
        }
        let t = TotemConf {
            ring_rep: 1,
            ring_seq: 8,
            members: vec![1, 2, 3],
        };
        let b = t.encode();
        assert_eq!(TotemConf::decode(&b), Ok(t));
        for n in 0..b.len() {
            assert!(TotemConf::decode(&b[..n]).is_err(), "cut at {n}");
        }
    }
}
