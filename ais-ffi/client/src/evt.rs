//! The event service (EVT B.01.01 and B.03.01): channels opened by name, events published
//! to a channel in the cluster's agreed order, subscriptions with filters, retention.
//!
//! A channel open is named by an open id this client chooses; subscriptions by the
//! application's subscription id within it. Events are pulled: the executive announces
//! waiting events with one callback and [`Evt::dispatch`] fetches the next one (highest
//! priority first), so a reader that falls behind costs only its own bounded queue.

use ais_proto::evt as msg;
use ais_proto::{AisVersion, Message, ServiceId};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

pub use ais_proto::evt::{
    matches, Attributes, Delivery, Event, Filter, Opened, CHANNEL_CREATE, CHANNEL_PUBLISHER, CHANNEL_SUBSCRIBER,
    EVENTID_LOST, EVENTID_NONE, EVENTID_RESERVED, EXACT_FILTER, HIGHEST_PRIORITY, LOST_EVENT_PATTERN, LOWEST_PRIORITY,
    MAX_CHANNELS, MAX_DATA, MAX_PATTERNS, MAX_PATTERN_SIZE, MAX_RETENTION, PASS_ALL_FILTER, PREFIX_FILTER,
    SUFFIX_FILTER,
};

use crate::runtime::{Connection, DispatchMode, OpenError, SocketName, DEFAULT_HANDSHAKE_TIMEOUT};
use crate::Error;

/// B.01.01, as openais shipped it.
pub const B0101: AisVersion = AisVersion::new(b'B', 1, 1);
/// B.03.01: adds saEvtEventPatternFree and saEvtLimitGet.
pub const B0301: AisVersion = AisVersion::new(b'B', 3, 1);

/// What [`Evt::dispatch`] hands the application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Callback {
    /// An asynchronous open finished: its invocation, open id and result.
    Opened {
        invocation: u64,
        open_id: u32,
        result: Result<(), Error>,
    },
    /// An event for a subscription.
    Deliver(Delivery),
}

/// One handle of the event service. It derefs to its [`Connection`] (selection object,
/// finalize); dropping it finalizes it, and the executive closes its channels.
pub struct Evt {
    conn: Connection,
    next_open: AtomicU32,
}

fn encoded<M: Message>(m: &M) -> Result<Vec<u8>, Error> {
    m.encode().map_err(|_| Error::InvalidParam)
}

impl Evt {
    /// Opens a handle of `version` on the executive `AIS_IPC_SOCKET` names.
    pub fn open(version: AisVersion) -> Result<Evt, OpenError> {
        Ok(Evt::from(Connection::open(ServiceId::EVT, version)?))
    }

    /// Opens a handle on `socket`.
    pub fn open_at(socket: &SocketName, version: AisVersion) -> Result<Evt, OpenError> {
        Ok(Evt::from(Connection::open_at(
            socket,
            ServiceId::EVT,
            version,
            DEFAULT_HANDSHAKE_TIMEOUT,
        )?))
    }

    fn call(&self, id: u16, payload: &[u8], timeout: Option<Duration>) -> Result<Vec<u8>, Error> {
        self.conn.call(id, payload, timeout)?.ok()
    }

    fn open_request(&self, name: &[u8], flags: u8) -> msg::Open {
        msg::Open {
            open_id: self.next_open.fetch_add(1, Ordering::Relaxed),
            name: name.to_vec(),
            flags,
        }
    }

    /// Opens channel `name`: its open id.
    pub fn channel_open(&self, name: &[u8], flags: u8, timeout: Option<Duration>) -> Result<u32, Error> {
        let o = self.open_request(name, flags);
        self.call(msg::OPEN, &encoded(&o)?, timeout)?;
        Ok(o.open_id)
    }

    /// Starts opening channel `name`: the open id the [`Callback::Opened`] will name,
    /// which `named` learns before the request leaves (a dispatch in another thread may
    /// run the callback before this returns).
    pub fn channel_open_async(
        &self,
        invocation: u64,
        name: &[u8],
        flags: u8,
        named: impl FnOnce(u32),
    ) -> Result<u32, Error> {
        let open = self.open_request(name, flags);
        let open_id = open.open_id;
        let payload = encoded(&msg::OpenAsync { invocation, open })?;
        named(open_id);
        self.call(msg::OPEN_ASYNC, &payload, None)?;
        Ok(open_id)
    }

