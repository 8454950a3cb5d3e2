//! This node's Totem identifier.
//!
//! `totem.nodeid` when it is set; otherwise, as openais did, the ring 0 IPv4
//! address read as a big-endian number (192.168.1.10 is 0xC0A8010A), with bit
//! 31 cleared when `clear_node_high_bit` is on (for programs that store node
//! ids in a signed 32-bit integer). IPv6 addresses have no such mapping; the
//! configuration reader already insists on `nodeid` for them.

use std::fmt;
use std::net::IpAddr;

use ais_totem::NodeId;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeIdError {
    /// An IPv6 address and no `totem.nodeid`.
    NeedsNodeId(IpAddr),
    /// The address maps to 0 (0.0.0.0, or 128.0.0.0 with the high bit cleared).
    Zero(IpAddr),
}

impl fmt::Display for NodeIdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NodeIdError::NeedsNodeId(a) => {
                write!(f, "{a} is an IPv6 address: set totem.nodeid")
            }
            NodeIdError::Zero(a) => write!(f, "address {a} gives node id 0: set totem.nodeid"),
        }
    }
}

impl std::error::Error for NodeIdError {}

/// The id an IPv4 address stands for when no node id is configured.
pub fn from_address(addr: IpAddr, clear_node_high_bit: bool) -> Result<NodeId, NodeIdError> {
    let id = match addr {
        IpAddr::V4(v4) => u32::from_be_bytes(v4.octets()),
        IpAddr::V6(_) => return Err(NodeIdError::NeedsNodeId(addr)),
    };
    let id = if clear_node_high_bit { id & 0x7fff_ffff } else { id };
    if id == 0 {
        return Err(NodeIdError::Zero(addr));
    }
    Ok(id)
}

/// This node's id: the configured one, or the one its ring 0 address gives.
pub fn choose(configured: Option<u32>, local: IpAddr, clear_node_high_bit: bool) -> Result<NodeId, NodeIdError> {
    match configured {
        Some(id) => Ok(id),
        None => from_address(local, clear_node_high_bit),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_from_ipv4_big_endian() {
        let a: IpAddr = "192.168.1.10".parse().unwrap();
        assert_eq!(from_address(a, false), Ok(0xC0A8_010A));
        assert_eq!(from_address(a, true), Ok(0x40A8_010A));
        let lo: IpAddr = "127.0.0.2".parse().unwrap();
        assert_eq!(from_address(lo, false), Ok(0x7f00_0002));
        assert_eq!(from_address(lo, true), Ok(0x7f00_0002), "high bit already clear");
    }

    #[test]
    fn zero_and_ipv6_are_refused() {
        let z: IpAddr = "0.0.0.0".parse().unwrap();
        assert_eq!(from_address(z, false), Err(NodeIdError::Zero(z)));
        let h: IpAddr = "128.0.0.0".parse().unwrap();
        assert_eq!(from_address(h, false), Ok(0x8000_0000));
        assert_eq!(from_address(h, true), Err(NodeIdError::Zero(h)));
        let v6: IpAddr = "fd00::1".parse().unwrap();
        assert_eq!(from_address(v6, false), Err(NodeIdError::NeedsNodeId(v6)));
    }

    #[test]
    fn configured_id_wins() {
        let v6: IpAddr = "fd00::1".parse().unwrap();
        assert_eq!(choose(Some(7), v6, false), Ok(7));
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        assert_eq!(
            choose(Some(7), a, true),
            Ok(7),
            "clear_node_high_bit only applies to derived ids"
        );
        assert_eq!(choose(None, a, false), Ok(0x0A00_0001));
    }
}
