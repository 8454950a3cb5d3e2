//! The functions `libSaClm.so.3` exports: CLM B.01.01 (node `OPENAIS_CLM_B.01.01`) and
//! B.04.01 (node `OPENAIS_CLM_B.04.01`, see `version-scripts/SaClm.map`).
//!
//! Each body runs inside `ffi_call`, so no panic reaches C; the pointer work is here, the
//! rest (handles, requests, decoding) in `client`, the handles' lifecycle in
//! `boundary::lifecycle` (see `state`). Requests go to the local
//! executive's CLM service, which answers from its replica of the membership.
//!
//! # Safety
//!
//! The functions are `unsafe` for Rust callers: the pointers must be valid as saClm.h
//! documents them (for C callers that is the API contract).

// Parameter names follow saClm.h: cbindgen copies them into the header.
#![allow(non_snake_case, clippy::missing_safety_doc)]

use crate::boundary::check::{self, INVALID};
use crate::boundary::lifecycle::{self, negotiate_one};
use crate::boundary::memory::MEMORY;
use crate::boundary::timeout::timeout_ns;
use crate::boundary::{ffi_call, status, Failure, Outcome};
use crate::runtime::DispatchMode;
use crate::types::ais::{
    SaAisErrorT, SaDispatchFlagsT, SaInvocationT, SaSelectionObjectT, SaTimeT, SaUint32T, SaUint64T, SaUint8T,
    SaVersionT, SA_AIS_ERR_INIT, SA_AIS_ERR_NO_SPACE, SA_TRACK_CHANGES, SA_TRACK_CHANGES_ONLY, SA_TRACK_CURRENT,
    SA_TRACK_LOCAL,
};
use crate::types::clm::{
    SaClmCallbacksT, SaClmCallbacksT_3, SaClmCallbacksT_4, SaClmClusterNodeGetCallbackT, SaClmClusterNodeT,
    SaClmClusterNodeT_4, SaClmClusterNotificationBufferT, SaClmClusterNotificationBufferT_4, SaClmClusterNotificationT,
    SaClmClusterNotificationT_4, SaClmClusterTrackCallbackT, SaClmHandleT, SaClmNodeIdT, SaClmResponseT,
    SA_CLM_LOCAL_NODE_ID,
};
use ais_proto::clm::NotificationList;
use client::{Callbacks, ClmHandle, B01, B03, B04};
use state::HANDLES;
use state::{Clm, B01_CALLS, B04_CALLS};
use std::ops::RangeInclusive;

mod client;
mod state;

/// Negotiates the version (writing it back), then opens the handle.
unsafe fn initialize(
    handle: *mut SaClmHandleT,
    version: *mut SaVersionT,
    ours: SaVersionT,
    callbacks: Callbacks,
) -> Outcome {
    lifecycle::initialize(
        handle,
        version,
        ours,
        |requested| negotiate_one(requested, ours),
        |granted| {
            let handle = client::open(&granted, state::wrap_callbacks(callbacks))?;
            state::opened(handle, callbacks);
            Ok(handle)
        },
    )
}

/// saClmInitialize and saClmInitialize_3: B.01 callback shapes (B.03's node
/// eviction callback is never invoked: there are no administrative operations).
unsafe fn initialize_b01(
    handle: *mut SaClmHandleT,
    version: *mut SaVersionT,
    ours: SaVersionT,
    callbacks: Option<(SaClmClusterNodeGetCallbackT, SaClmClusterTrackCallbackT)>,
) -> Outcome {
    let (node_get, track) = callbacks.unwrap_or((None, None));
    initialize(handle, version, ours, Callbacks::B01 { node_get, track })
}

/// saClmClusterNodeGet for either record type `T`.
unsafe fn node_get<T>(
    calls: RangeInclusive<u8>,
    handle: SaClmHandleT,
    node_id: SaClmNodeIdT,
    timeout: SaTimeT,
    out: *mut T,
    convert: fn(&ais_proto::clm::ClusterNode) -> T,
) -> Outcome {
    let h = HANDLES.get(handle)?;
    state::require(&h, calls)?;
    let out = check::out(out)?;
    // A timeout below the floor (0 in openais programs) waits the floor.
    *out = convert(&client::node_get(&h, node_id, timeout_ns(timeout)?)?);
    Ok(())
}

