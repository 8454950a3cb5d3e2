//! Quorum with corosync's votequorum semantics (votequorum(5)), computed
//! from openais.conf's `quorum { }` section and each installed membership.
//! Pure: the router feeds it every regular configuration and asks whether
//! changes of replicated state may be taken.
//!
//! The rules, each tested below with the passage of votequorum(5) it
//! follows:
//! - every node has the votes of its `node { quorum_votes }` entry, 1 when
//!   it has none;
//! - expected votes come from `quorum.expected_votes`, else the sum of the
//!   node list's votes; they are raised, never lowered, when a membership
//!   holds more votes than expected;
//! - a membership is quorate when its votes reach `expected / 2 + 1`;
//! - `two_node` (two expected votes): one vote is enough; it implies
//!   `wait_for_all` unless that is set off; with more than two expected
//!   votes it no longer applies;
//! - `wait_for_all`: not quorate until every expected vote has been present
//!   in one membership once (since the executive started).

use super::contract::NodeId;
use std::collections::BTreeMap;

/// The `quorum { }` section as the services use it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuorumConfig {
    /// Expected votes: `quorum.expected_votes`, or the node list's sum.
    pub expected_votes: u32,
    pub two_node: bool,
    /// `quorum.wait_for_all`; `None` when not written (two_node implies it).
    pub wait_for_all: Option<bool>,
    /// `quorum_votes` of each listed node; a node not listed has 1.
    pub votes: BTreeMap<NodeId, u32>,
}

impl QuorumConfig {
    /// A node's votes.
    pub fn votes_of(&self, node: NodeId) -> u32 {
        self.votes.get(&node).copied().unwrap_or(1)
    }

    fn wait_for_all(&self) -> bool {
        self.wait_for_all.unwrap_or(self.two_node)
    }
}

/// What changed with a membership.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Gained,
    Lost,
}

/// The quorum state of one node.
#[derive(Debug, Clone)]
pub struct Quorum {
    config: QuorumConfig,
    /// The highest expected votes seen (never lowered).
    expected: u32,
    /// Every expected vote was present in one membership once.
    all_seen: bool,
    quorate: bool,
    /// The current membership and each member's votes.
    members: Vec<(NodeId, u32)>,
}

/// What `ais-quorumtool -s` shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub quorate: bool,
    pub total_votes: u32,
    pub expected_votes: u32,
    /// Votes needed to be quorate now.
    pub quorum: u32,
    pub two_node: bool,
    /// Wait for all is on and not yet satisfied.
    pub waiting_for_all: bool,
    pub members: Vec<(NodeId, u32)>,
}

impl Quorum {
    /// Before any membership: not quorate.
    pub fn new(config: QuorumConfig) -> Quorum {
        Quorum {
            expected: config.expected_votes,
            config,
            all_seen: false,
            quorate: false,
            members: Vec::new(),
        }
    }

    pub fn is_quorate(&self) -> bool {
        self.quorate
    }

    fn total(&self) -> u32 {
        self.members.iter().fold(0u32, |t, (_, v)| t.saturating_add(*v))
    }

    /// two_node applies while two votes are expected.
    fn two_node(&self) -> bool {
        self.config.two_node && self.expected == 2
    }

    /// The votes a membership needs.
    fn threshold(&self) -> u32 {
        if self.two_node() {
            1
        } else {
            self.expected / 2 + 1
        }
    }

    /// A regular configuration of `members` is installed: recompute, and
    /// say whether quorum was gained or lost.
    pub fn configuration(&mut self, members: &[NodeId]) -> Option<Change> {
        self.members = members.iter().map(|&n| (n, self.config.votes_of(n))).collect();
        let total = self.total();
        self.expected = self.expected.max(total);
        if total >= self.expected {
            self.all_seen = true;
        }
        let was = self.quorate;
        let waiting = self.config.wait_for_all() && !self.all_seen;
        self.quorate = !waiting && total >= self.threshold();
        match (was, self.quorate) {
            (false, true) => Some(Change::Gained),
            (true, false) => Some(Change::Lost),
            _ => None,
        }
    }

