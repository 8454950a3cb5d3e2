//! The checkpoint service's messages between `libSaCkpt` and the executive (SA Forum AIS
//! CKPT B.01.01 as openais shipped it, and B.02.03).
//!
//! The library keeps the handles, the open flags of each checkpoint handle and the section
//! iterations itself. The executive knows an open checkpoint by a **checkpoint id** (`u64`,
//! never 0) it assigns when the open completes; every later request names it. Ids are
//! per executive and never reused while it runs; an id the executive does not know (closed,
//! or from another connection) is answered with `SA_AIS_ERR_BAD_HANDLE`.
//!
//! Field encodings (all little-endian, see [`crate::codec`]):
//! - *name*: `u16` length + at most 256 bytes (`SaNameT`); the executive refuses an empty
//!   one with `SA_AIS_ERR_INVALID_PARAM`.
//! - *section id*: `u16` length + that many bytes (`SaCkptSectionIdT`); length 0 is the
//!   default section.
//! - *data*: `u32` length + bytes.
//! - *attributes*: [`CreationAttributes`], 40 bytes: `creationFlags u32, checkpointSize u64,
//!   retentionDuration i64, maxSections u32, maxSectionSize u64, maxSectionIdSize u64`.
//! - *time*: `SaTimeT` as `i64` nanoseconds ([`TIME_END`] = never).
//!
//! The header's `status` carries the `SaAisErrorT` of every response and callback. Unless
//! said otherwise, a response with a status other than `SA_AIS_OK` has an empty payload.
//!
//! | msg | request | response (on OK) |
//! |-----|---------|------------------|
//! | [`OPEN`] | [`Open`]: name, attributes present `bool` + attributes, openFlags `u32` | [`Opened`]: checkpoint id `u64`, attributes |
//! | [`OPEN_ASYNC`] | [`OpenAsync`]: invocation `u64`, then as OPEN | empty (accepted); then an [`OPEN_CALLBACK`] |
//! | [`CLOSE`] | checkpoint id ([`CkptId`]) | empty |
//! | [`UNLINK`] | name ([`Unlink`]) | empty |
//! | [`RETENTION_SET`] | [`RetentionSet`]: checkpoint id, retentionDuration `i64` | empty |
//! | [`ACTIVE_REPLICA_SET`] | checkpoint id | empty |
//! | [`STATUS_GET`] | checkpoint id | [`Descriptor`]: attributes, numberOfSections `u32`, memoryUsed `u64` |
//! | [`SECTION_CREATE`] | [`SectionCreate`]: checkpoint id, generated `bool`, section id, expirationTime `i64`, initial data | the section id (the generated one for a generated section) ([`SectionIdReply`]) |
//! | [`SECTION_DELETE`] | [`SectionRef`]: checkpoint id, section id | empty |
//! | [`SECTION_EXPIRATION_SET`] | [`ExpirationSet`]: checkpoint id, section id, expirationTime `i64` | empty |
//! | [`ITERATE`] | [`Iterate`]: checkpoint id, sectionsChosen `u32`, expirationTime `i64`, after present `bool` + section id | [`IterationPage`]: complete `bool`, count `u32`, [`SectionDescriptor`]s |
//! | [`WRITE`] | [`Write`]: checkpoint id, count `u32`, elements {section id, offset `u64`, data} | [`ErrorIndex`]: erroneousVectorIndex `u32` (**also on error**) |
//! | [`OVERWRITE`] | [`Overwrite`]: checkpoint id, section id, data | empty |
//! | [`READ`] | [`Read`]: checkpoint id, count `u32`, elements {section id, offset `u64`, size `u64`} | [`ReadReply`]: erroneousVectorIndex `u32`, count `u32`, elements {data, more `u64`} (**also on error**, then count 0) |
//! | [`SYNCHRONIZE`] | checkpoint id | empty |
//! | [`SYNCHRONIZE_ASYNC`] | [`SynchronizeAsync`]: invocation `u64`, checkpoint id | empty (accepted); then a [`SYNCHRONIZE_CALLBACK`] |
//! | [`TRACK`], [`TRACK_STOP`] | empty | empty |
//! | [`CHECKPOINT_TRACK`], [`CHECKPOINT_TRACK_STOP`] | checkpoint id | empty |
//! | [`PIECE`] | [`Piece`]: kind `u16` (WRITE, OVERWRITE or SECTION_CREATE), checkpoint id, operation `u64`, index `u32`, last `bool`, data | not last: empty; last: the response of `kind` |
//!
//! Callbacks (on the dispatch socket, status in the header):
//! - [`OPEN_CALLBACK`] ([`OpenCallback`]): invocation `u64`, then, when the status is OK,
//!   the checkpoint id and attributes as in [`Opened`].
//! - [`SYNCHRONIZE_CALLBACK`] ([`SyncCallback`]): invocation `u64`.
//! - [`TRACK_CALLBACK`] ([`TrackCallback`]): checkpoint id `u64`, count `u32`, elements
//!   {section id, offset `u64`, size `u64`}; status always OK. One per change ordered in
//!   the cluster to a checkpoint the connection tracks (TRACK: every checkpoint id it has
//!   open; CHECKPOINT_TRACK: that id) and opened with [`OPEN_READ`], sent by every node to its own tracking
//!   connections when it applies the change: a WRITE gives its elements (offset and
//!   length of each written range), an OVERWRITE and a SECTION_CREATE one element
//!   (offset 0, the new data's length), a section deletion (SECTION_DELETE or an
//!   expiration) one element of offset 0 and size 0. Tracking is per connection and
//!   per node, never replicated; a closed checkpoint id stops being tracked.
//!
//! # Semantics the library relies on
//!
//! - Every change (OPEN with or without CREATE, CLOSE, UNLINK, RETENTION_SET,
//!   SECTION_*, WRITE, OVERWRITE, SYNCHRONIZE) is ordered through the cluster and its
//!   response is sent once it has been applied locally, so a READ after a WRITE's response
//!   sees the write. READ, STATUS_GET and ITERATE are answered from the local replica.
//! - Every node holds a replica of every checkpoint, whatever its `SA_CKPT_WR_*` flag:
//!   all replicas are active, ACTIVE_REPLICA_SET is accepted (`SA_AIS_ERR_BAD_OPERATION`
//!   for a checkpoint not created collocated with an asynchronous option), and SYNCHRONIZE
//!   (`SA_AIS_ERR_BAD_OPERATION` for a `SA_CKPT_WR_ALL_REPLICAS` checkpoint) completes once
//!   every change sent before it has been applied.
//! - Any request may be answered `SA_AIS_ERR_TRY_AGAIN` while the executive
//!   re-synchronises its checkpoints after a configuration change.
//! - The library checks access (`SA_AIS_ERR_ACCESS`: WRITE/OVERWRITE/SECTION_* on a
//!   checkpoint not opened for writing, READ not opened for reading), the flags
//!   (`SA_AIS_ERR_BAD_FLAGS`) and the arguments it can check alone; the executive checks
//!   again what concerns its state.
//! - Size limits: the payload of a WRITE, OVERWRITE or SECTION_CREATE request is at most
//!   [`MAX_UPDATE_PAYLOAD`] bytes (each such change is one cluster message); the executive
//!   answers a larger one with `SA_AIS_ERR_TOO_BIG`. A larger request is sent as PIECEs:
//!   its encoded payload cut into pieces of at most [`MAX_PIECE_DATA`] bytes, numbered
//!   from 0 under an operation number the connection chooses, the last marked. Each piece
//!   becomes one ordered cluster message at once (nothing is buffered per connection); every
//!   node stages them and applies the whole request when the last is delivered, so a
//!   reader on any node sees all of it or none of it. A piece out of sequence, a
//!   configuration change that loses pieces or the sender's disconnection drops the staged
//!   pieces: the last piece is then answered `SA_AIS_ERR_TRY_AGAIN`, and
//!   `SA_AIS_ERR_NO_RESOURCES` when staging would pass the executive's limits.
//! - READ: `size` is what the caller asks for (`u64::MAX` for "to the end", when the
//!   caller's `dataBuffer` is NULL). The executive returns per element the bytes from
//!   `offset` up to `offset + size` or the section's end, but at most about
//!   [`MAX_READ_REPLY`] bytes in one response: `more` counts the bytes of the asked range
//!   that did not fit (0 when the element is complete), which the library reads with
//!   further READs at `offset + data.len()`.
//! - ITERATE returns the sections the filter chooses, ordered by section id bytes, at most
//!   about [`MAX_ITERATION_REPLY`] bytes per response; `complete` false means the library
//!   asks again with `after` = the last id it got.
//! - A client that disconnects has every checkpoint it opened closed: `saCkptFinalize` may
//!   simply close the connection.
//! - Generated section ids are the decimal digits of a per-checkpoint counter ("1", "2",
//!   ...), skipping ids in use; the same on every node.
//!
//! # Errors the executive returns
//!
//! Any request: `TRY_AGAIN` (re-synchronising, or the cluster's send queue is full),
//! `BAD_HANDLE` (a checkpoint id it does not know for this connection), `INVALID_PARAM`
//! (a payload that does not decode).
//!
//! | msg | status |
//! |-----|--------|
//! | OPEN, OPEN_ASYNC | `INVALID_PARAM`: empty name; attributes without CREATE or CREATE without them; attributes with not exactly one `SA_CKPT_WR_*` option, an unknown creation flag, `maxSections` 0, a negative retention, or `checkpointSize` > `maxSections * maxSectionSize`. `BAD_FLAGS`: an unknown open flag. `EXIST`: CREATE with attributes other than the existing checkpoint's (the retention duration is not compared). `NOT_EXIST`: no such checkpoint and no CREATE. `NO_RESOURCES`: too many checkpoints (cluster) or open ones (connection). |
//! | UNLINK | `NOT_EXIST` |
//! | RETENTION_SET | `BAD_OPERATION`: unlinked; `INVALID_PARAM`: negative |
//! | ACTIVE_REPLICA_SET | `BAD_OPERATION`: not created `SA_CKPT_CHECKPOINT_COLLOCATED` with `SA_CKPT_WR_ACTIVE_REPLICA(_WEAK)` |
//! | STATUS_GET, ITERATE, READ, WRITE, OVERWRITE, SECTION_* | `NOT_EXIST`: a collocated checkpoint of an asynchronous option before ACTIVE_REPLICA_SET (no active replica) |
//! | SECTION_CREATE | `EXIST`: `maxSections` is 1 (only the default section), or the id exists. `NO_SPACE`: `maxSections` reached, or `checkpointSize` exceeded. `INVALID_PARAM`: initial data over `maxSectionSize`, an empty id or one over `maxSectionIdSize` (also a generated one). `NO_RESOURCES`, `TOO_BIG`. |
//! | SECTION_DELETE, SECTION_EXPIRATION_SET | `INVALID_PARAM`: the default section; `NOT_EXIST` |
//! | ITERATE | `INVALID_PARAM`: `sectionsChosen` not 1..=5 (CORRUPTED chooses none) |
//! | PIECE | not last: `INVALID_PARAM` (out of sequence, or a kind other than WRITE, OVERWRITE, SECTION_CREATE), `BAD_HANDLE`, `TOO_BIG` (data over [`MAX_PIECE_DATA`]), `NO_RESOURCES` (too many pieced requests on the connection); last: as `kind`, or `TRY_AGAIN` (pieces lost to a configuration change) or `NO_RESOURCES` (staging limits) |
//! | WRITE | all elements or none are written; the index names the first at fault: `NOT_EXIST` (section), `INVALID_PARAM` (`offset + size` over `maxSectionSize`), `NO_SPACE` (`checkpointSize`), `NO_RESOURCES`; `TOO_BIG` (payload, index 0) |
//! | OVERWRITE | `NOT_EXIST`, `INVALID_PARAM` (over `maxSectionSize`), `NO_SPACE`, `TOO_BIG` |
//! | READ | `NOT_EXIST` (section), `INVALID_PARAM` (`offset` past the section's end, or `size` over `maxSectionSize` other than `u64::MAX`), with the element's index |
//! | SYNCHRONIZE, SYNCHRONIZE_ASYNC | `BAD_OPERATION`: `SA_CKPT_WR_ALL_REPLICAS`; `NOT_EXIST`: no active replica |
//! | TRACK_STOP, CHECKPOINT_TRACK_STOP | `NOT_EXIST`: that tracking was not started |

