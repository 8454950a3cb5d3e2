//! The CPG service (corosync's closed process groups): named groups, their members, and
//! messages every member delivers in the same order.

use std::time::Duration;

use ais_proto::cpg as msg;
use ais_proto::{AisVersion, Reader, ServiceId, Writer};

pub use ais_proto::cpg::{Address, ConfChg, IterEntry, TotemConf};
pub use ais_proto::cpg::{ITERATION_ALL, ITERATION_NAME_ONLY, ITERATION_ONE_GROUP, MODEL_INITIAL_TOTEM_CONF};

use crate::runtime::{Connection, DispatchMode, OpenError, SocketName, DEFAULT_HANDSHAKE_TIMEOUT};
use crate::Error;

/// The executive's CPG service has no AIS version.
const VERSION: AisVersion = AisVersion::new(0, 0, 0);

/// Protocol room in a cluster message besides the data: service id, kind, group, pid, length.
const MCAST_OVERHEAD: usize = 2 + 1 + 1 + msg::MAX_GROUP + 4 + 4;

/// The largest message [`Cpg::mcast`] takes: one Totem message, less CPG's header
/// (rounded down to leave room for later fields).
pub const MAX_ATOMIC_MSGSIZE: usize = (1 << 20) - 256;
const _: () = assert!(MAX_ATOMIC_MSGSIZE + MCAST_OVERHEAD <= 1 << 20);

/// A callback of the CPG service, delivered by [`Cpg::dispatch`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CpgEvent<'a> {
    /// A message multicast to the group, from `pid` on `node`.
    Deliver {
        group: Vec<u8>,
        node: u32,
        pid: u32,
        data: &'a [u8],
    },
    /// The group's membership changed.
    ConfChg(ConfChg),
    /// The ring changed (for every handle; at join too with [`MODEL_INITIAL_TOTEM_CONF`]).
    TotemConf(TotemConf),
}

/// One handle of the CPG service. It derefs to its [`Connection`] (selection object,
/// finalize); dropping it finalizes it.
pub struct Cpg {
    conn: Connection,
}

fn group_request(group: &[u8]) -> Writer {
    let mut w = Writer::new();
    let _ = w.name(group);
    w
}

impl Cpg {
    /// Opens a handle on the executive `AIS_IPC_SOCKET` names (default `@ais`).
    pub fn open() -> Result<Cpg, OpenError> {
        Ok(Cpg {
            conn: Connection::open(ServiceId::CPG, VERSION)?,
        })
    }

    /// Opens a handle on `socket`.
    pub fn open_at(socket: &SocketName) -> Result<Cpg, OpenError> {
        Ok(Cpg {
            conn: Connection::open_at(socket, ServiceId::CPG, VERSION, DEFAULT_HANDSHAKE_TIMEOUT)?,
        })
    }

    /// `cpg_model_initialize`'s flags ([`MODEL_INITIAL_TOTEM_CONF`]).
    pub fn set_model(&self, flags: u32) -> Result<(), Error> {
        let mut w = Writer::new();
        w.u32(flags);
        self.conn.call(msg::MODEL, w.as_slice(), None)?.ok().map(drop)
    }

    pub fn join(&self, group: &[u8]) -> Result<(), Error> {
        self.conn
            .call(msg::JOIN, group_request(group).as_slice(), None)?
            .ok()
            .map(drop)
    }

    pub fn leave(&self, group: &[u8]) -> Result<(), Error> {
        self.conn
            .call(msg::LEAVE, group_request(group).as_slice(), None)?
            .ok()
            .map(drop)
    }

    /// Multicasts `parts` (one message) to the joined group without waiting: accepted
    /// means the executive will order it; [`Error::TryAgain`] under back-pressure
    /// (dispatch, then retry).
    pub fn mcast(&self, parts: &[&[u8]]) -> Result<(), Error> {
        let len: usize = parts.iter().map(|p| p.len()).sum();
        if len > MAX_ATOMIC_MSGSIZE {
            return Err(Error::TooBig);
        }
        // The MCAST request is the data as a blob: u32 length, then the bytes.
        let mut prefix = Writer::new();
        prefix.u32(len as u32);
        let mut frame: Vec<&[u8]> = Vec::with_capacity(parts.len() + 1);
        frame.push(prefix.as_slice());
        frame.extend(parts.iter().filter(|p| !p.is_empty()));
        self.conn.try_post(msg::MCAST, &frame)
    }

    /// The members of `group`.
    pub fn membership(&self, group: &[u8]) -> Result<Vec<Address>, Error> {
        let payload = self
            .conn
            .call(msg::MEMBERSHIP_GET, group_request(group).as_slice(), None)?
            .ok()?;
        msg::decode_members(&payload).map_err(|_| Error::Library)
    }

    /// The local node id.
    pub fn local_get(&self) -> Result<u32, Error> {
        let payload = self.conn.call(msg::LOCAL_GET, &[], None)?.ok()?;
        Reader::new(&payload).u32().map_err(|_| Error::Library)
    }

    /// The groups the local executive knows ([`ITERATION_NAME_ONLY`], [`ITERATION_ALL`])
    /// or one group's members ([`ITERATION_ONE_GROUP`]), in one snapshot, waiting at most
    /// `timeout` if given.
    pub fn iterate(&self, kind: u32, group: Option<&[u8]>, timeout: Option<Duration>) -> Result<Vec<IterEntry>, Error> {
        let mut w = Writer::new();
        w.u32(kind);
        if let Some(g) = group {
            let _ = w.name(g);
        }
        let payload = self.conn.call(msg::ITERATE, w.as_slice(), timeout)?.ok()?;
        msg::decode_iteration(&payload).map_err(|_| Error::Library)
    }

    /// Runs pending callbacks through `f` as `mode` says. Callbacks that do not decode are
    /// dropped.
    pub fn dispatch(&self, mode: DispatchMode, mut f: impl FnMut(CpgEvent<'_>)) -> Result<(), Error> {
        self.conn.dispatch(mode, |cb| match cb.msg {
            msg::DELIVER => {
                let mut r = Reader::new(cb.payload);
                if let (Ok(group), Ok(node), Ok(pid), Ok(data)) = (msg::group(&mut r), r.u32(), r.u32(), r.blob()) {
                    f(CpgEvent::Deliver { group, node, pid, data });
                }
            }
            msg::CONFCHG => {
                if let Ok(c) = ConfChg::decode(cb.payload) {
                    f(CpgEvent::ConfChg(c));
                }
            }
            msg::TOTEM_CONFCHG => {
                if let Ok(t) = TotemConf::decode(cb.payload) {
                    f(CpgEvent::TotemConf(t));
                }
            }
            _ => {}
        })
    }
}

/// The connection underneath: selection object, finalize.
impl std::ops::Deref for Cpg {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.conn
    }
}
