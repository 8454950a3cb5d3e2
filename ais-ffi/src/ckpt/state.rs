//! The C side of CKPT handles: how the boundary kit's lifecycle reaches them.

use crate::boundary::lifecycle::Library;
use crate::boundary::memory::MEMORY;
use crate::boundary::Code;
use crate::ckpt_client::{self as client, Checkpoint, CkptHandle, CHECKPOINTS, HANDLES};
use crate::runtime::{Connection, DispatchMode, HandleTable};
use crate::types::ckpt::SaCkptCheckpointCreationAttributesT;
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

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
                forget_limits(c);
            }
        }
    }
}

/// The size limits of a checkpoint a handle has open, from its creation attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_section_size: u64,
    pub checkpoint_size: u64,
}

impl Limits {
    pub fn of(a: &SaCkptCheckpointCreationAttributesT) -> Limits {
        Limits {
            max_section_size: a.maxSectionSize,
            checkpoint_size: a.checkpointSize,
        }
    }
}

/// The limits of open checkpoints, by checkpoint handle: known from the attributes when
/// this library created the checkpoint, else fetched once with a status request.
static LIMITS: Mutex<Option<HashMap<u64, Limits>>> = Mutex::new(None);

fn limits_table() -> MutexGuard<'static, Option<HashMap<u64, Limits>>> {
    LIMITS.lock().unwrap_or_else(|e| e.into_inner())
}

/// Records the limits of a checkpoint handle just opened with creation attributes.
pub fn remember_limits(handle: u64, limits: Limits) {
    limits_table().get_or_insert_with(HashMap::new).insert(handle, limits);
}

/// Forgets the limits of a closed checkpoint handle.
pub fn forget_limits(handle: u64) {
    if let Some(t) = limits_table().as_mut() {
        t.remove(&handle);
    }
}

/// The limits of an open checkpoint handle.
pub fn limits(handle: u64, c: &Checkpoint) -> Result<Limits, Code> {
    if let Some(l) = limits_table().as_ref().and_then(|t| t.get(&handle).copied()) {
        return Ok(l);
    }
    let l = Limits::of(&client::status_get(c)?.checkpointCreationAttributes);
    remember_limits(handle, l);
    Ok(l)
}
