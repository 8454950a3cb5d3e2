//! The EVS service's messages between `libevs` and the executive.
//!
//! A group is the 32 bytes of a `struct evs_group` key, compared as bytes (as corosync
//! compares them), and travels as exactly those 32 bytes. A group list is a count (`u32`)
//! and that many keys.
//!
//! | msg | request | response |
//! |-----|---------|----------|
//! | [`JOIN`] | groups | empty |
//! | [`LEAVE`] | groups | empty |
//! | [`MCAST_JOINED`] | guarantee `u32`, data (blob) | empty |
//! | [`MCAST_GROUPS`] | guarantee `u32`, groups, data (blob) | empty |
//! | [`MEMBERSHIP_GET`] | empty | local node `u32`, members (count + `u32` each) |
//!
//! Callbacks: [`CONFCHG`] ([`ConfChg`]) and [`DELIVER`] ([`Deliver`]).

use crate::codec::{DecodeError, EncodeError, Reader, Writer};

/// Request: groups. Response empty.
pub const JOIN: u16 = 1;
/// Request: groups. Response empty.
pub const LEAVE: u16 = 2;
/// Request: guarantee, data. Response empty: accepted, ordered later.
pub const MCAST_JOINED: u16 = 3;
/// Request: guarantee, groups, data. Response empty: accepted, ordered later.
pub const MCAST_GROUPS: u16 = 4;
/// Request empty. Response: [`Membership`].
pub const MEMBERSHIP_GET: u16 = 5;
/// Callback: [`ConfChg`].
pub const CONFCHG: u16 = 101;
/// Callback: [`Deliver`].
pub const DELIVER: u16 = 102;

/// `CS_ERR_TOO_MANY_GROUPS`: the status of a request naming more groups than allowed (a
/// `cs_error_t` number beyond the `SaAisErrorT` ones [`crate::status`] lists).
pub const TOO_MANY_GROUPS: u32 = 30;

/// Bytes of a group key (`struct evs_group { char key[32]; }`).
pub const GROUP_LEN: usize = 32;
/// Most groups one `evs_join` may name (corosync's limit: `CS_ERR_TOO_MANY_GROUPS` beyond).
pub const MAX_JOIN_GROUPS: usize = 50;
/// Most groups a handle may have joined at once, and most one message may be sent to
/// (`CS_ERR_TOO_MANY_GROUPS` beyond): 16 KiB of keys.
pub const MAX_GROUPS: usize = 512;
/// Largest message (the sum of the iovec lengths): 1 MiB less 32 KiB kept for the group
/// list and the headers, so that every message fits one Totem message (1 MiB).
pub const MAX_MESSAGE: usize = (1 << 20) - (32 << 10);

/// A group key.
pub type Group = [u8; GROUP_LEN];

/// Writes a group list.
pub fn put_groups(w: &mut Writer, groups: &[Group]) -> Result<(), EncodeError> {
    w.count(groups.len())?;
    for g in groups {
        w.bytes(g);
    }
    Ok(())
}

/// Reads a group list (its count checked against the bytes left before anything is
/// allocated).
pub fn groups(r: &mut Reader<'_>) -> Result<Vec<Group>, DecodeError> {
    let n = r.count(GROUP_LEN)?;
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        v.push(r.array::<GROUP_LEN>()?);
    }
    Ok(v)
}

/// A whole JOIN or LEAVE request.
pub fn encode_groups(list: &[Group]) -> Vec<u8> {
    let mut w = Writer::with_capacity(4 + GROUP_LEN * list.len());
    let _ = put_groups(&mut w, list);
    w.into_vec()
}

pub fn decode_groups(b: &[u8]) -> Result<Vec<Group>, DecodeError> {
    let mut r = Reader::new(b);
    let v = groups(&mut r)?;
    r.finish()?;
    Ok(v)
}

/// An MCAST_JOINED (`groups` is `None`) or MCAST_GROUPS request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mcast {
    /// `evs_guarantee_t` as the caller passed it (every message is agreed, as in corosync).
    pub guarantee: u32,
    pub groups: Option<Vec<Group>>,
    pub data: Vec<u8>,
}

impl Mcast {
    /// The request's payload, written from the caller's pieces (an iovec) without
    /// joining them first.
    pub fn encode_parts(guarantee: u32, groups: Option<&[Group]>, parts: &[&[u8]]) -> Result<Vec<u8>, EncodeError> {
        let len: usize = parts.iter().map(|p| p.len()).sum();
        let mut v = Mcast::prefix(guarantee, groups, len)?;
        v.reserve(len);
        for p in parts {
            v.extend_from_slice(p);
        }
        Ok(v)
    }

