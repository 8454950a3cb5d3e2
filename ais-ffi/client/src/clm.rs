//! The CLM service (SA Forum Cluster Membership): the cluster's nodes, their records and
//! the changes of the membership. The executive answers from its replica of the view.

use std::time::Duration;

use ais_proto::clm as msg;
use ais_proto::{AisVersion, Reader, ServiceId, Writer};

pub use ais_proto::clm::{AdminRequest, ClusterNode, Notification, NotificationList, StepHeader, LOCAL_NODE_ID};
pub use ais_proto::clm::{ADMIN_LOCK, ADMIN_SHUTDOWN, ADMIN_UNLOCK};
pub use ais_proto::clm::{RESPONSE_ERROR, RESPONSE_OK, RESPONSE_REJECTED};
pub use ais_proto::clm::{STEP_ABORTED, STEP_COMPLETED, STEP_START, STEP_VALIDATE};
pub use ais_proto::clm::{TRACK_CHANGES, TRACK_CHANGES_ONLY, TRACK_CURRENT, TRACK_START_STEP, TRACK_VALIDATE_STEP};

use crate::runtime::{Connection, DispatchMode, OpenError, SocketName, DEFAULT_HANDSHAKE_TIMEOUT};
use crate::Error;

/// The versions of the CLM API: B.01.01, B.03.01, B.04.01.
pub const B0101: AisVersion = AisVersion::new(b'B', 1, 1);
pub const B0301: AisVersion = AisVersion::new(b'B', 3, 1);
pub const B0401: AisVersion = AisVersion::new(b'B', 4, 1);

/// A callback of the CLM service, delivered by [`Clm::dispatch`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClmEvent {
    /// The membership changed (or, for `TRACK_CURRENT` asked in a callback, is this).
    Track {
        list: NotificationList,
        /// The status the executive reports with it.
        status: Result<(), Error>,
    },
    /// One step of an administrative operation on a node (B.04.01): VALIDATE
    /// and START expect [`Clm::response`] with `step.invocation`.
    Step { step: StepHeader, list: NotificationList },
    /// The answer to [`Clm::node_get_async`].
    NodeGet {
        invocation: u64,
        node: Result<ClusterNode, Error>,
    },
}

/// One handle of the CLM service. It derefs to its [`Connection`] (selection object,
/// version, finalize); dropping it finalizes it.
pub struct Clm {
    conn: Connection,
}

/// Validates track flags by the rule the executive applies too.
pub fn check_track_flags(flags: u8) -> Result<(), Error> {
    if msg::track_flags_valid(u32::from(flags)) {
        Ok(())
    } else {
        Err(Error::BadFlags)
    }
}

impl Clm {
    /// Opens a handle on the executive `AIS_IPC_SOCKET` names (default `@ais`).
    pub fn open(version: AisVersion) -> Result<Clm, OpenError> {
        Ok(Clm {
            conn: Connection::open(ServiceId::CLM, version)?,
        })
    }

    /// Opens a handle on `socket`.
    pub fn open_at(socket: &SocketName, version: AisVersion) -> Result<Clm, OpenError> {
        Ok(Clm {
            conn: Connection::open_at(socket, ServiceId::CLM, version, DEFAULT_HANDSHAKE_TIMEOUT)?,
        })
    }

    /// The current membership.
    pub fn members(&self) -> Result<NotificationList, Error> {
        self.track_start(TRACK_CURRENT, false)?.ok_or(Error::Library)
    }

    /// Starts tracking (`TRACK_CHANGES` or `TRACK_CHANGES_ONLY`, with `TRACK_CURRENT`);
    /// returns the current membership when `TRACK_CURRENT` is asked for outside a
    /// callback. Changes come as [`ClmEvent::Track`].
    pub fn track_start(&self, flags: u8, in_callback: bool) -> Result<Option<NotificationList>, Error> {
        check_track_flags(flags)?;
        let mut w = Writer::new();
        w.u8(flags).bool(in_callback);
        let payload = self.conn.call(msg::TRACK_START, w.as_slice(), None)?.ok()?;
        if flags & TRACK_CURRENT != 0 && !in_callback {
            let list = NotificationList::decode(&mut Reader::new(&payload)).map_err(|_| Error::Library)?;
            return Ok(Some(list));
        }
        Ok(None)
    }

