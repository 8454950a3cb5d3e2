//! The functions `libSaClm.so.3` exports: CLM B.01.01 (node `OPENAIS_CLM_B.01.01`) and
//! B.04.01 (node `OPENAIS_CLM_B.04.01`, see `version-scripts/SaClm.map`).
//!
//! Each body runs inside `guard`, so no panic reaches C; the pointer work is here, the
//! rest (handles, requests, decoding) in `clm_client`. Requests go to the local
//! executive's CLM service, which answers from its replica of the membership.
//!
//! # Safety
//!
//! The functions are `unsafe` for Rust callers: the pointers must be valid as saClm.h
//! documents them (for C callers that is the API contract).

// Parameter names follow saClm.h: cbindgen copies them into the header.
#![allow(non_snake_case, clippy::missing_safety_doc)]

use crate::clm_client::{self as client, Callbacks, ClmHandle, B01, B03, B04, HANDLES};
use crate::guard::guard;
use crate::runtime::DispatchMode;
use crate::types::ais::{
    SaAisErrorT, SaDispatchFlagsT, SaInvocationT, SaSelectionObjectT, SaTimeT, SaUint32T, SaUint64T, SaUint8T,
    SaVersionT, SA_AIS_ERR_INIT, SA_AIS_ERR_INVALID_PARAM, SA_AIS_ERR_NO_MEMORY, SA_AIS_ERR_NO_SPACE,
    SA_AIS_ERR_VERSION, SA_AIS_OK, SA_TRACK_CHANGES, SA_TRACK_CHANGES_ONLY, SA_TRACK_CURRENT,
};
use crate::types::clm::{
    SaClmCallbacksT, SaClmCallbacksT_3, SaClmCallbacksT_4, SaClmClusterNodeGetCallbackT, SaClmClusterNodeT,
    SaClmClusterNodeT_4, SaClmClusterNotificationBufferT, SaClmClusterNotificationBufferT_4, SaClmClusterNotificationT,
    SaClmClusterNotificationT_4, SaClmClusterTrackCallbackT, SaClmHandleT, SaClmNodeIdT, SaClmResponseT,
};
use ais_proto::clm::NotificationList;

/// Checks and writes back the version, then opens the handle.
unsafe fn initialize(
    handle: *mut SaClmHandleT,
    version: *mut SaVersionT,
    ours: &SaVersionT,
    callbacks: Callbacks,
) -> SaAisErrorT {
    let requested = *version;
    *version = *ours;
    if !client::version_ok(&requested, ours) {
        return SA_AIS_ERR_VERSION;
    }
    match client::open(ours, callbacks) {
        Ok(h) => {
            *handle = h;
            SA_AIS_OK
        }
        Err(e) => e,
    }
}

/// saClmInitialize and saClmInitialize_3: B.01 callback shapes (B.03's node
/// eviction callback is never invoked: there are no administrative operations).
unsafe fn initialize_b01(
    handle: *mut SaClmHandleT,
    version: *mut SaVersionT,
    ours: &SaVersionT,
    callbacks: Option<(SaClmClusterNodeGetCallbackT, SaClmClusterTrackCallbackT)>,
) -> SaAisErrorT {
    if handle.is_null() || version.is_null() {
        return SA_AIS_ERR_INVALID_PARAM;
    }
    let (node_get, track) = callbacks.unwrap_or((None, None));
    initialize(handle, version, ours, Callbacks::B01 { node_get, track })
}

/// saClmClusterNodeGet for either record type `T`.
unsafe fn node_get<T>(
    handle: SaClmHandleT,
    node_id: SaClmNodeIdT,
    timeout: SaTimeT,
    out: *mut T,
    convert: fn(&ais_proto::clm::ClusterNode) -> T,
) -> SaAisErrorT {
    let h = match HANDLES.get(handle) {
        Ok(h) => h,
        Err(e) => return e,
    };
    if out.is_null() || timeout < 0 {
        return SA_AIS_ERR_INVALID_PARAM;
    }
    match client::node_get(&h, node_id, timeout) {
        Ok(n) => {
            *out = convert(&n);
            SA_AIS_OK
        }
        Err(e) => e,
    }
}

