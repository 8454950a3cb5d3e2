//! The C side of CPG handles: how the boundary kit's lifecycle reaches them.

use crate::boundary::lifecycle::Library;
use crate::boundary::Code;
use crate::cpg_client::{self as client, CpgHandle, HANDLES};
use crate::runtime::{Connection, DispatchMode, HandleTable};

/// libcpg's handles.
pub struct Cpg;

impl Library for Cpg {
    type State = CpgHandle;

    fn handles() -> &'static HandleTable<CpgHandle> {
        &HANDLES
    }

    fn connection(state: &CpgHandle) -> &Connection {
        &state.conn
    }

    fn dispatch(handle: u64, state: &CpgHandle, mode: DispatchMode) -> Result<(), Code> {
        client::dispatch(handle, state, mode)
    }

    /// The handle's iterations end with it.
    fn finalized(handle: u64, _state: &CpgHandle) {
        client::end_iterations(handle);
    }
}
