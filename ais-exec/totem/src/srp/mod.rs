//! The Totem single-ring protocol as a state machine.
//!
//! Datagrams, timer expiries and submissions go in with the current time;
//! datagrams to send, deliveries and configuration changes come out through
//! [`Totem::poll_output`]. The driver asks [`Totem::next_timeout`] when to
//! call [`Totem::handle_timeout`]. Nothing in here reads a clock, touches a
//! socket or draws unseeded randomness.
//!
//! The work is split by phase: `ordering` (the token, flow control,
//! retransmission, delivery), `membership` (gather, consensus, the commit
//! token) and `recovery` (old-ring messages and the EVS configuration
//! changes).

mod membership;
mod ordering;
mod recovery;
#[cfg(test)]
mod tests;

use crate::config::{ConfigError, TotemConfig};
use crate::frames::FrameStore;
use crate::packing::{Assembly, SendQueue};
use crate::types::*;
use crate::wire::{Body, Packet, Token};
use bytes::Bytes;
use std::collections::{BTreeSet, HashMap, VecDeque};

pub(crate) use recovery::Recovery;

/// Options of an instance that are not `totem { }` parameters.
#[derive(Debug, Clone)]
pub struct Options {
    /// Bytes of submitted messages a node queues before refusing more.
    pub send_queue_bytes: usize,
    /// Messages a node queues before refusing more.
    pub send_queue_messages: usize,
    /// Seed of the generator behind the `send_join` delay.
    pub seed: u64,
    /// Emit [`Output::Received`] (for checkers).
    pub observe_receptions: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            send_queue_bytes: 16 << 20,
            send_queue_messages: 1 << 16,
            seed: 0x5EED,
            observe_receptions: false,
        }
    }
}

/// Frames a node may have outstanding on a ring beyond the token's aru.
fn max_outstanding(cfg: &TotemConfig) -> u64 {
    (cfg.window_size as u64 * 4).max(1024)
}

/// One node's protocol instance.
pub struct Totem {
    cfg: TotemConfig,
    opts: Options,
    me: NodeId,
    rng: u64,
    out: VecDeque<Output>,
    stats: Stats,
    state: State,
    stopped: bool,

    // The installed ring (the last regular configuration).
    ring: RingId,
    members: Vec<NodeId>,
    installed: bool,
    highest_ring_seq: u64,

    // Ordering on the ring being run (the installed ring when operational or
    // gathering, the new ring during recovery).
    frames: FrameStore,
    delivered: u64,
    safe_point: u64,
    last_token_aru: u64,
    last_token_seq: u64,
    /// (seq, aru, aru_id, rtr length) of the last token handled, for tools.
    last_token_seen: (u64, u64, NodeId, usize),
    my_trc: u32,
    my_pbl: u32,
    my_pending_reported: u32,
    seq_history: VecDeque<u64>,
    aru_stalled_visits: u32,
    last_aru_seen: u64,
    idle_rotations: u32,
    last_token_seq_value: u64,
    hold_cancel_sent: bool,
    /// Messages were queued by `submit_later` while the token was held.
    flush_pending: bool,
    held: Option<Token>,
    last_sent: Option<(NodeId, Bytes)>,
    to_self: VecDeque<Packet>,
    assembly: HashMap<NodeId, Assembly>,
    send_queue: SendQueue,

    // Membership.
    proc_set: BTreeSet<NodeId>,
    fail_set: BTreeSet<NodeId>,
    consensus: BTreeSet<NodeId>,
    /// The sets agreed on when the commit token formed (stale-join filter).
    new_ring: RingId,
    new_members: Vec<NodeId>,
    recovery: Option<Recovery>,

    // Timers (absolute times).
    t_token_loss: Option<Time>,
    t_retransmit: Option<Time>,
    t_hold: Option<Time>,
    t_join: Option<Time>,
    t_consensus: Option<Time>,
    t_merge: Option<Time>,
}