use crate::codec::{ByteOrder, DecodeError, EncodeError, Reader, Writer};

/// Request: [`Open`]. Response: [`Opened`].
pub const OPEN: u16 = 1;
/// Request: [`OpenAsync`]. Response empty; then an [`OPEN_CALLBACK`].
pub const OPEN_ASYNC: u16 = 2;
/// Request: [`CkptId`]. Response empty.
pub const CLOSE: u16 = 3;
/// Request: [`Unlink`]. Response empty.
pub const UNLINK: u16 = 4;
/// Request: [`RetentionSet`]. Response empty.
pub const RETENTION_SET: u16 = 5;
/// Request: [`CkptId`]. Response empty.
pub const ACTIVE_REPLICA_SET: u16 = 6;
/// Request: [`CkptId`]. Response: [`Descriptor`].
pub const STATUS_GET: u16 = 7;
/// Request: [`SectionCreate`]. Response: [`SectionIdReply`].
pub const SECTION_CREATE: u16 = 8;
/// Request: [`SectionRef`]. Response empty.
pub const SECTION_DELETE: u16 = 9;
/// Request: [`ExpirationSet`]. Response empty.
pub const SECTION_EXPIRATION_SET: u16 = 10;
/// Request: [`Iterate`]. Response: [`IterationPage`].
pub const ITERATE: u16 = 11;
/// Request: [`Write`]. Response: [`ErrorIndex`] whatever the status.
pub const WRITE: u16 = 12;
/// Request: [`Overwrite`]. Response empty.
pub const OVERWRITE: u16 = 13;
/// Request: [`Read`]. Response: [`ReadReply`] whatever the status.
pub const READ: u16 = 14;
/// Request: [`CkptId`]. Response empty.
pub const SYNCHRONIZE: u16 = 15;
/// Request: [`SynchronizeAsync`]. Response empty; then a [`SYNCHRONIZE_CALLBACK`].
pub const SYNCHRONIZE_ASYNC: u16 = 16;
/// B.02.03 `saCkptTrack`: request empty; response empty. Every checkpoint id of the
/// connection is tracked, now and opened later.
pub const TRACK: u16 = 17;
/// B.02.03 `saCkptTrackStop`: request empty; response empty (`SA_AIS_ERR_NOT_EXIST` if
/// TRACK was not started).
pub const TRACK_STOP: u16 = 18;
/// B.02.03 `saCkptCheckpointTrack`: request [`CkptId`]; response empty.
pub const CHECKPOINT_TRACK: u16 = 19;
/// B.02.03 `saCkptCheckpointTrackStop`: request [`CkptId`]; response empty
/// (`SA_AIS_ERR_NOT_EXIST` if that checkpoint id was not tracked).
pub const CHECKPOINT_TRACK_STOP: u16 = 20;
/// Request: [`Piece`], one piece of a WRITE, OVERWRITE or SECTION_CREATE request larger
/// than [`MAX_UPDATE_PAYLOAD`]. Response to a piece other than the last: empty (queued);
/// to the last: the response of the whole request, applied at once on every node.
pub const PIECE: u16 = 21;

