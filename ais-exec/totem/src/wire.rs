//! The datagram format. Every packet starts with the same header:
//!
//! ```text
//! magic u16 = 0x7A51 | version u8 = 1 | kind u8 | sender u32 | ring rep u32 | ring seq u64
//! ```
//!
//! followed by a body whose layout depends on `kind`. All integers are
//! big-endian; every list carries its count. The decoder accepts any byte
//! string: it returns an error for anything malformed and never panics.

use crate::types::{NodeId, RingId};
use bytes::{BufMut, Bytes, BytesMut};
use std::fmt;

pub const MAGIC: u16 = 0x7A51;
pub const VERSION: u8 = 1;
pub const HEADER_LEN: usize = 20;

const KIND_TOKEN: u8 = 1;
const KIND_MCAST: u8 = 2;
const KIND_JOIN: u8 = 3;
const KIND_COMMIT: u8 = 4;
const KIND_MERGE_DETECT: u8 = 5;
const KIND_HOLD_CANCEL: u8 = 6;
const KIND_LEAVE: u8 = 7;

const FLAG_SAFE: u8 = 1;
const FLAG_ENCAPSULATED: u8 = 2;
/// In an origin's flags: the original frame was a recovery filler.
const FLAG_FILLER: u8 = 2;

/// Sequence numbers (of frames and rings) at or above this are refused, so
/// that arithmetic on them can never overflow; at a million frames a second
/// the limit is 146,000 years away.
pub const MAX_SEQ: u64 = 1 << 62;

/// Old-ring index meaning "this member brings no old ring" (a fresh start).
pub const NO_OLD_RING: u16 = u16::MAX;

/// Why a datagram was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeError {
    Truncated,
    BadMagic,
    UnsupportedVersion(u8),
    UnknownKind(u8),
    TrailingBytes,
    Invalid(&'static str),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Truncated => f.write_str("truncated datagram"),
            DecodeError::BadMagic => f.write_str("not a totem datagram (bad magic)"),
            DecodeError::UnsupportedVersion(v) => write!(f, "unsupported protocol version {v}"),
            DecodeError::UnknownKind(k) => write!(f, "unknown packet kind {k}"),
            DecodeError::TrailingBytes => f.write_str("trailing bytes after packet"),
            DecodeError::Invalid(what) => write!(f, "invalid packet: {what}"),
        }
    }
}

impl std::error::Error for DecodeError {}

/// The ordering token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// Incremented at each hop; a holder drops a token it has already seen.
    pub token_seq: u64,
    /// Highest frame sequence number assigned on this ring.
    pub seq: u64,
    /// All-received-up-to, as lowered and raised around the ring.
    pub aru: u64,
    /// The node that last lowered `aru`; 0 when nobody holds it down.
    pub aru_id: NodeId,
    /// Frames broadcast during the last rotation (flow control).
    pub fcc: u32,
    /// Frames waiting to be sent, summed over the ring (fair sharing).
    pub backlog: u32,
    /// Recovery frames not yet re-sent, summed over the ring.
    pub recovery_pending: u32,
    /// Sequence numbers somebody is missing.
    pub rtr: Vec<u64>,
}

/// Where a re-sent old-ring frame came from (recovery).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Origin {
    pub ring_id: RingId,
    pub seq: u64,
    pub sender: NodeId,
    pub safe: bool,
    /// The original frame carried no application data (it was itself a
    /// re-sent frame of an earlier recovery); it only fills its slot.
    pub filler: bool,
}

/// A data frame: packed application messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mcast {
    pub seq: u64,
    pub safe: bool,
    /// Set when this frame carries an old ring's frame during recovery.
    pub origin: Option<Origin>,
    /// The packed chunks (see `packing`).
    pub payload: Bytes,
}

/// A join message: the sender's view of who is there and who has failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Join {
    /// The highest ring sequence number the sender knows of.
    pub ring_seq: u64,
    pub proc_set: Vec<NodeId>,
    pub fail_set: Vec<NodeId>,
}

/// A member's entry in the commit token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommitMember {
    pub node: NodeId,
    /// Index into [`Commit::old_rings`], or [`NO_OLD_RING`].
    pub old_ring: u16,
    /// Whether this member has written its entry.
    pub filled: bool,
}

/// What the members coming from one old ring know of it, merged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OldRing {
    pub ring_id: RingId,
    /// Lowest all-received-up-to among its members.
    pub min_aru: u64,
    /// Highest sequence number any of its members received.
    pub max_high: u64,
    /// Highest sequence number any of its members knew to be safe.
    pub max_safe: u64,
}