    /// Closes an open: its subscriptions end, its undelivered events are dropped.
    pub fn channel_close(&self, open_id: u32) -> Result<(), Error> {
        self.call(msg::CLOSE, &encoded(&msg::OpenId(open_id))?, None).map(drop)
    }

    /// Unlinks channel `name`: existing opens keep it, a new open does not find it.
    pub fn channel_unlink(&self, name: &[u8]) -> Result<(), Error> {
        self.call(msg::UNLINK, &encoded(&msg::ChannelName(name.to_vec()))?, None)
            .map(drop)
    }

    /// Publishes on an open: the event id.
    pub fn publish(&self, open_id: u32, attributes: Attributes, data: Vec<u8>) -> Result<u64, Error> {
        let p = msg::Publish {
            open_id,
            attributes,
            data,
        };
        let r = self.call(msg::PUBLISH, &encoded(&p)?, None)?;
        Ok(msg::EventId::decode(&r).map_err(|_| Error::Library)?.0)
    }

    /// Subscribes on an open: matching events (and matching retained ones now) arrive as
    /// [`Callback::Deliver`].
    pub fn subscribe(&self, open_id: u32, sub_id: u32, filters: Vec<Filter>) -> Result<(), Error> {
        let s = msg::Subscribe {
            open_id,
            sub_id,
            filters,
        };
        self.call(msg::SUBSCRIBE, &encoded(&s)?, None).map(drop)
    }

    pub fn unsubscribe(&self, open_id: u32, sub_id: u32) -> Result<(), Error> {
        let s = msg::SubscriptionRef { open_id, sub_id };
        self.call(msg::UNSUBSCRIBE, &encoded(&s)?, None).map(drop)
    }

    /// Ends the retention of a retained event of the open's channel, cluster-wide.
    pub fn retention_clear(&self, open_id: u32, event_id: u64) -> Result<(), Error> {
        let c = msg::Clear { open_id, event_id };
        self.call(msg::CLEAR, &encoded(&c)?, None).map(drop)
    }

    /// The next waiting events, at most `max`.
    fn next(&self, max: u32) -> Result<Vec<Delivery>, Error> {
        match self.call(msg::NEXT, &encoded(&msg::Next { max })?, None) {
            Ok(p) => Ok(msg::Deliveries::decode(&p).map_err(|_| Error::Library)?.0),
            Err(Error::NotExist) => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    /// Runs pending callbacks through `f` as `mode` says: ONE delivers one event (or
    /// one open result); ALL and BLOCKING fetch what waits in batches.
    pub fn dispatch(&self, mode: DispatchMode, mut f: impl FnMut(Callback)) -> Result<(), Error> {
        let batch = match mode {
            DispatchMode::One | DispatchMode::OneWaiting | DispatchMode::OneOrTryAgain => 1,
            DispatchMode::All | DispatchMode::Blocking => msg::MAX_BATCH,
        };
        let mut failed = None;
        self.conn.dispatch(mode, |cb| match cb.msg {
            msg::AVAILABLE => match self.next(batch) {
                Ok(list) => list.into_iter().for_each(|d| f(Callback::Deliver(d))),
                Err(e) => failed = Some(e),
            },
            msg::OPENED => {
                if let Ok(o) = Opened::decode(cb.payload) {
                    f(Callback::Opened {
                        invocation: o.invocation,
                        open_id: o.open_id,
                        result: Error::check(cb.status),
                    });
                }
            }
            _ => {}
        })?;
        match failed {
            Some(Error::BadHandle) | None => Ok(()),
            Some(e) => Err(e),
        }
    }
}

impl From<Connection> for Evt {
    fn from(conn: Connection) -> Evt {
        Evt {
            conn,
            next_open: AtomicU32::new(1),
        }
    }
}

/// The connection underneath: selection object, finalize.
impl std::ops::Deref for Evt {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.conn
    }
}
