//! The message service (MSG B.03.01): cluster-wide message queues kept by the
//! executives, one opener at a time, their messages replicated on every node.
//!
//! Queues are named by their `SaNameT` value. Times are `SaTimeT` nanoseconds.
//! Callbacks (async open, delivered acknowledgements, received messages) come
//! through [`Msg::dispatch`].

use ais_proto::msg as m;
use ais_proto::{AisVersion, Message, ServiceId};
use std::time::Duration;

pub use ais_proto::msg::{Attributes, Body, Got, Limit, Status, Usage};

use crate::runtime::{Connection, DispatchMode, OpenError, SocketName, DEFAULT_HANDSHAKE_TIMEOUT};
use crate::Error;

/// The version the executive's MSG service implements (openais granted B.03.01).
pub const VERSION: AisVersion = AisVersion::new(b'B', 3, 1);

/// A callback of the message service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// `saMsgQueueOpenAsync`'s answer: its invocation and error.
    Opened { invocation: u64, error: Option<Error> },
    /// `saMsgMessageSendAsync`'s delivered acknowledgement.
    Delivered { invocation: u64, error: Option<Error> },
    /// A message arrived in a queue opened with `SA_MSG_QUEUE_RECEIVE_CALLBACK`.
    Received { queue: Vec<u8> },
}

/// What a get returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    Message(Got),
    /// The caller's room was too small for the head message: its size (the message
    /// stays in the queue; `SA_AIS_ERR_NO_SPACE`).
    TooSmall(u64),
}

/// One handle of the message service. It derefs to its [`Connection`]; dropping it
/// finalizes it, and the executive closes the queues it had open.
pub struct Msg {
    conn: Connection,
}

fn encoded<M: Message>(x: &M) -> Result<Vec<u8>, Error> {
    x.encode().map_err(|_| Error::InvalidParam)
}

/// `SaTimeT` nanoseconds as a wait: negative is none, `i64::MAX` for ever.
fn wait_of(timeout: i64) -> Option<Duration> {
    (timeout < i64::MAX).then(|| Duration::from_nanos(timeout.max(0) as u64))
}

impl Msg {
    /// Opens a handle on the executive `AIS_IPC_SOCKET` names (default `@ais`).
    pub fn open() -> Result<Msg, OpenError> {
        Ok(Msg {
            conn: Connection::open(ServiceId::MSG, VERSION)?,
        })
    }

    /// Opens a handle on `socket`.
    pub fn open_at(socket: &SocketName) -> Result<Msg, OpenError> {
        Ok(Msg {
            conn: Connection::open_at(socket, ServiceId::MSG, VERSION, DEFAULT_HANDSHAKE_TIMEOUT)?,
        })
    }

    fn call(&self, id: u16, payload: &[u8], timeout: Option<Duration>) -> Result<Vec<u8>, Error> {
        self.conn.call(id, payload, timeout)?.ok()
    }

    fn named(&self, id: u16, queue: &[u8]) -> Result<(), Error> {
        self.call(id, &encoded(&m::QueueName(queue.to_vec()))?, None).map(drop)
    }

    /// Opens (or creates, with `attributes` and `OPEN_CREATE`) a queue, waiting at most
    /// `timeout` nanoseconds.
    pub fn queue_open(
        &self,
        queue: &[u8],
        attributes: Option<Attributes>,
        flags: u32,
        timeout: i64,
    ) -> Result<(), Error> {
        let req = m::Open {
            name: queue.to_vec(),
            attributes,
            flags,
            invocation: None,
        };
        self.call(m::OPEN, &encoded(&req)?, wait_of(timeout)).map(drop)
    }

    /// Opens a queue; the answer comes as [`Event::Opened`] with `invocation`.
    pub fn queue_open_async(
        &self,
        invocation: u64,
        queue: &[u8],
        attributes: Option<Attributes>,
        flags: u32,
    ) -> Result<(), Error> {
        let req = m::Open {
            name: queue.to_vec(),
            attributes,
            flags,
            invocation: Some(invocation),
        };
        self.call(m::OPEN, &encoded(&req)?, None).map(drop)
    }

    /// Closes a queue this handle opened; it keeps its messages.
    pub fn queue_close(&self, queue: &[u8]) -> Result<(), Error> {
        self.named(m::CLOSE, queue)
    }

