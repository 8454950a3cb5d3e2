//! The functions `libSaLck.so.3` exports: the 14 calls of LCK B.03.01 under the version
//! node openais used, `OPENAIS_LCK_B.01.01` (see `version-scripts/SaLck.map`).
//!
//! Each body runs inside `ffi_call`, so no panic reaches C; the pointer work is here, the
//! rest in `client`, the handles' lifecycle in `boundary::lifecycle` (see `state`). The
//! locks live in the executives' replicated lock table; a call is one request to the
//! local one. Versions are checked before arguments, arguments before handles.
//!
//! # Safety
//!
//! The functions are `unsafe` for Rust callers: the pointers must be valid as saLck.h
//! documents them (for C callers that is the API contract).

// Parameter names follow saLck.h: cbindgen copies them into the header.
#![allow(non_snake_case, clippy::missing_safety_doc)]

use crate::boundary::check;
use crate::boundary::lifecycle;
use crate::boundary::timeout as wait;
use crate::boundary::version::require_at_least;
use crate::boundary::{ffi_call, Failure};
use crate::runtime::DispatchMode;
use crate::types::ais::{
    SaAisErrorT, SaDispatchFlagsT, SaInvocationT, SaLimitValueT, SaNameT, SaSelectionObjectT, SaTimeT, SaVersionT,
    SA_AIS_ERR_BAD_FLAGS, SA_AIS_ERR_BAD_HANDLE, SA_AIS_ERR_INIT, SA_AIS_ERR_INVALID_PARAM,
};
use crate::types::lck::{
    SaLckCallbacksT, SaLckHandleT, SaLckLimitIdT, SaLckLockFlagsT, SaLckLockIdT, SaLckLockModeT, SaLckLockStatusT,
    SaLckOptionsT, SaLckResourceHandleT, SaLckResourceOpenFlagsT, SaLckWaiterSignalT, SA_LCK_EX_LOCK_MODE,
    SA_LCK_LOCK_GRANTED, SA_LCK_LOCK_NO_QUEUE, SA_LCK_LOCK_ORPHAN, SA_LCK_MAX_NUM_LOCKS_ID,
    SA_LCK_OPT_DEADLOCK_DETECTION, SA_LCK_OPT_ORPHAN_LOCKS, SA_LCK_PR_LOCK_MODE, SA_LCK_RESOURCE_CREATE,
};
use ais_client::lck::Request;
use state::{forget_lock, forget_locks_of, lock_owner, Lck, HANDLES, RESOURCES};

mod client;
mod state;

const INVALID: Failure = Failure(SA_AIS_ERR_INVALID_PARAM);

fn check_open_flags(f: SaLckResourceOpenFlagsT) -> Result<(), Failure> {
    if f & !SA_LCK_RESOURCE_CREATE != 0 {
        return Err(Failure(SA_AIS_ERR_BAD_FLAGS));
    }
    Ok(())
}

fn request(
    resource: u64,
    lockMode: SaLckLockModeT,
    lockFlags: SaLckLockFlagsT,
    waiterSignal: SaLckWaiterSignalT,
) -> Result<Request, Failure> {
    if lockMode != SA_LCK_PR_LOCK_MODE && lockMode != SA_LCK_EX_LOCK_MODE {
        return Err(INVALID);
    }
    if lockFlags & !(SA_LCK_LOCK_NO_QUEUE | SA_LCK_LOCK_ORPHAN) != 0 {
        return Err(Failure(SA_AIS_ERR_BAD_FLAGS));
    }
    Ok(Request {
        resource,
        mode: lockMode,
        flags: lockFlags,
        waiter_signal: waiterSignal,
    })
}

/// Negotiates the version (B.1 → B.1.1, B.2 and B.3 → B.3.1, written back) and opens a
/// handle. `lckCallbacks` may be NULL (no callbacks) and is copied.
#[no_mangle]
pub unsafe extern "C" fn saLckInitialize(
    lckHandle: *mut SaLckHandleT,
    lckCallbacks: *const SaLckCallbacksT,
    version: *mut SaVersionT,
) -> SaAisErrorT {
    ffi_call(|| {
        let callbacks = lckCallbacks.as_ref().copied();
        lifecycle::initialize(lckHandle, version, client::B0301, client::negotiate, |v| {
            client::open(v, callbacks)
        })
    })
}