/// The commit token: two rotations form a new ring.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commit {
    /// 1 while members fill their entries, 2 while they learn the result.
    pub rotation: u8,
    pub members: Vec<CommitMember>,
    pub old_rings: Vec<OldRing>,
}

/// A packet body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    Token(Token),
    Mcast(Mcast),
    Join(Join),
    Commit(Commit),
    /// A representative announcing its ring, so that rings that can see each
    /// other merge.
    MergeDetect,
    /// Asks the holder of an idle token to pass it on at once.
    HoldCancel,
    /// The sender is leaving the ring cleanly.
    Leave,
}

/// A whole packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    pub sender: NodeId,
    /// For tokens, data frames and commit tokens the ring they belong to; for
    /// the other kinds the sender's current ring.
    pub ring_id: RingId,
    pub body: Body,
}

fn header(buf: &mut BytesMut, kind: u8, sender: NodeId, ring: RingId) {
    buf.put_u16(MAGIC);
    buf.put_u8(VERSION);
    buf.put_u8(kind);
    buf.put_u32(sender);
    buf.put_u32(ring.rep);
    buf.put_u64(ring.seq);
}

fn put_nodes(buf: &mut BytesMut, nodes: &[NodeId]) {
    buf.put_u16(nodes.len() as u16);
    for n in nodes {
        buf.put_u32(*n);
    }
}

/// Bytes a token with `rtr` entries occupies on the wire.
pub const fn token_len(rtr: usize) -> usize {
    HEADER_LEN + 48 + 2 + rtr * 8
}

/// Bytes a data frame's header occupies before its payload.
pub const fn mcast_header_len(encapsulated: bool) -> usize {
    HEADER_LEN + 9 + if encapsulated { 25 } else { 0 }
}

impl Packet {
    /// Encodes the packet. Lists longer than the format allows are a caller
    /// bug; the protocol never builds them.
    pub fn encode(&self) -> Bytes {
        let mut buf = BytesMut::with_capacity(self.encoded_len_hint());
        match &self.body {
            Body::Token(t) => {
                header(&mut buf, KIND_TOKEN, self.sender, self.ring_id);
                buf.put_u64(t.token_seq);
                buf.put_u64(t.seq);
                buf.put_u64(t.aru);
                buf.put_u32(t.aru_id);
                buf.put_u32(t.fcc);
                buf.put_u32(t.backlog);
                buf.put_u32(t.recovery_pending);
                buf.put_u64(0); // reserved
                buf.put_u16(t.rtr.len() as u16);
                for s in &t.rtr {
                    buf.put_u64(*s);
                }
            }
            Body::Mcast(m) => {
                encode_mcast_into(&mut buf, self.sender, self.ring_id, m.seq, m.safe, m.origin.as_ref());
                buf.put_slice(&m.payload);
            }
            Body::Join(j) => {
                header(&mut buf, KIND_JOIN, self.sender, self.ring_id);
                buf.put_u64(j.ring_seq);
                put_nodes(&mut buf, &j.proc_set);
                put_nodes(&mut buf, &j.fail_set);
            }
            Body::Commit(c) => {
                header(&mut buf, KIND_COMMIT, self.sender, self.ring_id);
                buf.put_u8(c.rotation);
                buf.put_u16(c.members.len() as u16);
                for m in &c.members {
                    buf.put_u32(m.node);
                    buf.put_u16(m.old_ring);
                    buf.put_u8(m.filled as u8);
                }
                buf.put_u16(c.old_rings.len() as u16);
                for r in &c.old_rings {
                    buf.put_u32(r.ring_id.rep);
                    buf.put_u64(r.ring_id.seq);
                    buf.put_u64(r.min_aru);
                    buf.put_u64(r.max_high);
                    buf.put_u64(r.max_safe);
                }
            }
            Body::MergeDetect => header(&mut buf, KIND_MERGE_DETECT, self.sender, self.ring_id),
            Body::HoldCancel => header(&mut buf, KIND_HOLD_CANCEL, self.sender, self.ring_id),
            Body::Leave => header(&mut buf, KIND_LEAVE, self.sender, self.ring_id),
        }
        buf.freeze()
    }

