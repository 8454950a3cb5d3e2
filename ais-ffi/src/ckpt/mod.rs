//! The functions `libSaCkpt.so.3` exports: CKPT B.01.01 as openais shipped it (node
//! `OPENAIS_CKPT_B.01.01`), B.02's two free calls and B.02.03's track API (node
//! `OPENAIS_CKPT_B.02.03`, see `version-scripts/SaCkpt.map`).
//!
//! Each body runs inside `ffi_call`, so no panic reaches C; the pointer work is here, the
//! rest (handles, requests, callbacks) in `client`, the library memory in
//! `boundary::memory` and the handles' lifecycle in `boundary::lifecycle` (see `state`). Arguments are
//! checked before the handle is looked up: a NULL pointer is `SA_AIS_ERR_INVALID_PARAM`
//! whatever the handle. Then a handle that is not open is `SA_AIS_ERR_BAD_HANDLE`, a
//! checkpoint opened without `SA_CKPT_CHECKPOINT_WRITE` (or `_READ` for a read) is
//! `SA_AIS_ERR_ACCESS`, and an asynchronous call without its callback is
//! `SA_AIS_ERR_INIT`.
//!
//! # Safety
//!
//! The functions are `unsafe` for Rust callers: the pointers must be valid as saCkpt.h
//! documents them (for C callers that is the API contract).

// Parameter names follow saCkpt.h: cbindgen copies them into the header.
#![allow(non_snake_case, clippy::missing_safety_doc)]

use crate::boundary::check::{self, INVALID};
use crate::boundary::memory::MEMORY;
use crate::boundary::timeout::timeout as floored;
use crate::boundary::{ffi_call, status, Failure, Outcome};
use crate::boundary::{lifecycle, version};
use crate::runtime::DispatchMode;
use crate::types::ais::*;
use crate::types::ckpt::*;
use client::{Callbacks, Checkpoint, Init, B0203};
use core::ffi::c_void;
use state::{Ckpt, Limits};
use state::{CHECKPOINTS, HANDLES, ITERATIONS};
use std::sync::Arc;

mod client;
mod state;
#[cfg(test)]
mod tests;

/// A checkpoint handle's state.
fn checkpoint(handle: SaCkptCheckpointHandleT) -> Result<Arc<Checkpoint>, Failure> {
    Ok(CHECKPOINTS.get(handle)?)
}

/// A checkpoint handle's state, if it may be changed (`SA_CKPT_CHECKPOINT_WRITE`) or
/// read (`_READ`): `SA_AIS_ERR_ACCESS` otherwise.
fn checkpoint_for(
    handle: SaCkptCheckpointHandleT,
    need: SaCkptCheckpointOpenFlagsT,
) -> Result<Arc<Checkpoint>, Failure> {
    let c = checkpoint(handle)?;
    client::check_access(&c, need)?;
    Ok(c)
}

/// Negotiates the version (writing it back), then opens the handle.
unsafe fn initialize(
    handle: *mut SaCkptHandleT,
    version: *mut SaVersionT,
    init: Init,
    callbacks: Callbacks,
) -> Outcome {
    lifecycle::initialize(
        handle,
        version,
        B0203,
        |requested| client::negotiate(requested, init),
        |granted| state::open_cancellable(callbacks, |cbs| client::open(granted, cbs)),
    )
}

/// A section id's bytes; `SA_AIS_ERR_INVALID_PARAM` for a NULL `id` with a length.
unsafe fn section_id(id: &SaCkptSectionIdT) -> Result<Vec<u8>, Failure> {
    Ok(check::slice(id.id, id.idLen as usize)?.to_vec())
}

/// A section id naming a section the application created: not the default one.
unsafe fn created_section_id(id: *const SaCkptSectionIdT) -> Result<Vec<u8>, Failure> {
    let bytes = section_id(check::arg(id)?)?;
    if bytes.is_empty() {
        return Err(INVALID);
    }
    Ok(bytes)
}

