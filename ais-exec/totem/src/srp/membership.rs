//! Membership: gather (join messages, consensus, the failed set), the commit
//! token's two rotations, merge detection and clean leaves.

use super::Totem;
use crate::types::*;
use crate::wire::{Body, Commit, CommitMember, Join, OldRing, Token, NO_OLD_RING};

impl Totem {
    /// Starts gathering and announces it.
    pub(super) fn enter_gather(&mut self, now: Time, why: GatherReason) {
        self.begin_gather(now, why);
        self.announce(now);
    }

    /// Switches to gather without sending anything yet, so the caller can
    /// adjust the sets first. Reports why, for the driver's log.
    pub(super) fn begin_gather(&mut self, now: Time, why: GatherReason) {
        self.out.push_back(Output::Gather(why));
        let from = self.state;
        if let Some(rec) = self.recovery.take() {
            self.abandon_recovery(rec);
        }
        if from == State::Operational || self.proc_set.is_empty() {
            self.proc_set = self.members.iter().copied().collect();
        }
        // Every gather starts with nobody failed: failures carried over from
        // an abandoned formation would be echoed back by the nodes they name
        // and keep two groups excluding each other round after round.
        if from != State::Gather {
            self.fail_set.clear();
        }
        self.proc_set.insert(self.me);
        self.fail_set.remove(&self.me);
        self.state = State::Gather;
        self.held = None;
        self.to_self.clear();
        self.last_sent = None;
        self.t_retransmit = None;
        self.t_hold = None;
        self.t_token_loss = None;
        self.t_merge = None;
        self.t_consensus = Some(now + ms(self.cfg.consensus as u64));
    }

    /// Sends our join (now, or after the random `send_join` delay) and checks
    /// whether consensus is already there.
    pub(super) fn announce(&mut self, now: Time) {
        self.consensus.clear();
        self.consensus.insert(self.me);
        if self.cfg.send_join == 0 {
            self.send_join();
            self.t_join = Some(now + ms(self.cfg.join as u64));
        } else {
            let delay = self.random_below(self.cfg.send_join as u64 + 1);
            self.t_join = Some(now + ms(delay));
        }
        self.check_consensus(now);
    }

    fn send_join(&mut self) {
        let join = Join {
            ring_seq: self.highest_ring_seq,
            proc_set: self.proc_set.iter().copied().collect(),
            fail_set: self.fail_set.iter().copied().collect(),
        };
        self.transmit(Dest::All, Body::Join(join), self.ring);
    }

    pub(super) fn join_timer(&mut self, now: Time) {
        if self.state == State::Gather {
            self.send_join();
            self.t_join = Some(now + ms(self.cfg.join as u64));
        }
    }

    pub(super) fn token_lost(&mut self, now: Time) {
        if self.state != State::Gather {
            self.enter_gather(now, GatherReason::TokenLost(self.state));
        }
    }

    pub(super) fn consensus_timeout(&mut self, now: Time) {
        if self.state != State::Gather {
            return;
        }
        // Whoever has not agreed by now is failed; if everyone agreed but no
        // commit token came, start collecting agreement again.
        let silent: Vec<NodeId> = self
            .proc_set
            .difference(&self.fail_set)
            .filter(|n| !self.consensus.contains(n))
            .copied()
            .collect();
        self.out.push_back(Output::Gather(GatherReason::ConsensusTimeout {
            failed: silent.clone(),
        }));
        self.fail_set.extend(silent);
        self.t_consensus = Some(now + ms(self.cfg.consensus as u64));
        self.announce(now);
    }

    pub(super) fn merge_timer(&mut self, now: Time) {
        if self.state == State::Operational && self.me == self.ring.rep {
            self.transmit(Dest::All, Body::MergeDetect, self.ring);
            self.t_merge = Some(now + ms(self.cfg.merge as u64));
        }
    }

    /// A packet of another ring: if its sender is not one of ours, the two
    /// rings can see each other and should merge.
    pub(super) fn foreign_seen(&mut self, now: Time, sender: NodeId, ring_id: RingId) {
        if self.state != State::Operational || ring_id == self.ring {
            return;
        }
        if self.members.contains(&sender) && ring_id.seq <= self.ring.seq {
            return; // a late packet of an older ring
        }
        self.begin_gather(
            now,
            GatherReason::MergeDetected {
                from: sender,
                ring: ring_id,
            },
        );
        self.proc_set.insert(sender);
        self.announce(now);
    }

