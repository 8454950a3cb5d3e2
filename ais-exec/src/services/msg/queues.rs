//! The replicated message queues: every node holds the same table and applies
//! the same [`MsgWire`] changes in agreed order ([`Queues::apply`]), so every
//! node decides alike who opened a queue, which message a get takes and
//! whether a send fits. What the origin node must do about the outcome comes
//! back as [`Outcome`]s; the service turns the ones of its own node into
//! answers and callbacks.

use super::limits::MsgLimits;
use super::wire::MsgWire;
use ais_proto::msg::{self as m, err, Attributes, Body, Got, Message, Size, PRIORITIES};
use ais_proto::status;
use std::collections::{BTreeMap, VecDeque};

pub type NodeId = u32;

/// A handle cluster-wide: its node and the node's number for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Handle {
    pub node: NodeId,
    pub conn: u64,
}

/// A blocked get: its origin and token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Waiter {
    pub node: NodeId,
    pub token: u64,
    pub room: u64,
}

/// One stored message.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Stored {
    pub send_time: i64,
    pub body: Body,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Queue {
    pub attributes: Attributes,
    pub opener: Option<Handle>,
    /// Opened with `SA_MSG_QUEUE_RECEIVE_CALLBACK`.
    pub receive_callback: bool,
    /// `SaTimeT` of the last close (0 while never closed).
    pub close_time: i64,
    /// Unlinked while open: deleted at its close, invisible meanwhile.
    pub unlinked: bool,
    /// One FIFO per priority area, highest priority (0) first.
    pub areas: [VecDeque<Stored>; PRIORITIES],
    /// Data bytes in each area (kept with `areas`).
    pub used: [u64; PRIORITIES],
    pub waiters: VecDeque<Waiter>,
}

impl Queue {
    pub fn new(attributes: Attributes) -> Queue {
        Queue {
            attributes,
            opener: None,
            receive_callback: false,
            close_time: 0,
            unlinked: false,
            areas: Default::default(),
            used: [0; PRIORITIES],
            waiters: VecDeque::new(),
        }
    }

    fn push(&mut self, s: Stored) {
        let p = s.body.priority as usize;
        self.used[p] += s.body.data.len() as u64;
        self.areas[p].push_back(s);
    }

    fn pop(&mut self, p: usize) -> Option<Stored> {
        let s = self.areas[p].pop_front()?;
        self.used[p] -= s.body.data.len() as u64;
        Some(s)
    }

    fn clear(&mut self) {
        self.areas = Default::default();
        self.used = [0; PRIORITIES];
    }

    fn head(&self) -> Option<usize> {
        (0..PRIORITIES).find(|&p| !self.areas[p].is_empty())
    }

    /// Bytes this queue makes the executive hold (data and a per-message overhead).
    pub fn held(&self) -> u64 {
        self.used.iter().sum::<u64>()
            + MsgLimits::MESSAGE_OVERHEAD * self.areas.iter().map(|a| a.len() as u64).sum::<u64>()
    }

    pub fn status(&self) -> m::Status {
        let mut usage = [m::Usage::default(); PRIORITIES];
        for (p, u) in usage.iter_mut().enumerate() {
            *u = m::Usage {
                size: self.attributes.size[p],
                used: self.used[p],
                messages: self.areas[p].len() as u32,
            };
        }
        m::Status {
            flags: self.attributes.flags,
            retention: self.attributes.retention,
            close_time: self.close_time,
            usage,
        }
    }

    /// Closes it at `time`: its blocked gets end BAD_HANDLE.
    fn close(&mut self, time: i64, out: &mut Vec<Outcome>) {
        self.opener = None;
        self.receive_callback = false;
        self.close_time = time;
        for w in self.waiters.drain(..) {
            out.push(Outcome::answer(w.node, w.token, status::BAD_HANDLE));
        }
    }
}

/// What a change means for a node: an answer to one of its pending requests, or a
/// received-message callback to the opener of a queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Answer {
        node: NodeId,
        token: u64,
        status: u32,
        payload: Vec<u8>,
    },
    Received {
        opener: Handle,
        name: Vec<u8>,
    },
}

impl Outcome {
    fn answer(node: NodeId, token: u64, status: u32) -> Outcome {
        Outcome::Answer {
            node,
            token,
            status,
            payload: Vec::new(),
        }
    }
}

/// Every queue of the cluster, by name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Queues {
    pub map: BTreeMap<Vec<u8>, Queue>,
    /// Bytes every queue holds together, bounded by [`MsgLimits::max_held`].
    pub held: u64,
}

fn attributes_valid(a: &Attributes, limits: &MsgLimits) -> bool {
    a.flags & !m::QUEUE_PERSISTENT == 0
        && a.retention >= 0
        && a.size.iter().all(|&s| s <= limits.max_area_size)
        && a.size.iter().sum::<u64>() <= limits.max_queue_size
}