    pub fn track_stop(&self) -> Result<(), Error> {
        self.conn.call(msg::TRACK_STOP, &[], None)?.ok().map(drop)
    }

    /// One node's record, waiting at most `timeout`.
    pub fn node_get(&self, node_id: u32, timeout: Duration) -> Result<ClusterNode, Error> {
        let mut w = Writer::new();
        w.u32(node_id);
        let payload = self.conn.call(msg::NODE_GET, w.as_slice(), Some(timeout))?.ok()?;
        ClusterNode::decode(&mut Reader::new(&payload)).map_err(|_| Error::Library)
    }

    /// Asks for a node's record; it comes as [`ClmEvent::NodeGet`] with `invocation`.
    pub fn node_get_async(&self, invocation: u64, node_id: u32) -> Result<(), Error> {
        let mut w = Writer::new();
        w.u64(invocation).u32(node_id);
        self.conn.call(msg::NODE_GET_ASYNC, w.as_slice(), None)?.ok().map(drop)
    }

    /// Answers a VALIDATE or START step (saClmResponse_4): `response` is
    /// [`RESPONSE_OK`], [`RESPONSE_REJECTED`] or [`RESPONSE_ERROR`].
    pub fn response(&self, invocation: u64, response: u32) -> Result<(), Error> {
        let mut w = Writer::new();
        w.u64(invocation).u32(response);
        self.conn.call(msg::RESPONSE, w.as_slice(), None)?.ok().map(drop)
    }

    /// Locks, unlocks or shuts down node `node_id` ([`ADMIN_LOCK`], ...) and
    /// waits for the outcome: the executive answers once the operation is
    /// over (root only). `supervision` is how long the start step waits for
    /// its trackers (None: the executive's default).
    pub fn admin(&self, operation: u32, node_id: u32, supervision: Option<Duration>) -> Result<(), Error> {
        let mut w = Writer::new();
        AdminRequest {
            operation,
            node_id,
            supervision_ns: supervision.map_or(0, |d| d.as_nanos().min(u64::MAX as u128) as u64),
        }
        .encode(&mut w);
        self.conn.call(msg::ADMIN, w.as_slice(), None)?.ok().map(drop)
    }

    /// Runs pending callbacks through `f` as `mode` says. Callbacks that do not decode are
    /// dropped.
    pub fn dispatch(&self, mode: DispatchMode, mut f: impl FnMut(ClmEvent)) -> Result<(), Error> {
        self.conn.dispatch(mode, |cb| {
            let mut r = Reader::new(cb.payload);
            match cb.msg {
                msg::TRACK_CALLBACK => {
                    if let Ok(list) = NotificationList::decode(&mut r) {
                        f(ClmEvent::Track {
                            list,
                            status: Error::check(cb.status),
                        });
                    }
                }
                msg::TRACK_STEP_CALLBACK => {
                    let Ok(step) = StepHeader::decode(&mut r) else { return };
                    if let Ok(list) = NotificationList::decode(&mut r) {
                        f(ClmEvent::Step { step, list });
                    }
                }
                msg::NODE_GET_CALLBACK => {
                    let Ok(invocation) = r.u64() else { return };
                    let node =
                        Error::check(cb.status).and_then(|()| ClusterNode::decode(&mut r).map_err(|_| Error::Library));
                    f(ClmEvent::NodeGet { invocation, node });
                }
                _ => {}
            }
        })
    }
}

/// The connection underneath: selection object, version, finalize.
impl std::ops::Deref for Clm {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.conn
    }
}
