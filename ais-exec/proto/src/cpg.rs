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
/// Callback: group, members, left (with reasons), joined (with reasons).
pub const CONFCHG: u16 = 101;
/// Callback: group, node u32, pid u32, data (blob).
pub const DELIVER: u16 = 102;

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
}
