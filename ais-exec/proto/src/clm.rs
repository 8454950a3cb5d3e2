//! The cluster membership service's messages between `libSaClm` and the
//! executive. The frame header carries the message id and, on responses and
//! callbacks, the `SaAisErrorT` status; the payloads are below.

use crate::codec::{DecodeError, EncodeError, Reader, Writer};

/// Request `track_flags: u8, current_in_callback: bool`. Response: a
/// [`NotificationList`] when `SA_TRACK_CURRENT` was asked without a callback,
/// else empty.
pub const TRACK_START: u16 = 1;
/// Request and response empty.
pub const TRACK_STOP: u16 = 2;
/// Request `node_id: u32`; response a [`ClusterNode`].
pub const NODE_GET: u16 = 3;
/// Request `invocation: u64, node_id: u32`; response empty.
pub const NODE_GET_ASYNC: u16 = 4;
/// Request `invocation: u64, response: u32` (`SaClmResponseT`): the answer to a
/// [`TRACK_STEP_CALLBACK`] of the validate or start step (saClmResponse_4).
/// Response empty; `SA_AIS_ERR_INVALID_PARAM` for an invocation this handle
/// was not given or a response out of range.
pub const RESPONSE: u16 = 5;
/// Request an [`AdminRequest`]: lock, unlock or shut down a node (B.04.01
/// §3.2 administrative operations; root only). The response comes once the
/// operation is over: OK, or `SA_AIS_ERR_FAILED_OPERATION` when a tracker
/// rejected it, `SA_AIS_ERR_NO_OP` when the node already is in that state,
/// `SA_AIS_ERR_NOT_EXIST` for an unknown node, `SA_AIS_ERR_TRY_AGAIN` while
/// another operation runs, `SA_AIS_ERR_ACCESS` for a peer that is not root.
pub const ADMIN: u16 = 6;
/// Callback: a [`NotificationList`].
pub const TRACK_CALLBACK: u16 = 101;
/// Callback: a [`StepHeader`] then a [`NotificationList`]: one step of an
/// administrative operation (B.04.01 `SaClmClusterTrackCallbackT_4`).
pub const TRACK_STEP_CALLBACK: u16 = 103;
/// Callback: `invocation: u64`, then a [`ClusterNode`] when the status is OK.
pub const NODE_GET_CALLBACK: u16 = 102;

/// `SA_CLM_LOCAL_NODE_ID`: the node the executive runs on.
pub const LOCAL_NODE_ID: u32 = 0xFFFF_FFFF;

/// `SA_TRACK_CURRENT`, `SA_TRACK_CHANGES`, `SA_TRACK_CHANGES_ONLY`.
pub const TRACK_CURRENT: u8 = 1;
pub const TRACK_CHANGES: u8 = 2;
pub const TRACK_CHANGES_ONLY: u8 = 4;
/// `SA_TRACK_START_STEP`, `SA_TRACK_VALIDATE_STEP` (B.04.01).
pub const TRACK_START_STEP: u8 = 0x10;
pub const TRACK_VALIDATE_STEP: u8 = 0x20;

/// The `trackFlags` rule, checked by the library before asking and by the
/// executive on receipt: only the defined bits, at least one of CURRENT,
/// CHANGES, CHANGES_ONLY, not both CHANGES and CHANGES_ONLY, and the step
/// flags only with CHANGES or CHANGES_ONLY (B.04.01 saClmClusterTrack_4:
/// SA_AIS_ERR_BAD_FLAGS otherwise).
pub fn track_flags_valid(flags: u32) -> bool {
    let base = (TRACK_CURRENT | TRACK_CHANGES | TRACK_CHANGES_ONLY) as u32;
    let steps = (TRACK_START_STEP | TRACK_VALIDATE_STEP) as u32;
    let both = (TRACK_CHANGES | TRACK_CHANGES_ONLY) as u32;
    flags & base != 0
        && flags & !(base | steps) == 0
        && flags & both != both
        && (flags & steps == 0 || flags & both != 0)
}

/// `SaClmChangeStepT`.
pub const STEP_VALIDATE: u32 = 1;
pub const STEP_START: u32 = 2;
pub const STEP_ABORTED: u32 = 3;
pub const STEP_COMPLETED: u32 = 4;

/// `SaClmResponseT`.
pub const RESPONSE_OK: u32 = 1;
pub const RESPONSE_REJECTED: u32 = 2;
pub const RESPONSE_ERROR: u32 = 3;