/// Callback: [`OpenCallback`].
pub const OPEN_CALLBACK: u16 = 101;
/// Callback: [`SyncCallback`].
pub const SYNCHRONIZE_CALLBACK: u16 = 102;
/// Callback: [`TrackCallback`].
pub const TRACK_CALLBACK: u16 = 103;

/// `SaAisErrorT` values of this service beyond [`crate::status`].
pub const ERR_NO_SPACE: u32 = 15;
pub const ERR_BAD_OPERATION: u32 = 20;
pub const ERR_NO_SECTIONS: u32 = 27;

/// `SaCkptCheckpointOpenFlagsT`.
pub const OPEN_READ: u32 = 0x1;
pub const OPEN_WRITE: u32 = 0x2;
pub const OPEN_CREATE: u32 = 0x4;

/// `SaCkptCheckpointCreationFlagsT`.
pub const WR_ALL_REPLICAS: u32 = 0x1;
pub const WR_ACTIVE_REPLICA: u32 = 0x2;
pub const WR_ACTIVE_REPLICA_WEAK: u32 = 0x4;
pub const CHECKPOINT_COLLOCATED: u32 = 0x8;

/// `SaCkptSectionsChosenT`.
pub const SECTIONS_FOREVER: u32 = 1;
pub const SECTIONS_LEQ_EXPIRATION_TIME: u32 = 2;
pub const SECTIONS_GEQ_EXPIRATION_TIME: u32 = 3;
pub const SECTIONS_CORRUPTED: u32 = 4;
pub const SECTIONS_ANY: u32 = 5;

