//! The C side of EVS handles: their table (tagged from `boundary::tags`) and how the
//! boundary kit's lifecycle reaches them.

use super::client::{self, EvsHandle};
use crate::boundary::lifecycle::Library;
use crate::boundary::tags;
use crate::boundary::Code;
use crate::runtime::{Connection, DispatchMode, HandleTable};

/// The handles of libevs.
pub(crate) static HANDLES: HandleTable<EvsHandle> = HandleTable::new(tags::EVS);

/// libevs's handles.
pub struct Evs;

impl Library for Evs {
    type State = EvsHandle;

    fn handles() -> &'static HandleTable<EvsHandle> {
        &HANDLES
    }

    fn connection(state: &EvsHandle) -> &Connection {
        &state.conn
    }

    fn dispatch(handle: u64, state: &EvsHandle, mode: DispatchMode) -> Result<(), Code> {
        client::dispatch(handle, state, mode)
    }
}
