//! The CFG service: the local executive's ring, as `ais-cfgtool -s` shows it.

use std::time::Duration;

use ais_proto::cfg::{QUORUM_STATUS, RING_STATUS};
use ais_proto::{AisVersion, ServiceId};

pub use ais_proto::cfg::{QuorumStatus, RingStatus};

use crate::runtime::{Connection, OpenError, SocketName, DEFAULT_HANDSHAKE_TIMEOUT};
use crate::Error;

/// The CFG service has no AIS version.
const VERSION: AisVersion = AisVersion::new(0, 0, 0);

/// One handle of the CFG service.
pub struct Cfg {
    conn: Connection,
}

impl Cfg {
    /// Opens a handle on the executive `AIS_IPC_SOCKET` names (default `@ais`).
    pub fn open() -> Result<Cfg, OpenError> {
        Ok(Cfg {
            conn: Connection::open(ServiceId::CFG, VERSION)?,
        })
    }

    /// Opens a handle on `socket`.
    pub fn open_at(socket: &SocketName) -> Result<Cfg, OpenError> {
        Ok(Cfg {
            conn: Connection::open_at(socket, ServiceId::CFG, VERSION, DEFAULT_HANDSHAKE_TIMEOUT)?,
        })
    }

    /// The ring: its id, state, members and counters, waiting at most `timeout`.
    pub fn ring_status(&self, timeout: Duration) -> Result<RingStatus, Error> {
        let payload = self.conn.call(RING_STATUS, &[], Some(timeout))?.ok()?;
        RingStatus::decode(&payload).map_err(|_| Error::Library)
    }

    /// This node's quorum (votes, expected votes, members), waiting at most `timeout`.
    pub fn quorum_status(&self, timeout: Duration) -> Result<QuorumStatus, Error> {
        let payload = self.conn.call(QUORUM_STATUS, &[], Some(timeout))?.ok()?;
        QuorumStatus::decode(&payload).map_err(|_| Error::Library)
    }
}