/// saClmClusterTrack for either notification type `T`: the buffer's fields
/// are passed as (viewNumber, numberOfItems, notification).
unsafe fn track<T: Copy>(
    calls: RangeInclusive<u8>,
    handle: SaClmHandleT,
    h: &ClmHandle,
    flags: SaUint8T,
    buffer: Option<(&mut SaUint64T, &mut SaUint32T, &mut *mut T)>,
    convert: fn(&NotificationList) -> Vec<T>,
) -> Outcome {
    let b04 = calls == B04_CALLS;
    state::require(h, calls)?;
    // SA_TRACK_LOCAL (B.04.01 only, with CURRENT, CHANGES or CHANGES_ONLY) is the
    // library's: the executive tracks the whole membership.
    let local_asked = b04 && flags & SA_TRACK_LOCAL != 0;
    let flags = if local_asked { flags & !SA_TRACK_LOCAL } else { flags };
    client::check_track_flags(flags)?;
    let changes = flags & (SA_TRACK_CHANGES | SA_TRACK_CHANGES_ONLY) != 0;
    let current = flags & SA_TRACK_CURRENT != 0;
    // Changes, and the current membership without a buffer, come through the
    // track callback: it must exist.
    if (changes || (current && buffer.is_none())) && !h.callbacks.has_track() {
        return Err(Failure(SA_AIS_ERR_INIT));
    }
    let in_callback = current && buffer.is_none();
    let local = if local_asked {
        Some(client::node_get(h, SA_CLM_LOCAL_NODE_ID, timeout_ns(0)?)?.node_id)
    } else {
        None
    };
    if changes || in_callback {
        state::set_local(handle, local);
    }
    let list = client::track_start(h, flags, in_callback)?;
    let (Some(mut list), Some((view, count, array))) = (list, buffer) else {
        return Ok(());
    };
    if let Some(local) = local {
        state::only_local(&mut list, local);
    }
    let items = convert(&list);
    *view = list.view;
    if !(*array).is_null() {
        // The caller's array: it must be large enough.
        if (*count as usize) < items.len() {
            *count = items.len() as SaUint32T;
            return Err(Failure(SA_AIS_ERR_NO_SPACE));
        }
        std::ptr::copy_nonoverlapping(items.as_ptr(), *array, items.len());
        *count = items.len() as SaUint32T;
        return Ok(());
    }
    // Ours, freed by saClmClusterNotificationFree (malloc, as C expects).
    *array = MEMORY.copy_out(handle, 0, &items)?;
    *count = items.len() as SaUint32T;
    Ok(())
}

/// Frees an array `track` allocated for this handle (after the version check, which
/// comes before the arguments). A pointer the library never gave out is handed to `free()`
/// when `foreign` says so (saClmClusterNotificationFree_4, see there); otherwise it, like
/// another handle's array, is INVALID_PARAM.
unsafe fn free_notification(handle: SaClmHandleT, calls: RangeInclusive<u8>, p: *mut u8, foreign: bool) -> Outcome {
    state::require(&*HANDLES.get(handle)?, calls)?;
    check::non_null(p)?;
    if foreign && !MEMORY.is_ours(p) {
        libc::free(p.cast());
        return Ok(());
    }
    MEMORY.free(handle, p)
}

// ---- B.01.01 ----

/// B.01.01: opens a CLM handle with B.01 callbacks; negotiates `*version`.
#[no_mangle]
pub unsafe extern "C" fn saClmInitialize(
    clmHandle: *mut SaClmHandleT,
    clmCallbacks: *const SaClmCallbacksT,
    version: *mut SaVersionT,
) -> SaAisErrorT {
    ffi_call(|| {
        let cb = clmCallbacks
            .as_ref()
            .map(|c| (c.saClmClusterNodeGetCallback, c.saClmClusterTrackCallback));
        initialize_b01(clmHandle, version, B01, cb)
    })
}

