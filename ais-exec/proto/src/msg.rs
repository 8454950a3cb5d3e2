//! The message service's messages between `libSaMsg` and the executive (MSG B.03.01).
//!
//! A queue is named by its `SaNameT` value in every request: the executive knows which
//! handle has it open, so the library's queue handle maps to (msg handle, name). Times
//! are `SaTimeT` nanoseconds (`CLOCK_REALTIME` for absolute ones).
//!
//! | msg | request | response |
//! |-----|---------|----------|
//! | [`OPEN`] | [`Open`] | empty (an async open: empty at once, then [`OPENED`]) |
//! | [`CLOSE`] | [`QueueName`] | empty |
//! | [`STATUS`] | [`QueueName`] | [`Status`] |
//! | [`RETENTION`] | [`Retention`] | empty |
//! | [`UNLINK`] | [`QueueName`] | empty |
//! | [`SEND`] | [`Send`] | empty (an async send: empty at once, then [`DELIVERED`] if asked) |
//! | [`GET`] | [`Get`] | [`Got`] (`SA_AIS_ERR_NO_SPACE`: [`Size`] of the head message) |
//! | [`CANCEL`] | [`QueueName`] | empty |
//! | [`LIMIT`] | limit id `u32` | [`Limit`] |
//!
//! Callbacks: [`OPENED`] ([`Opened`]), [`DELIVERED`] ([`Delivered`]), [`RECEIVED`]
//! ([`QueueName`]).

use crate::codec::{DecodeError, EncodeError, Reader, Writer};
pub use crate::message::Message;

/// Request: [`Open`].
pub const OPEN: u16 = 1;
/// Request: [`QueueName`].
pub const CLOSE: u16 = 2;
/// Request: [`QueueName`]. Response: [`Status`].
pub const STATUS: u16 = 3;
/// Request: [`Retention`].
pub const RETENTION: u16 = 4;
/// Request: [`QueueName`].
pub const UNLINK: u16 = 5;
/// Request: [`Send`].
pub const SEND: u16 = 6;
/// Request: [`Get`]. Response: [`Got`].
pub const GET: u16 = 7;
/// Request: [`QueueName`].
pub const CANCEL: u16 = 8;
/// Request: [`Limit`] (its value ignored). Response: [`Limit`].
pub const LIMIT: u16 = 9;
/// Callback: [`Opened`].
pub const OPENED: u16 = 101;
/// Callback: [`Delivered`].
pub const DELIVERED: u16 = 102;
/// Callback: [`QueueName`] of a queue opened with [`OPEN_RECEIVE_CALLBACK`].
pub const RECEIVED: u16 = 103;

/// `SA_MSG_QUEUE_PERSISTENT`.
pub const QUEUE_PERSISTENT: u32 = 0x1;
/// `SA_MSG_QUEUE_CREATE`.
pub const OPEN_CREATE: u32 = 0x1;
/// `SA_MSG_QUEUE_RECEIVE_CALLBACK`.
pub const OPEN_RECEIVE_CALLBACK: u32 = 0x2;
/// `SA_MSG_QUEUE_EMPTY`.
pub const OPEN_EMPTY: u32 = 0x4;
/// `SA_MSG_MESSAGE_DELIVERED_ACK`.
pub const DELIVERED_ACK: u32 = 0x1;
/// The priorities: 0 (`SA_MSG_MESSAGE_HIGHEST_PRIORITY`) to 3 (`..._LOWEST_PRIORITY`).
pub const PRIORITIES: usize = 4;

/// `SaMsgLimitIdT`.
pub const LIMIT_MAX_PRIORITY_AREA_SIZE: u32 = 1;
pub const LIMIT_MAX_QUEUE_SIZE: u32 = 2;
pub const LIMIT_MAX_NUM_QUEUES: u32 = 3;
pub const LIMIT_MAX_NUM_QUEUE_GROUPS: u32 = 4;
pub const LIMIT_MAX_NUM_QUEUES_PER_GROUP: u32 = 5;
pub const LIMIT_MAX_MESSAGE_SIZE: u32 = 6;
pub const LIMIT_MAX_REPLY_SIZE: u32 = 7;

/// The `SaAisErrorT` values this service answers beyond [`crate::status`].
pub mod err {
    pub const BUSY: u32 = 10;
    pub const BAD_OPERATION: u32 = 20;
    pub const NO_SPACE: u32 = 15;
    pub const INTERRUPT: u32 = 16;
    pub const QUEUE_FULL: u32 = 23;
}

