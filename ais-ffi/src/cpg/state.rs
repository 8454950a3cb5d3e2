//! The C side of CPG handles: their tables (tagged from `boundary::tags`) and how the
//! boundary kit's lifecycle reaches them.

use super::client::{self, CpgHandle, Iteration};
use crate::boundary::lifecycle::Library;
use crate::boundary::tags;
use crate::boundary::Code;
use crate::runtime::{Connection, DispatchMode, HandleTable};

/// The handles of libcpg.
pub(crate) static HANDLES: HandleTable<CpgHandle> = HandleTable::new(tags::CPG);
/// Their group iterations (`cpg_iteration_initialize`).
pub(crate) static ITERATIONS: HandleTable<Iteration> = HandleTable::new(tags::CPG_ITERATION);

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
