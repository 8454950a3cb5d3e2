//! The C side of EVS handles: how the boundary kit's lifecycle reaches them.

use crate::boundary::lifecycle::Library;
use crate::boundary::Code;
use crate::evs_client::{self as client, EvsHandle, HANDLES};
use crate::runtime::{Connection, DispatchMode, HandleTable};

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
