//! The C side of `libSaCkpt` over `ais_client::ckpt`: what a library handle, a checkpoint
//! handle and a section iteration hold (their tables are in `state`), version negotiation,
//! the requests to the executive's checkpoint service (`ais_proto::ckpt`) and its
//! callbacks. `mod.rs` does the C pointer work around it; the memory handed to the
//! application is `boundary::memory`'s.
//!
//! The executive takes at most [`msg::MAX_UPDATE_PAYLOAD`] bytes per request, and answers a
//! read or an iteration in pages: a larger write, overwrite or section creation goes as
//! PIECEs that the executive applies whole (atomic as the spec wants); only an executive
//! without PIECE has it split here into several WRITEs (an overwrite or a section creation
//! into its first piece, then WRITEs), which is not atomic. Larger reads are continued
//! where the executive stopped, and iterations fetch the next page when the one they hold
//! is used up.

use super::state::{CHECKPOINTS, HANDLES, ITERATIONS};
use crate::boundary::call::{code, code_of};
use crate::boundary::version::sa_version;
use crate::runtime::DispatchMode;
use crate::types::ais::*;
use crate::types::ckpt::*;
use ais_client::ckpt::{Ckpt, CkptEvent};
use ais_proto::ckpt::{self as msg, Message};
use ais_proto::AisVersion;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// The callbacks a handle was opened with (`saCkptInitialize` gives no track callback).
#[derive(Clone, Copy, Default)]
pub struct Callbacks {
    pub open: SaCkptCheckpointOpenCallbackT,
    pub sync: SaCkptCheckpointSynchronizeCallbackT,
    pub track: SaCkptCheckpointTrackCallbackT,
}

// Plain C function pointers, callable from any thread.
unsafe impl Send for Callbacks {}
unsafe impl Sync for Callbacks {}

/// One `saCkptInitialize`.
pub struct CkptHandle {
    pub conn: Ckpt,
    pub callbacks: Callbacks,
    /// The version negotiated (what initialize wrote back).
    pub version: SaVersionT,
    /// `saCkptCheckpointOpenAsync` calls waiting for their callback, by the key sent in
    /// place of the application's invocation (which need not be unique).
    pub pending_opens: Mutex<HashMap<u64, PendingOpen>>,
    pub next_key: AtomicU64,
}

/// An asynchronous open in flight.
pub struct PendingOpen {
    pub invocation: SaInvocationT,
    pub flags: SaCkptCheckpointOpenFlagsT,
}

/// One opened checkpoint.
pub struct Checkpoint {
    /// The library handle it was opened through (finalizing that closes it).
    pub owner: SaCkptHandleT,
    /// The version of the owner: B.01 iterations keep their section ids until finalized.
    pub version: SaVersionT,
    pub flags: SaCkptCheckpointOpenFlagsT,
    /// The executive's checkpoint id for this opening.
    pub ckpt_id: u64,
}

/// One section iteration.
pub struct Iteration {
    /// The checkpoint handle it iterates (closing that ends it too).
    pub checkpoint: SaCkptCheckpointHandleT,
    pub chosen: SaCkptSectionsChosenT,
    pub expiration: SaTimeT,
    pub pages: Mutex<Pages>,
}

/// The sections of an iteration fetched and not yet handed out.
#[derive(Default)]
pub struct Pages {
    pub held: VecDeque<Section>,
    /// The last id fetched: the next page starts after it.
    pub after: Option<Vec<u8>>,
    /// No page follows.
    pub complete: bool,
}

/// A section as the executive describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section {
    pub id: Vec<u8>,
    pub expiration: SaTimeT,
    pub size: u64,
    pub state: SaCkptSectionStateT,
    pub last_update: SaTimeT,
}

/// openais's version, for B.01 programs.
pub(crate) const B0101: SaVersionT = sa_version(b'B', 1, 1);
/// The newest version implemented: B.02.03.
pub(crate) const B0203: SaVersionT = sa_version(b'B', 2, 3);

/// Which initialize call negotiates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Init {
    /// `saCkptInitialize`: B.01 and B.02 programs.
    Plain,
    /// `saCkptInitialize_2`: B.02.03 programs (the track callback).
    Track,
}

/// The version an initialize call grants for `requested`, or (`Err`) the one it writes
/// back with `SA_AIS_ERR_VERSION`.
///
/// The AIS rule: the release code must match and the requested major version must not be
/// above ours. `saCkptInitialize` supports B.1.1 (what openais answered) and B.2.3: a B.1
/// request gets B.1.1, a B.2 one B.2.3. `saCkptInitialize_2` is B.02.03's: it needs at
/// least B.2.3, as in OpenSAF.
pub fn negotiate(requested: &SaVersionT, init: Init) -> Result<SaVersionT, SaVersionT> {
    let v = |s: &SaVersionT| AisVersion::new(s.releaseCode, s.majorVersion, s.minorVersion);
    match init {
        Init::Plain => [B0101, B0203]
            .into_iter()
            .find(|ours| AisVersion::accepts(v(ours), v(requested)))
            .ok_or(B0203),
        Init::Track => {
            let at_least = (requested.majorVersion, requested.minorVersion) >= (2, 3);
            if at_least && AisVersion::accepts(v(&B0203), v(requested)) {
                Ok(B0203)
            } else {
                Err(B0203)
            }
        }
    }
}

