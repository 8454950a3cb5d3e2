//! The event service's messages between `libSaEvt` and the executive (SA Forum AIS EVT
//! B.01.01 as openais shipped it, and B.03.01).
//!
//! The library keeps the handles, allocated events and what each channel handle was
//! opened for. It names each of its channel opens by an **open id** (`u32`, chosen by the
//! library, unique on its connection); every later request names it. Subscriptions are
//! `(open id, subscription id)`.
//!
//! Events are not pushed to the library: the executive queues each subscriber's events
//! (bounded, highest priority first) and sends one [`AVAILABLE`] callback while the queue
//! is not empty; the library's dispatch answers it with a [`NEXT`] request, whose reply is
//! the next event. A subscriber that stops reading therefore costs the executive its queue
//! and nothing more (saEvt(3), DELIVERY).
//!
//! | msg | request | response (on OK) |
//! |-----|---------|------------------|
//! | [`OPEN`] | [`Open`]: open id `u32`, name, flags `u8` | empty |
//! | [`OPEN_ASYNC`] | [`OpenAsync`]: invocation `u64`, then as OPEN | empty (accepted); then an [`OPENED`] callback |
//! | [`CLOSE`] | [`OpenId`] | empty |
//! | [`UNLINK`] | [`ChannelName`] | empty |
//! | [`PUBLISH`] | [`Publish`]: open id, [`Attributes`], data | [`EventId`] |
//! | [`SUBSCRIBE`] | [`Subscribe`]: open id, subscription id `u32`, filters | empty |
//! | [`UNSUBSCRIBE`] | [`SubscriptionRef`] | empty |
//! | [`CLEAR`] | [`Clear`]: open id, event id `u64` | empty |
//! | [`NEXT`] | [`Next`]: at most this many events `u32` | [`Deliveries`]: count `u32`, [`Delivery`]s (`NOT_EXIST`: the queue is empty) |
//!
//! Callbacks: [`AVAILABLE`] (empty payload), [`OPENED`] ([`Opened`]).
//!
//! Field encodings: little-endian ([`crate::codec`]); a name is `u16` length + at most 256
//! bytes, a pattern or data `u32` length + bytes, arrays a `u32` count then elements.

use crate::codec::{ByteOrder, DecodeError, EncodeError, Reader, Writer};
use crate::message::Message;

/// Request: [`Open`]. Response empty.
pub const OPEN: u16 = 1;
/// Request: [`OpenAsync`]. Response empty (accepted); the result comes as [`OPENED`].
pub const OPEN_ASYNC: u16 = 2;
/// Request: [`OpenId`]. Response empty.
pub const CLOSE: u16 = 3;
/// Request: [`ChannelName`]. Response empty.
pub const UNLINK: u16 = 4;
/// Request: [`Publish`]. Response: [`EventId`].
pub const PUBLISH: u16 = 5;
/// Request: [`Subscribe`]. Response empty.
pub const SUBSCRIBE: u16 = 6;
/// Request: [`SubscriptionRef`]. Response empty.
pub const UNSUBSCRIBE: u16 = 7;
/// Request: [`Clear`]. Response empty.
pub const CLEAR: u16 = 8;
/// Request: [`Next`]. Response: [`Deliveries`].
pub const NEXT: u16 = 9;
/// Callback, empty: events wait in the connection's queue.
pub const AVAILABLE: u16 = 101;
/// Callback: [`Opened`].
pub const OPENED: u16 = 102;

/// `SA_EVT_CHANNEL_PUBLISHER`.
pub const CHANNEL_PUBLISHER: u8 = 0x1;
/// `SA_EVT_CHANNEL_SUBSCRIBER`.
pub const CHANNEL_SUBSCRIBER: u8 = 0x2;
/// `SA_EVT_CHANNEL_CREATE`.
pub const CHANNEL_CREATE: u8 = 0x4;

/// `SA_EVT_HIGHEST_PRIORITY`.
pub const HIGHEST_PRIORITY: u8 = 0;
/// `SA_EVT_LOWEST_PRIORITY`.
pub const LOWEST_PRIORITY: u8 = 3;

/// `SA_EVT_EVENTID_NONE`: an allocated event not yet published.
pub const EVENTID_NONE: u64 = 0;
/// `SA_EVT_EVENTID_LOST`: the lost-event event.
pub const EVENTID_LOST: u64 = 1;
/// Ids up to this one are reserved (saEvt.h); published events have larger ones.
pub const EVENTID_RESERVED: u64 = 1000;
/// `SA_EVT_LOST_EVENT`: the pattern of the lost-event event.
pub const LOST_EVENT_PATTERN: &[u8] = b"SA_EVT_LOST_EVENT_PATTERN";