    pub fn queue_status(&self, queue: &[u8]) -> Result<Status, Error> {
        let p = self.call(m::STATUS, &encoded(&m::QueueName(queue.to_vec()))?, None)?;
        Status::decode(&p).map_err(|_| Error::Library)
    }

    pub fn queue_retention_set(&self, queue: &[u8], retention: i64) -> Result<(), Error> {
        let req = m::Retention {
            name: queue.to_vec(),
            retention,
        };
        self.call(m::RETENTION, &encoded(&req)?, None).map(drop)
    }

    pub fn queue_unlink(&self, queue: &[u8]) -> Result<(), Error> {
        self.named(m::UNLINK, queue)
    }

    /// Sends a message and waits (at most `timeout`) until it is in the queue.
    pub fn send(&self, destination: &[u8], body: Body, timeout: i64) -> Result<(), Error> {
        let req = m::Send {
            destination: destination.to_vec(),
            invocation: None,
            body,
        };
        self.call(m::SEND, &encoded(&req)?, wait_of(timeout)).map(drop)
    }

    /// Sends a message without waiting; with `DELIVERED_ACK` in `ack_flags` the outcome
    /// comes as [`Event::Delivered`].
    pub fn send_async(&self, invocation: u64, destination: &[u8], body: Body, ack_flags: u32) -> Result<(), Error> {
        let req = m::Send {
            destination: destination.to_vec(),
            invocation: Some((invocation, ack_flags)),
            body,
        };
        self.call(m::SEND, &encoded(&req)?, None).map(drop)
    }

    /// Takes the next message of a queue this handle opened (highest priority first),
    /// waiting up to `timeout` nanoseconds for one; `room`: the largest data the
    /// caller takes.
    pub fn get(&self, queue: &[u8], room: u64, timeout: i64) -> Result<Fetched, Error> {
        let req = m::Get {
            name: queue.to_vec(),
            room,
            timeout: timeout.max(0),
        };
        let r = self.conn.call(m::GET, &encoded(&req)?, None)?;
        if r.status == m::err::NO_SPACE {
            return m::Size::decode(&r.payload)
                .map(|s| Fetched::TooSmall(s.0))
                .map_err(|_| Error::Library);
        }
        let p = r.ok()?;
        Got::decode(&p).map(Fetched::Message).map_err(|_| Error::Library)
    }

    /// Ends this handle's blocked gets on `queue` (they return `SA_AIS_ERR_INTERRUPT`).
    pub fn cancel(&self, queue: &[u8]) -> Result<(), Error> {
        self.named(m::CANCEL, queue)
    }

    /// The value of a `SaMsgLimitIdT`.
    pub fn limit(&self, id: u32) -> Result<u64, Error> {
        let p = self.call(m::LIMIT, &encoded(&Limit { id, value: 0 })?, None)?;
        Limit::decode(&p).map(|l| l.value).map_err(|_| Error::Library)
    }

    /// Runs pending callbacks through `f` as `mode` says; frames that do not decode
    /// are dropped.
    pub fn dispatch(&self, mode: DispatchMode, mut f: impl FnMut(Event)) -> Result<(), Error> {
        self.conn.dispatch(mode, |cb| {
            let ack = |e: m::Opened| (e.invocation, Error::from_code(e.error));
            let ev = match cb.msg {
                m::OPENED => m::Opened::decode(cb.payload)
                    .ok()
                    .map(ack)
                    .map(|(invocation, error)| Event::Opened { invocation, error }),
                m::DELIVERED => m::Opened::decode(cb.payload)
                    .ok()
                    .map(ack)
                    .map(|(invocation, error)| Event::Delivered { invocation, error }),
                m::RECEIVED => m::QueueName::decode(cb.payload)
                    .ok()
                    .map(|q| Event::Received { queue: q.0 }),
                _ => None,
            };
            if let Some(e) = ev {
                f(e);
            }
        })
    }
}

/// The connection underneath: selection object, finalize.
impl std::ops::Deref for Msg {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.conn
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sa_time_max_waits_for_ever_and_negative_not_at_all() {
        assert_eq!(wait_of(i64::MAX), None);
        assert_eq!(wait_of(-5), Some(Duration::ZERO));
        assert_eq!(wait_of(1_500), Some(Duration::from_nanos(1_500)));
    }
}