/// B.02.03's calls need a handle of at least B.2.3.
pub fn is_b0203(v: &SaVersionT) -> bool {
    (v.majorVersion, v.minorVersion) >= (2, 3)
}

/// B.02 handles own the section ids of their iterations until `saCkptSectionIdFree`.
pub fn is_b02(v: &SaVersionT) -> bool {
    v.majorVersion >= 2
}

pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Opens a connection for a new handle and registers it. The executive is asked for the
/// version granted.
pub fn open(version: SaVersionT, callbacks: Callbacks) -> Result<SaCkptHandleT, SaAisErrorT> {
    let v = AisVersion::new(version.releaseCode, version.majorVersion, version.minorVersion);
    let conn = Ckpt::open(v).map_err(|e| code(e.error))?;
    register_handle(conn, version, callbacks)
}

/// Registers a handle for a connection already open (the tests' fake executive).
#[cfg(test)]
pub fn adopt(
    conn: crate::runtime::Connection,
    version: SaVersionT,
    callbacks: Callbacks,
) -> Result<SaCkptHandleT, SaAisErrorT> {
    register_handle(Ckpt::over(conn), version, callbacks)
}

fn register_handle(conn: Ckpt, version: SaVersionT, callbacks: Callbacks) -> Result<SaCkptHandleT, SaAisErrorT> {
    HANDLES.insert(CkptHandle {
        conn,
        callbacks,
        version,
        pending_opens: Mutex::new(HashMap::new()),
        next_key: AtomicU64::new(1),
    })
}

/// Removes a checkpoint handle with its iterations (the library memory given out for it is
/// released by the caller, `boundary::memory` keeping it).
pub fn forget_checkpoint(handle: SaCkptCheckpointHandleT) {
    for i in ITERATIONS.handles() {
        if ITERATIONS.get(i).is_ok_and(|it| it.checkpoint == handle) {
            let _ = ITERATIONS.remove(i);
        }
    }
    let _ = CHECKPOINTS.remove(handle);
}

/// The open flags: only the three defined bits.
pub fn check_open_flags(flags: SaCkptCheckpointOpenFlagsT) -> Result<(), SaAisErrorT> {
    let known = SA_CKPT_CHECKPOINT_READ | SA_CKPT_CHECKPOINT_WRITE | SA_CKPT_CHECKPOINT_CREATE;
    if flags & !known != 0 {
        return Err(SA_AIS_ERR_BAD_FLAGS);
    }
    Ok(())
}

/// The creation attributes (`SA_AIS_ERR_INVALID_PARAM` otherwise, as in OpenSAF): exactly
/// one update option (possibly collocated), at least one section, a size the sections can
/// hold, no negative retention.
pub fn check_attributes(a: &SaCkptCheckpointCreationAttributesT) -> Result<(), SaAisErrorT> {
    let update = a.creationFlags & !SA_CKPT_CHECKPOINT_COLLOCATED;
    let one_option = matches!(
        update,
        SA_CKPT_WR_ALL_REPLICAS | SA_CKPT_WR_ACTIVE_REPLICA | SA_CKPT_WR_ACTIVE_REPLICA_WEAK
    );
    let room = u128::from(a.maxSections) * u128::from(a.maxSectionSize);
    if !one_option || a.maxSections == 0 || u128::from(a.checkpointSize) > room || a.retentionDuration < 0 {
        return Err(SA_AIS_ERR_INVALID_PARAM);
    }
    Ok(())
}

/// Whether an open checkpoint may be changed (`SA_AIS_ERR_ACCESS` if opened without
/// `SA_CKPT_CHECKPOINT_WRITE`) or read (without `SA_CKPT_CHECKPOINT_READ`).
pub fn check_access(c: &Checkpoint, need: SaCkptCheckpointOpenFlagsT) -> Result<(), SaAisErrorT> {
    if c.flags & need == 0 {
        return Err(SA_AIS_ERR_ACCESS);
    }
    Ok(())
}

/// The owner's state of a checkpoint handle.
pub fn owner(c: &Checkpoint) -> Result<Arc<CkptHandle>, SaAisErrorT> {
    HANDLES.get(c.owner)
}

/// The track calls: the handle must be B.02.03 (`SA_AIS_ERR_VERSION`, as in OpenSAF) with
/// a track callback (`SA_AIS_ERR_INIT`).
pub fn check_track(h: &CkptHandle) -> Result<(), SaAisErrorT> {
    if !is_b0203(&h.version) {
        return Err(SA_AIS_ERR_VERSION);
    }
    if h.callbacks.track.is_none() {
        return Err(SA_AIS_ERR_INIT);
    }
    Ok(())
}

// ---- requests ----

/// The checked arguments of an open.
pub struct OpenRequest {
    pub name: Vec<u8>,
    pub attributes: Option<SaCkptCheckpointCreationAttributesT>,
    pub flags: SaCkptCheckpointOpenFlagsT,
}