/// `SaEvtEventFilterTypeT`.
pub const PREFIX_FILTER: u32 = 1;
pub const SUFFIX_FILTER: u32 = 2;
pub const EXACT_FILTER: u32 = 3;
pub const PASS_ALL_FILTER: u32 = 4;

/// `SA_EVT_DATA_MAX_LEN`: the largest event data (saEvtLimitGet's SA_EVT_MAX_EVT_SIZE_ID).
pub const MAX_DATA: usize = 64 * 1024;
/// Channels the cluster holds at most (SA_EVT_MAX_NUM_CHANNELS_ID); a creation past it is
/// `SA_AIS_ERR_NO_RESOURCES`.
pub const MAX_CHANNELS: usize = 4096;
/// Bytes of one pattern or filter (SA_EVT_MAX_PATTERN_SIZE_ID).
pub const MAX_PATTERN_SIZE: usize = 1024;
/// Patterns of one event, filters of one subscription (SA_EVT_MAX_NUM_PATTERNS_ID).
pub const MAX_PATTERNS: usize = 256;
/// The longest retention time (SA_EVT_MAX_RETENTION_DURATION_ID), nanoseconds: one year.
pub const MAX_RETENTION: i64 = 366 * 24 * 3600 * 1_000_000_000;
/// Events the cluster retains at most, and their bytes (data and patterns); past
/// either a publish with a retention time is `SA_AIS_ERR_NO_RESOURCES`.
pub const MAX_RETAINED: usize = 1 << 16;
pub const MAX_RETAINED_BYTES: usize = 256 << 20;
/// Bytes (data and patterns) one subscriber's delivery queue holds at most, besides its
/// `delivery_queue_size` events: past it the queue overflows as when full.
pub const MAX_QUEUE_BYTES: usize = 16 << 20;
/// Channel opens one connection may hold.
pub const MAX_OPENS_PER_CONN: usize = 4096;
/// Events one NEXT answers at most, and the bytes of data after which it stops (it
/// always answers at least one).
pub const MAX_BATCH: u32 = 256;
pub const MAX_BATCH_BYTES: usize = 256 * 1024;
/// Subscriptions one connection may hold.
pub const MAX_SUBSCRIPTIONS_PER_CONN: usize = 4096;

fn put_patterns<O: ByteOrder>(w: &mut Writer<O>, patterns: &[Vec<u8>]) -> Result<(), EncodeError> {
    w.count(patterns.len())?;
    for p in patterns {
        w.blob(p)?;
    }
    Ok(())
}

fn get_patterns<O: ByteOrder>(r: &mut Reader<'_, O>) -> Result<Vec<Vec<u8>>, DecodeError> {
    let n = r.count(4)?;
    (0..n).map(|_| Ok(r.blob()?.to_vec())).collect()
}

/// `SaEvtEventAttributes` as a publisher sets them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Hash)]
pub struct Attributes {
    /// 0 (highest) to 3 (lowest).
    pub priority: u8,
    /// Nanoseconds the event is retained after its publish time (0: not retained).
    pub retention: i64,
    /// `SaNameT`, at most 256 bytes.
    pub publisher: Vec<u8>,
    pub patterns: Vec<Vec<u8>>,
}

impl Attributes {
    /// Writes them in either byte order (the cluster messages carry them too).
    pub fn write<O: ByteOrder>(&self, w: &mut Writer<O>) -> Result<(), EncodeError> {
        w.u8(self.priority).i64(self.retention);
        w.name(&self.publisher)?;
        put_patterns(w, &self.patterns)
    }

    /// Reads what [`Attributes::write`] wrote.
    pub fn read<O: ByteOrder>(r: &mut Reader<'_, O>) -> Result<Attributes, DecodeError> {
        Ok(Attributes {
            priority: r.u8()?,
            retention: r.i64()?,
            publisher: r.name()?.to_vec(),
            patterns: get_patterns(r)?,
        })
    }
}

/// A published event as subscribers see it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Hash)]
pub struct Event {
    pub id: u64,
    /// `SaTimeT` of the publishing executive when it took the publish.
    pub publish_time: i64,
    pub attributes: Attributes,
    pub data: Vec<u8>,
}

impl Event {
    pub fn write<O: ByteOrder>(&self, w: &mut Writer<O>) -> Result<(), EncodeError> {
        w.u64(self.id).i64(self.publish_time);
        self.attributes.write(w)?;
        w.blob(&self.data)?;
        Ok(())
    }

