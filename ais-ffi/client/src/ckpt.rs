//! The CKPT service (SA Forum Checkpoint): replicated checkpoints of sections, written and
//! read through the executive, every change ordered in the cluster.
//!
//! One method per request of the CKPT IPC protocol (`ais_proto::ckpt`), with the
//! protocol's message types. A change carries at most [`Ckpt::max_update_payload`] bytes
//! and a read or an iteration is answered in pages: continuing pages is the caller's. A
//! larger change goes as PIECEs ([`Ckpt::pieced`]), applied whole by the executive; an
//! executive without PIECE answers `NotSupported`, and splitting is then the caller's.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use ais_proto::ckpt::{self as msg, Message};
use ais_proto::ServiceId;

pub use ais_proto::ckpt::{
    CkptId, CreationAttributes, Descriptor, ExpirationSet, Iterate, IterationPage, Open, OpenAsync, OpenCallback,
    Opened, Overwrite, Read, ReadData, ReadElement, RetentionSet, SectionCreate, SectionIdReply, SectionRef,
    SynchronizeAsync, TrackCallback, Unlink, Write, WriteElement,
};
pub use ais_proto::AisVersion;

use crate::runtime::{Connection, DispatchMode, OpenError, Reply, SocketName, DEFAULT_HANDSHAKE_TIMEOUT};
use crate::Error;

/// The versions of the CKPT API: B.01.01, B.02.03.
pub const B0101: AisVersion = AisVersion::new(b'B', 1, 1);
pub const B0203: AisVersion = AisVersion::new(b'B', 2, 3);

/// A callback of the CKPT service, delivered by [`Ckpt::dispatch`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CkptEvent {
    /// The answer to [`Ckpt::checkpoint_open_async`]: `opened` is `Some` when `status`
    /// is `Ok`.
    Opened {
        callback: OpenCallback,
        status: Result<(), Error>,
    },
    /// The answer to [`Ckpt::synchronize_async`].
    Synchronized { invocation: u64, status: Result<(), Error> },
    /// A tracked checkpoint changed.
    Track(TrackCallback),
}

/// One handle of the CKPT service. It derefs to its [`Connection`] (selection object,
/// version, finalize); dropping it finalizes it.
pub struct Ckpt {
    conn: Connection,
    /// Numbers the pieced changes of this handle.
    next_operation: AtomicU64,
}

/// An empty request.
struct Empty;

impl Message for Empty {
    fn put(&self, _w: &mut ais_proto::Writer) -> Result<(), ais_proto::EncodeError> {
        Ok(())
    }
    fn get(_r: &mut ais_proto::Reader<'_>) -> Result<Self, ais_proto::DecodeError> {
        Ok(Empty)
    }
}

impl Ckpt {
    /// Opens a handle on the executive `AIS_IPC_SOCKET` names (default `@ais`), asking for
    /// `version`.
    pub fn open(version: AisVersion) -> Result<Ckpt, OpenError> {
        Ok(Ckpt::over(Connection::open(ServiceId::CKPT, version)?))
    }

    /// Opens a handle on `socket`.
    pub fn open_at(socket: &SocketName, version: AisVersion) -> Result<Ckpt, OpenError> {
        let conn = Connection::open_at(socket, ServiceId::CKPT, version, DEFAULT_HANDSHAKE_TIMEOUT)?;
        Ok(Ckpt::over(conn))
    }

    /// A handle over a connection already open to the CKPT service.
    pub fn over(conn: Connection) -> Ckpt {
        Ckpt {
            conn,
            next_operation: AtomicU64::new(1),
        }
    }

    /// Bytes one change request (write, overwrite, section creation) may carry.
    pub fn max_update_payload(&self) -> usize {
        msg::MAX_UPDATE_PAYLOAD.min(self.conn.max_payload() as usize)
    }