/// The longest message data one send may carry: it travels in one cluster message.
pub const MAX_MESSAGE_SIZE: u64 = 256 * 1024;

/// `SaMsgQueueCreationAttributesT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Attributes {
    pub flags: u32,
    /// The size of each priority area, in bytes of message data.
    pub size: [u64; PRIORITIES],
    pub retention: i64,
}

impl Message for Attributes {
    fn put(&self, w: &mut Writer) -> Result<(), EncodeError> {
        w.u32(self.flags);
        for s in self.size {
            w.u64(s);
        }
        w.i64(self.retention);
        Ok(())
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let flags = r.u32()?;
        let mut size = [0; PRIORITIES];
        for s in &mut size {
            *s = r.u64()?;
        }
        Ok(Attributes {
            flags,
            size,
            retention: r.i64()?,
        })
    }
}

fn put_name(w: &mut Writer, n: &[u8]) -> Result<(), EncodeError> {
    w.name(n).map(drop)
}

fn opt_name(r: &mut Reader<'_>) -> Result<Option<Vec<u8>>, DecodeError> {
    Ok(if r.bool()? { Some(r.name()?.to_vec()) } else { None })
}

fn put_opt_name(w: &mut Writer, n: &Option<Vec<u8>>) -> Result<(), EncodeError> {
    w.bool(n.is_some());
    if let Some(n) = n {
        put_name(w, n)?;
    }
    Ok(())
}

/// OPEN's request. `invocation` is `Some` for `saMsgQueueOpenAsync`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Open {
    pub name: Vec<u8>,
    pub attributes: Option<Attributes>,
    pub flags: u32,
    pub invocation: Option<u64>,
}

impl Message for Open {
    fn put(&self, w: &mut Writer) -> Result<(), EncodeError> {
        put_name(w, &self.name)?;
        w.bool(self.attributes.is_some());
        if let Some(a) = &self.attributes {
            a.put(w)?;
        }
        w.u32(self.flags).bool(self.invocation.is_some());
        if let Some(i) = self.invocation {
            w.u64(i);
        }
        Ok(())
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let name = r.name()?.to_vec();
        let attributes = if r.bool()? { Some(Attributes::get(r)?) } else { None };
        let flags = r.u32()?;
        let invocation = if r.bool()? { Some(r.u64()?) } else { None };
        Ok(Open {
            name,
            attributes,
            flags,
            invocation,
        })
    }
}

/// A request naming one queue (CLOSE, STATUS, UNLINK, CANCEL) and the RECEIVED callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueName(pub Vec<u8>);

impl Message for QueueName {
    fn put(&self, w: &mut Writer) -> Result<(), EncodeError> {
        put_name(w, &self.0)
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(QueueName(r.name()?.to_vec()))
    }
}

/// `SaMsgQueueUsageT` of one priority area.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Usage {
    pub size: u64,
    pub used: u64,
    pub messages: u32,
}

/// STATUS's response: `SaMsgQueueStatusT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Status {
    pub flags: u32,
    pub retention: i64,
    pub close_time: i64,
    pub usage: [Usage; PRIORITIES],
}

impl Message for Status {
    fn put(&self, w: &mut Writer) -> Result<(), EncodeError> {
        w.u32(self.flags).i64(self.retention).i64(self.close_time);
        for u in &self.usage {
            w.u64(u.size).u64(u.used).u32(u.messages);
        }
        Ok(())
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let (flags, retention, close_time) = (r.u32()?, r.i64()?, r.i64()?);
        let mut usage = [Usage::default(); PRIORITIES];
        for u in &mut usage {
            *u = Usage {
                size: r.u64()?,
                used: r.u64()?,
                messages: r.u32()?,
            };
        }
        Ok(Status {
            flags,
            retention,
            close_time,
            usage,
        })
    }
}

/// RETENTION's request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retention {
    pub name: Vec<u8>,
    pub retention: i64,
}

impl Message for Retention {
    fn put(&self, w: &mut Writer) -> Result<(), EncodeError> {
        put_name(w, &self.name)?;
        w.i64(self.retention);
        Ok(())
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Retention {
            name: r.name()?.to_vec(),
            retention: r.i64()?,
        })
    }
}

/// `SaMsgMessageT` as it travels: the data itself instead of its pointer and size.
#[derive(Debug, Clone, PartialEq, Eq, Default, Hash)]
pub struct Body {
    pub r#type: u32,
    pub version: u32,
    pub priority: u8,
    pub sender_name: Option<Vec<u8>>,
    pub data: Vec<u8>,
}

