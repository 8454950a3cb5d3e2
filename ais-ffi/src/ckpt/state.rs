//! The C side of CKPT handles: their tables (tagged from `boundary::tags`) and how the
//! boundary kit's lifecycle reaches them.

use super::client::{self, Callbacks, Checkpoint, CkptHandle, Iteration};
use crate::boundary::lifecycle::{self, Library};
use crate::boundary::memory::MEMORY;
use crate::boundary::per_handle::PerHandle;
use crate::boundary::tags;
use crate::boundary::Code;
use crate::runtime::{Connection, DispatchMode, HandleTable};
use crate::types::ais::{SaAisErrorT, SaInvocationT};
use crate::types::ckpt::SaCkptCheckpointCreationAttributesT;
use std::sync::{Mutex, MutexGuard};

/// The library handles of libSaCkpt.
pub(crate) static HANDLES: HandleTable<CkptHandle> = HandleTable::new(tags::CKPT);
/// The checkpoints opened through them.
pub(crate) static CHECKPOINTS: HandleTable<Checkpoint> = HandleTable::new(tags::CKPT_CHECKPOINT);
/// Their section iterations.
pub(crate) static ITERATIONS: HandleTable<Iteration> = HandleTable::new(tags::CKPT_ITERATION);

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
        forget_callbacks(handle);
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
static LIMITS: PerHandle<Limits> = PerHandle::new();

/// Records the limits of a checkpoint handle just opened with creation attributes.
pub fn remember_limits(handle: u64, limits: Limits) {
    LIMITS.insert(handle, limits);
}

/// Forgets the limits of a closed checkpoint handle.
pub fn forget_limits(handle: u64) {
    LIMITS.remove(handle);
}

/// The limits of an open checkpoint handle.
pub fn limits(handle: u64, c: &Checkpoint) -> Result<Limits, Code> {
    if let Some(l) = LIMITS.get(handle) {
        return Ok(l);
    }
    let l = Limits::of(&client::status_get(c)?.checkpointCreationAttributes);
    remember_limits(handle, l);
    Ok(l)
}

// ---- callbacks a close cancels ----
//
// saCkptCheckpointClose "cancels all pending callbacks that refer directly or indirectly
// to the handle". A track callback names its checkpoint, and the client drops those of a
// checkpoint no longer open. A synchronize callback names only its invocation, so the
// application's callback is wrapped: the library notes which checkpoint each
// saCkptCheckpointSynchronizeAsync was for, and the wrapper (run inside the handle's
// dispatch, which `lifecycle::dispatching` names) drops the answer for a checkpoint closed since.

/// The application's synchronize callback, by service handle.
static APP_SYNC: PerHandle<SyncCallback> = PerHandle::new();

/// The synchronize requests not answered yet: (service handle, invocation, checkpoint).
static PENDING_SYNC: Mutex<Vec<(u64, SaInvocationT, u64)>> = Mutex::new(Vec::new());

type SyncCallback = unsafe extern "C" fn(SaInvocationT, SaAisErrorT);

fn pending() -> MutexGuard<'static, Vec<(u64, SaInvocationT, u64)>> {
    PENDING_SYNC.lock().unwrap_or_else(|e| e.into_inner())
}

/// Opens a handle (through `open`) whose synchronize callback a close can cancel.
pub fn open_cancellable(callbacks: Callbacks, open: impl FnOnce(Callbacks) -> Result<u64, Code>) -> Result<u64, Code> {
    let wrapped = Callbacks {
        sync: callbacks.sync.map(|_| sync_callback as SyncCallback),
        ..callbacks
    };
    let handle = open(wrapped)?;
    if let Some(f) = callbacks.sync {
        APP_SYNC.insert(handle, f);
    }
    Ok(handle)
}

/// Notes a synchronize request of `handle` for `checkpoint` (before it is sent).
pub fn sync_requested(handle: u64, invocation: SaInvocationT, checkpoint: u64) {
    pending().push((handle, invocation, checkpoint));
}

/// Forgets a synchronize request that was not sent.
pub fn sync_not_sent(handle: u64, invocation: SaInvocationT, checkpoint: u64) {
    let mut list = pending();
    if let Some(i) = list.iter().rposition(|&p| p == (handle, invocation, checkpoint)) {
        list.remove(i);
    }
}

/// The wrapper the client calls for a synchronize callback.
unsafe extern "C" fn sync_callback(invocation: SaInvocationT, error: SaAisErrorT) {
    let handle = lifecycle::dispatching();
    let checkpoint = {
        let mut list = pending();
        let i = list.iter().position(|&(h, inv, _)| (h, inv) == (handle, invocation));
        i.map(|i| list.remove(i).2)
    };
    if checkpoint.is_some_and(|c| CHECKPOINTS.get(c).is_err()) {
        return; // closed since: cancelled
    }
    if let Some(f) = APP_SYNC.get(handle) {
        f(invocation, error);
    }
}

/// Forgets what a finalized handle's callbacks needed.
fn forget_callbacks(handle: u64) {
    APP_SYNC.remove(handle);
    pending().retain(|&(h, _, _)| h != handle);
}