/// `SaCkptSectionStateT`.
pub const SECTION_CORRUPTED: u32 = 1;
pub const SECTION_VALID: u32 = 2;

/// `SA_TIME_END`.
pub const TIME_END: i64 = i64::MAX;

/// Longest payload of a WRITE, OVERWRITE or SECTION_CREATE request: 1 MiB less 16 KiB kept
/// for the cluster message's own fields, so every change fits one Totem message.
pub const MAX_UPDATE_PAYLOAD: usize = (1 << 20) - (16 << 10);
/// Longest data of one [`Piece`] (its other fields fit in what is left of
/// [`MAX_UPDATE_PAYLOAD`]).
pub const MAX_PIECE_DATA: usize = MAX_UPDATE_PAYLOAD - 64;
/// A READ response holds about this much at most (data and per-element fields).
pub const MAX_READ_REPLY: usize = 1 << 20;
/// An ITERATE response holds about this much at most.
pub const MAX_ITERATION_REPLY: usize = 1 << 20;

pub use crate::message::Message;

/// Writes a section id (`u16` length + bytes), in either byte order (the executives'
/// cluster messages carry section ids too).
pub fn put_section_id<O: ByteOrder>(w: &mut Writer<O>, id: &[u8]) -> Result<(), EncodeError> {
    let n = u16::try_from(id.len()).map_err(|_| EncodeError::TooLong(id.len()))?;
    w.u16(n).bytes(id);
    Ok(())
}

/// Reads a section id.
pub fn section_id<O: ByteOrder>(r: &mut Reader<'_, O>) -> Result<Vec<u8>, DecodeError> {
    let n = r.u16()? as usize;
    Ok(r.bytes(n)?.to_vec())
}

fn opt_section_id(r: &mut Reader<'_>) -> Result<Option<Vec<u8>>, DecodeError> {
    Ok(if r.bool()? { Some(section_id(r)?) } else { None })
}

fn put_opt_section_id(w: &mut Writer, id: Option<&[u8]>) -> Result<(), EncodeError> {
    w.bool(id.is_some());
    if let Some(id) = id {
        put_section_id(w, id)?;
    }
    Ok(())
}

/// `SaCkptCheckpointCreationAttributesT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CreationAttributes {
    pub creation_flags: u32,
    pub checkpoint_size: u64,
    pub retention_duration: i64,
    pub max_sections: u32,
    pub max_section_size: u64,
    pub max_section_id_size: u64,
}

impl CreationAttributes {
    /// Written in either byte order (the executives' cluster messages carry attributes too).
    pub fn put_in<O: ByteOrder>(&self, w: &mut Writer<O>) -> Result<(), EncodeError> {
        w.u32(self.creation_flags)
            .u64(self.checkpoint_size)
            .i64(self.retention_duration)
            .u32(self.max_sections)
            .u64(self.max_section_size)
            .u64(self.max_section_id_size);
        Ok(())
    }

    pub fn get_from<O: ByteOrder>(r: &mut Reader<'_, O>) -> Result<Self, DecodeError> {
        Ok(CreationAttributes {
            creation_flags: r.u32()?,
            checkpoint_size: r.u64()?,
            retention_duration: r.i64()?,
            max_sections: r.u32()?,
            max_section_size: r.u64()?,
            max_section_id_size: r.u64()?,
        })
    }
}

impl Message for CreationAttributes {
    fn put(&self, w: &mut Writer) -> Result<(), EncodeError> {
        self.put_in(w)
    }

    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        CreationAttributes::get_from(r)
    }
}

/// A request naming only an open checkpoint (CLOSE, ACTIVE_REPLICA_SET, STATUS_GET,
/// SYNCHRONIZE, CHECKPOINT_TRACK, CHECKPOINT_TRACK_STOP).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CkptId(pub u64);

impl Message for CkptId {
    fn put(&self, w: &mut Writer) -> Result<(), EncodeError> {
        w.u64(self.0);
        Ok(())
    }

    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(CkptId(r.u64()?))
    }
}

/// OPEN's request (`saCkptCheckpointOpen`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Open {
    pub name: Vec<u8>,
    /// `checkpointCreationAttributes`, `None` for a NULL pointer.
    pub attrs: Option<CreationAttributes>,
    pub open_flags: u32,
}

impl Message for Open {
    fn put(&self, w: &mut Writer) -> Result<(), EncodeError> {
        w.name(&self.name)?;
        w.bool(self.attrs.is_some());
        if let Some(a) = &self.attrs {
            a.put(w)?;
        }
        w.u32(self.open_flags);
        Ok(())
    }

    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let name = r.name()?.to_vec();
        let attrs = if r.bool()? {
            Some(CreationAttributes::get(r)?)
        } else {
            None
        };
        Ok(Open {
            name,
            attrs,
            open_flags: r.u32()?,
        })
    }
}

/// OPEN_ASYNC's request (`saCkptCheckpointOpenAsync`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenAsync {
    pub invocation: u64,
    pub open: Open,
}

impl Message for OpenAsync {
    fn put(&self, w: &mut Writer) -> Result<(), EncodeError> {
        w.u64(self.invocation);
        self.open.put(w)
    }

    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(OpenAsync {
            invocation: r.u64()?,
            open: Open::get(r)?,
        })
    }
}

/// OPEN's response: the checkpoint id and the checkpoint's creation attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Opened {
    pub ckpt_id: u64,
    pub attrs: CreationAttributes,
}