    fn encoded_len_hint(&self) -> usize {
        match &self.body {
            Body::Token(t) => token_len(t.rtr.len()),
            Body::Mcast(m) => mcast_header_len(m.origin.is_some()) + m.payload.len(),
            Body::Join(j) => HEADER_LEN + 12 + 4 * (j.proc_set.len() + j.fail_set.len()),
            Body::Commit(c) => HEADER_LEN + 5 + 7 * c.members.len() + 36 * c.old_rings.len(),
            _ => HEADER_LEN,
        }
    }

    /// Decodes one datagram.
    pub fn decode(data: &Bytes) -> Result<Packet, DecodeError> {
        let mut r = Reader { data, pos: 0 };
        if r.u16()? != MAGIC {
            return Err(DecodeError::BadMagic);
        }
        let version = r.u8()?;
        if version != VERSION {
            return Err(DecodeError::UnsupportedVersion(version));
        }
        let kind = r.u8()?;
        let sender = r.u32()?;
        if sender == 0 {
            return Err(DecodeError::Invalid("sender node id 0"));
        }
        let ring_id = RingId {
            rep: r.u32()?,
            seq: r.u64()?,
        };
        if ring_id.seq >= MAX_SEQ {
            return Err(DecodeError::Invalid("ring sequence number out of range"));
        }
        let body = match kind {
            KIND_TOKEN => {
                let token_seq = r.u64()?;
                let seq = r.u64()?;
                let aru = r.u64()?;
                let aru_id = r.u32()?;
                let fcc = r.u32()?;
                let backlog = r.u32()?;
                let recovery_pending = r.u32()?;
                if r.u64()? != 0 {
                    return Err(DecodeError::Invalid("reserved token field not zero"));
                }
                let n = r.u16()? as usize;
                r.need(n * 8)?;
                let mut rtr = Vec::with_capacity(n);
                for _ in 0..n {
                    let s = r.u64()?;
                    if s == 0 || s > seq {
                        return Err(DecodeError::Invalid("retransmit request out of range"));
                    }
                    rtr.push(s);
                }
                if aru > seq || seq >= MAX_SEQ || token_seq >= MAX_SEQ {
                    return Err(DecodeError::Invalid("token sequence numbers out of range"));
                }
                Body::Token(Token {
                    token_seq,
                    seq,
                    aru,
                    aru_id,
                    fcc,
                    backlog,
                    recovery_pending,
                    rtr,
                })
            }
            KIND_MCAST => {
                let seq = r.u64()?;
                let flags = r.u8()?;
                if flags & !(FLAG_SAFE | FLAG_ENCAPSULATED) != 0 {
                    return Err(DecodeError::Invalid("unknown frame flags"));
                }
                if seq == 0 || seq >= MAX_SEQ {
                    return Err(DecodeError::Invalid("frame sequence number out of range"));
                }
                let origin = if flags & FLAG_ENCAPSULATED != 0 {
                    let ring_id = RingId {
                        rep: r.u32()?,
                        seq: r.u64()?,
                    };
                    let seq = r.u64()?;
                    let sender = r.u32()?;
                    let oflags = r.u8()?;
                    if oflags & !(FLAG_SAFE | FLAG_FILLER) != 0
                        || seq == 0
                        || seq >= MAX_SEQ
                        || ring_id.seq >= MAX_SEQ
                        || sender == 0
                    {
                        return Err(DecodeError::Invalid("bad origin of re-sent frame"));
                    }
                    Some(Origin {
                        ring_id,
                        seq,
                        sender,
                        safe: oflags & FLAG_SAFE != 0,
                        filler: oflags & FLAG_FILLER != 0,
                    })
                } else {
                    None
                };
                let payload = r.rest();
                Body::Mcast(Mcast {
                    seq,
                    safe: flags & FLAG_SAFE != 0,
                    origin,
                    payload,
                })
            }
            KIND_JOIN => {
                let ring_seq = r.u64()?;
                if ring_seq >= MAX_SEQ {
                    return Err(DecodeError::Invalid("join ring sequence number out of range"));
                }
                let proc_set = r.nodes()?;
                let fail_set = r.nodes()?;
                Body::Join(Join {
                    ring_seq,
                    proc_set,
                    fail_set,
                })
            }
            KIND_COMMIT => {
                let rotation = r.u8()?;
                if !(1..=2).contains(&rotation) {
                    return Err(DecodeError::Invalid("commit rotation"));
                }
                let n = r.u16()? as usize;
                r.need(n * 7)?;
                let mut members = Vec::with_capacity(n);
                for _ in 0..n {
                    let node = r.u32()?;
                    let old_ring = r.u16()?;
                    let filled = match r.u8()? {
                        0 => false,
                        1 => true,
                        _ => return Err(DecodeError::Invalid("commit member flag")),
                    };
                    members.push(CommitMember { node, old_ring, filled });
                }
                let k = r.u16()? as usize;
                r.need(k * 36)?;
                let mut old_rings = Vec::with_capacity(k);
                for _ in 0..k {
                    let ring_id = RingId {
                        rep: r.u32()?,
                        seq: r.u64()?,
                    };
                    let o = OldRing {
                        ring_id,
                        min_aru: r.u64()?,
                        max_high: r.u64()?,
                        max_safe: r.u64()?,
                    };
                    if [o.ring_id.seq, o.min_aru, o.max_high, o.max_safe]
                        .iter()
                        .any(|&v| v >= MAX_SEQ)
                    {
                        return Err(DecodeError::Invalid("commit sequence numbers out of range"));
                    }
                    old_rings.push(o);
                }
                if members.is_empty() {
                    return Err(DecodeError::Invalid("commit token without members"));
                }
                if !members.windows(2).all(|w| w[0].node < w[1].node) || members[0].node == 0 {
                    return Err(DecodeError::Invalid("commit members not sorted and unique"));
                }
                if members
                    .iter()
                    .any(|m| m.old_ring != NO_OLD_RING && m.old_ring as usize >= k)
                {
                    return Err(DecodeError::Invalid("commit old ring index"));
                }
                Body::Commit(Commit {
                    rotation,
                    members,
                    old_rings,
                })
            }
            KIND_MERGE_DETECT => Body::MergeDetect,
            KIND_HOLD_CANCEL => Body::HoldCancel,
            KIND_LEAVE => Body::Leave,
            other => return Err(DecodeError::UnknownKind(other)),
        };
        if r.pos != data.len() {
            return Err(DecodeError::TrailingBytes);
        }
        Ok(Packet { sender, ring_id, body })
    }
}