/// The open arguments both open calls check the same way.
unsafe fn open_request(
    name: *const SaNameT,
    attributes: *const SaCkptCheckpointCreationAttributesT,
    flags: SaCkptCheckpointOpenFlagsT,
) -> Result<client::OpenRequest, Failure> {
    let name = check::arg(name)?;
    client::check_open_flags(flags)?;
    let attributes = attributes.as_ref().copied();
    // Attributes exactly when creating.
    if (flags & SA_CKPT_CHECKPOINT_CREATE != 0) != attributes.is_some() {
        return Err(INVALID);
    }
    if let Some(a) = &attributes {
        client::check_attributes(a)?;
    }
    Ok(client::OpenRequest {
        name: check::sa_name(name)?.to_vec(),
        attributes,
        flags,
    })
}

/// A section's whole data (created or overwritten) against the checkpoint's limits, before
/// the data is read, with the executive's codes: larger than a section may be is
/// INVALID_PARAM, larger than the checkpoint `over_checkpoint` (each call's own code).
fn check_section_data(
    handle: SaCkptCheckpointHandleT,
    c: &Checkpoint,
    size: SaSizeT,
    over_checkpoint: SaAisErrorT,
) -> Outcome {
    let limits = state::limits(handle, c)?;
    if size > limits.max_section_size {
        return Err(INVALID);
    }
    if size > limits.checkpoint_size {
        return Err(Failure(over_checkpoint));
    }
    Ok(())
}

/// A write or overwrite refused for want of room answers `SA_AIS_ERR_NO_RESOURCES`, a code
/// both calls list; `SA_AIS_ERR_NO_SPACE` (what the executive says when a checkpoint is
/// full) is not one of saCkptSectionOverwrite's.
fn no_resources_for_no_space(e: SaAisErrorT) -> SaAisErrorT {
    if e == SA_AIS_ERR_NO_SPACE {
        SA_AIS_ERR_NO_RESOURCES
    } else {
        e
    }
}

/// Records the index of the element at fault, if the caller asked for it.
unsafe fn erroneous(index: *mut SaUint32T, i: usize) {
    if let Some(ix) = index.as_mut() {
        *ix = i as SaUint32T;
    }
}

// ---- B.01.01 ----

/// Opens a checkpoint service handle; negotiates `*version` (B.1 gets B.1.1, B.2 B.2.3).
#[no_mangle]
pub unsafe extern "C" fn saCkptInitialize(
    ckptHandle: *mut SaCkptHandleT,
    callbacks: *const SaCkptCallbacksT,
    version: *mut SaVersionT,
) -> SaAisErrorT {
    ffi_call(|| {
        let cb = callbacks.as_ref().map_or_else(Callbacks::default, |c| Callbacks {
            open: c.saCkptCheckpointOpenCallback,
            sync: c.saCkptCheckpointSynchronizeCallback,
            track: None,
        });
        initialize(ckptHandle, version, Init::Plain, cb)
    })
}

/// The file descriptor that becomes readable when callbacks are pending.
#[no_mangle]
pub unsafe extern "C" fn saCkptSelectionObjectGet(
    ckptHandle: SaCkptHandleT,
    selectionObject: *mut SaSelectionObjectT,
) -> SaAisErrorT {
    ffi_call(|| lifecycle::selection_object::<Ckpt, _>(ckptHandle, selectionObject))
}

/// Runs pending callbacks (`SA_DISPATCH_ONE`, `_ALL` or `_BLOCKING`).
#[no_mangle]
pub unsafe extern "C" fn saCkptDispatch(ckptHandle: SaCkptHandleT, dispatchFlags: SaDispatchFlagsT) -> SaAisErrorT {
    ffi_call(|| lifecycle::dispatch::<Ckpt>(ckptHandle, DispatchMode::from_flags(dispatchFlags)))
}

/// Closes the handle and every checkpoint opened through it.
#[no_mangle]
pub unsafe extern "C" fn saCkptFinalize(ckptHandle: SaCkptHandleT) -> SaAisErrorT {
    ffi_call(|| lifecycle::finalize::<Ckpt>(ckptHandle))
}

