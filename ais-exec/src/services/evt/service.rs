//! The EVT service as the executive runs it: channel opens, closes, unlinks, publishes
//! and retention clears are ordered cluster messages applied to the replicated
//! [`Store`]; subscriptions and delivery queues are local to the node of the subscriber.

use super::delivery::{DeliveryQueue, Entry, Queue};
use super::store::Store;
use super::wire::{ChannelReport, EvtMsg};
use crate::ipc::{AisVersion, ServiceId};
use crate::services::clock::WallClock;
use crate::services::contract::{
    digest_of, Effect, Handling, Held, HostView, NodeId, Output, Reply, Round, Service, Token,
};
use crate::services::registry::Setup;
use ais_proto::evt::{
    self as msg, ChannelName, Clear, Deliveries, Delivery, Event, EventId, Filter, Next, Open, OpenAsync, OpenId,
    Opened, Publish, Subscribe, SubscriptionRef,
};
use ais_proto::{status, Message};
use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;
use std::sync::Arc;

/// Where a node's id counter starts: above the reserved ids, and past what an earlier
/// incarnation of the node likely used (milliseconds of the wall clock), since a node
/// that restarts alone may publish before it learns, by merging, the ids the cluster saw
/// from it (the sync then moves the counter past them).
fn first_id(wall: i64) -> u64 {
    msg::EVENTID_RESERVED + 1 + (wall.max(0) as u64 / 1_000_000) % (1 << 31)
}

/// Sync pieces of retained events are cut near this size (the engine chunks larger).
const PIECE_BYTES: usize = 60 * 1024;

/// One channel open of a handle.
struct ChannelOpen {
    channel: u64,
    flags: u8,
    subs: BTreeMap<u32, Vec<Filter>>,
    /// Its close is ordered and not yet applied.
    closing: bool,
}

#[derive(Default)]
struct Conn {
    opens: HashMap<u32, ChannelOpen>,
    subs: usize,
    queue: Queue,
}

/// What an ordered request of this node waits for.
enum Waiting {
    Open {
        open_id: u32,
        flags: u8,
        invocation: Option<u64>,
    },
    Close {
        open_id: u32,
    },
    Result,
}

struct Pending<C> {
    conn: C,
    what: Waiting,
}

/// A sync round's pieces.
#[derive(Default)]
struct Received {
    reports: Vec<(NodeId, Vec<ChannelReport>)>,
    events: Vec<(u64, Event)>,
    last_ids: Vec<(NodeId, u64)>,
}

pub struct EvtService<C> {
    me: NodeId,
    wall: WallClock,
    limits: DeliveryQueue,
    store: Store,
    conns: HashMap<C, Conn>,
    /// This node's ordered requests by token (the token is the message's nonce).
    pending: HashMap<u64, Pending<C>>,
    next_token: u64,
    /// The low half of the next channel or event id this node assigns.
    next_id: u64,
    round: Option<Received>,
}

fn reply<C>(st: u32) -> Handling<C> {
    Handling::status(st)
}

impl<C: Copy + Eq + Hash + Send> EvtService<C> {
    pub fn new(me: NodeId, limits: DeliveryQueue, wall: WallClock) -> EvtService<C> {
        let next_id = first_id(wall.now());
        EvtService {
            me,
            wall,
            limits,
            store: Store::default(),
            conns: HashMap::new(),
            pending: HashMap::new(),
            next_token: 1,
            next_id,
            round: None,
        }
    }

    /// This service as the registry builds it.
    pub fn from_setup(s: &Setup) -> Self {
        EvtService::new(s.me.node_id, s.evt, s.wall.clone())
    }

    /// A new channel or event id: this node's id, then a counter above the reserved ids
    /// (openais's scheme), past every id of this node the cluster has seen.
    fn take_id(&mut self) -> u64 {
        if self.next_id > u64::from(u32::MAX) {
            self.next_id = msg::EVENTID_RESERVED + 1;
        }
        let id = u64::from(self.me) << 32 | self.next_id;
        self.next_id += 1;
        id
    }

