//! The timer service (TMR A.01.01): single-event and periodic timers kept by the local
//! executive, expirations delivered as callbacks through [`Tmr::dispatch`].
//!
//! Times are `SaTimeT` nanoseconds; absolute ones count from the epoch
//! (`CLOCK_REALTIME`, [`time_now`]).

use ais_proto::tmr as msg;
use ais_proto::{AisVersion, Message, ServiceId};
use std::collections::HashMap;

pub use ais_proto::tmr::{Attributes, Expired, Started, TIME_ABSOLUTE, TIME_DURATION};

use crate::runtime::{Connection, DispatchMode, OpenError, SocketName, DEFAULT_HANDSHAKE_TIMEOUT};
use crate::Error;

/// The version the executive's TMR service implements.
pub const VERSION: AisVersion = AisVersion::new(b'A', 1, 1);

/// `SaTimeT` now: `CLOCK_REALTIME` nanoseconds since the epoch, the clock absolute
/// timers are set against.
pub fn time_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos().min(i64::MAX as u128) as i64)
}

/// One handle of the timer service. It derefs to its [`Connection`] (selection object,
/// finalize); dropping it finalizes it, and the executive drops its timers.
pub struct Tmr {
    conn: Connection,
}

fn decoded<M: Message>(payload: Vec<u8>) -> Result<M, Error> {
    M::decode(&payload).map_err(|_| Error::Library)
}

fn id_request(id: u64) -> Vec<u8> {
    msg::TimerId(id).encode().unwrap_or_default()
}

/// Expirations in the order they came, a timer's later ones merged into its first: the
/// latest count, at the place of the earliest (expirations the application had not yet
/// dispatched arrive as one callback counting them all, as OpenSAF delivers them).
pub fn merge_expirations(frames: Vec<Expired>) -> Vec<Expired> {
    let mut at: HashMap<u64, usize> = HashMap::with_capacity(frames.len());
    let mut out: Vec<Expired> = Vec::with_capacity(frames.len());
    for e in frames {
        match at.get(&e.id) {
            Some(&i) => out[i].count = out[i].count.max(e.count),
            None => {
                at.insert(e.id, out.len());
                out.push(e);
            }
        }
    }
    out
}

impl Tmr {
    /// Opens a handle on the executive `AIS_IPC_SOCKET` names (default `@ais`).
    pub fn open() -> Result<Tmr, OpenError> {
        Ok(Tmr {
            conn: Connection::open(ServiceId::TMR, VERSION)?,
        })
    }

    /// Opens a handle on `socket`.
    pub fn open_at(socket: &SocketName) -> Result<Tmr, OpenError> {
        Ok(Tmr {
            conn: Connection::open_at(socket, ServiceId::TMR, VERSION, DEFAULT_HANDSHAKE_TIMEOUT)?,
        })
    }

    fn call(&self, id: u16, payload: &[u8]) -> Result<Vec<u8>, Error> {
        self.conn.call(id, payload, None)?.ok()
    }

    /// Starts a timer carrying `data`: its id and the time the executive took the call.
    pub fn start(&self, attributes: Attributes, data: u64) -> Result<Started, Error> {
        let req = msg::Start { attributes, data }.encode().map_err(|_| Error::Library)?;
        decoded(self.call(msg::START, &req)?)
    }

    /// New attributes for a running timer: the time the executive took the call.
    pub fn reschedule(&self, id: u64, attributes: Attributes) -> Result<i64, Error> {
        let req = msg::Reschedule { id, attributes }
            .encode()
            .map_err(|_| Error::Library)?;
        Ok(decoded::<msg::Time>(self.call(msg::RESCHEDULE, &req)?)?.0)
    }

    /// Stops a timer: its data.
    pub fn cancel(&self, id: u64) -> Result<u64, Error> {
        Ok(decoded::<msg::Data>(self.call(msg::CANCEL, &id_request(id))?)?.0)
    }

    /// Skips a periodic timer's next expiration.
    pub fn skip(&self, id: u64) -> Result<(), Error> {
        self.call(msg::SKIP, &id_request(id)).map(drop)
    }

    /// Nanoseconds until the timer's next expiration.
    pub fn remaining(&self, id: u64) -> Result<i64, Error> {
        Ok(decoded::<msg::Time>(self.call(msg::REMAINING, &id_request(id))?)?.0)
    }

    /// The attributes the timer was started or last rescheduled with.
    pub fn attributes(&self, id: u64) -> Result<Attributes, Error> {
        decoded(self.call(msg::ATTRIBUTES, &id_request(id))?)
    }

    /// Runs pending expirations through `f` as `mode` says. `All` and `Blocking` read
    /// what is queued first and give each timer one callback, with the latest count
    /// ([`merge_expirations`]); `One` runs exactly one queued expiration. Callbacks that
    /// do not decode are dropped.
    pub fn dispatch(&self, mode: DispatchMode, mut f: impl FnMut(Expired)) -> Result<(), Error> {
        let collect = |v: &mut Vec<Expired>, mode| {
            self.conn.dispatch(mode, |cb| {
                if cb.msg == msg::EXPIRED {
                    if let Ok(e) = Expired::decode(cb.payload) {
                        v.push(e);
                    }
                }
            })
        };
        match mode {
            DispatchMode::All | DispatchMode::Blocking => loop {
                let mut frames = Vec::new();
                if mode == DispatchMode::Blocking {
                    if self.conn.is_finalized() {
                        return Ok(());
                    }
                    collect(&mut frames, DispatchMode::OneWaiting)?;
                    if self.conn.is_finalized() {
                        return Ok(());
                    }
                }
                collect(&mut frames, DispatchMode::All)?;
                for e in merge_expirations(frames) {
                    f(e);
                    if self.conn.is_finalized() {
                        return Ok(());
                    }
                }
                if mode == DispatchMode::All {
                    return Ok(());
                }
            },
            _ => self.conn.dispatch(mode, |cb| {
                if cb.msg == msg::EXPIRED {
                    if let Ok(e) = Expired::decode(cb.payload) {
                        f(e);
                    }
                }
            }),
        }
    }
}

/// The connection underneath: selection object, finalize.
impl std::ops::Deref for Tmr {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.conn
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(id: u64, count: u64) -> Expired {
        Expired {
            id,
            data: id * 10,
            count,
        }
    }

    /// Undispatched expirations of one timer become one callback with the latest count
    /// (OpenSAF's MultipleExpirationsBeforeCallback), in the place of the first; other
    /// timers keep their order.
    #[test]
    fn queued_expirations_of_a_timer_merge_into_the_first() {
        let merged = merge_expirations(vec![e(1, 4), e(2, 1), e(1, 5), e(3, 1), e(1, 6)]);
        assert_eq!(merged, vec![e(1, 6), e(2, 1), e(3, 1)]);
        assert_eq!(merge_expirations(vec![]), vec![]);
    }

    #[test]
    fn time_now_is_the_realtime_clock() {
        let t = time_now();
        // After 2020-01-01, before 2200.
        assert!(t > 1_577_836_800_000_000_000 && t < i64::MAX);
    }
}
