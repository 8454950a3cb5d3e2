//! The functions `libSaCkpt.so.3` exports: CKPT B.01.01 as openais shipped it (node
//! `OPENAIS_CKPT_B.01.01`), B.02's two free calls and B.02.03's track API (node
//! `OPENAIS_CKPT_B.02.03`, see `version-scripts/SaCkpt.map`).
//!
//! Each body runs inside `guard`, so no panic reaches C; the pointer work is here, the
//! rest (handles, requests, callbacks, library memory) in `ckpt_client`. Arguments are
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

use crate::ckpt_client::{self as client, lock, Callbacks, Checkpoint, Init, CHECKPOINTS, HANDLES, ITERATIONS};
use crate::guard::guard;
use crate::runtime::DispatchMode;
use crate::types::ais::*;
use crate::types::ckpt::*;
use core::ffi::c_void;

/// Runs `f` on a checkpoint handle's state, or answers its lookup error.
fn with_checkpoint(handle: SaCkptCheckpointHandleT, f: impl FnOnce(&Checkpoint) -> SaAisErrorT) -> SaAisErrorT {
    match CHECKPOINTS.get(handle) {
        Ok(c) => f(&c),
        Err(e) => e,
    }
}

/// Checks and writes back the version, then opens the handle.
unsafe fn initialize(
    handle: *mut SaCkptHandleT,
    version: *mut SaVersionT,
    init: Init,
    callbacks: Callbacks,
) -> SaAisErrorT {
    if handle.is_null() || version.is_null() {
        return SA_AIS_ERR_INVALID_PARAM;
    }
    let granted = match client::negotiate(&*version, init) {
        Ok(v) => v,
        Err(ours) => {
            *version = ours;
            return SA_AIS_ERR_VERSION;
        }
    };
    *version = granted;
    match client::open(granted, callbacks) {
        Ok(h) => {
            *handle = h;
            SA_AIS_OK
        }
        Err(e) => e,
    }
}

/// A section id's bytes; `SA_AIS_ERR_INVALID_PARAM` for a NULL `id` with a length.
unsafe fn section_id(id: &SaCkptSectionIdT) -> Result<Vec<u8>, SaAisErrorT> {
    let len = id.idLen as usize;
    if len == 0 {
        return Ok(Vec::new());
    }
    if id.id.is_null() {
        return Err(SA_AIS_ERR_INVALID_PARAM);
    }
    Ok(std::slice::from_raw_parts(id.id, len).to_vec())
}

/// A section id naming a section the application created: not the default one.
unsafe fn created_section_id(id: *const SaCkptSectionIdT) -> Result<Vec<u8>, SaAisErrorT> {
    let Some(id) = id.as_ref() else {
        return Err(SA_AIS_ERR_INVALID_PARAM);
    };
    let bytes = section_id(id)?;
    if bytes.is_empty() {
        return Err(SA_AIS_ERR_INVALID_PARAM);
    }
    Ok(bytes)
}

/// The open arguments both open calls check the same way.
unsafe fn open_request(
    name: *const SaNameT,
    attributes: *const SaCkptCheckpointCreationAttributesT,
    flags: SaCkptCheckpointOpenFlagsT,
) -> Result<client::OpenRequest, SaAisErrorT> {
    let Some(name) = name.as_ref() else {
        return Err(SA_AIS_ERR_INVALID_PARAM);
    };
    client::check_open_flags(flags)?;
    let attributes = attributes.as_ref().copied();
    // Attributes exactly when creating.
    if (flags & SA_CKPT_CHECKPOINT_CREATE != 0) != attributes.is_some() {
        return Err(SA_AIS_ERR_INVALID_PARAM);
    }
    if let Some(a) = &attributes {
        client::check_attributes(a)?;
    }
    Ok(client::OpenRequest {
        name: client::name_bytes(name)?,
        attributes,
        flags,
    })
}

// ---- B.01.01 ----

