//! Quorum in the service simulator: some seeds configure `quorum { }`
//! (votequorum(5): expected votes the scenario's node count, so a
//! minority partition is not quorate), and the checker's rule
//! [`Property::UnquorateAck`]: no change of replicated state (an ordered
//! request) is acknowledged when its node's partition was not quorate
//! as it took the request (openais.conf(5), THE QUORUM BLOCK).
//!
//! Checked at the request, where the router decides. Checked at the
//! answer instead, about one seed in three with quorum fails: a request
//! taken while quorate whose message Totem sends only after the ring
//! changed, or that the sync engine held and applies after the next
//! configuration, is answered after quorum was lost (the first kind is
//! applied in the minority partition; README, Quorum).

use crate::checker::{Property, Violation};
use crate::fake::Recorder;
use crate::history::{History, Inc};
use ais_exec::services::quorum::QuorumConfig;
use ais_proto::status;
use std::collections::BTreeMap;

/// The quorum of seed `seed`'s cluster of `nodes`: every third seed has one.
pub fn config(seed: u64, nodes: usize) -> Option<QuorumConfig> {
    (seed % 3 == 0).then(|| QuorumConfig {
        expected_votes: nodes as u32,
        two_node: false,
        wait_for_all: None,
        votes: BTreeMap::new(),
    })
}

/// A node's quorum after a configuration (recorded only when it changed).
#[derive(Debug, Clone)]
pub struct Mark {
    pub inc: Inc,
    pub at: u64,
    pub quorate: bool,
}

impl Recorder {
    /// The incarnation now running is quorate or not from here on.
    pub fn quorum(&mut self, quorate: bool) {
        let inc = self.current;
        let last = self.h.quorum.iter().rev().find(|m| m.inc == inc).map(|m| m.quorate);
        if last != Some(quorate) {
            let at = self.tick();
            self.h.quorum.push(Mark { inc, at, quorate });
        }
    }
}

/// Whether `inc` was quorate at `at` (not before its first configuration).
fn quorate_at(h: &History, inc: Inc, at: u64) -> bool {
    h.quorum
        .iter()
        .rev()
        .find(|m| m.inc == inc && m.at < at)
        .is_some_and(|m| m.quorate)
}

/// The checker's rule, for runs with quorum configured.
pub fn check(h: &History, out: &mut Vec<Violation>) {
    if !h.quorum_configured {
        return;
    }
    for a in &h.answers {
        let r = &h.requests[a.req];
        if r.ordered && a.status == status::OK && !quorate_at(h, r.inc, r.at) {
            out.push(Violation {
                property: Property::UnquorateAck,
                detail: format!(
                    "request {} ({} msg {}) acknowledged on node {}, whose partition was not quorate",
                    a.req, r.service, r.msg, h.incarnations[r.inc]
                ),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{Answer, Request, Target};
    use ais_exec::ipc::{ConnId, ServiceId};

    fn history(quorate: bool) -> History {
        let mut h = History {
            incarnations: vec![4],
            quorum_configured: true,
            ..History::default()
        };
        h.quorum.push(Mark { inc: 0, at: 1, quorate });
        h.requests.push(Request {
            inc: 0,
            conn: ConnId(1),
            service: ServiceId::CKPT,
            msg: 1,
            at: 2,
            ordered: true,
            target: Target::None,
        });
        h.answers.push(Answer {
            req: 0,
            by: 0,
            status: status::OK,
            at: 3,
        });
        h
    }

    #[test]
    fn an_ack_in_a_partition_not_quorate_is_a_violation() {
        let mut out = Vec::new();
        check(&history(false), &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].property, Property::UnquorateAck);
        let mut out = Vec::new();
        check(&history(true), &mut out);
        assert!(out.is_empty());
        // Without quorum configured there is no such rule.
        let mut h = history(false);
        h.quorum_configured = false;
        check(&h, &mut out);
        assert!(out.is_empty());
    }
}
