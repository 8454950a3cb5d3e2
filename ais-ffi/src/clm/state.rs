//! The C side of a CLM handle: its table (tagged from `boundary::tags`) and how the
//! boundary kit's lifecycle reaches it.

use super::client::{self, Callbacks, ClmHandle};
use crate::boundary::lifecycle::{self, Library};
use crate::boundary::per_handle::PerHandle;
use crate::boundary::tags;
use crate::boundary::{version, Code, Failure};
use crate::runtime::{Connection, DispatchMode, HandleTable};
use crate::types::ais::{SaAisErrorT, SaInvocationT, SaNameT, SaNtfCorrelationIdsT, SaTimeT, SaUint32T};
use crate::types::clm::{
    SaClmChangeStepT, SaClmClusterNotificationBufferT_4, SaClmClusterNotificationT_4, SaClmNodeIdT,
};
use ais_proto::clm::NotificationList;
use std::ops::RangeInclusive;

/// The library handles of libSaClm.
pub(crate) static HANDLES: HandleTable<ClmHandle> = HandleTable::new(tags::CLM);

/// libSaClm's handles.
pub struct Clm;

impl Library for Clm {
    type State = ClmHandle;

    fn handles() -> &'static HandleTable<ClmHandle> {
        &HANDLES
    }

    fn connection(state: &ClmHandle) -> &Connection {
        &state.conn
    }

    fn dispatch(_handle: u64, state: &ClmHandle, mode: DispatchMode) -> Result<(), Code> {
        client::dispatch(state, mode)
    }

    fn finalized(handle: u64, _state: &ClmHandle) {
        forget(handle);
    }
}

/// The calls of B.01.01 to B.03.01 (saClmClusterTrack, saClmClusterNodeGet,
/// saClmClusterNotificationFree, saClmResponse): handles of saClmInitialize[_3].
pub(crate) const B01_CALLS: RangeInclusive<u8> = 1..=3;
/// The `_4` calls of B.04.01: handles of saClmInitialize_4.
pub(crate) const B04_CALLS: RangeInclusive<u8> = 4..=4;

/// The major version a handle was initialised for, as far as the calls go: a
/// saClmInitialize or saClmInitialize_3 handle has the B.01 calls, a saClmInitialize_4
/// handle the `_4` ones (whatever minor or lower major it asked for: the callbacks it gave
/// have the B.04 shapes).
pub fn major(h: &ClmHandle) -> u8 {
    match h.callbacks {
        Callbacks::B01 { .. } => 1,
        Callbacks::B04 { .. } => 4,
    }
}

/// `SA_AIS_ERR_VERSION` unless the handle's version defines the call.
pub fn require(h: &ClmHandle, calls: RangeInclusive<u8>) -> Result<(), Failure> {
    version::require(major(h), calls)
}

// ---- SA_TRACK_LOCAL ----
//
// B.04.01's saClmClusterTrack_4 takes SA_TRACK_LOCAL with SA_TRACK_CURRENT, _CHANGES or
// _CHANGES_ONLY: only the local node's entry is reported. The executive's tracking knows
// nothing of it, so the library filters: the buffer of a CURRENT call here, and the track
// callbacks through a wrapper of the application's B.04 callback (run inside the
// handle's dispatch, which `lifecycle::dispatching` names). A callback left with no entry
// (a change of another node) is not made.

type Track4 = unsafe extern "C" fn(
    *const SaClmClusterNotificationBufferT_4,
    SaUint32T,
    SaInvocationT,
    *const SaNameT,
    *const SaNtfCorrelationIdsT,
    SaClmChangeStepT,
    SaTimeT,
    SaAisErrorT,
);

/// Per B.04 handle: the application's track callback, and the local node id while its
/// tracking is SA_TRACK_LOCAL.
#[derive(Clone, Copy)]
struct Tracking {
    app: Option<Track4>,
    local: Option<SaClmNodeIdT>,
}

static TRACKING: PerHandle<Tracking> = PerHandle::new();

/// The callbacks a B.04 handle is opened with: its track callback wrapped.
pub fn wrap_callbacks(callbacks: Callbacks) -> Callbacks {
    match callbacks {
        Callbacks::B04 { node_get, track } => Callbacks::B04 {
            node_get,
            track: track.map(|_| local_filter as Track4),
        },
        b01 => b01,
    }
}

/// Records the application's callbacks of a handle just opened.
pub fn opened(handle: u64, callbacks: Callbacks) {
    if let Callbacks::B04 { track, .. } = callbacks {
        TRACKING.insert(
            handle,
            Tracking {
                app: track,
                local: None,
            },
        );
    }
}

/// The handle's callbacks now report only node `local` (Some), or every node (None).
pub fn set_local(handle: u64, local: Option<SaClmNodeIdT>) {
    TRACKING.update(handle, |t| t.local = local);
}

/// Forgets a finalized handle.
fn forget(handle: u64) {
    TRACKING.remove(handle);
}

/// The wrapper the client calls for a B.04 track callback.
#[allow(clippy::too_many_arguments)]
unsafe extern "C" fn local_filter(
    buffer: *const SaClmClusterNotificationBufferT_4,
    members: SaUint32T,
    invocation: SaInvocationT,
    root_cause: *const SaNameT,
    correlation: *const SaNtfCorrelationIdsT,
    step: SaClmChangeStepT,
    supervision: SaTimeT,
    error: SaAisErrorT,
) {
    let handle = lifecycle::dispatching();
    let Some(t) = TRACKING.get(handle) else {
        return;
    };
    let Some(app) = t.app else { return };
    let mut mine: Vec<SaClmClusterNotificationT_4>;
    let filtered: SaClmClusterNotificationBufferT_4;
    let passed = match (t.local, buffer.as_ref()) {
        (Some(local), Some(b)) => {
            let all = if b.notification.is_null() {
                &[][..]
            } else {
                std::slice::from_raw_parts(b.notification, b.numberOfItems as usize)
            };
            mine = all.iter().filter(|n| n.clusterNode.nodeId == local).copied().collect();
            if mine.is_empty() {
                return;
            }
            filtered = SaClmClusterNotificationBufferT_4 {
                viewNumber: b.viewNumber,
                numberOfItems: mine.len() as SaUint32T,
                notification: mine.as_mut_ptr(),
            };
            &filtered as *const SaClmClusterNotificationBufferT_4
        }
        _ => buffer,
    };
    app(
        passed,
        members,
        invocation,
        root_cause,
        correlation,
        step,
        supervision,
        error,
    );
}

/// Keeps only node `local`'s entries of a list.
pub fn only_local(list: &mut NotificationList, local: SaClmNodeIdT) {
    list.items.retain(|n| n.node.node_id == local);
}
