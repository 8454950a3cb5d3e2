//! The view in which each member joined the cluster (`initialViewNumber`),
//! decided alike on every node from the round's records alone.
//!
//! The members that name the same old ring were one cluster before this
//! view. The largest such group (ties: a group with an old ring before a
//! node that had none, then the lowest representative) is the cluster the
//! others joined: its members keep the views they joined in, every other
//! member joined in this view. A node's first view starts the cluster, so
//! its first node keeps that view.

use super::node::NodeJoin;
use std::cmp::Reverse;
use std::collections::BTreeMap;

/// Sets every record's `initial_view`, for view `view`. `joins` are the
/// members' records of one round, one per member.
pub fn settle(view: u64, joins: &mut [NodeJoin]) {
    // A node with no old ring is a group of its own.
    let group = |j: &NodeJoin| match j.old_ring {
        Some(r) => (false, r.rep, r.seq),
        None => (true, j.node.node_id, 0),
    };
    let mut sizes: BTreeMap<(bool, u32, u64), usize> = BTreeMap::new();
    for j in joins.iter() {
        *sizes.entry(group(j)).or_default() += 1;
    }
    let cluster = sizes.iter().min_by_key(|&(k, n)| (Reverse(*n), *k)).map(|(k, _)| *k);
    for j in joins.iter_mut() {
        if Some(group(j)) != cluster || j.node.initial_view == 0 {
            j.node.initial_view = view;
        }
    }
}