    pub fn read<O: ByteOrder>(r: &mut Reader<'_, O>) -> Result<Event, DecodeError> {
        Ok(Event {
            id: r.u64()?,
            publish_time: r.i64()?,
            attributes: Attributes::read(r)?,
            data: r.blob()?.to_vec(),
        })
    }

    /// What the event costs the executive to hold: its data and patterns.
    pub fn bytes(&self) -> usize {
        64 + self.data.len()
            + self.attributes.publisher.len()
            + self.attributes.patterns.iter().map(|p| p.len() + 24).sum::<usize>()
    }

    /// The lost-event event (saEvt.h): id `SA_EVT_EVENTID_LOST`, highest priority, the
    /// one pattern `SA_EVT_LOST_EVENT`.
    pub fn lost(publish_time: i64) -> Event {
        Event {
            id: EVENTID_LOST,
            publish_time,
            attributes: Attributes {
                priority: HIGHEST_PRIORITY,
                retention: 0,
                publisher: Vec::new(),
                patterns: vec![LOST_EVENT_PATTERN.to_vec()],
            },
            data: Vec::new(),
        }
    }
}

/// OPEN's request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Open {
    pub open_id: u32,
    pub name: Vec<u8>,
    pub flags: u8,
}

impl Message for Open {
    fn put(&self, w: &mut Writer) -> Result<(), EncodeError> {
        w.u32(self.open_id).name(&self.name)?.u8(self.flags);
        Ok(())
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Open {
            open_id: r.u32()?,
            name: r.name()?.to_vec(),
            flags: r.u8()?,
        })
    }
}

/// OPEN_ASYNC's request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenAsync {
    pub invocation: u64,
    pub open: Open,
}

impl Message for OpenAsync {
    fn put(&self, w: &mut Writer) -> Result<(), EncodeError> {
        w.u64(self.invocation);
        self.open.put(w)
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(OpenAsync {
            invocation: r.u64()?,
            open: Open::get(r)?,
        })
    }
}

/// The OPENED callback: the asynchronous open's invocation and open id; the status is
/// the header's and repeated here (the library passes it to the callback).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Opened {
    pub invocation: u64,
    pub open_id: u32,
    pub status: u32,
}

impl Message for Opened {
    fn put(&self, w: &mut Writer) -> Result<(), EncodeError> {
        w.u64(self.invocation).u32(self.open_id).u32(self.status);
        Ok(())
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Opened {
            invocation: r.u64()?,
            open_id: r.u32()?,
            status: r.u32()?,
        })
    }
}

/// CLOSE's request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenId(pub u32);

impl Message for OpenId {
    fn put(&self, w: &mut Writer) -> Result<(), EncodeError> {
        w.u32(self.0);
        Ok(())
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(OpenId(r.u32()?))
    }
}

/// UNLINK's request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelName(pub Vec<u8>);

impl Message for ChannelName {
    fn put(&self, w: &mut Writer) -> Result<(), EncodeError> {
        w.name(&self.0)?;
        Ok(())
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(ChannelName(r.name()?.to_vec()))
    }
}

/// PUBLISH's request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publish {
    pub open_id: u32,
    pub attributes: Attributes,
    pub data: Vec<u8>,
}

impl Message for Publish {
    fn put(&self, w: &mut Writer) -> Result<(), EncodeError> {
        w.u32(self.open_id);
        self.attributes.write(w)?;
        w.blob(&self.data)?;
        Ok(())
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Publish {
            open_id: r.u32()?,
            attributes: Attributes::read(r)?,
            data: r.blob()?.to_vec(),
        })
    }
}

/// PUBLISH's response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventId(pub u64);

impl Message for EventId {
    fn put(&self, w: &mut Writer) -> Result<(), EncodeError> {
        w.u64(self.0);
        Ok(())
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(EventId(r.u64()?))
    }
}

/// One `SaEvtEventFilterT`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Filter {
    /// `SaEvtEventFilterTypeT` as the caller gave it (checked by the executive).
    pub kind: u32,
    pub pattern: Vec<u8>,
}

impl Filter {
    /// Whether `pattern` passes this filter (SAI-AIS-EVT-B.01.01 3.3.3, the filter types).
    pub fn matches(&self, pattern: &[u8]) -> bool {
        match self.kind {
            PREFIX_FILTER => pattern.starts_with(&self.pattern),
            SUFFIX_FILTER => pattern.ends_with(&self.pattern),
            EXACT_FILTER => pattern == self.pattern.as_slice(),
            PASS_ALL_FILTER => true,
            _ => false,
        }
    }
}

