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
//!    section that was never acknowledged).
//! 6. [`Property::ClosedConn`]: nothing is sent to a connection that is gone.

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
            Target::None => {}
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
        if !read
            .iter()
            .any(|f| f.data.as_deref().is_some_and(|d| candidates.contains(&d)))
        {
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
