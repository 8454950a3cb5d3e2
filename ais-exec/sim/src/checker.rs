//! The properties every run must keep, checked on its [`History`]:
//!
//! 1. [`Property::Digest`]: members of one configuration hold the same
//!    replicated state once the cluster is quiet (every service's
//!    [`digest`](ais_exec::services::Service::digest) is equal).
//! 2. [`Property::AnsweredTwice`]: a request is answered at most once.
//! 3. [`Property::AnsweredElsewhere`]: only the node it was sent to answers it.
//! 4. [`Property::AckedUnordered`]: a request the API acknowledges once ordered
//!    (a CKPT write, ...) is answered OK only after its message was delivered
//!    on its origin.
//! 5. [`Property::WriteLost`]: an acknowledged CKPT write delivered on a node
//!    that survives is read back at the end (it, or a later write of the same
//!    section that was never acknowledged), unless CKPT's merge rule let a
//!    copy changed on another side win ([`crate::ckpt::lost_to_merge`]).
//! 6. [`Property::ClosedConn`]: nothing is sent to a connection that is gone.
//! 7. [`Property::EventOrder`]: EVT subscriptions receive the events they share
//!    in one order ([`crate::evt::check_order`]).
//! 8. [`Property::LockConflict`]: no two live holders of conflicting LCK
//!    locks on one resource within one configuration (`crate::lck`).
//!    [`Property::LockOfGoneConn`]: no lock is granted to a connection once
//!    it is gone (closed, or its node's incarnation ended), unless taken
//!    with `SA_LCK_LOCK_ORPHAN`. [`Property::LockOvertaken`]: a waiter is
//!    not overtaken by a later conflicting waiter (`crate::lck::fifo`).
//! 9. [`Property::MsgDuplicated`], [`Property::MsgOrder`]: the MSG rules
//!    ([`crate::msg`]).
//! 10. [`Property::UnquorateAck`]: with quorum configured, no change of
//!    replicated state is acknowledged in a partition that was not quorate
//!    ([`crate::quorum`]).

use crate::history::*;
use ais_proto::status;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Property {
    Digest,
    AnsweredTwice,
    AnsweredElsewhere,
    AckedUnordered,
    WriteLost,
    ClosedConn,
    EventOrder,
    LockConflict,
    LockOfGoneConn,
    LockOvertaken,
    MsgDuplicated,
    MsgOrder,
    UnquorateAck,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub property: Property,
    pub detail: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {}", self.property, self.detail)
    }
}

fn v(property: Property, detail: String) -> Violation {
    Violation { property, detail }
}

pub fn check(h: &History) -> Vec<Violation> {
    let mut out = Vec::new();
    digests(h, &mut out);
    answers(h, &mut out);
    closed_conns(h, &mut out);
    writes(h, &mut out);
    crate::evt::check_order(h, &mut out);
    crate::lck::check(h, &mut out);
    out.extend(crate::msg::check(h));
    crate::quorum::check(h, &mut out);
    out
}

fn digests(h: &History, out: &mut Vec<Violation>) {
    let mut by_ring: BTreeMap<_, Vec<&Snapshot>> = BTreeMap::new();
    for s in &h.snapshots {
        by_ring.entry(s.ring).or_default().push(s);
    }
    for (ring, snaps) in by_ring {
        let first = snaps[0];
        for s in &snaps[1..] {
            if s.digests != first.digests {
                out.push(v(
                    Property::Digest,
                    format!(
                        "ring {}:{}: node {} holds {:x?}, node {} holds {:x?}",
                        ring.rep, ring.seq, h.incarnations[first.inc], first.digests, h.incarnations[s.inc], s.digests
                    ),
                ));
            }
        }
    }
}

fn answers(h: &History, out: &mut Vec<Violation>) {
    let mut count: BTreeMap<ReqId, usize> = BTreeMap::new();
    for a in &h.answers {
        let r = &h.requests[a.req];
        let n = count.entry(a.req).or_default();
        *n += 1;
        if *n == 2 {
            out.push(v(
                Property::AnsweredTwice,
                format!("request {} ({} msg {}) answered twice", a.req, r.service, r.msg),
            ));
        }
        if a.by != r.inc {
            out.push(v(
                Property::AnsweredElsewhere,
                format!(
                    "request {} sent to node {} answered by node {}",
                    a.req, h.incarnations[r.inc], h.incarnations[a.by]
                ),
            ));
        }
        let delivered_first = h
            .deliveries
            .iter()
            .any(|d| d.req == a.req && d.inc == r.inc && d.at < a.at);
        if r.ordered && a.status == status::OK && !delivered_first {
            out.push(v(
                Property::AckedUnordered,
                format!(
                    "request {} ({} msg {}) on node {} acknowledged before its message was delivered there",
                    a.req, r.service, r.msg, h.incarnations[r.inc]
                ),
            ));
        }
    }
}