impl Message for Opened {
    fn put(&self, w: &mut Writer) -> Result<(), EncodeError> {
        w.u64(self.ckpt_id);
        self.attrs.put(w)
    }

    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Opened {
            ckpt_id: r.u64()?,
            attrs: CreationAttributes::get(r)?,
        })
    }
}

/// The OPEN_CALLBACK: the invocation, and the opened checkpoint when the status is OK.
///
/// Decode with [`OpenCallback::decode_with`], which needs the header's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenCallback {
    pub invocation: u64,
    pub opened: Option<Opened>,
}

impl OpenCallback {
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.u64(self.invocation);
        if let Some(o) = &self.opened {
            let _ = o.put(&mut w);
        }
        w.into_vec()
    }

    /// `status` is the callback header's: [`crate::status::OK`] means the checkpoint
    /// follows.
    pub fn decode_with(status: u32, b: &[u8]) -> Result<OpenCallback, DecodeError> {
        let mut r = Reader::new(b);
        let invocation = r.u64()?;
        let opened = if status == crate::status::OK {
            Some(Opened::get(&mut r)?)
        } else {
            None
        };
        r.finish()?;
        Ok(OpenCallback { invocation, opened })
    }
}

/// UNLINK's request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unlink {
    pub name: Vec<u8>,
}

impl Message for Unlink {
    fn put(&self, w: &mut Writer) -> Result<(), EncodeError> {
        w.name(&self.name)?;
        Ok(())
    }

    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Unlink {
            name: r.name()?.to_vec(),
        })
    }
}

/// RETENTION_SET's request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionSet {
    pub ckpt_id: u64,
    pub retention_duration: i64,
}

impl Message for RetentionSet {
    fn put(&self, w: &mut Writer) -> Result<(), EncodeError> {
        w.u64(self.ckpt_id).i64(self.retention_duration);
        Ok(())
    }

    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(RetentionSet {
            ckpt_id: r.u64()?,
            retention_duration: r.i64()?,
        })
    }
}

/// STATUS_GET's response (`SaCkptCheckpointDescriptorT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Descriptor {
    pub attrs: CreationAttributes,
    pub number_of_sections: u32,
    pub memory_used: u64,
}

impl Message for Descriptor {
    fn put(&self, w: &mut Writer) -> Result<(), EncodeError> {
        self.attrs.put(w)?;
        w.u32(self.number_of_sections).u64(self.memory_used);
        Ok(())
    }

    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Descriptor {
            attrs: CreationAttributes::get(r)?,
            number_of_sections: r.u32()?,
            memory_used: r.u64()?,
        })
    }
}

/// SECTION_CREATE's request (`saCkptSectionCreate`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionCreate {
    pub ckpt_id: u64,
    /// `None`: `SA_CKPT_GENERATED_SECTION_ID` (the executive picks the id); encoded as
    /// generated `bool` then a section id (empty when generated).
    pub section: Option<Vec<u8>>,
    pub expiration_time: i64,
    pub data: Vec<u8>,
}

impl Message for SectionCreate {
    fn put(&self, w: &mut Writer) -> Result<(), EncodeError> {
        w.u64(self.ckpt_id).bool(self.section.is_none());
        put_section_id(w, self.section.as_deref().unwrap_or(&[]))?;
        w.i64(self.expiration_time);
        w.blob(&self.data)?;
        Ok(())
    }

    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let ckpt_id = r.u64()?;
        let generated = r.bool()?;
        let id = section_id(r)?;
        if generated && !id.is_empty() {
            return Err(DecodeError::Invalid("generated section with an id"));
        }
        Ok(SectionCreate {
            ckpt_id,
            section: if generated { None } else { Some(id) },
            expiration_time: r.i64()?,
            data: r.blob()?.to_vec(),
        })
    }
}

/// SECTION_CREATE's response: the section's id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionIdReply {
    pub section: Vec<u8>,
}

impl Message for SectionIdReply {
    fn put(&self, w: &mut Writer) -> Result<(), EncodeError> {
        put_section_id(w, &self.section)
    }

    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(SectionIdReply {
            section: section_id(r)?,
        })
    }
}

/// SECTION_DELETE's request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionRef {
    pub ckpt_id: u64,
    pub section: Vec<u8>,
}

impl Message for SectionRef {
    fn put(&self, w: &mut Writer) -> Result<(), EncodeError> {
        w.u64(self.ckpt_id);
        put_section_id(w, &self.section)
    }

    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(SectionRef {
            ckpt_id: r.u64()?,
            section: section_id(r)?,
        })
    }
}

/// SECTION_EXPIRATION_SET's request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpirationSet {
    pub ckpt_id: u64,
    pub section: Vec<u8>,
    pub expiration_time: i64,
}

impl Message for ExpirationSet {
    fn put(&self, w: &mut Writer) -> Result<(), EncodeError> {
        w.u64(self.ckpt_id);
        put_section_id(w, &self.section)?;
        w.i64(self.expiration_time);
        Ok(())
    }

    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(ExpirationSet {
            ckpt_id: r.u64()?,
            section: section_id(r)?,
            expiration_time: r.i64()?,
        })
    }
}

/// ITERATE's request (`saCkptSectionIterationInitialize`, one page).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Iterate {
    pub ckpt_id: u64,
    /// `SaCkptSectionsChosenT`.
    pub sections_chosen: u32,
    pub expiration_time: i64,
    /// Continue after this section id (from the previous page).
    pub after: Option<Vec<u8>>,
}

