//! The functions `libSaClm.so.3` exports: CLM B.01.01 (node `OPENAIS_CLM_B.01.01`) and
//! B.04.01 (node `OPENAIS_CLM_B.04.01`, see `version-scripts/SaClm.map`).
//!
//! The client runtime that talks to the executive does not exist yet, so every call answers
//! `SA_AIS_ERR_NOT_SUPPORTED` and touches none of its arguments. Each body is one
//! `guard(|| ...)` call, the place the real implementation goes.
//!
//! # Safety
//!
//! The functions are `unsafe` for Rust callers: the pointers must be valid as saClm.h
//! documents them (for C callers that is the API contract).

// Parameter names follow saClm.h: cbindgen copies them into the header.
#![allow(non_snake_case, clippy::missing_safety_doc)]

use crate::guard::guard;
use crate::types::ais::{
    SaAisErrorT, SaDispatchFlagsT, SaInvocationT, SaSelectionObjectT, SaTimeT, SaUint8T,
    SaVersionT, SA_AIS_ERR_NOT_SUPPORTED,
};
use crate::types::clm::{
    SaClmCallbacksT, SaClmCallbacksT_3, SaClmCallbacksT_4, SaClmClusterNodeT, SaClmClusterNodeT_4,
    SaClmClusterNotificationBufferT, SaClmClusterNotificationBufferT_4, SaClmClusterNotificationT,
    SaClmClusterNotificationT_4, SaClmHandleT, SaClmNodeIdT, SaClmResponseT,
};

/// What every call answers until the client runtime exists: never a claim of success.
fn not_supported() -> SaAisErrorT {
    SA_AIS_ERR_NOT_SUPPORTED
}

// ---- B.01.01 ----

/// B.01.01: opens a CLM handle with B.01 callbacks; negotiates `*version`.
#[no_mangle]
pub unsafe extern "C" fn saClmInitialize(
    clmHandle: *mut SaClmHandleT,
    clmCallbacks: *const SaClmCallbacksT,
    version: *mut SaVersionT,
) -> SaAisErrorT {
    let _ = (clmHandle, clmCallbacks, version);
    guard(not_supported)
}

/// B.01.01: the file descriptor that becomes readable when callbacks are pending.
#[no_mangle]
pub unsafe extern "C" fn saClmSelectionObjectGet(
    clmHandle: SaClmHandleT,
    selectionObject: *mut SaSelectionObjectT,
) -> SaAisErrorT {
    let _ = (clmHandle, selectionObject);
    guard(not_supported)
}

/// B.01.01: runs pending callbacks (`SA_DISPATCH_ONE`, `_ALL` or `_BLOCKING`).
#[no_mangle]
pub unsafe extern "C" fn saClmDispatch(
    clmHandle: SaClmHandleT,
    dispatchFlags: SaDispatchFlagsT,
) -> SaAisErrorT {
    let _ = (clmHandle, dispatchFlags);
    guard(not_supported)
}

/// B.01.01: closes the handle and stops its tracking.
#[no_mangle]
pub unsafe extern "C" fn saClmFinalize(clmHandle: SaClmHandleT) -> SaAisErrorT {
    let _ = clmHandle;
    guard(not_supported)
}

/// B.01.01: reports the membership now (`SA_TRACK_CURRENT`) and/or its changes.
#[no_mangle]
pub unsafe extern "C" fn saClmClusterTrack(
    clmHandle: SaClmHandleT,
    trackFlags: SaUint8T,
    notificationBuffer: *mut SaClmClusterNotificationBufferT,
) -> SaAisErrorT {
    let _ = (clmHandle, trackFlags, notificationBuffer);
    guard(not_supported)
}

/// B.01.01: stops the change tracking `saClmClusterTrack` started.
#[no_mangle]
pub unsafe extern "C" fn saClmClusterTrackStop(clmHandle: SaClmHandleT) -> SaAisErrorT {
    let _ = clmHandle;
    guard(not_supported)
}

/// B.01.01: one node's information, waiting at most `timeout`.
#[no_mangle]
pub unsafe extern "C" fn saClmClusterNodeGet(
    clmHandle: SaClmHandleT,
    nodeId: SaClmNodeIdT,
    timeout: SaTimeT,
    clusterNode: *mut SaClmClusterNodeT,
) -> SaAisErrorT {
    let _ = (clmHandle, nodeId, timeout, clusterNode);
    guard(not_supported)
}

/// B.01.01: one node's information, delivered to the node-get callback.
#[no_mangle]
pub unsafe extern "C" fn saClmClusterNodeGetAsync(
    clmHandle: SaClmHandleT,
    invocation: SaInvocationT,
    nodeId: SaClmNodeIdT,
) -> SaAisErrorT {
    let _ = (clmHandle, invocation, nodeId);
    guard(not_supported)
}

// ---- B.02 - B.04.01 ----

/// B.03: opens a CLM handle with B.03 callbacks (adds node eviction).
#[no_mangle]
pub unsafe extern "C" fn saClmInitialize_3(
    clmHandle: *mut SaClmHandleT,
    clmCallbacks: *const SaClmCallbacksT_3,
    version: *mut SaVersionT,
) -> SaAisErrorT {
    let _ = (clmHandle, clmCallbacks, version);
    guard(not_supported)
}

