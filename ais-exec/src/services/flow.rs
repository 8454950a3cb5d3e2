//! Flow control of the router: what keeps memory bounded between the
//! clients, the services and the core's send queue.
//!
//! - Requests are taken only while the core's send queue is under
//!   [`QUEUE_HIGH_BYTES`] / [`QUEUE_HIGH_MESSAGES`] (meanwhile they wait in
//!   the IPC sockets).
//! - Requests sent without a reply (multicasts) are paced by credits
//!   ([`ais_proto::credit`]): a connection is credited for what it sent unless
//!   it, or a local receiver of the group it sends to, has more than
//!   [`CALLBACK_HIGH_WATER`] of callbacks unread; its library then answers
//!   `TRY_AGAIN`. A receiver backed up for [`STALL_LIMIT`] is disconnected.
//! - Multicasts that cannot be refused (of requests that expect no reply, of
//!   disconnections, configuration changes and timers) are parked, in order,
//!   until the core's queue has room; no request is taken meanwhile.
//!
//! So nothing is queued without a bound and nothing is dropped.

use bytes::Bytes;
use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::time::{Duration, Instant};

pub const QUEUE_HIGH_BYTES: usize = 4 << 20;
pub const QUEUE_HIGH_MESSAGES: usize = 16 << 10;
/// Callback bytes a group member may have waiting before senders are held. What
/// was credited before still arrives (up to the 8 MiB window of each local
/// sender, plus the core's queue and remote senders' messages), inside the IPC
/// server's per-connection callback limit (256 MiB), which is only the last
/// resort against a reader that stopped.
pub const CALLBACK_HIGH_WATER: usize = 4 << 20;
/// A member whose callbacks stay backed up this long is disconnected: one process
/// that stops reading must not hold up every sender for good.
pub const STALL_LIMIT: Duration = Duration::from_secs(10);

/// Credits of one connection: payload bytes of `NO_REPLY` requests taken, and
/// the total last credited.
#[derive(Default)]
struct Credit {
    taken: u64,
    credited: u64,
}

/// A local receiver of a flow group and its unread callback bytes.
pub struct Receiver<C, G> {
    pub conn: C,
    pub group: G,
    pub backlog: usize,
}

/// What [`Flow::grant`] decided.
#[derive(Debug, PartialEq, Eq)]
pub struct Grants<C> {
    /// Send each its new credited total.
    pub credits: Vec<(C, u64)>,
    /// Stalled for [`STALL_LIMIT`]: disconnect them.
    pub disconnect: Vec<C>,
}

impl<C> Default for Grants<C> {
    fn default() -> Self {
        Grants {
            credits: Vec::new(),
            disconnect: Vec::new(),
        }
    }
}

pub struct Flow<C> {
    parked: VecDeque<Bytes>,
    /// Since when each backed-up receiver has been over the high water.
    stalled: HashMap<C, Instant>,
    credits: HashMap<C, Credit>,
    /// Some connection is owed a credit that is held back.
    withheld: bool,
}

impl<C> Default for Flow<C> {
    fn default() -> Self {
        Flow {
            parked: VecDeque::new(),
            stalled: HashMap::new(),
            credits: HashMap::new(),
            withheld: false,
        }
    }
}

impl<C: Copy + Eq + Hash + std::fmt::Display> Flow<C> {
    /// `conn` sent `bytes` of payload without asking for a reply.
    pub fn taken(&mut self, conn: C, bytes: usize) {
        self.credits.entry(conn).or_default().taken += bytes as u64;
    }

    /// `conn` went away.
    pub fn forget(&mut self, conn: C) {
        self.credits.remove(&conn);
    }

    /// Whether multicasts wait for room (a new one must queue behind them).
    pub fn has_parked(&self) -> bool {
        !self.parked.is_empty()
    }

    /// Holds a multicast nobody can be told to retry.
    pub fn park(&mut self, b: Bytes) {
        self.parked.push_back(b);
    }

    /// Submits the parked multicasts in order while `submit` takes them;
    /// true once none is left.
    pub fn unpark(&mut self, mut submit: impl FnMut(Bytes) -> Result<(), Bytes>) -> bool {
        while let Some(b) = self.parked.pop_front() {
            if let Err(b) = submit(b) {
                self.parked.push_front(b);
                return false;
            }
        }
        true
    }

    /// Whether `ready` should be asked again soon: a credit is held back.
    pub fn withheld(&self) -> bool {
        self.withheld
    }

    /// The credits that are due and not held back. `receivers` lists the
    /// local receivers of flow groups (asked only when some credit is due);
    /// `sends_to` names the group a connection sends to.
    pub fn grant<G: PartialEq>(
        &mut self,
        now: Instant,
        receivers: impl FnOnce() -> Vec<Receiver<C, G>>,
        sends_to: impl Fn(C) -> Option<G>,
    ) -> Grants<C> {
        let mut out = Grants::default();
        let due = |c: &Credit| c.taken - c.credited >= ais_proto::credit::BATCH;
        if !self.withheld && !self.credits.values().any(due) {
            return out;
        }
        let (groups, slow) = self.backed_up(now, receivers(), &mut out);
        self.withheld = false;
        for (conn, c) in self.credits.iter_mut() {
            if c.taken == c.credited {
                continue;
            }
            let held = slow.contains(conn) || sends_to(*conn).is_some_and(|g| groups.contains(&g));
            if held {
                self.withheld = true;
                continue;
            }
            if due(c) {
                out.credits.push((*conn, c.taken));
                c.credited = c.taken;
            }
        }
        out
    }