impl Message for Iterate {
    fn put(&self, w: &mut Writer) -> Result<(), EncodeError> {
        w.u64(self.ckpt_id).u32(self.sections_chosen).i64(self.expiration_time);
        put_opt_section_id(w, self.after.as_deref())
    }

    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Iterate {
            ckpt_id: r.u64()?,
            sections_chosen: r.u32()?,
            expiration_time: r.i64()?,
            after: opt_section_id(r)?,
        })
    }
}

/// `SaCkptSectionDescriptorT`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionDescriptor {
    pub section: Vec<u8>,
    pub expiration_time: i64,
    pub section_size: u64,
    /// `SaCkptSectionStateT`.
    pub state: u32,
    pub last_update: i64,
}

/// Bytes of an encoded [`SectionDescriptor`] with an empty id.
pub const SECTION_DESCRIPTOR_FIXED: usize = 2 + 8 + 8 + 4 + 8;

impl Message for SectionDescriptor {
    fn put(&self, w: &mut Writer) -> Result<(), EncodeError> {
        put_section_id(w, &self.section)?;
        w.i64(self.expiration_time)
            .u64(self.section_size)
            .u32(self.state)
            .i64(self.last_update);
        Ok(())
    }

    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(SectionDescriptor {
            section: section_id(r)?,
            expiration_time: r.i64()?,
            section_size: r.u64()?,
            state: r.u32()?,
            last_update: r.i64()?,
        })
    }
}

/// ITERATE's response.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IterationPage {
    /// False: more sections follow the last one; ask again with `after`.
    pub complete: bool,
    pub sections: Vec<SectionDescriptor>,
}

impl Message for IterationPage {
    fn put(&self, w: &mut Writer) -> Result<(), EncodeError> {
        w.bool(self.complete);
        w.count(self.sections.len())?;
        for s in &self.sections {
            s.put(w)?;
        }
        Ok(())
    }

    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let complete = r.bool()?;
        let n = r.count(SECTION_DESCRIPTOR_FIXED)?;
        let mut sections = Vec::with_capacity(n);
        for _ in 0..n {
            sections.push(SectionDescriptor::get(r)?);
        }
        Ok(IterationPage { complete, sections })
    }
}

/// One element of a WRITE (`SaCkptIOVectorElementT` without `dataSize`/`readSize`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteElement {
    pub section: Vec<u8>,
    pub offset: u64,
    pub data: Vec<u8>,
}

/// WRITE's request (`saCkptCheckpointWrite`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Write {
    pub ckpt_id: u64,
    pub elements: Vec<WriteElement>,
}

impl Message for Write {
    fn put(&self, w: &mut Writer) -> Result<(), EncodeError> {
        w.u64(self.ckpt_id);
        w.count(self.elements.len())?;
        for e in &self.elements {
            put_section_id(w, &e.section)?;
            w.u64(e.offset);
            w.blob(&e.data)?;
        }
        Ok(())
    }

    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let ckpt_id = r.u64()?;
        let n = r.count(2 + 8 + 4)?;
        let mut elements = Vec::with_capacity(n);
        for _ in 0..n {
            elements.push(WriteElement {
                section: section_id(r)?,
                offset: r.u64()?,
                data: r.blob()?.to_vec(),
            });
        }
        Ok(Write { ckpt_id, elements })
    }
}

/// WRITE's response, whatever the status: the `erroneousVectorIndex` (0 on success).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ErrorIndex(pub u32);

impl Message for ErrorIndex {
    fn put(&self, w: &mut Writer) -> Result<(), EncodeError> {
        w.u32(self.0);
        Ok(())
    }

    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(ErrorIndex(r.u32()?))
    }
}

/// OVERWRITE's request (`saCkptSectionOverwrite`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overwrite {
    pub ckpt_id: u64,
    pub section: Vec<u8>,
    pub data: Vec<u8>,
}

impl Message for Overwrite {
    fn put(&self, w: &mut Writer) -> Result<(), EncodeError> {
        w.u64(self.ckpt_id);
        put_section_id(w, &self.section)?;
        w.blob(&self.data)?;
        Ok(())
    }

    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Overwrite {
            ckpt_id: r.u64()?,
            section: section_id(r)?,
            data: r.blob()?.to_vec(),
        })
    }
}

/// One piece of a WRITE, OVERWRITE or SECTION_CREATE request too large for one message:
/// `data` is the next bytes of that request's encoded payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    /// WRITE, OVERWRITE or SECTION_CREATE.
    pub kind: u16,
    pub ckpt_id: u64,
    /// Names the request among the connection's pieced requests in flight.
    pub operation: u64,
    /// 0 for the first piece, then one more for each.
    pub index: u32,
    pub last: bool,
    pub data: Vec<u8>,
}

impl Message for Piece {
    fn put(&self, w: &mut Writer) -> Result<(), EncodeError> {
        w.u16(self.kind).u64(self.ckpt_id).u64(self.operation).u32(self.index);
        w.bool(self.last);
        w.blob(&self.data)?;
        Ok(())
    }

    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Piece {
            kind: r.u16()?,
            ckpt_id: r.u64()?,
            operation: r.u64()?,
            index: r.u32()?,
            last: r.bool()?,
            data: r.blob()?.to_vec(),
        })
    }
}

/// A range of a section: a READ element (`size` the bytes asked for, `u64::MAX` for "to
/// the section's end") or a changed range of a [`TrackCallback`] (`SaCkptIOVectorElementT`
/// without data; `size` the bytes written there, 0 for a deleted section).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionRange {
    pub section: Vec<u8>,
    /// `dataOffset`.
    pub offset: u64,
    pub size: u64,
}

