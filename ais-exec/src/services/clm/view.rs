//! The cluster as CLM reports it: Totem's members, each with the record it
//! multicast, and the view number (the ring sequence number / 4, as openais).

use super::node::NodeInfo;
use ais_totem::NodeId;
use std::collections::{BTreeMap, HashMap};

/// `SaClmClusterChangesT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    NoChange = 1,
    Joined = 2,
    Left = 3,
    Reconfigured = 4,
}

/// One entry of a notification buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub node: NodeInfo,
    pub member: bool,
    pub change: Change,
}

/// What changed between two complete views.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewChange {
    pub view: u64,
    /// Every current member, with `NoChange`, `Joined` or `Reconfigured`.
    pub current: Vec<Entry>,
    /// Nodes that left, with `Left` and `member` false.
    pub left: Vec<Entry>,
}

impl ViewChange {
    /// Whether any node joined, left or was reconfigured.
    pub fn is_change(&self) -> bool {
        !self.left.is_empty() || self.current.iter().any(|e| e.change != Change::NoChange)
    }
}

pub struct ClusterView {
    view: u64,
    members: Vec<NodeId>,
    /// The records received since the last configuration change.
    known: HashMap<NodeId, NodeInfo>,
    complete: bool,
    /// The last complete view, as reported to clients.
    reported: BTreeMap<NodeId, NodeInfo>,
    reported_view: u64,
}

impl Default for ClusterView {
    fn default() -> Self {
        ClusterView::new()
    }
}

impl ClusterView {
    pub fn new() -> ClusterView {
        ClusterView {
            view: 0,
            members: Vec::new(),
            known: HashMap::new(),
            complete: false,
            reported: BTreeMap::new(),
            reported_view: 0,
        }
    }

    /// A regular configuration was installed. Every member (this node too)
    /// must now multicast its record; the view is complete once all arrived.
    pub fn configuration(&mut self, ring_seq: u64, members: &[NodeId]) -> Option<ViewChange> {
        self.view = ring_seq / 4;
        self.members = members.to_vec();
        // Every member speaks again after every change (a node that restarted
        // between two views must not be reported with its old record).
        self.known.clear();
        self.complete = false;
        self.check_complete()
    }

    /// A member's record arrived (in agreed order). A node speaks only for
    /// itself; anything else is ignored.
    pub fn node_join(&mut self, sender: NodeId, info: NodeInfo) -> Option<ViewChange> {
        if info.node_id != sender || !self.members.contains(&sender) {
            return None;
        }
        self.known.insert(sender, info);
        self.check_complete()
    }

    fn check_complete(&mut self) -> Option<ViewChange> {
        if self.complete || self.members.is_empty() || !self.members.iter().all(|m| self.known.contains_key(m)) {
            return None;
        }
        self.complete = true;
        let mut current = Vec::with_capacity(self.members.len());
        for id in &self.members {
            let node = self.known[id].clone();
            let change = match self.reported.get(id) {
                None => Change::Joined,
                Some(old) if old.boot_timestamp != node.boot_timestamp => Change::Joined,
                Some(old) if *old != node => Change::Reconfigured,
                Some(_) => Change::NoChange,
            };
            current.push(Entry {
                node,
                member: true,
                change,
            });
        }
        let mut left: Vec<Entry> = self
            .reported
            .values()
            .filter(|n| !self.members.contains(&n.node_id))
            .map(|n| Entry {
                node: n.clone(),
                member: false,
                change: Change::Left,
            })
            .collect();
        // A node that rebooted left in its old incarnation and joined anew.
        for e in &current {
            if let Some(old) = self.reported.get(&e.node.node_id) {
                if old.boot_timestamp != e.node.boot_timestamp {
                    left.push(Entry {
                        node: old.clone(),
                        member: false,
                        change: Change::Left,
                    });
                }
            }
        }
        self.reported = self.known.iter().map(|(k, v)| (*k, v.clone())).collect();
        self.reported_view = self.view;
        Some(ViewChange {
            view: self.view,
            current,
            left,
        })
    }