/// `SaClmAdminOperationIdT`.
pub const ADMIN_UNLOCK: u32 = 1;
pub const ADMIN_LOCK: u32 = 2;
pub const ADMIN_SHUTDOWN: u32 = 3;

/// `SaClmClusterChangesT` values B.04.01 adds for administrative operations.
pub const NODE_UNLOCK: u32 = 5;
pub const NODE_SHUTDOWN: u32 = 6;

/// The payload of [`ADMIN`]: `operation: u32, node_id: u32, supervision_ns: u64`
/// (how long the start step waits for its trackers; 0 for the default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdminRequest {
    pub operation: u32,
    pub node_id: u32,
    pub supervision_ns: u64,
}

impl AdminRequest {
    pub fn encode(&self, w: &mut Writer) {
        w.u32(self.operation).u32(self.node_id).u64(self.supervision_ns);
    }

    pub fn decode(r: &mut Reader<'_>) -> Result<AdminRequest, DecodeError> {
        let operation = r.u32()?;
        if !(ADMIN_UNLOCK..=ADMIN_SHUTDOWN).contains(&operation) {
            return Err(DecodeError::Invalid("CLM administrative operation"));
        }
        Ok(AdminRequest {
            operation,
            node_id: r.u32()?,
            supervision_ns: r.u64()?,
        })
    }
}

/// What a [`TRACK_STEP_CALLBACK`] says before its list: `invocation: u64`
/// (0 when no response is expected), `step: u32`, `supervision_ns: u64`,
/// `root_cause` (the node taken out, as a name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepHeader {
    pub invocation: u64,
    pub step: u32,
    pub supervision_ns: u64,
    pub root_cause: Vec<u8>,
}

impl StepHeader {
    pub fn encode(&self, w: &mut Writer) -> Result<(), EncodeError> {
        w.u64(self.invocation).u32(self.step).u64(self.supervision_ns);
        w.name(&self.root_cause)?;
        Ok(())
    }

    pub fn decode(r: &mut Reader<'_>) -> Result<StepHeader, DecodeError> {
        let invocation = r.u64()?;
        let step = r.u32()?;
        if !(STEP_VALIDATE..=STEP_COMPLETED).contains(&step) {
            return Err(DecodeError::Invalid("CLM change step"));
        }
        Ok(StepHeader {
            invocation,
            step,
            supervision_ns: r.u64()?,
            root_cause: r.name()?.to_vec(),
        })
    }
}

/// `SaClmClusterNodeT` on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterNode {
    pub node_id: u32,
    pub family: u32,
    /// The address as text, at most 64 bytes.
    pub address: Vec<u8>,
    /// At most 256 bytes.
    pub name: Vec<u8>,
    pub member: bool,
    pub boot_timestamp: i64,
    pub initial_view: u64,
}

/// `SaClmClusterNotificationT` on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub node: ClusterNode,
    /// `SaClmClusterChangesT`.
    pub change: u32,
}

/// A notification buffer's contents.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NotificationList {
    pub view: u64,
    /// Members of the view (the `numberOfMembers` of the B.04 callback).
    pub members: u32,
    pub items: Vec<Notification>,
}

/// Smallest encoding of one [`Notification`], for count checks.
const MIN_NOTIFICATION: usize = 4 + 4 + 2 + 2 + 1 + 8 + 8 + 4;

impl ClusterNode {
    pub fn encode(&self, w: &mut Writer) -> Result<(), EncodeError> {
        if self.address.len() > 64 {
            return Err(EncodeError::NameTooLong(self.address.len()));
        }
        w.u32(self.node_id).u32(self.family);
        w.name(&self.address)?;
        w.name(&self.name)?;
        w.bool(self.member).i64(self.boot_timestamp).u64(self.initial_view);
        Ok(())
    }

    pub fn decode(r: &mut Reader<'_>) -> Result<ClusterNode, DecodeError> {
        let node_id = r.u32()?;
        let family = r.u32()?;
        let address = r.name()?;
        if address.len() > 64 {
            return Err(DecodeError::Invalid("node address (longer than 64 bytes)"));
        }
        let address = address.to_vec();
        let name = r.name()?.to_vec();
        Ok(ClusterNode {
            node_id,
            family,
            address,
            name,
            member: r.bool()?,
            boot_timestamp: r.i64()?,
            initial_view: r.u64()?,
        })
    }
}