/// One element of a READ.
pub type ReadElement = SectionRange;
/// One changed range of a [`TrackCallback`].
pub type TrackElement = SectionRange;

fn put_ranges(w: &mut Writer, ranges: &[SectionRange]) -> Result<(), EncodeError> {
    w.count(ranges.len())?;
    for e in ranges {
        put_section_id(w, &e.section)?;
        w.u64(e.offset).u64(e.size);
    }
    Ok(())
}

fn get_ranges(r: &mut Reader<'_>) -> Result<Vec<SectionRange>, DecodeError> {
    let n = r.count(2 + 8 + 8)?;
    let mut ranges = Vec::with_capacity(n);
    for _ in 0..n {
        ranges.push(SectionRange {
            section: section_id(r)?,
            offset: r.u64()?,
            size: r.u64()?,
        });
    }
    Ok(ranges)
}

/// READ's request (`saCkptCheckpointRead`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Read {
    pub ckpt_id: u64,
    pub elements: Vec<ReadElement>,
}

impl Message for Read {
    fn put(&self, w: &mut Writer) -> Result<(), EncodeError> {
        w.u64(self.ckpt_id);
        put_ranges(w, &self.elements)
    }

    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let ckpt_id = r.u64()?;
        Ok(Read {
            ckpt_id,
            elements: get_ranges(r)?,
        })
    }
}

/// What one READ element got: `readSize` is `data.len()`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadData {
    pub data: Vec<u8>,
    /// Bytes of the asked range that exist but did not fit this response.
    pub more: u64,
}

/// READ's response, whatever the status: on OK one [`ReadData`] per element; on an error
/// the index of the element at fault and no elements.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReadReply {
    pub erroneous_index: u32,
    pub elements: Vec<ReadData>,
}

/// Bytes of one encoded [`ReadData`] besides its data.
pub const READ_DATA_FIXED: usize = 4 + 8;

impl Message for ReadReply {
    fn put(&self, w: &mut Writer) -> Result<(), EncodeError> {
        w.u32(self.erroneous_index);
        w.count(self.elements.len())?;
        for e in &self.elements {
            w.blob(&e.data)?;
            w.u64(e.more);
        }
        Ok(())
    }

    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let erroneous_index = r.u32()?;
        let n = r.count(READ_DATA_FIXED)?;
        let mut elements = Vec::with_capacity(n);
        for _ in 0..n {
            elements.push(ReadData {
                data: r.blob()?.to_vec(),
                more: r.u64()?,
            });
        }
        Ok(ReadReply {
            erroneous_index,
            elements,
        })
    }
}

/// SYNCHRONIZE_ASYNC's request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SynchronizeAsync {
    pub invocation: u64,
    pub ckpt_id: u64,
}

impl Message for SynchronizeAsync {
    fn put(&self, w: &mut Writer) -> Result<(), EncodeError> {
        w.u64(self.invocation).u64(self.ckpt_id);
        Ok(())
    }

    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(SynchronizeAsync {
            invocation: r.u64()?,
            ckpt_id: r.u64()?,
        })
    }
}

/// The SYNCHRONIZE_CALLBACK: the invocation (the status is in the header).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncCallback {
    pub invocation: u64,
}

impl Message for SyncCallback {
    fn put(&self, w: &mut Writer) -> Result<(), EncodeError> {
        w.u64(self.invocation);
        Ok(())
    }

    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(SyncCallback { invocation: r.u64()? })
    }
}

/// The TRACK_CALLBACK: what one change did to a tracked checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackCallback {
    pub ckpt_id: u64,
    pub elements: Vec<TrackElement>,
}

