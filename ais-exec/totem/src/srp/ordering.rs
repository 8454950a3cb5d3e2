//! The ordering token: retransmission requests, flow control, sending,
//! the aru, safe delivery and token hold.

use super::{max_outstanding, Totem};
use crate::frames::Stored;
use crate::packing::Chunks;
use crate::types::*;
use crate::wire::{self, Body, Mcast, Token};
use bytes::{Bytes, BytesMut};

impl Totem {
    /// The ring whose token this node runs now, and its members.
    pub(super) fn running_ring(&self) -> Option<(RingId, &[NodeId])> {
        match self.state {
            State::Operational => Some((self.ring, &self.members)),
            State::Recovery => Some((self.new_ring, &self.new_members)),
            _ => None,
        }
    }

    /// Payload bytes that fit in one data frame.
    fn frame_room(&self) -> usize {
        self.cfg.frame_budget().saturating_sub(wire::mcast_header_len(false))
    }

    fn rtr_capacity(&self) -> usize {
        (self.cfg.frame_budget().saturating_sub(wire::token_len(0)) / 8).clamp(1, 256)
    }

    pub(super) fn token_arrived(&mut self, now: Time, _sender: NodeId, ring_id: RingId, mut token: Token) {
        let Some((running, _)) = self.running_ring() else {
            return;
        };
        if ring_id != running || token.token_seq <= self.last_token_seq {
            return; // another ring's, or a retransmission we already handled
        }
        self.last_token_seq = token.token_seq;
        self.last_token_seen = (token.seq, token.aru, token.aru_id, token.rtr.len());
        self.stats.tokens_received += 1;
        self.t_retransmit = None;
        self.last_sent = None;
        self.t_token_loss = Some(now + ms(self.cfg.token as u64));
        self.hold_cancel_sent = false;

        // Everything up to the lower of the aru seen on this visit and on the
        // last one has been received by every member.
        let safe = self.last_token_aru.min(token.aru).min(self.frames.aru());
        self.last_token_aru = token.aru;
        if safe > self.safe_point {
            self.safe_point = safe;
        }
        if self.state == State::Recovery && self.recovery_complete() {
            self.finish_recovery(now);
        }

        // Serve retransmission requests we can, then add what we miss.
        let limit = self.cfg.max_messages;
        let mut sent = 0u32;
        let mut rtr = std::mem::take(&mut token.rtr);
        rtr.retain(|&s| {
            if sent < limit {
                if let Some(f) = self.frames.get(s) {
                    self.out.push_back(Output::Transmit {
                        dest: Dest::All,
                        data: f.raw.clone(),
                    });
                    self.stats.frames_retransmitted += 1;
                    sent += 1;
                    return false;
                }
            }
            true
        });
        self.seq_history.push_back(token.seq);
        while self.seq_history.len() > self.cfg.miss_count_const as usize {
            self.seq_history.pop_front();
        }
        if self.seq_history.len() == self.cfg.miss_count_const as usize {
            let upto = self.seq_history[0];
            let cap = self.rtr_capacity();
            if rtr.len() < cap {
                let missing: Vec<u64> = self.frames.missing(0, upto, cap).collect();
                for s in missing {
                    if rtr.len() >= cap {
                        break;
                    }
                    if !rtr.contains(&s) {
                        rtr.push(s);
                    }
                }
            }
        }
        token.rtr = rtr;

        // Flow control: at most max_messages per visit, window_size per
        // rotation, shared in proportion to backlog when the ring is busy.
        let window = self.cfg.window_size;
        let others_fcc = token.fcc.saturating_sub(self.my_trc);
        let others_backlog = token.backlog.saturating_sub(self.my_pbl);
        let room = self.frame_room();
        let my_backlog = self.backlog(room);
        let mut allowed = limit
            .saturating_sub(sent)
            .min(window.saturating_sub(others_fcc.saturating_add(sent)));
        let total = others_backlog.saturating_add(my_backlog);
        if total > window && my_backlog > 0 {
            let share = (window as u64 * my_backlog as u64 / total as u64).max(1) as u32;
            allowed = allowed.min(share);
        }
        let outstanding = token.seq - token.aru;
        allowed = allowed.min(max_outstanding(&self.cfg).saturating_sub(outstanding) as u32);
        sent += self.send_frames(&mut token, allowed, room);
        token.fcc = others_fcc.saturating_add(sent);
        self.my_trc = sent;
        let my_backlog = self.backlog(room);
        token.backlog = others_backlog.saturating_add(my_backlog);
        self.my_pbl = my_backlog;

        // The aru: lowered by whoever lacks frames, raised by its owner.
        let my_aru = self.frames.aru();
        if my_aru < token.aru || token.aru_id == self.me || token.aru_id == 0 {
            token.aru = my_aru;
            token.aru_id = if token.aru == token.seq { 0 } else { self.me };
        }

        // Recovery ends once nobody has old frames left to re-send and all
        // that were re-sent are safe.
        let mine = match &mut self.recovery {
            Some(rec) if self.state == State::Recovery => rec.pending() as u32,
            _ => 0,
        };
        let others = token.recovery_pending.saturating_sub(self.my_pending_reported);
        token.recovery_pending = others.saturating_add(mine);
        self.my_pending_reported = mine;
        if let Some(rec) = &mut self.recovery {
            if token.recovery_pending == 0 && rec.done_seq.is_none() {
                rec.done_seq = Some(token.seq);
            }
        }

        // Failure to receive: frames keep missing and none arrive.
        if self.frames.aru() < token.seq && self.frames.aru() == self.last_aru_seen {
            self.aru_stalled_visits += 1;
            if self.aru_stalled_visits > self.cfg.fail_recv_const {
                self.enter_gather(now, GatherReason::FailedToReceive);
                return;
            }
        } else {
            self.aru_stalled_visits = 0;
        }
        self.last_aru_seen = self.frames.aru();

        if self.state == State::Operational {
            self.deliver_ready();
            self.frames.free_up_to(self.safe_point.min(self.delivered));
            let idle = token.seq == self.last_token_seq_value
                && token.rtr.is_empty()
                && token.aru == token.seq
                && token.backlog == 0;
            self.idle_rotations = if idle { self.idle_rotations.saturating_add(1) } else { 0 };
            self.last_token_seq_value = token.seq;
            // Alone, two quiet visits make everything safe; more turns would
            // only spin the token through this node's own queue.
            let alone = self.running_ring().is_some_and(|(_, m)| m.len() == 1);
            let quiet_turns = if alone { 2 } else { self.cfg.seqno_unchanged_const };
            if idle && self.me == self.ring.rep && self.idle_rotations >= quiet_turns && self.send_queue.is_empty() {
                self.held = Some(token);
                self.t_hold = Some(now + ms(self.cfg.hold as u64));
                return;
            }
        }
        self.forward_token(now, token);
    }