impl Message for Body {
    fn put(&self, w: &mut Writer) -> Result<(), EncodeError> {
        w.u32(self.r#type).u32(self.version).u8(self.priority);
        put_opt_name(w, &self.sender_name)?;
        w.blob(&self.data)?;
        Ok(())
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Body {
            r#type: r.u32()?,
            version: r.u32()?,
            priority: r.u8()?,
            sender_name: opt_name(r)?,
            data: r.blob()?.to_vec(),
        })
    }
}

/// SEND's request. `invocation` is `Some` for `saMsgMessageSendAsync` (with its
/// `ackFlags`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Send {
    pub destination: Vec<u8>,
    pub invocation: Option<(u64, u32)>,
    pub body: Body,
}

impl Message for Send {
    fn put(&self, w: &mut Writer) -> Result<(), EncodeError> {
        put_name(w, &self.destination)?;
        w.bool(self.invocation.is_some());
        if let Some((i, f)) = self.invocation {
            w.u64(i).u32(f);
        }
        self.body.put(w)
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let destination = r.name()?.to_vec();
        let invocation = if r.bool()? { Some((r.u64()?, r.u32()?)) } else { None };
        Ok(Send {
            destination,
            invocation,
            body: Body::get(r)?,
        })
    }
}

/// GET's request: the queue, the longest data the caller takes (`u64::MAX` when the
/// library allocates the buffer) and the timeout (`SaTimeT`, `i64::MAX` for ever).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Get {
    pub name: Vec<u8>,
    pub room: u64,
    pub timeout: i64,
}

impl Message for Get {
    fn put(&self, w: &mut Writer) -> Result<(), EncodeError> {
        put_name(w, &self.name)?;
        w.u64(self.room).i64(self.timeout);
        Ok(())
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Get {
            name: r.name()?.to_vec(),
            room: r.u64()?,
            timeout: r.i64()?,
        })
    }
}

/// GET's response: the message, its send time and its sender id (0: not sent by
/// `saMsgMessageSendReceive`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Got {
    pub send_time: i64,
    pub sender_id: u64,
    pub body: Body,
}

impl Message for Got {
    fn put(&self, w: &mut Writer) -> Result<(), EncodeError> {
        w.i64(self.send_time).u64(self.sender_id);
        self.body.put(w)
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Got {
            send_time: r.i64()?,
            sender_id: r.u64()?,
            body: Body::get(r)?,
        })
    }
}

/// GET's response with `SA_AIS_ERR_NO_SPACE`: the size of the message that did not fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size(pub u64);

impl Message for Size {
    fn put(&self, w: &mut Writer) -> Result<(), EncodeError> {
        w.u64(self.0);
        Ok(())
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Size(r.u64()?))
    }
}

/// LIMIT's request and response: a `SaMsgLimitIdT` and its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub id: u32,
    pub value: u64,
}

impl Message for Limit {
    fn put(&self, w: &mut Writer) -> Result<(), EncodeError> {
        w.u32(self.id).u64(self.value);
        Ok(())
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Limit {
            id: r.u32()?,
            value: r.u64()?,
        })
    }
}

/// The OPENED callback of `saMsgQueueOpenAsync`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Opened {
    pub invocation: u64,
    pub error: u32,
}

/// The DELIVERED callback of `saMsgMessageSendAsync` with `SA_MSG_MESSAGE_DELIVERED_ACK`.
pub type Delivered = Opened;

impl Message for Opened {
    fn put(&self, w: &mut Writer) -> Result<(), EncodeError> {
        w.u64(self.invocation).u32(self.error);
        Ok(())
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Opened {
            invocation: r.u64()?,
            error: r.u32()?,
        })
    }
}