impl Message for TrackCallback {
    fn put(&self, w: &mut Writer) -> Result<(), EncodeError> {
        w.u64(self.ckpt_id);
        put_ranges(w, &self.elements)
    }

    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let ckpt_id = r.u64()?;
        Ok(TrackCallback {
            ckpt_id,
            elements: get_ranges(r)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs() -> CreationAttributes {
        CreationAttributes {
            creation_flags: WR_ALL_REPLICAS,
            checkpoint_size: 1 << 20,
            retention_duration: 5_000_000_000,
            max_sections: 10,
            max_section_size: 4096,
            max_section_id_size: 32,
        }
    }

    /// Round trip, every truncation refused, a trailing byte refused.
    fn check<M: Message + PartialEq + core::fmt::Debug>(m: M) {
        let b = m.encode().unwrap();
        assert_eq!(M::decode(&b).unwrap(), m);
        for n in 0..b.len() {
            assert!(M::decode(&b[..n]).is_err(), "{m:?} cut at {n}");
        }
        let mut longer = b.clone();
        longer.push(0);
        assert!(M::decode(&longer).is_err());
    }

    #[test]
    fn every_request_round_trips_and_truncations_fail() {
        let open = Open {
            name: b"safCkpt=a".to_vec(),
            attrs: Some(attrs()),
            open_flags: OPEN_READ | OPEN_WRITE | OPEN_CREATE,
        };
        check(open.clone());
        check(Open {
            attrs: None,
            open_flags: OPEN_READ,
            ..open.clone()
        });
        check(OpenAsync { invocation: 9, open });
        check(CkptId(77));
        check(Unlink { name: b"n".to_vec() });
        check(RetentionSet {
            ckpt_id: 3,
            retention_duration: -1,
        });
        check(SectionCreate {
            ckpt_id: 1,
            section: Some(b"sec".to_vec()),
            expiration_time: TIME_END,
            data: b"initial".to_vec(),
        });
        check(SectionCreate {
            ckpt_id: 1,
            section: None,
            expiration_time: 100,
            data: vec![],
        });
        check(SectionRef {
            ckpt_id: 1,
            section: vec![],
        });
        check(ExpirationSet {
            ckpt_id: 1,
            section: b"s".to_vec(),
            expiration_time: 5,
        });
        check(Iterate {
            ckpt_id: 1,
            sections_chosen: SECTIONS_ANY,
            expiration_time: 0,
            after: None,
        });
        check(Iterate {
            ckpt_id: 1,
            sections_chosen: SECTIONS_LEQ_EXPIRATION_TIME,
            expiration_time: 10,
            after: Some(b"s1".to_vec()),
        });
        check(Write {
            ckpt_id: 2,
            elements: vec![
                WriteElement {
                    section: vec![],
                    offset: 0,
                    data: b"abc".to_vec(),
                },
                WriteElement {
                    section: b"x".to_vec(),
                    offset: 7,
                    data: vec![],
                },
            ],
        });
        check(Overwrite {
            ckpt_id: 2,
            section: b"x".to_vec(),
            data: b"new".to_vec(),
        });
        check(Piece {
            kind: WRITE,
            ckpt_id: 2,
            operation: 9,
            index: 1,
            last: true,
            data: b"part".to_vec(),
        });
        check(Read {
            ckpt_id: 2,
            elements: vec![
                ReadElement {
                    section: b"x".to_vec(),
                    offset: 1,
                    size: u64::MAX,
                },
                ReadElement {
                    section: vec![],
                    offset: 0,
                    size: 3,
                },
            ],
        });
        check(SynchronizeAsync {
            invocation: 4,
            ckpt_id: 2,
        });
    }

    #[test]
    fn every_response_and_callback_round_trips_and_truncations_fail() {
        check(Opened {
            ckpt_id: 5,
            attrs: attrs(),
        });
        check(Descriptor {
            attrs: attrs(),
            number_of_sections: 3,
            memory_used: 1234,
        });
        check(SectionIdReply {
            section: b"17".to_vec(),
        });
        check(IterationPage {
            complete: false,
            sections: vec![
                SectionDescriptor {
                    section: vec![],
                    expiration_time: TIME_END,
                    section_size: 10,
                    state: SECTION_VALID,
                    last_update: 99,
                },
                SectionDescriptor {
                    section: b"b".to_vec(),
                    expiration_time: 1,
                    section_size: 0,
                    state: SECTION_VALID,
                    last_update: 0,
                },
            ],
        });
        check(ErrorIndex(3));
        check(ReadReply {
            erroneous_index: 0,
            elements: vec![
                ReadData {
                    data: b"hello".to_vec(),
                    more: 0,
                },
                ReadData { data: vec![], more: 12 },
            ],
        });
        check(SyncCallback { invocation: 8 });
        check(TrackCallback {
            ckpt_id: 4,
            elements: vec![
                TrackElement {
                    section: b"s1".to_vec(),
                    offset: 3,
                    size: 10,
                },
                TrackElement {
                    section: vec![],
                    offset: 0,
                    size: 0,
                },
            ],
        });
        check(TrackCallback {
            ckpt_id: 1,
            elements: vec![],
        });

        let ok = OpenCallback {
            invocation: 1,
            opened: Some(Opened {
                ckpt_id: 2,
                attrs: attrs(),
            }),
        };
        let b = ok.encode();
        assert_eq!(OpenCallback::decode_with(crate::status::OK, &b), Ok(ok));
        for n in 0..b.len() {
            assert!(OpenCallback::decode_with(crate::status::OK, &b[..n]).is_err());
        }
        let failed = OpenCallback {
            invocation: 1,
            opened: None,
        };
        let b = failed.encode();
        assert_eq!(b.len(), 8);
        assert_eq!(OpenCallback::decode_with(crate::status::NOT_EXIST, &b), Ok(failed));
        assert!(OpenCallback::decode_with(crate::status::OK, &b).is_err());
    }

    #[test]
    fn layouts_are_fixed() {
        assert_eq!(attrs().encode().unwrap().len(), 40);
        let b = Open {
            name: b"ab".to_vec(),
            attrs: None,
            open_flags: 1,
        }
        .encode()
        .unwrap();
        assert_eq!(b, [2, 0, b'a', b'b', 0, 1, 0, 0, 0]);
        let b = SectionCreate {
            ckpt_id: 1,
            section: None,
            expiration_time: 0,
            data: vec![9],
        }
        .encode()
        .unwrap();
        assert_eq!(
            b,
            [1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 9]
        );
    }

    #[test]
    fn forged_counts_and_ids_fail_without_allocating() {
        // A write claiming 4 billion elements in a 12-byte payload.
        let mut w = Writer::new();
        w.u64(1).u32(u32::MAX);
        assert!(Write::decode(w.as_slice()).is_err());
        assert!(Read::decode(w.as_slice()).is_err());
        assert!(TrackCallback::decode(w.as_slice()).is_err());
        // A section id claiming 65535 bytes with 2 present.
        let mut w = Writer::new();
        w.u64(1).u16(u16::MAX).bytes(b"ab");
        assert!(SectionRef::decode(w.as_slice()).is_err());
        // A generated section carrying an id is refused.
        let mut w = Writer::new();
        w.u64(1).bool(true).u16(1).u8(b'x').i64(0).u32(0);
        assert!(SectionCreate::decode(w.as_slice()).is_err());
        // A name over 256 bytes.
        let mut w = Writer::new();
        w.u16(257).bytes(&[b'n'; 257]).bool(false).u32(1);
        assert!(Open::decode(w.as_slice()).is_err());
        // A section id over 65535 bytes cannot be encoded.
        assert!(put_section_id(&mut Writer::new(), &vec![0; 65536]).is_err());
    }
}
