//! The C side of `libSaClm` over `ais_client::clm`: handles, version negotiation, the
//! C callbacks and the C records. `mod.rs` does the C pointer work around it.

use super::state::HANDLES;
use crate::boundary::call::{code, code_of};
use crate::boundary::version::sa_version;
use crate::runtime::DispatchMode;
use crate::types::ais::*;
use crate::types::clm::*;
use ais_client::clm::{self as rust, Clm, ClmEvent, ClusterNode, NotificationList};
use ais_proto::AisVersion;
use std::time::Duration;

/// Which API a handle was opened with; it decides the callback shapes.
#[derive(Clone, Copy)]
pub enum Callbacks {
    /// B.01.01 (and B.03, whose eviction callback is never invoked: nodes
    /// are taken out through B.04.01's tracking steps).
    B01 {
        node_get: SaClmClusterNodeGetCallbackT,
        track: SaClmClusterTrackCallbackT,
    },
    B04 {
        node_get: SaClmClusterNodeGetCallbackT_4,
        track: SaClmClusterTrackCallbackT_4,
    },
}

impl Callbacks {
    pub fn has_track(&self) -> bool {
        match self {
            Callbacks::B01 { track, .. } => track.is_some(),
            Callbacks::B04 { track, .. } => track.is_some(),
        }
    }
    pub fn has_node_get(&self) -> bool {
        match self {
            Callbacks::B01 { node_get, .. } => node_get.is_some(),
            Callbacks::B04 { node_get, .. } => node_get.is_some(),
        }
    }
}

pub struct ClmHandle {
    pub conn: Clm,
    pub callbacks: Callbacks,
}

// The callbacks are plain C function pointers, callable from any thread.
unsafe impl Send for Callbacks {}
unsafe impl Sync for Callbacks {}

/// The version each initialize call implements, written back to the caller.
pub(crate) const B01: SaVersionT = sa_version(b'B', 1, 1);
pub(crate) const B03: SaVersionT = sa_version(b'B', 3, 1);
pub(crate) const B04: SaVersionT = sa_version(b'B', 4, 1);

fn ais_version(v: &SaVersionT) -> AisVersion {
    AisVersion::new(v.releaseCode, v.majorVersion, v.minorVersion)
}

/// Opens a connection for a new handle and registers it.
pub fn open(ours: &SaVersionT, callbacks: Callbacks) -> Result<SaClmHandleT, SaAisErrorT> {
    let conn = Clm::open(ais_version(ours)).map_err(|e| code(e.error))?;
    HANDLES.insert(ClmHandle { conn, callbacks })
}

/// Validates `trackFlags` by the rule the executive applies too.
pub fn check_track_flags(flags: SaUint8T) -> Result<(), SaAisErrorT> {
    rust::check_track_flags(flags).map_err(code)
}

/// Starts tracking; returns the current membership when asked for in the
/// reply (CURRENT with a buffer).
pub fn track_start(h: &ClmHandle, flags: SaUint8T, in_callback: bool) -> Result<Option<NotificationList>, SaAisErrorT> {
    h.conn.track_start(flags, in_callback).map_err(code)
}

pub fn track_stop(h: &ClmHandle) -> SaAisErrorT {
    code_of(&h.conn.track_stop())
}

/// One node's record, waiting at most `timeout` nanoseconds.
pub fn node_get(h: &ClmHandle, node_id: SaClmNodeIdT, timeout: SaTimeT) -> Result<ClusterNode, SaAisErrorT> {
    h.conn
        .node_get(node_id, Duration::from_nanos(timeout as u64))
        .map_err(code)
}

/// Answers a validate or start step (saClmResponse_4).
pub fn response(h: &ClmHandle, invocation: SaInvocationT, response: SaClmResponseT) -> SaAisErrorT {
    code_of(&h.conn.response(invocation, response))
}

pub fn node_get_async(h: &ClmHandle, invocation: SaInvocationT, node_id: SaClmNodeIdT) -> SaAisErrorT {
    code_of(&h.conn.node_get_async(invocation, node_id))
}