/// Writes a data frame's header; the caller appends the payload. Used by the
/// packer to build a frame in one buffer without copying the payload twice.
pub fn encode_mcast_into(
    buf: &mut BytesMut,
    sender: NodeId,
    ring: RingId,
    seq: u64,
    safe: bool,
    origin: Option<&Origin>,
) {
    header(buf, KIND_MCAST, sender, ring);
    buf.put_u64(seq);
    let mut flags = if safe { FLAG_SAFE } else { 0 };
    if origin.is_some() {
        flags |= FLAG_ENCAPSULATED;
    }
    buf.put_u8(flags);
    if let Some(o) = origin {
        buf.put_u32(o.ring_id.rep);
        buf.put_u64(o.ring_id.seq);
        buf.put_u64(o.seq);
        buf.put_u32(o.sender);
        buf.put_u8(if o.safe { FLAG_SAFE } else { 0 } | if o.filler { FLAG_FILLER } else { 0 });
    }
}

struct Reader<'a> {
    data: &'a Bytes,
    pos: usize,
}

impl Reader<'_> {
    fn need(&self, n: usize) -> Result<(), DecodeError> {
        if self.data.len() - self.pos < n {
            Err(DecodeError::Truncated)
        } else {
            Ok(())
        }
    }
    fn take<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        self.need(N)?;
        let mut out = [0u8; N];
        out.copy_from_slice(&self.data[self.pos..self.pos + N]);
        self.pos += N;
        Ok(out)
    }
    fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.take::<1>()?[0])
    }
    fn u16(&mut self) -> Result<u16, DecodeError> {
        Ok(u16::from_be_bytes(self.take()?))
    }
    fn u32(&mut self) -> Result<u32, DecodeError> {
        Ok(u32::from_be_bytes(self.take()?))
    }
    fn u64(&mut self) -> Result<u64, DecodeError> {
        Ok(u64::from_be_bytes(self.take()?))
    }
    fn nodes(&mut self) -> Result<Vec<NodeId>, DecodeError> {
        let n = self.u16()? as usize;
        self.need(n * 4)?;
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            let id = self.u32()?;
            if id == 0 {
                return Err(DecodeError::Invalid("node id 0 in a set"));
            }
            v.push(id);
        }
        if !v.windows(2).all(|w| w[0] < w[1]) {
            return Err(DecodeError::Invalid("node set not sorted and unique"));
        }
        Ok(v)
    }
    fn rest(&mut self) -> Bytes {
        let b = self.data.slice(self.pos..);
        self.pos = self.data.len();
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring() -> RingId {
        RingId { rep: 3, seq: 44 }
    }

    fn samples() -> Vec<Packet> {
        let p = |body| Packet {
            sender: 7,
            ring_id: ring(),
            body,
        };
        vec![
            p(Body::Token(Token {
                token_seq: 9,
                seq: 100,
                aru: 90,
                aru_id: 7,
                fcc: 12,
                backlog: 3,
                recovery_pending: 1,
                rtr: vec![91, 95],
            })),
            p(Body::Mcast(Mcast {
                seq: 5,
                safe: true,
                origin: None,
                payload: Bytes::from_static(b"abc"),
            })),
            p(Body::Mcast(Mcast {
                seq: 6,
                safe: false,
                origin: Some(Origin {
                    ring_id: RingId { rep: 1, seq: 40 },
                    seq: 77,
                    sender: 2,
                    safe: true,
                    filler: true,
                }),
                payload: Bytes::new(),
            })),
            p(Body::Join(Join {
                ring_seq: 44,
                proc_set: vec![1, 2, 7],
                fail_set: vec![2],
            })),
            p(Body::Commit(Commit {
                rotation: 1,
                members: vec![
                    CommitMember {
                        node: 1,
                        old_ring: 0,
                        filled: true,
                    },
                    CommitMember {
                        node: 7,
                        old_ring: NO_OLD_RING,
                        filled: false,
                    },
                ],
                old_rings: vec![OldRing {
                    ring_id: ring(),
                    min_aru: 3,
                    max_high: 9,
                    max_safe: 2,
                }],
            })),
            p(Body::MergeDetect),
            p(Body::HoldCancel),
            p(Body::Leave),
        ]
    }

    #[test]
    fn every_kind_round_trips() {
        for p in samples() {
            let bytes = p.encode();
            assert_eq!(Packet::decode(&bytes), Ok(p.clone()));
            assert_eq!(bytes.len(), p.encoded_len_hint(), "{p:?}");
        }
    }

    #[test]
    fn header_is_big_endian_with_magic_and_version() {
        let b = samples()[5].encode();
        assert_eq!(&b[..8], &[0x7A, 0x51, 1, KIND_MERGE_DETECT, 0, 0, 0, 7]);
    }

    #[test]
    fn every_truncation_is_rejected() {
        for p in samples() {
            let b = p.encode();
            for n in 0..b.len() {
                let cut = b.slice(..n);
                // A data frame's payload is the remainder, so a shorter one is
                // still a frame; everything else must be refused.
                if matches!(p.body, Body::Mcast(_)) && n >= mcast_header_len(false) {
                    continue;
                }
                assert!(Packet::decode(&cut).is_err(), "{p:?} cut at {n}");
            }
        }
    }

    #[test]
    fn sequence_numbers_that_could_overflow_are_rejected() {
        let mut t = samples()[0].clone();
        if let Body::Token(tok) = &mut t.body {
            tok.seq = MAX_SEQ;
        }
        assert!(Packet::decode(&t.encode()).is_err());
        let mut j = samples()[3].clone();
        j.ring_id.seq = u64::MAX;
        assert!(Packet::decode(&j.encode()).is_err());
    }

    #[test]
    fn unknown_versions_kinds_and_garbage_are_rejected() {
        let mut b = samples()[0].encode().to_vec();
        b[2] = 2;
        assert_eq!(
            Packet::decode(&Bytes::from(b.clone())),
            Err(DecodeError::UnsupportedVersion(2))
        );
        b[2] = 1;
        b[3] = 99;
        assert_eq!(Packet::decode(&Bytes::from(b)), Err(DecodeError::UnknownKind(99)));
        let mut extra = samples()[3].encode().to_vec();
        extra.push(0);
        assert_eq!(Packet::decode(&Bytes::from(extra)), Err(DecodeError::TrailingBytes));
        // A pseudo-random walk over byte strings: never a panic.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for len in 0..2000usize {
            let mut v = Vec::with_capacity(len % 300);
            for _ in 0..len % 300 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                v.push(x as u8);
            }
            if v.len() >= 4 && len % 2 == 0 {
                v[0] = 0x7A;
                v[1] = 0x51;
                v[2] = 1;
                v[3] = (len % 9) as u8;
            }
            let _ = Packet::decode(&Bytes::from(v));
        }
    }
}
