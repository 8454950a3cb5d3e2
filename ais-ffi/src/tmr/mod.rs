//! The functions `libSaTmr.so.3` exports: TMR A.01.01 (version node `OPENAIS_TMR_A.01.01`,
//! see `version-scripts/SaTmr.map`).
//!
//! Each body runs inside `ffi_call`, so no panic reaches C; the pointer work is here, the
//! rest in `client`, the handles' lifecycle in `boundary::lifecycle` (see `state`). The
//! timers live in the local executive's TMR service; a call is one request to it.
//! Arguments are checked before the handle is looked up.
//!
//! # Safety
//!
//! The functions are `unsafe` for Rust callers: the pointers must be valid as saTmr.h
//! documents them (for C callers that is the API contract).

// Parameter names follow saTmr.h: cbindgen copies them into the header.
#![allow(non_snake_case, clippy::missing_safety_doc)]

use crate::boundary::check;
use crate::boundary::lifecycle::{self, negotiate_one};
use crate::boundary::version::sa_version;
use crate::boundary::{ffi_call, Failure};
use crate::runtime::DispatchMode;
use crate::types::ais::{
    SaAisErrorT, SaDispatchFlagsT, SaSelectionObjectT, SaTimeT, SaVersionT, SA_AIS_ERR_INIT, SA_AIS_ERR_LIBRARY,
};
use crate::types::tmr::{SaTmrCallbacksT, SaTmrHandleT, SaTmrTimerAttributesT, SaTmrTimerIdT};
use core::ffi::c_void;
use state::{Tmr, HANDLES};

mod client;
mod state;

/// The version this library implements: A.01.01.
const OURS: SaVersionT = sa_version(b'A', 1, 1);

/// Negotiates the version (A.1.1 written back) and opens a handle. `timerCallbacks` may
/// be NULL (no callback: saTmrTimerStart is then SA_AIS_ERR_INIT) and is copied.
#[no_mangle]
pub unsafe extern "C" fn saTmrInitialize(
    tmrHandle: *mut SaTmrHandleT,
    timerCallbacks: *const SaTmrCallbacksT,
    version: *mut SaVersionT,
) -> SaAisErrorT {
    ffi_call(|| {
        let callbacks = timerCallbacks.as_ref().copied();
        lifecycle::initialize(
            tmrHandle,
            version,
            OURS,
            |requested| negotiate_one(requested, OURS),
            |_| client::open(callbacks),
        )
    })
}

/// The descriptor that becomes readable when expirations are pending.
#[no_mangle]
pub unsafe extern "C" fn saTmrSelectionObjectGet(
    tmrHandle: SaTmrHandleT,
    selectionObject: *mut SaSelectionObjectT,
) -> SaAisErrorT {
    ffi_call(|| lifecycle::selection_object::<Tmr, _>(tmrHandle, selectionObject))
}

/// Runs expiration callbacks: ONE runs one pending, ALL every pending (a timer's queued
/// expirations as one callback), BLOCKING until the handle is finalized.
#[no_mangle]
pub unsafe extern "C" fn saTmrDispatch(tmrHandle: SaTmrHandleT, dispatchFlags: SaDispatchFlagsT) -> SaAisErrorT {
    ffi_call(|| lifecycle::dispatch::<Tmr>(tmrHandle, DispatchMode::from_flags(dispatchFlags)))
}

/// Closes the handle: its timers are cancelled, and their pending expirations dropped.
#[no_mangle]
pub unsafe extern "C" fn saTmrFinalize(tmrHandle: SaTmrHandleT) -> SaAisErrorT {
    ffi_call(|| lifecycle::finalize::<Tmr>(tmrHandle))
}