/// B.01.01: the file descriptor that becomes readable when callbacks are pending.
#[no_mangle]
pub unsafe extern "C" fn saClmSelectionObjectGet(
    clmHandle: SaClmHandleT,
    selectionObject: *mut SaSelectionObjectT,
) -> SaAisErrorT {
    ffi_call(|| lifecycle::selection_object::<Clm, _>(clmHandle, selectionObject))
}

/// B.01.01: runs pending callbacks (`SA_DISPATCH_ONE`, `_ALL` or `_BLOCKING`).
#[no_mangle]
pub unsafe extern "C" fn saClmDispatch(clmHandle: SaClmHandleT, dispatchFlags: SaDispatchFlagsT) -> SaAisErrorT {
    ffi_call(|| lifecycle::dispatch::<Clm>(clmHandle, DispatchMode::from_flags(dispatchFlags)))
}

/// B.01.01: closes the handle and stops its tracking.
#[no_mangle]
pub unsafe extern "C" fn saClmFinalize(clmHandle: SaClmHandleT) -> SaAisErrorT {
    ffi_call(|| lifecycle::finalize::<Clm>(clmHandle))
}

/// B.01.01: reports the membership now (`SA_TRACK_CURRENT`) and/or its changes.
#[no_mangle]
pub unsafe extern "C" fn saClmClusterTrack(
    clmHandle: SaClmHandleT,
    trackFlags: SaUint8T,
    notificationBuffer: *mut SaClmClusterNotificationBufferT,
) -> SaAisErrorT {
    ffi_call(|| {
        let h = HANDLES.get(clmHandle)?;
        track(
            B01_CALLS,
            clmHandle,
            &h,
            trackFlags,
            notificationBuffer
                .as_mut()
                .map(|b| (&mut b.viewNumber, &mut b.numberOfItems, &mut b.notification)),
            client::to_notifications,
        )
    })
}

/// B.01.01: stops the change tracking `saClmClusterTrack` started.
#[no_mangle]
pub unsafe extern "C" fn saClmClusterTrackStop(clmHandle: SaClmHandleT) -> SaAisErrorT {
    ffi_call(|| {
        status(client::track_stop(&*HANDLES.get(clmHandle)?))?;
        state::set_local(clmHandle, None);
        Ok(())
    })
}

/// B.01.01: one node's information, waiting at most `timeout`.
#[no_mangle]
pub unsafe extern "C" fn saClmClusterNodeGet(
    clmHandle: SaClmHandleT,
    nodeId: SaClmNodeIdT,
    timeout: SaTimeT,
    clusterNode: *mut SaClmClusterNodeT,
) -> SaAisErrorT {
    ffi_call(|| node_get(B01_CALLS, clmHandle, nodeId, timeout, clusterNode, client::to_node))
}

/// B.01.01: one node's information, delivered to the node-get callback.
#[no_mangle]
pub unsafe extern "C" fn saClmClusterNodeGetAsync(
    clmHandle: SaClmHandleT,
    invocation: SaInvocationT,
    nodeId: SaClmNodeIdT,
) -> SaAisErrorT {
    ffi_call(|| {
        let h = HANDLES.get(clmHandle)?;
        if !h.callbacks.has_node_get() {
            return Err(Failure(SA_AIS_ERR_INIT));
        }
        status(client::node_get_async(&h, invocation, nodeId))
    })
}

// ---- B.02 - B.04.01 ----

/// B.03: opens a CLM handle with B.03 callbacks (adds node eviction).
#[no_mangle]
pub unsafe extern "C" fn saClmInitialize_3(
    clmHandle: *mut SaClmHandleT,
    clmCallbacks: *const SaClmCallbacksT_3,
    version: *mut SaVersionT,
) -> SaAisErrorT {
    ffi_call(|| {
        let cb = clmCallbacks
            .as_ref()
            .map(|c| (c.saClmClusterNodeGetCallback, c.saClmClusterTrackCallback));
        initialize_b01(clmHandle, version, B03, cb)
    })
}