    /// An ordered request: its message (made with its nonce) and its token, the same
    /// number; `what` is what the answer waits for (none: answered at once).
    fn ordered_parts(&mut self, conn: C, what: Option<Waiting>, make: impl FnOnce(u64) -> EvtMsg) -> (Vec<u8>, Token) {
        let token = self.next_token;
        self.next_token += 1;
        if let Some(what) = what {
            self.pending.insert(token, Pending { conn, what });
        }
        (make(token).encode(), Token(token))
    }

    fn ordered(&mut self, conn: C, what: Option<Waiting>, make: impl FnOnce(u64) -> EvtMsg) -> Handling<C> {
        let (message, token) = self.ordered_parts(conn, what, make);
        Handling::Ordered {
            message,
            token,
            accepted: None,
        }
    }

    fn open(&mut self, conn: C, o: Open, invocation: Option<u64>) -> Handling<C> {
        let Some(c) = self.conns.get(&conn) else {
            return reply(status::BAD_HANDLE);
        };
        if o.name.is_empty() {
            return reply(status::INVALID_PARAM);
        }
        if o.flags & !(msg::CHANNEL_CREATE | msg::CHANNEL_PUBLISHER | msg::CHANNEL_SUBSCRIBER) != 0 {
            return reply(status::BAD_FLAGS);
        }
        let waiting = self
            .pending
            .values()
            .filter(|p| p.conn == conn && matches!(p.what, Waiting::Open { open_id, .. } if open_id == o.open_id))
            .count();
        if c.opens.contains_key(&o.open_id) || waiting > 0 {
            return reply(status::EXIST);
        }
        if c.opens.len() >= msg::MAX_OPENS_PER_CONN {
            return reply(status::NO_RESOURCES);
        }
        let proposed = self.take_id();
        let what = Waiting::Open {
            open_id: o.open_id,
            flags: o.flags,
            invocation,
        };
        let (message, token) = self.ordered_parts(conn, Some(what), |nonce| EvtMsg::Open {
            nonce,
            proposed,
            name: o.name,
            create: o.flags & msg::CHANNEL_CREATE != 0,
        });
        Handling::Ordered {
            message,
            token,
            // An asynchronous open is accepted at once; its result is a callback.
            accepted: invocation.map(|_| Reply::status(status::OK)),
        }
    }

    fn channel_open(&mut self, conn: C, open_id: u32) -> Result<&mut ChannelOpen, u32> {
        self.conns
            .get_mut(&conn)
            .and_then(|c| c.opens.get_mut(&open_id))
            .filter(|o| !o.closing)
            .ok_or(status::BAD_HANDLE)
    }

    fn publish(&mut self, conn: C, p: Publish) -> Handling<C> {
        let a = &p.attributes;
        let room = self
            .store
            .has_room(64 + p.data.len() + a.publisher.len() + a.patterns.iter().map(|x| x.len() + 24).sum::<usize>());
        let checked = (|| {
            let open = self.channel_open(conn, p.open_id)?;
            if open.flags & msg::CHANNEL_PUBLISHER == 0 {
                return Err(status::ACCESS);
            }
            if a.priority > msg::LOWEST_PRIORITY || !(0..=msg::MAX_RETENTION).contains(&a.retention) {
                return Err(status::INVALID_PARAM);
            }
            if p.data.len() > msg::MAX_DATA
                || a.patterns.len() > msg::MAX_PATTERNS
                || a.patterns.iter().any(|x| x.len() > msg::MAX_PATTERN_SIZE)
            {
                return Err(status::TOO_BIG);
            }
            if a.retention > 0 && !room {
                return Err(status::NO_RESOURCES);
            }
            Ok(open.channel)
        })();
        let channel = match checked {
            Ok(c) => c,
            Err(st) => return reply(st),
        };
        let id = self.take_id();
        let event = Event {
            id,
            publish_time: self.wall.now(),
            attributes: p.attributes,
            data: p.data,
        };
        let (message, token) = self.ordered_parts(conn, None, |_| EvtMsg::Publish { channel, event });
        Handling::Ordered {
            message,
            token,
            accepted: Some(Reply {
                status: status::OK,
                payload: EventId(id).encode().unwrap_or_default(),
            }),
        }
    }