impl Queues {
    pub fn recount(&mut self) {
        self.held = self.map.values().map(Queue::held).sum();
    }

    /// The queue `name` as a client sees it (an unlinked one is gone).
    pub fn visible(&self, name: &[u8]) -> Option<&Queue> {
        self.map.get(name).filter(|q| !q.unlinked)
    }

    /// The queues `h` has open.
    pub fn opened_by(&self, h: Handle) -> Vec<Vec<u8>> {
        self.map
            .iter()
            .filter(|(_, q)| q.opener == Some(h))
            .map(|(n, _)| n.clone())
            .collect()
    }

    /// Applies one change from `sender`, in agreed order.
    pub fn apply(&mut self, sender: NodeId, msg: MsgWire, limits: &MsgLimits) -> Vec<Outcome> {
        let mut out = Vec::new();
        let answer = |token: u64, st: u32| Outcome::answer(sender, token, st);
        match msg {
            MsgWire::Open {
                token,
                conn,
                name,
                attributes,
                flags,
            } => {
                let st = self.open(Handle { node: sender, conn }, name, attributes, flags, limits);
                out.push(answer(token, st));
            }
            MsgWire::Close {
                token,
                conn,
                name,
                time,
            } => {
                let st = match self.map.get_mut(&name) {
                    Some(q) if q.opener == Some(Handle { node: sender, conn }) => {
                        q.close(time, &mut out);
                        if q.unlinked {
                            self.remove(&name);
                        }
                        status::OK
                    }
                    _ => status::BAD_HANDLE,
                };
                out.push(answer(token, st));
            }
            MsgWire::Retention {
                token,
                conn,
                name,
                retention,
            } => {
                let st = match self.map.get_mut(&name) {
                    Some(q) if q.opener == Some(Handle { node: sender, conn }) => {
                        if q.attributes.flags & m::QUEUE_PERSISTENT != 0 {
                            // B.03.01 saMsgQueueRetentionTimeSet: a persistent queue has none.
                            err::BAD_OPERATION
                        } else if retention < 0 {
                            status::INVALID_PARAM
                        } else {
                            q.attributes.retention = retention;
                            status::OK
                        }
                    }
                    _ => status::BAD_HANDLE,
                };
                out.push(answer(token, st));
            }
            MsgWire::Unlink { token, name } => {
                let st = match self.map.get_mut(&name) {
                    Some(q) if !q.unlinked => {
                        if q.opener.is_some() {
                            q.unlinked = true;
                        } else {
                            self.remove(&name);
                        }
                        status::OK
                    }
                    _ => status::NOT_EXIST,
                };
                out.push(answer(token, st));
            }
            MsgWire::Send {
                token,
                name,
                time,
                body,
            } => {
                let st = self.send(&name, time, body, limits, &mut out);
                out.insert(0, answer(token, st));
            }
            MsgWire::Get {
                token,
                conn,
                name,
                room,
                wait,
            } => match self.map.get_mut(&name) {
                Some(q) if q.opener == Some(Handle { node: sender, conn }) => {
                    if q.head().is_some() {
                        let (st, payload, freed) = take(q, room);
                        self.held = self.held.saturating_sub(freed);
                        out.push(Outcome::Answer {
                            node: sender,
                            token,
                            status: st,
                            payload,
                        });
                    } else if wait {
                        q.waiters.push_back(Waiter {
                            node: sender,
                            token,
                            room,
                        });
                    } else {
                        out.push(answer(token, status::TIMEOUT));
                    }
                }
                _ => out.push(answer(token, status::BAD_HANDLE)),
            },
            MsgWire::GetTimeout { token, name } => {
                if let Some(q) = self.map.get_mut(&name) {
                    let before = q.waiters.len();
                    q.waiters.retain(|w| !(w.node == sender && w.token == token));
                    if q.waiters.len() < before {
                        out.push(answer(token, status::TIMEOUT));
                    }
                }
            }
            MsgWire::Cancel { token, conn, name } => {
                let st = match self.map.get_mut(&name) {
                    Some(q) if q.opener == Some(Handle { node: sender, conn }) => {
                        if q.waiters.is_empty() {
                            // B.03.01 saMsgMessageCancel: no saMsgMessageGet() pending.
                            status::NOT_EXIST
                        } else {
                            for w in q.waiters.drain(..) {
                                out.push(Outcome::answer(w.node, w.token, err::INTERRUPT));
                            }
                            status::OK
                        }
                    }
                    _ => status::BAD_HANDLE,
                };
                out.push(answer(token, st));
            }
            MsgWire::Expire { name, close_time } => {
                let due = self.map.get(&name).is_some_and(|q| {
                    q.opener.is_none() && q.close_time == close_time && q.attributes.flags & m::QUEUE_PERSISTENT == 0
                });
                if due {
                    self.remove(&name);
                }
            }
        }
        out
    }