    pub(super) fn leave_arrived(&mut self, now: Time, sender: NodeId, ring_id: RingId) {
        if ring_id != self.ring {
            return;
        }
        let relevant = match self.state {
            State::Operational => self.members.contains(&sender),
            State::Gather => self.proc_set.contains(&sender) && !self.fail_set.contains(&sender),
            State::Commit | State::Recovery => self.new_members.contains(&sender),
        };
        if relevant {
            if self.state != State::Gather {
                self.begin_gather(now, GatherReason::LeaveReceived(sender));
            }
            self.fail_set.insert(sender);
            self.t_consensus = Some(now + ms(self.cfg.consensus as u64));
            self.announce(now);
        }
    }

    pub(super) fn join_arrived(&mut self, now: Time, sender: NodeId, join: Join) {
        if !join.proc_set.contains(&sender) || join.fail_set.contains(&sender) {
            return; // not a view its sender could hold
        }
        // Failures belong to one gather round, named by the highest ring
        // sequence number its members know. A join from an older round still
        // teaches us who exists, but not who failed; a join from a newer round
        // ends ours. Without this, stale failures echo between rounds and
        // keep nodes that can all talk to each other apart.
        let epoch = self.highest_ring_seq;
        let stale = join.ring_seq < epoch;
        self.highest_ring_seq = epoch.max(join.ring_seq);
        match self.state {
            State::Operational => {
                if self.members.contains(&sender) && join.ring_seq < self.ring.seq {
                    return; // sent before this ring formed
                }
                if !stale && join.fail_set.contains(&self.me) {
                    // Its ring forms without us; merge detection joins the two
                    // rings afterwards. Reacting would only split ours.
                    return;
                }
                self.begin_gather(now, GatherReason::JoinReceived(sender));
                self.merge_sets(sender, &join, stale);
                self.announce(now);
                self.consent(now, sender, &join);
            }
            State::Gather => {
                if join.ring_seq > epoch && !self.fail_set.is_empty() {
                    self.fail_set.clear();
                    self.merge_sets(sender, &join, stale);
                    self.t_consensus = Some(now + ms(self.cfg.consensus as u64));
                    self.announce(now);
                    self.consent(now, sender, &join);
                } else {
                    self.process_join(now, sender, &join, stale);
                }
            }
            State::Commit | State::Recovery => {
                // Only a member of the forming ring that has given up on it
                // stops the formation; anyone else is merged once it is up.
                if !self.new_members.contains(&sender) || join.ring_seq < self.new_ring.seq {
                    return;
                }
                self.begin_gather(now, GatherReason::JoinReceived(sender));
                self.merge_sets(sender, &join, stale);
                self.announce(now);
                self.consent(now, sender, &join);
            }
        }
    }

    /// Takes in what a join knows that we do not (unless we failed its
    /// sender). A node that failed us is failed in turn. Returns whether our
    /// sets changed.
    fn merge_sets(&mut self, sender: NodeId, join: &Join, stale: bool) -> bool {
        if self.fail_set.contains(&sender) {
            return false;
        }
        let before = (self.proc_set.len(), self.fail_set.len());
        self.proc_set.extend(join.proc_set.iter().copied());
        if !stale {
            if join.fail_set.contains(&self.me) {
                self.fail_set.insert(sender);
            } else if self.members.contains(&sender) {
                // Only a member of our own ring can tell us who failed in it;
                // a stranger's failures would split rings about to merge.
                self.fail_set.extend(join.fail_set.iter().copied());
            }
        }
        self.fail_set.remove(&self.me);
        before != (self.proc_set.len(), self.fail_set.len())
    }

    fn same_sets(&self, join: &Join) -> bool {
        join.proc_set.iter().eq(self.proc_set.iter()) && join.fail_set.iter().eq(self.fail_set.iter())
    }

    fn consent(&mut self, now: Time, sender: NodeId, join: &Join) {
        if self.same_sets(join) {
            self.consensus.insert(sender);
            self.check_consensus(now);
        }
    }

    fn process_join(&mut self, now: Time, sender: NodeId, join: &Join, stale: bool) {
        if self.same_sets(join) {
            self.consent(now, sender, join);
            return;
        }
        if !self.merge_sets(sender, join, stale) {
            return; // nothing new: it will learn from our join
        }
        self.t_consensus = Some(now + ms(self.cfg.consensus as u64));
        self.announce(now);
        self.consent(now, sender, join);
    }

    fn candidates(&self) -> Vec<NodeId> {
        self.proc_set.difference(&self.fail_set).copied().collect()
    }

    fn check_consensus(&mut self, now: Time) {
        if self.state != State::Gather {
            return;
        }
        let members = self.candidates();
        if members.iter().all(|n| self.consensus.contains(n)) && members.first() == Some(&self.me) {
            self.create_commit(now, members);
        }
    }

