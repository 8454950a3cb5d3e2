//! The C side of LCK handles: their tables (tagged from `boundary::tags`), the lock ids
//! handed out, and how the boundary kit's lifecycle reaches them.

use super::client::{self, LckHandle, Resource};
use crate::boundary::lifecycle::Library;
use crate::boundary::tags;
use crate::boundary::Code;
use crate::runtime::{Connection, DispatchMode, HandleTable};
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

/// The library handles of libSaLck.
pub(crate) static HANDLES: HandleTable<LckHandle> = HandleTable::new(tags::LCK);
/// The resources opened through them.
pub(crate) static RESOURCES: HandleTable<Resource> = HandleTable::new(tags::LCK_RESOURCE);

/// The locks this process holds or waits for: lock id → (library handle, resource
/// handle). `saLckResourceUnlock` is given only the lock id.
static LOCKS: Mutex<Option<HashMap<u64, (u64, u64)>>> = Mutex::new(None);

fn locks() -> MutexGuard<'static, Option<HashMap<u64, (u64, u64)>>> {
    // Single map operations: a poisoned lock leaves the map consistent.
    LOCKS.lock().unwrap_or_else(|e| e.into_inner())
}

pub fn remember_lock(id: u64, handle: u64, resource: u64) {
    locks().get_or_insert_with(HashMap::new).insert(id, (handle, resource));
}

pub fn forget_lock(id: u64) {
    if let Some(m) = locks().as_mut() {
        m.remove(&id);
    }
}

/// The library handle and resource handle of a lock id handed out.
pub fn lock_owner(id: u64) -> Option<(u64, u64)> {
    locks().as_ref().and_then(|m| m.get(&id).copied())
}

/// Forgets the locks taken through a resource handle (closed) or a library handle
/// (finalized).
pub fn forget_locks_of(pred: impl Fn(u64, u64) -> bool) {
    if let Some(m) = locks().as_mut() {
        m.retain(|_, (h, r)| !pred(*h, *r));
    }
}

/// libSaLck's service handles.
pub struct Lck;

impl Library for Lck {
    type State = LckHandle;

    fn handles() -> &'static HandleTable<LckHandle> {
        &HANDLES
    }

    fn connection(state: &LckHandle) -> &Connection {
        &state.conn
    }

    fn dispatch(handle: u64, state: &LckHandle, mode: DispatchMode) -> Result<(), Code> {
        client::dispatch(handle, state, mode)
    }

    /// The handle's resources and locks are forgotten (the executive releases them when
    /// the connection ends).
    fn finalized(handle: u64, _state: &LckHandle) {
        for r in RESOURCES.handles() {
            if RESOURCES.get(r).is_ok_and(|res| res.owner == handle) {
                let _ = RESOURCES.remove(r);
            }
        }
        forget_locks_of(|h, _| h == handle);
    }
}
