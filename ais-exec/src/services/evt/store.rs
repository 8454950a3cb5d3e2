//! The replicated state of the event service: the channels (name, unlinked, every
//! node's open count) and the retained events. Every node applies the same ordered
//! changes to it, so every member holds the same store; nothing here is local to a node
//! and nothing reads a clock (times are passed in).

use super::wire::ChannelReport;
use crate::services::contract::NodeId;
use ais_proto::evt::{Event, MAX_CHANNELS, MAX_RETAINED, MAX_RETAINED_BYTES};
use ais_proto::status;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::Hash;
use std::sync::Arc;

/// One channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Channel {
    pub name: Vec<u8>,
    /// saEvtChannelUnlink was called: the name is free for a new channel; the openers
    /// keep using this one until the last closes it, and then it is gone.
    pub unlinked: bool,
    /// Opens per node, each counted by the node its handle is on.
    pub opens: BTreeMap<NodeId, u32>,
}

impl Channel {
    fn open_count(&self) -> u64 {
        self.opens.values().map(|&n| u64::from(n)).sum()
    }
}

/// A retained event: its channel, when it expires (`SaTimeT`) and its place in the
/// store's order.
#[derive(Debug, Clone)]
pub struct Retained {
    pub channel: u64,
    pub event: Arc<Event>,
    pub expires: i64,
    seq: u64,
}

/// When an event published at `publish_time` with `retention` expires.
pub fn expiry(e: &Event) -> i64 {
    e.publish_time.saturating_add(e.attributes.retention)
}

#[derive(Default)]
pub struct Store {
    pub channels: BTreeMap<u64, Channel>,
    /// The channel each name opens (unlinked channels are not here).
    by_name: HashMap<Vec<u8>, u64>,
    pub retained: BTreeMap<u64, Retained>,
    /// (expiry, event id), earliest first.
    expiry: BTreeSet<(i64, u64)>,
    /// The retained events in the order they were retained: the agreed order of their
    /// publishes, or of the pieces a sync round merged. A new subscription receives
    /// them in it, so its order agrees with that of subscribers that saw them published
    /// (publish times come from several clocks and may disagree with it).
    order: BTreeMap<u64, u64>,
    next_seq: u64,
    /// The highest id counter each node has used, as far as the cluster saw (openais's
    /// EVT_SET_ID_OP): a node that comes back moves its counter past it.
    pub last_ids: BTreeMap<NodeId, u64>,
    /// What the retained events hold ([`Event::bytes`]).
    retained_bytes: usize,
}

impl Store {
    /// Notes a channel or event id a node assigned.
    pub fn note_id(&mut self, id: u64) {
        let (node, low) = ((id >> 32) as NodeId, id & 0xffff_ffff);
        let last = self.last_ids.entry(node).or_default();
        *last = (*last).max(low);
    }

    /// An open from `node`: the named channel, created as `proposed` if `create` and it
    /// does not exist (NOT_EXIST otherwise; NO_RESOURCES past [`MAX_CHANNELS`]).
    pub fn open(&mut self, node: NodeId, name: &[u8], create: bool, proposed: u64) -> Result<u64, u32> {
        self.note_id(proposed);
        let id = match self.by_name.get(name) {
            Some(&id) => id,
            None if !create => return Err(status::NOT_EXIST),
            None if self.channels.len() >= MAX_CHANNELS || self.channels.contains_key(&proposed) => {
                return Err(status::NO_RESOURCES)
            }
            None => {
                self.channels.insert(
                    proposed,
                    Channel {
                        name: name.to_vec(),
                        unlinked: false,
                        opens: BTreeMap::new(),
                    },
                );
                self.by_name.insert(name.to_vec(), proposed);
                proposed
            }
        };
        if let Some(c) = self.channels.get_mut(&id) {
            *c.opens.entry(node).or_default() += 1;
        }
        Ok(id)
    }