    fn backlog(&mut self, room: usize) -> u32 {
        match (&mut self.recovery, self.state) {
            (Some(rec), State::Recovery) => rec.pending() as u32,
            (_, State::Operational) => self.send_queue.frames_needed(room),
            _ => 0,
        }
    }

    pub(super) fn forward_token(&mut self, now: Time, mut token: Token) {
        let Some((ring, members)) = self.running_ring() else {
            return;
        };
        let next = Totem::next_member(members, self.me);
        // One more than what we received; the token comes back higher still
        // (each holder adds one), so our own forward is never a duplicate.
        token.token_seq = self.last_token_seq + 1;
        self.send_to_next(now, next, Body::Token(token), ring);
    }

    pub(super) fn release_hold(&mut self, now: Time) {
        self.t_hold = None;
        if let Some(token) = self.held.take() {
            self.forward_token(now, token);
        }
    }

    /// Broadcasts up to `allowed` new frames, assigning sequence numbers.
    fn send_frames(&mut self, token: &mut Token, allowed: u32, room: usize) -> u32 {
        let mut n = 0;
        while n < allowed {
            let seq = token.seq + 1;
            let frame = match self.state {
                State::Operational => self.next_app_frame(seq, room),
                State::Recovery => self.next_recovery_frame(seq),
                _ => None,
            };
            let Some(stored) = frame else { break };
            token.seq = seq;
            self.out.push_back(Output::Transmit {
                dest: Dest::All,
                data: stored.raw.clone(),
            });
            if stored.app && self.opts.observe_receptions {
                let ring = self.running_ring().map(|r| r.0).unwrap_or_default();
                self.out.push_back(Output::Received { ring_id: ring, seq });
            }
            self.frames.insert(seq, stored);
            self.stats.frames_sent += 1;
            n += 1;
        }
        n
    }