/// Whether an event of `patterns` matches `filters`: each filter passes the pattern at its
/// index; an event with fewer patterns than the subscription has filters does not match
/// (openais's `event_match`).
pub fn matches(filters: &[Filter], patterns: &[Vec<u8>]) -> bool {
    filters.len() <= patterns.len() && filters.iter().zip(patterns).all(|(f, p)| f.matches(p))
}

/// SUBSCRIBE's request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscribe {
    pub open_id: u32,
    pub sub_id: u32,
    pub filters: Vec<Filter>,
}

impl Message for Subscribe {
    fn put(&self, w: &mut Writer) -> Result<(), EncodeError> {
        w.u32(self.open_id).u32(self.sub_id).count(self.filters.len())?;
        for f in &self.filters {
            w.u32(f.kind).blob(&f.pattern)?;
        }
        Ok(())
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let (open_id, sub_id) = (r.u32()?, r.u32()?);
        let n = r.count(8)?;
        let filters = (0..n)
            .map(|_| {
                Ok(Filter {
                    kind: r.u32()?,
                    pattern: r.blob()?.to_vec(),
                })
            })
            .collect::<Result<_, DecodeError>>()?;
        Ok(Subscribe {
            open_id,
            sub_id,
            filters,
        })
    }
}

/// UNSUBSCRIBE's request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubscriptionRef {
    pub open_id: u32,
    pub sub_id: u32,
}

impl Message for SubscriptionRef {
    fn put(&self, w: &mut Writer) -> Result<(), EncodeError> {
        w.u32(self.open_id).u32(self.sub_id);
        Ok(())
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(SubscriptionRef {
            open_id: r.u32()?,
            sub_id: r.u32()?,
        })
    }
}

/// CLEAR's request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clear {
    pub open_id: u32,
    pub event_id: u64,
}

impl Message for Clear {
    fn put(&self, w: &mut Writer) -> Result<(), EncodeError> {
        w.u32(self.open_id).u64(self.event_id);
        Ok(())
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Clear {
            open_id: r.u32()?,
            event_id: r.u64()?,
        })
    }
}

/// NEXT's response: one event for one subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub open_id: u32,
    pub sub_id: u32,
    pub event: Event,
}

impl Message for Delivery {
    fn put(&self, w: &mut Writer) -> Result<(), EncodeError> {
        w.u32(self.open_id).u32(self.sub_id);
        self.event.write(w)
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Delivery {
            open_id: r.u32()?,
            sub_id: r.u32()?,
            event: Event::read(r)?,
        })
    }
}

/// NEXT's request: how many events the library takes at once (1 for
/// `SA_DISPATCH_ONE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Next {
    pub max: u32,
}

impl Message for Next {
    fn put(&self, w: &mut Writer) -> Result<(), EncodeError> {
        w.u32(self.max);
        Ok(())
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Next { max: r.u32()? })
    }
}

/// NEXT's response: the next events in the order they leave the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deliveries(pub Vec<Delivery>);

