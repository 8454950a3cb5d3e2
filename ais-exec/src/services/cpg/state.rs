//! The process groups, as every node holds them, and what each ordered CPG
//! message does to them.

use super::wire::{CpgMsg, Group};
use std::collections::{BTreeMap, BTreeSet};

pub type NodeId = u32;

/// A group member: a process on a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Member {
    pub node: NodeId,
    pub pid: u32,
}

/// Why a member joined or left (`cpg_reason_t`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    Join = 1,
    Leave = 2,
    NodeDown = 3,
    NodeUp = 4,
    ProcDown = 5,
}

/// What the local processes must be told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A group's membership changed; `recipients` are the local pids to
    /// tell (members before or after the change).
    ConfChange {
        group: Group,
        members: Vec<Member>,
        left: Vec<(Member, Reason)>,
        joined: Vec<(Member, Reason)>,
        recipients: Vec<u32>,
    },
    /// A message for the group's local members.
    Deliver {
        group: Group,
        from: Member,
        data: Vec<u8>,
        recipients: Vec<u32>,
    },
}

type Groups = BTreeMap<Group, Vec<Member>>;

pub struct CpgState {
    me: NodeId,
    /// The groups as last reported to the local processes.
    view: Groups,
    /// Nodes of the current configuration, and of the one the clients last
    /// heard about.
    config: BTreeSet<NodeId>,
    prev_config: BTreeSet<NodeId>,
    /// While a sync round runs: the groups being rebuilt from the members'
    /// join lists, and the members whose lists have not arrived yet (a
    /// round cut short leaves `syncing` set, so the configuration the
    /// clients last heard about stays `prev_config`).
    building: (Groups, BTreeSet<NodeId>),
    syncing: bool,
}

impl CpgState {
    pub fn new(me: NodeId) -> CpgState {
        CpgState {
            me,
            view: Groups::new(),
            config: BTreeSet::new(),
            prev_config: BTreeSet::new(),
            building: (Groups::new(), BTreeSet::new()),
            syncing: false,
        }
    }

    /// A digest of the groups and their members ([`Service::digest`]).
    ///
    /// [`Service::digest`]: crate::services::Service::digest
    pub fn digest(&self) -> Option<u64> {
        use std::hash::Hash;
        Some(crate::services::contract::digest_of(|h| self.view.hash(h)))
    }

    pub fn members(&self, group: &[u8]) -> &[Member] {
        self.view.get(group).map_or(&[], |v| v.as_slice())
    }

    /// Groups with their members, for iteration.
    pub fn groups(&self) -> impl Iterator<Item = (&Group, &Vec<Member>)> {
        self.view.iter()
    }

    /// A sync round of a configuration of `members` starts: rebuild from
    /// join lists. Returns this node's join list, its sync piece.
    pub fn sync_init(&mut self, members: &[NodeId]) -> CpgMsg {
        // A sync cut short by another change keeps the older configuration as
        // the one the clients last heard about.
        if !self.syncing {
            self.prev_config = std::mem::take(&mut self.config);
        }
        self.syncing = true;
        self.config = members.iter().copied().collect();
        // What this node's own processes are is known locally and is the
        // same in the reported view and any half-built one.
        let mine: Vec<(Group, u32)> = self
            .view
            .iter()
            .flat_map(|(g, ms)| ms.iter().filter(|m| m.node == self.me).map(move |m| (g.clone(), m.pid)))
            .collect();
        self.building = (Groups::new(), self.config.clone());
        CpgMsg::JoinList(mine)
    }

