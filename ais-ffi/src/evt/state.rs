//! The C side of EVT handles: their tables (tagged from `boundary::tags`) and how the
//! boundary kit's lifecycle reaches them.

use super::client::{self, Channel, EventHandle, EvtHandle};
use crate::boundary::lifecycle::Library;
use crate::boundary::tags;
use crate::boundary::Code;
use crate::runtime::{Connection, DispatchMode, HandleTable};

/// The service handles of libSaEvt.
pub(crate) static HANDLES: HandleTable<EvtHandle> = HandleTable::new(tags::EVT);
/// The channels opened through them.
pub(crate) static CHANNELS: HandleTable<Channel> = HandleTable::new(tags::EVT_CHANNEL);
/// Allocated and received events.
pub(crate) static EVENTS: HandleTable<EventHandle> = HandleTable::new(tags::EVT_EVENT);

/// libSaEvt's service handles.
pub struct Evt;

impl Library for Evt {
    type State = EvtHandle;

    fn handles() -> &'static HandleTable<EvtHandle> {
        &HANDLES
    }

    fn connection(state: &EvtHandle) -> &Connection {
        &state.conn
    }

    fn dispatch(handle: u64, state: &EvtHandle, mode: DispatchMode) -> Result<(), Code> {
        client::dispatch(handle, state, mode)
    }

    /// Its channels and events go with it (the executive closes the channels when the
    /// connection ends).
    fn finalized(handle: u64, _state: &EvtHandle) {
        client::finalized(handle);
    }
}