/// Opens (`SA_CKPT_CHECKPOINT_CREATE`: creates if needed) the named checkpoint, waiting at
/// most `timeout`.
#[no_mangle]
pub unsafe extern "C" fn saCkptCheckpointOpen(
    ckptHandle: SaCkptHandleT,
    checkpointName: *const SaNameT,
    checkpointCreationAttributes: *const SaCkptCheckpointCreationAttributesT,
    checkpointOpenFlags: SaCkptCheckpointOpenFlagsT,
    timeout: SaTimeT,
    checkpointHandle: *mut SaCkptCheckpointHandleT,
) -> SaAisErrorT {
    ffi_call(|| {
        let out = check::out(checkpointHandle)?;
        let req = open_request(checkpointName, checkpointCreationAttributes, checkpointOpenFlags)?;
        let timeout = floored(timeout)?;
        let h = HANDLES.get(ckptHandle)?;
        let limits = req.attributes.as_ref().map(Limits::of);
        *out = client::checkpoint_open(ckptHandle, &h, req, timeout)?;
        if let Some(l) = limits {
            state::remember_limits(*out, l);
        }
        Ok(())
    })
}

/// As `saCkptCheckpointOpen`; the result comes to the open callback with `invocation`.
#[no_mangle]
pub unsafe extern "C" fn saCkptCheckpointOpenAsync(
    ckptHandle: SaCkptHandleT,
    invocation: SaInvocationT,
    checkpointName: *const SaNameT,
    checkpointCreationAttributes: *const SaCkptCheckpointCreationAttributesT,
    checkpointOpenFlags: SaCkptCheckpointOpenFlagsT,
) -> SaAisErrorT {
    ffi_call(|| {
        let req = open_request(checkpointName, checkpointCreationAttributes, checkpointOpenFlags)?;
        let h = HANDLES.get(ckptHandle)?;
        if h.callbacks.open.is_none() {
            return Err(Failure(SA_AIS_ERR_INIT));
        }
        status(client::checkpoint_open_async(&h, invocation, req))
    })
}

/// Closes a checkpoint handle (and its iterations; the library memory given out for it is
/// freed, and its pending synchronize and track callbacks are cancelled). The checkpoint lives on until its retention duration passes with nobody having
/// it open.
#[no_mangle]
pub unsafe extern "C" fn saCkptCheckpointClose(checkpointHandle: SaCkptCheckpointHandleT) -> SaAisErrorT {
    ffi_call(|| {
        status(client::checkpoint_close(checkpointHandle))?;
        MEMORY.release_handle(checkpointHandle);
        state::forget_limits(checkpointHandle);
        Ok(())
    })
}

/// Removes the checkpoint's name: it is deleted once the last opener closes it.
#[no_mangle]
pub unsafe extern "C" fn saCkptCheckpointUnlink(
    ckptHandle: SaCkptHandleT,
    checkpointName: *const SaNameT,
) -> SaAisErrorT {
    ffi_call(|| {
        let name = check::sa_name(check::arg(checkpointName)?)?;
        status(client::unlink(&*HANDLES.get(ckptHandle)?, name))
    })
}

/// Sets how long the checkpoint outlives its last close.
#[no_mangle]
pub unsafe extern "C" fn saCkptCheckpointRetentionDurationSet(
    checkpointHandle: SaCkptCheckpointHandleT,
    retentionDuration: SaTimeT,
) -> SaAisErrorT {
    ffi_call(|| {
        if retentionDuration < 0 {
            return Err(INVALID);
        }
        status(client::retention_set(
            &*checkpoint(checkpointHandle)?,
            retentionDuration,
        ))
    })
}

/// Makes this node's replica the active one (asynchronous checkpoints).
#[no_mangle]
pub unsafe extern "C" fn saCkptActiveReplicaSet(checkpointHandle: SaCkptCheckpointHandleT) -> SaAisErrorT {
    ffi_call(|| {
        let c = checkpoint_for(checkpointHandle, SA_CKPT_CHECKPOINT_WRITE)?;
        status(client::active_replica_set(&c))
    })
}

/// The checkpoint's attributes, section count and memory used.
#[no_mangle]
pub unsafe extern "C" fn saCkptCheckpointStatusGet(
    checkpointHandle: SaCkptCheckpointHandleT,
    checkpointStatus: *mut SaCkptCheckpointDescriptorT,
) -> SaAisErrorT {
    ffi_call(|| {
        let out = check::out(checkpointStatus)?;
        *out = client::status_get(&*checkpoint(checkpointHandle)?)?;
        Ok(())
    })
}

