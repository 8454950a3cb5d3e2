//! The C side of TMR handles: their table (tagged from `boundary::tags`) and how the
//! boundary kit's lifecycle reaches them.

use super::client::{self, TmrHandle};
use crate::boundary::lifecycle::Library;
use crate::boundary::tags;
use crate::boundary::Code;
use crate::runtime::{Connection, DispatchMode, HandleTable};

/// The handles of libSaTmr.
pub(crate) static HANDLES: HandleTable<TmrHandle> = HandleTable::new(tags::TMR);

/// libSaTmr's handles.
pub struct Tmr;

impl Library for Tmr {
    type State = TmrHandle;

    fn handles() -> &'static HandleTable<TmrHandle> {
        &HANDLES
    }

    fn connection(state: &TmrHandle) -> &Connection {
        &state.conn
    }

    fn dispatch(_handle: u64, state: &TmrHandle, mode: DispatchMode) -> Result<(), Code> {
        client::dispatch(state, mode)
    }
}