/// One element of a write.
pub struct WriteElement<'a> {
    pub id: Vec<u8>,
    pub offset: SaOffsetT,
    pub data: &'a [u8],
}

/// One element of a read: at most `max` bytes (`None`: the rest of the section).
pub struct ReadElement {
    pub id: Vec<u8>,
    pub offset: SaOffsetT,
    pub max: Option<SaSizeT>,
}

fn to_wire(a: &SaCkptCheckpointCreationAttributesT) -> msg::CreationAttributes {
    msg::CreationAttributes {
        creation_flags: a.creationFlags,
        checkpoint_size: a.checkpointSize,
        retention_duration: a.retentionDuration,
        max_sections: a.maxSections,
        max_section_size: a.maxSectionSize,
        max_section_id_size: a.maxSectionIdSize,
    }
}

fn from_wire(a: &msg::CreationAttributes) -> SaCkptCheckpointCreationAttributesT {
    SaCkptCheckpointCreationAttributesT {
        creationFlags: a.creation_flags,
        checkpointSize: a.checkpoint_size,
        retentionDuration: a.retention_duration,
        maxSections: a.max_sections,
        maxSectionSize: a.max_section_size,
        maxSectionIdSize: a.max_section_id_size,
    }
}

/// The protocol's section state as `SaCkptSectionStateT`.
pub fn section_state(wire: u32) -> SaCkptSectionStateT {
    match wire {
        msg::SECTION_CORRUPTED => SA_CKPT_SECTION_CORRUPTED,
        _ => SA_CKPT_SECTION_VALID,
    }
}

/// Bytes one change request may carry on this connection.
fn update_budget(h: &CkptHandle) -> usize {
    h.conn.max_update_payload()
}

fn open_message(req: &OpenRequest) -> msg::Open {
    msg::Open {
        name: req.name.clone(),
        attrs: req.attributes.as_ref().map(to_wire),
        open_flags: req.flags,
    }
}

/// Registers an opened checkpoint under a new checkpoint handle.
fn register(owner: SaCkptHandleT, h: &CkptHandle, flags: u32, ckpt_id: u64) -> Result<u64, SaAisErrorT> {
    CHECKPOINTS.insert(Checkpoint {
        owner,
        version: h.version,
        flags,
        ckpt_id,
    })
}

pub fn checkpoint_open(
    owner: SaCkptHandleT,
    h: &CkptHandle,
    req: OpenRequest,
    timeout: Duration,
) -> Result<SaCkptCheckpointHandleT, SaAisErrorT> {
    let opened = h.conn.checkpoint_open(&open_message(&req), timeout).map_err(code)?;
    register(owner, h, req.flags, opened.ckpt_id)
}

/// Sends the open; the callback comes through `dispatch`. The application's invocation is
/// kept here and a key of the library's own goes to the executive.
pub fn checkpoint_open_async(h: &CkptHandle, invocation: SaInvocationT, req: OpenRequest) -> SaAisErrorT {
    let key = h.next_key.fetch_add(1, Ordering::Relaxed);
    let m = msg::OpenAsync {
        invocation: key,
        open: open_message(&req),
    };
    lock(&h.pending_opens).insert(
        key,
        PendingOpen {
            invocation,
            flags: req.flags,
        },
    );
    let st = code_of(&h.conn.checkpoint_open_async(&m));
    if st != SA_AIS_OK {
        lock(&h.pending_opens).remove(&key);
    }
    st
}

pub fn checkpoint_close(handle: SaCkptCheckpointHandleT) -> SaAisErrorT {
    let c = match CHECKPOINTS.get(handle) {
        Ok(c) => c,
        Err(e) => return e,
    };
    let h = match owner(&c) {
        Ok(h) => h,
        Err(e) => return e,
    };
    let st = code_of(&h.conn.checkpoint_close(c.ckpt_id));
    if st == SA_AIS_OK {
        forget_checkpoint(handle);
    }
    st
}

pub fn unlink(h: &CkptHandle, name: &[u8]) -> SaAisErrorT {
    code_of(&h.conn.unlink(name))
}

pub fn retention_set(c: &Checkpoint, t: SaTimeT) -> SaAisErrorT {
    let m = msg::RetentionSet {
        ckpt_id: c.ckpt_id,
        retention_duration: t,
    };
    match owner(c) {
        Ok(h) => code_of(&h.conn.retention_set(&m)),
        Err(e) => e,
    }
}

pub fn active_replica_set(c: &Checkpoint) -> SaAisErrorT {
    match owner(c) {
        Ok(h) => code_of(&h.conn.active_replica_set(c.ckpt_id)),
        Err(e) => e,
    }
}

pub fn status_get(c: &Checkpoint) -> Result<SaCkptCheckpointDescriptorT, SaAisErrorT> {
    let h = owner(c)?;
    let d = h.conn.status_get(c.ckpt_id).map_err(code)?;
    Ok(SaCkptCheckpointDescriptorT {
        checkpointCreationAttributes: from_wire(&d.attrs),
        numberOfSections: d.number_of_sections,
        memoryUsed: d.memory_used,
    })
}