impl Totem {
    /// A node that starts gathering at once: it forms a ring of its own and
    /// merges with any ring it can hear. `stored_ring_seq` is the highest
    /// ring sequence number the driver has stored for this node (0 if none):
    /// the core does no I/O, and asks for every new number to be stored with
    /// [`Output::PersistRingSeq`] before the outputs that use it.
    pub fn new(
        cfg: TotemConfig,
        me: NodeId,
        stored_ring_seq: u64,
        opts: Options,
        now: Time,
    ) -> Result<Totem, ConfigError> {
        cfg.validate()?;
        if me == 0 {
            return Err(ConfigError {
                parameter: "nodeid",
                reason: "must not be 0".into(),
            });
        }
        // Step past anything used before a restart; stored before use (the
        // first output, ahead of the first join that names it).
        let seq = stored_ring_seq.saturating_add(4);
        let mut t = Totem {
            send_queue: SendQueue::new(opts.send_queue_bytes, opts.send_queue_messages),
            rng: opts.seed | 1,
            cfg,
            opts,
            me,
            out: VecDeque::from([Output::PersistRingSeq(seq)]),
            stats: Stats::default(),
            state: State::Gather,
            stopped: false,
            ring: RingId { rep: me, seq },
            members: vec![me],
            installed: false,
            highest_ring_seq: seq,
            frames: FrameStore::new(),
            delivered: 0,
            safe_point: 0,
            last_token_aru: 0,
            last_token_seq: 0,
            last_token_seen: (0, 0, 0, 0),
            my_trc: 0,
            my_pbl: 0,
            my_pending_reported: 0,
            seq_history: VecDeque::new(),
            aru_stalled_visits: 0,
            last_aru_seen: 0,
            idle_rotations: 0,
            last_token_seq_value: 0,
            hold_cancel_sent: false,
            flush_pending: false,
            held: None,
            last_sent: None,
            to_self: VecDeque::new(),
            assembly: HashMap::new(),
            proc_set: BTreeSet::new(),
            fail_set: BTreeSet::new(),
            consensus: BTreeSet::new(),
            new_ring: RingId::default(),
            new_members: Vec::new(),
            recovery: None,
            t_token_loss: None,
            t_retransmit: None,
            t_hold: None,
            t_join: None,
            t_consensus: None,
            t_merge: None,
        };
        t.enter_gather(now, GatherReason::Start);
        t.run_to_self(now);
        Ok(t)
    }

    pub fn node_id(&self) -> NodeId {
        self.me
    }

    pub fn state(&self) -> State {
        self.state
    }

    /// The installed ring and its members.
    pub fn ring(&self) -> (RingId, &[NodeId]) {
        (self.ring, &self.members)
    }

    /// Whether a regular configuration has been installed yet.
    pub fn has_ring(&self) -> bool {
        self.installed
    }

    pub fn stats(&self) -> Stats {
        self.stats
    }

    pub fn config(&self) -> &TotemConfig {
        &self.cfg
    }

    /// Messages submitted and not yet sent.
    pub fn queued(&self) -> usize {
        self.send_queue.len()
    }

    /// Bytes of the messages submitted and not yet sent.
    pub fn queued_bytes(&self) -> usize {
        self.send_queue.bytes()
    }

    /// A one-line description of the internal state, for logs and tools.
    pub fn describe(&self) -> String {
        let rec = self
            .recovery
            .as_ref()
            .map(|r| format!(" rec(done {:?} started {})", r.done_seq, r.token_started));
        format!(
            "{:?} ring {:?} new {:?} aru {} high {} delivered {} safe {} token {:?} last_tok_seq {} queued {} held {} proc {:?} fail {:?} cons {:?} timers tl {:?} rt {:?} j {:?} c {:?}{}",
            self.state,
            self.ring,
            self.new_ring,
            self.frames.aru(),
            self.frames.high(),
            self.delivered,
            self.safe_point,
            self.last_token_seen,
            self.last_token_seq,
            self.send_queue.len(),
            self.held.is_some(),
            self.proc_set,
            self.fail_set,
            self.consensus,
            self.t_token_loss,
            self.t_retransmit,
            self.t_join,
            self.t_consensus,
            rec.unwrap_or_default()
        )
    }