impl NotificationList {
    pub fn encode(&self, w: &mut Writer) -> Result<(), EncodeError> {
        w.u64(self.view).u32(self.members);
        w.count(self.items.len())?;
        for n in &self.items {
            n.node.encode(w)?;
            w.u32(n.change);
        }
        Ok(())
    }

    pub fn decode(r: &mut Reader<'_>) -> Result<NotificationList, DecodeError> {
        let view = r.u64()?;
        let members = r.u32()?;
        let count = r.count(MIN_NOTIFICATION)?;
        let mut items = Vec::with_capacity(count);
        for _ in 0..count {
            let node = ClusterNode::decode(r)?;
            items.push(Notification { node, change: r.u32()? });
        }
        Ok(NotificationList { view, members, items })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list() -> NotificationList {
        let node = |id: u32| ClusterNode {
            node_id: id,
            family: 1,
            address: format!("10.0.0.{id}").into_bytes(),
            name: format!("node{id}").into_bytes(),
            member: id != 3,
            boot_timestamp: 1_700_000_000_000_000_000,
            initial_view: 2,
        };
        NotificationList {
            view: 5,
            members: 2,
            items: vec![
                Notification {
                    node: node(1),
                    change: 1,
                },
                Notification {
                    node: node(2),
                    change: 2,
                },
                Notification {
                    node: node(3),
                    change: 3,
                },
            ],
        }
    }

    #[test]
    fn notification_lists_round_trip_and_every_truncation_fails() {
        let mut w = Writer::new();
        list().encode(&mut w).unwrap();
        let bytes = w.into_vec();
        let mut r = Reader::new(&bytes);
        assert_eq!(NotificationList::decode(&mut r).unwrap(), list());
        assert_eq!(r.finish(), Ok(()));
        for n in 0..bytes.len() {
            let mut r = Reader::new(&bytes[..n]);
            assert!(NotificationList::decode(&mut r).is_err(), "cut at {n}");
        }
    }

    #[test]
    fn step_headers_and_admin_requests_round_trip_and_refuse_bad_values() {
        let h = StepHeader {
            invocation: 9,
            step: STEP_START,
            supervision_ns: 5,
            root_cause: b"node2".to_vec(),
        };
        let mut w = Writer::new();
        h.encode(&mut w).unwrap();
        let b = w.into_vec();
        assert_eq!(StepHeader::decode(&mut Reader::new(&b)).unwrap(), h);
        for n in 0..b.len() {
            assert!(StepHeader::decode(&mut Reader::new(&b[..n])).is_err(), "cut at {n}");
        }
        let mut bad = b.clone();
        bad[8..12].copy_from_slice(&9u32.to_le_bytes());
        assert!(
            StepHeader::decode(&mut Reader::new(&bad)).is_err(),
            "step 9 is not a step"
        );
        let a = AdminRequest {
            operation: ADMIN_LOCK,
            node_id: 2,
            supervision_ns: 7,
        };
        let mut w = Writer::new();
        a.encode(&mut w);
        assert_eq!(AdminRequest::decode(&mut Reader::new(w.as_slice())).unwrap(), a);
        let mut w = Writer::new();
        w.u32(4).u32(2).u64(0);
        assert!(
            AdminRequest::decode(&mut Reader::new(w.as_slice())).is_err(),
            "CLUSTER_RESET is not offered"
        );
    }

    /// B.04.01 saClmClusterTrack_4: the step flags need CHANGES or CHANGES_ONLY.
    #[test]
    fn step_flags_need_changes() {
        assert!(track_flags_valid(
            (TRACK_CHANGES | TRACK_VALIDATE_STEP | TRACK_START_STEP) as u32
        ));
        assert!(track_flags_valid((TRACK_CHANGES_ONLY | TRACK_START_STEP) as u32));
        assert!(!track_flags_valid((TRACK_CURRENT | TRACK_START_STEP) as u32));
        assert!(!track_flags_valid(TRACK_VALIDATE_STEP as u32));
        assert!(!track_flags_valid(0x48));
    }

    #[test]
    fn an_absurd_count_is_refused_before_allocating() {
        let mut w = Writer::new();
        w.u64(1).u32(1).u32(u32::MAX);
        let bytes = w.into_vec();
        assert!(NotificationList::decode(&mut Reader::new(&bytes)).is_err());
    }
}
