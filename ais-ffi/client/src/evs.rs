//! The EVS service (corosync 1.x's extended virtual synchrony groups): messages to
//! 32-byte group keys, delivered in the same order on every node.

use ais_proto::evs as msg;
use ais_proto::{AisVersion, ServiceId};

pub use ais_proto::evs::{ConfChg, Deliver, Group, Membership, GROUP_LEN, MAX_GROUPS, MAX_JOIN_GROUPS, MAX_MESSAGE};

use crate::runtime::{Connection, DispatchMode, OpenError, SocketName, DEFAULT_HANDSHAKE_TIMEOUT};
use crate::Error;

/// The executive's EVS service has no AIS version.
const VERSION: AisVersion = AisVersion::new(0, 0, 0);

/// A callback of the EVS service, delivered by [`Evs::dispatch`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EvsEvent<'a> {
    Deliver(Deliver<'a>),
    ConfChg(ConfChg),
}

/// One handle of the EVS service. It derefs to its [`Connection`] (selection object,
/// finalize); dropping it finalizes it.
pub struct Evs {
    conn: Connection,
}

impl Evs {
    /// Opens a handle on the executive `AIS_IPC_SOCKET` names (default `@ais`).
    pub fn open() -> Result<Evs, OpenError> {
        Ok(Evs {
            conn: Connection::open(ServiceId::EVS, VERSION)?,
        })
    }

    /// Opens a handle on `socket`.
    pub fn open_at(socket: &SocketName) -> Result<Evs, OpenError> {
        Ok(Evs {
            conn: Connection::open_at(socket, ServiceId::EVS, VERSION, DEFAULT_HANDSHAKE_TIMEOUT)?,
        })
    }

    /// Joins `groups`: at most [`MAX_JOIN_GROUPS`] in one call, as in corosync
    /// ([`Error::NoBindings`], corosync's `CS_ERR_TOO_MANY_GROUPS`, past it).
    pub fn join(&self, groups: &[Group]) -> Result<(), Error> {
        if groups.len() > MAX_JOIN_GROUPS {
            return Err(Error::NoBindings);
        }
        self.conn
            .call(msg::JOIN, &msg::encode_groups(groups), None)?
            .ok()
            .map(drop)
    }

    /// Leaves `groups`, one joined entry each: all of them or, if one is not joined
    /// ([`Error::NotExist`]), none.
    pub fn leave(&self, groups: &[Group]) -> Result<(), Error> {
        if groups.len() > MAX_GROUPS {
            return Err(Error::NoBindings);
        }
        self.conn
            .call(msg::LEAVE, &msg::encode_groups(groups), None)?
            .ok()
            .map(drop)
    }

    /// Multicasts `parts` (one message) to `groups`, or to the handle's joined groups when
    /// `None`, without waiting: accepted means the executive will order it;
    /// [`Error::TryAgain`] under back-pressure. `guarantee` is an `evs_guarantee_t`.
    pub fn mcast(&self, guarantee: u32, groups: Option<&[Group]>, parts: &[&[u8]]) -> Result<(), Error> {
        if groups.is_some_and(|g| g.len() > MAX_GROUPS) {
            return Err(Error::NoBindings);
        }
        let mut len = 0usize;
        for p in parts {
            len = len.saturating_add(p.len());
        }
        if len > MAX_MESSAGE {
            return Err(Error::TooBig);
        }
        let prefix = msg::Mcast::prefix(guarantee, groups, len).map_err(|_| Error::TooBig)?;
        let mut frame: Vec<&[u8]> = Vec::with_capacity(parts.len() + 1);
        frame.push(&prefix);
        frame.extend(parts.iter().filter(|p| !p.is_empty()));
        let id = if groups.is_some() {
            msg::MCAST_GROUPS
        } else {
            msg::MCAST_JOINED
        };
        self.conn.try_post(id, &frame)
    }

    /// The local node id and the members of the current configuration.
    pub fn membership(&self) -> Result<Membership, Error> {
        let payload = self.conn.call(msg::MEMBERSHIP_GET, &[], None)?.ok()?;
        Membership::decode(&payload).map_err(|_| Error::Library)
    }

    /// Runs pending callbacks through `f` as `mode` says. Callbacks that do not decode are
    /// dropped.
    pub fn dispatch(&self, mode: DispatchMode, mut f: impl FnMut(EvsEvent<'_>)) -> Result<(), Error> {
        self.conn.dispatch(mode, |cb| match cb.msg {
            msg::DELIVER => {
                if let Ok(d) = Deliver::decode(cb.payload) {
                    f(EvsEvent::Deliver(d));
                }
            }
            msg::CONFCHG => {
                if let Ok(c) = ConfChg::decode(cb.payload) {
                    f(EvsEvent::ConfChg(c));
                }
            }
            _ => {}
        })
    }
}

/// The connection underneath: selection object, finalize.
impl std::ops::Deref for Evs {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.conn
    }
}
