//! CKPT's merge rule as the checker reads it (saCkpt(3), PARTITIONS): of the
//! copies of a checkpoint that meet when a partition heals, the one with
//! more changes wins (a tie goes to the side with the lowest old
//! representative), so a write acknowledged on one side may be lost only
//! when the checkpoint was also changed on the other side, that side's copy
//! won, and it had at least as many changes of its own.
//!
//! Both copies descend from a common one (or were created apart, each
//! counting from nothing), so the difference of their counts is the
//! difference of the changes each side applied alone: the changes
//! delivered on a node of one side and on no node of the other.

use crate::history::*;
use ais_proto::status;
use std::collections::{BTreeMap, BTreeSet};

/// Whether the loss of write `lost` (acknowledged) to `name`/`section`,
/// read back at the end as `read`, is one the merge rule allows: some
/// acknowledged change `w` of the same checkpoint was delivered only on
/// nodes that never delivered `lost` (the other side), what was read back
/// is that side's (nothing, or a write of the section delivered on a node
/// that never delivered `lost`), and that side applied at least as many changes alone
/// (counting only those known to have succeeded) as the losing side
/// (counting every one not known to have failed).
pub fn lost_to_merge(
    h: &History,
    status_of: &BTreeMap<ReqId, u32>,
    name: &[u8],
    section: &[u8],
    lost: ReqId,
    read: &[&FinalRead],
) -> bool {
    let delivered_on =
        |r: ReqId| -> BTreeSet<Inc> { h.deliveries.iter().filter(|d| d.req == r).map(|d| d.inc).collect() };
    let changes: Vec<(ReqId, &[u8], &[u8])> = h
        .requests
        .iter()
        .enumerate()
        .filter_map(|(id, r)| match &r.target {
            Target::Write {
                name: n, section, data, ..
            } if n.as_slice() == name => Some((id, section.as_slice(), data.as_slice())),
            _ => None,
        })
        .collect();
    let side_a = delivered_on(lost);
    let alone = |on: &BTreeSet<Inc>, off: &BTreeSet<Inc>, counts: &dyn Fn(ReqId) -> bool| {
        changes
            .iter()
            .filter(|(id, _, _)| {
                let d = delivered_on(*id);
                counts(*id) && !d.is_disjoint(on) && d.is_disjoint(off)
            })
            .count()
    };
    let ok = |id: ReqId| status_of.get(&id) == Some(&status::OK);
    let not_failed = |id: ReqId| status_of.get(&id).is_none_or(|&s| s == status::OK);
    changes.iter().any(|&(w, _, _)| {
        let side_b = delivered_on(w);
        if w == lost || !ok(w) || side_b.is_empty() || !side_b.is_disjoint(&side_a) {
            return false;
        }
        let theirs = |d: &[u8]| {
            changes
                .iter()
                .any(|(id, s, data)| *s == section && *data == d && !delivered_on(*id).is_subset(&side_a))
        };
        let read_theirs = read.iter().any(|f| f.data.as_deref().is_none_or(theirs));
        read_theirs && alone(&side_b, &side_a, &ok) >= alone(&side_a, &side_b, &not_failed)
    })
}