    fn local(ms: &[Member], me: NodeId) -> impl Iterator<Item = u32> + '_ {
        ms.iter().filter(move |m| m.node == me).map(|m| m.pid)
    }

    /// An ordered CPG message from `sender` (join lists only come as sync
    /// pieces).
    pub fn deliver(&mut self, sender: NodeId, msg: CpgMsg) -> Vec<Event> {
        match msg {
            CpgMsg::JoinList(_) => Vec::new(),
            CpgMsg::Join { group, pid } => self.change(group, Member { node: sender, pid }, true, Reason::Join),
            CpgMsg::Leave { group, pid } => self.change(group, Member { node: sender, pid }, false, Reason::Leave),
            CpgMsg::ProcDown { group, pid } => {
                self.change(group, Member { node: sender, pid }, false, Reason::ProcDown)
            }
            CpgMsg::Mcast { group, pid, data } => {
                let from = Member { node: sender, pid };
                self.deliver_now(group, from, data).into_iter().collect()
            }
        }
    }

    /// A message for the local members of its group, as the view stands.
    fn deliver_now(&self, group: Group, from: Member, data: Vec<u8>) -> Option<Event> {
        let recipients: Vec<u32> = self
            .view
            .get(&group)
            .map_or(vec![], |ms| Self::local(ms, self.me).collect());
        if recipients.is_empty() {
            return None;
        }
        Some(Event::Deliver {
            group,
            from,
            data,
            recipients,
        })
    }

    fn change(&mut self, group: Group, m: Member, join: bool, reason: Reason) -> Vec<Event> {
        let before: Vec<u32> = self
            .view
            .get(&group)
            .map_or(vec![], |ms| Self::local(ms, self.me).collect());
        let ms = self.view.entry(group.clone()).or_default();
        let (left, joined) = if join {
            if ms.contains(&m) {
                return Vec::new();
            }
            ms.push(m);
            (vec![], vec![(m, reason)])
        } else {
            if !ms.contains(&m) {
                return Vec::new();
            }
            ms.retain(|x| *x != m);
            (vec![(m, reason)], vec![])
        };
        let members = ms.clone();
        if members.is_empty() {
            self.view.remove(&group);
        }
        let mut recipients = before;
        recipients.extend(Self::local(&members, self.me));
        recipients.sort_unstable();
        recipients.dedup();
        vec![Event::ConfChange {
            group,
            members,
            left,
            joined,
            recipients,
        }]
    }

    /// A member's join list (its sync piece).
    pub fn sync_receive(&mut self, sender: NodeId, msg: CpgMsg) {
        let CpgMsg::JoinList(entries) = msg else { return };
        let (b, pending) = &mut self.building;
        if !pending.remove(&sender) {
            return; // not a member of this configuration, or a repeat
        }
        for (g, pid) in entries {
            let m = Member { node: sender, pid };
            let ms = b.entry(g).or_default();
            if !ms.contains(&m) {
                ms.push(m);
            }
        }
    }

    /// The round was cut short: what was received is dropped.
    pub fn sync_abort(&mut self) {
        self.building = (Groups::new(), BTreeSet::new());
    }

    /// Every member's list has arrived: the groups become the union of the
    /// lists, and each group's local members hear who left (NODEDOWN for a
    /// node gone from the configuration) and who joined (NODEUP for a node
    /// new to it).
    pub fn sync_activate(&mut self) -> Vec<Event> {
        if !self.syncing {
            return Vec::new();
        }
        self.syncing = false;
        let (built, _) = std::mem::take(&mut self.building);
        let old = std::mem::replace(&mut self.view, built);
        let names: BTreeSet<&Group> = old.keys().chain(self.view.keys()).collect();
        let mut events = Vec::new();
        for g in names {
            let before = old.get(g).map_or(&[][..], |v| v.as_slice());
            let after = self.view.get(g).map_or(&[][..], |v| v.as_slice());
            let left: Vec<(Member, Reason)> = before
                .iter()
                .filter(|m| !after.contains(m))
                .map(|m| {
                    let r = if !self.config.contains(&m.node) {
                        Reason::NodeDown
                    } else {
                        Reason::ProcDown
                    };
                    (*m, r)
                })
                .collect();
            let joined: Vec<(Member, Reason)> = after
                .iter()
                .filter(|m| !before.contains(m))
                .map(|m| {
                    (
                        *m,
                        if self.prev_config.contains(&m.node) {
                            Reason::Join
                        } else {
                            Reason::NodeUp
                        },
                    )
                })
                .collect();
            if left.is_empty() && joined.is_empty() {
                continue;
            }
            let mut recipients: Vec<u32> = Self::local(before, self.me)
                .chain(Self::local(after, self.me))
                .collect();
            recipients.sort_unstable();
            recipients.dedup();
            if recipients.is_empty() {
                continue;
            }
            events.push(Event::ConfChange {
                group: g.clone(),
                members: after.to_vec(),
                left,
                joined,
                recipients,
            });
        }
        events
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::testkit::Bus;

    /// A few nodes applying the same ordered messages, as Totem delivers them.
    struct Cluster {
        nodes: BTreeMap<NodeId, CpgState>,
        events: BTreeMap<NodeId, Vec<Event>>,
    }

    impl Cluster {
        fn new(ids: &[NodeId]) -> Cluster {
            let mut c = Cluster {
                nodes: BTreeMap::new(),
                events: BTreeMap::new(),
            };
            for &id in ids {
                c.nodes.insert(id, CpgState::new(id));
            }
            c
        }
        fn send(&mut self, to: &[NodeId], sender: NodeId, msg: CpgMsg) {
            let mut bus = Bus::default();
            bus.send(sender, to, msg);
            let (nodes, events) = (&mut self.nodes, &mut self.events);
            bus.run(|id, sender, m| {
                let ev = nodes.get_mut(&id).unwrap().deliver(sender, m.clone());
                events.entry(id).or_default().extend(ev);
                Vec::new()
            });
        }
        /// A sync round, as the engine runs it: every member's join list
        /// reaches every member, then each activates.
        fn configure(&mut self, members: &[NodeId]) {
            let lists: Vec<(NodeId, CpgMsg)> = members
                .iter()
                .map(|id| (*id, self.nodes.get_mut(id).unwrap().sync_init(members)))
                .collect();
            for &id in members {
                let n = self.nodes.get_mut(&id).unwrap();
                for (sender, l) in &lists {
                    n.sync_receive(*sender, l.clone());
                }
                let ev = n.sync_activate();
                self.events.entry(id).or_default().extend(ev);
            }
        }
        fn take(&mut self, id: NodeId) -> Vec<Event> {
            self.events.remove(&id).unwrap_or_default()
        }
    }

    fn g() -> Group {
        b"g".to_vec()
    }
    fn m(node: NodeId, pid: u32) -> Member {
        Member { node, pid }
    }

    #[test]
    fn join_mcast_leave_in_order_with_reasons() {
        let mut c = Cluster::new(&[1, 2]);
        c.configure(&[1, 2]);
        c.send(&[1, 2], 1, CpgMsg::Join { group: g(), pid: 10 });
        c.send(&[1, 2], 2, CpgMsg::Join { group: g(), pid: 20 });
        let ev = c.take(1);
        let Event::ConfChange {
            members,
            joined,
            recipients,
            ..
        } = &ev[1]
        else {
            panic!()
        };
        assert_eq!(members, &vec![m(1, 10), m(2, 20)]);
        assert_eq!(joined, &vec![(m(2, 20), Reason::Join)]);
        assert_eq!(recipients, &vec![10]);
        c.send(
            &[1, 2],
            2,
            CpgMsg::Mcast {
                group: g(),
                pid: 20,
                data: b"hi".to_vec(),
            },
        );
        for id in [1, 2] {
            let ev = c.take(id);
            let Event::Deliver {
                from, data, recipients, ..
            } = ev.last().unwrap()
            else {
                panic!()
            };
            assert_eq!((*from, data.as_slice(), recipients.len()), (m(2, 20), &b"hi"[..], 1));
        }
        c.send(&[1, 2], 2, CpgMsg::Leave { group: g(), pid: 20 });
        let Event::ConfChange { left, recipients, .. } = &c.take(2)[0] else {
            panic!()
        };
        assert_eq!(left, &vec![(m(2, 20), Reason::Leave)]);
        assert_eq!(recipients, &vec![20], "the leaver hears its own leave");
        c.send(&[1, 2], 1, CpgMsg::ProcDown { group: g(), pid: 10 });
        assert!(c.nodes[&1].members(&g()).is_empty());
    }

    #[test]
    fn node_down_and_node_up_after_configuration_changes() {
        let mut c = Cluster::new(&[1, 2, 3]);
        c.configure(&[1, 2, 3]);
        for id in [1, 2, 3] {
            c.send(
                &[1, 2, 3],
                id,
                CpgMsg::Join {
                    group: g(),
                    pid: id * 10,
                },
            );
        }
        c.take(1);
        // Node 3 goes away.
        c.configure(&[1, 2]);
        let ev = c.take(1);
        let Event::ConfChange { left, members, .. } = &ev[0] else {
            panic!("{ev:?}")
        };
        assert_eq!(left, &vec![(m(3, 30), Reason::NodeDown)]);
        assert_eq!(members, &vec![m(1, 10), m(2, 20)]);
        // Node 3 comes back (its state was kept) and the groups merge.
        c.configure(&[1, 2, 3]);
        let ev = c.take(1);
        let Event::ConfChange { joined, members, .. } = &ev[0] else {
            panic!("{ev:?}")
        };
        assert_eq!(joined, &vec![(m(3, 30), Reason::NodeUp)]);
        assert_eq!(members.len(), 3);
        // Every node holds the same groups.
        let views: Vec<Vec<Member>> = [1, 2, 3].iter().map(|id| c.nodes[id].members(&g()).to_vec()).collect();
        assert!(views.windows(2).all(|w| w[0] == w[1]), "{views:?}");
    }
}