/// What a pieced change came to: the executive's answer, or `None` when it does not know
/// PIECE (the change is then to be split).
fn pieced(h: &CkptHandle, kind: u16, ckpt_id: u64, m: &impl Message) -> Result<Option<(u32, Vec<u8>)>, SaAisErrorT> {
    let payload = m.encode().map_err(|_| SA_AIS_ERR_INVALID_PARAM)?;
    match h.conn.pieced(kind, ckpt_id, &payload) {
        Ok(r) => Ok(Some((r.status, r.payload))),
        Err(ais_client::Error::NotSupported) => Ok(None),
        Err(e) => Err(code(e)),
    }
}

/// Writes `data` into section `id` from `offset` on, in WRITEs of at most the budget.
fn write_rest(h: &CkptHandle, c: &Checkpoint, id: &[u8], offset: u64, data: &[u8]) -> SaAisErrorT {
    let element = WriteElement {
        id: id.to_vec(),
        offset,
        data,
    };
    match write_with(h, c, std::slice::from_ref(&element)) {
        Ok(()) => SA_AIS_OK,
        Err((e, _)) => e,
    }
}

/// Creates a section; returns the id the executive generated when none was given. Initial
/// data over the budget is written after the creation.
pub fn section_create(
    c: &Checkpoint,
    id: Option<&[u8]>,
    expiration: SaTimeT,
    data: &[u8],
) -> Result<Option<Vec<u8>>, SaAisErrorT> {
    let h = owner(c)?;
    let fixed = 8 + 1 + 2 + id.map_or(0, |i| i.len()) + 8 + 4;
    if fixed + data.len() > update_budget(&h) {
        let whole = msg::SectionCreate {
            ckpt_id: c.ckpt_id,
            section: id.map(|i| i.to_vec()),
            expiration_time: expiration,
            data: data.to_vec(),
        };
        if let Some((st, payload)) = pieced(&h, msg::SECTION_CREATE, c.ckpt_id, &whole)? {
            ais_client::Error::check(st).map_err(code)?;
            let reply = msg::SectionIdReply::decode(&payload).map_err(|_| SA_AIS_ERR_LIBRARY)?;
            return Ok(id.is_none().then_some(reply.section));
        }
    }
    let first = data.len().min(update_budget(&h).saturating_sub(fixed));
    let m = msg::SectionCreate {
        ckpt_id: c.ckpt_id,
        section: id.map(|i| i.to_vec()),
        expiration_time: expiration,
        data: data[..first].to_vec(),
    };
    let reply = h.conn.section_create(&m).map_err(code)?;
    if first < data.len() {
        let st = write_rest(&h, c, &reply.section, first as u64, &data[first..]);
        if st != SA_AIS_OK {
            return Err(st);
        }
    }
    Ok(id.is_none().then_some(reply.section))
}

pub fn section_delete(c: &Checkpoint, id: &[u8]) -> SaAisErrorT {
    let m = msg::SectionRef {
        ckpt_id: c.ckpt_id,
        section: id.to_vec(),
    };
    match owner(c) {
        Ok(h) => code_of(&h.conn.section_delete(&m)),
        Err(e) => e,
    }
}

pub fn section_expiration_set(c: &Checkpoint, id: &[u8], t: SaTimeT) -> SaAisErrorT {
    let m = msg::ExpirationSet {
        ckpt_id: c.ckpt_id,
        section: id.to_vec(),
        expiration_time: t,
    };
    match owner(c) {
        Ok(h) => code_of(&h.conn.section_expiration_set(&m)),
        Err(e) => e,
    }
}

/// Fetches the page of `it` after `pages.after` into `pages`.
fn fetch_page(c: &Checkpoint, it_chosen: u32, it_expiration: SaTimeT, pages: &mut Pages) -> Result<(), SaAisErrorT> {
    let h = owner(c)?;
    let m = msg::Iterate {
        ckpt_id: c.ckpt_id,
        sections_chosen: it_chosen,
        expiration_time: it_expiration,
        after: pages.after.clone(),
    };
    let page = h.conn.iterate(&m).map_err(code)?;
    // A page without sections ends the iteration, whatever it says: asking again after
    // the same id would get the same page.
    pages.complete = page.complete || page.sections.is_empty();
    if let Some(last) = page.sections.last() {
        pages.after = Some(last.section.clone());
    }
    pages.held.extend(page.sections.into_iter().map(|s| Section {
        state: section_state(s.state),
        id: s.section,
        expiration: s.expiration_time,
        size: s.section_size,
        last_update: s.last_update,
    }));
    Ok(())
}

/// Starts an iteration: its first page is fetched now.
pub fn iteration_initialize(
    handle: SaCkptCheckpointHandleT,
    c: &Checkpoint,
    chosen: SaCkptSectionsChosenT,
    expiration: SaTimeT,
) -> Result<SaCkptSectionIterationHandleT, SaAisErrorT> {
    let mut pages = Pages::default();
    fetch_page(c, chosen, expiration, &mut pages)?;
    ITERATIONS.insert(Iteration {
        checkpoint: handle,
        chosen,
        expiration,
        pages: Mutex::new(pages),
    })
}

