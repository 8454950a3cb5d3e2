//! The C side of a CLM handle: how the boundary kit's lifecycle reaches it.

use crate::boundary::lifecycle::Library;
use crate::boundary::Code;
use crate::clm_client::{self as client, ClmHandle, HANDLES};
use crate::runtime::{Connection, DispatchMode, HandleTable};

/// libSaClm's handles.
pub struct Clm;

impl Library for Clm {
    type State = ClmHandle;

    fn handles() -> &'static HandleTable<ClmHandle> {
        &HANDLES
    }

    fn connection(state: &ClmHandle) -> &Connection {
        &state.conn
    }

    fn dispatch(_handle: u64, state: &ClmHandle, mode: DispatchMode) -> Result<(), Code> {
        client::dispatch(state, mode)
    }
}