/// Creates a section with `initialDataSize` bytes of `initialData`. With
/// `SA_CKPT_GENERATED_SECTION_ID` the service chooses the id, which the library stores in
/// `*sectionCreationAttributes->sectionId` (freed by `saCkptSectionIdFree`).
#[no_mangle]
pub unsafe extern "C" fn saCkptSectionCreate(
    checkpointHandle: SaCkptCheckpointHandleT,
    sectionCreationAttributes: *mut SaCkptSectionCreationAttributesT,
    initialData: *const c_void,
    initialDataSize: SaSizeT,
) -> SaAisErrorT {
    ffi_call(|| {
        let attrs = check::out(sectionCreationAttributes)?;
        let sid = check::out(attrs.sectionId)?;
        // Only {0, NULL} asks for a generated id (SA_CKPT_GENERATED_SECTION_ID).
        if sid.idLen == 0 && !sid.id.is_null() {
            return Err(INVALID);
        }
        let id = section_id(sid)?;
        let size = check::size(initialDataSize)?;
        if size > 0 {
            check::non_null(initialData)?;
        }
        let expiration = attrs.expirationTime;
        let c = checkpoint_for(checkpointHandle, SA_CKPT_CHECKPOINT_WRITE)?;
        check_section_data(checkpointHandle, &c, initialDataSize, SA_AIS_ERR_NO_SPACE)?;
        let data = check::slice(initialData as *const u8, size)?;
        // An empty id asks for a generated one.
        let wanted = (!id.is_empty()).then_some(id.as_slice());
        if let Some(generated) = client::section_create(&c, wanted, expiration, data)? {
            sid.id = MEMORY.copy_out(checkpointHandle, 0, &generated)?;
            sid.idLen = generated.len() as SaUint16T;
        }
        Ok(())
    })
}

/// Deletes a section (not the default section).
#[no_mangle]
pub unsafe extern "C" fn saCkptSectionDelete(
    checkpointHandle: SaCkptCheckpointHandleT,
    sectionId: *const SaCkptSectionIdT,
) -> SaAisErrorT {
    ffi_call(|| {
        let id = created_section_id(sectionId)?;
        let c = checkpoint_for(checkpointHandle, SA_CKPT_CHECKPOINT_WRITE)?;
        status(client::section_delete(&c, &id))
    })
}

/// Sets when a section (not the default section) is deleted by itself.
#[no_mangle]
pub unsafe extern "C" fn saCkptSectionExpirationTimeSet(
    checkpointHandle: SaCkptCheckpointHandleT,
    sectionId: *const SaCkptSectionIdT,
    expirationTime: SaTimeT,
) -> SaAisErrorT {
    ffi_call(|| {
        let id = created_section_id(sectionId)?;
        let c = checkpoint_for(checkpointHandle, SA_CKPT_CHECKPOINT_WRITE)?;
        status(client::section_expiration_set(&c, &id, expirationTime))
    })
}

/// Starts an iteration over the sections chosen (by expiration time, or the corrupted
/// ones, or all).
#[no_mangle]
pub unsafe extern "C" fn saCkptSectionIterationInitialize(
    checkpointHandle: SaCkptCheckpointHandleT,
    sectionsChosen: SaCkptSectionsChosenT,
    expirationTime: SaTimeT,
    sectionIterationHandle: *mut SaCkptSectionIterationHandleT,
) -> SaAisErrorT {
    ffi_call(|| {
        let out = check::out(sectionIterationHandle)?;
        if !(SA_CKPT_SECTIONS_FOREVER..=SA_CKPT_SECTIONS_ANY).contains(&sectionsChosen) {
            return Err(INVALID);
        }
        let c = checkpoint(checkpointHandle)?;
        *out = client::iteration_initialize(checkpointHandle, &c, sectionsChosen, expirationTime)?;
        Ok(())
    })
}