    fn subscribe(&mut self, conn: C, s: Subscribe) -> Handling<C> {
        let limits = self.limits;
        let checked = (|| {
            let full = self.conns.get(&conn).map_or(0, |c| c.subs) >= msg::MAX_SUBSCRIPTIONS_PER_CONN;
            let open = self.channel_open(conn, s.open_id)?;
            if open.flags & msg::CHANNEL_SUBSCRIBER == 0 {
                return Err(status::ACCESS);
            }
            if s.filters.len() > msg::MAX_PATTERNS
                || s.filters
                    .iter()
                    .any(|f| !(msg::PREFIX_FILTER..=msg::PASS_ALL_FILTER).contains(&f.kind))
            {
                return Err(status::INVALID_PARAM);
            }
            if s.filters.iter().any(|f| f.pattern.len() > msg::MAX_PATTERN_SIZE) {
                return Err(status::TOO_BIG);
            }
            if open.subs.contains_key(&s.sub_id) {
                return Err(status::EXIST);
            }
            if full {
                return Err(status::NO_RESOURCES);
            }
            open.subs.insert(s.sub_id, s.filters.clone());
            Ok(open.channel)
        })();
        let channel = match checked {
            Ok(c) => c,
            Err(st) => return reply(st),
        };
        let retained = self.store.retained_on(channel);
        let mut out = Vec::new();
        if let Some(c) = self.conns.get_mut(&conn) {
            c.subs += 1;
            // A new subscription receives the matching retained events (3.6.1).
            for event in retained {
                if msg::matches(&s.filters, &event.attributes.patterns) {
                    let e = Entry {
                        open_id: s.open_id,
                        sub_id: s.sub_id,
                        event,
                    };
                    enqueue(conn, c, e, limits, &mut out);
                }
            }
        }
        Handling::Now(Reply::status(status::OK), out)
    }

    fn unsubscribe(&mut self, conn: C, s: SubscriptionRef) -> Handling<C> {
        let removed = match self.channel_open(conn, s.open_id) {
            Ok(open) => open.subs.remove(&s.sub_id).is_some(),
            Err(st) => return reply(st),
        };
        if !removed {
            return reply(status::NOT_EXIST);
        }
        if let Some(c) = self.conns.get_mut(&conn) {
            c.subs -= 1;
            c.queue.remove(|e| e.open_id == s.open_id && e.sub_id == s.sub_id);
        }
        reply(status::OK)
    }

    /// NEXT: the next queued events, up to `max` (and about [`msg::MAX_BATCH_BYTES`]);
    /// another AVAILABLE if more wait.
    fn next(&mut self, conn: C, max: u32) -> Handling<C> {
        let (resume, now) = (self.limits.resume, self.wall.now());
        let Some(c) = self.conns.get_mut(&conn) else {
            return reply(status::BAD_HANDLE);
        };
        let max = max.clamp(1, msg::MAX_BATCH) as usize;
        let mut list = Vec::new();
        let mut bytes = 0;
        while list.len() < max && bytes < msg::MAX_BATCH_BYTES {
            let Some(e) = c.queue.pop(resume, now) else { break };
            bytes += e.event.data.len();
            list.push(Delivery {
                open_id: e.open_id,
                sub_id: e.sub_id,
                event: (*e.event).clone(),
            });
        }
        let mut out = Vec::new();
        if c.queue.is_empty() {
            c.queue.notified = false;
        } else {
            out.push(available(conn));
        }
        if list.is_empty() {
            return Handling::Now(Reply::status(status::NOT_EXIST), out);
        }
        Handling::Now(
            Reply {
                status: status::OK,
                payload: Deliveries(list).encode().unwrap_or_default(),
            },
            out,
        )
    }