/// Starts a timer; its id and the time the call was processed are written back.
#[no_mangle]
pub unsafe extern "C" fn saTmrTimerStart(
    tmrHandle: SaTmrHandleT,
    timerAttributes: *const SaTmrTimerAttributesT,
    timerData: *const c_void,
    timerId: *mut SaTmrTimerIdT,
    callTime: *mut SaTimeT,
) -> SaAisErrorT {
    ffi_call(|| {
        let a = client::attributes(check::arg(timerAttributes)?);
        let (id, call) = (check::out(timerId)?, check::out(callTime)?);
        let h = HANDLES.get(tmrHandle)?;
        if h.expired.0.is_none() {
            return Err(Failure(SA_AIS_ERR_INIT));
        }
        let started = h.conn.start(a, timerData as usize as u64)?;
        (*id, *call) = (started.id, started.call_time);
        Ok(())
    })
}

/// New attributes for a running timer (single-event stays single-event, periodic
/// periodic); the time the call was processed is written back.
#[no_mangle]
pub unsafe extern "C" fn saTmrTimerReschedule(
    tmrHandle: SaTmrHandleT,
    timerId: SaTmrTimerIdT,
    timerAttributes: *const SaTmrTimerAttributesT,
    callTime: *mut SaTimeT,
) -> SaAisErrorT {
    ffi_call(|| {
        let a = client::attributes(check::arg(timerAttributes)?);
        let call = check::out(callTime)?;
        *call = HANDLES.get(tmrHandle)?.conn.reschedule(timerId, a)?;
        Ok(())
    })
}

/// Stops a timer; the data given to saTmrTimerStart is written back.
#[no_mangle]
pub unsafe extern "C" fn saTmrTimerCancel(
    tmrHandle: SaTmrHandleT,
    timerId: SaTmrTimerIdT,
    timerDataP: *mut *mut c_void,
) -> SaAisErrorT {
    ffi_call(|| {
        let out = check::out(timerDataP)?;
        *out = HANDLES.get(tmrHandle)?.conn.cancel(timerId)? as usize as *mut c_void;
        Ok(())
    })
}

/// Skips the next expiration of a periodic timer.
#[no_mangle]
pub unsafe extern "C" fn saTmrPeriodicTimerSkip(tmrHandle: SaTmrHandleT, timerId: SaTmrTimerIdT) -> SaAisErrorT {
    ffi_call(|| Ok(HANDLES.get(tmrHandle)?.conn.skip(timerId)?))
}

/// The time until the timer's next expiration.
#[no_mangle]
pub unsafe extern "C" fn saTmrTimerRemainingTimeGet(
    tmrHandle: SaTmrHandleT,
    timerId: SaTmrTimerIdT,
    remainingTime: *mut SaTimeT,
) -> SaAisErrorT {
    ffi_call(|| {
        let out = check::out(remainingTime)?;
        *out = HANDLES.get(tmrHandle)?.conn.remaining(timerId)?;
        Ok(())
    })
}

/// The attributes the timer was started or last rescheduled with.
#[no_mangle]
pub unsafe extern "C" fn saTmrTimerAttributesGet(
    tmrHandle: SaTmrHandleT,
    timerId: SaTmrTimerIdT,
    timerAttributes: *mut SaTmrTimerAttributesT,
) -> SaAisErrorT {
    ffi_call(|| {
        let out = check::out(timerAttributes)?;
        *out = client::c_attributes(&HANDLES.get(tmrHandle)?.conn.attributes(timerId)?);
        Ok(())
    })
}

/// The current time: CLOCK_REALTIME nanoseconds since the epoch, the clock absolute
/// timers are set against.
#[no_mangle]
pub unsafe extern "C" fn saTmrTimeGet(tmrHandle: SaTmrHandleT, currentTime: *mut SaTimeT) -> SaAisErrorT {
    ffi_call(|| {
        let out = check::out(currentTime)?;
        HANDLES.get(tmrHandle)?;
        *out = client::time_now();
        Ok(())
    })
}

/// The resolution of that clock.
#[no_mangle]
pub unsafe extern "C" fn saTmrClockTickGet(tmrHandle: SaTmrHandleT, clockTick: *mut SaTimeT) -> SaAisErrorT {
    ffi_call(|| {
        let out = check::out(clockTick)?;
        HANDLES.get(tmrHandle)?;
        *out = client::clock_tick().ok_or(Failure(SA_AIS_ERR_LIBRARY))?;
        Ok(())
    })
}