/// B.04.01: opens a CLM handle with B.04 callbacks.
#[no_mangle]
pub unsafe extern "C" fn saClmInitialize_4(
    clmHandle: *mut SaClmHandleT,
    clmCallbacks: *const SaClmCallbacksT_4,
    version: *mut SaVersionT,
) -> SaAisErrorT {
    ffi_call(|| {
        let cb = clmCallbacks.as_ref().copied();
        let callbacks = Callbacks::B04 {
            node_get: cb.and_then(|c| c.saClmClusterNodeGetCallback),
            track: cb.and_then(|c| c.saClmClusterTrackCallback),
        };
        initialize(clmHandle, version, B04, callbacks)
    })
}

/// B.04.01: as `saClmClusterTrack`, with B.04 node information and steps.
#[no_mangle]
pub unsafe extern "C" fn saClmClusterTrack_4(
    clmHandle: SaClmHandleT,
    trackFlags: SaUint8T,
    notificationBuffer: *mut SaClmClusterNotificationBufferT_4,
) -> SaAisErrorT {
    ffi_call(|| {
        let h = HANDLES.get(clmHandle)?;
        track(
            B04_CALLS,
            clmHandle,
            &h,
            trackFlags,
            notificationBuffer
                .as_mut()
                .map(|b| (&mut b.viewNumber, &mut b.numberOfItems, &mut b.notification)),
            client::to_notifications_4,
        )
    })
}

/// B.04.01: as `saClmClusterNodeGet`, with B.04 node information.
#[no_mangle]
pub unsafe extern "C" fn saClmClusterNodeGet_4(
    clmHandle: SaClmHandleT,
    nodeId: SaClmNodeIdT,
    timeout: SaTimeT,
    clusterNode: *mut SaClmClusterNodeT_4,
) -> SaAisErrorT {
    ffi_call(|| node_get(B04_CALLS, clmHandle, nodeId, timeout, clusterNode, client::to_node_4))
}

/// B.02: frees the notification array a track call allocated.
#[no_mangle]
pub unsafe extern "C" fn saClmClusterNotificationFree(
    clmHandle: SaClmHandleT,
    notification: *mut SaClmClusterNotificationT,
) -> SaAisErrorT {
    ffi_call(|| free_notification(clmHandle, B01_CALLS, notification as *mut u8, false))
}

/// B.04.01: frees the notification array a B.04 track call allocated.
///
/// A notification array the application allocated with `malloc()` itself is freed too,
/// as OpenSAF does: programs written for OpenSAF pass such arrays, and refusing them
/// would leak them. Only a pointer from `malloc()` may be passed (as with OpenSAF); an
/// array this library gave out for another handle is still refused.
#[no_mangle]
pub unsafe extern "C" fn saClmClusterNotificationFree_4(
    clmHandle: SaClmHandleT,
    notification: *mut SaClmClusterNotificationT_4,
) -> SaAisErrorT {
    ffi_call(|| free_notification(clmHandle, B04_CALLS, notification as *mut u8, true))
}

/// B.03: answers a node-eviction callback.
#[no_mangle]
pub unsafe extern "C" fn saClmResponse(
    clmHandle: SaClmHandleT,
    invocation: SaInvocationT,
    error: SaAisErrorT,
) -> SaAisErrorT {
    // No callback of this implementation asks for a response (there are no
    // administrative operations), so no invocation is ever pending.
    ffi_call(|| {
        let _ = (invocation, error);
        state::require(&*HANDLES.get(clmHandle)?, B01_CALLS)?;
        Err(INVALID)
    })
}