    fn answer(&mut self, conn: C, msg_id: u16, payload: &[u8]) -> Handling<C> {
        let bad = |_| status::INVALID_PARAM;
        let r = match msg_id {
            msg::OPEN => Open::decode(payload).map_err(bad).map(|o| self.open(conn, o, None)),
            msg::OPEN_ASYNC => OpenAsync::decode(payload)
                .map_err(bad)
                .map(|o| self.open(conn, o.open, Some(o.invocation))),
            msg::CLOSE => OpenId::decode(payload).map_err(bad).and_then(|OpenId(open_id)| {
                let open = self.channel_open(conn, open_id)?;
                open.closing = true;
                let channel = open.channel;
                Ok(
                    self.ordered(conn, Some(Waiting::Close { open_id }), |nonce| EvtMsg::Close {
                        nonce,
                        channel,
                    }),
                )
            }),
            msg::UNLINK => ChannelName::decode(payload).map_err(bad).and_then(|ChannelName(name)| {
                if name.is_empty() {
                    return Err(status::INVALID_PARAM);
                }
                Ok(self.ordered(conn, Some(Waiting::Result), |nonce| EvtMsg::Unlink { nonce, name }))
            }),
            msg::PUBLISH => Publish::decode(payload).map_err(bad).map(|p| self.publish(conn, p)),
            msg::SUBSCRIBE => Subscribe::decode(payload).map_err(bad).map(|s| self.subscribe(conn, s)),
            msg::UNSUBSCRIBE => SubscriptionRef::decode(payload)
                .map_err(bad)
                .map(|s| self.unsubscribe(conn, s)),
            msg::CLEAR => Clear::decode(payload).map_err(bad).and_then(|c| {
                let channel = self.channel_open(conn, c.open_id)?.channel;
                if c.event_id <= msg::EVENTID_RESERVED {
                    return Err(status::INVALID_PARAM);
                }
                Ok(self.ordered(conn, Some(Waiting::Result), |nonce| EvtMsg::Clear {
                    nonce,
                    channel,
                    event_id: c.event_id,
                }))
            }),
            msg::NEXT => Next::decode(payload).map_err(bad).map(|n| self.next(conn, n.max)),
            _ => Err(status::NOT_SUPPORTED),
        };
        r.unwrap_or_else(reply)
    }

    /// Queues a published event for every local subscription it matches.
    fn deliver_local(&mut self, channel: u64, event: &Arc<Event>) -> Output<C> {
        let limits = self.limits;
        let mut out = Vec::new();
        for (&k, c) in self.conns.iter_mut() {
            let mut entries = Vec::new();
            for (&open_id, o) in &c.opens {
                if o.channel != channel || o.flags & msg::CHANNEL_SUBSCRIBER == 0 {
                    continue;
                }
                for (&sub_id, filters) in &o.subs {
                    if msg::matches(filters, &event.attributes.patterns) {
                        entries.push(Entry {
                            open_id,
                            sub_id,
                            event: event.clone(),
                        });
                    }
                }
            }
            for e in entries {
                enqueue(k, c, e, limits, &mut out);
            }
        }
        out
    }

    /// The answer to this node's ordered request `nonce`, if a handle waits for it.
    fn finish(&mut self, nonce: u64, st: u32, channel: Option<u64>) -> Output<C> {
        let Some(p) = self.pending.remove(&nonce) else {
            return Vec::new();
        };
        let answer = |st| Effect::Answer {
            token: Token(nonce),
            reply: Reply::status(st),
        };
        let Some(c) = self.conns.get_mut(&p.conn) else {
            // The handle went away meanwhile: give back an open it no longer holds.
            return match (p.what, channel) {
                (Waiting::Open { .. }, Some(channel)) => {
                    vec![Effect::Multicast(EvtMsg::Close { nonce: 0, channel }.encode())]
                }
                _ => Vec::new(),
            };
        };
        match p.what {
            Waiting::Open {
                open_id,
                flags,
                invocation,
            } => {
                if let Some(channel) = channel {
                    c.opens.insert(
                        open_id,
                        ChannelOpen {
                            channel,
                            flags,
                            subs: BTreeMap::new(),
                            closing: false,
                        },
                    );
                }
                match invocation {
                    None => vec![answer(st)],
                    Some(invocation) => vec![Effect::Callback {
                        conn: p.conn,
                        msg: msg::OPENED,
                        status: st,
                        payload: Opened {
                            invocation,
                            open_id,
                            status: st,
                        }
                        .encode()
                        .unwrap_or_default(),
                    }],
                }
            }
            Waiting::Close { open_id } => {
                if let Some(o) = c.opens.remove(&open_id) {
                    c.subs -= o.subs.len();
                }
                c.queue.remove(|e| e.open_id == open_id);
                vec![answer(st)]
            }
            Waiting::Result => vec![answer(st)],
        }
    }