    /// The groups with a backed-up local receiver, and those receivers;
    /// the ones stalled for [`STALL_LIMIT`] go into `out.disconnect`.
    fn backed_up<G>(&mut self, now: Instant, receivers: Vec<Receiver<C, G>>, out: &mut Grants<C>) -> (Vec<G>, Vec<C>) {
        let (mut groups, mut conns) = (Vec::new(), Vec::new());
        for r in receivers {
            if r.backlog <= CALLBACK_HIGH_WATER {
                continue;
            }
            let since = *self.stalled.entry(r.conn).or_insert(now);
            if now.duration_since(since) >= STALL_LIMIT {
                log::warn!(target: "SERV", "{} has not read its callbacks for {STALL_LIMIT:?}; disconnecting it", r.conn);
                out.disconnect.push(r.conn);
            }
            groups.push(r.group);
            conns.push(r.conn);
        }
        self.stalled.retain(|c, _| conns.contains(c));
        (groups, conns)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ais_proto::credit::BATCH;

    type F = Flow<u32>;

    fn rx(conn: u32, group: u8, backlog: usize) -> Receiver<u32, u8> {
        Receiver { conn, group, backlog }
    }

    #[test]
    fn nothing_is_credited_before_a_batch_is_taken() {
        let mut f = F::default();
        let now = Instant::now();
        f.taken(1, (BATCH - 1) as usize);
        let g = f.grant(
            now,
            || panic!("receivers not asked while nothing is due"),
            |_| Some(0u8),
        );
        assert_eq!(g, Grants::default());
        f.taken(1, 1);
        let g = f.grant(now, Vec::new, |_| Some(0u8));
        assert_eq!(g.credits, vec![(1, BATCH)]);
        assert!(!f.withheld());
    }

    #[test]
    fn a_backed_up_receiver_holds_senders_to_its_group_only() {
        let mut f = F::default();
        let now = Instant::now();
        f.taken(1, BATCH as usize);
        f.taken(2, BATCH as usize);
        // 3 receives group 7 and is over the high water; 1 sends to 7, 2 to 8.
        let slow = || vec![rx(3, 7, CALLBACK_HIGH_WATER + 1), rx(4, 8, CALLBACK_HIGH_WATER)];
        let sends_to = |c: u32| Some(if c == 1 { 7 } else { 8 });
        let g = f.grant(now, slow, sends_to);
        assert_eq!(g.credits, vec![(2, BATCH)]);
        assert!(f.withheld(), "1 is owed a credit");
        // Once 3 has read, 1 gets its credit even with nothing newly due.
        let g = f.grant(now, || vec![rx(3, 7, 0)], sends_to);
        assert_eq!(g.credits, vec![(1, BATCH)]);
        assert!(!f.withheld());
    }

    #[test]
    fn a_backed_up_receiver_is_itself_held_and_disconnected_after_the_stall_limit() {
        let mut f = F::default();
        let t0 = Instant::now();
        f.taken(3, BATCH as usize);
        let slow = || vec![rx(3, 1, CALLBACK_HIGH_WATER + 1)];
        let g = f.grant(t0, slow, |_| None::<u8>);
        assert!(g.credits.is_empty() && g.disconnect.is_empty());
        let g = f.grant(t0 + STALL_LIMIT / 2, slow, |_| None::<u8>);
        assert!(g.disconnect.is_empty());
        let g = f.grant(t0 + STALL_LIMIT, slow, |_| None::<u8>);
        assert_eq!(g.disconnect, vec![3]);
        // A receiver that caught up starts its stall clock afresh.
        let g = f.grant(t0 + STALL_LIMIT, Vec::new, |_| None::<u8>);
        assert_eq!(g.credits, vec![(3, BATCH)]);
        let g = f.grant(t0 + 2 * STALL_LIMIT, slow, |_| None::<u8>);
        assert!(g.disconnect.is_empty());
    }

    #[test]
    fn parked_multicasts_go_in_order_and_wait_for_room() {
        let mut f = F::default();
        f.park(Bytes::from_static(b"a"));
        f.park(Bytes::from_static(b"b"));
        f.park(Bytes::from_static(b"c"));
        let mut sent = Vec::new();
        let mut room = 2;
        let done = f.unpark(|b| {
            if room == 0 {
                return Err(b);
            }
            room -= 1;
            sent.push(b);
            Ok(())
        });
        assert!(!done && f.has_parked());
        assert_eq!(sent, [&b"a"[..], b"b"]);
        assert!(f.unpark(|b| {
            sent.push(b);
            Ok(())
        }));
        assert_eq!(sent.last().unwrap(), &b"c"[..]);
        assert!(!f.has_parked());
    }

    #[test]
    fn a_forgotten_connection_is_owed_nothing() {
        let mut f = F::default();
        f.taken(1, BATCH as usize);
        f.forget(1);
        assert_eq!(f.grant(Instant::now(), Vec::new, |_| None::<u8>), Grants::default());
    }
}