    /// B.03.01 saMsgQueueOpen: the rules of creation and of one opener at a time.
    fn open(
        &mut self,
        who: Handle,
        name: Vec<u8>,
        attributes: Option<Attributes>,
        flags: u32,
        limits: &MsgLimits,
    ) -> u32 {
        if flags & !(m::OPEN_CREATE | m::OPEN_RECEIVE_CALLBACK | m::OPEN_EMPTY) != 0 {
            return status::BAD_FLAGS;
        }
        let create = flags & m::OPEN_CREATE != 0;
        if create != attributes.is_some() {
            return status::INVALID_PARAM;
        }
        if let Some(a) = &attributes {
            if a.flags & !m::QUEUE_PERSISTENT != 0 {
                return status::BAD_FLAGS;
            }
            if !attributes_valid(a, limits) {
                return status::INVALID_PARAM;
            }
        }
        let q = match self.map.get_mut(&name) {
            Some(q) if q.unlinked || q.opener.is_some() => return err::BUSY,
            Some(q) => {
                if attributes.is_some_and(|a| a != q.attributes) {
                    return status::EXIST;
                }
                q
            }
            None => {
                let Some(a) = attributes else { return status::NOT_EXIST };
                if self.map.len() >= limits.max_queues {
                    return status::NO_RESOURCES;
                }
                self.map.entry(name).or_insert(Queue::new(a))
            }
        };
        q.opener = Some(who);
        q.receive_callback = flags & m::OPEN_RECEIVE_CALLBACK != 0;
        if flags & m::OPEN_EMPTY != 0 {
            let freed = q.held();
            q.clear();
            self.held = self.held.saturating_sub(freed);
        }
        status::OK
    }

    /// Stores a message, or hands it to the first blocked get.
    fn send(&mut self, name: &[u8], time: i64, body: Body, limits: &MsgLimits, out: &mut Vec<Outcome>) -> u32 {
        let held = self.held;
        let Some(q) = self.map.get_mut(name).filter(|q| !q.unlinked) else {
            return status::NOT_EXIST;
        };
        let p = body.priority as usize;
        if p >= PRIORITIES {
            return status::INVALID_PARAM;
        }
        let len = body.data.len() as u64;
        if len > limits.max_message_size {
            return status::TOO_BIG;
        }
        if q.used[p] + len > q.attributes.size[p] {
            // B.03.01 saMsgMessageSend: the priority area has no room for it.
            return err::QUEUE_FULL;
        }
        if held + len + MsgLimits::MESSAGE_OVERHEAD > limits.max_held {
            return status::NO_RESOURCES;
        }
        q.push(Stored { send_time: time, body });
        self.held += len + MsgLimits::MESSAGE_OVERHEAD;
        if let Some(w) = q.waiters.pop_front() {
            let (st, payload, freed) = take(q, w.room);
            self.held = self.held.saturating_sub(freed);
            out.push(Outcome::Answer {
                node: w.node,
                token: w.token,
                status: st,
                payload,
            });
        } else if let (true, Some(opener)) = (q.receive_callback, q.opener) {
            out.push(Outcome::Received {
                opener,
                name: name.to_vec(),
            });
        }
        status::OK
    }

    fn remove(&mut self, name: &[u8]) {
        if let Some(q) = self.map.remove(name) {
            self.held = self.held.saturating_sub(q.held());
        }
    }

    /// The merge of the copies of a queue the sides of a merge held: see
    /// `Merge` in the service.
    pub fn insert(&mut self, name: Vec<u8>, q: Queue) {
        self.map.insert(name, q);
    }
}

/// Takes the head message (highest priority first, FIFO within a priority) if the
/// caller's buffer has room for it; else `SA_AIS_ERR_NO_SPACE` with its size and it
/// stays.
fn take(q: &mut Queue, room: u64) -> (u32, Vec<u8>, u64) {
    let Some(p) = q.head() else {
        return (status::TIMEOUT, Vec::new(), 0);
    };
    let len = q.areas[p][0].body.data.len() as u64;
    if len > room {
        return (err::NO_SPACE, Size(len).encode().unwrap_or_default(), 0);
    }
    let Some(s) = q.pop(p) else {
        return (status::TIMEOUT, Vec::new(), 0);
    };
    let got = Got {
        send_time: s.send_time,
        sender_id: 0,
        body: s.body,
    };
    (
        status::OK,
        got.encode().unwrap_or_default(),
        len + MsgLimits::MESSAGE_OVERHEAD,
    )
}