impl Message for Deliveries {
    fn put(&self, w: &mut Writer) -> Result<(), EncodeError> {
        w.count(self.0.len())?;
        for d in &self.0 {
            d.put(w)?;
        }
        Ok(())
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        // A delivery takes at least 43 bytes (its fixed fields and lengths).
        let n = r.count(43)?;
        (0..n)
            .map(|_| Delivery::get(r))
            .collect::<Result<_, _>>()
            .map(Deliveries)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Encodes, decodes back, and checks that every cut and one byte more fail.
    fn round_trip<M: Message + PartialEq + std::fmt::Debug>(m: M) {
        let b = m.encode().unwrap();
        assert_eq!(M::decode(&b).unwrap(), m);
        for n in 0..b.len() {
            assert!(M::decode(&b[..n]).is_err(), "cut at {n}");
        }
        let mut long = b.clone();
        long.push(0);
        assert_eq!(M::decode(&long).unwrap_err(), DecodeError::Trailing(1));
    }

    fn attributes() -> Attributes {
        Attributes {
            priority: LOWEST_PRIORITY,
            retention: 5_000_000_000,
            publisher: b"pub".to_vec(),
            patterns: vec![b"a".to_vec(), Vec::new(), b"ccc".to_vec()],
        }
    }

    #[test]
    fn every_message_round_trips_and_refuses_cuts() {
        let open = Open {
            open_id: 3,
            name: b"chan".to_vec(),
            flags: CHANNEL_CREATE | CHANNEL_PUBLISHER,
        };
        round_trip(open.clone());
        round_trip(OpenAsync { invocation: 9, open });
        round_trip(Opened {
            invocation: 9,
            open_id: 3,
            status: 12,
        });
        round_trip(OpenId(7));
        round_trip(ChannelName(b"x".to_vec()));
        round_trip(Publish {
            open_id: 1,
            attributes: attributes(),
            data: vec![1, 2, 3],
        });
        round_trip(EventId(1 << 32 | 1001));
        round_trip(Subscribe {
            open_id: 1,
            sub_id: 2,
            filters: vec![
                Filter {
                    kind: PREFIX_FILTER,
                    pattern: b"a".to_vec(),
                },
                Filter {
                    kind: PASS_ALL_FILTER,
                    pattern: Vec::new(),
                },
            ],
        });
        round_trip(SubscriptionRef { open_id: 1, sub_id: 2 });
        round_trip(Clear {
            open_id: 1,
            event_id: 4096,
        });
        let d = Delivery {
            open_id: 1,
            sub_id: 2,
            event: Event {
                id: 77,
                publish_time: -1,
                attributes: attributes(),
                data: vec![0; 10],
            },
        };
        round_trip(d.clone());
        round_trip(Next { max: 64 });
        round_trip(Deliveries(vec![d.clone(), d]));
        round_trip(Deliveries(Vec::new()));
        assert_eq!(
            Delivery {
                open_id: 0,
                sub_id: 0,
                event: Event::default()
            }
            .encode()
            .unwrap()
            .len(),
            43,
            "the smallest delivery, as Deliveries' count check assumes"
        );
    }

    #[test]
    fn a_count_larger_than_the_payload_is_refused_before_allocating() {
        let mut w = Writer::new();
        w.u32(1).u32(2).u32(u32::MAX);
        assert!(matches!(
            Subscribe::decode(w.as_slice()),
            Err(DecodeError::CountTooLarge { .. })
        ));
    }

    /// saEvt.h: the reserved ids, the lost-event pattern, the filter types, the limits.
    #[test]
    fn the_constants_are_the_headers() {
        assert_eq!((EVENTID_NONE, EVENTID_LOST), (0, 1));
        assert_eq!(LOST_EVENT_PATTERN, b"SA_EVT_LOST_EVENT_PATTERN");
        assert_eq!(
            (PREFIX_FILTER, SUFFIX_FILTER, EXACT_FILTER, PASS_ALL_FILTER),
            (1, 2, 3, 4)
        );
        assert_eq!((CHANNEL_PUBLISHER, CHANNEL_SUBSCRIBER, CHANNEL_CREATE), (1, 2, 4));
        assert_eq!(MAX_DATA, 65536);
        let lost = Event::lost(5);
        assert_eq!((lost.id, lost.attributes.priority), (EVENTID_LOST, HIGHEST_PRIORITY));
    }

    /// SAI-AIS-EVT-B.01.01 3.3.3: prefix, suffix, exact and pass-all filters, each against
    /// the pattern at its index; more filters than patterns never match (openais).
    #[test]
    fn filters_match_the_pattern_at_their_index() {
        let f = |kind, p: &[u8]| Filter {
            kind,
            pattern: p.to_vec(),
        };
        let pats = vec![b"abcdef".to_vec(), b"xyz".to_vec()];
        assert!(matches(&[f(PREFIX_FILTER, b"abc"), f(SUFFIX_FILTER, b"yz")], &pats));
        assert!(!matches(&[f(PREFIX_FILTER, b"bc")], &pats));
        assert!(!matches(&[f(SUFFIX_FILTER, b"abc")], &pats));
        assert!(matches(&[f(EXACT_FILTER, b"abcdef")], &pats));
        assert!(!matches(&[f(EXACT_FILTER, b"abcde")], &pats));
        assert!(matches(&[f(PASS_ALL_FILTER, b"q"), f(EXACT_FILTER, b"xyz")], &pats));
        assert!(!matches(
            &[
                f(PASS_ALL_FILTER, b""),
                f(PASS_ALL_FILTER, b""),
                f(PASS_ALL_FILTER, b"")
            ],
            &pats
        ));
        assert!(matches(&[], &pats), "no filter passes everything");
        assert!(!matches(&[f(9, b"")], &pats), "an unknown type passes nothing");
        assert!(matches(&[f(PREFIX_FILTER, b"")], &pats), "the empty prefix");
    }
}