    /// The next output, in the order produced.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    /// When [`Totem::handle_timeout`] must next be called.
    pub fn next_timeout(&self) -> Option<Time> {
        if self.stopped {
            return None;
        }
        [
            self.t_token_loss,
            self.t_retransmit,
            self.t_hold,
            self.t_join,
            self.t_consensus,
            self.t_merge,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Submits a message for ordered delivery to every member (itself
    /// included). It is queued until the token allows it out.
    pub fn submit(&mut self, now: Time, data: Bytes, guarantee: Guarantee) -> Result<(), SubmitError> {
        if self.stopped {
            return Err(SubmitError::QueueFull);
        }
        self.send_queue.push(data, guarantee)?;
        self.wake_for_queue(now);
        Ok(())
    }

    /// Like [`submit`](Self::submit), but leaves a held token held until
    /// [`flush`](Self::flush): a caller submitting a batch then sends it in as
    /// few frames as packing allows, instead of one token visit per message.
    pub fn submit_later(&mut self, now: Time, data: Bytes, guarantee: Guarantee) -> Result<(), SubmitError> {
        if self.stopped {
            return Err(SubmitError::QueueFull);
        }
        self.send_queue.push(data, guarantee)?;
        if self.state == State::Operational && self.held.is_some() {
            self.flush_pending = true;
            return Ok(());
        }
        self.wake_for_queue(now);
        Ok(())
    }

    /// Releases a token held across [`submit_later`](Self::submit_later) calls.
    pub fn flush(&mut self, now: Time) {
        if std::mem::take(&mut self.flush_pending) && !self.stopped {
            self.wake_for_queue(now);
        }
    }

    /// Something was queued: get the token moving if it rests.
    fn wake_for_queue(&mut self, now: Time) {
        if self.state == State::Operational {
            if self.held.is_some() {
                self.release_hold(now);
            } else if self.idle_rotations >= self.cfg.seqno_unchanged_const && !self.hold_cancel_sent {
                // The representative is probably holding an idle token.
                self.hold_cancel_sent = true;
                self.transmit(Dest::All, Body::HoldCancel, self.ring);
            }
        }
        self.run_to_self(now);
    }

    /// Handles one received datagram.
    pub fn handle_datagram(&mut self, now: Time, data: &Bytes) {
        if self.stopped {
            return;
        }
        let packet = match Packet::decode(data) {
            Ok(p) => p,
            Err(_) => {
                self.stats.datagrams_rejected += 1;
                return;
            }
        };
        if packet.sender == self.me {
            return; // our own multicast, looped back
        }
        self.handle_packet(now, packet, data);
        self.run_to_self(now);
    }

    /// Counts `n` datagrams the driver dropped before they reached the core
    /// because they are not Totem datagrams at all (bad magic, no sender),
    /// in `datagrams_rejected` with those the core cannot decode.
    pub fn count_rejected(&mut self, n: u64) {
        self.stats.datagrams_rejected += n;
    }

    /// Handles every timer that has expired by `now`.
    pub fn handle_timeout(&mut self, now: Time) {
        if self.stopped {
            return;
        }
        let due = |t: Option<Time>| t.is_some_and(|t| t <= now);
        if due(self.t_token_loss) {
            self.t_token_loss = None;
            self.token_lost(now);
        }
        if due(self.t_retransmit) {
            self.t_retransmit = None;
            self.retransmit_last(now);
        }
        if due(self.t_hold) {
            self.t_hold = None;
            self.release_hold(now);
        }
        if due(self.t_join) {
            self.t_join = None;
            self.join_timer(now);
        }
        if due(self.t_consensus) {
            self.t_consensus = None;
            self.consensus_timeout(now);
        }
        if due(self.t_merge) {
            self.t_merge = None;
            self.merge_timer(now);
        }
        self.run_to_self(now);
    }

    /// Leaves the ring cleanly: the others re-form at once instead of after
    /// a token timeout. The instance accepts nothing afterwards.
    pub fn leave(&mut self, _now: Time) {
        if self.stopped {
            return;
        }
        let ring = self.ring;
        // Twice: a single lost datagram should not cost the others a timeout.
        self.transmit(Dest::All, Body::Leave, ring);
        self.transmit(Dest::All, Body::Leave, ring);
        self.stopped = true;
        self.held = None;
        self.to_self.clear();
    }

    fn handle_packet(&mut self, now: Time, p: Packet, raw: &Bytes) {
        match p.body {
            Body::Token(token) => self.token_arrived(now, p.sender, p.ring_id, token),
            Body::Mcast(m) => self.mcast_arrived(now, p.sender, p.ring_id, m, raw),
            Body::Join(j) => self.join_arrived(now, p.sender, j),
            Body::Commit(c) => self.commit_arrived(now, p.ring_id, c),
            Body::MergeDetect => self.foreign_seen(now, p.sender, p.ring_id),
            Body::HoldCancel => {
                if p.ring_id == self.ring && self.held.is_some() {
                    self.release_hold(now);
                }
            }
            Body::Leave => self.leave_arrived(now, p.sender, p.ring_id),
        }
    }

    /// Processes the packets this node addressed to itself (the token and
    /// commit token of a ring whose only member it is). Bounded: an idle
    /// single-node ring holds its token after `seqno_unchanged_const` turns.
    fn run_to_self(&mut self, now: Time) {
        let mut turns = 0u32;
        while let Some(p) = self.to_self.pop_front() {
            turns += 1;
            if turns > 100_000 {
                // Cannot happen while token hold works; should it, drop the
                // token rather than spin: token loss re-forms the ring.
                debug_assert!(false, "self loop does not end: {}", self.describe());
                self.to_self.clear();
                return;
            }
            if self.stopped {
                self.to_self.clear();
                return;
            }
            let raw = Bytes::new();
            self.handle_packet(now, p, &raw);
        }
    }

    fn transmit(&mut self, dest: Dest, body: Body, ring_id: RingId) -> Bytes {
        let data = Packet {
            sender: self.me,
            ring_id,
            body,
        }
        .encode();
        self.out.push_back(Output::Transmit {
            dest,
            data: data.clone(),
        });
        data
    }

    /// Sends a token or commit token to the next member and remembers it for
    /// retransmission until evidence comes back that it went on.
    fn send_to_next(&mut self, now: Time, next: NodeId, body: Body, ring_id: RingId) {
        if next == self.me {
            self.to_self.push_back(Packet {
                sender: self.me,
                ring_id,
                body,
            });
            self.last_sent = None;
            self.t_retransmit = None;
            return;
        }
        let data = self.transmit(Dest::Node(next), body, ring_id);
        self.last_sent = Some((next, data));
        self.t_retransmit = Some(now + ms(self.cfg.token_retransmit as u64));
    }

    fn retransmit_last(&mut self, now: Time) {
        if let Some((next, data)) = self.last_sent.clone() {
            self.stats.tokens_retransmitted += 1;
            self.out.push_back(Output::Transmit {
                dest: Dest::Node(next),
                data,
            });
            self.t_retransmit = Some(now + ms(self.cfg.token_retransmit as u64));
        }
    }

    fn next_member(members: &[NodeId], me: NodeId) -> NodeId {
        match members.iter().position(|&m| m == me) {
            Some(i) => members[(i + 1) % members.len()],
            None => me,
        }
    }

    fn random_below(&mut self, bound: u64) -> u64 {
        // xorshift64*: deterministic from the injected seed.
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D) % bound.max(1)
    }

    /// Asks the driver to store the ring sequence number before anything
    /// that uses it: the output queue is ordered, and the commit token or
    /// configuration change naming the ring is queued after this.
    fn save_ring_seq(&mut self, seq: u64) {
        if seq > self.highest_ring_seq {
            self.highest_ring_seq = seq;
        }
        self.out.push_back(Output::PersistRingSeq(self.highest_ring_seq));
    }
}
