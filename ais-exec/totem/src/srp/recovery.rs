//! Recovery: members coming from the same old ring re-send, on the new ring,
//! the old frames some of them lack; then each node delivers in extended
//! virtual synchrony order: what the old configuration can still deliver, the
//! transitional configuration, the rest of the old ring's frames, and the
//! regular configuration.

use super::Totem;
use crate::frames::{FrameStore, Stored};
use crate::types::*;
use crate::wire::{self, Commit, Origin, NO_OLD_RING};
use bytes::{BufMut, Bytes, BytesMut};
use std::collections::{HashSet, VecDeque};

/// What a node keeps of its old ring while the new one recovers.
pub(crate) struct Recovery {
    /// None for a node that had never installed a ring.
    old_ring: Option<RingId>,
    old_members: Vec<NodeId>,
    old_frames: FrameStore,
    old_delivered: u64,
    old_safe_point: u64,
    /// Members of the new ring that come from the same old ring.
    trans: Vec<NodeId>,
    /// Highest old sequence number some member knew to be safe there.
    safe_max: u64,
    /// Old frames this node holds that some member may lack.
    to_send: VecDeque<u64>,
    /// Old frames another member has already re-sent.
    resent: HashSet<u64>,
    /// The ring's sequence number once nobody had anything left to re-send.
    pub(super) done_seq: Option<u64>,
    /// (Representative only) the first token has been sent.
    pub(super) token_started: bool,
}

impl Recovery {
    /// Old frames still to re-send.
    pub(super) fn pending(&mut self) -> usize {
        let resent = &self.resent;
        self.to_send.retain(|s| !resent.contains(s));
        self.to_send.len()
    }
}

impl Totem {
    pub(super) fn enter_recovery(&mut self, now: Time, commit: &Commit) {
        let Some(mine) = commit.members.iter().find(|m| m.node == self.me) else {
            return;
        };
        let old_ring = self.installed.then_some(self.ring);
        let (trans, low, high, safe_max) = match (old_ring, mine.old_ring) {
            (Some(_), idx) if idx != NO_OLD_RING && (idx as usize) < commit.old_rings.len() => {
                let o = commit.old_rings[idx as usize];
                let trans = commit
                    .members
                    .iter()
                    .filter(|m| m.old_ring == idx)
                    .map(|m| m.node)
                    .collect();
                (trans, o.min_aru, o.max_high, o.max_safe)
            }
            _ => (vec![self.me], 0, 0, 0),
        };
        let old_frames = std::mem::take(&mut self.frames);
        let to_send = if old_ring.is_some() {
            (low + 1..=high).filter(|&s| old_frames.contains(s)).collect()
        } else {
            VecDeque::new()
        };
        self.recovery = Some(Recovery {
            old_ring,
            old_members: self.members.clone(),
            old_frames,
            old_delivered: self.delivered,
            old_safe_point: self.safe_point,
            trans,
            safe_max,
            to_send,
            resent: HashSet::new(),
            done_seq: None,
            token_started: false,
        });
        self.state = State::Recovery;
        self.delivered = 0;
        self.safe_point = 0;
        self.last_token_aru = 0;
        self.last_token_seq = 0;
        self.my_trc = 0;
        self.my_pbl = 0;
        // The first token counts every member as pending until it has
        // reported once.
        self.my_pending_reported = 1;
        self.seq_history.clear();
        self.aru_stalled_visits = 0;
        self.last_aru_seen = 0;
        self.idle_rotations = 0;
        self.last_token_seq_value = 0;
        self.held = None;
        self.t_token_loss = Some(now + ms(self.cfg.token as u64));
    }

    /// Gives up a recovery: the old ring is still the installed one.
    pub(super) fn abandon_recovery(&mut self, rec: Recovery) {
        self.frames = rec.old_frames;
        self.delivered = rec.old_delivered;
        self.safe_point = rec.old_safe_point;
    }

