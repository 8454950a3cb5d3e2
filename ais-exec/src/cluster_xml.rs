//! The cluster as SAFTest's `DISPLAY_CLUSTER` command describes it: one `SAFNode` per
//! node (id, addresses, name, member, bootTimestamp, initialViewNumber) in a
//! `SAFCluster` document, which SAFTest compares with what saClmClusterNodeGet and the
//! track callbacks report (saftest/README.md).
//!
//! Every node of the cluster is listed, members or not: the nodes of the configuration's
//! `nodes { }` block, then any member the block does not name. A member is described as
//! CLM reports it; a configured node that is not a member has only what the configuration
//! knows (id, name, ring 0 address) and 0 for the boot time and the view it joined in,
//! which CLM does not keep for nodes outside the membership.

use crate::config::settings::NodeEntry;
use crate::services::clm::node::{AF_INET, AF_INET6};
use ais_proto::clm::ClusterNode;
use std::fmt::Write;

/// One node as it is printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SafNode {
    pub id: u32,
    pub name: String,
    pub family: u32,
    /// The address as CLM gives it in `SaClmNodeAddressT.value` (its text form).
    pub address: String,
    pub member: bool,
    pub boot_timestamp: i64,
    pub initial_view: u64,
}

impl SafNode {
    fn from_member(n: &ClusterNode) -> SafNode {
        SafNode {
            id: n.node_id,
            name: String::from_utf8_lossy(&n.name).into_owned(),
            family: n.family,
            address: String::from_utf8_lossy(&n.address).into_owned(),
            member: n.member,
            boot_timestamp: n.boot_timestamp,
            initial_view: n.initial_view,
        }
    }

    fn from_config(e: &NodeEntry) -> SafNode {
        SafNode {
            id: e.nodeid,
            // The executive reports the host name for an entry without a name; only the
            // address is known here for a node that is down.
            name: e.name.clone().unwrap_or_else(|| e.ring0_addr.to_string()),
            family: if e.ring0_addr.is_ipv4() { AF_INET } else { AF_INET6 },
            address: e.ring0_addr.to_string(),
            member: false,
            boot_timestamp: 0,
            initial_view: 0,
        }
    }
}

/// The configured nodes in the block's order, each as CLM reports it when it is a member,
/// then the members the configuration does not name, by node id.
pub fn cluster(configured: &[NodeEntry], members: &[ClusterNode]) -> Vec<SafNode> {
    let mut nodes: Vec<SafNode> = configured
        .iter()
        .map(|e| match members.iter().find(|m| m.node_id == e.nodeid) {
            Some(m) => SafNode::from_member(m),
            None => SafNode::from_config(e),
        })
        .collect();
    let mut extra: Vec<&ClusterNode> = members
        .iter()
        .filter(|m| !configured.iter().any(|e| e.nodeid == m.node_id))
        .collect();
    extra.sort_by_key(|m| m.node_id);
    nodes.extend(extra.into_iter().map(SafNode::from_member));
    nodes
}

/// The `SAFCluster` document. Every element stands on a line of its own: SAFTest's reader
/// creates an address on the text that follows `<Address>`, so that text must be there.
pub fn render(nodes: &[SafNode]) -> String {
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    x.push_str("<SAFCluster schemaVersion=\"1\">\n    <SAFNodeList>\n");
    for n in nodes {
        let family = if n.family == AF_INET6 {
            "SA_CLM_AF_INET6"
        } else {
            "SA_CLM_AF_INET"
        };
        let _ = write!(
            x,
            "        <SAFNode>\n\
             \x20           <id>{}</id>\n\
             \x20           <AddressList>\n\
             \x20               <Address>\n\
             \x20                   <family>{family}</family>\n\
             \x20                   <length>{}</length>\n\
             \x20                   <value>{}</value>\n\
             \x20               </Address>\n\
             \x20           </AddressList>\n\
             \x20           <name>{}</name>\n\
             \x20           <member>{}</member>\n\
             \x20           <bootTimestamp>{}</bootTimestamp>\n\
             \x20           <initialViewNumber>{}</initialViewNumber>\n\
             \x20       </SAFNode>\n",
            n.id,
            n.address.len(),
            escape(&n.address),
            escape(&n.name),
            if n.member { "TRUE" } else { "FALSE" },
            n.boot_timestamp,
            n.initial_view,
        );
    }
    x.push_str("    </SAFNodeList>\n</SAFCluster>\n");
    x
}

/// Character data as XML text.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: u32, name: Option<&str>, addr: &str) -> NodeEntry {
        NodeEntry {
            nodeid: id,
            name: name.map(str::to_string),
            ring0_addr: addr.parse().unwrap(),
            quorum_votes: 1,
        }
    }

    fn member(id: u32, name: &str, addr: &str, view: u64) -> ClusterNode {
        ClusterNode {
            node_id: id,
            family: AF_INET,
            address: addr.as_bytes().to_vec(),
            name: name.as_bytes().to_vec(),
            member: true,
            boot_timestamp: 1_700_000_000_000_000_000,
            initial_view: view,
        }
    }

    #[test]
    fn configured_nodes_first_members_as_clm_reports_them() {
        let conf = [entry(3, Some("c"), "10.0.0.3"), entry(1, Some("a"), "10.0.0.1")];
        let members = [member(9, "z", "10.0.0.9", 4), member(1, "a", "10.0.0.1", 2)];
        let nodes = cluster(&conf, &members);
        assert_eq!(nodes.iter().map(|n| n.id).collect::<Vec<_>>(), [3, 1, 9]);
        // Node 3 is down: what the configuration knows, not a member.
        assert_eq!(
            nodes[0],
            SafNode {
                id: 3,
                name: "c".into(),
                family: AF_INET,
                address: "10.0.0.3".into(),
                member: false,
                boot_timestamp: 0,
                initial_view: 0
            }
        );
        assert!(nodes[1].member && nodes[1].initial_view == 2);
        assert_eq!(nodes[1].boot_timestamp, 1_700_000_000_000_000_000);
        assert_eq!(nodes[2].name, "z");
    }

    #[test]
    fn unnamed_down_node_is_named_by_its_address() {
        let nodes = cluster(&[entry(7, None, "fd00::7")], &[]);
        assert_eq!((nodes[0].name.as_str(), nodes[0].family), ("fd00::7", AF_INET6));
    }

    #[test]
    fn document_layout() {
        let mut n = cluster(&[], &[member(2130706433, "a<b&c", "127.0.0.1", 5)]);
        n[0].member = true;
        let x = render(&n);
        assert!(x.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<SAFCluster"));
        assert!(x.contains("<id>2130706433</id>\n"));
        assert!(x.contains("<name>a&lt;b&amp;c</name>\n"));
        assert!(x.contains("<length>9</length>\n"));
        assert!(x.contains("<value>127.0.0.1</value>\n"));
        assert!(x.contains("<member>TRUE</member>\n"));
        assert!(x.contains("<initialViewNumber>5</initialViewNumber>\n"));
        // Text between <Address> and <family>: SAFTest creates the address on it.
        assert!(x.contains("<Address>\n                    <family>SA_CLM_AF_INET</family>"));
        assert!(x.ends_with("</SAFNodeList>\n</SAFCluster>\n"));
    }
}
