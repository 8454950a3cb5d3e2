//! The C side of MSG handles: the msg handles and the queue handles opened through them
//! (tagged from `boundary::tags`), and how the boundary kit's lifecycle reaches them.

use super::client::{self, MsgHandle, QueueHandle};
use crate::boundary::lifecycle::Library;
use crate::boundary::tags;
use crate::boundary::Code;
use crate::runtime::{Connection, DispatchMode, HandleTable};

pub(crate) static HANDLES: HandleTable<MsgHandle> = HandleTable::new(tags::MSG);
pub(crate) static QUEUES: HandleTable<QueueHandle> = HandleTable::new(tags::MSG_QUEUE);

/// libSaMsg's handles.
pub struct Msg;

impl Library for Msg {
    type State = MsgHandle;

    fn handles() -> &'static HandleTable<MsgHandle> {
        &HANDLES
    }

    fn connection(state: &MsgHandle) -> &Connection {
        &state.conn
    }

    fn dispatch(handle: u64, state: &MsgHandle, mode: DispatchMode) -> Result<(), Code> {
        client::dispatch(handle, state, mode)
    }

    /// Its queue handles go with it (the executive closes the queues).
    fn finalized(handle: u64, _state: &MsgHandle) {
        for q in QUEUES.handles() {
            if QUEUES.get(q).is_ok_and(|x| x.owner == handle) {
                let _ = QUEUES.remove(q);
            }
        }
    }
}
