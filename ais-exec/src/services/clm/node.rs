//! A node's CLM record and the message that carries it between executives.

use crate::services::codec::{self, DecodeError};
use crate::services::contract::RingId;
use ais_totem::NodeId;
use std::net::IpAddr;

/// `SA_CLM_AF_INET` / `SA_CLM_AF_INET6`.
pub const AF_INET: u32 = 1;
pub const AF_INET6: u32 = 2;
/// Longest node name (`SA_MAX_NAME_LENGTH`).
pub const MAX_NAME: usize = 256;
/// Longest address text (`SA_CLM_MAX_ADDRESS_LENGTH`).
pub const MAX_ADDRESS: usize = 64;

/// What a node says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeInfo {
    pub node_id: NodeId,
    /// `SA_CLM_AF_INET` or `SA_CLM_AF_INET6`.
    pub family: u32,
    /// The address as text ("192.168.1.1"), as openais reported it.
    pub address: String,
    /// The node name: the host name unless configured otherwise.
    pub name: String,
    /// When the node booted, in nanoseconds since the epoch.
    pub boot_timestamp: i64,
    /// The view in which the node joined the cluster (0 until its first
    /// view; [`super::joined`] decides it).
    pub initial_view: u64,
}

impl NodeInfo {
    pub fn new(node_id: NodeId, addr: IpAddr, name: &str, boot_timestamp: i64, initial_view: u64) -> NodeInfo {
        let family = if addr.is_ipv4() { AF_INET } else { AF_INET6 };
        NodeInfo {
            node_id,
            family,
            address: addr.to_string(),
            name: truncate(name, MAX_NAME),
            boot_timestamp,
            initial_view,
        }
    }
}

fn truncate(s: &str, max: usize) -> String {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_string()
}

/// The record a node multicasts after each regular configuration, in the
/// services' cluster codec ([`codec`]): kind NODE_JOIN, node id u32, family
/// u32, boot timestamp i64, initial view u64, address (u8 length + bytes),
/// name (u16 length + at most 256 bytes), then the old ring: bool present,
/// and if present representative u32 and sequence u64.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeJoin {
    pub node: NodeInfo,
    /// The ring of the last view this node completed (`None` before its
    /// first): the nodes that name the same one were one cluster.
    pub old_ring: Option<RingId>,
}

/// CLM's one cluster message kind.
const NODE_JOIN: u8 = 1;

impl NodeJoin {
    /// The record's fields were bounded when it was built.
    pub fn encode(&self) -> Vec<u8> {
        let n = &self.node;
        let mut w = codec::writer(NODE_JOIN);
        w.u32(n.node_id).u32(n.family).i64(n.boot_timestamp).u64(n.initial_view);
        let _ = codec::put_short(&mut w, n.address.as_bytes());
        let _ = w.name(n.name.as_bytes());
        w.bool(self.old_ring.is_some());
        if let Some(r) = self.old_ring {
            w.u32(r.rep).u64(r.seq);
        }
        w.into_vec()
    }

    pub fn decode(b: &[u8]) -> Result<NodeJoin, DecodeError> {
        let (kind, mut r) = codec::open(b)?;
        if kind != NODE_JOIN {
            return Err(DecodeError::Invalid("CLM message kind"));
        }
        let node_id = r.u32()?;
        let family = r.u32()?;
        let boot_timestamp = r.i64()?;
        let initial_view = r.u64()?;
        let address = std::str::from_utf8(codec::short(&mut r)?).map_err(|_| DecodeError::Invalid("address text"))?;
        let name = std::str::from_utf8(r.name()?).map_err(|_| DecodeError::Invalid("name text"))?;
        let old_ring = if r.bool()? {
            Some(RingId {
                rep: r.u32()?,
                seq: r.u64()?,
            })
        } else {
            None
        };
        r.finish()?;
        if node_id == 0 || !(family == AF_INET || family == AF_INET6) {
            return Err(DecodeError::Invalid("node id or family"));
        }
        if address.len() > MAX_ADDRESS || name.len() > MAX_NAME {
            return Err(DecodeError::Invalid("field length"));
        }
        Ok(NodeJoin {
            node: NodeInfo {
                node_id,
                family,
                address: address.to_string(),
                name: name.to_string(),
                boot_timestamp,
                initial_view,
            },
            old_ring,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_join_round_trips_and_rejects_every_truncation() {
        let info = NodeInfo::new(
            7,
            "192.168.1.7".parse().unwrap(),
            "node-seven",
            1_700_000_000_000_000_000,
            3,
        );
        assert_eq!(info.address, "192.168.1.7");
        assert_eq!(info.family, AF_INET);
        for old_ring in [None, Some(RingId { rep: 2, seq: 12 })] {
            let join = NodeJoin {
                node: info.clone(),
                old_ring,
            };
            let b = join.encode();
            assert_eq!(NodeJoin::decode(&b), Ok(join));
            for n in 0..b.len() {
                assert!(NodeJoin::decode(&b[..n]).is_err(), "cut at {n}");
            }
            let mut extra = b.clone();
            extra.push(0);
            assert!(NodeJoin::decode(&extra).is_err());
        }
    }

    #[test]
    fn long_names_are_cut_at_a_character_boundary() {
        let long = "é".repeat(200); // 400 bytes
        let info = NodeInfo::new(1, "::1".parse().unwrap(), &long, 0, 0);
        assert!(info.name.len() <= MAX_NAME && info.name.len() % 2 == 0);
        assert_eq!(info.family, AF_INET6);
        let join = NodeJoin {
            node: info,
            old_ring: None,
        };
        assert!(NodeJoin::decode(&join.encode()).is_ok());
    }

    #[test]
    fn garbage_never_panics() {
        let mut x = 0x1234_5678u32;
        for len in 0..2000usize {
            let v: Vec<u8> = (0..len % 120)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 17;
                    x ^= x << 5;
                    x as u8
                })
                .collect();
            let _ = NodeJoin::decode(&v);
        }
    }
}