    /// A close from `node`: an unlinked channel goes with its last open.
    pub fn close(&mut self, node: NodeId, id: u64) {
        let Some(c) = self.channels.get_mut(&id) else { return };
        if let Some(n) = c.opens.get_mut(&node) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                c.opens.remove(&node);
            }
        }
        self.collect(id);
    }

    /// saEvtChannelUnlink: the name's channel is unlinked (NOT_EXIST if none).
    pub fn unlink(&mut self, name: &[u8]) -> Result<(), u32> {
        let id = self.by_name.remove(name).ok_or(status::NOT_EXIST)?;
        if let Some(c) = self.channels.get_mut(&id) {
            c.unlinked = true;
        }
        self.collect(id);
        Ok(())
    }

    /// Removes channel `id` if it is unlinked and nobody has it open, with its events.
    fn collect(&mut self, id: u64) {
        if self
            .channels
            .get(&id)
            .is_some_and(|c| c.unlinked && c.open_count() == 0)
        {
            self.channels.remove(&id);
            let gone: Vec<u64> = self
                .retained
                .iter()
                .filter(|(_, r)| r.channel == id)
                .map(|(&e, _)| e)
                .collect();
            for e in gone {
                self.remove_event(e);
            }
        }
    }

    /// Whether one more event of `bytes` can be retained.
    pub fn has_room(&self, bytes: usize) -> bool {
        self.retained.len() < MAX_RETAINED && self.retained_bytes + bytes <= MAX_RETAINED_BYTES
    }

    /// Keeps a published event with a retention time (if there is room, decided alike
    /// everywhere).
    pub fn retain(&mut self, channel: u64, event: Arc<Event>) {
        self.note_id(event.id);
        if event.attributes.retention <= 0
            || !self.has_room(event.bytes())
            || !self.channels.contains_key(&channel)
            || self.retained.contains_key(&event.id)
        {
            return;
        }
        self.retained_bytes += event.bytes();
        let expires = expiry(&event);
        let seq = self.next_seq;
        self.next_seq += 1;
        self.expiry.insert((expires, event.id));
        self.order.insert(seq, event.id);
        self.retained.insert(
            event.id,
            Retained {
                channel,
                event,
                expires,
                seq,
            },
        );
    }

    fn remove_event(&mut self, id: u64) -> bool {
        match self.retained.remove(&id) {
            Some(r) => {
                self.expiry.remove(&(r.expires, id));
                self.order.remove(&r.seq);
                self.retained_bytes -= r.event.bytes();
                true
            }
            None => false,
        }
    }

    /// saEvtEventRetentionTimeClear: NOT_EXIST unless the event is retained on `channel`.
    pub fn clear(&mut self, channel: u64, event_id: u64) -> Result<(), u32> {
        match self.retained.get(&event_id) {
            Some(r) if r.channel == channel => {
                self.remove_event(event_id);
                Ok(())
            }
            _ => Err(status::NOT_EXIST),
        }
    }

    /// Drops the events whose retention ended by `wall`.
    pub fn expire(&mut self, wall: i64) {
        while let Some(&(t, id)) = self.expiry.first() {
            if t > wall {
                break;
            }
            self.remove_event(id);
        }
    }

    /// The earliest expiry.
    pub fn next_expiry(&self) -> Option<i64> {
        self.expiry.first().map(|&(t, _)| t)
    }

    /// Every retained event in the store's order.
    pub fn in_order(&self) -> impl Iterator<Item = &Retained> {
        self.order.values().filter_map(|id| self.retained.get(id))
    }

    /// The retained events of `channel`, in the store's order.
    pub fn retained_on(&self, channel: u64) -> Vec<Arc<Event>> {
        self.in_order()
            .filter(|r| r.channel == channel)
            .map(|r| r.event.clone())
            .collect()
    }

    /// This node's report of the channels for a sync round: every channel it knows, with
    /// its own opens.
    pub fn report(&self, me: NodeId) -> Vec<ChannelReport> {
        self.channels
            .iter()
            .map(|(&id, c)| ChannelReport {
                id,
                name: c.name.clone(),
                unlinked: c.unlinked,
                opens: c.opens.get(&me).copied().unwrap_or(0),
            })
            .collect()
    }

    /// The merge of a sync round (saEvt(3), MERGE): the channels every member reported,
    /// each node's opens as that node reported them (so a node that left takes its opens
    /// with it); a channel unlinked on either side stays unlinked; of two live channels
    /// of one name the lower id keeps the name and the other is unlinked; the retained
    /// events are the union of what was reported, less those expired by `wall`.
    pub fn merged(reports: &[(NodeId, Vec<ChannelReport>)], events: Vec<(u64, Event)>, wall: i64) -> Store {
        let mut s = Store::default();
        for (node, list) in reports {
            for r in list {
                let c = s.channels.entry(r.id).or_insert_with(|| Channel {
                    name: r.name.clone(),
                    unlinked: r.unlinked,
                    opens: BTreeMap::new(),
                });
                c.unlinked |= r.unlinked;
                if r.opens > 0 {
                    c.opens.insert(*node, r.opens);
                }
            }
        }
        for (&id, c) in s.channels.iter_mut() {
            if c.unlinked {
                continue;
            }
            match s.by_name.get(&c.name) {
                // Ids ascend: the first of a name keeps it.
                Some(_) => c.unlinked = true,
                None => {
                    s.by_name.insert(c.name.clone(), id);
                }
            }
        }
        let ids: Vec<u64> = s.channels.keys().copied().collect();
        for (ch, e) in events {
            if !s.retained.contains_key(&e.id) && expiry(&e) > wall {
                s.retain(ch, Arc::new(e));
            }
        }
        for id in ids {
            s.collect(id);
        }
        s
    }

    /// A digest of what every member holds alike: the channels and the retained events
    /// not expired by `wall`.
    pub fn feed(&self, h: &mut impl std::hash::Hasher, wall: i64) {
        for (id, c) in &self.channels {
            (id, &c.name, c.unlinked, &c.opens).hash(h);
        }
        for r in self.in_order() {
            if r.expires > wall {
                (r.channel, &*r.event).hash(h);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ais_proto::evt::Attributes;

    fn event(id: u64, t: i64, retention: i64) -> Event {
        Event {
            id,
            publish_time: t,
            attributes: Attributes {
                retention,
                ..Attributes::default()
            },
            data: Vec::new(),
        }
    }

    /// SAI-AIS-EVT-B.01.01 3.5.3 (saEvtChannelUnlink): the openers keep the channel;
    /// the name is free for a new channel at once; the unlinked channel goes with its
    /// last close, and its retained events with it.
    #[test]
    fn an_unlinked_channel_lives_until_its_last_close_and_the_name_is_free() {
        let mut s = Store::default();
        assert_eq!(s.open(1, b"a", false, 10), Err(status::NOT_EXIST));
        assert_eq!(s.open(1, b"a", true, 10), Ok(10));
        assert_eq!(s.open(2, b"a", false, 11), Ok(10));
        s.retain(10, Arc::new(event(2000, 0, 100)));
        assert_eq!(s.unlink(b"a"), Ok(()));
        assert_eq!(s.unlink(b"a"), Err(status::NOT_EXIST));
        assert_eq!(s.open(1, b"a", false, 12), Err(status::NOT_EXIST));
        assert_eq!(s.open(1, b"a", true, 12), Ok(12), "a new channel of that name");
        s.close(1, 10);
        assert!(s.channels.contains_key(&10), "node 2 still has it open");
        assert_eq!(s.retained.len(), 1);
        s.close(2, 10);
        assert!(!s.channels.contains_key(&10));
        assert!(s.retained.is_empty());
        s.close(1, 12);
        assert!(s.channels.contains_key(&12), "a linked channel stays with no opener");
    }

    /// Retention is counted from the publish time (3.6.1 retentionTime); clear removes.
    #[test]
    fn retained_events_expire_from_their_publish_time_or_are_cleared() {
        let mut s = Store::default();
        s.open(1, b"a", true, 10).unwrap();
        s.retain(10, Arc::new(event(2000, 100, 50)));
        s.retain(10, Arc::new(event(2001, 120, 50)));
        s.retain(10, Arc::new(event(2002, 120, 0)));
        assert_eq!(s.retained.len(), 2, "no retention time: not kept");
        assert_eq!(s.next_expiry(), Some(150));
        s.expire(149);
        assert_eq!(s.retained.len(), 2);
        s.expire(150);
        assert_eq!(s.retained.keys().copied().collect::<Vec<_>>(), vec![2001]);
        assert_eq!(s.clear(11, 2001), Err(status::NOT_EXIST), "another channel");
        assert_eq!(s.clear(10, 2001), Ok(()));
        assert_eq!(s.clear(10, 2001), Err(status::NOT_EXIST));
        assert_eq!(s.next_expiry(), None);
    }

    /// The retained events are bounded in count and in bytes; what is not retained
    /// because of it is decided alike on every node (the same store, the same sizes).
    #[test]
    fn retention_is_bounded_in_bytes() {
        let mut s = Store::default();
        s.open(1, b"a", true, 10).unwrap();
        let mut e = event(2000, 0, 100);
        e.data = vec![0; 60 * 1024];
        let each = e.bytes();
        let fits = ais_proto::evt::MAX_RETAINED_BYTES / each;
        for i in 0..fits as u64 + 5 {
            let mut x = e.clone();
            x.id = 2000 + i;
            s.retain(10, Arc::new(x));
        }
        assert_eq!(s.retained.len(), fits);
        assert!(!s.has_room(each));
        s.clear(10, 2000).unwrap();
        assert!(s.has_room(each), "a clear gives the room back");
    }

    /// A new subscription gets the retained events in the agreed order of their
    /// publishes, the order earlier subscribers saw, not by their publishers' clocks.
    #[test]
    fn retained_events_keep_the_agreed_order() {
        let mut s = Store::default();
        s.open(1, b"a", true, 10).unwrap();
        s.retain(10, Arc::new(event(3000, 600, 50)));
        s.retain(10, Arc::new(event(2000, 500, 50)));
        s.retain(10, Arc::new(event(4000, 550, 50)));
        s.clear(10, 3000).unwrap();
        s.retain(10, Arc::new(event(3000, 400, 50)));
        let ids: Vec<u64> = s.retained_on(10).iter().map(|e| e.id).collect();
        assert_eq!(ids, vec![2000, 4000, 3000]);
        let merged = Store::merged(&[], s.in_order().map(|r| (10, (*r.event).clone())).collect(), 0);
        assert!(merged.retained.is_empty(), "no channel reported: nothing kept");
    }

    /// saEvt(3) MERGE: opens as each node reports them, unlinked on either side stays
    /// unlinked, one live channel per name (the lower id), union of retained events.
    #[test]
    fn the_merge_keeps_reported_opens_and_one_live_channel_per_name() {
        let r = |id, name: &[u8], unlinked, opens| ChannelReport {
            id,
            name: name.to_vec(),
            unlinked,
            opens,
        };
        let reports = vec![
            (1, vec![r(10, b"a", false, 1), r(20, b"b", true, 1)]),
            (
                2,
                vec![r(10, b"a", false, 0), r(11, b"a", false, 2), r(30, b"c", true, 0)],
            ),
        ];
        let events = vec![
            (10, event(2000, 0, 100)),
            (10, event(2000, 0, 100)),
            (11, event(2001, 0, 5)),
        ];
        let s = Store::merged(&reports, events, 10);
        assert_eq!(s.channels[&10].opens, BTreeMap::from([(1, 1)]));
        assert!(!s.channels[&10].unlinked);
        assert!(s.channels[&11].unlinked, "the higher id of a name is unlinked");
        assert!(s.channels[&20].unlinked);
        assert!(!s.channels.contains_key(&30), "unlinked and not open: gone");
        assert_eq!(s.retained.len(), 1, "duplicates once, expired ones not at all");
        assert_eq!(s.by_name.get(&b"a"[..]), Some(&10));
    }
}
