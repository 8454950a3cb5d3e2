//! `saCkpt.h` types: the checkpoint service as openais shipped it (B.01.01) with the B.02
//! and B.02.03 additions beside it.
//!
//! Where the layouts differ between the versions, this header follows the newer one:
//! `SaCkptCheckpointDescriptorT.memoryUsed` is an `SaSizeT` (B.02; openais had an
//! `SaUint32T`, 56 bytes against 64) and `saCkptSectionCreate` takes the initial data size
//! as an `SaSizeT` (B.02; openais had an `SaUint32T`). The B.02.03 track API
//! (`SaCkptCallbacksT_2`, `saCkptInitialize_2`, the track calls) is OpenSAF's.
//!
//! cbindgen renders this file, with the functions in `crate::ckpt`, into `include/saCkpt.h`.

use super::ais::{SaAisErrorT, SaInvocationT, SaOffsetT, SaSizeT, SaTimeT, SaUint16T, SaUint32T, SaUint64T, SaUint8T};
use core::ffi::c_void;

pub type SaCkptHandleT = SaUint64T;
pub type SaCkptCheckpointHandleT = SaUint64T;
pub type SaCkptSectionIterationHandleT = SaUint64T;

/// How a checkpoint's replicas are updated (exactly one of the first three, optionally with
/// `SA_CKPT_CHECKPOINT_COLLOCATED`).
pub type SaCkptCheckpointCreationFlagsT = SaUint32T;
pub const SA_CKPT_WR_ALL_REPLICAS: SaCkptCheckpointCreationFlagsT = 0x1;
pub const SA_CKPT_WR_ACTIVE_REPLICA: SaCkptCheckpointCreationFlagsT = 0x2;
pub const SA_CKPT_WR_ACTIVE_REPLICA_WEAK: SaCkptCheckpointCreationFlagsT = 0x4;
pub const SA_CKPT_CHECKPOINT_COLLOCATED: SaCkptCheckpointCreationFlagsT = 0x8;

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SaCkptCheckpointCreationAttributesT {
    pub creationFlags: SaCkptCheckpointCreationFlagsT,
    pub checkpointSize: SaSizeT,
    pub retentionDuration: SaTimeT,
    pub maxSections: SaUint32T,
    pub maxSectionSize: SaSizeT,
    pub maxSectionIdSize: SaSizeT,
}

/// How a checkpoint is opened.
pub type SaCkptCheckpointOpenFlagsT = SaUint32T;
pub const SA_CKPT_CHECKPOINT_READ: SaCkptCheckpointOpenFlagsT = 0x1;
pub const SA_CKPT_CHECKPOINT_WRITE: SaCkptCheckpointOpenFlagsT = 0x2;
pub const SA_CKPT_CHECKPOINT_CREATE: SaCkptCheckpointOpenFlagsT = 0x4;

/// A section identifier: `idLen` bytes at `id`. The default section (of a checkpoint with
/// `maxSections` 1) is `SA_CKPT_DEFAULT_SECTION_ID`, `{0, NULL}`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SaCkptSectionIdT {
    pub idLen: SaUint16T,
    pub id: *mut SaUint8T,
}

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SaCkptSectionCreationAttributesT {
    /// `SA_CKPT_GENERATED_SECTION_ID` (`{0, NULL}`) asks the service to choose the
    /// identifier; the library then sets `id` to memory freed by `saCkptSectionIdFree`.
    pub sectionId: *mut SaCkptSectionIdT,
    pub expirationTime: SaTimeT,
}

sa_enums! {
    pub enum SaCkptSectionStateT {
        SA_CKPT_SECTION_VALID = 1,
        SA_CKPT_SECTION_CORRUPTED = 2,
    }

    pub enum SaCkptSectionsChosenT {
        SA_CKPT_SECTIONS_FOREVER = 1,
        SA_CKPT_SECTIONS_LEQ_EXPIRATION_TIME = 2,
        SA_CKPT_SECTIONS_GEQ_EXPIRATION_TIME = 3,
        SA_CKPT_SECTIONS_CORRUPTED = 4,
        SA_CKPT_SECTIONS_ANY = 5,
    }

    /// B.02: the checkpoint status of the service's notifications.
    pub enum SaCkptCheckpointStatusT {
        SA_CKPT_SECTION_FULL = 1,
        SA_CKPT_SECTION_AVAILABLE = 2,
    }

    /// B.02: the state of the service's state-change notifications.
    pub enum SaCkptStateT {
        SA_CKPT_CHECKPOINT_STATUS = 1,
    }
}

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SaCkptSectionDescriptorT {
    pub sectionId: SaCkptSectionIdT,
    pub expirationTime: SaTimeT,
    pub sectionSize: SaSizeT,
    pub sectionState: SaCkptSectionStateT,
    pub lastUpdate: SaTimeT,
}

/// One element of a write or read: `dataSize` bytes at `dataOffset` of the section.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SaCkptIOVectorElementT {
    pub sectionId: SaCkptSectionIdT,
    /// A read with a NULL buffer gets one from the library, freed by
    /// `saCkptIOVectorElementDataFree`.
    pub dataBuffer: *mut c_void,
    pub dataSize: SaSizeT,
    pub dataOffset: SaOffsetT,
    /// Set by a read: the bytes it placed in `dataBuffer`.
    pub readSize: SaSizeT,
}

/// What `saCkptCheckpointStatusGet` reports. `memoryUsed` is an `SaSizeT` as in B.02
/// (openais declared an `SaUint32T`).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SaCkptCheckpointDescriptorT {
    pub checkpointCreationAttributes: SaCkptCheckpointCreationAttributesT,
    pub numberOfSections: SaUint32T,
    pub memoryUsed: SaSizeT,
}

pub type SaCkptCheckpointOpenCallbackT = Option<
    unsafe extern "C" fn(invocation: SaInvocationT, checkpointHandle: SaCkptCheckpointHandleT, error: SaAisErrorT),
>;

pub type SaCkptCheckpointSynchronizeCallbackT =
    Option<unsafe extern "C" fn(invocation: SaInvocationT, error: SaAisErrorT)>;

/// What `saCkptInitialize` takes.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SaCkptCallbacksT {
    pub saCkptCheckpointOpenCallback: SaCkptCheckpointOpenCallbackT,
    pub saCkptCheckpointSynchronizeCallback: SaCkptCheckpointSynchronizeCallbackT,
}

/// B.02.03: called when a tracked checkpoint changes (a write, an overwrite, a section
/// created or deleted), with one element per changed range: section id, `dataOffset` and
/// `dataSize`, `dataBuffer` NULL and `readSize` 0 (a deleted section: offset and size 0).
/// The vector and its section ids are valid during the call only.
pub type SaCkptCheckpointTrackCallbackT = Option<
    unsafe extern "C" fn(
        checkpointHandle: SaCkptCheckpointHandleT,
        ioVector: *mut SaCkptIOVectorElementT,
        numberOfElements: SaUint32T,
    ),
>;

/// B.02.03: what `saCkptInitialize_2` takes.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SaCkptCallbacksT_2 {
    pub saCkptCheckpointOpenCallback: SaCkptCheckpointOpenCallbackT,
    pub saCkptCheckpointSynchronizeCallback: SaCkptCheckpointSynchronizeCallbackT,
    pub saCkptCheckpointTrackCallback: SaCkptCheckpointTrackCallbackT,
}
