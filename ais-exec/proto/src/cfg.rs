//! The configuration service's messages (`ais-cfgtool`).

use crate::codec::{DecodeError, Reader, Writer};

/// Request empty; response a [`RingStatus`].
pub const RING_STATUS: u16 = 1;

/// Request empty; response a [`QuorumStatus`] (`ais-quorumtool -s`).
pub const QUORUM_STATUS: u16 = 2;

/// What `ais-quorumtool -s` prints: this node's view of the quorum
/// (votequorum(5)); `configured` false without a `quorum { }` section.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct QuorumStatus {
    pub node_id: u32,
    pub configured: bool,
    pub quorate: bool,
    pub total_votes: u32,
    pub expected_votes: u32,
    /// Votes needed to be quorate.
    pub quorum: u32,
    pub two_node: bool,
    /// wait_for_all is on and every expected vote has not been seen together yet.
    pub waiting_for_all: bool,
    pub ring_rep: u32,
    pub ring_seq: u64,
    /// The members and their votes.
    pub members: Vec<(u32, u32)>,
}

impl QuorumStatus {
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.u32(self.node_id)
            .bool(self.configured)
            .bool(self.quorate)
            .u32(self.total_votes)
            .u32(self.expected_votes)
            .u32(self.quorum)
            .bool(self.two_node)
            .bool(self.waiting_for_all)
            .u32(self.ring_rep)
            .u64(self.ring_seq);
        let _ = w.count(self.members.len());
        for (node, votes) in &self.members {
            w.u32(*node).u32(*votes);
        }
        w.into_vec()
    }

    pub fn decode(b: &[u8]) -> Result<QuorumStatus, DecodeError> {
        let mut r = Reader::new(b);
        let mut s = QuorumStatus {
            node_id: r.u32()?,
            configured: r.bool()?,
            quorate: r.bool()?,
            total_votes: r.u32()?,
            expected_votes: r.u32()?,
            quorum: r.u32()?,
            two_node: r.bool()?,
            waiting_for_all: r.bool()?,
            ring_rep: r.u32()?,
            ring_seq: r.u64()?,
            members: Vec::new(),
        };
        let n = r.count(8)?;
        for _ in 0..n {
            s.members.push((r.u32()?, r.u32()?));
        }
        r.finish()?;
        Ok(s)
    }
}

/// What `ais-cfgtool -s` prints.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RingStatus {
    pub node_id: u32,
    /// "operational", "gather", "commit" or "recovery".
    pub state: String,
    pub ring_rep: u32,
    pub ring_seq: u64,
    pub members: Vec<u32>,
    /// (name, value) pairs, in a fixed order.
    pub counters: Vec<(String, u64)>,
}

impl RingStatus {
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.u32(self.node_id);
        let _ = w.name(self.state.as_bytes());
        w.u32(self.ring_rep).u64(self.ring_seq);
        let _ = w.count(self.members.len());
        for m in &self.members {
            w.u32(*m);
        }
        let _ = w.count(self.counters.len());
        for (name, value) in &self.counters {
            let _ = w.name(name.as_bytes());
            w.u64(*value);
        }
        w.into_vec()
    }

    pub fn decode(b: &[u8]) -> Result<RingStatus, DecodeError> {
        let mut r = Reader::new(b);
        let node_id = r.u32()?;
        let state = String::from_utf8_lossy(r.name()?).into_owned();
        let ring_rep = r.u32()?;
        let ring_seq = r.u64()?;
        let n = r.count(4)?;
        let mut members = Vec::with_capacity(n);
        for _ in 0..n {
            members.push(r.u32()?);
        }
        let k = r.count(10)?;
        let mut counters = Vec::with_capacity(k);
        for _ in 0..k {
            let name = String::from_utf8_lossy(r.name()?).into_owned();
            counters.push((name, r.u64()?));
        }
        r.finish()?;
        Ok(RingStatus {
            node_id,
            state,
            ring_rep,
            ring_seq,
            members,
            counters,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quorum_status_round_trips_and_truncations_fail() {
        let s = QuorumStatus {
            node_id: 2,
            configured: true,
            quorate: false,
            total_votes: 2,
            expected_votes: 5,
            quorum: 3,
            two_node: false,
            waiting_for_all: true,
            ring_rep: 4,
            ring_seq: 8,
            members: vec![(4, 1), (5, 1)],
        };
        let b = s.encode();
        assert_eq!(QuorumStatus::decode(&b), Ok(s));
        for n in 0..b.len() {
            assert!(QuorumStatus::decode(&b[..n]).is_err(), "cut at {n}");
        }
    }

    #[test]
    fn ring_status_round_trips_and_truncations_fail() {
        let s = RingStatus {
            node_id: 7,
            state: "operational".into(),
            ring_rep: 1,
            ring_seq: 12,
            members: vec![1, 7],
            counters: vec![("frames_sent".into(), 3), ("datagrams_rejected".into(), 0)],
        };
        let b = s.encode();
        assert_eq!(RingStatus::decode(&b), Ok(s));
        for n in 0..b.len() {
            assert!(RingStatus::decode(&b[..n]).is_err(), "cut at {n}");
        }
    }
}