/// B.04.01: opens a CLM handle with B.04 callbacks.
#[no_mangle]
pub unsafe extern "C" fn saClmInitialize_4(
    clmHandle: *mut SaClmHandleT,
    clmCallbacks: *const SaClmCallbacksT_4,
    version: *mut SaVersionT,
) -> SaAisErrorT {
    let _ = (clmHandle, clmCallbacks, version);
    guard(not_supported)
}

/// B.04.01: as `saClmClusterTrack`, with B.04 node information and steps.
#[no_mangle]
pub unsafe extern "C" fn saClmClusterTrack_4(
    clmHandle: SaClmHandleT,
    trackFlags: SaUint8T,
    notificationBuffer: *mut SaClmClusterNotificationBufferT_4,
) -> SaAisErrorT {
    let _ = (clmHandle, trackFlags, notificationBuffer);
    guard(not_supported)
}

/// B.04.01: as `saClmClusterNodeGet`, with B.04 node information.
#[no_mangle]
pub unsafe extern "C" fn saClmClusterNodeGet_4(
    clmHandle: SaClmHandleT,
    nodeId: SaClmNodeIdT,
    timeout: SaTimeT,
    clusterNode: *mut SaClmClusterNodeT_4,
) -> SaAisErrorT {
    let _ = (clmHandle, nodeId, timeout, clusterNode);
    guard(not_supported)
}

/// B.02: frees the notification array a track call allocated.
#[no_mangle]
pub unsafe extern "C" fn saClmClusterNotificationFree(
    clmHandle: SaClmHandleT,
    notification: *mut SaClmClusterNotificationT,
) -> SaAisErrorT {
    let _ = (clmHandle, notification);
    guard(not_supported)
}

/// B.04.01: frees the notification array a B.04 track call allocated.
#[no_mangle]
pub unsafe extern "C" fn saClmClusterNotificationFree_4(
    clmHandle: SaClmHandleT,
    notification: *mut SaClmClusterNotificationT_4,
) -> SaAisErrorT {
    let _ = (clmHandle, notification);
    guard(not_supported)
}

/// B.03: answers a node-eviction callback.
#[no_mangle]
pub unsafe extern "C" fn saClmResponse(
    clmHandle: SaClmHandleT,
    invocation: SaInvocationT,
    error: SaAisErrorT,
) -> SaAisErrorT {
    let _ = (clmHandle, invocation, error);
    guard(not_supported)
}

/// B.04.01: answers a track callback of the validate or start step.
#[no_mangle]
pub unsafe extern "C" fn saClmResponse_4(
    clmHandle: SaClmHandleT,
    invocation: SaInvocationT,
    response: SaClmResponseT,
) -> SaAisErrorT {
    let _ = (clmHandle, invocation, response);
    guard(not_supported)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::ais::{SA_DISPATCH_ALL, SA_TIME_ONE_SECOND};
    use crate::types::clm::{SA_CLM_CALLBACK_RESPONSE_OK, SA_CLM_LOCAL_NODE_ID};
    use std::ptr::{null, null_mut};

    /// No stub may claim success, whatever it is given (including out-of-range enums).
    #[test]
    fn every_call_answers_not_supported() {
        let mut handle: SaClmHandleT = 0;
        let mut version = SaVersionT {
            releaseCode: b'B',
            majorVersion: 1,
            minorVersion: 1,
        };
        let answers = unsafe {
            [
                saClmInitialize(&mut handle, null(), &mut version),
                saClmSelectionObjectGet(handle, null_mut()),
                saClmDispatch(handle, SA_DISPATCH_ALL),
                saClmDispatch(handle, 0xdead_beef),
                saClmFinalize(handle),
                saClmClusterTrack(handle, 0xff, null_mut()),
                saClmClusterTrackStop(handle),
                saClmClusterNodeGet(handle, SA_CLM_LOCAL_NODE_ID, SA_TIME_ONE_SECOND, null_mut()),
                saClmClusterNodeGetAsync(handle, 7, SA_CLM_LOCAL_NODE_ID),
                saClmInitialize_3(&mut handle, null(), &mut version),
                saClmInitialize_4(&mut handle, null(), &mut version),
                saClmClusterTrack_4(handle, 1, null_mut()),
                saClmClusterNodeGet_4(handle, 1, -1, null_mut()),
                saClmClusterNotificationFree(handle, null_mut()),
                saClmClusterNotificationFree_4(handle, null_mut()),
                saClmResponse(handle, 7, 12345),
                saClmResponse_4(handle, 7, SA_CLM_CALLBACK_RESPONSE_OK),
            ]
        };
        assert!(
            answers.iter().all(|&e| e == SA_AIS_ERR_NOT_SUPPORTED),
            "{answers:?}"
        );
        // Nothing was written through the pointers.
        assert_eq!(handle, 0);
        assert_eq!(
            version,
            SaVersionT {
                releaseCode: b'B',
                majorVersion: 1,
                minorVersion: 1
            }
        );
    }
}