/// The descriptor that becomes readable when callbacks are pending.
#[no_mangle]
pub unsafe extern "C" fn saLckSelectionObjectGet(
    lckHandle: SaLckHandleT,
    selectionObject: *mut SaSelectionObjectT,
) -> SaAisErrorT {
    ffi_call(|| lifecycle::selection_object::<Lck, _>(lckHandle, selectionObject))
}

/// The options this implementation offers: orphan locks and deadlock detection.
#[no_mangle]
pub unsafe extern "C" fn saLckOptionCheck(lckHandle: SaLckHandleT, lckOptions: *mut SaLckOptionsT) -> SaAisErrorT {
    ffi_call(|| {
        let out = check::out(lckOptions)?;
        HANDLES.get(lckHandle)?;
        *out = SA_LCK_OPT_ORPHAN_LOCKS | SA_LCK_OPT_DEADLOCK_DETECTION;
        Ok(())
    })
}

/// Runs pending callbacks: ONE, ALL, or BLOCKING until the handle is finalized.
#[no_mangle]
pub unsafe extern "C" fn saLckDispatch(lckHandle: SaLckHandleT, dispatchFlags: SaDispatchFlagsT) -> SaAisErrorT {
    ffi_call(|| lifecycle::dispatch::<Lck>(lckHandle, DispatchMode::from_flags(dispatchFlags)))
}

/// Closes the handle: every lock taken through it is released (orphan locks orphaned)
/// and its waiting requests cancelled, cluster-wide.
#[no_mangle]
pub unsafe extern "C" fn saLckFinalize(lckHandle: SaLckHandleT) -> SaAisErrorT {
    ffi_call(|| lifecycle::finalize::<Lck>(lckHandle))
}

/// Opens a resource (created with SA_LCK_RESOURCE_CREATE); its handle is written back.
#[no_mangle]
pub unsafe extern "C" fn saLckResourceOpen(
    lckHandle: SaLckHandleT,
    lockResourceName: *const SaNameT,
    resourceFlags: SaLckResourceOpenFlagsT,
    timeout: SaTimeT,
    lockResourceHandle: *mut SaLckResourceHandleT,
) -> SaAisErrorT {
    ffi_call(|| {
        let name = check::sa_name(check::arg(lockResourceName)?)?;
        let out = check::out(lockResourceHandle)?;
        let wait = wait::timeout(timeout)?;
        check_open_flags(resourceFlags)?;
        let h = HANDLES.get(lckHandle)?;
        let id = h.conn.open(name, resourceFlags, Some(wait))?;
        *out = client::register_resource(lckHandle, id)?;
        Ok(())
    })
}

/// Opens a resource; the result comes to saLckResourceOpenCallback with `invocation`.
#[no_mangle]
pub unsafe extern "C" fn saLckResourceOpenAsync(
    lckHandle: SaLckHandleT,
    invocation: SaInvocationT,
    lockResourceName: *const SaNameT,
    resourceFlags: SaLckResourceOpenFlagsT,
) -> SaAisErrorT {
    ffi_call(|| {
        let name = check::sa_name(check::arg(lockResourceName)?)?;
        check_open_flags(resourceFlags)?;
        let h = HANDLES.get(lckHandle)?;
        if h.callbacks.0.saLckResourceOpenCallback.is_none() {
            return Err(Failure(SA_AIS_ERR_INIT));
        }
        Ok(h.conn.open_async(invocation, name, resourceFlags)?)
    })
}

/// Closes a resource: the locks taken through this resource handle are released
/// (orphan locks orphaned) and its waiting requests cancelled.
#[no_mangle]
pub unsafe extern "C" fn saLckResourceClose(lockResourceHandle: SaLckResourceHandleT) -> SaAisErrorT {
    ffi_call(|| {
        let r = RESOURCES.get(lockResourceHandle)?;
        let h = HANDLES.get(r.owner)?;
        h.conn.close(r.id)?;
        let _ = RESOURCES.remove(lockResourceHandle);
        forget_locks_of(|_, res| res == lockResourceHandle);
        Ok(())
    })
}

