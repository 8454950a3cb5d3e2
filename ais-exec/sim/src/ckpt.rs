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
use std::collections::BTreeSet;

/// Whether a merge by the rule: more changes, or as many and a lower old
/// representative (between sides of one representative: the older ring,
/// then the lower member of a side of one).
pub fn by_the_rule(l: &MergeLoss) -> bool {
    let (w, o) = (&l.winner, &l.loser);
    w.changes > o.changes || (w.changes == o.changes && (w.rep, w.seq, w.alone) < (o.rep, o.seq, o.alone))
}

/// Whether the loss of acknowledged write `lost` to `name`/`section`, read
/// back at the end as `read`, is one the merge rule allows: after a node
/// applied it, a merge on a node (reported in `h.merges`) made the copy of
/// `name` of a side holding such a node lose, by the rule, to the copy of a
/// side none of whose members applied it; and what was read back is
/// nothing or what another write of the section that some node applied
/// wrote (never data nobody wrote).
pub fn lost_to_merge(h: &History, name: &[u8], section: &[u8], lost: ReqId, read: &[&FinalRead]) -> bool {
    let applied: Vec<&Delivered> = h.deliveries.iter().filter(|d| d.req == lost).collect();
    let incs: BTreeSet<Inc> = applied.iter().map(|d| d.inc).collect();
    let Some(first) = applied.iter().map(|d| d.at).min() else {
        return false;
    };
    let merged_away = h.merges.iter().any(|m| {
        m.at > first
            && m.loss.name == name
            && m.loser.iter().any(|i| incs.contains(i))
            && !m.winner.iter().any(|i| incs.contains(i))
            && by_the_rule(&m.loss)
    });
    let theirs = |d: &[u8]| {
        h.requests.iter().enumerate().any(|(id, r)| {
            matches!(&r.target, Target::Write { name: n, section: s, data, .. }
                if n == name && s == section && data == d)
                && id != lost
                && h.deliveries.iter().any(|x| x.req == id)
        })
    };
    merged_away && read.iter().any(|f| f.data.as_deref().is_none_or(theirs))
}