/// saClmClusterTrack for either notification type `T`: the buffer's fields
/// are passed as (viewNumber, numberOfItems, notification).
unsafe fn track<T: Copy>(
    h: &ClmHandle,
    flags: SaUint8T,
    buffer: Option<(&mut SaUint64T, &mut SaUint32T, &mut *mut T)>,
    convert: fn(&NotificationList) -> Vec<T>,
) -> SaAisErrorT {
    if let Err(e) = client::check_track_flags(flags) {
        return e;
    }
    let changes = flags & (SA_TRACK_CHANGES | SA_TRACK_CHANGES_ONLY) != 0;
    let current = flags & SA_TRACK_CURRENT != 0;
    // Changes, and the current membership without a buffer, come through the
    // track callback: it must exist.
    if (changes || (current && buffer.is_none())) && !h.callbacks.has_track() {
        return SA_AIS_ERR_INIT;
    }
    let in_callback = current && buffer.is_none();
    let list = match client::track_start(h, flags, in_callback) {
        Ok(l) => l,
        Err(e) => return e,
    };
    let (Some(list), Some((view, count, array))) = (list, buffer) else {
        return SA_AIS_OK;
    };
    let items = convert(&list);
    *view = list.view;
    if !(*array).is_null() {
        // The caller's array: it must be large enough.
        if (*count as usize) < items.len() {
            *count = items.len() as SaUint32T;
            return SA_AIS_ERR_NO_SPACE;
        }
        std::ptr::copy_nonoverlapping(items.as_ptr(), *array, items.len());
        *count = items.len() as SaUint32T;
        return SA_AIS_OK;
    }
    // Ours, freed by saClmClusterNotificationFree (malloc, as C expects).
    let bytes = std::mem::size_of::<T>() * items.len().max(1);
    let p = libc::malloc(bytes) as *mut T;
    if p.is_null() {
        return SA_AIS_ERR_NO_MEMORY;
    }
    std::ptr::copy_nonoverlapping(items.as_ptr(), p, items.len());
    h.allocated.lock().unwrap_or_else(|e| e.into_inner()).insert(p as usize);
    *array = p;
    *count = items.len() as SaUint32T;
    SA_AIS_OK
}

/// Frees an array `track` allocated for this handle; anything else is
/// INVALID_PARAM (never a free of a foreign pointer).
unsafe fn free_notification(handle: SaClmHandleT, p: *mut u8) -> SaAisErrorT {
    let h = match HANDLES.get(handle) {
        Ok(h) => h,
        Err(e) => return e,
    };
    if p.is_null()
        || !h
            .allocated
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&(p as usize))
    {
        return SA_AIS_ERR_INVALID_PARAM;
    }
    libc::free(p as *mut libc::c_void);
    SA_AIS_OK
}

// ---- B.01.01 ----

/// B.01.01: opens a CLM handle with B.01 callbacks; negotiates `*version`.
#[no_mangle]
pub unsafe extern "C" fn saClmInitialize(
    clmHandle: *mut SaClmHandleT,
    clmCallbacks: *const SaClmCallbacksT,
    version: *mut SaVersionT,
) -> SaAisErrorT {
    guard(|| {
        let cb = clmCallbacks
            .as_ref()
            .map(|c| (c.saClmClusterNodeGetCallback, c.saClmClusterTrackCallback));
        initialize_b01(clmHandle, version, &B01, cb)
    })
}

/// B.01.01: the file descriptor that becomes readable when callbacks are pending.
#[no_mangle]
pub unsafe extern "C" fn saClmSelectionObjectGet(
    clmHandle: SaClmHandleT,
    selectionObject: *mut SaSelectionObjectT,
) -> SaAisErrorT {
    guard(|| {
        if selectionObject.is_null() {
            return SA_AIS_ERR_INVALID_PARAM;
        }
        match HANDLES.get(clmHandle) {
            Ok(h) => {
                *selectionObject = h.conn.selection_object() as SaSelectionObjectT;
                SA_AIS_OK
            }
            Err(e) => e,
        }
    })
}

/// B.01.01: runs pending callbacks (`SA_DISPATCH_ONE`, `_ALL` or `_BLOCKING`).
#[no_mangle]
pub unsafe extern "C" fn saClmDispatch(clmHandle: SaClmHandleT, dispatchFlags: SaDispatchFlagsT) -> SaAisErrorT {
    guard(|| {
        let Some(mode) = DispatchMode::from_flags(dispatchFlags) else {
            return SA_AIS_ERR_INVALID_PARAM;
        };
        match HANDLES.get(clmHandle) {
            Ok(h) => match client::dispatch(&h, mode) {
                Ok(()) => SA_AIS_OK,
                Err(e) => e,
            },
            Err(e) => e,
        }
    })
}

/// B.01.01: closes the handle and stops its tracking.
#[no_mangle]
pub unsafe extern "C" fn saClmFinalize(clmHandle: SaClmHandleT) -> SaAisErrorT {
    guard(|| match HANDLES.remove(clmHandle) {
        Ok(h) => {
            // Ends a blocking dispatch in another thread; the executive sees the
            // sockets close and drops the handle's tracking.
            h.conn.finalize();
            SA_AIS_OK
        }
        Err(e) => e,
    })
}

