//! This node's Totem identifier.
//!
//! The `nodes { node { nodeid; name; ring0_addr } }` entry whose `ring0_addr`
//! is this machine's address, as corosync's nodelist gives it (an explicit
//! `totem.nodeid` must agree with it). Otherwise
//! `totem.nodeid` when it is set; otherwise, as openais did, the ring 0 IPv4
//! address read as a big-endian number (192.168.1.10 is 0xC0A8010A), with bit
//! 31 cleared when `clear_node_high_bit` is on (for programs that store node
//! ids in a signed 32-bit integer). IPv6 addresses have no such mapping; the
//! configuration reader already insists on `nodeid` for them.

use std::fmt;
use std::net::IpAddr;

use ais_totem::NodeId;

use crate::config::Settings;

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

/// The index of the `nodes { node { } }` entry that describes this machine:
/// the one whose `ring0_addr` is the address ring 0 binds, else the one whose
/// `ring0_addr` is another of `host`, this machine's addresses. Two entries
/// naming two addresses of this host are an error (which one is meant?).
fn entry_of_this_machine(settings: &Settings, bound: IpAddr, host: &[IpAddr]) -> Result<Option<usize>, String> {
    let nodes = &settings.nodes;
    if let Some(i) = nodes.iter().position(|n| n.ring0_addr == bound) {
        return Ok(Some(i));
    }
    let mut mine = (0..nodes.len()).filter(|&i| host.contains(&nodes[i].ring0_addr));
    match (mine.next(), mine.next()) {
        (Some(a), Some(b)) => {
            let o = &settings.origin;
            let line = |i: usize| o.node_ids.get(i).copied().unwrap_or(0);
            Err(format!(
                "{}: {}.node.ring0_addr: {} and {} (at {}) are both addresses of this machine, which binds {bound}: \
                 say which node this is with totem.nodeid",
                o.place(line(a)),
                o.nodes_block,
                nodes[a].ring0_addr,
                nodes[b].ring0_addr,
                o.place(line(b)),
            ))
        }
        (first, _) => Ok(first),
    }
}

/// This node's id from the whole configuration: the `nodes { node { } }`
/// entry of this machine's address gives it, as corosync's nodelist does
/// (and so that entry's name is the node's name); an explicit `totem.nodeid`
/// must then agree with it. Without such an entry, [`choose`] decides.
/// `host` is this machine's addresses that an entry may name.
pub fn for_this_node(settings: &Settings, bound: IpAddr, host: &[IpAddr]) -> Result<NodeId, String> {
    let configured = settings.totem.nodeid;
    match entry_of_this_machine(settings, bound, host)? {
        Some(i) => {
            let entry = &settings.nodes[i];
            match configured {
                Some(id) if id != entry.nodeid => {
                    let o = &settings.origin;
                    Err(o
                        .error(
                            o.totem_nodeid,
                            "totem.nodeid",
                            format!(
                                "{id} disagrees with the {} entry of this machine's address {} at {} (nodeid {}): \
                                 remove one or make them equal",
                                o.nodes_block,
                                entry.ring0_addr,
                                o.place(o.node_ids.get(i).copied().unwrap_or(0)),
                                entry.nodeid
                            ),
                        )
                        .to_string())
                }
                _ => Ok(entry.nodeid),
            }
        }
        None => choose(configured, bound, settings.totem.clear_node_high_bit).map_err(|e| e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(text: &str) -> Settings {
        Settings::from_str(text, "test.conf").unwrap().0
    }

    fn ip(a: &str) -> IpAddr {
        a.parse().unwrap()
    }

    const NODES: &str = "nodes {\n\tnode {\n\t\tnodeid: 5\n\t\tname: alpha\n\t\tring0_addr: 10.0.0.1\n\t}\n\
                         \tnode {\n\t\tnodeid: 6\n\t\tname: beta\n\t\tring0_addr: 10.0.0.2\n\t}\n}\n";

    fn config(totem_nodeid: Option<u32>) -> String {
        let id = totem_nodeid.map_or(String::new(), |n| format!("\tnodeid: {n}\n"));
        format!("totem {{\n{id}\tinterface {{\n\t\tbindnetaddr: 10.0.0.0\n\t\tmcastaddr: 239.1.1.1\n\t}}\n}}\n{NODES}")
    }

    /// corosync's nodelist: the entry whose ring0_addr is one of this
    /// machine's addresses gives the local node its id (and so its name).
    #[test]
    fn the_node_list_entry_of_this_machine_gives_its_id() {
        let s = settings(&config(None));
        assert_eq!(for_this_node(&s, ip("10.0.0.2"), &[ip("10.0.0.2")]), Ok(6));
        // The address bound is not written in the entry, but another address
        // of this host is.
        assert_eq!(
            for_this_node(&s, ip("10.0.0.9"), &[ip("127.0.0.1"), ip("10.0.0.9"), ip("10.0.0.1")]),
            Ok(5)
        );
        // No entry for this machine: derived from the address as before.
        assert_eq!(for_this_node(&s, ip("10.0.0.3"), &[ip("10.0.0.3")]), Ok(0x0A00_0003));
        // An explicit totem.nodeid that agrees is fine.
        let s = settings(&config(Some(6)));
        assert_eq!(for_this_node(&s, ip("10.0.0.2"), &[ip("10.0.0.2")]), Ok(6));
        // And one with no entry for this machine is used as before.
        assert_eq!(for_this_node(&s, ip("10.0.0.3"), &[ip("10.0.0.3")]), Ok(6));
    }

    /// An explicit totem.nodeid that disagrees with the entry of this
    /// machine's address is a configuration error naming both lines.
    #[test]
    fn a_disagreeing_totem_nodeid_names_both_lines() {
        let s = settings(&config(Some(7)));
        let e = for_this_node(&s, ip("10.0.0.1"), &[ip("10.0.0.1")]).unwrap_err();
        assert!(
            e.starts_with("test.conf:2: totem.nodeid: 7 ") && e.contains("test.conf:10") && e.contains("nodeid 5"),
            "{e}"
        );
        // Two entries naming two addresses of this host: which one is meant
        // cannot be told.
        let s = settings(&config(None));
        let e = for_this_node(&s, ip("10.0.0.9"), &[ip("10.0.0.9"), ip("10.0.0.1"), ip("10.0.0.2")]).unwrap_err();
        assert!(e.contains("test.conf:9") && e.contains("test.conf:14"), "{e}");
    }

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