/// The next section of an iteration (`SA_AIS_ERR_NO_SECTIONS` after the last). Its id is
/// library memory: a B.02 program frees it with `saCkptSectionIdFree`; otherwise it lasts
/// until the iteration (B.01) or the checkpoint handle (B.02) is finalized.
#[no_mangle]
pub unsafe extern "C" fn saCkptSectionIterationNext(
    sectionIterationHandle: SaCkptSectionIterationHandleT,
    sectionDescriptor: *mut SaCkptSectionDescriptorT,
) -> SaAisErrorT {
    ffi_call(|| {
        let out = check::out(sectionDescriptor)?;
        let it = ITERATIONS.get(sectionIterationHandle)?;
        let c = checkpoint(it.checkpoint)?;
        let s = client::iteration_next(&it, &c)?;
        let id = if s.id.is_empty() {
            std::ptr::null_mut()
        } else {
            MEMORY.copy_out(it.checkpoint, sectionIterationHandle, &s.id)?
        };
        *out = SaCkptSectionDescriptorT {
            sectionId: SaCkptSectionIdT {
                idLen: s.id.len() as SaUint16T,
                id,
            },
            expirationTime: s.expiration,
            sectionSize: s.size,
            sectionState: s.state,
            lastUpdate: s.last_update,
        };
        Ok(())
    })
}

/// Ends an iteration. A B.01 handle's section ids from it are freed now.
#[no_mangle]
pub unsafe extern "C" fn saCkptSectionIterationFinalize(
    sectionIterationHandle: SaCkptSectionIterationHandleT,
) -> SaAisErrorT {
    ffi_call(|| {
        let it = ITERATIONS.remove(sectionIterationHandle)?;
        if let Ok(c) = CHECKPOINTS.get(it.checkpoint) {
            if !client::is_b02(&c.version) {
                MEMORY.release_group(it.checkpoint, sectionIterationHandle);
            }
        }
        Ok(())
    })
}

/// Writes each element's data into its section at its offset. On an error,
/// `*erroneousVectorIndex` (if not NULL) names the element; the ones before it are written.
#[no_mangle]
pub unsafe extern "C" fn saCkptCheckpointWrite(
    checkpointHandle: SaCkptCheckpointHandleT,
    ioVector: *const SaCkptIOVectorElementT,
    numberOfElements: SaUint32T,
    erroneousVectorIndex: *mut SaUint32T,
) -> SaAisErrorT {
    ffi_call(|| {
        check::non_null(ioVector)?;
        let elements = std::slice::from_raw_parts(ioVector, numberOfElements as usize);
        let c = checkpoint_for(checkpointHandle, SA_CKPT_CHECKPOINT_WRITE)?;
        // Every element's pointers and sizes, then its range against the checkpoint's
        // limits (B.02.03: past maxSectionSize is SA_AIS_ERR_NO_RESOURCES, as in OpenSAF),
        // before any data is read.
        let fail = |i: usize, f: Failure| {
            erroneous(erroneousVectorIndex, i);
            f
        };
        let mut ids = Vec::with_capacity(elements.len());
        for (i, e) in elements.iter().enumerate() {
            let checked = || -> Result<Vec<u8>, Failure> {
                check::size(e.dataSize)?;
                check::non_null(e.dataBuffer)?;
                if e.dataSize == 0 {
                    return Err(INVALID);
                }
                section_id(&e.sectionId)
            };
            ids.push(checked().map_err(|f| fail(i, f))?);
        }
        if !elements.is_empty() {
            let limits = state::limits(checkpointHandle, &c)?;
            for (i, e) in elements.iter().enumerate() {
                let end = e.dataOffset.checked_add(e.dataSize);
                if end.is_none_or(|end| end > limits.max_section_size || e.dataSize > limits.checkpoint_size) {
                    return Err(fail(i, Failure(SA_AIS_ERR_NO_RESOURCES)));
                }
            }
        }
        let writes: Vec<_> = elements
            .iter()
            .zip(ids)
            .map(|(e, id)| client::WriteElement {
                id,
                offset: e.dataOffset,
                data: std::slice::from_raw_parts(e.dataBuffer as *const u8, e.dataSize as usize),
            })
            .collect();
        client::write(&c, &writes).map_err(|(e, index)| {
            if let Some(i) = index {
                erroneous(erroneousVectorIndex, i as usize);
            }
            Failure(no_resources_for_no_space(e))
        })
    })
}

