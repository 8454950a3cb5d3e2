//! CKPT's merge rule as the checker reads it (saCkpt(3), PARTITIONS): of the
//! copies of a checkpoint that meet when a partition heals, the one that
//! counted more changes wins, a tie goes to the side whose old ring had the
//! lowest representative. So a write acknowledged on one side may be lost
//! only when a merge let a copy from a side that never applied it win by
//! that rule: the service reports each copy that lost a merge (the sides'
//! members, representatives and change counts, [`Merged`]), and the checker
//! holds the report to the rule.

use crate::history::*;
use ais_exec::services::contract::MergeLoss;
use ais_totem::NodeId;
use std::collections::BTreeSet;

/// Whether a merge by the rule: more changes, or as many and a lower
/// representative.
pub fn by_the_rule(l: &MergeLoss) -> bool {
    let (w, o) = (&l.winner, &l.loser);
    w.changes > o.changes || (w.changes == o.changes && w.rep < o.rep)
}

/// Whether the loss of acknowledged write `lost` to `name`/`section`, read
/// back at the end as `read`, is one the merge rule allows: after a node
/// applied it, a merge on a node (reported in `h.merges`) made the copy of
/// `name` of a side holding such a node lose, by the rule, to the copy of a
/// side none of whose members applied it; and what was read back is that
/// side's (nothing, or a write of the section some node that never applied
/// `lost` applied).
pub fn lost_to_merge(h: &History, name: &[u8], section: &[u8], lost: ReqId, read: &[&FinalRead]) -> bool {
    let applied: Vec<&Delivered> = h.deliveries.iter().filter(|d| d.req == lost).collect();
    let incs: BTreeSet<Inc> = applied.iter().map(|d| d.inc).collect();
    let nodes: BTreeSet<NodeId> = incs.iter().map(|&i| h.incarnations[i]).collect();
    let Some(first) = applied.iter().map(|d| d.at).min() else {
        return false;
    };
    let merged_away = h.merges.iter().any(|m| {
        m.at > first
            && m.loss.name == name
            && m.loss.loser.members.iter().any(|n| nodes.contains(n))
            && !m.loss.winner.members.iter().any(|n| nodes.contains(n))
            && by_the_rule(&m.loss)
    });
    let theirs = |d: &[u8]| {
        h.requests.iter().enumerate().any(|(id, r)| {
            matches!(&r.target, Target::Write { name: n, section: s, data, .. }
                if n == name && s == section && data == d)
                && h.deliveries.iter().any(|x| x.req == id && !incs.contains(&x.inc))
        })
    };
    merged_away && read.iter().any(|f| f.data.as_deref().is_none_or(theirs))
}