    /// Sends request `kind` (WRITE, OVERWRITE or SECTION_CREATE), whose encoded payload
    /// `payload` is too large for one request, as PIECEs: the executive applies it whole
    /// when the last arrives. Returns the last piece's reply, which is `kind`'s response;
    /// an error of an earlier piece (`NotSupported` from an executive without PIECE) ends
    /// it.
    pub fn pieced(&self, kind: u16, ckpt_id: u64, payload: &[u8]) -> Result<Reply, Error> {
        const FIXED: usize = 2 + 8 + 8 + 4 + 1 + 4;
        let room = (self.conn.max_payload() as usize).saturating_sub(FIXED);
        let size = msg::MAX_PIECE_DATA.min(room).max(1);
        let operation = self.next_operation.fetch_add(1, Ordering::Relaxed);
        let count = payload.len().div_ceil(size).max(1);
        for (index, data) in payload.chunks(size).enumerate() {
            let piece = msg::Piece {
                kind,
                ckpt_id,
                operation,
                index: index as u32,
                last: index + 1 == count,
                data: data.to_vec(),
            };
            let reply = self.call(msg::PIECE, &piece, None)?;
            if piece.last {
                return Ok(reply);
            }
            Error::check(reply.status)?;
        }
        Err(Error::InvalidParam)
    }

    /// Sends `m` as request `id` and waits for the response, at most `timeout` if given.
    fn call(&self, id: u16, m: &impl Message, timeout: Option<Duration>) -> Result<Reply, Error> {
        let payload = m.encode().map_err(|_| Error::InvalidParam)?;
        self.conn.call(id, &payload, timeout)
    }

    /// A call answered with its status only.
    fn status(&self, id: u16, m: &impl Message, timeout: Option<Duration>) -> Result<(), Error> {
        self.call(id, m, timeout)?.ok().map(drop)
    }

    /// A call whose OK response carries `M`.
    fn answer<M: Message>(&self, id: u16, m: &impl Message, timeout: Option<Duration>) -> Result<M, Error> {
        let payload = self.call(id, m, timeout)?.ok()?;
        M::decode(&payload).map_err(|_| Error::Library)
    }

    /// Opens (or creates) a checkpoint, waiting at most `timeout`.
    pub fn checkpoint_open(&self, m: &Open, timeout: Duration) -> Result<Opened, Error> {
        self.answer(msg::OPEN, m, Some(timeout))
    }

    /// Opens a checkpoint; the answer comes as [`CkptEvent::Opened`].
    pub fn checkpoint_open_async(&self, m: &OpenAsync) -> Result<(), Error> {
        self.status(msg::OPEN_ASYNC, m, None)
    }

    pub fn checkpoint_close(&self, ckpt_id: u64) -> Result<(), Error> {
        self.status(msg::CLOSE, &CkptId(ckpt_id), None)
    }

    pub fn unlink(&self, name: &[u8]) -> Result<(), Error> {
        self.status(msg::UNLINK, &Unlink { name: name.to_vec() }, None)
    }

    pub fn retention_set(&self, m: &RetentionSet) -> Result<(), Error> {
        self.status(msg::RETENTION_SET, m, None)
    }

    pub fn active_replica_set(&self, ckpt_id: u64) -> Result<(), Error> {
        self.status(msg::ACTIVE_REPLICA_SET, &CkptId(ckpt_id), None)
    }

    pub fn status_get(&self, ckpt_id: u64) -> Result<Descriptor, Error> {
        self.answer(msg::STATUS_GET, &CkptId(ckpt_id), None)
    }

    /// Creates a section; the answer carries its id (generated when none was given).
    pub fn section_create(&self, m: &SectionCreate) -> Result<SectionIdReply, Error> {
        self.answer(msg::SECTION_CREATE, m, None)
    }

    pub fn section_delete(&self, m: &SectionRef) -> Result<(), Error> {
        self.status(msg::SECTION_DELETE, m, None)
    }

    pub fn section_expiration_set(&self, m: &ExpirationSet) -> Result<(), Error> {
        self.status(msg::SECTION_EXPIRATION_SET, m, None)
    }