/// Replaces a section's whole contents.
#[no_mangle]
pub unsafe extern "C" fn saCkptSectionOverwrite(
    checkpointHandle: SaCkptCheckpointHandleT,
    sectionId: *const SaCkptSectionIdT,
    dataBuffer: *const c_void,
    dataSize: SaSizeT,
) -> SaAisErrorT {
    ffi_call(|| {
        let id = section_id(check::arg(sectionId)?)?;
        check::non_null(dataBuffer)?;
        let size = check::size(dataSize)?;
        let c = checkpoint_for(checkpointHandle, SA_CKPT_CHECKPOINT_WRITE)?;
        check_section_data(checkpointHandle, &c, dataSize, SA_AIS_ERR_NO_RESOURCES)?;
        let data = std::slice::from_raw_parts(dataBuffer as *const u8, size);
        status(no_resources_for_no_space(client::overwrite(&c, &id, data)))
    })
}

/// Reads up to `dataSize` bytes at each element's offset into its buffer (a NULL buffer:
/// into library memory holding the rest of the section, freed by
/// `saCkptIOVectorElementDataFree`), setting `readSize`.
#[no_mangle]
pub unsafe extern "C" fn saCkptCheckpointRead(
    checkpointHandle: SaCkptCheckpointHandleT,
    ioVector: *mut SaCkptIOVectorElementT,
    numberOfElements: SaUint32T,
    erroneousVectorIndex: *mut SaUint32T,
) -> SaAisErrorT {
    ffi_call(|| {
        check::non_null(ioVector)?;
        let elements = std::slice::from_raw_parts_mut(ioVector, numberOfElements as usize);
        let fail = |i: usize, f: Failure| {
            erroneous(erroneousVectorIndex, i);
            f
        };
        let c = checkpoint_for(checkpointHandle, SA_CKPT_CHECKPOINT_READ)?;
        let mut reads = Vec::with_capacity(elements.len());
        for (i, e) in elements.iter().enumerate() {
            let id = section_id(&e.sectionId).map_err(|f| fail(i, f))?;
            // A NULL buffer reads the rest of the section.
            let max = if e.dataBuffer.is_null() { None } else { Some(e.dataSize) };
            reads.push(client::ReadElement {
                id,
                offset: e.dataOffset,
                max,
            });
        }
        let results = client::read(&c, &reads).map_err(|(e, i)| fail(i as usize, Failure(e)))?;
        for (i, (e, data)) in elements.iter_mut().zip(results).enumerate() {
            if e.dataBuffer.is_null() {
                e.dataBuffer = MEMORY.copy_out(checkpointHandle, 0, &data).map_err(|f| fail(i, f))? as *mut c_void;
                e.readSize = data.len() as SaSizeT;
            } else {
                // The executive sends at most `dataSize` bytes; copy no more anyway.
                let n = data.len().min(e.dataSize as usize);
                std::ptr::copy_nonoverlapping(data.as_ptr(), e.dataBuffer as *mut u8, n);
                e.readSize = n as SaSizeT;
            }
        }
        Ok(())
    })
}

/// Waits (at most `timeout`) until every replica has what the active replica has.
#[no_mangle]
pub unsafe extern "C" fn saCkptCheckpointSynchronize(
    checkpointHandle: SaCkptCheckpointHandleT,
    timeout: SaTimeT,
) -> SaAisErrorT {
    ffi_call(|| {
        let timeout = floored(timeout)?;
        let c = checkpoint_for(checkpointHandle, SA_CKPT_CHECKPOINT_WRITE)?;
        status(client::synchronize(&c, timeout))
    })
}

/// As `saCkptCheckpointSynchronize`; the result comes to the synchronize callback.
#[no_mangle]
pub unsafe extern "C" fn saCkptCheckpointSynchronizeAsync(
    checkpointHandle: SaCkptCheckpointHandleT,
    invocation: SaInvocationT,
) -> SaAisErrorT {
    ffi_call(|| {
        let c = checkpoint_for(checkpointHandle, SA_CKPT_CHECKPOINT_WRITE)?;
        let h = client::owner(&c)?;
        if h.callbacks.sync.is_none() {
            return Err(Failure(SA_AIS_ERR_INIT));
        }
        // Noted first: the callback may be dispatched in another thread before the call
        // returns; a close cancels it.
        let owner = c.owner;
        state::sync_requested(owner, invocation, checkpointHandle);
        let st = client::synchronize_async(&h, &c, invocation);
        if st != SA_AIS_OK {
            state::sync_not_sent(owner, invocation, checkpointHandle);
        }
        status(st)
    })
}