    /// Everything of the request before the data, for a message of `len` bytes: a sender
    /// writes it and then the data's pieces as they are.
    pub fn prefix(guarantee: u32, groups: Option<&[Group]>, len: usize) -> Result<Vec<u8>, EncodeError> {
        let n = u32::try_from(len).map_err(|_| EncodeError::TooLong(len))?;
        let mut w = Writer::with_capacity(12 + groups.map_or(0, |g| g.len() * GROUP_LEN));
        w.u32(guarantee);
        if let Some(g) = groups {
            put_groups(&mut w, g)?;
        }
        w.u32(n);
        Ok(w.into_vec())
    }

    pub fn encode(&self) -> Vec<u8> {
        Mcast::encode_parts(self.guarantee, self.groups.as_deref(), &[&self.data]).unwrap_or_default()
    }

    /// Decodes the request `msg` ([`MCAST_JOINED`] or [`MCAST_GROUPS`]).
    pub fn decode(msg: u16, b: &[u8]) -> Result<Mcast, DecodeError> {
        let mut r = Reader::new(b);
        let guarantee = r.u32()?;
        let groups = match msg {
            MCAST_GROUPS => Some(groups(&mut r)?),
            MCAST_JOINED => None,
            _ => return Err(DecodeError::Invalid("multicast message id")),
        };
        let data = r.blob()?.to_vec();
        r.finish()?;
        Ok(Mcast {
            guarantee,
            groups,
            data,
        })
    }
}

/// MEMBERSHIP_GET's response.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Membership {
    pub local: u32,
    pub members: Vec<u32>,
}

fn put_nodes(w: &mut Writer, list: &[u32]) {
    let _ = w.count(list.len());
    for n in list {
        w.u32(*n);
    }
}

fn nodes(r: &mut Reader<'_>) -> Result<Vec<u32>, DecodeError> {
    let n = r.count(4)?;
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        v.push(r.u32()?);
    }
    Ok(v)
}

impl Membership {
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::with_capacity(8 + 4 * self.members.len());
        w.u32(self.local);
        put_nodes(&mut w, &self.members);
        w.into_vec()
    }

    pub fn decode(b: &[u8]) -> Result<Membership, DecodeError> {
        let mut r = Reader::new(b);
        let m = Membership {
            local: r.u32()?,
            members: nodes(&mut r)?,
        };
        r.finish()?;
        Ok(m)
    }
}

/// The CONFCHG callback: a regular configuration, its ring, and who left and joined since
/// the previous regular configuration.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConfChg {
    /// The ring's representative (`struct evs_ring_id.nodeid`).
    pub ring_rep: u32,
    pub ring_seq: u64,
    pub members: Vec<u32>,
    pub left: Vec<u32>,
    pub joined: Vec<u32>,
}

impl ConfChg {
    pub fn encode(&self) -> Vec<u8> {
        let n = self.members.len() + self.left.len() + self.joined.len();
        let mut w = Writer::with_capacity(24 + 4 * n);
        w.u32(self.ring_rep).u64(self.ring_seq);
        put_nodes(&mut w, &self.members);
        put_nodes(&mut w, &self.left);
        put_nodes(&mut w, &self.joined);
        w.into_vec()
    }

    pub fn decode(b: &[u8]) -> Result<ConfChg, DecodeError> {
        let mut r = Reader::new(b);
        let c = ConfChg {
            ring_rep: r.u32()?,
            ring_seq: r.u64()?,
            members: nodes(&mut r)?,
            left: nodes(&mut r)?,
            joined: nodes(&mut r)?,
        };
        r.finish()?;
        Ok(c)
    }
}

/// The DELIVER callback: the sending node and the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deliver<'a> {
    pub node: u32,
    pub data: &'a [u8],
}