    /// One page of section descriptors.
    pub fn iterate(&self, m: &Iterate) -> Result<IterationPage, Error> {
        self.answer(msg::ITERATE, m, None)
    }

    /// One WRITE; on an error, the index within `m.elements` of the element at fault when
    /// the executive names one.
    pub fn write(&self, m: &Write) -> Result<(), (Error, Option<u32>)> {
        let r = self.call(msg::WRITE, m, None).map_err(|e| (e, None))?;
        Error::check(r.status).map_err(|e| (e, msg::ErrorIndex::decode(&r.payload).ok().map(|ix| ix.0)))
    }

    pub fn overwrite(&self, m: &Overwrite) -> Result<(), Error> {
        self.status(msg::OVERWRITE, m, None)
    }

    /// One READ; on an error, the index within `m.elements` of the element at fault.
    pub fn read(&self, m: &Read) -> Result<Vec<ReadData>, (Error, u32)> {
        let n = m.elements.len();
        let r = self.call(msg::READ, m, None).map_err(|e| (e, 0))?;
        let reply = msg::ReadReply::decode(&r.payload).map_err(|_| (Error::Library, 0))?;
        if let Err(e) = Error::check(r.status) {
            return Err((e, reply.erroneous_index.min(n.saturating_sub(1) as u32)));
        }
        if reply.elements.len() != n {
            return Err((Error::Library, 0));
        }
        Ok(reply.elements)
    }

    /// Waits (at most `timeout`) until every replica has the active replica's contents.
    pub fn synchronize(&self, ckpt_id: u64, timeout: Duration) -> Result<(), Error> {
        self.status(msg::SYNCHRONIZE, &CkptId(ckpt_id), Some(timeout))
    }

    /// As [`synchronize`](Self::synchronize); the answer comes as
    /// [`CkptEvent::Synchronized`].
    pub fn synchronize_async(&self, m: &SynchronizeAsync) -> Result<(), Error> {
        self.status(msg::SYNCHRONIZE_ASYNC, m, None)
    }

    /// Starts (`start`) or stops tracking every checkpoint the handle has open for reading.
    pub fn track(&self, start: bool) -> Result<(), Error> {
        self.status(if start { msg::TRACK } else { msg::TRACK_STOP }, &Empty, None)
    }

    /// Starts (`start`) or stops tracking one checkpoint.
    pub fn checkpoint_track(&self, ckpt_id: u64, start: bool) -> Result<(), Error> {
        let id = if start {
            msg::CHECKPOINT_TRACK
        } else {
            msg::CHECKPOINT_TRACK_STOP
        };
        self.status(id, &CkptId(ckpt_id), None)
    }

    /// Runs pending callbacks through `f` as `mode` says. Callbacks that do not decode are
    /// dropped.
    pub fn dispatch(&self, mode: DispatchMode, mut f: impl FnMut(CkptEvent)) -> Result<(), Error> {
        self.conn.dispatch(mode, |cb| match cb.msg {
            msg::OPEN_CALLBACK => {
                if let Ok(callback) = OpenCallback::decode_with(cb.status, cb.payload) {
                    f(CkptEvent::Opened {
                        callback,
                        status: Error::check(cb.status),
                    });
                }
            }
            msg::SYNCHRONIZE_CALLBACK => {
                if let Ok(sc) = msg::SyncCallback::decode(cb.payload) {
                    f(CkptEvent::Synchronized {
                        invocation: sc.invocation,
                        status: Error::check(cb.status),
                    });
                }
            }
            msg::TRACK_CALLBACK => {
                if let Ok(tc) = TrackCallback::decode(cb.payload) {
                    f(CkptEvent::Track(tc));
                }
            }
            _ => {}
        })
    }
}

/// The connection underneath: selection object, version, finalize.
impl std::ops::Deref for Ckpt {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.conn
    }
}