    fn retained_pieces(&self) -> Vec<Vec<u8>> {
        let mut pieces = Vec::new();
        let mut batch = Vec::new();
        let mut bytes = 0;
        for r in self.store.in_order() {
            bytes += 64 + r.event.data.len() + r.event.attributes.patterns.iter().map(|p| p.len() + 4).sum::<usize>();
            batch.push((r.channel, (*r.event).clone()));
            if bytes >= PIECE_BYTES {
                pieces.push(EvtMsg::Retained(std::mem::take(&mut batch)).encode());
                bytes = 0;
            }
        }
        if !batch.is_empty() {
            pieces.push(EvtMsg::Retained(batch).encode());
        }
        pieces
    }
}

fn available<C>(conn: C) -> Effect<C> {
    Effect::Callback {
        conn,
        msg: msg::AVAILABLE,
        status: status::OK,
        payload: Vec::new(),
    }
}

/// Queues `e` for `conn`; the first waiting event is announced with AVAILABLE.
fn enqueue<C: Copy>(k: C, c: &mut Conn, e: Entry, limits: DeliveryQueue, out: &mut Output<C>) {
    c.queue.push(e, limits.size);
    if !c.queue.notified && !c.queue.is_empty() {
        c.queue.notified = true;
        out.push(available(k));
    }
}

impl<C: Copy + Eq + Hash + Send> Service<C> for EvtService<C> {
    fn id(&self) -> ServiceId {
        ServiceId::EVT
    }

    /// B.03.01 serves B.01 and B.03 libraries alike; the library tells the
    /// generations' calls apart.
    fn version(&self) -> AisVersion {
        AisVersion::new(b'B', 3, 1)
    }

    fn connected(&mut self, conn: C, _peer: crate::services::contract::Peer) -> Output<C> {
        self.conns.insert(conn, Conn::default());
        Vec::new()
    }

    /// The handle's opens are closed in the cluster (saEvtFinalize, or its process died).
    fn disconnected(&mut self, conn: C) -> Output<C> {
        let Some(c) = self.conns.remove(&conn) else {
            return Vec::new();
        };
        c.opens
            .values()
            .filter(|o| !o.closing)
            .map(|o| {
                Effect::Multicast(
                    EvtMsg::Close {
                        nonce: 0,
                        channel: o.channel,
                    }
                    .encode(),
                )
            })
            .collect()
    }

    fn request(&mut self, conn: C, msg_id: u16, payload: &[u8], _: &dyn HostView) -> Handling<C> {
        self.answer(conn, msg_id, payload)
    }

    fn refused(&mut self, token: Token) -> Output<C> {
        if let Some(Pending {
            conn,
            what: Waiting::Close { open_id },
        }) = self.pending.remove(&token.0)
        {
            if let Ok(o) = self.channel_open_any(conn, open_id) {
                o.closing = false;
            }
        }
        Vec::new()
    }

    fn delivered(&mut self, sender: NodeId, data: &[u8], _now: u64) -> Output<C> {
        let Ok(m) = EvtMsg::decode(data) else {
            return Vec::new();
        };
        let mine = sender == self.me;
        match m {
            EvtMsg::Open {
                nonce,
                proposed,
                name,
                create,
            } => {
                let r = self.store.open(sender, &name, create, proposed);
                if !mine {
                    return Vec::new();
                }
                match r {
                    Ok(id) => self.finish(nonce, status::OK, Some(id)),
                    Err(st) => self.finish(nonce, st, None),
                }
            }
            EvtMsg::Close { nonce, channel } => {
                self.store.close(sender, channel);
                if mine {
                    self.finish(nonce, status::OK, None)
                } else {
                    Vec::new()
                }
            }
            EvtMsg::Unlink { nonce, name } => {
                let r = self.store.unlink(&name);
                if mine {
                    self.finish(nonce, r.err().unwrap_or(status::OK), None)
                } else {
                    Vec::new()
                }
            }
            EvtMsg::Publish { channel, event } => {
                self.store.note_id(event.id);
                if !self.store.channels.contains_key(&channel) {
                    return Vec::new();
                }
                let event = Arc::new(event);
                self.store.retain(channel, event.clone());
                self.deliver_local(channel, &event)
            }
            EvtMsg::Clear {
                nonce,
                channel,
                event_id,
            } => {
                let r = self.store.clear(channel, event_id);
                if mine {
                    self.finish(nonce, r.err().unwrap_or(status::OK), None)
                } else {
                    Vec::new()
                }
            }
            EvtMsg::Channels(_) | EvtMsg::Retained(_) | EvtMsg::LastIds(_) => Vec::new(),
        }
    }