    /// An old frame re-sent by a member of our old ring.
    pub(super) fn absorb_recovered(&mut self, origin: Origin, payload: Bytes) {
        let Some(rec) = &mut self.recovery else { return };
        if rec.old_ring != Some(origin.ring_id) {
            return;
        }
        rec.resent.insert(origin.seq);
        let app = !origin.filler;
        let stored = Stored {
            sender: origin.sender,
            safe: origin.safe,
            app,
            payload,
            raw: Bytes::new(),
        };
        if rec.old_frames.insert(origin.seq, stored) && app && self.opts.observe_receptions {
            self.out.push_back(Output::Received {
                ring_id: origin.ring_id,
                seq: origin.seq,
            });
        }
    }

    /// The next old frame to re-send, wrapped in a new-ring frame.
    pub(super) fn next_recovery_frame(&mut self, seq: u64) -> Option<Stored> {
        let (me, new_ring) = (self.me, self.new_ring);
        let rec = self.recovery.as_mut()?;
        let old_ring = rec.old_ring?;
        while let Some(s) = rec.to_send.pop_front() {
            if rec.resent.contains(&s) {
                continue;
            }
            let Some(f) = rec.old_frames.get(s) else { continue };
            let origin = Origin {
                ring_id: old_ring,
                seq: s,
                sender: f.sender,
                safe: f.safe,
                filler: !f.app,
            };
            let mut buf = BytesMut::with_capacity(wire::mcast_header_len(true) + f.payload.len());
            wire::encode_mcast_into(&mut buf, me, new_ring, seq, false, Some(&origin));
            buf.put_slice(&f.payload);
            let raw = buf.freeze();
            return Some(Stored {
                sender: me,
                safe: false,
                app: false,
                payload: Bytes::new(),
                raw,
            });
        }
        None
    }

    pub(super) fn recovery_complete(&self) -> bool {
        self.recovery
            .as_ref()
            .and_then(|r| r.done_seq)
            .is_some_and(|d| self.safe_point >= d)
    }

    /// Every member holds the same old frames now: deliver them and install
    /// the transitional and regular configurations.
    pub(super) fn finish_recovery(&mut self, now: Time) {
        let Some(rec) = self.recovery.take() else { return };
        let new_ring = self.new_ring;
        let new_members = self.new_members.clone();
        let mut previous: Vec<NodeId> = Vec::new();
        if let Some(old) = rec.old_ring {
            let frames = &rec.old_frames;
            let mut s = rec.old_delivered + 1;
            // What the old regular configuration can still deliver: agreed
            // frames, and safe ones some member knew to be safe there.
            while let Some(f) = frames.get(s) {
                if f.app && f.safe && s > rec.safe_max {
                    break;
                }
                if f.app {
                    let (sender, safe, payload) = (f.sender, f.safe, f.payload.clone());
                    self.deliver_frame(sender, safe, payload, old, s);
                }
                s += 1;
            }
            let left = rec
                .old_members
                .iter()
                .filter(|n| !rec.trans.contains(n))
                .copied()
                .collect();
            self.out.push_back(Output::ConfChange(ConfChange {
                kind: ConfKind::Transitional,
                ring_id: new_ring,
                old_ring_id: Some(old),
                members: rec.trans.clone(),
                left,
                joined: Vec::new(),
            }));
            // The rest, in the transitional configuration; frames nobody
            // kept are skipped.
            while s <= frames.high() {
                if let Some(f) = frames.get(s) {
                    if f.app {
                        let (sender, safe, payload) = (f.sender, f.safe, f.payload.clone());
                        self.deliver_frame(sender, safe, payload, old, s);
                    }
                }
                s += 1;
            }
            previous = rec.trans;
        }
        // Partial messages never complete across a configuration change.
        self.assembly.clear();
        let joined = new_members.iter().filter(|n| !previous.contains(n)).copied().collect();
        self.ring = new_ring;
        self.members = new_members.clone();
        self.installed = true;
        self.state = State::Operational;
        self.stats.rings_formed += 1;
        self.proc_set.clear();
        self.fail_set.clear();
        self.consensus.clear();
        self.send_queue.restart_partial();
        self.out.push_back(Output::ConfChange(ConfChange {
            kind: ConfKind::Regular,
            ring_id: new_ring,
            old_ring_id: None,
            members: new_members,
            left: Vec::new(),
            joined,
        }));
        self.t_merge = (self.me == new_ring.rep).then(|| now + ms(self.cfg.merge as u64));
        self.deliver_ready();
    }
}