/// One valid encoding of every payload, the fuzz target's seeds.
pub fn samples() -> Vec<Vec<u8>> {
    let a = Attributes {
        flags: QUEUE_PERSISTENT,
        size: [1, 2, 3, 4],
        retention: 5,
    };
    let body = Body {
        r#type: 1,
        version: 2,
        priority: 3,
        sender_name: Some(b"me".to_vec()),
        data: b"hello".to_vec(),
    };
    let mut usage = [Usage::default(); PRIORITIES];
    usage[1] = Usage {
        size: 9,
        used: 8,
        messages: 7,
    };
    let all: Vec<Result<Vec<u8>, EncodeError>> = vec![
        a.encode(),
        Open {
            name: b"q".to_vec(),
            attributes: Some(a),
            flags: OPEN_CREATE,
            invocation: Some(3),
        }
        .encode(),
        QueueName(b"q".to_vec()).encode(),
        Status {
            flags: 1,
            retention: 2,
            close_time: 3,
            usage,
        }
        .encode(),
        Retention {
            name: b"q".to_vec(),
            retention: 1,
        }
        .encode(),
        Send {
            destination: b"q".to_vec(),
            invocation: Some((1, DELIVERED_ACK)),
            body: body.clone(),
        }
        .encode(),
        Get {
            name: b"q".to_vec(),
            room: 10,
            timeout: -1,
        }
        .encode(),
        Got {
            send_time: 1,
            sender_id: 0,
            body,
        }
        .encode(),
        Size(3).encode(),
        Limit { id: 1, value: 2 }.encode(),
        Opened {
            invocation: 1,
            error: 1,
        }
        .encode(),
    ];
    all.into_iter().filter_map(Result::ok).collect()
}

/// The `service_decode` fuzz body's part: every payload that decodes re-encodes to its
/// bytes.
pub fn fuzz_decode(data: &[u8]) {
    fn same<M: Message>(data: &[u8], what: &str) {
        if let Ok(m) = M::decode(data) {
            assert_eq!(m.encode().ok().as_deref(), Some(data), "MSG {what} re-encoding differs");
        }
    }
    same::<Attributes>(data, "attributes");
    same::<Open>(data, "open");
    same::<QueueName>(data, "queue name");
    same::<Status>(data, "status");
    same::<Retention>(data, "retention");
    same::<Body>(data, "body");
    same::<Send>(data, "send");
    same::<Get>(data, "get");
    same::<Got>(data, "got");
    same::<Size>(data, "size");
    same::<Limit>(data, "limit");
    same::<Opened>(data, "opened");
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::message::round_trip;

    #[test]
    fn every_message_round_trips_and_refuses_cuts() {
        let a = Attributes {
            flags: 0,
            size: [u64::MAX, 0, 7, 1 << 40],
            retention: i64::MIN,
        };
        round_trip(a);
        for (attributes, invocation) in [(Some(a), None), (None, Some(u64::MAX))] {
            round_trip(Open {
                name: vec![b'n'; 256],
                attributes,
                flags: OPEN_CREATE | OPEN_EMPTY,
                invocation,
            });
        }
        round_trip(QueueName(b"safMq=q".to_vec()));
        round_trip(Status {
            flags: QUEUE_PERSISTENT,
            retention: 1,
            close_time: -1,
            usage: [Usage {
                size: 1,
                used: 2,
                messages: 3,
            }; PRIORITIES],
        });
        round_trip(Retention {
            name: b"q".to_vec(),
            retention: 0,
        });
        let body = Body {
            r#type: 7,
            version: 8,
            priority: 3,
            sender_name: None,
            data: vec![0; 1000],
        };
        round_trip(body.clone());
        round_trip(Send {
            destination: b"q".to_vec(),
            invocation: None,
            body: body.clone(),
        });
        round_trip(Get {
            name: b"q".to_vec(),
            room: u64::MAX,
            timeout: i64::MAX,
        });
        round_trip(Got {
            send_time: 5,
            sender_id: 6,
            body,
        });
        round_trip(Size(1));
        round_trip(Limit { id: 7, value: 8 });
        round_trip(Opened {
            invocation: 9,
            error: 10,
        });
        for s in samples() {
            fuzz_decode(&s);
        }
    }

    /// saMsg.h (SAI-AIS-MSG-B.03.01): the flag, priority and limit id values.
    #[test]
    fn the_constants_are_the_headers() {
        assert_eq!(
            (QUEUE_PERSISTENT, OPEN_CREATE, OPEN_RECEIVE_CALLBACK, OPEN_EMPTY),
            (1, 1, 2, 4)
        );
        assert_eq!((DELIVERED_ACK, PRIORITIES), (1, 4));
        assert_eq!((LIMIT_MAX_PRIORITY_AREA_SIZE, LIMIT_MAX_REPLY_SIZE), (1, 7));
        assert_eq!(
            (err::BUSY, err::NO_SPACE, err::INTERRUPT, err::QUEUE_FULL),
            (10, 15, 16, 23)
        );
    }

    #[test]
    fn an_oversized_name_is_refused_both_ways() {
        assert!(QueueName(vec![0; 257]).encode().is_err());
        let mut w = Writer::new();
        w.u16(257).bytes(&[0; 257]);
        assert!(QueueName::decode(w.as_slice()).is_err());
    }
}