    /// As representative: propose the new ring.
    fn create_commit(&mut self, now: Time, members: Vec<NodeId>) {
        let seq = self.highest_ring_seq.max(self.ring.seq) + 4;
        self.save_ring_seq(seq);
        let ring = RingId { rep: self.me, seq };
        let mut commit = Commit {
            rotation: 1,
            members: members
                .iter()
                .map(|&node| CommitMember {
                    node,
                    old_ring: NO_OLD_RING,
                    filled: false,
                })
                .collect(),
            old_rings: Vec::new(),
        };
        self.fill_entry(&mut commit);
        self.enter_commit(now, ring, members);
        self.forward_commit(now, commit);
    }

    fn enter_commit(&mut self, now: Time, ring: RingId, members: Vec<NodeId>) {
        self.state = State::Commit;
        self.new_ring = ring;
        self.new_members = members;
        self.t_join = None;
        self.t_consensus = None;
        self.t_token_loss = Some(now + ms(self.cfg.token as u64));
    }

    /// Writes what this node knows of its old ring into the commit token.
    fn fill_entry(&mut self, commit: &mut Commit) {
        let Some(idx) = commit.members.iter().position(|m| m.node == self.me) else {
            return;
        };
        if self.installed {
            let (aru, high, safe) = (self.frames.aru(), self.frames.high(), self.safe_point);
            let ring = self.ring;
            let slot = match commit.old_rings.iter().position(|o| o.ring_id == ring) {
                Some(i) => {
                    let o = &mut commit.old_rings[i];
                    o.min_aru = o.min_aru.min(aru);
                    o.max_high = o.max_high.max(high);
                    o.max_safe = o.max_safe.max(safe);
                    i
                }
                None => {
                    commit.old_rings.push(OldRing {
                        ring_id: ring,
                        min_aru: aru,
                        max_high: high,
                        max_safe: safe,
                    });
                    commit.old_rings.len() - 1
                }
            };
            commit.members[idx].old_ring = slot as u16;
        }
        commit.members[idx].filled = true;
    }

    fn forward_commit(&mut self, now: Time, commit: Commit) {
        let next = Totem::next_member(&self.new_members, self.me);
        let ring = self.new_ring;
        self.send_to_next(now, next, Body::Commit(commit), ring);
    }

    pub(super) fn commit_arrived(&mut self, now: Time, ring_id: RingId, mut commit: Commit) {
        let nodes: Vec<NodeId> = commit.members.iter().map(|m| m.node).collect();
        let Some(my_idx) = nodes.iter().position(|&n| n == self.me) else {
            return;
        };
        match (self.state, commit.rotation) {
            (State::Gather, 1) => {
                if nodes != self.candidates()
                    || ring_id.rep != nodes[0]
                    || ring_id.seq <= self.ring.seq
                    || commit.members[my_idx].filled
                {
                    // A ring that names us but that we cannot join: take its
                    // number, so that our next join stops its formation at
                    // once instead of after a token timeout.
                    if ring_id.seq > self.highest_ring_seq && !commit.members[my_idx].filled {
                        self.highest_ring_seq = ring_id.seq;
                        self.send_join();
                    }
                    return;
                }
                self.save_ring_seq(ring_id.seq);
                self.fill_entry(&mut commit);
                self.enter_commit(now, ring_id, nodes);
                self.forward_commit(now, commit);
            }
            (State::Commit, 1) if ring_id == self.new_ring && self.me == ring_id.rep => {
                if !commit.members.iter().all(|m| m.filled) {
                    return;
                }
                commit.rotation = 2;
                self.enter_recovery(now, &commit);
                self.forward_commit(now, commit);
            }
            (State::Commit, 2) if ring_id == self.new_ring && self.me != ring_id.rep => {
                self.enter_recovery(now, &commit);
                self.forward_commit(now, commit);
            }
            (State::Recovery, 2) if ring_id == self.new_ring && self.me == ring_id.rep => {
                let Some(rec) = &mut self.recovery else { return };
                if rec.token_started {
                    return;
                }
                // Every member is in recovery: the new ring's first token.
                rec.token_started = true;
                self.t_retransmit = None;
                self.last_sent = None;
                let token = Token {
                    token_seq: 1,
                    seq: 0,
                    aru: 0,
                    aru_id: 0,
                    fcc: 0,
                    backlog: 0,
                    recovery_pending: self.new_members.len() as u32,
                    rtr: Vec::new(),
                };
                self.token_arrived(now, self.me, ring_id, token);
            }
            _ => {}
        }
    }
}