    /// Whether every member's record has arrived since the last change;
    /// until then view-dependent requests answer TRY_AGAIN.
    pub fn is_complete(&self) -> bool {
        self.complete
    }

    /// A digest of the last complete view ([`Service::digest`]): its number
    /// and every member's record; `None` until the current one is complete.
    ///
    /// [`Service::digest`]: crate::services::Service::digest
    pub fn digest(&self) -> Option<u64> {
        use std::hash::Hash;
        if !self.complete {
            return None;
        }
        Some(crate::services::contract::digest_of(|h| {
            self.reported_view.hash(h);
            for n in self.reported.values() {
                (
                    n.node_id,
                    n.family,
                    &n.address,
                    &n.name,
                    n.boot_timestamp,
                    n.initial_view,
                )
                    .hash(h);
            }
        }))
    }

    /// The number of the last complete view.
    pub fn view_number(&self) -> u64 {
        self.reported_view
    }

    /// A member of the last complete view.
    pub fn member(&self, id: NodeId) -> Option<&NodeInfo> {
        self.reported.get(&id)
    }

    /// The members of the last complete view, by node id.
    pub fn members(&self) -> impl Iterator<Item = &NodeInfo> {
        self.reported.values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(id: NodeId, boot: i64) -> NodeInfo {
        NodeInfo::new(id, format!("10.0.0.{id}").parse().unwrap(), &format!("n{id}"), boot, 1)
    }

    #[test]
    fn a_view_completes_when_every_member_has_spoken() {
        let mut v = ClusterView::new();
        assert_eq!(v.configuration(8, &[1, 2]), None);
        assert!(!v.is_complete());
        assert_eq!(v.node_join(1, info(1, 5)), None);
        let c = v.node_join(2, info(2, 5)).unwrap();
        assert_eq!(c.view, 2, "view number is ring seq / 4");
        assert!(c.current.iter().all(|e| e.change == Change::Joined && e.member));
        assert!(c.left.is_empty() && c.is_change());
        assert!(v.is_complete());
        assert_eq!(v.member(2).unwrap().name, "n2");
    }

    #[test]
    fn leaves_joins_and_reboots_are_reported() {
        let mut v = ClusterView::new();
        v.configuration(8, &[1, 2, 3]);
        for id in 1..=3 {
            v.node_join(id, info(id, 5));
        }
        // 3 leaves, 4 joins, 2 rebooted (new boot time).
        v.configuration(12, &[1, 2, 4]);
        v.node_join(1, info(1, 5));
        v.node_join(4, info(4, 5));
        let c = v.node_join(2, info(2, 9)).unwrap();
        let change = |id| c.current.iter().find(|e| e.node.node_id == id).unwrap().change;
        assert_eq!(
            (change(1), change(2), change(4)),
            (Change::NoChange, Change::Joined, Change::Joined)
        );
        let mut left: Vec<(NodeId, i64)> = c.left.iter().map(|e| (e.node.node_id, e.node.boot_timestamp)).collect();
        left.sort();
        assert_eq!(left, vec![(2, 5), (3, 5)]);
        assert!(c.left.iter().all(|e| !e.member && e.change == Change::Left));
        assert_eq!(v.view_number(), 3);
        assert!(v.member(3).is_none());
    }

    #[test]
    fn a_record_spoken_for_another_node_or_a_stranger_is_ignored() {
        let mut v = ClusterView::new();
        v.configuration(8, &[1, 2]);
        assert_eq!(v.node_join(1, info(2, 5)), None);
        assert_eq!(v.node_join(9, info(9, 5)), None);
        v.node_join(1, info(1, 5));
        assert!(!v.is_complete());
    }

    #[test]
    fn the_same_members_again_is_not_a_change() {
        let mut v = ClusterView::new();
        v.configuration(8, &[1]);
        v.node_join(1, info(1, 5));
        v.configuration(12, &[1]);
        let c = v.node_join(1, info(1, 5)).unwrap();
        assert!(!c.is_change());
    }
}