impl<'a> Deliver<'a> {
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::with_capacity(8 + self.data.len());
        w.u32(self.node);
        let _ = w.blob(self.data);
        w.into_vec()
    }

    pub fn decode(b: &'a [u8]) -> Result<Deliver<'a>, DecodeError> {
        let mut r = Reader::new(b);
        let d = Deliver {
            node: r.u32()?,
            data: r.blob()?,
        };
        r.finish()?;
        Ok(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(name: &str) -> Group {
        let mut k = [0u8; GROUP_LEN];
        k[..name.len()].copy_from_slice(name.as_bytes());
        k
    }

    /// Every strict prefix of a valid encoding fails to decode, and so does one more byte.
    fn cuts_fail<T: std::fmt::Debug>(b: &[u8], decode: impl Fn(&[u8]) -> Result<T, DecodeError>) {
        for n in 0..b.len() {
            assert!(decode(&b[..n]).is_err(), "cut at {n}");
        }
        let mut long = b.to_vec();
        long.push(0);
        assert_eq!(decode(&long).unwrap_err(), DecodeError::Trailing(1));
    }

    #[test]
    fn groups_are_32_raw_bytes() {
        let list = vec![g("a"), g("bb"), [0xff; GROUP_LEN]];
        let b = encode_groups(&list);
        assert_eq!(b.len(), 4 + 3 * GROUP_LEN);
        assert_eq!(&b[4..4 + GROUP_LEN], &g("a"));
        assert_eq!(decode_groups(&b), Ok(list));
        assert_eq!(decode_groups(&encode_groups(&[])), Ok(vec![]));
        cuts_fail(&b, decode_groups);
    }

    #[test]
    fn a_huge_group_count_fails_without_allocating() {
        let mut w = Writer::new();
        w.u32(u32::MAX).bytes(&[0; GROUP_LEN]);
        assert!(matches!(
            decode_groups(w.as_slice()),
            Err(DecodeError::CountTooLarge { .. })
        ));
        // 2 keys claimed, 1 present.
        let mut w = Writer::new();
        w.u32(2).bytes(&[0; GROUP_LEN]);
        assert!(decode_groups(w.as_slice()).is_err());
    }

    #[test]
    fn mcast_requests_round_trip() {
        let joined = Mcast {
            guarantee: 2,
            groups: None,
            data: b"hello".to_vec(),
        };
        let b = joined.encode();
        assert_eq!(Mcast::decode(MCAST_JOINED, &b), Ok(joined));
        cuts_fail(&b, |b| Mcast::decode(MCAST_JOINED, b));

        let to = Mcast {
            guarantee: 0,
            groups: Some(vec![g("x"), g("y")]),
            data: vec![],
        };
        let b = to.encode();
        assert_eq!(Mcast::decode(MCAST_GROUPS, &b), Ok(to));
        cuts_fail(&b, |b| Mcast::decode(MCAST_GROUPS, b));
        assert!(Mcast::decode(JOIN, &b).is_err());
    }

    #[test]
    fn mcast_parts_are_concatenated() {
        let b = Mcast::encode_parts(2, Some(&[g("x")]), &[b"ab", b"", b"cde"]).unwrap();
        let m = Mcast::decode(MCAST_GROUPS, &b).unwrap();
        assert_eq!((m.guarantee, m.data.as_slice()), (2, &b"abcde"[..]));
        assert_eq!(m.groups, Some(vec![g("x")]));
    }

    #[test]
    fn membership_and_callbacks_round_trip() {
        let m = Membership {
            local: 7,
            members: vec![1, 7, 9],
        };
        let b = m.encode();
        assert_eq!(Membership::decode(&b), Ok(m));
        cuts_fail(&b, Membership::decode);

        let c = ConfChg {
            ring_rep: 1,
            ring_seq: 12,
            members: vec![1, 2],
            left: vec![3],
            joined: vec![2],
        };
        let b = c.encode();
        assert_eq!(ConfChg::decode(&b), Ok(c));
        cuts_fail(&b, ConfChg::decode);

        let d = Deliver {
            node: 0x7f000001,
            data: b"payload",
        };
        let b = d.encode();
        assert_eq!(Deliver::decode(&b), Ok(d));
        cuts_fail(&b, |b| Deliver::decode(b).map(|d| d.node));
    }

    /// Any bytes: each decoder answers, and what decodes re-encodes to the same bytes.
    #[test]
    fn decoders_are_total_on_noise() {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for len in 0..400usize {
            let b: Vec<u8> = (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    // Mostly small bytes, so counts and lengths are often plausible.
                    if x.is_multiple_of(3) {
                        x as u8
                    } else {
                        (x % 3) as u8
                    }
                })
                .collect();
            if let Ok(v) = decode_groups(&b) {
                assert_eq!(encode_groups(&v), b);
            }
            for msg in [MCAST_JOINED, MCAST_GROUPS] {
                if let Ok(m) = Mcast::decode(msg, &b) {
                    assert_eq!(m.encode(), b);
                }
            }
            if let Ok(m) = Membership::decode(&b) {
                assert_eq!(m.encode(), b);
            }
            if let Ok(c) = ConfChg::decode(&b) {
                assert_eq!(c.encode(), b);
            }
            if let Ok(d) = Deliver::decode(&b) {
                assert_eq!(d.encode(), b);
            }
        }
    }

    #[test]
    fn the_largest_message_fits_the_ipc_frame() {
        let most = 12 + MAX_GROUPS * GROUP_LEN + MAX_MESSAGE;
        assert!(most <= crate::DEFAULT_MAX_PAYLOAD as usize);
    }
}
