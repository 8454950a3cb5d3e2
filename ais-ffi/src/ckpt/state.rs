//! The C side of CKPT handles: how the boundary kit's lifecycle reaches them.

use crate::boundary::lifecycle::Library;
use crate::boundary::memory::MEMORY;
use crate::boundary::Code;
use crate::ckpt_client::{self as client, CkptHandle, CHECKPOINTS, HANDLES};
use crate::runtime::{Connection, DispatchMode, HandleTable};

/// libSaCkpt's service handles.
pub struct Ckpt;

impl Library for Ckpt {
    type State = CkptHandle;

    fn handles() -> &'static HandleTable<CkptHandle> {
        &HANDLES
    }

    fn connection(state: &CkptHandle) -> &Connection {
        &state.conn
    }

    fn dispatch(handle: u64, state: &CkptHandle, mode: DispatchMode) -> Result<(), Code> {
        client::dispatch(handle, state, mode)
    }

    /// The handle's checkpoints are forgotten with their library memory (the executive
    /// closes them when the connection ends).
    fn finalized(handle: u64, _state: &CkptHandle) {
        for c in CHECKPOINTS.handles() {
            if CHECKPOINTS.get(c).is_ok_and(|cp| cp.owner == handle) {
                client::forget_checkpoint(c);
                MEMORY.release_handle(c);
            }
        }
    }
}