/// Fills a B.01 node record.
pub fn to_node(n: &ClusterNode) -> SaClmClusterNodeT {
    SaClmClusterNodeT {
        nodeId: n.node_id,
        nodeAddress: to_address(n),
        nodeName: to_name(&n.name),
        member: if n.member { SA_TRUE } else { SA_FALSE },
        bootTimestamp: n.boot_timestamp,
        initialViewNumber: n.initial_view,
    }
}

/// Fills a B.04 node record (no execution environment is modelled).
pub fn to_node_4(n: &ClusterNode) -> SaClmClusterNodeT_4 {
    SaClmClusterNodeT_4 {
        nodeId: n.node_id,
        nodeAddress: to_address(n),
        nodeName: to_name(&n.name),
        executionEnvironment: to_name(&[]),
        member: if n.member { SA_TRUE } else { SA_FALSE },
        bootTimestamp: n.boot_timestamp,
        initialViewNumber: n.initial_view,
    }
}

fn to_address(n: &ClusterNode) -> SaClmNodeAddressT {
    let mut a = SaClmNodeAddressT {
        family: n.family,
        length: 0,
        value: [0; SA_CLM_MAX_ADDRESS_LENGTH],
    };
    let len = n.address.len().min(SA_CLM_MAX_ADDRESS_LENGTH);
    a.value[..len].copy_from_slice(&n.address[..len]);
    a.length = len as SaUint16T;
    a
}

fn to_name(b: &[u8]) -> SaNameT {
    let mut name = SaNameT {
        length: 0,
        value: [0; SA_MAX_NAME_LENGTH],
    };
    let len = b.len().min(SA_MAX_NAME_LENGTH);
    name.value[..len].copy_from_slice(&b[..len]);
    name.length = len as SaUint16T;
    name
}

pub fn to_notifications(list: &NotificationList) -> Vec<SaClmClusterNotificationT> {
    list.items
        .iter()
        .map(|n| SaClmClusterNotificationT {
            clusterNode: to_node(&n.node),
            clusterChange: n.change,
        })
        .collect()
}

pub fn to_notifications_4(list: &NotificationList) -> Vec<SaClmClusterNotificationT_4> {
    list.items
        .iter()
        .map(|n| SaClmClusterNotificationT_4 {
            clusterNode: to_node_4(&n.node),
            clusterChange: n.change,
        })
        .collect()
}

/// Calls the handle's track callback: a membership change (`step` None: the
/// COMPLETED step with no invocation, root cause or supervision) or a step of
/// an administrative operation. A B.01 callback hears only completed changes.
fn track_callback(h: &ClmHandle, list: &NotificationList, status: SaAisErrorT, step: Option<&rust::StepHeader>) {
    match h.callbacks {
        Callbacks::B01 { track: Some(f), .. } => {
            if step.is_some_and(|s| s.step != rust::STEP_COMPLETED) {
                return;
            }
            let mut items = to_notifications(list);
            let buf = SaClmClusterNotificationBufferT {
                viewNumber: list.view,
                numberOfItems: items.len() as SaUint32T,
                notification: items.as_mut_ptr(),
            };
            // SAFETY: a C callback the application registered, given a
            // buffer valid for the duration of the call, as the spec says.
            unsafe { f(&buf, list.members, status) };
        }
        Callbacks::B04 { track: Some(f), .. } => {
            let mut items = to_notifications_4(list);
            let buf = SaClmClusterNotificationBufferT_4 {
                viewNumber: list.view,
                numberOfItems: items.len() as SaUint32T,
                notification: items.as_mut_ptr(),
            };
            let root_cause = step.map(|s| to_name(&s.root_cause));
            let root_cause_ptr = root_cause.as_ref().map_or(std::ptr::null(), |n| n as *const SaNameT);
            let (invocation, change_step, supervision) = match step {
                Some(s) => (
                    s.invocation,
                    s.step,
                    s.supervision_ns.min(SaTimeT::MAX as u64) as SaTimeT,
                ),
                None => (0, SA_CLM_CHANGE_COMPLETED, 0),
            };
            // SAFETY: as above, the root cause valid during the call too; no
            // correlation ids are known (no notification service).
            unsafe {
                f(
                    &buf,
                    list.members,
                    invocation,
                    root_cause_ptr,
                    std::ptr::null(),
                    change_step,
                    supervision,
                    status,
                )
            };
        }
        _ => {}
    }
}