    fn replicated(&self) -> bool {
        true
    }

    /// What reads or changes the channels and the retained events waits for them to be
    /// synchronised; closes are held by the engine, the queue is local.
    fn needs_sync(&self, _conn: C, msg_id: u16, _payload: &[u8]) -> bool {
        matches!(
            msg_id,
            msg::OPEN | msg::OPEN_ASYNC | msg::UNLINK | msg::PUBLISH | msg::SUBSCRIBE | msg::CLEAR
        )
    }

    /// Every node reports the channels with its own opens; the retained events come from
    /// one member of each old ring (they hold the same), the lowest still present.
    fn sync_init(&mut self, round: &Round<'_>) -> Vec<Vec<u8>> {
        self.round = Some(Received::default());
        let mut pieces = vec![
            EvtMsg::Channels(self.store.report(self.me)).encode(),
            EvtMsg::LastIds(self.store.last_ids.iter().map(|(&n, &l)| (n, l)).collect()).encode(),
        ];
        let sender = round
            .old_members
            .iter()
            .filter(|n| round.members.contains(n))
            .min()
            .copied()
            .unwrap_or(self.me);
        if sender == self.me {
            pieces.extend(self.retained_pieces());
        }
        pieces
    }

    fn sync_receive(&mut self, sender: NodeId, piece: &[u8]) {
        let Some(r) = self.round.as_mut() else { return };
        match EvtMsg::decode(piece) {
            Ok(EvtMsg::Channels(list)) => r.reports.push((sender, list)),
            Ok(EvtMsg::Retained(list)) => r.events.extend(list),
            Ok(EvtMsg::LastIds(list)) => r.last_ids.extend(list),
            _ => {}
        }
    }

    /// The merge rule of saEvt(3) ([`Store::merged`]); ids this node assigned before
    /// (it may have restarted) are not assigned again.
    fn sync_activate(&mut self, _now: u64) -> Output<C> {
        let Some(r) = self.round.take() else {
            return Vec::new();
        };
        self.store = Store::merged(&r.reports, r.events, self.wall.now());
        for (node, last) in r.last_ids {
            self.store.note_id(u64::from(node) << 32 | last);
        }
        if let Some(&last) = self.store.last_ids.get(&self.me) {
            self.next_id = self.next_id.max(last + 1);
        }
        Vec::new()
    }

    fn sync_abort(&mut self) -> Held {
        self.round = None;
        Held::Apply
    }

    /// Retained events whose time is up leave the store.
    fn tick(&mut self, _now: u64) -> Output<C> {
        self.store.expire(self.wall.now());
        Vec::new()
    }

    fn next_deadline(&self, now: u64) -> Option<u64> {
        let left = self.store.next_expiry()?.saturating_sub(self.wall.now()).max(0);
        Some(now.saturating_add(left as u64))
    }

    fn digest(&self) -> Option<u64> {
        if self.round.is_some() {
            return None;
        }
        let wall = self.wall.now();
        Some(digest_of(|h| self.store.feed(h, wall)))
    }
}

impl<C: Copy + Eq + Hash + Send> EvtService<C> {
    fn channel_open_any(&mut self, conn: C, open_id: u32) -> Result<&mut ChannelOpen, u32> {
        self.conns
            .get_mut(&conn)
            .and_then(|c| c.opens.get_mut(&open_id))
            .ok_or(status::BAD_HANDLE)
    }
}