fn closed_conns(h: &History, out: &mut Vec<Violation>) {
    let conns: BTreeMap<_, &Conn> = h.conns.iter().map(|c| ((c.inc, c.conn), c)).collect();
    let mut sent = |inc: Inc, conn, at, what: String| {
        let open = conns
            .get(&(inc, conn))
            .is_some_and(|c| c.opened < at && c.closed.is_none_or(|t| at < t));
        if !open {
            out.push(v(
                Property::ClosedConn,
                format!(
                    "{what} sent on node {} to {conn}, which is not open",
                    h.incarnations[inc]
                ),
            ));
        }
    };
    for a in &h.answers {
        let r = &h.requests[a.req];
        sent(a.by, r.conn, a.at, format!("answer to request {}", a.req));
    }
    for c in &h.callbacks {
        sent(c.inc, c.conn, c.at, format!("callback {}", c.msg));
    }
}

fn writes(h: &History, out: &mut Vec<Violation>) {
    let survivors: BTreeSet<Inc> = h.survivors.iter().copied().collect();
    let mut status_of: BTreeMap<ReqId, u32> = BTreeMap::new();
    for a in &h.answers {
        status_of.entry(a.req).or_insert(a.status);
    }
    // Writes by (checkpoint, section), in the order they were asked.
    type Writes<'a> = Vec<(ReqId, &'a [u8])>;
    let mut sections: BTreeMap<(&[u8], &[u8]), Writes> = BTreeMap::new();
    let mut unlinked: BTreeSet<&[u8]> = BTreeSet::new();
    for (id, r) in h.requests.iter().enumerate() {
        match &r.target {
            Target::Write {
                name,
                section,
                data,
                kept: true,
            } => sections.entry((name, section)).or_default().push((id, data)),
            Target::Write { kept: false, .. } => {}
            Target::Unlink { name } => {
                unlinked.insert(name);
            }
            Target::None | Target::MsgSend { .. } => {}
        }
    }
    for ((name, section), list) in sections {
        if unlinked.contains(name) {
            continue;
        }
        let Some(last) = list.iter().rposition(|(id, _)| status_of.get(id) == Some(&status::OK)) else {
            continue;
        };
        let (req, _) = list[last];
        let holders: Vec<Inc> = h
            .deliveries
            .iter()
            .filter(|d| d.req == req && survivors.contains(&d.inc))
            .map(|d| d.inc)
            .collect();
        if holders.is_empty() {
            continue;
        }
        // A later write never acknowledged may or may not have been applied.
        let candidates: Vec<&[u8]> = list[last..].iter().map(|(_, d)| *d).collect();
        let read: Vec<&FinalRead> = h
            .reads
            .iter()
            .filter(|f| f.name == name && f.section == section && survivors.contains(&f.inc))
            .collect();
        let kept = read
            .iter()
            .any(|f| f.data.as_deref().is_some_and(|d| candidates.contains(&d)));
        if !kept && !crate::ckpt::lost_to_merge(h, name, section, req, &read) {
            out.push(v(
                Property::WriteLost,
                format!(
                    "request {req}'s write of {}/{} acknowledged and delivered on nodes {:?}, read back as {:x?}",
                    String::from_utf8_lossy(name),
                    String::from_utf8_lossy(section),
                    holders.iter().map(|&i| h.incarnations[i]).collect::<Vec<_>>(),
                    read.iter().map(|f| &f.data).collect::<Vec<_>>()
                ),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    //! Fabricated histories: a sound one passes, and each property's
    //! violation, planted in it, is caught.
    use super::*;
    use ais_exec::ipc::{ConnId, ServiceId};
    use ais_proto::ckpt::WRITE;
    use ais_totem::RingId;

    const NAME: &[u8] = b"keep-0";
    const SECTION: &[u8] = b"s1";

    /// Two nodes (incarnations 0 and 1) in one ring; node 1's client writes
    /// a section (request 0), which both deliver before node 1 answers it;
    /// both survive and read it back; a callback reaches an open connection.
    fn sound() -> History {
        let write = |data: &[u8]| Target::Write {
            name: NAME.to_vec(),
            section: SECTION.to_vec(),
            data: data.to_vec(),
            kept: true,
        };
        let ring = RingId { rep: 1, seq: 8 };
        History {
            incarnations: vec![1, 2],
            conns: vec![Conn {
                inc: 1,
                conn: ConnId(7),
                opened: 1,
                closed: Some(100),
            }],
            requests: vec![Request {
                inc: 1,
                conn: ConnId(7),
                service: ServiceId::CKPT,
                msg: WRITE,
                at: 10,
                ordered: true,
                target: write(b"data-1"),
            }],
            deliveries: vec![
                Delivered { req: 0, inc: 0, at: 11 },
                Delivered { req: 0, inc: 1, at: 12 },
            ],
            answers: vec![Answer {
                req: 0,
                by: 1,
                status: status::OK,
                at: 13,
            }],
            callbacks: vec![Callback {
                inc: 1,
                conn: ConnId(7),
                msg: 101,
                at: 14,
            }],
            snapshots: vec![
                Snapshot {
                    inc: 0,
                    ring,
                    digests: vec![(ServiceId::CKPT, Some(5))],
                },
                Snapshot {
                    inc: 1,
                    ring,
                    digests: vec![(ServiceId::CKPT, Some(5))],
                },
            ],
            reads: vec![FinalRead {
                inc: 0,
                name: NAME.to_vec(),
                section: SECTION.to_vec(),
                data: Some(b"data-1".to_vec()),
            }],
            survivors: vec![0, 1],
            ..History::default()
        }
    }

    fn caught(h: &History) -> Vec<Property> {
        check(h).into_iter().map(|v| v.property).collect()
    }

    #[test]
    fn a_sound_history_passes() {
        assert_eq!(check(&sound()), vec![]);
    }

    #[test]
    fn members_of_one_ring_with_different_digests_are_caught() {
        let mut h = sound();
        h.snapshots[1].digests = vec![(ServiceId::CKPT, Some(6))];
        assert_eq!(caught(&h), vec![Property::Digest]);
        // A node still re-synchronising (no digest) differs too.
        h.snapshots[1].digests = vec![(ServiceId::CKPT, None)];
        assert_eq!(caught(&h), vec![Property::Digest]);
        // Different rings are not compared.
        h.snapshots[1].ring.seq = 12;
        assert_eq!(caught(&h), vec![]);
    }

    #[test]
    fn a_request_answered_twice_is_caught() {
        let mut h = sound();
        let mut again = h.answers[0].clone();
        again.at = 15;
        h.answers.push(again);
        assert_eq!(caught(&h), vec![Property::AnsweredTwice]);
    }

    #[test]
    fn a_request_answered_by_another_node_is_caught() {
        let mut h = sound();
        h.answers[0].by = 0;
        // Node 0 has no such connection either.
        assert_eq!(caught(&h), vec![Property::AnsweredElsewhere, Property::ClosedConn]);
    }

    #[test]
    fn a_write_acknowledged_before_its_delivery_on_the_origin_is_caught() {
        let mut h = sound();
        // Delivered elsewhere first is not enough: the origin must have it.
        h.deliveries[1].at = 20;
        assert_eq!(caught(&h), vec![Property::AckedUnordered]);
        h.deliveries.remove(1);
        assert_eq!(caught(&h), vec![Property::AckedUnordered]);
        // A refusal may come at once.
        h.answers[0].status = status::TRY_AGAIN;
        assert_eq!(caught(&h), vec![]);
    }

    #[test]
    fn an_acknowledged_write_missing_from_every_surviving_replica_is_caught() {
        let mut h = sound();
        h.reads[0].data = Some(b"other".to_vec());
        assert_eq!(caught(&h), vec![Property::WriteLost]);
        h.reads[0].data = None;
        assert_eq!(caught(&h), vec![Property::WriteLost]);
        // A later write, never acknowledged, may be what is there.
        let mut later = h.requests[0].clone();
        later.at = 30;
        later.target = Target::Write {
            name: NAME.to_vec(),
            section: SECTION.to_vec(),
            data: b"data-2".to_vec(),
            kept: true,
        };
        h.requests.push(later);
        h.reads[0].data = Some(b"data-2".to_vec());
        assert_eq!(caught(&h), vec![]);
        // Nobody that delivered the write survives: nothing to hold.
        let mut h = sound();
        h.reads[0].data = None;
        h.survivors = vec![];
        assert_eq!(caught(&h), vec![]);
        // Nor is a checkpoint that expires once closed read back.
        let mut h = sound();
        h.reads.clear();
        if let Target::Write { kept, .. } = &mut h.requests[0].target {
            *kept = false;
        }
        assert_eq!(caught(&h), vec![]);
    }

    /// A merge on node 2 (incarnation 0) after node 1's write: node 1's copy
    /// of the checkpoint (its side alone, `loser` changes) lost to node 2's
    /// (`winner` changes); s1 is not in the merged checkpoint.
    fn merged(winner: u64, loser: u64) -> History {
        use ais_exec::services::contract::{MergeLoss, MergeSide};
        let mut h = sound();
        h.reads[0].data = None;
        h.merges.push(Merged {
            inc: 0,
            at: 20,
            loss: MergeLoss {
                name: NAME.to_vec(),
                loser: MergeSide {
                    members: vec![2],
                    rep: 2,
                    seq: 8,
                    alone: 0,
                    changes: loser,
                },
                winner: MergeSide {
                    members: vec![1],
                    rep: 1,
                    seq: 8,
                    alone: 0,
                    changes: winner,
                },
            },
            loser: vec![1],
            winner: vec![0],
        });
        // Node 1 (incarnation 0) did not apply the write: another side.
        h.deliveries.retain(|d| d.inc == 1);
        h
    }

    #[test]
    fn a_write_lost_to_a_copy_that_won_by_the_merge_rule_is_accepted() {
        // saCkpt(3) PARTITIONS: more changes, or as many and a lower
        // representative.
        assert_eq!(caught(&merged(5, 4)), vec![]);
        assert_eq!(caught(&merged(4, 4)), vec![]);
    }

    #[test]
    fn a_write_lost_otherwise_is_still_caught() {
        // No merge at all.
        let mut h = sound();
        h.reads[0].data = None;
        assert_eq!(caught(&h), vec![Property::WriteLost]);
        // A merge against the rule: fewer changes won, or a tie went to the
        // higher representative.
        assert_eq!(caught(&merged(3, 4)), vec![Property::WriteLost]);
        let mut h = merged(4, 4);
        h.merges[0].loss.winner.rep = 3;
        assert_eq!(caught(&h), vec![Property::WriteLost]);
        // Of one representative, the older ring wins a tie.
        let mut h = merged(4, 4);
        h.merges[0].loss.winner.rep = 2;
        h.merges[0].loss.winner.seq = 12;
        assert_eq!(caught(&h), vec![Property::WriteLost]);
        h.merges[0].loss.winner.seq = 4;
        assert_eq!(caught(&h), vec![]);
        // A merge before the write was applied.
        let mut h = merged(5, 4);
        h.merges[0].at = 5;
        assert_eq!(caught(&h), vec![Property::WriteLost]);
        // Of another checkpoint.
        let mut h = merged(5, 4);
        h.merges[0].loss.name = b"keep-1".to_vec();
        assert_eq!(caught(&h), vec![Property::WriteLost]);
        // The winning side had applied the write too.
        let mut h = merged(5, 4);
        h.merges[0].winner.push(1);
        assert_eq!(caught(&h), vec![Property::WriteLost]);
        // What was read back is neither the write nor the winner's.
        let mut h = merged(5, 4);
        h.reads[0].data = Some(b"made up".to_vec());
        assert_eq!(caught(&h), vec![Property::WriteLost]);
    }

    #[test]
    fn a_reply_or_callback_to_a_closed_connection_is_caught() {
        let mut h = sound();
        h.conns[0].closed = Some(12);
        assert_eq!(caught(&h), vec![Property::ClosedConn, Property::ClosedConn]);
        let mut h = sound();
        h.callbacks[0].conn = ConnId(8);
        assert_eq!(caught(&h), vec![Property::ClosedConn]);
    }
}