/// B.04.01: answers a track callback of the validate or start step.
#[no_mangle]
pub unsafe extern "C" fn saClmResponse_4(
    clmHandle: SaClmHandleT,
    invocation: SaInvocationT,
    response: SaClmResponseT,
) -> SaAisErrorT {
    // As saClmResponse: no validate or start step is ever sent.
    ffi_call(|| {
        let _ = (invocation, response);
        state::require(&*HANDLES.get(clmHandle)?, B04_CALLS)?;
        Err(INVALID)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::boundary::version::sa_version as v;
    use crate::types::ais::{
        SA_AIS_ERR_BAD_FLAGS, SA_AIS_ERR_BAD_HANDLE, SA_AIS_ERR_INVALID_PARAM, SA_AIS_ERR_TRY_AGAIN,
        SA_AIS_ERR_VERSION, SA_DISPATCH_ALL, SA_TIME_ONE_SECOND,
    };
    use crate::types::clm::{SA_CLM_CALLBACK_RESPONSE_OK, SA_CLM_LOCAL_NODE_ID};
    use std::ptr::{null, null_mut};

    /// Without an executive: version errors write our version back, a missing
    /// executive is TRY_AGAIN, NULL pointers are INVALID_PARAM, and a handle
    /// that was never opened is BAD_HANDLE everywhere (out-of-range enums too).
    #[test]
    fn error_paths_without_an_executive() {
        std::env::set_var("AIS_IPC_SOCKET", format!("@ais-clm-test-nobody-{}", std::process::id()));
        let mut handle: SaClmHandleT = 0;
        unsafe {
            let mut version = v(b'B', 2, 1);
            assert_eq!(saClmInitialize(&mut handle, null(), &mut version), SA_AIS_ERR_VERSION);
            assert_eq!(version, v(b'B', 1, 1), "the supported version is written back");
            let mut version = v(b'A', 1, 1);
            assert_eq!(saClmInitialize_4(&mut handle, null(), &mut version), SA_AIS_ERR_VERSION);
            assert_eq!(version, v(b'B', 4, 1));
            let mut version = v(b'B', 1, 1);
            assert_eq!(
                saClmInitialize(null_mut(), null(), &mut version),
                SA_AIS_ERR_INVALID_PARAM
            );
            assert_eq!(
                saClmInitialize(&mut handle, null(), null_mut()),
                SA_AIS_ERR_INVALID_PARAM
            );
            assert_eq!(saClmInitialize(&mut handle, null(), &mut version), SA_AIS_ERR_TRY_AGAIN);
            assert_eq!(handle, 0, "no handle without an executive");
            let bad = 0x0001_0000_0000_0099;
            let mut sel = 0;
            let answers = [
                saClmSelectionObjectGet(bad, &mut sel),
                saClmDispatch(bad, SA_DISPATCH_ALL),
                saClmFinalize(bad),
                saClmClusterTrack(bad, SA_TRACK_CURRENT, null_mut()),
                saClmClusterTrackStop(bad),
                saClmClusterNodeGet(bad, SA_CLM_LOCAL_NODE_ID, SA_TIME_ONE_SECOND, &mut std::mem::zeroed()),
                saClmClusterNodeGetAsync(bad, 7, SA_CLM_LOCAL_NODE_ID),
                saClmClusterTrack_4(bad, 1, null_mut()),
                saClmClusterNodeGet_4(bad, 1, 5, &mut std::mem::zeroed()),
                saClmClusterNotificationFree(bad, null_mut()),
                saClmClusterNotificationFree_4(bad, null_mut()),
                saClmResponse(bad, 7, 12345),
                saClmResponse_4(bad, 7, SA_CLM_CALLBACK_RESPONSE_OK),
            ];
            assert!(answers.iter().all(|&e| e == SA_AIS_ERR_BAD_HANDLE), "{answers:?}");
            assert_eq!(saClmSelectionObjectGet(bad, null_mut()), SA_AIS_ERR_INVALID_PARAM);
            assert_eq!(saClmDispatch(bad, 0xdead_beef), SA_AIS_ERR_INVALID_PARAM);
        }
        assert_eq!(client::check_track_flags(0xff), Err(SA_AIS_ERR_BAD_FLAGS));
    }
}