/// Requests a lock and waits until it is granted or refused (`*lockStatus`), or
/// `timeout` has passed (SA_AIS_ERR_TIMEOUT: the request is withdrawn everywhere).
#[no_mangle]
pub unsafe extern "C" fn saLckResourceLock(
    lockResourceHandle: SaLckResourceHandleT,
    lockId: *mut SaLckLockIdT,
    lockMode: SaLckLockModeT,
    lockFlags: SaLckLockFlagsT,
    waiterSignal: SaLckWaiterSignalT,
    timeout: SaTimeT,
    lockStatus: *mut SaLckLockStatusT,
) -> SaAisErrorT {
    ffi_call(|| {
        let (id_out, status_out) = (check::out(lockId)?, check::out(lockStatus)?);
        if timeout < 0 {
            return Err(INVALID);
        }
        let r = RESOURCES.get(lockResourceHandle)?;
        let req = request(r.id, lockMode, lockFlags, waiterSignal)?;
        let h = HANDLES.get(r.owner)?;
        let locked = h.conn.lock(req, timeout)?;
        if locked.status == SA_LCK_LOCK_GRANTED {
            client::handed_out(locked.lock_id, r.owner, lockResourceHandle);
        }
        (*id_out, *status_out) = (locked.lock_id, locked.status);
        Ok(())
    })
}

/// Requests a lock: its id is written back now, the result comes to
/// saLckLockGrantCallback with `invocation`.
#[no_mangle]
pub unsafe extern "C" fn saLckResourceLockAsync(
    lockResourceHandle: SaLckResourceHandleT,
    invocation: SaInvocationT,
    lockId: *mut SaLckLockIdT,
    lockMode: SaLckLockModeT,
    lockFlags: SaLckLockFlagsT,
    waiterSignal: SaLckWaiterSignalT,
) -> SaAisErrorT {
    ffi_call(|| {
        let id_out = check::out(lockId)?;
        let r = RESOURCES.get(lockResourceHandle)?;
        let req = request(r.id, lockMode, lockFlags, waiterSignal)?;
        let h = HANDLES.get(r.owner)?;
        if h.callbacks.0.saLckLockGrantCallback.is_none() {
            return Err(Failure(SA_AIS_ERR_INIT));
        }
        let id = h.conn.lock_async(req, invocation)?;
        client::handed_out(id, r.owner, lockResourceHandle);
        *id_out = id;
        Ok(())
    })
}

/// Releases a granted lock; the next waiters are granted in order.
#[no_mangle]
pub unsafe extern "C" fn saLckResourceUnlock(lockId: SaLckLockIdT, timeout: SaTimeT) -> SaAisErrorT {
    ffi_call(|| {
        wait::timeout(timeout)?;
        let (handle, _) = lock_owner(lockId).ok_or(Failure(SA_AIS_ERR_BAD_HANDLE))?;
        let h = HANDLES.get(handle)?;
        h.conn.unlock(lockId)?;
        forget_lock(lockId);
        Ok(())
    })
}

/// Releases a granted lock; the result comes to saLckResourceUnlockCallback.
#[no_mangle]
pub unsafe extern "C" fn saLckResourceUnlockAsync(invocation: SaInvocationT, lockId: SaLckLockIdT) -> SaAisErrorT {
    ffi_call(|| {
        let (handle, _) = lock_owner(lockId).ok_or(Failure(SA_AIS_ERR_BAD_HANDLE))?;
        let h = HANDLES.get(handle)?;
        if h.callbacks.0.saLckResourceUnlockCallback.is_none() {
            return Err(Failure(SA_AIS_ERR_INIT));
        }
        h.conn.unlock_async(lockId, invocation)?;
        forget_lock(lockId);
        Ok(())
    })
}

/// Removes the orphan locks of a resource; the waiters they held back are granted.
#[no_mangle]
pub unsafe extern "C" fn saLckLockPurge(lockResourceHandle: SaLckResourceHandleT) -> SaAisErrorT {
    ffi_call(|| {
        let r = RESOURCES.get(lockResourceHandle)?;
        Ok(HANDLES.get(r.owner)?.conn.purge(r.id)?)
    })
}

/// B.03.01: a limit of the service (SA_LCK_MAX_NUM_LOCKS_ID: the most locks, granted
/// and waiting, the cluster holds). A B.01.01 handle answers SA_AIS_ERR_VERSION.
#[no_mangle]
pub unsafe extern "C" fn saLckLimitGet(
    lckHandle: SaLckHandleT,
    limitId: SaLckLimitIdT,
    limitValue: *mut SaLimitValueT,
) -> SaAisErrorT {
    ffi_call(|| {
        let h = HANDLES.get(lckHandle)?;
        require_at_least(&h.version, 3, 1)?;
        let out = check::out(limitValue)?;
        if limitId != SA_LCK_MAX_NUM_LOCKS_ID {
            return Err(INVALID);
        }
        *out = SaLimitValueT {
            uint64Value: h.conn.limit(limitId)?,
        };
        Ok(())
    })
}