    fn next_app_frame(&mut self, seq: u64, room: usize) -> Option<Stored> {
        let guarantee = self.send_queue.next_guarantee()?;
        let safe = guarantee == Guarantee::Safe;
        let mut buf = BytesMut::with_capacity(self.cfg.frame_budget());
        wire::encode_mcast_into(&mut buf, self.me, self.ring, seq, safe, None);
        let header = buf.len();
        self.send_queue.fill(&mut buf, room);
        let raw = buf.freeze();
        Some(Stored {
            sender: self.me,
            safe,
            app: true,
            payload: raw.slice(header..),
            raw,
        })
    }

    pub(super) fn mcast_arrived(&mut self, now: Time, sender: NodeId, ring_id: RingId, m: Mcast, raw: &Bytes) {
        match self.state {
            State::Operational | State::Gather if ring_id == self.ring && self.installed => {
                self.store_frame(sender, ring_id, m, raw);
                self.deliver_ready();
            }
            State::Recovery if ring_id == self.new_ring => {
                if let Some(origin) = m.origin {
                    self.absorb_recovered(origin, m.payload.clone());
                }
                self.store_frame(sender, ring_id, m, raw);
            }
            State::Operational if ring_id != self.ring => self.foreign_seen(now, sender, ring_id),
            _ => {}
        }
    }

    fn store_frame(&mut self, sender: NodeId, ring_id: RingId, m: Mcast, raw: &Bytes) {
        let app = m.origin.is_none();
        let seq = m.seq;
        let stored = Stored {
            sender,
            safe: m.safe,
            app,
            payload: m.payload,
            raw: raw.clone(),
        };
        if self.frames.insert(seq, stored) {
            self.stats.frames_received += 1;
            if app && self.opts.observe_receptions {
                self.out.push_back(Output::Received { ring_id, seq });
            }
        }
    }

    /// Delivers, in sequence order, every frame whose predecessors are all
    /// delivered and whose guarantee is met.
    pub(super) fn deliver_ready(&mut self) {
        let ring = self.ring;
        loop {
            let s = self.delivered + 1;
            let Some(f) = self.frames.get(s) else { break };
            if f.app && f.safe && s > self.safe_point {
                break;
            }
            if f.app {
                let (sender, safe, payload) = (f.sender, f.safe, f.payload.clone());
                self.deliver_frame(sender, safe, payload, ring, s);
                self.stats.frames_delivered += 1;
            }
            self.delivered = s;
        }
    }

    /// Hands the messages completed by one frame to the application.
    pub(super) fn deliver_frame(&mut self, sender: NodeId, safe: bool, payload: Bytes, ring_id: RingId, seq: u64) {
        let guarantee = if safe { Guarantee::Safe } else { Guarantee::Agreed };
        let assembly = self.assembly.entry(sender).or_default();
        for chunk in Chunks::new(payload) {
            if let Some(data) = assembly.push(chunk) {
                self.stats.messages_delivered += 1;
                self.out.push_back(Output::Deliver(Delivery {
                    sender,
                    guarantee,
                    data,
                    ring_id,
                    seq,
                }));
            }
        }
    }
}