/// B.01.01: reports the membership now (`SA_TRACK_CURRENT`) and/or its changes.
#[no_mangle]
pub unsafe extern "C" fn saClmClusterTrack(
    clmHandle: SaClmHandleT,
    trackFlags: SaUint8T,
    notificationBuffer: *mut SaClmClusterNotificationBufferT,
) -> SaAisErrorT {
    guard(|| {
        let h = match HANDLES.get(clmHandle) {
            Ok(h) => h,
            Err(e) => return e,
        };
        track(
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
    guard(|| match HANDLES.get(clmHandle) {
        Ok(h) => client::track_stop(&h),
        Err(e) => e,
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
    guard(|| node_get(clmHandle, nodeId, timeout, clusterNode, client::to_node))
}

/// B.01.01: one node's information, delivered to the node-get callback.
#[no_mangle]
pub unsafe extern "C" fn saClmClusterNodeGetAsync(
    clmHandle: SaClmHandleT,
    invocation: SaInvocationT,
    nodeId: SaClmNodeIdT,
) -> SaAisErrorT {
    guard(|| {
        let h = match HANDLES.get(clmHandle) {
            Ok(h) => h,
            Err(e) => return e,
        };
        if !h.callbacks.has_node_get() {
            return SA_AIS_ERR_INIT;
        }
        client::node_get_async(&h, invocation, nodeId)
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
    guard(|| {
        let cb = clmCallbacks
            .as_ref()
            .map(|c| (c.saClmClusterNodeGetCallback, c.saClmClusterTrackCallback));
        initialize_b01(clmHandle, version, &B03, cb)
    })
}

/// B.04.01: opens a CLM handle with B.04 callbacks.
#[no_mangle]
pub unsafe extern "C" fn saClmInitialize_4(
    clmHandle: *mut SaClmHandleT,
    clmCallbacks: *const SaClmCallbacksT_4,
    version: *mut SaVersionT,
) -> SaAisErrorT {
    guard(|| {
        if clmHandle.is_null() || version.is_null() {
            return SA_AIS_ERR_INVALID_PARAM;
        }
        let cb = if clmCallbacks.is_null() {
            None
        } else {
            Some(*clmCallbacks)
        };
        let callbacks = Callbacks::B04 {
            node_get: cb.and_then(|c| c.saClmClusterNodeGetCallback),
            track: cb.and_then(|c| c.saClmClusterTrackCallback),
        };
        initialize(clmHandle, version, &B04, callbacks)
    })
}

/// B.04.01: as `saClmClusterTrack`, with B.04 node information and steps.
#[no_mangle]
pub unsafe extern "C" fn saClmClusterTrack_4(
    clmHandle: SaClmHandleT,
    trackFlags: SaUint8T,
    notificationBuffer: *mut SaClmClusterNotificationBufferT_4,
) -> SaAisErrorT {
    guard(|| {
        let h = match HANDLES.get(clmHandle) {
            Ok(h) => h,
            Err(e) => return e,
        };
        track(
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
    guard(|| node_get(clmHandle, nodeId, timeout, clusterNode, client::to_node_4))
}

/// B.02: frees the notification array a track call allocated.
#[no_mangle]
pub unsafe extern "C" fn saClmClusterNotificationFree(
    clmHandle: SaClmHandleT,
    notification: *mut SaClmClusterNotificationT,
) -> SaAisErrorT {
    guard(|| free_notification(clmHandle, notification as *mut u8))
}

/// B.04.01: frees the notification array a B.04 track call allocated.
#[no_mangle]
pub unsafe extern "C" fn saClmClusterNotificationFree_4(
    clmHandle: SaClmHandleT,
    notification: *mut SaClmClusterNotificationT_4,
) -> SaAisErrorT {
    guard(|| free_notification(clmHandle, notification as *mut u8))
}

/// B.03: answers a node-eviction callback.
#[no_mangle]
pub unsafe extern "C" fn saClmResponse(
    clmHandle: SaClmHandleT,
    invocation: SaInvocationT,
    error: SaAisErrorT,
) -> SaAisErrorT {
    let _ = error;
    // No callback of this implementation asks for a response (there are no
    // administrative operations), so no invocation is ever pending.
    guard(|| match HANDLES.get(clmHandle) {
        Ok(_) => {
            let _ = invocation;
            SA_AIS_ERR_INVALID_PARAM
        }
        Err(e) => e,
    })
}

/// B.04.01: answers a track callback of the validate or start step.
#[no_mangle]
pub unsafe extern "C" fn saClmResponse_4(
    clmHandle: SaClmHandleT,
    invocation: SaInvocationT,
    response: SaClmResponseT,
) -> SaAisErrorT {
    let _ = response;
    // As saClmResponse: no validate or start step is ever sent.
    guard(|| match HANDLES.get(clmHandle) {
        Ok(_) => {
            let _ = invocation;
            SA_AIS_ERR_INVALID_PARAM
        }
        Err(e) => e,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::ais::{
        SA_AIS_ERR_BAD_FLAGS, SA_AIS_ERR_BAD_HANDLE, SA_AIS_ERR_TRY_AGAIN, SA_DISPATCH_ALL, SA_TIME_ONE_SECOND,
    };
    use crate::types::clm::{SA_CLM_CALLBACK_RESPONSE_OK, SA_CLM_LOCAL_NODE_ID};
    use std::ptr::{null, null_mut};

    fn v(r: u8, maj: u8, min: u8) -> SaVersionT {
        SaVersionT {
            releaseCode: r,
            majorVersion: maj,
            minorVersion: min,
        }
    }

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