/// Runs the handle's pending callbacks.
pub fn dispatch(h: &ClmHandle, mode: DispatchMode) -> Result<(), SaAisErrorT> {
    h.conn
        .dispatch(mode, |event| match event {
            ClmEvent::Track { list, status } => track_callback(h, &list, code_of(&status), None),
            ClmEvent::Step { step, list } => track_callback(h, &list, SA_AIS_OK, Some(&step)),
            ClmEvent::NodeGet { invocation, node } => {
                let status = code_of(&node);
                match h.callbacks {
                    Callbacks::B01 { node_get: Some(f), .. } => {
                        let n = node.as_ref().ok().map(to_node);
                        let p = n.as_ref().map_or(std::ptr::null(), |n| n as *const _);
                        // SAFETY: the registered callback, with a record valid during
                        // the call (or NULL with an error).
                        unsafe { f(invocation, p, status) };
                    }
                    Callbacks::B04 { node_get: Some(f), .. } => {
                        let n = node.as_ref().ok().map(to_node_4);
                        let p = n.as_ref().map_or(std::ptr::null(), |n| n as *const _);
                        // SAFETY: as above.
                        unsafe { f(invocation, p, status) };
                    }
                    _ => {}
                }
            }
        })
        .map_err(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_negotiation_follows_the_ais_rule() {
        let v = |r: u8, maj: u8, min: u8| SaVersionT {
            releaseCode: r,
            majorVersion: maj,
            minorVersion: min,
        };
        // The rule is the boundary kit's `version::accepts`.
        let version_ok = crate::boundary::version::accepts;
        assert!(version_ok(&v(b'B', 1, 1), &B01));
        assert!(version_ok(&v(b'B', 1, 9), &B01), "minor versions do not matter");
        assert!(!version_ok(&v(b'B', 2, 1), &B01));
        assert!(!version_ok(&v(b'A', 1, 1), &B01));
        assert!(version_ok(&v(b'B', 4, 1), &B04));
        assert!(version_ok(&v(b'B', 1, 1), &B04));
    }

    /// The protocol's track flags are the C ones.
    #[test]
    fn track_flag_numbers_match_sa_track() {
        assert_eq!(
            (rust::TRACK_CURRENT, rust::TRACK_CHANGES, rust::TRACK_CHANGES_ONLY),
            (SA_TRACK_CURRENT, SA_TRACK_CHANGES, SA_TRACK_CHANGES_ONLY)
        );
    }

    #[test]
    fn track_flags() {
        assert_eq!(check_track_flags(SA_TRACK_CURRENT), Ok(()));
        assert_eq!(check_track_flags(SA_TRACK_CURRENT | SA_TRACK_CHANGES_ONLY), Ok(()));
        assert_eq!(check_track_flags(0), Err(SA_AIS_ERR_BAD_FLAGS));
        assert_eq!(
            check_track_flags(SA_TRACK_CHANGES | SA_TRACK_CHANGES_ONLY),
            Err(SA_AIS_ERR_BAD_FLAGS)
        );
        assert_eq!(check_track_flags(SA_TRACK_LOCAL), Err(SA_AIS_ERR_BAD_FLAGS));
    }

    #[test]
    fn records_are_copied_into_the_c_structs_with_their_lengths() {
        let n = ClusterNode {
            node_id: 3,
            family: 1,
            address: b"127.0.0.3".to_vec(),
            name: b"host3".to_vec(),
            member: true,
            boot_timestamp: 7,
            initial_view: 2,
        };
        let c = to_node(&n);
        assert_eq!(
            (c.nodeId, c.nodeAddress.length, c.nodeName.length, c.member),
            (3, 9, 5, SA_TRUE)
        );
        assert_eq!(&c.nodeAddress.value[..9], b"127.0.0.3");
        assert_eq!(to_node_4(&n).executionEnvironment.length, 0);
    }
}