    pub fn status(&self) -> Status {
        Status {
            quorate: self.quorate,
            total_votes: self.total(),
            expected_votes: self.expected,
            quorum: self.threshold(),
            two_node: self.two_node(),
            waiting_for_all: self.config.wait_for_all() && !self.all_seen,
            members: self.members.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(expected: u32) -> QuorumConfig {
        QuorumConfig {
            expected_votes: expected,
            two_node: false,
            wait_for_all: None,
            votes: BTreeMap::new(),
        }
    }

    /// votequorum(5), OVERVIEW: "only when a majority of the votes are
    /// present"; WAIT_FOR_ALL's example: 8 expected votes, quorum 5.
    #[test]
    fn votequorum_5_majority_of_expected_votes() {
        let mut q = Quorum::new(config(8));
        assert_eq!(q.configuration(&[1, 2, 3, 4]), None);
        assert!(!q.is_quorate());
        assert_eq!(q.status().quorum, 5);
        assert_eq!(q.configuration(&[1, 2, 3, 4, 5]), Some(Change::Gained));
        assert_eq!(q.configuration(&[1, 2, 3]), Some(Change::Lost));
        // Five of five split 3/2: the three are quorate, the two are not.
        let (mut three, mut two) = (Quorum::new(config(5)), Quorum::new(config(5)));
        three.configuration(&[1, 2, 3, 4, 5]);
        two.configuration(&[1, 2, 3, 4, 5]);
        assert_eq!(three.configuration(&[1, 2, 3]), None);
        assert_eq!(two.configuration(&[4, 5]), Some(Change::Lost));
        assert!(three.is_quorate() && !two.is_quorate());
    }

    /// votequorum(5), VARIOUS NOTES: a node's votes come from its
    /// nodelist entry's quorum_votes (1 by default).
    #[test]
    fn votequorum_5_quorum_votes_per_node() {
        let mut c = config(5);
        c.votes.insert(1, 3);
        let mut q = Quorum::new(c);
        assert_eq!(q.configuration(&[1]), Some(Change::Gained));
        assert_eq!(q.status().total_votes, 3);
        assert_eq!(q.status().members, vec![(1, 3)]);
        assert_eq!(q.configuration(&[2, 3]), Some(Change::Lost));
    }

    /// votequorum(5), allow_downscale: "The general behaviour of
    /// votequorum is to never decrease expected votes or quorum"; its
    /// example: 3 expected, 13 nodes join, expected becomes 13.
    #[test]
    fn votequorum_5_expected_votes_raised_never_lowered() {
        let mut q = Quorum::new(config(3));
        let thirteen: Vec<NodeId> = (1..=13).collect();
        q.configuration(&thirteen);
        assert_eq!(q.status().expected_votes, 13);
        assert!(q.is_quorate());
        // Four of the thirteen are no majority of 13, though more than 3.
        assert_eq!(q.configuration(&[1, 2, 3, 4]), Some(Change::Lost));
        assert_eq!(q.status().expected_votes, 13);
        assert_eq!(q.status().quorum, 7);
    }

    /// votequorum(5), two_node: "quorum is set artificially to 1";
    /// "enabling two_node: 1 automatically enables wait_for_all"; "If more
    /// than 2 nodes join the cluster, the two_node option is automatically
    /// disabled".
    #[test]
    fn votequorum_5_two_node() {
        let mut c = config(2);
        c.two_node = true;
        let mut q = Quorum::new(c.clone());
        // Wait for all, implied: one node alone at start is not quorate.
        assert_eq!(q.configuration(&[1]), None);
        assert!(q.status().waiting_for_all);
        assert_eq!(q.configuration(&[1, 2]), Some(Change::Gained));
        // One of the two killed: still quorate.
        assert_eq!(q.configuration(&[1]), None);
        assert!(q.is_quorate() && q.status().two_node);
        // wait_for_all explicitly off: one node is quorate from the start.
        c.wait_for_all = Some(false);
        let mut alone = Quorum::new(c.clone());
        assert_eq!(alone.configuration(&[2]), Some(Change::Gained));
        // A third node: two_node no longer applies, quorum is 2 of 3.
        let mut three = Quorum::new(c);
        three.configuration(&[1, 2, 3]);
        assert!(!three.status().two_node);
        assert_eq!(three.configuration(&[1]), Some(Change::Lost));
    }

    /// votequorum(5), wait_for_all: "the cluster will be quorate for the
    /// first time only after all nodes have been visible at least once at
    /// the same time".
    #[test]
    fn votequorum_5_wait_for_all() {
        let mut c = config(3);
        c.wait_for_all = Some(true);
        let mut q = Quorum::new(c);
        assert_eq!(q.configuration(&[1, 2]), None);
        assert!(!q.is_quorate() && q.status().waiting_for_all);
        assert_eq!(q.configuration(&[1, 2, 3]), Some(Change::Gained));
        // Seen once: from then on the majority rule alone.
        assert_eq!(q.configuration(&[1, 2]), None);
        assert!(q.is_quorate());
        assert_eq!(q.configuration(&[1]), Some(Change::Lost));
    }
}