/// The next section of an iteration; `SA_AIS_ERR_NO_SECTIONS` after the last.
pub fn iteration_next(it: &Iteration, c: &Checkpoint) -> Result<Section, SaAisErrorT> {
    let mut pages = lock(&it.pages);
    if pages.held.is_empty() && !pages.complete {
        fetch_page(c, it.chosen, it.expiration, &mut pages)?;
    }
    pages.held.pop_front().ok_or(SA_AIS_ERR_NO_SECTIONS)
}

/// A piece of a caller's write element in one WRITE request.
struct Piece<'a> {
    element: usize,
    id: &'a [u8],
    offset: u64,
    data: &'a [u8],
}

/// Cuts the elements into WRITE requests of at most `budget` payload bytes each: an
/// element whose data does not fit is cut into pieces at increasing offsets.
fn plan_writes<'a>(elements: &'a [WriteElement<'a>], budget: usize) -> Result<Vec<Vec<Piece<'a>>>, usize> {
    const HEAD: usize = 8 + 4; // checkpoint id, count
    let mut requests = Vec::new();
    let mut current: Vec<Piece<'a>> = Vec::new();
    let mut used = HEAD;
    for (i, e) in elements.iter().enumerate() {
        let fixed = 2 + e.id.len() + 8 + 4;
        if HEAD + fixed >= budget {
            // Not even one byte of it fits a request.
            return Err(i);
        }
        let mut done = 0;
        loop {
            let room = budget.saturating_sub(used + fixed);
            if room == 0 {
                requests.push(std::mem::take(&mut current));
                used = HEAD;
                continue;
            }
            let n = (e.data.len() - done).min(room);
            current.push(Piece {
                element: i,
                id: &e.id,
                offset: e.offset + done as u64,
                data: &e.data[done..done + n],
            });
            used += fixed + n;
            done += n;
            if done == e.data.len() {
                break;
            }
        }
    }
    if !current.is_empty() {
        requests.push(current);
    }
    Ok(requests)
}

fn write_with(h: &CkptHandle, c: &Checkpoint, elements: &[WriteElement<'_>]) -> Result<(), (SaAisErrorT, Option<u32>)> {
    const HEAD: usize = 8 + 4;
    let size: usize = HEAD
        + elements
            .iter()
            .map(|e| 2 + e.id.len() + 8 + 4 + e.data.len())
            .sum::<usize>();
    if size > update_budget(h) {
        let whole = msg::Write {
            ckpt_id: c.ckpt_id,
            elements: elements
                .iter()
                .map(|e| msg::WriteElement {
                    section: e.id.to_vec(),
                    offset: e.offset,
                    data: e.data.to_vec(),
                })
                .collect(),
        };
        if let Some((st, payload)) = pieced(h, msg::WRITE, c.ckpt_id, &whole).map_err(|e| (e, None))? {
            return ais_client::Error::check(st).map_err(|e| {
                let index = msg::ErrorIndex::decode(&payload).ok().map(|ix| ix.0);
                (code(e), index.filter(|&i| (i as usize) < elements.len()))
            });
        }
    }
    let requests = plan_writes(elements, update_budget(h)).map_err(|i| (SA_AIS_ERR_INVALID_PARAM, Some(i as u32)))?;
    for pieces in requests {
        let m = msg::Write {
            ckpt_id: c.ckpt_id,
            elements: pieces
                .iter()
                .map(|p| msg::WriteElement {
                    section: p.id.to_vec(),
                    offset: p.offset,
                    data: p.data.to_vec(),
                })
                .collect(),
        };
        if let Err((e, ix)) = h.conn.write(&m) {
            let index = ix.and_then(|ix| pieces.get(ix as usize)).map(|p| p.element as u32);
            return Err((code(e), index));
        }
    }
    Ok(())
}

/// Writes the elements in order; on an error, the index of the element that failed.
pub fn write(c: &Checkpoint, elements: &[WriteElement<'_>]) -> Result<(), (SaAisErrorT, Option<u32>)> {
    let h = owner(c).map_err(|e| (e, None))?;
    write_with(&h, c, elements)
}

/// Replaces a section's contents: data over the budget goes in WRITEs after it.
pub fn overwrite(c: &Checkpoint, id: &[u8], data: &[u8]) -> SaAisErrorT {
    let h = match owner(c) {
        Ok(h) => h,
        Err(e) => return e,
    };
    let fixed = 8 + 2 + id.len() + 4;
    if fixed + data.len() > update_budget(&h) {
        let whole = msg::Overwrite {
            ckpt_id: c.ckpt_id,
            section: id.to_vec(),
            data: data.to_vec(),
        };
        match pieced(&h, msg::OVERWRITE, c.ckpt_id, &whole) {
            Ok(Some((st, _))) => return code_of(&ais_client::Error::check(st)),
            Ok(None) => {}
            Err(e) => return e,
        }
    }
    let first = data.len().min(update_budget(&h).saturating_sub(fixed));
    let m = msg::Overwrite {
        ckpt_id: c.ckpt_id,
        section: id.to_vec(),
        data: data[..first].to_vec(),
    };
    let st = code_of(&h.conn.overwrite(&m));
    if st != SA_AIS_OK || first == data.len() {
        return st;
    }
    write_rest(&h, c, id, first as u64, &data[first..])
}

/// Reads the elements in order; on an error, the index of the element that failed.
/// Elements are asked for in READs of at most the budget, and an element the executive
/// answered in part is continued where it stopped.
pub fn read(c: &Checkpoint, elements: &[ReadElement]) -> Result<Vec<Vec<u8>>, (SaAisErrorT, SaUint32T)> {
    const HEAD: usize = 8 + 4;
    let h = owner(c).map_err(|e| (e, 0))?;
    let budget = update_budget(&h);
    let mut out: Vec<Vec<u8>> = Vec::with_capacity(elements.len());
    let mut start = 0;
    while start < elements.len() {
        // As many elements as the request budget takes (at least one).
        let mut end = start;
        let mut used = HEAD;
        while end < elements.len() && (end == start || used + 2 + elements[end].id.len() + 16 <= budget) {
            used += 2 + elements[end].id.len() + 16;
            end += 1;
        }
        let batch = &elements[start..end];
        let asked = |e: &ReadElement, got: usize| match e.max {
            None => u64::MAX,
            Some(m) => m.saturating_sub(got as u64),
        };
        let reply = read_once(&h, c, batch.iter().map(|e| (e.id.as_slice(), e.offset, asked(e, 0))))
            .map_err(|(e, i)| (e, (start + i as usize) as u32))?;
        for (k, (e, first)) in batch.iter().zip(reply).enumerate() {
            let i = start + k;
            let mut data = first.data;
            let mut more = first.more;
            while more > 0 {
                let at = e.offset.saturating_add(data.len() as u64);
                let next = read_once(&h, c, std::iter::once((e.id.as_slice(), at, asked(e, data.len()))))
                    .map_err(|(err, _)| (err, i as u32))?;
                let next = next.into_iter().next().unwrap_or(msg::ReadData {
                    data: Vec::new(),
                    more: 0,
                });
                if next.data.is_empty() {
                    // The executive said more was there and sent none: stop rather than loop.
                    return Err((SA_AIS_ERR_LIBRARY, i as u32));
                }
                data.extend_from_slice(&next.data);
                more = next.more;
            }
            if let Some(m) = e.max {
                data.truncate(usize::try_from(m).unwrap_or(usize::MAX));
            }
            out.push(data);
        }
        start = end;
    }
    Ok(out)
}

/// One READ; on an error, the index within this request of the element at fault.
fn read_once<'a>(
    h: &CkptHandle,
    c: &Checkpoint,
    elements: impl Iterator<Item = (&'a [u8], u64, u64)>,
) -> Result<Vec<msg::ReadData>, (SaAisErrorT, u32)> {
    let m = msg::Read {
        ckpt_id: c.ckpt_id,
        elements: elements
            .map(|(id, offset, size)| msg::ReadElement {
                section: id.to_vec(),
                offset,
                size,
            })
            .collect(),
    };
    h.conn.read(&m).map_err(|(e, index)| (code(e), index))
}

pub fn synchronize(c: &Checkpoint, timeout: Duration) -> SaAisErrorT {
    match owner(c) {
        Ok(h) => code_of(&h.conn.synchronize(c.ckpt_id, timeout)),
        Err(e) => e,
    }
}

pub fn synchronize_async(h: &CkptHandle, c: &Checkpoint, invocation: SaInvocationT) -> SaAisErrorT {
    let m = msg::SynchronizeAsync {
        invocation,
        ckpt_id: c.ckpt_id,
    };
    code_of(&h.conn.synchronize_async(&m))
}

/// `saCkptTrack` (`start`) and `saCkptTrackStop`: the executive's answer.
pub fn track(h: &CkptHandle, start: bool) -> SaAisErrorT {
    code_of(&h.conn.track(start))
}

/// `saCkptCheckpointTrack` (`start`) and `saCkptCheckpointTrackStop`.
pub fn checkpoint_track(h: &CkptHandle, c: &Checkpoint, start: bool) -> SaAisErrorT {
    code_of(&h.conn.checkpoint_track(c.ckpt_id, start))
}

/// The checkpoint handle of `owner` opened as executive checkpoint id `ckpt_id`, if it
/// is open for reading (the track callback reports only such checkpoints).
pub fn tracked_checkpoint(owner: SaCkptHandleT, ckpt_id: u64) -> Option<SaCkptCheckpointHandleT> {
    CHECKPOINTS.handles().into_iter().find(|&c| {
        CHECKPOINTS
            .get(c)
            .is_ok_and(|cp| cp.owner == owner && cp.ckpt_id == ckpt_id && cp.flags & SA_CKPT_CHECKPOINT_READ != 0)
    })
}

/// The `SaCkptIOVectorElementT`s of a track callback: section id (pointing into `ids`,
/// one per element), `dataOffset` and `dataSize` of each changed range, `dataBuffer`
/// NULL and `readSize` 0, as OpenSAF reports them.
pub fn track_vector(tc: &msg::TrackCallback, ids: &mut [Vec<u8>]) -> Vec<SaCkptIOVectorElementT> {
    tc.elements
        .iter()
        .zip(ids.iter_mut())
        .map(|(e, id)| SaCkptIOVectorElementT {
            sectionId: SaCkptSectionIdT {
                idLen: id.len() as SaUint16T,
                id: if id.is_empty() {
                    std::ptr::null_mut()
                } else {
                    id.as_mut_ptr()
                },
            },
            dataBuffer: std::ptr::null_mut(),
            dataSize: e.size as SaSizeT,
            dataOffset: e.offset as SaOffsetT,
            readSize: 0,
        })
        .collect()
}

/// Runs the handle's pending callbacks.
pub fn dispatch(handle: SaCkptHandleT, h: &CkptHandle, mode: DispatchMode) -> Result<(), SaAisErrorT> {
    h.conn
        .dispatch(mode, |event| match event {
            CkptEvent::Opened { callback, status } => {
                let Some(p) = lock(&h.pending_opens).remove(&callback.invocation) else {
                    return;
                };
                let (checkpoint, status) = match (callback.opened, status) {
                    (Some(o), Ok(())) => match register(handle, h, p.flags, o.ckpt_id) {
                        Ok(c) => (c, SA_AIS_OK),
                        Err(e) => (SA_HANDLE_INVALID, e),
                    },
                    (_, st) => (SA_HANDLE_INVALID, code_of(&st)),
                };
                if let Some(f) = h.callbacks.open {
                    // SAFETY: the application's callback, called as saCkpt.h declares it.
                    unsafe { f(p.invocation, checkpoint, status) };
                }
            }
            CkptEvent::Synchronized { invocation, status } => {
                if let Some(f) = h.callbacks.sync {
                    // SAFETY: as above.
                    unsafe { f(invocation, code_of(&status)) };
                }
            }
            CkptEvent::Track(tc) => {
                let Some(f) = h.callbacks.track else {
                    return;
                };
                let Some(checkpoint) = tracked_checkpoint(handle, tc.ckpt_id) else {
                    return;
                };
                let mut ids = tc.elements.iter().map(|e| e.section.clone()).collect::<Vec<_>>();
                let mut io = track_vector(&tc, &mut ids);
                // SAFETY: the application's callback, called as saCkpt.h declares it; the
                // vector and the section ids it points into live until it returns.
                unsafe { f(checkpoint, io.as_mut_ptr(), io.len() as SaUint32T) };
            }
        })
        .map_err(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(r: u8, maj: u8, min: u8) -> SaVersionT {
        SaVersionT {
            releaseCode: r,
            majorVersion: maj,
            minorVersion: min,
        }
    }

    #[test]
    fn version_negotiation_follows_the_ais_rule() {
        assert_eq!(negotiate(&v(b'B', 1, 1), Init::Plain), Ok(B0101));
        assert_eq!(
            negotiate(&v(b'B', 1, 7), Init::Plain),
            Ok(B0101),
            "minor versions do not matter"
        );
        assert_eq!(negotiate(&v(b'B', 2, 1), Init::Plain), Ok(B0203));
        assert_eq!(negotiate(&v(b'B', 2, 3), Init::Plain), Ok(B0203));
        assert_eq!(negotiate(&v(b'B', 3, 1), Init::Plain), Err(B0203), "a major above ours");
        assert_eq!(negotiate(&v(b'A', 1, 1), Init::Plain), Err(B0203), "another release");
        assert_eq!(negotiate(&v(b'C', 1, 1), Init::Plain), Err(B0203));
        assert_eq!(negotiate(&v(b'B', 2, 3), Init::Track), Ok(B0203));
        assert_eq!(negotiate(&v(b'B', 2, 9), Init::Track), Ok(B0203));
        assert_eq!(
            negotiate(&v(b'B', 2, 2), Init::Track),
            Err(B0203),
            "the track API is B.02.03's"
        );
        assert_eq!(negotiate(&v(b'B', 1, 1), Init::Track), Err(B0203));
        assert_eq!(negotiate(&v(b'B', 3, 3), Init::Track), Err(B0203));
        assert!(is_b0203(&B0203) && !is_b0203(&B0101) && !is_b0203(&v(b'B', 2, 2)));
    }

    fn attrs() -> SaCkptCheckpointCreationAttributesT {
        SaCkptCheckpointCreationAttributesT {
            creationFlags: SA_CKPT_WR_ALL_REPLICAS,
            checkpointSize: 1000,
            retentionDuration: SA_TIME_ONE_SECOND,
            maxSections: 10,
            maxSectionSize: 100,
            maxSectionIdSize: 16,
        }
    }

    #[test]
    fn creation_attributes() {
        assert_eq!(check_attributes(&attrs()), Ok(()));
        for flags in [
            SA_CKPT_WR_ACTIVE_REPLICA,
            SA_CKPT_WR_ACTIVE_REPLICA_WEAK | SA_CKPT_CHECKPOINT_COLLOCATED,
        ] {
            assert_eq!(
                check_attributes(&SaCkptCheckpointCreationAttributesT {
                    creationFlags: flags,
                    ..attrs()
                }),
                Ok(())
            );
        }
        for flags in [
            0,
            SA_CKPT_CHECKPOINT_COLLOCATED,
            SA_CKPT_WR_ALL_REPLICAS | SA_CKPT_WR_ACTIVE_REPLICA,
            SA_CKPT_WR_ALL_REPLICAS | 0x10,
        ] {
            let a = SaCkptCheckpointCreationAttributesT {
                creationFlags: flags,
                ..attrs()
            };
            assert_eq!(check_attributes(&a), Err(SA_AIS_ERR_INVALID_PARAM), "{flags:#x}");
        }
        let too_big = SaCkptCheckpointCreationAttributesT {
            checkpointSize: 1001,
            ..attrs()
        };
        let no_sections = SaCkptCheckpointCreationAttributesT {
            maxSections: 0,
            checkpointSize: 0,
            ..attrs()
        };
        let negative = SaCkptCheckpointCreationAttributesT {
            retentionDuration: -1,
            ..attrs()
        };
        for a in [too_big, no_sections, negative] {
            assert_eq!(check_attributes(&a), Err(SA_AIS_ERR_INVALID_PARAM));
        }
        // No overflow in maxSections * maxSectionSize.
        let huge = SaCkptCheckpointCreationAttributesT {
            maxSections: u32::MAX,
            maxSectionSize: u64::MAX,
            checkpointSize: u64::MAX,
            ..attrs()
        };
        assert_eq!(check_attributes(&huge), Ok(()));
    }

    #[test]
    fn open_flags_and_names() {
        assert_eq!(check_open_flags(0), Ok(()));
        assert_eq!(check_open_flags(7), Ok(()));
        assert_eq!(check_open_flags(8), Err(SA_AIS_ERR_BAD_FLAGS));
        let mut n = SaNameT {
            length: 3,
            value: [0; SA_MAX_NAME_LENGTH],
        };
        n.value[..3].copy_from_slice(b"abc");
        // Checkpoint names are checked by the boundary kit's `check::sa_name`.
        let name = |n: &SaNameT| crate::boundary::check::sa_name(n).map(<[u8]>::to_vec).map_err(|f| f.0);
        assert_eq!(name(&n), Ok(b"abc".to_vec()));
        n.length = 0;
        assert_eq!(name(&n), Err(SA_AIS_ERR_INVALID_PARAM));
        n.length = 257;
        assert_eq!(name(&n), Err(SA_AIS_ERR_INVALID_PARAM));
        n.length = 256;
        assert_eq!(name(&n).map(|b| b.len()), Ok(256));
        // A negative timeout is refused (`boundary::timeout`, which also has the floor).
        assert_eq!(
            crate::boundary::timeout::timeout(-1).map_err(|f| f.0),
            Err(SA_AIS_ERR_INVALID_PARAM)
        );
    }

    pub fn checkpoint(flags: SaCkptCheckpointOpenFlagsT) -> Checkpoint {
        Checkpoint {
            owner: 0,
            version: B0203,
            flags,
            ckpt_id: 1,
        }
    }

    #[test]
    fn track_callbacks_describe_the_changed_ranges() {
        let tc = msg::TrackCallback {
            ckpt_id: 9,
            elements: vec![
                msg::TrackElement {
                    section: b"sec".to_vec(),
                    offset: 4,
                    size: 6,
                },
                msg::TrackElement {
                    section: vec![],
                    offset: 0,
                    size: 0,
                },
            ],
        };
        let mut ids = tc.elements.iter().map(|e| e.section.clone()).collect::<Vec<_>>();
        let io = track_vector(&tc, &mut ids);
        assert_eq!(io.len(), 2);
        assert_eq!((io[0].sectionId.idLen, io[0].dataOffset, io[0].dataSize), (3, 4, 6));
        // SAFETY: idLen bytes at id, which points into `ids`, still alive.
        let id0 = unsafe { std::slice::from_raw_parts(io[0].sectionId.id, 3) };
        assert_eq!(id0, b"sec");
        assert!(io[0].dataBuffer.is_null() && io[0].readSize == 0);
        assert_eq!((io[1].sectionId.idLen, io[1].dataSize), (0, 0));
        assert!(io[1].sectionId.id.is_null(), "the default section");
        // Only a checkpoint of that owner, opened for reading, is reported.
        let mut c = checkpoint(SA_CKPT_CHECKPOINT_READ);
        c.owner = 0x77;
        c.ckpt_id = 41;
        let read = CHECKPOINTS.insert(c).unwrap();
        let mut c = checkpoint(SA_CKPT_CHECKPOINT_WRITE);
        c.owner = 0x77;
        c.ckpt_id = 42;
        let write = CHECKPOINTS.insert(c).unwrap();
        assert_eq!(tracked_checkpoint(0x77, 41), Some(read));
        assert_eq!(tracked_checkpoint(0x78, 41), None);
        assert_eq!(tracked_checkpoint(0x77, 42), None);
        forget_checkpoint(read);
        forget_checkpoint(write);
        assert_eq!(tracked_checkpoint(0x77, 41), None);
    }
}