/// Opens a checkpoint service handle; negotiates `*version` (B.1 gets B.1.1, B.2 B.2.3).
#[no_mangle]
pub unsafe extern "C" fn saCkptInitialize(
    ckptHandle: *mut SaCkptHandleT,
    callbacks: *const SaCkptCallbacksT,
    version: *mut SaVersionT,
) -> SaAisErrorT {
    guard(|| {
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
    guard(|| {
        if selectionObject.is_null() {
            return SA_AIS_ERR_INVALID_PARAM;
        }
        match HANDLES.get(ckptHandle) {
            Ok(h) => {
                *selectionObject = h.conn.selection_object() as SaSelectionObjectT;
                SA_AIS_OK
            }
            Err(e) => e,
        }
    })
}

/// Runs pending callbacks (`SA_DISPATCH_ONE`, `_ALL` or `_BLOCKING`).
#[no_mangle]
pub unsafe extern "C" fn saCkptDispatch(ckptHandle: SaCkptHandleT, dispatchFlags: SaDispatchFlagsT) -> SaAisErrorT {
    guard(|| {
        let Some(mode) = DispatchMode::from_flags(dispatchFlags) else {
            return SA_AIS_ERR_INVALID_PARAM;
        };
        match HANDLES.get(ckptHandle) {
            Ok(h) => match client::dispatch(ckptHandle, &h, mode) {
                Ok(()) => SA_AIS_OK,
                Err(e) => e,
            },
            Err(e) => e,
        }
    })
}

/// Closes the handle and every checkpoint opened through it.
#[no_mangle]
pub unsafe extern "C" fn saCkptFinalize(ckptHandle: SaCkptHandleT) -> SaAisErrorT {
    guard(|| client::finalize(ckptHandle))
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
    guard(|| {
        if checkpointHandle.is_null() {
            return SA_AIS_ERR_INVALID_PARAM;
        }
        let req = match open_request(checkpointName, checkpointCreationAttributes, checkpointOpenFlags) {
            Ok(r) => r,
            Err(e) => return e,
        };
        let timeout = match client::timeout(timeout) {
            Ok(t) => t,
            Err(e) => return e,
        };
        let h = match HANDLES.get(ckptHandle) {
            Ok(h) => h,
            Err(e) => return e,
        };
        match client::checkpoint_open(ckptHandle, &h, req, timeout) {
            Ok(c) => {
                *checkpointHandle = c;
                SA_AIS_OK
            }
            Err(e) => e,
        }
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
    guard(|| {
        let req = match open_request(checkpointName, checkpointCreationAttributes, checkpointOpenFlags) {
            Ok(r) => r,
            Err(e) => return e,
        };
        let h = match HANDLES.get(ckptHandle) {
            Ok(h) => h,
            Err(e) => return e,
        };
        if h.callbacks.open.is_none() {
            return SA_AIS_ERR_INIT;
        }
        client::checkpoint_open_async(&h, invocation, req)
    })
}

/// Closes a checkpoint handle (and its iterations; the library memory given out for it is
/// freed). The checkpoint lives on until its retention duration passes with nobody having
/// it open.
#[no_mangle]
pub unsafe extern "C" fn saCkptCheckpointClose(checkpointHandle: SaCkptCheckpointHandleT) -> SaAisErrorT {
    guard(|| client::checkpoint_close(checkpointHandle))
}

/// Removes the checkpoint's name: it is deleted once the last opener closes it.
#[no_mangle]
pub unsafe extern "C" fn saCkptCheckpointUnlink(
    ckptHandle: SaCkptHandleT,
    checkpointName: *const SaNameT,
) -> SaAisErrorT {
    guard(|| {
        let Some(name) = checkpointName.as_ref() else {
            return SA_AIS_ERR_INVALID_PARAM;
        };
        let name = match client::name_bytes(name) {
            Ok(n) => n,
            Err(e) => return e,
        };
        match HANDLES.get(ckptHandle) {
            Ok(h) => client::unlink(&h, &name),
            Err(e) => e,
        }
    })
}

/// Sets how long the checkpoint outlives its last close.
#[no_mangle]
pub unsafe extern "C" fn saCkptCheckpointRetentionDurationSet(
    checkpointHandle: SaCkptCheckpointHandleT,
    retentionDuration: SaTimeT,
) -> SaAisErrorT {
    guard(|| {
        if retentionDuration < 0 {
            return SA_AIS_ERR_INVALID_PARAM;
        }
        with_checkpoint(checkpointHandle, |c| client::retention_set(c, retentionDuration))
    })
}

/// Makes this node's replica the active one (asynchronous checkpoints).
#[no_mangle]
pub unsafe extern "C" fn saCkptActiveReplicaSet(checkpointHandle: SaCkptCheckpointHandleT) -> SaAisErrorT {
    guard(|| {
        with_checkpoint(checkpointHandle, |c| {
            match client::check_access(c, SA_CKPT_CHECKPOINT_WRITE) {
                Ok(()) => client::active_replica_set(c),
                Err(e) => e,
            }
        })
    })
}

/// The checkpoint's attributes, section count and memory used.
#[no_mangle]
pub unsafe extern "C" fn saCkptCheckpointStatusGet(
    checkpointHandle: SaCkptCheckpointHandleT,
    checkpointStatus: *mut SaCkptCheckpointDescriptorT,
) -> SaAisErrorT {
    guard(|| {
        if checkpointStatus.is_null() {
            return SA_AIS_ERR_INVALID_PARAM;
        }
        with_checkpoint(checkpointHandle, |c| match client::status_get(c) {
            Ok(d) => {
                *checkpointStatus = d;
                SA_AIS_OK
            }
            Err(e) => e,
        })
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
    guard(|| {
        let Some(attrs) = sectionCreationAttributes.as_mut() else {
            return SA_AIS_ERR_INVALID_PARAM;
        };
        let Some(sid) = attrs.sectionId.as_mut() else {
            return SA_AIS_ERR_INVALID_PARAM;
        };
        let id = match section_id(sid) {
            Ok(id) => id,
            Err(e) => return e,
        };
        let data: &[u8] = if initialDataSize == 0 {
            &[]
        } else if initialData.is_null() || usize::try_from(initialDataSize).is_err() {
            return SA_AIS_ERR_INVALID_PARAM;
        } else {
            std::slice::from_raw_parts(initialData as *const u8, initialDataSize as usize)
        };
        let expiration = attrs.expirationTime;
        with_checkpoint(checkpointHandle, |c| {
            if let Err(e) = client::check_access(c, SA_CKPT_CHECKPOINT_WRITE) {
                return e;
            }
            // An empty id asks for a generated one.
            let wanted = (!id.is_empty()).then_some(id.as_slice());
            match client::section_create(c, wanted, expiration, data) {
                Ok(None) => SA_AIS_OK,
                Ok(Some(generated)) => {
                    let Some(p) = client::alloc(&generated) else {
                        return SA_AIS_ERR_NO_MEMORY;
                    };
                    lock(&c.section_ids).insert(p as usize, 0);
                    sid.id = p;
                    sid.idLen = generated.len() as SaUint16T;
                    SA_AIS_OK
                }
                Err(e) => e,
            }
        })
    })
}

/// Deletes a section (not the default section).
#[no_mangle]
pub unsafe extern "C" fn saCkptSectionDelete(
    checkpointHandle: SaCkptCheckpointHandleT,
    sectionId: *const SaCkptSectionIdT,
) -> SaAisErrorT {
    guard(|| {
        let id = match created_section_id(sectionId) {
            Ok(id) => id,
            Err(e) => return e,
        };
        with_checkpoint(checkpointHandle, |c| {
            match client::check_access(c, SA_CKPT_CHECKPOINT_WRITE) {
                Ok(()) => client::section_delete(c, &id),
                Err(e) => e,
            }
        })
    })
}

/// Sets when a section (not the default section) is deleted by itself.
#[no_mangle]
pub unsafe extern "C" fn saCkptSectionExpirationTimeSet(
    checkpointHandle: SaCkptCheckpointHandleT,
    sectionId: *const SaCkptSectionIdT,
    expirationTime: SaTimeT,
) -> SaAisErrorT {
    guard(|| {
        let id = match created_section_id(sectionId) {
            Ok(id) => id,
            Err(e) => return e,
        };
        with_checkpoint(checkpointHandle, |c| {
            match client::check_access(c, SA_CKPT_CHECKPOINT_WRITE) {
                Ok(()) => client::section_expiration_set(c, &id, expirationTime),
                Err(e) => e,
            }
        })
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
    guard(|| {
        if sectionIterationHandle.is_null()
            || !(SA_CKPT_SECTIONS_FOREVER..=SA_CKPT_SECTIONS_ANY).contains(&sectionsChosen)
        {
            return SA_AIS_ERR_INVALID_PARAM;
        }
        with_checkpoint(checkpointHandle, |c| {
            match client::iteration_initialize(checkpointHandle, c, sectionsChosen, expirationTime) {
                Ok(it) => {
                    *sectionIterationHandle = it;
                    SA_AIS_OK
                }
                Err(e) => e,
            }
        })
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
    guard(|| {
        if sectionDescriptor.is_null() {
            return SA_AIS_ERR_INVALID_PARAM;
        }
        let it = match ITERATIONS.get(sectionIterationHandle) {
            Ok(it) => it,
            Err(e) => return e,
        };
        with_checkpoint(it.checkpoint, |c| {
            let s = match client::iteration_next(&it, c) {
                Ok(s) => s,
                Err(e) => return e,
            };
            let id = if s.id.is_empty() {
                std::ptr::null_mut()
            } else {
                let Some(p) = client::alloc(&s.id) else {
                    return SA_AIS_ERR_NO_MEMORY;
                };
                lock(&c.section_ids).insert(p as usize, sectionIterationHandle);
                p
            };
            *sectionDescriptor = SaCkptSectionDescriptorT {
                sectionId: SaCkptSectionIdT {
                    idLen: s.id.len() as SaUint16T,
                    id,
                },
                expirationTime: s.expiration,
                sectionSize: s.size,
                sectionState: s.state,
                lastUpdate: s.last_update,
            };
            SA_AIS_OK
        })
    })
}

/// Ends an iteration. A B.01 handle's section ids from it are freed now.
#[no_mangle]
pub unsafe extern "C" fn saCkptSectionIterationFinalize(
    sectionIterationHandle: SaCkptSectionIterationHandleT,
) -> SaAisErrorT {
    guard(|| match ITERATIONS.remove(sectionIterationHandle) {
        Ok(it) => {
            if let Ok(c) = CHECKPOINTS.get(it.checkpoint) {
                if !client::is_b02(&c.version) {
                    client::free_iteration_ids(&c, sectionIterationHandle);
                }
            }
            SA_AIS_OK
        }
        Err(e) => e,
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
    guard(|| {
        if ioVector.is_null() {
            return SA_AIS_ERR_INVALID_PARAM;
        }
        let elements = std::slice::from_raw_parts(ioVector, numberOfElements as usize);
        with_checkpoint(checkpointHandle, |c| {
            if let Err(e) = client::check_access(c, SA_CKPT_CHECKPOINT_WRITE) {
                return e;
            }
            let mut writes = Vec::with_capacity(elements.len());
            for (i, e) in elements.iter().enumerate() {
                let id = section_id(&e.sectionId);
                let ok_size = usize::try_from(e.dataSize).is_ok() && e.dataSize > 0;
                match id {
                    Ok(id) if ok_size && !e.dataBuffer.is_null() => writes.push(client::WriteElement {
                        id,
                        offset: e.dataOffset,
                        data: std::slice::from_raw_parts(e.dataBuffer as *const u8, e.dataSize as usize),
                    }),
                    _ => {
                        if let Some(ix) = erroneousVectorIndex.as_mut() {
                            *ix = i as SaUint32T;
                        }
                        return SA_AIS_ERR_INVALID_PARAM;
                    }
                }
            }
            match client::write(c, &writes) {
                Ok(()) => SA_AIS_OK,
                Err((e, index)) => {
                    if let (Some(ix), Some(i)) = (erroneousVectorIndex.as_mut(), index) {
                        *ix = i;
                    }
                    e
                }
            }
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
    guard(|| {
        let Some(sid) = sectionId.as_ref() else {
            return SA_AIS_ERR_INVALID_PARAM;
        };
        let id = match section_id(sid) {
            Ok(id) => id,
            Err(e) => return e,
        };
        let data: &[u8] = if dataSize == 0 && !dataBuffer.is_null() {
            &[]
        } else if dataBuffer.is_null() || usize::try_from(dataSize).is_err() {
            return SA_AIS_ERR_INVALID_PARAM;
        } else {
            std::slice::from_raw_parts(dataBuffer as *const u8, dataSize as usize)
        };
        with_checkpoint(checkpointHandle, |c| {
            match client::check_access(c, SA_CKPT_CHECKPOINT_WRITE) {
                Ok(()) => client::overwrite(c, &id, data),
                Err(e) => e,
            }
        })
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
    guard(|| {
        if ioVector.is_null() {
            return SA_AIS_ERR_INVALID_PARAM;
        }
        let elements = std::slice::from_raw_parts_mut(ioVector, numberOfElements as usize);
        let fail = |i: usize, e: SaAisErrorT| {
            if let Some(ix) = erroneousVectorIndex.as_mut() {
                *ix = i as SaUint32T;
            }
            e
        };
        with_checkpoint(checkpointHandle, |c| {
            if let Err(e) = client::check_access(c, SA_CKPT_CHECKPOINT_READ) {
                return e;
            }
            let mut reads = Vec::with_capacity(elements.len());
            for (i, e) in elements.iter().enumerate() {
                let Ok(id) = section_id(&e.sectionId) else {
                    return fail(i, SA_AIS_ERR_INVALID_PARAM);
                };
                // A NULL buffer reads the rest of the section.
                let max = if e.dataBuffer.is_null() { None } else { Some(e.dataSize) };
                reads.push(client::ReadElement {
                    id,
                    offset: e.dataOffset,
                    max,
                });
            }
            let results = match client::read(c, &reads) {
                Ok(r) => r,
                Err((e, i)) => return fail(i as usize, e),
            };
            for (i, (e, data)) in elements.iter_mut().zip(results).enumerate() {
                if e.dataBuffer.is_null() {
                    let Some(p) = client::alloc(&data) else {
                        return fail(i, SA_AIS_ERR_NO_MEMORY);
                    };
                    lock(&c.buffers).insert(p as usize);
                    e.dataBuffer = p as *mut c_void;
                    e.readSize = data.len() as SaSizeT;
                } else {
                    // The executive sends at most `dataSize` bytes; copy no more anyway.
                    let n = data.len().min(e.dataSize as usize);
                    std::ptr::copy_nonoverlapping(data.as_ptr(), e.dataBuffer as *mut u8, n);
                    e.readSize = n as SaSizeT;
                }
            }
            SA_AIS_OK
        })
    })
}

/// Waits (at most `timeout`) until every replica has what the active replica has.
#[no_mangle]
pub unsafe extern "C" fn saCkptCheckpointSynchronize(
    checkpointHandle: SaCkptCheckpointHandleT,
    timeout: SaTimeT,
) -> SaAisErrorT {
    guard(|| {
        let timeout = match client::timeout(timeout) {
            Ok(t) => t,
            Err(e) => return e,
        };
        with_checkpoint(checkpointHandle, |c| {
            match client::check_access(c, SA_CKPT_CHECKPOINT_WRITE) {
                Ok(()) => client::synchronize(c, timeout),
                Err(e) => e,
            }
        })
    })
}

/// As `saCkptCheckpointSynchronize`; the result comes to the synchronize callback.
#[no_mangle]
pub unsafe extern "C" fn saCkptCheckpointSynchronizeAsync(
    checkpointHandle: SaCkptCheckpointHandleT,
    invocation: SaInvocationT,
) -> SaAisErrorT {
    guard(|| {
        with_checkpoint(checkpointHandle, |c| {
            if let Err(e) = client::check_access(c, SA_CKPT_CHECKPOINT_WRITE) {
                return e;
            }
            let h = match client::owner(c) {
                Ok(h) => h,
                Err(e) => return e,
            };
            if h.callbacks.sync.is_none() {
                return SA_AIS_ERR_INIT;
            }
            client::synchronize_async(&h, c, invocation)
        })
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
    guard(|| {
        if id.is_null() {
            return SA_AIS_ERR_INVALID_PARAM;
        }
        with_checkpoint(checkpointHandle, |c| client::free_section_id(c, id as usize))
    })
}

/// Frees a buffer `saCkptCheckpointRead` allocated.
#[no_mangle]
pub unsafe extern "C" fn saCkptIOVectorElementDataFree(
    checkpointHandle: SaCkptCheckpointHandleT,
    data: *mut c_void,
) -> SaAisErrorT {
    guard(|| {
        if data.is_null() {
            return SA_AIS_ERR_INVALID_PARAM;
        }
        with_checkpoint(checkpointHandle, |c| client::free_buffer(c, data as usize))
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
    guard(|| {
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
    guard(|| track(ckptHandle, true))
}

/// Stops what `saCkptTrack` started (`SA_AIS_ERR_NOT_EXIST` if it was not started).
#[no_mangle]
pub unsafe extern "C" fn saCkptTrackStop(ckptHandle: SaCkptHandleT) -> SaAisErrorT {
    guard(|| track(ckptHandle, false))
}

/// Starts the track callback for one checkpoint (opened for reading).
#[no_mangle]
pub unsafe extern "C" fn saCkptCheckpointTrack(checkpointHandle: SaCkptCheckpointHandleT) -> SaAisErrorT {
    guard(|| checkpoint_track(checkpointHandle, true))
}

/// Stops what `saCkptCheckpointTrack` started (`SA_AIS_ERR_NOT_EXIST` if it was not).
#[no_mangle]
pub unsafe extern "C" fn saCkptCheckpointTrackStop(checkpointHandle: SaCkptCheckpointHandleT) -> SaAisErrorT {
    guard(|| checkpoint_track(checkpointHandle, false))
}

/// saCkptTrack and saCkptTrackStop.
fn track(handle: SaCkptHandleT, start: bool) -> SaAisErrorT {
    match HANDLES.get(handle) {
        Ok(h) => match client::check_track(&h) {
            Ok(()) => client::track(&h, start),
            Err(e) => e,
        },
        Err(e) => e,
    }
}

/// saCkptCheckpointTrack and saCkptCheckpointTrackStop.
fn checkpoint_track(handle: SaCkptCheckpointHandleT, start: bool) -> SaAisErrorT {
    with_checkpoint(handle, |c| {
        if let Err(e) = client::check_access(c, SA_CKPT_CHECKPOINT_READ) {
            return e;
        }
        let h = match client::owner(c) {
            Ok(h) => h,
            Err(e) => return e,
        };
        match client::check_track(&h) {
            Ok(()) => client::checkpoint_track(&h, c, start),
            Err(e) => e,
        }
    })
}
