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
/// Callback: a [`NotificationList`].
pub const TRACK_CALLBACK: u16 = 101;
/// Callback: `invocation: u64`, then a [`ClusterNode`] when the status is OK.
pub const NODE_GET_CALLBACK: u16 = 102;

/// `SA_CLM_LOCAL_NODE_ID`: the node the executive runs on.
pub const LOCAL_NODE_ID: u32 = 0xFFFF_FFFF;

/// `SA_TRACK_CURRENT`, `SA_TRACK_CHANGES`, `SA_TRACK_CHANGES_ONLY`.
pub const TRACK_CURRENT: u8 = 1;
pub const TRACK_CHANGES: u8 = 2;
pub const TRACK_CHANGES_ONLY: u8 = 4;

/// The `trackFlags` rule, checked by the library before asking and by the
/// executive on receipt: only the three defined bits, at least one, and not
/// both CHANGES and CHANGES_ONLY.
pub fn track_flags_valid(flags: u32) -> bool {
    let known = (TRACK_CURRENT | TRACK_CHANGES | TRACK_CHANGES_ONLY) as u32;
    let both = (TRACK_CHANGES | TRACK_CHANGES_ONLY) as u32;
    flags != 0 && flags & !known == 0 && flags & both != both
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
    fn an_absurd_count_is_refused_before_allocating() {
        let mut w = Writer::new();
        w.u64(1).u32(1).u32(u32::MAX);
        let bytes = w.into_vec();
        assert!(NotificationList::decode(&mut Reader::new(&bytes)).is_err());
    }
}
