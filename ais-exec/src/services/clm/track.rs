//! Cluster tracking: who asked for which notifications, and what each of them
//! is sent when the view changes (saClmClusterTrack).

use super::view::{Entry, ViewChange};
use std::collections::HashMap;
use std::hash::Hash;

pub use ais_proto::clm::{TRACK_CHANGES, TRACK_CHANGES_ONLY, TRACK_CURRENT, TRACK_START_STEP, TRACK_VALIDATE_STEP};

/// The flags are not a valid combination (`SA_AIS_ERR_BAD_FLAGS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadFlags;

/// Checks `trackFlags` by the rule the library applies too
/// ([`ais_proto::clm::track_flags_valid`]).
pub fn check_flags(flags: u32) -> Result<u8, BadFlags> {
    if !ais_proto::clm::track_flags_valid(flags) {
        return Err(BadFlags);
    }
    Ok(flags as u8)
}

/// Registered trackers, keyed by the client's connection.
pub struct Trackers<C> {
    flags: HashMap<C, u8>,
}

impl<C: Copy + Eq + Hash> Default for Trackers<C> {
    fn default() -> Self {
        Trackers { flags: HashMap::new() }
    }
}

impl<C: Copy + Eq + Hash> Trackers<C> {
    /// Starts (or changes) tracking for `conn`; CURRENT alone registers
    /// nothing. Returns whether the caller wants the current membership now.
    pub fn start(&mut self, conn: C, flags: u8) -> bool {
        let lasting = flags & (TRACK_CHANGES | TRACK_CHANGES_ONLY);
        if lasting != 0 {
            let steps = flags & (TRACK_START_STEP | TRACK_VALIDATE_STEP);
            self.flags.insert(conn, lasting | steps);
        }
        flags & TRACK_CURRENT != 0
    }

    /// Stops tracking; false if `conn` was not tracking (`SA_AIS_ERR_NOT_EXIST`).
    pub fn stop(&mut self, conn: C) -> bool {
        self.flags.remove(&conn).is_some()
    }

    /// A client went away.
    pub fn disconnected(&mut self, conn: C) {
        self.flags.remove(&conn);
    }

    /// The lasting flags `conn` tracks with, if it tracks.
    pub fn flags(&self, conn: C) -> Option<u8> {
        self.flags.get(&conn).copied()
    }

    /// Every tracker, with its flags.
    pub fn all(&self) -> impl Iterator<Item = (C, u8)> + '_ {
        self.flags.iter().map(|(c, f)| (*c, *f))
    }

    /// The trackers that asked for step `flag` (START_STEP or VALIDATE_STEP).
    pub fn with_step(&self, flag: u8) -> Vec<C> {
        self.flags
            .iter()
            .filter(|(_, f)| **f & flag != 0)
            .map(|(c, _)| *c)
            .collect()
    }

    pub fn len(&self) -> usize {
        self.flags.len()
    }

    pub fn is_empty(&self) -> bool {
        self.flags.is_empty()
    }

    /// The notification each tracker receives for a view change: with
    /// CHANGES every current member and every node that left; with
    /// CHANGES_ONLY only the nodes that joined, left or were reconfigured.
    /// Nothing when membership did not change.
    pub fn notifications(&self, change: &ViewChange) -> Vec<(C, Vec<Entry>)> {
        if !change.is_change() {
            return Vec::new();
        }
        let mut out = Vec::with_capacity(self.flags.len());
        for (&conn, &flags) in &self.flags {
            let items: Vec<Entry> = if flags & TRACK_CHANGES != 0 {
                change.current.iter().chain(&change.left).cloned().collect()
            } else {
                change
                    .current
                    .iter()
                    .filter(|e| e.change != super::view::Change::NoChange)
                    .chain(&change.left)
                    .cloned()
                    .collect()
            };
            out.push((conn, items));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::super::node::NodeInfo;
    use super::super::view::{Change, ClusterView};
    use super::*;

    #[test]
    fn flags_are_checked_as_the_spec_says() {
        assert_eq!(check_flags(1), Ok(1));
        assert_eq!(check_flags(1 | 2), Ok(3));
        assert_eq!(check_flags(4), Ok(4));
        assert_eq!(check_flags(0), Err(BadFlags));
        assert_eq!(
            check_flags(2 | 4),
            Err(BadFlags),
            "CHANGES and CHANGES_ONLY exclude each other"
        );
        assert_eq!(check_flags(8), Err(BadFlags));
        assert_eq!(check_flags(0x8000_0001), Err(BadFlags));
    }

    #[test]
    fn changes_get_everyone_and_changes_only_get_the_difference() {
        let info = |id: u32| NodeInfo::new(id, format!("10.0.0.{id}").parse().unwrap(), "n", 1, 1);
        let mut v = ClusterView::new();
        v.configuration(8, &[1, 2]);
        v.node_join(1, info(1));
        v.node_join(2, info(2));
        let mut t: Trackers<u32> = Trackers::default();
        assert!(!t.start(100, TRACK_CHANGES));
        assert!(t.start(200, TRACK_CHANGES_ONLY | TRACK_CURRENT));
        t.start(300, TRACK_CURRENT);
        assert_eq!(t.len(), 2, "CURRENT alone registers nothing");
        v.configuration(12, &[1, 3]);
        v.node_join(1, info(1));
        let c = v.node_join(3, info(3)).unwrap();
        let mut n = t.notifications(&c);
        n.sort_by_key(|x| x.0);
        let summary = |items: &Vec<Entry>| {
            let mut s: Vec<(u32, Change, bool)> = items.iter().map(|e| (e.node.node_id, e.change, e.member)).collect();
            s.sort_by_key(|x| x.0);
            s
        };
        assert_eq!(
            summary(&n[0].1),
            vec![
                (1, Change::NoChange, true),
                (2, Change::Left, false),
                (3, Change::Joined, true)
            ]
        );
        assert_eq!(
            summary(&n[1].1),
            vec![(2, Change::Left, false), (3, Change::Joined, true)]
        );
        assert!(t.stop(100));
        assert!(!t.stop(100), "stopping twice is NOT_EXIST");
        t.disconnected(200);
        assert!(t.is_empty());
    }
}
