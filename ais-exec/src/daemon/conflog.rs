//! The membership log: what an administrator reads when the ring changes,
//! worded after openais's `CLM CONFIGURATION CHANGE` block.

use std::net::IpAddr;

use ais_totem::{ConfChange, ConfKind, GatherReason, NodeId};

fn member_line(id: NodeId, addr_of: &dyn Fn(NodeId) -> Option<IpAddr>) -> String {
    match addr_of(id) {
        Some(a) => format!("\tr(0) ip({a}) nodeid {id}"),
        None => format!("\tr(0) ip(unknown) nodeid {id}"),
    }
}

/// A regular configuration as an administrator reads it: who left and who
/// joined since the previous regular configuration (`prev`, empty before
/// the first), where the core reports them against the transitional one.
pub fn against_previous(c: &ConfChange, prev: &[NodeId]) -> ConfChange {
    ConfChange {
        left: prev.iter().copied().filter(|id| !c.members.contains(id)).collect(),
        joined: c.members.iter().copied().filter(|id| !prev.contains(id)).collect(),
        ..c.clone()
    }
}

/// The one line that says a regular configuration formed and why, worded
/// after corosync's "A new membership (...) was formed. Members joined: ...
/// left: ...". `c` is counted against the previous regular configuration
/// ([`against_previous`]); `why` is what started the formation, if known.
pub fn formed(c: &ConfChange, why: Option<&GatherReason>) -> String {
    let ids = |v: &[NodeId]| v.iter().map(|id| format!(" {id}")).collect::<String>();
    let cause = why.map_or(String::new(), |w| format!(" ({w})"));
    format!(
        "A new membership ({}:{}) was formed{cause}. Members joined:{} left:{}",
        c.ring_id.rep,
        c.ring_id.seq,
        ids(&c.joined),
        ids(&c.left)
    )
}

/// The lines logged for a configuration change, in order.
pub fn lines(c: &ConfChange, addr_of: &dyn Fn(NodeId) -> Option<IpAddr>) -> Vec<String> {
    let mut out = Vec::with_capacity(c.members.len() + c.left.len() + c.joined.len() + 5);
    out.push(match c.kind {
        ConfKind::Regular => "CLM CONFIGURATION CHANGE".to_string(),
        ConfKind::Transitional => "CLM CONFIGURATION CHANGE (transitional)".to_string(),
    });
    out.push("New Configuration:".into());
    out.extend(c.members.iter().map(|&id| member_line(id, addr_of)));
    out.push("Members Left:".into());
    out.extend(c.left.iter().map(|&id| member_line(id, addr_of)));
    out.push("Members Joined:".into());
    out.extend(c.joined.iter().map(|&id| member_line(id, addr_of)));
    out.push(match c.kind {
        ConfKind::Regular => format!(
            "Regular configuration of {} members installed on ring {} (representative nodeid {})",
            c.members.len(),
            c.ring_id.seq,
            c.ring_id.rep
        ),
        ConfKind::Transitional => format!(
            "Transitional configuration of {} members from ring {} to ring {}",
            c.members.len(),
            c.old_ring_id.map_or(0, |r| r.seq),
            c.ring_id.seq
        ),
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ais_totem::RingId;

    #[test]
    fn regular_configuration_block() {
        let c = ConfChange {
            kind: ConfKind::Regular,
            ring_id: RingId {
                rep: 0x7f000001,
                seq: 12,
            },
            old_ring_id: None,
            members: vec![0x7f000001, 0x7f000002],
            left: vec![0x7f000003],
            joined: vec![0x7f000002],
        };
        let addr = |id: NodeId| (id != 0x7f000003).then(|| IpAddr::from(id.to_be_bytes()));
        assert_eq!(
            lines(&c, &addr),
            [
                "CLM CONFIGURATION CHANGE",
                "New Configuration:",
                "\tr(0) ip(127.0.0.1) nodeid 2130706433",
                "\tr(0) ip(127.0.0.2) nodeid 2130706434",
                "Members Left:",
                "\tr(0) ip(unknown) nodeid 2130706435",
                "Members Joined:",
                "\tr(0) ip(127.0.0.2) nodeid 2130706434",
                "Regular configuration of 2 members installed on ring 12 (representative nodeid 2130706433)",
            ]
        );
    }

    #[test]
    fn left_and_joined_since_the_last_regular_configuration() {
        // The core's regular configuration after a transitional {1, 3}: no one
        // left or joined since the transition.
        let c = ConfChange {
            kind: ConfKind::Regular,
            ring_id: RingId { rep: 1, seq: 20 },
            old_ring_id: None,
            members: vec![1, 3, 4],
            left: vec![],
            joined: vec![4],
        };
        let shown = against_previous(&c, &[1, 2, 3]);
        assert_eq!((shown.left, shown.joined), (vec![2], vec![4]));
        assert_eq!(shown.members, c.members);
        let first = against_previous(&c, &[]);
        assert_eq!((first.left, first.joined), (vec![], vec![1, 3, 4]));
    }

    #[test]
    fn transitional_configuration_block() {
        let c = ConfChange {
            kind: ConfKind::Transitional,
            ring_id: RingId { rep: 1, seq: 16 },
            old_ring_id: Some(RingId { rep: 1, seq: 12 }),
            members: vec![1],
            left: vec![2],
            joined: vec![],
        };
        let l = lines(&c, &|_| None);
        assert_eq!(l[0], "CLM CONFIGURATION CHANGE (transitional)");
        assert_eq!(
            l.last().unwrap(),
            "Transitional configuration of 1 members from ring 12 to ring 16"
        );
    }

    /// A re-formation is logged with its reason, as corosync logs "The token
    /// was lost in the OPERATIONAL state." and "A new membership ... was
    /// formed. Members joined: ... left: ...".
    #[test]
    fn a_new_membership_is_logged_with_its_reason() {
        let c = ConfChange {
            kind: ConfKind::Regular,
            ring_id: RingId { rep: 1, seq: 16 },
            old_ring_id: None,
            members: vec![1, 2, 4],
            left: vec![],
            joined: vec![],
        };
        let c = against_previous(&c, &[1, 2, 3]);
        assert_eq!(
            formed(&c, Some(&GatherReason::TokenLost(ais_totem::State::Operational))),
            "A new membership (1:16) was formed (the token was lost in the OPERATIONAL state). \
             Members joined: 4 left: 3"
        );
        assert_eq!(
            formed(&c, Some(&GatherReason::JoinReceived(4))),
            "A new membership (1:16) was formed (a join message was received from node 4). Members joined: 4 left: 3"
        );
        assert_eq!(
            formed(&c, None),
            "A new membership (1:16) was formed. Members joined: 4 left: 3"
        );
    }
}