// ---- B.02 ----

/// Frees a section id the library allocated (a generated id of `saCkptSectionCreate`, or
/// one from `saCkptSectionIterationNext`).
#[no_mangle]
pub unsafe extern "C" fn saCkptSectionIdFree(
    checkpointHandle: SaCkptCheckpointHandleT,
    id: *mut SaUint8T,
) -> SaAisErrorT {
    ffi_call(|| {
        check::non_null(id)?;
        checkpoint(checkpointHandle)?;
        MEMORY.free(checkpointHandle, id)
    })
}

/// Frees a buffer `saCkptCheckpointRead` allocated.
#[no_mangle]
pub unsafe extern "C" fn saCkptIOVectorElementDataFree(
    checkpointHandle: SaCkptCheckpointHandleT,
    data: *mut c_void,
) -> SaAisErrorT {
    ffi_call(|| {
        check::non_null(data)?;
        checkpoint(checkpointHandle)?;
        MEMORY.free(checkpointHandle, data.cast())
    })
}

// ---- B.02.03 ----

/// Opens a handle with the track callback as well; needs version B.2.3.
#[no_mangle]
pub unsafe extern "C" fn saCkptInitialize_2(
    ckptHandle: *mut SaCkptHandleT,
    callbacks: *const SaCkptCallbacksT_2,
    version: *mut SaVersionT,
) -> SaAisErrorT {
    ffi_call(|| {
        let cb = callbacks.as_ref().map_or_else(Callbacks::default, |c| Callbacks {
            open: c.saCkptCheckpointOpenCallback,
            sync: c.saCkptCheckpointSynchronizeCallback,
            track: c.saCkptCheckpointTrackCallback,
        });
        initialize(ckptHandle, version, Init::Track, cb)
    })
}

/// Starts the track callback for every checkpoint this handle has open for reading, now
/// and opened later: each write, overwrite, section creation or deletion ordered in the
/// cluster is reported at the next dispatch.
#[no_mangle]
pub unsafe extern "C" fn saCkptTrack(ckptHandle: SaCkptHandleT) -> SaAisErrorT {
    ffi_call(|| track(ckptHandle, true))
}

/// Stops what `saCkptTrack` started (`SA_AIS_ERR_NOT_EXIST` if it was not started).
#[no_mangle]
pub unsafe extern "C" fn saCkptTrackStop(ckptHandle: SaCkptHandleT) -> SaAisErrorT {
    ffi_call(|| track(ckptHandle, false))
}

/// Starts the track callback for one checkpoint (opened for reading).
#[no_mangle]
pub unsafe extern "C" fn saCkptCheckpointTrack(checkpointHandle: SaCkptCheckpointHandleT) -> SaAisErrorT {
    ffi_call(|| checkpoint_track(checkpointHandle, true))
}

/// Stops what `saCkptCheckpointTrack` started (`SA_AIS_ERR_NOT_EXIST` if it was not).
#[no_mangle]
pub unsafe extern "C" fn saCkptCheckpointTrackStop(checkpointHandle: SaCkptCheckpointHandleT) -> SaAisErrorT {
    ffi_call(|| checkpoint_track(checkpointHandle, false))
}

/// saCkptTrack and saCkptTrackStop.
fn track(handle: SaCkptHandleT, start: bool) -> Outcome {
    let h = HANDLES.get(handle)?;
    version::require_at_least(&h.version, 2, 3)?;
    client::check_track(&h)?;
    status(client::track(&h, start))
}

/// saCkptCheckpointTrack and saCkptCheckpointTrackStop: access (a checkpoint opened for
/// reading), then the version (B.02.03) and the callback, as openais-era programs expect.
fn checkpoint_track(handle: SaCkptCheckpointHandleT, start: bool) -> Outcome {
    let c = checkpoint_for(handle, SA_CKPT_CHECKPOINT_READ)?;
    let h = client::owner(&c)?;
    version::require_at_least(&h.version, 2, 3)?;
    client::check_track(&h)?;
    status(client::checkpoint_track(&h, &c, start))
}
