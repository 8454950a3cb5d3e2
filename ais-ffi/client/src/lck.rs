//! The lock service (LCK B.03.01): cluster-wide resources and PR/EX locks on them,
//! granted by every executive alike in agreed order. Asynchronous results and waiter
//! notices arrive as [`Event`]s through [`Lck::dispatch`].

use ais_proto::lck as msg;
use ais_proto::{AisVersion, Message, ServiceId};

pub use ais_proto::lck::{
    lock_status, GrantCallback, Locked, OpenCallback, UnlockCallback, Waiter, EX, LOCK_NO_QUEUE, LOCK_ORPHAN,
    MAX_NUM_LOCKS_ID, PR, RESOURCE_CREATE,
};

use crate::runtime::{Connection, DispatchMode, OpenError, SocketName, DEFAULT_HANDSHAKE_TIMEOUT};
use crate::Error;
use std::time::Duration;

/// The version the executive's LCK service implements.
pub const VERSION: AisVersion = AisVersion::new(b'B', 3, 1);

/// A callback of the lock service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    Opened(OpenCallback),
    Granted(GrantCallback),
    Waiter(Waiter),
    Unlocked(UnlockCallback),
}

impl Event {
    /// The event a callback frame carries, if it is one.
    pub fn decode(id: u16, payload: &[u8]) -> Option<Event> {
        match id {
            msg::OPEN_CALLBACK => OpenCallback::decode(payload).ok().map(Event::Opened),
            msg::GRANT_CALLBACK => GrantCallback::decode(payload).ok().map(Event::Granted),
            msg::WAITER_CALLBACK => Waiter::decode(payload).ok().map(Event::Waiter),
            msg::UNLOCK_CALLBACK => UnlockCallback::decode(payload).ok().map(Event::Unlocked),
            _ => None,
        }
    }
}

/// A lock request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request {
    /// The resource as [`Lck::open`] named it.
    pub resource: u64,
    pub mode: u32,
    pub flags: u32,
    pub waiter_signal: u64,
}

/// One handle of the lock service. It derefs to its [`Connection`] (selection object,
/// finalize); dropping it finalizes it, and the executive releases its locks.
pub struct Lck {
    conn: Connection,
}

impl std::ops::Deref for Lck {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.conn
    }
}

fn encoded(m: &impl Message) -> Result<Vec<u8>, Error> {
    m.encode().map_err(|_| Error::InvalidParam)
}

fn decoded<M: Message>(payload: Vec<u8>) -> Result<M, Error> {
    M::decode(&payload).map_err(|_| Error::Library)
}

impl Lck {
    /// Opens a handle on the executive `AIS_IPC_SOCKET` names (default `@ais`).
    pub fn open_handle() -> Result<Lck, OpenError> {
        Ok(Lck {
            conn: Connection::open(ServiceId::LCK, VERSION)?,
        })
    }

    /// Opens a handle on `socket`.
    pub fn open_at(socket: &SocketName) -> Result<Lck, OpenError> {
        Ok(Lck {
            conn: Connection::open_at(socket, ServiceId::LCK, VERSION, DEFAULT_HANDSHAKE_TIMEOUT)?,
        })
    }

    fn call(&self, id: u16, payload: &[u8], timeout: Option<Duration>) -> Result<Vec<u8>, Error> {
        self.conn.call(id, payload, timeout)?.ok()
    }

    /// Opens resource `name` (created with [`RESOURCE_CREATE`]): its id on this handle.
    /// `timeout` bounds the wait for the executive.
    pub fn open(&self, name: &[u8], flags: u32, timeout: Option<Duration>) -> Result<u64, Error> {
        let req = encoded(&msg::Open {
            invocation: 0,
            name: name.to_vec(),
            flags,
        })?;
        Ok(decoded::<msg::Opened>(self.call(msg::OPEN, &req, timeout)?)?.resource)
    }

    /// Opens a resource; the result comes as [`Event::Opened`] with `invocation`.
    pub fn open_async(&self, invocation: u64, name: &[u8], flags: u32) -> Result<(), Error> {
        let req = encoded(&msg::Open {
            invocation,
            name: name.to_vec(),
            flags,
        })?;
        self.call(msg::OPEN_ASYNC, &req, None).map(drop)
    }

    /// Closes a resource: this handle's locks on it are released (orphan locks
    /// orphaned), its waiting requests cancelled.
    pub fn close(&self, resource: u64) -> Result<(), Error> {
        self.call(msg::CLOSE, &encoded(&msg::ResourceId(resource))?, None)
            .map(drop)
    }

    /// Requests a lock and waits until it is decided or `timeout` (nanoseconds) has
    /// passed (`Error::Timeout`; the request then leaves the queue everywhere).
    pub fn lock(&self, r: Request, timeout: i64) -> Result<Locked, Error> {
        let req = encoded(&msg::Lock {
            resource: r.resource,
            invocation: 0,
            mode: r.mode,
            flags: r.flags,
            waiter_signal: r.waiter_signal,
            timeout,
        })?;
        decoded(self.call(msg::LOCK, &req, None)?)
    }

    /// Requests a lock: its id now, the decision as [`Event::Granted`] with `invocation`.
    pub fn lock_async(&self, r: Request, invocation: u64) -> Result<u64, Error> {
        let req = encoded(&msg::Lock {
            resource: r.resource,
            invocation,
            mode: r.mode,
            flags: r.flags,
            waiter_signal: r.waiter_signal,
            timeout: 0,
        })?;
        Ok(decoded::<msg::LockId>(self.call(msg::LOCK_ASYNC, &req, None)?)?.0)
    }

    /// Releases a granted lock.
    pub fn unlock(&self, lock_id: u64) -> Result<(), Error> {
        let req = encoded(&msg::Unlock { lock_id, invocation: 0 })?;
        self.call(msg::UNLOCK, &req, None).map(drop)
    }

    /// Releases a granted lock; the result comes as [`Event::Unlocked`].
    pub fn unlock_async(&self, lock_id: u64, invocation: u64) -> Result<(), Error> {
        let req = encoded(&msg::Unlock { lock_id, invocation })?;
        self.call(msg::UNLOCK_ASYNC, &req, None).map(drop)
    }

    /// Removes the orphan locks of a resource.
    pub fn purge(&self, resource: u64) -> Result<(), Error> {
        self.call(msg::PURGE, &encoded(&msg::ResourceId(resource))?, None)
            .map(drop)
    }

    /// A limit of the service (`SA_LCK_MAX_NUM_LOCKS_ID`).
    pub fn limit(&self, id: u32) -> Result<u64, Error> {
        Ok(decoded::<msg::LimitValue>(self.call(msg::LIMIT, &encoded(&msg::LimitId(id))?, None)?)?.0)
    }

    /// Runs pending callbacks through `f` as `mode` says; frames that are no LCK event
    /// are dropped.
    pub fn dispatch(&self, mode: DispatchMode, mut f: impl FnMut(Event)) -> Result<(), Error> {
        self.conn.dispatch(mode, |cb| {
            if let Some(e) = Event::decode(cb.msg, cb.payload) {
                f(e)
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callback_frames_decode_to_their_events_and_others_are_dropped() {
        let w = Waiter {
            waiter_signal: 1,
            lock_id: 2,
            mode_held: EX,
            mode_requested: PR,
        };
        let b = w.encode().unwrap();
        assert_eq!(Event::decode(msg::WAITER_CALLBACK, &b), Some(Event::Waiter(w)));
        assert_eq!(Event::decode(msg::OPEN_CALLBACK, &b), None);
        assert_eq!(Event::decode(999, &b), None);
    }
}
