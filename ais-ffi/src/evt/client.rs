//! The C side of `libSaEvt` over `ais_client::evt`: what a service handle, a channel
//! handle and an event handle hold, and the callbacks. `mod.rs` does the C pointer work.

use super::state::{CHANNELS, EVENTS, HANDLES};
use crate::boundary::call::code;
use crate::boundary::{Code, Failure};
use crate::runtime::DispatchMode;
use crate::types::ais::{SaNameT, SaTimeT, SaUint16T, SA_AIS_OK, SA_MAX_NAME_LENGTH};
use crate::types::evt::{SaEvtCallbacksT, SaEvtChannelOpenCallbackT, SaEvtEventDeliverCallbackT};
use ais_client::evt::{Attributes, Callback, Evt, LOWEST_PRIORITY};
use ais_proto::AisVersion;
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

// Plain C function pointers, callable from any thread.
#[derive(Clone, Copy)]
pub struct Callbacks {
    pub opened: SaEvtChannelOpenCallbackT,
    pub deliver: SaEvtEventDeliverCallbackT,
}
unsafe impl Send for Callbacks {}
unsafe impl Sync for Callbacks {}

impl Callbacks {
    pub fn of(c: Option<SaEvtCallbacksT>) -> Callbacks {
        Callbacks {
            opened: c.and_then(|c| c.saEvtChannelOpenCallback),
            deliver: c.and_then(|c| c.saEvtEventDeliverCallback),
        }
    }
}

/// A service handle.
pub struct EvtHandle {
    pub conn: Evt,
    pub callbacks: Callbacks,
    /// The major version it was initialised for (1 or 3).
    pub major: u8,
    /// Its channel handles by open id, and the flags of asynchronous opens under way.
    opens: Mutex<HashMap<u32, u64>>,
    opening: Mutex<HashMap<u32, u8>>,
}

/// A channel handle.
pub struct Channel {
    pub evt: u64,
    pub open_id: u32,
    pub flags: u8,
}

/// What an event handle holds: an allocated event's attributes, or a received one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventData {
    pub attributes: Attributes,
    pub publish_time: SaTimeT,
    pub id: u64,
    pub data: Vec<u8>,
    pub received: bool,
}

/// An event handle.
pub struct EventHandle {
    pub evt: u64,
    pub channel: u64,
    pub state: Mutex<EventData>,
}

impl EventHandle {
    pub fn lock(&self) -> MutexGuard<'_, EventData> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn locked<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Opens a service handle of `version`.
pub fn open(callbacks: Callbacks, version: AisVersion) -> Result<u64, Code> {
    let conn = Evt::open(version).map_err(|e| code(e.error))?;
    HANDLES.insert(EvtHandle {
        conn,
        callbacks,
        major: version.major,
        opens: Mutex::new(HashMap::new()),
        opening: Mutex::new(HashMap::new()),
    })
}

/// A channel handle for an open of `evt` that completed.
pub fn new_channel(evt: u64, h: &EvtHandle, open_id: u32, flags: u8) -> Result<u64, Code> {
    let c = CHANNELS.insert(Channel { evt, open_id, flags })?;
    locked(&h.opens).insert(open_id, c);
    Ok(c)
}

/// Notes an asynchronous open under way.
pub fn opening(h: &EvtHandle, open_id: u32, flags: u8) {
    locked(&h.opening).insert(open_id, flags);
}

/// Forgets a channel handle (closed, or its service handle finalized) and the events
/// allocated on it.
pub fn forget_channel(channel: u64) {
    let Ok(c) = CHANNELS.remove(channel) else { return };
    if let Ok(h) = HANDLES.get(c.evt) {
        locked(&h.opens).remove(&c.open_id);
    }
    for e in EVENTS.handles() {
        if EVENTS
            .get(e)
            .is_ok_and(|ev| ev.channel == channel && !ev.lock().received)
        {
            forget_event(e);
        }
    }
}

/// Forgets an event handle and the pattern memory given out for it.
pub fn forget_event(event: u64) {
    if EVENTS.remove(event).is_ok() {
        crate::boundary::memory::MEMORY.release_handle(event);
    }
}

/// A new allocated event on `channel` of `evt`, with the defaults of saEvtEventAllocate.
pub fn allocate(evt: u64, channel: u64) -> Result<u64, Code> {
    EVENTS.insert(EventHandle {
        evt,
        channel,
        state: Mutex::new(EventData {
            attributes: Attributes {
                priority: LOWEST_PRIORITY,
                ..Attributes::default()
            },
            publish_time: crate::types::ais::SA_TIME_UNKNOWN,
            id: ais_client::evt::EVENTID_NONE,
            data: Vec::new(),
            received: false,
        }),
    })
}

/// An `SaNameT` holding `b` (at most 256 bytes).
pub fn sa_name(b: &[u8]) -> SaNameT {
    let mut name = SaNameT {
        length: 0,
        value: [0; SA_MAX_NAME_LENGTH],
    };
    let len = b.len().min(SA_MAX_NAME_LENGTH);
    name.value[..len].copy_from_slice(&b[..len]);
    name.length = len as SaUint16T;
    name
}

/// Runs the handle's pending callbacks: a delivery becomes an event handle the
/// application frees; a completed asynchronous open a channel handle.
pub fn dispatch(evt: u64, h: &EvtHandle, mode: DispatchMode) -> Result<(), Code> {
    let cbs = h.callbacks;
    h.conn
        .dispatch(mode, |cb| match cb {
            Callback::Deliver(d) => {
                let Some(channel) = locked(&h.opens).get(&d.open_id).copied() else {
                    return; // closed since
                };
                let (Some(f), size) = (cbs.deliver, d.event.data.len() as u64) else {
                    return;
                };
                let ev = EventHandle {
                    evt,
                    channel,
                    state: Mutex::new(EventData {
                        attributes: d.event.attributes,
                        publish_time: d.event.publish_time,
                        id: d.event.id,
                        data: d.event.data,
                        received: true,
                    }),
                };
                if let Ok(e) = EVENTS.insert(ev) {
                    // SAFETY: the application's callback, given what the header says.
                    unsafe { f(d.sub_id, e, size) };
                }
            }
            Callback::Opened {
                invocation,
                open_id,
                result,
            } => {
                let Some(flags) = locked(&h.opening).remove(&open_id) else {
                    return;
                };
                let (channel, error) = match result {
                    Ok(()) => match new_channel(evt, h, open_id, flags) {
                        Ok(c) => (c, SA_AIS_OK),
                        Err(e) => (0, e),
                    },
                    Err(e) => (0, code(e)),
                };
                if let Some(f) = cbs.opened {
                    // SAFETY: the application's callback.
                    unsafe { f(invocation, channel, error) };
                }
            }
        })
        .map_err(code)
}

/// The handle's channels and events are forgotten with their memory.
pub fn finalized(evt: u64) {
    for c in CHANNELS.handles() {
        if CHANNELS.get(c).is_ok_and(|ch| ch.evt == evt) {
            forget_channel(c);
        }
    }
    for e in EVENTS.handles() {
        if EVENTS.get(e).is_ok_and(|ev| ev.evt == evt) {
            forget_event(e);
        }
    }
}

/// The failure a B.03.01 call makes on a B.01.01 handle.
pub fn require_b03(h: &EvtHandle) -> Result<(), Failure> {
    crate::boundary::version::require(h.major, 3..=3)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_cut_at_256_bytes() {
        let n = sa_name(b"chan");
        assert_eq!((n.length, &n.value[..4]), (4, &b"chan"[..]));
        assert_eq!(sa_name(&[b'x'; 300]).length, 256);
    }
}
